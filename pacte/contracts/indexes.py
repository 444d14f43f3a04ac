"""The index table (Syntec…): monthly values entered by hand or imported from CSV. Services, audited.

Values are dated data, never constants: one row per provider, index, month and series (current or
old Syntec series), with the day it was published (a revision may only use a value published on or
before its date, see ``revisions.py``). Once a price revision used a month's value it is history: its
value can no longer change and it cannot be deleted (only its publication date may be corrected).

CSV import (``index_import_preview`` then ``index_import``): ``month;value;published_on[;series]``, an
optional header line (French or English names, any order), French or ISO dates, decimal comma or
point. Importing is atomic (any row in error: nothing is written) and idempotent (the same month and
series again: updated when the value or the publication date differs, else unchanged).
"""

from __future__ import annotations

import csv
import datetime
import io
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from pacte.audit.services import audit_record
from pacte.contracts.models import IndexSeries, IndexValue, Revision
from pacte.contracts.permissions import can_manage_contracts
from pacte.core.errors import ConflictError
from pacte.tenancy.models import Membership
from pacte.tenancy.permissions import require

INDEX_CODE = re.compile(r"^[A-Z0-9_-]{1,30}$")
MAX_INDEX_VALUE = Decimal("999999.9999")


# Index values ------------------------------------------------------------------------------------


def month_label(month: datetime.date) -> str:
    return f"{month:%m/%Y}"


def parse_decimal(text: str) -> Decimal | None:
    """``306,5``, ``306.5``, ``1 234,5`` (spaces, no-break spaces), ``1.234,5`` → Decimal; None if not a number."""
    cleaned = re.sub(r"[\s\u00a0\u202f']", "", text.strip())
    if "," in cleaned and "." in cleaned:  # the last one is the decimal separator
        decimal_mark = "," if cleaned.rfind(",") > cleaned.rfind(".") else "."
        cleaned = cleaned.replace("." if decimal_mark == "," else ",", "")
    cleaned = cleaned.replace(",", ".")
    if not re.fullmatch(r"[+-]?\d+(\.\d+)?", cleaned):
        return None
    try:
        return Decimal(cleaned)
    except InvalidOperation:  # pragma: no cover - the pattern above only lets numbers through
        return None


def value_error(value: Decimal | None) -> str:
    """The message for an index value that cannot be stored, or "" when it can."""
    if value is None or not value.is_finite():
        return _("Enter a number, such as 306.5 or 306,5.")
    if value <= 0:
        return _("An index value is positive.")
    if value > MAX_INDEX_VALUE:
        return _("This value is too large for an index.")
    if value != value.quantize(Decimal("0.0001")):
        return _("At most 4 decimals.")
    return ""


def index_code_normalise(code: str) -> str:
    return code.strip().upper()


def used_months(provider_id: int) -> set[datetime.date]:
    """Months whose values a revision used (as S0 or S1): they are history and may not change any more."""
    rows = Revision.objects.filter(provider_id=provider_id).values_list("s0_month", "s1_month")
    return {month for pair in rows for month in pair}


def index_value_in_use(index_value: IndexValue) -> bool:
    return index_value.month in used_months(index_value.provider_id)


def _check_index_value(
    provider_id: int,
    *,
    index_code: str,
    month: datetime.date,
    series: str,
    value: Decimal | None,
    published_on: datetime.date | None,
    exclude_pk: int | None = None,
) -> None:
    errors: dict[str, str] = {}
    if not INDEX_CODE.fullmatch(index_code):
        errors["index_code"] = _("An index code is 1 to 30 capital letters, digits, '-' or '_' (e.g. SYNTEC).")
    if series not in IndexSeries.values:
        errors["series"] = _("Choose the current or the old series.")
    message = value_error(value)
    if message:
        errors["value"] = message
    if published_on is None:
        errors["published_on"] = _("Give the day the value was published.")
    elif published_on < month:
        errors["published_on"] = _("A value cannot be published before its month begins.")
    if not 1990 <= month.year <= 2100:
        errors["month"] = _("Enter a month between 1990 and 2100.")
    duplicate = IndexValue.objects.filter(provider_id=provider_id, index_code=index_code, month=month, series=series)
    if exclude_pk is not None:
        duplicate = duplicate.exclude(pk=exclude_pk)
    if "index_code" not in errors and duplicate.exists():
        errors["month"] = _("This index already has a value for %(month)s in this series: edit it instead.") % {
            "month": month_label(month)
        }
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def index_value_create(
    *,
    actor: Membership,
    month: datetime.date,
    value: Decimal,
    published_on: datetime.date,
    series: str = IndexSeries.CURRENT,
    index_code: str = "SYNTEC",
) -> IndexValue:
    """One monthly value of an index (month normalised to its first day)."""
    require(can_manage_contracts(actor))
    index_code, month = index_code_normalise(index_code), month.replace(day=1)
    _check_index_value(
        actor.provider_id, index_code=index_code, month=month, series=series, value=value, published_on=published_on
    )
    row = IndexValue(
        provider=actor.provider,
        index_code=index_code,
        month=month,
        series=series,
        value=value,
        published_on=published_on,
    )
    row.full_clean()
    row.save()
    audit_record(
        actor=actor,
        action="index_value.create",
        instance=row,
        provider=actor.provider,
        after={
            "index_code": index_code,
            "month": month,
            "series": series,
            "value": value,
            "published_on": published_on,
        },
    )
    return row


@transaction.atomic
def index_value_update(
    *,
    actor: Membership,
    index_value: IndexValue,
    month: datetime.date,
    value: Decimal,
    published_on: datetime.date,
    series: str,
    index_code: str,
) -> IndexValue:
    """Correct a value; once a revision used it, only its publication date may change."""
    require(can_manage_contracts(actor))
    row = IndexValue.objects.select_for_update().get(pk=index_value.pk, provider_id=actor.provider_id)
    index_code, month = index_code_normalise(index_code), month.replace(day=1)
    _check_index_value(
        actor.provider_id,
        index_code=index_code,
        month=month,
        series=series,
        value=value,
        published_on=published_on,
        exclude_pk=row.pk,
    )
    fields = {"index_code": index_code, "month": month, "series": series, "value": value, "published_on": published_on}
    before = {name: getattr(row, name) for name in fields}
    changed = {name: new for name, new in fields.items() if before[name] != new}
    if changed.keys() - {"published_on"} and index_value_in_use(row):
        raise ConflictError(_("A price revision used this value: it can no longer change (only its publication date)."))
    if not changed:
        return row
    for name, new in changed.items():
        setattr(row, name, new)
    row.full_clean()
    row.save()
    audit_record(
        actor=actor,
        action="index_value.update",
        instance=row,
        provider=actor.provider,
        before={name: before[name] for name in changed},
        after=changed,
    )
    return row


@transaction.atomic
def index_value_delete(*, actor: Membership, index_value: IndexValue) -> None:
    require(can_manage_contracts(actor))
    row = IndexValue.objects.select_for_update().get(pk=index_value.pk, provider_id=actor.provider_id)
    if index_value_in_use(row):
        raise ConflictError(_("A price revision used this value: it cannot be deleted."))
    audit_record(
        actor=actor,
        action="index_value.delete",
        instance=row,
        provider=actor.provider,
        before={"index_code": row.index_code, "month": row.month, "series": row.series, "value": row.value},
    )
    row.delete()


# CSV import of index values ----------------------------------------------------------------------

MAX_IMPORT_BYTES = 512 * 1024
MAX_IMPORT_ROWS = 2000
COLUMNS = ("month", "value", "published_on", "series")
CREATE, UPDATE, UNCHANGED, ERROR = "create", "update", "unchanged", "error"

HEADER_ALIASES: dict[str, str] = {
    **dict.fromkeys(("mois", "month", "periode", "date", "mois de l'indice", "mois indice"), "month"),
    **dict.fromkeys(("valeur", "value", "indice", "index", "syntec", "valeur de l'indice"), "value"),
    **dict.fromkeys(
        ("publication", "publie le", "publiee le", "date de publication", "published on", "published", "parution"),
        "published_on",
    ),
    **dict.fromkeys(("serie", "series"), "series"),
}
SERIES_ALIASES: dict[str, str] = {
    **dict.fromkeys(("", "current", "actuelle", "courante", "nouvelle", "new", "nouvelle serie"), IndexSeries.CURRENT),
    **dict.fromkeys(("old", "ancienne", "ancienne serie", "previous"), IndexSeries.OLD),
}
MONTH_NAMES: dict[str, int] = {
    **dict.fromkeys(("janvier", "janv", "jan", "january"), 1),
    **dict.fromkeys(("fevrier", "fevr", "fev", "february", "feb"), 2),
    **dict.fromkeys(("mars", "mar", "march"), 3),
    **dict.fromkeys(("avril", "avr", "april", "apr"), 4),
    **dict.fromkeys(("mai", "may"), 5),
    **dict.fromkeys(("juin", "june", "jun"), 6),
    **dict.fromkeys(("juillet", "juil", "july", "jul"), 7),
    **dict.fromkeys(("aout", "august", "aug"), 8),
    **dict.fromkeys(("septembre", "sept", "sep", "september"), 9),
    **dict.fromkeys(("octobre", "oct", "october"), 10),
    **dict.fromkeys(("novembre", "nov", "november"), 11),
    **dict.fromkeys(("decembre", "dec", "december"), 12),
}


def fold(text: str) -> str:
    """Lower case, no accents, punctuation as spaces: ``Publié le`` → ``publie le``."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return " ".join(re.sub(r"[^\w']+|_", " ", plain).split())


def parse_month(text: str) -> datetime.date | None:
    """``10/2026``, ``2026-10``, ``01/10/2026``, ``2026-10-01``, ``octobre 2026``, ``oct. 2026`` → 1 Oct 2026."""
    cell = text.strip()
    try:
        if match := re.fullmatch(r"(\d{1,2})[/.-](\d{4})", cell):
            return datetime.date(int(match[2]), int(match[1]), 1)
        if match := re.fullmatch(r"(\d{4})[/.-](\d{1,2})", cell):
            return datetime.date(int(match[1]), int(match[2]), 1)
        day = parse_day(cell)
        if day is not None:
            return day if day.day == 1 else None
        if match := re.fullmatch(r"([^\W\d_]+)\.?[\s-]+(\d{4})", fold(cell).replace("'", " ")):
            number = MONTH_NAMES.get(match[1])
            return datetime.date(int(match[2]), number, 1) if number else None
    except ValueError:
        return None
    return None


def parse_day(text: str) -> datetime.date | None:
    """``15/11/2026``, ``15.11.2026``, ``2026-11-15`` → a date; None if not one."""
    cell = text.strip()
    try:
        if match := re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", cell):
            return datetime.date(int(match[3]), int(match[2]), int(match[1]))
        if match := re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", cell):
            return datetime.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None
    return None


@dataclass
class ImportRow:
    line: int
    cells: dict[str, str]
    month: datetime.date | None = None
    value: Decimal | None = None
    published_on: datetime.date | None = None
    series: str = IndexSeries.CURRENT
    action: str = CREATE
    existing_id: int | None = None
    changes: list[str] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (column, message)

    def error(self, column: str, message: str) -> None:
        self.errors.append((column, message))
        self.action = ERROR


@dataclass
class ImportPreview:
    index_code: str
    rows: list[ImportRow] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)

    @property
    def has_errors(self) -> bool:
        return bool(self.file_errors) or any(row.errors for row in self.rows)

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys((CREATE, UPDATE, UNCHANGED, ERROR), 0)
        for row in self.rows:
            counts[row.action] += 1
        return counts


def _decode(content: bytes) -> str | None:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None  # pragma: no cover - cp1252 decodes nearly everything


def _table(text: str) -> list[list[str]]:
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = ";" if ";" in first else "\t" if "\t" in first else ","
    return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text), delimiter=delimiter)]


def _parse_row(row: ImportRow) -> None:
    cells = row.cells
    row.month = parse_month(cells.get("month", ""))
    if row.month is None:
        row.error("month", _("Not a month: write 10/2026, 2026-10 or octobre 2026."))
    elif not 1990 <= row.month.year <= 2100:
        row.error("month", _("Enter a month between 1990 and 2100."))
    row.value = parse_decimal(cells.get("value", ""))
    message = value_error(row.value)
    if message:
        row.error("value", message)
    row.published_on = parse_day(cells.get("published_on", ""))
    if row.published_on is None:
        row.error("published_on", _("Not a date: write 15/11/2026 or 2026-11-15."))
    elif row.month is not None and row.published_on < row.month:
        row.error("published_on", _("A value cannot be published before its month begins."))
    series = SERIES_ALIASES.get(fold(cells.get("series", "")))
    if series is None:
        row.error("series", _("Unknown series: write current (actuelle) or old (ancienne)."))
    else:
        row.series = series


def index_import_preview(*, actor: Membership, content: bytes, index_code: str = "SYNTEC") -> ImportPreview:
    """What importing ``content`` (``month;value;published_on[;series]``) would do, row by row. Writes nothing.

    A header line is optional (French or English names, any order); without one the columns are in that
    order. ``;`` (or a tab, or ``,`` with decimal points) separates cells; dates in French (15/11/2026) or
    ISO form; decimal comma or point. A month and series already in the table is updated when the value
    or the publication date differs, else left unchanged (importing the same file twice changes nothing).
    """
    require(can_manage_contracts(actor))
    code = index_code_normalise(index_code)
    preview = ImportPreview(index_code=code)
    if not INDEX_CODE.fullmatch(code):
        preview.file_errors.append(_("An index code is 1 to 30 capital letters, digits, '-' or '_' (e.g. SYNTEC)."))
        return preview
    if len(content) > MAX_IMPORT_BYTES:
        preview.file_errors.append(_("The file is too large: at most 512 KB."))
        return preview
    text = _decode(content)
    if text is None or "\x00" in text:
        preview.file_errors.append(_("This is not a text (CSV) file."))
        return preview
    table = [row for row in _table(text) if any(row)]
    if not table:
        preview.file_errors.append(_("The file is empty."))
        return preview
    columns: tuple[str, ...] = COLUMNS
    first_line = 1
    header = [HEADER_ALIASES.get(fold(cell)) for cell in table[0]]
    if any(header) and parse_month(table[0][0]) is None:
        missing = [name for name in COLUMNS[:3] if name not in header]
        if missing:
            preview.file_errors.append(
                _("The header line lacks the columns: %(columns)s.") % {"columns": ", ".join(missing)}
            )
            return preview
        columns, table, first_line = tuple(name or "" for name in header), table[1:], 2
    if len(table) > MAX_IMPORT_ROWS:
        preview.file_errors.append(_("Too many rows: at most %(rows)s.") % {"rows": MAX_IMPORT_ROWS})
        return preview
    existing = {
        (row.month, row.series): row
        for row in IndexValue.objects.filter(provider_id=actor.provider_id, index_code=code)
    }
    used = used_months(actor.provider_id)
    seen: dict[tuple[datetime.date, str], int] = {}
    for offset, cells in enumerate(table):
        row = ImportRow(
            line=first_line + offset, cells={name: cell for name, cell in zip(columns, cells, strict=False) if name}
        )
        if len(cells) < 3:
            row.error("", _("Expected month;value;published on[;series]."))
            preview.rows.append(row)
            continue
        _parse_row(row)
        if row.month is not None and not row.errors:
            key = (row.month, row.series)
            if key in seen:
                row.error("month", _("This month and series are already on line %(line)s.") % {"line": seen[key]})
            seen.setdefault(key, row.line)
            current = existing.get(key)
            if current is not None and not row.errors:
                row.existing_id = current.pk
                row.changes = [
                    name
                    for name, new in (("value", row.value), ("published_on", row.published_on))
                    if getattr(current, name) != new
                ]
                row.action = UPDATE if row.changes else UNCHANGED
                if "value" in row.changes and row.month in used:
                    row.error("value", _("A price revision used this value: it can no longer change."))
        preview.rows.append(row)
    if not preview.rows:
        preview.file_errors.append(_("The file has no value to import."))
    return preview


@transaction.atomic
def index_import(*, actor: Membership, content: bytes, index_code: str = "SYNTEC") -> ImportPreview:
    """Import the file: everything or nothing (any error → ``ValidationError``, nothing written)."""
    require(can_manage_contracts(actor))
    preview = index_import_preview(actor=actor, content=content, index_code=index_code)
    if preview.has_errors:
        errors = list(preview.file_errors) + [
            _("Line %(line)s: %(message)s") % {"line": row.line, "message": message}
            for row in preview.rows
            for _column, message in row.errors
        ]
        raise ValidationError({"file": errors})
    for row in preview.rows:
        assert row.month is not None and row.value is not None and row.published_on is not None
        if row.action == CREATE:
            created = IndexValue(
                provider=actor.provider,
                index_code=preview.index_code,
                month=row.month,
                series=row.series,
                value=row.value,
                published_on=row.published_on,
            )
            created.full_clean()
            created.save()
            row.existing_id = created.pk
            audit_record(
                actor=actor,
                action="index_value.create",
                instance=created,
                provider=actor.provider,
                after={
                    "index_code": preview.index_code,
                    "month": row.month,
                    "series": row.series,
                    "value": row.value,
                    "published_on": row.published_on,
                    "source": "import",
                },
            )
        elif row.action == UPDATE:
            current = IndexValue.objects.select_for_update().get(pk=row.existing_id or 0, provider_id=actor.provider_id)
            before = {name: getattr(current, name) for name in row.changes}
            current.value, current.published_on = row.value, row.published_on
            current.full_clean()
            current.save()
            audit_record(
                actor=actor,
                action="index_value.update",
                instance=current,
                provider=actor.provider,
                before=before,
                after={**{name: getattr(current, name) for name in row.changes}, "source": "import"},
            )
    return preview
