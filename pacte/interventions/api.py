"""REST endpoints for intervention sheets, their time entries and parts (a token sees what its membership sees).

Thin: parse, call one selector or service. Provider roles see and work every sheet of the provider;
a client's manager and users read their company's sheets (not cancelled ones) and nothing else: a
write is a 403, another company's sheet a 404. A signed or cancelled sheet takes no change (409).
Time worked remotely is logged on the ticket (``/tickets/{id}/time-entries``).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from ninja import Query, Router
from ninja.responses import Status

from pacte.assets import selectors as asset_selectors
from pacte.assets.models import Asset
from pacte.contracts import selectors as contract_selectors
from pacte.contracts.models import Contract
from pacte.core.api import CURSOR, ERRORS, ID, LIMIT, WRITE_ERRORS, Page, api_fields, paginate, request_actor
from pacte.interventions import selectors, services
from pacte.interventions.models import Intervention, Part, TimeEntry
from pacte.interventions.permissions import can_work_interventions
from pacte.interventions.schemas import (
    BackupIn,
    CancelIn,
    MomentIn,
    PartIn,
    PartOut,
    SheetDetailOut,
    SheetIn,
    SheetOut,
    SheetPatch,
    SheetStatusName,
    TimeEntryIn,
    TimeEntryOut,
)
from pacte.servicedesk import selectors as ticket_selectors
from pacte.tenancy.models import PROVIDER_ROLES, Client, Membership
from pacte.tenancy.permissions import require
from pacte.tenancy.references import client_referenced, site_referenced

router = Router(tags=["interventions"])

SEARCH = Query("", max_length=200, description="A reference, or words of the title or the client's name.")

#: The services' field names → the API's.
FIELD_NAMES = {
    "client": "client_id",
    "site": "site_id",
    "contract": "contract_id",
    "ticket": "ticket_id",
    "assets": "asset_ids",
    "technicians": "technician_ids",
    "technician": "technician_id",
    "asset": "asset_id",
    "check": "check",
}


# Output ---------------------------------------------------------------------------------------------


def _name(member: Membership) -> str:
    return member.user.get_full_name() or member.user.email


def _ref(obj: Any) -> dict[str, Any] | None:
    return {"id": obj.pk, "reference": obj.reference} if obj is not None else None


def sheet_out(sheet: Intervention) -> dict[str, Any]:
    return {
        "id": sheet.pk,
        "reference": sheet.reference,
        "title": sheet.title,
        "mode": sheet.mode,
        "status": sheet.status,
        "client_id": sheet.client_id,
        "site_id": sheet.site_id,
        "contract": _ref(sheet.contract),
        "ticket": _ref(sheet.ticket),
        "visit_id": sheet.visit_id,
        "corrects": _ref(sheet.corrects),
        "technicians": [{"id": t.pk, "name": _name(t)} for t in sheet.technicians.all()],
        "asset_ids": sorted(asset.pk for asset in sheet.assets.all()),
        "planned_start": sheet.planned_start,
        "planned_end": sheet.planned_end,
        "checked_in_at": sheet.checked_in_at,
        "checked_out_at": sheet.checked_out_at,
        "diagnosis": sheet.diagnosis,
        "actions": sheet.actions,
        "result": sheet.result,
        "recommendations": sheet.recommendations,
        "follow_up_needed": sheet.follow_up_needed,
        "follow_up_notes": sheet.follow_up_notes,
        "travel_minutes": sheet.travel_minutes,
        "travel_km": sheet.travel_km,
        "travel_zone": sheet.travel_zone,
        "backup_check": sheet.backup_check,
        "backup_blocking": sheet.backup_blocking,
        "backup_confirmed_by": sheet.backup_confirmed_by,
        "backup_confirmed_at": sheet.backup_confirmed_at,
        "dropped_off_at": sheet.dropped_off_at,
        "dropped_off_by": sheet.dropped_off_by,
        "drop_off_condition": sheet.drop_off_condition,
        "returned_at": sheet.returned_at,
        "returned_to": sheet.returned_to,
        "signed_at": sheet.signed_at,
        "signer_name": sheet.signer_name,
        "signer_role": sheet.signer_role,
        "cancelled_reason": sheet.cancelled_reason,
        "created_at": sheet.created_at,
        "updated_at": sheet.updated_at,
    }


def time_entry_out(entry: TimeEntry) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "sheet_id": entry.intervention_id,
        "ticket_id": entry.ticket_id,
        "technician_id": entry.technician_id,
        "technician_name": _name(entry.technician),
        "nature": entry.nature,
        "started_at": entry.started_at,
        "ended_at": entry.ended_at,
        "minutes": entry.minutes,
        "minutes_in_hours": entry.minutes_in_hours,
        "minutes_after_hours": entry.minutes_after_hours,
        "minutes_weekend": entry.minutes_weekend,
        "description": entry.description,
        "created_at": entry.created_at,
    }


def part_out(part: Part) -> dict[str, Any]:
    return {
        "id": part.pk,
        "description": part.description,
        "quantity": part.quantity,
        "unit_price": part.unit_price,
        "serial_out": part.serial_out,
        "serial_in": part.serial_in,
        "asset_id": part.asset_id,
    }


def _sheet(request: HttpRequest, sheet_id: int) -> Intervention:
    return selectors.sheet_get(actor=request_actor(request), pk=sheet_id)


def _work_sheet(request: HttpRequest, sheet_id: int) -> Intervention:
    """A sheet the caller sees and may work on (client roles: 403)."""
    sheet = _sheet(request, sheet_id)
    require(can_work_interventions(request_actor(request)))
    return sheet


def _detail(request: HttpRequest, sheet_id: int) -> dict[str, Any]:
    sheet = _sheet(request, sheet_id)
    data = sheet_out(sheet)
    data["missing"] = services.sheet_missing_fields(sheet) if not sheet.is_locked else {}
    data["time_entries"] = [time_entry_out(e) for e in selectors.sheet_time_entries(sheet=sheet)]
    data["parts"] = [part_out(p) for p in selectors.sheet_parts(sheet=sheet)]
    data["checklist"] = [
        {"id": i.pk, "asset_id": i.asset_id, "code": i.code, "label": i.label, "outcome": i.outcome, "note": i.note}
        for i in selectors.sheet_checklist(sheet=sheet)
    ]
    data["patches"] = [
        {"id": p.pk, "asset_id": p.asset_id, "reference": p.reference, "title": p.title, "installed_at": p.installed_at}
        for p in selectors.sheet_patches(sheet=sheet)
    ]
    return data


# References named in a body: unknown or foreign is a 422 on the field ------------------------------


def _contract(actor: Membership, contract_id: int | None, client: Client) -> Contract | None:
    if contract_id is None:
        return None
    contract = contract_selectors.contract_list(actor=actor).filter(pk=contract_id, client_id=client.pk).first()
    if contract is None:
        raise ValidationError({"contract_id": "Unknown contract for this client."})
    return contract


def _ticket(actor: Membership, ticket_id: int | None) -> Any:
    if ticket_id is None:
        return None
    ticket = ticket_selectors.ticket_scope(actor).filter(pk=ticket_id).first()
    if ticket is None:
        raise ValidationError({"ticket_id": "Unknown ticket."})
    return ticket


def _assets(actor: Membership, asset_ids: list[int], client: Client, field: str = "asset_ids") -> list[Asset]:
    wanted = set(asset_ids)
    found = list(asset_selectors.asset_list(actor=actor, client_id=client.pk).filter(pk__in=wanted))
    if len(found) != len(wanted):
        raise ValidationError({field: "Unknown asset for this client."})
    return found


def _technicians(actor: Membership, ids: list[int], field: str = "technician_ids") -> list[Membership]:
    wanted = set(ids)
    found = list(
        Membership.objects.filter(
            provider_id=actor.provider_id, role__in=PROVIDER_ROLES, is_active=True, pk__in=wanted
        ).select_related("user")
    )
    if len(found) != len(wanted):
        raise ValidationError({field: "Unknown technician."})
    return found


# Sheets -------------------------------------------------------------------------------------------

#: A day in a query string: YYYY-MM-DD only (a number is not a date, whatever lax parsing would make of it).
DAY = Query(None, pattern=r"^\d{4}-\d{2}-\d{2}$", description="YYYY-MM-DD")


def _day(value: str | None, field: str) -> datetime.date | None:
    if value is None:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise ValidationError({field: "Not a date (YYYY-MM-DD)."}) from None


@router.get(
    "/interventions",
    response={200: Page[SheetOut], **ERRORS},
    summary="List intervention sheets",
    description="Provider roles: every sheet of the provider; client roles: their company's (not cancelled). "
    "`date_from` / `date_to` (YYYY-MM-DD, inclusive) match the planned start, else the creation day.",
)
def sheet_list(
    request: HttpRequest,
    limit: int = LIMIT,
    cursor: str | None = CURSOR,
    status: SheetStatusName | None = None,
    client_id: int | None = ID,
    technician_id: int | None = ID,
    date_from: str | None = DAY,
    date_to: str | None = DAY,
    q: str = SEARCH,
) -> dict[str, Any]:
    queryset = selectors.sheet_list(
        actor=request_actor(request),
        status=status or "",
        client_id=client_id,
        technician_id=technician_id,
        search=q,
        date_from=_day(date_from, "date_from"),
        date_to=_day(date_to, "date_to"),
    ).prefetch_related("assets")
    page = paginate(queryset, limit=limit, cursor=cursor)
    page["items"] = [sheet_out(sheet) for sheet in page["items"]]
    return page


@router.post(
    "/interventions",
    response={201: SheetDetailOut, **WRITE_ERRORS},
    summary="Create an intervention sheet (provider roles)",
    description="The contract defaults to the ticket's; the mode must be one the contract provides; a planned "
    "slot lies inside the contract's period. The contract's backup duty is copied onto the sheet.",
)
def sheet_create(request: HttpRequest, payload: SheetIn) -> Status[dict[str, Any]]:
    actor = request_actor(request)
    require(can_work_interventions(actor))
    client = client_referenced(actor, payload.client_id)
    with api_fields(FIELD_NAMES):
        sheet = services.sheet_create(
            actor=actor,
            client=client,
            title=payload.title,
            mode=payload.mode,
            site=site_referenced(actor, payload.site_id, client),
            contract=_contract(actor, payload.contract_id, client),
            ticket=_ticket(actor, payload.ticket_id),
            assets=_assets(actor, payload.asset_ids, client),
            technicians=_technicians(actor, payload.technician_ids),
            planned_start=payload.planned_start,
            planned_end=payload.planned_end,
        )
    return Status(201, _detail(request, sheet.pk))


@router.get(
    "/interventions/{sheet_id}",
    response={200: SheetDetailOut, **ERRORS},
    summary="Get a sheet with its time entries, parts, checklist and patches",
)
def sheet_get(request: HttpRequest, sheet_id: int) -> dict[str, Any]:
    return _detail(request, sheet_id)


@router.patch(
    "/interventions/{sheet_id}",
    response={200: SheetDetailOut, **WRITE_ERRORS},
    summary="Change what a sheet says (provider roles)",
    description="The work (diagnosis, actions, result…), travel, the workshop record, people and equipment. "
    "A signed or cancelled sheet is a 409 (a signed one is corrected by a new sheet).",
)
def sheet_update(request: HttpRequest, sheet_id: int, payload: SheetPatch) -> dict[str, Any]:
    actor = request_actor(request)
    sheet = _work_sheet(request, sheet_id)
    sent = payload.model_dump(exclude_unset=True)
    changes: dict[str, Any] = {}
    for name, value in sent.items():
        if name == "site_id":
            changes["site"] = site_referenced(actor, value, sheet.client)
        elif name == "asset_ids":
            changes["assets"] = _assets(actor, value or [], sheet.client)
        elif name == "technician_ids":
            changes["technicians"] = _technicians(actor, value or [])
        elif name == "title":
            if value is not None:
                changes["title"] = value
        elif name in ("follow_up_needed",):
            if value is not None:
                changes[name] = value
        elif name in ("travel_minutes", "travel_km", "dropped_off_at", "returned_at"):
            changes[name] = value
        else:
            changes[name] = value or ""
    with api_fields(FIELD_NAMES):
        services.sheet_update(actor=actor, sheet=sheet, **changes)
    return _detail(request, sheet_id)


@router.post(
    "/interventions/{sheet_id}/check-in",
    response={200: SheetDetailOut, **WRITE_ERRORS},
    summary="Check in: arrival on site or start of the remote session",
    description="The sheet goes in progress; a linked ticket's intervention (GTI) target is met. "
    "Checking in twice changes nothing.",
)
def sheet_check_in(request: HttpRequest, sheet_id: int, payload: MomentIn) -> dict[str, Any]:
    sheet = _work_sheet(request, sheet_id)
    with api_fields(FIELD_NAMES):
        services.sheet_check_in(actor=request_actor(request), sheet=sheet, at=payload.at)
    return _detail(request, sheet_id)


@router.post(
    "/interventions/{sheet_id}/check-out",
    response={200: SheetDetailOut, **WRITE_ERRORS},
    summary="Check out: departure or end of the remote session (after the check-in)",
)
def sheet_check_out(request: HttpRequest, sheet_id: int, payload: MomentIn) -> dict[str, Any]:
    sheet = _work_sheet(request, sheet_id)
    with api_fields(FIELD_NAMES):
        services.sheet_check_out(actor=request_actor(request), sheet=sheet, at=payload.at)
    return _detail(request, sheet_id)


@router.post(
    "/interventions/{sheet_id}/backup",
    response={200: SheetDetailOut, **WRITE_ERRORS},
    summary="Record the backup check before on-site work",
    description="`client_confirmed` needs `confirmed_by` (the client's person); `provider_option` records the "
    "provider's backup option; `not_needed` cannot lift a blocking duty except by a manager.",
)
def sheet_backup(request: HttpRequest, sheet_id: int, payload: BackupIn) -> dict[str, Any]:
    sheet = _work_sheet(request, sheet_id)
    with api_fields(FIELD_NAMES):
        services.backup_confirm(
            actor=request_actor(request), sheet=sheet, check=payload.check, confirmed_by=payload.confirmed_by
        )
    return _detail(request, sheet_id)


@router.post(
    "/interventions/{sheet_id}/mark-done",
    response={200: SheetDetailOut, **WRITE_ERRORS},
    summary="Mark the work done: the sheet awaits the client's signature",
    description="422 with each missing field (actions, result, check-in and out, backup, time…) when incomplete.",
)
def sheet_mark_done(request: HttpRequest, sheet_id: int) -> dict[str, Any]:
    sheet = _work_sheet(request, sheet_id)
    with api_fields(FIELD_NAMES):
        services.sheet_mark_done(actor=request_actor(request), sheet=sheet)
    return _detail(request, sheet_id)


@router.post(
    "/interventions/{sheet_id}/cancel",
    response={200: SheetDetailOut, **WRITE_ERRORS},
    summary="Cancel a sheet that is not signed (with the reason)",
)
def sheet_cancel(request: HttpRequest, sheet_id: int, payload: CancelIn) -> dict[str, Any]:
    sheet = _work_sheet(request, sheet_id)
    with api_fields(FIELD_NAMES):
        services.sheet_cancel(actor=request_actor(request), sheet=sheet, reason=payload.reason)
    return _detail(request, sheet_id)


# Time entries and parts --------------------------------------------------------------------------------


def _technician_or_actor(actor: Membership, technician_id: int | None) -> Membership:
    if technician_id is None:
        return actor
    return _technicians(actor, [technician_id], "technician_id")[0]


@router.post(
    "/interventions/{sheet_id}/time-entries",
    response={201: TimeEntryOut, **WRITE_ERRORS},
    summary="Log a technician's time on a sheet",
    description="Raw start and end (end after start, at most 24 h, not in the future); one technician's "
    "entries never overlap (422 naming the other sheet or ticket). The in-hours, after-hours and weekend "
    "minutes are derived from the contract's coverage windows.",
)
def sheet_time_entry_add(request: HttpRequest, sheet_id: int, payload: TimeEntryIn) -> Status[dict[str, Any]]:
    return _time_entry_add(request_actor(request), payload, sheet=_work_sheet(request, sheet_id))


def _time_entry_add(actor: Membership, payload: TimeEntryIn, **subject: Any) -> Status[dict[str, Any]]:
    """One entry on ``sheet=`` or ``ticket=``, as the service takes it."""
    with api_fields(FIELD_NAMES):
        entry = services.time_entry_add(
            actor=actor,
            technician=_technician_or_actor(actor, payload.technician_id),
            started_at=payload.started_at,
            ended_at=payload.ended_at,
            nature=payload.nature,
            description=payload.description,
            **subject,
        )
    return Status(201, time_entry_out(entry))


@router.delete(
    "/interventions/{sheet_id}/time-entries/{entry_id}",
    response={204: None, **WRITE_ERRORS},
    summary="Remove a time entry (a technician their own; a manager anyone's)",
)
def sheet_time_entry_delete(request: HttpRequest, sheet_id: int, entry_id: int) -> Status[None]:
    actor = request_actor(request)
    sheet = _work_sheet(request, sheet_id)
    entry = selectors.time_entry_get(actor=actor, pk=entry_id)
    if entry.intervention_id != sheet.pk:
        raise Http404
    services.time_entry_delete(actor=actor, entry=entry)
    return Status(204, None)


@router.get(
    "/tickets/{ticket_id}/time-entries",
    response={200: list[TimeEntryOut], **ERRORS},
    summary="The time logged on a ticket (remote work), oldest first",
)
def ticket_time_entries(request: HttpRequest, ticket_id: int) -> list[dict[str, Any]]:
    actor = request_actor(request)
    ticket = ticket_selectors.ticket_get(actor=actor, pk=ticket_id)
    return [time_entry_out(entry) for entry in selectors.ticket_time_entries(actor=actor, ticket=ticket)]


@router.post(
    "/tickets/{ticket_id}/time-entries",
    response={201: TimeEntryOut, **WRITE_ERRORS},
    summary="Log time on a ticket (remote work; provider roles)",
    description="As on a sheet; the ticket's client and contract apply. A closed ticket is a 409.",
)
def ticket_time_entry_add(request: HttpRequest, ticket_id: int, payload: TimeEntryIn) -> Status[dict[str, Any]]:
    actor = request_actor(request)
    ticket = ticket_selectors.ticket_get(actor=actor, pk=ticket_id)
    require(can_work_interventions(actor))
    return _time_entry_add(actor, payload, ticket=ticket)


@router.post(
    "/interventions/{sheet_id}/parts",
    response={201: PartOut, **WRITE_ERRORS},
    summary="Add a part replaced or supplied",
    description="A description, a quantity above zero, a price excluding VAT (or none), serials out and in; "
    "the equipment is the client's.",
)
def part_add(request: HttpRequest, sheet_id: int, payload: PartIn) -> Status[dict[str, Any]]:
    actor = request_actor(request)
    sheet = _work_sheet(request, sheet_id)
    asset = _assets(actor, [payload.asset_id], sheet.client, "asset_id")[0] if payload.asset_id else None
    with api_fields(FIELD_NAMES):
        part = services.part_add(
            actor=actor,
            sheet=sheet,
            description=payload.description,
            quantity=payload.quantity,
            unit_price=payload.unit_price,
            serial_out=payload.serial_out,
            serial_in=payload.serial_in,
            asset=asset,
        )
    return Status(201, part_out(part))


@router.delete(
    "/interventions/{sheet_id}/parts/{part_id}",
    response={204: None, **WRITE_ERRORS},
    summary="Remove a part",
)
def part_remove(request: HttpRequest, sheet_id: int, part_id: int) -> Status[None]:
    actor = request_actor(request)
    sheet = _work_sheet(request, sheet_id)
    part = selectors.part_get(actor=actor, pk=part_id)
    if part.intervention_id != sheet.pk:
        raise Http404
    services.part_remove(actor=actor, part=part)
    return Status(204, None)
