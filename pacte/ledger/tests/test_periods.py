"""Periods of a contract: calendar periods, proration, allowances, the close (overage, expiry), the nightly job."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from pacte.contracts.models import Contract
from pacte.jobs.registry import periodic_jobs
from pacte.ledger import periods
from pacte.ledger.models import Movement, MovementKind
from pacte.ledger.tests.helpers_l3 import balance, consume, fixed_fee_contract, kinds
from pacte.servicedesk.tests.helpers import contract_in_force

D = Decimal
day = datetime.date


# Calendar periods and proration (pure) -----------------------------------------------------------


def test_calendar_periods_are_aligned_on_the_calendar():
    assert periods.calendar_period("month", day(2026, 2, 14)) == (day(2026, 2, 1), day(2026, 2, 28))
    assert periods.calendar_period("quarter", day(2026, 5, 31)) == (day(2026, 4, 1), day(2026, 6, 30))
    assert periods.calendar_period("quarter", day(2026, 12, 1)) == (day(2026, 10, 1), day(2026, 12, 31))
    assert periods.calendar_period("year", day(2028, 2, 29)) == (day(2028, 1, 1), day(2028, 12, 31))


def test_worked_example_2_proration_by_calendar_days():
    # 900.00 € a month starting on 10 November 2026 → 21/30 of November → 630.00 €.
    assert periods.prorate(D("900.00"), "month", day(2026, 11, 10), day(2026, 11, 30)) == D("630.00")
    # A whole period is not prorated; hours follow the same rule, to the hundredth.
    assert periods.prorate(D("900.00"), "month", day(2026, 11, 1), day(2026, 11, 30)) == D("900.00")
    assert periods.prorate(D("10"), "month", day(2026, 11, 10), day(2026, 11, 30)) == D("7.00")
    # 10 h over 1–15 February 2026 (15/28) = 5.357… → 5.36 h; a quarter cut at its end: 91 days.
    assert periods.prorate(D("10"), "month", day(2026, 2, 1), day(2026, 2, 15)) == D("5.36")
    assert periods.prorate(D("2700"), "quarter", day(2026, 1, 1), day(2026, 1, 31)) == D("930.00")
    with pytest.raises(ValueError):
        periods.prorate(D("900"), "month", day(2026, 11, 10), day(2026, 12, 1))


# Allowance ---------------------------------------------------------------------------------------


def test_allowance_of_a_whole_month_snapshots_the_terms(tenant):
    contract = fixed_fee_contract(tenant, start=day(2026, 1, 1))
    movement = periods.allowance_post(contract, day(2026, 3, 1))
    assert movement is not None
    assert (movement.kind, movement.quantity, movement.billable, movement.amount) == ("allowance", D(10), False, None)
    assert movement.key == f"period:{contract.pk}:2026-03-01:allowance"
    assert (movement.period_start, movement.period_end, movement.service_date) == (
        day(2026, 3, 1),
        day(2026, 3, 31),
        day(2026, 3, 1),
    )
    assert movement.rule["billing_model"] == "fixed_fee"
    assert movement.rule["rounding_unit_minutes"] == 15
    assert movement.account.unit == "hours"
    # Any day of the period names the same period: posted once.
    assert periods.allowance_post(contract, day(2026, 3, 17)) == movement
    assert Movement.objects.filter(contract=contract).count() == 1


def test_allowance_prorated_for_a_contract_starting_mid_month(tenant):
    contract = fixed_fee_contract(tenant, start=day(2026, 11, 10))
    movement = periods.allowance_post(contract, day(2026, 11, 10))
    assert movement is not None
    assert movement.quantity == D("7.00")  # 10 h × 21/30
    assert movement.key == f"period:{contract.pk}:2026-11-10:allowance"
    assert (movement.period_start, movement.period_end) == (day(2026, 11, 10), day(2026, 11, 30))
    assert movement.detail["prorated"] is True
    assert (movement.detail["days"], movement.detail["period_days"]) == (21, 30)
    # The next month is whole again.
    assert periods.allowance_post(contract, day(2026, 12, 1)).quantity == D(10)  # type: ignore[union-attr]


def test_last_period_is_cut_by_the_contract_end(tenant):
    contract = fixed_fee_contract(tenant, start=day(2026, 1, 1))
    Contract.objects.filter(pk=contract.pk).update(status="notice_given", end_date=day(2026, 6, 15))
    contract.refresh_from_db()
    movement = periods.allowance_post(contract, day(2026, 6, 1))
    assert movement is not None
    assert movement.quantity == D("5.00")  # 15/30
    assert movement.period_end == day(2026, 6, 15)
    assert periods.allowance_post(contract, day(2026, 7, 1)) is None  # after the end: no period
    assert [p.start for p in periods.contract_periods(contract, day(2027, 1, 1))][-1] == day(2026, 6, 1)


def test_no_allowance_without_an_included_quantity(tenant):
    contract = contract_in_force(tenant, start=day(2026, 1, 1))  # 900 € a month, nothing included
    assert periods.allowance_post(contract, day(2026, 1, 1)) is None
    tm = contract_in_force(
        tenant, start=day(2026, 1, 1), billing_model={"kind": "time_and_materials", "labour_rate": "80"}
    )
    assert periods.allowance_post(tm, day(2026, 1, 1)) is None
    assert periods.period_close(tm, day(2026, 1, 1)) == []
    assert not Movement.objects.exists()


# Close -------------------------------------------------------------------------------------------


def test_worked_example_1_overage_through_real_consumption(tenant):
    contract = fixed_fee_contract(tenant, start=day(2026, 1, 1))
    periods.allowance_post(contract, day(2026, 10, 1))
    # The month's rounded entries: 12 h 15 in all (posted as the consumption poster posts them).
    for when, hours in ((day(2026, 10, 2), "4.25"), (day(2026, 10, 14), "5.00"), (day(2026, 10, 31), "3.00")):
        consume(contract, when, hours)
    consume(contract, day(2026, 11, 2), "1.00")  # next month's: not this period's
    closed = periods.period_close(contract, day(2026, 10, 1))
    assert len(closed) == 1
    overage = closed[0]
    assert (overage.kind, overage.quantity, overage.amount, overage.billable) == (
        "overage",
        D("2.25"),
        D("213.75"),
        True,
    )
    assert overage.key == f"period:{contract.pk}:2026-10-01:overage"
    assert overage.service_date == day(2026, 10, 31)
    assert D(overage.detail["consumed"]) == D("12.25")
    assert overage.rule["overage"]["rate"] == "95.00"
    # The period's balance is back to 0; the fee and the overage make the invoice's 1 113.75 € excl. VAT.
    october = Movement.objects.filter(contract=contract, service_date__month=10)
    assert sum(m.quantity for m in october) == 0
    assert D("900.00") + overage.amount == D("1113.75")
    assert balance(contract) == D("-1.00")  # only November's consumption is left


def test_period_close_twice_changes_nothing(tenant):
    contract = fixed_fee_contract(tenant, start=day(2026, 1, 1))
    periods.allowance_post(contract, day(2026, 4, 1))
    consume(contract, day(2026, 4, 10), "11.5")
    first = periods.period_close(contract, day(2026, 4, 1))
    snapshot = kinds(contract)
    second = periods.period_close(contract, day(2026, 4, 30))
    assert [m.pk for m in second] == [m.pk for m in first]
    assert kinds(contract) == snapshot
    assert snapshot[-1] == ("overage", D("1.5"))


def test_unused_allowance_expires_without_rollover(tenant):
    contract = fixed_fee_contract(tenant, start=day(2026, 1, 1))
    periods.allowance_post(contract, day(2026, 2, 1))
    consume(contract, day(2026, 2, 3), "6.75")
    [expiry] = periods.period_close(contract, day(2026, 2, 1))
    assert (expiry.kind, expiry.quantity, expiry.billable, expiry.amount) == ("expiry", D("-3.25"), False, None)
    assert expiry.key == f"period:{contract.pk}:2026-02-01:expiry"
    assert balance(contract) == 0
    assert periods.period_close(contract, day(2026, 2, 1)) == [expiry]
    # Nothing rolls into March.
    assert periods.allowance_post(contract, day(2026, 3, 1)).quantity == D(10)  # type: ignore[union-attr]


def test_exact_use_closes_with_nothing(tenant):
    contract = fixed_fee_contract(tenant, start=day(2026, 1, 1))
    periods.allowance_post(contract, day(2026, 5, 1))
    consume(contract, day(2026, 5, 9), "10")
    assert periods.period_close(contract, day(2026, 5, 1)) == []
    assert balance(contract) == 0


# Overage policy ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("policy", "expected"), [("allow", "ok"), ("warn", "warn"), ("block", "blocked")])
def test_overage_state_follows_the_policy_once_the_allowance_is_used(tenant, policy, expected):
    contract = fixed_fee_contract(tenant, start=day(2026, 1, 1), policy=policy)
    periods.allowance_post(contract, day(2026, 6, 1))
    consume(contract, day(2026, 6, 2), "9.75")
    assert periods.overage_state(contract, day(2026, 6, 20)) == "ok"
    consume(contract, day(2026, 6, 3), "0.25")
    assert periods.overage_state(contract, day(2026, 6, 20)) == expected
    assert periods.overage_state(contract, datetime.datetime(2026, 6, 20, 9, tzinfo=datetime.UTC)) == expected
    # The next period starts afresh.
    periods.allowance_post(contract, day(2026, 7, 1))
    assert periods.overage_state(contract, day(2026, 7, 1)) == "ok"


# The nightly job ---------------------------------------------------------------------------------


def test_the_job_posts_allowances_and_closes_ended_periods_once(tenant):
    contract = fixed_fee_contract(tenant, start=day(2026, 1, 10))
    other = fixed_fee_contract(tenant, start=day(2026, 1, 1), policy="block")
    consume(contract, day(2026, 1, 20), "8")
    first = periods.periods_run(day(2026, 2, 1))
    assert first["posted"] == 3 + 3  # each: January allowance and close, February allowance
    assert kinds(contract) == [
        ("allowance", D("7.10")),  # 10 h × 22/31
        ("consumption", D("-8")),
        ("overage", D("0.90")),
        ("allowance", D(10)),
    ]
    snapshot = list(Movement.objects.order_by("id").values_list("key", "quantity"))
    second = periods.periods_run(day(2026, 2, 1))
    assert second["posted"] == 0
    assert list(Movement.objects.order_by("id").values_list("key", "quantity")) == snapshot
    # A missed night is caught up: the next run closes February and opens March.
    periods.periods_run(day(2026, 3, 2))
    assert Movement.objects.filter(contract=other, kind=MovementKind.EXPIRY).count() == 2
    assert Movement.objects.filter(contract=other, kind=MovementKind.ALLOWANCE).count() == 3


def test_the_jobs_are_registered_nightly():
    names = {spec.name: spec for spec in periodic_jobs()}
    assert {"ledger.periods", "ledger.blocks_expire"} <= set(names)
    assert names["ledger.periods"].cadence.at == datetime.time(1, 30)
    assert names["ledger.blocks_expire"].cadence.at == datetime.time(1, 40)


def test_the_periodic_task_runs_through_the_worker(tenant, run_jobs):
    from pacte.ledger.tasks import ledger_periods

    today = datetime.date.today()  # noqa: DTZ011 — the task reads the real day
    contract = fixed_fee_contract(tenant, start=today.replace(day=1) - datetime.timedelta(days=40))
    ledger_periods.enqueue()
    ledger_periods.enqueue()
    run_jobs()
    allowances = Movement.objects.filter(contract=contract, kind=MovementKind.ALLOWANCE)
    assert allowances.count() == 2  # the month before and this one
    assert Movement.objects.filter(contract=contract, kind=MovementKind.EXPIRY).count() == 1
