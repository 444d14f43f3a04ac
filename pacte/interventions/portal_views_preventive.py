"""The client portal's preventive maintenance page (``/portal/preventive/``).

For the client's contracts, each plan's quota in the current and the previous contract year —
"3 of 4 visits done, 1 missed" — and its visits with their due windows and status (missed ones
flagged), with a link to each signed sheet. Both client roles see their company's plans; the
provider's roles get 404 (their pages are under ``/interventions/preventive/``).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views import View

from pacte.core.views import ActorRequiredMixin
from pacte.interventions import preventive_selectors

#: The contract years shown: the current one and the one before.
YEARS = 2


class PortalPreventiveView(ActorRequiredMixin, View):
    side = "client"

    def get(self, request: HttpRequest) -> HttpResponse:
        plans = list(preventive_selectors.plan_list(actor=self.actor))
        quotas = preventive_selectors.plans_quotas(plans, years=YEARS)
        visits = preventive_selectors.visits_by_year(actor=self.actor, quotas=quotas)
        sections = [
            (plan, [(quota, visits.get((plan.pk, quota.year_start), [])) for quota in quotas[plan.pk]])
            for plan in plans
        ]
        return render(request, "interventions/portal/preventive.html", {"sections": sections})
