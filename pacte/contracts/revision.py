"""Price revision by an index (the Syntec index by default), pure: no Django, no database, no index values.

A revision multiplies each price by one coefficient ``C`` (tested in ``tests/test_revision.py``, explained
in ``docs/contract-rules.md``):

1. ``S0'`` = ``S0``, or ``S0 × linking_coefficient`` when S0 was read in the *old* Syntec series and S1
   in the new one (the series was replaced from the August 2022 value). The linking coefficient turns an
   old-series value into the new series (new = old × coefficient); it is a parameter of the clause,
   never a constant here (DOMAIN.md gives 0.97975 marked "check"; if the published factor goes the
   other way, store its inverse). ``S0'`` is not rounded.
2. ``r = S1 / S0'``; the formula gives ``C = r`` (``"ratio"``) or ``C = a + (1 − a) × r`` (``"mixed"``,
   ``a`` = ``fixed_part``, ``b = 1 − a``).
3. Floor and cap bound the final coefficient: ``C = min(max(C, 1 + floor), 1 + cap)`` (``floor`` =
   ``Decimal("0")``: prices never go down; ``Decimal("0.05")``: at least +5 %; a negative floor bounds a
   decrease).
4. ``P1 = P0 × C`` with ``C`` at full precision (34 significant digits), rounded half-up to ``decimals``
   (2: the cent). :func:`coefficient` reports ``C`` rounded half-up to 6 decimals, for letters and logs.

S0 = 306.0, S1 = 314.5, P0 = 1 000.00 → C = 1.027778 → P1 = 1 027.78; floor 0 % and cap 2 % → 1 020.00;
floor 5 % → 1 050.00; mixed with a = 0.15 → C = 1.023611 → 1 023.61.

Each call is one revision step: pass as ``P0`` and ``S0`` what the clause says. For the usual clause on
the price in force, that is the current price and the index used at the previous revision (the reference
month's index for the first one); floor and cap then bound each step.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Final, Literal

from pacte.contracts.dates import add_months, anniversary

Formula = Literal["ratio", "mixed"]
FORMULAS: Final[tuple[Formula, ...]] = ("ratio", "mixed")
PRECISION: Final = 34
REPORTED_DECIMALS: Final = 6
MAX_DECIMALS: Final = 6


@dataclass(frozen=True)
class RevisionClause:
    """A price revision clause. Check it with :func:`clause_errors`; the computations refuse an invalid one.

    * ``index_code``: which index (``"SYNTEC"``); ``reference_month``: the first day of S0's month.
    * ``formula`` and ``fixed_part`` (``a`` of ``a + b × S1/S0``, ``0 ≤ a < 1``, mixed formula only).
    * ``floor`` / ``cap``: bounds of the variation as fractions (``Decimal("0.02")`` = +2 %), ``None``: none.
    * ``revision_period_months``: months between revisions; ``index_period_months``: months between S0's
      and S1's months at each revision (Code monétaire et financier L112-1: not longer than the former).
    * ``revision_month``: revisions on the 1st of this month (1–12), ``None``: on the contract anniversary.
    * ``decimals``: prices rounded half-up to this many decimals (2 = the cent).
    * ``linking_coefficient``: old Syntec series → new series factor, used when S0 is an old-series value.
    """

    index_code: str
    reference_month: date
    formula: Formula = "ratio"
    fixed_part: Decimal = Decimal(0)
    floor: Decimal | None = None
    cap: Decimal | None = None
    revision_period_months: int = 12
    index_period_months: int = 12
    revision_month: int | None = None
    decimals: int = 2
    linking_coefficient: Decimal | None = None


def clause_errors(clause: RevisionClause) -> dict[str, str]:
    """Field → machine code for each problem of ``clause`` (empty: valid).

    ``index_code``: ``required``; ``reference_month``: ``not_first_of_month``; ``formula``: ``unknown``;
    ``fixed_part``: ``out_of_range`` (not in [0, 1)), ``not_allowed_with_ratio``; ``floor``/``cap``:
    ``out_of_range`` (−100 % or lower: a coefficient ≤ 0), ``floor_above_cap`` (on ``floor``);
    ``revision_period_months``/``index_period_months``: ``not_positive``; ``index_period_months``:
    ``longer_than_revision_period`` (L112-1); ``revision_month``: ``out_of_range``; ``decimals``:
    ``out_of_range`` (0–6); ``linking_coefficient``: ``not_positive``.
    """
    errors: dict[str, str] = {}
    if not clause.index_code.strip():
        errors["index_code"] = "required"
    if clause.reference_month.day != 1:
        errors["reference_month"] = "not_first_of_month"
    if clause.formula not in FORMULAS:
        errors["formula"] = "unknown"
    if not (clause.fixed_part.is_finite() and 0 <= clause.fixed_part < 1):
        errors["fixed_part"] = "out_of_range"
    elif clause.formula == "ratio" and clause.fixed_part != 0:
        errors["fixed_part"] = "not_allowed_with_ratio"
    for field, bound in (("floor", clause.floor), ("cap", clause.cap)):
        if bound is not None and not (bound.is_finite() and bound > -1):
            errors[field] = "out_of_range"
    if clause.floor is not None and clause.cap is not None and "floor" not in errors and "cap" not in errors:
        if clause.floor > clause.cap:
            errors["floor"] = "floor_above_cap"
    if clause.revision_period_months < 1:
        errors["revision_period_months"] = "not_positive"
    if clause.index_period_months < 1:
        errors["index_period_months"] = "not_positive"
    elif clause.index_period_months > clause.revision_period_months >= 1:
        errors["index_period_months"] = "longer_than_revision_period"
    if clause.revision_month is not None and not 1 <= clause.revision_month <= 12:
        errors["revision_month"] = "out_of_range"
    if not 0 <= clause.decimals <= MAX_DECIMALS:
        errors["decimals"] = "out_of_range"
    if clause.linking_coefficient is not None and not (
        clause.linking_coefficient.is_finite() and clause.linking_coefficient > 0
    ):
        errors["linking_coefficient"] = "not_positive"
    return errors


def _check(clause: RevisionClause) -> None:
    errors = clause_errors(clause)
    if errors:
        raise ValueError(f"Invalid revision clause: {errors}")


def exact_coefficient(s0: Decimal, s1: Decimal, clause: RevisionClause, *, s0_old_series: bool = False) -> Decimal:
    """The coefficient ``C`` at full precision (steps 1–3 of the module's docstring); what prices are multiplied by.

    ``s0_old_series``: S0 is an old-series Syntec value (needs the clause's ``linking_coefficient``).
    """
    _check(clause)
    if not (s0.is_finite() and s1.is_finite() and s0 > 0 and s1 > 0):
        raise ValueError("Index values are positive numbers.")
    with localcontext() as ctx:
        ctx.prec = PRECISION
        if s0_old_series:
            if clause.linking_coefficient is None:
                raise ValueError("S0 from the old series needs the clause's linking coefficient.")
            s0 = s0 * clause.linking_coefficient
        ratio = s1 / s0
        coef = ratio if clause.formula == "ratio" else clause.fixed_part + (1 - clause.fixed_part) * ratio
        if clause.floor is not None:
            coef = max(coef, 1 + clause.floor)
        if clause.cap is not None:
            coef = min(coef, 1 + clause.cap)
        return +coef


def coefficient(s0: Decimal, s1: Decimal, clause: RevisionClause, *, s0_old_series: bool = False) -> Decimal:
    """The coefficient as reported: :func:`exact_coefficient` rounded half-up to 6 decimals (306.0 → 314.5: 1.027778).

    Only for display; prices use the exact coefficient.
    """
    return exact_coefficient(s0, s1, clause, s0_old_series=s0_old_series).quantize(
        Decimal(1).scaleb(-REPORTED_DECIMALS), rounding=ROUND_HALF_UP
    )


def round_price(amount: Decimal, decimals: int = 2) -> Decimal:
    """``amount`` rounded half-up (away from zero on a tie) to ``decimals`` places: 1027.775 → 1027.78."""
    with localcontext() as ctx:
        ctx.prec = PRECISION
        return amount.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def revised_price(
    p0: Decimal, s0: Decimal, s1: Decimal, clause: RevisionClause, *, s0_old_series: bool = False
) -> Decimal:
    """``P1 = P0 × C``, ``C`` exact, rounded per the clause: 1 000.00 with 306.0 → 314.5 → 1 027.78."""
    coef = exact_coefficient(s0, s1, clause, s0_old_series=s0_old_series)
    with localcontext() as ctx:
        ctx.prec = PRECISION
        return round_price(p0 * coef, clause.decimals)


def revise_prices(
    prices: Mapping[str, Decimal], s0: Decimal, s1: Decimal, clause: RevisionClause, *, s0_old_series: bool = False
) -> dict[str, Decimal]:
    """A whole price schedule revised (fee, rates, block price, catalogue prices…), key by key, each rounded
    on its own per the clause; the keys and their order are kept."""
    coef = exact_coefficient(s0, s1, clause, s0_old_series=s0_old_series)
    with localcontext() as ctx:
        ctx.prec = PRECISION
        return {key: round_price(price * coef, clause.decimals) for key, price in prices.items()}


def _month_number(day: date) -> int:
    return day.year * 12 + day.month - 1


def s1_month(clause: RevisionClause, revision_date: date, *, latest_published: date | None = None) -> date:
    """First day of the month of the index S1 for a revision on ``revision_date``.

    S1's month is ``reference_month + k × index_period_months`` for the largest ``k ≥ 1`` that is not
    after the month before ``revision_date`` (revision 1 Jan 2027, reference Oct 2025, 12 months →
    Oct 2026), nor after ``latest_published`` (the month of the latest value published, when given:
    the Syntec index comes out about a month after its month). ``ValueError`` when no such month exists
    yet (revision too early, or S1 not published yet: the revision waits).
    """
    _check(clause)
    cutoff = _month_number(revision_date) - 1
    if latest_published is not None:
        cutoff = min(cutoff, _month_number(latest_published))
    periods = (cutoff - _month_number(clause.reference_month)) // clause.index_period_months
    if periods < 1:
        raise ValueError("No index value a whole index period after the reference month is available yet.")
    return add_months(clause.reference_month, periods * clause.index_period_months)


def next_revision_date(start: date, clause: RevisionClause, after: date) -> date:
    """The first revision date strictly after ``after``, for a contract starting on ``start``.

    * ``revision_month`` ``None``: the contract's anniversaries every ``revision_period_months``
      (``anniversary(start, k × period)``, k ≥ 1; same month rule as the terms: a start on 29 Feb 2028
      is revised on 1 Mar 2029).
    * ``revision_month`` set: the 1st of that month strictly after ``start``, then every
      ``revision_period_months`` (start 15 Mar 2026, January, 12 → 1 Jan 2027, 1 Jan 2028…).
    """
    _check(clause)
    period = clause.revision_period_months
    if clause.revision_month is None:
        base, first = start, 1
    else:
        base = date(start.year, clause.revision_month, 1)
        base, first = (base if base > start else add_months(base, 12)), 0
    k = max(first, (_month_number(after) - _month_number(base) - 1) // period)
    while (candidate := anniversary(base, k * period)) <= after:
        k += 1
    return candidate
