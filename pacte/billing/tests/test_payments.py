"""Recording and deleting payments, payment states, the overdue list (services and selectors)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import translation

from pacte.audit.models import AuditEvent
from pacte.billing import payments
from pacte.billing.domain import BillingError
from pacte.billing.models import Invoice, InvoiceLine, Payment
from pacte.billing.services import credit_note_create, invoices_issue
from pacte.billing.tests.helpers import legal_identity
from pacte.core.errors import ConflictError

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


D = Decimal
ISSUE = datetime.date(2026, 1, 15)
DUE = datetime.date(2026, 2, 14)  # no contract: 30 days from the invoice date


def draft(tenant, *, net: str = "1113.75", client=None, professional: bool = True) -> Invoice:
    """A one-line draft: 1 113.75 € + 20 % VAT (222.75 €) = 1 336.50 € by default."""
    amount = D(net)
    vat = (amount * D("0.20")).quantize(D("0.01"))
    invoice = Invoice.objects.create(
        provider=tenant.provider,
        client=client or tenant.client,
        total_net=amount,
        total_vat=vat,
        total_gross=amount + vat,
        professional=professional,
    )
    InvoiceLine.objects.create(
        invoice=invoice,
        position=1,
        kind="work",
        description="Maintenance",
        quantity=D(1),
        unit_price=amount,
        amount=amount,
        vat_rate=D("20.00"),
        account_code="706300",
    )
    return invoice


def issued(tenant, *, net: str = "1113.75", day: datetime.date = ISSUE, **kwargs) -> Invoice:
    invoice = draft(tenant, net=net, **kwargs)
    (done,) = invoices_issue(
        actor=tenant.manager,
        provider=tenant.provider,
        invoice_ids=[invoice.pk],
        issue_date=day,
        validate=False,
        render=False,
    )
    return done


def credit(tenant, invoice: Invoice, day: datetime.date = ISSUE) -> Invoice:
    note = credit_note_create(actor=tenant.manager, invoice=invoice, reason="Geste commercial")
    invoices_issue(
        actor=tenant.manager,
        provider=tenant.provider,
        invoice_ids=[note.pk],
        issue_date=day,
        validate=False,
        render=False,
    )
    note.refresh_from_db()
    return note


def pay(tenant, invoice: Invoice, amount: str, day: datetime.date, **kwargs) -> Payment:
    return payments.payment_record(
        actor=kwargs.pop("actor", tenant.manager),
        invoice=invoice,
        received_on=day,
        amount=D(amount),
        method=kwargs.pop("method", "transfer"),
        reference=kwargs.pop("reference", "VIR CLIENT"),
        today=kwargs.pop("today", datetime.date(2026, 6, 1)),
    )


@pytest.fixture
def billing_tenant(tenant):
    return legal_identity(tenant)


def test_a_payment_is_recorded_audited_and_moves_the_state(billing_tenant):
    tenant = billing_tenant
    invoice = issued(tenant)
    assert (invoice.number, invoice.due_date, invoice.total_gross) == ("FA-2026-000001", DUE, D("1336.50"))
    assert payments.payment_state(invoice, DUE) == "unpaid"
    payment = pay(tenant, invoice, "336.50", datetime.date(2026, 2, 1), reference="  VIR   SEPA  ")
    assert (payment.amount, payment.reference, payment.created_by, payment.import_key) == (
        D("336.50"),
        "VIR SEPA",
        tenant.manager,
        None,
    )
    assert payments.payment_state(invoice, DUE) == "partly_paid"
    assert payments.payment_state(invoice, DUE + datetime.timedelta(days=1)) == "overdue"
    event = AuditEvent.objects.get(action="billing.payment_record")
    assert event.after["amount"] == "336.50" and event.after["invoice"] == "FA-2026-000001"
    pay(tenant, invoice, "1000.00", datetime.date(2026, 3, 1))
    assert payments.payment_state(invoice, datetime.date(2026, 3, 1)) == "paid"


@pytest.mark.parametrize(
    ("amount", "day", "message"),
    [
        ("1336.51", datetime.date(2026, 2, 1), "more than the 1336.50 € still due"),
        ("0", datetime.date(2026, 2, 1), "more than 0"),
        ("-5", datetime.date(2026, 2, 1), "more than 0"),
        ("10.005", datetime.date(2026, 2, 1), "to the cent"),
        ("10", datetime.date(2026, 6, 2), "in the future"),
        ("10", datetime.date(2026, 1, 14), "before the invoice's issue date"),
    ],
)
def test_a_bad_payment_is_refused_with_its_reason_and_writes_nothing(billing_tenant, amount, day, message):
    invoice = issued(billing_tenant)
    with pytest.raises(BillingError, match=message):
        pay(billing_tenant, invoice, amount, day)
    assert not Payment.objects.exists() and not AuditEvent.objects.filter(action="billing.payment_record").exists()


def test_nothing_is_recorded_beyond_what_is_due_after_other_payments_and_credit_notes(billing_tenant):
    tenant = billing_tenant
    invoice = issued(tenant)
    credit(tenant, invoice)  # the whole invoice
    assert payments.payment_state(invoice, DUE + datetime.timedelta(days=90)) == "credited"
    with pytest.raises(BillingError, match="nothing left to pay"):
        pay(tenant, invoice, "1.00", datetime.date(2026, 2, 1))
    other = issued(tenant)
    pay(tenant, other, "1336.00", datetime.date(2026, 2, 1))
    with pytest.raises(BillingError, match="more than the 0.50 € still due"):
        pay(tenant, other, "0.51", datetime.date(2026, 2, 2))


def test_drafts_and_credit_notes_take_no_payment_and_an_unknown_method_is_refused(billing_tenant):
    tenant = billing_tenant
    with pytest.raises(ConflictError):
        pay(tenant, draft(tenant), "10", datetime.date(2026, 2, 1))
    invoice = issued(tenant)
    note = credit(tenant, invoice)
    with pytest.raises(ConflictError):
        pay(tenant, note, "10", datetime.date(2026, 2, 1))
    with pytest.raises(BillingError, match="not a payment method"):
        pay(tenant, invoice, "10", datetime.date(2026, 2, 1), method="bitcoin")
    assert payments.payment_state(draft(tenant), ISSUE) == "draft"
    assert payments.payment_state(note, ISSUE) == "credited"
    assert not Payment.objects.exists()


def test_only_the_providers_managers_record_and_delete(billing_tenant, other_tenant):
    tenant = billing_tenant
    invoice = issued(tenant)
    for member in (tenant.technician, tenant.client_manager):
        with pytest.raises(PermissionDenied):
            pay(tenant, invoice, "10", datetime.date(2026, 2, 1), actor=member)
    with pytest.raises(Http404):
        pay(tenant, invoice, "10", datetime.date(2026, 2, 1), actor=other_tenant.manager)
    payment = pay(tenant, invoice, "10", datetime.date(2026, 2, 1), actor=tenant.admin)
    with pytest.raises(PermissionDenied):
        payments.payment_delete(actor=tenant.technician, payment=payment)
    with pytest.raises(Http404):
        payments.payment_delete(actor=other_tenant.admin, payment=payment)
    with pytest.raises(Http404):
        payments.payment_get(actor=other_tenant.admin, pk=payment.pk)
    assert Payment.objects.count() == 1


def test_a_mistaken_payment_is_deleted_and_the_deletion_audited(billing_tenant):
    tenant = billing_tenant
    invoice = issued(tenant)
    payment = pay(tenant, invoice, "1336.50", datetime.date(2026, 2, 1))
    assert payments.payment_state(invoice, DUE) == "paid"
    payments.payment_delete(actor=tenant.manager, payment=payments.payment_get(actor=tenant.manager, pk=payment.pk))
    assert not Payment.objects.exists()
    event = AuditEvent.objects.get(action="billing.payment_delete")
    assert event.before["amount"] == "1336.50" and event.actor_membership == tenant.manager
    assert payments.payment_state(invoice, DUE + datetime.timedelta(days=1)) == "overdue"


def test_the_overdue_list_shows_days_late_and_the_penalty_to_date(billing_tenant, other_tenant):
    tenant = billing_tenant
    late = issued(tenant)  # 1 336.50 €, due 14 Feb
    paid = issued(tenant)
    pay(tenant, paid, "1336.50", datetime.date(2026, 2, 10))
    partly = issued(tenant, net="1000.00")  # 1 200.00 €
    pay(tenant, partly, "600.00", datetime.date(2026, 3, 16))  # 30 days late
    consumer = issued(tenant, net="1113.75", client=tenant.other_client, professional=False)
    issued(tenant, day=datetime.date(2026, 3, 1))  # due 31 Mar: not late yet
    today = DUE + datetime.timedelta(days=30)  # 16 Mar 2026
    rows = payments.overdue_list(actor=tenant.manager, today=today)
    assert [row.invoice.pk for row in rows] == [late.pk, partly.pk, consumer.pk]
    by_id = {row.invoice.pk: row for row in rows}
    # 1 336.50 × 12.15 % × 30 / 365 = 13.35 €, + 40 €.
    assert (by_id[late.pk].days_late, by_id[late.pk].due, by_id[late.pk].penalty.total) == (
        30,
        D("1336.50"),
        D("53.35"),
    )
    # 1 200 × 12.15 % × 30 / 365 = 11.98 € until the payment of 600 € that same day.
    assert (by_id[partly.pk].due, by_id[partly.pk].penalty.interest) == (D("600.00"), D("11.98"))
    # Not a professional: the legal rate (2.62 %), no indemnity: 1 336.50 × 2.62 % × 30 / 365 = 2.88 €.
    assert (by_id[consumer.pk].penalty.total, by_id[consumer.pk].penalty.indemnity) == (D("2.88"), D("0.00"))
    assert payments.overdue_list(actor=tenant.technician, today=today) == []
    assert payments.overdue_list(actor=other_tenant.manager, today=today) == []
    assert payments.overdue_list(actor=tenant.manager, today=today, offset=1, limit=1)[0].invoice.pk == partly.pk


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_payments_never_exceed_what_is_due(tenant):
    """Six managers record 300 € at once on a 1 336.50 € invoice: the invoice row lock lets four through."""
    import threading

    from django.db import connection

    tenant = legal_identity(tenant)
    invoice = issued(tenant)
    barrier = threading.Barrier(6)
    outcomes: list[str] = []

    def worker() -> None:
        try:
            barrier.wait()
            pay(tenant, Invoice.objects.get(pk=invoice.pk), "300.00", datetime.date(2026, 2, 1))
            outcomes.append("paid")
        except BillingError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["paid"] * 4 + ["refused"] * 2
    assert sum(Payment.objects.values_list("amount", flat=True)) == D("1200.00")
