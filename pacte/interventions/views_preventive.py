"""Back-office pages of preventive maintenance (``/interventions/preventive/…``).

Every provider role sees the plans and their visits, and plans a visit (a sheet with the plan's
checklist); admins and managers create, change and archive plans (technicians: 403). Client roles
get 404 (their view is the portal's ``portal:preventive``); another provider's plan is a 404.
"""

from __future__ import annotations

import datetime
from collections import OrderedDict
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pacte.assets.models import Asset
from pacte.contracts.models import Contract
from pacte.interventions import preventive, preventive_selectors
from pacte.interventions.models import Mode, PreventivePlan, PreventiveVisit, VisitStatus
from pacte.interventions.permissions import can_manage_interventions
from pacte.servicedesk import selectors as desk_selectors
from pacte.servicedesk.forms import AssetChoiceField, PeopleChoiceField
from pacte.servicedesk.views import ProviderPage, add_service_errors
from pacte.tenancy.models import Membership
from pacte.tenancy.permissions import require

PLAN_MODES = [(Mode.ON_SITE.value, Mode.ON_SITE.label), (Mode.REMOTE.value, Mode.REMOTE.label)]
#: Visits listed on the visits page at most (the oldest first): the rest comes as the days pass.
VISITS_MAX = 200


def _int(value: Any) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**62 else None


def _field(form: forms.Form, name: str) -> Any:
    """A field of ``form`` (typed loosely: its ``queryset`` is set per request)."""
    return form.fields[name]


def checklist_text(checklist: list[dict[str, str]]) -> str:
    return "\n".join(f"{item['code']}: {item['label']}" for item in checklist)


def checklist_parse(text: str) -> list[dict[str, str]]:
    """``code: label`` per line (a line without a code gets one from its position)."""
    items = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        code, sep, label = line.partition(":")
        if not sep:
            code, label = f"check_{number}", line
        items.append({"code": code.strip(), "label": label.strip()})
    return items


def plan_contracts(actor: Membership) -> Any:
    """The contracts a plan can be attached to: the provider's, not ended nor cancelled."""
    return (
        Contract.objects.filter(provider_id=actor.provider_id)
        .exclude(status__in=preventive.ENDED_STATUSES)
        .select_related("client")
        .order_by("client__name", "reference")
    )


class PlanForm(forms.Form):
    contract = forms.ModelChoiceField(queryset=Contract.objects.none(), label=gettext_lazy("Contract"))
    name = forms.CharField(label=gettext_lazy("Name"), max_length=150)
    visits_per_year = forms.IntegerField(
        label=gettext_lazy("Visits per contract year"), min_value=1, max_value=52, initial=4
    )
    mode = forms.ChoiceField(label=gettext_lazy("Mode"), choices=PLAN_MODES, initial=Mode.ON_SITE)
    duration_minutes = forms.IntegerField(
        label=gettext_lazy("Planned duration (minutes)"), min_value=15, max_value=1440, initial=120
    )
    checklist = forms.CharField(
        label=gettext_lazy("Checklist"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=8000,
        help_text=gettext_lazy("One check per line, as code: label. Done for every asset of the plan."),
    )
    assets = AssetChoiceField(
        queryset=Asset.objects.none(),
        required=False,
        label=gettext_lazy("Equipment visited"),
        help_text=gettext_lazy("None chosen: every asset the contract covers."),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, data: Any = None, *, actor: Membership, contract: Contract | None, plan: PreventivePlan | None):
        initial: dict[str, Any] = {"checklist": checklist_text(preventive.default_checklist())}
        if plan is not None:
            initial.update(
                name=plan.name,
                visits_per_year=plan.visits_per_year,
                mode=plan.mode,
                duration_minutes=plan.duration_minutes,
                checklist=checklist_text(plan.checklist),
                assets=list(plan.assets.values_list("pk", flat=True)),
            )
        if contract is not None:
            initial["contract"] = contract.pk
        super().__init__(data, initial=initial)
        if plan is not None:
            del self.fields["contract"]
        else:
            _field(self, "contract").queryset = plan_contracts(actor)
        assets = Asset.objects.none()
        if contract is not None:
            assets = Asset.objects.filter(
                provider_id=actor.provider_id, client_id=contract.client_id, archived_at__isnull=True
            ).order_by("name", "pk")
        _field(self, "assets").queryset = assets

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "visits_per_year": data["visits_per_year"],
            "mode": data["mode"],
            "duration_minutes": data["duration_minutes"],
            "checklist": checklist_parse(data["checklist"]),
            "assets": list(data["assets"]),
        }


class ScheduleForm(forms.Form):
    day = forms.DateField(label=gettext_lazy("Day"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    time = forms.TimeField(label=gettext_lazy("Start"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    technicians = PeopleChoiceField(
        queryset=Membership.objects.none(), required=False, label=gettext_lazy("Technicians")
    )
    allow_conflict = forms.BooleanField(
        required=False, label=gettext_lazy("Plan anyway if a technician is already busy (keep both)")
    )

    def __init__(self, data: Any = None, *, actor: Membership, visit: PreventiveVisit, **kwargs: Any):
        kwargs.setdefault("prefix", f"v{visit.pk}")
        kwargs.setdefault("initial", {"day": max(visit.due_from, timezone.localdate()), "time": datetime.time(9)})
        super().__init__(data, **kwargs)
        _field(self, "technicians").queryset = desk_selectors.technician_list(actor=actor)


class PreventivePage(ProviderPage):
    def plan(self, pk: int) -> PreventivePlan:
        return preventive_selectors.plan_get(actor=self.actor, pk=pk)


class PlanListView(PreventivePage):
    def get(self, request: HttpRequest) -> HttpResponse:
        show_archived = request.GET.get("archived") == "1"
        plans = list(preventive_selectors.plan_list(actor=self.actor, include_archived=show_archived))
        quotas = preventive_selectors.plans_quotas(plans)
        rows = [(plan, preventive_selectors.current_quota(quotas, plan)) for plan in plans]
        context = {
            "rows": rows,
            "show_archived": show_archived,
            "can_manage": can_manage_interventions(self.actor),
        }
        return render(request, "interventions/plan_list.html", context)


class PlanFormPage(PreventivePage):
    template_name = "interventions/plan_form.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        actor = getattr(request, "actor", None)
        if actor is not None and actor.is_provider_side:
            require(can_manage_interventions(actor))
        return super().dispatch(request, *args, **kwargs)

    def show(self, request: HttpRequest, form: PlanForm, status: int = 200, **context: Any) -> HttpResponse:
        return render(request, self.template_name, {"form": form, **context}, status=status)


class PlanCreateView(PlanFormPage):
    def contract(self, request: HttpRequest) -> Contract | None:
        contract_id = _int(request.POST.get("contract") or request.GET.get("contract"))
        if contract_id is None:
            return None
        return plan_contracts(self.actor).filter(pk=contract_id).first()

    def get(self, request: HttpRequest) -> HttpResponse:
        contract = self.contract(request)
        form = PlanForm(actor=self.actor, contract=contract, plan=None)
        return self.show(request, form, contract=contract, title=_("New preventive plan"))

    def post(self, request: HttpRequest) -> HttpResponse:
        contract = self.contract(request)
        form = PlanForm(request.POST, actor=self.actor, contract=contract, plan=None)
        if form.is_valid():
            try:
                plan = preventive.plan_create(actor=self.actor, contract=form.cleaned_data["contract"], **form.values())
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("The preventive plan has been created with its visits."))
                return redirect("interventions:plan_detail", plan.pk)
        return self.show(request, form, status=422, contract=contract, title=_("New preventive plan"))


class PlanUpdateView(PlanFormPage):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        plan = self.plan(pk)
        form = PlanForm(actor=self.actor, contract=plan.contract, plan=plan)
        return self.show(request, form, plan=plan, contract=plan.contract, title=_("Change the plan"))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        plan = self.plan(pk)
        form = PlanForm(request.POST, actor=self.actor, contract=plan.contract, plan=plan)
        if form.is_valid():
            try:
                preventive.plan_update(actor=self.actor, plan=plan, **form.values())
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("The preventive plan has been saved."))
                return redirect("interventions:plan_detail", plan.pk)
        return self.show(request, form, status=422, plan=plan, contract=plan.contract, title=_("Change the plan"))


class PlanArchiveView(PlanFormPage):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        plan = self.plan(pk)
        preventive.plan_archive(actor=self.actor, plan=plan)
        messages.success(request, _("The plan is archived: it no longer generates visits."))
        return redirect("interventions:plan_list")


def visits_by_year(visits: list[PreventiveVisit]) -> list[tuple[datetime.date, datetime.date, list[PreventiveVisit]]]:
    """The visits grouped by contract year, the newest year first."""
    years: OrderedDict[datetime.date, list[PreventiveVisit]] = OrderedDict()
    for visit in visits:
        years.setdefault(visit.year_start, []).append(visit)
    return [(start, group[0].year_end, group) for start, group in years.items()]


class PlanDetailView(PreventivePage):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self.page(request, self.plan(pk))

    def page(
        self,
        request: HttpRequest,
        plan: PreventivePlan,
        *,
        failed: ScheduleForm | None = None,
        status: int = 200,
    ) -> HttpResponse:
        visits = list(preventive_selectors.visit_list(actor=self.actor, plan=plan))
        schedulable = plan.archived_at is None
        rows = []
        for visit in visits:
            form = None
            live_sheets = getattr(visit, "live_sheets", [])
            if schedulable and visit.status in (VisitStatus.DUE, VisitStatus.LATE) and not live_sheets:
                form = failed if failed is not None and failed.prefix == f"v{visit.pk}" else None
                form = form or ScheduleForm(actor=self.actor, visit=visit)
            rows.append((visit, form))
        years = []
        for start, end, group in visits_by_year([visit for visit, _form in rows]):
            quota = preventive_selectors.quota_of(plan, start, group)
            years.append((start, end, quota, [(visit, form) for visit, form in rows if visit.year_start == start]))
        context = {
            "plan": plan,
            "years": years,
            "assets": preventive.plan_assets(plan),
            "can_manage": can_manage_interventions(self.actor),
        }
        return render(request, "interventions/plan_detail.html", context, status=status)


class VisitScheduleView(PlanDetailView):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        visit = preventive_selectors.visit_get(actor=self.actor, pk=pk)
        plan = self.plan(visit.plan_id)
        form = ScheduleForm(request.POST, actor=self.actor, visit=visit)
        if form.is_valid():
            zone = preventive.visit_zone(visit, preventive.plan_assets(plan))
            start = datetime.datetime.combine(form.cleaned_data["day"], form.cleaned_data["time"], tzinfo=zone)
            end = start + datetime.timedelta(minutes=plan.duration_minutes)
            try:
                sheet = preventive.visit_schedule(
                    actor=self.actor,
                    visit=visit,
                    start=start,
                    end=end,
                    technicians=list(form.cleaned_data["technicians"]),
                    allow_conflict=form.cleaned_data["allow_conflict"],
                )
            except ValidationError as error:
                if hasattr(error, "error_dict"):
                    for field, errors in error.error_dict.items():
                        target = {"planned_start": "day", "planned_end": "day", "technicians": "technicians"}.get(field)
                        form.add_error(target, errors)
                else:
                    form.add_error(None, error)
            else:
                message = _("The visit is planned: sheet %(reference)s.") % {"reference": sheet.reference}
                messages.success(request, message)
                return redirect(reverse("interventions:plan_detail", args=[plan.pk]) + f"#visit-{visit.pk}")
        return self.page(request, plan, failed=form, status=422)


class VisitListView(PreventivePage):
    """The visits to plan, every plan together: late first, then due, by the end of their window."""

    def get(self, request: HttpRequest) -> HttpResponse:
        status = request.GET.get("status", "")
        wanted = [status] if status in VisitStatus.values else [VisitStatus.LATE, VisitStatus.DUE]
        visits = preventive_selectors.visits_to_plan(actor=self.actor, statuses=wanted, limit=VISITS_MAX + 1)
        context = {
            "visits": visits[:VISITS_MAX],
            "more": len(visits) > VISITS_MAX,
            "status": status if status in VisitStatus.values else "",
            "statuses": VisitStatus.choices,
        }
        return render(request, "interventions/visit_list.html", context)
