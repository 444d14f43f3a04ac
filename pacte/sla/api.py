"""REST endpoints for business calendars, service levels and due-date simulation (thin: parse, call one service)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest
from ninja import Query, Router
from ninja.responses import Status

from pacte.core.api import CURSOR, ERRORS, LIMIT, WRITE_ERRORS, Page, paginate, request_actor
from pacte.sla import selectors, services
from pacte.sla.models import BusinessCalendar, CalendarException, ServiceLevel
from pacte.sla.permissions import can_manage_sla_settings, can_view_sla_settings
from pacte.sla.schemas import (
    CalendarIn,
    CalendarOut,
    CalendarPatch,
    ServiceLevelIn,
    ServiceLevelOut,
    ServiceLevelPatch,
    SimulateIn,
    SimulateOut,
)
from pacte.tenancy.models import Membership
from pacte.tenancy.permissions import require

router = Router(tags=["sla"])

SEARCH = Query("", max_length=100)


def _calendar_out(calendar: BusinessCalendar) -> dict[str, Any]:
    return {
        **{name: getattr(calendar, name) for name in CalendarOut.model_fields if name not in ("week", "exceptions")},
        "week": calendar.windows(),
        "exceptions": list(calendar.exceptions.all()),
    }


def _service_level_out(service_level: ServiceLevel) -> dict[str, Any]:
    targets = sorted(service_level.targets.all(), key=lambda t: (t.priority, list(_KINDS).index(t.kind)))
    data = {name: getattr(service_level, name) for name in ServiceLevelOut.model_fields if name != "targets"}
    return {**data, "targets": targets}


_KINDS = ("response", "intervention", "restoration", "resolution")


def _referenced_calendar(actor: Membership, calendar_id: int) -> BusinessCalendar:
    """A calendar named in a request body: unknown or foreign is a 422 on ``calendar_id``."""
    calendar = selectors.calendar_list(actor=actor, include_archived=True).filter(pk=calendar_id).first()
    if calendar is None:
        raise ValidationError({"calendar_id": "Unknown calendar."})
    return calendar


def _exceptions(payload: Any) -> list[dict[str, Any]] | None:
    if payload.exceptions is None:
        return None
    return [item.dict() for item in payload.exceptions]


def _set(payload: Any, *skip: str) -> dict[str, Any]:
    return _plain_grid({k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None and k not in skip})


def _plain_grid(data: dict[str, Any]) -> dict[str, Any]:
    """The penalty grid's percentages as strings (what the JSON field stores)."""
    if isinstance(data.get("credit_grid"), dict):
        data["credit_grid"] = {priority: str(percent) for priority, percent in data["credit_grid"].items()}
    return data


# Calendars ---------------------------------------------------------------------------------------


@router.get("/sla/calendars", response={200: Page[CalendarOut], **ERRORS}, summary="List business calendars")
def calendar_list(
    request: HttpRequest,
    limit: int = LIMIT,
    cursor: str | None = CURSOR,
    search: str = SEARCH,
    include_archived: bool = False,
) -> dict[str, Any]:
    queryset = selectors.calendar_list(actor=request_actor(request), search=search, include_archived=include_archived)
    queryset = queryset.prefetch_related(Prefetch("exceptions", queryset=CalendarException.objects.order_by("day")))
    page = paginate(queryset, limit=limit, cursor=cursor)
    page["items"] = [_calendar_out(item) for item in page["items"]]
    return page


@router.post("/sla/calendars", response={201: CalendarOut, **WRITE_ERRORS}, summary="Create a business calendar")
def calendar_create(request: HttpRequest, payload: CalendarIn) -> Status[dict[str, Any]]:
    data = payload.dict(exclude={"exceptions"})
    calendar = services.calendar_create(actor=request_actor(request), exceptions=_exceptions(payload), **data)
    return Status(201, _calendar_out(calendar))


@router.get("/sla/calendars/{calendar_id}", response={200: CalendarOut, **ERRORS}, summary="Get a business calendar")
def calendar_get(request: HttpRequest, calendar_id: int) -> dict[str, Any]:
    return _calendar_out(selectors.calendar_get(actor=request_actor(request), pk=calendar_id))


@router.patch(
    "/sla/calendars/{calendar_id}", response={200: CalendarOut, **WRITE_ERRORS}, summary="Update a business calendar"
)
def calendar_update(request: HttpRequest, calendar_id: int, payload: CalendarPatch) -> dict[str, Any]:
    actor = request_actor(request)
    calendar = selectors.calendar_get(actor=actor, pk=calendar_id)
    fields = _set(payload, "exceptions")
    if payload.week is not None:
        fields["week"] = payload.week.dict()
    calendar = services.calendar_update(actor=actor, calendar=calendar, exceptions=_exceptions(payload), **fields)
    return _calendar_out(calendar)


@router.post(
    "/sla/calendars/{calendar_id}/archive",
    response={200: CalendarOut, **WRITE_ERRORS},
    summary="Archive a business calendar (409 while an active service level uses it)",
)
def calendar_archive(request: HttpRequest, calendar_id: int) -> dict[str, Any]:
    actor = request_actor(request)
    calendar = services.calendar_archive(actor=actor, calendar=selectors.calendar_get(actor=actor, pk=calendar_id))
    return _calendar_out(calendar)


# Service levels ----------------------------------------------------------------------------------


@router.get("/sla/service-levels", response={200: Page[ServiceLevelOut], **ERRORS}, summary="List service levels")
def service_level_list(
    request: HttpRequest,
    limit: int = LIMIT,
    cursor: str | None = CURSOR,
    search: str = SEARCH,
    include_archived: bool = False,
) -> dict[str, Any]:
    queryset = selectors.service_level_list(
        actor=request_actor(request), search=search, include_archived=include_archived
    )
    page = paginate(queryset, limit=limit, cursor=cursor)
    page["items"] = [_service_level_out(item) for item in page["items"]]
    return page


@router.post("/sla/service-levels", response={201: ServiceLevelOut, **WRITE_ERRORS}, summary="Create a service level")
def service_level_create(request: HttpRequest, payload: ServiceLevelIn) -> Status[dict[str, Any]]:
    actor = request_actor(request)
    require(can_manage_sla_settings(actor))  # before naming the calendar: a role that may not create is 403
    data = _plain_grid(payload.dict(exclude={"calendar_id", "targets"}))
    calendar = _referenced_calendar(actor, payload.calendar_id)
    targets = [item.dict() for item in payload.targets]
    service_level = services.service_level_create(actor=actor, calendar=calendar, targets=targets, **data)
    return Status(201, _service_level_out(selectors.service_level_get(actor=actor, pk=service_level.pk)))


@router.get(
    "/sla/service-levels/{service_level_id}", response={200: ServiceLevelOut, **ERRORS}, summary="Get a service level"
)
def service_level_get(request: HttpRequest, service_level_id: int) -> dict[str, Any]:
    return _service_level_out(selectors.service_level_get(actor=request_actor(request), pk=service_level_id))


@router.patch(
    "/sla/service-levels/{service_level_id}",
    response={200: ServiceLevelOut, **WRITE_ERRORS},
    summary="Update a service level",
)
def service_level_update(request: HttpRequest, service_level_id: int, payload: ServiceLevelPatch) -> dict[str, Any]:
    actor = request_actor(request)
    service_level = selectors.service_level_get(actor=actor, pk=service_level_id)
    fields = _set(payload, "calendar_id", "targets")
    if "availability_target" in payload.model_fields_set:  # null clears it
        fields["availability_target"] = payload.availability_target
    if payload.calendar_id is not None:
        fields["calendar"] = _referenced_calendar(actor, payload.calendar_id)
    targets = None if payload.targets is None else [item.dict() for item in payload.targets]
    services.service_level_update(actor=actor, service_level=service_level, targets=targets, **fields)
    return _service_level_out(selectors.service_level_get(actor=actor, pk=service_level_id))


@router.post(
    "/sla/service-levels/{service_level_id}/archive",
    response={200: ServiceLevelOut, **WRITE_ERRORS},
    summary="Archive a service level",
)
def service_level_archive(request: HttpRequest, service_level_id: int) -> dict[str, Any]:
    actor = request_actor(request)
    service_level = selectors.service_level_get(actor=actor, pk=service_level_id)
    services.service_level_archive(actor=actor, service_level=service_level)
    return _service_level_out(selectors.service_level_get(actor=actor, pk=service_level_id))


# Simulation --------------------------------------------------------------------------------------


@router.post(
    "/sla/simulate",
    response={200: SimulateOut, **ERRORS},
    description="Client roles get 403; a calendar that is not the caller's is a 422 on `calendar_id`.",
    summary="Simulate a due instant on a calendar, with each closed period skipped and why (writes nothing)",
)
def simulate(request: HttpRequest, payload: SimulateIn) -> dict[str, Any]:
    actor = request_actor(request)
    require(can_view_sla_settings(actor))  # client roles: this back-office tool is not theirs (403)
    calendar = _referenced_calendar(actor, payload.calendar_id)
    try:
        result = selectors.calendar_simulate(
            actor=actor, calendar=calendar, start=payload.start, seconds=payload.seconds, convention=payload.at_close
        )
    except OverflowError as error:
        raise ValidationError({"seconds": "The due instant is beyond the engine's horizon."}) from error
    return {
        "calendar_id": calendar.pk,
        "calendar_version": calendar.version,
        "start": result.start,
        "seconds": result.seconds,
        "at_close": result.convention,
        "due": result.due,
        "closed_periods": [
            {
                "start": period.start,
                "end": period.end,
                "reasons": [
                    {"kind": r.kind.value, "first_day": r.first_day, "last_day": r.last_day, "label": r.label}
                    for r in period.reasons
                ],
            }
            for period in result.closed_periods
        ],
        "truncated": result.truncated,
    }
