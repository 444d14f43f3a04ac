"""Billing pages: a run from the form to issued invoices, invoices, credit notes, downloads, the portal."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from pypdf import PdfReader

from pacte.billing.models import BillingRun, Invoice, InvoiceStatus
from pacte.billing.tests.helpers import legal_identity
from pacte.ledger.tests.helpers_l3 import consume, fixed_fee_contract

D = Decimal
day = datetime.date


@pytest.fixture
def billed(tenant):
    """Worked example 1's contract with October's work, its client with a full legal identity."""
    legal_identity(tenant)
    contract = fixed_fee_contract(tenant, start=day(2026, 1, 1))
    for hours in ("4", "5.25", "3"):
        consume(contract, day(2026, 10, 12), hours)
    return contract


def test_a_run_from_the_form_to_issued_invoices(tenant, billed, login, run_jobs):
    http = login(tenant.manager)
    page = http.get(reverse("billing:run_list"))
    assert page.status_code == 200 and b'id="run-form"' in page.content
    response = http.post(reverse("billing:run_list"), {"month": "2026-10"})
    run = BillingRun.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("billing:run_detail", args=[run.pk])
    waiting = http.get(reverse("billing:run_detail", args=[run.pk]))
    assert b'data-status="pending"' in waiting.content and b"every 1s" in waiting.content  # polled until done
    run_jobs()
    detail = http.get(reverse("billing:run_detail", args=[run.pk]))
    assert b'data-status="drafted"' in detail.content
    assert "1\u00a0113,75" in detail.content.decode() and b'id="issue-all"' in detail.content
    progress = http.get(reverse("billing:run_detail", args=[run.pk]) + "?progress=1", HTTP_HX_REQUEST="true")
    assert progress["HX-Refresh"] == "true"
    http.post(reverse("billing:run_issue", args=[run.pk]))
    run_jobs()
    invoice = Invoice.objects.get()
    assert invoice.status == InvoiceStatus.ISSUED and invoice.number.startswith("FA-")
    assert invoice.document is not None  # the worker rendered the PDF after the number
    page = http.get(reverse("billing:invoice_detail", args=[invoice.pk])).content.decode()
    assert invoice.number in page and "1\u00a0336,50" in page
    assert "40" in page and "pénalités" in page.lower()  # the mentions printed on it
    pdf = http.get(reverse("billing:invoice_pdf", args=[invoice.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    import io

    reader = PdfReader(io.BytesIO(pdf.content))
    assert "factur-x.xml" in reader.attachments
    xml = http.get(reverse("billing:invoice_xml", args=[invoice.pk]))
    assert xml.status_code == 200 and invoice.number.encode() in xml.content


def test_bad_month_is_a_clear_error(tenant, login):
    http = login(tenant.manager)
    for month in ("2026-13", "octobre", "2099-01"):
        response = http.post(reverse("billing:run_list"), {"month": month})
        assert response.status_code == 400 and b'id="month-error"' in response.content
    assert not BillingRun.objects.exists()


def test_credit_note_flow_and_a_draft_is_deletable_an_issued_invoice_not(tenant, billed, login):
    from pacte.billing import runs

    run = runs.run_create(actor=tenant.manager, provider=tenant.provider, month="2026-10")
    runs.run_execute(run, actor=tenant.manager, issue=True, render=False)
    invoice = Invoice.objects.get()
    http = login(tenant.manager)
    assert http.post(reverse("billing:invoice_delete", args=[invoice.pk])).status_code == 409
    form = http.get(reverse("billing:credit_note_create", args=[invoice.pk]))
    assert form.status_code == 200
    lines = list(invoice.lines.order_by("position"))
    bad = http.post(
        reverse("billing:credit_note_create", args=[invoice.pk]), {f"line_{lines[0].pk}": "5000", "reason": "x"}
    )
    assert bad.status_code == 400
    no_reason = http.post(reverse("billing:credit_note_create", args=[invoice.pk]), {f"line_{lines[1].pk}": "95"})
    assert no_reason.status_code == 400 and b'id="reason-error"' in no_reason.content
    response = http.post(
        reverse("billing:credit_note_create", args=[invoice.pk]),
        {f"line_{lines[0].pk}": "", f"line_{lines[1].pk}": "95.00", "reason": "Une heure offerte"},
    )
    note = Invoice.objects.get(kind="credit_note")
    assert response.status_code == 302 and (note.total_net, note.total_gross) == (D("95.00"), D("114.00"))
    http.post(reverse("billing:invoice_issue", args=[note.pk]))
    note.refresh_from_db()
    assert note.number.startswith("AV-") and note.data["preceding_number"] == invoice.number
    # A second credit note cannot cancel more than what is left on the invoice.
    again = http.post(
        reverse("billing:credit_note_create", args=[invoice.pk]),
        {f"line_{lines[0].pk}": "900.00", f"line_{lines[1].pk}": "213.75", "reason": "Tout"},
    )
    assert again.status_code == 302
    draft = Invoice.objects.filter(kind="credit_note", status="draft").get()
    http.post(reverse("billing:invoice_issue", args=[draft.pk]))
    draft.refresh_from_db()
    assert draft.status == "draft"  # refused: 1 113.75 + 95.00 > 1 113.75
    # A draft is deleted; its movements go back to "not invoiced".
    assert http.post(reverse("billing:invoice_delete", args=[draft.pk])).status_code == 302
    assert not Invoice.objects.filter(pk=draft.pk).exists()


def test_roles_and_scopes(tenant, other_tenant, billed, login):
    from pacte.billing import runs

    run = runs.run_create(actor=tenant.manager, provider=tenant.provider, month="2026-10")
    runs.run_execute(run, actor=tenant.manager, issue=True, render=False)
    invoice = Invoice.objects.get()
    assert login(tenant.technician).get(reverse("billing:invoice_list")).status_code == 403
    assert login(tenant.client_manager).get(reverse("billing:invoice_list")).status_code == 404
    assert login(other_tenant.manager).get(reverse("billing:invoice_detail", args=[invoice.pk])).status_code == 404
    assert login(other_tenant.manager).get(reverse("billing:run_detail", args=[run.pk])).status_code == 404
    # The client's manager sees it in the portal and downloads it; the other client's manager and a user do not.
    portal = login(tenant.client_manager).get(reverse("portal:invoice_list"))
    assert portal.status_code == 200 and invoice.number.encode() in portal.content
    assert login(tenant.client_manager).get(reverse("portal:invoice_pdf", args=[invoice.pk])).status_code == 200
    assert login(tenant.other_client_manager).get(reverse("portal:invoice_pdf", args=[invoice.pk])).status_code == 404
    assert login(tenant.client_user).get(reverse("portal:invoice_list")).status_code == 404


def test_list_pages_cap_their_queries(tenant, billed, login, django_assert_max_num_queries):
    from pacte.billing import runs

    for n in range(5):
        fixed_fee_contract(tenant, start=day(2026, 1, 1), included="0", client=tenant.other_client if n % 2 else None)
    run = runs.run_create(actor=tenant.manager, provider=tenant.provider, month="2026-10")
    runs.run_execute(run, actor=tenant.manager, issue=True, render=False)
    http = login(tenant.manager)
    with django_assert_max_num_queries(15):
        assert http.get(reverse("billing:invoice_list")).status_code == 200
    with django_assert_max_num_queries(15):
        assert http.get(reverse("billing:run_detail", args=[run.pk])).status_code == 200
    portal = login(tenant.client_manager)
    with django_assert_max_num_queries(15):
        assert portal.get(reverse("portal:invoice_list")).status_code == 200
