"""Early termination: the unserved part of a fee billed in advance is given back once (drafting.refund_lines)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import translation
from django.utils.translation import gettext

from pacte.billing import drafting, runs
from pacte.billing.models import Invoice, InvoiceKind, InvoiceLine, InvoiceStatus, RunStatus
from pacte.billing.services import invoices_issue
from pacte.billing.tests.helpers import legal_identity
from pacte.contracts.lifecycle import notice_give
from pacte.contracts.models import Contract
from pacte.ledger.services import movement_post
from pacte.ledger.tests.helpers_l3 import fixed_fee_contract

pytestmark = pytest.mark.django_db

D = Decimal
day = datetime.date
DEC_1, DEC_31 = day(2026, 12, 1), day(2026, 12, 31)


def _run(tenant, month: str, *, issue: bool = False, validate: bool = False):
    run = runs.run_create(actor=tenant.manager, provider=tenant.provider, month=month)
    return runs.run_execute(run, actor=tenant.manager, issue=issue, render=False, validate=validate)


def _terminate(tenant, contract: Contract, end: datetime.date) -> Contract:
    """An early termination recorded as the product does: the provider's notice with an earlier end."""
    notice_give(
        actor=tenant.manager,
        contract=contract,
        given_by="client",
        received_on=day(2026, 11, 5),
        channel="registered_letter",
        requested_end=end,
    )
    contract.refresh_from_db()
    assert contract.end_date == end
    return contract


def _november_billed(tenant, **kwargs) -> Contract:
    legal_identity(tenant)
    contract = fixed_fee_contract(tenant, start=day(2026, 1, 1), included="0", **kwargs)
    run = _run(tenant, "2026-11", issue=True, validate=True)
    assert run.status == RunStatus.ISSUED
    fee = InvoiceLine.objects.get(invoice__contract=contract)
    assert (fee.amount, fee.period_end) == (D("900.00"), day(2026, 11, 30))
    return contract


def test_worked_example_a_contract_ended_on_20_november_gets_10_30_of_900_back_by_credit_note(tenant):
    contract = _terminate(tenant, _november_billed(tenant), day(2026, 11, 20))
    november = Invoice.objects.get(contract=contract, kind=InvoiceKind.INVOICE)

    run = _run(tenant, "2026-12")

    # No other line in December: no negative invoice, a draft credit note on November's invoice.
    assert run.total == 1 and not Invoice.objects.filter(contract=contract, billing_period=day(2026, 12, 1)).exists()
    note = Invoice.objects.get(contract=contract, kind=InvoiceKind.CREDIT_NOTE)
    assert (note.status, note.credited_invoice_id) == (InvoiceStatus.DRAFT, november.pk)
    assert (note.total_net, note.total_vat, note.total_gross) == (D("300.00"), D("60.00"), D("360.00"))
    line = note.lines.get()
    assert (line.kind, line.quantity, line.unit_price, line.amount) == ("credit", D(1), D("300.00"), D("300.00"))
    assert line.credited_line_id == november.lines.get().pk
    assert (line.source, line.period_start, line.period_end) == (
        f"refund:{contract.pk}:2026-11-01",
        day(2026, 11, 21),
        day(2026, 11, 30),
    )
    with translation.override("fr"):  # invoices are French documents
        assert line.description.startswith(gettext("Refund of the unused part of the monthly fee"))
    assert "20/11/2026" in line.description and "21/11/2026" in line.description

    # Once: running December again adds nothing.
    _run(tenant, "2026-12")
    assert InvoiceLine.objects.filter(source__startswith="refund:").count() == 1

    # The credit note is a valid Factur-X and is issued as any credit note.
    (issued,) = invoices_issue(actor=tenant.manager, provider=tenant.provider, invoice_ids=[note.pk], render=False)
    assert str(issued.number).startswith("AV-")
    _run(tenant, "2026-12")
    assert InvoiceLine.objects.filter(source__startswith="refund:").count() == 1
    assert not Invoice.objects.filter(status=InvoiceStatus.DRAFT).exists()


def test_a_refund_goes_on_the_next_invoice_when_it_stays_positive(tenant):
    contract = _november_billed(tenant)
    movement_post(  # billed late: an adjustment of 500.00 € for November
        contract=contract,
        unit="euros",
        kind="adjustment",
        quantity=D("-500"),
        service_date=day(2026, 11, 18),
        source_kind="adjustment",
        source_id="1",
        key="adjustment:late:1",
        rule={"billing_model": "fixed_fee"},
        amount=D("500.00"),
        reason="Migration",
        description="Migration de la messagerie",
    )
    _terminate(tenant, contract, day(2026, 11, 20))

    _run(tenant, "2026-12")

    invoice = Invoice.objects.get(contract=contract, billing_period=day(2026, 12, 1))
    assert sorted(invoice.lines.values_list("kind", "amount")) == [("adjustment", D("500.00")), ("fee", D("-300.00"))]
    assert invoice.total_net == D("200.00")
    assert not Invoice.objects.filter(kind=InvoiceKind.CREDIT_NOTE).exists()
    # Recomputing the draft keeps one refund line.
    _run(tenant, "2026-12")
    assert InvoiceLine.objects.filter(source=f"refund:{contract.pk}:2026-11-01").count() == 1
    assert _run(tenant, "2026-12", issue=True, validate=True).status == RunStatus.ISSUED  # a valid Factur-X


def test_a_quarter_billed_in_advance_is_refunded_by_calendar_days_of_the_quarter(tenant):
    legal_identity(tenant)
    contract = fixed_fee_contract(tenant, start=day(2026, 1, 1), included="0", period="quarter")
    _run(tenant, "2026-10", issue=True)
    _terminate(tenant, contract, day(2026, 11, 20))
    _run(tenant, "2026-11")
    line = InvoiceLine.objects.get(source=f"refund:{contract.pk}:2026-10-01")
    # Served 1 Oct–20 Nov = 51 of the quarter's 92 days: 900 − 900 × 51/92 = 900 − 498.91 = 401.09.
    assert line.amount == D("401.09") and line.invoice.kind == InvoiceKind.CREDIT_NOTE


def test_what_a_credit_note_already_gave_back_is_not_refunded_twice(tenant):
    from pacte.billing.services import credit_note_create

    contract = _november_billed(tenant)
    november = Invoice.objects.get(contract=contract)
    gesture = credit_note_create(
        actor=tenant.manager, invoice=november, lines={november.lines.get().pk: D("750.00")}, reason="Geste"
    )
    invoices_issue(actor=tenant.manager, provider=tenant.provider, invoice_ids=[gesture.pk], render=False)
    _terminate(tenant, contract, day(2026, 11, 20))
    _run(tenant, "2026-12")
    # 300.00 unserved, but only 150.00 of the fee line was not credited yet.
    assert InvoiceLine.objects.get(source__startswith="refund:").amount == D("150.00")


def test_no_refund_for_a_contract_running_to_the_end_of_the_billed_period(tenant):
    contract = _november_billed(tenant)
    _terminate(tenant, contract, day(2026, 11, 30))
    _run(tenant, "2026-12")
    assert not InvoiceLine.objects.filter(source__startswith="refund:").exists()
    assert drafting.issued_fees_past_end([contract]) == {}


def test_refunds_keep_a_constant_number_of_queries_per_chunk(tenant, django_assert_max_num_queries):
    contracts = [fixed_fee_contract(tenant, start=day(2026, 1, 1), included="0") for _ in range(2)]
    _run(tenant, "2026-11", issue=True)
    for contract in contracts:
        Contract.objects.filter(pk=contract.pk).update(end_date=day(2026, 11, 20), status="notice_given")
    few = list(drafting.candidate_contracts(provider_id=tenant.provider.pk, first=DEC_1, last=DEC_31))
    assert len(few) == 2
    with django_assert_max_num_queries(20) as two:
        drafting.draft_chunk(few, first=DEC_1, last=DEC_31)
    InvoiceLine.objects.filter(source__startswith="refund:").delete()
    Invoice.objects.filter(kind=InvoiceKind.CREDIT_NOTE).delete()
    more = [fixed_fee_contract(tenant, start=day(2026, 1, 1), included="0") for _ in range(4)]
    _run(tenant, "2026-11", issue=True)
    for contract in more:
        Contract.objects.filter(pk=contract.pk).update(end_date=day(2026, 11, 20), status="notice_given")
    many = list(drafting.candidate_contracts(provider_id=tenant.provider.pk, first=DEC_1, last=DEC_31))
    assert len(many) == 6
    with django_assert_max_num_queries(len(two.captured_queries)):
        drafting.draft_chunk(many, first=DEC_1, last=DEC_31)
    assert InvoiceLine.objects.filter(source__startswith="refund:").count() == 6
