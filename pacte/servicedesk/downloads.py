"""The one way a ticket's file leaves the server: a download that no browser renders.

Whoever calls :func:`attachment_response` has already scoped the attachment to its actor
(``selectors.attachment_get``). The response is always ``Content-Disposition: attachment`` (an
ASCII ``filename`` and the exact name as RFC 5987 ``filename*``), never typed as markup (HTML, SVG,
XML, scripts become ``application/octet-stream``), with ``nosniff`` and a sandboxing CSP, so even a
file opened from the download bar cannot run in the application's origin. Both the provider's and
the portal's download views use it.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

from django.http import FileResponse
from django.utils.translation import gettext as _

from pacte.documents import storage
from pacte.documents.errors import StoredFileError
from pacte.servicedesk import content
from pacte.servicedesk.models import TicketAttachment

OCTET_STREAM = "application/octet-stream"
CSP = "sandbox; default-src 'none'"
_MIME = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$")
_SERVED_MAJORS = frozenset({"application", "image", "audio", "video"})
_NEVER = ("html", "svg", "xml", "javascript", "ecmascript", "x-sh", "x-php")


def download_content_type(content_type: str) -> str:
    """The type a file is served with: its sniffed type if harmless, else ``application/octet-stream``.

    Only ``text/plain`` among text types; no type naming markup or script, whatever its family.
    """
    value = (content_type or "").split(";", 1)[0].strip().lower()
    if not _MIME.match(value) or any(word in value for word in _NEVER):
        return OCTET_STREAM
    if value == "text/plain":
        return value
    if value.split("/", 1)[0] not in _SERVED_MAJORS:
        return OCTET_STREAM
    return value


def _ascii_fallback(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    folded = re.sub(r"[^A-Za-z0-9 ._()\[\]+-]", "_", folded).strip(" .")
    return folded or content.FALLBACK_FILENAME


def content_disposition(filename: str) -> str:
    """``attachment; filename="…"; filename*=UTF-8''…`` for a display name (cleaned again here)."""
    name = content.safe_filename(filename)
    return f"attachment; filename=\"{_ascii_fallback(name)}\"; filename*=UTF-8''{quote(name, safe='')}"


def protect(response: FileResponse, filename: str) -> FileResponse:
    """The download headers, on a response whose body is a stored file."""
    response["Content-Disposition"] = content_disposition(filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = CSP
    response["Cache-Control"] = "private, no-store"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


def attachment_response(attachment: TicketAttachment) -> FileResponse:
    """The stored bytes of ``attachment`` (already scoped by the caller), as a safe download."""
    try:
        handle = storage.path_of(attachment.storage_name).open("rb")
    except (OSError, ValueError) as error:
        raise StoredFileError(_("The stored file is missing.")) from error
    response = FileResponse(handle, content_type=download_content_type(attachment.content_type))
    return protect(response, attachment.filename)
