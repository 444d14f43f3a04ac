"""Posting signed sheets and ticket time to the ledger, once, per billing model.

Worked example 5 (TERMS.md) end to end: a real sheet signed with the seal, its event delivered by
the job runner, posts 165.00 € on a time-and-materials contract.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from pacte.events.models import Delivery, Event
from pacte.interventions.models import Intervention
from pacte.interventions.tests import helpers
from pacte.ledger import posting, selectors
from pacte.ledger.models import Account, Movement, Unit
from pacte.ledger.tasks import post_ticket_time
from pacte.ledger.tests import builders

pytestmark = pytest.mark.django_db


def sheet_movements(sheet: Intervention) -> dict[str, Movement]:
    return {m.key: m for m in Movement.objects.filter(source_kind="sheet", source_id=str(sheet.pk))}


def signed(tenant, run_jobs, *, terms, hour=19, minutes=40, **kwargs) -> Intervention:
    contract = helpers.covered_contract(tenant, **terms)
    day = builders.recent_weekday()
    sheet = builders.done_sheet(tenant, contract=contract, start=builders.paris(day, hour), minutes=minutes, **kwargs)
    sheet = builders.sign(tenant, sheet)
    run_jobs()
    return sheet


# Worked example 5, through a real signature -------------------------------------------------------------


def test_worked_example_5_a_signed_time_and_materials_sheet_posts_165_euros(tenant, seal, run_jobs):
    sheet = signed(tenant, run_jobs, terms=builders.TIME_AND_MATERIALS, travel_zone="Z1")
    movements = sheet_movements(sheet)
    assert list(movements) == [f"sheet:{sheet.pk}:charge"]
    charge = movements[f"sheet:{sheet.pk}:charge"]
    assert charge.amount == Decimal("165.00") and charge.billable
    assert charge.quantity == Decimal("-165.00") and charge.account.unit == Unit.EUROS
    assert charge.service_date == builders.recent_weekday()
    assert charge.detail["labour"]["minutes_charged"] == 60
    assert charge.detail["labour"]["amount"] == "120.00" and charge.detail["travel"]["fee"] == "45.00"
    assert (
        charge.rule["billing_model"] == "time_and_materials" and charge.rule["minimum_minutes_per_intervention"] == 60
    )
    assert charge.rule["scope"]["in_scope"] is True
    assert (Delivery.objects.get(event__key=f"intervention.sheet_signed:{sheet.pk}").status) == "done"


def test_the_event_delivered_again_posts_nothing_more(tenant, seal, run_jobs):
    sheet = signed(tenant, run_jobs, terms=builders.TIME_AND_MATERIALS, travel_zone="Z1", part_price="129.00")
    before = sorted(Movement.objects.values_list("key", flat=True))
    assert before == sorted([f"sheet:{sheet.pk}:charge", f"sheet:{sheet.pk}:part:{sheet.parts.get().pk}"])
    event = Event.objects.get(kind=posting.SHEET_EVENT)
    # The handler itself, again (a redelivery), and the posting without the handler's guard, twice.
    from django.db import transaction

    from pacte.ledger.handlers import sheet_signed

    with transaction.atomic():
        sheet_signed(event)
    posting.sheet_signed(event)
    posting.sheet_signed(event)
    assert sorted(Movement.objects.values_list("key", flat=True)) == before
    part = Movement.objects.get(key=f"sheet:{sheet.pk}:part:{sheet.parts.get().pk}")
    assert part.amount == Decimal("258.00") and part.billable  # 2 × 129.00


# Billing models --------------------------------------------------------------------------------------------


def test_fixed_fee_with_included_hours_consumes_rounded_hours_without_multipliers(tenant, seal, run_jobs):
    sheet = signed(tenant, run_jobs, terms=builders.FIXED_FEE_HOURS, hour=19, minutes=50)
    (movement,) = sheet_movements(sheet).values()
    assert movement.key == f"sheet:{sheet.pk}:consumption"
    assert movement.account.unit == Unit.HOURS
    assert movement.quantity == Decimal("-1.0000")  # 50 min rounded up to 60; after hours changes money only
    assert not movement.billable and movement.amount is None
    assert selectors.balance(movement.account) == Decimal("-1.0000")


def test_fixed_fee_with_included_interventions_consumes_one(tenant, seal, run_jobs):
    sheet = signed(tenant, run_jobs, terms=builders.FIXED_FEE_INTERVENTIONS, hour=10)
    (movement,) = sheet_movements(sheet).values()
    assert movement.account.unit == Unit.INTERVENTIONS and movement.quantity == Decimal(-1)


def test_unlimited_tracks_hours_not_billable(tenant, seal, run_jobs):
    sheet = signed(tenant, run_jobs, terms=builders.UNLIMITED, hour=10, minutes=100)
    (movement,) = sheet_movements(sheet).values()
    assert movement.account.unit == Unit.HOURS and movement.quantity == Decimal("-1.7500")
    assert not movement.billable and movement.amount is None


def test_prepaid_credits_consume_the_block_account_with_the_minimum(tenant, seal, run_jobs):
    sheet = signed(tenant, run_jobs, terms=builders.PREPAID, hour=10, minutes=10)
    (movement,) = sheet_movements(sheet).values()
    assert movement.account.unit == "hours" and movement.quantity == Decimal("-0.5000")  # minimum 30 min
    assert movement.rule["prepaid"]["block_quantity"] == "20"


def test_a_catalogue_contract_posts_nothing_and_the_sheet_is_a_leak(tenant, seal, run_jobs):
    sheet = signed(tenant, run_jobs, terms=builders.PER_TASK, hour=10)
    assert sheet_movements(sheet) == {}
    report = selectors.leak_report(actor=tenant.manager)
    (line,) = report.unmatched
    assert line.problem == "no_rule" and line.source_id == str(sheet.pk)
    assert "catalogue" in line.reason.lower() or "catalogue" in line.reason


def test_a_sheet_without_contract_posts_nothing_and_is_reported(tenant, seal, run_jobs):
    day = builders.recent_weekday()
    sheet = builders.done_sheet(tenant, contract=None, start=builders.paris(day, 10), mode="remote")
    sheet = builders.sign(tenant, sheet)
    run_jobs()
    assert not Movement.objects.exists()
    (line,) = selectors.leak_report(actor=tenant.manager).unmatched
    assert line.problem == "no_contract" and line.reference == sheet.reference


# Corrections ------------------------------------------------------------------------------------------------


def test_a_correcting_sheet_reverses_the_corrected_one_then_posts_its_own(tenant, seal, run_jobs):
    first = signed(tenant, run_jobs, terms=builders.TIME_AND_MATERIALS, travel_zone="Z1", hour=10, minutes=40)
    charge = Movement.objects.get(key=f"sheet:{first.pk}:charge")
    assert charge.amount == Decimal("125.00")  # 60 min minimum × 80 €/h in hours + 45.00 travel
    start = builders.paris(builders.recent_weekday(), 10)
    correction = builders.done_sheet(
        tenant, contract=first.contract, start=start, minutes=90, corrects=first, travel_zone="Z1"
    )
    correction = builders.sign(tenant, correction)
    run_jobs()
    reversal = Movement.objects.get(key=f"sheet:{first.pk}:reversed-by:{correction.pk}:charge")
    assert reversal.quantity == -charge.quantity and reversal.amount == -charge.amount
    assert reversal.source_id == str(correction.pk) and reversal.service_date == charge.service_date
    own = Movement.objects.get(key=f"sheet:{correction.pk}:charge")
    assert own.amount == Decimal("165.00")  # 90 min × 80 €/h + 45.00
    euros = Account.objects.get(contract=first.contract, unit=Unit.EUROS)
    assert selectors.balance(euros) == Decimal("-165.00")


# Ticket time -------------------------------------------------------------------------------------------------


def test_ticket_time_is_posted_by_the_job_once_15_minutes_old(tenant, run_jobs):
    contract = helpers.covered_contract(tenant, **builders.FIXED_FEE_HOURS)
    day = builders.recent_weekday()
    entry = builders.ticket_entry(tenant, contract=contract, start=builders.paris(day, 9), minutes=20)
    assert posting.ticket_time_post_due() == {"posted": 0, "unpostable": 0}  # just logged: it waits
    builders.age(entry)
    assert post_ticket_time.call() == {"posted": 1, "unpostable": 0}
    movement = Movement.objects.get(key=f"time_entry:{entry.pk}:consumption")
    assert movement.quantity == Decimal("-0.5000")  # 20 min rounded up to 30, no minimum on ticket time
    assert movement.detail["ticket_id"] == entry.ticket_id
    assert posting.ticket_time_post_due() == {"posted": 0, "unpostable": 0}
    posting.ticket_time_post(entry)
    assert Movement.objects.filter(source_kind="time_entry").count() == 1


def test_the_job_finds_unposted_entries_in_a_bounded_number_of_queries(tenant, django_assert_max_num_queries):
    contract = helpers.covered_contract(tenant, **builders.TIME_AND_MATERIALS)
    day = builders.recent_weekday()
    entries = [
        builders.ticket_entry(tenant, contract=contract, start=builders.paris(day, 9 + i), minutes=20) for i in range(3)
    ]
    for entry in entries:
        builders.age(entry)
    with django_assert_max_num_queries(3):
        assert len(list(posting.unposted_ticket_entries(before=timezone.now()))) == 3
    assert posting.ticket_time_post_due()["posted"] == 3
    charges = Movement.objects.filter(source_kind="time_entry")
    assert {m.amount for m in charges} == {Decimal("40.00")}  # 20 min rounded up to 30 min × 80 €/h, in hours
