"""Where raw e-mails come from: a Maildir folder or an IMAP mailbox. No database here.

Both sources only ever hand out raw bytes with a stable key; the caller stores the message (the
database de-duplicates on the key / Message-ID) and only then marks it done, so a crash between
reading and committing re-delivers the message instead of losing it.

* ``MaildirSource`` yields the messages of ``new/`` and ``cur/`` that are not flagged seen, and
  ``mark_done`` moves one to ``cur/`` with the ``S`` flag, as a mail client would.
* ``ImapSource`` reads by UID: the caller keeps the last UID it committed (per mailbox and
  UIDVALIDITY) and asks for what came after. Messages are fetched with ``BODY.PEEK[]``, which does
  not set ``\\Seen``; ``mark_seen`` does, once the message is safely stored.
"""

from __future__ import annotations

import imaplib
import logging
import mailbox
import os
import re
import ssl
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Literal, Self

logger = logging.getLogger(__name__)


class SourceError(Exception):
    """A mail source could not be read (connection, login, protocol). The message never holds a password."""


# --- Maildir ---------------------------------------------------------------------------------------------


class MaildirSource:
    """The unread messages of a Maildir folder, as ``(key, raw bytes)``, oldest first."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        try:
            maildir = mailbox.Maildir(self.path, factory=None, create=False)
        except mailbox.NoSuchMailboxError as error:
            raise SourceError(f"no Maildir at {self.path}") from error
        if not (self.path / "new").is_dir() or not (self.path / "cur").is_dir():
            raise SourceError(f"{self.path} is not a Maildir (no new/ and cur/)")
        self._colon = maildir.colon

    def _entries(self) -> list[tuple[str, Path, str]]:
        """(key, path, flags) of every message in new/ and cur/, sorted by key (Maildir keys start with the time)."""
        entries: list[tuple[str, Path, str]] = []
        for subdir in ("new", "cur"):
            with os.scandir(self.path / subdir) as listing:
                for entry in listing:
                    if entry.name.startswith(".") or not entry.is_file():
                        continue
                    key, _, info = entry.name.partition(self._colon)
                    flags = info[2:] if info.startswith("2,") else ""
                    entries.append((key, Path(entry.path), flags))
        return sorted(entries, key=lambda item: item[0])

    def messages(self) -> Iterator[tuple[str, bytes]]:
        """Each message not yet marked done (no ``S`` flag, not trashed), as ``(key, raw bytes)``."""
        for key, path, flags in self._entries():
            if "S" in flags or "T" in flags:
                continue
            try:
                raw = path.read_bytes()
            except FileNotFoundError:  # moved by another reader meanwhile
                continue
            yield key, raw

    def mark_done(self, key: str) -> None:
        """Move the message to ``cur/`` with the ``S`` (seen) flag. Raises ``KeyError`` when no such message."""
        for found, path, flags in self._entries():
            if found != key:
                continue
            if "S" in flags and path.parent.name == "cur":
                return
            new_flags = "".join(sorted(set(flags) | {"S"}))
            os.replace(path, self.path / "cur" / f"{key}{self._colon}2,{new_flags}")
            return
        raise KeyError(key)


# --- IMAP ---------------------------------------------------------------------------------------------------

Security = Literal["ssl", "starttls", "none"]
_UIDVALIDITY = re.compile(rb"UIDVALIDITY (\d+)")
_FETCH_UID = re.compile(rb"UID (\d+)")


def imap_key(mailbox: str, uidvalidity: int, uid: int) -> str:
    """The de-duplication key of an IMAP message: a UID is only unique within a mailbox and its UIDVALIDITY."""
    return f"{mailbox}:{uidvalidity}:{uid}"


def _quote(value: str) -> str:
    """An IMAP quoted string (mailbox names with spaces or quotes)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class ImapSource:
    """One IMAP mailbox, opened as a context manager; messages are read by UID, in UID order.

    ``security``: ``"ssl"`` (implicit TLS, port 993), ``"starttls"`` (port 143 upgraded) or ``"none"``
    (tests and local servers only). Certificates are verified with the system's CAs unless an
    ``ssl_context`` is given.
    """

    def __init__(
        self,
        host: str,
        port: int,
        username: str,
        password: str,
        mailbox: str = "INBOX",
        security: Security | str = "ssl",
        timeout: float = 30,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        if security not in ("ssl", "starttls", "none"):
            raise ValueError(f"unknown IMAP security {security!r}")
        self.host = host
        self.port = port
        self.username = username
        self._password = password
        self.mailbox = mailbox
        self.security = security
        self.timeout = timeout
        self._ssl_context = ssl_context
        self._connection: imaplib.IMAP4 | None = None
        self._uidvalidity: int | None = None

    def __repr__(self) -> str:  # never the password
        return f"<ImapSource {self.username}@{self.host}:{self.port}/{self.mailbox} ({self.security})>"

    # -- connection --

    def __enter__(self) -> Self:
        self.open()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def open(self) -> None:
        """Connect, log in and select the mailbox (read-write, so ``mark_seen`` works)."""
        context = self._ssl_context or ssl.create_default_context()
        where = f"{self.host}:{self.port}"
        try:
            if self.security == "ssl":
                connection: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                    self.host, self.port, ssl_context=context, timeout=self.timeout
                )
            else:
                connection = imaplib.IMAP4(self.host, self.port, timeout=self.timeout)
                if self.security == "starttls":
                    connection.starttls(ssl_context=context)
        except (OSError, imaplib.IMAP4.error) as error:
            raise SourceError(f"cannot connect to IMAP server {where}: {error}") from error
        self._connection = connection
        try:
            self._login(connection)
            typ, data = connection.select(_quote(self.mailbox))
            if typ != "OK":
                raise SourceError(f"cannot open mailbox {self.mailbox!r} on {where}: {_text(data)}")
            self._uidvalidity = self._read_uidvalidity(connection)
        except (OSError, imaplib.IMAP4.error) as error:
            self.close()
            raise SourceError(f"IMAP error on {where}: {error}") from error
        except SourceError:
            self.close()
            raise
        logger.info("IMAP %s@%s: %s opened, UIDVALIDITY %s", self.username, where, self.mailbox, self.uidvalidity)

    def _login(self, connection: imaplib.IMAP4) -> None:
        if self.username.isascii() and self._password.isascii():
            try:
                connection.login(self.username, self._password)
            except imaplib.IMAP4.error as error:  # the server's answer, never our arguments
                raise SourceError(f"IMAP login refused for {self.username} on {self.host}: {error}") from None
            return
        credentials = f"\0{self.username}\0{self._password}".encode()
        try:  # non-ASCII credentials: only SASL PLAIN carries UTF-8
            connection.authenticate("PLAIN", lambda _challenge: credentials)
        except imaplib.IMAP4.error as error:
            raise SourceError(f"IMAP login refused for {self.username} on {self.host}: {error}") from None

    def _read_uidvalidity(self, connection: imaplib.IMAP4) -> int:
        typ, data = connection.response("UIDVALIDITY")
        for item in data or ():
            if isinstance(item, bytes) and item.strip().isdigit():
                return int(item)
        typ, data = connection.status(_quote(self.mailbox), "(UIDVALIDITY)")
        match = _UIDVALIDITY.search(b" ".join(item for item in data if isinstance(item, bytes)))
        if typ != "OK" or not match:
            raise SourceError(f"IMAP server {self.host} gave no UIDVALIDITY for {self.mailbox!r}")
        return int(match.group(1))

    def close(self) -> None:
        """Close the mailbox and log out; never raises (the connection may already be gone)."""
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            if connection.state == "SELECTED":
                connection.close()
            connection.logout()
        except (OSError, imaplib.IMAP4.error):
            try:
                connection.shutdown()
            except OSError:
                logger.debug("IMAP connection to %s already closed", self.host)

    @property
    def connection(self) -> imaplib.IMAP4:
        if self._connection is None:
            raise SourceError("the IMAP source is not open (use it as a context manager)")
        return self._connection

    @property
    def uidvalidity(self) -> int:
        """The mailbox's UIDVALIDITY: when it changes, every UID the caller remembered is void."""
        if self._uidvalidity is None:
            raise SourceError("the IMAP source is not open (use it as a context manager)")
        return self._uidvalidity

    # -- reading --

    def uids_after(self, last_uid: int) -> list[int]:
        """The UIDs greater than ``last_uid``, ascending.

        ``UID SEARCH UID n:*`` always matches the highest UID even when it is below ``n`` (``*`` is
        the largest UID in use and a range is unordered), so the answer is filtered here.
        """
        try:
            typ, data = self.connection.uid("SEARCH", f"UID {max(0, last_uid) + 1}:*")
        except (OSError, imaplib.IMAP4.error) as error:
            raise SourceError(f"IMAP search failed on {self.host}: {error}") from error
        if typ != "OK":
            raise SourceError(f"IMAP search failed on {self.host}: {_text(data)}")
        uids = {int(token) for item in data if isinstance(item, bytes) for token in item.split() if token.isdigit()}
        return sorted(uid for uid in uids if uid > last_uid)

    def fetch_since(self, last_uid: int, limit: int = 200) -> Iterator[tuple[int, bytes]]:
        """``(uid, raw bytes)`` of up to ``limit`` messages with a UID above ``last_uid``, in UID order.

        A message deleted between the search and its fetch is skipped.
        """
        for uid in self.uids_after(last_uid)[: max(0, limit)]:
            raw = self._fetch(uid)
            if raw is not None:
                yield uid, raw

    def _fetch(self, uid: int) -> bytes | None:
        try:
            typ, data = self.connection.uid("FETCH", str(uid), "(UID BODY.PEEK[])")
        except (OSError, imaplib.IMAP4.error) as error:
            raise SourceError(f"IMAP fetch of UID {uid} failed on {self.host}: {error}") from error
        if typ != "OK":
            raise SourceError(f"IMAP fetch of UID {uid} failed on {self.host}: {_text(data)}")
        for item in data:
            if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
                match = _FETCH_UID.search(item[0])
                if match is None or int(match.group(1)) == uid:
                    return item[1]
        return None

    def mark_seen(self, uid: int) -> None:
        """Flag a message ``\\Seen`` (after it was stored), so people reading the mailbox see it was handled."""
        try:
            typ, data = self.connection.uid("STORE", str(uid), "+FLAGS.SILENT", r"(\Seen)")
        except (OSError, imaplib.IMAP4.error) as error:
            raise SourceError(f"IMAP store on UID {uid} failed on {self.host}: {error}") from error
        if typ != "OK":
            raise SourceError(f"IMAP store on UID {uid} failed on {self.host}: {_text(data)}")


def _text(data: object) -> str:
    """A server response, readable and short, for an error message."""
    items = data if isinstance(data, list | tuple) else [data]
    parts = [item.decode("utf-8", "replace") if isinstance(item, bytes) else str(item) for item in items]
    return " ".join(parts)[:200]
