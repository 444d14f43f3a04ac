"""The provider's service desk pages: the queue (filters, keyset pages, saved views, bulk actions),
logging a call, and the file download. The ticket page is in ``views_ticket``, settings in ``views_settings``.

Every page is for provider roles (``side = "provider"``: client roles get 404) and reads through the
scoped selectors, so a foreign ticket, file or view is a 404.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import json
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import F, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View

from pacte.assets.models import Asset
from pacte.assets.selectors import asset_list
from pacte.contracts.selectors import category_list
from pacte.core.views import ActorRequiredMixin
from pacte.servicedesk import downloads, selectors, services, settings_services
from pacte.servicedesk.forms import BulkForm, QueueFilterForm, SavedViewForm, TicketCreateForm
from pacte.servicedesk.models import OPEN_STATUSES, Coverage, SlaState, Ticket, TicketStatus
from pacte.servicedesk.permissions import can_manage_desk, can_work_tickets
from pacte.sla.domain import engine_for
from pacte.sla.models import ServiceLevel
from pacte.sla.selectors import ticket_calendar
from pacte.tenancy import selectors as tenancy_selectors
from pacte.tenancy.models import Contact, Membership, Site
from pacte.tenancy.permissions import require

PAGE_SIZE = selectors.PAGE_SIZE
#: The count shown above the queue stops here ("1000+"): counting a million rows is not worth it.
COUNT_CAP = 1000


def _int(value: Any) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**62 else None


class ProviderPage(ActorRequiredMixin, View):
    side = "provider"


def add_service_errors(form: Any, error: ValidationError) -> None:
    """A service's ``ValidationError`` next to the form's fields (or above the form)."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


# Keyset pagination ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cursor:
    """Where a page ends: the sort key of its last row (``None`` for a ticket with no due instant) and its id."""

    sort: str
    value: datetime.datetime | None
    pk: int


def cursor_encode(sort: str, ticket: Ticket) -> str:
    value = ticket.next_due if sort == "due" else ticket.last_activity_at
    raw = json.dumps([sort, value.isoformat() if value is not None else None, ticket.pk], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def cursor_decode(token: str | None, sort: str) -> Cursor | None:
    """The cursor a "next page" link carries, or ``None`` (first page) when it is absent or not one of ours."""
    if not token or len(token) > 200:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        kind, value, pk = json.loads(raw)
        instant = datetime.datetime.fromisoformat(value) if value is not None else None
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        return None
    if kind != sort or not isinstance(pk, int) or isinstance(pk, bool) or not 0 < pk < 2**62:
        return None
    if instant is not None and instant.tzinfo is None:
        return None
    if instant is None and sort != "due":
        return None
    return Cursor(sort, instant, pk)


def keyset_order(queryset: QuerySet[Ticket], sort: str, cursor: Cursor | None) -> QuerySet[Ticket]:
    """Ordered by next due (no due instant last) then id, or by last activity (newest first) then id;
    rows after ``cursor`` only. No OFFSET: the next page is a range on the sort key."""
    if sort == "recent":
        queryset = queryset.order_by("-last_activity_at", "-id")
        if cursor is not None and cursor.value is not None:
            queryset = queryset.filter(
                Q(last_activity_at__lt=cursor.value) | Q(last_activity_at=cursor.value, id__lt=cursor.pk)
            )
        return queryset
    queryset = queryset.order_by(F("next_due").asc(nulls_last=True), "id")
    if cursor is not None:
        if cursor.value is None:
            queryset = queryset.filter(next_due__isnull=True, id__gt=cursor.pk)
        else:
            queryset = queryset.filter(
                Q(next_due__gt=cursor.value) | Q(next_due=cursor.value, id__gt=cursor.pk) | Q(next_due__isnull=True)
            )
    return queryset


# Business time left, for a page of rows --------------------------------------------------------------


@dataclass
class QueueRow:
    ticket: Ticket
    state: str
    seconds: int | None  # business seconds before the next due instant (negative: late, in wall time)


def queue_rows(tickets: list[Ticket], *, actor: Membership, now: datetime.datetime) -> list[QueueRow]:
    """Each ticket with its SLA state as of ``now`` and the business time left before its next due instant.

    The calendar of a ticket depends on its service level and its site (or client); it is built once
    per distinct (service level, site, client) of the page, from service levels read in one query,
    so the queries do not grow with the rows (``clock.remaining_seconds`` does the same for one ticket).
    """
    running = [t for t in tickets if t.next_due is not None and t.service_level_id is not None]
    level_ids = {t.service_level_id for t in running}
    levels = {
        level.pk: level
        for level in ServiceLevel.objects.filter(pk__in=level_ids, provider_id=actor.provider_id)
        .select_related("calendar")
        .prefetch_related("calendar__exceptions")
    }
    engines: dict[tuple[int | None, int | None, int], Any] = {}
    rows = []
    for ticket in tickets:
        seconds = None
        level = levels.get(ticket.service_level_id or 0)
        if ticket.next_due is not None and level is not None:
            key = (level.pk, ticket.site_id, ticket.client_id)
            if key not in engines:
                site: Site | None = ticket.site
                if site is not None and site.client_id == ticket.client_id:
                    site.client = ticket.client  # the same row: spares a query
                engines[key] = engine_for(ticket_calendar(service_level=level, site=site, client=ticket.client))
            if ticket.next_due >= now:
                seconds = engines[key].business_seconds_between(now, ticket.next_due)
            else:
                seconds = -int((now - ticket.next_due).total_seconds())
        rows.append(QueueRow(ticket, _row_state(ticket, seconds), seconds))
    return rows


def _row_state(ticket: Ticket, seconds: int | None) -> str:
    state = ticket.sla_state
    if ticket.status not in OPEN_STATUSES:
        return SlaState.BREACHED if state == SlaState.BREACHED else (SlaState.MET if state != SlaState.NONE else state)
    if seconds is not None and seconds < 0:
        return SlaState.BREACHED
    return state


# The queue ----------------------------------------------------------------------------------------------


def _queue_query(data: QueryDict, **changes: str | None) -> str:
    query = data.copy()
    for key, value in changes.items():
        query.pop(key, None)
        if value:
            query[key] = value
    return query.urlencode()


class TicketListView(ProviderPage):
    """The queue: what to work on next, filtered, sorted by next due or activity, 50 rows a page."""

    def get(self, request: HttpRequest) -> HttpResponse:
        actor = self.actor
        technicians = list(selectors.technician_list(actor=actor))
        form = QueueFilterForm(
            request.GET,
            clients=tenancy_selectors.client_list(actor=actor),
            technicians=technicians,
            teams=selectors.team_list(actor=actor),
        )
        queryset = selectors.ticket_list(actor=actor, filters=form.filters(actor))
        if form.outside_contract:
            queryset = queryset.filter(coverage__in=[Coverage.OUT_OF_SCOPE, Coverage.NO_CONTRACT])
        sort = form.sort_value
        cursor = cursor_decode(request.GET.get("cursor"), sort)
        tickets = list(keyset_order(queryset, sort, cursor)[: PAGE_SIZE + 1])
        more = len(tickets) > PAGE_SIZE
        tickets = tickets[:PAGE_SIZE]
        count = queryset.order_by().values("pk")[: COUNT_CAP + 1].count()
        rows = queue_rows(tickets, actor=actor, now=timezone.now())
        saved_query = settings_services.clean_view_query(request.GET.urlencode())
        context = {
            "form": form,
            "rows": rows,
            "count": count,
            "count_capped": count > COUNT_CAP,
            "cap": COUNT_CAP,
            "sort": sort,
            "paged": cursor is not None,
            "next_query": _queue_query(request.GET, cursor=cursor_encode(sort, tickets[-1])) if more else "",
            "first_query": _queue_query(request.GET, cursor=None),
            "sort_queries": {value: _queue_query(request.GET, cursor=None, sort=value) for value in ("due", "recent")},
            "technicians": technicians,
            "statuses": TicketStatus.choices,
            "saved_views": list(selectors.saved_view_list(actor=actor)),
            "saved_query": saved_query,
            "current_query": _queue_query(request.GET, cursor=None),
            "view_form": SavedViewForm(initial={"query": saved_query}),
            "can_manage": can_manage_desk(actor),
        }
        return render(request, "servicedesk/ticket_list.html", context)


def _back_to_queue(request: HttpRequest, query: str = "") -> HttpResponse:
    url = reverse("servicedesk:ticket_list")
    return redirect(f"{url}?{query}" if query else url)


def _safe_queue_query(value: str | None) -> str:
    """A query string to go back to the queue with (only its own filters survive)."""
    return settings_services.clean_view_query(value or "")


class TicketBulkView(ProviderPage):
    """Ticked rows → one technician or one status for all, each ticket changed (and audited) on its own."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        actor = self.actor
        require(can_work_tickets(actor))
        technicians = list(selectors.technician_list(actor=actor))
        form = BulkForm(request.POST, technicians=technicians)
        back = _safe_queue_query(request.POST.get("next"))
        if not form.is_valid():
            for error in [*form.errors.get("__all__", []), *form.errors.get("ids", [])]:
                messages.error(request, str(error))
            for name in ("assignee", "status"):
                if name in form.errors:
                    messages.error(request, _("Choose a technician or a status from the lists."))
            return _back_to_queue(request, back)
        ids = set(form.cleaned_data["ids"])
        tickets = list(selectors.ticket_scope(actor).filter(pk__in=ids).order_by("id"))
        if len(tickets) != len(ids):
            raise Http404  # a ticket that is not the actor's: nothing is done
        assignee: Membership | None | services.Keep = services.KEEP
        choice = form.cleaned_data["assignee"]
        if choice == "none":
            assignee = None
        elif choice:
            assignee = next(m for m in technicians if str(m.pk) == choice)
        result = services.tickets_bulk(
            actor=actor, tickets=tickets, status=form.cleaned_data["status"] or None, assignee=assignee
        )
        done, skipped = result["done"], result["skipped"]
        summary = ngettext("%(count)d ticket updated.", "%(count)d tickets updated.", done) % {"count": done}
        if skipped:
            summary += " " + ngettext(
                "%(count)d skipped: that change is not possible for it.",
                "%(count)d skipped: that change is not possible for them.",
                skipped,
            ) % {"count": skipped}
        (messages.success if not skipped else messages.warning)(request, summary)
        return _back_to_queue(request, back)


class SavedViewCreateView(ProviderPage):
    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        form = SavedViewForm(request.POST)
        query = _safe_queue_query(request.POST.get("query"))
        if not form.is_valid():
            messages.error(request, _("Give the view a name (at most 80 characters)."))
            return _back_to_queue(request, query)
        try:
            view = settings_services.saved_view_create(
                actor=self.actor, name=form.cleaned_data["name"], query=form.cleaned_data["query"]
            )
        except ValidationError as error:
            for problems in error.message_dict.values():
                for problem in problems:
                    messages.error(request, problem)
            return _back_to_queue(request, query)
        messages.success(request, _("The view “%(name)s” has been saved.") % {"name": view.name})
        return _back_to_queue(request, view.query)


class SavedViewDeleteView(ProviderPage):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        view = get_object_or_404(selectors.saved_view_list(actor=self.actor), pk=pk)
        name = view.name
        settings_services.saved_view_delete(actor=self.actor, view=view)
        messages.success(request, _("The view “%(name)s” has been deleted.") % {"name": name})
        return _back_to_queue(request)


# Logging a call ------------------------------------------------------------------------------------------


class TicketCreateView(ProviderPage):
    """The phone call: client, requester, what is wrong; the client's lists follow the client (htmx or reload)."""

    template_name = "servicedesk/ticket_new.html"

    def form(self, data: QueryDict | None, source: QueryDict) -> TicketCreateForm:
        actor = self.actor
        clients = tenancy_selectors.client_list(actor=actor)
        client = clients.filter(pk=_int(source.get("client")) or 0).first()
        if client is not None:
            contacts = tenancy_selectors.contact_list(actor=actor, client_id=client.pk)
            sites = tenancy_selectors.site_list(actor=actor, client_id=client.pk)
            assets = asset_list(actor=actor, client_id=client.pk)
        else:
            contacts, sites, assets = Contact.objects.none(), Site.objects.none(), Asset.objects.none()
        initial: dict[str, Any] | None = None
        if data is None:  # a reload after choosing the client keeps what was typed
            initial = {name: source.get(name) for name in ("title", "description", "impact", "urgency", "channel")}
            initial = {name: value for name, value in initial.items() if value}
            initial["client"] = client.pk if client is not None else None
            initial["description_format"] = source.get("description_format") or "text"
        return TicketCreateForm(
            data,
            clients=clients,
            contacts=contacts,
            sites=sites,
            assets=assets,
            categories=category_list(actor=actor),
            initial=initial,
        )

    def get(self, request: HttpRequest) -> HttpResponse:
        require(can_work_tickets(self.actor))
        form = self.form(None, request.GET)
        if request.headers.get("HX-Request") == "true":
            return render(request, "servicedesk/partials/client_fields.html", {"form": form})
        return render(request, self.template_name, {"form": form})

    def post(self, request: HttpRequest) -> HttpResponse:
        require(can_work_tickets(self.actor))
        form = self.form(request.POST, request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                ticket = services.ticket_open(
                    actor=self.actor,
                    client=data["client"],
                    title=data["title"],
                    description=data["description"],
                    description_format=data["description_format"] or "text",
                    channel=data["channel"],
                    requester=data["requester"],
                    site=data["site"],
                    assets=list(data["assets"]),
                    category=data["category"],
                    impact=data["impact"],
                    urgency=data["urgency"],
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Ticket %(reference)s has been opened.") % {"reference": ticket.reference})
                return redirect("servicedesk:ticket_detail", ticket.pk)
        return render(request, self.template_name, {"form": form}, status=422)


# File download ---------------------------------------------------------------------------------------------


class AttachmentDownloadView(ProviderPage):
    def get(self, request: HttpRequest, pk: int) -> HttpResponseBase:
        return downloads.attachment_response(selectors.attachment_get(actor=self.actor, pk=pk))
