"""Pure rules of the documents service: hashes, file names, PDF identity, the verification verdict.

No ORM, no settings, no clock.
"""

from __future__ import annotations

import datetime
import enum
import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
EXTENSIONS = {PDF: ".pdf", DOCX: ".docx"}

#: The PDF header may follow up to 1 KiB of garbage (ISO 32000-1, annex H); readers accept it there.
PDF_HEADER = b"%PDF-"
PDF_HEADER_WINDOW = 1024


def sha256_hex(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def looks_like_pdf(head: bytes) -> bool:
    """Whether the first bytes of a file carry a PDF header (``%PDF-`` in the first KiB)."""
    return PDF_HEADER in head[:PDF_HEADER_WINDOW]


def extension_for(content_type: str) -> str:
    return EXTENSIONS.get(content_type, ".bin")


_UNSAFE_CHARACTERS = re.compile(r"[^\w\s().,+'’-]")
_SPACES = re.compile(r"\s+")
MAX_FILENAME_STEM = 120


def safe_filename(name: str, extension: str) -> str:
    """A download name that is safe in a ``Content-Disposition`` header and on any file system.

    Letters (accents included), digits, spaces, apostrophes and ``().,+-_`` stay; anything else
    (slashes, double quotes, control characters…) becomes ``_``. The extension is always ``extension``.
    """
    stem = unicodedata.normalize("NFC", name or "")
    if extension and stem.lower().endswith(extension.lower()):
        stem = stem[: -len(extension)]
    stem = _SPACES.sub(" ", _UNSAFE_CHARACTERS.sub("_", stem)).strip(" ._-")
    return f"{stem[:MAX_FILENAME_STEM].rstrip(' ._-') or 'document'}{extension}"


# The PDF file identifier ------------------------------------------------------------------------

_ID_ARRAY = re.compile(rb"/ID\s*\[\s*(<[0-9A-Fa-f\s]*>|\((?:\\.|[^\\)])*\))", re.DOTALL)
_LITERAL_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _literal_bytes(body: bytes) -> bytes:
    out = bytearray()
    index = 0
    while index < len(body):
        char = body[index : index + 1]
        if char != b"\\":
            out += char
            index += 1
            continue
        following = body[index + 1 : index + 2]
        octal = re.match(rb"[0-7]{1,3}", body[index + 1 : index + 4])
        if octal:
            out.append(int(octal.group(0), 8) & 0xFF)
            index += 1 + len(octal.group(0))
        else:
            out += _LITERAL_ESCAPES.get(following, following)
            index += 2
    return bytes(out)


def pdf_identifier(content: bytes) -> str:
    """The first part of the PDF's file identifier (trailer ``/ID[0]``), in hex; ``""`` if there is none.

    ``/ID[0]`` is set when a file is created and kept by incremental updates (a seal adds one), so it
    names a document even after a byte of it changed. It is read from the raw bytes, so a file too
    damaged to parse still gives it. It identifies, it never authenticates (anyone can copy it).
    """
    match = _ID_ARRAY.search(content)
    if match is None:
        return ""
    token = match.group(1)
    if token.startswith(b"<"):
        digits = re.sub(rb"\s", b"", token[1:-1])
        if len(digits) % 2:
            digits += b"0"
        raw = bytes.fromhex(digits.decode("ascii"))
    else:
        raw = _literal_bytes(token[1:-1])
    return raw.hex()[:128]


# PDF attachments ----------------------------------------------------------------------------------


class AttachmentRelationship(enum.StrEnum):
    """How an embedded file relates to the PDF (PDF/A-3 ``/AFRelationship``)."""

    ALTERNATIVE = "Alternative"  # the same content in another form (Factur-X EN 16931: the CII XML)
    DATA = "Data"
    SOURCE = "Source"
    SUPPLEMENT = "Supplement"
    UNSPECIFIED = "Unspecified"


@dataclass(frozen=True)
class PdfAttachment:
    """A file embedded in a PDF/A-3 (e.g. ``factur-x.xml``)."""

    name: str
    content: bytes
    description: str = ""
    relationship: AttachmentRelationship = AttachmentRelationship.UNSPECIFIED


# Verification -------------------------------------------------------------------------------------


class VerificationStatus(enum.StrEnum):
    AUTHENTIC = "authentic"  # exactly a stored document, or intact under the provider's own seal
    MODIFIED = "modified"  # names one of the provider's documents or carries its seal, but is not intact
    UNKNOWN = "unknown"  # nothing links it to this provider


@dataclass(frozen=True)
class SignatureCheck:
    """One embedded signature as pyHanko judged it against the provider's certificates."""

    field_name: str
    signer: str  # the signing certificate's subject
    signer_fingerprint: str  # SHA-256 of the signing certificate, hex ("" if unreadable)
    signed_at: datetime.datetime | None  # as the signer reports it
    by_provider: bool  # the signing certificate is one of the provider's seal certificates
    intact: bool  # the signed bytes are unchanged
    valid: bool  # the cryptographic signature is sound
    trusted: bool  # the certificate chains to the provider's certificate (the trust root)
    covers_whole_file: bool  # nothing was added after the signature
    error: str = ""


@dataclass(frozen=True)
class Verdict:
    status: VerificationStatus
    intact: bool | None  # None: unknown file, nothing to be intact against


def verification_verdict(*, stored_match: bool, identified: bool, signatures: Sequence[SignatureCheck]) -> Verdict:
    """Authentic, modified or unknown.

    - The SHA-256 of the whole file equals a stored document's: authentic.
    - Else, the file names one of the provider's stored documents (``/ID``): modified, whatever its
      seal says (even a byte changed where a seal does not look, in its own padding, is a change).
    - Else, a seal of the provider that is intact, valid, trusted and covers the whole file: authentic
      (sealed by the provider, but not stored here: e.g. from another installation of the provider).
    - Else, a seal of the provider that fails any of those: modified.
    - Else: unknown.
    """
    if stored_match:
        return Verdict(VerificationStatus.AUTHENTIC, True)
    if identified:
        return Verdict(VerificationStatus.MODIFIED, False)
    seals = [check for check in signatures if check.by_provider]
    if any(check.intact and check.valid and check.trusted and check.covers_whole_file for check in seals):
        return Verdict(VerificationStatus.AUTHENTIC, True)
    if seals:
        return Verdict(VerificationStatus.MODIFIED, False)
    return Verdict(VerificationStatus.UNKNOWN, None)
