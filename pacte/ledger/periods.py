"""A contract's billing periods: the allowance posted at a period's start, the close at its end.

Periods are calendar-aligned (a month period is a calendar month, a quarter starts in January,
April, July or October, a year on 1 January) and cut by the contract's start and end: a contract
starting on 10 November has a first period of 10–30 November. A cut period's fee and included
quantity are prorated by calendar days (``prorate``): 900.00 € a month from 10 November 2026 →
21/30 × 900.00 = 630.00 €; 10 h included → 7.00 h. Both are rounded half-up to the hundredth.

- ``allowance_post(contract, day)`` posts the ALLOWANCE of the period containing ``day``: the fixed
  fee's included quantity (hours or interventions), prorated, priced by the terms in force on the
  period's first day (snapshotted). Key ``period:<contract>:<first day>:allowance``.
- ``period_close(contract, day)`` closes that period: the sum of the account's movements dated
  inside it is brought back to 0 — a negative balance by a billable OVERAGE (the hours beyond the
  allowance × the overage rate), a positive one by an EXPIRY (a fixed fee's allowance never rolls
  over). Keys ``…:overage`` and ``…:expiry``; closing twice posts nothing more.
- ``overage_state(contract, at)`` tells the desk whether new billable work is ``ok``, to ``warn``
  about, or ``blocked`` (the contract's overage policy once the period's allowance is used up).
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from django.db import transaction
from django.db.models import Q, Sum
from django.utils.translation import gettext as _

from pacte.contracts.dates import add_months
from pacte.contracts.models import Contract, ContractStatus
from pacte.contracts.selectors import contract_terms_at
from pacte.contracts.terms import PERIOD_MONTHS, ContractTerms, FixedFee, PrepaidCredits
from pacte.ledger import pricing, rules
from pacte.ledger.models import Account, Movement, MovementKind, SourceKind
from pacte.ledger.services import movement_post

logger = logging.getLogger("pacte.ledger")

HUNDREDTH = Decimal("0.01")
QUANTITY_PLACES = Decimal("0.0001")
CLOSE_WHATS = ("overage", "expiry", "rollover")
OverageState = Literal["ok", "warn", "blocked"]


@dataclass(frozen=True)
class Period:
    """One period of a contract: its calendar bounds and the days the contract covers in it."""

    calendar_start: datetime.date
    calendar_end: datetime.date  # inclusive
    start: datetime.date  # cut by the contract's start
    end: datetime.date  # cut by the contract's end (inclusive)
    kind: str  # month · quarter · year

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def calendar_days(self) -> int:
        return (self.calendar_end - self.calendar_start).days + 1

    @property
    def is_cut(self) -> bool:
        return self.days != self.calendar_days

    def key(self, contract_id: int, what: str) -> str:
        return f"period:{contract_id}:{self.start.isoformat()}:{what}"


def calendar_period(kind: str, day: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The calendar period of ``kind`` (month · quarter · year) containing ``day``: (first, last) day."""
    months = PERIOD_MONTHS[kind]
    first_month = (day.month - 1) // months * months + 1
    first = day.replace(month=first_month, day=1)
    return first, add_months(first, months) - datetime.timedelta(days=1)


def prorate(amount: Decimal, period: str, start: datetime.date, end: datetime.date) -> Decimal:
    """``amount`` for a whole ``period`` (month · quarter · year), for the days ``start``–``end`` inclusive.

    Calendar days of the period containing ``start`` (``end`` must fall in it), rounded half-up to the
    hundredth: ``prorate(900, "month", 10 Nov 2026, 30 Nov 2026)`` = 900 × 21/30 = 630.00. The same
    rule prorates the included hours of a fixed fee (to 0.01 h).
    """
    first, last = calendar_period(period, start)
    if end < start or end > last:
        raise ValueError("The prorated days must lie inside one period.")
    days = (end - start).days + 1
    whole = (last - first).days + 1
    if days == whole:
        return Decimal(amount).quantize(HUNDREDTH, rounding=ROUND_HALF_UP)
    return (Decimal(amount) * days / whole).quantize(HUNDREDTH, rounding=ROUND_HALF_UP)


def _last_day(contract: Contract) -> datetime.date | None:
    return contract.end_date


def period_of(contract: Contract, day: datetime.date, kind: str) -> Period | None:
    """The period of ``kind`` containing ``day``, cut by the contract's dates; ``None`` outside the contract."""
    first, last = calendar_period(kind, day)
    start = max(first, contract.start_date)
    contract_end = _last_day(contract)
    end = last if contract_end is None else min(last, contract_end)
    if start > end or not start <= day <= end:
        return None
    return Period(calendar_start=first, calendar_end=last, start=start, end=end, kind=kind)


def _fixed_fee(terms: ContractTerms) -> FixedFee | None:
    model = terms.billing_model
    if isinstance(model, FixedFee) and model.included_unit != "none" and model.included_quantity > 0:
        return model
    return None


def contract_period(contract: Contract, day: datetime.date) -> tuple[Period, ContractTerms] | None:
    """The billing period containing ``day`` and the terms in force on its first day, for a periodic model."""
    version = contract_terms_at(contract, day)
    if version is None:
        return None
    fee = version.terms.periodic_fee
    if fee is None:
        return None
    period = period_of(contract, day, fee[1])
    if period is None:
        return None
    start_version = contract_terms_at(contract, period.start) or version
    return period, start_version.terms


def contract_periods(contract: Contract, until: datetime.date) -> list[Period]:
    """Every period of the contract that started on or before ``until`` (its start to its end), in order."""
    periods: list[Period] = []
    day = contract.start_date
    last = _last_day(contract)
    while day <= until and (last is None or day <= last):
        found = contract_period(contract, day)
        if found is None:
            break
        periods.append(found[0])
        day = found[0].end + datetime.timedelta(days=1)
    return periods


def _places(value: Decimal | None) -> Decimal:
    """A sum of quantities to the ledger's 4 places (SQLite sums decimals as floats)."""
    return Decimal(value or 0).quantize(QUANTITY_PLACES, rounding=ROUND_HALF_UP)


def _rule(terms: ContractTerms) -> dict[str, Any]:
    return dict(rules.snapshot(terms))


def allowance_post(contract: Contract, period_start: datetime.date) -> Movement | None:
    """Post the included quantity of the period containing ``period_start`` (once); ``None`` when there is none."""
    found = contract_period(contract, period_start)
    if found is None:
        return None
    period, terms = found
    model = _fixed_fee(terms)
    if model is None:
        return None
    quantity = prorate(model.included_quantity, period.kind, period.start, period.end)
    movement, _created = movement_post(
        contract=contract,
        unit=model.included_unit,
        kind=MovementKind.ALLOWANCE,
        quantity=quantity,
        service_date=period.start,
        source_kind=SourceKind.PERIOD,
        source_id=f"{contract.pk}:{period.start.isoformat()}",
        key=period.key(contract.pk, "allowance"),
        rule=_rule(terms),
        detail={
            "included_quantity": str(model.included_quantity),
            "unit": model.included_unit,
            "days": period.days,
            "period_days": period.calendar_days,
            "prorated": period.is_cut,
        },
        description=_("Allowance %(start)s – %(end)s")
        % {"start": period.start.isoformat(), "end": period.end.isoformat()},
        period=(period.start, period.end),
    )
    return movement


def _period_movements(account: Account, period: Period) -> Any:
    return Movement.objects.filter(account=account, service_date__gte=period.start, service_date__lte=period.end)


def _close_keys(contract: Contract, period: Period) -> list[str]:
    return [period.key(contract.pk, what) for what in CLOSE_WHATS]


def period_balance(account: Account, period: Period, *, contract: Contract) -> tuple[Decimal, Decimal]:
    """(allowance, balance before the close) of the account in the period: the close's own movements excluded."""
    rows = _period_movements(account, period).exclude(key__in=_close_keys(contract, period))
    totals = rows.aggregate(allowance=Sum("quantity", filter=Q(kind=MovementKind.ALLOWANCE)), balance=Sum("quantity"))
    return _places(totals["allowance"]), _places(totals["balance"])


def period_close(contract: Contract, period_start: datetime.date) -> list[Movement]:
    """Bring the period's balance back to 0 (overage or expiry), once; returns the close's movements.

    The caller decides that the period has ended (the nightly job closes periods whose last day has
    passed). Closing again finds the close's keys and posts nothing: the movements are returned.
    """
    found = contract_period(contract, period_start)
    if found is None:
        return []
    period, terms = found
    model = _fixed_fee(terms)
    if model is None:
        return []
    existing = list(Movement.objects.filter(key__in=_close_keys(contract, period)).order_by("id"))
    if existing:
        return existing
    account = Account.objects.filter(contract=contract, unit=model.included_unit).first()
    if account is None:
        return []
    allowance, balance = period_balance(account, period, contract=contract)
    common: dict[str, Any] = {
        "contract": contract,
        "unit": model.included_unit,
        "service_date": period.end,
        "source_kind": SourceKind.PERIOD,
        "source_id": f"{contract.pk}:{period.start.isoformat()}",
        "rule": _rule(terms),
        "period": (period.start, period.end),
    }
    if balance < 0:
        consumed = allowance - balance
        rate = model.overage_rate  # a fixed fee with an included quantity always has one (ContractTerms)
        _hours, amount = pricing.overage(consumed, allowance, rate)
        movement, _created = movement_post(
            kind=MovementKind.OVERAGE,
            quantity=-balance,
            amount=amount,
            billable=True,
            key=period.key(contract.pk, "overage"),
            detail={
                "allowance": str(allowance),
                "consumed": str(consumed),
                "overage": str(-balance),
                "overage_rate": str(rate) if rate is not None else None,
            },
            description=_("Overage %(start)s – %(end)s")
            % {"start": period.start.isoformat(), "end": period.end.isoformat()},
            **common,
        )
        return [movement]
    if balance > 0:
        movement, _created = movement_post(
            kind=MovementKind.EXPIRY,
            quantity=-balance,
            key=period.key(contract.pk, "expiry"),
            detail={"allowance": str(allowance), "unused": str(balance), "rollover": "none"},
            description=_("Unused allowance expired %(start)s – %(end)s")
            % {"start": period.start.isoformat(), "end": period.end.isoformat()},
            **common,
        )
        return [movement]
    return []


def overage_state(contract: Contract, at: datetime.date | datetime.datetime) -> OverageState:
    """Whether new billable work on ``at`` is ``ok``, to ``warn`` about, or ``blocked`` (for the desk).

    A fixed fee with an included quantity: while the period's balance is positive, ``ok``; once the
    allowance is used up (balance ≤ 0), the contract's overage policy decides — allow → ``ok``,
    warn → ``warn``, block → ``blocked``. Prepaid credits: ``warn`` when no credit is left (the work
    would be done on credit not yet bought). Every other model: ``ok``.
    """
    day = at.date() if isinstance(at, datetime.datetime) else at
    version = contract_terms_at(contract, day)
    if version is None:
        return "ok"
    terms = version.terms
    if isinstance(terms.billing_model, PrepaidCredits):
        account = Account.objects.filter(contract=contract, unit=terms.billing_model.block_unit).first()
        if account is None:
            return "warn"
        total = account.movements.filter(service_date__lte=day).aggregate(total=Sum("quantity"))["total"]
        return "ok" if _places(total) > 0 else "warn"
    found = contract_period(contract, day)
    if found is None:
        return "ok"
    period, period_terms = found
    model = _fixed_fee(period_terms)
    if model is None:
        return "ok"
    account = Account.objects.filter(contract=contract, unit=model.included_unit).first()
    if account is None:
        return "ok"  # the allowance is not posted yet: nothing is used
    allowance, balance = period_balance(account, period, contract=contract)
    if not allowance or balance > 0:
        return "ok"
    return {"allow": "ok", "warn": "warn", "block": "blocked"}[model.overage_policy]  # type: ignore[return-value]


def contracts_due(today: datetime.date) -> Any:
    """Contracts whose periods may need an allowance or a close on ``today`` (bounded: in force, started)."""
    return (
        Contract.objects.filter(
            status__in=[
                ContractStatus.ACTIVE,
                ContractStatus.NOTICE_GIVEN,
                ContractStatus.IN_EXIT,
                ContractStatus.CLOSED,
                ContractStatus.EXPIRED,
            ],
            start_date__lte=today,
        )
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=today - datetime.timedelta(days=400)))
        .order_by("id")
    )


def _contract_run(contract: Contract, today: datetime.date, report: dict[str, int]) -> None:
    from pacte.ledger.alerts import thresholds_check

    last = _last_day(contract)
    found = contract_period(contract, today if last is None else min(today, last))
    if found is None:
        return
    report["contracts"] += 1
    current = found[0]
    before = Movement.objects.filter(contract=contract, source_kind=SourceKind.PERIOD).count()
    days = [current.start]
    if current.start > contract.start_date:
        days.insert(0, current.start - datetime.timedelta(days=1))  # the period before (a missed night)
    for day in days:
        movement = allowance_post(contract, day)
        if movement is None:
            continue
        period = contract_period(contract, day)
        if period is not None and period[0].end < today:
            period_close(contract, day)
        else:
            report["alerts"] += thresholds_check(movement.account, day)
    report["posted"] += Movement.objects.filter(contract=contract, source_kind=SourceKind.PERIOD).count() - before


def periods_run(today: datetime.date) -> dict[str, int]:
    """The nightly work: allowances of the periods begun, closes of the periods ended, threshold checks.

    Looks at the current period and the one before of every contract that may have one (so a missed
    night is caught up the next), posting through idempotent keys: running it twice posts nothing more.
    A contract that fails is logged and left for the next run; the others go on.
    """
    report = {"contracts": 0, "posted": 0, "alerts": 0, "failed": 0}
    for contract in contracts_due(today).iterator(chunk_size=500):
        try:
            with transaction.atomic():
                _contract_run(contract, today, report)
        except Exception:  # one contract's bad terms must not stop the night
            logger.exception("ledger period run failed for contract %s", contract.pk)
            report["failed"] += 1
    return report
