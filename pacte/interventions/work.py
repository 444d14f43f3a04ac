"""The work on a sheet: time entries (on a sheet or a ticket), parts, checklist, patches and files.

Every name here is also importable from :mod:`pacte.interventions.services` (the services interface).
The row lock of a sheet (:func:`sheet_for_update`) and the worker check live here so both modules
share them without an import cycle.

Rules a technician and a manager expect:

* a time entry keeps its raw start and end; the end is after the start, within 24 hours, not in the
  future; one technician cannot be in two places at once (an entry overlapping another of theirs, on
  any sheet or ticket, is refused naming it); the after-hours and weekend minutes are derived
  (:mod:`pacte.interventions.timing`);
* while the client's backup confirmation is required and still missing, no labour is logged and no part
  is fitted (travel and the check-in are allowed: the GTI measures the arrival);
* a part has a description and a positive quantity; its equipment is the client's;
* files are size-limited, type-sniffed (programs refused), stored under random names with their SHA-256.
"""

from __future__ import annotations

import datetime
import hashlib
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from pacte.assets.models import Asset
from pacte.audit.services import audit_record
from pacte.core.errors import ConflictError
from pacte.documents import storage
from pacte.interventions import timing
from pacte.interventions.models import (
    BackupCheck,
    ChecklistItem,
    Intervention,
    InterventionFile,
    Nature,
    Outcome,
    Part,
    PatchRecord,
    SheetStatus,
    TimeEntry,
)
from pacte.interventions.permissions import can_manage_interventions, can_work_interventions
from pacte.tenancy.models import PROVIDER_ROLES, Membership

#: How far in the future a time may be given (clocks of phones drift).
FUTURE_TOLERANCE = datetime.timedelta(minutes=5)
MAX_ENTRY = datetime.timedelta(hours=24)
MAX_QUANTITY = Decimal("9999999.99")
MAX_PRICE = Decimal("9999999999.99")
MAX_FILES_PER_SHEET = 100
CENT = Decimal("0.01")


def require_worker(actor: Membership) -> None:
    if not can_work_interventions(actor):
        raise PermissionDenied


def sheet_for_update(sheet: Intervention) -> Intervention:
    """The sheet's row, locked for the rest of the transaction; a signed or cancelled sheet is a 409."""
    locked = Intervention.objects.select_for_update().get(pk=sheet.pk)
    if locked.status == SheetStatus.SIGNED:
        raise ConflictError(_("This sheet is signed: it can no longer change. Create a correcting sheet instead."))
    if locked.status == SheetStatus.CANCELLED:
        raise ConflictError(_("This sheet is cancelled."))
    return locked


def lock_for_work(actor: Membership, sheet: Intervention) -> Intervention:
    """The worker check, the provider check and the sheet's row lock (409 when signed or cancelled)."""
    require_worker(actor)
    if sheet.provider_id != actor.provider_id:
        raise PermissionDenied
    return sheet_for_update(sheet)


def backup_missing(sheet: Intervention) -> bool:
    """True while the contract makes the client's backup confirmation blocking and it is not recorded."""
    return sheet.backup_blocking and sheet.backup_check == BackupCheck.PENDING


def backup_refusal() -> str:
    return _(
        "The client must confirm its backups before any work on site (or the provider's backup option must be "
        "recorded)."
    )


def _clean(value: Any, max_length: int) -> str:
    return str(value or "").replace("\x00", "").strip()[:max_length] if value is not None else ""


def _too_long(value: Any, max_length: int) -> bool:
    return len(str(value or "").strip()) > max_length


def in_future(at: datetime.datetime, now: datetime.datetime | None = None) -> bool:
    return at > (now or timezone.now()) + FUTURE_TOLERANCE


def _local(at: datetime.datetime, time_zone: str) -> str:
    from zoneinfo import ZoneInfo

    return at.astimezone(ZoneInfo(time_zone)).strftime("%d/%m/%Y %H:%M")


def _person(member: Membership) -> str:
    return member.user.get_full_name() or member.user.email


# Time entries ---------------------------------------------------------------------------------------


def _technician_error(actor: Membership, technician: Any) -> str:
    if (
        not isinstance(technician, Membership)
        or technician.provider_id != actor.provider_id
        or technician.role not in PROVIDER_ROLES
        or not technician.is_active
    ):
        return _("The time must be a technician's of the provider (an active member).")
    return ""


def _entry_subject_reference(entry: TimeEntry) -> str:
    if entry.intervention_id is not None and entry.intervention is not None:
        return entry.intervention.reference
    if entry.ticket is not None:
        return str(entry.ticket.reference)
    return ""


def _overlap_error(
    technician: Membership,
    start: datetime.datetime,
    end: datetime.datetime,
    time_zone: str,
    ignore_sheet_id: int | None,
) -> str:
    """An entry of ``technician`` overlapping ``[start, end)`` (any sheet, any ticket), named; else empty."""
    others = TimeEntry.objects.filter(technician_id=technician.pk, started_at__lt=end, ended_at__gt=start)
    if ignore_sheet_id is not None:
        others = others.exclude(intervention_id=ignore_sheet_id)
    other = others.select_related("intervention", "ticket").order_by("started_at", "id").first()
    if other is None:
        return ""
    return _(
        "%(technician)s already logged time from %(start)s to %(end)s on %(reference)s: entries of one technician "
        "cannot overlap."
    ) % {
        "technician": _person(technician),
        "start": _local(other.started_at, time_zone),
        "end": _local(other.ended_at, time_zone),
        "reference": _entry_subject_reference(other),
    }


@transaction.atomic
def time_entry_add(
    *,
    actor: Membership,
    technician: Membership,
    started_at: datetime.datetime,
    ended_at: datetime.datetime,
    nature: str = Nature.LABOUR,
    description: str = "",
    sheet: Intervention | None = None,
    ticket: Any = None,
) -> TimeEntry:
    """Log a technician's time on a sheet or (remote work) on a ticket; the split is derived, never typed."""
    from pacte.servicedesk.models import Ticket, TicketStatus
    from pacte.servicedesk.services import ticket_lock

    require_worker(actor)
    if (sheet is None) == (ticket is None):
        raise ValidationError({"__all__": _("Time is logged on a sheet or on a ticket.")})
    errors: dict[str, str] = {}
    if nature not in Nature.values:
        errors["nature"] = _("The nature is labour or travel.")
    if _too_long(description, 500):
        errors["description"] = _("The description is too long (at most 500 characters).")
    problem = _technician_error(actor, technician)
    if problem:
        errors["technician"] = problem
    if not isinstance(started_at, datetime.datetime) or timezone.is_naive(started_at):
        errors["started_at"] = _("Give the start as a date and time.")
    if not isinstance(ended_at, datetime.datetime) or timezone.is_naive(ended_at):
        errors["ended_at"] = _("Give the end as a date and time.")
    if "started_at" not in errors and "ended_at" not in errors:
        if ended_at <= started_at:
            errors["ended_at"] = _("The end must be after the start.")
        elif ended_at - started_at > MAX_ENTRY:
            errors["ended_at"] = _("One entry lasts at most 24 hours: split longer work.")
        elif in_future(ended_at):
            errors["ended_at"] = _("Time cannot be logged in the future.")
    if sheet is not None:
        if sheet.provider_id != actor.provider_id:
            raise PermissionDenied
        if errors:
            raise ValidationError(errors)
        sheet = sheet_for_update(sheet)
        if nature == Nature.LABOUR and backup_missing(sheet):
            raise ValidationError({"backup_check": backup_refusal()})
        client, site, contract = sheet.client, sheet.site, sheet.contract
        ignore_sheet_id = sheet.corrects_id
    else:
        if not isinstance(ticket, Ticket) or ticket.provider_id != actor.provider_id:
            raise PermissionDenied
        if errors:
            raise ValidationError(errors)
        ticket = ticket_lock(ticket)
        if ticket.status == TicketStatus.CLOSED:
            raise ConflictError(_("This ticket is closed."))
        client, site, contract = ticket.client, ticket.site, ticket.contract
        ignore_sheet_id = None
    time_zone = site.effective_time_zone if site is not None else client.time_zone
    # One technician's entries are checked and written one writer at a time (no two overlapping inserts).
    list(Membership.objects.select_for_update().filter(pk=technician.pk).order_by().values_list("pk", flat=True))
    overlap = _overlap_error(technician, started_at, ended_at, time_zone, ignore_sheet_id)
    if overlap:
        raise ValidationError({"started_at": overlap})
    calendar = timing.coverage_calendar(contract=contract, site=site, client=client, at=started_at)
    in_hours, after_hours, weekend = timing.split_minutes(calendar, started_at, ended_at)
    entry = TimeEntry.objects.create(
        provider_id=actor.provider_id,
        client=client,
        contract=contract,
        intervention=sheet,
        ticket=ticket,
        technician=technician,
        nature=nature,
        started_at=started_at,
        ended_at=ended_at,
        description=_clean(description, 500),
        minutes_in_hours=in_hours,
        minutes_after_hours=after_hours,
        minutes_weekend=weekend,
        created_by=actor,
    )
    if sheet is not None and not sheet.technicians.filter(pk=technician.pk).exists():
        sheet.technicians.add(technician)
    audit_record(
        actor=actor,
        action="intervention.time_entry_add",
        instance=entry,
        provider=actor.provider,
        after={
            "sheet": sheet.reference if sheet is not None else None,
            "ticket": ticket.reference if ticket is not None else None,
            "technician": technician.pk,
            "nature": nature,
            "started_at": started_at,
            "ended_at": ended_at,
            "minutes": [in_hours, after_hours, weekend],
        },
    )
    return entry


@transaction.atomic
def time_entry_delete(*, actor: Membership, entry: TimeEntry) -> None:
    """Remove an entry (a technician their own; a manager anyone's) of an editable sheet or an open ticket."""
    from pacte.servicedesk.models import TicketStatus
    from pacte.servicedesk.services import ticket_lock

    require_worker(actor)
    if entry.provider_id != actor.provider_id:
        raise PermissionDenied
    if not can_manage_interventions(actor) and actor.pk not in (entry.technician_id, entry.created_by_id):
        raise PermissionDenied
    subject: Any
    if entry.intervention_id is not None:
        subject = sheet_for_update(entry.intervention)  # type: ignore[arg-type]
    else:
        subject = ticket_lock(entry.ticket)  # type: ignore[arg-type]
        if subject.status == TicketStatus.CLOSED:
            raise ConflictError(_("This ticket is closed."))
    before = {
        "entry": entry.pk,
        "technician": entry.technician_id,
        "nature": entry.nature,
        "started_at": entry.started_at,
        "ended_at": entry.ended_at,
    }
    TimeEntry.objects.filter(pk=entry.pk).delete()
    audit_record(
        actor=actor, action="intervention.time_entry_delete", instance=subject, provider=actor.provider, before=before
    )


# Parts ----------------------------------------------------------------------------------------------


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _asset_error(sheet: Intervention, asset: Asset | None) -> str:
    if asset is None:
        return ""
    if not isinstance(asset, Asset) or asset.provider_id != sheet.provider_id or asset.client_id != sheet.client_id:
        return _("This equipment is not the client's.")
    return ""


@transaction.atomic
def part_add(
    *,
    actor: Membership,
    sheet: Intervention,
    description: str,
    quantity: Any,
    unit_price: Any = None,
    serial_out: str = "",
    serial_in: str = "",
    asset: Asset | None = None,
) -> Part:
    """A part replaced or supplied: a description, a positive quantity, a price (or none) and its serials."""
    require_worker(actor)
    if sheet.provider_id != actor.provider_id:
        raise PermissionDenied
    errors: dict[str, str] = {}
    description = " ".join(str(description or "").split())
    if not description:
        errors["description"] = _("Describe the part.")
    elif len(description) > 200:
        errors["description"] = _("The description is too long (at most 200 characters).")
    number = _decimal(quantity)
    if number is None:
        errors["quantity"] = _("Give the quantity as a number.")
    elif number <= 0:
        errors["quantity"] = _("The quantity must be more than zero.")
    elif number > MAX_QUANTITY or number != number.quantize(Decimal("0.01")):
        errors["quantity"] = _("The quantity has at most two decimals and 7 digits.")
    price = _decimal(unit_price)
    if unit_price not in (None, "") and price is None:
        errors["unit_price"] = _("Give the price as a number.")
    elif price is not None and price < 0:
        errors["unit_price"] = _("The price cannot be negative.")
    elif price is not None and (price > MAX_PRICE or price != price.quantize(Decimal("0.01"))):
        errors["unit_price"] = _("The price has at most two decimals.")
    for name, serial in (("serial_out", serial_out), ("serial_in", serial_in)):
        if _too_long(serial, 100):
            errors[name] = _("A serial number has at most 100 characters.")
    problem = _asset_error(sheet, asset)
    if problem:
        errors["asset"] = problem
    if errors:
        raise ValidationError(errors)
    assert number is not None  # checked above
    sheet = sheet_for_update(sheet)
    if backup_missing(sheet):
        raise ValidationError({"backup_check": backup_refusal()})
    part = Part.objects.create(
        intervention=sheet,
        asset=asset,
        description=description,
        quantity=number.quantize(CENT),
        unit_price=price.quantize(CENT) if price is not None else None,
        serial_out=_clean(serial_out, 100),
        serial_in=_clean(serial_in, 100),
    )
    audit_record(
        actor=actor,
        action="intervention.part_add",
        instance=sheet,
        provider=actor.provider,
        after={
            "part": part.pk,
            "description": description,
            "quantity": number,
            "unit_price": price,
            "serial_out": part.serial_out,
            "serial_in": part.serial_in,
            "asset": getattr(asset, "pk", None),
        },
    )
    return part


@transaction.atomic
def part_remove(*, actor: Membership, part: Part) -> None:
    sheet = lock_for_work(actor, part.intervention)
    before = {"part": part.pk, "description": part.description, "quantity": part.quantity}
    Part.objects.filter(pk=part.pk, intervention_id=sheet.pk).delete()
    audit_record(actor=actor, action="intervention.part_remove", instance=sheet, provider=actor.provider, before=before)


# Checklist and patches -----------------------------------------------------------------------------


@transaction.atomic
def checklist_add(
    *, actor: Membership, sheet: Intervention, label: str, asset: Asset | None = None, code: str = ""
) -> ChecklistItem:
    """One more check on the sheet (for one piece of equipment when ``asset`` is given)."""
    require_worker(actor)
    if sheet.provider_id != actor.provider_id:
        raise PermissionDenied
    errors: dict[str, str] = {}
    label = " ".join(str(label or "").split())
    if not label:
        errors["label"] = _("Name the check.")
    elif len(label) > 200:
        errors["label"] = _("The check's name is too long (at most 200 characters).")
    code = (slugify(code or label) or "check")[:40]
    problem = _asset_error(sheet, asset)
    if problem:
        errors["asset"] = problem
    if errors:
        raise ValidationError(errors)
    sheet = sheet_for_update(sheet)
    if ChecklistItem.objects.filter(intervention_id=sheet.pk, asset=asset, code=code).exists():
        raise ValidationError({"label": _("This check is already on the sheet.")})
    last = ChecklistItem.objects.filter(intervention_id=sheet.pk).aggregate(last=Max("position"))["last"]
    item = ChecklistItem.objects.create(
        intervention=sheet, asset=asset, code=code, label=label, position=(last or 0) + 1
    )
    audit_record(
        actor=actor,
        action="intervention.checklist_add",
        instance=sheet,
        provider=actor.provider,
        after={"item": item.pk, "code": code, "label": label, "asset": getattr(asset, "pk", None)},
    )
    return item


@transaction.atomic
def checklist_set(*, actor: Membership, item: ChecklistItem, outcome: str, note: str = "") -> ChecklistItem:
    """Record a check's outcome (to do, OK, issue found, not applicable) and a note."""
    errors: dict[str, str] = {}
    if outcome not in Outcome.values:
        errors["outcome"] = _("Choose an outcome: to do, OK, issue found or not applicable.")
    if _too_long(note, 500):
        errors["note"] = _("The note is too long (at most 500 characters).")
    require_worker(actor)
    if item.intervention.provider_id != actor.provider_id:
        raise PermissionDenied
    if errors:
        raise ValidationError(errors)
    sheet = sheet_for_update(item.intervention)
    before = {"outcome": item.outcome, "note": item.note}
    item.outcome = outcome
    item.note = _clean(note, 500)
    item.save(update_fields=["outcome", "note"])
    audit_record(
        actor=actor,
        action="intervention.checklist_set",
        instance=sheet,
        provider=actor.provider,
        before={"item": item.pk, **before},
        after={"item": item.pk, "outcome": item.outcome, "note": item.note},
    )
    return item


@transaction.atomic
def patch_add(
    *,
    actor: Membership,
    sheet: Intervention,
    asset: Asset,
    reference: str,
    title: str = "",
    installed_at: datetime.datetime | None = None,
) -> PatchRecord:
    """An update installed on one of the client's assets (it shows in the asset's history)."""
    require_worker(actor)
    if sheet.provider_id != actor.provider_id:
        raise PermissionDenied
    errors: dict[str, str] = {}
    reference = " ".join(str(reference or "").split())
    if not reference:
        errors["reference"] = _("Give the update's reference (e.g. KB5031356).")
    elif len(reference) > 100:
        errors["reference"] = _("The reference is too long (at most 100 characters).")
    if _too_long(title, 200):
        errors["title"] = _("The title is too long (at most 200 characters).")
    if asset is None:
        errors["asset"] = _("Choose the equipment the update was installed on.")
    else:
        problem = _asset_error(sheet, asset)
        if problem:
            errors["asset"] = problem
    now = timezone.now()
    installed_at = installed_at or now
    if timezone.is_naive(installed_at):
        errors["installed_at"] = _("Give the date and time of the installation.")
    elif in_future(installed_at, now):
        errors["installed_at"] = _("An update cannot be installed in the future.")
    if errors:
        raise ValidationError(errors)
    sheet = sheet_for_update(sheet)
    record = PatchRecord.objects.create(
        intervention=sheet, asset=asset, reference=reference, title=_clean(title, 200), installed_at=installed_at
    )
    if not sheet.assets.filter(pk=asset.pk).exists():
        sheet.assets.add(asset)
    audit_record(
        actor=actor,
        action="intervention.patch_add",
        instance=sheet,
        provider=actor.provider,
        after={"patch": record.pk, "asset": asset.pk, "reference": reference, "installed_at": installed_at},
    )
    return record


# Files ----------------------------------------------------------------------------------------------


@transaction.atomic
def file_add(*, actor: Membership, sheet: Intervention, filename: str, data: bytes) -> InterventionFile:
    """A photo or file on the sheet: size-limited, type-sniffed, stored under a random name with its SHA-256."""
    from pacte.servicedesk import content

    require_worker(actor)
    if sheet.provider_id != actor.provider_id:
        raise PermissionDenied
    name = content.safe_filename(filename)
    if not data:
        raise ValidationError({"file": _("The file is empty.")})
    if content.attachment_too_large(len(data)):
        raise ValidationError({"file": _("“%(name)s” is too large.") % {"name": name}})
    sniffed = content.sniff_attachment(data, filename)
    if sniffed.refused:
        raise ValidationError({"file": f"{name}: {sniffed.reason}"})
    sheet = sheet_for_update(sheet)
    if InterventionFile.objects.filter(intervention_id=sheet.pk).count() >= MAX_FILES_PER_SHEET:
        raise ValidationError({"file": _("A sheet holds at most 100 files.")})
    at = timezone.now()
    storage_name = storage.new_storage_name(provider_id=sheet.provider_id, year=at.year, extension=".bin")
    storage.write_new(storage_name, data)
    try:
        with transaction.atomic():
            record = InterventionFile.objects.create(
                intervention=sheet,
                created_at=at,
                filename=name[:160],
                content_type=sniffed.content_type[:100],
                size=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
                storage_name=storage_name,
                uploaded_by=actor,
            )
            audit_record(
                actor=actor,
                action="intervention.file_add",
                instance=sheet,
                provider=actor.provider,
                after={"file": record.filename, "sha256": record.sha256, "size": record.size},
            )
    except BaseException:
        storage.remove_unreferenced(storage_name)
        raise
    return record


def file_content(record: InterventionFile) -> bytes:
    """The stored bytes (the caller has scoped ``record`` to its actor)."""
    return storage.read(record.storage_name)
