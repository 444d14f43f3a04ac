"""Planning pages: the dispatch board, planning a sheet, the technician's day, calendar feeds.

Every page but the feed itself is for provider roles (``side = "provider"``: client roles get 404);
a foreign sheet or feed is a 404. Times are shown and typed in the provider's time zone (activated
for the whole request). The feed (``feed_ics``) is public: its secret token is the only key.
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.decorators.http import require_GET

from pacte.core.views import ActorRequiredMixin
from pacte.interventions import feeds, planning, selectors
from pacte.interventions.models import CalendarFeed, FeedKind, Intervention
from pacte.interventions.permissions import can_manage_interventions
from pacte.tenancy.models import Client, Membership


class PlanningPage(ActorRequiredMixin, View):
    """A provider page whose dates and times are in the provider's time zone."""

    side = "provider"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        actor = getattr(request, "actor", None)
        if actor is None or not request.user.is_authenticated:
            return super().dispatch(request, *args, **kwargs)
        with timezone.override(planning.provider_zone(actor)):
            return super().dispatch(request, *args, **kwargs)


def _int(value: Any) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**62 else None


# The board ---------------------------------------------------------------------------------------


class BoardView(PlanningPage):
    """``?week=2026-W49&technician=<id>``: the week, one row per technician, the unplanned sheets aside."""

    def get(self, request: HttpRequest) -> HttpResponse:
        zone = planning.provider_zone(self.actor)
        monday = planning.week_of(request.GET.get("week"), zone)
        technician_id = _int(request.GET.get("technician"))
        board = planning.board_data(actor=self.actor, monday=monday, technician_id=technician_id)
        if technician_id is not None and not any(m.pk == technician_id for m in board.technicians):
            technician_id = None
            board = planning.board_data(actor=self.actor, monday=monday)
        week = planning.iso_week(monday)
        context = {
            "board": board,
            "week": week,
            "previous_week": planning.iso_week(monday - datetime.timedelta(days=7)),
            "next_week": planning.iso_week(monday + datetime.timedelta(days=7)),
            "this_week": planning.iso_week(planning.week_of(None, zone)),
            "technician_id": technician_id,
            "today": timezone.localdate(),
            "time_zone": str(zone),
            "sunday": monday + datetime.timedelta(days=6),
        }
        return render(request, "interventions/board.html", context)


class PlanForm(forms.Form):
    """The slot in the provider's local time (the view activates its zone) and the technicians."""

    start = forms.DateTimeField(
        label=gettext_lazy("Start"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        required=False,
    )
    end = forms.DateTimeField(
        label=gettext_lazy("End"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        required=False,
    )
    technicians = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Technicians"),
        queryset=Membership.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    allow_conflict = forms.BooleanField(label=gettext_lazy("Plan anyway, despite the overlap"), required=False)
    week = forms.CharField(required=False, max_length=10, widget=forms.HiddenInput)

    def __init__(self, *args: Any, actor: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["technicians"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = planning.technician_list(actor=actor)
        field.label_from_instance = planning.person  # type: ignore[method-assign,assignment]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if bool(data.get("start")) != bool(data.get("end")) and not self.errors:
            self.add_error("end", _("A planned slot needs both a start and an end."))
        return data


def _has_conflict(error: ValidationError) -> bool:
    return hasattr(error, "error_dict") and any(
        getattr(item, "code", None) == planning.CONFLICT for item in error.error_dict.get("planned_start", [])
    )


class PlanView(PlanningPage):
    """Plan, move or reassign one sheet (the board's form and drag-and-drop post here)."""

    FIELDS = {"planned_start": "start", "planned_end": "end"}

    def _render(self, request: HttpRequest, sheet: Intervention, form: PlanForm, **extra: Any) -> HttpResponse:
        status = extra.pop("status", 200)
        context = {"sheet": sheet, "form": form, "locked": sheet.is_locked, **extra}
        return render(request, "interventions/partials/board_plan.html", context, status=status)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        sheet = selectors.sheet_get(actor=self.actor, pk=pk)
        week = request.GET.get("week", "")
        initial = {
            "start": sheet.planned_start,
            "end": sheet.planned_end,
            "technicians": list(sheet.technicians.all()),
            "week": week[:10],
        }
        return self._render(request, sheet, PlanForm(initial=initial, actor=self.actor))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        sheet = selectors.sheet_get(actor=self.actor, pk=pk)
        form = PlanForm(request.POST, actor=self.actor)
        wants_json = request.headers.get("X-Board") == "1"
        conflict = False
        if form.is_valid():
            data = form.cleaned_data
            try:
                planned = planning.sheet_plan(
                    actor=self.actor,
                    sheet=sheet,
                    start=data["start"],
                    end=data["end"],
                    technicians=list(data["technicians"]),
                    allow_conflict=data["allow_conflict"],
                )
            except ValidationError as error:
                conflict = _has_conflict(error)
                for field, errors in error.message_dict.items():
                    name = self.FIELDS.get(field, field)
                    for message in errors:
                        form.add_error(name if name in form.fields else None, message)
            else:
                if wants_json:
                    return JsonResponse({"ok": True, "sheet": planned.pk})
                messages.success(request, _("%(reference)s is planned.") % {"reference": planned.reference})
                week = data.get("week") or (
                    planning.iso_week(timezone.localtime(planned.planned_start).date()) if planned.planned_start else ""
                )
                return redirect(reverse("interventions:board") + (f"?week={week}" if week else ""))
        if wants_json:
            errors = [str(message) for messages_ in form.errors.values() for message in messages_]
            return JsonResponse({"ok": False, "conflict": conflict, "errors": errors}, status=422)
        return self._render(request, sheet, form, conflict=conflict, status=422)


# The technician's day ----------------------------------------------------------------------------


class MyDayView(PlanningPage):
    """``?date=YYYY-MM-DD``: the logged-in technician's sheets of the day, for a phone."""

    def get(self, request: HttpRequest) -> HttpResponse:
        today = timezone.localdate()
        try:
            day = datetime.date.fromisoformat(request.GET.get("date", ""))
        except ValueError:
            day = today
        sheets = planning.day_sheets(actor=self.actor, day=day)
        for sheet in sheets:
            sheet.contact = _contact_of(sheet)  # type: ignore[attr-defined]
            sheet.maps_url = _maps_url(sheet)  # type: ignore[attr-defined]
        context = {
            "day": day,
            "today": today,
            "previous_day": day - datetime.timedelta(days=1),
            "next_day": day + datetime.timedelta(days=1),
            "sheets": sheets,
        }
        return render(request, "interventions/my_day.html", context)


def _contact_of(sheet: Intervention) -> Any:
    """Who to call: the ticket's requester, else the site's first contact."""
    if sheet.ticket is not None and sheet.ticket.requester is not None:
        return sheet.ticket.requester
    if sheet.site is not None:
        for contact in sheet.site.contacts.all():
            if contact.archived_at is None:
                return contact
    return None


def _maps_url(sheet: Intervention) -> str:
    from urllib.parse import quote

    site = sheet.site
    if site is None:
        return ""
    address = ", ".join(part for part in (site.address, f"{site.postal_code} {site.city}".strip()) if part)
    if not address:
        return ""
    return "https://www.openstreetmap.org/search?query=" + quote(address)


# Calendar feeds ----------------------------------------------------------------------------------


class FeedForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Feed"), choices=FeedKind.choices, initial=FeedKind.TECHNICIAN)
    technician = forms.ModelChoiceField(
        label=gettext_lazy("Technician"), queryset=Membership.objects.none(), required=False
    )
    client = forms.ModelChoiceField(label=gettext_lazy("Client"), queryset=Client.objects.none(), required=False)
    label = forms.CharField(label=gettext_lazy("Label"), max_length=feeds.LABEL_MAX, required=False)

    def __init__(self, *args: Any, actor: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        technician = self.fields["technician"]
        client = self.fields["client"]
        assert isinstance(technician, forms.ModelChoiceField) and isinstance(client, forms.ModelChoiceField)
        technician.queryset = planning.technician_list(actor=actor)
        technician.label_from_instance = planning.person  # type: ignore[method-assign,assignment]
        client.queryset = Client.objects.filter(provider_id=actor.provider_id, archived_at__isnull=True).order_by(
            "name", "id"
        )


class FeedListView(PlanningPage):
    """The feeds the actor manages; creating one shows its URL once."""

    def _render(self, request: HttpRequest, form: FeedForm, status: int = 200, **extra: Any) -> HttpResponse:
        context = {
            "feeds": list(feeds.feed_list(actor=self.actor)),
            "form": form,
            "can_manage": can_manage_interventions(self.actor),
            **extra,
        }
        return render(request, "interventions/feed_list.html", context, status=status)

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._render(request, FeedForm(actor=self.actor))

    def post(self, request: HttpRequest) -> HttpResponse:
        form = FeedForm(request.POST, actor=self.actor)
        if form.is_valid():
            data = form.cleaned_data
            manager = can_manage_interventions(self.actor)
            try:
                feed, token = feeds.feed_create(
                    actor=self.actor,
                    kind=data["kind"],
                    technician=data["technician"] if manager else None,
                    client=data["client"] if manager else None,
                    label=data["label"],
                )
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    for message in errors:
                        form.add_error(field if field in form.fields else None, message)
            else:
                return self._render(request, FeedForm(actor=self.actor), new_feed=feed, new_url=feeds.feed_url(token))
        return self._render(request, form, status=422)


class FeedRevokeView(PlanningPage):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        feed = feeds.feed_get(actor=self.actor, pk=pk)
        feeds.feed_revoke(actor=self.actor, feed=feed)
        messages.success(request, _("The feed is revoked: its address no longer works."))
        target = request.POST.get("next", "")
        if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            return redirect(target)
        return redirect("interventions:feed_list")


@require_GET
def feed_ics(request: HttpRequest, token: str) -> HttpResponse:
    """The calendar of a live feed (no login: the token is the key). Unknown or revoked: 404."""
    feed: CalendarFeed = feeds.feed_by_token(token)
    now = timezone.now()
    body = feeds.feed_calendar(feed, now=now)
    feeds.feed_touch(feed, now)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    response["Content-Disposition"] = 'inline; filename="pacte.ics"'
    response["X-Robots-Tag"] = "noindex"
    return response
