"""The client portal's intervention pages: the company's sheets and one sheet's read-only summary.

Client roles see their own company's sheets only (``selectors.sheet_list`` / ``sheet_get`` scope
them); anything else is a 404, as are these pages for provider roles. The signed PDF and the remote
signature are other pages (``portal:intervention_pdf``, ``portal:intervention_remote_sign`` and, while a
remote signature is awaited, ``portal:intervention_sign``).
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views import View

from pacte.core.views import ActorRequiredMixin
from pacte.interventions import selectors, signing
from pacte.interventions.models import SheetStatus
from pacte.interventions.views import sheet_time_zone

PAGE_SIZE = 25


class PortalPage(ActorRequiredMixin, View):
    side = "client"


class InterventionListView(PortalPage):
    def get(self, request: HttpRequest) -> HttpResponse:
        queryset = (
            selectors.sheet_list(actor=self.actor)
            .exclude(status=SheetStatus.CANCELLED)
            .select_related("site", "document")
        )
        page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
        sheets = list(page.object_list)
        now = timezone.now()
        awaiting = {
            sheet.pk for sheet in sheets if signing.remote_sign_state(sheet, now) == signing.RemoteLinkState.OPEN
        }
        context = {"page": page, "sheets": sheets, "awaiting": awaiting}
        return render(request, "interventions/portal/sheet_list.html", context)


class InterventionDetailView(PortalPage):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        sheet = selectors.sheet_get(actor=self.actor, pk=pk)
        entries = list(sheet.time_entries.select_related("technician__user"))
        remote_pending = signing.remote_sign_state(sheet) == signing.RemoteLinkState.OPEN
        context = {
            "sheet": sheet,
            "time_zone": sheet_time_zone(sheet),
            "technicians": list(sheet.technicians.all()),
            "assets": list(sheet.assets.all()),
            "entries": entries,
            "entries_total": sum(entry.minutes for entry in entries),
            "parts": list(sheet.parts.select_related("asset")),
            "checklist": list(sheet.checklist.select_related("asset")),
            "patches": list(sheet.patches.select_related("asset")),
            "remote_pending": remote_pending,
        }
        return render(request, "interventions/portal/sheet_detail.html", context)
