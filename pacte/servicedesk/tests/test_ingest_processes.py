"""Done when 1: the same 50 messages ingested three times, by two ingestion processes at once, give exactly
one ticket or message per e-mail; auto-replies and bounces give none.

Two real ``pacte mail poll`` processes run at the same time on a committed database (the ``live`` alias:
a file on SQLite — where ``database is locked`` must not happen —, a database on PostgreSQL). Each of
three Maildir folders holds the same 50 messages, so every message arrives three times, and both
processes race over every folder. The pipe (``pacte mail ingest``) then delivers one of them again.
"""

from __future__ import annotations

import mailbox
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connections

from pacte.servicedesk.inbound.parse import parse_message
from pacte.servicedesk.models import InboundMail, Mailbox, Ticket, TicketMessage
from pacte.tenancy.models import Client, Contact, Provider
from tests import mailcorpus

LIVE = "live"
live_db = pytest.mark.django_db(transaction=True, databases=["default", LIVE])


def _database_url() -> str:
    db = connections[LIVE].settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    credentials = quote(db["USER"] or "") + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"


def _env(tmp_path: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST_", "DATABASE_URL"))}
    env.update(
        DJANGO_SETTINGS_MODULE=settings.SETTINGS_MODULE,
        DATABASE_URL=_database_url(),
        PACTE_MEDIA_ROOT=str(tmp_path / "media"),
        PACTE_LOG_LEVEL="WARNING",
        PYTHONPATH=os.pathsep.join(filter(None, [str(settings.BASE_DIR.parent), os.environ.get("PYTHONPATH")])),
    )
    return env


def _maildir(path: Path, messages: list[bytes]) -> None:
    box = mailbox.Maildir(path, create=True)
    for raw in messages:
        box.add(raw)


@live_db
def test_fifty_messages_three_times_two_processes_exactly_once(tmp_path):
    db = LIVE
    provider = Provider.objects.using(db).create(name="Prestataire Concurrence")
    client = Client.objects.using(db).create(provider=provider, name="Client Concurrence")
    for last_name, email in (("Dupont", mailcorpus.CLIENT_SENDER), ("Curie", "marie.curie@client.example")):
        Contact.objects.using(db).create(provider=provider, client=client, last_name=last_name, email=email)
    messages = mailcorpus.corpus_batch(50)
    for copy in range(3):
        _maildir(tmp_path / f"maildir-{copy}", messages)
        Mailbox.objects.using(db).create(
            provider=provider, name=f"Support {copy}", kind="maildir", path=str(tmp_path / f"maildir-{copy}")
        )

    env = _env(tmp_path)
    command = [sys.executable, "-m", "pacte.cli", "mail", "poll"]
    processes = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for _ in range(2)]
    outputs = [process.communicate(timeout=600)[0].decode() for process in processes]
    assert [process.returncode for process in processes] == [0, 0], outputs
    assert not any("locked" in output for output in outputs), outputs

    # The pipe delivers one of them once more: a duplicate.
    piped = subprocess.run(
        [sys.executable, "-m", "pacte.cli", "mail", "ingest", "--provider", str(provider.pk)],
        input=messages[0],
        env=env,
        capture_output=True,
        timeout=120,
    )
    assert piped.returncode == 0 and b"duplicate" in piped.stdout, piped

    received = list(InboundMail.objects.using(db).filter(provider=provider))
    keys = Counter(row.message_key for row in received)
    assert len(received) == 50 and set(keys.values()) == {1}
    expected_keys = {parse_message(raw).dedupe_key for raw in messages}
    assert set(keys) == expected_keys
    by_key = {row.message_key: row for row in received}
    for raw in messages:
        row = by_key[parse_message(raw).dedupe_key]
        sender = parse_message(raw).from_address
        if mailcorpus.is_automatic(raw):
            assert (row.status, row.ticket_id) == ("automatic", None), mailcorpus.corpus_kind(raw)
        elif sender.endswith("@autre-client.example"):
            assert (row.status, row.ticket_id) == ("held", None)
        else:
            assert row.status in ("ticket", "message") and row.ticket_id is not None, mailcorpus.corpus_kind(raw)
    tickets = Ticket.objects.using(db).filter(provider=provider)
    opened = [row for row in received if row.status == "ticket"]
    added = [row for row in received if row.status == "message"]
    assert tickets.count() == len(opened)  # one ticket per e-mail that opened one
    email_messages = TicketMessage.objects.using(db).filter(ticket__provider=provider, channel="email")
    # one message per reply, carrying the reply's Message-ID
    replies = Counter(
        email_messages.filter(email_message_id__in=[row.message_key for row in added]).values_list(
            "email_message_id", flat=True
        )
    )
    assert set(replies) == {row.message_key for row in added} and set(replies.values()) == {1}
    assert len(added) >= 1  # the corpus replies to T-…-00001, the first ticket opened
