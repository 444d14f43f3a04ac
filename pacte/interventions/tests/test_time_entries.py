"""Time entries on sheets and tickets: raw times kept, no overlap per technician, the split derived."""

from __future__ import annotations

import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from pacte.audit.models import AuditEvent
from pacte.core.errors import ConflictError
from pacte.interventions import selectors, services
from pacte.interventions.models import Intervention, Mode, Nature, SheetStatus, TimeEntry
from pacte.interventions.tests import helpers
from pacte.servicedesk.models import Ticket

PARIS = ZoneInfo("Europe/Paris")
pytestmark = pytest.mark.django_db


def paris(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, second, tzinfo=PARIS)


def log(tenant, start, end, *, sheet=None, ticket=None, technician=None, actor=None, **kwargs) -> TimeEntry:
    return services.time_entry_add(
        actor=actor or tenant.technician,
        technician=technician or tenant.technician,
        started_at=start,
        ended_at=end,
        sheet=sheet,
        ticket=ticket,
        **kwargs,
    )


@pytest.fixture
def contract(tenant):
    """A contract in force since 1 January 2026 on the 8–12 / 14–18 service level, backup not blocking."""
    return helpers.covered_contract(
        tenant, start=datetime.date(2026, 1, 1), backup_duty={"party": "client", "blocking": False}
    )


def test_an_entry_keeps_its_raw_times_and_derives_the_split(tenant, contract):
    sheet = helpers.sheet(tenant, contract=contract, technicians=[])
    start, end = paris(2026, 3, 3, 11, 0, 17), paris(2026, 3, 3, 15, 0, 43)
    entry = log(tenant, start, end, sheet=sheet, description="  Remplacement du disque ")
    entry.refresh_from_db()
    assert (entry.started_at, entry.ended_at) == (start, end)
    assert (entry.minutes_in_hours, entry.minutes_after_hours, entry.minutes_weekend) == (120, 120, 0)
    assert entry.minutes == 240
    assert (entry.client, entry.contract, entry.intervention) == (tenant.client, contract, sheet)
    assert (entry.description, entry.nature, entry.created_by) == (
        "Remplacement du disque",
        "labour",
        tenant.technician,
    )
    # The technician joins the sheet's technicians.
    assert list(sheet.technicians.all()) == [tenant.technician]
    event = AuditEvent.objects.get(action="intervention.time_entry_add")
    assert event.after is not None
    assert event.after["minutes"] == [120, 120, 0] and event.after["sheet"] == sheet.reference


def test_dst_days_and_a_holiday_with_the_contracts_calendar(tenant, contract):
    sheet = helpers.sheet(tenant, contract=contract)
    # Sunday 29 March 2026 (02:00 → 03:00): 00:00–04:00 is three real hours, all weekend.
    spring = log(tenant, paris(2026, 3, 29, 0), paris(2026, 3, 29, 4), sheet=sheet)
    assert (spring.minutes_in_hours, spring.minutes_after_hours, spring.minutes_weekend) == (0, 0, 180)
    # Sunday 25 October 2026 (03:00 → 02:00): 00:00–04:00 is five real hours.
    fall = log(tenant, paris(2026, 10, 25, 0), paris(2026, 10, 25, 4), sheet=sheet)
    assert (fall.minutes_in_hours, fall.minutes_after_hours, fall.minutes_weekend) == (0, 0, 300)
    # Monday 26 October, across 18:00.
    evening = log(tenant, paris(2026, 10, 26, 17), paris(2026, 10, 26, 19, 30), sheet=sheet)
    assert (evening.minutes_in_hours, evening.minutes_after_hours, evening.minutes_weekend) == (60, 90, 0)
    # Tuesday 14 July 2026: public holiday.
    bastille = log(tenant, paris(2026, 7, 14, 9), paris(2026, 7, 14, 12), sheet=sheet)
    assert (bastille.minutes_in_hours, bastille.minutes_after_hours, bastille.minutes_weekend) == (0, 0, 180)


def test_without_a_service_level_the_business_default_applies(tenant):
    sheet = helpers.sheet(tenant, mode=Mode.REMOTE)  # no contract: Mon–Fri 08:00–18:00
    entry = log(tenant, paris(2026, 3, 3, 11), paris(2026, 3, 3, 15), sheet=sheet)
    assert (entry.minutes_in_hours, entry.minutes_after_hours, entry.minutes_weekend) == (240, 0, 0)


def test_bad_times_are_refused(tenant):
    sheet = helpers.sheet(tenant, mode=Mode.REMOTE)
    now = timezone.now()
    cases = [
        (paris(2026, 3, 3, 11), paris(2026, 3, 3, 11), "ended_at"),
        (paris(2026, 3, 3, 11), paris(2026, 3, 3, 10), "ended_at"),
        (paris(2026, 3, 3, 8), paris(2026, 3, 4, 8, 1), "ended_at"),
        (now - datetime.timedelta(minutes=30), now + datetime.timedelta(minutes=30), "ended_at"),
        (datetime.datetime(2026, 3, 3, 9), paris(2026, 3, 3, 10), "started_at"),  # noqa: DTZ001
    ]
    for start, end, field in cases:
        with pytest.raises(ValidationError) as error:
            log(tenant, start, end, sheet=sheet)
        assert field in error.value.message_dict, (start, end)
    with pytest.raises(ValidationError) as error:
        log(tenant, paris(2026, 3, 3, 9), paris(2026, 3, 3, 10), sheet=sheet, nature="coffee")
    assert "nature" in error.value.message_dict
    # Exactly 24 hours and an end two minutes ahead (clock drift) are fine.
    log(tenant, paris(2026, 3, 5, 8), paris(2026, 3, 6, 8), sheet=sheet)
    log(tenant, now - datetime.timedelta(minutes=10), now + datetime.timedelta(minutes=2), sheet=sheet)
    with pytest.raises(ValidationError):
        services.time_entry_add(actor=tenant.technician, technician=tenant.technician, started_at=now, ended_at=now)
    assert TimeEntry.objects.count() == 2


def test_the_technician_must_be_an_active_provider_member(tenant, other_tenant):
    sheet = helpers.sheet(tenant, mode=Mode.REMOTE)
    start, end = paris(2026, 3, 3, 9), paris(2026, 3, 3, 10)
    tenant.manager.is_active = False
    tenant.manager.save()
    for technician in (tenant.client_user, other_tenant.technician, tenant.manager):
        with pytest.raises(ValidationError) as error:
            log(tenant, start, end, sheet=sheet, technician=technician)
        assert "technician" in error.value.message_dict
    with pytest.raises(PermissionDenied):
        log(tenant, start, end, sheet=sheet, actor=tenant.client_manager)
    with pytest.raises(PermissionDenied):
        log(other_tenant, start, end, sheet=sheet)
    # A manager logs a colleague's time.
    entry = log(tenant, start, end, sheet=sheet, actor=tenant.admin)
    assert entry.technician == tenant.technician and entry.created_by == tenant.admin


def test_one_technicians_entries_never_overlap_on_any_sheet_or_ticket(tenant):
    first = helpers.sheet(tenant, mode=Mode.REMOTE)
    second = helpers.sheet(tenant, mode=Mode.REMOTE, client=tenant.other_client, site=None)
    ticket = helpers.ticket(tenant)
    log(tenant, paris(2026, 3, 3, 9), paris(2026, 3, 3, 11), sheet=first)
    cases: list[tuple[datetime.datetime, datetime.datetime, dict[str, Any]]] = [
        (paris(2026, 3, 3, 10), paris(2026, 3, 3, 12), {"sheet": second}),
        (paris(2026, 3, 3, 8), paris(2026, 3, 3, 9, 1), {"ticket": ticket}),
        (paris(2026, 3, 3, 9, 30), paris(2026, 3, 3, 10), {"sheet": first}),
        (paris(2026, 3, 3, 8), paris(2026, 3, 3, 12), {"sheet": first, "nature": Nature.TRAVEL}),
    ]
    for start, end, subject in cases:
        with pytest.raises(ValidationError) as error:
            log(tenant, start, end, **subject)
        message = error.value.message_dict["started_at"][0]
        assert first.reference in message
    assert TimeEntry.objects.count() == 1
    # Touching entries (end == start) and another technician at the same time are fine.
    log(tenant, paris(2026, 3, 3, 11), paris(2026, 3, 3, 12), ticket=ticket)
    log(tenant, paris(2026, 3, 3, 8), paris(2026, 3, 3, 9), sheet=second)
    log(tenant, paris(2026, 3, 3, 9), paris(2026, 3, 3, 11), sheet=second, technician=tenant.manager)
    # An entry on a ticket overlapping is named by the ticket's reference.
    with pytest.raises(ValidationError) as error:
        log(tenant, paris(2026, 3, 3, 11, 30), paris(2026, 3, 3, 13), sheet=second)
    assert ticket.reference in error.value.message_dict["started_at"][0]


def test_time_on_a_ticket_takes_the_tickets_client_and_contract(tenant, contract):
    ticket = helpers.ticket(tenant, site=tenant.site)
    assert ticket.contract == contract
    entry = log(tenant, paris(2026, 3, 3, 17), paris(2026, 3, 3, 18, 30), ticket=ticket)
    assert (entry.ticket, entry.intervention, entry.client, entry.contract) == (ticket, None, tenant.client, contract)
    assert (entry.minutes_in_hours, entry.minutes_after_hours) == (60, 30)
    assert list(selectors.ticket_time_entries(actor=tenant.client_manager, ticket=ticket)) == [entry]
    with pytest.raises(ValidationError):
        services.time_entry_add(
            actor=tenant.technician,
            technician=tenant.technician,
            started_at=paris(2026, 3, 4, 9),
            ended_at=paris(2026, 3, 4, 10),
            ticket=ticket,
            sheet=helpers.sheet(tenant, mode=Mode.REMOTE),
        )
    Ticket.objects.filter(pk=ticket.pk).update(status="closed")
    with pytest.raises(ConflictError):
        log(tenant, paris(2026, 3, 4, 9), paris(2026, 3, 4, 10), ticket=ticket)
    with pytest.raises(ConflictError):
        services.time_entry_delete(actor=tenant.manager, entry=entry)


def test_ticket_time_entries_are_scoped(tenant, other_tenant):
    from django.http import Http404

    ticket = helpers.ticket(tenant, actor=tenant.client_user)
    log(tenant, paris(2026, 3, 3, 9), paris(2026, 3, 3, 10), ticket=ticket)
    assert selectors.ticket_time_entries(actor=tenant.client_user, ticket=ticket).count() == 1
    for member in (tenant.other_client_manager, other_tenant.admin):
        with pytest.raises(Http404):
            selectors.ticket_time_entries(actor=member, ticket=ticket)


def test_delete_an_entry(tenant):
    sheet = helpers.sheet(tenant, mode=Mode.REMOTE)
    mine = log(tenant, paris(2026, 3, 3, 9), paris(2026, 3, 3, 10), sheet=sheet)
    colleague = log(
        tenant,
        paris(2026, 3, 3, 9),
        paris(2026, 3, 3, 10),
        sheet=sheet,
        technician=tenant.manager,
        actor=tenant.manager,
    )
    # A technician removes their own time, not a colleague's; a manager anyone's.
    with pytest.raises(PermissionDenied):
        services.time_entry_delete(actor=tenant.technician, entry=colleague)
    services.time_entry_delete(actor=tenant.technician, entry=mine)
    services.time_entry_delete(actor=tenant.admin, entry=colleague)
    assert not TimeEntry.objects.exists()
    assert AuditEvent.objects.filter(action="intervention.time_entry_delete").count() == 2
    # On a signed sheet: 409, the entry stays.
    entry = log(tenant, paris(2026, 3, 3, 9), paris(2026, 3, 3, 10), sheet=sheet)
    Intervention.objects.filter(pk=sheet.pk).update(status=SheetStatus.SIGNED, signed_at=timezone.now())
    with pytest.raises(ConflictError):
        services.time_entry_delete(actor=tenant.admin, entry=entry)
    assert TimeEntry.objects.filter(pk=entry.pk).exists()
