"""E-mailing issued invoices and credit notes to the client, their PDF (Factur-X) attached.

- **On issue**: once the ``billing.invoice_render`` job has rendered the PDF, it calls
  ``invoice_send_on_issue``: one e-mail to ``reminders.billing_recipients(client)`` (the billing contacts,
  else the managers, else the contacts with an address), with the idempotency key
  ``billing-invoice:<invoice>``, so a job run again (a retry, a worker lost mid-job) never sends twice. The
  provider turns it off with ``Provider.invoice_email_on_issue``; a client without any address gets nothing
  (the invoice page says so).
- **Again, by hand** (``invoice_send``: the invoice page's « Renvoyer », ``POST /invoices/{id}/send``): a new
  copy each time, keyed ``billing-invoice:<invoice>:<n>`` (n = 2, 3…), audited. The first copy sent by hand
  (automatic sending off, or not sent yet) takes the automatic key, so the job never adds a second one.

Every copy is in the thread ``invoice:<invoice>``: the payment reminders continue the same conversation.
The attachment names the stored document (append-only): its bytes are read from the storage when sent.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from pacte.audit.services import audit_record
from pacte.billing.models import Invoice, InvoiceKind, InvoiceStatus
from pacte.billing.permissions import can_bill
from pacte.billing.reminders import billing_recipients
from pacte.core.errors import ConflictError
from pacte.mail.domain import Recipient
from pacte.mail.models import OutboundMessage
from pacte.mail.services import Attachment, mail_send
from pacte.tenancy.models import Membership
from pacte.tenancy.permissions import require

TEMPLATE = "billing/mail/invoice"


def invoice_mail_key(invoice_id: int, copy: int = 1) -> str:
    """The idempotency key of an invoice's ``copy``-th e-mail (the first one is the one sent on issue)."""
    return f"billing-invoice:{invoice_id}" if copy <= 1 else f"billing-invoice:{invoice_id}:{copy}"


def invoice_mail_thread(invoice_id: int) -> str:
    """The conversation of an invoice: its e-mails, then its payment reminders (``reminders._send``)."""
    return f"invoice:{invoice_id}"


def invoice_messages(invoice: Invoice) -> QuerySet[OutboundMessage]:
    """Every message that sent ``invoice`` (all copies, all languages)."""
    base = invoice_mail_key(invoice.pk)
    return OutboundMessage.objects.filter(provider_id=invoice.provider_id).filter(
        Q(key=base) | Q(key__startswith=f"{base}:")
    )


def invoice_mail_context(invoice: Invoice) -> dict[str, Any]:
    provider = invoice.provider
    base = str(getattr(settings, "PACTE_BASE_URL", "")).rstrip("/")
    data = invoice.data or {}
    credited = invoice.credited_invoice
    return {
        "credit_note": invoice.kind == InvoiceKind.CREDIT_NOTE,
        "number": invoice.number,
        "credited_number": credited.number if credited is not None else "",
        "provider_name": provider.legal_name or provider.name,
        "client_name": invoice.client.name,
        "issue_date": invoice.issue_date,
        "due_date": invoice.due_date if invoice.kind == InvoiceKind.INVOICE else None,
        "total": invoice.total_gross,
        "iban": provider.iban,
        "bic": provider.bic,
        "reference": data.get("payment_reference") or invoice.number,
        "url": base + reverse("portal:invoice_list"),
    }


def _attachment(invoice: Invoice) -> Attachment:
    document = invoice.document
    assert document is not None
    return Attachment(
        filename=document.filename, content_type=document.content_type, storage_name=document.storage_name
    )


def _queue(invoice: Invoice, recipients: list[Recipient], key: str) -> list[OutboundMessage]:
    return mail_send(
        template=TEMPLATE,
        context=invoice_mail_context(invoice),
        recipients=recipients,
        provider=invoice.provider,
        key=key,
        thread=invoice_mail_thread(invoice.pk),
        attachments=[_attachment(invoice)],
    )


def _loaded(invoice_id: int) -> Invoice:
    return Invoice.objects.select_related("provider", "client", "document", "credited_invoice").get(pk=invoice_id)


def invoice_send_on_issue(invoice_id: int) -> list[OutboundMessage]:
    """E-mail a freshly rendered invoice or credit note to the client, once (the render job, after the render).

    Nothing when the provider turned it off, the invoice has no PDF yet, or the client has no address;
    the messages already queued when it was sent before (the key).
    """
    invoice = _loaded(invoice_id)
    if invoice.status != InvoiceStatus.ISSUED or invoice.document_id is None:
        return []
    if not invoice.provider.invoice_email_on_issue:
        return []
    recipients = billing_recipients(invoice.client)
    if not recipients:
        return []
    return _queue(invoice, recipients, invoice_mail_key(invoice.pk))


def invoice_send(*, actor: Membership, invoice: Invoice) -> list[OutboundMessage]:
    """Send an issued invoice or credit note (again) to the client's billing recipients: a new copy, audited.

    A draft is refused, and so is a client without any address (``ConflictError``, a message for the user).
    The PDF is rendered first if the worker has not made it yet.
    """
    require(can_bill(actor))
    if invoice.provider_id != actor.provider_id:
        raise ConflictError(_("This invoice belongs to another provider."))
    if invoice.status != InvoiceStatus.ISSUED:
        raise ConflictError(_("A draft is not sent to the client: issue it first."))
    if invoice.document_id is None:
        from pacte.billing.rendering import invoice_render_once

        invoice_render_once(invoice.pk)
    invoice = _loaded(invoice.pk)
    recipients = billing_recipients(invoice.client)
    if not recipients:
        raise ConflictError(
            _(
                "Nothing sent: the client has no billing contact, manager or contact with an e-mail address. "
                "Add an address to one of its contacts first."
            )
        )
    with transaction.atomic():
        Invoice.objects.select_for_update().filter(pk=invoice.pk).values_list("pk").get()  # copies numbered in turn
        copies = len(set(invoice_messages(invoice).values_list("key", flat=True)))
        key = invoice_mail_key(invoice.pk, copies + 1)
        messages = _queue(invoice, recipients, key)
        audit_record(
            actor=actor,
            action="invoice.send",
            instance=invoice,
            provider=actor.provider,
            after={"key": key, "to": [address for message in messages for address in message.to]},
        )
    return messages
