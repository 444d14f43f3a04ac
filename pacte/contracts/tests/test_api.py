"""The contracts API: drafts, bad terms, terms in force at a date, roles, the exit checklist blocking closure."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
import time_machine
from django.test import Client as HttpClient

from pacte.contracts import catalogue, lifecycle, services
from pacte.contracts.models import Contract, ContractStatus, ContractVersion, Notice, ServiceCategory
from pacte.contracts.tests import helpers

pytestmark = pytest.mark.django_db

API = "/api/v1"


class Api:
    """A JSON client acting with one membership's token."""

    def __init__(self, token: str) -> None:
        self.http = HttpClient()
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, path: str, **params: Any) -> Any:
        return self.http.get(f"{API}{path}", params, headers=self.headers)

    def send(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body if body is not None else {})
        return self.http.generic(method, f"{API}{path}", data, content_type="application/json", headers=self.headers)

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        return self.send("POST", path, body)

    def patch(self, path: str, body: dict[str, Any]) -> Any:
        return self.send("PATCH", path, body)


@pytest.fixture
def api(tenant, api_token):
    return lambda member=None: Api(api_token(member or tenant.manager))


def fields(response: Any) -> set[str]:
    payload = response.json()
    assert set(payload) == {"detail", "errors"}, payload
    return {error["field"] for error in payload["errors"]}


def new_contract(tenant, **terms: Any) -> dict[str, Any]:
    return {
        "client_id": tenant.client.pk,
        "title": "Assistance utilisateurs",
        "start_date": "2027-01-01",
        "duration_months": 12,
        "terms": helpers.terms_data(**terms),
    }


def test_create_read_and_patch_a_draft(tenant, api):
    manager = api()
    response = manager.post("/contracts", new_contract(tenant))
    assert response.status_code == 201, response.json()
    created = response.json()
    assert (created["status"], created["reference"], created["client_name"]) == (
        "draft",
        "C-2027-0001",
        tenant.client.name,
    )
    assert created["terms"]["billing_model"]["fee"] == "900.00"
    assert created["version_in_force"] is None and created["deadlines"] is None
    contract_id = created["id"]
    response = manager.patch(f"/contracts/{contract_id}", {"title": "Assistance 2027", "duration_months": 24})
    assert response.status_code == 200
    assert (response.json()["title"], response.json()["duration_months"]) == ("Assistance 2027", 24)
    terms = helpers.terms_data(billing_model={**helpers.terms_data()["billing_model"], "fee": "950.00"})
    response = manager.patch(f"/contracts/{contract_id}", {"terms": terms})
    assert response.json()["terms"]["billing_model"]["fee"] == "950.00"
    listed = manager.get("/contracts", status="draft").json()
    assert [item["id"] for item in listed["items"]] == [contract_id] and listed["next_cursor"] is None
    assert manager.get("/contracts", status="active").json()["items"] == []
    assert manager.get("/contracts", type="maintenance").json()["items"] == []


def test_create_from_a_template_keeps_only_the_optional_clauses_chosen(tenant, api):
    terms = helpers.terms_data(
        clauses=[
            {"key": "objet", "title": "Objet", "text": "Assistance."},
            {"key": "formation", "title": "Formation", "text": "Deux heures."},
        ]
    )
    template = catalogue.template_create(
        actor=tenant.manager, name="Assistance", default_terms=terms, optional_clauses=["formation"]
    )
    body = {key: value for key, value in new_contract(tenant).items() if key != "terms"}
    response = api().post("/contracts", {**body, "template_id": template.pk, "included_clauses": []})
    assert response.status_code == 201
    assert [clause["key"] for clause in response.json()["terms"]["clauses"]] == ["objet"]
    assert Contract.objects.get().template == template
    templates = api().get("/contract-templates").json()["items"]
    assert [item["name"] for item in templates] == ["Assistance"]
    assert templates[0]["optional_clauses"] == ["formation"]


@pytest.mark.parametrize(
    ("terms", "field"),
    [
        ({"billing_model": {"kind": "fixed_fee", "fee": "-1"}}, "terms.billing_model.fixed_fee.fee"),
        (
            {"billing_model": {"kind": "fixed_fee", "fee": "900.00", "included_quantity": "10"}},
            "terms.billing_model.fixed_fee",  # an included volume needs an overage rate
        ),
        ({"payment_terms": {"days": 90}}, "terms.payment_terms.days"),
        ({"renewal": {"kind": "tacit", "notice_months": 2, "notice_days": 10}}, "terms.renewal"),
        (
            {"price_revision": {"reference_month": "2026-01-01", "revision_period_months": 6}},
            "terms.price_revision",  # L112-1: the index period (12) is longer than the revision period (6)
        ),
        ({"renewal": {"kind": "tacit", "notice_months": 12}}, "terms"),  # notice as long as the term
        ({"sites": [999999]}, "sites"),
        ({"billing_model": {"kind": "fixed_fee", "fee": 900}}, "terms.billing_model.fixed_fee.fee"),  # strict JSON
        ({"rounding_unit_minutes": "15"}, "terms.rounding_unit_minutes"),
        ({"unknown_term": True}, "terms.unknown_term"),
    ],
)
def test_bad_terms_are_a_422_on_their_field_and_nothing_is_saved(tenant, api, terms, field):
    response = api().post("/contracts", new_contract(tenant, **terms))
    assert response.status_code == 422
    assert field in fields(response), response.json()
    assert not Contract.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"start_date": "2027-02-30"}, "start_date"),
        ({"duration_months": 0}, "duration_months"),
        ({"client_id": 999999}, "client_id"),
        ({"template_id": 999999}, "template_id"),
        ({"terms": None}, "terms"),
    ],
)
def test_bad_contract_fields_are_a_422(tenant, api, changes, field):
    response = api().post("/contracts", {**new_contract(tenant), **changes})
    assert response.status_code == 422
    assert field in fields(response)
    assert not Contract.objects.exists()


def test_roles_and_scopes(tenant, other_tenant, api, seal):
    draft = helpers.draft(tenant)
    active = helpers.active(tenant)
    assert api(tenant.technician).post("/contracts", new_contract(tenant)).status_code == 403
    assert api(tenant.client_manager).post("/contracts", new_contract(tenant)).status_code == 403
    assert api(other_tenant.manager).post("/contracts", new_contract(tenant)).status_code == 422  # A's client: unknown
    # The client's manager reads its company's contracts, never the drafts; its user reads none.
    ids = [item["id"] for item in api(tenant.client_manager).get("/contracts").json()["items"]]
    assert ids == [active.pk]
    assert api(tenant.client_manager).get(f"/contracts/{draft.pk}").status_code == 404
    assert api(tenant.client_manager).get(f"/contracts/{active.pk}").status_code == 200
    assert api(tenant.client_manager).post(f"/contracts/{active.pk}/cancel").status_code == 403
    assert api(tenant.client_user).get("/contracts").json()["items"] == []
    assert api(tenant.client_user).get(f"/contracts/{active.pk}").status_code == 404
    assert api(tenant.other_client_manager).get(f"/contracts/{active.pk}").status_code == 404
    assert api(other_tenant.admin).get(f"/contracts/{active.pk}/terms").status_code == 404
    assert api(other_tenant.admin).get("/contracts", client_id=tenant.client.pk).json()["items"] == []
    assert api(tenant.technician).get(f"/contracts/{active.pk}/versions").status_code == 200


def test_send_then_cancel_and_a_signed_contract_is_not_patched(tenant, api, seal):
    manager = api()
    contract = helpers.draft(tenant)
    response = manager.post(f"/contracts/{contract.pk}/send")
    assert response.status_code == 200 and response.json()["status"] == "sent"
    version = manager.get(f"/contracts/{contract.pk}/versions").json()[0]
    assert version["document_id"] and version["document_docx_id"] and version["status"] == "sent"
    assert manager.patch(f"/contracts/{contract.pk}", {"title": "Autre"}).status_code == 409
    assert manager.post(f"/contracts/{contract.pk}/cancel").json()["status"] == "cancelled"
    assert manager.post(f"/contracts/{contract.pk}/cancel").status_code == 409


def test_terms_at_before_on_and_after_an_amendment(tenant, api, seal):
    manager = api()
    contract = helpers.active(tenant)
    amended = helpers.terms_data(billing_model={**helpers.terms_data()["billing_model"], "fee": "1100.00"})
    response = manager.post(
        f"/contracts/{contract.pk}/amendments",
        {"effective_from": "2027-07-01", "reason": "Nouveau tarif", "terms": amended},
    )
    assert response.status_code == 201, response.json()
    amendment = response.json()
    assert amendment["changes"] == {"billing_model.fee": ["900.00", "1100.00"]}
    # Not signed yet: the initial terms stay in force after its date.
    at = lambda day: manager.get(f"/contracts/{contract.pk}/terms", at=day).json()  # noqa: E731
    assert at("2027-07-01")["version"]["number"] == 1
    version = ContractVersion.objects.get(pk=amendment["id"])
    services.amendment_send(actor=tenant.manager, version=version)
    helpers.sign(tenant, version)
    before, on, after = at("2027-06-30"), at("2027-07-01"), at("2027-12-31")
    assert (before["version"]["number"], before["terms"]["billing_model"]["fee"]) == (1, "900.00")
    assert (on["version"]["number"], on["terms"]["billing_model"]["fee"]) == (2, "1100.00")
    assert after["version"]["kind"] == "amendment" and after["in_force"]
    outside = at("2026-12-31")
    assert (outside["in_force"], outside["version"], outside["terms"]) == (False, None, None)
    # The client's manager reads the same interface.
    assert api(tenant.client_manager).get(f"/contracts/{contract.pk}/terms", at="2027-07-01").json() == on
    # An amendment dated before the start: 422 on its field.
    response = manager.post(
        f"/contracts/{contract.pk}/amendments", {"effective_from": "2026-12-01", "reason": "Trop tôt"}
    )
    assert response.status_code in (409, 422)


def test_detail_gives_deadlines(tenant, api, seal):
    contract = helpers.active(tenant)
    detail = api().get(f"/contracts/{contract.pk}").json()
    assert detail["deadlines"] == {
        "term_last_day": "2027-12-31",
        "refusal_deadline": "2027-10-31",
        "reminder_window_start": None,
        "reminder_window_end": None,
        "warnings": ["refusal_deadline_not_working_day"],
    }
    assert detail["version_in_force"]["number"] == 1


def test_notice_with_an_early_end_computes_the_indemnity(tenant, api, seal):
    contract = helpers.active(tenant)
    with time_machine.travel(datetime.datetime(2027, 3, 12, 11, tzinfo=datetime.UTC), tick=False):
        response = api().post(
            f"/contracts/{contract.pk}/notice",
            {"given_by": "client", "received_on": "2027-03-10", "channel": "email", "requested_end": "2027-06-30"},
        )
    assert response.status_code == 201, response.json()
    notice = response.json()
    assert (notice["end_date"], notice["indemnity_amount"], notice["reason"]) == (
        "2027-06-30",
        "5400.00",
        "early_termination",
    )
    assert notice["indemnity_detail"]["revisable_by_judge"] is True
    assert Contract.objects.get().status == ContractStatus.NOTICE_GIVEN


def test_express_renewal(tenant, api, seal):
    contract = helpers.active(tenant, renewal={"kind": "express", "notice_months": 0})
    response = api().post(f"/contracts/{contract.pk}/renew", {})
    assert response.status_code == 200, response.json()
    assert (response.json()["term_number"], response.json()["term_end"]) == (2, "2028-12-31")
    tacit = helpers.active(tenant)
    assert api().post(f"/contracts/{tacit.pk}/renew", {}).status_code == 409


def test_exit_checklist_blocks_closing_then_closes_once_complete(tenant, api, seal):
    """Done when: the exit checklist blocks closure (service and API), and closes once complete."""
    manager = api()
    contract = helpers.active(tenant, renewal={"kind": "none", "notice_months": 0})
    lifecycle.contracts_roll(today=datetime.date(2028, 1, 1))
    items = manager.get(f"/contracts/{contract.pk}/exit-items").json()
    assert len(items) == 6 and all(item["mandatory"] and item["done_on"] is None for item in items)
    response = manager.post(f"/contracts/{contract.pk}/close")
    assert response.status_code == 409
    assert "Restitution des accès" in response.json()["detail"] or "Return of accesses" in response.json()["detail"]
    # Done needs evidence.
    with time_machine.travel(datetime.datetime(2028, 1, 10, 11, tzinfo=datetime.UTC), tick=False):
        manager = api()
        response = manager.patch(f"/exit-items/{items[0]['id']}", {"done_on": "2028-01-09"})
        assert response.status_code == 422 and "evidence_comment" in fields(response)
        assert manager.patch(f"/exit-items/{items[0]['id']}", {"owner_id": 999999}).status_code == 422
        for item in items[:-1]:
            response = manager.patch(
                f"/exit-items/{item['id']}",
                {"owner_id": tenant.manager.pk, "done_on": "2028-01-09", "evidence_comment": "Fait."},
            )
            assert response.status_code == 200, response.json()
            assert response.json()["owner_id"] == tenant.manager.pk
        # One mandatory item still open: still 409, naming it.
        response = manager.post(f"/contracts/{contract.pk}/close")
        assert response.status_code == 409 and items[-1]["label"] in response.json()["detail"]
        manager.patch(f"/exit-items/{items[-1]['id']}", {"done_on": "2028-01-09", "evidence_comment": "Facture F-1."})
        # Every item done, the client's manager has not signed off: still 409.
        assert manager.post(f"/contracts/{contract.pk}/close").status_code == 409
        lifecycle.contract_client_signoff(actor=tenant.client_manager, contract=contract)
        response = manager.post(f"/contracts/{contract.pk}/close")
    assert response.status_code == 200 and response.json()["status"] == "closed"
    assert (
        api(tenant.client_manager).patch(f"/exit-items/{items[0]['id']}", {"evidence_comment": "x"}).status_code == 403
    )


def test_service_categories(tenant, other_tenant, api):
    response = api().post("/service-categories", {"code": "reseau", "name": "Réseau"})
    assert response.status_code == 201 and response.json()["code"] == "reseau"
    assert api().post("/service-categories", {"code": "reseau", "name": "Autre"}).status_code == 422
    assert api(tenant.technician).post("/service-categories", {"code": "x", "name": "X"}).status_code == 403
    assert [item["code"] for item in api(tenant.client_user).get("/service-categories").json()["items"]] == ["reseau"]
    assert api(other_tenant.admin).get("/service-categories").json()["items"] == []
    assert ServiceCategory.objects.count() == 1
    assert not Notice.objects.exists()
