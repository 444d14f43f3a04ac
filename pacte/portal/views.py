"""The client-facing pages: they call other apps' selectors and services, never the ORM."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views import View

from pacte.core.views import ActorRequiredMixin
from pacte.tenancy import selectors
from pacte.tenancy.permissions import can_manage_client_records, can_view_memberships


class PortalHomeView(ActorRequiredMixin, View):
    side = "client"

    def get(self, request: HttpRequest) -> HttpResponse:
        client = selectors.client_get(actor=self.actor, pk=self.actor.client_id or 0)
        return render(request, "portal/home.html", {"client": client})


class PortalCompanyView(ActorRequiredMixin, View):
    side = "client"

    def get(self, request: HttpRequest) -> HttpResponse:
        client = selectors.client_get(actor=self.actor, pk=self.actor.client_id or 0)
        context = {
            "client": client,
            "sites": selectors.site_list(actor=self.actor),
            "contacts": selectors.contact_list(actor=self.actor),
            "can_manage_records": can_manage_client_records(self.actor, client),
            "can_view_users": can_view_memberships(self.actor),
        }
        return render(request, "portal/company.html", context)
