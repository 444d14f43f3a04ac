"""The ledger API: accounts and balances, movements (cursor-paginated), adjustments, the leak report."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.test import Client as HttpClient

from pacte.audit.models import AuditEvent
from pacte.contracts import services as contract_services
from pacte.interventions.tests import helpers
from pacte.ledger import services
from pacte.ledger.models import Movement
from pacte.ledger.tests import builders

pytestmark = pytest.mark.django_db


def call(token: str, method: str, path: str, body: dict | None = None):
    http = HttpClient()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    if body is None:
        return getattr(http, method)(f"/api/v1{path}", **headers)
    return getattr(http, method)(f"/api/v1{path}", json.dumps(body), content_type="application/json", **headers)


def adjust(tenant, contract, quantity: str, unit: str = "hours"):
    return services.adjustment_post(actor=tenant.manager, contract=contract, unit=unit, quantity=quantity, reason="R")


def test_the_ledger_lists_accounts_with_computed_balances(tenant, api_token):
    contract = helpers.covered_contract(tenant, **builders.FIXED_FEE_HOURS)
    adjust(tenant, contract, "3")
    adjust(tenant, contract, "-1.25")
    adjust(tenant, contract, "-20", unit="euros")
    for member in (tenant.manager, tenant.technician, tenant.client_manager):
        response = call(api_token(member), "get", f"/contracts/{contract.pk}/ledger")
        assert response.status_code == 200
        data = response.json()
        assert data["contract_id"] == contract.pk
        balances = {
            a["unit"]: (Decimal(a["balance"]), a["billable_total"] and Decimal(a["billable_total"]))
            for a in data["accounts"]
        }
        assert balances == {"euros": (Decimal("-20"), Decimal("20")), "hours": (Decimal("1.75"), None)}


def test_a_contract_the_caller_does_not_see_is_a_404(tenant, other_tenant, api_token):
    contract = helpers.contract_in_force(tenant)
    adjust(tenant, contract, "5", unit="euros")
    for member in (tenant.client_user, tenant.other_client_manager, other_tenant.admin):
        token = api_token(member)
        assert call(token, "get", f"/contracts/{contract.pk}/ledger").status_code == 404
        assert call(token, "get", f"/contracts/{contract.pk}/ledger/movements").status_code == 404


def test_movements_are_cursor_paginated_with_their_rule_and_source(tenant, api_token):
    contract = helpers.covered_contract(tenant, **builders.FIXED_FEE_HOURS)
    posted = [adjust(tenant, contract, str(n)) for n in range(1, 6)]
    token = api_token(tenant.manager)
    seen, cursor = [], None
    while True:
        path = f"/contracts/{contract.pk}/ledger/movements?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = call(token, "get", path).json()
        seen.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [item["id"] for item in seen] == [m.pk for m in posted]
    first = seen[0]
    assert first["kind"] == "adjustment" and first["unit"] == "hours" and Decimal(first["quantity"]) == 1
    assert first["source_kind"] == "adjustment" and first["key"].startswith("adjustment:")
    assert first["rule"]["manual"] is True and first["rule"]["billing_model"] == "fixed_fee"
    assert call(token, "get", f"/contracts/{contract.pk}/ledger/movements?cursor=nonsense").status_code == 400


def test_a_manager_posts_an_adjustment(tenant, api_token):
    contract = helpers.covered_contract(tenant, **builders.FIXED_FEE_HOURS)
    body = {"unit": "euros", "quantity": "-12.50", "reason": "Câble fourni"}
    response = call(api_token(tenant.manager), "post", f"/contracts/{contract.pk}/ledger/adjustments", body)
    assert response.status_code == 201
    data = response.json()
    assert Decimal(data["quantity"]) == Decimal("-12.50") and Decimal(data["amount"]) == Decimal("12.50")
    assert data["billable"] and data["reason"] == "Câble fourni"
    assert Movement.objects.get(pk=data["id"]).created_by == tenant.manager
    assert AuditEvent.objects.filter(action="ledger.adjustment").count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"unit": "hours", "quantity": "0", "reason": "R"}, "quantity"),
        ({"unit": "hours", "quantity": "1.00001", "reason": "R"}, "quantity"),
        ({"unit": "credits", "quantity": "1", "reason": "R"}, "unit"),
        ({"unit": "hours", "quantity": "1", "reason": "   "}, "reason"),
        ({"unit": "hours", "quantity": "1"}, "reason"),
        ({"unit": "minutes", "quantity": "1", "reason": "R"}, "unit"),
        ({"unit": "hours", "quantity": "1", "reason": "R", "amount": "3"}, "amount"),
    ],
)
def test_a_bad_adjustment_is_a_422_on_its_field(tenant, api_token, body, field):
    contract = helpers.covered_contract(tenant, **builders.FIXED_FEE_HOURS)
    response = call(api_token(tenant.manager), "post", f"/contracts/{contract.pk}/ledger/adjustments", body)
    assert response.status_code == 422
    assert field in json.dumps(response.json())
    assert not Movement.objects.exists()


def test_adjustments_are_for_managers_and_signed_contracts(tenant, api_token):
    contract = helpers.contract_in_force(tenant)
    body = {"unit": "euros", "quantity": "5", "reason": "R"}
    path = f"/contracts/{contract.pk}/ledger/adjustments"
    assert call(api_token(tenant.technician), "post", path, body).status_code == 403
    assert call(api_token(tenant.client_manager), "post", path, body).status_code == 403
    draft = contract_services.contract_create(
        actor=tenant.manager,
        client=tenant.client,
        title="Brouillon",
        start_date=contract.start_date,
        duration_months=12,
        terms={"contract_type": "assistance", "billing_model": {"kind": "fixed_fee", "fee": "100.00"}},
    )
    response = call(api_token(tenant.manager), "post", f"/contracts/{draft.pk}/ledger/adjustments", body)
    assert response.status_code == 409
    assert not Movement.objects.exists()


def test_the_leak_report_for_managers(tenant, api_token):
    contract = helpers.covered_contract(tenant, **builders.FIXED_FEE_HOURS)
    token = api_token(tenant.manager)
    empty = call(token, "get", "/ledger/leaks").json()
    assert empty == {"unmatched": [], "unposted": [], "source_gone": [], "not_invoiced": [], "truncated": []}
    entry = builders.ticket_entry(tenant, contract=contract, start=builders.paris(builders.recent_weekday(), 9))
    (line,) = call(token, "get", "/ledger/leaks").json()["unposted"]
    assert line["source_kind"] == "time_entry" and line["source_id"] == str(entry.pk)
    assert line["problem"] == "not_posted" and line["contract_id"] == contract.pk
    for member in (tenant.technician, tenant.client_manager, tenant.client_user):
        assert call(api_token(member), "get", "/ledger/leaks").status_code == 403
