"""REST endpoints of the interventions app: the planning part.

- ``GET /planning?start=…&end=…&technician=…``: the provider's planned sheets overlapping the range
  (provider roles only; client roles 403). At most 92 days per request; by default this week.
- ``POST /interventions/{id}/plan``: plan, move or reassign a sheet (``planning.sheet_plan``): 409 on
  a signed or cancelled sheet, 422 on bad input or an overlap (unless ``allow_conflict``). A client
  role gets 403 on a sheet of its company (it sees it in the portal) and 404 on any other.

Instants are ISO 8601; without an offset they are the provider's local time (Europe/Paris).
"""

from __future__ import annotations

import datetime
from typing import Annotated

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from pacte.core.api import ERRORS, WRITE_ERRORS, ErrorOut, InputSchema, request_actor
from pacte.interventions import planning, selectors
from pacte.interventions.models import Intervention
from pacte.interventions.permissions import is_staff
from pacte.tenancy.models import Membership

router = Router(tags=["interventions"])

MAX_RANGE = datetime.timedelta(days=92)
Instant = Annotated[
    str,
    Field(
        max_length=40,
        description="ISO 8601, e.g. `2026-12-07T09:00:00+01:00`; without an offset: the provider's local time.",
        examples=["2026-12-07T09:00:00+01:00"],
    ),
]


def _instant(value: str | None, field: str, actor: Membership) -> datetime.datetime | None:
    if value is None or value == "":
        return None
    try:
        parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00") if value.endswith("Z") else value)
    except ValueError as error:
        raise ValidationError({field: "Not an ISO 8601 date and time."}) from error
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=planning.provider_zone(actor))
    return parsed.astimezone(datetime.UTC)


class PlannedSheetOut(Schema):
    id: int
    reference: str
    title: str
    client_id: int
    client_name: str
    site_id: int | None
    mode: str
    status: str
    planned_start: datetime.datetime
    planned_end: datetime.datetime
    technician_ids: list[int]
    ticket_id: int | None
    visit_id: int | None
    conflict: bool = Field(False, description="True when the slot overlaps another sheet of one of its technicians.")


class SlotIn(InputSchema):
    start: Instant | None = None
    end: Instant | None = None
    technician_ids: list[int] | None = Field(
        None, max_length=20, description="The technicians (membership ids); absent: unchanged."
    )
    allow_conflict: bool = False


class SlotOut(Schema):
    id: int
    reference: str
    planned_start: datetime.datetime | None
    planned_end: datetime.datetime | None
    technician_ids: list[int]
    status: str


def _out(sheet: Intervention, conflict: bool = False) -> dict[str, object]:
    return {
        "id": sheet.pk,
        "reference": sheet.reference,
        "title": sheet.title,
        "client_id": sheet.client_id,
        "client_name": sheet.client.name,
        "site_id": sheet.site_id,
        "mode": sheet.mode,
        "status": sheet.status,
        "planned_start": sheet.planned_start,
        "planned_end": sheet.planned_end,
        "technician_ids": sorted(member.pk for member in sheet.technicians.all()),
        "ticket_id": sheet.ticket_id,
        "visit_id": sheet.visit_id,
        "conflict": conflict,
    }


@router.get(
    "/planning",
    response={200: list[PlannedSheetOut], **ERRORS},
    summary="The planned sheets of a period",
)
def planning_list(
    request: HttpRequest,
    start: str | None = Query(None, max_length=40, description="ISO 8601 start; default: this Monday 00:00 (local)."),
    end: str | None = Query(
        None, max_length=40, description="ISO 8601 end (at most 92 days after start); default: start + 7 days."
    ),
    technician: int | None = Query(None, ge=1, le=2**62, description="A technician's membership id."),
) -> list[dict[str, object]]:
    """Sheets (not cancelled) whose planned slot overlaps ``[start, end)``, by start; ``conflict`` flags overlaps."""
    actor = request_actor(request)
    if not is_staff(actor):
        raise PermissionDenied
    begin = _instant(start, "start", actor)
    if begin is None:
        zone = planning.provider_zone(actor)
        begin = planning.local_midnight(planning.week_of(None, zone), zone)
    finish = _instant(end, "end", actor) or begin + datetime.timedelta(days=7)
    if finish <= begin:
        raise ValidationError({"end": "The end must be after the start."})
    if finish - begin > MAX_RANGE:
        raise ValidationError({"end": "At most 92 days per request."})
    rows, overlapping = planning.planned_sheets(actor=actor, begin=begin, end=finish, technician_id=technician)
    return [_out(sheet, sheet.pk in overlapping) for sheet in rows]


@router.post(
    "/interventions/{sheet_id}/plan",
    response={200: SlotOut, **WRITE_ERRORS, 409: ErrorOut},
    summary="Plan, move or reassign a sheet",
)
def sheet_plan(request: HttpRequest, sheet_id: int, payload: SlotIn) -> dict[str, object]:
    """Sets the planned slot (both ``start`` and ``end``, or neither to unplan) and, when given, the technicians.

    An overlap with another sheet of one of the technicians is a 422 naming it, unless ``allow_conflict``.
    """
    actor = request_actor(request)
    sheet = selectors.sheet_get(actor=actor, pk=sheet_id)  # another company's sheet: 404
    if not is_staff(actor):
        raise PermissionDenied
    start, end = _instant(payload.start, "start", actor), _instant(payload.end, "end", actor)
    technicians = None
    if payload.technician_ids is not None:
        wanted = set(payload.technician_ids)
        technicians = list(planning.technician_list(actor=actor).filter(pk__in=wanted))
        if len(technicians) != len(wanted):
            raise ValidationError({"technician_ids": "Only the provider's active technicians can be assigned."})
    try:
        planned = planning.sheet_plan(
            actor=actor,
            sheet=sheet,
            start=start,
            end=end,
            technicians=technicians,
            allow_conflict=payload.allow_conflict,
        )
    except ValidationError as error:
        if not hasattr(error, "error_dict"):
            raise
        names = {"planned_start": "start", "planned_end": "end", "technicians": "technician_ids"}
        raise ValidationError(
            {names.get(field, field): errors for field, errors in error.error_dict.items()}
        ) from error
    return {
        "id": planned.pk,
        "reference": planned.reference,
        "planned_start": planned.planned_start,
        "planned_end": planned.planned_end,
        "technician_ids": sorted(member.pk for member in planned.technicians.all()),
        "status": planned.status,
    }
