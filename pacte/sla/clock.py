"""The SLA clock of one ticket: a pure fold over its event log (no ORM, no clock: ``now`` is an argument).

A ticket has up to four targets, each counted from the opening instant: **response** (first public
response), **intervention** (GTI: the on-site check-in or the start of a remote session),
**restoration** (GTR: service restored) and **resolution**. The service level in force gives, per
priority, the target of each kind (none: that kind is not tracked) in business time (its calendar)
or calendar time (24×7). :func:`ticket_clock` replays the events and answers, per target: the due
instant, the time counted so far, the paused time by reason, the state and the instant of breach.

Rules (each one is tested in ``pacte/sla/tests/test_clock.py``):

* **Order**: events are sorted by ``(instant, sequence number)`` before anything else, so a log that
  arrives late and out of order gives the same result. Events after ``now`` are not known yet and are
  left out. An event dated before the opening counts at the opening instant (after it). The log has
  exactly one ``opened`` event, and sequence numbers are unique.
* **Stops**: the first ``first_response`` / ``intervention_started`` / ``restored`` stops its target;
  ``resolved`` stops every target still running (resolving answers, restores and makes any
  intervention moot); later ones change nothing. A stopped target is **met** when it stopped at or
  before its due instant, **breached** otherwise.
* **Pauses**: ``paused`` (with a reason: waiting on the client, on a third party, or a planned date
  agreed with the client) stops every target still running until ``resumed``; a ``paused`` with another
  reason while paused switches the reason from that instant; ``resumed`` when not paused, or
  ``paused`` while resolved, changes nothing. Paused time pushes the due instants later by exactly the
  counted time it covers (a pause at night on a business-hours target pushes nothing). While an open
  pause began before a target's due instant, that target is **paused** and its due instant unknown.
* **Re-targeting**: ``priority_changed`` / ``service_level_changed`` re-target every target still
  running (or paused) *from the opening instant*, keeping every pause already accumulated (GLPI
  #15605); a target already stopped keeps the outcome of the terms it stopped under. A breach that
  already happened stays: the **breach instant** is the first instant the target was live past the due
  instant of the terms then in force (so it may differ from the final due instant).
* **Reopening**: ``reopened`` after ``resolved`` resumes the resolution target only; the resolved
  period counts neither as work nor as pause (GLPI #23359). The other targets keep their outcome.
* **Closing**: ``closed`` freezes the outcome: events after it are ignored, every target still running
  stops at the closing instant (judged like a resolution), and the result no longer depends on ``now``.
* **Time counted** (``elapsed_seconds``, ``paused_seconds``) is measured on the target's basis: the
  service level's calendar for business time, every second for calendar time. Instants are read to
  the whole second, like the engine (:mod:`pacte.sla.domain`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Final

from pacte.sla.calendars import CALENDAR_TIME, Calendar
from pacte.sla.domain import engine_for


class ClockError(ValueError):
    """The event log or the terms cannot be folded (no opening, unknown service level, …)."""


class TargetKind(StrEnum):
    RESPONSE = "response"
    INTERVENTION = "intervention"  # GTI
    RESTORATION = "restoration"  # GTR
    RESOLUTION = "resolution"


class Basis(StrEnum):
    BUSINESS = "business"  # the service level's calendar
    CALENDAR = "calendar"  # 24×7: every second counts


class Priority(StrEnum):
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    P4 = "P4"


class PauseReason(StrEnum):
    WAITING_CLIENT = "waiting_client"
    WAITING_THIRD_PARTY = "waiting_third_party"
    PLANNED = "planned"  # a date agreed with the client


class EventKind(StrEnum):
    OPENED = "opened"
    FIRST_RESPONSE = "first_response"
    INTERVENTION_STARTED = "intervention_started"
    RESTORED = "restored"
    RESOLVED = "resolved"
    REOPENED = "reopened"
    PAUSED = "paused"
    RESUMED = "resumed"
    PRIORITY_CHANGED = "priority_changed"
    SERVICE_LEVEL_CHANGED = "service_level_changed"
    CLOSED = "closed"


class TargetState(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    MET = "met"
    BREACHED = "breached"


_STOPS: Final = {
    EventKind.FIRST_RESPONSE: TargetKind.RESPONSE,
    EventKind.INTERVENTION_STARTED: TargetKind.INTERVENTION,
    EventKind.RESTORED: TargetKind.RESTORATION,
}


@dataclass(frozen=True, slots=True)
class Target:
    """A target: ``seconds`` of business time (the service level's calendar) or of calendar time (24×7)."""

    seconds: int
    basis: Basis = Basis.BUSINESS

    def __post_init__(self) -> None:
        if isinstance(self.seconds, bool) or not isinstance(self.seconds, int) or self.seconds < 0:
            raise ClockError(f"a target is a whole number of seconds >= 0, not {self.seconds!r}")
        object.__setattr__(self, "basis", Basis(self.basis))


@dataclass(frozen=True, slots=True)
class ServiceLevelTerms:
    """What a service level promises: its calendar, the targets per priority and kind, the warning threshold."""

    calendar: Calendar
    targets: Mapping[Priority, Mapping[TargetKind, Target]]
    warning_percent: int = 75

    def target(self, priority: Priority, kind: TargetKind) -> Target | None:
        return self.targets.get(priority, {}).get(kind)


@dataclass(frozen=True, slots=True)
class Event:
    """One fact of the ticket's log. Build with the class methods; ``seq`` orders events of the same instant."""

    at: datetime
    seq: int
    kind: EventKind
    reason: PauseReason | None = None
    priority: Priority | None = None
    service_level: str | None = None

    def __post_init__(self) -> None:
        if self.at.tzinfo is None or self.at.utcoffset() is None:
            raise ClockError(f"naive instant {self.at!r}: events need aware datetimes")
        object.__setattr__(self, "kind", EventKind(self.kind))
        if self.reason is not None:
            object.__setattr__(self, "reason", PauseReason(self.reason))
        if self.priority is not None:
            object.__setattr__(self, "priority", Priority(self.priority))
        needs = {
            EventKind.OPENED: ("priority", "service_level"),
            EventKind.PAUSED: ("reason",),
            EventKind.PRIORITY_CHANGED: ("priority",),
            EventKind.SERVICE_LEVEL_CHANGED: ("service_level",),
        }.get(self.kind, ())
        missing = [name for name in needs if getattr(self, name) is None]
        if missing:
            raise ClockError(f"the {self.kind.value} event needs {', '.join(missing)}")

    @classmethod
    def opened(cls, at: datetime, seq: int, *, priority: Priority | str, service_level: str) -> Event:
        return cls(at, seq, EventKind.OPENED, priority=Priority(priority), service_level=service_level)

    @classmethod
    def paused(cls, at: datetime, seq: int, reason: PauseReason | str) -> Event:
        return cls(at, seq, EventKind.PAUSED, reason=PauseReason(reason))

    @classmethod
    def priority_changed(cls, at: datetime, seq: int, priority: Priority | str) -> Event:
        return cls(at, seq, EventKind.PRIORITY_CHANGED, priority=Priority(priority))

    @classmethod
    def service_level_changed(cls, at: datetime, seq: int, service_level: str) -> Event:
        return cls(at, seq, EventKind.SERVICE_LEVEL_CHANGED, service_level=service_level)

    @classmethod
    def simple(cls, kind: EventKind | str, at: datetime, seq: int) -> Event:
        """An event with no payload (first_response, intervention_started, restored, resolved, …)."""
        return cls(at, seq, EventKind(kind))


@dataclass(frozen=True, slots=True)
class TargetOutcome:
    """One target's clock. ``due`` is ``None`` while an open pause hides it."""

    kind: TargetKind
    priority: Priority  # the terms this outcome is judged under (those in force when it stopped)
    service_level: str
    target_seconds: int
    basis: Basis
    state: TargetState
    due: datetime | None
    elapsed_seconds: int
    paused_seconds: Mapping[PauseReason, int]
    breached_at: datetime | None
    stopped_at: datetime | None
    warning_at: datetime | None


@dataclass(frozen=True, slots=True)
class ClockResult:
    """The clock of one ticket as of ``as_of`` (``now``, or the closing instant of a closed ticket)."""

    as_of: datetime
    opened_at: datetime
    priority: Priority
    service_level: str
    paused: PauseReason | None
    resolved: bool
    closed_at: datetime | None
    targets: Mapping[TargetKind, TargetOutcome] = field(default_factory=dict)


@dataclass(slots=True)
class _Pause:
    start: datetime
    end: datetime | None
    reason: PauseReason


@dataclass(frozen=True, slots=True)
class _Segment:
    """Terms in force from ``start``: re-targeting appends one."""

    start: datetime
    priority: Priority
    service_level: str


Interval = tuple[datetime, datetime]


def _check_aware(at: datetime, name: str) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ClockError(f"naive {name} {at!r}: pass an aware datetime")


def _ordered(events: Iterable[Event], now: datetime) -> tuple[Event, list[Event]]:
    events = list(events)
    openings = [e for e in events if e.kind is EventKind.OPENED]
    if len(openings) != 1:
        raise ClockError(f"a ticket's log has exactly one opened event, not {len(openings)}")
    seqs = [e.seq for e in events]
    if len(set(seqs)) != len(seqs):
        raise ClockError("sequence numbers must be unique")
    opening = openings[0]
    if opening.at > now:
        raise ClockError("the ticket opens after now")
    t0 = opening.at
    rest = sorted(
        (e for e in events if e is not opening and e.at <= now),
        key=lambda e: (max(e.at, t0), e.seq),
    )
    return opening, rest


class _Fold:
    """The state machine over the ordered events."""

    def __init__(self, opening: Event, terms: Mapping[str, ServiceLevelTerms]) -> None:
        assert opening.priority is not None and opening.service_level is not None
        self.terms = terms
        self.t0 = opening.at
        self._check_level(opening.service_level)
        self.segments = [_Segment(opening.at, opening.priority, opening.service_level)]
        self.stopped: dict[TargetKind, tuple[datetime, int]] = {}  # instant, index of the segment in force
        self.pauses: list[_Pause] = []
        self.resolved_periods: list[tuple[datetime, datetime | None]] = []
        self.closed_at: datetime | None = None

    def _check_level(self, level: str) -> None:
        if level not in self.terms:
            raise ClockError(f"unknown service level {level!r}")

    @property
    def paused(self) -> _Pause | None:
        return self.pauses[-1] if self.pauses and self.pauses[-1].end is None else None

    @property
    def resolved(self) -> bool:
        return bool(self.resolved_periods) and self.resolved_periods[-1][1] is None

    def _stop(self, kind: TargetKind, at: datetime) -> None:
        if kind not in self.stopped:
            self.stopped[kind] = (at, len(self.segments) - 1)

    def _end_pause(self, at: datetime) -> None:
        pause = self.paused
        if pause is not None:
            pause.end = at

    def _retarget(self, at: datetime, priority: Priority, level: str) -> None:
        current = self.segments[-1]
        if (priority, level) != (current.priority, current.service_level):
            self.segments.append(_Segment(at, priority, level))

    def apply(self, event: Event) -> bool:
        """Apply one event; ``False`` once the ticket is closed (the rest is ignored)."""
        at = max(event.at, self.t0)
        kind = event.kind
        if kind in _STOPS:
            self._stop(_STOPS[kind], at)
        elif kind is EventKind.RESOLVED:
            if not self.resolved:
                self._end_pause(at)
                for target in TargetKind:
                    self._stop(target, at)
                self.resolved_periods.append((at, None))
        elif kind is EventKind.REOPENED:
            if self.resolved:
                self.resolved_periods[-1] = (self.resolved_periods[-1][0], at)
                self.stopped.pop(TargetKind.RESOLUTION, None)
        elif kind is EventKind.PAUSED:
            assert event.reason is not None
            current = self.paused
            if not self.resolved and (current is None or current.reason is not event.reason):
                self._end_pause(at)
                self.pauses.append(_Pause(at, None, event.reason))
        elif kind is EventKind.RESUMED:
            self._end_pause(at)
        elif kind is EventKind.PRIORITY_CHANGED:
            assert event.priority is not None
            self._retarget(at, event.priority, self.segments[-1].service_level)
        elif kind is EventKind.SERVICE_LEVEL_CHANGED:
            assert event.service_level is not None
            self._check_level(event.service_level)
            self._retarget(at, self.segments[-1].priority, event.service_level)
        elif kind is EventKind.CLOSED:
            self.closed_at = at
            self._end_pause(at)
            for target in TargetKind:
                if not (target is TargetKind.RESOLUTION and self.resolved):
                    self._stop(target, at)
            return False
        return True  # OPENED cannot come twice (checked before)

    # ---- evaluation

    def _target(self, segment: _Segment, kind: TargetKind) -> Target | None:
        return self.terms[segment.service_level].target(segment.priority, kind)

    def _calendar(self, segment: _Segment, target: Target) -> Calendar:
        return CALENDAR_TIME if target.basis is Basis.CALENDAR else self.terms[segment.service_level].calendar

    def outcome(self, kind: TargetKind, as_of: datetime) -> TargetOutcome | None:
        stop = self.stopped.get(kind)
        end = stop[0] if stop is not None else as_of
        segments = self.segments[: (stop[1] if stop is not None else len(self.segments) - 1) + 1]
        defined = [(s, t) for s in segments if (t := self._target(s, kind)) is not None]
        if not defined:
            return None
        # This target's clock stops during pauses (up to its end) and, for resolution, while resolved.
        excluded: list[Interval] = []
        open_pause: datetime | None = None
        for pause in self.pauses:
            if pause.start >= end:
                break
            if pause.end is None:
                open_pause = pause.start
            else:
                excluded.append((pause.start, min(pause.end, end)))
        live: list[Interval] = [(self.t0, end)]
        if kind is TargetKind.RESOLUTION:
            gaps = [(a, b) for a, b in self.resolved_periods if b is not None and a < end]
            excluded += gaps
            live = _subtract(live, gaps)

        breached_at: datetime | None = None
        for index, segment in enumerate(segments):
            seg_target = self._target(segment, kind)
            seg_end = segments[index + 1].start if index + 1 < len(segments) else None
            if seg_target is None or (seg_end is not None and seg_end <= segment.start):
                continue
            seg_due = _due(self._calendar(segment, seg_target), self.t0, seg_target.seconds, excluded, open_pause)
            overdue = None if seg_due is None else _first_live(live, max(seg_due, segment.start), seg_end)
            if overdue is not None:
                breached_at = overdue
                break

        final = segments[-1]
        target = self._target(final, kind)
        if target is None:
            if breached_at is None:
                return None  # no longer tracked under the terms in force
            final, target = defined[-1]
        calendar = self._calendar(final, target)
        engine = engine_for(calendar)
        due = _due(calendar, self.t0, target.seconds, excluded, open_pause)
        not_counted = excluded + ([(open_pause, end)] if open_pause is not None else [])
        elapsed = engine.business_seconds_between(self.t0, end, pauses=not_counted)
        paused: dict[PauseReason, int] = {}
        for pause in self.pauses:
            if pause.start >= end:
                break
            pause_end = end if pause.end is None else min(pause.end, end)
            paused[pause.reason] = paused.get(pause.reason, 0) + engine.business_seconds_between(pause.start, pause_end)
        warning_at = None
        if due is not None:
            percent = self.terms[final.service_level].warning_percent
            warning_at = _due(calendar, self.t0, target.seconds * percent // 100, excluded, None)
        if breached_at is not None:
            state = TargetState.BREACHED
        elif stop is not None:
            state = TargetState.MET
        elif due is None:
            state = TargetState.PAUSED
        else:
            state = TargetState.RUNNING
        return TargetOutcome(
            kind=kind,
            priority=final.priority,
            service_level=final.service_level,
            target_seconds=target.seconds,
            basis=target.basis,
            state=state,
            due=due,
            elapsed_seconds=elapsed,
            paused_seconds=paused,
            breached_at=breached_at,
            stopped_at=stop[0] if stop is not None else None,
            warning_at=warning_at,
        )


def _subtract(live: list[Interval], gaps: list[Interval]) -> list[Interval]:
    out = live
    for ga, gb in gaps:
        nxt: list[Interval] = []
        for a, b in out:
            if gb <= a or ga >= b:
                nxt.append((a, b))
                continue
            if a < ga:
                nxt.append((a, ga))
            if gb < b:
                nxt.append((gb, b))
        out = nxt
    return out


def _first_live(live: list[Interval], start: datetime, before: datetime | None) -> datetime | None:
    """The first instant >= ``start`` (and < ``before``) inside one of the half-open ``live`` intervals."""
    for a, b in live:
        x = max(a, start)
        if x < b and (before is None or x < before):
            return x
    return None


def _due(
    calendar: Calendar, t0: datetime, seconds: int, excluded: list[Interval], open_pause: datetime | None
) -> datetime | None:
    due = engine_for(calendar).add_business_seconds(t0, seconds, pauses=excluded)
    if open_pause is not None and open_pause < due:
        return None
    return due


def ticket_clock(events: Iterable[Event], *, now: datetime, terms: Mapping[str, ServiceLevelTerms]) -> ClockResult:
    """Fold the ticket's events into its SLA clock as of ``now`` (see the module's rules)."""
    _check_aware(now, "now")
    opening, rest = _ordered(events, now)
    fold = _Fold(opening, terms)
    for event in rest:
        if not fold.apply(event):
            break
    as_of = fold.closed_at or now
    outcomes = {}
    for kind in TargetKind:
        outcome = fold.outcome(kind, as_of)
        if outcome is not None:
            outcomes[kind] = outcome
    current = fold.segments[-1]
    pause = fold.paused
    return ClockResult(
        as_of=as_of,
        opened_at=fold.t0,
        priority=current.priority,
        service_level=current.service_level,
        paused=pause.reason if pause is not None else None,
        resolved=fold.resolved,
        closed_at=fold.closed_at,
        targets=outcomes,
    )
