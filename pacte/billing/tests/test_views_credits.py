"""The service credits pages and API: render, compute, approve, reject, clear errors, roles (technician
403, client roles 404 on pages / 403 in the API, another provider 404), query counts; the service level's
credit terms in the SLA form, page and API."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import translation

from pacte.accounts.models import User
from pacte.billing import service_credits
from pacte.billing.models_credits import CreditStatus, ServiceCredit
from pacte.billing.tests.test_service_credits import OCT_1, OCT_31, level_with_credits, p1, paris
from pacte.servicedesk.tests import helpers
from pacte.sla.models import ServiceLevel

D = Decimal
pytestmark = [pytest.mark.django_db]


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def credit_tenant(tenant):
    """Worked example 4 proposed: two breached P1 restorations in October on a 900.00 € fee."""
    User.objects.filter(memberships__provider=tenant.provider).update(language="en")
    level = level_with_credits(tenant)
    contract = helpers.contract_in_force(tenant, service_level=level.pk, start=datetime.date(2026, 1, 1))
    tenant.tickets = [
        p1(tenant, paris(5, 9), restored=paris(5, 17)),
        p1(tenant, paris(12, 9), restored=paris(12, 16)),
    ]
    tenant.contract = contract
    tenant.level = level
    return tenant


def list_url(month: str = "2026-10") -> str:
    return f"{reverse('billing:credit_list')}?month={month}"


# Pages --------------------------------------------------------------------------------------------


def test_a_manager_computes_reviews_and_approves_a_month(credit_tenant, login):
    tenant = credit_tenant
    http = login(tenant.manager)
    empty = http.get(list_url())
    assert empty.status_code == 200 and 'id="no-credits"' in empty.content.decode()
    assert 'id="credit-compute-form"' in empty.content.decode()

    response = http.post(reverse("billing:credit_list"), {"month": "2026-10", "client": ""})
    assert response.status_code == 302 and response["Location"] == list_url()
    credit = ServiceCredit.objects.get()
    page = http.get(list_url())
    html = page.content.decode()
    assert page.status_code == 200
    assert f'data-testid="credit-{credit.pk}" data-status="proposed"' in html
    assert 'data-testid="amount">90.00' in html and tenant.contract.reference in html
    for ticket in tenant.tickets:
        assert f'href="{reverse("servicedesk:ticket_detail", args=[ticket.pk])}">{ticket.reference}</a>' in html

    response = http.post(reverse("billing:credit_approve", args=[credit.pk]))
    assert response.status_code == 302 and response["Location"] == list_url()
    credit.refresh_from_db()
    assert (credit.status, credit.decided_by) == (CreditStatus.APPROVED, tenant.manager)
    again = http.post(reverse("billing:credit_approve", args=[credit.pk]), follow=True)
    assert "already approved" in again.content.decode()
    assert 'data-status="approved"' in http.get(list_url() + "&status=approved").content.decode()
    assert 'id="no-credits"' in http.get(list_url() + "&status=proposed").content.decode()


def test_rejecting_needs_a_reason(credit_tenant, login):
    tenant = credit_tenant
    [credit] = service_credits.credits_propose(tenant.provider, OCT_1, OCT_31)
    http = login(tenant.admin)
    url = reverse("billing:credit_reject", args=[credit.pk])
    bad = http.post(url, {"reason": "  "})
    assert bad.status_code == 400 and "Say why the service credit is rejected" in bad.content.decode()
    assert http.post(url, {"reason": "x" * 501}).status_code == 400
    credit.refresh_from_db()
    assert credit.status == CreditStatus.PROPOSED
    response = http.post(url, {"reason": "Coupure électrique chez le client"})
    assert response.status_code == 302
    credit.refresh_from_db()
    assert (credit.status, credit.reason) == (CreditStatus.REJECTED, "Coupure électrique chez le client")
    assert "Coupure électrique chez le client" in http.get(list_url()).content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"month": "octobre"}, "Choose a month in the list"),
        ({"month": "2026-13"}, "Choose a month in the list"),
        ({"month": "2099-01"}, "has not begun"),
        ({"month": "2026-10", "client": "999999"}, 'data-field="client"'),
    ],
)
def test_bad_compute_input_gives_a_clear_error(credit_tenant, login, data, message):
    response = login(credit_tenant.manager).post(reverse("billing:credit_list"), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ServiceCredit.objects.exists()


def test_roles_on_the_pages(credit_tenant, other_tenant, login):
    tenant = credit_tenant
    [credit] = service_credits.credits_propose(tenant.provider, OCT_1, OCT_31)
    approve = reverse("billing:credit_approve", args=[credit.pk])
    reject = reverse("billing:credit_reject", args=[credit.pk])
    technician = login(tenant.technician)
    assert technician.get(list_url()).status_code == 403
    assert technician.post(reverse("billing:credit_list"), {"month": "2026-10"}).status_code == 403
    assert technician.post(approve).status_code == 403
    assert technician.post(reject, {"reason": "non"}).status_code == 403
    for member in (tenant.client_manager, tenant.client_user):
        http = login(member)
        assert http.get(list_url()).status_code == 404
        assert http.post(approve).status_code == 404
    foreign = login(other_tenant.manager)
    assert foreign.post(approve).status_code == 404
    assert foreign.post(reject, {"reason": "non"}).status_code == 404
    assert f"credit-{credit.pk}" not in foreign.get(list_url()).content.decode()
    assert technician.get(approve).status_code in (403, 405)
    credit.refresh_from_db()
    assert credit.status == CreditStatus.PROPOSED


def test_the_list_reads_a_fixed_number_of_queries(credit_tenant, login, django_assert_max_num_queries):
    tenant = credit_tenant
    [credit] = service_credits.credits_propose(tenant.provider, OCT_1, OCT_31)
    service_credits.credit_approve(tenant.manager, credit)
    for index in range(6):
        contract = helpers.contract_in_force(tenant, title=f"Contrat {index}", start=datetime.date(2026, 1, 1))
        ServiceCredit.objects.create(
            provider=tenant.provider,
            client=tenant.client,
            contract=contract,
            month=OCT_1,
            amount=D("12.00"),
            percent=D("1.00"),
            detail=credit.detail,
            computed_at=credit.computed_at,
        )
    http = login(tenant.manager)
    http.get(list_url())  # warm the session and the caches
    with django_assert_max_num_queries(12):
        response = http.get(list_url())
    assert response.content.decode().count('data-testid="credit-') == 7


# API ----------------------------------------------------------------------------------------------


def call(token: str, method: str, url: str, body: dict | None = None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}", "HTTP_ACCEPT_LANGUAGE": "en"}
    if body is None:
        return getattr(HttpClient(), method)(f"/api/v1{url}", **headers)
    return getattr(HttpClient(), method)(f"/api/v1{url}", json.dumps(body), content_type="application/json", **headers)


def test_the_api_proposes_lists_approves_and_rejects(credit_tenant, api_token):
    tenant = credit_tenant
    token = api_token(tenant.manager)
    response = call(token, "post", "/service-credits/propose", {"month": "2026-10"})
    assert response.status_code == 200, response.content
    [item] = response.json()
    assert (item["amount"], item["percent"], item["status"]) == ("90.00", "10.00", "proposed")
    assert [b["reference"] for b in item["breaches"]] == [t.reference for t in tenant.tickets]
    assert item["contract_reference"] == tenant.contract.reference and item["invoice_id"] is None
    listed = call(token, "get", "/service-credits?month=2026-10&status=proposed").json()
    assert [row["id"] for row in listed["items"]] == [item["id"]] and listed["next_cursor"] is None
    assert call(token, "get", "/service-credits?month=2026-09").json()["items"] == []
    approved = call(token, "post", f"/service-credits/{item['id']}/approve")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert approved.json()["decided_by"] == tenant.manager.user.email
    assert call(token, "post", f"/service-credits/{item['id']}/approve").status_code == 409
    assert call(token, "post", f"/service-credits/{item['id']}/reject", {"reason": "non"}).status_code == 409


def test_api_errors_and_roles(credit_tenant, other_tenant, api_token):
    tenant = credit_tenant
    [credit] = service_credits.credits_propose(tenant.provider, OCT_1, OCT_31)
    token = api_token(tenant.manager)
    reject = f"/service-credits/{credit.pk}/reject"
    assert call(token, "post", reject, {"reason": ""}).status_code == 422
    assert call(token, "post", reject, {}).status_code == 422
    assert call(token, "post", reject, {"reason": "ok", "extra": 1}).status_code == 422
    assert call(token, "get", "/service-credits?month=2026-13").status_code == 422
    assert call(token, "get", "/service-credits").json()["items"]  # every month without ?month=
    assert call(token, "get", "/service-credits?month=2026-13").status_code == 422
    assert call(token, "post", "/service-credits/propose", {"month": "2099-01"}).status_code == 422
    assert call(token, "post", "/service-credits/propose", {"month": "2026-10", "client_id": 999999}).status_code == 422
    assert call(token, "post", "/service-credits/999999/approve").status_code == 404
    assert call(api_token(other_tenant.manager), "post", f"/service-credits/{credit.pk}/approve").status_code == 404
    for member in (tenant.technician, tenant.client_manager):
        member_token = api_token(member)
        assert call(member_token, "get", "/service-credits?month=2026-10").status_code == 403
        assert call(member_token, "post", f"/service-credits/{credit.pk}/approve").status_code == 403
    rejected = call(token, "post", reject, {"reason": "Panne chez l'opérateur du client"})
    assert rejected.status_code == 200 and rejected.json()["reason"] == "Panne chez l'opérateur du client"
    credit.refresh_from_db()
    assert credit.status == CreditStatus.REJECTED


def test_the_openapi_document_names_each_schema_once():
    from pacte.config.api import api

    schemas = api.get_openapi_schema()["components"]["schemas"]
    for name in ("ServiceCreditOut", "ServiceCreditBreachOut", "ServiceCreditRejectIn", "ServiceCreditProposeIn"):
        assert name in schemas
    paths = api.get_openapi_schema()["paths"]
    assert {"/api/v1/service-credits", "/api/v1/service-credits/{credit_id}/approve"} <= set(paths)


# The service level's credit terms (pacte/sla) -----------------------------------------------------


def test_the_service_level_form_and_page_edit_the_credit_terms(tenant, login):
    User.objects.filter(memberships__provider=tenant.provider).update(language="en")
    level = helpers.service_level(tenant)
    http = login(tenant.manager)
    url = reverse("sla:service_level_update", args=[level.pk])
    form = http.get(url).content.decode()
    assert 'name="credit_P1"' in form and 'name="credit_cap_percent" value="100.00"' in form
    data = {"name": level.name, "description": "", "calendar": level.calendar_id, "warning_percent": "75"}
    for priority in ("P1", "P2", "P3", "P4"):
        for kind in ("response", "intervention", "restoration", "resolution"):
            data[f"basis_{priority}_{kind}"] = "business"
    data["target_P1_restoration"] = "4"
    bad = http.post(url, {**data, "credit_P1": "cinq", "credit_cap_percent": "120"})
    assert bad.status_code == 422
    assert bad.content.decode().count("Enter a percentage between 0 and 100") == 2
    good = {"credit_P1": "5", "credit_P2": "2,5", "credit_cap_percent": "20", "availability_target": "99,5"}
    response = http.post(url, {**data, **good, "availability_credit_percent": "1"})
    assert response.status_code == 302
    level.refresh_from_db()
    assert level.credit_grid == {"P1": "5.00", "P2": "2.50"}
    assert (level.credit_cap_percent, level.availability_target, level.availability_step) == (
        D("20.00"),
        D("99.50"),
        D("0.10"),
    )
    assert level.availability_credit_percent == D("1.00")
    page = http.get(reverse("sla:service_level_detail", args=[level.pk])).content.decode()
    assert 'data-testid="service-credits"' in page and "P1 5.00" in page and "99.50" in page


def test_the_service_level_api_carries_the_credit_terms(tenant, api_token):
    level = helpers.service_level(tenant)
    token = api_token(tenant.manager)
    url = f"/sla/service-levels/{level.pk}"
    patched = call(
        token,
        "patch",
        url,
        {"credit_grid": {"P1": "5.00"}, "credit_cap_percent": 20, "availability_target": "99.50"},
    )
    assert patched.status_code == 200, patched.content
    body = patched.json()
    assert body["credit_grid"] == {"P1": "5.00"} and body["credit_cap_percent"] == "20.00"
    assert body["availability_target"] == "99.50" and body["availability_step"] == "0.10"
    assert call(token, "patch", url, {"credit_cap_percent": 101}).status_code == 422
    assert call(token, "patch", url, {"credit_grid": {"P7": 1}}).status_code == 422
    cleared = call(token, "patch", url, {"availability_target": None})
    assert cleared.status_code == 200 and cleared.json()["availability_target"] is None
    assert ServiceLevel.objects.get(pk=level.pk).credit_grid == {"P1": "5.00"}
    created = call(
        token,
        "post",
        "/sla/service-levels",
        {"name": "Premium", "calendar_id": level.calendar_id, "credit_grid": {"P1": 5}},
    )
    assert created.status_code == 201 and created.json()["credit_grid"] == {"P1": "5.00"}
    assert created.json()["credit_cap_percent"] == "100.00"
