"""Reading preventive maintenance: plans and visits the actor may see, and each plan's quota per contract year.

Scoped like every selector: staff see the provider's plans, client roles their company's; anything
else is a 404. The writes (plans, generation, scheduling, statuses) are in :mod:`pacte.interventions.preventive`.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from pacte.interventions.models import Intervention, PreventivePlan, PreventiveVisit, SheetStatus
from pacte.interventions.permissions import is_staff
from pacte.interventions.preventive import _today, contract_years
from pacte.tenancy.models import Membership


def plan_scope(actor: Membership) -> QuerySet[PreventivePlan]:
    """Every plan the actor may see: the provider's for staff, their company's for client roles."""
    queryset = PreventivePlan.objects.filter(provider_id=actor.provider_id)
    if is_staff(actor):
        return queryset
    if actor.client_id is None:
        return queryset.none()
    return queryset.filter(contract__client_id=actor.client_id)


def plan_list(
    *, actor: Membership, contract_id: int | None = None, include_archived: bool = False
) -> QuerySet[PreventivePlan]:
    queryset = plan_scope(actor).select_related("contract", "contract__client")
    if contract_id is not None:
        queryset = queryset.filter(contract_id=contract_id)
    if not include_archived:
        queryset = queryset.filter(archived_at__isnull=True)
    return queryset.order_by("contract__client__name", "contract__reference", "name", "pk")


def plan_get(*, actor: Membership, pk: int) -> PreventivePlan:
    return get_object_or_404(plan_scope(actor).select_related("contract", "contract__client"), pk=pk)


def visit_list(*, actor: Membership, plan: PreventivePlan) -> QuerySet[PreventiveVisit]:
    """The plan's visits (the plan was scoped by :func:`plan_get`), with their live sheets."""
    sheets = Intervention.objects.exclude(status=SheetStatus.CANCELLED).only(
        "id", "visit_id", "reference", "status", "signed_at", "planned_start", "planned_end"
    )
    return (
        PreventiveVisit.objects.filter(provider_id=actor.provider_id, plan_id=plan.pk)
        .prefetch_related(Prefetch("interventions", queryset=sheets, to_attr="live_sheets"))
        .order_by("-year_start", "sequence")
    )


def visit_get(*, actor: Membership, pk: int) -> PreventiveVisit:
    queryset = PreventiveVisit.objects.filter(provider_id=actor.provider_id).select_related("plan", "plan__contract")
    if not is_staff(actor):
        queryset = queryset.filter(client_id=actor.client_id) if actor.client_id else queryset.none()
    return get_object_or_404(queryset, pk=pk)


@dataclass
class Quota:
    """What a plan promised in one contract year and where it stands."""

    plan: PreventivePlan
    year_start: datetime.date
    year_end: datetime.date | None
    promised: int
    done: int = 0
    planned: int = 0
    due: int = 0
    late: int = 0
    missed: int = 0

    @property
    def has_problem(self) -> bool:
        return bool(self.late or self.missed)


def quota_of(plan: PreventivePlan, year_start: datetime.date, visits: Iterable[PreventiveVisit]) -> Quota:
    quota = Quota(plan=plan, year_start=year_start, year_end=None, promised=plan.visits_per_year)
    for visit in visits:
        quota.year_end = visit.year_end
        setattr(quota, visit.status, getattr(quota, visit.status) + 1)
    return quota


def plan_quota(plan: PreventivePlan, *, year_start: datetime.date) -> Quota:
    """The plan's quota in the contract year starting ``year_start``: promised, done, planned, due, late, missed."""
    visits = PreventiveVisit.objects.filter(plan_id=plan.pk, year_start=year_start).only("status", "year_end")
    return quota_of(plan, year_start, visits)


def plans_quotas(
    plans: Sequence[PreventivePlan], *, today: datetime.date | None = None, years: int = 1
) -> dict[int, list[Quota]]:
    """For each plan, its quota in the current contract year and the ``years − 1`` before (newest first).

    One query for every plan's visits (the plans come with their contracts).
    """
    today = today or _today()
    wanted: dict[int, list[datetime.date]] = {}
    for plan in plans:
        starts = [first for first, _last in contract_years(plan.contract, today=today)]
        wanted[plan.pk] = list(reversed(starts[-years:]))
    condition = Q(pk__in=[])
    for plan_id, starts in wanted.items():
        if starts:
            condition |= Q(plan_id=plan_id, year_start__in=starts)
    by_key: dict[tuple[int, datetime.date], list[PreventiveVisit]] = {}
    for visit in PreventiveVisit.objects.filter(condition).only("plan_id", "year_start", "year_end", "status"):
        by_key.setdefault((visit.plan_id, visit.year_start), []).append(visit)
    return {
        plan.pk: [quota_of(plan, start, by_key.get((plan.pk, start), [])) for start in wanted[plan.pk]]
        for plan in plans
    }


def current_quota(quotas: dict[int, list[Quota]], plan: PreventivePlan) -> Quota | None:
    """The plan's quota in its current contract year, from :func:`plans_quotas` (None before the first year)."""
    found = quotas.get(plan.pk) or []
    return found[0] if found else None


def visits_to_plan(*, actor: Membership, statuses: Sequence[str], limit: int) -> list[PreventiveVisit]:
    """The provider's visits in ``statuses`` (of active plans), by the end of their window; at most ``limit``."""
    return list(
        PreventiveVisit.objects.filter(
            provider_id=actor.provider_id, status__in=statuses, plan__archived_at__isnull=True
        )
        .select_related("plan", "contract", "client")
        .order_by("due_until", "plan_id", "sequence")[:limit]
    )


def visits_by_year(
    *, actor: Membership, quotas: dict[int, list[Quota]]
) -> dict[tuple[int, datetime.date], list[PreventiveVisit]]:
    """The visits of the plans and contract years of ``quotas`` (from :func:`plans_quotas`), by (plan, year
    start), each with its signed sheets (``signed_sheets``); a client role gets its company's only."""
    condition = Q(pk__in=[])
    for plan_id, found in quotas.items():
        starts = [quota.year_start for quota in found]
        if starts:
            condition |= Q(plan_id=plan_id, year_start__in=starts)
    queryset = PreventiveVisit.objects.filter(condition, provider_id=actor.provider_id)
    if not is_staff(actor):
        queryset = queryset.filter(client_id=actor.client_id) if actor.client_id else queryset.none()
    signed = Intervention.objects.filter(status=SheetStatus.SIGNED).only("id", "visit_id", "reference", "signed_at")
    visits: dict[tuple[int, datetime.date], list[PreventiveVisit]] = {}
    for visit in queryset.prefetch_related(
        Prefetch("interventions", queryset=signed, to_attr="signed_sheets")
    ).order_by("sequence"):
        visits.setdefault((visit.plan_id, visit.year_start), []).append(visit)
    return visits
