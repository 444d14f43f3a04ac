"""The month's sales journal (CSV, FEC column names): balanced entries, credit notes reversed."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from pacte.billing import accounting
from pacte.billing.domain import BillingError
from pacte.billing.models import Invoice, InvoiceLine
from pacte.billing.services import invoices_issue
from pacte.billing.tests.helpers import legal_identity
from pacte.billing.tests.test_payments import credit, draft, issued
from pacte.tenancy.models import Client

pytestmark = pytest.mark.django_db

D = Decimal


def mixed_invoice(tenant, day: datetime.date) -> Invoice:
    """Four lines: 1 000 € (706100) and 250 € travel (no account: 708500) and −50 € service credit (709000) at
    20 %, 100 € (706300) at 8.5 %: net 1 300 €, VAT 240 € + 8.50 €, 1 548.50 € incl. VAT."""
    invoice = Invoice.objects.create(
        provider=tenant.provider,
        client=tenant.client,
        total_net=D("1300.00"),
        total_vat=D("248.50"),
        total_gross=D("1548.50"),
    )
    specs = [
        ("fee", "Forfait mars", "1000.00", "20.00", "706100"),
        ("travel", "Déplacement", "250.00", "20.00", ""),
        ("work", "Intervention Guadeloupe", "100.00", "8.50", "706300"),
        ("service_credit", "Pénalité SLA", "-50.00", "20.00", "709000"),
    ]
    for position, (kind, text, amount, rate, account) in enumerate(specs, start=1):
        InvoiceLine.objects.create(
            invoice=invoice,
            position=position,
            kind=kind,
            description=text,
            quantity=D(1),
            unit_price=D(amount),
            amount=D(amount),
            vat_rate=D(rate),
            account_code=account,
        )
    invoices_issue(
        actor=tenant.manager,
        provider=tenant.provider,
        invoice_ids=[invoice.pk],
        issue_date=day,
        validate=False,
        render=False,
    )
    invoice.refresh_from_db()
    return invoice


@pytest.fixture
def billing_tenant(tenant):
    return legal_identity(tenant)


def rows_of(data: bytes) -> list[dict[str, str]]:
    assert data.startswith("\ufeff".encode())
    text = data.decode("utf-8-sig")
    assert "\r\n" in text
    return list(csv.DictReader(io.StringIO(text), delimiter=";"))


def test_each_entry_is_balanced_with_the_client_revenue_and_vat_accounts(billing_tenant, other_tenant):
    tenant = billing_tenant
    first = mixed_invoice(tenant, datetime.date(2026, 3, 2))
    second = issued(tenant, day=datetime.date(2026, 3, 10))  # 1 113.75 + 222.75 = 1 336.50 €
    note = credit(tenant, second, day=datetime.date(2026, 3, 20))
    issued(tenant, day=datetime.date(2026, 4, 1))  # April: not in March's journal
    draft(tenant)  # never in a journal
    issued(legal_identity(other_tenant), day=datetime.date(2026, 3, 5))  # another provider's
    entries = accounting.journal_entries(actor=tenant.manager, month="2026-03")
    assert [entry.number for entry in entries] == [first.number, second.number, note.number]
    assert all(entry.is_balanced for entry in entries)
    assert [(e.debit, e.credit) for e in entries] == [
        (D("1598.50"), D("1598.50")),
        (D("1336.50"), D("1336.50")),
        (D("1336.50"), D("1336.50")),
    ]
    lines = [(line.account, line.debit, line.credit) for line in entries[0].lines]
    assert lines == [
        ("411000", D("1548.50"), D("0.00")),
        ("706100", D("0.00"), D("1000.00")),
        ("708500", D("0.00"), D("250.00")),
        ("706300", D("0.00"), D("100.00")),
        ("709000", D("50.00"), D("0.00")),  # a negative line goes to the other side
        ("445710", D("0.00"), D("240.00")),
        ("445710", D("0.00"), D("8.50")),
    ]
    reversed_lines = [(line.account, line.debit, line.credit) for line in entries[2].lines]
    assert reversed_lines == [
        ("411000", D("0.00"), D("1336.50")),
        ("706300", D("1113.75"), D("0.00")),
        ("445710", D("222.75"), D("0.00")),
    ]


def test_the_csv_has_the_fec_columns_semicolons_decimal_commas_and_a_bom(billing_tenant):
    tenant = billing_tenant
    Client.objects.filter(pk=tenant.client.pk).update(name='=HYPERLINK("http://x")')
    invoice = issued(tenant, day=datetime.date(2026, 3, 10))
    filename, data = accounting.accounting_export(actor=tenant.manager, month="2026-03")
    assert filename == "journal-ventes-2026-03.csv"
    assert data.decode("utf-8-sig").splitlines()[0] == ";".join(accounting.COLUMNS)
    rows = rows_of(data)
    assert [(r["CompteNum"], r["Debit"], r["Credit"]) for r in rows] == [
        ("411000", "1336,50", "0,00"),
        ("706300", "0,00", "1113,75"),
        ("445710", "0,00", "222,75"),
    ]
    first = rows[0]
    assert (first["JournalCode"], first["EcritureNum"], first["PieceRef"]) == ("VT", invoice.number, invoice.number)
    assert (first["EcritureDate"], first["PieceDate"], first["ValidDate"]) == ("20260310", "20260310", "20260310")
    assert first["CompAuxNum"] == f"C{tenant.client.pk:06d}"
    assert first["CompAuxLib"].startswith("'=HYPERLINK")  # never a formula in a spreadsheet
    assert rows[2]["CompteLib"] == "TVA collectée 20,00 %"
    debit = sum(D(r["Debit"].replace(",", ".")) for r in rows)
    assert debit == sum(D(r["Credit"].replace(",", ".")) for r in rows)


def test_an_empty_month_has_the_header_only_a_bad_month_is_an_error_and_only_managers_export(billing_tenant):
    tenant = billing_tenant
    _name, data = accounting.accounting_export(actor=tenant.manager, month="2026-07")
    assert rows_of(data) == []
    with pytest.raises(BillingError):
        accounting.accounting_export(actor=tenant.manager, month="2026-13")
    with pytest.raises(PermissionDenied):
        accounting.accounting_export(actor=tenant.technician, month="2026-03")
