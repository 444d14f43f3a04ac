"""Reading invoices, credit notes and runs, scoped to what the actor may see.

The provider's admins and managers see every invoice of their provider, drafts included; a client's
manager sees its company's *issued* invoices and credit notes; everyone else sees none. A foreign or
hidden invoice is a 404. The command line (``pacte invoice pdf``, ``pacte invoice export``) acts as the
operator for one provider: ``invoice_by_number`` and ``invoices_issued`` take that provider's id.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from email.errors import HeaderParseError
from email.header import decode_header, make_header
from typing import Any

from django.db.models import QuerySet, Sum
from django.http import Http404

from pacte.billing.models import BillingRun, Invoice, InvoiceKind, InvoiceStatus, Payment, Reminder
from pacte.billing.permissions import can_bill
from pacte.tenancy.models import Membership, Role

PAGE_SIZE = 50


def invoice_scope(actor: Membership) -> QuerySet[Invoice]:
    invoices = Invoice.objects.filter(provider_id=actor.provider_id)
    if can_bill(actor):
        return invoices
    if actor.role == Role.CLIENT_MANAGER and actor.client_id is not None:
        return invoices.filter(client_id=actor.client_id, status=InvoiceStatus.ISSUED)
    return invoices.none()


def invoice_list(
    *,
    actor: Membership,
    status: str = "",
    kind: str = "",
    client_id: int | None = None,
    month: datetime.date | None = None,
    search: str = "",
) -> QuerySet[Invoice]:
    invoices = invoice_scope(actor).select_related("client", "contract")
    if status in InvoiceStatus.values:
        invoices = invoices.filter(status=status)
    if kind in InvoiceKind.values:
        invoices = invoices.filter(kind=kind)
    if client_id is not None:
        invoices = invoices.filter(client_id=client_id)
    if month is not None:
        invoices = invoices.filter(billing_period=month)
    if search:
        invoices = invoices.filter(number__icontains=search.strip()[:35])
    return invoices.order_by("status", "-issue_date", "-sequence", "-id")


def invoice_get(*, actor: Membership, pk: int) -> Invoice:
    invoice = (
        invoice_scope(actor)
        .select_related("client", "contract", "credited_invoice", "document", "series", "provider")
        .filter(pk=pk)
        .first()
    )
    if invoice is None:
        raise Http404
    return invoice


def invoice_by_number(*, provider_id: int, number: str) -> Invoice | None:
    """The provider's issued invoice or credit note ``number``, or None (for the command line, which acts as
    the operator for one provider, not as a membership)."""
    return (
        Invoice.objects.filter(provider_id=provider_id, status=InvoiceStatus.ISSUED, number=number)
        .select_related("document")
        .first()
    )


def invoices_issued(
    *,
    provider_id: int,
    since: datetime.date | None = None,
    until: datetime.date | None = None,
    kind: str = "",
) -> QuerySet[Invoice]:
    """The provider's issued invoices and credit notes, issue dates in [since, until], in issue order (the
    command line's reads, like ``invoice_by_number``)."""
    invoices = Invoice.objects.filter(provider_id=provider_id, status=InvoiceStatus.ISSUED)
    if since is not None:
        invoices = invoices.filter(issue_date__gte=since)
    if until is not None:
        invoices = invoices.filter(issue_date__lte=until)
    if kind in InvoiceKind.values:
        invoices = invoices.filter(kind=kind)
    return invoices.select_related("client", "credited_invoice", "document").order_by(
        "issue_date", "kind", "sequence", "pk"
    )


def run_scope(actor: Membership) -> QuerySet[BillingRun]:
    if not can_bill(actor):
        return BillingRun.objects.none()
    return BillingRun.objects.filter(provider_id=actor.provider_id).select_related("client")


def run_get(*, actor: Membership, pk: int) -> BillingRun:
    run = run_scope(actor).filter(pk=pk).first()
    if run is None:
        raise Http404
    return run


@dataclass(frozen=True)
class Balance:
    """What an issued invoice still asks for: its total minus payments and issued credit notes."""

    total: Decimal
    paid: Decimal
    credited: Decimal

    @property
    def due(self) -> Decimal:
        return self.total - self.paid - self.credited


def invoice_balance(invoice: Invoice) -> Balance:
    paid = invoice.payments.aggregate(total=Sum("amount"))["total"] or Decimal("0.00")
    credited = Decimal("0.00")
    if invoice.kind == InvoiceKind.INVOICE:
        credited = invoice.credit_notes.filter(status=InvoiceStatus.ISSUED).aggregate(total=Sum("total_gross"))[
            "total"
        ] or Decimal("0.00")
    return Balance(total=invoice.total_gross, paid=paid, credited=credited)


def invoice_balances(invoices: list[Invoice]) -> dict[int, Balance]:
    """``invoice_balance`` for many invoices in two queries."""
    ids = [invoice.pk for invoice in invoices]
    paid = dict(
        Payment.objects.filter(invoice_id__in=ids)
        .values("invoice_id")
        .annotate(total=Sum("amount"))
        .values_list("invoice_id", "total")
    )
    credited = dict(
        Invoice.objects.filter(credited_invoice_id__in=ids, status=InvoiceStatus.ISSUED)
        .values("credited_invoice_id")
        .annotate(total=Sum("total_gross"))
        .values_list("credited_invoice_id", "total")
    )
    zero = Decimal("0.00")
    return {
        invoice.pk: Balance(
            total=invoice.total_gross,
            paid=paid.get(invoice.pk) or zero,
            credited=(credited.get(invoice.pk) or zero) if invoice.kind == InvoiceKind.INVOICE else zero,
        )
        for invoice in invoices
    }


def readable_address(address: str) -> str:
    """An address as stored for the SMTP header (``=?utf-8?b?…?= <a@b.fr>``), with its name decoded for a page."""
    try:
        return str(make_header(decode_header(address)))
    except (HeaderParseError, LookupError, UnicodeDecodeError):
        return address


@dataclass(frozen=True)
class ReminderSent:
    """A payment reminder step sent for an invoice, with the addresses its e-mail went to."""

    step: int
    sent_at: datetime.datetime
    amount_due: Decimal
    penalty: Decimal
    recipients: tuple[str, ...]
    mail_status: str  # the e-mail's state: queued, sending, sent, failed ("" when no e-mail is found)


def invoice_reminders(invoice: Invoice) -> list[ReminderSent]:
    """The reminder steps sent for ``invoice``, in order, with their recipients (two queries).

    ``reminders.reminders_send`` queues each step's e-mail with the key ``billing-reminder:<invoice>:<step>``
    (one message per language): the recipients are read there. A step whose e-mail failed reads "failed"
    even if another language's copy went out."""
    from pacte.mail.models import MessageStatus, OutboundMessage

    steps = list(Reminder.objects.filter(invoice_id=invoice.pk).order_by("step"))
    if not steps:
        return []
    keys = {f"billing-reminder:{invoice.pk}:{reminder.step}": reminder.step for reminder in steps}
    recipients: dict[int, list[str]] = {}
    statuses: dict[int, set[str]] = {}
    messages = OutboundMessage.objects.filter(provider_id=invoice.provider_id, key__in=list(keys)).order_by("id")
    for key, to, status in messages.values_list("key", "to", "status"):
        step = keys[key]
        recipients.setdefault(step, []).extend(readable_address(str(address)) for address in to or [])
        statuses.setdefault(step, set()).add(status)
    order = (MessageStatus.FAILED, MessageStatus.QUEUED, MessageStatus.SENDING, MessageStatus.SENT)
    return [
        ReminderSent(
            step=reminder.step,
            sent_at=reminder.sent_at,
            amount_due=reminder.amount_due,
            penalty=reminder.penalty,
            recipients=tuple(dict.fromkeys(recipients.get(reminder.step, []))),
            mail_status=next((status for status in order if status in statuses.get(reminder.step, set())), ""),
        )
        for reminder in steps
    ]


@dataclass(frozen=True)
class InvoiceSent:
    """One copy of an invoice e-mailed to the client: when it was queued, to whom, its delivery state."""

    number: int
    queued_at: datetime.datetime
    sent_at: datetime.datetime | None
    recipients: tuple[str, ...]
    mail_status: str  # queued, sending, sent, failed (the worst of its languages' messages)


def invoice_sendings(invoice: Invoice) -> list[InvoiceSent]:
    """The copies of ``invoice`` e-mailed to the client, oldest first (one query).

    ``sending`` keys them ``billing-invoice:<invoice>`` (on issue, or the first by hand) and
    ``billing-invoice:<invoice>:<n>`` (sent again); each copy is one message per language."""
    from pacte.billing.sending import invoice_messages
    from pacte.mail.models import MessageStatus

    copies: dict[str, dict[str, Any]] = {}
    rows = invoice_messages(invoice).order_by("created_at", "id")
    for key, to, status, created_at, sent_at in rows.values_list("key", "to", "status", "created_at", "sent_at"):
        copy = copies.setdefault(key, {"queued_at": created_at, "sent_at": sent_at, "to": [], "statuses": set()})
        copy["to"].extend(readable_address(str(address)) for address in to or [])
        copy["statuses"].add(status)
        if sent_at is not None and (copy["sent_at"] is None or sent_at > copy["sent_at"]):
            copy["sent_at"] = sent_at
    order = (MessageStatus.FAILED, MessageStatus.QUEUED, MessageStatus.SENDING, MessageStatus.SENT)
    return [
        InvoiceSent(
            number=number,
            queued_at=copy["queued_at"],
            sent_at=copy["sent_at"] if MessageStatus.SENT in copy["statuses"] else None,
            recipients=tuple(dict.fromkeys(copy["to"])),
            mail_status=next((status for status in order if status in copy["statuses"]), ""),
        )
        for number, copy in enumerate(copies.values(), start=1)
    ]
