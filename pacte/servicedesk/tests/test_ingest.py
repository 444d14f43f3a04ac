"""E-mail in (``inbound.ingest``): tickets and replies from mail, exactly once, no loops, safe content."""

from __future__ import annotations

import pytest
from django.core import mail as django_mail

from pacte.mail.models import OutboundMessage
from pacte.servicedesk import content, messaging, services
from pacte.servicedesk.inbound.ingest import mail_ingest
from pacte.servicedesk.models import InboundMail, InboundStatus, ServiceDeskSettings, Ticket, TicketMessage
from tests import mailcorpus
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(tenant):
    """The tenant's client with the corpus senders as contacts (helpdesk@autre-client.example stays unknown)."""
    ContactFactory(client=tenant.client, provider=tenant.provider, last_name="Dupont", email=mailcorpus.CLIENT_SENDER)
    ContactFactory(
        client=tenant.client, provider=tenant.provider, last_name="Curie", email="marie.curie@client.example"
    )
    return tenant


def ingest(tenant, raw, **kwargs):
    return mail_ingest(provider=tenant.provider, raw=raw, source=kwargs.pop("source", "test"), **kwargs)


def test_a_contacts_mail_opens_a_ticket_and_tells_them(desk):
    result = ingest(desk, mailcorpus.plain_french())
    ticket = Ticket.objects.get(pk=result.ticket_id)
    assert (result.status, ticket.channel, ticket.requester.email) == ("ticket", "email", mailcorpus.CLIENT_SENDER)
    assert ticket.title == "Imprimante en panne au 2e étage"
    assert "Bourrage papier" in ticket.description
    received = OutboundMessage.objects.get(template="mail/servicedesk/ticket_received")
    assert received.to == [f"Jeanne Dupont <{mailcorpus.CLIENT_SENDER}>"]
    assert f"[{ticket.reference}]" in received.subject


def test_the_same_mail_twice_counts_once_even_by_imap_and_pipe(desk):
    raw = mailcorpus.plain_french()
    first = ingest(desk, raw, source="imap", imap_key="INBOX:7:1")
    again_pipe = ingest(desk, raw, source="pipe")
    again_imap = ingest(desk, mailcorpus.plain_french(message_id="other@client.example"), imap_key="INBOX:7:1")
    assert (first.status, again_pipe.status, again_imap.status) == ("ticket", "duplicate", "duplicate")
    assert Ticket.objects.count() == 1 and InboundMail.objects.count() == 1


def test_a_reply_by_reference_or_thread_becomes_a_message_without_the_quoted_history(desk):
    ticket = Ticket.objects.get(pk=ingest(desk, mailcorpus.plain_french()).ticket_id)
    staff_reply = messaging.message_add(actor=desk.technician, ticket=ticket, body="Avez-vous redémarré ?")
    sent = OutboundMessage.objects.get(template="mail/servicedesk/public_reply")
    staff_reply.refresh_from_db()
    assert staff_reply.email_message_id == sent.message_id
    raw = mailcorpus.reply_in_thread(
        message_id="reply-9@client.example",
        in_reply_to=sent.message_id.strip("<>"),
        references=[sent.message_id.strip("<>")],
        reference="T-1999-99999",  # a wrong reference in the subject: the thread headers win
    )
    result = ingest(desk, raw)
    assert (result.status, result.ticket_id) == ("message", ticket.pk)
    message = TicketMessage.objects.filter(ticket=ticket).last()
    assert mailcorpus.REPLY_NEW_TEXT in content.html_to_text(message.body)
    assert "a écrit" not in message.body and "spouleur" not in message.body
    by_subject = mailcorpus.reply_in_thread(
        message_id="reply-10@client.example", in_reply_to="unknown@x", references=[], reference=ticket.reference
    )
    assert ingest(desk, by_subject).ticket_id == ticket.pk


def test_another_clients_reference_does_not_reach_their_ticket(desk):
    foreign = services.ticket_open(actor=desk.technician, client=desk.other_client, title="Serveur")
    raw = mailcorpus.reply_in_thread(
        message_id="sneaky@client.example", in_reply_to="x@y", references=[], reference=foreign.reference
    )
    result = ingest(desk, raw)
    assert result.status == "ticket" and result.ticket_id != foreign.pk
    assert not foreign.messages.exists()


def test_a_reply_to_a_resolved_ticket_reopens_it_and_to_a_closed_one_opens_a_new_one(desk):
    ticket = Ticket.objects.get(pk=ingest(desk, mailcorpus.plain_french()).ticket_id)
    services.ticket_status_set(actor=desk.technician, ticket=ticket, status="resolved")
    reply = mailcorpus.reply_in_thread(message_id="r1@client.example", references=[], reference=ticket.reference)
    assert ingest(desk, reply).ticket_id == ticket.pk
    ticket.refresh_from_db()
    assert ticket.status == "reopened"
    services.ticket_status_set(actor=desk.technician, ticket=ticket, status="closed")
    reply = mailcorpus.reply_in_thread(message_id="r2@client.example", references=[], reference=ticket.reference)
    result = ingest(desk, reply)
    assert result.status == "ticket" and result.ticket_id != ticket.pk
    assert ticket.reference in Ticket.objects.get(pk=result.ticket_id).description


@pytest.mark.parametrize(
    "raw",
    [
        mailcorpus.auto_reply("auto-submitted"),
        mailcorpus.auto_reply("precedence"),
        mailcorpus.auto_reply("x-autoreply"),
        mailcorpus.bounce(),
    ],
    ids=["auto-submitted", "precedence", "x-autoreply", "bounce"],
)
def test_automatic_mail_opens_nothing_and_gets_no_answer(desk, raw):
    result = ingest(desk, raw)
    assert result.status == InboundStatus.AUTOMATIC
    assert not Ticket.objects.exists()
    assert not OutboundMessage.objects.exists()


def test_unknown_sender_is_held_by_default_or_politely_rejected(desk):
    raw = mailcorpus.plain_french(sender="stranger@elsewhere.example", message_id="s1@elsewhere.example")
    held = ingest(desk, raw)
    assert held.status == "held" and InboundMail.objects.get(pk=held.inbound_id).raw
    ServiceDeskSettings.objects.create(provider=desk.provider, unknown_sender="reject")
    raw = mailcorpus.plain_french(sender="stranger@elsewhere.example", message_id="s2@elsewhere.example")
    rejected = ingest(desk, raw)
    assert rejected.status == "rejected" and not Ticket.objects.exists()
    answer = OutboundMessage.objects.get(template="mail/servicedesk/unknown_sender")
    assert answer.to == ["stranger@elsewhere.example"]  # no name known
    assert ingest(desk, raw).status == "duplicate"
    assert OutboundMessage.objects.filter(template="mail/servicedesk/unknown_sender").count() == 1


def test_hostile_mail_is_stored_inert_and_bad_files_are_left_out(desk):
    result = ingest(desk, mailcorpus.hostile_html(sender=mailcorpus.CLIENT_SENDER))
    ticket = Ticket.objects.get(pk=result.ticket_id)
    stored = ticket.description + "".join(ticket.messages.values_list("body", flat=True))
    for bad in ("<script", "onerror", "javascript:", "<iframe", "evil.example/x.png", "<img"):
        assert bad not in stored
    result = ingest(desk, mailcorpus.with_attachments(sender=mailcorpus.CLIENT_SENDER))
    ticket = Ticket.objects.get(pk=result.ticket_id)
    names = sorted(ticket.attachments.values_list("filename", "content_type"))
    assert all("/" not in name and ".." not in name.split(".")[0] for name, _type in names)
    assert not any(kind in ("text/html", "image/svg+xml") for _name, kind in names)
    assert not any(name == "facture.pdf" for name, _type in names)  # the .exe renamed .pdf is refused
    assert ticket.messages.filter(body__contains="facture.pdf").exists()  # and said so


def test_broken_mime_and_mail_without_message_id_still_count_once(desk):
    for raw in (
        mailcorpus.truncated_multipart(),
        mailcorpus.bad_base64(),
        mailcorpus.unknown_charset(),
        mailcorpus.raw_8bit_header(),
    ):
        assert ingest(desk, raw).status == "ticket"
        assert ingest(desk, raw).status == "duplicate"
    raw = mailcorpus.without_message_id()
    assert ingest(desk, raw).status == "ticket"
    assert ingest(desk, raw).status == "duplicate"
    assert len(django_mail.outbox) == 0  # queued for the worker, never sent inline
