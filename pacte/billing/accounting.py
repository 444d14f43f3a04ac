"""The sales journal of a month, as a CSV the accountant imports (FEC column names).

One journal entry per invoice or credit note *issued* in the month (journal ``VT``), in issue order:

- the client's account ``411000`` (auxiliary account ``C<client id>``) in debit for the total incl. VAT;
- each line's revenue account (``InvoiceLine.account_code``, else the default of its kind,
  ``domain.ACCOUNT_CODES``) in credit for the line's amount excl. VAT;
- ``445710`` (VAT collected) in credit for the VAT of each rate, computed per rate as on the invoice
  (BR-CO-17);
- a credit note is the same entry reversed (411000 in credit, revenue and VAT in debit); a negative
  line (a service credit) goes to the other side.

Debits equal credits in every entry. Columns are the 18 of the French FEC (Fichier des écritures
comptables, LPF A47 A-1): ``JournalCode;JournalLib;EcritureNum;EcritureDate;CompteNum;CompteLib;
CompAuxNum;CompAuxLib;PieceRef;PieceDate;EcritureLib;Debit;Credit;EcritureLet;DateLet;ValidDate;
Montantdevise;Idevise`` — dates ``YYYYMMDD``, the entry number and the piece reference are the
invoice's number. The file is ``;``-separated, decimal comma, UTF-8 with a BOM (Excel opens it
as is), lines ending CRLF. A text field starting with ``=``, ``+``, ``-`` or ``@`` gets a leading
apostrophe, so a spreadsheet never reads it as a formula.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch, QuerySet

from pacte.billing import domain
from pacte.billing.models import Invoice, InvoiceKind, InvoiceLine, InvoiceStatus
from pacte.billing.permissions import can_bill
from pacte.tenancy.models import Membership
from pacte.tenancy.permissions import require

JOURNAL_CODE = "VT"
JOURNAL_LABEL = "Ventes"
COLUMNS = (
    "JournalCode",
    "JournalLib",
    "EcritureNum",
    "EcritureDate",
    "CompteNum",
    "CompteLib",
    "CompAuxNum",
    "CompAuxLib",
    "PieceRef",
    "PieceDate",
    "EcritureLib",
    "Debit",
    "Credit",
    "EcritureLet",
    "DateLet",
    "ValidDate",
    "Montantdevise",
    "Idevise",
)
ACCOUNT_LABELS = {
    domain.CLIENT_ACCOUNT: "Clients",
    domain.VAT_ACCOUNT: "TVA collectée",
    "706": "Prestations de services",
    "707": "Ventes de marchandises",
    "708": "Produits des activités annexes",
    "709": "Rabais, remises et ristournes accordés",
}
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class EntryLine:
    """One line of a journal entry: an account, a label, a debit or a credit (the other is 0)."""

    account: str
    account_label: str
    label: str
    debit: Decimal
    credit: Decimal
    auxiliary: str = ""
    auxiliary_label: str = ""


@dataclass(frozen=True)
class Entry:
    """The journal entry of one invoice or credit note."""

    number: str
    day: datetime.date
    lines: tuple[EntryLine, ...]

    @property
    def debit(self) -> Decimal:
        return sum((line.debit for line in self.lines), ZERO)

    @property
    def credit(self) -> Decimal:
        return sum((line.credit for line in self.lines), ZERO)

    @property
    def is_balanced(self) -> bool:
        return self.debit == self.credit


def account_label(account: str) -> str:
    for prefix in sorted(ACCOUNT_LABELS, key=len, reverse=True):
        if account.startswith(prefix):
            return ACCOUNT_LABELS[prefix]
    return ""


def _side(amount: Decimal, *, debit: bool) -> tuple[Decimal, Decimal]:
    """(debit, credit) for ``amount`` meant for the ``debit`` side; a negative amount goes to the other."""
    if amount < 0:
        amount, debit = -amount, not debit
    return (amount, ZERO) if debit else (ZERO, amount)


def invoice_entry(invoice: Invoice, lines: Iterable[InvoiceLine]) -> Entry:
    """The journal entry of an issued invoice or credit note (``lines``: its lines)."""
    rows = list(lines)
    assert invoice.number is not None and invoice.issue_date is not None
    reverse = invoice.kind == InvoiceKind.CREDIT_NOTE
    client = invoice.client
    label = f"{client.name} - {invoice.number}"[:200]
    totals = domain.totals((line.amount, line.vat_rate) for line in rows)
    auxiliary = f"C{client.pk:06d}"
    debit, credit = _side(totals.gross, debit=not reverse)
    entry_lines = [
        EntryLine(
            domain.CLIENT_ACCOUNT,
            account_label(domain.CLIENT_ACCOUNT),
            label,
            debit,
            credit,
            auxiliary=auxiliary,
            auxiliary_label=client.name,
        )
    ]
    for line in rows:
        if line.amount == 0:
            continue
        account = line.account_code or domain.ACCOUNT_CODES.get(line.kind, "706000")
        debit, credit = _side(line.amount, debit=reverse)
        entry_lines.append(
            EntryLine(account, account_label(account), f"{label} - {line.description}"[:200], debit, credit)
        )
    for item in totals.breakdown:
        if item.amount == 0:
            continue
        rate = f"{item.rate:.2f}".replace(".", ",")
        debit, credit = _side(item.amount, debit=reverse)
        entry_lines.append(
            EntryLine(
                domain.VAT_ACCOUNT,
                f"{account_label(domain.VAT_ACCOUNT)} {rate} %",
                f"{label} - TVA {rate} %",
                debit,
                credit,
            )
        )
    return Entry(number=invoice.number, day=invoice.issue_date, lines=tuple(entry_lines))


def journal_invoices(*, actor: Membership, month: str) -> QuerySet[Invoice]:
    """The invoices and credit notes the actor's provider issued in ``month`` (YYYY-MM), in issue order."""
    require(can_bill(actor))
    first, last = domain.month_bounds(month)
    return (
        Invoice.objects.filter(
            provider_id=actor.provider_id, status=InvoiceStatus.ISSUED, issue_date__range=(first, last)
        )
        .select_related("client")
        .prefetch_related(Prefetch("lines", queryset=InvoiceLine.objects.order_by("position")))
        .order_by("issue_date", "kind", "sequence", "pk")
    )


def journal_entries(*, actor: Membership, month: str) -> list[Entry]:
    return [invoice_entry(invoice, invoice.lines.all()) for invoice in journal_invoices(actor=actor, month=month)]


def _amount(value: Decimal) -> str:
    return f"{value:.2f}".replace(".", ",")


def _text(value: str) -> str:
    value = " ".join(value.split())
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def journal_csv(entries: Iterable[Entry]) -> bytes:
    """The entries as the FEC-named CSV (UTF-8 with BOM, ``;``, decimal comma, CRLF)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(COLUMNS)
    for entry in entries:
        day = entry.day.strftime("%Y%m%d")
        for line in entry.lines:
            writer.writerow(
                (
                    JOURNAL_CODE,
                    JOURNAL_LABEL,
                    entry.number,
                    day,
                    line.account,
                    _text(line.account_label),
                    line.auxiliary,
                    _text(line.auxiliary_label),
                    entry.number,
                    day,
                    _text(line.label),
                    _amount(line.debit),
                    _amount(line.credit),
                    "",
                    "",
                    day,
                    "",
                    "",
                )
            )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def accounting_export(*, actor: Membership, month: str) -> tuple[str, bytes]:
    """(file name, CSV bytes) of the month's sales journal; ``BillingError`` for a bad month."""
    require(can_bill(actor))
    first, _last = domain.month_bounds(month)
    data = journal_csv(journal_entries(actor=actor, month=month))
    return f"journal-ventes-{first:%Y-%m}.csv", data
