"""Outgoing mail through a real local SMTP server (aiosmtpd): headers, threading, languages,
attachments, a server that is down, and refusals."""

from __future__ import annotations

import datetime as dt
import email
import socket
from email import policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max

from pacte.audit.models import AuditEvent
from pacte.mail.domain import Recipient
from pacte.mail.models import MessageStatus, OutboundMessage
from pacte.mail.services import Attachment, mail_send, mail_sender_set, recipient_for_user
from tests.factories import UserFactory

WELCOME = "mail/email/welcome"


def welcome_context(name: str = "Jeanne Dupont") -> dict[str, str]:
    return {"name": name, "provider_name": "Alpaga Informatique", "login_url": "https://pacte.example.fr/"}


class Inbox:
    """An aiosmtpd handler that keeps what it accepts; addresses starting with a refused prefix get its reply."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse: dict[str, str] = {}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        for prefix, reply in self.refuse.items():
            if address.startswith(prefix):
                return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class SmtpServer:
    def __init__(self, port: int) -> None:
        self.port = port
        self.inbox = Inbox()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp(settings):
    """A real SMTP server on a free local port, and Django's SMTP backend pointed at it (started)."""
    server = SmtpServer(free_port())
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", server.port, 5
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    server.start()
    yield server
    server.stop()


@pytest.fixture
def sender(tenant):
    return mail_sender_set(
        provider=tenant.provider,
        from_name="Alpaga Informatique",
        from_email="support@alpaga.test",
        reply_to="hd@alpaga.test",
    )


def test_mail_through_smtp_carries_identity_parts_attachment_and_threading(tenant, sender, smtp, run_jobs):
    jeanne = Recipient(email="jeanne@client.test", name="Jeanne Dupont")
    note = Attachment(filename="note.txt", content_type="text/plain", content="bonjour éà".encode())
    sent = []
    for _ in range(3):
        (message,) = mail_send(
            template=WELCOME,
            context=welcome_context(),
            recipients=[jeanne],
            provider=tenant.provider,
            thread="ticket:1",
            attachments=[note],
        )
        run_jobs()
        sent.append(message)
    first, second, third = sent
    assert [m["Message-ID"] for m in smtp.inbox.messages] == [m.message_id for m in sent]
    received = smtp.inbox.messages
    for message in received:
        assert message["Message-ID"].endswith("@alpaga.test>")
        assert message["From"] == "Alpaga Informatique <support@alpaga.test>"
        assert message["Reply-To"] == "hd@alpaga.test"
        assert message["To"] == "Jeanne Dupont <jeanne@client.test>"
        assert message["Auto-Submitted"] == "auto-generated"
        assert message["Subject"] == "Votre accès à Alpaga Informatique sur Pacte"
        assert "Bonjour Jeanne Dupont" in message.get_body(("plain",)).get_content()
        assert '<a href="https://pacte.example.fr/">' in message.get_body(("html",)).get_content()
        (attached,) = list(message.iter_attachments())
        assert attached.get_filename() == "note.txt"
        assert attached.get_content() == "bonjour éà"
    assert received[0]["In-Reply-To"] is None and received[0]["References"] is None
    assert received[1]["In-Reply-To"] == first.message_id
    assert received[1]["References"] == first.message_id
    assert received[2]["In-Reply-To"] == second.message_id
    assert received[2]["References"].split() == [first.message_id, second.message_id]
    for message in OutboundMessage.objects.all():
        assert (message.status, message.attempts, message.last_error) == (MessageStatus.SENT, 1, "")
        assert message.sent_at is not None


def test_each_recipient_reads_the_mail_in_their_language(tenant, smtp, run_jobs):
    french, english = UserFactory(language="fr"), UserFactory(language="en")
    contact = Recipient(email="sans.compte@client.test")  # no account: French
    messages = mail_send(
        template=WELCOME,
        context=welcome_context(),
        recipients=[recipient_for_user(english), recipient_for_user(french), contact],
        provider=tenant.provider,
    )
    assert [m.language for m in messages] == ["fr", "en"]
    run_jobs()
    by_recipients = {tuple(sorted(m.get_all("To")[0].split(", "))): m for m in smtp.inbox.messages}
    assert len(by_recipients) == 2
    english_mail = next(m for m in smtp.inbox.messages if english.email in m["To"])
    french_mail = next(m for m in smtp.inbox.messages if french.email in m["To"])
    assert "sans.compte@client.test" in french_mail["To"]
    assert english_mail["Subject"] == "Your access to Alpaga Informatique on Pacte"
    assert "Hello" in english_mail.get_body(("plain",)).get_content()
    assert "Bonjour" in french_mail.get_body(("plain",)).get_content()
    # Without a sender identity, the provider's name and the install's address.
    assert english_mail["From"].startswith(tenant.provider.name)
    assert english_mail["Message-ID"].endswith("@pacte.localhost>")


def time_passes() -> None:
    """Bring every delayed job forward to now (what the clock would do), keeping the queue otherwise as is."""
    DBTaskResult.objects.filter(status=TaskResultStatus.READY).exclude(run_after=get_date_max()).update(
        run_after=timezone.now()
    )


@override_settings(PACTE_MAIL_RETRY_SECONDS=60)
def test_with_the_smtp_server_down_the_mail_waits_and_goes_when_it_is_back(tenant, smtp, run_jobs):
    smtp.stop()
    (message,) = mail_send(
        template=WELCOME,
        context=welcome_context(),
        recipients=[Recipient("jeanne@client.test")],
        provider=tenant.provider,
    )
    before = timezone.now()
    run_jobs()
    message.refresh_from_db()
    assert (message.status, message.attempts) == (MessageStatus.QUEUED, 1)
    assert "ConnectionRefusedError" in message.last_error
    assert before + dt.timedelta(seconds=60) <= message.next_attempt_at <= timezone.now() + dt.timedelta(seconds=60)
    assert run_jobs().ran == 0  # the retry waits for its time
    time_passes()
    run_jobs()
    message.refresh_from_db()
    assert (message.status, message.attempts) == (MessageStatus.QUEUED, 2)  # still down: the back-off doubles
    assert message.next_attempt_at >= timezone.now() + dt.timedelta(seconds=110)
    smtp.start()
    time_passes()
    run_jobs()
    message.refresh_from_db()
    assert (message.status, message.attempts) == (MessageStatus.SENT, 3)
    assert [m["Message-ID"] for m in smtp.inbox.messages] == [message.message_id]


@override_settings(PACTE_MAIL_RETRY_SECONDS=0, PACTE_MAIL_MAX_ATTEMPTS=3)
def test_a_mail_that_never_gets_through_fails_after_max_attempts(tenant, smtp, run_jobs):
    smtp.stop()
    (message,) = mail_send(
        template=WELCOME,
        context=welcome_context(),
        recipients=[Recipient("jeanne@client.test")],
        provider=tenant.provider,
    )
    run_jobs()
    message.refresh_from_db()
    assert (message.status, message.attempts) == (MessageStatus.FAILED, 3)


def test_a_permanent_refusal_marks_the_mail_failed_visibly_and_it_can_be_sent_again(tenant, smtp, run_jobs, login):
    smtp.inbox.refuse["nobody@"] = "550 5.1.1 Mailbox unavailable"
    (message,) = mail_send(
        template=WELCOME,
        context=welcome_context(),
        recipients=[Recipient("nobody@client.test")],
        provider=tenant.provider,
    )
    run_jobs()
    message.refresh_from_db()
    assert (message.status, message.attempts) == (MessageStatus.FAILED, 1)
    assert "nobody@client.test: 550 5.1.1 Mailbox unavailable" in message.last_error
    assert smtp.inbox.messages == []

    http = login(tenant.admin)
    listing = http.get(reverse("mail:message_list"), {"status": "failed"}).content.decode()
    assert "550 5.1.1 Mailbox unavailable" in listing
    detail = http.get(reverse("mail:message_detail", args=[message.pk])).content.decode()
    assert reverse("mail:message_retry", args=[message.pk]) in detail

    del smtp.inbox.refuse["nobody@"]  # the address was fixed on the server side
    response = http.post(reverse("mail:message_retry", args=[message.pk]))
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="mail.retry").count() == 1
    run_jobs()
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert len(smtp.inbox.messages) == 1
    assert http.post(reverse("mail:message_retry", args=[message.pk])).status_code == 409


def test_a_temporary_refusal_is_retried(tenant, smtp, run_jobs):
    smtp.inbox.refuse["busy@"] = "451 4.3.0 Try again later"
    (message,) = mail_send(
        template=WELCOME,
        context=welcome_context(),
        recipients=[Recipient("busy@client.test")],
        provider=tenant.provider,
    )
    run_jobs()
    message.refresh_from_db()
    assert (message.status, message.attempts) == (MessageStatus.QUEUED, 1)
    assert "451 4.3.0 Try again later" in message.last_error
