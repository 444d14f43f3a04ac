"""Sending e-mail: ``mail_send`` stores each message and queues its delivery in the caller's
transaction; the ``deliver_message`` job sends it over SMTP with retries and back-off."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.utils import formataddr, make_msgid, parseaddr
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.utils import timezone

from pacte.audit.services import audit_record
from pacte.core.errors import ConflictError
from pacte.jobs.domain import retry_delay
from pacte.mail import domain
from pacte.mail.domain import Recipient
from pacte.mail.models import MailSender, MessageStatus, OutboundAttachment, OutboundMessage
from pacte.mail.permissions import can_view_mail
from pacte.mail.rendering import render_mail
from pacte.tenancy.permissions import require

if TYPE_CHECKING:
    from pacte.accounts.models import User
    from pacte.tenancy.models import Contact, Membership, Provider

logger = logging.getLogger("pacte.mail")

ERASED = "[erased after delivery]"


@dataclass(frozen=True)
class Attachment:
    """A file for ``mail_send``: its bytes, or the name of a file in the default storage."""

    filename: str
    content_type: str
    content: bytes | None = None
    storage_name: str = ""

    def read(self) -> bytes:
        if self.content is not None:
            return self.content
        with default_storage.open(self.storage_name, "rb") as stored:
            data: bytes = stored.read()
            return data


# Recipients --------------------------------------------------------------------------------------


def recipient_for_user(user: User) -> Recipient:
    """A user, in the language they chose."""
    return Recipient(email=user.email, name=user.full_name, language=user.language or domain.DEFAULT_LANGUAGE)


def recipient_for_contact(contact: Contact) -> Recipient:
    """A client's contact: in their user's language when they have an account, else French."""
    language = contact.user.language if contact.user is not None else domain.DEFAULT_LANGUAGE
    return Recipient(email=contact.email, name=str(contact), language=language)


# Sending -----------------------------------------------------------------------------------------


def _sender(provider: Provider | None) -> tuple[str, str]:
    """(From, Reply-To) for the provider's mail."""
    default_name, default_email = parseaddr(settings.DEFAULT_FROM_EMAIL)
    if provider is None:
        return formataddr((default_name, default_email)), ""
    identity = MailSender.objects.filter(provider=provider).first()
    if identity is None:
        return formataddr((provider.name, default_email)), ""
    return formataddr((identity.from_name, identity.from_email)), identity.reply_to


def _enqueue(message_id: int, run_after: dt.datetime | None = None) -> None:
    from pacte.mail.tasks import deliver_message

    task = deliver_message if run_after is None else deliver_message.using(run_after=run_after)
    task.enqueue(message_id)


def mail_send(
    *,
    template: str,
    context: Mapping[str, Any],
    recipients: Sequence[Recipient],
    provider: Provider | None,
    key: str = "",
    thread: str = "",
    in_reply_to: str = "",
    references: Sequence[str] = (),
    attachments: Sequence[Attachment] = (),
    sensitive: bool = False,
) -> list[OutboundMessage]:
    """Queue ``template`` for ``recipients``, one message per language, sent from the provider's identity.

    - ``key``: idempotency; a second call with the same key sends nothing and returns the first messages.
    - ``thread``: a key of the provider's conversation (``ticket:42``); a message continues the
      latest one of its thread (In-Reply-To, References). ``in_reply_to`` / ``references`` set
      the headers explicitly instead.
    - ``sensitive``: the body is erased from the database once the message is sent.

    Runs in the caller's transaction: if it rolls back, nothing is sent. A template error (missing
    file or variable) raises ``MailTemplateError`` and stores nothing.
    """
    if not recipients:
        raise ValueError("mail_send needs at least one recipient")
    groups = domain.group_by_language(recipients)
    files = [(attachment, attachment.read()) for attachment in attachments]
    with transaction.atomic():
        if key:
            existing = list(OutboundMessage.objects.filter(key=key).order_by("id"))
            if existing:
                return existing
        header_references = list(references)
        if thread and not in_reply_to:
            parent = (
                OutboundMessage.objects.filter(provider=provider, thread=thread).order_by("-created_at", "-id").first()
            )
            if parent is not None:
                in_reply_to = parent.message_id
                header_references = domain.thread_references(parent.reference_list, parent.message_id)
        elif in_reply_to and not header_references:
            header_references = [in_reply_to]
        from_address, reply_to = _sender(provider)
        message_domain = domain.domain_of(from_address) or "pacte.localhost"
        now = timezone.now()
        messages = []
        for language, group in groups.items():
            rendered = render_mail(template, context, language)
            message = OutboundMessage(
                provider=provider,
                key=key,
                template=template,
                language=language,
                from_address=from_address,
                reply_to=reply_to,
                to=[recipient.address for recipient in group],
                subject=rendered.subject,
                body_text=rendered.text,
                body_html=rendered.html,
                message_id=make_msgid(domain=message_domain),
                in_reply_to=in_reply_to,
                references=" ".join(header_references),
                thread=thread,
                sensitive=sensitive,
                next_attempt_at=now,
            )
            try:
                with transaction.atomic():
                    message.save()
            except IntegrityError:  # the same key sent at the same moment by another transaction
                if key:
                    transaction.set_rollback(True)
                    return list(OutboundMessage.objects.filter(key=key).order_by("id"))
                raise
            for attachment, data in files:
                OutboundAttachment.objects.create(
                    message=message,
                    filename=attachment.filename,
                    content_type=attachment.content_type,
                    size=len(data),
                    sha256=hashlib.sha256(data).hexdigest(),
                    content=data if attachment.content is not None else None,
                    storage_name=attachment.storage_name if attachment.content is None else "",
                )
            _enqueue(message.pk)
            messages.append(message)
    return messages


def _email_for(message: OutboundMessage) -> EmailMultiAlternatives:
    headers = {"Message-ID": message.message_id, "Auto-Submitted": "auto-generated"}
    if message.in_reply_to:
        headers["In-Reply-To"] = message.in_reply_to
    if message.references:
        headers["References"] = message.references
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body_text,
        from_email=message.from_address,
        to=list(message.to),
        reply_to=[message.reply_to] if message.reply_to else None,
        headers=headers,
    )
    if message.body_html:
        email.attach_alternative(message.body_html, "text/html")
    for attachment in message.attachments.all():
        stored = Attachment(
            filename=attachment.filename,
            content_type=attachment.content_type,
            content=bytes(attachment.content) if attachment.content is not None else None,
            storage_name=attachment.storage_name,
        )
        email.attach(attachment.filename, stored.read(), attachment.content_type)
    return email


def message_deliver(*, message_id: int) -> str:
    """Send one queued message (the ``deliver_message`` job). Returns what happened.

    The SMTP exchange runs outside any transaction. A temporary failure (server down, time-out,
    4xx) puts the message back in the queue with exponential back-off; a 5xx refusal, or too many
    attempts, marks it failed with the server's answer. A worker killed mid-send leaves the
    message "sending"; its job is re-queued and sends it again (at least once).
    """
    with transaction.atomic():
        message = OutboundMessage.objects.select_for_update().filter(pk=message_id).first()
        if message is None or message.status in (MessageStatus.SENT, MessageStatus.FAILED):
            return "skipped"
        message.status = MessageStatus.SENDING
        message.attempts += 1
        message.save(update_fields=["status", "attempts", "updated_at"])
    try:
        email = _email_for(message)
        sent = get_connection(fail_silently=False).send_messages([email])
        if not sent:
            raise ConnectionError("the mail backend sent nothing")
    except Exception as error:
        return _delivery_failed(message, error)
    with transaction.atomic():
        fields = {"status": MessageStatus.SENT, "sent_at": timezone.now(), "next_attempt_at": None}
        if message.sensitive:
            fields |= {"body_text": ERASED, "body_html": ""}
        OutboundMessage.objects.filter(pk=message.pk).update(**fields)
    return "sent"


def _delivery_failed(message: OutboundMessage, error: BaseException) -> str:
    permanent = domain.smtp_error_is_permanent(error)
    text = domain.smtp_error_text(error)[:2000]
    now = timezone.now()
    with transaction.atomic():
        if permanent or message.attempts >= settings.PACTE_MAIL_MAX_ATTEMPTS:
            OutboundMessage.objects.filter(pk=message.pk).update(
                status=MessageStatus.FAILED, last_error=text, next_attempt_at=None
            )
            logger.warning("Message %s failed for good: %s", message.message_id, text)
            return "failed"
        next_attempt = now + retry_delay(attempt=message.attempts, base_seconds=settings.PACTE_MAIL_RETRY_SECONDS)
        OutboundMessage.objects.filter(pk=message.pk).update(
            status=MessageStatus.QUEUED, last_error=text, next_attempt_at=next_attempt
        )
        _enqueue(message.pk, run_after=next_attempt)
    logger.info("Message %s delayed until %s: %s", message.message_id, next_attempt.isoformat(), text)
    return "retry"


def message_retry(*, actor: Membership, message: OutboundMessage) -> OutboundMessage:
    """Send a failed message again, with a fresh set of attempts."""
    require(can_view_mail(actor))
    with transaction.atomic():
        message = OutboundMessage.objects.select_for_update().get(pk=message.pk, provider_id=actor.provider_id)
        if message.status != MessageStatus.FAILED:
            raise ConflictError("Only a failed message can be sent again.")
        message.status = MessageStatus.QUEUED
        message.attempts = 0
        message.next_attempt_at = timezone.now()
        message.save(update_fields=["status", "attempts", "next_attempt_at", "updated_at"])
        _enqueue(message.pk)
        audit_record(
            actor=actor,
            action="mail.retry",
            instance=message,
            provider=actor.provider,
            before={"status": MessageStatus.FAILED},
            after={"status": MessageStatus.QUEUED},
        )
    return message


def mail_sender_set(*, provider: Provider, from_name: str, from_email: str, reply_to: str = "") -> MailSender:
    """Set the provider's sender identity (operators: CLI, admin, demo)."""
    with transaction.atomic():
        identity = MailSender.objects.filter(provider=provider).first() or MailSender(provider=provider)
        identity.from_name, identity.from_email, identity.reply_to = from_name, from_email, reply_to
        identity.full_clean()
        identity.save()
        audit_record(
            actor=None,
            action="mail.sender.set",
            instance=identity,
            provider=provider,
            after={"from_name": from_name, "from_email": from_email, "reply_to": reply_to},
        )
    return identity
