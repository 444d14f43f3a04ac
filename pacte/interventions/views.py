"""The intervention sheet pages of the back office: the list, a new sheet, the sheet page and its file download.

Every page is for provider roles (``side = "provider"``: client roles get 404) and reads through the
scoped selectors, so a foreign sheet or file is a 404. The sheet page is built for a phone on site;
each of its blocks posts to its own small URL (``views_work``), which shows the page again with the
errors next to the fields of the form that was sent (422), or a 409 on a signed or cancelled sheet.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from pacte.assets.models import Asset
from pacte.assets.selectors import asset_list
from pacte.contracts.models import Contract
from pacte.contracts.selectors import contract_terms_at, contracts_in_force
from pacte.interventions import selectors, services
from pacte.interventions.forms import (
    BackupForm,
    CancelForm,
    ChecklistAddForm,
    DetailsForm,
    PartForm,
    PatchForm,
    SheetCreateForm,
    SheetFilterForm,
    TimeEntryForm,
    TravelForm,
    WorkForm,
    WorkshopForm,
    ticket_id,
)
from pacte.interventions.models import (
    BackupCheck,
    ChecklistItem,
    Intervention,
    Mode,
    SheetStatus,
)
from pacte.interventions.permissions import can_work_interventions
from pacte.servicedesk import downloads
from pacte.servicedesk import selectors as desk_selectors
from pacte.servicedesk.models import Ticket
from pacte.servicedesk.views import ProviderPage, add_service_errors
from pacte.tenancy import selectors as tenancy_selectors
from pacte.tenancy.models import Client, Membership, Site
from pacte.tenancy.permissions import require

PAGE_SIZE = 30


def sheet_time_zone(sheet: Intervention) -> str:
    """Where the sheet's times are read and typed: its site's zone, else its client's."""
    if sheet.site is not None:
        return sheet.site.time_zone or sheet.client.time_zone
    return sheet.client.time_zone


def ticket_time_zone(ticket: Ticket) -> str:
    if ticket.site is not None:
        return ticket.site.time_zone or ticket.client.time_zone
    return ticket.client.time_zone


def _int(value: Any) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**62 else None


def _query(data: QueryDict, **changes: str | None) -> str:
    query = data.copy()
    for key, value in changes.items():
        query.pop(key, None)
        if value:
            query[key] = value
    return query.urlencode()


# The list ----------------------------------------------------------------------------------------------


class SheetListView(ProviderPage):
    """Every sheet of the provider, filtered (status, client, technician, period, search), 30 a page."""

    def get(self, request: HttpRequest) -> HttpResponse:
        actor = self.actor
        technicians = list(desk_selectors.technician_list(actor=actor))
        form = SheetFilterForm(request.GET, clients=tenancy_selectors.client_list(actor=actor), technicians=technicians)
        queryset = selectors.sheet_list(actor=actor, **form.selector_kwargs(actor)).select_related("client", "site")
        page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
        context = {
            "form": form,
            "page": page,
            "sheets": list(page.object_list),
            "page_query": _query(request.GET, page=None),
            "can_work": can_work_interventions(actor),
        }
        return render(request, "interventions/sheet_list.html", context)


# A new sheet --------------------------------------------------------------------------------------------


class SheetCreateView(ProviderPage):
    """A new sheet, alone or from a ticket (``?ticket=ID``: client, site, equipment, contract and title prefilled)."""

    template_name = "interventions/sheet_new.html"

    def ticket(self, source: QueryDict) -> Ticket | None:
        pk = ticket_id(source.get("ticket"))
        return desk_selectors.ticket_get(actor=self.actor, pk=pk) if pk else None

    def form(self, data: QueryDict | None, source: QueryDict, ticket: Ticket | None) -> SheetCreateForm:
        actor = self.actor
        clients = tenancy_selectors.client_list(actor=actor)
        client: Client | None
        if ticket is not None and data is None:
            client = ticket.client
        else:
            client = clients.filter(pk=_int(source.get("client")) or 0).first()
        sites: QuerySet[Site] = Site.objects.none()
        assets: QuerySet[Asset] = Asset.objects.none()
        contracts: QuerySet[Contract] = Contract.objects.none()
        time_zone = "Europe/Paris"
        if client is not None:
            sites = tenancy_selectors.site_list(actor=actor, client_id=client.pk)
            assets = asset_list(actor=actor, client_id=client.pk)
            in_force = contracts_in_force(provider_id=actor.provider_id, client_id=client.pk, at=timezone.localdate())
            ids = [contract.pk for contract, _version in in_force]
            if ticket is not None and ticket.contract_id:
                ids.append(ticket.contract_id)
            contracts = Contract.objects.filter(provider_id=actor.provider_id, client_id=client.pk, pk__in=ids)
            time_zone = client.time_zone
            site = sites.filter(pk=_int(source.get("site")) or 0).first()
            if site is None and ticket is not None and data is None:
                site = ticket.site
            if site is not None:
                time_zone = site.time_zone or client.time_zone
        initial: dict[str, Any] | None = None
        if data is None:
            initial = {"client": client.pk if client is not None else None}
            if ticket is not None:
                initial.update(
                    ticket=ticket.pk,
                    title=ticket.title,
                    site=ticket.site_id,
                    contract=ticket.contract_id,
                    assets=[asset.pk for asset in ticket.assets.all()],
                    technicians=[ticket.assignee_id] if ticket.assignee_id else [actor.pk],
                )
            else:
                for name in ("title", "mode"):
                    if source.get(name):
                        initial[name] = source.get(name)
                initial["technicians"] = [actor.pk]
                if len(contracts) == 1:
                    initial["contract"] = contracts[0].pk
        return SheetCreateForm(
            data,
            clients=clients,
            sites=sites,
            contracts=contracts,
            assets=assets,
            technicians=desk_selectors.technician_list(actor=actor),
            time_zone=time_zone,
            initial=initial,
        )

    def get(self, request: HttpRequest) -> HttpResponse:
        require(can_work_interventions(self.actor))
        ticket = self.ticket(request.GET)
        form = self.form(None, request.GET, ticket)
        return render(request, self.template_name, {"form": form, "ticket": ticket})

    def post(self, request: HttpRequest) -> HttpResponse:
        require(can_work_interventions(self.actor))
        ticket = self.ticket(request.POST)
        form = self.form(request.POST, request.POST, ticket)
        if form.is_valid():
            data = form.cleaned_data
            try:
                sheet = services.sheet_create(
                    actor=self.actor,
                    client=data["client"],
                    title=data["title"],
                    mode=data["mode"],
                    site=data["site"],
                    contract=data["contract"],
                    ticket=ticket,
                    assets=list(data["assets"]),
                    technicians=list(data["technicians"]),
                    planned_start=data["planned_start"],
                    planned_end=data["planned_end"],
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Sheet %(reference)s has been created.") % {"reference": sheet.reference})
                return redirect("interventions:sheet_detail", sheet.pk)
        return render(request, self.template_name, {"form": form, "ticket": ticket}, status=422)


# The sheet page ------------------------------------------------------------------------------------------


def travel_zones(sheet: Intervention) -> list[tuple[str, str]]:
    """The travel zones of the contract in force on the sheet's day (and the one already recorded)."""
    zones: list[tuple[str, str]] = []
    if sheet.contract is not None:
        at = sheet.checked_in_at or sheet.planned_start or timezone.now()
        version = contract_terms_at(sheet.contract, timezone.localtime(at).date())
        if version is None:
            version = contract_terms_at(sheet.contract, sheet.contract.start_date)
        if version is not None:
            zones = [(zone.code, f"{zone.label} ({zone.code})") for zone in version.terms.travel.zones]
    if sheet.travel_zone and sheet.travel_zone not in {code for code, _label in zones}:
        zones.append((sheet.travel_zone, sheet.travel_zone))
    return zones


def checklist_groups(items: Iterable[ChecklistItem]) -> list[tuple[Asset | None, list[ChecklistItem]]]:
    """The checklist by equipment (the sheet's own checks first), in order."""
    groups: dict[int | None, tuple[Asset | None, list[ChecklistItem]]] = {}
    for item in items:
        key = item.asset_id
        if key not in groups:
            groups[key] = (item.asset, [])
        groups[key][1].append(item)
    return sorted(groups.values(), key=lambda group: (group[0] is not None, group[0].name if group[0] else ""))


class SheetPage(ProviderPage):
    """Renders the sheet page; the action views post to it and show it again with their form's errors."""

    def sheet(self) -> Intervention:
        if not hasattr(self, "_sheet"):
            self._sheet = selectors.sheet_get(actor=self.actor, pk=self.kwargs["pk"])
        return self._sheet

    def time_zone(self) -> str:
        return sheet_time_zone(self.sheet())

    def technicians(self) -> QuerySet[Membership]:
        return desk_selectors.technician_list(actor=self.actor)

    def sheet_assets(self) -> QuerySet[Asset]:
        return self.sheet().assets.all()

    # The forms, bound or fresh
    def details_form(self, data: Any = None) -> DetailsForm:
        sheet, actor = self.sheet(), self.actor
        initial = None
        if data is None:
            initial = {
                "title": sheet.title,
                "site": sheet.site_id,
                "assets": [asset.pk for asset in sheet.assets.all()],
                "technicians": [member.pk for member in sheet.technicians.all()],
            }
        return DetailsForm(
            data,
            sites=tenancy_selectors.site_list(actor=actor, client_id=sheet.client_id),
            assets=asset_list(actor=actor, client_id=sheet.client_id),
            technicians=self.technicians(),
            initial=initial,
        )

    def work_form(self, data: Any = None) -> WorkForm:
        sheet = self.sheet()
        names = ("diagnosis", "actions", "result", "recommendations", "follow_up_needed", "follow_up_notes")
        return WorkForm(data, initial={name: getattr(sheet, name) for name in names})

    def travel_form(self, data: Any = None) -> TravelForm:
        sheet = self.sheet()
        names = ("travel_minutes", "travel_km", "travel_zone")
        return TravelForm(data, zones=travel_zones(sheet), initial={name: getattr(sheet, name) for name in names})

    def workshop_form(self, data: Any = None) -> WorkshopForm:
        sheet = self.sheet()
        names = ("dropped_off_at", "dropped_off_by", "drop_off_condition", "returned_at", "returned_to")
        return WorkshopForm(data, time_zone=self.time_zone(), initial={name: getattr(sheet, name) for name in names})

    def backup_form(self, data: Any = None) -> BackupForm:
        sheet = self.sheet()
        initial = {"confirmed_by": sheet.backup_confirmed_by}
        if sheet.backup_check != BackupCheck.PENDING:
            initial["check"] = sheet.backup_check
        return BackupForm(data, initial=initial)

    def time_form(self, data: Any = None) -> TimeEntryForm:
        sheet, actor = self.sheet(), self.actor
        initial: dict[str, Any] = {"technician": actor.pk}
        if sheet.checked_in_at is not None and not sheet.time_entries.exists():
            initial["started_at"] = sheet.checked_in_at
            if sheet.checked_out_at is not None:
                initial["ended_at"] = sheet.checked_out_at
        return TimeEntryForm(data, technicians=self.technicians(), time_zone=self.time_zone(), initial=initial)

    def part_form(self, data: Any = None) -> PartForm:
        return PartForm(data, assets=self.sheet_assets())

    def checklist_form(self, data: Any = None) -> ChecklistAddForm:
        return ChecklistAddForm(data, assets=self.sheet_assets())

    def patch_form(self, data: Any = None) -> PatchForm:
        return PatchForm(data, assets=self.sheet_assets())

    def cancel_form(self, data: Any = None) -> CancelForm:
        return CancelForm(data)

    def render_page(
        self,
        request: HttpRequest,
        status: int = 200,
        open_form: str = "",
        errors: list[str] | None = None,
        **forms: Any,
    ) -> HttpResponse:
        sheet = self.sheet()
        locked = sheet.is_locked
        entries = list(sheet.time_entries.select_related("technician__user"))
        checklist = list(sheet.checklist.select_related("asset"))
        context: dict[str, Any] = {
            "sheet": sheet,
            "locked": locked,
            "time_zone": self.time_zone(),
            "technicians": list(sheet.technicians.all()),
            "assets": list(sheet.assets.all()),
            "entries": entries,
            "entries_total": sum(entry.minutes for entry in entries),
            "parts": list(sheet.parts.select_related("asset")),
            "checklist_groups": checklist_groups(checklist),
            "patches": list(sheet.patches.select_related("asset")),
            "files": list(sheet.files.all()),
            "corrections": list(sheet.corrections.all()),
            "missing": services.sheet_missing_fields(sheet) if not locked else {},
            "can_check_in": not locked and sheet.checked_in_at is None,
            "can_check_out": not locked and sheet.checked_in_at is not None and sheet.checked_out_at is None,
            "backup_pending": sheet.mode == Mode.ON_SITE and sheet.backup_check == BackupCheck.PENDING,
            "is_workshop": sheet.mode == Mode.WORKSHOP,
            "open_form": open_form,
            "page_errors": errors or [],
            "statuses": SheetStatus,
        }
        if not locked:
            for name in ("details", "work", "travel", "workshop", "backup", "time", "part", "checklist", "patch"):
                key = f"{name}_form"
                context[key] = forms.get(key) or getattr(self, key)()
            context["cancel_form"] = forms.get("cancel_form") or self.cancel_form()
        return render(request, "interventions/sheet_detail.html", context, status=status)

    def back(self, anchor: str = "") -> HttpResponse:
        return redirect(reverse("interventions:sheet_detail", args=[self.sheet().pk]) + anchor)


class SheetDetailView(SheetPage):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self.render_page(request)


class SheetFileView(ProviderPage):
    """A photo or file of a sheet, as a download no browser renders."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponseBase:
        file = selectors.file_get(actor=self.actor, pk=pk)
        return downloads.attachment_response(file)  # type: ignore[arg-type]  # same fields as a ticket's file


# Time on a ticket (remote work) ---------------------------------------------------------------------------


class TicketTimeAddView(ProviderPage):
    """Remote work logged on a ticket from its page; on an error, a page of its own with the form (422)."""

    http_method_names = ["get", "post"]
    template_name = "interventions/ticket_time.html"

    def ticket(self) -> Ticket:
        if not hasattr(self, "_ticket"):
            self._ticket = desk_selectors.ticket_get(actor=self.actor, pk=self.kwargs["pk"])
        return self._ticket

    def form(self, data: Any = None) -> TimeEntryForm:
        ticket = self.ticket()
        now = timezone.now().replace(second=0, microsecond=0)
        initial = {"technician": self.actor.pk, "started_at": now - datetime.timedelta(minutes=30), "ended_at": now}
        return TimeEntryForm(
            data,
            technicians=desk_selectors.technician_list(actor=self.actor),
            time_zone=ticket_time_zone(ticket),
            initial=initial,
            prefix="ticket_time",
        )

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        require(can_work_interventions(self.actor))
        ticket = self.ticket()
        context = {"ticket": ticket, "form": self.form(), "time_zone": ticket_time_zone(ticket)}
        return render(request, self.template_name, context)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        ticket = self.ticket()
        require(can_work_interventions(self.actor))
        form = self.form(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.time_entry_add(
                    actor=self.actor,
                    technician=data["technician"],
                    started_at=data["started_at"],
                    ended_at=data["ended_at"],
                    nature=data["nature"],
                    description=data["description"],
                    ticket=ticket,
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("The time has been logged on the ticket."))
                return redirect(reverse("servicedesk:ticket_detail", args=[ticket.pk]) + "#interventions")
        context = {"ticket": ticket, "form": form, "time_zone": ticket_time_zone(ticket)}
        return render(request, self.template_name, context, status=422)
