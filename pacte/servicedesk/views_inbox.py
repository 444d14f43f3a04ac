"""Received e-mail (provider staff) and the mailboxes it comes from (managers).

- ``/tickets/inbox/``: what the intake did with each mail (held ones first: the default filter),
  newest first, keyset pages. A held mail's page shows the message as text (never its HTML) with its
  attachments' names, and the two decisions: open a ticket for a client, or discard it
  (``inbound.review``). Client roles get 404, a foreign mail is a 404.
- ``/tickets/settings/mailboxes/``: the IMAP / Maildir mailboxes the worker polls: create, edit,
  archive, test the connection (``mailbox_services``). Managers only; technicians get 403. The
  password is never written into a page.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import json
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from pacte.core.errors import ConflictError
from pacte.servicedesk import mailbox_services, selectors
from pacte.servicedesk.forms_inbox import ALL, HeldAcceptForm, MailboxForm, inbox_status, inbox_statuses
from pacte.servicedesk.inbound import review
from pacte.servicedesk.models import InboundMail, InboundStatus, Mailbox
from pacte.servicedesk.permissions import can_work_tickets
from pacte.servicedesk.views import ProviderPage, add_service_errors
from pacte.servicedesk.views_settings import SettingsPage
from pacte.tenancy import selectors as tenancy_selectors
from pacte.tenancy.models import Client, Contact
from pacte.tenancy.permissions import require

PAGE_SIZE = selectors.PAGE_SIZE
COUNT_CAP = 1000
#: What a row of the list reads (never the raw message).
ROW_FIELDS = (
    "id",
    "received_at",
    "from_address",
    "subject",
    "status",
    "reason",
    "source",
    "ticket",
    "ticket__reference",
    "ticket__title",
)


def _int(value: Any) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**62 else None


# Keyset pages over (received_at, id), newest first --------------------------------------------------------


def cursor_encode(inbound: InboundMail) -> str:
    raw = json.dumps([inbound.received_at.isoformat(), inbound.pk], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def cursor_decode(token: str | None) -> tuple[datetime.datetime, int] | None:
    """The (instant, id) a "next page" link carries, or ``None`` (first page) when absent or not one of ours."""
    if not token or len(token) > 200:
        return None
    try:
        value, pk = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        instant = datetime.datetime.fromisoformat(value)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        return None
    if not isinstance(pk, int) or isinstance(pk, bool) or not 0 < pk < 2**62 or instant.tzinfo is None:
        return None
    return instant, pk


def inbox_rows(queryset: QuerySet[InboundMail], cursor: tuple[datetime.datetime, int] | None) -> QuerySet[InboundMail]:
    queryset = queryset.order_by("-received_at", "-id")
    if cursor is not None:
        instant, pk = cursor
        queryset = queryset.filter(Q(received_at__lt=instant) | Q(received_at=instant, id__lt=pk))
    return queryset


# Received e-mail ---------------------------------------------------------------------------------------------


class InboxPage(ProviderPage):
    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        actor = getattr(request, "actor", None)
        if actor is not None and actor.is_provider_side:
            require(can_work_tickets(actor))
        return super().dispatch(request, *args, **kwargs)

    def inbound(self, pk: int) -> InboundMail:
        return get_object_or_404(selectors.inbound_list(actor=self.actor), pk=pk)


class InboxListView(InboxPage):
    """The provider's received e-mail, held ones by default, newest first, 50 a page."""

    def get(self, request: HttpRequest) -> HttpResponse:
        status = inbox_status(request.GET.get("status"))
        queryset = selectors.inbound_list(actor=self.actor)
        if status != ALL:
            queryset = queryset.filter(status=status)
        cursor = cursor_decode(request.GET.get("cursor"))
        rows = list(inbox_rows(queryset, cursor).only(*ROW_FIELDS)[: PAGE_SIZE + 1])
        more = len(rows) > PAGE_SIZE
        rows = rows[:PAGE_SIZE]
        count = queryset.order_by().values("pk")[: COUNT_CAP + 1].count()
        context = {
            "rows": [(mail, review.reason_label(mail.reason)) for mail in rows],
            "status": status,
            "statuses": inbox_statuses(),
            "count": count,
            "count_capped": count > COUNT_CAP,
            "cap": COUNT_CAP,
            "paged": cursor is not None,
            "next_cursor": cursor_encode(rows[-1]) if more else "",
        }
        return render(request, "servicedesk/inbox_list.html", context)


def _domain_client(actor: Any, address: str) -> Client | None:
    """The one client whose contacts write from the sender's domain (a suggestion, never a decision)."""
    domain = address.rpartition("@")[2]
    if not domain or "@" not in address:
        return None
    ids = list(
        Contact.objects.filter(
            provider_id=actor.provider_id,
            email__iendswith=f"@{domain}",
            archived_at__isnull=True,
            client__archived_at__isnull=True,
        )
        .values_list("client_id", flat=True)
        .distinct()[:2]
    )
    if len(ids) != 1:
        return None
    return Client.objects.filter(pk=ids[0], provider_id=actor.provider_id).first()


class InboxDetailView(InboxPage):
    """One received mail; when held, the message (as text) and the decisions."""

    template_name = "servicedesk/inbox_detail.html"

    def accept_form(self, inbound: InboundMail, data: Any, source: Any) -> HeldAcceptForm:
        clients = tenancy_selectors.client_list(actor=self.actor)
        client = clients.filter(pk=_int(source.get("client")) or 0).first()
        suggested = None
        if data is None and client is None:
            suggested = _domain_client(self.actor, inbound.from_address)
            client = suggested
        contacts = (
            tenancy_selectors.contact_list(actor=self.actor, client_id=client.pk)
            if client is not None
            else Contact.objects.none()
        )
        initial = {"client": client.pk if client is not None else None} if data is None else None
        form = HeldAcceptForm(data, clients=clients, contacts=contacts, sender=inbound.from_address, initial=initial)
        form.suggested = suggested
        return form

    def render_page(
        self, request: HttpRequest, inbound: InboundMail, form: HeldAcceptForm | None = None, status: int = 200
    ) -> HttpResponse:
        parsed = review.held_parsed(inbound) if inbound.status == InboundStatus.HELD else None
        if parsed is not None and form is None:
            form = self.accept_form(inbound, None, request.GET)
        context = {
            "inbound": inbound,
            "reason": review.reason_label(inbound.reason),
            "parsed": parsed,
            "files": review.held_files(parsed) if parsed is not None else [],
            "form": form,
        }
        if request.headers.get("HX-Request") == "true" and form is not None:
            return render(request, "servicedesk/inbox_contacts.html", {"form": form})
        return render(request, self.template_name, context, status=status)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self.render_page(request, self.inbound(pk))


class InboxAcceptView(InboxDetailView):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        inbound = self.inbound(pk)
        if inbound.status != InboundStatus.HELD:  # the service checks again under the row lock
            raise ConflictError(_("This e-mail has already been reviewed."))
        form = self.accept_form(inbound, request.POST, request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                ticket = review.held_accept(
                    self.actor, inbound, data["client"], contact=data["contact"], add_contact=data["add_contact"]
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(
                    request,
                    _("Ticket %(reference)s has been opened from the e-mail.") % {"reference": ticket.reference},
                )
                return redirect("servicedesk:ticket_detail", ticket.pk)
        return self.render_page(request, inbound, form, status=422)


class InboxDiscardView(InboxPage):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        inbound = review.held_discard(self.actor, self.inbound(pk))
        messages.success(
            request, _("The e-mail from %(sender)s has been discarded.") % {"sender": inbound.from_address or "?"}
        )
        return redirect("servicedesk:inbox_list")


# Mailboxes ------------------------------------------------------------------------------------------------------


class MailboxPage(SettingsPage):
    """Managers only (``SettingsPage``: technicians 403, client roles 404)."""

    def mailbox(self, pk: int) -> Mailbox:
        return get_object_or_404(Mailbox.objects.filter(provider_id=self.actor.provider_id), pk=pk)


class MailboxListView(MailboxPage):
    def get(self, request: HttpRequest) -> HttpResponse:
        boxes = list(
            Mailbox.objects.filter(provider_id=self.actor.provider_id)
            .defer("password")
            .order_by("archived_at", "name", "id")
        )
        context = {
            "mailboxes": [box for box in boxes if box.archived_at is None],
            "archived": [box for box in boxes if box.archived_at is not None],
        }
        return render(request, "servicedesk/mailbox_list.html", context)


class MailboxCreateView(MailboxPage):
    template_name = "servicedesk/mailbox_form.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, self.template_name, {"form": MailboxForm(), "mailbox": None})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = MailboxForm(request.POST)
        if form.is_valid():
            try:
                mailbox = mailbox_services.mailbox_create(actor=self.actor, data=form.data_for_service())
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("The mailbox “%(name)s” has been created.") % {"name": mailbox.name})
                return redirect("servicedesk:mailbox_list")
        return render(request, self.template_name, {"form": form, "mailbox": None}, status=422)


class MailboxUpdateView(MailboxPage):
    template_name = "servicedesk/mailbox_form.html"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        mailbox = self.mailbox(pk)
        return render(request, self.template_name, {"form": MailboxForm(mailbox=mailbox), "mailbox": mailbox})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        mailbox = self.mailbox(pk)
        form = MailboxForm(request.POST, mailbox=mailbox)
        if form.is_valid():
            try:
                mailbox = mailbox_services.mailbox_update(
                    actor=self.actor, mailbox=mailbox, data=form.data_for_service()
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("The mailbox “%(name)s” has been saved.") % {"name": mailbox.name})
                return redirect("servicedesk:mailbox_list")
        return render(request, self.template_name, {"form": form, "mailbox": mailbox}, status=422)


class MailboxArchiveView(MailboxPage):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        mailbox = mailbox_services.mailbox_archive(actor=self.actor, mailbox=self.mailbox(pk))
        messages.success(
            request, _("The mailbox “%(name)s” has been archived: it is no longer read.") % {"name": mailbox.name}
        )
        return redirect("servicedesk:mailbox_list")


class MailboxTestView(MailboxPage):
    """Open the mailbox as the worker would and say how many messages wait (nothing is read nor changed)."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        mailbox = self.mailbox(pk)
        result = mailbox_services.mailbox_test(actor=self.actor, mailbox=mailbox)
        if result.ok:
            messages.success(
                request,
                ngettext(
                    "“%(name)s”: connection OK, %(count)d message waiting.",
                    "“%(name)s”: connection OK, %(count)d messages waiting.",
                    result.waiting,
                )
                % {"name": mailbox.name, "count": result.waiting},
            )
        else:
            messages.error(
                request,
                _("“%(name)s”: the connection failed: %(error)s") % {"name": mailbox.name, "error": result.error},
            )
        return redirect("servicedesk:mailbox_list")
