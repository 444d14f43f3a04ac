"""Pieces every API router uses: token auth, the acting membership, error schema, keyset pagination."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Generic, TypeVar

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Schema
from ninja.errors import HttpError
from ninja.security import HttpBearer
from pydantic import ConfigDict, field_validator

from pacte.tenancy.models import Membership


class TokenAuth(HttpBearer):
    """``Authorization: Bearer pacte_…`` → the token's membership becomes ``request.actor``.

    A token of the ``alerts`` scope is refused (403) everywhere but where ``AlertTokenAuth`` guards.
    """

    accepts_alert_tokens = False

    def authenticate(self, request: HttpRequest, token: str) -> Membership | None:
        from pacte.accounts.models import TokenScope
        from pacte.accounts.services import api_token_lookup

        found = api_token_lookup(secret=token)
        if found is None:
            return None
        if found.scope != TokenScope.FULL and not self.accepts_alert_tokens:
            raise HttpError(403, "This token may only post monitoring alerts.")
        request.actor = found.membership  # type: ignore[attr-defined]
        return found.membership


class AlertTokenAuth(TokenAuth):
    """Accepts full tokens and the ``alerts`` tokens a monitoring tool holds (``POST /alerts`` only)."""

    accepts_alert_tokens = True


class InputSchema(Schema):
    """A request body: JSON types exactly as documented (no ``"1"`` for 1, no ``0`` for false), no unknown
    fields (a misspelt field is a 422, not silently ignored).

    Strings may not contain NUL characters: PostgreSQL cannot store them (422, not a 500).
    """

    model_config = ConfigDict(strict=True, extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul_character(cls, value: Any) -> Any:
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("NUL characters are not allowed.")
        return value


class FieldError(Schema):
    field: str
    message: str


class ErrorOut(Schema):
    detail: str
    errors: list[FieldError] = Field(default_factory=list)


def error_body(detail: str, errors: list[dict[str, str]] | None = None) -> dict[str, Any]:
    return {"detail": detail, "errors": errors or []}


#: Responses every authenticated operation may give besides its success.
ERRORS: dict[int, type[Schema]] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
WRITE_ERRORS: dict[int, type[Schema]] = {**ERRORS, 409: ErrorOut}

ItemT = TypeVar("ItemT")


class Page(Schema, Generic[ItemT]):
    items: list[ItemT]
    next_cursor: str | None = Field(None, description="Pass as `cursor` to get the next page; null on the last page.")


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": last_id}).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        after = data["after"]
        if not isinstance(after, int) or isinstance(after, bool) or after < 0:
            raise ValueError
        return after
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError) as error:
        raise HttpError(400, "Invalid cursor.") from error


def paginate(queryset: QuerySet[Any], *, limit: int, cursor: str | None) -> dict[str, Any]:
    """Keyset pagination on the primary key: stable under inserts, O(limit) per page."""
    queryset = queryset.order_by("pk")
    if cursor:
        queryset = queryset.filter(pk__gt=decode_cursor(cursor))
    rows = list(queryset[: limit + 1])
    has_more = len(rows) > limit
    rows = rows[:limit]
    return {"items": rows, "next_cursor": encode_cursor(rows[-1].pk) if has_more and rows else None}


#: The query parameters every list shares.
LIMIT = Query(50, ge=1, le=200, description="Page size (1–200).")
CURSOR = Query(None, max_length=200, description="Opaque cursor from the previous page's `next_cursor`.")
ID = Query(None, ge=1, le=2**62)


def request_actor(request: HttpRequest) -> Membership:
    """The membership the request's token acts as (set by :class:`TokenAuth`)."""
    return request.actor  # type: ignore[attr-defined]


@contextmanager
def api_fields(names: Mapping[str, str]) -> Iterator[None]:
    """A service's ``ValidationError`` with its field names as the API spells them (``site`` → ``site_id``)."""
    try:
        yield
    except ValidationError as error:
        if not hasattr(error, "error_dict"):
            raise
        raise ValidationError(
            {names.get(field, field): errors for field, errors in error.error_dict.items()}
        ) from error


def uploaded_file(request: HttpRequest, field: str = "file", *, what: str = "the file") -> bytes:
    """The bytes of the multipart field ``field``, read within the upload limit; the upload errors as API errors.

    413: the body is over ``PACTE_UPLOAD_MAX_MB`` (refused before it is read); 400: a multipart body that
    cannot be parsed; 422 on ``field``: no such file (``what`` names it: "Send the PDF as …").
    """
    from pacte.documents import uploads

    try:
        return uploads.read_uploaded_file(request, field)
    except uploads.UploadTooLargeError as error:
        raise HttpError(413, str(error)) from error
    except uploads.UploadMalformedError as error:
        raise HttpError(400, "The multipart body cannot be parsed.") from error
    except uploads.UploadMissingError as error:
        raise ValidationError({field: f"Send {what} as the multipart field `{field}`."}) from error
