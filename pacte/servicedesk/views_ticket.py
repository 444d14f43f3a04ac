"""The ticket page of the back office and its actions: reply or note, status, assignment, details, quotes.

Each action posts to its own URL and calls one service; on a validation error the ticket page is
shown again (422) with the error next to the field of the form that was sent, and nothing is saved.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pacte.assets.selectors import asset_list
from pacte.contracts.selectors import category_list
from pacte.servicedesk import clock, messaging, quotes, selectors, services
from pacte.servicedesk.forms import AssignForm, QuoteForm, ReplyForm, StatusForm, TicketUpdateForm
from pacte.servicedesk.models import (
    Billing,
    Coverage,
    EventKind,
    Quote,
    QuoteStatus,
    Ticket,
    TicketEvent,
    TicketMessage,
    TicketStatus,
)
from pacte.servicedesk.permissions import can_work_tickets
from pacte.servicedesk.templatetags.servicedesk_tags import pause_label
from pacte.servicedesk.views import ProviderPage, add_service_errors
from pacte.sla import clock as sla_clock
from pacte.sla.domain import engine_for
from pacte.tenancy import selectors as tenancy_selectors
from pacte.tenancy.permissions import require

#: Files one reply may carry, and their total size (each file is also checked by ``messaging``).
MAX_UPLOAD_FILES = messaging.MAX_FILES_PER_MESSAGE

TARGET_LABELS = {
    sla_clock.TargetKind.RESPONSE: gettext_lazy("Response"),
    sla_clock.TargetKind.INTERVENTION: gettext_lazy("Intervention (GTI)"),
    sla_clock.TargetKind.RESTORATION: gettext_lazy("Restoration (GTR)"),
    sla_clock.TargetKind.RESOLUTION: gettext_lazy("Resolution"),
}
#: Clock events that only repeat a status change made at the same instant (not shown twice).
_ECHOES_OF_STATUS = frozenset(
    {EventKind.PAUSED, EventKind.RESUMED, EventKind.RESTORED, EventKind.RESOLVED, EventKind.REOPENED, EventKind.CLOSED}
)
_ECHOES_OF_CHANGE = frozenset({EventKind.PRIORITY_CHANGED, EventKind.SERVICE_LEVEL_CHANGED})
CHANGE_LABELS = {
    "title": gettext_lazy("title"),
    "site": gettext_lazy("site"),
    "assets": gettext_lazy("equipment"),
    "category": gettext_lazy("category"),
    "impact": gettext_lazy("impact"),
    "urgency": gettext_lazy("urgency"),
    "priority": gettext_lazy("priority"),
    "requester": gettext_lazy("requester"),
    "contract": gettext_lazy("contract"),
    "service_level": gettext_lazy("service level"),
}


def ticket_time_zone(ticket: Ticket) -> str:
    """Where the ticket's clock runs: its site's zone, else its client's."""
    if ticket.site is not None:
        return ticket.site.time_zone or ticket.client.time_zone
    return ticket.client.time_zone


# The SLA panel ----------------------------------------------------------------------------------------


@dataclass
class TargetLine:
    label: str
    target_seconds: int
    basis: str
    state: str  # running, at_risk, paused, met, breached
    due: datetime.datetime | None
    left: int | None  # business (or calendar) seconds before ``due``; negative: late
    stopped_at: datetime.datetime | None
    breached_at: datetime.datetime | None
    paused_seconds: int


def sla_panel(ticket: Ticket, now: datetime.datetime) -> tuple[sla_clock.ClockResult | None, list[TargetLine]]:
    """Each target of the ticket's clock: due instant, state, time left (business time on its calendar)."""
    if ticket.service_level_id is None:
        return None, []
    result = clock.ticket_clock(ticket, now=now)
    terms = clock.terms_for(ticket, [result.service_level]).get(result.service_level)
    engine = engine_for(terms.calendar) if terms is not None else None
    lines = []
    for kind in sla_clock.TargetKind:
        outcome = result.targets.get(kind)
        if outcome is None:
            continue
        state = outcome.state.value
        left = None
        if outcome.state is sla_clock.TargetState.RUNNING and outcome.due is not None:
            if outcome.due < now:
                left = -int((now - outcome.due).total_seconds())
                state = "breached"
            elif outcome.basis is sla_clock.Basis.BUSINESS and engine is not None:
                left = engine.business_seconds_between(now, outcome.due)
            else:
                left = int((outcome.due - now).total_seconds())
            if state == "running" and outcome.warning_at is not None and outcome.warning_at <= now:
                state = "at_risk"
        lines.append(
            TargetLine(
                label=str(TARGET_LABELS[kind]),
                target_seconds=outcome.target_seconds,
                basis=outcome.basis.value,
                state=state,
                due=outcome.due,
                left=left,
                stopped_at=outcome.stopped_at,
                breached_at=outcome.breached_at,
                paused_seconds=sum(outcome.paused_seconds.values()),
            )
        )
    return result, lines


# The timeline -----------------------------------------------------------------------------------------


@dataclass
class TimelineItem:
    at: datetime.datetime
    kind: str
    text: str = ""
    event: TicketEvent | None = None
    message: TicketMessage | None = None

    @property
    def is_message(self) -> bool:
        return self.message is not None


def _label(choices: Any, value: Any) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value or "")


def describe(event: TicketEvent) -> str:
    """One line of the timeline, in words."""
    data = event.data or {}
    kind = event.kind
    if kind == EventKind.OPENED:
        return _("Ticket opened (priority %(priority)s).") % {"priority": data.get("priority", "")}
    if kind == EventKind.STATUS:
        text = _("Status: %(old)s → %(new)s.") % {
            "old": _label(TicketStatus, data.get("from")),
            "new": _label(TicketStatus, data.get("to")),
        }
        return f"{text} {data['comment']}" if data.get("comment") else text
    if kind == EventKind.ASSIGNED:
        who = data.get("assignee") or _("nobody")
        if data.get("team"):
            return _("Assigned to %(who)s, team %(team)s.") % {"who": who, "team": data["team"]}
        return _("Assigned to %(who)s.") % {"who": who}
    if kind == EventKind.ATTACHMENT:
        suffix = _(" (internal)") if data.get("internal") else ""
        return _("File added: %(name)s") % {"name": data.get("file", "")} + suffix
    if kind == EventKind.COVERAGE:
        text = _label(Coverage, data.get("coverage"))
        if data.get("contract"):
            text += " — " + str(data["contract"])
        if data.get("note"):
            text += f" ({data['note']})"
        return text
    if kind == EventKind.QUOTE:
        status = data.get("status")
        if status == QuoteStatus.PENDING:
            return _("Quote proposed: %(amount)s € excl. VAT.") % {"amount": data.get("amount", "")}
        return _("Quote: %(status)s.") % {"status": _label(QuoteStatus, status).lower()}
    if kind == EventKind.CHANGED:
        names = [str(CHANGE_LABELS.get(name, name)) for name in (data.get("changes") or {})]
        return _("Details changed: %(fields)s.") % {"fields": ", ".join(names)}
    if kind == EventKind.PAUSED:
        return _("Clock paused: %(reason)s.") % {"reason": pause_label(data.get("reason", ""))}
    if kind in (EventKind.SLA_WARNING, EventKind.SLA_BREACH):
        target = data.get("target", "")
        try:
            target = TARGET_LABELS[sla_clock.TargetKind(target)]
        except ValueError:
            pass
        return f"{_label(EventKind, kind)}: {target}" if target else _label(EventKind, kind)
    return _label(EventKind, kind)


def timeline_items(events: list[TicketEvent], ticket_messages: list[TicketMessage]) -> list[TimelineItem]:
    """Events and messages interleaved by time; a message takes the place of its own event."""
    by_id = {message.pk: message for message in ticket_messages}
    status_instants = {e.at for e in events if e.kind == EventKind.STATUS}
    change_instants = {e.at for e in events if e.kind == EventKind.CHANGED}
    items: list[TimelineItem] = []
    shown: set[int] = set()
    for event in events:
        if event.kind in (EventKind.MESSAGE, EventKind.NOTE):
            message = by_id.get(int((event.data or {}).get("message") or 0))
            if message is not None and message.pk not in shown:
                shown.add(message.pk)
                items.append(TimelineItem(at=message.created_at, kind=message.visibility, message=message))
            continue
        if event.kind in _ECHOES_OF_STATUS and event.at in status_instants:
            continue
        if event.kind in _ECHOES_OF_CHANGE and event.at in change_instants:
            continue
        items.append(TimelineItem(at=event.at, kind=event.kind, text=describe(event), event=event))
    for message in ticket_messages:
        if message.pk not in shown:
            items.append(TimelineItem(at=message.created_at, kind=message.visibility, message=message))
    items.sort(key=lambda item: item.at)
    return items


# Pages ------------------------------------------------------------------------------------------------


class TicketPage(ProviderPage):
    """Renders the ticket page; the action views post to it and show it again with their form's errors."""

    def ticket(self) -> Ticket:
        if not hasattr(self, "_ticket"):
            self._ticket = selectors.ticket_get(actor=self.actor, pk=self.kwargs["pk"])
        return self._ticket

    def allowed_statuses(self, ticket: Ticket) -> list[tuple[str, Any]]:
        return [
            (value, label)
            for value, label in TicketStatus.choices
            if services.status_allowed(self.actor, ticket, value)
        ]

    def assign_form(self, ticket: Ticket, data: Any = None) -> AssignForm:
        return AssignForm(
            data,
            technicians=selectors.technician_list(actor=self.actor),
            teams=selectors.team_list(actor=self.actor),
            ticket=ticket,
        )

    def render_page(self, request: HttpRequest, status: int = 200, **forms: Any) -> HttpResponse:
        actor, ticket = self.actor, self.ticket()
        now = timezone.now()
        ticket_messages = list(selectors.message_list(actor=actor, ticket=ticket))
        events = list(selectors.timeline(actor=actor, ticket=ticket))
        quote_rows = list(selectors.quote_list(actor=actor, ticket=ticket))
        pending = next((q for q in quote_rows if q.status == QuoteStatus.PENDING), None)
        result, targets = sla_panel(ticket, now)
        is_closed = ticket.status == TicketStatus.CLOSED
        needs_quote = (
            not is_closed and pending is None and ticket.billing in (Billing.QUOTE_NEEDED, Billing.QUOTE_REFUSED)
        )
        context = {
            "ticket": ticket,
            "assets": list(ticket.assets.all()),
            "items": timeline_items(events, ticket_messages),
            "attachments": list(
                selectors.attachment_list(actor=actor, ticket=ticket).select_related("uploaded_by__user")
            ),
            "quotes": quote_rows,
            "pending_quote": pending,
            "needs_quote": needs_quote,
            "clock": result,
            "targets": targets,
            "time_zone": ticket_time_zone(ticket),
            "is_closed": is_closed,
            "can_work": can_work_tickets(actor),
            "reply_form": forms.get("reply_form") or ReplyForm(),
            "status_form": forms.get("status_form") or StatusForm(allowed=self.allowed_statuses(ticket)),
            "assign_form": forms.get("assign_form") or self.assign_form(ticket),
            "quote_form": forms.get("quote_form") or QuoteForm(),
            "open_form": forms.get("open_form", ""),
            "paused_label": pause_label(ticket.sla_paused_reason) if ticket.sla_paused_reason else "",
        }
        return render(request, "servicedesk/ticket_detail.html", context, status=status)

    def back(self, anchor: str = "") -> HttpResponse:
        return redirect(reverse("servicedesk:ticket_detail", args=[self.ticket().pk]) + anchor)


class TicketDetailView(TicketPage):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self.render_page(request)


class TicketReplyView(TicketPage):
    """A public reply or an internal note, with files."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        ticket = self.ticket()
        require(can_work_tickets(self.actor))
        form = ReplyForm(request.POST)
        uploads = request.FILES.getlist("files")
        if len(uploads) > MAX_UPLOAD_FILES:
            form.add_error(None, _("At most 20 files per message."))
        if form.is_valid():
            files = [messaging.NewFile(upload.name or "", b"".join(upload.chunks())) for upload in uploads]
            try:
                messaging.message_add(
                    actor=self.actor,
                    ticket=ticket,
                    body=form.cleaned_data["body"],
                    body_format=form.cleaned_data["body_format"],
                    visibility=form.cleaned_data["visibility"],
                    files=files,
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                internal = form.cleaned_data["visibility"] == "internal"
                messages.success(
                    request, _("The internal note has been added.") if internal else _("The reply has been sent.")
                )
                return self.back("#timeline")
        return self.render_page(request, status=422, reply_form=form, open_form="reply")


class TicketStatusView(TicketPage):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        ticket = self.ticket()
        require(can_work_tickets(self.actor))
        form = StatusForm(request.POST, allowed=self.allowed_statuses(ticket))
        if form.is_valid():
            try:
                services.ticket_status_set(
                    actor=self.actor,
                    ticket=ticket,
                    status=form.cleaned_data["status"],
                    comment=form.cleaned_data["comment"],
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(
                    request,
                    _("Status changed to “%(status)s”.") % {"status": TicketStatus(form.cleaned_data["status"]).label},
                )
                return self.back()
        return self.render_page(request, status=422, status_form=form, open_form="status")


class TicketAssignView(TicketPage):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        ticket = self.ticket()
        require(can_work_tickets(self.actor))
        form = self.assign_form(ticket, request.POST)
        if form.is_valid():
            try:
                services.ticket_assign(
                    actor=self.actor,
                    ticket=ticket,
                    assignee=form.cleaned_data["assignee"],
                    team=form.cleaned_data["team"],
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("The assignment has been saved."))
                return self.back()
        return self.render_page(request, status=422, assign_form=form, open_form="assign")


class QuoteCreateView(TicketPage):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        ticket = self.ticket()
        require(can_work_tickets(self.actor))
        form = QuoteForm(request.POST)
        if form.is_valid():
            try:
                quotes.quote_create(
                    actor=self.actor,
                    ticket=ticket,
                    amount=form.cleaned_data["amount"],
                    description=form.cleaned_data["description"],
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("The quote has been sent to the client's managers for approval."))
                return self.back("#coverage")
        return self.render_page(request, status=422, quote_form=form, open_form="quote")


class QuoteWithdrawView(TicketPage):
    http_method_names = ["post"]

    def ticket(self) -> Ticket:
        if not hasattr(self, "_ticket"):
            self._quote: Quote = selectors.quote_get(actor=self.actor, pk=self.kwargs["pk"])
            self._ticket = selectors.ticket_get(actor=self.actor, pk=self._quote.ticket_id)
        return self._ticket

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        self.ticket()
        require(can_work_tickets(self.actor))
        quotes.quote_withdraw(actor=self.actor, quote=self._quote)
        messages.success(request, _("The quote has been withdrawn."))
        return self.back("#coverage")


class TicketUpdateView(TicketPage):
    """Edit the details: title, requester, site, equipment, category, impact and urgency."""

    template_name = "servicedesk/ticket_edit.html"

    def form(self, data: Any = None) -> TicketUpdateForm:
        ticket, actor = self.ticket(), self.actor
        return TicketUpdateForm(
            data,
            ticket=ticket,
            contacts=tenancy_selectors.contact_list(actor=actor, client_id=ticket.client_id),
            sites=tenancy_selectors.site_list(actor=actor, client_id=ticket.client_id),
            assets=asset_list(actor=actor, client_id=ticket.client_id),
            categories=category_list(actor=actor),
        )

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        require(can_work_tickets(self.actor))
        return render(request, self.template_name, {"ticket": self.ticket(), "form": self.form()})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        ticket = self.ticket()
        require(can_work_tickets(self.actor))
        form = self.form(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.ticket_update(
                    actor=self.actor,
                    ticket=ticket,
                    title=data["title"],
                    site=data["site"],
                    assets=list(data["assets"]),
                    category=data["category"],
                    impact=data["impact"],
                    urgency=data["urgency"],
                    requester=data["requester"],
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("The ticket has been updated."))
                return self.back()
        return render(request, self.template_name, {"ticket": ticket, "form": form}, status=422)
