"""Back-office pages for business calendars, provider-wide closures and service levels (provider side only)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from pacte.core.views import ActorRequiredMixin, ServiceFormView
from pacte.sla import calendars, selectors, services, simulate
from pacte.sla.calendars import DAY, WEEKDAYS
from pacte.sla.clock import Priority, TargetKind
from pacte.sla.domain import local_instant
from pacte.sla.forms import (
    CalendarExceptionForm,
    CalendarForm,
    ProviderClosureForm,
    ServiceLevelForm,
    SimulateForm,
    check_windows,
    format_duration,
)
from pacte.sla.models import (
    WEEKDAY_LABELS,
    BusinessCalendar,
    PriorityChoice,
    ServiceLevel,
    TargetKindChoice,
)
from pacte.sla.permissions import can_manage_sla_settings
from pacte.tenancy.permissions import require

MIN_YEAR, MAX_YEAR = 1950, 2100


def _year(value: str | None) -> int:
    try:
        year = int(value or "")
    except ValueError:
        return timezone.localdate().year
    return min(max(year, MIN_YEAR), MAX_YEAR)


def _seconds(text: str) -> int:
    hours, minutes = (int(x) for x in (text.split(":") + ["0"])[:2])
    return hours * 3600 + minutes * 60


def week_bars(week: dict[str, list[list[str]]]) -> list[dict[str, Any]]:
    """Per weekday: its label, its windows as text, and bar segments (percent of the day) for the grid."""
    rows: list[dict[str, Any]] = [
        {"day": day, "label": label, "windows": [], "segments": []} for day, label in WEEKDAY_LABELS
    ]
    for index, day in enumerate(WEEKDAYS):
        for start, end in week.get(day, []):
            a, b = _seconds(start), _seconds(end)
            b = DAY if b == 0 else b
            rows[index]["windows"].append(f"{start}–{end}")
            if b > a:
                rows[index]["segments"].append({"left": a * 100 / DAY, "width": (b - a) * 100 / DAY, "spill": False})
            else:  # overnight: until midnight, then the next day's early hours
                rows[index]["segments"].append({"left": a * 100 / DAY, "width": (DAY - a) * 100 / DAY, "spill": False})
                rows[(index + 1) % 7]["segments"].append({"left": 0, "width": b * 100 / DAY, "spill": True})
    return rows


class SlaPageMixin(ActorRequiredMixin):
    side = "provider"
    section = ""

    def page(self, request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
        context = {"section": self.section, "can_manage": can_manage_sla_settings(self.actor), **context}
        return render(request, template, context, status=status)


# Calendars ---------------------------------------------------------------------------------------


class CalendarListView(SlaPageMixin, View):
    section = "calendars"

    def get(self, request: HttpRequest) -> HttpResponse:
        archived = request.GET.get("archived") == "1"
        items = selectors.calendar_list(actor=self.actor, include_archived=archived)
        return self.page(request, "sla/calendar_list.html", {"calendars": items, "archived": archived})


class CalendarDetailView(SlaPageMixin, View):
    section = "calendars"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        calendar = selectors.calendar_get(actor=self.actor, pk=pk)
        return self.render_detail(request, calendar)

    def render_detail(
        self,
        request: HttpRequest,
        calendar: BusinessCalendar,
        *,
        exception_form: CalendarExceptionForm | None = None,
        status: int = 200,
    ) -> HttpResponse:
        year = _year(request.GET.get("year"))
        definition = selectors.calendar_definition(calendar=calendar)
        context = {
            "calendar": calendar,
            "week": week_bars(calendar.week),
            "year": year,
            "holidays": simulate.holiday_preview(definition, year),
            "exceptions": selectors.calendar_exception_list(actor=self.actor, calendar=calendar),
            "closures": selectors.provider_closure_list(actor=self.actor) if calendar.provider_closures_apply else [],
            "exception_form": exception_form or CalendarExceptionForm(),
            "exception_windows": _posted_windows(request.POST if exception_form else None),
            "simulate_form": SimulateForm(
                initial={"start": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "duration": "4"}
            ),
            "service_levels": calendar.service_levels.filter(archived_at__isnull=True),
        }
        return self.page(request, "sla/calendar_detail.html", context, status=status)


def _now_in(calendar: BusinessCalendar) -> str:
    return timezone.now().astimezone(calendars.Calendar.always_open(calendar.time_zone).zone).strftime("%Y-%m-%dT%H:%M")


def _posted_windows(data: QueryDict | None) -> list[list[str]]:
    if data is None:
        return []
    return [[a, b] for a, b in zip(data.getlist("window_start"), data.getlist("window_end"), strict=False)]


class CalendarFormMixin(ServiceFormView, View):
    side = "provider"
    form_class = CalendarForm
    template_name = "sla/calendar_form.html"

    def get_context(self) -> dict[str, Any]:
        return {"section": "calendars", "year": timezone.localdate().year}

    def success_url(self, result: BusinessCalendar) -> str:
        messages.success(self.request, _("The calendar has been saved."))
        return reverse("sla:calendar_detail", args=[result.pk])


class CalendarCreateView(CalendarFormMixin):
    title = gettext_lazy("New calendar")

    def get_form_kwargs(self) -> dict[str, Any]:
        require(can_manage_sla_settings(self.actor))
        return {}

    def perform(self, form: CalendarForm) -> BusinessCalendar:
        return services.calendar_create(actor=self.actor, **form.cleaned_data)


class CalendarUpdateView(CalendarFormMixin):
    title = gettext_lazy("Edit calendar")

    def get_instance(self) -> BusinessCalendar:
        calendar = selectors.calendar_get(actor=self.actor, pk=self.kwargs["pk"])
        require(can_manage_sla_settings(self.actor))
        return calendar

    def perform(self, form: CalendarForm) -> BusinessCalendar:
        return services.calendar_update(actor=self.actor, calendar=self.instance(), **form.cleaned_data)


class CalendarArchiveView(SlaPageMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        calendar = selectors.calendar_get(actor=self.actor, pk=pk)
        services.calendar_archive(actor=self.actor, calendar=calendar)
        messages.success(request, _("The calendar has been archived."))
        return redirect("sla:calendar_list")


class CalendarExceptionCreateView(CalendarDetailView):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        calendar = selectors.calendar_get(actor=self.actor, pk=pk)
        require(can_manage_sla_settings(self.actor))
        form = CalendarExceptionForm(request.POST)
        if form.is_valid():
            try:
                services.calendar_exception_add(actor=self.actor, calendar=calendar, **form.cleaned_data)
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, _("The exception has been added."))
                return redirect(reverse("sla:calendar_detail", args=[calendar.pk]) + "#exceptions")
        return self.render_detail(request, calendar, exception_form=form, status=422)


class CalendarExceptionDeleteView(SlaPageMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int, exception_pk: int) -> HttpResponse:
        calendar = selectors.calendar_get(actor=self.actor, pk=pk)
        exception = selectors.calendar_exception_get(actor=self.actor, calendar=calendar, pk=exception_pk)
        services.calendar_exception_remove(actor=self.actor, exception=exception)
        messages.success(request, _("The exception has been removed."))
        return redirect(reverse("sla:calendar_detail", args=[calendar.pk]) + "#exceptions")


class CalendarSimulateView(SlaPageMixin, View):
    """GET (a read): the due instant of a target from a start, with each closed period skipped and why."""

    section = "calendars"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        calendar = selectors.calendar_get(actor=self.actor, pk=pk)
        form = SimulateForm(request.GET or None)
        result = None
        if form.is_bound and form.is_valid():
            start = local_instant(calendar.time_zone, form.cleaned_data["start"])
            result = selectors.calendar_simulate(
                actor=self.actor,
                calendar=calendar,
                start=start,
                seconds=form.cleaned_data["duration"],
                convention=form.cleaned_data["convention"],
            )
        context = {"calendar": calendar, "simulate_form": form, "result": result}
        template = "sla/partials/simulation.html" if request.htmx else "sla/calendar_simulate.html"  # type: ignore[attr-defined]
        return self.page(request, template, context, status=422 if form.is_bound and result is None else 200)


class HolidayPreviewView(SlaPageMixin, View):
    """GET: the year's holidays of a region and which ones a week (as edited, not yet saved) would skip."""

    def get(self, request: HttpRequest) -> HttpResponse:
        year = _year(request.GET.get("year"))
        subdivision = request.GET.get("holiday_subdivision", "")
        week: dict[str, list[tuple[str, str]]] = {}
        for day, label in WEEKDAY_LABELS:
            windows = [
                [a, b]
                for a, b in zip(request.GET.getlist(f"{day}_start"), request.GET.getlist(f"{day}_end"), strict=False)
                if a and b
            ]
            try:
                check_windows(windows, str(label))
            except ValidationError:
                windows = []
            week[day] = [(w[0], w[1]) for w in windows]
        try:
            calendar_id = int(request.GET.get("calendar") or 0) or None
        except ValueError:
            calendar_id = None
        exceptions = selectors.preview_exceptions(
            actor=self.actor,
            calendar_id=calendar_id,
            provider_closures=request.GET.get("provider_closures_apply") in ("on", "true", "1"),
        )
        try:
            region = calendars.HolidayRegion("FR", subdivision or None)
        except calendars.CalendarError:
            region = calendars.HolidayRegion("FR")
        definition = calendars.Calendar.weekly(
            "UTC",
            week,
            holidays=region,
            holidays_close=request.GET.get("holidays_close") in ("on", "true", "1"),
            exceptions=exceptions,
        )
        context = {"holidays": simulate.holiday_preview(definition, year), "year": year}
        return self.page(request, "sla/partials/holidays.html", context)


# Provider-wide closures --------------------------------------------------------------------------


class ProviderClosureListView(SlaPageMixin, View):
    section = "closures"

    def get(self, request: HttpRequest, form: ProviderClosureForm | None = None, status: int = 200) -> HttpResponse:
        context = {"closures": selectors.provider_closure_list(actor=self.actor), "form": form or ProviderClosureForm()}
        return self.page(request, "sla/closure_list.html", context, status=status)


class ProviderClosureCreateView(ProviderClosureListView):
    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        require(can_manage_sla_settings(self.actor))
        form = ProviderClosureForm(request.POST)
        if form.is_valid():
            try:
                services.provider_closure_add(actor=self.actor, **form.cleaned_data)
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, _("The closure has been added."))
                return redirect("sla:closure_list")
        return self.get(request, form=form, status=422)


class ProviderClosureDeleteView(SlaPageMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        closure = selectors.provider_closure_get(actor=self.actor, pk=pk)
        services.provider_closure_remove(actor=self.actor, closure=closure)
        messages.success(request, _("The closure has been removed."))
        return redirect("sla:closure_list")


# Service levels ----------------------------------------------------------------------------------


def target_grid(service_level: ServiceLevel) -> list[dict[str, Any]]:
    cells = {(t.priority, t.kind): t for t in service_level.targets.all()}
    rows = []
    for priority in Priority:
        row = []
        for kind in TargetKind:
            cell = cells.get((priority.value, kind.value))
            seconds = cell.seconds if cell else None
            row.append({"seconds": seconds, "text": format_duration(seconds), "basis": cell.basis if cell else ""})
        rows.append({"priority": PriorityChoice(priority.value).label, "cells": row})
    return rows


class ServiceLevelListView(SlaPageMixin, View):
    section = "service_levels"

    def get(self, request: HttpRequest) -> HttpResponse:
        archived = request.GET.get("archived") == "1"
        items = selectors.service_level_list(actor=self.actor, include_archived=archived)
        return self.page(request, "sla/service_level_list.html", {"service_levels": items, "archived": archived})


class ServiceLevelDetailView(SlaPageMixin, View):
    section = "service_levels"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        service_level = selectors.service_level_get(actor=self.actor, pk=pk)
        context = {
            "service_level": service_level,
            "grid": target_grid(service_level),
            "kinds": [TargetKindChoice(k.value).label for k in TargetKind],
        }
        return self.page(request, "sla/service_level_detail.html", context)


class ServiceLevelFormMixin(ServiceFormView, View):
    side = "provider"
    form_class = ServiceLevelForm
    template_name = "sla/service_level_form.html"

    def get_form_kwargs(self) -> dict[str, Any]:
        require(can_manage_sla_settings(self.actor))
        return {"calendars_": selectors.calendar_list(actor=self.actor)}

    def get_context(self) -> dict[str, Any]:
        return {"section": "service_levels", "kinds": [TargetKindChoice(k.value).label for k in TargetKind]}

    def success_url(self, result: ServiceLevel) -> str:
        messages.success(self.request, _("The service level has been saved."))
        return reverse("sla:service_level_detail", args=[result.pk])


class ServiceLevelCreateView(ServiceLevelFormMixin):
    title = gettext_lazy("New service level")

    def perform(self, form: ServiceLevelForm) -> ServiceLevel:
        return services.service_level_create(actor=self.actor, **form.service_data())


class ServiceLevelUpdateView(ServiceLevelFormMixin):
    title = gettext_lazy("Edit service level")

    def get_instance(self) -> ServiceLevel:
        service_level = selectors.service_level_get(actor=self.actor, pk=self.kwargs["pk"])
        require(can_manage_sla_settings(self.actor))
        return service_level

    def perform(self, form: ServiceLevelForm) -> ServiceLevel:
        return services.service_level_update(actor=self.actor, service_level=self.instance(), **form.service_data())


class ServiceLevelArchiveView(SlaPageMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        service_level = selectors.service_level_get(actor=self.actor, pk=pk)
        services.service_level_archive(actor=self.actor, service_level=service_level)
        messages.success(request, _("The service level has been archived."))
        return redirect("sla:service_level_list")
