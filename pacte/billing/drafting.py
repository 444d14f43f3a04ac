"""Computing draft invoices: what a contract owes for a billing month.

For a billing month and a set of contracts, in chunks (a constant number of queries per chunk, not
per contract), each contract's draft is (re)computed from:

- **the periodic fee** (fixed fee, unlimited) of each contract period billed this month: a period
  billed *in advance* is billed in the month it starts, one billed *in arrears* in the month it ends;
  prorated when the contract starts or ends inside it, at the fee in force on the period's first day
  (a revised price applies from the period after its revision date). Line source
  ``fee:<contract>:<period start>``, unique: a period's fee is billed once, whatever the runs;
- **every billable ledger movement** of the contract dated on or before the month's last day and not
  yet on an invoice line (overage, time and materials, travel, parts, prepaid blocks, catalogue tasks,
  reversals of corrected sheets, adjustments in euros): each becomes one line, linked to its movement
  (unique), so a movement is billed once and a late one is caught by the next run. Overage reads
  hours × rate, a catalogue task quantity × unit price, when exact; anything else 1 × its amount;
- **the refund** of the unserved part of a fee an issued invoice billed, the contract having ended inside
  (or before) its period (``refund_lines``, source ``refund:<contract>:<period start>``, once): a negative
  fee line while the draft stays positive, else a draft credit note on that invoice (``refund_notes_create``).

A contract whose invoice for the month is already issued is left alone (its late work goes to the
next month). A draft with no line is deleted. Everything for one chunk is one transaction.
"""

from __future__ import annotations

import datetime
import os
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, Subquery, Sum, TextField
from django.db.models.functions import Cast
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from pacte.billing import domain
from pacte.billing.invoice_data import UNIT_HOUR, UNIT_ONE
from pacte.billing.models import Invoice, InvoiceKind, InvoiceLine, InvoiceStatus, LineKind
from pacte.contracts.models import Contract, ContractStatus, ContractVersion, VersionStatus
from pacte.contracts.terms import ContractTerms
from pacte.core.bulk import rows_insert, rows_update
from pacte.core.text import short_date
from pacte.ledger import orders
from pacte.ledger.models import Movement, MovementKind
from pacte.ledger.periods import Period, period_of, prorate

CHUNK = 250


def chunk_size() -> int:
    """Contracts per drafting transaction (``PACTE_BILLING_CHUNK``, 250 by default; the crash test uses less)."""
    return max(1, int(os.environ.get("PACTE_BILLING_CHUNK", CHUNK)))


BILLED_STATUSES = (
    ContractStatus.ACTIVE,
    ContractStatus.NOTICE_GIVEN,
    ContractStatus.IN_EXIT,
    ContractStatus.CLOSED,
    ContractStatus.EXPIRED,
)
PERIOD_LABELS = {
    "month": gettext_noop("Monthly fee"),
    "quarter": gettext_noop("Quarterly fee"),
    "year": gettext_noop("Yearly fee"),
}


@dataclass(frozen=True)
class LineSpec:
    kind: str
    description: str
    quantity: Decimal
    unit_code: str
    unit_price: Decimal
    amount: Decimal
    vat_rate: Decimal
    period_start: datetime.date | None = None
    period_end: datetime.date | None = None
    movement_id: int | None = None
    source: str = ""
    #: A refund: the issued invoice and its fee line it gives back part of (a credit note credits them).
    credited_invoice_id: int | None = None
    credited_line_id: int | None = None
    account: str = ""

    @property
    def account_code(self) -> str:
        return self.account or domain.ACCOUNT_CODES.get(self.kind, "706000")


#: Terms parsed from their JSON text, shared by every ``Versions`` of the process (contracts made from
#: one template have the same text): bounded, the oldest half dropped when full.
_PARSED: dict[str, ContractTerms] = {}
_PARSED_MAX = 2048


def _parsed(text: str) -> ContractTerms:
    found = _PARSED.get(text)
    if found is None:
        if len(_PARSED) >= _PARSED_MAX:
            for key in list(_PARSED)[: _PARSED_MAX // 2]:
                del _PARSED[key]
        found = _PARSED[text] = ContractTerms.model_validate_json(text)
    return found


class Versions:
    """The signed versions of a set of contracts, read once (the terms as JSON text, parsed once per text)."""

    def __init__(self, contract_ids: Iterable[int]) -> None:
        #: contract id → [(effective from, terms text)], in the order they take effect.
        self.by_contract: dict[int, list[tuple[datetime.date, str]]] = defaultdict(list)
        self.loaded: set[int] = set()
        self._load(list(contract_ids))

    def _load(self, ids: list[int]) -> None:
        for start in range(0, len(ids), 5000):  # a bounded number of parameters per query
            part = ids[start : start + 5000]
            rows = (
                ContractVersion.objects.filter(contract_id__in=part, status=VersionStatus.SIGNED)
                .order_by("effective_from", "number")
                .annotate(text=Cast("terms_data", TextField()))
                .values_list("contract_id", "effective_from", "text")
            )
            for contract_id, effective_from, text in rows:
                self.by_contract[contract_id].append((effective_from, text))
            self.loaded.update(part)

    def at(self, contract: Contract, day: datetime.date, *, bounded: bool = True) -> ContractTerms | None:
        """As ``contract_terms_at``: the latest signed version effective on or before ``day``
        (``bounded=False``: even after the contract's end, e.g. for a period its termination cut)."""
        if day < contract.start_date or (bounded and contract.end_date is not None and day > contract.end_date):
            return None
        if contract.pk not in self.loaded:  # a contract the caller did not announce: read it now
            self._load([contract.pk])
        found = None
        for effective_from, text in self.by_contract.get(contract.pk, ()):
            if effective_from <= day:
                found = text
        return None if found is None else _parsed(found)


def _d(day: datetime.date) -> str:
    return short_date(day)


def _fee_periods(
    contract: Contract, versions: Versions, first: datetime.date, last: datetime.date
) -> list[tuple[Period, ContractTerms]]:
    """The contract periods whose fee this month bills, each with the terms of its first day."""
    found: dict[datetime.date, tuple[Period, ContractTerms]] = {}
    candidates = [first, last, contract.start_date]
    if contract.end_date is not None:
        candidates.append(contract.end_date)
    for day in candidates:
        if not first <= day <= last:
            continue
        terms = versions.at(contract, day)
        if terms is None or terms.periodic_fee is None:
            continue
        billed = getattr(terms.billing_model, "billed", "in_advance")
        period = period_of(contract, day, terms.periodic_fee[1])
        if period is None:
            continue
        edge = period.start if billed == "in_advance" else period.end
        if first <= edge <= last and period.start not in found:
            found[period.start] = (period, versions.at(contract, period.start) or terms)
    return [found[key] for key in sorted(found)]


def fee_lines(
    contract: Contract, versions: Versions, first: datetime.date, last: datetime.date, vat: Decimal
) -> list[LineSpec]:
    lines = []
    for period, terms in _fee_periods(contract, versions, first, last):
        fee = terms.periodic_fee
        assert fee is not None
        amount = prorate(fee[0], period.kind, period.start, period.end)
        label = _(PERIOD_LABELS[period.kind])
        description = _("%(label)s — contract %(reference)s, %(start)s to %(end)s") % {
            "label": label,
            "reference": contract.reference,
            "start": _d(period.start),
            "end": _d(period.end),
        }
        if period.is_cut:
            description += " " + _("(prorated %(days)s/%(total)s days)") % {
                "days": period.days,
                "total": period.calendar_days,
            }
        lines.append(
            LineSpec(
                kind=LineKind.FEE,
                description=description[:300],
                quantity=Decimal(1),
                unit_code=UNIT_ONE,
                unit_price=amount,
                amount=amount,
                vat_rate=vat,
                period_start=period.start,
                period_end=period.end,
                source=f"fee:{contract.pk}:{period.start.isoformat()}",
            )
        )
    return lines


REFUND_LABELS = {
    "month": gettext_noop("Refund of the unused part of the monthly fee"),
    "quarter": gettext_noop("Refund of the unused part of the quarterly fee"),
    "year": gettext_noop("Refund of the unused part of the yearly fee"),
}


@dataclass(frozen=True)
class BilledFee:
    """A fee line of an issued invoice whose period runs past its contract's end (``issued_fees_past_end``)."""

    line_id: int
    invoice_id: int
    source: str
    period_start: datetime.date
    period_end: datetime.date
    amount: Decimal
    vat_rate: Decimal
    account_code: str
    credited: Decimal  # what issued credit notes already gave back on this line


def _billed_fees_query() -> Any:
    credited = (
        InvoiceLine.objects.filter(credited_line=OuterRef("pk"), invoice__status=InvoiceStatus.ISSUED)
        .exclude(source__startswith="refund:")
        .values("credited_line")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return InvoiceLine.objects.filter(
        kind=LineKind.FEE,
        source__startswith="fee:",
        invoice__kind=InvoiceKind.INVOICE,
        invoice__status=InvoiceStatus.ISSUED,
        invoice__contract__end_date__isnull=False,
        period_end__gt=F("invoice__contract__end_date"),
    ).annotate(credited=Subquery(credited))


def issued_fees_past_end(contracts: Sequence[Contract]) -> dict[int, list[BilledFee]]:
    """Per contract, the fee lines of its issued invoices whose period ends after the contract's end
    (a fee billed in advance, then the contract terminated inside or before that period). One query,
    none when no contract of the chunk has an end date."""
    ids = [contract.pk for contract in contracts if contract.end_date is not None]
    found: dict[int, list[BilledFee]] = defaultdict(list)
    if not ids:
        return found
    rows = (
        _billed_fees_query()
        .filter(invoice__contract_id__in=ids)
        .order_by("period_start", "pk")
        .values_list(
            "invoice__contract_id",
            "pk",
            "invoice_id",
            "source",
            "period_start",
            "period_end",
            "amount",
            "vat_rate",
            "account_code",
            "credited",
        )
    )
    for contract_id, pk, invoice_id, source, start, end, amount, vat_rate, account, credited in rows:
        found[contract_id].append(
            BilledFee(pk, invoice_id, source, start, end, amount, vat_rate, account, Decimal(credited or 0))
        )
    return found


def refunds_pending(provider_id: int) -> Any:
    """The ids of the provider's contracts with an issued fee past their end not refunded yet (a subquery)."""
    refunded = InvoiceLine.objects.filter(
        invoice__contract_id=OuterRef("invoice__contract_id"),
        source__startswith="refund:",
        period_end=OuterRef("period_end"),
    )
    return (
        _billed_fees_query()
        .filter(invoice__provider_id=provider_id)
        .exclude(Exists(refunded))
        .values("invoice__contract_id")
    )


def refund_source(contract_id: int, period_start: datetime.date) -> str:
    return f"refund:{contract_id}:{period_start.isoformat()}"


def refund_lines(
    contract: Contract, versions: Versions, billed: Sequence[BilledFee], taken: set[str]
) -> list[LineSpec]:
    """The unserved part of each fee billed in advance on an issued invoice, the contract having ended
    inside (or before) its period: a negative fee line, once (source ``refund:<contract>:<period start>``).

    Refund = the billed amount − what the served days are worth (``ledger.periods.prorate`` of the fee in
    force on the period's first day, from the period's start to the contract's end), less what issued
    credit notes already gave back on that line. Worked example: 900.00 € billed for November, the contract
    ends on 20 November → 900.00 − 20/30 × 900.00 = **300.00 €**.
    """
    end = contract.end_date
    lines: list[LineSpec] = []
    if end is None:
        return lines
    for fee in billed:
        source = refund_source(contract.pk, fee.period_start)
        if source in taken or fee.period_end <= end:
            continue
        terms = versions.at(contract, fee.period_start, bounded=False)
        periodic = terms.periodic_fee if terms is not None else None
        kind = periodic[1] if periodic is not None else "month"
        if end < fee.period_start:
            served = Decimal("0.00")  # ended before the period began: all of it is given back
        elif periodic is not None:
            served = prorate(periodic[0], kind, fee.period_start, end)
        else:  # no fee in the terms any more: the line's own days
            days = (fee.period_end - fee.period_start).days + 1
            served = domain.cents(fee.amount * ((end - fee.period_start).days + 1) / days)
        amount = min(fee.amount - served, fee.amount - fee.credited)
        if amount <= 0:
            continue
        start = max(fee.period_start, end + datetime.timedelta(days=1))
        description = _("%(label)s — contract %(reference)s, %(start)s to %(end)s (contract ended on %(ended)s)") % {
            "label": _(REFUND_LABELS.get(kind, REFUND_LABELS["month"])),
            "reference": contract.reference,
            "start": _d(start),
            "end": _d(fee.period_end),
            "ended": _d(end),
        }
        lines.append(
            LineSpec(
                kind=LineKind.FEE,
                description=description[:300],
                quantity=Decimal(1),
                unit_code=UNIT_ONE,
                unit_price=-amount,
                amount=-amount,
                vat_rate=fee.vat_rate,
                period_start=start,
                period_end=fee.period_end,
                source=source,
                credited_invoice_id=fee.invoice_id,
                credited_line_id=fee.line_id,
                account=fee.account_code,
            )
        )
    return lines


def _movement_kind(movement: Movement) -> str:
    if movement.kind == MovementKind.OVERAGE:
        return LineKind.OVERAGE
    if movement.kind == MovementKind.PURCHASE:
        return LineKind.BLOCK
    if movement.kind == MovementKind.ADJUSTMENT:
        return LineKind.ADJUSTMENT
    if movement.source_kind == "catalogue_task":
        return LineKind.TASK
    if movement.source_kind == "milestone":
        return LineKind.MILESTONE
    what = movement.key.rsplit(":", 1)[-1]
    if what == "travel":
        return LineKind.TRAVEL
    if what.startswith("part"):
        return LineKind.PARTS
    return LineKind.WORK


#: What a line needs of a movement (its rule snapshot, large, is not read: ``_line_rules`` reads the two
#: keys a line can use, for overage and catalogue tasks only).
LINE_FIELDS = (
    "pk",
    "contract_id",
    "kind",
    "key",
    "source_kind",
    "quantity",
    "amount",
    "service_date",
    "period_start",
    "period_end",
    "description",
)


def _needs_rule(movement: Movement) -> bool:
    return movement.kind == MovementKind.OVERAGE or movement.source_kind == "catalogue_task"


def _line_rules(movements: Iterable[Movement]) -> dict[int, Any]:
    """Per movement, what its line reads of its rule snapshot, in one query: an overage movement's
    overage rate, a catalogue task's task (code, label, unit price, quantity)."""
    wanted = {movement.pk: movement.kind == MovementKind.OVERAGE for movement in movements if _needs_rule(movement)}
    if not wanted:
        return {}
    rows = Movement.objects.filter(pk__in=list(wanted)).values_list("pk", "rule__billing__overage_rate", "rule__task")
    return {pk: rate if wanted[pk] else task for pk, rate, task in rows}


def _task_quantity(movement: Movement, task: Any) -> tuple[Decimal, Decimal] | None:
    """A catalogue task's (quantity, unit price) when quantity × price is exactly its amount (a
    cancellation: the opposite quantity), else ``None``."""
    if not isinstance(task, dict):
        return None
    try:
        count = Decimal(str(task["quantity"]))
        price = Decimal(str(task["unit_price"]))
    except (KeyError, ArithmeticError, ValueError, TypeError):
        return None
    assert movement.amount is not None
    if count <= 0 or price < 0:
        return None
    quantity = count if movement.amount >= 0 else -count
    if domain.line_amount(quantity, price) != movement.amount:
        return None
    return quantity.normalize(), price


def movement_line(movement: Movement, vat: Decimal, rule: Any = None) -> LineSpec:
    """One billable movement as a line: hours × the overage rate, or a catalogue task's quantity × its
    unit price, when that is exact; else 1 × its amount. ``rule``: what ``_line_rules`` read for it."""
    assert movement.amount is not None
    kind = _movement_kind(movement)
    description = f"{movement.description or movement.get_kind_display()} ({_d(movement.service_date)})"
    quantity, unit_code, unit_price = Decimal(1), UNIT_ONE, Decimal(movement.amount)
    if kind == LineKind.OVERAGE and rule is not None:
        hours = abs(Decimal(movement.quantity)).normalize()
        if domain.line_amount(hours, Decimal(rule)) == movement.amount:
            quantity, unit_code, unit_price = hours, UNIT_HOUR, Decimal(rule)
    elif kind == LineKind.TASK and (exact := _task_quantity(movement, rule)) is not None:
        quantity, unit_price = exact
        # The count is in the quantity column: « Nouveau poste × 2 » would say it twice.
        label = orders.task_line_description(movement.description or movement.get_kind_display(), rule)
        description = f"{label} ({_d(movement.service_date)})"
    return LineSpec(
        kind=kind,
        description=description[:300],
        quantity=quantity,
        unit_code=unit_code,
        unit_price=unit_price,
        amount=Decimal(movement.amount),
        vat_rate=vat,
        period_start=movement.period_start,
        period_end=movement.period_end,
        movement_id=movement.pk,
    )


def candidate_contracts(
    *, provider_id: int, first: datetime.date, last: datetime.date, client_id: int | None = None
) -> Any:
    """The contracts a month's run looks at: in force at some point of the month, or with unbilled work."""
    unbilled = Movement.objects.filter(
        provider_id=provider_id,
        billable=True,
        amount__isnull=False,
        invoice_line__isnull=True,
        service_date__lte=last,
    ).values("contract_id")
    from pacte.billing import service_credits  # noqa: PLC0415  (it imports this module)

    contracts = Contract.objects.filter(provider_id=provider_id, status__in=BILLED_STATUSES).filter(
        (Q(start_date__lte=last) & (Q(end_date__isnull=True) | Q(end_date__gte=first)))
        | Q(pk__in=unbilled)
        | Q(pk__in=service_credits.credit_contracts_pending(provider_id, first))
        | Q(pk__in=refunds_pending(provider_id))
    )
    if client_id is not None:
        contracts = contracts.filter(client_id=client_id)
    return contracts.select_related("client").order_by("client__name", "reference", "pk")


@dataclass
class ChunkResult:
    drafted: int = 0
    emptied: int = 0
    skipped_issued: int = 0
    refund_notes: int = 0


def draft_chunk(
    contracts: Sequence[Contract],
    *,
    first: datetime.date,
    last: datetime.date,
    run_id: int | None = None,
    versions: Versions | None = None,
) -> ChunkResult:
    """(Re)compute the month's draft of each contract in one transaction. Safe to repeat, or to kill."""
    result = ChunkResult()
    ids = [contract.pk for contract in contracts]
    with transaction.atomic(), translation.override("fr"):
        versions = versions or Versions(ids)
        existing = {
            invoice.contract_id: invoice
            for invoice in Invoice.objects.select_for_update().filter(
                contract_id__in=ids, billing_period=first, kind=InvoiceKind.INVOICE
            )
        }
        drafts = [invoice.pk for invoice in existing.values() if invoice.status == InvoiceStatus.DRAFT]
        InvoiceLine.objects.filter(invoice_id__in=drafts).delete()  # releases their movements and fees
        movements: dict[int, list[Movement]] = defaultdict(list)
        for movement in (
            Movement.objects.filter(
                contract_id__in=ids,
                billable=True,
                amount__isnull=False,
                invoice_line__isnull=True,
                service_date__lte=last,
            )
            .only(*LINE_FIELDS)
            .order_by("service_date", "pk")
        ):
            movements[movement.contract_id].append(movement)
        rules = _line_rules(m for found in movements.values() for m in found)
        taken_fees = _fees_taken(ids)
        billed_fees = issued_fees_past_end(contracts)
        from pacte.billing import service_credits  # noqa: PLC0415  (it imports this module)

        credits = service_credits.credit_line_specs(ids, first, last)
        new_invoices: list[tuple[Any, ...]] = []
        pending_lines: list[tuple[Contract, list[LineSpec]]] = []
        to_update: list[Invoice] = []
        to_delete: list[int] = []
        refund_notes: list[tuple[Contract, list[LineSpec]]] = []
        for contract in contracts:
            invoice = existing.get(contract.pk)
            if invoice is not None and invoice.status == InvoiceStatus.ISSUED:
                result.skipped_issued += 1
                continue
            vat = domain.vat_rate_for(contract.client.postal_code, contract.client.country)
            specs = [line for line in fee_lines(contract, versions, first, last, vat) if line.source not in taken_fees]
            specs += [
                movement_line(movement, vat, rules.get(movement.pk)) for movement in movements.get(contract.pk, ())
            ]
            specs += credits.get(contract.pk, [])
            refunds = refund_lines(contract, versions, billed_fees.get(contract.pk, ()), taken_fees)
            if refunds:
                # On the month's invoice while it stays positive; else a credit note on the invoice that
                # billed the fee (a negative invoice is refused at issue).
                if specs and domain.totals((line.amount, line.vat_rate) for line in specs + refunds).net >= 0:
                    specs += refunds
                else:
                    refund_notes.append((contract, refunds))
            if not specs:
                if invoice is not None:
                    to_delete.append(invoice.pk)
                    result.emptied += 1
                continue
            total = domain.totals((line.amount, line.vat_rate) for line in specs)
            starts = [line.period_start for line in specs if line.period_start] or [first]
            ends = [line.period_end for line in specs if line.period_end] or [last]
            fields = {
                "service_start": min(starts),
                "service_end": max(ends),
                "total_net": total.net,
                "total_vat": total.vat,
                "total_gross": total.gross,
                "run_id": run_id,
            }
            if invoice is None:
                new_invoices.append(
                    (
                        contract.provider_id,
                        contract.client_id,
                        contract.pk,
                        InvoiceKind.INVOICE.value,
                        first,
                        contract.client.is_professional,
                        *fields.values(),
                    )
                )
            else:
                for name, value in fields.items():
                    setattr(invoice, name, value)
                to_update.append(invoice)
            pending_lines.append((contract, specs))
            result.drafted += 1
        if to_delete:
            Invoice.objects.filter(pk__in=to_delete, status=InvoiceStatus.DRAFT).delete()
        new_ids = rows_insert(Invoice, INVOICE_FIELDS, new_invoices, with_ids=True)
        if to_update:
            rows_update(
                Invoice, to_update, ["service_start", "service_end", "total_net", "total_vat", "total_gross", "run"]
            )
        by_contract = {row[2]: pk for row, pk in zip(new_invoices, new_ids, strict=True)}
        by_contract.update((invoice.contract_id, invoice.pk) for invoice in to_update if invoice.contract_id)
        lines = _line_rows((by_contract[contract.pk], specs) for contract, specs in pending_lines)
        rows_insert(InvoiceLine, LINE_COLUMNS, lines)
        if credits:
            service_credits.credit_lines_link(ids)
        result.refund_notes = refund_notes_create(refund_notes)
    return result


def _fees_taken(contract_ids: Sequence[int]) -> set[str]:
    """Fee and refund sources already on a line (of an issued invoice, of another month's draft, of a
    credit note giving a refund back)."""
    return set(
        InvoiceLine.objects.filter(invoice__contract_id__in=contract_ids)
        .filter(Q(kind=LineKind.FEE) | Q(source__startswith="refund:"))
        .values_list("source", flat=True)
    )


#: A refund's credit note draft: its columns (the others take their defaults).
NOTE_FIELDS = (
    "provider_id",
    "client_id",
    "contract_id",
    "kind",
    "credited_invoice_id",
    "professional",
    "service_start",
    "service_end",
    "total_net",
    "total_vat",
    "total_gross",
    "note",
)


def refund_notes_create(pending: Sequence[tuple[Contract, list[LineSpec]]]) -> int:
    """One draft credit note per invoice whose fee is refunded (its lines positive, each crediting the fee
    line, source ``refund:…``: the refund is taken, once). Issue it like any credit note. Two queries."""
    notes: list[tuple[Any, ...]] = []
    note_lines: list[list[LineSpec]] = []
    for contract, refunds in pending:
        by_invoice: dict[int, list[LineSpec]] = defaultdict(list)
        for refund in refunds:
            assert refund.credited_invoice_id is not None
            by_invoice[refund.credited_invoice_id].append(refund)
        for invoice_id, specs in by_invoice.items():
            total = domain.totals((-line.amount, line.vat_rate) for line in specs)
            reason = _("Refund of the unused part of the fee: contract %(reference)s ended on %(ended)s.") % {
                "reference": contract.reference,
                "ended": _d(contract.end_date) if contract.end_date else "",
            }
            notes.append(
                (
                    contract.provider_id,
                    contract.client_id,
                    contract.pk,
                    InvoiceKind.CREDIT_NOTE.value,
                    invoice_id,
                    contract.client.is_professional,
                    min(line.period_start for line in specs if line.period_start),
                    max(line.period_end for line in specs if line.period_end),
                    total.net,
                    total.vat,
                    total.gross,
                    reason[:300],
                )
            )
            note_lines.append(specs)
    if not notes:
        return 0
    ids = rows_insert(Invoice, NOTE_FIELDS, notes, with_ids=True)
    rows = [
        (
            note_id,
            position,
            LineKind.CREDIT.value,
            spec.description,
            Decimal(1),
            UNIT_ONE,
            -spec.amount,
            -spec.amount,
            spec.vat_rate,
            spec.period_start,
            spec.period_end,
            spec.account_code,
            None,
            spec.source,
            spec.credited_line_id,
        )
        for note_id, specs in zip(ids, note_lines, strict=True)
        for position, spec in enumerate(specs, start=1)
    ]
    rows_insert(InvoiceLine, (*LINE_COLUMNS, "credited_line_id"), rows)
    return len(ids)


#: A new draft's columns, in the order ``draft_chunk`` gives them (the others take their defaults).
INVOICE_FIELDS = (
    "provider_id",
    "client_id",
    "contract_id",
    "kind",
    "billing_period",
    "professional",
    "service_start",
    "service_end",
    "total_net",
    "total_vat",
    "total_gross",
    "run_id",
)
LINE_COLUMNS = (
    "invoice_id",
    "position",
    "kind",
    "description",
    "quantity",
    "unit_code",
    "unit_price",
    "amount",
    "vat_rate",
    "period_start",
    "period_end",
    "account_code",
    "movement_id",
    "source",
)


def _line_rows(pairs: Iterable[tuple[int, list[LineSpec]]]) -> list[tuple[Any, ...]]:
    """Each draft's lines as ``LINE_COLUMNS`` tuples, numbered from 1."""
    return [
        (
            invoice_id,
            position,
            str(spec.kind),
            spec.description,
            spec.quantity,
            spec.unit_code,
            spec.unit_price,
            spec.amount,
            spec.vat_rate,
            spec.period_start,
            spec.period_end,
            spec.account_code,
            spec.movement_id,
            spec.source,
        )
        for invoice_id, specs in pairs
        for position, spec in enumerate(specs, start=1)
    ]
