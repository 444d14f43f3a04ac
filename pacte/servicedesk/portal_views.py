"""The client portal's ticket pages: the list, a new ticket, a ticket's page (reply, close or reopen, the quote)
and the download of a file.

A client user sees the tickets they asked for, the client's manager every ticket of the company
(``selectors.ticket_scope``); anything else is a 404, as are the portal's pages for provider roles.
Only public messages and public files are shown (the selectors drop internal ones for client
roles). Uploads are refused from their ``Content-Length`` before the body is read, then each file is
checked (size, type from its bytes) and a refused file leaves nothing saved.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views import View
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from pacte.assets import selectors as asset_selectors
from pacte.core.errors import ConflictError
from pacte.core.views import ActorRequiredMixin
from pacte.documents import uploads
from pacte.servicedesk import downloads, messaging, quotes, selectors, services
from pacte.servicedesk.models import (
    DONE_STATUSES,
    OPEN_STATUSES,
    Channel,
    EventKind,
    QuoteStatus,
    SlaState,
    Ticket,
    TicketAttachment,
    TicketMessage,
    TicketStatus,
)
from pacte.servicedesk.permissions import can_decide_quotes
from pacte.servicedesk.portal_forms import QuoteDecisionForm, ReplyForm, TicketNewForm, TicketStatusForm
from pacte.tenancy import selectors as tenancy_selectors
from pacte.tenancy.models import Membership, Role

PAGE_SIZE = 25
#: How long after the opening a file added by the requester still belongs to the request itself.
OPENING_FILES_WINDOW = datetime.timedelta(minutes=2)

#: The statuses as the client reads them (the provider's workflow words are not theirs).
PORTAL_STATUS: dict[str, Any] = {
    TicketStatus.NEW: pgettext_lazy("portal status", "Received"),
    TicketStatus.ASSIGNED: pgettext_lazy("portal status", "Taken in charge"),
    TicketStatus.IN_PROGRESS: pgettext_lazy("portal status", "In progress"),
    TicketStatus.WAITING_CLIENT: pgettext_lazy("portal status", "Awaiting your reply"),
    TicketStatus.WAITING_THIRD_PARTY: pgettext_lazy("portal status", "Awaiting a supplier"),
    TicketStatus.PLANNED: pgettext_lazy("portal status", "Intervention planned"),
    TicketStatus.RESTORED: pgettext_lazy("portal status", "Service restored"),
    TicketStatus.RESOLVED: pgettext_lazy("portal status", "Resolved"),
    TicketStatus.CLOSED: pgettext_lazy("portal status", "Closed"),
    TicketStatus.REOPENED: pgettext_lazy("portal status", "Reopened"),
}
_DUE_LABELS = (
    ("response_due", gettext_lazy("Response expected by")),
    ("intervention_due", gettext_lazy("Intervention expected by")),
    ("restoration_due", gettext_lazy("Service restored by")),
    ("resolution_due", gettext_lazy("Resolution expected by")),
)
_RUNNING = (SlaState.ON_TRACK, SlaState.AT_RISK, SlaState.BREACHED)


def status_label(status: str) -> str:
    return str(PORTAL_STATUS.get(status, status))


def expected_by(ticket: Ticket) -> tuple[str, datetime.datetime] | None:
    """What the provider committed to next, while the SLA clock runs: ("Response expected by", instant)."""
    if not ticket.is_open or ticket.sla_state not in _RUNNING or ticket.next_due is None:
        return None
    for name, label in _DUE_LABELS:
        if getattr(ticket, name) == ticket.next_due:
            return str(label), ticket.next_due
    return str(_DUE_LABELS[-1][1]), ticket.next_due


class PortalTicketMixin(ActorRequiredMixin):
    side = "client"


def _guarded_upload(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The body's size is checked from its ``Content-Length`` before anything (the CSRF check included) reads it."""

    def wrapper(self: Any, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            uploads.check_request_size(request)
        except uploads.UploadTooLargeError:
            return self.too_large(request, *args, **kwargs)
        return csrf_protect(lambda req: view(self, req, *args, **kwargs))(request)

    return wrapper


def too_large_message() -> str:
    limit = uploads.upload_limit() / (1024 * 1024)
    return _("The files sent together are too large: at most %(size)s MB at a time. Nothing was saved.") % {
        "size": f"{limit:g}"
    }


# The list -----------------------------------------------------------------------------------------


class TicketListView(PortalTicketMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        tab = "done" if request.GET.get("tab") == "done" else "open"
        search = (request.GET.get("q") or "").strip()[:100]
        open_filter = selectors.TicketFilters(statuses=tuple(OPEN_STATUSES), search=search)
        done_filter = selectors.TicketFilters(statuses=tuple(DONE_STATUSES), search=search)
        counts = {
            "open": selectors.ticket_list(actor=self.actor, filters=open_filter).count(),
            "done": selectors.ticket_list(actor=self.actor, filters=done_filter).count(),
        }
        queryset = (
            selectors.ticket_list(actor=self.actor, filters=open_filter if tab == "open" else done_filter)
            .select_related("created_by__user")
            .order_by("-last_activity_at", "-id")
        )
        paginator = Paginator(queryset, PAGE_SIZE)
        paginator.count = counts[tab]  # already counted: the paginator's own count would be a second query
        page = paginator.get_page(request.GET.get("page"))
        rows = [(ticket, status_label(ticket.status), expected_by(ticket)) for ticket in page.object_list]
        query = request.GET.copy()
        query.pop("page", None)
        context = {
            "rows": rows,
            "page": page,
            "tab": tab,
            "search": search,
            "counts": counts,
            "query": query.urlencode(),
            "company_wide": self.actor.role == Role.CLIENT_MANAGER,
        }
        return render(request, "servicedesk/portal/ticket_list.html", context)


# A new ticket -------------------------------------------------------------------------------------


@method_decorator(csrf_exempt, name="dispatch")  # checked in ``post`` once the size is known to be acceptable
class TicketCreateView(PortalTicketMixin, View):
    def _form(self, data: Any = None, files: Any = None) -> TicketNewForm:
        sites = tenancy_selectors.site_list(actor=self.actor).order_by("name", "id")
        assets = asset_selectors.asset_list(actor=self.actor).select_related(None).select_related("site")
        return TicketNewForm(data, files, sites=sites, assets=assets.order_by("site__name", "name", "id"))

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._page(request, self._form())

    @_guarded_upload
    def post(self, request: HttpRequest) -> HttpResponse:
        form = self._form(request.POST, request.FILES)
        if not form.is_valid():
            return self._page(request, form, status=422)
        data = form.cleaned_data
        client = tenancy_selectors.client_get(actor=self.actor, pk=self.actor.client_id or 0)
        try:
            # One transaction: a file refused by ``messaging`` leaves no ticket behind.
            with transaction.atomic():
                ticket = services.ticket_open(
                    actor=self.actor,
                    client=client,
                    title=data["title"],
                    description=data["description"],
                    description_format=form.body_format,
                    channel=Channel.PORTAL,
                    site=data.get("site"),
                    assets=[data["asset"]] if data.get("asset") else [],
                    urgency=data["blocked"],
                    impact=data["affected"],
                )
                for new in data["attachments"]:
                    messaging.attachment_add(actor=self.actor, ticket=ticket, filename=new.filename, data=new.content)
        except ValidationError as error:
            add_service_errors(form, error, {"assets": "asset", "body": "description", "files": "attachments"})
            return self._page(request, form, status=422)
        messages.success(
            request,
            _("Your request is registered under the reference %(reference)s. We will answer you here and by e-mail.")
            % {"reference": ticket.reference},
        )
        return redirect("portal:ticket_detail", ticket.pk)

    def too_large(self, request: HttpRequest) -> HttpResponse:
        return self._page(request, self._form(), error=too_large_message(), status=413)

    def _page(self, request: HttpRequest, form: TicketNewForm, *, error: str = "", status: int = 200) -> HttpResponse:
        context = {"form": form, "error": error, "files_dropped": form.is_bound and bool(request.FILES)}
        return render(request, "servicedesk/portal/ticket_new.html", context, status=status)


def add_service_errors(form: Any, error: ValidationError, renames: dict[str, str] | None = None) -> None:
    """A service's ``ValidationError`` next to the form's fields (renamed where the form calls them otherwise)."""
    renames = renames or {}
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for name, errors in error.message_dict.items():
        target = renames.get(name, name)
        form.add_error(target if target in form.fields else None, errors)


# A ticket's page ----------------------------------------------------------------------------------


@dataclass
class Entry:
    """One item of the conversation: the request itself, a message, a file, a status change or a quote step."""

    kind: str
    at: datetime.datetime
    author: str = ""
    staff: bool = False
    body: str = ""  # sanitised HTML
    files: list[TicketAttachment] = field(default_factory=list)
    text: str = ""
    comment: str = ""  # plain text
    anchor: str = ""


def _is_staff(membership: Membership | None) -> bool:
    return membership is not None and membership.is_provider_side


def _name(membership: Membership | None) -> str:
    if membership is None:
        return ""
    return membership.user.get_full_name()


def _event_text(kind: str, data: dict[str, Any]) -> str:
    if kind == EventKind.STATUS:
        new = data.get("to", "")
        return _("Status: %(status)s") % {"status": status_label(new)}
    status = data.get("status")
    if status == QuoteStatus.PENDING:
        return _("Quote proposed, awaiting approval")
    if status == QuoteStatus.APPROVED:
        return _("Quote approved")
    if status == QuoteStatus.REFUSED:
        return _("Quote refused")
    return _("Quote withdrawn")


def requester_name(ticket: Ticket) -> str:
    if ticket.requester is not None:
        return str(ticket.requester)
    return _name(ticket.created_by)


def conversation(actor: Membership, ticket: Ticket) -> list[Entry]:
    """The request, then every public message, file, status change and quote step, oldest first (4 queries)."""
    files = list(
        selectors.attachment_list(actor=actor, ticket=ticket)
        .select_related("uploaded_by__user")
        .order_by("created_at", "id")
    )
    by_message: dict[int, list[TicketAttachment]] = {}
    loose: list[TicketAttachment] = []
    for attachment in files:
        if attachment.message_id is not None:
            by_message.setdefault(attachment.message_id, []).append(attachment)
        else:
            loose.append(attachment)
    opening = Entry(
        kind="opening",
        at=ticket.opened_at,
        author=_name(ticket.created_by) or (str(ticket.requester) if ticket.requester else ""),
        staff=_is_staff(ticket.created_by),
        body=ticket.description,
        anchor="request",
    )
    entries = [opening]
    for attachment in loose:
        if (
            attachment.uploaded_by_id == ticket.created_by_id
            and attachment.created_at - ticket.created_at <= OPENING_FILES_WINDOW
        ):
            opening.files.append(attachment)
            continue
        entries.append(
            Entry(
                kind="file",
                at=attachment.created_at,
                author=_name(attachment.uploaded_by),
                staff=_is_staff(attachment.uploaded_by),
                files=[attachment],
            )
        )
    message_rows: list[TicketMessage] = list(selectors.message_list(actor=actor, ticket=ticket).prefetch_related(None))
    for message in message_rows:
        entries.append(
            Entry(
                kind="message",
                at=message.created_at,
                author=message.author_name,
                staff=_is_staff(message.author),
                body=message.body,
                files=by_message.get(message.pk, []),
                anchor=f"message-{message.pk}",
            )
        )
    events = selectors.timeline(actor=actor, ticket=ticket).filter(kind__in=[EventKind.STATUS, EventKind.QUOTE])
    for event in events:
        data = event.data or {}
        entries.append(
            Entry(
                kind=event.kind,
                at=event.at,
                author=_name(event.actor),
                staff=_is_staff(event.actor),
                text=_event_text(event.kind, data),
                comment=str(data.get("comment") or ""),
            )
        )
    order = {"opening": 0, "file": 1, "message": 2, "status": 3, "quote": 3}
    entries.sort(key=lambda entry: (entry.at, order.get(entry.kind, 4)))
    return entries


def ticket_page(
    request: HttpRequest,
    actor: Membership,
    ticket: Ticket,
    *,
    reply_form: ReplyForm | None = None,
    quote_form: QuoteDecisionForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    quote_rows = list(selectors.quote_list(actor=actor, ticket=ticket))
    pending = next((quote for quote in quote_rows if quote.status == QuoteStatus.PENDING), None)
    context = {
        "ticket": ticket,
        "status_label": status_label(ticket.status),
        "expected": expected_by(ticket),
        "entries": conversation(actor, ticket),
        "assets": list(ticket.assets.all()),
        "reply_form": reply_form or ReplyForm(),
        "status_form": TicketStatusForm(),
        "can_reply": ticket.status != TicketStatus.CLOSED,
        "can_close": services.status_allowed(actor, ticket, TicketStatus.CLOSED),
        "can_reopen": services.status_allowed(actor, ticket, TicketStatus.REOPENED),
        "pending_quote": pending,
        "decided_quotes": [
            quote for quote in quote_rows if quote.status in (QuoteStatus.APPROVED, QuoteStatus.REFUSED)
        ],
        "decides_quotes": can_decide_quotes(actor),
        "quote_form": quote_form or QuoteDecisionForm(),
        "error": error,
        "files_dropped": reply_form is not None and bool(request.FILES),
        "requester": requester_name(ticket),
    }
    return render(request, "servicedesk/portal/ticket_detail.html", context, status=status)


class TicketDetailView(PortalTicketMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        ticket = selectors.ticket_get(actor=self.actor, pk=pk)
        return ticket_page(request, self.actor, ticket)


@method_decorator(csrf_exempt, name="dispatch")  # checked in ``post`` once the size is known to be acceptable
class TicketReplyView(PortalTicketMixin, View):
    """A reply with files: while the ticket waits on the client it resumes the clock; a resolved one reopens."""

    @_guarded_upload
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        ticket = selectors.ticket_get(actor=self.actor, pk=pk)
        form = ReplyForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                message = messaging.message_add(
                    actor=self.actor,
                    ticket=ticket,
                    body=form.cleaned_data["body"],
                    body_format=form.body_format,
                    channel=Channel.PORTAL,
                    files=form.cleaned_data["attachments"],
                )
            except ValidationError as error:
                add_service_errors(form, error, {"files": "attachments"})
            else:
                messages.success(request, _("Your message has been sent."))
                return redirect(reverse("portal:ticket_detail", args=[ticket.pk]) + f"#message-{message.pk}")
        return ticket_page(request, self.actor, ticket, reply_form=form, status=422)

    def too_large(self, request: HttpRequest, pk: int) -> HttpResponse:
        ticket = selectors.ticket_get(actor=self.actor, pk=pk)
        return ticket_page(request, self.actor, ticket, error=too_large_message(), status=413)


class TicketStatusView(PortalTicketMixin, View):
    """The client's answer to a resolved ticket: "the problem is solved" (closed) or "reopen"."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        ticket = selectors.ticket_get(actor=self.actor, pk=pk)
        form = TicketStatusForm(request.POST)
        if not form.is_valid():
            return ticket_page(request, self.actor, ticket, error=_("Choose an action."), status=422)
        action, comment = form.cleaned_data["action"], form.cleaned_data["comment"].strip()
        target = TicketStatus.CLOSED if action == "close" else TicketStatus.REOPENED
        if not services.status_allowed(self.actor, ticket, target):
            raise ConflictError(_("This ticket is not resolved: it can neither be closed nor reopened now."))
        if target == TicketStatus.REOPENED and comment:
            # A reply to a resolved ticket reopens it: the reason is the client's message.
            messaging.message_add(actor=self.actor, ticket=ticket, body=comment, channel=Channel.PORTAL)
        else:
            services.ticket_status_set(actor=self.actor, ticket=ticket, status=target)
        if target == TicketStatus.CLOSED:
            messages.success(request, _("Thank you: the ticket is closed."))
        else:
            messages.success(request, _("The ticket is reopened: the technician will take it up again."))
        return redirect("portal:ticket_detail", ticket.pk)


class QuoteDecideView(PortalTicketMixin, View):
    """The client's manager approves or refuses the pending quote (a client user may not: 403)."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        quote = selectors.quote_get(actor=self.actor, pk=pk)
        if not can_decide_quotes(self.actor):
            raise PermissionDenied
        ticket = selectors.ticket_get(actor=self.actor, pk=quote.ticket_id)
        form = QuoteDecisionForm(request.POST)
        if not form.is_valid():
            return ticket_page(request, self.actor, ticket, quote_form=form, status=422)
        decided = quotes.quote_decide(
            actor=self.actor, quote=quote, approve=form.approve, comment=form.cleaned_data["comment"]
        )
        if decided.status == QuoteStatus.APPROVED:
            messages.success(request, _("You approved the quote: the technician can go ahead."))
        else:
            messages.success(request, _("You refused the quote: the technician has been told."))
        return redirect("portal:ticket_detail", ticket.pk)


class TicketFileView(PortalTicketMixin, View):
    """A public file of a ticket the actor sees, as a download (internal files: 404)."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponseBase:
        attachment = selectors.attachment_get(actor=self.actor, pk=pk)
        return downloads.attachment_response(attachment)
