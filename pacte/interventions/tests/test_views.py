"""The back office's intervention sheet pages: list, new sheet, the sheet page and each of its actions,
the ticket page's panel. Happy paths, bad input (the page again, errors next to the fields, nothing
saved), a locked sheet (409), a foreign sheet (404), client roles (404), and query caps on the list."""

from __future__ import annotations

import datetime
import html as html_lib
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from pacte.interventions import services
from pacte.interventions.models import (
    BackupCheck,
    ChecklistItem,
    Intervention,
    InterventionFile,
    Mode,
    Outcome,
    Part,
    PatchRecord,
    SheetStatus,
    TimeEntry,
)
from pacte.interventions.tests import helpers

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
UTC = datetime.UTC
# A 1x1 PNG (a phone photo stands in for it).
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


def url(name: str, *args: int) -> str:
    return reverse(f"interventions:{name}", args=args)


def text(response) -> str:
    return html_lib.unescape(response.content.decode())


def field_errors(response, field: str) -> list[str]:
    return [
        html_lib.unescape(m)
        for m in re.findall(
            rf'<small class="field-error" data-field="{field}"[^>]*>(.*?)</small>', response.content.decode()
        )
    ]


def signed(sheet: Intervention) -> Intervention:
    """The sheet as if signed (the signature itself is the signing helper's: here only its effect matters)."""
    Intervention.objects.filter(pk=sheet.pk).update(
        status=SheetStatus.SIGNED, signed_at=timezone.now(), signer_name="Marie Client", signer_role="Gérante"
    )
    sheet.refresh_from_db()
    return sheet


def in_progress(tenant, **kwargs) -> Intervention:
    sheet = helpers.sheet(tenant, **kwargs)
    return services.sheet_check_in(
        actor=tenant.technician, sheet=sheet, at=timezone.now() - datetime.timedelta(hours=2)
    )


# Access ---------------------------------------------------------------------------------------------------


def test_client_roles_get_404_on_every_back_office_page(tenant, login):
    sheet = helpers.sheet(tenant)
    for role in ("client_manager", "client_user"):
        http = login(tenant.member(role))
        for name, args in (("sheet_list", ()), ("sheet_create", ()), ("sheet_detail", (sheet.pk,))):
            assert http.get(url(name, *args)).status_code == 404
        assert http.post(url("sheet_check_in", sheet.pk)).status_code == 404
    sheet.refresh_from_db()
    assert sheet.checked_in_at is None


def test_another_providers_sheet_is_404_and_untouched(tenant, other_tenant, login):
    sheet = helpers.sheet(tenant)
    http = login(other_tenant.admin)
    assert http.get(url("sheet_detail", sheet.pk)).status_code == 404
    assert http.post(url("sheet_check_in", sheet.pk)).status_code == 404
    assert http.post(url("sheet_work", sheet.pk), {"diagnosis": "x"}).status_code == 404
    sheet.refresh_from_db()
    assert sheet.status == SheetStatus.PLANNED and sheet.diagnosis == ""
    assert sheet.reference not in text(http.get(url("sheet_list")))


def test_anonymous_goes_to_the_login_page(client):
    response = client.get(url("sheet_list"))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


# The list ---------------------------------------------------------------------------------------------------


def test_the_list_filters_by_status_client_technician_and_search(tenant, login):
    planned = helpers.sheet(tenant, title="Imprimante du 2e étage")
    started = in_progress(tenant, title="Serveur de fichiers")
    other = helpers.sheet(tenant, client=tenant.other_client, site=None, title="Poste comptable", technicians=[])
    http = login(tenant.technician)

    def listed(**params) -> set[str]:
        response = http.get(url("sheet_list"), params)
        assert response.status_code == 200
        return {sheet.reference for sheet in response.context["sheets"]}

    assert listed() == {planned.reference, started.reference, other.reference}
    assert listed(status="in_progress") == {started.reference}
    assert listed(client=tenant.other_client.pk) == {other.reference}
    assert listed(technician="me") == {planned.reference, started.reference}
    assert listed(q="imprimante") == {planned.reference}
    assert listed(q=started.reference) == {started.reference}
    assert listed(status="nonsense") == {planned.reference, started.reference, other.reference}


def test_the_list_is_paginated_and_its_queries_do_not_grow(tenant, login, django_assert_max_num_queries):
    for number in range(3):
        helpers.sheet(tenant, title=f"Sheet {number}")
    http = login(tenant.manager)
    http.get(url("sheet_list"))
    with django_assert_max_num_queries(12) as few:
        assert http.get(url("sheet_list")).status_code == 200
    for number in range(40):
        helpers.sheet(tenant, title=f"More {number}", technicians=[tenant.technician, tenant.manager])
    with django_assert_max_num_queries(len(few.captured_queries)) as many:
        response = http.get(url("sheet_list"))
    assert len(many.captured_queries) <= len(few.captured_queries)
    assert response.context["page"].paginator.count == 43
    assert len(response.context["sheets"]) == 30
    second = http.get(url("sheet_list"), {"page": 2})
    assert len(second.context["sheets"]) == 13


# A new sheet -------------------------------------------------------------------------------------------------


def spring_forward_day() -> datetime.date:
    """The next day Paris moves to summer time (last Sunday of March), after today."""
    today = timezone.localdate()
    for year in (today.year, today.year + 1):
        day = datetime.date(year, 3, 31)
        day -= datetime.timedelta(days=(day.weekday() + 1) % 7)
        if day > today:
            return day
    raise AssertionError


def test_a_sheet_from_a_ticket_is_prefilled_and_created(tenant, login):
    contract = helpers.covered_contract(tenant, months=24)
    day = spring_forward_day()
    asset = helpers.asset(tenant, "SRV-01")
    ticket = helpers.ticket(tenant, title="Serveur en panne", assets=[asset])
    http = login(tenant.technician)
    response = http.get(url("sheet_create"), {"ticket": ticket.pk})
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["title"] == "Serveur en panne"
    assert form.initial["client"] == tenant.client.pk
    assert form.initial["assets"] == [asset.pk]
    assert contract in form.fields["contract"].queryset
    response = http.post(
        url("sheet_create"),
        {
            "client": tenant.client.pk,
            "ticket": ticket.pk,
            "title": "Serveur en panne",
            "mode": Mode.ON_SITE,
            "site": tenant.site.pk,
            "contract": contract.pk,
            "assets": [asset.pk],
            "technicians": [tenant.technician.pk],
            "planned_start": f"{day.isoformat()}T09:00",
            "planned_end": f"{day.isoformat()}T11:30",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    sheet = Intervention.objects.get(ticket=ticket)
    assert response.status_code == 302 and response["Location"] == url("sheet_detail", sheet.pk)
    assert sheet.contract == contract and list(sheet.assets.all()) == [asset]
    # The day summer time starts in Paris: 09:00 local is 07:00 UTC (not 08:00).
    assert sheet.planned_start == datetime.datetime(day.year, day.month, day.day, 7, 0, tzinfo=UTC)
    assert sheet.planned_end == datetime.datetime(day.year, day.month, day.day, 9, 30, tzinfo=UTC)


def test_a_new_sheet_without_title_or_with_a_reversed_slot_shows_the_errors_and_saves_nothing(tenant, login):
    http = login(tenant.technician)
    response = http.post(
        url("sheet_create"),
        {
            "client": tenant.client.pk,
            "title": "",
            "mode": Mode.ON_SITE,
            "planned_start": "2026-05-04T14:00",
            "planned_end": "2026-05-04T10:00",
        },
    )
    assert response.status_code == 422
    assert field_errors(response, "title")
    response = http.post(
        url("sheet_create"),
        {
            "client": tenant.client.pk,
            "title": "Réseau",
            "mode": Mode.ON_SITE,
            "planned_start": "2026-05-04T14:00",
            "planned_end": "2026-05-04T10:00",
        },
    )
    assert response.status_code == 422
    assert field_errors(response, "planned_end")
    assert 'value="Réseau"' in response.content.decode()  # what was typed is kept
    assert not Intervention.objects.exists()


def test_a_time_that_does_not_exist_on_the_clock_change_night_is_refused(tenant, login):
    http = login(tenant.technician)
    response = http.post(
        url("sheet_create"),
        {
            "client": tenant.client.pk,
            "title": "Réseau",
            "mode": Mode.REMOTE,
            "planned_start": "2026-03-29T02:30",  # Paris skips from 02:00 to 03:00
            "planned_end": "2026-03-29T04:00",
        },
    )
    assert response.status_code == 422
    assert field_errors(response, "planned_start")
    assert not Intervention.objects.exists()


def test_a_foreign_ticket_or_client_is_refused(tenant, other_tenant, login):
    foreign = helpers.ticket(other_tenant)
    http = login(tenant.technician)
    assert http.get(url("sheet_create"), {"ticket": foreign.pk}).status_code == 404
    response = http.post(url("sheet_create"), {"client": other_tenant.client.pk, "title": "x", "mode": "on_site"})
    assert response.status_code == 422 and field_errors(response, "client")
    assert not Intervention.objects.exists()


# The sheet page ---------------------------------------------------------------------------------------------


def test_the_sheet_page_shows_check_in_then_check_out(tenant, login):
    sheet = helpers.sheet(tenant)
    http = login(tenant.technician)
    page = http.get(url("sheet_detail", sheet.pk))
    body = page.content.decode()
    assert page.status_code == 200
    assert 'id="check-in"' in body and 'id="check-out"' not in body
    assert 'accept="image/*"' in body and "capture=" in body
    response = http.post(url("sheet_check_in", sheet.pk))
    assert response.status_code == 302
    sheet.refresh_from_db()
    assert sheet.status == SheetStatus.IN_PROGRESS and sheet.checked_in_at is not None
    body = http.get(url("sheet_detail", sheet.pk)).content.decode()
    assert 'id="check-in"' not in body and 'id="check-out"' in body
    assert http.post(url("sheet_check_out", sheet.pk)).status_code == 302
    sheet.refresh_from_db()
    assert sheet.checked_out_at is not None


def test_a_blocking_backup_duty_is_shown_first_and_confirmed_with_a_name(tenant, login):
    contract = helpers.covered_contract(tenant, backup_duty={"party": "client", "blocking": True})
    sheet = in_progress(tenant, contract=contract)
    assert sheet.backup_blocking
    http = login(tenant.technician)
    body = http.get(url("sheet_detail", sheet.pk)).content.decode()
    assert 'id="backup-form"' in body and "backup-blocking" in body
    assert body.index('id="backup-form"') < body.index('id="work-form"')
    response = http.post(url("sheet_backup", sheet.pk), {"check": BackupCheck.CLIENT_CONFIRMED, "confirmed_by": ""})
    assert response.status_code == 422 and field_errors(response, "confirmed_by")
    sheet.refresh_from_db()
    assert sheet.backup_check == BackupCheck.PENDING
    response = http.post(
        url("sheet_backup", sheet.pk), {"check": BackupCheck.CLIENT_CONFIRMED, "confirmed_by": "Marie Client"}
    )
    assert response.status_code == 302
    sheet.refresh_from_db()
    assert sheet.backup_check == BackupCheck.CLIENT_CONFIRMED and sheet.backup_confirmed_by == "Marie Client"
    assert "backup-blocking" not in http.get(url("sheet_detail", sheet.pk)).content.decode()


def test_the_work_is_saved_and_a_too_long_text_is_an_error(tenant, login):
    sheet = in_progress(tenant)
    http = login(tenant.technician)
    response = http.post(
        url("sheet_work", sheet.pk),
        {"diagnosis": "Disque HS", "actions": "Disque remplacé", "result": "resolved", "follow_up_needed": "on"},
    )
    assert response.status_code == 302 and response["Location"].endswith("#work")
    sheet.refresh_from_db()
    assert (sheet.diagnosis, sheet.actions, sheet.result, sheet.follow_up_needed) == (
        "Disque HS",
        "Disque remplacé",
        "resolved",
        True,
    )
    response = http.post(url("sheet_work", sheet.pk), {"diagnosis": "x" * 20001, "actions": "Autre"})
    assert response.status_code == 422 and field_errors(response, "diagnosis")
    sheet.refresh_from_db()
    assert sheet.actions == "Disque remplacé"


def test_time_is_typed_in_local_time_across_the_autumn_clock_change(tenant, login):
    sheet = in_progress(tenant)
    http = login(tenant.technician)
    # 25 October 2026: at 03:00 summer time Paris goes back to 02:00. 01:00 → 04:00 local lasts 4 hours.
    response = http.post(
        url("sheet_time_add", sheet.pk),
        {
            "started_at": "2026-10-25T01:00",
            "ended_at": "2026-10-25T04:00",
            "technician": tenant.technician.pk,
            "nature": "labour",
        },
    )
    assert response.status_code == 302, field_errors(response, "started_at") + field_errors(response, "ended_at")
    entry = TimeEntry.objects.get(intervention=sheet)
    assert entry.started_at == datetime.datetime(2026, 10, 24, 23, 0, tzinfo=UTC)
    assert entry.ended_at == datetime.datetime(2026, 10, 25, 3, 0, tzinfo=UTC)
    assert entry.minutes == 240
    assert entry.minutes_weekend == 240  # a Sunday night: weekend time, derived
    page = text(http.get(url("sheet_detail", sheet.pk)))
    assert "01:00" in page and "04:00" in page  # shown back in local time


def test_bad_time_entries_show_errors_next_to_the_fields_and_save_nothing(tenant, login):
    sheet = in_progress(tenant)
    http = login(tenant.technician)
    base = {"technician": tenant.technician.pk, "nature": "labour"}
    response = http.post(
        url("sheet_time_add", sheet.pk), {**base, "started_at": "2026-02-02T10:00", "ended_at": "2026-02-02T09:00"}
    )
    assert response.status_code == 422 and field_errors(response, "ended_at")
    assert 'value="2026-02-02T10:00"' in response.content.decode()
    response = http.post(url("sheet_time_add", sheet.pk), {**base, "started_at": "yesterday", "ended_at": ""})
    assert response.status_code == 422 and field_errors(response, "started_at") and field_errors(response, "ended_at")
    ok = {**base, "started_at": "2026-02-02T09:00", "ended_at": "2026-02-02T11:00"}
    assert http.post(url("sheet_time_add", sheet.pk), ok).status_code == 302
    overlapping = {**base, "started_at": "2026-02-02T10:00", "ended_at": "2026-02-02T12:00"}
    response = http.post(url("sheet_time_add", sheet.pk), overlapping)
    assert response.status_code == 422 and field_errors(response, "started_at")
    assert TimeEntry.objects.filter(intervention=sheet).count() == 1


def test_a_time_entry_is_deleted(tenant, login):
    sheet = in_progress(tenant)
    start = datetime.datetime(2026, 2, 2, 9, 0, tzinfo=PARIS)
    entry = services.time_entry_add(
        actor=tenant.technician,
        technician=tenant.technician,
        started_at=start,
        ended_at=start + datetime.timedelta(hours=1),
        sheet=sheet,
    )
    http = login(tenant.technician)
    assert http.post(url("time_entry_delete", entry.pk)).status_code == 302
    assert not TimeEntry.objects.filter(pk=entry.pk).exists()


def test_parts_are_added_and_removed_and_a_negative_quantity_is_refused(tenant, login):
    asset = helpers.asset(tenant, "PC-042")
    sheet = in_progress(tenant, assets=[asset])
    http = login(tenant.technician)
    response = http.post(
        url("sheet_part_add", sheet.pk),
        {"description": "Disque SSD 1 To", "quantity": "-1", "serial_out": "OLD", "serial_in": "NEW"},
    )
    assert response.status_code == 422 and field_errors(response, "quantity")
    assert 'value="Disque SSD 1 To"' in response.content.decode()
    assert not Part.objects.exists()
    response = http.post(
        url("sheet_part_add", sheet.pk),
        {
            "description": "Disque SSD 1 To",
            "quantity": "1",
            "unit_price": "89.90",
            "serial_out": "OLD",
            "serial_in": "NEW",
            "asset": asset.pk,
        },
    )
    assert response.status_code == 302
    part = Part.objects.get(intervention=sheet)
    assert (part.quantity, part.unit_price, part.asset, part.serial_in) == (Decimal(1), Decimal("89.90"), asset, "NEW")
    assert http.post(url("part_remove", part.pk)).status_code == 302
    assert not Part.objects.exists()


def test_the_checklist_outcome_buttons_work_with_and_without_htmx(tenant, login):
    asset = helpers.asset(tenant, "PC-7")
    sheet = in_progress(tenant, assets=[asset])
    http = login(tenant.technician)
    assert (
        http.post(url("sheet_checklist_add", sheet.pk), {"label": "Antivirus à jour", "asset": asset.pk}).status_code
        == 302
    )
    item = ChecklistItem.objects.get(intervention=sheet)
    response = http.post(url("checklist_set", item.pk), {"outcome": "ok"})
    assert response.status_code == 302 and response["Location"].endswith(f"#check-{item.pk}")
    item.refresh_from_db()
    assert item.outcome == Outcome.OK
    response = http.post(url("checklist_set", item.pk), {"outcome": "issue"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.content.decode().lstrip().startswith(f'<li class="check-item check-issue" id="check-{item.pk}"')
    response = http.post(url("checklist_set", item.pk), {"outcome": "maybe"})
    assert response.status_code == 422
    item.refresh_from_db()
    assert item.outcome == Outcome.ISSUE


def test_a_patch_travel_and_a_photo_are_recorded(tenant, login):
    asset = helpers.asset(tenant, "PC-9")
    sheet = in_progress(tenant, assets=[asset])
    http = login(tenant.technician)
    assert http.post(url("sheet_patch_add", sheet.pk), {"asset": asset.pk, "reference": "KB5031356"}).status_code == 302
    assert PatchRecord.objects.get(intervention=sheet).reference == "KB5031356"
    response = http.post(url("sheet_travel", sheet.pk), {"travel_minutes": "35", "travel_km": "22.5"})
    assert response.status_code == 302
    sheet.refresh_from_db()
    assert (sheet.travel_minutes, sheet.travel_km) == (35, Decimal("22.5"))
    response = http.post(url("sheet_travel", sheet.pk), {"travel_minutes": "-3"})
    assert response.status_code == 422 and field_errors(response, "travel_minutes")
    photo = SimpleUploadedFile("photo.png", PNG, content_type="image/png")
    assert http.post(url("sheet_file_add", sheet.pk), {"files": [photo]}).status_code == 302
    file = InterventionFile.objects.get(intervention=sheet)
    download = http.get(url("sheet_file", file.pk))
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment")
    assert b"".join(download.streaming_content) == PNG
    assert http.post(url("sheet_file_add", sheet.pk), {}).status_code == 422


def test_the_workshop_block_only_on_a_workshop_sheet(tenant, login):
    on_site = in_progress(tenant)
    workshop = in_progress(tenant, mode=Mode.WORKSHOP)
    http = login(tenant.technician)
    assert 'data-testid="workshop"' not in http.get(url("sheet_detail", on_site.pk)).content.decode()
    assert 'data-testid="workshop"' in http.get(url("sheet_detail", workshop.pk)).content.decode()
    response = http.post(
        url("sheet_workshop", workshop.pk),
        {"dropped_off_at": "2026-01-12T09:15", "dropped_off_by": "Paul", "drop_off_condition": "Sans chargeur"},
    )
    assert response.status_code == 302
    workshop.refresh_from_db()
    assert workshop.dropped_off_at == datetime.datetime(2026, 1, 12, 8, 15, tzinfo=UTC)


def test_marking_done_lists_what_is_missing_then_links_to_the_signature(tenant, login):
    sheet = in_progress(tenant)
    http = login(tenant.technician)
    response = http.post(url("sheet_done", sheet.pk))
    assert response.status_code == 422
    assert response.context["page_errors"]
    sheet.refresh_from_db()
    assert sheet.status == SheetStatus.IN_PROGRESS
    services.sheet_update(actor=tenant.technician, sheet=sheet, actions="Disque remplacé", result="resolved")
    start = timezone.now() - datetime.timedelta(hours=2)
    services.time_entry_add(
        actor=tenant.technician,
        technician=tenant.technician,
        started_at=start,
        ended_at=start + datetime.timedelta(hours=1),
        sheet=sheet,
    )
    services.sheet_check_out(actor=tenant.technician, sheet=sheet)
    response = http.post(url("sheet_done", sheet.pk))
    assert response.status_code == 302
    sheet.refresh_from_db()
    assert sheet.status == SheetStatus.DONE
    assert 'id="mark-done"' not in http.get(url("sheet_detail", sheet.pk)).content.decode()


def test_cancelling_needs_a_reason(tenant, login):
    sheet = helpers.sheet(tenant)
    http = login(tenant.technician)
    response = http.post(url("sheet_cancel", sheet.pk), {"reason": ""})
    assert response.status_code == 422 and field_errors(response, "reason")
    assert http.post(url("sheet_cancel", sheet.pk), {"reason": "Client absent"}).status_code == 302
    sheet.refresh_from_db()
    assert sheet.status == SheetStatus.CANCELLED


# A locked sheet ---------------------------------------------------------------------------------------------


def test_a_signed_sheet_shows_no_edit_control_and_refuses_every_action_with_409(tenant, login):
    asset = helpers.asset(tenant, "PC-1")
    sheet = in_progress(tenant, assets=[asset])
    part = services.part_add(actor=tenant.technician, sheet=sheet, description="RAM", quantity=Decimal(1))
    sheet = signed(sheet)
    http = login(tenant.technician)
    page = http.get(url("sheet_detail", sheet.pk))
    body = page.content.decode()
    assert page.status_code == 200 and 'data-testid="locked"' in body
    for marker in (
        'id="check-in"',
        'id="check-out"',
        'id="backup-form"',
        'id="work-form"',
        'id="time-form"',
        "<textarea",
    ):
        assert marker not in body
    assert 'data-testid="correct-sheet"' in body
    posts = [
        ("sheet_check_in", sheet.pk, {}),
        ("sheet_work", sheet.pk, {"diagnosis": "changed"}),
        ("sheet_time_add", sheet.pk, {"started_at": "2026-01-05T09:00", "ended_at": "2026-01-05T10:00"}),
        ("sheet_part_add", sheet.pk, {"description": "Disque", "quantity": "1"}),
        ("part_remove", part.pk, {}),
        ("sheet_cancel", sheet.pk, {"reason": "x"}),
        ("sheet_done", sheet.pk, {}),
    ]
    for name, pk, data in posts:
        response = http.post(url(name, pk), data)
        assert response.status_code == 409, name
    sheet.refresh_from_db()
    assert sheet.diagnosis == "" and sheet.status == SheetStatus.SIGNED
    assert Part.objects.filter(pk=part.pk).exists()


def test_a_correcting_sheet_links_both_ways(tenant, login):
    sheet = signed(in_progress(tenant))
    http = login(tenant.technician)
    response = http.post(url("sheet_correct", sheet.pk))
    correction = Intervention.objects.get(corrects=sheet)
    assert response.status_code == 302 and response["Location"] == url("sheet_detail", correction.pk)
    assert f'href="{url("sheet_detail", sheet.pk)}"' in http.get(url("sheet_detail", correction.pk)).content.decode()
    assert f'href="{url("sheet_detail", correction.pk)}"' in http.get(url("sheet_detail", sheet.pk)).content.decode()
    # An unsigned sheet is changed, not corrected.
    assert http.post(url("sheet_correct", correction.pk)).status_code == 409


# The ticket page's panel --------------------------------------------------------------------------------------


def test_the_ticket_page_shows_its_sheets_and_logs_remote_time(tenant, login):
    ticket = helpers.ticket(tenant, title="Messagerie lente")
    sheet = helpers.sheet(tenant, ticket=ticket)
    http = login(tenant.technician)
    page = http.get(reverse("servicedesk:ticket_detail", args=[ticket.pk]))
    body = page.content.decode()
    assert 'data-testid="ticket-interventions"' in body and sheet.reference in body
    assert f"{url('sheet_create')}?ticket={ticket.pk}" in body
    response = http.post(
        url("ticket_time_add", ticket.pk),
        {
            "ticket_time-started_at": "2026-02-03T14:00",
            "ticket_time-ended_at": "2026-02-03T14:45",
            "ticket_time-technician": tenant.technician.pk,
            "ticket_time-nature": "labour",
            "ticket_time-description": "Prise en main à distance",
        },
    )
    assert response.status_code == 302
    entry = TimeEntry.objects.get(ticket=ticket)
    assert entry.intervention is None and entry.minutes == 45
    assert entry.started_at == datetime.datetime(2026, 2, 3, 13, 0, tzinfo=UTC)
    assert "Prise en main à distance" in text(http.get(reverse("servicedesk:ticket_detail", args=[ticket.pk])))
    response = http.post(
        url("ticket_time_add", ticket.pk),
        {"ticket_time-started_at": "2026-02-03T15:00", "ticket_time-ended_at": "2026-02-03T14:00"},
    )
    assert response.status_code == 422
    assert TimeEntry.objects.filter(ticket=ticket).count() == 1
    assert http.post(url("time_entry_delete", entry.pk)).status_code == 302
    assert not TimeEntry.objects.filter(ticket=ticket).exists()


def test_another_provider_cannot_log_time_on_a_ticket(tenant, other_tenant, login):
    ticket = helpers.ticket(tenant)
    http = login(other_tenant.technician)
    response = http.post(
        url("ticket_time_add", ticket.pk),
        {"ticket_time-started_at": "2026-02-03T14:00", "ticket_time-ended_at": "2026-02-03T14:45"},
    )
    assert response.status_code == 404
    assert not TimeEntry.objects.exists()


def test_choosing_a_client_loads_its_sites_contracts_and_equipment_only(tenant, login):
    contract = helpers.covered_contract(tenant)
    mine = helpers.asset(tenant, "PC-MINE")
    theirs = helpers.asset(tenant, "PC-THEIRS", client=tenant.other_client, site=None)
    http = login(tenant.technician)
    form = http.get(url("sheet_create"), {"client": tenant.client.pk, "title": "Réseau"}).context["form"]
    assert list(form.fields["assets"].queryset) == [mine] and theirs not in form.fields["assets"].queryset
    assert list(form.fields["contract"].queryset) == [contract]
    assert form.initial["contract"] == contract.pk and form.initial["title"] == "Réseau"
    assert list(form.fields["site"].queryset) == [tenant.site]
    empty = http.get(url("sheet_create")).context["form"]
    assert not empty.fields["site"].queryset.exists() and not empty.fields["assets"].queryset.exists()
