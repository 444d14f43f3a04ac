"""Turning a raw e-mail into plain, safe values a ticket can be made of, whatever the e-mail looks like.

``parse_message`` never raises: mail comes from anyone, and one broken message must not stop the
intake of the others. Headers are read from their raw form and decoded defensively (RFC 2047 words,
raw 8-bit bytes read as UTF-8 with a Windows-1252 fallback, unknown charsets); bodies are decoded
with the declared charset when it works; HTML is sanitised here, so nothing downstream ever sees the
sender's markup. What could not be understood is listed in ``defects``.

The loop protection (``automatic``) recognises auto-replies, bounces and list mail, so the desk does
not open tickets for them nor answer them (an answer to an auto-reply can start a mail loop).
"""

from __future__ import annotations

import base64
import binascii
import codecs
import datetime as dt
import email
import email.header
import email.policy
import email.utils
import hashlib
import mimetypes
import re
import unicodedata
from dataclasses import dataclass, field
from email.message import Message

from pacte.servicedesk.content import html_to_text, safe_filename, sanitize_html, text_to_html

MAX_HEADER_LENGTH = 250
MAX_REFERENCES = 100
MAX_PARTS = 500
MAX_DEPTH = 30
_MAX_RAW_HEADER = 16 * 1024  # longer header values are cut before decoding (they are never legitimate)


def _utf8_or_cp1252(error: UnicodeError) -> tuple[str, int]:
    """Codec error handler: bytes that are not UTF-8 are read as Windows-1252 (what 8-bit mail usually is)."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    return error.object[error.start : error.end].decode("cp1252", errors="replace"), error.end


_FALLBACK_ERRORS = "pacte-utf8-cp1252"
codecs.register_error(_FALLBACK_ERRORS, _utf8_or_cp1252)


def decode_bytes(data: bytes, charset: str | None = None) -> tuple[str, bool]:
    """Decode body or header bytes: the declared charset when it works, else UTF-8 with a Windows-1252 fallback.

    Returns the text and whether the fallback was needed (a defect worth recording).
    """
    if charset:
        try:
            return data.decode(charset), False
        except (LookupError, UnicodeDecodeError, ValueError, TypeError):
            pass
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("utf-8", _FALLBACK_ERRORS), True
    return text, charset is not None and charset.lower() not in ("", "utf-8", "utf8", "us-ascii", "ascii")


_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([qQbB])\?([^?\s]*)\?=")


def _encoded_word_bytes(encoding: str, text: str) -> tuple[bytes, bool]:
    """The bytes of one encoded word's payload, best effort (invalid base64 is repaired or kept as is)."""
    data = text.encode("utf-8", "surrogateescape")
    if encoding.lower() == "q":
        return binascii.a2b_qp(data, header=True), False
    cleaned = re.sub(rb"[^A-Za-z0-9+/]", b"", data)
    if len(cleaned) % 4 == 1:
        cleaned = cleaned[:-1]
    try:
        return base64.b64decode(cleaned + b"=" * (-len(cleaned) % 4)), cleaned != data.rstrip(b"=")
    except (binascii.Error, ValueError):
        return data, True


def decode_rfc2047(value: str) -> tuple[str, bool]:
    """Decode the RFC 2047 encoded words of a header value; never raises.

    Adjacent words in the same charset are joined before decoding (so a character split across two
    words survives), whitespace between encoded words is dropped, unknown charsets and undecodable
    bytes fall back to UTF-8 then Windows-1252. Returns the text and whether a fallback was needed.
    """
    out: list[str] = []
    pending = bytearray()
    pending_charset: str | None = None
    after_word = False
    trouble = False
    position = 0

    def flush() -> None:
        nonlocal trouble
        if pending_charset is not None and pending:
            text, fallback = decode_bytes(bytes(pending), pending_charset)
            out.append(text)
            trouble = trouble or fallback
        pending.clear()

    for match in _ENCODED_WORD.finditer(value):
        between = value[position : match.start()]
        if between and not (after_word and between.isspace()):
            flush()
            pending_charset = None
            out.append(between)
        charset = match.group(1).split("*", 1)[0].lower()  # RFC 2231 language suffix: "utf-8*fr"
        data, broken = _encoded_word_bytes(match.group(2), match.group(3))
        trouble = trouble or broken
        if charset != pending_charset:
            flush()
            pending_charset = charset
        pending.extend(data)
        after_word = True
        position = match.end()
    flush()
    out.append(value[position:])
    return "".join(out), trouble


# --- Result -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InboundFile:
    """An attachment as received. ``filename`` is already a safe display name; the type is only what was declared."""

    filename: str
    content: bytes
    declared_type: str
    content_id: str = ""
    inline: bool = False


@dataclass(frozen=True)
class ParsedMail:
    """Everything the service desk takes from one e-mail. Text fields are clean unicode; ``html`` is sanitised."""

    message_id: str | None
    dedupe_key: str
    in_reply_to: str | None
    references: tuple[str, ...]
    from_address: str
    from_name: str
    to: tuple[str, ...]
    subject: str
    date: dt.datetime | None
    text: str
    html: str
    attachments: tuple[InboundFile, ...]
    automatic: bool
    automatic_reason: str
    defects: tuple[str, ...]
    cc: tuple[str, ...] = field(default=())


# --- Text helpers -------------------------------------------------------------------------------------

_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_BODY_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def clean_line(value: str, limit: int = MAX_HEADER_LENGTH) -> str:
    """One line of display text: control, bidi-override and surrogate characters removed, whitespace collapsed."""
    kept = "".join(
        " " if char.isspace() else char
        for char in value
        if char.isspace() or (unicodedata.category(char) not in ("Cc", "Cs") and char not in _BIDI_CONTROLS)
    )
    return " ".join(kept.split())[:limit].strip()


def clean_body(value: str) -> str:
    """A text body as stored: ``\\n`` newlines, no NUL or other control characters, no lone surrogates."""
    return _BODY_CONTROLS.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))


# --- Headers -------------------------------------------------------------------------------------------


class _Headers:
    """Defensive access to a message's headers: raw values, decoded text, addresses; never raises."""

    def __init__(self, message: Message, defects: list[str]) -> None:
        self._message = message
        self._defects = defects

    def raw(self, name: str) -> str | None:
        """The first raw value of a header, unfolded, with raw 8-bit bytes decoded; None when absent."""
        values = self.raw_all(name)
        return values[0] if values else None

    def raw_all(self, name: str) -> list[str]:
        wanted = name.lower()
        found: list[str] = []
        try:
            items = list(self._message.raw_items())
        except Exception:  # a message object in a bad state: no headers rather than no message
            self._defects.append("HeaderListUnreadable")
            return found
        for key, value in items:
            if str(key).strip().lower() != wanted:
                continue
            text = str(value)[:_MAX_RAW_HEADER]
            if any("\udc80" <= char <= "\udcff" for char in text):  # raw 8-bit bytes, kept as surrogates
                text, _ = decode_bytes(text.encode("utf-8", "surrogateescape"))
                self._defects.append(f"8BitHeader:{name}")
            found.append(text.replace("\r", "").replace("\n", ""))  # unfolded
        return found

    def text(self, name: str) -> str:
        """A header decoded to unicode (RFC 2047 words included), "" when absent."""
        raw = self.raw(name)
        if raw is None:
            return ""
        text, fallback = decode_rfc2047(raw)
        if fallback:
            self._defects.append(f"HeaderCharsetFallback:{name}")
        return text

    def addresses(self, name: str) -> list[tuple[str, str]]:
        """(display name, lower-cased addr-spec) pairs of an address header; invalid addresses are left out."""
        pairs: list[tuple[str, str]] = []
        for raw in self.raw_all(name):
            try:
                parsed = email.policy.default.header_factory(name, raw)
                candidates = [(a.display_name, a.addr_spec) for a in getattr(parsed, "addresses", ())]
            except Exception:
                self._defects.append(f"HeaderParseFallback:{name}")
                candidates = []
            if not candidates:  # split the raw value first: a decoded name could contain "<" or ","
                candidates = [(decode_rfc2047(display)[0], address) for display, address in _getaddresses(raw)]
            for display, address in candidates:
                address = normalise_address(address)
                if address:
                    pairs.append((clean_line(display or ""), address))
                else:
                    self._defects.append(f"InvalidAddress:{name}")
        return pairs


_ADDRESS = re.compile(r"[^\s@<>()\[\]\\,;:\"]+@[^\s@<>()\[\]\\,;:\"]+")


def _getaddresses(raw: str) -> list[tuple[str, str]]:
    try:
        return email.utils.getaddresses([raw])
    except Exception:  # older or newer stdlib parsers differ on hostile input
        return []


def normalise_address(address: str) -> str:
    """A lower-cased addr-spec, or "" when the value is not a plausible address."""
    address = address.strip().strip("<>").strip().lower()
    if len(address) > 254 or not _ADDRESS.fullmatch(address):
        return ""
    if any(unicodedata.category(char) in ("Cc", "Cf", "Cs") for char in address):
        return ""
    return address


_MSG_ID_IN_BRACKETS = re.compile(r"<([^<>]*)>")


def _clean_id(value: str) -> str:
    return "".join(char for char in value if not char.isspace() and unicodedata.category(char) not in ("Cc", "Cs"))[
        :MAX_HEADER_LENGTH
    ]


def message_ids(raw: str | None) -> list[str]:
    """The message identifiers in a Message-ID / In-Reply-To / References value, without angle brackets."""
    if not raw:
        return []
    found = [_clean_id(value) for value in _MSG_ID_IN_BRACKETS.findall(raw)]
    if not found:  # some mailers forget the brackets
        found = [_clean_id(token) for token in re.split(r"[\s,]+", raw)]
    ids: list[str] = []
    for value in found:
        if value and value not in ids:
            ids.append(value)
    return ids


def _parse_date(raw: str | None, defects: list[str]) -> dt.datetime | None:
    if not raw or not raw.strip():
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(raw.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        defects.append("InvalidDate")
        return None
    if parsed is None or not 1970 <= parsed.year <= 2200:
        defects.append("InvalidDate")
        return None
    if parsed.tzinfo is None:  # "-0000": the sender does not know its offset; UTC is the best reading
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed


# --- Loop protection ---------------------------------------------------------------------------------------

_PRECEDENCE_AUTOMATIC = frozenset({"bulk", "junk", "list", "auto_reply"})
_SUPPRESS_AUTOMATIC = frozenset({"all", "oof", "autoreply"})
_AUTO_SUBJECTS = re.compile(
    r"^\s*(?:out of (?:the )?office|absence du bureau|r[ée]ponse automatique|automatic reply|auto[- ]?reply"
    r"|undeliverable|undelivered mail returned to sender|delivery status notification|mail delivery failed"
    r"|non remis|message non remis|returned mail|delivery failure)\s*(?::|\(|-|$)",
    re.IGNORECASE,
)


def automatic_reason(headers: _Headers, content_type: str, from_address: str, subject: str) -> str:
    """Why a message is machine-generated (a stable, technical English string), or "" for a person's mail."""
    auto_submitted = (headers.raw("Auto-Submitted") or "").strip().lower()
    if auto_submitted and auto_submitted.split(";")[0].strip() != "no":
        return f"Auto-Submitted: {auto_submitted[:60]}"
    precedence = (headers.raw("Precedence") or "").strip().lower()
    if precedence in _PRECEDENCE_AUTOMATIC:
        return f"Precedence: {precedence}"
    for name in ("X-Autoreply", "X-Autorespond"):
        if headers.raw(name) is not None:
            return f"{name} header"
    suppress = {token.strip().lower() for token in (headers.raw("X-Auto-Response-Suppress") or "").split(",")}
    if suppress & _SUPPRESS_AUTOMATIC:
        return "X-Auto-Response-Suppress: " + ", ".join(sorted(suppress & _SUPPRESS_AUTOMATIC))
    for name in ("List-Id", "List-Unsubscribe"):
        if headers.raw(name) is not None:
            return f"{name} header (mailing list)"
    if content_type in ("multipart/report", "message/delivery-status", "message/disposition-notification"):
        return f"Content-Type: {content_type}"
    local_part = from_address.partition("@")[0]
    squashed = re.sub(r"[-_.+]", "", local_part)
    if local_part in ("mailer-daemon", "postmaster") or "noreply" in squashed or "donotreply" in squashed:
        return f"Sender {from_address}"
    return_path = headers.raw("Return-Path")
    if return_path is not None and return_path.strip() in ("<>", ""):
        return "Empty Return-Path (bounce)"
    if _AUTO_SUBJECTS.match(subject):
        return "Auto-reply subject"
    return ""


# --- Subject and reply helpers ----------------------------------------------------------------------------

_TICKET_REFERENCE = re.compile(r"(?<![A-Za-z0-9])T-(\d{4})-(\d{5,})(?!\d)", re.IGNORECASE)


def ticket_reference_in(subject: str) -> str | None:
    """The first ticket reference (``T-YYYY-NNNNN``) in a subject, e.g. ``[T-2026-00123]``; None when none."""
    match = _TICKET_REFERENCE.search(subject or "")
    return f"T-{match.group(1)}-{match.group(2)}" if match else None


_ATTRIBUTION_START = re.compile(r"^\s*(?:Le |On |El |Am )", re.IGNORECASE)
_ATTRIBUTION_END = re.compile(r"(?:a\s+écrit|wrote|escribió|schrieb)\s*:\s*$", re.IGNORECASE)
_SEPARATORS = re.compile(
    r"^\s*(?:-{2,}\s*(?:original message|message d'origine|mail original|message original|forwarded message"
    r"|message transféré)\s*-{2,}|_{10,})\s*$",
    re.IGNORECASE,
)
_OUTLOOK_FROM = re.compile(r"^\s*\**(?:de|from)\s*\**\s*:", re.IGNORECASE)
_OUTLOOK_FIELDS = re.compile(r"^\s*\**(?:envoyé|sent|date|à|to|objet|subject|cc)\s*\**\s*:", re.IGNORECASE)


def _history_starts_at(lines: list[str], index: int) -> bool:
    line = lines[index]
    if _SEPARATORS.match(line):
        return True
    if _ATTRIBUTION_START.match(line):
        window = " ".join(part.strip() for part in lines[index : index + 3])
        for end in range(index, min(index + 3, len(lines))):
            if _ATTRIBUTION_END.search(lines[end]):
                return True
        return bool(_ATTRIBUTION_END.search(window))
    if _OUTLOOK_FROM.match(line):
        following = [candidate for candidate in lines[index + 1 : index + 6] if candidate.strip()]
        return sum(1 for candidate in following if _OUTLOOK_FIELDS.match(candidate)) >= 2
    return False


def strip_quoted_reply(text: str) -> str:
    """The new part of a reply: quoted lines (``>``) and the history after an attribution line are dropped.

    Recognised starts of history: "Le … a écrit :", "On … wrote:", "-----Original Message-----" and the
    like, and an Outlook header block ("De : … Envoyé : … À : … Objet : …"). When nothing would be left,
    the text is returned unchanged.
    """
    lines = (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    for index, line in enumerate(lines):
        if _history_starts_at(lines, index):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line.rstrip())
    result = re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()
    return result if result else text


# --- Body and attachments ----------------------------------------------------------------------------------


class _Walker:
    """Collects the text, HTML and attachment parts of a message tree, within depth and count limits."""

    def __init__(self, defects: list[str]) -> None:
        self.defects = defects
        self.plain: list[str] = []
        self.html: list[str] = []
        self.files: list[InboundFile] = []
        self._parts = 0

    def _note_defects(self, part: Message) -> None:
        for defect in getattr(part, "defects", ()) or ():
            self.defects.append(type(defect).__name__)

    def visit(self, part: Message, depth: int = 0) -> None:
        self._parts += 1
        if depth > MAX_DEPTH or self._parts > MAX_PARTS:
            if "TooManyParts" not in self.defects:
                self.defects.append("TooManyParts")
            return
        try:
            self._visit_part(part, depth)
        finally:  # after decoding: the payload decoder adds its defects (bad base64) to the part
            self._note_defects(part)

    def _visit_part(self, part: Message, depth: int) -> None:
        content_type = _content_type(part)
        if content_type in ("message/rfc822", "message/global"):
            self._attach_message(part)
            return
        payload = part.get_payload()
        if isinstance(payload, list):
            for child in payload:
                if isinstance(child, Message):
                    self.visit(child, depth + 1)
            return
        if content_type.startswith("multipart/"):  # no boundary found: the body is kept as text
            self.plain.append(clean_body(_decoded_text(part, self.defects)))
            return
        disposition = str(_safe_call(part.get_content_disposition) or "")
        filename = _filename(part)
        if content_type in ("text/plain", "text/html") and disposition != "attachment" and not filename:
            target = self.plain if content_type == "text/plain" else self.html
            target.append(clean_body(_decoded_text(part, self.defects)))
            return
        self._attach(part, content_type, filename, disposition)

    def _attach(self, part: Message, content_type: str, filename: str | None, disposition: str) -> None:
        try:
            content = part.get_payload(decode=True)
        except Exception:
            self.defects.append("UndecodableAttachment")
            content = None
        if not isinstance(content, bytes):
            content = b""
        if not filename:
            extension = mimetypes.guess_extension(content_type, strict=False) or ""
            filename = "piece-jointe" + (extension if extension != ".bin" else "")
        content_id = clean_line(str(_safe_call(lambda: part.get("Content-ID")) or "")).strip("<>")
        self.files.append(
            InboundFile(
                filename=safe_filename(filename),
                content=content,
                declared_type=content_type,
                content_id=content_id,
                inline=disposition == "inline" or (not disposition and bool(content_id)),
            )
        )

    def _attach_message(self, part: Message) -> None:
        """A forwarded message (message/rfc822) becomes an ``.eml`` attachment, not part of the body."""
        payload = part.get_payload()
        inner = payload[0] if isinstance(payload, list) and payload else None
        content = b""
        if isinstance(inner, Message):
            try:
                content = inner.as_bytes(policy=email.policy.compat32)
            except Exception:
                self.defects.append("UnserialisableAttachedMessage")
        elif isinstance(payload, str | bytes):
            content = payload.encode("utf-8", "surrogateescape") if isinstance(payload, str) else payload
        name = _filename(part)
        if not name and isinstance(inner, Message):
            name = clean_line(_Headers(inner, self.defects).text("Subject"), 100)
        name = safe_filename(name or "message")
        if not name.lower().endswith(".eml"):
            name = safe_filename(name + ".eml")
        self.files.append(InboundFile(filename=name, content=content, declared_type="message/rfc822"))


def _safe_call(function: object) -> object | None:
    try:
        return function() if callable(function) else None
    except Exception:
        return None


def _content_type(part: Message) -> str:
    value = _safe_call(part.get_content_type)
    return value.lower() if isinstance(value, str) and "/" in value else "text/plain"


def _filename(part: Message) -> str | None:
    value = _safe_call(part.get_filename)
    if value is None:
        value = _safe_call(lambda: part.get_param("name"))
    if isinstance(value, tuple):  # an undecoded RFC 2231 value: (charset, language, text)
        value = email.utils.collapse_rfc2231_value(value)
    if not isinstance(value, str) or not value.strip():
        return None
    if any("\udc80" <= char <= "\udcff" for char in value):
        value, _ = decode_bytes(value.encode("utf-8", "surrogateescape"))
    if "=?" in value:  # some mailers encode names with RFC 2047 instead of RFC 2231
        value, _ = decode_rfc2047(value)
    return value


def _decoded_text(part: Message, defects: list[str]) -> str:
    try:
        data = part.get_payload(decode=True)
    except Exception:
        defects.append("UndecodableBody")
        data = None
    if not isinstance(data, bytes):
        raw = part.get_payload()
        data = raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""
    charset = _safe_call(part.get_content_charset)
    text, fallback = decode_bytes(data, charset if isinstance(charset, str) else None)
    if fallback:
        defects.append(f"CharsetFallback:{str(charset)[:40]}" if charset else "CharsetFallback")
    return text


# --- Entry point --------------------------------------------------------------------------------------------


def _parse_tree(raw: bytes, defects: list[str]) -> Message:
    try:
        return email.message_from_bytes(raw, policy=email.policy.default)
    except Exception:  # not expected from the feed parser, but the contract is "never raises"
        defects.append("ParserFailed")
    try:
        return email.message_from_bytes(raw, policy=email.policy.compat32)
    except Exception:
        defects.append("CompatParserFailed")
        return Message()


def parse_message(raw: bytes) -> ParsedMail:
    """Parse a raw e-mail into a ``ParsedMail``; never raises, records what it could not read in ``defects``."""
    raw = bytes(raw or b"")
    defects: list[str] = []
    message = _parse_tree(raw, defects)
    headers = _Headers(message, defects)

    ids = message_ids(headers.raw("Message-ID"))
    message_id = ids[0] if ids else None
    references = tuple(message_ids(" ".join(headers.raw_all("References"))))
    if len(references) > MAX_REFERENCES:  # the root and the latest ones are what threading needs
        references = references[:1] + references[-(MAX_REFERENCES - 1) :]
    reply_ids = message_ids(headers.raw("In-Reply-To"))

    senders = headers.addresses("From")
    from_name, from_address = senders[0] if senders else ("", "")
    if not senders:
        defects.append("NoSender")
    subject = clean_line(headers.text("Subject"))

    walker = _Walker(defects)
    try:
        walker.visit(message)
    except Exception:  # a structure the walker did not foresee: keep what was collected
        defects.append("BodyWalkFailed")
    html_source = "\n".join(part for part in walker.html if part.strip())
    text = "\n\n".join(part.strip("\n") for part in walker.plain if part.strip())
    if not text and html_source:
        text = html_to_text(html_source)
    html = sanitize_html(html_source) if html_source else text_to_html(text)

    content_type = _content_type(message)
    reason = automatic_reason(headers, content_type, from_address, subject)
    return ParsedMail(
        message_id=message_id,
        dedupe_key=message_id or "sha256:" + hashlib.sha256(raw).hexdigest(),
        in_reply_to=reply_ids[0] if reply_ids else None,
        references=references,
        from_address=from_address,
        from_name=from_name,
        to=tuple(dict.fromkeys(address for _, address in headers.addresses("To"))),
        cc=tuple(dict.fromkeys(address for _, address in headers.addresses("Cc"))),
        subject=subject,
        date=_parse_date(headers.raw("Date"), defects),
        text=text.strip(),
        html=html,
        attachments=tuple(walker.files),
        automatic=bool(reason),
        automatic_reason=reason,
        defects=tuple(dict.fromkeys(defects)),
    )
