"""Billing runs: drafts from the terms and the ledger, worked examples 1 and 2, idempotence, issue, preview."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import translation

from pacte.billing import runs
from pacte.billing.domain import BillingError
from pacte.billing.models import BillingRun, Invoice, InvoiceLine, RunStatus, Series
from pacte.ledger.models import Movement
from pacte.ledger.tests.helpers_l3 import consume, fixed_fee_contract
from pacte.servicedesk.tests.helpers import contract_in_force

D = Decimal
day = datetime.date


def _run(tenant, month: str, client=None):
    run = runs.run_create(actor=tenant.manager, provider=tenant.provider, month=month, client=client)
    return runs.run_execute(run, actor=tenant.manager, render=False, validate=False)


def test_worked_example_1_fee_and_overage_on_one_invoice(tenant):
    contract = fixed_fee_contract(tenant, start=day(2026, 1, 1))
    for hours in ("4", "5.25", "3"):  # 12 h 15 rounded entries in October
        consume(contract, day(2026, 10, 12), hours)
    run = _run(tenant, "2026-10")
    assert (run.status, run.total, run.drafted) == (RunStatus.DRAFTED, 1, 1)
    invoice = Invoice.objects.get(contract=contract, billing_period=day(2026, 10, 1))
    lines = list(invoice.lines.order_by("position"))
    assert [(line.kind, line.quantity, line.unit_code, line.unit_price, line.amount) for line in lines] == [
        ("fee", D(1), "C62", D("900.00"), D("900.00")),
        ("overage", D("2.25"), "HUR", D("95.00"), D("213.75")),
    ]
    assert (invoice.total_net, invoice.total_vat, invoice.total_gross) == (D("1113.75"), D("222.75"), D("1336.50"))
    overage = Movement.objects.get(contract=contract, kind="overage")
    assert lines[1].movement_id == overage.pk


def test_worked_example_2_first_month_prorated(tenant):
    contract = fixed_fee_contract(tenant, start=day(2026, 11, 10), included="0")
    _run(tenant, "2026-11")
    invoice = Invoice.objects.get(contract=contract)
    line = invoice.lines.get()
    assert (line.amount, line.period_start, line.period_end) == (D("630.00"), day(2026, 11, 10), day(2026, 11, 30))
    assert "21/30" in line.description


def test_running_again_changes_nothing_and_catches_late_work(tenant):
    contract = fixed_fee_contract(tenant, start=day(2026, 1, 1))
    consume(contract, day(2026, 10, 3), "11")
    _run(tenant, "2026-10")
    first = list(InvoiceLine.objects.values_list("invoice_id", "kind", "amount", "movement_id", "source"))
    _run(tenant, "2026-10")
    assert list(InvoiceLine.objects.values_list("invoice_id", "kind", "amount", "movement_id", "source")) == first
    assert Invoice.objects.count() == 1
    # Work posted late for September (its period closed with nothing billable) is caught by October's run:
    # a T&M contract's sheet dated in September, posted after September's invoice.
    tm = contract_in_force(
        tenant, start=day(2026, 1, 1), billing_model={"kind": "time_and_materials", "labour_rate": "80.00"}
    )
    from pacte.ledger.services import movement_post

    movement_post(
        contract=tm,
        unit="euros",
        kind="consumption",
        quantity=D("-160"),
        service_date=day(2026, 9, 28),
        source_kind="sheet",
        source_id="999",
        key="sheet:999:labour",
        rule={"billing_model": "time_and_materials"},
        amount=D("160.00"),
        description="Intervention 28/09",
    )
    _run(tenant, "2026-10")
    late = Invoice.objects.get(contract=tm)
    assert late.lines.get().amount == D("160.00")


def test_a_fee_is_billed_once_even_when_its_period_crosses_runs(tenant):
    contract = fixed_fee_contract(tenant, start=day(2026, 1, 1), included="0", period="quarter")
    _run(tenant, "2026-10")  # in advance: the quarter starting 1 October
    _run(tenant, "2026-11")  # nothing new
    assert list(InvoiceLine.objects.values_list("source", "amount")) == [(f"fee:{contract.pk}:2026-10-01", D("900.00"))]
    assert Invoice.objects.count() == 1


def test_in_arrears_bills_the_period_in_the_month_it_ends(tenant):
    contract = contract_in_force(
        tenant,
        start=day(2026, 1, 1),
        billing_model={"kind": "unlimited", "fee": "1500.00", "period": "quarter", "billed": "in_arrears"},
    )
    _run(tenant, "2026-10")
    assert not Invoice.objects.filter(contract=contract).exists()
    _run(tenant, "2026-09")
    line = InvoiceLine.objects.get(invoice__contract=contract)
    assert (line.period_start, line.period_end, line.amount) == (day(2026, 7, 1), day(2026, 9, 30), D("1500.00"))


def test_issue_numbers_in_order_and_freezes(tenant):
    fixed_fee_contract(tenant, start=day(2026, 1, 1), included="0")
    fixed_fee_contract(tenant, start=day(2026, 1, 1), included="0", client=tenant.other_client)
    run = runs.run_create(actor=tenant.manager, provider=tenant.provider, month="2026-10")
    run = runs.run_execute(run, actor=tenant.manager, issue=True, render=False, validate=False)
    assert (run.status, run.issued) == (RunStatus.ISSUED, 2)
    numbers = list(Invoice.objects.order_by("sequence").values_list("number", flat=True))
    year = datetime.date.today().year  # noqa: DTZ011
    assert numbers == [f"FA-{year}-000001", f"FA-{year}-000002"]
    assert Series.objects.get(provider=tenant.provider, prefix="FA").last_number == 2
    issued = Invoice.objects.first()
    assert issued.data["number"] == issued.number
    assert issued.data["total_gross"] == str(issued.total_gross)
    with pytest.raises(RuntimeError):
        issued.delete()
    # Running the month again leaves the issued invoices alone.
    _run(tenant, "2026-10")
    assert Invoice.objects.filter(status="draft").count() == 0


def test_numbers_follow_the_clients_order_not_the_order_the_drafts_were_made(tenant):
    """A run resumed after a crash, or spread over processes, creates its drafts in another order: the
    numbers still go client by client, contract by contract, as a clean serial run gives them."""
    from pacte.tenancy.models import Client

    Client.objects.filter(pk=tenant.client.pk).update(name="Zeta")
    Client.objects.filter(pk=tenant.other_client.pk).update(name="Alpha")
    tenant.client.refresh_from_db()
    tenant.other_client.refresh_from_db()
    fixed_fee_contract(tenant, start=day(2026, 1, 1), included="0", client=tenant.client)
    fixed_fee_contract(tenant, start=day(2026, 1, 1), included="0", client=tenant.other_client)
    _run(tenant, "2026-10", client=tenant.client)  # Zeta's draft first: the lower id
    run = runs.run_create(actor=tenant.manager, provider=tenant.provider, month="2026-10")
    run = runs.run_execute(run, actor=tenant.manager, issue=True, render=False, validate=False)
    assert run.issued == 2
    assert list(Invoice.objects.order_by("pk").values_list("client__name", flat=True)) == ["Zeta", "Alpha"]
    assert list(Invoice.objects.order_by("sequence").values_list("client__name", "sequence")) == [
        ("Alpha", 1),
        ("Zeta", 2),
    ]


def test_bad_months_are_refused(tenant):
    for month in ("2026-13", "10/2026", "2026-1", ""):
        with pytest.raises(BillingError):
            runs.run_create(actor=tenant.manager, provider=tenant.provider, month=month)
    with pytest.raises(BillingError, match="2026-13\u00a0» n’est pas un mois de facturation"):
        runs.run_create(actor=tenant.manager, provider=tenant.provider, month="2026-13")
    with pytest.raises(BillingError, match="2099-01 n’a pas commencé"):  # in the user's language
        runs.run_create(actor=tenant.manager, provider=tenant.provider, month="2099-01")
    with translation.override("en"), pytest.raises(BillingError, match="2099-01 has not begun"):
        runs.run_create(actor=tenant.manager, provider=tenant.provider, month="2099-01")
    assert not BillingRun.objects.exists()


def test_preview_shows_the_difference_from_the_month_before(tenant):
    contract = fixed_fee_contract(tenant, start=day(2026, 1, 1))
    _run(tenant, "2026-09")
    consume(contract, day(2026, 10, 5), "11")
    run = _run(tenant, "2026-10")
    preview = runs.run_preview(run)
    (row,) = preview.rows
    assert (row.previous_total, row.invoice.total_net, row.difference) == (D("900.00"), D("995.00"), D("95.00"))


def test_a_negative_month_is_not_issued_as_an_invoice(tenant):
    from pacte.ledger.services import movement_post

    contract = contract_in_force(
        tenant, start=day(2026, 1, 1), billing_model={"kind": "time_and_materials", "labour_rate": "80.00"}
    )
    movement_post(
        contract=contract,
        unit="euros",
        kind="adjustment",
        quantity=D("50"),
        service_date=day(2026, 10, 2),
        source_kind="adjustment",
        source_id="1",
        key="adjustment:neg:1",
        rule={"billing_model": "time_and_materials"},
        amount=D("-50.00"),
        reason="Geste",
        description="Geste commercial",
    )
    run = runs.run_create(actor=tenant.manager, provider=tenant.provider, month="2026-10")
    run = runs.run_execute(run, actor=tenant.manager, issue=True, render=False, validate=False)
    invoice = Invoice.objects.get(contract=contract)
    assert invoice.status == "draft" and invoice.total_net == D("-50.00")
    assert run.status == RunStatus.DRAFTED and "-50.00" in run.error


def test_catalogue_task_lines_read_quantity_times_unit_price(tenant, django_assert_max_num_queries):
    from pacte.ledger import orders

    contract = contract_in_force(
        tenant,
        start=day(2026, 1, 1),
        months=24,
        billing_model={
            "kind": "per_task",
            "catalogue": [
                {"code": "WS", "label": "Nouveau poste", "price": "180.00"},
                {"code": "PRN", "label": "Installation d'imprimante", "price": "95.50"},
            ],
        },
    )
    record = orders.task_record
    ws, _created = record(
        actor=tenant.manager, contract=contract, code="WS", performed_on=day(2026, 10, 12), quantity=3
    )
    record(actor=tenant.manager, contract=contract, code="PRN", performed_on=day(2026, 10, 13), quantity=1)
    printers, _created = record(
        actor=tenant.manager, contract=contract, code="PRN", performed_on=day(2026, 10, 14), quantity=2
    )
    orders.task_cancel(actor=tenant.manager, contract=contract, movement_id=printers.pk, reason="Doublon")
    with django_assert_max_num_queries(40):
        _run(tenant, "2026-10")
    lines = list(InvoiceLine.objects.filter(invoice__contract=contract).order_by("position"))
    assert [(line.kind, line.quantity, line.unit_code, line.unit_price, line.amount) for line in lines] == [
        ("task", D(3), "C62", D("180.00"), D("540.00")),
        ("task", D(1), "C62", D("95.50"), D("95.50")),
        ("task", D(2), "C62", D("95.50"), D("191.00")),
        ("task", D(-2), "C62", D("95.50"), D("-191.00")),  # the cancellation nets it out
    ]
    assert lines[0].movement_id == ws.pk
    # A snapshot whose quantity × price is not the amount stays 1 × the amount (the ledger is the truth).
    Movement.objects.filter(pk=ws.pk).update(rule={"task": {"quantity": 3, "unit_price": "170.00"}})
    _run(tenant, "2026-10")
    line = InvoiceLine.objects.get(movement_id=ws.pk)
    assert (line.quantity, line.unit_price, line.amount) == (D(1), D("540.00"), D("540.00"))
