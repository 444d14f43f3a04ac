"""The client portal's preventive maintenance page (``/portal/preventive/``).

For the client's contracts, each plan's quota in the current and the previous contract year —
"3 of 4 visits done, 1 missed" — and its visits with their due windows and status (missed ones
flagged), with a link to each signed sheet. Both client roles see their company's plans; the
provider's roles get 404 (their pages are under ``/interventions/preventive/``).
"""

from __future__ import annotations

import datetime

from django.db.models import Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views import View

from pacte.core.views import ActorRequiredMixin
from pacte.interventions import preventive
from pacte.interventions.models import Intervention, PreventiveVisit, SheetStatus

#: The contract years shown: the current one and the one before.
YEARS = 2


class PortalPreventiveView(ActorRequiredMixin, View):
    side = "client"

    def get(self, request: HttpRequest) -> HttpResponse:
        plans = list(preventive.plan_list(actor=self.actor))
        quotas = preventive.plans_quotas(plans, years=YEARS)
        condition = Q(pk__in=[])
        for plan in plans:
            starts = [quota.year_start for quota in quotas[plan.pk]]
            if starts:
                condition |= Q(plan_id=plan.pk, year_start__in=starts)
        signed = Intervention.objects.filter(status=SheetStatus.SIGNED).only("id", "visit_id", "reference", "signed_at")
        visits: dict[tuple[int, datetime.date], list[PreventiveVisit]] = {}
        queryset = (
            PreventiveVisit.objects.filter(condition)
            .filter(client_id=self.actor.client_id or 0, provider_id=self.actor.provider_id)
            .prefetch_related(Prefetch("interventions", queryset=signed, to_attr="signed_sheets"))
            .order_by("sequence")
        )
        for visit in queryset:
            visits.setdefault((visit.plan_id, visit.year_start), []).append(visit)
        sections = [
            (plan, [(quota, visits.get((plan.pk, quota.year_start), [])) for quota in quotas[plan.pk]])
            for plan in plans
        ]
        return render(request, "interventions/portal/preventive.html", {"sections": sections})
