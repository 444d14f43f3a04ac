"""Allowances and closes of many contracts at once: what ``periods.allowance_post`` and ``period_close`` do,
for a chunk of contracts in a constant number of queries (the billing run's ledger step).

Same keys, same quantities, same rule snapshots, same descriptions as the one-contract functions (a test
compares both): a period closed here is closed for ``period_close`` too, and the other way round.
Movements are inserted with ``ignore_conflicts`` on their unique key, so a concurrent poster (the
nightly job) and this never post a key twice.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from pacte.contracts.models import Contract
from pacte.contracts.terms import ContractTerms, FixedFee
from pacte.core.bulk import rows_insert
from pacte.ledger import pricing
from pacte.ledger.models import Account, Movement, MovementKind, SourceKind
from pacte.ledger.periods import CLOSE_WHATS, Period, _fixed_fee, _places, _rule, period_of, prorate

TermsAt = Callable[[Contract, datetime.date], ContractTerms | None]


@dataclass(frozen=True)
class _Due:
    contract: Contract
    period: Period
    terms: ContractTerms
    model: FixedFee


def _periods_ending(
    contracts: Sequence[Contract], first: datetime.date, last: datetime.date, terms_at: TermsAt
) -> list[_Due]:
    """Each contract's fixed-fee period with an included quantity that ends between ``first`` and ``last``."""
    due: list[_Due] = []
    for contract in contracts:
        seen: set[datetime.date] = set()
        for day in (first, last):
            terms = terms_at(contract, day)
            if terms is None or terms.periodic_fee is None:
                continue
            period = period_of(contract, day, terms.periodic_fee[1])
            if period is None or period.start in seen or not first <= period.end <= last:
                continue
            seen.add(period.start)
            start_terms = terms_at(contract, period.start) or terms
            model = _fixed_fee(start_terms)
            if model is not None:
                due.append(_Due(contract, period, start_terms, model))
    return due


def _accounts(due: list[_Due]) -> dict[tuple[int, str], Account]:
    wanted = {(item.contract.pk, item.model.included_unit): item.contract for item in due}
    found = {
        (account.contract_id, account.unit): account
        for account in Account.objects.filter(contract_id__in={pk for pk, _unit in wanted})
    }
    missing = [
        Account(provider_id=contract.provider_id, client_id=contract.client_id, contract=contract, unit=unit)
        for (pk, unit), contract in wanted.items()
        if (pk, unit) not in found
    ]
    if missing:
        Account.objects.bulk_create(missing, ignore_conflicts=True)
        found = {
            (account.contract_id, account.unit): account
            for account in Account.objects.filter(contract_id__in={pk for pk, _unit in wanted})
        }
    return found


#: The columns of a movement posted here (``rows_insert``: no model instance per row).
MOVEMENT_FIELDS = (
    "provider_id",
    "client_id",
    "contract_id",
    "account_id",
    "source_kind",
    "source_id",
    "rule",
    "period_start",
    "period_end",
    "billable",
    "kind",
    "quantity",
    "amount",
    "service_date",
    "key",
    "detail",
    "description",
)


class _Rules:
    """Rule snapshots, one per terms object (contracts made from one template share theirs)."""

    def __init__(self) -> None:
        self.found: dict[int, tuple[ContractTerms, dict[str, Any]]] = {}

    def __call__(self, terms: ContractTerms) -> dict[str, Any]:
        if id(terms) not in self.found:
            self.found[id(terms)] = (terms, _rule(terms))  # the terms are kept: their id stays theirs
        return self.found[id(terms)][1]


def _movement(item: _Due, account: Account, rules: _Rules, **fields: Any) -> tuple[Any, ...]:
    period = item.period
    values = {
        "provider_id": item.contract.provider_id,
        "client_id": item.contract.client_id,
        "contract_id": item.contract.pk,
        "account_id": account.pk,
        "source_kind": SourceKind.PERIOD.value,
        "source_id": f"{item.contract.pk}:{period.start.isoformat()}",
        "rule": rules(item.terms),
        "period_start": period.start,
        "period_end": period.end,
        "billable": fields.get("amount") is not None,
        "amount": None,
        **fields,
    }
    return tuple(values[name] for name in MOVEMENT_FIELDS)


def periods_close_many(
    contracts: Sequence[Contract], *, first: datetime.date, last: datetime.date, terms_at: TermsAt
) -> int:
    """Post the allowance and the close of every period of ``contracts`` ending in ``first``–``last``.

    The caller decides the periods have ended (a billing run for a past month). Returns the number of
    movements posted. Queries: a constant number for the whole chunk.
    """
    due = _periods_ending(contracts, first, last, terms_at)
    if not due:
        return 0
    accounts = _accounts(due)
    keys = [item.period.key(item.contract.pk, what) for item in due for what in ("allowance", *CLOSE_WHATS)]
    existing = set(Movement.objects.filter(key__in=keys).values_list("key", flat=True))
    rules = _Rules()
    allowances: list[tuple[Any, ...]] = []
    for item in due:
        key = item.period.key(item.contract.pk, "allowance")
        if key in existing:
            continue
        period = item.period
        allowances.append(
            _movement(
                item,
                accounts[(item.contract.pk, item.model.included_unit)],
                rules,
                kind=MovementKind.ALLOWANCE.value,
                quantity=prorate(item.model.included_quantity, period.kind, period.start, period.end),
                service_date=period.start,
                key=key,
                detail={
                    "included_quantity": str(item.model.included_quantity),
                    "unit": item.model.included_unit,
                    "days": period.days,
                    "period_days": period.calendar_days,
                    "prorated": period.is_cut,
                },
                description=(
                    _("Allowance %(start)s – %(end)s")
                    % {"start": period.start.isoformat(), "end": period.end.isoformat()}
                )[:300],
            )
        )
    rows_insert(Movement, MOVEMENT_FIELDS, allowances, ignore_conflicts=True)
    posted = len(allowances)
    to_close = [
        item for item in due if not any(item.period.key(item.contract.pk, what) in existing for what in CLOSE_WHATS)
    ]
    if not to_close:
        return posted
    close_keys = {item.period.key(item.contract.pk, what) for item in to_close for what in CLOSE_WHATS}
    account_ids = {accounts[(item.contract.pk, item.model.included_unit)].pk for item in to_close}
    earliest = min(item.period.start for item in to_close)
    rows: dict[int, list[tuple[datetime.date, str, Decimal]]] = defaultdict(list)
    for account_id, day, kind, quantity in (
        Movement.objects.filter(account_id__in=account_ids, service_date__gte=earliest, service_date__lte=last)
        .exclude(key__in=close_keys)
        .values_list("account_id", "service_date", "kind", "quantity")
    ):
        rows[account_id].append((day, kind, Decimal(quantity)))
    closes: list[tuple[Any, ...]] = []
    for item in to_close:
        account = accounts[(item.contract.pk, item.model.included_unit)]
        period = item.period
        inside = [row for row in rows.get(account.pk, ()) if period.start <= row[0] <= period.end]
        allowance = _places(sum((q for _d, kind, q in inside if kind == MovementKind.ALLOWANCE), Decimal(0)))
        balance = _places(sum((q for _d, _k, q in inside), Decimal(0)))
        dates = {"start": period.start.isoformat(), "end": period.end.isoformat()}
        if balance < 0:
            consumed = allowance - balance
            rate = item.model.overage_rate
            _hours, amount = pricing.overage(consumed, allowance, rate)
            closes.append(
                _movement(
                    item,
                    account,
                    rules,
                    kind=MovementKind.OVERAGE.value,
                    quantity=-balance,
                    amount=amount,
                    service_date=period.end,
                    key=period.key(item.contract.pk, "overage"),
                    detail={
                        "allowance": str(allowance),
                        "consumed": str(consumed),
                        "overage": str(-balance),
                        "overage_rate": str(rate) if rate is not None else None,
                    },
                    description=(_("Overage %(start)s – %(end)s") % dates)[:300],
                )
            )
        elif balance > 0:
            closes.append(
                _movement(
                    item,
                    account,
                    rules,
                    kind=MovementKind.EXPIRY.value,
                    quantity=-balance,
                    service_date=period.end,
                    key=period.key(item.contract.pk, "expiry"),
                    detail={"allowance": str(allowance), "unused": str(balance), "rollover": "none"},
                    description=(_("Unused allowance expired %(start)s – %(end)s") % dates)[:300],
                )
            )
    rows_insert(Movement, MOVEMENT_FIELDS, closes, ignore_conflicts=True)
    posted += len(closes)
    return posted
