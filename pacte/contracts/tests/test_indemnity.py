"""Early-termination indemnity (pacte.contracts.indemnity): remaining fees, proration, percentage, properties."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pacte.contracts.dates import term_last_day
from pacte.contracts.indemnity import Indemnity, early_termination_indemnity, remaining_fees

D = date
Q = Decimal
FAST = settings(max_examples=200, deadline=None)
YEAR_START, YEAR_END = D(2026, 1, 1), D(2026, 12, 31)


def _remaining(fee: str, period: str, end: date, **kwargs: object) -> Indemnity:
    options: dict[str, object] = {"term_start": YEAR_START, "term_last_day": YEAR_END, **kwargs}
    return early_termination_indemnity(
        options.pop("rule", "remaining_fees"),  # type: ignore[arg-type]
        fee=Q(fee),
        period=period,  # type: ignore[arg-type]
        end_date=end,
        **options,  # type: ignore[arg-type]
    )


def test_monthly_fee_whole_months_plus_a_prorated_one() -> None:
    # 16–30 Jun: 15/30 of 100.00 = 50.00; Jul–Dec: 6 × 100.00.
    result = _remaining("100.00", "month", D(2026, 6, 15))
    assert result == Indemnity(Q("650.00"), D(2026, 6, 16), YEAR_END, "remaining_fees", True)


def test_quarterly_fee() -> None:
    # 11 Feb – 31 Mar: 49 of the quarter's 90 days × 300.00 = 163.33…; Q2–Q4: 900.00.
    assert _remaining("300.00", "quarter", D(2026, 2, 10)).amount == Q("1063.33")


def test_yearly_fee() -> None:
    # 1 Jul – 31 Dec: 184 of 365 days × 1 200.00 = 604.93
    assert _remaining("1200.00", "year", D(2026, 6, 30)).amount == Q("604.93")


def test_periods_aligned_on_the_term_start() -> None:
    # Term 15 Mar 2026 – 14 Mar 2027; period 15 Mar – 14 Apr (31 days): 25 days left → 80.645…; 11 more months.
    result = _remaining("100.00", "month", D(2026, 3, 20), term_start=D(2026, 3, 15), term_last_day=D(2027, 3, 14))
    assert result.amount == Q("1180.65")
    # Periods from 31 Jan: 31 Jan–28 Feb (29 days), 1–30 Mar, 31 Mar–30 Apr; 15–28 Feb is 14/29 of a month.
    result = _remaining(
        "100.00", "month", D(2026, 2, 14), term_start=D(2026, 1, 31), term_last_day=term_last_day(D(2026, 1, 31), 3)
    )
    assert result.amount == Q("248.28")
    assert result.remaining_to == D(2026, 4, 30)


def test_cents_rounded_half_up() -> None:
    # 16–30 Jun: 15/30 × 0.01 = 0.005 → 0.01 (half-up, not half-even)
    result = _remaining("0.01", "month", D(2026, 6, 15), term_start=D(2026, 6, 1), term_last_day=D(2026, 6, 30))
    assert result.amount == Q("0.01")
    assert _remaining("100.00", "month", D(2026, 12, 30)).amount == Q("3.23")  # 1/31 of 100.00


def test_percentage_of_remaining() -> None:
    result = _remaining("100.00", "month", D(2026, 6, 15), rule="percentage_of_remaining", percentage=Q("50"))
    assert result == Indemnity(Q("325.00"), D(2026, 6, 16), YEAR_END, "percentage_of_remaining", True)
    assert _remaining("100.00", "month", D(2026, 6, 15), rule="percentage_of_remaining", percentage=Q("0")).amount == 0


def test_nothing_owed() -> None:
    none = _remaining("100.00", "month", D(2026, 6, 15), rule="none")
    assert none == Indemnity(Q("0.00"), None, None, "no_indemnity_clause", False)
    indefinite = _remaining("100.00", "month", D(2026, 6, 15), term_last_day=None)
    assert indefinite == Indemnity(Q("0.00"), None, None, "indefinite_term", False)
    for end in (YEAR_END, D(2027, 2, 1)):
        assert _remaining("100.00", "month", end) == Indemnity(Q("0.00"), None, None, "no_remaining_term", False)


def test_end_before_the_term_owes_the_whole_term() -> None:
    result = _remaining("100.00", "month", D(2025, 12, 1))
    assert (result.amount, result.remaining_from) == (Q("1200.00"), YEAR_START)


@pytest.mark.parametrize("percentage", [None, Q("-1"), Q("150")])
def test_percentage_needed_and_in_range(percentage: Decimal | None) -> None:
    with pytest.raises(ValueError):
        _remaining("100.00", "month", D(2026, 6, 15), rule="percentage_of_remaining", percentage=percentage)


def test_invalid_values() -> None:
    with pytest.raises(ValueError):
        _remaining("-1", "month", D(2026, 6, 15))
    with pytest.raises(ValueError):
        _remaining("100", "week", D(2026, 6, 15))
    with pytest.raises(ValueError):
        remaining_fees(Q(100), "month", periods_from=D(2026, 1, 1), first_day=D(2025, 12, 31), last_day=YEAR_END)


# --- properties -----------------------------------------------------------------------------------------

starts = st.dates(min_value=D(2000, 1, 1), max_value=D(2100, 12, 31))
fees = st.decimals(min_value=Q("0"), max_value=Q("100000"), places=2)
periods = st.sampled_from([("month", 1), ("quarter", 3), ("year", 12)])


@FAST
@given(starts, fees, periods, st.integers(1, 5))
def test_a_whole_term_is_its_whole_fees(start: date, fee: Decimal, period: tuple[str, int], count: int) -> None:
    name, months = period
    last = term_last_day(start, months * count)
    total = remaining_fees(fee, name, periods_from=start, first_day=start, last_day=last)  # type: ignore[arg-type]
    assert total == fee * count


@FAST
@given(starts, fees, periods, st.integers(1, 36), st.integers(0, 1200), st.integers(0, 1200))
def test_remaining_fees_add_up_and_decrease(
    start: date, fee: Decimal, period: tuple[str, int], months: int, a: int, b: int
) -> None:
    name = period[0]
    last = term_last_day(start, months)
    length = (last - start).days
    first, split = sorted((start + timedelta(days=a % (length + 1)), start + timedelta(days=b % (length + 1))))

    def fees_between(x: date, y: date) -> Decimal:
        if x > y:
            return Q(0)
        return remaining_fees(fee, name, periods_from=start, first_day=x, last_day=y)  # type: ignore[arg-type]

    whole = fees_between(first, last)
    parts = fees_between(first, split) + fees_between(split + timedelta(days=1), last)
    assert abs(whole - parts) <= Q("1e-20")
    early = _remaining(str(fee), name, first - timedelta(days=1), term_start=start, term_last_day=last)
    late = _remaining(str(fee), name, split, term_start=start, term_last_day=last)
    assert late.amount <= early.amount
    assert Q(0) <= early.amount <= fee * (months // period[1] + 1)
