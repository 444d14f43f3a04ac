"""The ledger's invariants (issue 8, done-when #1 and #6), on random sequences (hypothesis).

- Balance = sum of movements, after any sequence of posts and adjustments.
- A source posted any number of times (and by two workers at once, on PostgreSQL) has one movement.
- Every posted movement leads to its source, or the leak report lists it ("posted, source gone").
- The leak report of a clean setup is empty, and lists an unposted entry as soon as one is added.
"""

from __future__ import annotations

import datetime
import threading
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pacte.interventions import services as sheet_services
from pacte.interventions.models import Intervention, TimeEntry
from pacte.interventions.tests import helpers
from pacte.ledger import posting, selectors, services
from pacte.ledger.models import Account, Movement, MovementKind, SourceKind
from pacte.ledger.tests import builders

pytestmark = pytest.mark.django_db

FAST = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

quantities = st.decimals(min_value=Decimal("-500"), max_value=Decimal("500"), places=2, allow_nan=False).filter(
    lambda q: q != 0
)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("post"), st.sampled_from(["hours", "euros"]), st.integers(0, 5), quantities),
        st.tuples(st.just("adjust"), st.sampled_from(["hours", "euros"]), st.just(0), quantities),
    ),
    min_size=1,
    max_size=12,
)


class Rollback(Exception):
    """Undo one example's writes (hypothesis runs many examples in one test's database)."""


def _post(contract, unit: str, source: int, quantity: Decimal):
    return services.movement_post(
        contract=contract,
        unit=unit,
        kind=MovementKind.CONSUMPTION,
        quantity=quantity,
        service_date=datetime.date(2026, 3, 2),
        source_kind=SourceKind.TIME_ENTRY,
        source_id=source,
        key=f"time_entry:{source}:{unit}",
        rule={"test": True},
    )


@FAST
@given(operations=operations)
def test_balance_is_the_sum_of_movements_and_a_key_posts_once(tenant, operations):
    try:
        with transaction.atomic():
            contract = helpers.contract_in_force(tenant, billing_model=builders.FIXED_FEE_HOURS["billing_model"])
            expected: dict[str, Decimal] = {}
            posted: dict[str, Decimal] = {}
            for action, unit, source, quantity in operations:
                if action == "post":
                    movement, created = _post(contract, unit, source, quantity)
                    key = f"time_entry:{source}:{unit}"
                    assert created == (key not in posted)
                    posted.setdefault(key, quantity)
                    assert movement.quantity == posted[key]  # the first posting stands
                    if created:
                        expected[unit] = expected.get(unit, Decimal(0)) + quantity
                else:
                    services.adjustment_post(
                        actor=tenant.manager, contract=contract, unit=unit, quantity=quantity, reason="Test"
                    )
                    expected[unit] = expected.get(unit, Decimal(0)) + quantity
                for account in Account.objects.filter(contract=contract):
                    total = sum(account.movements.values_list("quantity", flat=True), Decimal(0))
                    assert selectors.balance(account) == total == expected.get(account.unit, Decimal(0))
            shown = {a.unit: a.balance for a in selectors.account_list(actor=tenant.manager, contract=contract)}
            assert shown == {unit: total for unit, total in expected.items() if unit in shown}
            assert Movement.objects.values("key").distinct().count() == Movement.objects.count()
            raise Rollback
    except Rollback:
        pass


@FAST
@given(times=st.integers(min_value=1, max_value=6))
def test_a_ticket_entry_posted_any_number_of_times_has_one_movement(tenant, times):
    try:
        with transaction.atomic():
            contract = helpers.covered_contract(tenant, **builders.TIME_AND_MATERIALS)
            start = builders.paris(builders.recent_weekday(), 9)
            entry = builders.age(builders.ticket_entry(tenant, contract=contract, start=start, minutes=50))
            for _ in range(times):
                posting.ticket_time_post(entry)
                posting.ticket_time_post_due()
            (movement,) = Movement.objects.filter(source_kind=SourceKind.TIME_ENTRY)
            assert movement.amount == Decimal("80.00")  # 50 min → 60 min × 80 €/h, no minimum on ticket time
            raise Rollback
    except Rollback:
        pass


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_workers_posting_the_same_entry_at_once_post_it_once(tenant):
    contract = helpers.covered_contract(tenant, **builders.TIME_AND_MATERIALS)
    start = builders.paris(builders.recent_weekday(), 9)
    entry = builders.age(builders.ticket_entry(tenant, contract=contract, start=start, minutes=50))
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            barrier.wait(timeout=10)
            with transaction.atomic():
                posting.ticket_time_post(
                    TimeEntry.objects.select_related("contract", "client", "ticket").get(pk=entry.pk)
                )
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert Movement.objects.filter(source_kind=SourceKind.TIME_ENTRY, source_id=str(entry.pk)).count() == 1
    (account,) = Account.objects.filter(contract=contract)
    assert selectors.balance(account) == Decimal("-80.00")


# Sources and the leak report -----------------------------------------------------------------------------


def _sources_exist_or_are_reported(actor) -> None:
    gone = {line.movement_key for line in selectors.leak_report(actor=actor).source_gone}
    for movement in Movement.objects.filter(source_kind__in=[SourceKind.SHEET, SourceKind.TIME_ENTRY]):
        model = Intervention if movement.source_kind == SourceKind.SHEET else TimeEntry
        exists = model.objects.filter(pk=int(movement.source_id)).exists()
        assert exists != (movement.key in gone), movement.key
        if exists:
            assert selectors.source_url(movement), movement.key


def test_every_movement_leads_to_its_source_or_is_reported(tenant, seal, run_jobs):
    contract = helpers.covered_contract(tenant, **builders.TIME_AND_MATERIALS)
    day = builders.recent_weekday()
    sheet = builders.done_sheet(tenant, contract=contract, start=builders.paris(day, 19), travel_zone="Z1")
    builders.sign(tenant, sheet)
    run_jobs()
    first = builders.age(builders.ticket_entry(tenant, contract=contract, start=builders.paris(day, 9), minutes=20))
    second = builders.age(builders.ticket_entry(tenant, contract=contract, start=builders.paris(day, 10), minutes=20))
    assert posting.ticket_time_post_due()["posted"] == 2
    _sources_exist_or_are_reported(tenant.manager)
    assert selectors.leak_report(actor=tenant.manager).source_gone == []
    # The technician deletes an entry already posted (the ticket is still open): the movement stays, reported.
    sheet_services.time_entry_delete(actor=tenant.manager, entry=second)
    _sources_exist_or_are_reported(tenant.manager)
    (line,) = selectors.leak_report(actor=tenant.manager).source_gone
    assert line.movement_key == f"time_entry:{second.pk}:charge" and line.problem == "source_gone"
    assert TimeEntry.objects.filter(pk=first.pk).exists()


def test_the_leak_report_of_a_clean_setup_is_empty_then_shows_an_unposted_entry(tenant, seal, run_jobs):
    contract = helpers.covered_contract(tenant, **builders.FIXED_FEE_HOURS)
    day = builders.recent_weekday()
    sheet = builders.done_sheet(tenant, contract=contract, start=builders.paris(day, 10))
    builders.sign(tenant, sheet)
    run_jobs()
    builders.age(builders.ticket_entry(tenant, contract=contract, start=builders.paris(day, 14), minutes=30))
    posting.ticket_time_post_due()
    report = selectors.leak_report(actor=tenant.manager)
    assert report.is_empty, report.lines
    # A test adds an entry: it is listed at once, waiting for the posting job.
    entry = builders.ticket_entry(tenant, contract=contract, start=builders.paris(day, 15), minutes=30)
    (line,) = selectors.leak_report(actor=tenant.manager).unposted
    assert (line.source_kind, line.source_id, line.problem) == ("time_entry", str(entry.pk), "not_posted")
    assert "15" in line.reason
    # Still not posted once older than 15 minutes (the job has not run): listed, and the job clears it.
    builders.age(entry)
    (line,) = selectors.leak_report(actor=tenant.manager).unposted
    assert line.source_id == str(entry.pk)
    posting.ticket_time_post_due()
    assert selectors.leak_report(actor=tenant.manager).is_empty


def test_the_leak_report_lists_work_matching_no_contract_or_no_rule(tenant):
    day = builders.recent_weekday()
    no_contract = builders.age(builders.ticket_entry(tenant, contract=None, start=builders.paris(day, 9)))
    per_task = helpers.covered_contract(tenant, **builders.PER_TASK)
    no_rule = builders.age(builders.ticket_entry(tenant, contract=per_task, start=builders.paris(day, 11)))
    assert posting.ticket_time_post_due() == {"posted": 0, "unpostable": 1}
    report = selectors.leak_report(actor=tenant.manager)
    problems = {line.source_id: line.problem for line in report.unmatched}
    assert problems == {str(no_contract.pk): "no_contract", str(no_rule.pk): "no_rule"}
    assert report.unposted == []


def test_a_signed_sheet_whose_posting_is_queued_or_failed_is_not_posted(tenant, seal):
    from pacte.events.models import Delivery

    contract = helpers.covered_contract(tenant, **builders.TIME_AND_MATERIALS)
    sheet = builders.done_sheet(tenant, contract=contract, start=builders.paris(builders.recent_weekday(), 10))
    builders.sign(tenant, sheet)  # the event is queued; no job has run
    (line,) = selectors.leak_report(actor=tenant.manager).unposted
    assert line.source_id == str(sheet.pk) and line.problem == "not_posted"
    queued_reason = line.reason
    Delivery.objects.update(status="dead", attempts=5)
    (line,) = selectors.leak_report(actor=tenant.manager).unposted
    assert line.problem == "not_posted" and line.reason != queued_reason  # the reason says it failed for good
    with translation.override("en"):
        (line,) = selectors.leak_report(actor=tenant.manager).unposted
    assert "dead" in line.reason or "good" in line.reason


def test_billable_movements_of_an_ended_period_are_not_invoiced_yet(tenant):
    start = datetime.date.today() - datetime.timedelta(days=70)  # noqa: DTZ011
    contract = helpers.covered_contract(tenant, start=start, **builders.FIXED_FEE_HOURS)
    old = services.adjustment_post(
        actor=tenant.manager,
        contract=contract,
        unit="euros",
        quantity="-30",
        reason="Câble",
        service_date=contract.start_date,
    )
    services.adjustment_post(actor=tenant.manager, contract=contract, unit="hours", quantity="2", reason="Geste")
    # The euros adjustment of two months ago is billable, its month has ended: listed. The hours one is not billable.
    lines = selectors.leak_report(actor=tenant.manager).not_invoiced
    assert [line.movement_key for line in lines] == [old.key] and lines[0].amount == Decimal("30.00")
    assert lines[0].problem == "not_invoiced"
