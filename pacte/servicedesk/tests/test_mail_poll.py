"""Polling mailboxes against a real IMAP server (Debian's Dovecot on a loopback port) and a Maildir:
each message once, keyed by mailbox + UIDVALIDITY + UID and by Message-ID, marked seen after it is stored."""

from __future__ import annotations

import mailbox

import pytest

from pacte.servicedesk.inbound.ingest import mail_ingest
from pacte.servicedesk.inbound.poll import mailbox_poll, mailboxes_poll
from pacte.servicedesk.models import InboundMail, Mailbox, Ticket
from tests import mailcorpus
from tests.dovecot import require_dovecot, running_dovecot
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(tenant):
    ContactFactory(client=tenant.client, provider=tenant.provider, last_name="Dupont", email=mailcorpus.CLIENT_SENDER)
    return tenant


def test_imap_mailbox_is_polled_once_per_message_and_the_pipe_does_not_repeat_it(desk, tmp_path):
    require_dovecot()
    with running_dovecot(tmp_path) as server:
        messages = [
            mailcorpus.plain_french(message_id=f"imap-{n}@client.example", subject=f"Demande {n}") for n in range(3)
        ]
        messages.append(mailcorpus.auto_reply("auto-submitted"))
        for raw in messages:
            server.append(raw)
        box = Mailbox.objects.create(
            provider=desk.provider,
            name="Support",
            kind="imap",
            host=server.host,
            port=server.port,
            security="none",
            username=server.user,
            password=server.password,
        )
        assert mailbox_poll(box) == {"received": 4, "duplicates": 0}
        box.refresh_from_db()
        assert box.last_uid == 4 and box.uidvalidity and box.last_error == ""
        assert Ticket.objects.count() == 3
        assert mailbox_poll(box) == {"received": 0, "duplicates": 0}  # nothing new after the last UID
        # The same mail through the pipe: a duplicate (keyed by Message-ID).
        assert mail_ingest(provider=desk.provider, raw=messages[0], source="pipe").duplicate
        # A forgotten last UID (e.g. restored backup) re-reads the mailbox: every message is a duplicate.
        Mailbox.objects.filter(pk=box.pk).update(last_uid=0)
        box.refresh_from_db()
        assert mailbox_poll(box) == {"received": 0, "duplicates": 4}
        assert Ticket.objects.count() == 3 and InboundMail.objects.count() == 4
        assert sorted(InboundMail.objects.values_list("imap_key", flat=True))[0].startswith("INBOX:")


def test_unreachable_mailbox_is_recorded_without_the_password(desk):
    box = Mailbox.objects.create(
        provider=desk.provider,
        name="Support",
        kind="imap",
        host="127.0.0.1",
        port=1,
        security="none",
        username="support",
        password="s3cret-never-shown",
    )
    assert mailboxes_poll() == {"mailboxes": 1, "received": 0, "duplicates": 0}
    box.refresh_from_db()
    assert box.last_error and "s3cret" not in box.last_error and box.last_polled_at is not None


def test_maildir_messages_are_marked_seen_once_stored(desk, tmp_path):
    folder = mailbox.Maildir(tmp_path / "Maildir", create=True)
    folder.add(mailcorpus.plain_french(message_id="md-1@client.example"))
    box = Mailbox.objects.create(provider=desk.provider, name="Maildir", kind="maildir", path=str(tmp_path / "Maildir"))
    assert mailbox_poll(box) == {"received": 1, "duplicates": 0}
    assert mailbox_poll(box) == {"received": 0, "duplicates": 0}
    assert [name for name in (tmp_path / "Maildir" / "cur").iterdir() if name.name.endswith(",S")]
