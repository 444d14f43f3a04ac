"""E-mail in: one received message becomes a ticket, a message on a ticket, or nothing — exactly once.

**Exactly once.** Each message is keyed per receiving provider by its Message-ID (or ``sha256:`` of
the raw bytes when it has none), and an IMAP message also by ``mailbox:UIDVALIDITY:UID``. The
``InboundMail`` row holding the keys (two unique constraints) is inserted in the same transaction
as the ticket or message it produces: a second arrival of the same mail — the same IMAP message
fetched again, or the same mail coming by IMAP and by the pipe — hits the constraint and counts as
a duplicate; a crash before the commit leaves nothing, and the next run does it again. On SQLite,
two ingestions at once are serialised by ``IMMEDIATE`` transactions and the busy timeout; a
``database is locked`` that still escapes is retried with back-off.

**What it becomes.**
1. Automatic messages (auto-replies, out-of-office, bounces, lists: ``parse.automatic_reason``) are
   recorded and dropped: no ticket, no answer — no mail loop.
2. The sender is a contact of one of the provider's clients (by address; a contact with a portal
   account first) or a member of the provider's staff.
3. A reply — In-Reply-To / References naming one of the ticket's messages (received or sent), or a
   ticket reference ``[T-2026-00123]`` in the subject — becomes a public message on that ticket when
   the sender belongs to the ticket's client (or is staff). The quoted history is cut off. A reply to
   a closed ticket opens a new ticket that says so.
4. Otherwise a contact's mail opens a ticket (channel e-mail; the requester is told it was received).
5. Unknown senders follow the provider's setting: *hold* (kept with the raw message for review) or
   *reject* (recorded, and a polite answer tells them to write from a known address or call).
Attachments refused by the content checks (executables, oversized) are left out and listed in an
internal note; the rest are stored like any upload.
"""

from __future__ import annotations

import datetime
import logging
import time
from dataclasses import dataclass

from django.db import IntegrityError, OperationalError, transaction
from django.db.models import F, Q
from django.utils import timezone

from pacte.mail.domain import Recipient
from pacte.mail.models import OutboundMessage
from pacte.mail.services import mail_send
from pacte.servicedesk import content
from pacte.servicedesk.inbound.parse import ParsedMail, parse_message, strip_quoted_reply, ticket_reference_in
from pacte.servicedesk.messaging import NewFile, message_add
from pacte.servicedesk.models import (
    Channel,
    InboundMail,
    InboundStatus,
    Ticket,
    TicketMessage,
    TicketStatus,
    UnknownSender,
    Visibility,
)
from pacte.servicedesk.services import settings_for, ticket_open
from pacte.tenancy.models import PROVIDER_ROLES, Contact, Membership, Provider

logger = logging.getLogger("pacte.servicedesk.inbound")

REJECT_MAIL = "mail/servicedesk/unknown_sender"
LOCK_RETRIES = 8


@dataclass(frozen=True)
class IngestResult:
    status: str  # an InboundStatus, or "duplicate"
    inbound_id: int | None
    ticket_id: int | None

    @property
    def duplicate(self) -> bool:
        return self.status == "duplicate"


class _Duplicate(Exception):
    pass


def _thread_ticket_id(provider: Provider, ids: list[str]) -> int | None:
    """The ticket a reply belongs to, from the Message-IDs it names (its own messages, or what we sent)."""
    if not ids:
        return None
    message = (
        TicketMessage.objects.filter(ticket__provider=provider, email_message_id__in=ids)
        .order_by("-id")
        .values_list("ticket_id", flat=True)
        .first()
    )
    if message is not None:
        return message
    received = (
        InboundMail.objects.filter(provider=provider, message_key__in=ids, ticket__isnull=False)
        .order_by("-id")
        .values_list("ticket_id", flat=True)
        .first()
    )
    if received is not None:
        return received
    for thread in OutboundMessage.objects.filter(
        provider=provider, message_id__in=[f"<{i}>" for i in ids] + ids
    ).values_list("thread", flat=True):
        parts = thread.split(":")
        if len(parts) >= 2 and parts[0] == "ticket" and parts[1].isdigit():
            return int(parts[1])
    return None


def _find_ticket(provider: Provider, parsed: ParsedMail) -> Ticket | None:
    ids = [i for i in [parsed.in_reply_to, *parsed.references] if i]
    ticket_id = _thread_ticket_id(provider, ids)
    if ticket_id is None:
        reference = ticket_reference_in(parsed.subject)
        if reference is not None:
            return Ticket.objects.filter(provider=provider, reference=reference).select_related("client").first()
        return None
    return Ticket.objects.filter(provider=provider, pk=ticket_id).select_related("client").first()


def _sender(provider: Provider, address: str) -> tuple[Contact | None, Membership | None]:
    if not address:
        return None, None
    contact = (
        Contact.objects.filter(
            provider=provider, email__iexact=address, archived_at__isnull=True, client__archived_at__isnull=True
        )
        .select_related("client", "user")
        .order_by(F("user").asc(nulls_last=True), "id")
        .first()
    )
    staff = (
        Membership.objects.filter(
            provider=provider, client__isnull=True, role__in=PROVIDER_ROLES, is_active=True, user__email__iexact=address
        )
        .select_related("user", "provider")
        .first()
    )
    return contact, staff


def usable_files(parsed: ParsedMail) -> tuple[list[NewFile], list[str]]:
    kept: list[NewFile] = []
    refused: list[str] = []
    for part in parsed.attachments:
        if content.attachment_too_large(len(part.content)):
            refused.append(f"{part.filename}: too large")
            continue
        sniffed = content.sniff_attachment(part.content, part.filename)
        if sniffed.refused:
            refused.append(f"{part.filename}: {sniffed.reason}")
            continue
        kept.append(NewFile(part.filename, part.content))
    return kept[:20], refused + [f"{f.filename}: more than 20 files" for f in kept[20:]]


def mail_body(parsed: ParsedMail, *, reply: bool) -> str:
    text = strip_quoted_reply(parsed.text) if reply else parsed.text
    return text.strip() or parsed.subject or "(sans texte)"


def _record(
    provider: Provider, parsed: ParsedMail, source: str, imap_key: str, status: str, **extra: object
) -> InboundMail:
    received_at = extra.pop("received_at", None)
    try:
        with transaction.atomic():
            return InboundMail.objects.create(
                provider=provider,
                message_key=parsed.dedupe_key[:260],
                imap_key=imap_key[:300],
                source=source,
                received_at=received_at if isinstance(received_at, datetime.datetime) else timezone.now(),
                from_address=parsed.from_address[:254],
                subject=parsed.subject[:250],
                status=status,
                **extra,
            )
    except IntegrityError as error:
        raise _Duplicate from error


def _ingest(
    provider: Provider, raw: bytes, parsed: ParsedMail, source: str, imap_key: str, at: datetime.datetime | None
) -> IngestResult:
    if (
        InboundMail.objects.filter(provider=provider)
        .filter(Q(message_key=parsed.dedupe_key[:260]) | (Q(imap_key=imap_key) if imap_key else Q(pk__in=[])))
        .exists()
    ):
        raise _Duplicate
    if parsed.automatic:
        inbound = _record(
            provider, parsed, source, imap_key, InboundStatus.AUTOMATIC, reason=parsed.automatic_reason, received_at=at
        )
        return IngestResult(InboundStatus.AUTOMATIC, inbound.pk, None)
    contact, staff = _sender(provider, parsed.from_address)
    ticket = _find_ticket(provider, parsed)
    files, refused = usable_files(parsed)
    message_id = parsed.message_id or ""
    if ticket is not None and (staff is not None or (contact is not None and contact.client_id == ticket.client_id)):
        if ticket.status != TicketStatus.CLOSED:
            inbound = _record(provider, parsed, source, imap_key, InboundStatus.MESSAGE, ticket=ticket, received_at=at)
            message_add(
                actor=staff,
                ticket=ticket,
                body=mail_body(parsed, reply=True),
                visibility=Visibility.PUBLIC,
                channel=Channel.EMAIL,
                author_contact=None if staff else contact,
                email_message_id=message_id,
                files=files,
                at=at,
            )
            note_refused_files(ticket, refused)
            return IngestResult(InboundStatus.MESSAGE, inbound.pk, ticket.pk)
        if contact is None:  # staff writing to a closed ticket: nothing to open
            inbound = _record(provider, parsed, source, imap_key, InboundStatus.HELD, reason="closed ticket", raw=raw)
            return IngestResult(InboundStatus.HELD, inbound.pk, None)
    if contact is None:
        return _unknown_sender(provider, raw, parsed, source, imap_key)
    follow_up = f"\n\n(Suite du ticket {ticket.reference}, clos.)" if ticket is not None else ""
    new = ticket_open(
        actor=None,
        client=contact.client,
        requester=contact,
        site=contact.site if contact.site is not None and contact.site.archived_at is None else None,
        title=parsed.subject or "(sans objet)",
        description=mail_body(parsed, reply=False)[: 100_000 - len(follow_up)] + follow_up,
        channel=Channel.EMAIL,
        at=at,
    )
    inbound = _record(provider, parsed, source, imap_key, InboundStatus.TICKET, ticket=new, received_at=at)
    if files:
        message_add(
            actor=None,
            ticket=new,
            body="",
            visibility=Visibility.PUBLIC,
            channel=Channel.EMAIL,
            author_contact=contact,
            email_message_id=message_id,
            files=files,
            notify_people=False,
            at=at,
        )
    note_refused_files(new, refused)
    return IngestResult(InboundStatus.TICKET, inbound.pk, new.pk)


def note_refused_files(ticket: Ticket, refused: list[str]) -> None:
    if refused:
        message_add(
            actor=None,
            ticket=ticket,
            body="Pièces jointes écartées :\n" + "\n".join(refused),
            visibility=Visibility.PUBLIC,
            channel=Channel.EMAIL,
            author_name="Pacte",
            notify_people=False,
        )


def _unknown_sender(provider: Provider, raw: bytes, parsed: ParsedMail, source: str, imap_key: str) -> IngestResult:
    policy = settings_for(provider).unknown_sender
    if policy == UnknownSender.REJECT:
        inbound = _record(provider, parsed, source, imap_key, InboundStatus.REJECTED, reason="unknown sender")
        if parsed.from_address and "@" in parsed.from_address:
            mail_send(
                template=REJECT_MAIL,
                context={"provider_name": provider.name, "subject": parsed.subject},
                recipients=[Recipient(email=parsed.from_address)],
                provider=provider,
                key=f"inbound-reject:{inbound.pk}",
                in_reply_to=f"<{parsed.message_id}>" if parsed.message_id else "",
            )
        return IngestResult(InboundStatus.REJECTED, inbound.pk, None)
    inbound = _record(provider, parsed, source, imap_key, InboundStatus.HELD, reason="unknown sender", raw=raw)
    return IngestResult(InboundStatus.HELD, inbound.pk, None)


def mail_ingest(
    *, provider: Provider, raw: bytes, source: str, imap_key: str = "", received_at: datetime.datetime | None = None
) -> IngestResult:
    """Ingest one raw RFC 822 message for ``provider`` (idempotent: a second arrival is a duplicate).

    ``received_at`` is for trusted callers only (the demo's story); the mail's own Date header is never
    used as the opening instant (a sender could push the SLA clock into the past).
    """
    parsed = parse_message(raw)
    for attempt in range(LOCK_RETRIES):
        try:
            with transaction.atomic():
                return _ingest(provider, raw, parsed, source, imap_key, received_at)
        except _Duplicate:
            existing = (
                InboundMail.objects.filter(provider=provider)
                .filter(Q(message_key=parsed.dedupe_key[:260]) | (Q(imap_key=imap_key) if imap_key else Q(pk__in=[])))
                .first()
            )
            return IngestResult(
                "duplicate", existing.pk if existing else None, existing.ticket_id if existing else None
            )
        except OperationalError as error:
            if "locked" not in str(error).lower() or attempt == LOCK_RETRIES - 1:
                raise
            time.sleep(min(0.05 * 2**attempt, 2.0))
    raise AssertionError("unreachable")
