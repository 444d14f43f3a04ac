"""The sheet's lifecycle: change, check in and out, backup duty, parts, checklist, patches, files, done,
cancelled, corrected; and who sees which sheet (selectors)."""

from __future__ import annotations

import datetime
import hashlib
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone, translation

from pacte.audit.models import AuditEvent
from pacte.core.errors import ConflictError
from pacte.documents import storage
from pacte.interventions import selectors, services
from pacte.interventions.models import (
    BackupCheck,
    ChecklistItem,
    Intervention,
    InterventionFile,
    Mode,
    Outcome,
    Part,
    PatchRecord,
    Result,
    SheetStatus,
    TimeEntry,
)
from pacte.interventions.tests import helpers
from pacte.servicedesk.models import EventKind
from pacte.sla import clock as sla_clock
from pacte.sla import services as sla_services

PARIS = ZoneInfo("Europe/Paris")
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """The services' messages are checked in their English source text (the catalogue is French first)."""
    with translation.override("en"):
        yield


def ago(**delta: float) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(**delta)


def audits(action: str) -> int:
    return AuditEvent.objects.filter(action=action).count()


def sign(sheet: Intervention) -> Intervention:
    """A signed sheet, as helper B's signing leaves it (the signing itself is tested there)."""
    Intervention.objects.filter(pk=sheet.pk).update(status=SheetStatus.SIGNED, signed_at=timezone.now())
    sheet.refresh_from_db()
    return sheet


def ready(tenant, **kwargs) -> Intervention:
    """A remote sheet checked in and out, with its actions, result and an hour of time: ready to be done."""
    sheet = helpers.sheet(tenant, mode=Mode.REMOTE, **kwargs)
    start = ago(hours=3)
    services.sheet_check_in(actor=tenant.technician, sheet=sheet, at=start)
    services.time_entry_add(
        actor=tenant.technician,
        technician=tenant.technician,
        started_at=start,
        ended_at=start + datetime.timedelta(hours=1),
        sheet=sheet,
    )
    services.sheet_check_out(actor=tenant.technician, sheet=sheet, at=start + datetime.timedelta(hours=1))
    return services.sheet_update(
        actor=tenant.technician, sheet=sheet, actions="Pilote réinstallé", result=Result.RESOLVED
    )


# Changing a sheet ---------------------------------------------------------------------------------------


def test_update_changes_the_work_and_records_what_changed(tenant):
    sheet = helpers.sheet(tenant)
    disk = helpers.asset(tenant, "SN-1")
    sheet = services.sheet_update(
        actor=tenant.technician,
        sheet=sheet,
        title="  Disque   du serveur ",
        diagnosis="Disque usé",
        actions="Disque remplacé",
        result=Result.RESOLVED,
        assets=[disk],
        travel_minutes=45,
        travel_km="32,5",
        follow_up_needed=True,
    )
    sheet.refresh_from_db()
    assert sheet.title == "Disque du serveur"
    assert (sheet.diagnosis, sheet.actions, sheet.result) == ("Disque usé", "Disque remplacé", "resolved")
    assert (sheet.travel_minutes, sheet.travel_km, sheet.follow_up_needed) == (45, Decimal("32.5"), True)
    assert list(sheet.assets.all()) == [disk]
    event = AuditEvent.objects.get(action="intervention.update")
    assert event.after is not None and event.before is not None
    assert event.after["diagnosis"] == "Disque usé" and event.before["diagnosis"] == ""
    assert event.after["assets"] == [disk.pk]


def test_update_refuses_bad_input_and_changes_nothing(tenant, other_tenant):
    sheet = helpers.sheet(tenant)
    foreign = helpers.asset(tenant, "SN-OTHER", client=tenant.other_client, site=None)
    with pytest.raises(ValidationError) as error:
        services.sheet_update(
            actor=tenant.technician,
            sheet=sheet,
            title=" ",
            result="perfect",
            travel_minutes=-5,
            travel_km="far",
            travel_zone="Z9",
            assets=[foreign],
            technicians=[tenant.client_user],
            signed_at=timezone.now(),
            returned_at=timezone.now() + datetime.timedelta(hours=1),
        )
    fields = set(error.value.message_dict)
    assert fields == {
        "title",
        "result",
        "travel_minutes",
        "travel_km",
        "travel_zone",
        "assets",
        "technicians",
        "signed_at",
        "returned_at",
    }
    sheet.refresh_from_db()
    assert sheet.title == "Remplacement du disque du serveur" and sheet.result == ""
    assert not AuditEvent.objects.filter(action="intervention.update").exists()
    with pytest.raises(PermissionDenied):
        services.sheet_update(actor=other_tenant.technician, sheet=sheet, title="x")
    with pytest.raises(PermissionDenied):
        services.sheet_update(actor=tenant.client_manager, sheet=sheet, title="x")


def test_travel_zone_must_be_one_of_the_contracts(tenant):
    contract = helpers.contract_in_force(tenant, travel={"zones": [{"code": "Z1", "label": "Metz", "fee": "30.00"}]})
    sheet = helpers.sheet(tenant, mode=Mode.REMOTE, contract=contract)
    with pytest.raises(ValidationError) as error:
        services.sheet_update(actor=tenant.technician, sheet=sheet, travel_zone="Z2")
    assert "travel_zone" in error.value.message_dict
    assert services.sheet_update(actor=tenant.technician, sheet=sheet, travel_zone="Z1").travel_zone == "Z1"


def test_workshop_return_after_drop_off(tenant):
    sheet = helpers.sheet(tenant, mode=Mode.ON_SITE)
    with pytest.raises(ValidationError) as error:
        services.sheet_update(
            actor=tenant.technician, sheet=sheet, dropped_off_at=ago(hours=2), returned_at=ago(hours=3)
        )
    assert "returned_at" in error.value.message_dict


def test_a_signed_sheet_is_locked_409_and_nothing_changes(tenant):
    sheet = sign(ready(tenant))
    part_count, entries = Part.objects.count(), TimeEntry.objects.count()
    attempts = [
        lambda: services.sheet_update(actor=tenant.technician, sheet=sheet, actions="Autre chose"),
        lambda: services.sheet_check_out(actor=tenant.technician, sheet=sheet),
        lambda: services.part_add(actor=tenant.technician, sheet=sheet, description="Câble", quantity=1),
        lambda: services.time_entry_add(
            actor=tenant.technician,
            technician=tenant.technician,
            started_at=ago(hours=1),
            ended_at=ago(minutes=30),
            sheet=sheet,
        ),
        lambda: services.sheet_cancel(actor=tenant.manager, sheet=sheet, reason="Erreur"),
        lambda: services.backup_confirm(actor=tenant.technician, sheet=sheet, check="provider_option"),
        lambda: services.sheet_mark_done(actor=tenant.technician, sheet=sheet),
        lambda: services.time_entry_delete(actor=tenant.manager, entry=sheet.time_entries.get()),
    ]
    for attempt in attempts:
        with pytest.raises(ConflictError):
            attempt()
    sheet.refresh_from_db()
    assert sheet.actions == "Pilote réinstallé" and sheet.status == SheetStatus.SIGNED
    assert (Part.objects.count(), TimeEntry.objects.count()) == (part_count, entries)


# Check-in and check-out ---------------------------------------------------------------------------------


def test_check_in_starts_the_work_and_twice_is_a_no_op(tenant):
    sheet = helpers.sheet(tenant, technicians=[])
    at = ago(minutes=20)
    sheet = services.sheet_check_in(actor=tenant.technician, sheet=sheet, at=at)
    assert (sheet.status, sheet.checked_in_at) == (SheetStatus.IN_PROGRESS, at)
    assert list(sheet.technicians.all()) == [tenant.technician]
    again = services.sheet_check_in(actor=tenant.technician, sheet=sheet)
    assert again.checked_in_at == at
    assert audits("intervention.check_in") == 1


def test_check_in_defaults_to_now_and_refuses_the_future(tenant):
    sheet = helpers.sheet(tenant)
    with pytest.raises(ValidationError) as error:
        services.sheet_check_in(actor=tenant.technician, sheet=sheet, at=timezone.now() + datetime.timedelta(hours=1))
    assert "checked_in_at" in error.value.message_dict
    sheet.refresh_from_db()
    assert sheet.status == SheetStatus.PLANNED and sheet.checked_in_at is None
    before = timezone.now()
    sheet = services.sheet_check_in(
        actor=tenant.technician, sheet=sheet, at=timezone.now() + datetime.timedelta(minutes=2)
    )
    assert sheet.checked_in_at is not None and sheet.checked_in_at >= before


def test_check_out_needs_a_check_in_before_it(tenant):
    sheet = helpers.sheet(tenant)
    with pytest.raises(ValidationError) as error:
        services.sheet_check_out(actor=tenant.technician, sheet=sheet)
    assert "checked_out_at" in error.value.message_dict
    services.sheet_check_in(actor=tenant.technician, sheet=sheet, at=ago(hours=1))
    with pytest.raises(ValidationError):
        services.sheet_check_out(actor=tenant.technician, sheet=sheet, at=ago(hours=2))
    sheet.refresh_from_db()
    assert sheet.checked_out_at is None
    out = ago(minutes=5)
    assert services.sheet_check_out(actor=tenant.technician, sheet=sheet, at=out).checked_out_at == out


def test_check_in_on_a_ticket_meets_its_intervention_target(tenant):
    calendar = sla_services.calendar_create(
        actor=tenant.manager, name="24/7", week={d: [["00:00", "24:00"]] for d in helpers.WEEK}
    )
    level = sla_services.service_level_create(
        actor=tenant.manager,
        name="GTI 4h",
        calendar=calendar,
        targets=[
            {"priority": "P3", "kind": "response", "seconds": 3600},
            {"priority": "P3", "kind": "intervention", "seconds": 4 * 3600},
        ],
    )
    contract = helpers.contract_in_force(tenant, service_level=level.pk)
    ticket = helpers.ticket(tenant, site=tenant.site)
    assert ticket.contract_id == contract.pk and ticket.intervention_due is not None
    sheet = helpers.sheet(tenant, ticket=ticket, mode=Mode.REMOTE)
    assert sheet.contract_id == contract.pk
    services.sheet_check_in(actor=tenant.technician, sheet=sheet)
    from pacte.servicedesk.clock import ticket_clock

    ticket.refresh_from_db()
    assert ticket.events.filter(kind=EventKind.INTERVENTION_STARTED).count() == 1
    outcome = ticket_clock(ticket).targets[sla_clock.TargetKind.INTERVENTION]
    assert outcome.state is sla_clock.TargetState.MET
    assert ticket.status == "in_progress"
    # Checking in again does not log a second start.
    services.sheet_check_in(actor=tenant.technician, sheet=sheet)
    assert ticket.events.filter(kind=EventKind.INTERVENTION_STARTED).count() == 1


# The backup duty -----------------------------------------------------------------------------------------


def blocking_sheet(tenant, contract=None) -> Intervention:
    contract = contract or helpers.covered_contract(tenant)  # backup_duty: the client's, blocking (default terms)
    sheet = helpers.sheet(tenant, contract=contract)
    assert sheet.backup_blocking and sheet.backup_check == BackupCheck.PENDING
    return sheet


def test_blocking_backup_refuses_labour_parts_and_done_but_not_the_check_in(tenant):
    sheet = blocking_sheet(tenant)
    services.sheet_check_in(actor=tenant.technician, sheet=sheet, at=ago(hours=2))
    start = ago(hours=2)
    with pytest.raises(ValidationError) as error:
        services.time_entry_add(
            actor=tenant.technician,
            technician=tenant.technician,
            started_at=start,
            ended_at=start + datetime.timedelta(minutes=30),
            sheet=sheet,
        )
    assert "backup" in error.value.message_dict["backup_check"][0].lower()
    with pytest.raises(ValidationError) as error:
        services.part_add(actor=tenant.technician, sheet=sheet, description="Disque", quantity=1)
    assert "backup_check" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.sheet_mark_done(actor=tenant.technician, sheet=sheet)
    assert "backup_check" in error.value.message_dict
    # Travel is not work on the client's data.
    services.time_entry_add(
        actor=tenant.technician,
        technician=tenant.technician,
        started_at=start - datetime.timedelta(hours=1),
        ended_at=start,
        nature="travel",
        sheet=sheet,
    )
    assert not Part.objects.exists() and TimeEntry.objects.filter(nature="labour").count() == 0
    services.backup_confirm(
        actor=tenant.technician, sheet=sheet, check=BackupCheck.CLIENT_CONFIRMED, confirmed_by=" Mme  Durand "
    )
    services.part_add(actor=tenant.technician, sheet=sheet, description="Disque", quantity=1)
    sheet.refresh_from_db()
    assert (sheet.backup_check, sheet.backup_confirmed_by) == ("client_confirmed", "Mme Durand")
    assert sheet.backup_confirmed_at is not None
    assert audits("intervention.backup_confirm") == 1


def test_backup_confirmation_rules(tenant):
    sheet = blocking_sheet(tenant)
    with pytest.raises(ValidationError) as error:
        services.backup_confirm(actor=tenant.technician, sheet=sheet, check=BackupCheck.CLIENT_CONFIRMED)
    assert "confirmed_by" in error.value.message_dict
    for check in ("pending", "whatever"):
        with pytest.raises(ValidationError):
            services.backup_confirm(actor=tenant.technician, sheet=sheet, check=check, confirmed_by="x")
    # A technician cannot waive a blocking duty; a manager can.
    with pytest.raises(ValidationError):
        services.backup_confirm(actor=tenant.technician, sheet=sheet, check=BackupCheck.NOT_NEEDED)
    sheet.refresh_from_db()
    assert sheet.backup_check == BackupCheck.PENDING and sheet.backup_confirmed_at is None
    assert services.backup_confirm(actor=tenant.manager, sheet=sheet, check=BackupCheck.NOT_NEEDED).backup_check == (
        "not_needed"
    )
    # The provider's option records who made it.
    other = blocking_sheet(tenant, sheet.contract)
    other = services.backup_confirm(actor=tenant.technician, sheet=other, check=BackupCheck.PROVIDER_OPTION)
    assert other.backup_confirmed_by == (tenant.technician.user.get_full_name() or tenant.technician.user.email)
    with pytest.raises(PermissionDenied):
        services.backup_confirm(actor=tenant.client_manager, sheet=other, check=BackupCheck.PROVIDER_OPTION)


# Parts, checklist, patches, files -------------------------------------------------------------------------


def test_part_rules(tenant):
    sheet = helpers.sheet(tenant, mode=Mode.REMOTE)
    disk = helpers.asset(tenant, "SN-1")
    part = services.part_add(
        actor=tenant.technician,
        sheet=sheet,
        description="  Disque  SSD ",
        quantity="2",
        unit_price="89.90",
        serial_out=" OLD-1 ",
        serial_in=" NEW-1\n",
        asset=disk,
    )
    assert (part.description, part.quantity, part.unit_price) == ("Disque SSD", Decimal("2"), Decimal("89.90"))
    assert (part.serial_out, part.serial_in, part.asset) == ("OLD-1", "NEW-1", disk)
    assert services.part_add(actor=tenant.technician, sheet=sheet, description="Câble", quantity=1).unit_price is None
    foreign = helpers.asset(tenant, "SN-OTHER", client=tenant.other_client, site=None)
    bad: list[tuple[dict[str, Any], str]] = [
        ({"description": "", "quantity": 1}, "description"),
        ({"description": "Disque", "quantity": -1}, "quantity"),
        ({"description": "Disque", "quantity": 0}, "quantity"),
        ({"description": "Disque", "quantity": "beaucoup"}, "quantity"),
        ({"description": "Disque", "quantity": "0.001"}, "quantity"),
        ({"description": "Disque", "quantity": 1, "unit_price": "-1"}, "unit_price"),
        ({"description": "Disque", "quantity": 1, "asset": foreign}, "asset"),
        ({"description": "Disque", "quantity": 1, "serial_in": "x" * 101}, "serial_in"),
    ]
    for kwargs, field in bad:
        with pytest.raises(ValidationError) as error:
            services.part_add(actor=tenant.technician, sheet=sheet, **kwargs)
        assert field in error.value.message_dict, kwargs
    assert Part.objects.count() == 2
    services.part_remove(actor=tenant.technician, part=part)
    assert Part.objects.count() == 1
    assert audits("intervention.part_add") == 2 and audits("intervention.part_remove") == 1


def test_checklist_and_patches(tenant):
    sheet = helpers.sheet(tenant, mode=Mode.REMOTE)
    server = helpers.asset(tenant, "SN-1")
    item = services.checklist_add(actor=tenant.technician, sheet=sheet, label="Mises à jour du système", asset=server)
    assert (item.code, item.position, item.outcome) == ("mises-a-jour-du-systeme", 1, Outcome.PENDING)
    with pytest.raises(ValidationError):
        services.checklist_add(actor=tenant.technician, sheet=sheet, label="Mises à jour du système", asset=server)
    second = services.checklist_add(actor=tenant.technician, sheet=sheet, label="Antivirus", code="antivirus")
    assert second.position == 2
    with pytest.raises(ValidationError) as error:
        services.checklist_set(actor=tenant.technician, item=item, outcome="great")
    assert "outcome" in error.value.message_dict
    item = services.checklist_set(actor=tenant.technician, item=item, outcome=Outcome.ISSUE, note=" KB en échec ")
    assert (ChecklistItem.objects.get(pk=item.pk).outcome, item.note) == ("issue", "KB en échec")

    foreign = helpers.asset(tenant, "SN-OTHER", client=tenant.other_client, site=None)
    with pytest.raises(ValidationError) as error:
        services.patch_add(actor=tenant.technician, sheet=sheet, asset=foreign, reference="KB1")
    assert "asset" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.patch_add(actor=tenant.technician, sheet=sheet, asset=server, reference="  ")
    assert "reference" in error.value.message_dict
    record = services.patch_add(actor=tenant.technician, sheet=sheet, asset=server, reference="KB5031356")
    assert PatchRecord.objects.get().reference == "KB5031356" and record.installed_at <= timezone.now()
    assert server in sheet.assets.all()


def test_files_are_sniffed_limited_and_hashed(tenant, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.PACTE_MAX_ATTACHMENT_BYTES = 1024
    sheet = helpers.sheet(tenant, mode=Mode.REMOTE)
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    record = services.file_add(actor=tenant.technician, sheet=sheet, filename="../../photo<1>.png", data=png)
    assert "/" not in record.filename and record.filename.endswith(".png")
    assert record.sha256 == hashlib.sha256(png).hexdigest() and record.size == len(png)
    assert storage.read(record.storage_name) == png
    with pytest.raises(ValidationError):
        services.file_add(actor=tenant.technician, sheet=sheet, filename="big.txt", data=b"a" * 2000)
    with pytest.raises(ValidationError):
        services.file_add(
            actor=tenant.technician, sheet=sheet, filename="facture.pdf", data=b"MZ\x90\x00" + b"\0" * 200
        )
    assert InterventionFile.objects.count() == 1


# Done, missing fields, cancel, correct -------------------------------------------------------------------


def test_missing_fields_say_what_signing_needs(tenant):
    sheet = helpers.sheet(
        tenant,
        mode=Mode.WORKSHOP,
        contract=helpers.contract_in_force(tenant, intervention_modes=["workshop", "on_site"]),
    )
    missing = services.sheet_missing_fields(sheet)
    assert set(missing) == {"actions", "result", "checked_in_at", "checked_out_at", "dropped_off_at", "time_entries"}
    blocking = blocking_sheet(tenant)
    assert "backup_check" in services.sheet_missing_fields(blocking)
    assert services.sheet_missing_fields(ready(tenant)) == {}


def test_mark_done_needs_a_complete_sheet(tenant):
    sheet = helpers.sheet(tenant, mode=Mode.REMOTE)
    services.sheet_check_in(actor=tenant.technician, sheet=sheet, at=ago(hours=1))
    with pytest.raises(ValidationError) as error:
        services.sheet_mark_done(actor=tenant.technician, sheet=sheet)
    assert {"actions", "result", "checked_out_at", "time_entries"} <= set(error.value.message_dict)
    sheet.refresh_from_db()
    assert sheet.status == SheetStatus.IN_PROGRESS
    done = services.sheet_mark_done(actor=tenant.technician, sheet=ready(tenant))
    assert done.status == SheetStatus.DONE
    assert services.sheet_mark_done(actor=tenant.technician, sheet=done).status == SheetStatus.DONE
    assert audits("intervention.done") == 1


def test_cancel_needs_a_reason_and_not_a_signed_sheet(tenant):
    sheet = helpers.sheet(tenant)
    with pytest.raises(ValidationError) as error:
        services.sheet_cancel(actor=tenant.manager, sheet=sheet, reason="  ")
    assert "reason" in error.value.message_dict
    sheet = services.sheet_cancel(actor=tenant.manager, sheet=sheet, reason="Client absent")
    assert (sheet.status, sheet.cancelled_reason) == (SheetStatus.CANCELLED, "Client absent")
    with pytest.raises(ConflictError):
        services.sheet_cancel(actor=tenant.manager, sheet=sheet, reason="Encore")
    with pytest.raises(ConflictError):
        services.sheet_cancel(actor=tenant.manager, sheet=sign(helpers.sheet(tenant)), reason="Trop tard")


def test_correct_only_a_signed_sheet_with_a_linked_copy(tenant):
    server = helpers.asset(tenant, "SN-1")
    original = ready(tenant, assets=[server])
    with pytest.raises(ConflictError):
        services.sheet_correct(actor=tenant.technician, sheet=original)
    original = sign(original)
    correction = services.sheet_correct(actor=tenant.technician, sheet=original)
    assert correction.corrects == original and correction.pk != original.pk
    assert correction.reference != original.reference
    assert correction.title.startswith(f"Correction of {original.reference}") or original.reference in correction.title
    assert (correction.client, correction.site, correction.mode) == (original.client, original.site, original.mode)
    assert list(correction.assets.all()) == [server]
    assert list(correction.technicians.all()) == [tenant.technician]
    assert correction.actions == original.actions and correction.status == SheetStatus.IN_PROGRESS
    assert correction.time_entries.count() == 0
    # The correction logs the same hour again (it replaces the original's time): no overlap with it.
    entry = original.time_entries.get()
    services.time_entry_add(
        actor=tenant.technician,
        technician=tenant.technician,
        started_at=entry.started_at,
        ended_at=entry.ended_at,
        sheet=correction,
    )
    assert audits("intervention.correct") == 1


# Who sees which sheet ------------------------------------------------------------------------------------


def test_scope_staff_all_clients_their_own_not_cancelled(tenant, other_tenant):
    mine = helpers.sheet(tenant)
    cancelled = services.sheet_cancel(actor=tenant.manager, sheet=helpers.sheet(tenant), reason="Doublon")
    other_client = helpers.sheet(tenant, client=tenant.other_client, site=None)
    foreign = helpers.sheet(other_tenant)
    staff_ids = set(selectors.sheet_list(actor=tenant.technician).values_list("pk", flat=True))
    assert staff_ids == {mine.pk, cancelled.pk, other_client.pk}
    for member in (tenant.client_manager, tenant.client_user):
        assert list(selectors.sheet_list(actor=member)) == [mine]
        assert selectors.sheet_get(actor=member, pk=mine.pk) == mine
        for hidden in (cancelled, other_client, foreign):
            with pytest.raises(Http404):
                selectors.sheet_get(actor=member, pk=hidden.pk)
    assert list(selectors.sheet_list(actor=tenant.other_client_manager)) == [other_client]
    with pytest.raises(Http404):
        selectors.sheet_get(actor=other_tenant.admin, pk=mine.pk)
    part = services.part_add(actor=tenant.technician, sheet=mine, description="Câble", quantity=1)
    assert selectors.part_get(actor=tenant.manager, pk=part.pk) == part
    for member in (tenant.client_manager, other_tenant.admin):
        with pytest.raises(Http404):
            selectors.part_get(actor=member, pk=part.pk)


def test_list_filters(tenant):
    a = helpers.sheet(tenant, title="Serveur de fichiers")
    b = helpers.sheet(tenant, title="Imprimante", technicians=[tenant.manager])
    services.sheet_check_in(actor=tenant.manager, sheet=b)
    c = helpers.sheet(tenant, client=tenant.other_client, site=None, title="Pare-feu")
    actor = tenant.manager
    assert set(selectors.sheet_list(actor=actor, status="in_progress")) == {b}
    assert set(selectors.sheet_list(actor=actor, client_id=tenant.other_client.pk)) == {c}
    assert set(selectors.sheet_list(actor=actor, technician_id=tenant.manager.pk)) == {b}
    assert set(selectors.sheet_list(actor=actor, search="fichiers")) == {a}
    assert set(selectors.sheet_list(actor=actor, search=c.reference)) == {c}
    today = timezone.localdate()
    assert set(selectors.sheet_list(actor=actor, date_from=today, date_to=today)) == {a, b, c}
    assert set(selectors.sheet_list(actor=actor, date_to=today - datetime.timedelta(days=1))) == set()


def test_sheet_list_is_a_bounded_number_of_queries(tenant, django_assert_max_num_queries):
    def rows() -> list:
        return [
            (s.reference, s.client.name, s.site, [t.user.email for t in s.technicians.all()])
            for s in selectors.sheet_list(actor=tenant.manager)
        ]

    for _ in range(3):
        helpers.sheet(tenant, technicians=[tenant.technician, tenant.manager])
    with django_assert_max_num_queries(3):
        assert len(rows()) == 3
    for _ in range(20):
        helpers.sheet(tenant, technicians=[tenant.technician, tenant.manager])
    with django_assert_max_num_queries(3):
        assert len(rows()) == 23
