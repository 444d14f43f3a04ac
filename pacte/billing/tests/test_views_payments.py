"""The payment pages and the payments API: render, clear errors, scoping (404 foreign, 403 technician),
query counts."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone, translation

from pacte.accounts.models import User
from pacte.audit.models import AuditEvent
from pacte.billing.models import Payment
from pacte.billing.tests.helpers import legal_identity
from pacte.billing.tests.test_payments import draft, issued, pay

D = Decimal

pytestmark = [pytest.mark.django_db]


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def billing_tenant(tenant):
    """Its members read English pages (what the tests compare); French is the default."""
    User.objects.filter(memberships__provider=tenant.provider).update(language="en")
    return legal_identity(tenant)


# Pages --------------------------------------------------------------------------------------------


def test_a_manager_records_a_payment_from_the_form(billing_tenant, login):
    tenant = billing_tenant
    invoice = issued(tenant)
    http = login(tenant.manager)
    url = reverse("billing:payment_create", args=[invoice.pk])
    page = http.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="payment-form"' in html and 'value="1336,50"' in html and 'data-state="overdue"' in html
    response = http.post(
        url, {"received_on": "2026-02-20", "amount": "1 000,50", "method": "cheque", "reference": "Chèque 123"}
    )
    assert response.status_code == 302 and response["Location"] == reverse("billing:invoice_detail", args=[invoice.pk])
    payment = Payment.objects.get()
    assert (payment.amount, payment.method, payment.reference) == (D("1000.50"), "cheque", "Chèque 123")


@pytest.mark.parametrize(
    ("amount", "day", "message"),
    [
        ("mille", "2026-02-20", "Write an amount in euros"),
        ("2000", "2026-02-20", "more than the 1336.50 € still due"),
        ("10", "2026-01-01", "before the invoice&#x27;s issue date"),
        ("10", "", 'data-field="received_on"'),
    ],
)
def test_bad_input_gives_a_clear_error_and_records_nothing(billing_tenant, login, amount, day, message):
    invoice = issued(billing_tenant)
    response = login(billing_tenant.manager).post(
        reverse("billing:payment_create", args=[invoice.pk]),
        {"received_on": day, "amount": amount, "method": "transfer"},
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Payment.objects.exists()


def test_a_draft_takes_no_payment_foreign_invoices_are_404_technicians_403_clients_404(
    billing_tenant, other_tenant, login
):
    tenant = billing_tenant
    invoice = issued(tenant)
    assert login(tenant.manager).get(reverse("billing:payment_create", args=[draft(tenant).pk])).status_code == 409
    url = reverse("billing:payment_create", args=[invoice.pk])
    data = {"received_on": "2026-02-20", "amount": "10", "method": "transfer"}
    assert login(other_tenant.manager).get(url).status_code == 404
    assert login(other_tenant.manager).post(url, data).status_code == 404
    assert login(tenant.technician).get(url).status_code == 403
    assert login(tenant.technician).post(url, data).status_code == 403
    for member in (tenant.client_manager, tenant.client_user):
        assert login(member).get(url).status_code == 404
    for name in ("bank_import", "accounting_export", "overdue_list"):
        assert login(tenant.technician).get(reverse(f"billing:{name}")).status_code == 403
        assert login(tenant.client_manager).get(reverse(f"billing:{name}")).status_code == 404
    assert not Payment.objects.exists()


def test_a_payment_is_deleted_after_confirmation(billing_tenant, other_tenant, login):
    tenant = billing_tenant
    invoice = issued(tenant)
    payment = pay(tenant, invoice, "100.00", datetime.date(2026, 2, 1), today=timezone.localdate())
    url = reverse("billing:payment_delete", args=[payment.pk])
    assert login(other_tenant.manager).post(url).status_code == 404
    assert login(tenant.technician).post(url).status_code == 403
    http = login(tenant.manager)
    assert 'id="payment-delete-form"' in http.get(url).content.decode()
    response = http.post(url)
    assert response.status_code == 302 and response["Location"] == reverse("billing:invoice_detail", args=[invoice.pk])
    assert not Payment.objects.exists() and AuditEvent.objects.filter(action="billing.payment_delete").exists()


def test_the_bank_import_page_shows_the_report_or_the_files_error(billing_tenant, login):
    tenant = billing_tenant
    issued(tenant)
    http = login(tenant.manager)
    url = reverse("billing:bank_import")
    assert 'id="bank-import-form"' in http.get(url).content.decode()
    statement = "Date;Libellé;Montant\n03/02/2026;VIR FA-2026-000001;336,50\n04/02/2026;VIR INCONNU;5,00\nxx;a;b\n"
    response = http.post(url, {"file": SimpleUploadedFile("releve.csv", statement.encode("cp1252"))})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="import-matched"' in html and 'id="import-unmatched"' in html and 'id="import-rejected"' in html
    assert "No invoice number in the label." in html and "1 payment recorded" in html
    assert Payment.objects.get().amount == D("336.50")
    bad = http.post(url, {"file": SimpleUploadedFile("photo.png", b"\x89PNG\x00\x00binary")})
    assert bad.status_code == 400 and "not text" in bad.content.decode()
    assert http.post(url, {}).status_code == 400
    assert Payment.objects.count() == 1


def test_the_accounting_export_downloads_the_months_csv(billing_tenant, login):
    tenant = billing_tenant
    invoice = issued(tenant, day=datetime.date(2026, 3, 10))
    http = login(tenant.manager)
    url = reverse("billing:accounting_export")
    assert 'id="accounting-export-form"' in http.get(url).content.decode()
    response = http.get(url, {"month": "2026-03"})
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="journal-ventes-2026-03.csv"'
    assert invoice.number in response.content.decode("utf-8-sig")
    bad = http.get(url, {"month": "mars"})
    assert bad.status_code == 400 and "YYYY-MM" in bad.content.decode()


def test_the_overdue_list_shows_days_late_and_penalty_in_capped_queries(
    billing_tenant, login, django_assert_max_num_queries
):
    tenant = billing_tenant
    today = timezone.localdate()
    issue_day = today - datetime.timedelta(days=60)  # due 30 days ago
    for _ in range(5):
        invoice = issued(tenant, day=issue_day)
        pay(tenant, invoice, "100.00", issue_day, today=today)
    http = login(tenant.manager)
    http.get(reverse("billing:overdue_list"))  # warm the session and caches
    with django_assert_max_num_queries(12):
        response = http.get(reverse("billing:overdue_list"))
    html = response.content.decode()
    assert response.status_code == 200 and html.count('data-testid="days-late">30<') == 5
    assert 'data-testid="due">1,236.50' in html


# API ----------------------------------------------------------------------------------------------


def call(token: str, method: str, url: str, body: dict | None = None, **extra):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}", "HTTP_ACCEPT_LANGUAGE": "en"}
    if body is None:
        return getattr(HttpClient(), method)(f"/api/v1{url}", **headers, **extra)
    return getattr(HttpClient(), method)(
        f"/api/v1{url}", json.dumps(body), content_type="application/json", **headers, **extra
    )


def test_the_api_records_and_lists_payments_with_the_state_and_penalty(billing_tenant, api_token):
    tenant = billing_tenant
    invoice = issued(tenant)
    token = api_token(tenant.manager)
    body = {"received_on": "2026-03-16", "amount": "336.50", "method": "transfer", "reference": "VIR"}
    created = call(token, "post", f"/invoices/{invoice.pk}/payments", body)
    assert created.status_code == 201, created.content
    assert (created.json()["amount"], created.json()["imported"]) == ("336.50", False)
    listed = call(token, "get", f"/invoices/{invoice.pk}/payments")
    data = listed.json()
    assert (data["state"], data["paid"], data["due"], data["number"]) == (
        "overdue",
        "336.50",
        "1000.00",
        invoice.number,
    )
    assert D(data["penalty_indemnity"]) == D("40.00") and D(data["penalty_interest"]) > 0
    assert [p["amount"] for p in data["payments"]] == ["336.50"]


def test_api_errors(billing_tenant, other_tenant, api_token):
    tenant = billing_tenant
    invoice = issued(tenant)
    token = api_token(tenant.manager)
    url = f"/invoices/{invoice.pk}/payments"
    too_much = call(token, "post", url, {"received_on": "2026-03-16", "amount": "9999"})
    assert (
        too_much.status_code == 422 and "restant dus" in too_much.json()["detail"]
    )  # the API answers in French, the default
    assert (
        call(token, "post", url, {"received_on": "2026-03-16", "amount": "1", "method": "bitcoin"}).status_code == 422
    )
    assert call(token, "post", url, {"received_on": "16/03/2026", "amount": "1"}).status_code == 422
    assert (
        call(
            token, "post", f"/invoices/{draft(tenant).pk}/payments", {"received_on": "2026-03-16", "amount": "1"}
        ).status_code
        == 409
    )
    assert call(api_token(other_tenant.manager), "get", url).status_code == 404
    assert call(api_token(tenant.technician), "get", url).status_code == 403
    assert (
        call(api_token(tenant.client_manager), "post", url, {"received_on": "2026-03-16", "amount": "1"}).status_code
        == 403
    )
    assert not Payment.objects.exists()


def test_api_bank_import_and_accounting_export(billing_tenant, api_token):
    tenant = billing_tenant
    issued(tenant, day=datetime.date(2026, 3, 10))
    token = api_token(tenant.manager)
    statement = "Date;Libellé;Montant\n12/03/2026;VIR FA-2026-000001;1336,50\n"
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}", "HTTP_ACCEPT_LANGUAGE": "en"}
    upload = SimpleUploadedFile("releve.csv", statement.encode())
    response = HttpClient().post("/api/v1/bank-imports", {"file": upload}, **headers)
    assert response.status_code == 200, response.content
    assert [line["invoice_number"] for line in response.json()["matched"]] == ["FA-2026-000001"]
    again = HttpClient().post(
        "/api/v1/bank-imports", {"file": SimpleUploadedFile("r.csv", statement.encode())}, **headers
    )
    assert (again.json()["matched"], len(again.json()["already_imported"])) == ([], 1)
    bad = HttpClient().post("/api/v1/bank-imports", {"file": SimpleUploadedFile("x.bin", b"\x00\x01")}, **headers)
    assert bad.status_code == 422 and "pas du texte" in bad.json()["detail"]
    assert HttpClient().post("/api/v1/bank-imports", {}, **headers).status_code == 422
    export = call(token, "get", "/accounting-export?month=2026-03")
    assert export.status_code == 200 and export["Content-Type"] == "text/csv; charset=utf-8"
    assert export.content.startswith("\ufeffJournalCode;".encode())
    assert call(token, "get", "/accounting-export?month=2026-3").status_code == 422
    assert call(token, "get", "/accounting-export").status_code == 200  # the previous month
    assert call(api_token(tenant.technician), "get", "/accounting-export?month=2026-03").status_code == 403
    assert Payment.objects.count() == 1
