"""Reading one uploaded file with a size limit, before the body is read.

Django's upload limits (``FILE_UPLOAD_MAX_MEMORY_SIZE``: bigger files stream to a temporary file;
``DATA_UPLOAD_MAX_MEMORY_SIZE``: other fields) keep memory bounded; on top of them, a request whose
``Content-Length`` is over ``PACTE_UPLOAD_MAX_SIZE`` is refused before a byte of its body is read.
Django never reads past ``Content-Length``, so the whole body, file included, stays under the limit.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _


class UploadTooLargeError(Exception):
    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(upload_too_large_message(limit))


class UploadMissingError(Exception):
    """No file in the request (or a body that is not a multipart form)."""


class UploadMalformedError(Exception):
    """A multipart body that cannot be parsed."""


def upload_limit() -> int:
    return int(settings.PACTE_UPLOAD_MAX_SIZE)


def upload_too_large_message(limit: int) -> str:
    return _("The file is too large: at most %(size)s MB.") % {"size": f"{limit / (1024 * 1024):g}"}


def declared_length(request: HttpRequest) -> int:
    try:
        return max(0, int(request.META.get("CONTENT_LENGTH") or 0))
    except ValueError:
        return 0


def check_request_size(request: HttpRequest) -> None:
    """Refuse a body over the limit from its ``Content-Length`` alone (nothing read)."""
    limit = upload_limit()
    if declared_length(request) > limit:
        raise UploadTooLargeError(limit)


def read_uploaded_file(request: HttpRequest, field: str = "file") -> bytes:
    """The bytes of the uploaded file ``field`` (at most the limit: the body was checked first)."""
    check_request_size(request)
    try:
        upload = request.FILES.get(field)
    except MultiPartParserError as error:
        raise UploadMalformedError(str(error)) from error
    if upload is None:
        raise UploadMissingError(field)
    if upload.size is not None and upload.size > upload_limit():  # belt and braces
        raise UploadTooLargeError(upload_limit())
    return b"".join(upload.chunks())
