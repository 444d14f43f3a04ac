"""Done when 4: a live ticket's stored due instants are the SLA engine's for the same events.

Real tickets go through the services (open, waiting on the client / a third party / planned, back in
progress, a staff reply, an impact change, resolve and reopen, close) with the clock moved by
``time_machine``; after each step the stored columns equal ``pacte.sla.clock.ticket_clock`` fed the
same events written by hand, and a few are checked against instants computed by hand on the helpers'
calendar (Mon–Fri 08:00–12:00 and 14:00–18:00, Europe/Paris, French public holidays).
"""

from __future__ import annotations

import datetime
from datetime import UTC
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from pacte.servicedesk import messaging, services
from pacte.servicedesk.clock import JUST_AFTER, SLA_FIELDS, clock_events, sla_values, versions_of
from pacte.servicedesk.models import SlaState, Ticket, TicketStatus
from pacte.servicedesk.tests import helpers
from pacte.sla.calendars import Calendar, HolidayRegion
from pacte.sla.clock import Basis, Event, EventKind, Priority, ServiceLevelTerms, Target, TargetKind, ticket_clock

pytestmark = pytest.mark.django_db
H = 3600


def paris(year: int, month: int, day: int, hour: int, minute: int) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, tzinfo=ZoneInfo("Europe/Paris")).astimezone(UTC)


class Log:
    """The ticket's clock events written by hand, and the stored columns checked against their fold."""

    def __init__(self, level, restoration: Target | None = None) -> None:
        self.level = level
        business = Calendar.weekly(
            "Europe/Paris", {k: [(a, b) for a, b in v] for k, v in helpers.WEEK.items()}, holidays=HolidayRegion("FR")
        )
        targets = {
            Priority.P1: {
                TargetKind.RESPONSE: Target(H),
                TargetKind.RESTORATION: restoration or Target(4 * H),
                TargetKind.RESOLUTION: Target(8 * H),
            },
            Priority.P3: {TargetKind.RESPONSE: Target(4 * H), TargetKind.RESOLUTION: Target(16 * H)},
        }
        self.terms = {str(level.pk): ServiceLevelTerms(business, targets, warning_percent=75)}
        self.events: list[Event] = []
        self.ticket: Ticket | None = None

    def add(self, kind: str, at: datetime.datetime, **payload: Any) -> None:
        self.events.append(Event(at, len(self.events) + 1, EventKind(kind), **payload))

    def check(self, at: datetime.datetime) -> dict[str, object]:
        """The stored columns equal the fold of the hand-written events just after ``at``; returns them."""
        assert self.ticket is not None
        now = at + JUST_AFTER  # what happened at ``at`` has taken effect (``clock.ticket_sla_refresh``)
        ticket = Ticket.objects.get(pk=self.ticket.pk)
        stored = {name: getattr(ticket, name) for name in SLA_FIELDS}
        result = ticket_clock(self.events, now=now, terms=self.terms)
        expected = sla_values(result, now=now, notices=set(), versions=versions_of(self.level))
        assert stored == expected
        written = [(e.kind, e.at) for e in clock_events(ticket.events.order_by("at", "seq"))]
        assert written == [(e.kind, e.at) for e in self.events]  # the services logged what we wrote
        return stored


@pytest.fixture
def log(tenant):
    level = helpers.service_level(tenant)
    helpers.contract_in_force(tenant, service_level=level.pk, start=datetime.date(2026, 1, 1))
    return Log(level)


def test_a_p1_opened_friday_evening_through_pause_reply_retarget_resolve_and_reopen(tenant, log):
    opened = paris(2026, 3, 6, 17, 30)  # a Friday
    with time_machine.travel(opened, tick=False) as clock:
        log.ticket = helpers.ticket(tenant, impact="high", urgency="high", title="Messagerie coupée")
        log.add("opened", opened, priority="P1", service_level=str(log.level.pk))
        stored = log.check(opened)
        # 30 min on Friday (17:30–18:00), 30 min on Monday (08:00–08:30).
        assert stored["response_due"] == paris(2026, 3, 9, 8, 30)
        assert stored["restoration_due"] == paris(2026, 3, 9, 11, 30)
        assert stored["resolution_due"] == paris(2026, 3, 9, 17, 30)
        assert stored["next_due"] == paris(2026, 3, 9, 8, 30)
        assert stored["next_warning"] == paris(2026, 3, 9, 8, 15)  # 75 % of the hour
        assert stored["sla_state"] == SlaState.ON_TRACK

        clock.move_to(paris(2026, 3, 9, 8, 10))  # Monday: waiting on the client stops the clock
        services.ticket_status_set(actor=tenant.technician, ticket=log.ticket, status=TicketStatus.WAITING_CLIENT)
        log.add("paused", paris(2026, 3, 9, 8, 10), reason="waiting_client")
        stored = log.check(paris(2026, 3, 9, 8, 10))
        assert stored["response_due"] is None and stored["sla_state"] == SlaState.PAUSED
        assert stored["sla_paused_reason"] == "waiting_client"

        clock.move_to(paris(2026, 3, 9, 9, 10))  # the reason changes: still paused
        services.ticket_status_set(actor=tenant.technician, ticket=log.ticket, status=TicketStatus.WAITING_THIRD_PARTY)
        log.add("paused", paris(2026, 3, 9, 9, 10), reason="waiting_third_party")
        assert log.check(paris(2026, 3, 9, 9, 10))["sla_paused_reason"] == "waiting_third_party"

        clock.move_to(paris(2026, 3, 9, 10, 10))  # back in progress after 2 business hours
        services.ticket_status_set(actor=tenant.technician, ticket=log.ticket, status=TicketStatus.IN_PROGRESS)
        log.add("resumed", paris(2026, 3, 9, 10, 10))
        stored = log.check(paris(2026, 3, 9, 10, 10))
        assert stored["response_due"] == paris(2026, 3, 9, 10, 30)  # pushed by exactly the 2 h paused
        assert stored["restoration_due"] == paris(2026, 3, 9, 15, 30)  # 11:30 + 2 h, over the 12–14 closure

        clock.move_to(paris(2026, 3, 9, 10, 20))  # a staff reply to the client: the first response
        messaging.message_add(actor=tenant.technician, ticket=log.ticket, body="Nous regardons.")
        log.add("first_response", paris(2026, 3, 9, 10, 20))
        stored = log.check(paris(2026, 3, 9, 10, 20))
        assert stored["next_due"] == paris(2026, 3, 9, 15, 30)

        clock.move_to(paris(2026, 3, 9, 11, 0))  # lower impact and urgency: P3, re-targeted from the opening
        services.ticket_update(actor=tenant.technician, ticket=log.ticket, impact="medium", urgency="medium")
        log.add("priority_changed", paris(2026, 3, 9, 11, 0), priority="P3")
        stored = log.check(paris(2026, 3, 9, 11, 0))
        assert stored["response_due"] == paris(2026, 3, 9, 10, 30)  # stopped: keeps the P1 outcome (met)
        assert stored["restoration_due"] is None  # P3 has no restoration target
        # 16 h from Friday 17:30, 2 h paused: 30 min Fri, 6 h Mon, 8 h Tue → Wednesday 08:00 + 1 h 30.
        assert stored["resolution_due"] == paris(2026, 3, 11, 9, 30)

        clock.move_to(paris(2026, 3, 9, 15, 0))
        services.ticket_status_set(actor=tenant.technician, ticket=log.ticket, status=TicketStatus.RESOLVED)
        log.add("resolved", paris(2026, 3, 9, 15, 0))
        stored = log.check(paris(2026, 3, 9, 15, 0))
        assert stored["sla_state"] == SlaState.MET and stored["next_due"] is None

        clock.move_to(paris(2026, 3, 10, 9, 0))  # reopened the next morning: the resolved period does not count
        services.ticket_status_set(actor=tenant.technician, ticket=log.ticket, status=TicketStatus.REOPENED)
        log.add("reopened", paris(2026, 3, 10, 9, 0))
        stored = log.check(paris(2026, 3, 10, 9, 0))
        # Monday 15:00 → Tuesday 09:00 is not counted: 3 h (15–18 Mon) + 1 h (8–9 Tue) pushed later.
        assert stored["resolution_due"] == paris(2026, 3, 11, 15, 30)
        assert stored["sla_state"] == SlaState.ON_TRACK

        clock.move_to(paris(2026, 3, 10, 16, 0))
        services.ticket_status_set(actor=tenant.technician, ticket=log.ticket, status=TicketStatus.CLOSED)
        log.add("resolved", paris(2026, 3, 10, 16, 0))
        log.add("closed", paris(2026, 3, 10, 16, 0))
        stored = log.check(paris(2026, 3, 10, 16, 0))
        assert stored["sla_state"] == SlaState.MET


def test_a_priority_raised_late_breaches_from_the_opening(tenant, log):
    opened = paris(2026, 3, 10, 9, 0)  # a Tuesday, P3: response 4 h → 15:00
    with time_machine.travel(opened, tick=False) as clock:
        log.ticket = helpers.ticket(tenant, title="Lenteurs")
        log.add("opened", opened, priority="P3", service_level=str(log.level.pk))
        assert log.check(opened)["response_due"] == paris(2026, 3, 10, 15, 0)
        clock.move_to(paris(2026, 3, 10, 10, 30))
        services.ticket_update(actor=tenant.technician, ticket=log.ticket, impact="high", urgency="high")
        log.add("priority_changed", paris(2026, 3, 10, 10, 30), priority="P1")
        stored = log.check(paris(2026, 3, 10, 10, 30))
        assert stored["response_due"] == paris(2026, 3, 10, 10, 0)  # 1 h from the opening: already past
        assert stored["sla_state"] == SlaState.BREACHED
        assert stored["next_warning"] == paris(2026, 3, 10, 10, 30)  # breached on re-targeting, to notice
        result = ticket_clock(log.events, now=paris(2026, 3, 10, 10, 31), terms=log.terms)
        assert result.targets[TargetKind.RESPONSE].breached_at == paris(2026, 3, 10, 10, 30)


def test_over_the_spring_dst_weekend_and_a_planned_pause(tenant, log):
    opened = paris(2026, 3, 27, 17, 30)  # Friday; clocks go forward on Sunday 29 March
    with time_machine.travel(opened, tick=False) as clock:
        log.ticket = helpers.ticket(tenant, impact="high", urgency="high")
        log.add("opened", opened, priority="P1", service_level=str(log.level.pk))
        stored = log.check(opened)
        assert stored["response_due"] == paris(2026, 3, 30, 8, 30)
        assert stored["response_due"] == datetime.datetime(2026, 3, 30, 6, 30, tzinfo=UTC)  # CEST, UTC+2
        clock.move_to(paris(2026, 3, 27, 17, 45))  # planned with the client over the weekend
        services.ticket_status_set(actor=tenant.technician, ticket=log.ticket, status=TicketStatus.PLANNED)
        log.add("paused", paris(2026, 3, 27, 17, 45), reason="planned")
        log.check(paris(2026, 3, 27, 17, 45))
        clock.move_to(paris(2026, 3, 30, 8, 0))
        services.ticket_status_set(actor=tenant.technician, ticket=log.ticket, status=TicketStatus.IN_PROGRESS)
        log.add("resumed", paris(2026, 3, 30, 8, 0))
        stored = log.check(paris(2026, 3, 30, 8, 0))
        assert stored["response_due"] == paris(2026, 3, 30, 8, 45)  # only the 15 business minutes paused count


def test_calendar_time_targets_and_easter_monday(tenant, log):
    from pacte.sla import services as sla_services

    sla_services.service_level_update(
        actor=tenant.manager,
        service_level=log.level,
        targets=[{"priority": "P1", "kind": "restoration", "seconds": 4 * H, "basis": "calendar"}],
    )
    log.level.refresh_from_db()
    log = Log(log.level, restoration=Target(4 * H, Basis.CALENDAR))
    opened = paris(2026, 4, 3, 17, 30)  # Friday before Easter: Monday 6 April is a public holiday
    with time_machine.travel(opened, tick=False):
        log.ticket = helpers.ticket(tenant, impact="high", urgency="high")
        log.add("opened", opened, priority="P1", service_level=str(log.level.pk))
        stored = log.check(opened)
    assert stored["restoration_due"] == paris(2026, 4, 3, 21, 30)  # 24×7
    assert stored["response_due"] == paris(2026, 4, 7, 8, 30)  # 30 min on Friday, 30 on Tuesday
