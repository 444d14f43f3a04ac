"""Done-when #4: every issued demo invoice passes the XSD and both Schematron sets, carries factur-x.xml
with the EN 16931 level in its XMP, and ``pacte invoice pdf`` writes it. And the demo tells the billing
story: months issued on their first working day, an overdue invoice reminded once per step, an approved
service credit on an invoice, an accepted milestone billed, and an empty leak report."""

from __future__ import annotations

import hashlib
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from pacte import cli
from pacte.billing import facturx
from pacte.billing.demo import demo_billing
from pacte.billing.models import Invoice, InvoiceKind, InvoiceStatus
from pacte.billing.rendering import invoice_xml
from pacte.billing.tests.test_facturx import assert_is_facturx_en16931
from pacte.demo import load_demo
from pacte.documents.services import document_content

pytestmark = pytest.mark.django_db


def test_every_demo_invoice_is_a_valid_factur_x_and_the_cli_writes_it(seal, tmp_path, capsys):
    provider = load_demo(today=timezone.localdate())
    for command in ("load_demo_contracts", "load_demo_tickets", "load_demo_interventions"):
        call_command(command, verbosity=0)
    created = demo_billing(provider)
    assert demo_billing(provider) == []  # once
    issued = list(Invoice.objects.filter(provider=provider, status=InvoiceStatus.ISSUED).select_related("document"))
    assert len(issued) == len(created) >= 4
    assert {invoice.kind for invoice in issued} == {InvoiceKind.INVOICE, InvoiceKind.CREDIT_NOTE}
    assert Invoice.objects.filter(provider=provider, status=InvoiceStatus.DRAFT).count() == 0
    for invoice in issued:
        xml = invoice_xml(invoice)
        report = facturx.validate(xml)
        assert report.ok, (invoice.number, report.summary())
        assert report.fatal_count == 0
        assert invoice.document is not None and invoice.document.is_sealed
        pdf = document_content(invoice.document)
        assert_is_facturx_en16931(pdf, xml)
        assert hashlib.sha256(xml).hexdigest() == invoice.xml_sha256

        output = tmp_path / f"{invoice.number}.pdf"
        code = cli.main(
            ["invoice", "pdf", str(invoice.number), "--output", str(output), "--provider", str(provider.pk)]
        )
        assert code == 0 and output.read_bytes() == pdf
        assert invoice.number in capsys.readouterr().out
    _assert_the_billing_story(provider)
    # An unknown number is a clear error, nothing written.
    missing = tmp_path / "missing.pdf"
    code = cli.main(["invoice", "pdf", "FA-1999-000001", "--output", str(missing), "--provider", str(provider.pk)])
    assert code == 2 and not missing.exists()
    assert "FA-1999-000001" in capsys.readouterr().err


def _assert_the_billing_story(provider):
    from pacte.billing import payments
    from pacte.billing.demo import MONTHS, first_working_day
    from pacte.billing.models import InvoiceLine, LineKind, Payment, Reminder
    from pacte.billing.models_credits import CreditStatus, ServiceCredit
    from pacte.billing.reminders import reminders_send
    from pacte.contracts.dates import add_months
    from pacte.ledger.selectors import leak_report
    from pacte.tenancy.models import Membership

    today = timezone.localdate()
    manager = Membership.objects.get(provider=provider, user__email="manager@demo.pacte.test")
    invoices = Invoice.objects.filter(provider=provider, kind=InvoiceKind.INVOICE, status=InvoiceStatus.ISSUED)
    # Each month issued on the first working day of the next one, in the numbers' order.
    months = sorted(set(invoices.values_list("billing_period", flat=True)))
    assert len(months) == MONTHS
    for month in months:
        dates = set(invoices.filter(billing_period=month).values_list("issue_date", flat=True))
        assert dates == {min(first_working_day(add_months(month, 1)), today)}, month
    ordered = list(invoices.order_by("sequence").values_list("issue_date", flat=True))
    assert ordered == sorted(ordered)

    # One invoice paid; others of the oldest month overdue, in the overdue list, with their reminders.
    assert Payment.objects.filter(provider=provider).count() == 1
    overdue = payments.overdue_list(actor=manager, today=today)
    assert overdue and all(row.days_late > 0 for row in overdue)
    assert {row.invoice.billing_period for row in overdue} >= {months[0]}
    reminded = Reminder.objects.filter(invoice__provider=provider)
    assert reminded.exists() and {row.invoice_id for row in reminded} <= {row.invoice.pk for row in overdue}
    # Every issued invoice and credit note was e-mailed once to its client, its stored PDF attached; the
    # Metz client's goes to its billing contact, and the reminders follow in the invoice's thread.
    from pacte.mail.models import OutboundMessage

    documents = Invoice.objects.filter(provider=provider, status=InvoiceStatus.ISSUED).select_related("document")
    for document in documents:
        mailed = OutboundMessage.objects.filter(key=f"billing-invoice:{document.pk}")
        assert mailed.count() == 1, document.number
        message = mailed.get()
        attachment = message.attachments.get()
        assert document.number in message.subject and attachment.filename.endswith(".pdf")
        assert document.document is not None and attachment.sha256 == document.document.sha256
        if document.client.name.startswith("Mosellane"):
            assert any("comptabilite@" in address for address in message.to)
    reminded_mail = OutboundMessage.objects.filter(key__startswith="billing-reminder:")
    assert reminded_mail.exists() and all(row.thread.startswith("invoice:") for row in reminded_mail)
    # Each step dated the day the nightly job sent it: after the due date, the steps on different days.
    for row in reminded.select_related("invoice"):
        assert row.invoice.due_date < timezone.localtime(row.sent_at).date() <= today
    steps = {(row.invoice_id, timezone.localtime(row.sent_at).date()) for row in reminded}
    assert len(steps) == reminded.count()
    before = reminded.count()
    report = reminders_send(today=today, provider_id=provider.pk)  # the job again today: nothing new
    assert report.sent == 0 and reminded.count() == before

    # The Metz outage's service credit: proposed by the run, approved, a negative line of an issued invoice.
    credit = ServiceCredit.objects.get(provider=provider)
    assert credit.status == CreditStatus.APPROVED and credit.invoice_line is not None
    line = credit.invoice_line
    assert line.kind == LineKind.SERVICE_CREDIT and line.amount == -credit.amount < 0
    assert line.invoice.status == InvoiceStatus.ISSUED and line.invoice.billing_period == credit.month
    assert credit.detail["breaches"]

    # The migration's first milestone, accepted on its day, is on an issued invoice.
    milestone = InvoiceLine.objects.get(invoice__provider=provider, kind=LineKind.MILESTONE)
    assert milestone.invoice.status == InvoiceStatus.ISSUED and milestone.amount == 1500

    # The per-task contract's catalogue tasks read quantity × unit price.
    tasks = InvoiceLine.objects.filter(invoice__provider=provider, kind=LineKind.TASK).order_by("pk")
    assert [(line.quantity, line.unit_price, line.amount) for line in tasks] == [
        (2, Decimal("180.00"), Decimal("360.00")),
        (1, Decimal("95.50"), Decimal("95.50")),
    ]
    assert all(line.invoice.status == InvoiceStatus.ISSUED for line in tasks)

    assert leak_report(actor=manager).is_empty
