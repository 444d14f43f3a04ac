"""A credit note has no due date: none on the invoice row, none in its Factur-X XML (BT-9), none on its PDF.

Its payment terms (BT-20) say it is deducted from the invoice it corrects, or refunded; it carries no
payment instructions to the seller's account; every reader of ``due_date`` copes with ``None``.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import translation

from pacte.billing import api, export, facturx, payments, reminders, snapshot
from pacte.billing.models import Invoice, Reminder
from pacte.billing.rendering import invoice_xml
from pacte.billing.schemas import InvoiceOut
from pacte.billing.services import credit_note_create, invoices_issue
from pacte.billing.tests.helpers import legal_identity
from pacte.billing.tests.test_facturx import pdf_text, xpath
from pacte.billing.tests.test_payments import DUE, issued
from pacte.documents import rendering

pytestmark = pytest.mark.django_db

D = Decimal
NOTE_DAY = datetime.date(2026, 1, 20)
SETTLEMENT = "//ram:ApplicableHeaderTradeSettlement"
TERMS = f"{SETTLEMENT}/ram:SpecifiedTradePaymentTerms"


@pytest.fixture
def billing_tenant(tenant):
    return legal_identity(tenant)


def credit_note(tenant, invoice: Invoice, *, amount: str = "100.00") -> Invoice:
    """A credit note of ``amount`` € excl. VAT on ``invoice``'s first line, issued on NOTE_DAY through the
    validator (the XML of the draft is checked before a number is given)."""
    line = invoice.lines.get(position=1)
    note = credit_note_create(actor=tenant.manager, invoice=invoice, lines={line.pk: D(amount)}, reason="Geste")
    (done,) = invoices_issue(
        actor=tenant.manager,
        provider=tenant.provider,
        invoice_ids=[note.pk],
        issue_date=NOTE_DAY,
        validate=True,
        render=False,
    )
    return Invoice.objects.get(pk=done.pk)


def test_an_issued_credit_note_has_no_due_date_nor_payment_account_and_says_what_becomes_of_it(billing_tenant):
    invoice = issued(billing_tenant)
    note = credit_note(billing_tenant, invoice)
    assert (note.number, note.due_date, invoice.due_date) == ("AV-2026-000001", None, DUE)
    assert note.data["due_date"] is None
    assert (note.data["iban"], note.data["bic"]) == ("", "")
    assert note.data["payment_terms"] == (
        "Avoir à déduire du règlement de la facture FA-2026-000001 du 15/01/2026, ou à rembourser."
    )
    assert note.penalty_rate == snapshot.penalty_rate(NOTE_DAY)  # the rate its printed mentions state


def test_a_credit_notes_xml_has_no_bt9_but_bt20_and_passes_the_xsd_and_both_rule_sets(billing_tenant):
    invoice = issued(billing_tenant)
    note = credit_note(billing_tenant, invoice)
    xml = invoice_xml(note)
    assert xpath(xml, "//rsm:ExchangedDocument/ram:TypeCode") == ["381"]
    assert xpath(xml, f"{TERMS}/ram:DueDateDateTime/udt:DateTimeString") == []
    assert xpath(xml, f"{TERMS}/ram:Description") == [
        "Avoir à déduire du règlement de la facture FA-2026-000001 du 15/01/2026, ou à rembourser."
    ]
    # BT-115 is positive (what the client gets back): BR-CO-25 is met by BT-20 alone.
    assert xpath(xml, f"{SETTLEMENT}//ram:DuePayableAmount") == ["120.00"]
    assert xpath(xml, f"{SETTLEMENT}/ram:SpecifiedTradeSettlementPaymentMeans") == []
    assert xpath(xml, f"{SETTLEMENT}/ram:InvoiceReferencedDocument/ram:IssuerAssignedID") == ["FA-2026-000001"]
    report = facturx.validate(xml)
    assert report.ok and report.fatal_count == 0, report.summary()
    # The invoice it corrects keeps its due date and its bank account.
    invoice_xml_ = invoice_xml(invoice)
    assert xpath(invoice_xml_, f"{TERMS}/ram:DueDateDateTime/udt:DateTimeString") == ["20260214"]
    assert xpath(invoice_xml_, f"{SETTLEMENT}/ram:SpecifiedTradeSettlementPaymentMeans//ram:IBANID") == [
        "FR7630006000011234567890189"
    ]


def test_a_credit_note_issued_before_keeps_its_frozen_due_date(billing_tenant):
    """Existing rows are untouched: an old credit note's XML is rebuilt from its frozen data, due date included."""
    invoice = issued(billing_tenant)
    note = credit_note(billing_tenant, invoice)
    old = {**note.data, "due_date": "2026-02-19", "payment_terms": "30 jours date de facture"}
    Invoice.objects.filter(pk=note.pk).update(due_date=datetime.date(2026, 2, 19), data=old)
    note.refresh_from_db()
    xml = invoice_xml(note)
    assert xpath(xml, f"{TERMS}/ram:DueDateDateTime/udt:DateTimeString") == ["20260219"]
    assert xpath(xml, f"{TERMS}/ram:Description") == ["30 jours date de facture"]


def test_a_credit_notes_pdf_keeps_the_legal_mentions_and_never_a_date_to_pay_by(billing_tenant):
    invoice = issued(billing_tenant)
    note = credit_note(billing_tenant, invoice)
    data = snapshot.data_from_json(note.data)
    with translation.override("fr"):
        html = rendering.html_render(
            template_name="billing/pdf/invoice.html", context=facturx.invoice_pdf_context(data)
        )
        pdf = rendering.pdf_from_html(html, identifier=b"0" * 16)
    text = pdf_text(pdf)
    assert "AVOIR" in text and "FA-2026-000001" in text
    assert "au plus tard" not in text and "Échéance" not in text and "IBAN" not in text
    assert "à déduire du règlement de la facture FA-2026-000001" in text
    # The mentions required on any invoice document stay (harmless on a credit note).
    assert "Pas d’escompte pour paiement anticipé." in text
    assert "pénalités au taux annuel de 12,15 %" in text and "40 €" in text


def test_overdue_lists_and_reminders_never_pick_a_credit_note(billing_tenant, mailoutbox):
    invoice = issued(billing_tenant)
    note = credit_note(billing_tenant, invoice)
    late = DUE + datetime.timedelta(days=40)
    assert [row.invoice.pk for row in payments.overdue_list(actor=billing_tenant.manager, today=late)] == [invoice.pk]
    assert list(payments.unpaid_invoices(billing_tenant.provider.pk).values_list("pk", flat=True)) == [invoice.pk]
    assert payments.payment_state(note, late) == payments.PaymentState.CREDITED
    assert reminders.reminders_send(today=late).sent == 1
    assert list(Reminder.objects.values_list("invoice_id", flat=True)) == [invoice.pk]


def test_the_api_and_the_export_index_give_an_empty_due_date_for_a_credit_note(billing_tenant):
    invoice = issued(billing_tenant)
    note = credit_note(billing_tenant, invoice)
    assert InvoiceOut.model_validate(api.invoice_out(note)).due_date is None
    row = export._row(note, Path("AV-2026-000001.pdf"), "", Path("AV-2026-000001.xml"), "", "credited")
    assert dict(zip(export.COLUMNS, row, strict=False))["due_date"] == ""
    row = export._row(invoice, Path("FA-2026-000001.pdf"), "", Path("FA-2026-000001.xml"), "", "unpaid")
    assert dict(zip(export.COLUMNS, row, strict=False))["due_date"] == "2026-02-14"
