"""Importing a bank statement (CSV) and recording the transfers that pay invoices.

The file, as French banks export it: fields separated by ``;`` (a tab or ``,`` is recognised too),
decimal comma (``1 234,56``; ``1234.56`` is read too), dates ``dd/mm/yyyy`` (``dd/mm/yy``,
``dd-mm-yyyy``, ``dd.mm.yyyy`` and ``yyyy-mm-dd`` too), UTF-8 (with or without BOM) or Windows-1252.
A few lines before the header (account number, period…) are skipped: the header is the first of the
first 30 lines naming a date column and an amount column — either one signed amount (``Montant``,
``Amount``…) or a ``Débit`` and a ``Crédit`` column (a debit counts as negative whatever its sign).

Each credit line (amount > 0) is matched to an issued invoice of the provider by the invoice number
in its label (``VIR SEPA CLIENT ALPHA FA-2026-000012``; ``FA2026000012`` or ``FA-2026-12`` match too),
with the provider's invoice prefix (``Provider.invoice_prefix``) or the prefix of one of its started
invoice series (a number given before the prefix changed is still recognised).
A matched line becomes a payment by transfer, dated the line's date, with the label as reference and
``import_key`` = SHA-256 of the provider and the normalised line (date, amount, label, and its
occurrence among identical lines of the file): a statement imported twice adds nothing.

The report lists each credit line matched, already imported, or unmatched with the reason (no number,
unknown invoice, several numbers, already paid, more than due, dated before the invoice); and
rejected lines (bad date or amount) with their line number. Debit lines are counted, not listed.
A bad file (not text, no header with a date and an amount column, over 5 MB) raises ``BillingError``
and writes nothing: the whole import is one transaction.
"""

from __future__ import annotations

import csv
import datetime
import functools
import hashlib
import io
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pacte.audit.services import audit_record
from pacte.billing import payments
from pacte.billing.domain import BillingError, cents
from pacte.billing.models import Invoice, InvoiceKind, InvoiceStatus, Payment, PaymentMethod, Series
from pacte.billing.permissions import can_bill
from pacte.billing.selectors import invoice_balances
from pacte.core.errors import ConflictError
from pacte.tenancy.models import Membership, Provider
from pacte.tenancy.permissions import require

MAX_BYTES = 5 * 1024 * 1024
HEADER_SCAN = 30
#: The invoice prefix of a provider that never chose one (``Provider.invoice_prefix``'s default).
INVOICE_PREFIX = "FA"
#: What a bank or a client may put between the parts of a number (``FA-2026-12``, ``FA 2026 12``, ``FA2026000012``).
SEPARATORS = r"[\s\-_/.]*"

DATE_COLUMNS = ("date", "dateoperation", "datedoperation", "datecomptable", "dateope", "bookingdate", "datevaleur")
LABEL_COLUMNS = (
    "libelle",
    "libelleoperation",
    "libelledeloperation",
    "libellesimplifie",
    "label",
    "description",
    "detail",
    "detaildeloperation",
    "informationscomplementaires",
    "reference",
)
AMOUNT_COLUMNS = ("montant", "montanteur", "montanteuros", "montanteneur", "montanteneuros", "amount", "somme")
DEBIT_COLUMNS = ("debit", "debiteur", "debiteuros", "debiteneur", "debits")
CREDIT_COLUMNS = ("credit", "crediteur", "crediteuros", "crediteneur", "credits")
DATE_FORMATS = ("%d/%m/%Y", "%d/%m/%y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d")


@dataclass(frozen=True)
class StatementLine:
    line: int
    day: datetime.date
    amount: Decimal
    label: str


@dataclass(frozen=True)
class LineOutcome:
    line: int
    day: datetime.date | None
    amount: Decimal | None
    label: str
    invoice_number: str = ""
    invoice_id: int | None = None
    reason: str = ""


@dataclass
class ImportReport:
    matched: list[LineOutcome] = field(default_factory=list)
    already_imported: list[LineOutcome] = field(default_factory=list)
    unmatched: list[LineOutcome] = field(default_factory=list)
    rejected: list[LineOutcome] = field(default_factory=list)
    debits: int = 0

    @property
    def matched_total(self) -> Decimal:
        return sum((outcome.amount or Decimal(0) for outcome in self.matched), Decimal("0.00"))


# Reading the file ---------------------------------------------------------------------------------


def _key(text: str) -> str:
    """A header cell as a key: lower case, no accents, letters and digits only (``Libellé`` → ``libelle``)."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", plain.lower())


def decode(data: bytes) -> str:
    if b"\x00" in data:
        raise BillingError(_("This file is not a CSV bank statement (it is not text)."))
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise BillingError(_("This file is not a CSV bank statement: its text is neither UTF-8 nor Windows-1252."))


def _delimiter(line: str) -> str:
    counts = {delimiter: line.count(delimiter) for delimiter in (";", "\t", ",")}
    best = max(counts, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ";"


@dataclass(frozen=True)
class Columns:
    date: int
    label: int | None
    amount: int | None
    debit: int | None
    credit: int | None


def _find(keys: list[str], names: tuple[str, ...]) -> int | None:
    for name in names:  # the names in order of preference
        if name in keys:
            return keys.index(name)
    return None


def _columns(cells: list[str]) -> Columns | None:
    keys = [_key(cell) for cell in cells]
    day = _find(keys, DATE_COLUMNS)
    amount = _find(keys, AMOUNT_COLUMNS)
    debit, credit = _find(keys, DEBIT_COLUMNS), _find(keys, CREDIT_COLUMNS)
    if day is None or (amount is None and credit is None):
        return None
    return Columns(date=day, label=_find(keys, LABEL_COLUMNS), amount=amount, debit=debit, credit=credit)


def parse_amount(text: str) -> Decimal | None:
    """``"1 234,56"``, ``"-12,00"``, ``"1.234,56"``, ``"1234.56"``, ``"+50"`` → a Decimal; empty → None."""
    value = text.strip()
    for noise in ("\u00a0", "\u202f", " ", "€", "EUR", "eur", "'"):
        value = value.replace(noise, "")
    if not value:
        return None
    negative = value.startswith("(") and value.endswith(")")
    value = value.strip("()")
    if value.endswith("-"):  # "12,50-"
        negative, value = True, value[:-1]
    if "," in value:
        value = value.replace(".", "").replace(",", ".")
    try:
        amount = Decimal(value)
    except InvalidOperation as error:
        raise ValueError(text) from error
    if not amount.is_finite() or abs(amount) >= Decimal("1e12"):
        raise ValueError(text)
    return -amount if negative else amount


def parse_date(text: str) -> datetime.date:
    value = text.strip()
    for pattern in DATE_FORMATS:
        try:
            return datetime.datetime.strptime(value, pattern).date()  # noqa: DTZ007 (a calendar day)
        except ValueError:
            continue
    raise ValueError(text)


def statement_lines(data: bytes) -> tuple[list[StatementLine], list[LineOutcome], int]:
    """(lines with a valid date and amount, rejected lines, how many lines were read) — or ``BillingError``."""
    try:
        return _statement_lines(data)
    except csv.Error as error:
        raise BillingError(_("This file is not a CSV bank statement: %(error)s.") % {"error": error}) from error


def _statement_lines(data: bytes) -> tuple[list[StatementLine], list[LineOutcome], int]:
    if len(data) > MAX_BYTES:
        raise BillingError(_("This file is over 5 MB: split the statement into shorter periods."))
    text = decode(data)
    rows = text.splitlines()
    columns: Columns | None = None
    start = 0
    delimiter = ";"
    for index, row in enumerate(rows[:HEADER_SCAN]):
        if not row.strip():
            continue
        delimiter = _delimiter(row)
        cells = next(csv.reader([row], delimiter=delimiter))
        columns = _columns(cells)
        if columns is not None:
            start = index + 1
            break
    if columns is None:
        raise BillingError(
            _(
                "No header row with a date column and an amount column (“Montant”, or “Débit” and “Crédit”) "
                "in the first %(count)s lines: is this a bank statement in CSV?"
            )
            % {"count": HEADER_SCAN}
        )
    lines: list[StatementLine] = []
    rejected: list[LineOutcome] = []
    reader = csv.reader(io.StringIO("\n".join(rows[start:])), delimiter=delimiter)
    for offset, cells in enumerate(reader):
        number = start + offset + 1
        if not any(cell.strip() for cell in cells):
            continue

        def cell(index: int | None, cells: list[str] = cells) -> str:
            return cells[index] if index is not None and index < len(cells) else ""

        label = " ".join(cell(columns.label).split())

        try:
            day = parse_date(cell(columns.date))
        except ValueError:
            rejected.append(
                LineOutcome(
                    number, None, None, label, reason=_("“%(text)s” is not a date.") % {"text": cell(columns.date)}
                )
            )
            continue
        try:
            if columns.amount is not None:
                amount = parse_amount(cell(columns.amount))
            else:
                credit = parse_amount(cell(columns.credit))
                debit = parse_amount(cell(columns.debit))
                amount = abs(credit) if credit else (-abs(debit) if debit else None)
        except ValueError as error:
            rejected.append(
                LineOutcome(
                    number, day, None, label, reason=_("“%(text)s” is not an amount.") % {"text": error.args[0]}
                )
            )
            continue
        if amount is None:
            rejected.append(LineOutcome(number, day, None, label, reason=_("The line has no amount.")))
            continue
        lines.append(StatementLine(line=number, day=day, amount=cents(amount), label=label))
    return lines, rejected, len(rows)


def import_keys(provider_id: int, lines: list[StatementLine]) -> list[str]:
    """The fingerprint of each line; identical lines of one file are told apart by their rank."""
    seen: Counter[tuple[str, str, str]] = Counter()
    keys = []
    for line in lines:
        normal = (line.day.isoformat(), f"{line.amount:.2f}", " ".join(line.label.upper().split()))
        seen[normal] += 1
        text = "|".join((str(provider_id), *normal, str(seen[normal])))
        keys.append(hashlib.sha256(text.encode()).hexdigest())
    return keys


def _prefix_key(text: str) -> str:
    """A prefix as a label may carry it: upper case, without the separators a bank drops (``FA-X`` ~ ``fax``)."""
    return re.sub(r"[\s\-_/.]", "", text).upper()


@functools.lru_cache(maxsize=64)
def number_pattern(prefixes: tuple[str, ...]) -> re.Pattern[str]:
    """A number of one of ``prefixes`` in a label: the prefix (its own separators optional), year, sequence."""
    alternatives = []
    for prefix in sorted(set(prefixes), key=len, reverse=True):  # the longest first: ``FAC`` before ``FA``
        alternatives.append(SEPARATORS.join(re.escape(char) for char in _prefix_key(prefix)))
    body = "|".join(alternatives)
    return re.compile(rf"(?<![A-Z0-9])({body}){SEPARATORS}(20\d\d){SEPARATORS}(\d{{1,6}})(?!\d)", re.I)


def numbers_in(label: str, prefixes: tuple[str, ...] = (INVOICE_PREFIX,)) -> list[str]:
    """The invoice numbers in a label, written as issued (``FA-2026-000012``), without duplicates.

    ``prefixes`` are the provider's invoice prefixes (``invoice_prefixes``): a match is written with
    the prefix as the provider spells it (``acme 2026 12`` → ``ACME-2026-000012``).
    """
    if not prefixes:
        return []
    spelling = {_prefix_key(prefix): prefix for prefix in sorted(prefixes, reverse=True)}
    found = [
        f"{spelling[_prefix_key(match.group(1))]}-{match.group(2)}-{int(match.group(3)):06d}"
        for match in number_pattern(tuple(sorted(set(prefixes)))).finditer(label)
    ]
    return list(dict.fromkeys(found))


def invoice_prefixes(provider: Provider) -> tuple[str, ...]:
    """The prefixes an invoice of ``provider`` may carry: its current one and those of its started series."""
    started = Series.objects.filter(provider_id=provider.pk, kind=InvoiceKind.INVOICE).values_list("prefix", flat=True)
    return tuple(sorted({provider.invoice_prefix, *started}))


# Importing ----------------------------------------------------------------------------------------


def bank_statement_import(
    *, actor: Membership, data: bytes, filename: str = "", today: datetime.date | None = None
) -> ImportReport:
    """Import a bank statement: record the payments it proves, report the rest (see the module)."""
    require(can_bill(actor))
    day = today or timezone.localdate()
    lines, rejected, _count = statement_lines(data)
    report = ImportReport(rejected=rejected)
    credits = [line for line in lines if line.amount > 0]
    report.debits = len(lines) - len(credits)
    keys = import_keys(actor.provider_id, credits)
    prefixes = invoice_prefixes(actor.provider)
    wanted = {number for line in credits for number in numbers_in(line.label, prefixes)}
    with transaction.atomic():
        known = {key for key in Payment.objects.filter(import_key__in=keys).values_list("import_key", flat=True) if key}
        invoices = {
            str(invoice.number): invoice
            for invoice in Invoice.objects.filter(
                provider_id=actor.provider_id,
                number__in=wanted,
                kind=InvoiceKind.INVOICE,
                status=InvoiceStatus.ISSUED,
            ).select_related("provider")
        }
        due = {pk: balance.due for pk, balance in invoice_balances(list(invoices.values())).items()}
        for line, key in zip(credits, keys, strict=True):
            bucket, outcome = _match(actor, line, key, known, invoices, due, day, prefixes)
            getattr(report, bucket).append(outcome)
        audit_record(
            actor=actor,
            action="billing.bank_import",
            instance=actor.provider,
            provider=actor.provider,
            after={
                "filename": filename[:200],
                "matched": len(report.matched),
                "already_imported": len(report.already_imported),
                "unmatched": len(report.unmatched),
                "rejected": len(report.rejected),
                "total": str(report.matched_total),
            },
        )
    return report


def _match(
    actor: Membership,
    line: StatementLine,
    key: str,
    known: set[str],
    invoices: dict[str, Invoice],
    due: dict[int, Decimal],
    today: datetime.date,
    prefixes: tuple[str, ...],
) -> tuple[str, LineOutcome]:
    """(the report's list, the outcome) of one credit line; records its payment when it matches."""
    numbers = numbers_in(line.label, prefixes)

    def outcome(reason: str = "", number: str = "", invoice_id: int | None = None) -> LineOutcome:
        return LineOutcome(line.line, line.day, line.amount, line.label, number, invoice_id, reason)

    if key in known:
        return "already_imported", outcome(_("Already imported."), numbers[0] if numbers else "")
    if not numbers:
        return "unmatched", outcome(_("No invoice number in the label."))
    if len(numbers) > 1:
        reason = _("Several invoice numbers (%(numbers)s): record it by hand.") % {"numbers": ", ".join(numbers)}
        return "unmatched", outcome(reason)
    number = numbers[0]
    invoice = invoices.get(number)
    if invoice is None:
        return "unmatched", outcome(_("No issued invoice %(number)s.") % {"number": number}, number)
    left = due[invoice.pk]
    if left <= 0:
        return "unmatched", outcome(_("Invoice already paid."), number, invoice.pk)
    if line.amount > left:
        reason = _("%(amount)s € is more than the %(due)s € still due: record it by hand.") % {
            "amount": line.amount,
            "due": left,
        }
        return "unmatched", outcome(reason, number, invoice.pk)
    try:
        payments.payment_create(
            actor=actor,
            invoice=invoice,
            received_on=line.day,
            amount=line.amount,
            method=PaymentMethod.TRANSFER,
            reference=line.label,
            today=today,
            import_key=key,
        )
    except (BillingError, ConflictError) as error:
        message = error.message if isinstance(error, ConflictError) else str(error)
        return "unmatched", outcome(message, number, invoice.pk)
    due[invoice.pk] = left - line.amount
    known.add(key)
    return "matched", outcome("", number, invoice.pk)
