"""Quotes for billable work outside the contract: proposed by staff, decided by the client manager.

A ticket out of scope (or without a contract) whose billing is "quote needed" gets a quote (amount
excl. VAT, description); the client's managers are e-mailed and approve or refuse it in the portal.
One quote is pending at a time; a refused or withdrawn quote can be followed by a new one. The
ticket's ``billing`` follows (pending → approved / refused), and every step is on its timeline.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pacte.audit.services import audit_record
from pacte.core.errors import ConflictError
from pacte.mail.services import mail_send, recipient_for_user
from pacte.servicedesk.models import Billing, EventKind, Quote, QuoteStatus, Ticket, TicketStatus
from pacte.servicedesk.notify import portal_url, thread_of
from pacte.servicedesk.permissions import can_decide_quotes, can_work_tickets
from pacte.servicedesk.services import event_add, ticket_lock
from pacte.tenancy.models import Membership, Role

QUOTE_MAIL = "mail/servicedesk/quote_proposed"
MAX_AMOUNT = Decimal("99999999.99")


def _amount(value: object) -> Decimal:
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError) as error:
        raise ValidationError({"amount": _("Enter an amount such as 180.00.")}) from error
    if not amount.is_finite() or amount <= 0 or amount > MAX_AMOUNT:
        raise ValidationError({"amount": _("The amount is more than 0 and at most 99,999,999.99.")})
    return amount


@transaction.atomic
def quote_create(*, actor: Membership, ticket: Ticket, amount: object, description: str) -> Quote:
    if ticket.provider_id != actor.provider_id or not can_work_tickets(actor):
        raise PermissionDenied
    value = _amount(amount)
    description = (description or "").strip()
    if not description:
        raise ValidationError({"description": _("Describe the work quoted.")})
    if len(description) > 5000:
        raise ValidationError({"description": _("The description is too long (at most 5,000 characters).")})
    ticket = ticket_lock(ticket)
    if ticket.status == TicketStatus.CLOSED:
        raise ConflictError(_("This ticket is closed."))
    if Quote.objects.filter(ticket=ticket, status=QuoteStatus.PENDING).exists():
        raise ConflictError(_("A quote is already awaiting the client's decision."))
    quote = Quote.objects.create(
        provider_id=ticket.provider_id, ticket=ticket, amount=value, description=description, created_by=actor
    )
    Ticket.objects.filter(pk=ticket.pk).update(billing=Billing.QUOTE_PENDING)
    event_add(ticket, EventKind.QUOTE, actor=actor, data={"quote": quote.pk, "amount": str(value), "status": "pending"})
    audit_record(
        actor=actor,
        action="ticket.quote",
        instance=quote,
        provider=ticket.provider,
        after={"ticket": ticket.reference, "amount": value, "description": description[:200]},
    )
    managers = Membership.objects.filter(
        provider_id=ticket.provider_id, client_id=ticket.client_id, role=Role.CLIENT_MANAGER, is_active=True
    ).select_related("user")
    recipients = [recipient_for_user(m.user) for m in managers if m.user.email and m.user.is_active]
    if recipients:
        mail_send(
            template=QUOTE_MAIL,
            context={
                "reference": ticket.reference,
                "title": ticket.title,
                "amount": value,
                "description": description,
                "portal_url": portal_url(ticket),
            },
            recipients=recipients,
            provider=ticket.provider,
            key=f"quote:{quote.pk}",
            thread=f"{thread_of(ticket)}:quotes",
        )
    return quote


@transaction.atomic
def quote_decide(*, actor: Membership, quote: Quote, approve: bool, comment: str = "") -> Quote:
    """The client manager approves or refuses a pending quote (once: a second decision is a conflict)."""
    if quote.provider_id != actor.provider_id or not can_decide_quotes(actor):
        raise PermissionDenied
    ticket = ticket_lock(quote.ticket)
    if ticket.client_id != actor.client_id:
        raise PermissionDenied
    quote = Quote.objects.select_for_update().get(pk=quote.pk)
    if quote.status != QuoteStatus.PENDING:
        raise ConflictError(_("This quote has already been decided."))
    quote.status = QuoteStatus.APPROVED if approve else QuoteStatus.REFUSED
    quote.decided_by, quote.decided_at = actor, timezone.now()
    quote.decision_comment = (comment or "").strip()[:500]
    quote.save(update_fields=["status", "decided_by", "decided_at", "decision_comment", "updated_at"])
    billing = Billing.QUOTE_APPROVED if approve else Billing.QUOTE_REFUSED
    Ticket.objects.filter(pk=ticket.pk).update(billing=billing)
    event_add(ticket, EventKind.QUOTE, actor=actor, data={"quote": quote.pk, "status": quote.status})
    audit_record(
        actor=actor,
        action="ticket.quote_decide",
        instance=quote,
        provider=ticket.provider,
        before={"status": QuoteStatus.PENDING},
        after={"status": quote.status, "comment": quote.decision_comment},
    )
    return quote


@transaction.atomic
def quote_withdraw(*, actor: Membership, quote: Quote) -> Quote:
    if quote.provider_id != actor.provider_id or not can_work_tickets(actor):
        raise PermissionDenied
    ticket = ticket_lock(quote.ticket)
    quote = Quote.objects.select_for_update().get(pk=quote.pk)
    if quote.status != QuoteStatus.PENDING:
        raise ConflictError(_("This quote has already been decided."))
    quote.status = QuoteStatus.WITHDRAWN
    quote.save(update_fields=["status", "updated_at"])
    Ticket.objects.filter(pk=ticket.pk).update(billing=Billing.QUOTE_NEEDED)
    event_add(ticket, EventKind.QUOTE, actor=actor, data={"quote": quote.pk, "status": quote.status})
    audit_record(actor=actor, action="ticket.quote_withdraw", instance=quote, provider=ticket.provider, after={})
    return quote
