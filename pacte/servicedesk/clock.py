"""The bridge between a ticket's event log and the SLA engine's fold (``pacte.sla.clock``).

The clock events of a ticket (``TicketEvent`` rows of a clock kind) are replayed by
``ticket_clock``; what the queue needs (the due instant of each target, the earliest one still
running, the state, when the periodic job must look again) is stored on the ticket by
``ticket_sla_refresh`` after every clock event, and by the recompute job when a calendar or a
service level changes. A ticket without a service level runs on ``NO_LEVEL``: no targets.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.utils import timezone

from pacte.servicedesk.models import CLOCK_KINDS, SlaNotice, SlaNoticeKind, SlaState, Ticket, TicketEvent
from pacte.sla import calendars
from pacte.sla import clock as sla_clock
from pacte.sla.domain import engine_for
from pacte.sla.models import ServiceLevel
from pacte.sla.selectors import service_level_terms

NO_LEVEL = "none"
_EMPTY_TERMS = sla_clock.ServiceLevelTerms(calendar=calendars.Calendar.always_open(), targets={})
_DUE_FIELDS = {
    sla_clock.TargetKind.RESPONSE: "response_due",
    sla_clock.TargetKind.INTERVENTION: "intervention_due",
    sla_clock.TargetKind.RESTORATION: "restoration_due",
    sla_clock.TargetKind.RESOLUTION: "resolution_due",
}
SLA_FIELDS = [*_DUE_FIELDS.values(), "next_due", "next_warning", "sla_state", "sla_paused_reason", "sla_versions"]
#: ``ticket_sla_refresh`` reads the clock just after ``now``: the fold's intervals are half-open, so a
#: pause or a re-targeting logged *at* ``now`` has not yet taken effect *at* ``now`` (the ticket would be
#: stored as running, or not yet breached, until the next look). One microsecond moves no due instant
#: (the engine counts whole seconds).
JUST_AFTER = datetime.timedelta(microseconds=1)


def level_key(service_level_id: int | None) -> str:
    return str(service_level_id) if service_level_id is not None else NO_LEVEL


def clock_events(rows: Iterable[TicketEvent]) -> list[sla_clock.Event]:
    """The engine's events for the clock rows of a ticket's timeline (other rows are skipped)."""
    events = []
    for row in rows:
        if row.kind not in CLOCK_KINDS:
            continue
        data = row.data or {}
        events.append(
            sla_clock.Event(
                at=row.at,
                seq=row.seq,
                kind=sla_clock.EventKind(row.kind),
                reason=data.get("reason"),
                priority=data.get("priority"),
                service_level=data.get("service_level"),
            )
        )
    return events


def terms_for(ticket: Ticket, level_ids: Iterable[str]) -> dict[str, sla_clock.ServiceLevelTerms]:
    """The terms of every service level the log names, on the ticket's calendar (site, client)."""
    terms: dict[str, sla_clock.ServiceLevelTerms] = {NO_LEVEL: _EMPTY_TERMS}
    ids = {int(key) for key in level_ids if key != NO_LEVEL}
    levels = ServiceLevel.objects.filter(pk__in=ids).select_related("calendar__provider").prefetch_related("targets")
    for level in levels:
        terms[str(level.pk)] = service_level_terms(service_level=level, site=ticket.site, client=ticket.client)
    return terms


def ticket_clock(ticket: Ticket, *, now: datetime.datetime | None = None) -> sla_clock.ClockResult:
    """The ticket's SLA clock as of ``now``, folded from its stored events."""
    events = clock_events(ticket.events.filter(kind__in=CLOCK_KINDS))
    levels = {e.service_level for e in events if e.service_level is not None}
    return sla_clock.ticket_clock(events, now=now or timezone.now(), terms=terms_for(ticket, levels))


def _state(result: sla_clock.ClockResult, now: datetime.datetime) -> SlaState:
    outcomes = list(result.targets.values())
    if not outcomes:
        return SlaState.NONE
    if any(o.state is sla_clock.TargetState.BREACHED for o in outcomes):
        return SlaState.BREACHED
    running = [o for o in outcomes if o.state is sla_clock.TargetState.RUNNING]
    if any(o.state is sla_clock.TargetState.PAUSED for o in outcomes) and not running:
        return SlaState.PAUSED
    if running:
        if any(o.warning_at is not None and o.warning_at <= now for o in running):
            return SlaState.AT_RISK
        return SlaState.ON_TRACK
    if result.paused is not None:
        return SlaState.PAUSED
    return SlaState.MET


def _next_look(result: sla_clock.ClockResult, notices: set[tuple[str, str]]) -> datetime.datetime | None:
    """When the periodic job must look at the ticket again: the first warning or breach not yet noticed."""
    instants = []
    for kind, outcome in result.targets.items():
        if outcome.state is sla_clock.TargetState.RUNNING:
            if outcome.warning_at is not None and (kind.value, SlaNoticeKind.WARNING) not in notices:
                instants.append(outcome.warning_at)
            if outcome.due is not None and (kind.value, SlaNoticeKind.BREACH) not in notices:
                instants.append(outcome.due)
        elif outcome.state is sla_clock.TargetState.BREACHED and (kind.value, SlaNoticeKind.BREACH) not in notices:
            instants.append(outcome.breached_at or result.as_of)
    return min(instants) if instants else None


def sla_values(
    result: sla_clock.ClockResult,
    *,
    now: datetime.datetime,
    notices: set[tuple[str, str]],
    versions: str,
) -> dict[str, object]:
    """The ticket columns for a clock result (what ``ticket_sla_refresh`` and the batch recompute store)."""
    values: dict[str, object] = dict.fromkeys(_DUE_FIELDS.values())
    for kind, outcome in result.targets.items():
        values[_DUE_FIELDS[kind]] = outcome.due
    running_dues = [
        o.due for o in result.targets.values() if o.state is sla_clock.TargetState.RUNNING and o.due is not None
    ]
    values["next_due"] = min(running_dues) if running_dues else None
    values["next_warning"] = _next_look(result, notices)
    values["sla_state"] = _state(result, now)
    values["sla_paused_reason"] = result.paused.value if result.paused is not None else ""
    values["sla_versions"] = versions
    return values


def versions_of(service_level: ServiceLevel | None) -> str:
    if service_level is None:
        return ""
    return f"{service_level.calendar.version}:{service_level.version}"


def notices_of(ticket: Ticket) -> set[tuple[str, str]]:
    return set(SlaNotice.objects.filter(ticket=ticket).values_list("target", "kind"))


def ticket_sla_refresh(ticket: Ticket, *, now: datetime.datetime | None = None) -> sla_clock.ClockResult:
    """Recompute and store the ticket's SLA columns from its event log (call after every clock event)."""
    now = (now or timezone.now()) + JUST_AFTER
    result = ticket_clock(ticket, now=now)
    values = sla_values(result, now=now, notices=notices_of(ticket), versions=versions_of(ticket.service_level))
    for name, value in values.items():
        setattr(ticket, name, value)
    Ticket.objects.filter(pk=ticket.pk).update(**values)
    return result


def remaining_seconds(ticket: Ticket, *, now: datetime.datetime) -> int | None:
    """Business seconds left before ``next_due`` (negative when overdue), on the ticket's calendar."""
    if ticket.next_due is None or ticket.service_level is None:
        return None
    terms = terms_for(ticket, [str(ticket.service_level_id)])[str(ticket.service_level_id)]
    engine = engine_for(terms.calendar)
    if ticket.next_due >= now:
        return engine.business_seconds_between(now, ticket.next_due)
    return -int((now - ticket.next_due).total_seconds())
