"""REST endpoints of the index table and of price revision (thin: parse, call one selector or service).

Provider roles read the index values; the provider's admins and managers write them and revise prices.
A contract's revisions are read by whoever sees the contract (provider roles, the client's manager).
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError
from ninja.responses import Status

from pacte.contracts import indexes, revisions, selectors
from pacte.contracts.models import IndexValue, Revision
from pacte.contracts.permissions import can_manage_contracts
from pacte.core.api import CURSOR, ERRORS, LIMIT, WRITE_ERRORS, ErrorOut, InputSchema, Page, paginate, request_actor
from pacte.documents import uploads
from pacte.sla.schemas import InDate
from pacte.tenancy.permissions import require

router = Router(tags=["contracts"])

INDEX_CODE = Query("", max_length=30, pattern=r"^[A-Za-z0-9_-]*$", description="Only this index (e.g. SYNTEC).")
IndexCode = Annotated[str, Field(min_length=1, max_length=30, pattern=r"^[A-Za-z0-9_-]+$", examples=["SYNTEC"])]
IndexNumber = Annotated[
    str,
    Field(
        pattern=r"^\d{1,6}(\.\d{1,4})?$",
        description="The value as published, a decimal string with a point (up to 4 decimals).",
        examples=["306.5"],
    ),
]
SeriesName = Literal["current", "old"]


# Index values ------------------------------------------------------------------------------------


class IndexValueOut(Schema):
    id: int
    index_code: str
    month: datetime.date
    series: SeriesName
    value: str
    published_on: datetime.date

    @staticmethod
    def resolve_value(obj: IndexValue) -> str:
        return f"{obj.value:.4f}"


class IndexValueIn(InputSchema):
    index_code: IndexCode = "SYNTEC"
    month: InDate = Field(description="The month the value is for (any day of it; stored as its first day).")
    series: SeriesName = "current"
    value: IndexNumber
    published_on: InDate


class ImportRowOut(Schema):
    line: int
    action: Literal["create", "update", "unchanged", "error"]
    month: datetime.date | None
    series: SeriesName
    value: str | None
    published_on: datetime.date | None
    errors: list[str]


class ImportOut(Schema):
    index_code: str
    dry_run: bool
    created: int
    updated: int
    unchanged: int
    rows: list[ImportRowOut]


@router.get("/index-values", response={200: Page[IndexValueOut], **ERRORS}, summary="List index values")
def index_value_list(
    request: HttpRequest, limit: int = LIMIT, cursor: str | None = CURSOR, index_code: str = INDEX_CODE
) -> dict[str, Any]:
    queryset = selectors.index_value_list(actor=request_actor(request), index_code=index_code.upper())
    return paginate(queryset, limit=limit, cursor=cursor)


@router.post(
    "/index-values",
    response={201: IndexValueOut, **WRITE_ERRORS},
    summary="Add an index value",
    description="One monthly value of an index with its publication date. 422: a value already exists for "
    "that index, month and series, or the publication date is before the month.",
)
def index_value_create(request: HttpRequest, payload: IndexValueIn) -> Status[IndexValue]:
    actor = request_actor(request)
    require(can_manage_contracts(actor))
    data = payload.dict()
    data["value"] = Decimal(data["value"])
    return Status(201, indexes.index_value_create(actor=actor, **data))


IMPORT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary", "description": "The CSV file."}},
                }
            },
        },
    }
}


def _import_content(request: HttpRequest) -> bytes:
    """The CSV: a multipart field ``file``, or the raw body when sent as ``text/csv`` / ``text/plain``."""
    content_type = (request.META.get("CONTENT_TYPE") or "").split(";", 1)[0].strip().lower()
    if content_type in ("text/csv", "text/plain"):
        uploads.check_request_size(request)
        return request.body
    return uploads.read_uploaded_file(request, "file")


def _import_out(preview: indexes.ImportPreview, dry_run: bool) -> dict[str, Any]:
    counts = preview.counts
    return {
        "index_code": preview.index_code,
        "dry_run": dry_run,
        "created": counts[indexes.CREATE],
        "updated": counts[indexes.UPDATE],
        "unchanged": counts[indexes.UNCHANGED],
        "rows": [
            {
                "line": row.line,
                "action": row.action,
                "month": row.month,
                "series": row.series,
                "value": str(row.value) if row.value is not None and row.value.is_finite() else None,
                "published_on": row.published_on,
                "errors": [f"{column}: {message}" if column else message for column, message in row.errors],
            }
            for row in preview.rows
        ],
    }


@router.post(
    "/index-values/import",
    response={200: ImportOut, **WRITE_ERRORS, 413: ErrorOut},
    summary="Import index values from CSV",
    description=(
        "The CSV as the multipart field `file` (or as the raw body with `Content-Type: text/csv`): "
        "`month;value;published_on[;series]`, an optional header line, French (20/11/2026) or ISO dates, "
        "decimal comma or point. All rows or none: any row in error is a 422 listing `rows[line].column` "
        "errors and nothing is written. Importing the same file again changes nothing. `dry_run=true` "
        "returns what the import would do without writing."
    ),
    openapi_extra=IMPORT_BODY,
)
def index_value_import(
    request: HttpRequest,
    index_code: str = Query("SYNTEC", min_length=1, max_length=30, pattern=r"^[A-Za-z0-9_-]+$"),
    dry_run: bool = False,
) -> dict[str, Any]:
    actor = request_actor(request)
    require(can_manage_contracts(actor))
    try:
        content = _import_content(request)
    except uploads.UploadTooLargeError as error:
        raise HttpError(413, str(error)) from error
    except uploads.UploadMalformedError as error:
        raise HttpError(400, "The multipart body cannot be parsed.") from error
    except uploads.UploadMissingError as error:
        raise ValidationError({"file": "Send the CSV as the multipart field `file`, or as a text/csv body."}) from error
    preview = indexes.index_import_preview(actor=actor, content=content, index_code=index_code)
    if preview.has_errors:
        errors = {"file": list(preview.file_errors)} if preview.file_errors else {}
        for row in preview.rows:
            for column, message in row.errors:
                errors.setdefault(f"rows[{row.line}].{column or 'line'}", []).append(message)
        raise ValidationError(errors)
    if not dry_run:
        preview = indexes.index_import(actor=actor, content=content, index_code=index_code)
    return _import_out(preview, dry_run)


# Revisions ---------------------------------------------------------------------------------------


class PriceOut(Schema):
    key: str
    label: str
    before: str
    after: str


class RevisionDateIn(InputSchema):
    revision_date: InDate = Field(description="A date of the clause's schedule (the new prices apply from it).")


class RevisionApplyIn(RevisionDateIn):
    token: str = Field("", max_length=64, description="The preview's `token`: refused (409) if the figures changed.")


class RevisionPreviewOut(Schema):
    revision_date: datetime.date
    index_code: str
    s0_month: datetime.date
    s0: str
    s0_old_series: bool
    s0_linked: str | None
    s1_month: datetime.date
    s1: str
    s1_published_on: datetime.date
    ratio: str
    coefficient: str
    bound: Literal["", "floor", "cap"]
    prices: list[PriceOut]
    token: str


class RevisionOut(Schema):
    id: int
    contract_id: int
    revision_date: datetime.date
    s0_month: datetime.date
    s0: str
    s1_month: datetime.date
    s1: str
    coefficient: str
    prices_before: dict[str, str]
    prices_after: dict[str, str]
    version_number: int | None
    letter_id: int | None
    created_at: datetime.datetime

    @staticmethod
    def resolve_s0(obj: Revision) -> str:
        return str(obj.s0)

    @staticmethod
    def resolve_s1(obj: Revision) -> str:
        return str(obj.s1)

    @staticmethod
    def resolve_coefficient(obj: Revision) -> str:
        return str(obj.coefficient)

    @staticmethod
    def resolve_version_number(obj: Revision) -> int | None:
        return obj.version.number if obj.version is not None else None


def _preview_out(preview: revisions.RevisionPreview) -> dict[str, Any]:
    return {
        "revision_date": preview.revision_date,
        "index_code": preview.clause.index_code,
        "s0_month": preview.s0_month,
        "s0": str(preview.s0),
        "s0_old_series": preview.s0_old_series,
        "s0_linked": str(preview.s0_linked) if preview.s0_linked is not None else None,
        "s1_month": preview.s1_month,
        "s1": str(preview.s1),
        "s1_published_on": preview.s1_published_on,
        "ratio": str(preview.ratio),
        "coefficient": str(preview.coefficient),
        "bound": preview.bound,
        "prices": [
            {"key": line.key, "label": line.label, "before": str(line.before), "after": str(line.after)}
            for line in preview.lines
        ],
        "token": preview.token,
    }


@router.get(
    "/contracts/{contract_id}/revisions",
    response={200: Page[RevisionOut], **ERRORS},
    summary="List a contract's price revisions",
)
def revision_list(
    request: HttpRequest, contract_id: int, limit: int = LIMIT, cursor: str | None = CURSOR
) -> dict[str, Any]:
    actor = request_actor(request)
    contract = selectors.contract_get(actor=actor, pk=contract_id)
    return paginate(revisions.revisions_of(actor=actor, contract=contract), limit=limit, cursor=cursor)


@router.post(
    "/contracts/{contract_id}/revisions/preview",
    response={200: RevisionPreviewOut, **WRITE_ERRORS},
    summary="Preview a price revision",
    description="What a revision on `revision_date` would do: S0, S1, coefficient, every price before and "
    "after. Writes nothing. 422: the date is not due, or an index value is missing or not yet published; "
    "409: no clause, an amendment is being prepared, or that date was already revised.",
)
def revision_preview(request: HttpRequest, contract_id: int, payload: RevisionDateIn) -> dict[str, Any]:
    actor = request_actor(request)
    contract = selectors.contract_get(actor=actor, pk=contract_id)
    preview = revisions.revision_preview(actor=actor, contract=contract, revision_date=payload.revision_date)
    return _preview_out(preview)


@router.post(
    "/contracts/{contract_id}/revisions",
    response={201: RevisionOut, **WRITE_ERRORS},
    summary="Apply a price revision",
    description="Creates the revised version (signed: the indexation clause needs no signature, in force "
    "from `revision_date`), the letter (PDF) and its e-mail to the client. Once per contract and date (409).",
)
def revision_apply(request: HttpRequest, contract_id: int, payload: RevisionApplyIn) -> Status[Revision]:
    actor = request_actor(request)
    contract = selectors.contract_get(actor=actor, pk=contract_id)
    revision = revisions.revision_apply(
        actor=actor, contract=contract, revision_date=payload.revision_date, token=payload.token
    )
    return Status(201, revision)
