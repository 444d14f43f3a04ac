"""Done-when #1, the billing half, on random sequences (hypothesis): once billed, every billable movement
leads to exactly one invoice line, whatever runs happen in whatever order, repeated, issued or not.

- A billable movement is on at most one line (the database's one-to-one), and after the run of its month
  (or of any later month) on exactly one;
- a line bills its movement's amount exactly; a period's fee is on one line at most;
- an invoice's totals are its lines' (each line to the cent, VAT per rate, BR-CO-10 and BR-CO-17);
- issued invoices are numbered 1..N in their series without gap.
"""

from __future__ import annotations

import datetime
from collections import Counter
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pacte.billing import domain, runs
from pacte.billing.models import Invoice, InvoiceLine
from pacte.ledger.models import Movement
from pacte.ledger.services import movement_post
from pacte.servicedesk.tests.helpers import contract_in_force

pytestmark = pytest.mark.django_db

FAST = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
MONTHS = ["2026-08", "2026-09", "2026-10", "2026-11"]

works = st.lists(
    st.tuples(
        st.integers(0, 1),  # which contract
        st.sampled_from([datetime.date(2026, 8, 14), datetime.date(2026, 9, 3), datetime.date(2026, 10, 30)]),
        st.decimals(min_value=Decimal("-200"), max_value=Decimal("900"), places=2).filter(lambda a: a != 0),
    ),
    max_size=8,
)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("run"), st.sampled_from(MONTHS), st.booleans()),  # a run, issued or not
        st.tuples(st.just("work"), st.integers(0, 7), st.just(False)),  # post the n-th piece of work now
    ),
    min_size=1,
    max_size=8,
)


class Rollback(Exception):
    """Undo one example's writes (hypothesis runs many examples in one test's database)."""


@FAST
@given(work=works, sequence=steps)
def test_every_billed_movement_is_on_exactly_one_line(tenant, work, sequence):
    try:
        with transaction.atomic():
            _example(tenant, work, sequence)
            raise Rollback
    except Rollback:
        pass


def _example(tenant, work, sequence) -> None:
    contracts = [
        contract_in_force(
            tenant,
            start=datetime.date(2026, 1, 1),
            billing_model={"kind": "time_and_materials", "labour_rate": "80.00"},
        ),
        contract_in_force(tenant, start=datetime.date(2026, 1, 1), months=24),  # fixed fee 900.00 a month
    ]
    posted: set[int] = set()

    def post(n: int) -> None:
        if n >= len(work) or n in posted:
            return
        which, day, amount = work[n]
        posted.add(n)
        movement_post(
            contract=contracts[which],
            unit="euros",
            kind="consumption",
            quantity=-amount,
            service_date=day,
            source_kind="sheet",
            source_id=str(n),
            key=f"sheet:prop-{contracts[0].pk}-{n}:labour",
            rule={"billing_model": "test"},
            amount=amount,
            description=f"Work {n}",
        )

    for n in range(len(work) // 2):
        post(n)
    for kind, value, issue in sequence:
        if kind == "work":
            post(int(value))
            continue
        run = runs.run_create(actor=tenant.manager, provider=tenant.provider, month=str(value))
        runs.run_execute(run, actor=tenant.manager, issue=bool(issue), validate=False, render=False)
        _check(contracts, domain.month_bounds(str(value)))


def _check(contracts, month: tuple[datetime.date, datetime.date]) -> None:
    first, last = month
    ids = [contract.pk for contract in contracts]
    billable = Movement.objects.filter(contract_id__in=ids, billable=True, amount__isnull=False)
    lines = InvoiceLine.objects.filter(invoice__contract_id__in=ids)
    linked = Counter(lines.exclude(movement=None).values_list("movement_id", flat=True))
    assert all(count == 1 for count in linked.values())
    issued_months = set(
        Invoice.objects.filter(contract_id__in=ids, billing_period=first, status="issued").values_list(
            "contract_id", flat=True
        )
    )
    for movement in billable.filter(service_date__lte=last):
        if movement.pk not in linked:
            # Left out by this month's run only when the contract's invoice of the month was already issued
            # (the movement was posted after it): the next month's run bills it.
            assert movement.contract_id in issued_months, movement.key
    for line in lines.exclude(movement=None).select_related("movement"):
        assert line.amount == line.movement.amount
    fees = Counter(lines.filter(kind="fee").values_list("source", flat=True))
    assert all(count == 1 for count in fees.values())
    for invoice in Invoice.objects.filter(contract_id__in=ids).prefetch_related("lines"):
        totals = domain.totals((line.amount, line.vat_rate) for line in invoice.lines.all())
        assert (invoice.total_net, invoice.total_vat, invoice.total_gross) == (totals.net, totals.vat, totals.gross)
    sequences = sorted(
        Invoice.objects.filter(provider_id=contracts[0].provider_id, status="issued", kind="invoice").values_list(
            "sequence", flat=True
        )
    )
    assert sequences == list(range(1, len(sequences) + 1))


@FAST
@given(work=works)
def test_a_run_of_the_last_month_bills_every_earlier_movement_once(tenant, work):
    """After months billed (issued or not), a run of the latest month leaves no billable movement without a line."""
    try:
        with transaction.atomic():
            _example(tenant, work, [("work", n, False) for n in range(len(work))] + [("run", "2026-09", True)])
            _example_tail(tenant)
            raise Rollback
    except Rollback:
        pass


def _example_tail(tenant) -> None:
    run = runs.run_create(actor=tenant.manager, provider=tenant.provider, month="2026-11")
    runs.run_execute(run, actor=tenant.manager, issue=True, validate=False, render=False)
    billable = Movement.objects.filter(provider=tenant.provider, billable=True, amount__isnull=False)
    assert billable.filter(invoice_line__isnull=True).count() == 0
    for movement in billable.select_related("invoice_line__invoice"):
        invoice = movement.invoice_line.invoice
        # Issued — unless the month's total is negative: that draft waits for a credit note instead.
        assert invoice.status == "issued" or invoice.total_net < 0
