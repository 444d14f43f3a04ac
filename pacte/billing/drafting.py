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
  (unique), so a movement is billed once and a late one is caught by the next run.

A contract whose invoice for the month is already issued is left alone (its late work goes to the
next month). A draft with no line is deleted. Everything for one chunk is one transaction.
"""

from __future__ import annotations

import datetime
import json
import os
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from pacte.billing import domain
from pacte.billing.invoice_data import UNIT_HOUR, UNIT_ONE
from pacte.billing.models import Invoice, InvoiceKind, InvoiceLine, InvoiceStatus, LineKind
from pacte.contracts.models import Contract, ContractStatus, ContractVersion, VersionStatus
from pacte.contracts.terms import ContractTerms
from pacte.core.bulk import rows_update
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

    @property
    def account_code(self) -> str:
        return domain.ACCOUNT_CODES.get(self.kind, "706000")


class Versions:
    """The signed versions of a set of contracts, read once; terms parsed once per version."""

    def __init__(self, contract_ids: Sequence[int]) -> None:
        self.by_contract: dict[int, list[ContractVersion]] = defaultdict(list)
        rows = ContractVersion.objects.filter(contract_id__in=contract_ids, status=VersionStatus.SIGNED).order_by(
            "effective_from", "number"
        )
        for version in rows:
            self.by_contract[version.contract_id].append(version)
        self._terms: dict[int, ContractTerms] = {}
        self._parsed: dict[str, ContractTerms] = {}

    def at(self, contract: Contract, day: datetime.date) -> ContractTerms | None:
        """As ``contract_terms_at``: the latest signed version effective on or before ``day``."""
        if day < contract.start_date or (contract.end_date is not None and day > contract.end_date):
            return None
        found = None
        for version in self.by_contract.get(contract.pk, ()):
            if version.effective_from <= day:
                found = version
        if found is None:
            return None
        if found.pk not in self._terms:
            # Contracts made from one template share their terms: parse each distinct text once.
            text = json.dumps(found.terms_data, sort_keys=True)
            if text not in self._parsed:
                self._parsed[text] = found.terms
            self._terms[found.pk] = self._parsed[text]
        return self._terms[found.pk]


def _d(day: datetime.date) -> str:
    return date_format(day, "SHORT_DATE_FORMAT")


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


def _movement_kind(movement: Movement) -> str:
    if movement.kind == MovementKind.OVERAGE:
        return LineKind.OVERAGE
    if movement.kind == MovementKind.PURCHASE:
        return LineKind.BLOCK
    if movement.kind == MovementKind.ADJUSTMENT:
        return LineKind.ADJUSTMENT
    if movement.source_kind == "catalogue_task":
        return LineKind.TASK
    what = movement.key.rsplit(":", 1)[-1]
    if what == "travel":
        return LineKind.TRAVEL
    if what.startswith("part"):
        return LineKind.PARTS
    return LineKind.WORK


#: What a line needs of a movement (its rule snapshot, large, is read only for overage: ``_overage_rates``).
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


def _overage_rates(ids: list[int]) -> dict[int, Any]:
    return (
        {
            pk: (rule or {}).get("billing", {}).get("overage_rate")
            for pk, rule in Movement.objects.filter(pk__in=ids).values_list("pk", "rule")
        }
        if ids
        else {}
    )


def movement_line(movement: Movement, vat: Decimal, rate: Any = None) -> LineSpec:
    """One billable movement as a line: hours × the overage rate when that is exact, else 1 × its amount."""
    assert movement.amount is not None
    kind = _movement_kind(movement)
    description = f"{movement.description or movement.get_kind_display()} ({_d(movement.service_date)})"
    quantity, unit_code, unit_price = Decimal(1), UNIT_ONE, Decimal(movement.amount)
    if kind == LineKind.OVERAGE and rate is not None:
        hours = abs(Decimal(movement.quantity)).normalize()
        if domain.line_amount(hours, Decimal(rate)) == movement.amount:
            quantity, unit_code, unit_price = hours, UNIT_HOUR, Decimal(rate)
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
    )
    if client_id is not None:
        contracts = contracts.filter(client_id=client_id)
    return contracts.select_related("client").order_by("client__name", "reference", "pk")


@dataclass
class ChunkResult:
    drafted: int = 0
    emptied: int = 0
    skipped_issued: int = 0


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
        rates = _overage_rates([m.pk for found in movements.values() for m in found if m.kind == MovementKind.OVERAGE])
        taken_fees = _fees_taken(ids)
        from pacte.billing import service_credits  # noqa: PLC0415  (it imports this module)

        credits = service_credits.credit_line_specs(ids, first, last)
        new_invoices: list[Invoice] = []
        pending_lines: list[tuple[Contract, list[LineSpec]]] = []
        to_update: list[Invoice] = []
        to_delete: list[int] = []
        for contract in contracts:
            invoice = existing.get(contract.pk)
            if invoice is not None and invoice.status == InvoiceStatus.ISSUED:
                result.skipped_issued += 1
                continue
            vat = domain.vat_rate_for(contract.client.postal_code, contract.client.country)
            specs = [line for line in fee_lines(contract, versions, first, last, vat) if line.source not in taken_fees]
            specs += [
                movement_line(movement, vat, rates.get(movement.pk)) for movement in movements.get(contract.pk, ())
            ]
            specs += credits.get(contract.pk, [])
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
                invoice = Invoice(
                    provider_id=contract.provider_id,
                    client_id=contract.client_id,
                    contract=contract,
                    kind=InvoiceKind.INVOICE,
                    billing_period=first,
                    professional=contract.client.is_professional,
                    **fields,
                )
                new_invoices.append(invoice)
            else:
                for name, value in fields.items():
                    setattr(invoice, name, value)
                to_update.append(invoice)
            pending_lines.append((contract, specs))
            result.drafted += 1
        if to_delete:
            Invoice.objects.filter(pk__in=to_delete, status=InvoiceStatus.DRAFT).delete()
        Invoice.objects.bulk_create(new_invoices)
        if to_update:
            rows_update(
                Invoice, to_update, ["service_start", "service_end", "total_net", "total_vat", "total_gross", "run"]
            )
        by_contract = {invoice.contract_id: invoice for invoice in [*new_invoices, *to_update]}
        InvoiceLine.objects.bulk_create(
            _line_rows((by_contract[contract.pk], specs) for contract, specs in pending_lines)
        )
        if credits:
            service_credits.credit_lines_link(ids)
    return result


def _fees_taken(contract_ids: Sequence[int]) -> set[str]:
    """Fee sources already on a line (of an issued invoice, or of another month's draft)."""
    return set(
        InvoiceLine.objects.filter(invoice__contract_id__in=contract_ids, kind=LineKind.FEE).values_list(
            "source", flat=True
        )
    )


def _line_rows(pairs: Iterable[tuple[Invoice, list[LineSpec]]]) -> list[InvoiceLine]:
    rows = []
    for invoice, specs in pairs:
        for position, spec in enumerate(specs, start=1):
            rows.append(
                InvoiceLine(
                    invoice=invoice,
                    position=position,
                    kind=spec.kind,
                    description=spec.description,
                    quantity=spec.quantity,
                    unit_code=spec.unit_code,
                    unit_price=spec.unit_price,
                    amount=spec.amount,
                    vat_rate=spec.vat_rate,
                    period_start=spec.period_start,
                    period_end=spec.period_end,
                    account_code=spec.account_code,
                    movement_id=spec.movement_id,
                    source=spec.source,
                )
            )
    return rows
