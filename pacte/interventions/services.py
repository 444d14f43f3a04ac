"""Intervention sheets: create, change, check in and out, time, parts, checklist — a signed sheet never changes.

Every function takes the actor first, checks what the actor may do, validates everything before
writing and runs in one transaction (nothing half-saved). ``sheet_for_update`` locks the row and
refuses a locked (signed or cancelled) sheet with a ``ConflictError`` (409).
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pacte.assets.models import Asset
from pacte.audit.services import audit_record
from pacte.contracts.models import Contract
from pacte.contracts.selectors import contract_terms_at
from pacte.core.errors import ConflictError
from pacte.core.sequences import sequence_next
from pacte.interventions.models import (
    BackupCheck,
    Intervention,
    InterventionSequence,
    Mode,
    PreventiveVisit,
    Result,
    SheetStatus,
)
from pacte.interventions.permissions import can_manage_interventions
from pacte.interventions.work import (
    FUTURE_TOLERANCE,
    backup_missing,
    backup_refusal,
    checklist_add,
    checklist_set,
    file_add,
    file_content,
    in_future,
    lock_for_work,
    part_add,
    part_remove,
    patch_add,
    require_worker,
    sheet_for_update,
    time_entry_add,
    time_entry_delete,
)
from pacte.tenancy.models import PROVIDER_ROLES, Client, Membership, Site

TITLE_MAX = 200


def next_reference(provider_id: int, year: int) -> str:
    """``INT-2026-00042``: the next number of the provider's year, allocated under a row lock."""
    return f"INT-{year}-{sequence_next(InterventionSequence, provider_id=provider_id, year=year):05d}"


def _check_scope(
    actor: Membership,
    client: Client,
    site: Site | None,
    contract: Contract | None,
    assets: Sequence[Asset],
    technicians: Sequence[Membership],
) -> dict[str, str]:
    """Everything named must be the actor's provider's and the client's; errors by field."""
    errors: dict[str, str] = {}
    if client.provider_id != actor.provider_id:
        raise PermissionDenied
    if client.archived_at is not None:
        errors["client"] = _("This client is archived.")
    if site is not None and (site.client_id != client.pk or site.provider_id != actor.provider_id):
        errors["site"] = _("This site is not one of the client's.")
    if contract is not None and (contract.client_id != client.pk or contract.provider_id != actor.provider_id):
        errors["contract"] = _("This contract is not one of the client's.")
    if any(asset.client_id != client.pk or asset.provider_id != actor.provider_id for asset in assets):
        errors["assets"] = _("Every piece of equipment must be the client's.")
    for technician in technicians:
        if technician.provider_id != actor.provider_id or technician.role not in PROVIDER_ROLES:
            errors["technicians"] = _("Only the provider's active technicians can be assigned.")
        elif not technician.is_active:
            errors["technicians"] = _("Only the provider's active technicians can be assigned.")
    return errors


def _contract_day(contract: Contract, day: datetime.date) -> str:
    """An error when ``day`` falls outside the contract's period, else empty."""
    if day < contract.start_date or (contract.end_date is not None and day > contract.end_date):
        return _("The contract is not in force on %(day)s (from %(start)s%(end)s).") % {
            "day": day.strftime("%d/%m/%Y"),
            "start": contract.start_date.strftime("%d/%m/%Y"),
            "end": _(" to %(end)s") % {"end": contract.end_date.strftime("%d/%m/%Y")} if contract.end_date else "",
        }
    return ""


def planned_slot_errors(
    contract: Contract | None,
    planned_start: datetime.datetime | None,
    planned_end: datetime.datetime | None,
    time_zone: str,
) -> dict[str, str]:
    """A slot needs a start before its end, and lies inside the contract's period (in its local days)."""
    from zoneinfo import ZoneInfo

    errors: dict[str, str] = {}
    if (planned_start is None) != (planned_end is None):
        errors["planned_end"] = _("A planned slot needs both a start and an end.")
    elif planned_start is not None and planned_end is not None:
        if planned_end <= planned_start:
            errors["planned_end"] = _("The planned end must be after the planned start.")
        elif planned_end - planned_start > datetime.timedelta(days=14):
            errors["planned_end"] = _("A planned slot lasts at most 14 days.")
        elif contract is not None:
            zone = ZoneInfo(time_zone)
            for name, at in (
                ("planned_start", planned_start),
                ("planned_end", planned_end - datetime.timedelta(seconds=1)),
            ):
                problem = _contract_day(contract, at.astimezone(zone).date())
                if problem:
                    errors[name] = problem
                    break
    return errors


@transaction.atomic
def sheet_create(
    *,
    actor: Membership,
    client: Client,
    title: str,
    mode: str = Mode.ON_SITE,
    site: Site | None = None,
    contract: Contract | None = None,
    ticket: object | None = None,
    visit: PreventiveVisit | None = None,
    assets: Sequence[Asset] = (),
    technicians: Sequence[Membership] = (),
    planned_start: datetime.datetime | None = None,
    planned_end: datetime.datetime | None = None,
    corrects: Intervention | None = None,
) -> Intervention:
    """A new sheet for ``client``: its reference, the contract's backup duty, the planned slot if any.

    ``contract`` defaults to the ticket's or the visit's. The mode must be one the contract allows
    (``intervention_modes``); a planned slot must lie inside the contract's period. ``ticket`` is a
    ``servicedesk.Ticket`` of the same client.
    """
    from pacte.servicedesk.models import Ticket

    require_worker(actor)
    title = " ".join((title or "").split())
    assets = list(assets)
    technicians = list(technicians)
    errors: dict[str, str] = {}
    if not title:
        errors["title"] = _("Give the sheet a title.")
    elif len(title) > TITLE_MAX:
        errors["title"] = _("The title is too long (at most 200 characters).")
    if mode not in Mode.values:
        errors["mode"] = _("The mode is remote, on site or workshop.")
    if ticket is not None:
        if not isinstance(ticket, Ticket) or ticket.provider_id != actor.provider_id:
            raise PermissionDenied
        if ticket.client_id != client.pk:
            errors["ticket"] = _("This ticket is not the client's.")
        contract = contract or ticket.contract
        site = site or ticket.site
    if visit is not None:
        if visit.provider_id != actor.provider_id:
            raise PermissionDenied
        if visit.client_id != client.pk:
            errors["visit"] = _("This visit is not the client's.")
        contract = contract or visit.contract
    if corrects is not None:
        if corrects.provider_id != actor.provider_id:
            raise PermissionDenied
        if corrects.status != SheetStatus.SIGNED:
            errors["corrects"] = _("Only a signed sheet is corrected by a new sheet; change this one instead.")
    errors.update(_check_scope(actor, client, site, contract, assets, technicians))
    terms = None
    if contract is not None and "contract" not in errors:
        day = (planned_start or timezone.now()).date()
        version = contract_terms_at(contract, day) or contract_terms_at(contract, contract.start_date)
        terms = version.terms if version is not None else None
        if terms is not None and mode in Mode.values and mode not in terms.intervention_modes:
            errors["mode"] = _("The contract does not provide for this mode of intervention.")
    time_zone = site.effective_time_zone if site is not None else client.time_zone
    errors.update(planned_slot_errors(contract, planned_start, planned_end, time_zone))
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    backup_blocking = bool(
        terms is not None
        and mode == Mode.ON_SITE
        and terms.backup_duty.party == "client"
        and terms.backup_duty.blocking
    )
    sheet = Intervention.objects.create(
        provider_id=actor.provider_id,
        client=client,
        site=site,
        contract=contract,
        ticket=ticket,
        visit=visit,
        corrects=corrects,
        reference=next_reference(actor.provider_id, timezone.localtime(now).year),
        title=title,
        mode=mode,
        status=SheetStatus.PLANNED,
        planned_start=planned_start,
        planned_end=planned_end,
        backup_blocking=backup_blocking,
        backup_check=BackupCheck.PENDING if mode == Mode.ON_SITE else BackupCheck.NOT_NEEDED,
        created_by=actor,
    )
    if assets:
        sheet.assets.set(assets)
    if technicians:
        sheet.technicians.set(technicians)
    audit_record(
        actor=actor,
        action="intervention.create",
        instance=sheet,
        provider=actor.provider,
        after={
            "reference": sheet.reference,
            "client": client.pk,
            "mode": mode,
            "contract": getattr(contract, "pk", None),
        },
    )
    return sheet


# Changing a sheet ------------------------------------------------------------------------------------

#: Text fields of ``sheet_update`` and their longest value.
TEXT_FIELDS = {
    "diagnosis": 20000,
    "actions": 20000,
    "recommendations": 10000,
    "follow_up_notes": 5000,
    "drop_off_condition": 5000,
    "dropped_off_by": 150,
    "returned_to": 150,
}
UPDATABLE = frozenset(
    {
        "title",
        "site",
        "assets",
        "technicians",
        "result",
        "follow_up_needed",
        "travel_minutes",
        "travel_km",
        "travel_zone",
        "dropped_off_at",
        "returned_at",
        *TEXT_FIELDS,
    }
)
MAX_TRAVEL_MINUTES = 24 * 60
MAX_TRAVEL_KM = Decimal("99999.9")


def sheet_day(sheet: Intervention) -> datetime.date:
    """The sheet's working day (check-in, else the planned start, else its creation), for its contract's terms."""
    return (sheet.checked_in_at or sheet.planned_start or sheet.created_at or timezone.now()).date()


def _terms(sheet: Intervention) -> Any:
    if sheet.contract is None:
        return None
    version = contract_terms_at(sheet.contract, sheet_day(sheet)) or contract_terms_at(
        sheet.contract, sheet.contract.start_date
    )
    return version.terms if version is not None else None


def travel_zone_error(sheet: Intervention, zone: str) -> str:
    """An error when ``zone`` is set and is not one of the contract's travel zones, else empty."""
    if not zone:
        return ""
    terms = _terms(sheet)
    codes = {z.code for z in terms.travel.zones} if terms is not None else set()
    if zone not in codes:
        return _("This travel zone is not one of the contract's.")
    return ""


def _aware_or_none(value: Any) -> bool:
    return value is None or (isinstance(value, datetime.datetime) and not timezone.is_naive(value))


def _update_errors(actor: Membership, sheet: Intervention, changes: dict[str, Any]) -> dict[str, str]:
    errors: dict[str, str] = {}
    for name in sorted(set(changes) - UPDATABLE):
        errors[name] = _("This field cannot be changed here.")
    if "title" in changes:
        title = " ".join(str(changes["title"] or "").split())
        if not title:
            errors["title"] = _("Give the sheet a title.")
        elif len(title) > TITLE_MAX:
            errors["title"] = _("The title is too long (at most 200 characters).")
    for name, limit in TEXT_FIELDS.items():
        if name in changes and len(str(changes[name] or "").strip()) > limit:
            errors[name] = _("This text is too long (at most %(limit)s characters).") % {"limit": limit}
    if "result" in changes and (changes["result"] or "") not in ("", *Result.values):
        errors["result"] = _("The result is resolved, partly resolved or not resolved.")
    if "travel_minutes" in changes and changes["travel_minutes"] is not None:
        value = changes["travel_minutes"]
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_TRAVEL_MINUTES:
            errors["travel_minutes"] = _("The travel time is a number of minutes between 0 and 1440.")
    if "travel_km" in changes and changes["travel_km"] not in (None, ""):
        try:
            km = Decimal(str(changes["travel_km"]).replace(",", "."))
        except (InvalidOperation, ValueError):
            km = Decimal("-1")
        if not km.is_finite() or not Decimal(0) <= km <= MAX_TRAVEL_KM or km != km.quantize(Decimal("0.1")):
            errors["travel_km"] = _("The distance is a number of kilometres (one decimal) between 0 and 99999.9.")
    if "travel_zone" in changes:
        problem = travel_zone_error(sheet, str(changes["travel_zone"] or "").strip())
        if problem:
            errors["travel_zone"] = problem
    now = timezone.now()
    for name in ("dropped_off_at", "returned_at"):
        if name in changes:
            if not _aware_or_none(changes[name]):
                errors[name] = _("Give a date and time.")
            elif changes[name] is not None and in_future(changes[name], now):
                errors[name] = _("This time cannot be in the future.")
    if "dropped_off_at" not in errors and "returned_at" not in errors:
        dropped = changes.get("dropped_off_at", sheet.dropped_off_at)
        returned = changes.get("returned_at", sheet.returned_at)
        if dropped is not None and returned is not None and returned < dropped:
            errors["returned_at"] = _("The equipment is returned after it was dropped off.")
    site = changes.get("site", sheet.site)
    errors.update(
        _check_scope(
            actor,
            sheet.client,
            site if "site" in changes else None,
            None,
            list(changes.get("assets") or ()),
            list(changes.get("technicians") or ()),
        )
    )
    return errors


@transaction.atomic
def sheet_update(*, actor: Membership, sheet: Intervention, **changes: Any) -> Intervention:
    """Change what the sheet says (the work, travel, workshop record, people and equipment), validated first."""
    require_worker(actor)
    if sheet.provider_id != actor.provider_id:
        raise PermissionDenied
    locked = sheet_for_update(sheet)
    errors = _update_errors(actor, locked, changes)
    if errors:
        raise ValidationError(errors)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    fields: list[str] = []
    for name, value in changes.items():
        if name in ("assets", "technicians"):
            manager = getattr(locked, name)
            old = sorted(manager.values_list("pk", flat=True))
            new = sorted({item.pk for item in value or ()})
            if old != new:
                manager.set(list(value or ()))
                before[name], after[name] = old, new
            continue
        if name == "title" or name in TEXT_FIELDS:
            value = " ".join(str(value or "").split()) if name == "title" else str(value or "").strip()
        elif name in ("result", "travel_zone"):
            value = str(value or "").strip()
        elif name == "travel_km":
            value = None if value in (None, "") else Decimal(str(value).replace(",", "."))
        elif name == "follow_up_needed":
            value = bool(value)
        attribute = "site_id" if name == "site" else name
        old_value = getattr(locked, attribute)
        new_value = getattr(value, "pk", None) if name == "site" else value
        if old_value != new_value:
            setattr(locked, name, value)
            fields.append(name)
            before[name], after[name] = old_value, new_value
    if fields:
        locked.save(update_fields=[*fields, "updated_at"])
    if before or after:
        audit_record(
            actor=actor,
            action="intervention.update",
            instance=locked,
            provider=actor.provider,
            before=before,
            after=after,
        )
    return locked


# On the day ------------------------------------------------------------------------------------------


def _instant(at: datetime.datetime | None, now: datetime.datetime, field: str) -> datetime.datetime:
    if at is None:
        return now
    if not isinstance(at, datetime.datetime) or timezone.is_naive(at):
        raise ValidationError({field: _("Give a date and time.")})
    if in_future(at, now):
        raise ValidationError({field: _("This time cannot be in the future.")})
    return at


@transaction.atomic
def sheet_check_in(*, actor: Membership, sheet: Intervention, at: datetime.datetime | None = None) -> Intervention:
    """Arrival on site (or the start of the remote session): in progress; the ticket's GTI target is met.

    Checking in twice changes nothing. Allowed before the backup is confirmed (the GTI measures the arrival).
    """
    from pacte.servicedesk.models import TicketStatus
    from pacte.servicedesk.services import intervention_started

    sheet = lock_for_work(actor, sheet)
    if sheet.checked_in_at is not None:
        return sheet
    now = timezone.now()
    at = _instant(at, now, "checked_in_at")
    if sheet.status != SheetStatus.PLANNED:
        raise ConflictError(_("Only a planned sheet can be checked in."))
    sheet.checked_in_at = at
    sheet.status = SheetStatus.IN_PROGRESS
    sheet.save(update_fields=["checked_in_at", "status", "updated_at"])
    if actor.role in PROVIDER_ROLES and not sheet.technicians.filter(pk=actor.pk).exists():
        sheet.technicians.add(actor)
    if sheet.ticket is not None and sheet.ticket.status != TicketStatus.CLOSED:
        intervention_started(actor=actor, ticket=sheet.ticket, at=at)
    audit_record(
        actor=actor,
        action="intervention.check_in",
        instance=sheet,
        provider=actor.provider,
        after={"checked_in_at": at, "ticket": sheet.ticket_id},
    )
    return sheet


@transaction.atomic
def sheet_check_out(*, actor: Membership, sheet: Intervention, at: datetime.datetime | None = None) -> Intervention:
    """Leaving the site (or the end of the remote session); a second check-out corrects the time."""
    sheet = lock_for_work(actor, sheet)
    now = timezone.now()
    at = _instant(at, now, "checked_out_at")
    if sheet.checked_in_at is None:
        raise ValidationError({"checked_out_at": _("Check in before checking out.")})
    if at < sheet.checked_in_at:
        raise ValidationError({"checked_out_at": _("The check-out cannot be before the check-in.")})
    before = sheet.checked_out_at
    sheet.checked_out_at = at
    sheet.save(update_fields=["checked_out_at", "updated_at"])
    audit_record(
        actor=actor,
        action="intervention.check_out",
        instance=sheet,
        provider=actor.provider,
        before={"checked_out_at": before},
        after={"checked_out_at": at},
    )
    return sheet


@transaction.atomic
def backup_confirm(*, actor: Membership, sheet: Intervention, check: str, confirmed_by: str = "") -> Intervention:
    """Record the backup check: the client confirmed (``confirmed_by`` names who), or the provider's option.

    "Not needed" cannot lift a blocking duty except by a manager.
    """
    sheet = lock_for_work(actor, sheet)
    confirmed_by = " ".join(str(confirmed_by or "").split())
    errors: dict[str, str] = {}
    if check not in BackupCheck.values or check == BackupCheck.PENDING:
        errors["check"] = _("Choose how the backups were made.")
    elif check == BackupCheck.CLIENT_CONFIRMED and not confirmed_by:
        errors["confirmed_by"] = _("Name the client's person who confirmed the backups.")
    elif check == BackupCheck.NOT_NEEDED and sheet.backup_blocking and not can_manage_interventions(actor):
        errors["check"] = _("The contract requires the backups before work: only a manager can waive it.")
    if len(confirmed_by) > 150:
        errors["confirmed_by"] = _("The name is too long (at most 150 characters).")
    if errors:
        raise ValidationError(errors)
    if check == BackupCheck.PROVIDER_OPTION and not confirmed_by:
        confirmed_by = actor.user.get_full_name() or actor.user.email
    before = {"backup_check": sheet.backup_check, "backup_confirmed_by": sheet.backup_confirmed_by}
    sheet.backup_check = check
    sheet.backup_confirmed_by = confirmed_by[:150]
    sheet.backup_confirmed_at = timezone.now()
    sheet.save(update_fields=["backup_check", "backup_confirmed_by", "backup_confirmed_at", "updated_at"])
    audit_record(
        actor=actor,
        action="intervention.backup_confirm",
        instance=sheet,
        provider=actor.provider,
        before=before,
        after={"backup_check": check, "backup_confirmed_by": sheet.backup_confirmed_by},
    )
    return sheet


# Done, cancelled, corrected ---------------------------------------------------------------------------


def sheet_missing_fields(sheet: Intervention) -> dict[str, str]:
    """What the sheet still needs before it is done and signed, by field; ``{}``: ready."""
    missing: dict[str, str] = {}
    if not (sheet.actions or "").strip():
        missing["actions"] = _("Describe what was done.")
    if not sheet.result:
        missing["result"] = _("Give the result.")
    if sheet.checked_in_at is None:
        missing["checked_in_at"] = _("Check in (arrival or start of the remote session).")
    if sheet.checked_out_at is None:
        missing["checked_out_at"] = _("Check out (departure or end of the remote session).")
    if sheet.mode == Mode.WORKSHOP and sheet.dropped_off_at is None:
        missing["dropped_off_at"] = _("Record when the equipment was dropped off.")
    if backup_missing(sheet):
        missing["backup_check"] = _("Record the client's backup confirmation.")
    if not sheet.time_entries.exists():
        missing["time_entries"] = _("Log the time worked.")
    problem = travel_zone_error(sheet, sheet.travel_zone)
    if problem:
        missing["travel_zone"] = problem
    return missing


@transaction.atomic
def sheet_mark_done(*, actor: Membership, sheet: Intervention) -> Intervention:
    """The work is finished and the sheet complete: it awaits the client's signature. Twice: no change."""
    sheet = lock_for_work(actor, sheet)
    if sheet.status == SheetStatus.DONE:
        return sheet
    if backup_missing(sheet):
        raise ValidationError({"backup_check": backup_refusal()})
    missing = sheet_missing_fields(sheet)
    if missing:
        raise ValidationError(missing)
    if sheet.status != SheetStatus.IN_PROGRESS:
        raise ConflictError(_("Only a sheet in progress can be marked done."))
    sheet.status = SheetStatus.DONE
    sheet.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action="intervention.done",
        instance=sheet,
        provider=actor.provider,
        before={"status": SheetStatus.IN_PROGRESS},
        after={"status": SheetStatus.DONE},
    )
    return sheet


@transaction.atomic
def sheet_cancel(*, actor: Membership, sheet: Intervention, reason: str) -> Intervention:
    """Cancel a sheet that is not signed, with the reason (a signed sheet is corrected instead: 409)."""
    reason = " ".join(str(reason or "").split())
    if not reason:
        raise ValidationError({"reason": _("Give the reason for cancelling.")})
    if len(reason) > 300:
        raise ValidationError({"reason": _("The reason is too long (at most 300 characters).")})
    sheet = lock_for_work(actor, sheet)
    before = sheet.status
    sheet.status = SheetStatus.CANCELLED
    sheet.cancelled_reason = reason
    sheet.save(update_fields=["status", "cancelled_reason", "updated_at"])
    audit_record(
        actor=actor,
        action="intervention.cancel",
        instance=sheet,
        provider=actor.provider,
        before={"status": before},
        after={"status": SheetStatus.CANCELLED, "reason": reason},
    )
    return sheet


@transaction.atomic
def sheet_correct(*, actor: Membership, sheet: Intervention) -> Intervention:
    """A new sheet correcting a signed one: same client, site, contract, ticket, visit, mode, people, equipment.

    The work's description is copied for the technician to amend; the time entries are not (the
    correcting sheet's entries may overlap the corrected sheet's, which the ledger replaces).
    """
    require_worker(actor)
    if sheet.provider_id != actor.provider_id:
        raise PermissionDenied
    original = Intervention.objects.select_for_update().get(pk=sheet.pk)
    if original.status != SheetStatus.SIGNED:
        raise ConflictError(_("Only a signed sheet is corrected by a new sheet; change this one instead."))
    title = _("Correction of %(reference)s") % {"reference": original.reference}
    title = f"{title} — {original.title}"[:TITLE_MAX]
    correction = sheet_create(
        actor=actor,
        client=original.client,
        title=title,
        mode=original.mode,
        site=original.site,
        contract=original.contract,
        ticket=original.ticket,
        visit=original.visit,
        assets=list(original.assets.all()),
        technicians=[t for t in original.technicians.all() if t.is_active],
        corrects=original,
    )
    copied = ["diagnosis", "actions", "result", "recommendations", "follow_up_needed", "follow_up_notes"]
    copied += ["travel_minutes", "travel_km", "travel_zone", "backup_blocking", "backup_check"]
    copied += ["backup_confirmed_by", "backup_confirmed_at", "checked_in_at", "checked_out_at"]
    copied += ["dropped_off_at", "dropped_off_by", "drop_off_condition", "returned_at", "returned_to"]
    for name in copied:
        setattr(correction, name, getattr(original, name))
    correction.status = SheetStatus.IN_PROGRESS
    correction.save(update_fields=[*copied, "status", "updated_at"])
    audit_record(
        actor=actor,
        action="intervention.correct",
        instance=original,
        provider=actor.provider,
        after={"correction": correction.reference},
    )
    return correction


__all__ = [
    "FUTURE_TOLERANCE",
    "backup_confirm",
    "backup_missing",
    "backup_refusal",
    "checklist_add",
    "checklist_set",
    "file_add",
    "file_content",
    "lock_for_work",
    "next_reference",
    "part_add",
    "part_remove",
    "patch_add",
    "planned_slot_errors",
    "require_worker",
    "sheet_cancel",
    "sheet_check_in",
    "sheet_check_out",
    "sheet_correct",
    "sheet_create",
    "sheet_for_update",
    "sheet_mark_done",
    "sheet_missing_fields",
    "sheet_update",
    "time_entry_add",
    "time_entry_delete",
    "travel_zone_error",
]
