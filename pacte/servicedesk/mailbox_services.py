"""The provider's mailboxes (IMAP or Maildir) the worker polls for support e-mail: create, edit, archive, test.

Managers only (``can_manage_desk``). The password is write-only: a form never shows it back, an
empty password on edit keeps the stored one, and the audit trail says "changed" — never the value.
Security "none" (clear-text IMAP) is refused unless the server is on this machine (127.0.0.1,
localhost, ::1). Testing a mailbox opens it and counts what is waiting, without ingesting anything;
the error it reports (``sources.SourceError``) never carries the password.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from pacte.audit.services import archive_once, audit_record
from pacte.core.errors import ConflictError
from pacte.servicedesk.inbound import sources
from pacte.servicedesk.models import Mailbox, MailboxSecurity
from pacte.servicedesk.permissions import can_manage_desk
from pacte.tenancy.models import Membership
from pacte.tenancy.permissions import require

logger = logging.getLogger("pacte.servicedesk.inbound")

KINDS = ("imap", "maildir")
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
DEFAULT_PORTS: dict[str, int] = {"ssl": 993, "starttls": 143, "none": 143}
TEST_TIMEOUT = 10.0
#: The fields a mailbox's audit events show (the password only as "changed").
AUDITED = ("name", "kind", "host", "port", "security", "username", "folder", "path")
_HOSTNAME = re.compile(r"(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class MailboxData:
    """What a manager types for a mailbox. ``password`` empty on edit: keep the stored one."""

    name: str
    kind: str
    host: str = ""
    port: int | None = None
    security: str = MailboxSecurity.SSL
    username: str = ""
    password: str = ""
    folder: str = "INBOX"
    path: str = ""


def is_local_host(host: str) -> bool:
    return host.strip().strip("[]").lower() in LOCAL_HOSTS


def _valid_host(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return _HOSTNAME.fullmatch(host) is not None
    return True


def _clean(actor: Membership, data: MailboxData, mailbox: Mailbox | None) -> dict[str, Any]:
    """The values to store, or ``ValidationError`` per field (French messages through gettext)."""
    errors: dict[str, str] = {}
    name = " ".join((data.name or "").split())
    if not name:
        errors["name"] = _("Give the mailbox a name.")
    elif len(name) > 100:
        errors["name"] = _("The name is too long (at most 100 characters).")
    else:
        taken = Mailbox.objects.filter(provider_id=actor.provider_id, name__iexact=name, archived_at__isnull=True)
        if mailbox is not None:
            taken = taken.exclude(pk=mailbox.pk)
        if taken.exists():
            errors["name"] = _("Another mailbox already has this name.")
    values: dict[str, Any] = {
        "name": name,
        "kind": data.kind,
        "host": "",
        "port": None,
        "security": MailboxSecurity.SSL,
        "username": "",
        "folder": "INBOX",
        "path": "",
    }
    password: str | None = ""  # None: keep the stored one
    if data.kind == "imap":
        host = (data.host or "").strip().lower()
        if not host:
            errors["host"] = _("Give the IMAP server's name (e.g. imap.example.fr).")
        elif len(host) > 200 or not _valid_host(host):
            errors["host"] = _("This is not a server name or an IP address.")
        if data.port is not None and not 1 <= data.port <= 65535:
            errors["port"] = _("The port is a number between 1 and 65535.")
        if data.security not in MailboxSecurity.values:
            errors["security"] = _("Choose SSL/TLS, STARTTLS or none.")
        elif data.security == MailboxSecurity.NONE and host and not is_local_host(host):
            errors["security"] = _(
                "Without encryption the password would cross the network in clear: "
                "only allowed for a server on this machine (127.0.0.1, localhost, ::1)."
            )
        username = (data.username or "").strip()
        if not username:
            errors["username"] = _("Give the user name of the mailbox.")
        elif len(username) > 200 or _CONTROL.search(username):
            errors["username"] = _("This user name is not valid.")
        if len(data.password or "") > 200 or _CONTROL.search(data.password or ""):
            errors["password"] = _("This password is not valid (at most 200 characters, no control characters).")
        elif data.password:
            password = data.password
        elif mailbox is not None and mailbox.kind == "imap" and mailbox.password:
            password = None
        else:
            errors["password"] = _("Give the password of the mailbox.")
        folder = (data.folder or "").strip() or "INBOX"
        if len(folder) > 200 or _CONTROL.search(folder):
            errors["folder"] = _("This folder name is not valid.")
        values.update(host=host, port=data.port, security=data.security, username=username, folder=folder)
    elif data.kind == "maildir":
        path = (data.path or "").strip()
        if not path:
            errors["path"] = _("Give the Maildir folder's path on the server (e.g. /var/mail/support/Maildir).")
        elif len(path) > 500 or _CONTROL.search(path):
            errors["path"] = _("This path is not valid.")
        elif not PurePosixPath(path).is_absolute():
            errors["path"] = _("The path must be absolute (start with /).")
        elif ".." in PurePosixPath(path).parts:
            errors["path"] = _("The path may not contain “..”.")
        values["path"] = str(PurePosixPath(path)) if not errors.get("path") else path
    else:
        errors["kind"] = _("Choose IMAP or Maildir.")
    if errors:
        raise ValidationError(errors)
    values["password"] = password
    return values


def _audited(mailbox: Mailbox) -> dict[str, Any]:
    return {field: getattr(mailbox, field) for field in AUDITED}


def _check(actor: Membership, mailbox: Mailbox | None = None) -> None:
    if mailbox is not None and mailbox.provider_id != actor.provider_id:
        raise PermissionDenied
    require(can_manage_desk(actor))


@transaction.atomic
def mailbox_create(*, actor: Membership, data: MailboxData) -> Mailbox:
    _check(actor)
    values = _clean(actor, data, None)
    mailbox = Mailbox(provider_id=actor.provider_id)
    values["password"] = values["password"] or ""
    for field, value in values.items():
        setattr(mailbox, field, value)
    mailbox.save()
    after: dict[str, Any] = _audited(mailbox)
    after["password_set"] = bool(mailbox.password)  # never the value
    audit_record(
        actor=actor, action="servicedesk.mailbox_create", instance=mailbox, provider=actor.provider, after=after
    )
    return mailbox


@transaction.atomic
def mailbox_update(*, actor: Membership, mailbox: Mailbox, data: MailboxData) -> Mailbox:
    """Change a mailbox (an empty password keeps the stored one). A new server, account or folder
    starts the IMAP reading again from the first message (the Message-ID keys make that harmless)."""
    _check(actor, mailbox)
    mailbox = Mailbox.objects.select_for_update().get(pk=mailbox.pk)
    if mailbox.archived_at is not None:
        raise ConflictError(_("This mailbox is archived."))
    values = _clean(actor, data, mailbox)
    password = values.pop("password")
    before = _audited(mailbox)
    for field, value in values.items():
        setattr(mailbox, field, value)
    password_changed = password is not None and password != mailbox.password
    if password is not None:
        mailbox.password = password
    after = _audited(mailbox)
    if before == after and not password_changed:
        return mailbox
    if any(before[field] != after[field] for field in ("kind", "host", "port", "username", "folder")):
        mailbox.uidvalidity, mailbox.last_uid = None, 0
    mailbox.save()
    audit_before = {field: value for field, value in before.items() if value != after[field]}
    audit_after = {field: value for field, value in after.items() if value != before[field]}
    if password_changed:
        audit_after["password_changed"] = True  # never the value
    audit_record(
        actor=actor,
        action="servicedesk.mailbox_update",
        instance=mailbox,
        provider=actor.provider,
        before=audit_before,
        after=audit_after,
    )
    return mailbox


@transaction.atomic
def mailbox_archive(*, actor: Membership, mailbox: Mailbox) -> Mailbox:
    """Archive a mailbox: the worker stops polling it; what it brought in stays."""
    _check(actor, mailbox)
    mailbox = Mailbox.objects.select_for_update().get(pk=mailbox.pk)
    archive_once(actor=actor, instance=mailbox, action="servicedesk.mailbox_archive")
    return mailbox


@dataclass(frozen=True)
class MailboxTest:
    """The outcome of opening a mailbox: ``waiting`` messages not yet read, or the ``error`` met."""

    ok: bool
    waiting: int = 0
    error: str = ""


def mailbox_test(*, actor: Membership, mailbox: Mailbox, timeout: float = TEST_TIMEOUT) -> MailboxTest:
    """Open the mailbox as the worker would and count what is waiting; nothing is read nor marked."""
    _check(actor, mailbox)
    try:
        if mailbox.kind == "maildir":
            waiting = sum(1 for _message in sources.MaildirSource(mailbox.path).messages())
        else:
            with sources.ImapSource(
                mailbox.host,
                mailbox.port or DEFAULT_PORTS.get(mailbox.security, 993),
                mailbox.username,
                mailbox.password,
                mailbox=mailbox.folder,
                security=mailbox.security,
                timeout=timeout,
            ) as source:
                last = mailbox.last_uid if mailbox.uidvalidity == source.uidvalidity else 0
                waiting = len(source.uids_after(last))
    except (OSError, ValueError, sources.SourceError) as failure:
        message = str(failure) or type(failure).__name__
        if len(mailbox.password) >= 4:
            message = message.replace(mailbox.password, "***")  # belt and braces: SourceError never has it
        logger.info("mailbox %s test failed: %s", mailbox.pk, type(failure).__name__)
        return MailboxTest(ok=False, error=message[:500])
    return MailboxTest(ok=True, waiting=waiting)
