"""Late-payment penalties, with figures computed by hand (DOMAIN.md: amount incl. VAT × rate × days / 365)."""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given
from hypothesis import strategies as st

from pacte.billing.penalties import (
    RECOVERY_INDEMNITY,
    late_penalty,
    late_penalty_schedule,
    legal_interest_rate,
    penalty_rate_for,
)

D = Decimal
DUE = datetime.date(2026, 2, 14)


def days(n: int) -> datetime.date:
    return DUE + datetime.timedelta(days=n)


def test_the_domain_example_30_days_late():
    """1 336.50 × 12.15 % × 30 / 365 = 4 871.5425 / 365 = 13.3467… → 13.35 €, + 40 € for a professional."""
    penalty = late_penalty(D("1336.50"), D("12.15"), DUE, days(30))
    assert (penalty.days, penalty.interest, penalty.indemnity, penalty.total) == (
        30,
        D("13.35"),
        D("40.00"),
        D("53.35"),
    )


def test_paid_on_the_due_date_costs_nothing_and_the_day_after_costs_one_day():
    assert late_penalty(D("1336.50"), D("12.15"), DUE, DUE).total == D("0.00")
    assert late_penalty(D("1336.50"), D("12.15"), DUE, days(-3)).total == D("0.00")
    one = late_penalty(D("1336.50"), D("12.15"), DUE, days(1))
    # 1 336.50 × 0.1215 / 365 = 0.44488… → 0.44 €; and the indemnity: it was paid late.
    assert (one.days, one.interest, one.indemnity) == (1, D("0.44"), RECOVERY_INDEMNITY)


def test_a_client_that_is_not_a_professional_owes_no_indemnity():
    penalty = late_penalty(D("1336.50"), D("2.62"), DUE, days(30), professional=False)
    # 1 336.50 × 2.62 % × 30 / 365 = 1 050.489 / 365 = 2.8780… → 2.88 €
    assert (penalty.interest, penalty.indemnity, penalty.total) == (D("2.88"), D("0.00"), D("2.88"))


def test_partial_payments_charge_each_period_on_what_stayed_unpaid():
    """1 200 € due 14 Feb: 600 € paid 30 days late, 600 € 30 days after that.

    1 200 × 12.15 % × 30 / 365 = 11.98356…, then 600 × 12.15 % × 30 / 365 = 5.99178…: 17.97534… → 17.98 €.
    """
    penalty = late_penalty_schedule(
        D("1200.00"), D("12.15"), DUE, payments=[(days(60), D("600.00")), (days(30), D("600.00"))], until=days(60)
    )
    assert (penalty.days, penalty.interest, penalty.indemnity) == (60, D("17.98"), D("40.00"))


def test_payments_before_the_due_date_and_credit_notes_lower_the_base_from_the_start():
    # 1 200 − 120 credited − 80 paid on time = 1 000 € late for 10 days: 1 000 × 12.15 % × 10 / 365 = 3.3287… → 3.33 €.
    penalty = late_penalty_schedule(
        D("1200.00"),
        D("12.15"),
        DUE,
        payments=[(DUE, D("80.00")), (days(10), D("1000.00"))],
        until=days(10),
        credited=D("120.00"),
    )
    assert penalty.interest == D("3.33")
    # Paid in full on time: nothing at all, no indemnity.
    on_time = late_penalty_schedule(D("1200.00"), D("12.15"), DUE, payments=[(days(-1), D("1200.00"))], until=days(40))
    assert (on_time.interest, on_time.indemnity) == (D("0.00"), D("0.00"))


def test_an_unpaid_invoice_accrues_until_today_and_later_payments_are_not_known_yet():
    penalty = late_penalty_schedule(D("1336.50"), D("12.15"), DUE, payments=[(days(45), D("1336.50"))], until=days(30))
    assert penalty.interest == D("13.35")


def test_rates():
    assert legal_interest_rate(datetime.date(2026, 3, 1)) == D("2.62")
    assert legal_interest_rate(datetime.date(2025, 8, 31)) == D("2.76")
    assert legal_interest_rate(datetime.date(2031, 1, 1)) == D("2.62")  # the last known one
    assert penalty_rate_for(professional=True, invoice_rate=D("12.15"), due_date=DUE) == D("12.15")
    assert penalty_rate_for(professional=False, invoice_rate=D("12.15"), due_date=DUE) == D("2.62")
    assert penalty_rate_for(professional=True, invoice_rate=None, due_date=DUE) == D("12.15")  # ECB 2.15 + 10


@given(
    amount=st.decimals(min_value=D("0.01"), max_value=D("1000000"), places=2),
    rate=st.decimals(min_value=D("0.01"), max_value=D("30"), places=2),
    late=st.integers(min_value=0, max_value=2000),
    split=st.integers(min_value=1, max_value=2000),
)
def test_one_payment_is_the_formula_and_paying_earlier_never_costs_more(amount, rate, late, split):
    penalty = late_penalty(amount, rate, DUE, days(late))
    assert penalty.interest == (amount * rate * late / 36500).quantize(D("0.01"), rounding=ROUND_HALF_UP)
    half = (amount / 2).quantize(D("0.01"))
    earlier = late_penalty_schedule(
        amount, rate, DUE, payments=[(days(min(split, late)), half), (days(late), amount - half)], until=days(late)
    )
    assert earlier.interest <= penalty.interest
