"""Pure rules of outgoing mail: recipients, threading headers, and which SMTP errors are permanent."""

from __future__ import annotations

import smtplib
from collections.abc import Sequence
from dataclasses import dataclass
from email.headerregistry import Address
from email.utils import formataddr, parseaddr

DEFAULT_LANGUAGE = "fr"
LANGUAGES = ("fr", "en")
#: How many Message-IDs a References header keeps: the first (the thread's root) and the latest ones.
REFERENCES_LIMIT = 10


@dataclass(frozen=True)
class Recipient:
    """One addressee and the language their messages are written in."""

    email: str
    name: str = ""
    language: str = DEFAULT_LANGUAGE

    def __post_init__(self) -> None:
        if "@" not in self.email or any(char in self.email for char in "\r\n<>,; "):
            raise ValueError(f"not an e-mail address: {self.email!r}")
        if self.language not in LANGUAGES:
            object.__setattr__(self, "language", DEFAULT_LANGUAGE)

    @property
    def address(self) -> str:
        """``Name <address>``, quoted as RFC 5322 wants."""
        return formataddr((self.name.replace("\r", " ").replace("\n", " "), self.email))


def group_by_language(recipients: Sequence[Recipient]) -> dict[str, list[Recipient]]:
    """Recipients grouped by language (French first), each address once."""
    groups: dict[str, list[Recipient]] = {}
    seen: set[str] = set()
    for recipient in recipients:
        if recipient.email.lower() in seen:
            continue
        seen.add(recipient.email.lower())
        groups.setdefault(recipient.language, []).append(recipient)
    return dict(sorted(groups.items(), key=lambda item: (item[0] != DEFAULT_LANGUAGE, item[0])))


def domain_of(address: str) -> str:
    """The domain of ``address`` (``Name <a@b.fr>`` or ``a@b.fr``), lower-case."""
    _name, email = parseaddr(address)
    return Address(addr_spec=email).domain.lower() if "@" in email else ""


def thread_references(parent_references: Sequence[str], parent_message_id: str) -> list[str]:
    """The References of a reply: the parent's, then the parent itself; the root and the latest kept."""
    chain = [*parent_references, parent_message_id]
    if len(chain) > REFERENCES_LIMIT:
        chain = [chain[0], *chain[-(REFERENCES_LIMIT - 1) :]]
    return chain


def smtp_error_is_permanent(error: BaseException) -> bool:
    """True when retrying cannot help: the server refused the message or every recipient with a 5xx.

    Connection problems, time-outs, 4xx answers, and 5xx answers about the connection itself
    (greeting, authentication: the operator's configuration, fixed later) are temporary.
    """
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _message in error.recipients.values()]
        return bool(codes) and all(500 <= code < 600 for code in codes)
    if isinstance(error, smtplib.SMTPConnectError | smtplib.SMTPHeloError | smtplib.SMTPAuthenticationError):
        return False
    if isinstance(error, smtplib.SMTPResponseException):
        return 500 <= error.smtp_code < 600
    return False


def smtp_error_text(error: BaseException) -> str:
    """A one-line description of a delivery error, for the mail page."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        parts = [f"{address}: {code} {_decode(message)}" for address, (code, message) in error.recipients.items()]
        return "Recipients refused — " + "; ".join(parts)
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{type(error).__name__}: {error.smtp_code} {_decode(error.smtp_error)}"
    return f"{type(error).__name__}: {error}"


def _decode(message: bytes | str) -> str:
    return message.decode(errors="replace") if isinstance(message, bytes) else message
