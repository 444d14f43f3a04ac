"""Done-when #4: every issued demo invoice passes the XSD and both Schematron sets, carries factur-x.xml
with the EN 16931 level in its XMP, and ``pacte invoice pdf`` writes it."""

from __future__ import annotations

import hashlib

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
    # An unknown number is a clear error, nothing written.
    missing = tmp_path / "missing.pdf"
    code = cli.main(["invoice", "pdf", "FA-1999-000001", "--output", str(missing), "--provider", str(provider.pk)])
    assert code == 2 and not missing.exists()
    assert "FA-1999-000001" in capsys.readouterr().err
