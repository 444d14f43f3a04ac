"""Messages (public replies, internal notes) and files on a ticket.

A staff member's first public reply stops the response target. A client's reply while the ticket
waits on the client resumes the clock (the ticket goes back in progress); a client's reply to a
resolved ticket reopens it; a closed ticket takes no more messages (a new ticket is opened instead).
Files are type-sniffed, size-limited and stored under random names (``documents.storage``); the
name given is kept for display only.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pacte.audit.services import audit_record
from pacte.core.errors import ConflictError
from pacte.documents import storage
from pacte.servicedesk import content, notify
from pacte.servicedesk.clock import ticket_sla_refresh
from pacte.servicedesk.models import (
    Channel,
    EventKind,
    Ticket,
    TicketAttachment,
    TicketMessage,
    TicketStatus,
    Visibility,
)
from pacte.servicedesk.permissions import is_staff
from pacte.servicedesk.services import body_html, event_add, ticket_lock, ticket_status_set, touch
from pacte.tenancy.models import Contact, Membership

MAX_FILES_PER_MESSAGE = 20


@dataclass(frozen=True)
class NewFile:
    """A file as received (upload, e-mail part, API body): a display name and the bytes."""

    filename: str
    content: bytes


def _author_name(actor: Membership | None, contact: Contact | None, fallback: str) -> str:
    if actor is not None:
        return actor.user.get_full_name() or actor.user.email
    if contact is not None:
        return str(contact)
    return fallback or _("Unknown sender")


def _check_files(files: Sequence[NewFile]) -> None:
    if len(files) > MAX_FILES_PER_MESSAGE:
        raise ValidationError({"files": _("At most 20 files per message.")})
    for new in files:
        if content.attachment_too_large(len(new.content)):
            raise ValidationError(
                {"files": _("“%(name)s” is too large.") % {"name": content.safe_filename(new.filename)}}
            )
        sniffed = content.sniff_attachment(new.content, new.filename)
        if sniffed.refused:
            raise ValidationError({"files": f"{content.safe_filename(new.filename)}: {sniffed.reason}"})


def _store_file(
    ticket: Ticket,
    new: NewFile,
    *,
    actor: Membership | None,
    message: TicketMessage | None,
    internal: bool,
    at: datetime.datetime,
) -> TicketAttachment:
    sniffed = content.sniff_attachment(new.content, new.filename)
    name = storage.new_storage_name(provider_id=ticket.provider_id, year=at.year, extension=".bin")
    storage.write_new(name, new.content)
    try:
        with transaction.atomic():
            return TicketAttachment.objects.create(
                ticket=ticket,
                message=message,
                created_at=at,
                filename=content.safe_filename(new.filename),
                content_type=sniffed.content_type,
                size=len(new.content),
                sha256=hashlib.sha256(new.content).hexdigest(),
                storage_name=name,
                internal=internal,
                uploaded_by=actor,
            )
    except BaseException:
        storage.remove_unreferenced(name)
        raise


@transaction.atomic
def message_add(
    *,
    actor: Membership | None,
    ticket: Ticket,
    body: str,
    body_format: str = "text",
    visibility: str = Visibility.PUBLIC,
    channel: str = Channel.DESK,
    author_contact: Contact | None = None,
    author_name: str = "",
    email_message_id: str = "",
    files: Sequence[NewFile] = (),
    at: datetime.datetime | None = None,
    notify_people: bool = True,
) -> TicketMessage:
    """Add a reply or an internal note (``actor`` is None for an e-mail from a contact: ``author_contact``)."""
    if actor is not None and actor.provider_id != ticket.provider_id:
        raise PermissionDenied
    staff = actor is not None and is_staff(actor)
    if visibility not in Visibility.values:
        raise ValidationError({"visibility": _("Unknown visibility.")})
    if visibility == Visibility.INTERNAL and not staff:
        raise PermissionDenied
    html = body_html(body or "", body_format)
    text = content.html_to_text(html).strip()
    if not text and not files:
        raise ValidationError({"body": _("Write a message or add a file.")})
    _check_files(files)
    ticket = ticket_lock(ticket)
    if ticket.status == TicketStatus.CLOSED:
        raise ConflictError(_("This ticket is closed: open a new one."))
    now = timezone.now()
    at = min(at or now, now)
    message = TicketMessage.objects.create(
        ticket=ticket,
        created_at=at,
        visibility=visibility,
        channel=channel,
        author=actor,
        author_contact=author_contact,
        author_name=_author_name(actor, author_contact, author_name)[:150],
        body=html,
        email_message_id=email_message_id[:250],
    )
    for new in files:
        _store_file(ticket, new, actor=actor, message=message, internal=visibility == Visibility.INTERNAL, at=at)
    kind = EventKind.MESSAGE if visibility == Visibility.PUBLIC else EventKind.NOTE
    event_add(ticket, kind, actor=actor, at=at, data={"message": message.pk, "author": message.author_name})
    touch(ticket, at, text[:5000])
    if staff and visibility == Visibility.PUBLIC and ticket.first_response_at is None:
        event_add(ticket, EventKind.FIRST_RESPONSE, actor=actor, at=at)
        ticket.first_response_at = at
        Ticket.objects.filter(pk=ticket.pk).update(first_response_at=at)
        ticket_sla_refresh(ticket, now=now)
    if not staff:
        if ticket.status == TicketStatus.WAITING_CLIENT:
            ticket_status_set(actor=None, ticket=ticket, status=TicketStatus.IN_PROGRESS, notify_requester=False)
        elif ticket.status == TicketStatus.RESOLVED:
            ticket_status_set(actor=None, ticket=ticket, status=TicketStatus.REOPENED, notify_requester=False)
    audit_record(
        actor=actor,
        action="ticket.message" if visibility == Visibility.PUBLIC else "ticket.note",
        instance=ticket,
        provider=ticket.provider,
        after={"message": message.pk, "files": len(files)},
    )
    if notify_people:
        if staff and visibility == Visibility.PUBLIC:
            notify.public_reply(ticket, message)
        elif not staff:
            notify.client_replied(ticket, message)
    return message


@transaction.atomic
def attachment_add(
    *, actor: Membership, ticket: Ticket, filename: str, data: bytes, internal: bool = False
) -> TicketAttachment:
    """Add a file to a ticket without a message (staff may mark it internal)."""
    if actor.provider_id != ticket.provider_id:
        raise PermissionDenied
    if internal and not is_staff(actor):
        raise PermissionDenied
    new = NewFile(filename, data)
    _check_files([new])
    ticket = ticket_lock(ticket)
    if ticket.status == TicketStatus.CLOSED:
        raise ConflictError(_("This ticket is closed: open a new one."))
    at = timezone.now()
    attachment = _store_file(ticket, new, actor=actor, message=None, internal=internal, at=at)
    event_add(
        ticket, EventKind.ATTACHMENT, actor=actor, at=at, data={"file": attachment.filename, "internal": internal}
    )
    touch(ticket, at, attachment.filename)
    audit_record(
        actor=actor,
        action="ticket.attachment",
        instance=ticket,
        provider=ticket.provider,
        after={"file": attachment.filename, "sha256": attachment.sha256},
    )
    return attachment


def attachment_content(attachment: TicketAttachment) -> bytes:
    """The stored bytes (the caller has scoped ``attachment`` to its actor)."""
    return storage.read(attachment.storage_name)
