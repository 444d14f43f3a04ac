"""The service desk's settings page (provider admins and managers): the priority matrix, unknown senders,
the support address, and the teams tickets are assigned to. Technicians get 403."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from pacte.servicedesk import selectors, services, settings_services
from pacte.servicedesk.forms import DeskSettingsForm, TeamForm
from pacte.servicedesk.models import Team
from pacte.servicedesk.permissions import can_manage_desk
from pacte.servicedesk.views import ProviderPage, add_service_errors
from pacte.tenancy.models import Membership
from pacte.tenancy.permissions import require


class SettingsPage(ProviderPage):
    template_name = "servicedesk/settings.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        actor = getattr(request, "actor", None)
        if actor is not None and actor.is_provider_side:
            require(can_manage_desk(actor))
        return super().dispatch(request, *args, **kwargs)

    def settings_form(self, data: Any = None) -> DeskSettingsForm:
        current = services.settings_for(self.actor.provider_id)
        return DeskSettingsForm(
            data,
            matrix=current.priority_matrix or {},
            unknown_sender=current.unknown_sender,
            inbound_address=current.inbound_address,
        )

    def team(self, pk: int) -> Team:
        return get_object_or_404(Team.objects.filter(provider_id=self.actor.provider_id), pk=pk)

    def render_page(self, request: HttpRequest, status: int = 200, **forms: Any) -> HttpResponse:
        technicians = selectors.technician_list(actor=self.actor)
        members = Prefetch("members", queryset=Membership.objects.select_related("user"))
        teams = list(
            Team.objects.filter(provider_id=self.actor.provider_id).prefetch_related(members).order_by("name", "id")
        )
        edited = forms.get("team_form")
        team_forms = []
        for team in teams:
            if team.archived_at is not None:
                continue
            if edited is not None and edited.prefix == f"team{team.pk}":
                team_forms.append((team, edited))
            else:
                team_forms.append((team, TeamForm(technicians=technicians, team=team, prefix=f"team{team.pk}")))
        context = {
            "form": forms.get("settings_form") or self.settings_form(),
            "team_forms": team_forms,
            "archived_teams": [team for team in teams if team.archived_at is not None],
            "new_team_form": forms.get("new_team_form") or TeamForm(technicians=technicians, prefix="new"),
        }
        return render(request, self.template_name, context, status=status)


class SettingsView(SettingsPage):
    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render_page(request)

    def post(self, request: HttpRequest) -> HttpResponse:
        form = self.settings_form(request.POST)
        if form.is_valid():
            try:
                settings_services.desk_settings_update(
                    actor=self.actor,
                    priority_matrix=form.matrix(),
                    unknown_sender=form.cleaned_data["unknown_sender"],
                    inbound_address=form.cleaned_data["inbound_address"],
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("The service desk settings have been saved."))
                return redirect("servicedesk:settings")
        return self.render_page(request, status=422, settings_form=form)


class TeamCreateView(SettingsPage):
    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        form = TeamForm(request.POST, technicians=selectors.technician_list(actor=self.actor), prefix="new")
        if form.is_valid():
            try:
                team = settings_services.team_create(
                    actor=self.actor, name=form.cleaned_data["name"], members=form.cleaned_data["members"]
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("The team “%(name)s” has been created.") % {"name": team.name})
                return redirect("servicedesk:settings")
        return self.render_page(request, status=422, new_team_form=form)


class TeamUpdateView(SettingsPage):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        team = self.team(pk)
        form = TeamForm(
            request.POST, technicians=selectors.technician_list(actor=self.actor), team=team, prefix=f"team{team.pk}"
        )
        if form.is_valid():
            try:
                team = settings_services.team_update(
                    actor=self.actor, team=team, name=form.cleaned_data["name"], members=form.cleaned_data["members"]
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("The team “%(name)s” has been saved.") % {"name": team.name})
                return redirect("servicedesk:settings")
        return self.render_page(request, status=422, team_form=form)


class TeamArchiveView(SettingsPage):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        team = settings_services.team_archive(actor=self.actor, team=self.team(pk))
        messages.success(request, _("The team “%(name)s” has been archived.") % {"name": team.name})
        return redirect("servicedesk:settings")
