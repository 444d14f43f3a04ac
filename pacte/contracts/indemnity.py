"""Early-termination indemnity, pure: the contractual figure of a penalty clause (Code civil 1231-5).

The contract says what is owed when it ends before its term (TERMS.md ``early_termination``):

* ``"remaining_fees"``: the fees for the rest of the term, from the day after the contract's last day
  (``end_date``) to the term's last day, both included;
* ``"percentage_of_remaining"``: that amount times ``percentage`` (in percent, 0–100, as in the
  contract's terms: ``Decimal("50")`` = half);
* ``"none"``: nothing.

Fee periods (month, quarter, year) are aligned on ``term_start``: period j runs from
``anniversary(term_start, j × n)`` to the day before the next one (the month rule of the terms,
:mod:`pacte.contracts.dates`). A period wholly remaining counts the whole fee; a period partly remaining
counts ``fee × remaining days / days of that period`` (calendar days, TERMS.md ``proration``). The sum is
kept exact and rounded half-up to the cent once, at the end. An indefinite term, or an end on or after
the term's last day, owes nothing.

The figure is what the clause gives; a judge may reduce or increase a manifestly excessive or derisory
penalty (Code civil 1231-5), hence ``revisable_by_judge``. Tested in ``tests/test_indemnity.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, localcontext
from typing import Final, Literal

from pacte.contracts.dates import ONE_DAY, anniversary
from pacte.contracts.revision import PRECISION, round_price

IndemnityRule = Literal["remaining_fees", "percentage_of_remaining", "none"]
FeePeriod = Literal["month", "quarter", "year"]
PERIOD_MONTHS: Final[dict[str, int]] = {"month": 1, "quarter": 3, "year": 12}


@dataclass(frozen=True)
class Indemnity:
    """The contractual indemnity: ``amount`` (rounded to the cent), the remaining span it covers (``None``
    when none), an ``explanation_code``, and whether a judge may revise it (a penalty clause applied)."""

    amount: Decimal
    remaining_from: date | None
    remaining_to: date | None
    explanation_code: str
    revisable_by_judge: bool = True


def remaining_fees(fee: Decimal, period: FeePeriod, *, periods_from: date, first_day: date, last_day: date) -> Decimal:
    """Exact (unrounded) fees for ``first_day`` … ``last_day`` (inclusive), periods aligned on ``periods_from``.

    Whole periods count the whole fee; a partial one ``fee × days / days in that period``. Zero when the
    span is empty. ``first_day`` must not be before ``periods_from``.
    """
    if first_day < periods_from:
        raise ValueError("Fees are counted from the periods' start on.")
    months = PERIOD_MONTHS[period]
    total = Decimal(0)
    with localcontext() as ctx:
        ctx.prec = PRECISION
        # The period that holds first_day: skip whole periods before it (k × months ≤ months elapsed).
        elapsed = (first_day.year - periods_from.year) * 12 + first_day.month - periods_from.month
        k = max(0, elapsed // months - 1)
        while anniversary(periods_from, (k + 1) * months) <= first_day:
            k += 1
        while True:
            period_start = anniversary(periods_from, k * months)
            if period_start > last_day:
                return total
            period_end = anniversary(periods_from, (k + 1) * months) - ONE_DAY
            overlap = (min(period_end, last_day) - max(period_start, first_day)).days + 1
            length = (period_end - period_start).days + 1
            total += fee if overlap == length else fee * overlap / length
            k += 1


def early_termination_indemnity(
    rule: IndemnityRule,
    *,
    fee: Decimal,
    period: FeePeriod,
    end_date: date,
    term_last_day: date | None,
    term_start: date,
    percentage: Decimal | None = None,
) -> Indemnity:
    """The indemnity for a contract whose last day is ``end_date``, in a term ``term_start`` … ``term_last_day``.

    ``term_start`` aligns the fee periods (pass the billing anchor if billing periods start elsewhere); the
    remaining span starts the day after ``end_date`` but never before ``term_start``. Explanation codes:
    ``no_indemnity_clause`` (rule ``"none"``), ``indefinite_term``, ``no_remaining_term`` (end on or after
    the term's last day), ``remaining_fees``, ``percentage_of_remaining``. ``ValueError`` for a negative
    fee, or a percentage missing or outside 0–100 for ``"percentage_of_remaining"``.
    """
    if not (fee.is_finite() and fee >= 0):
        raise ValueError("A fee is a non-negative amount.")
    if period not in PERIOD_MONTHS:
        raise ValueError(f"Unknown fee period {period!r}.")
    if rule == "percentage_of_remaining" and (
        percentage is None or not (percentage.is_finite() and 0 <= percentage <= 100)
    ):
        raise ValueError("A percentage of the remaining fees needs a percentage from 0 to 100.")
    zero = Decimal("0.00")
    if rule == "none":
        return Indemnity(zero, None, None, "no_indemnity_clause", revisable_by_judge=False)
    if term_last_day is None:
        return Indemnity(zero, None, None, "indefinite_term", revisable_by_judge=False)
    first_day = max(end_date + ONE_DAY, term_start)
    if first_day > term_last_day:
        return Indemnity(zero, None, None, "no_remaining_term", revisable_by_judge=False)
    total = remaining_fees(fee, period, periods_from=term_start, first_day=first_day, last_day=term_last_day)
    if rule == "percentage_of_remaining":
        assert percentage is not None
        with localcontext() as ctx:
            ctx.prec = PRECISION
            total = total * percentage / 100
    return Indemnity(round_price(total, 2), first_day, term_last_day, rule)
