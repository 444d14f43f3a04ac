"""REST endpoints of the interventions app: the preventive part.

Plans: every member lists what it may see (provider roles their provider's plans, client roles
their company's); admins and managers create them (others: 403). A plan's visits: provider roles,
and client roles for their own company's plans; any other plan is a 404. A contract or asset the
caller cannot see, named in a body, is a 422 on its field.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.responses import Status

from pacte.assets.models import Asset
from pacte.contracts.models import Contract
from pacte.core.api import CURSOR, ERRORS, ID, LIMIT, WRITE_ERRORS, InputSchema, Page, paginate, request_actor
from pacte.interventions import preventive, preventive_selectors
from pacte.interventions.models import PreventivePlan, PreventiveVisit
from pacte.interventions.permissions import can_manage_interventions

router = Router(tags=["preventive maintenance"])

Id = Annotated[int, Field(ge=1, le=2**62)]
FIELD_NAMES = {"contract": "contract_id", "assets": "asset_ids"}


class ChecklistEntryIn(InputSchema):
    code: Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[a-z0-9_]+$")]
    label: Annotated[str, Field(min_length=1, max_length=200)]


class PreventivePlanIn(InputSchema):
    contract_id: Id
    name: Annotated[str, Field(min_length=1, max_length=150)]
    visits_per_year: Annotated[int, Field(ge=1, le=52)] = 4
    mode: Literal["on_site", "remote"] = "on_site"
    duration_minutes: Annotated[int, Field(ge=15, le=1440)] = 120
    checklist: Annotated[list[ChecklistEntryIn], Field(max_length=30)] | None = Field(
        None, description="Omitted: the default checks (system updates, backups, antivirus, disks, patches)."
    )
    asset_ids: Annotated[list[Id], Field(max_length=5000)] = Field(
        [], description="The client's assets visited; empty: every asset the contract covers."
    )


class ChecklistEntryOut(Schema):
    code: str
    label: str


class PreventiveQuotaOut(Schema):
    year_start: date
    year_end: date | None
    promised: int
    done: int
    planned: int
    due: int
    late: int
    missed: int


class PreventivePlanOut(Schema):
    id: int
    contract_id: int
    client_id: int
    name: str
    visits_per_year: int
    mode: str
    duration_minutes: int
    checklist: list[ChecklistEntryOut]
    asset_ids: list[int]
    archived: bool
    current_year: PreventiveQuotaOut | None = Field(None, description="The quota of the current contract year.")
    created_at: datetime


class PreventiveVisitOut(Schema):
    id: int
    plan_id: int
    contract_id: int
    year_start: date
    year_end: date
    sequence: int
    due_from: date
    due_until: date
    status: Literal["due", "planned", "done", "late", "missed"]
    done_at: datetime | None
    sheet_ids: list[int] = Field(description="The visit's sheets that are not cancelled.")


def quota_out(quota: preventive_selectors.Quota | None) -> dict[str, Any] | None:
    if quota is None:
        return None
    return {
        "year_start": quota.year_start,
        "year_end": quota.year_end,
        "promised": quota.promised,
        "done": quota.done,
        "planned": quota.planned,
        "due": quota.due,
        "late": quota.late,
        "missed": quota.missed,
    }


def plan_out(plan: PreventivePlan, quota: preventive_selectors.Quota | None) -> dict[str, Any]:
    return {
        "id": plan.pk,
        "contract_id": plan.contract_id,
        "client_id": plan.contract.client_id,
        "name": plan.name,
        "visits_per_year": plan.visits_per_year,
        "mode": plan.mode,
        "duration_minutes": plan.duration_minutes,
        "checklist": plan.checklist,
        "asset_ids": sorted(asset.pk for asset in plan.assets.all()),
        "archived": plan.archived_at is not None,
        "current_year": quota_out(quota),
        "created_at": plan.created_at,
    }


def _plans_out(plans: list[PreventivePlan]) -> list[dict[str, Any]]:
    quotas = preventive_selectors.plans_quotas(plans)
    return [plan_out(plan, preventive_selectors.current_quota(quotas, plan)) for plan in plans]


def visit_out(visit: PreventiveVisit) -> dict[str, Any]:
    return {
        "id": visit.pk,
        "plan_id": visit.plan_id,
        "contract_id": visit.contract_id,
        "year_start": visit.year_start,
        "year_end": visit.year_end,
        "sequence": visit.sequence,
        "due_from": visit.due_from,
        "due_until": visit.due_until,
        "status": visit.status,
        "done_at": visit.done_at,
        "sheet_ids": [sheet.pk for sheet in visit.live_sheets],  # type: ignore[attr-defined]
    }


@router.get("/preventive/plans", response={200: Page[PreventivePlanOut], **ERRORS}, summary="List preventive plans")
def plan_list(
    request: HttpRequest,
    limit: int = LIMIT,
    cursor: str | None = CURSOR,
    contract_id: int | None = ID,
    archived: bool = False,
) -> dict[str, Any]:
    queryset = preventive_selectors.plan_list(
        actor=request_actor(request), contract_id=contract_id, include_archived=archived
    ).prefetch_related("assets")
    page = paginate(queryset, limit=limit, cursor=cursor)
    page["items"] = _plans_out(list(page["items"]))
    return page


@router.post(
    "/preventive/plans",
    response={201: PreventivePlanOut, **WRITE_ERRORS},
    summary="Create a preventive plan (admins and managers)",
    description="The mode must be one the contract provides for; the visits of every contract year started "
    "are generated at once. A contract or asset the caller cannot see is a 422.",
)
def plan_create(request: HttpRequest, payload: PreventivePlanIn) -> Status[dict[str, Any]]:
    actor = request_actor(request)
    if not can_manage_interventions(actor):
        raise PermissionDenied
    contract = Contract.objects.filter(provider_id=actor.provider_id, pk=payload.contract_id).first()
    if contract is None:
        raise ValidationError({"contract_id": "Unknown contract."})
    wanted = set(payload.asset_ids)
    assets = list(Asset.objects.filter(provider_id=actor.provider_id, client_id=contract.client_id, pk__in=wanted))
    if len(assets) != len(wanted):
        raise ValidationError({"asset_ids": "Unknown asset for this contract's client."})
    try:
        plan = preventive.plan_create(
            actor=actor,
            contract=contract,
            name=payload.name,
            visits_per_year=payload.visits_per_year,
            mode=payload.mode,
            duration_minutes=payload.duration_minutes,
            checklist=[item.model_dump() for item in payload.checklist] if payload.checklist is not None else None,
            assets=assets,
        )
    except ValidationError as error:
        if not hasattr(error, "error_dict"):
            raise
        raise ValidationError(
            {FIELD_NAMES.get(field, field): errors for field, errors in error.error_dict.items()}
        ) from error
    plan = preventive_selectors.plan_list(actor=actor).prefetch_related("assets").get(pk=plan.pk)
    return Status(201, _plans_out([plan])[0])


@router.get(
    "/preventive/plans/{plan_id}/visits",
    response={200: list[PreventiveVisitOut], **ERRORS},
    summary="A plan's visits",
    description="Every visit of the plan, the newest contract year first.",
)
def plan_visits(request: HttpRequest, plan_id: int) -> list[dict[str, Any]]:
    actor = request_actor(request)
    plan = preventive_selectors.plan_get(actor=actor, pk=plan_id)
    return [visit_out(visit) for visit in preventive_selectors.visit_list(actor=actor, plan=plan)]
