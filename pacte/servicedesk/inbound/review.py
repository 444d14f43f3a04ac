"""Reviewing the e-mail held back by the intake (unknown senders, a staff reply to a closed ticket).

A held ``InboundMail`` keeps its raw message until someone decides: **accept** opens a ticket for a
client chosen by the reviewer, from the mail as the intake would have (title = subject, description =
text, the files kept by the same content checks, channel e-mail), optionally adding the sender as a
contact of that client so their next mail is recognised; **discard** drops it without answering.
Either way the raw message is cleared. A held row is decided once: the row is locked, and a second
decision is a ``ConflictError`` (409). Technicians and managers review (``can_work_tickets``); the
"add as a contact" option is part of the review, so a technician may use it (audited ``contact.create``).

The ticket opens when it is accepted, not when the mail came in: until someone says which client an
unknown sender writes for, no contract (nor its SLA clock) applies. The received instant stays on the
``InboundMail`` row, linked to the ticket.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pacte.audit.services import audit_record, snapshot
from pacte.core.errors import ConflictError
from pacte.servicedesk import content
from pacte.servicedesk.inbound.ingest import mail_body, note_refused_files, usable_files
from pacte.servicedesk.inbound.parse import ParsedMail, clean_line, parse_message
from pacte.servicedesk.messaging import message_add
from pacte.servicedesk.models import Channel, InboundMail, InboundStatus, Ticket, Visibility
from pacte.servicedesk.permissions import can_work_tickets
from pacte.servicedesk.services import ticket_open
from pacte.tenancy.models import Client, Contact, Membership
from pacte.tenancy.permissions import require

#: The reasons the intake records, as the review page shows them.
REASONS = {
    "unknown sender": gettext_lazy("Unknown sender"),
    "closed ticket": gettext_lazy("Reply to a closed ticket"),
}
DISCARDED_BY = "discarded by "
ACCEPTED_BY = "accepted by "
MAX_FILES = 20


def reason_label(reason: str) -> str:
    """The stored reason in the reader's language (the automatic-message reasons stay as recorded)."""
    if reason in REASONS:
        return str(REASONS[reason])
    if reason.startswith(DISCARDED_BY):
        return _("Discarded by %(name)s") % {"name": reason.removeprefix(DISCARDED_BY)}
    if reason.startswith(ACCEPTED_BY):
        return _("Accepted by %(name)s") % {"name": reason.removeprefix(ACCEPTED_BY)}
    return reason


@dataclass(frozen=True)
class HeldFile:
    """An attachment of a held mail as the review page lists it (never its bytes)."""

    filename: str
    size: int
    refused: str  # why the intake would leave it out, or ""


def held_parsed(inbound: InboundMail) -> ParsedMail | None:
    """The held message parsed again from its raw bytes (``None`` once the raw message is gone)."""
    if inbound.raw is None:
        return None
    return parse_message(bytes(inbound.raw))


def held_files(parsed: ParsedMail) -> list[HeldFile]:
    """Each attachment with the reason it would be left out (the intake's checks: ``ingest.usable_files``)."""
    files = []
    kept = 0
    for part in parsed.attachments:
        reason = ""
        if content.attachment_too_large(len(part.content)):
            reason = _("This file is too large.")
        else:
            sniffed = content.sniff_attachment(part.content, part.filename)
            if sniffed.refused:
                reason = sniffed.reason
            elif kept >= MAX_FILES:
                reason = _("Left out: more than 20 files.")
            else:
                kept += 1
        files.append(HeldFile(content.safe_filename(part.filename), len(part.content), reason))
    return files


def _person(actor: Membership) -> str:
    return actor.user.get_full_name() or actor.user.email


def _lock_held(actor: Membership, inbound: InboundMail) -> InboundMail:
    if inbound.provider_id != actor.provider_id:
        raise PermissionDenied
    require(can_work_tickets(actor))
    locked = InboundMail.objects.select_for_update().get(pk=inbound.pk)
    if locked.status != InboundStatus.HELD:
        raise ConflictError(_("This e-mail has already been reviewed."))
    if locked.raw is None:
        raise ConflictError(_("This e-mail is no longer kept: it cannot be reviewed."))
    return locked


def _split_name(name: str, address: str) -> tuple[str, str]:
    """First and last name from a display name ("Jean Dupont"), or the address's local part."""
    words = clean_line(name, 200).split()
    if len(words) >= 2:
        return " ".join(words[:-1])[:100], words[-1][:100]
    if words:
        return "", words[0][:100]
    return "", (address.split("@", 1)[0] or address)[:100]


def _sender_contact(actor: Membership, client: Client, parsed: ParsedMail) -> tuple[Contact, bool]:
    """The client's contact with the sender's address, created when there is none (second value: created)."""
    address = parsed.from_address
    if not address or "@" not in address:
        raise ValidationError({"add_contact": _("This e-mail has no sender address to add.")})
    existing = Contact.objects.filter(
        provider_id=client.provider_id, client=client, email__iexact=address, archived_at__isnull=True
    ).first()
    if existing is not None:
        return existing, False
    first_name, last_name = _split_name(parsed.from_name, address)
    contact = Contact(provider_id=client.provider_id, client=client, first_name=first_name, last_name=last_name)
    contact.email = address
    try:
        contact.full_clean()
    except ValidationError as error:
        raise ValidationError({"add_contact": _("The sender's address cannot be recorded as a contact.")}) from error
    contact.save()
    audit_record(
        actor=actor, action="contact.create", instance=contact, provider=actor.provider, after=snapshot(contact)
    )
    return contact, True


@transaction.atomic
def held_accept(
    actor: Membership,
    inbound: InboundMail,
    client: Client,
    contact: Contact | None = None,
    add_contact: bool = False,
) -> Ticket:
    """Open a ticket for ``client`` from a held mail (``contact`` as requester, or the sender added as one).

    The row becomes ``ticket`` with the ticket, its raw message is cleared, and the decision is audited.
    A row that is no longer held (decided meanwhile) is a ``ConflictError``.
    """
    locked = _lock_held(actor, inbound)
    errors: dict[str, str] = {}
    if client.provider_id != actor.provider_id:
        errors["client"] = _("Unknown client.")
    elif client.archived_at is not None:
        errors["client"] = _("This client is archived.")
    if contact is not None and add_contact:
        errors["add_contact"] = _("Choose a requester or add the sender as a contact, not both.")
    elif contact is not None and (contact.client_id != client.pk or contact.archived_at is not None):
        errors["contact"] = _("This contact is not one of the client's.")
    if errors:
        raise ValidationError(errors)
    parsed = held_parsed(locked)
    assert parsed is not None  # checked by _lock_held
    added = False
    if add_contact:
        contact, added = _sender_contact(actor, client, parsed)
    files, refused = usable_files(parsed)
    site = contact.site if contact is not None else None
    ticket = ticket_open(
        actor=actor,
        client=client,
        requester=contact,
        site=site if site is not None and site.archived_at is None else None,
        title=parsed.subject or "(sans objet)",
        description=mail_body(parsed, reply=False)[:100_000],
        channel=Channel.EMAIL,
    )
    # The files come from the sender: credited to the requester only when that is who wrote.
    sender_contact = contact if contact is not None and contact.email.lower() == parsed.from_address else None
    if files:
        message_add(
            actor=None,
            ticket=ticket,
            body="",
            visibility=Visibility.PUBLIC,
            channel=Channel.EMAIL,
            author_contact=sender_contact,
            author_name=parsed.from_name or parsed.from_address,
            email_message_id=parsed.message_id or "",
            files=files,
            notify_people=False,
        )
    note_refused_files(ticket, refused)
    before = {"status": locked.status, "reason": locked.reason}
    locked.status = InboundStatus.TICKET
    locked.ticket = ticket
    locked.reason = (ACCEPTED_BY + _person(actor))[:300]
    locked.raw = None
    locked.save(update_fields=["status", "ticket", "reason", "raw"])
    audit_record(
        actor=actor,
        action="servicedesk.inbound_accept",
        instance=locked,
        provider=actor.provider,
        before=before,
        after={
            "status": locked.status,
            "reason": locked.reason,
            "ticket": ticket.reference,
            "client": client.pk,
            "requester": contact.pk if contact is not None else None,
            "contact_added": added,
        },
    )
    inbound.status, inbound.ticket, inbound.reason, inbound.raw = locked.status, ticket, locked.reason, None
    return ticket


@transaction.atomic
def held_discard(actor: Membership, inbound: InboundMail) -> InboundMail:
    """Drop a held mail: recorded as rejected ("discarded by …"), raw message cleared, no answer sent."""
    locked = _lock_held(actor, inbound)
    before = {"status": locked.status, "reason": locked.reason}
    locked.status = InboundStatus.REJECTED
    locked.reason = (DISCARDED_BY + _person(actor))[:300]
    locked.raw = None
    locked.save(update_fields=["status", "reason", "raw"])
    audit_record(
        actor=actor,
        action="servicedesk.inbound_discard",
        instance=locked,
        provider=actor.provider,
        before=before,
        after={"status": locked.status, "reason": locked.reason},
    )
    inbound.status, inbound.reason, inbound.raw = locked.status, locked.reason, None
    return inbound
