"""Polling the providers' mailboxes (IMAP, Maildir) and the periodic job that does it.

IMAP: the mailbox remembers its UIDVALIDITY and the last UID ingested; a changed UIDVALIDITY (the
server rebuilt the folder) starts again from UID 1 — the Message-ID keys make the re-read harmless.
Each message is ingested in its own transaction, then the last UID is saved and the message marked
seen, so a crash re-reads at most the message in flight. Maildir: each message is moved to ``cur/``
with the Seen flag once ingested. An unreachable server is recorded on the mailbox (the password is
never logged) and retried at the next run.
"""

from __future__ import annotations

import logging

from django.utils import timezone
from django_tasks import task

from pacte.jobs.domain import every
from pacte.jobs.registry import periodic
from pacte.servicedesk.inbound import sources
from pacte.servicedesk.inbound.ingest import mail_ingest
from pacte.servicedesk.models import Mailbox

logger = logging.getLogger("pacte.servicedesk.inbound")
BATCH = 200


def _poll_imap(mailbox: Mailbox) -> dict[str, int]:
    counts = {"received": 0, "duplicates": 0}
    with sources.ImapSource(
        mailbox.host,
        mailbox.port or (993 if mailbox.security == "ssl" else 143),
        mailbox.username,
        mailbox.password,
        mailbox=mailbox.folder,
        security=mailbox.security,
    ) as source:
        validity = int(source.uidvalidity)
        if mailbox.uidvalidity != validity:
            mailbox.uidvalidity, mailbox.last_uid = validity, 0
            Mailbox.objects.filter(pk=mailbox.pk).update(uidvalidity=validity, last_uid=0)
        for uid, raw in source.fetch_since(mailbox.last_uid, limit=BATCH):
            result = mail_ingest(
                provider=mailbox.provider,
                raw=raw,
                source="imap",
                imap_key=sources.imap_key(mailbox.folder, validity, uid),
            )
            counts["duplicates" if result.duplicate else "received"] += 1
            mailbox.last_uid = uid
            Mailbox.objects.filter(pk=mailbox.pk).update(last_uid=uid)
            source.mark_seen(uid)
    return counts


def _poll_maildir(mailbox: Mailbox) -> dict[str, int]:
    counts = {"received": 0, "duplicates": 0}
    source = sources.MaildirSource(mailbox.path)
    for number, (key, raw) in enumerate(source.messages()):
        if number >= BATCH:
            break
        result = mail_ingest(provider=mailbox.provider, raw=raw, source="maildir")
        counts["duplicates" if result.duplicate else "received"] += 1
        try:
            source.mark_done(key)
        except (KeyError, FileNotFoundError):  # another poller moved it meanwhile: it is ingested either way
            pass
    return counts


def mailbox_poll(mailbox: Mailbox) -> dict[str, int]:
    """Ingest what is waiting in one mailbox; errors are recorded on it, not raised."""
    try:
        counts = _poll_imap(mailbox) if mailbox.kind == "imap" else _poll_maildir(mailbox)
        error = ""
    except (OSError, sources.SourceError) as failure:
        counts, error = {"received": 0, "duplicates": 0}, f"{type(failure).__name__}: {failure}"[:500]
        logger.warning("mailbox %s (%s) could not be polled: %s", mailbox.pk, mailbox.name, type(failure).__name__)
    Mailbox.objects.filter(pk=mailbox.pk).update(last_polled_at=timezone.now(), last_error=error)
    return counts


def mailboxes_poll() -> dict[str, int]:
    totals = {"mailboxes": 0, "received": 0, "duplicates": 0}
    for mailbox in Mailbox.objects.filter(archived_at__isnull=True).select_related("provider"):
        counts = mailbox_poll(mailbox)
        totals["mailboxes"] += 1
        totals["received"] += counts["received"]
        totals["duplicates"] += counts["duplicates"]
    return totals


@periodic(every(1))
@task()
def servicedesk_mail_poll() -> dict[str, int]:
    """Fetch the support e-mail of every provider's mailboxes."""
    return mailboxes_poll()
