"""Bank statement import: French CSV exports, matching by invoice number, idempotency, bad files."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import translation

from pacte.audit.models import AuditEvent
from pacte.billing import bank_import
from pacte.billing.bank_import import bank_statement_import, numbers_in, parse_amount, parse_date
from pacte.billing.domain import BillingError
from pacte.billing.models import Payment
from pacte.billing.tests.helpers import legal_identity
from pacte.billing.tests.test_payments import issued, pay

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


D = Decimal
TODAY = datetime.date(2026, 6, 1)

STATEMENT = """Compte courant n° 00012345678;;;
Période du 01/02/2026 au 28/02/2026;;;

Date;Libellé;Montant;Devise
03/02/2026;VIR SEPA CLIENT ALPHA FA-2026-000001;1 336,50;EUR
04/02/2026;PRLV SEPA EDF;-120,00;EUR
05/02/2026;VIR SEPA BETA REF FA2026000002 ACOMPTE;500,00;EUR
06/02/2026;VIR SEPA GAMMA SANS REFERENCE;80,00;EUR
07/02/2026;VIR SEPA DELTA FA-2026-000999;90,00;EUR
08/02/2026;VIR SEPA EPSILON FA-2026-000003 FA-2026-000002;100,00;EUR
09/02/2026;VIR SEPA ZETA FA-2026-000003;9 999,00;EUR
31/02/2026;VIR SEPA ETA FA-2026-000003;10,00;EUR
10/02/2026;VIR SEPA THETA FA-2026-000003;dix euros;EUR
11/02/2026;VIR SEPA BETA FA-2026-2;500,00;EUR
"""


@pytest.fixture
def billing_tenant(tenant):
    return legal_identity(tenant)


def run(tenant, data: bytes, actor=None):
    return bank_statement_import(actor=actor or tenant.manager, data=data, filename="releve.csv", today=TODAY)


def test_a_french_statement_records_the_transfers_that_name_an_invoice(billing_tenant):
    tenant = billing_tenant
    first, second, third = issued(tenant), issued(tenant), issued(tenant)  # FA-2026-000001…3, 1 336.50 € each
    report = run(tenant, STATEMENT.encode("cp1252"))
    assert [(o.line, o.invoice_number, o.amount) for o in report.matched] == [
        (5, "FA-2026-000001", D("1336.50")),
        (7, "FA-2026-000002", D("500.00")),
        (14, "FA-2026-000002", D("500.00")),
    ]
    assert [(o.line, o.reason) for o in report.unmatched] == [
        (8, "No invoice number in the label."),
        (9, "No issued invoice FA-2026-000999."),
        (10, "Several invoice numbers (FA-2026-000003, FA-2026-000002): record it by hand."),
        (11, "9999.00 € is more than the 1336.50 € still due: record it by hand."),
    ]
    assert (report.debits, report.already_imported, report.matched_total) == (1, [], D("2336.50"))
    payments = list(Payment.objects.order_by("pk").values_list("invoice_id", "received_on", "amount", "method"))
    assert payments == [
        (first.pk, datetime.date(2026, 2, 3), D("1336.50"), "transfer"),
        (second.pk, datetime.date(2026, 2, 5), D("500.00"), "transfer"),
        (second.pk, datetime.date(2026, 2, 11), D("500.00"), "transfer"),
    ]
    assert Payment.objects.get(invoice=first).reference == "VIR SEPA CLIENT ALPHA FA-2026-000001"
    assert not Payment.objects.filter(invoice=third).exists()
    assert AuditEvent.objects.filter(action="billing.payment_record").count() == 3
    assert AuditEvent.objects.get(action="billing.bank_import").after["matched"] == 3


def test_rejected_lines_give_their_line_number_and_reason(billing_tenant):
    tenant = billing_tenant
    issued(tenant), issued(tenant), issued(tenant)
    report = run(tenant, STATEMENT.encode("utf-8"))
    assert [(o.line, o.reason) for o in report.rejected] == [
        (12, "“31/02/2026” is not a date."),
        (13, "“dix euros” is not an amount."),
    ]


def test_a_statement_imported_twice_adds_nothing(billing_tenant):
    tenant = billing_tenant
    issued(tenant), issued(tenant), issued(tenant)
    data = STATEMENT.encode("utf-8-sig")
    run(tenant, data)
    again = run(tenant, data)
    assert (len(again.matched), len(again.already_imported)) == (0, 3)
    assert Payment.objects.count() == 3
    assert len({key for key in Payment.objects.values_list("import_key", flat=True)}) == 3


def test_debit_and_credit_columns_identical_lines_and_a_paid_invoice(billing_tenant):
    tenant = billing_tenant
    invoice = issued(tenant, net="100.00")  # 120.00 €
    paid = issued(tenant, net="100.00")
    pay(tenant, paid, "120.00", datetime.date(2026, 2, 1))
    data = (
        "\ufeffDate opération;Date valeur;Libellé;Débit;Crédit\n"
        "02/02/2026;03/02/2026;VIR FA-2026-000001;;60,00\n"
        "02/02/2026;03/02/2026;VIR FA-2026-000001;;60,00\n"  # the same transfer twice that day: two payments
        "02/02/2026;03/02/2026;CARTE 1234;25,00;\n"
        "02/02/2026;03/02/2026;VIR FA-2026-000002;;120,00\n"
    ).encode()
    report = run(tenant, data)
    assert [o.amount for o in report.matched] == [D("60.00"), D("60.00")]
    assert [o.reason for o in report.unmatched] == ["Invoice already paid."]
    assert report.debits == 1
    assert Payment.objects.filter(invoice=invoice).count() == 2
    assert len(run(tenant, data).already_imported) == 2


def test_another_providers_invoice_is_never_matched(billing_tenant, other_tenant):
    issued(billing_tenant)
    report = run(legal_identity(other_tenant), "Date;Libellé;Montant\n03/02/2026;VIR FA-2026-000001;10,00\n".encode())
    assert [o.reason for o in report.unmatched] == ["No issued invoice FA-2026-000001."]
    assert not Payment.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"%PDF-1.7\x00\x01\x02binary", "not text"),
        (b"Date;Montant\n" + b"01/02/2026;1,00\n" * 1000 + b"\x00", "not text"),
        (b'Date;Montant\n01/02/2026;"' + b"x" * 200_000 + b'"\n', "not a CSV bank statement: field larger"),
        ("Nom;Prénom\nDupont;Jean\n".encode(), "No header row with a date column and an amount column"),
        (b"", "No header row"),
        (b"Date;Montant\n" + b"01/02/2026;1,00\n" * 400_000, "over 5 MB"),
    ],
)
def test_a_bad_file_is_a_clear_error_and_writes_nothing(billing_tenant, data, message):
    issued(billing_tenant)
    with pytest.raises(BillingError, match=message):
        run(billing_tenant, data)
    assert not Payment.objects.exists() and not AuditEvent.objects.filter(action="billing.bank_import").exists()


def test_an_error_midway_rolls_the_whole_import_back(billing_tenant, monkeypatch):
    tenant = billing_tenant
    issued(tenant), issued(tenant), issued(tenant)

    def explode(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(bank_import, "audit_record", explode)
    with pytest.raises(RuntimeError):
        run(tenant, STATEMENT.encode())
    assert not Payment.objects.exists()


def test_only_managers_import(billing_tenant):
    with pytest.raises(PermissionDenied):
        run(billing_tenant, STATEMENT.encode(), actor=billing_tenant.technician)


def test_parsing_helpers():
    assert parse_amount("1 234,56") == D("1234.56")
    assert parse_amount("1\u202f234,56 €") == D("1234.56")
    assert parse_amount("1.234,56") == D("1234.56")
    assert parse_amount("-12,5") == D("-12.5")
    assert parse_amount("12,50-") == D("-12.50")
    assert parse_amount("1234.56") == D("1234.56")
    assert parse_amount("  ") is None
    with pytest.raises(ValueError):
        parse_amount("1e400")
    assert parse_date("03/02/2026") == parse_date("03/02/26") == parse_date("2026-02-03") == datetime.date(2026, 2, 3)
    assert numbers_in("VIR FA-2026-000012 ET fa 2026 13 / FA2026000012") == ["FA-2026-000012", "FA-2026-000013"]
    assert numbers_in("AV-2026-000001 XFA-2026-000001 FA-2026-0000012") == []
