"""Price revision (pacte.contracts.revision): the Syntec figures of DOMAIN.md, the clause checks, properties."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal, localcontext
from math import gcd

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pacte.contracts.dates import add_months
from pacte.contracts.revision import (
    RevisionClause,
    clause_errors,
    coefficient,
    exact_coefficient,
    next_revision_date,
    revise_prices,
    revised_price,
    round_price,
    s1_month,
)

D = date
Q = Decimal
FAST = settings(max_examples=300, deadline=None)
TINY = Q("1e-30")
CLAUSE = RevisionClause("SYNTEC", D(2025, 10, 1))
S0, S1, P0 = Q("306.0"), Q("314.5"), Q("1000.00")


# --- the figures of DOMAIN.md ------------------------------------------------------------------------------


def test_ratio() -> None:
    assert coefficient(S0, S1, CLAUSE) == Q("1.027778")
    assert revised_price(P0, S0, S1, CLAUSE) == Q("1027.78")


def test_floor_zero_and_cap_two_percent() -> None:
    clause = replace(CLAUSE, floor=Q("0"), cap=Q("0.02"))
    assert coefficient(S0, S1, clause) == Q("1.020000")
    assert revised_price(P0, S0, S1, clause) == Q("1020.00")


def test_floor_five_percent() -> None:
    clause = replace(CLAUSE, floor=Q("0.05"))  # P1 = P0 × max(1.05, S1/S0)
    assert revised_price(P0, S0, S1, clause) == Q("1050.00")


def test_mixed_formula_by_hand() -> None:
    # a = 0.15, b = 0.85: 0.85 × 314.5 / 306 = 267.325 / 306 = 0.873611…; + 0.15 = 1.023611… → 1 023.61
    clause = replace(CLAUSE, formula="mixed", fixed_part=Q("0.15"))
    assert coefficient(S0, S1, clause) == Q("1.023611")
    assert revised_price(P0, S0, S1, clause) == Q("1023.61")
    capped = replace(clause, cap=Q("0.02"))
    assert revised_price(P0, S0, S1, capped) == Q("1020.00")


# --- precision, rounding, bounds ------------------------------------------------------------------------


def test_price_uses_the_exact_coefficient() -> None:
    assert revised_price(Q("1000000.00"), S0, S1, CLAUSE) == Q("1027777.78")  # not 1 027 778.00 (1.027778 ×)
    assert abs(exact_coefficient(S0, S1, CLAUSE) * Q("306.0") - Q("314.5")) < TINY


def test_rounding_half_up() -> None:
    assert round_price(Q("1027.775")) == Q("1027.78")
    assert round_price(Q("1027.765")) == Q("1027.77")
    assert round_price(Q("2.5"), 0) == Q("3")
    assert round_price(Q("-2.5"), 0) == Q("-3")
    assert revised_price(P0, S0, S1, replace(CLAUSE, decimals=0)) == Q("1028")
    assert revised_price(P0, S0, S1, replace(CLAUSE, decimals=4)) == Q("1027.7778")


def test_floor_stops_a_decrease() -> None:
    assert revised_price(P0, S0, Q("300"), CLAUSE) == Q("980.39")
    assert revised_price(P0, S0, Q("300"), replace(CLAUSE, floor=Q("0"))) == Q("1000.00")
    assert revised_price(P0, S0, Q("300"), replace(CLAUSE, floor=Q("-0.01"))) == Q("990.00")
    mixed = replace(CLAUSE, formula="mixed", fixed_part=Q("0.15"), floor=Q("0"))
    assert revised_price(P0, S0, Q("300"), mixed) == Q("1000.00")


def test_linking_coefficient_for_an_old_series_s0() -> None:
    clause = replace(CLAUSE, linking_coefficient=Q("0.97975"))
    # S0' = 280 × 0.97975 = 274.33 (new series); 290 / 274.33 = 1.057120…
    assert coefficient(Q("280"), Q("290"), clause, s0_old_series=True) == Q("1.057121")
    assert revised_price(P0, Q("280"), Q("290"), clause, s0_old_series=True) == Q("1057.12")
    # Not used when S0 is from the new series.
    assert revised_price(P0, S0, S1, clause) == Q("1027.78")
    with pytest.raises(ValueError):
        coefficient(Q("280"), Q("290"), CLAUSE, s0_old_series=True)


@pytest.mark.parametrize(("s0", "s1"), [(Q("0"), S1), (S0, Q("-1")), (Q("NaN"), S1)])
def test_index_values_must_be_positive(s0: Decimal, s1: Decimal) -> None:
    with pytest.raises(ValueError):
        coefficient(s0, s1, CLAUSE)


def test_revise_prices() -> None:
    prices = {"fee": Q("1000.00"), "labour_rate": Q("80.00"), "task:new_workstation": Q("180.00"), "zero": Q("0")}
    revised = revise_prices(prices, S0, S1, CLAUSE)
    assert revised == {
        "fee": Q("1027.78"),
        "labour_rate": Q("82.22"),
        "task:new_workstation": Q("185.00"),
        "zero": Q("0.00"),
    }
    assert list(revised) == list(prices)


# --- clause checks ---------------------------------------------------------------------------------------


def test_valid_clause() -> None:
    assert clause_errors(CLAUSE) == {}
    full = RevisionClause(
        "SYNTEC", D(2025, 10, 1), "mixed", Q("0.15"), Q("-0.05"), Q("0.03"), 12, 6, 1, 2, Q("0.97975")
    )
    assert clause_errors(full) == {}


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"index_code": " "}, {"index_code": "required"}),
        ({"reference_month": D(2025, 10, 15)}, {"reference_month": "not_first_of_month"}),
        ({"formula": "log"}, {"formula": "unknown"}),
        ({"formula": "mixed", "fixed_part": Q("1")}, {"fixed_part": "out_of_range"}),
        ({"formula": "mixed", "fixed_part": Q("-0.1")}, {"fixed_part": "out_of_range"}),
        ({"fixed_part": Q("0.15")}, {"fixed_part": "not_allowed_with_ratio"}),
        ({"floor": Q("0.05"), "cap": Q("0.02")}, {"floor": "floor_above_cap"}),
        ({"floor": Q("-1")}, {"floor": "out_of_range"}),
        ({"cap": Q("-1.5")}, {"cap": "out_of_range"}),
        ({"index_period_months": 13}, {"index_period_months": "longer_than_revision_period"}),
        ({"revision_period_months": 6}, {"index_period_months": "longer_than_revision_period"}),
        ({"revision_period_months": 0}, {"revision_period_months": "not_positive"}),
        ({"index_period_months": 0}, {"index_period_months": "not_positive"}),
        ({"revision_month": 13}, {"revision_month": "out_of_range"}),
        ({"revision_month": 0}, {"revision_month": "out_of_range"}),
        ({"decimals": 7}, {"decimals": "out_of_range"}),
        ({"linking_coefficient": Q("0")}, {"linking_coefficient": "not_positive"}),
    ],
)
def test_clause_errors(changes: dict[str, object], expected: dict[str, str]) -> None:
    clause = replace(CLAUSE, **changes)  # type: ignore[arg-type]
    assert clause_errors(clause) == expected
    with pytest.raises(ValueError):
        revised_price(P0, S0, S1, clause)


# --- which index month, which date ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "revision_date", "latest", "expected"),
    [
        ({}, D(2027, 1, 1), None, D(2026, 10, 1)),
        ({}, D(2026, 11, 1), None, D(2026, 10, 1)),
        ({}, D(2028, 1, 15), None, D(2027, 10, 1)),
        ({}, D(2027, 1, 1), D(2026, 11, 1), D(2026, 10, 1)),
        ({"index_period_months": 6}, D(2027, 1, 1), None, D(2026, 10, 1)),
        ({"reference_month": D(2025, 12, 1)}, D(2027, 1, 1), None, D(2026, 12, 1)),
    ],
)
def test_s1_month(changes: dict[str, object], revision_date: date, latest: date | None, expected: date) -> None:
    clause = replace(CLAUSE, **changes)  # type: ignore[arg-type]
    assert s1_month(clause, revision_date, latest_published=latest) == expected


def test_s1_month_not_available_yet() -> None:
    with pytest.raises(ValueError):  # the month before 1 Oct 2026 is Sep 2026: no whole year since Oct 2025
        s1_month(CLAUSE, D(2026, 10, 1))
    december = replace(CLAUSE, reference_month=D(2025, 12, 1))
    with pytest.raises(ValueError):  # Dec 2026's value is not published on 1 Jan 2027: the revision waits
        s1_month(december, D(2027, 1, 1), latest_published=D(2026, 11, 1))


@pytest.mark.parametrize(
    ("start", "changes", "after", "expected"),
    [
        (D(2026, 1, 1), {}, D(2026, 1, 1), D(2027, 1, 1)),
        (D(2026, 1, 1), {}, D(2026, 12, 31), D(2027, 1, 1)),
        (D(2026, 1, 1), {}, D(2027, 1, 1), D(2028, 1, 1)),
        (D(2026, 1, 1), {}, D(2020, 5, 5), D(2027, 1, 1)),
        (D(2028, 2, 29), {}, D(2028, 6, 1), D(2029, 3, 1)),
        (D(2028, 2, 29), {}, D(2031, 6, 1), D(2032, 2, 29)),
        (D(2026, 3, 15), {"revision_month": 1}, D(2026, 3, 15), D(2027, 1, 1)),
        (D(2026, 3, 15), {"revision_month": 1}, D(2027, 1, 1), D(2028, 1, 1)),
        (D(2026, 1, 1), {"revision_month": 1}, D(2026, 1, 1), D(2027, 1, 1)),
        (D(2025, 12, 31), {"revision_month": 1}, D(2025, 12, 31), D(2026, 1, 1)),
        (D(2026, 3, 15), {"revision_month": 7, "revision_period_months": 24}, D(2026, 8, 1), D(2028, 7, 1)),
        (D(2026, 3, 15), {"revision_period_months": 24}, D(2026, 3, 15), D(2028, 3, 15)),
    ],
)
def test_next_revision_date(start: date, changes: dict[str, object], after: date, expected: date) -> None:
    clause = replace(CLAUSE, **changes)  # type: ignore[arg-type]
    assert next_revision_date(start, clause, after) == expected


# --- properties -----------------------------------------------------------------------------------------

index_values = st.decimals(min_value=Q("50"), max_value=Q("900"), places=1)
fractions = st.decimals(min_value=Q("-0.2"), max_value=Q("0.2"), places=3)
prices = st.decimals(min_value=Q("0"), max_value=Q("1000000"), places=2)
clauses = (
    st.builds(
        RevisionClause,
        index_code=st.just("SYNTEC"),
        reference_month=st.just(D(2025, 10, 1)),
        formula=st.sampled_from(["ratio", "mixed"]),
        fixed_part=st.decimals(min_value=Q("0"), max_value=Q("0.5"), places=2),
        floor=st.none() | fractions,
        cap=st.none() | fractions,
    )
    .map(lambda c: c if c.formula == "mixed" else replace(c, fixed_part=Q(0)))
    .filter(lambda c: not clause_errors(c))
)


@FAST
@given(clauses, prices, index_values, index_values, index_values)
def test_revised_price_is_monotone_in_s1(
    clause: RevisionClause, p0: Decimal, s0: Decimal, a: Decimal, b: Decimal
) -> None:
    low, high = sorted((a, b))
    assert revised_price(p0, s0, low, clause) <= revised_price(p0, s0, high, clause)


@FAST
@given(clauses, prices, index_values, index_values)
def test_floor_and_cap_are_respected(clause: RevisionClause, p0: Decimal, s0: Decimal, s1: Decimal) -> None:
    coef = exact_coefficient(s0, s1, clause)
    price = revised_price(p0, s0, s1, clause)
    if clause.cap is not None:
        assert coef <= 1 + clause.cap
        assert price <= round_price(p0 * (1 + clause.cap))
    if clause.floor is not None:
        assert coef >= 1 + clause.floor
        assert price >= round_price(p0 * (1 + clause.floor))
    with localcontext() as ctx:
        ctx.prec = 34
        ratio = s1 / s0
        if clause.floor is None and clause.cap is None:  # mixed lies between 1 and S1/S0
            assert min(Q(1), ratio) - TINY <= coef <= max(Q(1), ratio) + TINY
    assert revise_prices({"x": p0}, s0, s1, clause) == {"x": price}
    assert abs(coefficient(s0, s1, clause) - coef) <= Q("0.0000005")


@FAST
@given(
    st.dates(min_value=D(2000, 1, 1), max_value=D(2100, 12, 31)),
    st.integers(0, 3000),
    st.none() | st.integers(1, 12),
    st.sampled_from([1, 3, 6, 12, 24]),
)
def test_next_revision_date_is_the_first_after(start: date, offset: int, month: int | None, period: int) -> None:
    clause = replace(CLAUSE, revision_month=month, revision_period_months=period, index_period_months=1)
    after = date.fromordinal(start.toordinal() - 400 + offset)
    revision = next_revision_date(start, clause, after)
    assert revision > after and revision > start
    earlier = next_revision_date(start, clause, date.fromordinal(revision.toordinal() - 1))
    assert earlier == revision
    if month is not None:
        assert revision.day == 1 and (revision.month - month) % gcd(period, 12) == 0


@FAST
@given(st.dates(min_value=D(2026, 11, 1), max_value=D(2100, 12, 31)), st.sampled_from([1, 3, 6, 12]))
def test_s1_month_is_the_latest_on_the_grid(revision_date: date, index_period: int) -> None:
    clause = replace(CLAUSE, index_period_months=index_period)
    month = s1_month(clause, revision_date)
    cutoff = add_months(revision_date.replace(day=1), -1)
    assert month.day == 1 and clause.reference_month < month <= cutoff
    assert add_months(month, index_period) > cutoff
    elapsed = (month.year - 2025) * 12 + month.month - 10
    assert elapsed % index_period == 0
