"""Property tests of the ticket clock (hypothesis): order independence, pauses only push due dates later,
time counted is monotonic and adds up, closing freezes."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pacte.sla.calendars import WEEKDAYS, Calendar, HolidayRegion
from pacte.sla.clock import (
    ClockResult,
    Event,
    EventKind,
    PauseReason,
    Priority,
    ServiceLevelTerms,
    Target,
    TargetKind,
    TargetState,
    ticket_clock,
)
from pacte.sla.domain import CALENDAR_TIME, engine_for

FAST = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
H = 3600
OFFICE = Calendar.weekly(
    "Europe/Paris",
    {d: [("08:00", "12:00"), ("13:30", "18:00")] for d in WEEKDAYS[:5]},
    holidays=HolidayRegion("FR"),
)
NIGHTS = Calendar.weekly("Europe/Paris", {d: [("22:00", "06:00")] for d in WEEKDAYS})


def _targets(scale: int, with_calendar_time: bool) -> dict[Priority, dict[TargetKind, Target]]:
    out: dict[Priority, dict[TargetKind, Target]] = {}
    for rank, priority in enumerate(Priority, start=1):
        out[priority] = {
            TargetKind.RESPONSE: Target(rank * scale),
            TargetKind.INTERVENTION: Target(2 * rank * scale),
            TargetKind.RESTORATION: Target(3 * rank * scale, "calendar" if with_calendar_time else "business"),
            TargetKind.RESOLUTION: Target(5 * rank * scale),
        }
    del out[Priority.P4][TargetKind.INTERVENTION]
    return out


TERMS = {
    "office": ServiceLevelTerms(OFFICE, _targets(H, True)),
    "nights": ServiceLevelTerms(NIGHTS, _targets(2 * H, False), warning_percent=50),
}
T0 = datetime(2026, 3, 20, 9, 17, tzinfo=UTC)  # a Friday; the weekend of 28–29 March changes the clocks
KINDS = [k for k in EventKind if k is not EventKind.OPENED]

offsets = st.integers(-3600, 12 * 86_400)


@st.composite
def logs(draw: st.DrawFn, *, pauses: bool = True) -> list[Event]:
    events = [
        Event.opened(T0, draw(st.integers(0, 1000)), priority=draw(st.sampled_from(Priority)), service_level="office")
    ]
    used = {events[0].seq}
    kinds = KINDS if pauses else [k for k in KINDS if k not in (EventKind.PAUSED, EventKind.RESUMED)]
    for _ in range(draw(st.integers(0, 12))):
        seq = draw(st.integers(0, 1000).filter(lambda s: s not in used))
        used.add(seq)
        at = T0 + timedelta(seconds=draw(offsets))
        kind = draw(st.sampled_from(kinds))
        if kind is EventKind.PAUSED:
            events.append(Event.paused(at, seq, draw(st.sampled_from(PauseReason))))
        elif kind is EventKind.PRIORITY_CHANGED:
            events.append(Event.priority_changed(at, seq, draw(st.sampled_from(Priority))))
        elif kind is EventKind.SERVICE_LEVEL_CHANGED:
            events.append(Event.service_level_changed(at, seq, draw(st.sampled_from(sorted(TERMS)))))
        else:
            events.append(Event.simple(kind, at, seq))
    return events


nows = offsets.map(lambda s: T0 + timedelta(seconds=max(s, 0)))


def fold(events: list[Event], now: datetime) -> ClockResult:
    return ticket_clock(events, now=now, terms=TERMS)


@FAST
@given(logs(), nows, st.randoms(use_true_random=False))
def test_the_fold_is_order_independent(events: list[Event], now: datetime, rnd: random.Random) -> None:
    shuffled = list(events)
    rnd.shuffle(shuffled)
    assert fold(shuffled, now) == fold(events, now)


@FAST
@given(logs(pauses=False), nows, offsets, st.integers(0, 3 * 86_400), st.sampled_from(PauseReason))
def test_pauses_only_push_due_dates_later(
    events: list[Event], now: datetime, start: int, length: int, reason: PauseReason
) -> None:
    begin = T0 + timedelta(seconds=start)
    seq = max(e.seq for e in events) + 1
    paused = [
        *events,
        Event.paused(begin, seq, reason),
        Event.simple("resumed", begin + timedelta(seconds=length), seq + 1),
    ]
    without, with_pause = fold(events, now), fold(paused, now)
    for kind, plain in without.targets.items():
        other = with_pause.targets.get(kind)
        if other is None or plain.due is None or other.due is None:
            continue
        if other.target_seconds == plain.target_seconds:
            assert other.due >= plain.due, kind
            assert other.elapsed_seconds <= plain.elapsed_seconds, kind
            if plain.state is TargetState.MET:
                assert other.state is TargetState.MET, kind


@FAST
@given(logs(), nows, st.integers(0, 5 * 86_400))
def test_time_counted_only_grows_with_now(events: list[Event], now: datetime, later: int) -> None:
    a, b = fold(events, now), fold(events, now + timedelta(seconds=later))
    for kind, first in a.targets.items():
        second = b.targets.get(kind)
        if second is not None and second.target_seconds == first.target_seconds:
            assert second.elapsed_seconds >= first.elapsed_seconds
            if first.state is TargetState.BREACHED:
                assert second.state is TargetState.BREACHED
                assert second.breached_at == first.breached_at


@FAST
@given(logs(), nows)
def test_counted_plus_paused_is_the_business_time_of_the_target_clock(events: list[Event], now: datetime) -> None:
    """Without resolved periods, every business second from the opening to the end is worked or paused."""
    result = fold(events, now)
    for kind, outcome in result.targets.items():
        if kind is TargetKind.RESOLUTION and any(e.kind is EventKind.REOPENED for e in events):
            continue
        calendar = CALENDAR_TIME if outcome.basis == "calendar" else TERMS[outcome.service_level].calendar
        end = outcome.stopped_at or result.as_of
        total = engine_for(calendar).business_seconds_between(result.opened_at, end)
        assert outcome.elapsed_seconds + sum(outcome.paused_seconds.values()) == total


@FAST
@given(logs(), nows)
def test_states_agree_with_due_instants(events: list[Event], now: datetime) -> None:
    result = fold(events, now)
    for outcome in result.targets.values():
        if outcome.state is TargetState.PAUSED:
            assert outcome.due is None and result.paused is not None
        if outcome.state is TargetState.RUNNING:
            assert outcome.due is not None and outcome.due >= result.as_of
            assert outcome.stopped_at is None
        if outcome.state is TargetState.MET:
            assert outcome.stopped_at is not None and outcome.breached_at is None
        if outcome.state is TargetState.BREACHED:
            assert outcome.breached_at is not None and outcome.breached_at <= result.as_of
        if outcome.due is not None and outcome.warning_at is not None:
            assert outcome.warning_at <= outcome.due


@FAST
@given(logs(), st.integers(0, 12 * 86_400), st.integers(1, 30 * 86_400))
def test_closing_freezes_everything(events: list[Event], close: int, later: int) -> None:
    closed_at = T0 + timedelta(seconds=close)
    events = [*events, Event.simple("closed", closed_at, max(e.seq for e in events) + 1)]
    at_close = fold(events, closed_at)
    assert fold(events, closed_at + timedelta(seconds=later)) == at_close
    assert all(o.state in (TargetState.MET, TargetState.BREACHED) for o in at_close.targets.values())
