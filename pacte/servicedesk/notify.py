"""E-mail out for tickets, through the platform's mail service, each recipient in their language.

- to the requester: ticket received, each public reply, status changes they care about (waiting on
  them, planned, restored, resolved, closed, reopened);
- to the technician in charge: the client's replies;
- SLA warnings and breaches to staff are sent by the SLA job (``sla_jobs``).

Every message of a ticket is in its thread (``ticket:<id>``) and its subject carries ``[T-…]``, so a
reply by e-mail finds its ticket by the In-Reply-To / References headers or by the subject. Each
sending has an idempotency key: a retried transaction sends nothing twice. Contacts without an
address, and automatic sources (monitoring alerts) with no requester, get nothing.
"""

from __future__ import annotations

from django.conf import settings

from pacte.mail.domain import Recipient
from pacte.mail.services import mail_send, recipient_for_contact, recipient_for_user
from pacte.servicedesk import content
from pacte.servicedesk.models import Ticket, TicketMessage, TicketStatus

RECEIVED = "mail/servicedesk/ticket_received"
REPLY = "mail/servicedesk/public_reply"
STATUS = "mail/servicedesk/status_changed"
CLIENT_REPLY = "mail/servicedesk/client_replied"

#: The statuses a requester hears about.
_TOLD = {
    TicketStatus.WAITING_CLIENT,
    TicketStatus.PLANNED,
    TicketStatus.RESTORED,
    TicketStatus.RESOLVED,
    TicketStatus.CLOSED,
    TicketStatus.REOPENED,
}


def thread_of(ticket: Ticket) -> str:
    return f"ticket:{ticket.pk}"


def _requester(ticket: Ticket) -> list[Recipient]:
    contact = ticket.requester
    if contact is None or not contact.email or contact.archived_at is not None:
        return []
    return [recipient_for_contact(contact)]


def portal_url(ticket: Ticket) -> str:
    return f"{settings.PACTE_BASE_URL.rstrip('/')}/portal/tickets/{ticket.pk}/"


def _staff_url(ticket: Ticket) -> str:
    return f"{settings.PACTE_BASE_URL.rstrip('/')}/tickets/{ticket.pk}/"


def _context(ticket: Ticket) -> dict[str, object]:
    return {
        "reference": ticket.reference,
        "title": ticket.title,
        "client_name": ticket.client.name,
        "status": ticket.status,
        "status_label": TicketStatus(ticket.status).label,
        "portal_url": portal_url(ticket),
        "staff_url": _staff_url(ticket),
        "priority": ticket.priority,
    }


def ticket_received(ticket: Ticket) -> None:
    recipients = _requester(ticket)
    if recipients:
        mail_send(
            template=RECEIVED,
            context=_context(ticket),
            recipients=recipients,
            provider=ticket.provider,
            key=f"ticket:{ticket.pk}:received",
            thread=thread_of(ticket),
        )


def public_reply(ticket: Ticket, message: TicketMessage) -> None:
    recipients = _requester(ticket)
    if not recipients:
        return
    sent = mail_send(
        template=REPLY,
        context={**_context(ticket), "author": message.author_name, "body": content.html_to_text(message.body)},
        recipients=recipients,
        provider=ticket.provider,
        key=f"ticket-message:{message.pk}",
        thread=thread_of(ticket),
    )
    if sent and not message.email_message_id:
        TicketMessage.objects.filter(pk=message.pk).update(email_message_id=sent[0].message_id)


def status_changed(ticket: Ticket, *, old: str, comment: str = "") -> None:
    if ticket.status not in _TOLD:
        return
    recipients = _requester(ticket)
    if recipients:
        mail_send(
            template=STATUS,
            context={**_context(ticket), "comment": comment},
            recipients=recipients,
            provider=ticket.provider,
            key=f"ticket:{ticket.pk}:status:{ticket.status}:{ticket.last_activity_at.isoformat()}",
            thread=thread_of(ticket),
        )


def client_replied(ticket: Ticket, message: TicketMessage) -> None:
    assignee = ticket.assignee
    if assignee is None or not assignee.user.email:
        return
    mail_send(
        template=CLIENT_REPLY,
        context={**_context(ticket), "author": message.author_name, "body": content.html_to_text(message.body)},
        recipients=[recipient_for_user(assignee.user)],
        provider=ticket.provider,
        key=f"ticket-message:{message.pk}:staff",
        thread=f"{thread_of(ticket)}:staff",
    )
