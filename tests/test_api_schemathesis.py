"""Fuzzing the REST API against its own OpenAPI document (schemathesis, in process).

The document is loaded from ``/api/v1/openapi.json`` through the project's WSGI application, and
every operation is called with generated requests, valid and invalid (wrong types, missing or
unknown fields, over-long strings, huge integers, NUL characters, malformed bodies…), with a real
API token of a provider admin. Every response must be documented: no 5xx, a declared status code,
content type and headers, a body matching the declared schema; invalid requests must be rejected;
the operation must refuse a request without the token.

Not checked: ``positive_data_acceptance`` (every schema-valid request accepted). The schema cannot
say everything the domain checks (SIREN check digits, known time zones, unique names, a role that
fits the client…), and those refusals are documented 422s.

The fuzzing is random, so a bug found once is pinned by a plain test below (``test_edge_case``…).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client as HttpClient
from django.urls import reverse
from hypothesis import HealthCheck, settings

from pacte.config.api import api
from pacte.tenancy.models import Client, Contact, Membership, Site
from tests.fixtures import Tenant

EXAMPLES = 50


class InProcessApp(WSGIHandler):
    """The project's WSGI application, minus closing the database connection after each request.

    A real server closes it (``CONN_MAX_AGE=0``); here the requests run inside the test's
    transaction (pytest-django's ``db``), which must survive them, as with Django's test client.
    """

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            response = super().__call__(environ, start_response)
            body = b"".join(response)
            response.close()
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)
        return [body]


schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", InProcessApp())
# The token is a real one, sent by the test: schemathesis neither generates nor mutates it.
schema.config.generation.update(max_examples=EXAMPLES, database="none", with_security_parameters=False)

CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
    schemathesis.checks.response_headers_conformance,
    schemathesis.checks.negative_data_rejection,
    schemathesis.checks.missing_required_header,
    schemathesis.checks.unsupported_method,
    schemathesis.checks.allow_header_conformance,
    schemathesis.checks.ignored_auth,
]


@dataclass
class Target:
    """The caller's token and the rows that generated ids are aimed at."""

    headers: dict[str, str]
    ids: dict[str, int]


@pytest.fixture
def target(tenant: Tenant, api_token) -> Target:
    contact = Contact.objects.filter(client=tenant.client).first()
    assert contact is not None
    return Target(
        headers={"Authorization": f"Bearer {api_token(tenant.admin)}"},
        ids={
            "client_id": tenant.client.pk,
            "site_id": tenant.site.pk,  # a site of that client, so that a contact may point at it
            "contact_id": contact.pk,
            "membership_id": tenant.client_user.pk,
            **_sla_ids(tenant),
            **_asset_ids(tenant),
            **_revision_ids(tenant),
            **_exit_ids(tenant),
            **_ticket_ids(tenant),
            **_sheet_ids(tenant),
        },
    )


def _sla_ids(tenant: Tenant) -> dict[str, int]:
    """A calendar and a service level of the tenant (created once), for the SLA operations."""
    from pacte.sla import services as sla_services
    from pacte.sla.models import ServiceLevel

    level = ServiceLevel.objects.filter(provider=tenant.provider, name="Fuzzing").first()
    if level is None:
        week = {day: [["08:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
        calendar = sla_services.calendar_create(actor=tenant.admin, name="Fuzzing", week=week)
        level = sla_services.service_level_create(actor=tenant.admin, name="Fuzzing", calendar=calendar)
    return {"calendar_id": level.calendar_id, "service_level_id": level.pk}


def _asset_ids(tenant: Tenant) -> dict[str, int]:
    """An asset of the tenant's client (created once), for the asset operations."""
    from pacte.assets import services as asset_services
    from pacte.assets.models import Asset

    asset = Asset.objects.filter(client=tenant.client, name="Fuzzing").first()
    if asset is None:
        asset = asset_services.asset_create(actor=tenant.admin, client=tenant.client, name="Fuzzing")
    return {"asset_id": asset.pk}


def _revision_ids(tenant: Tenant) -> dict[str, int]:
    """An active contract of the tenant's client with a Syntec revision clause and its index values (once)."""
    import datetime
    from decimal import Decimal

    from pacte.contracts import indexes, services
    from pacte.contracts.models import Contract

    contract = Contract.objects.filter(provider=tenant.provider, title="Fuzzing revision").first()
    if contract is None:
        for month, value in ((datetime.date(2026, 10, 1), "306.0"), (datetime.date(2027, 10, 1), "314.5")):
            indexes.index_value_create(
                actor=tenant.admin, month=month, value=Decimal(value), published_on=month.replace(day=20)
            )
        contract = services.contract_create(
            actor=tenant.admin,
            client=tenant.client,
            title="Fuzzing revision",
            start_date=datetime.date(2027, 1, 1),
            duration_months=12,
            terms={
                "contract_type": "assistance",
                "billing_model": {"kind": "fixed_fee", "fee": "1000.00", "included_unit": "none"},
                "price_revision": {"reference_month": "2026-10-01"},
            },
        )
        # Active without the signing ceremony (it needs a seal certificate).
        contract.versions.update(status="signed", signed_at=datetime.datetime(2026, 12, 1, tzinfo=datetime.UTC))
        Contract.objects.filter(pk=contract.pk).update(status="active", term_number=1)
    return {"contract_id": contract.pk}


def _exit_ids(tenant: Tenant) -> dict[str, int]:
    """An exit checklist item of a contract of the tenant's client that ended (once), for the exit operations."""
    import datetime

    from pacte.contracts import lifecycle, services
    from pacte.contracts.models import Contract, ExitItem

    item = ExitItem.objects.filter(contract__provider=tenant.provider, contract__title="Fuzzing exit").first()
    if item is None:
        contract = services.contract_create(
            actor=tenant.admin,
            client=tenant.client,
            title="Fuzzing exit",
            start_date=datetime.date(2025, 1, 1),
            duration_months=12,
            terms={"contract_type": "assistance", "billing_model": {"kind": "unlimited", "fee": "500.00"}},
        )
        # Signed and ended without the ceremony (it needs a seal certificate).
        contract.versions.update(status="signed", signed_at=datetime.datetime(2024, 12, 1, tzinfo=datetime.UTC))
        Contract.objects.filter(pk=contract.pk).update(status="active", end_date=datetime.date(2025, 12, 31))
        contract.refresh_from_db()
        lifecycle.exit_start(contract=contract, actor=None)
        item = contract.exit_items.order_by("position").first()
    assert item is not None
    return {"exit_item_id": item.pk}


def _ticket_ids(tenant: Tenant) -> dict[str, int]:
    """A ticket of the tenant's client with a file (created once), for the service desk operations."""
    from pacte.servicedesk import messaging, services
    from pacte.servicedesk.models import Ticket

    ticket = Ticket.objects.filter(provider=tenant.provider, title="Fuzzing").first()
    if ticket is None:
        ticket = services.ticket_open(actor=tenant.admin, client=tenant.client, title="Fuzzing")
        messaging.attachment_add(actor=tenant.admin, ticket=ticket, filename="fuzzing.txt", data=b"Fuzzing\n")
    attachment = ticket.attachments.order_by("pk").first()
    assert attachment is not None
    return {"ticket_id": ticket.pk, "attachment_id": attachment.pk}


def _sheet_ids(tenant: Tenant) -> dict[str, int]:
    """An intervention sheet on a contract in force (created once), for the interventions operations."""
    from pacte.interventions.models import Intervention
    from pacte.interventions.tests import helpers as intervention_helpers

    sheet = Intervention.objects.filter(provider=tenant.provider, title="Fuzzing").first()
    if sheet is None:
        contract = intervention_helpers.covered_contract(tenant)
        sheet = intervention_helpers.sheet(tenant, actor=tenant.admin, contract=contract, title="Fuzzing")
    return {"sheet_id": sheet.pk}


def _invoice_ids(tenant: Tenant) -> dict[str, int]:
    """An issued invoice of the tenant (created once, without its PDF), for the billing operations."""
    import datetime
    from decimal import Decimal

    from pacte.billing.models import Invoice, InvoiceLine
    from pacte.billing.services import invoices_issue

    invoice = Invoice.objects.filter(provider=tenant.provider, note="Fuzzing").first()
    if invoice is None:
        invoice = Invoice.objects.create(
            provider=tenant.provider,
            client=tenant.client,
            note="Fuzzing",
            total_net=Decimal("100.00"),
            total_vat=Decimal("20.00"),
            total_gross=Decimal("120.00"),
        )
        InvoiceLine.objects.create(
            invoice=invoice,
            position=1,
            kind="adjustment",
            description="Prestation",
            quantity=Decimal(1),
            unit_price=Decimal("100.00"),
            amount=Decimal("100.00"),
            vat_rate=Decimal("20.00"),
        )
        invoices_issue(
            actor=None,
            provider=tenant.provider,
            invoice_ids=[invoice.pk],
            issue_date=datetime.date.today(),  # noqa: DTZ011
            validate=False,
            render=False,
        )
    from django.utils import timezone

    from pacte.billing.models_credits import ServiceCredit

    credit = ServiceCredit.objects.filter(provider=tenant.provider).first()
    if credit is None and invoice.contract is None:
        from pacte.servicedesk.tests.helpers import contract_in_force

        contract = contract_in_force(tenant, title="Fuzzing credits")
        credit = ServiceCredit.objects.create(
            provider=tenant.provider,
            client=contract.client,
            contract=contract,
            month=timezone.localdate().replace(day=1),
            amount=Decimal("45.00"),
            percent=Decimal("5.00"),
            computed_at=timezone.now(),
        )
    return {"invoice_id": invoice.pk, "credit_id": credit.pk if credit is not None else 0}


def aim_at_real_rows(case: schemathesis.Case, target: Target) -> None:
    """Random ids almost never exist, so the services behind them would never run.

    In valid (positive) cases, an id whose generated value is even becomes the id of a real row of
    the caller's tenant; odd ones stay random (unknown ids: 404 in paths, 422 in bodies). Invalid
    (negative) cases are sent as generated.
    """
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return
    for container in (case.path_parameters, case.body):
        if not isinstance(container, dict):
            continue
        for name, value in container.items():
            if name in target.ids and isinstance(value, int) and value % 2 == 0:
                container[name] = target.ids[name]


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    # One tenant per operation (function-scoped fixtures), shared by its examples: intended.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_api_conforms_to_its_schema(case: schemathesis.Case, target: Target) -> None:
    aim_at_real_rows(case, target)
    case.call_and_validate(headers=target.headers, checks=CHECKS)


def test_every_operation_is_fuzzed() -> None:
    """The fuzzing above covers the whole API: nothing filtered out of the loaded document."""
    document = api.get_openapi_schema()
    expected = {(method.upper(), path) for path, item in document["paths"].items() for method in item}
    loaded = {(result.ok().method.upper(), result.ok().path) for result in schema.get_all_operations()}
    assert loaded == expected
    assert len(loaded) >= 20


# What the fuzzing found once, pinned ---------------------------------------------------------------

NUL = "\x00"
WRITE_BODIES: dict[tuple[str, str], Any] = {
    # A valid body per write operation with a body; "{…}" are ids of the tenant's rows.
    ("POST", "/api/v1/clients"): {"name": "New client"},
    ("PATCH", "/api/v1/clients/{client_id}"): {"city": "Nantes"},
    ("POST", "/api/v1/sites"): {"client_id": "{client_id}", "name": "New site"},
    ("PATCH", "/api/v1/sites/{site_id}"): {"city": "Nantes"},
    ("POST", "/api/v1/contacts"): {"client_id": "{client_id}", "last_name": "Newcontact"},
    ("PATCH", "/api/v1/contacts/{contact_id}"): {"phone": "0102030405"},
    ("POST", "/api/v1/memberships"): {"email": "new@example.test", "role": "client_user", "client_id": "{client_id}"},
    ("PATCH", "/api/v1/memberships/{membership_id}"): {"role": "client_manager"},
    ("PATCH", "/api/v1/provider"): {"legal_form": "SARL"},
    ("POST", "/api/v1/sla/calendars"): {"name": "New calendar", "week": {"mon": [["08:00", "18:00"]]}},
    ("PATCH", "/api/v1/sla/calendars/{calendar_id}"): {"description": "Updated"},
    ("POST", "/api/v1/sla/service-levels"): {"name": "New level", "calendar_id": "{calendar_id}"},
    ("PATCH", "/api/v1/sla/service-levels/{service_level_id}"): {"description": "Updated"},
    ("POST", "/api/v1/assets"): {"client_id": "{client_id}", "name": "New asset", "site_id": "{site_id}"},
    ("PATCH", "/api/v1/assets/{asset_id}"): {"make": "Dell"},
    ("POST", "/api/v1/index-values"): {"month": "2026-11-01", "value": "306.9", "published_on": "2026-12-18"},
    ("POST", "/api/v1/contracts/{contract_id}/revisions/preview"): {"revision_date": "2028-01-01"},
    ("POST", "/api/v1/contracts/{contract_id}/revisions"): {"revision_date": "2028-01-01"},
    ("POST", "/api/v1/contracts"): {
        "client_id": "{client_id}",
        "title": "New contract",
        "start_date": "2027-01-01",
        "duration_months": 12,
        "terms": {"contract_type": "assistance", "billing_model": {"kind": "unlimited", "fee": "500.00"}},
    },
    ("PATCH", "/api/v1/contracts/{contract_id}"): {"title": "Renamed"},
    ("POST", "/api/v1/contracts/{contract_id}/renew"): {"months": 12},
    ("POST", "/api/v1/contracts/{contract_id}/amendments"): {"effective_from": "2027-06-01", "reason": "Volume"},
    ("POST", "/api/v1/contracts/{contract_id}/notice"): {
        "given_by": "client",
        "received_on": "2027-03-01",
        "channel": "email",
        "comment": "Courrier",
    },
    ("PATCH", "/api/v1/exit-items/{exit_item_id}"): {"evidence_comment": "Done"},
    ("POST", "/api/v1/service-categories"): {"code": "reseau", "name": "Réseau", "description": "Wi-Fi"},
    ("POST", "/api/v1/tickets"): {"client_id": "{client_id}", "title": "New ticket"},
    ("PATCH", "/api/v1/tickets/{ticket_id}"): {"title": "Renamed ticket"},
    ("POST", "/api/v1/tickets/{ticket_id}/status"): {"status": "in_progress", "comment": "On it"},
    ("POST", "/api/v1/tickets/{ticket_id}/assign"): {"assignee_id": None},
    ("POST", "/api/v1/tickets/{ticket_id}/messages"): {"body": "New reply"},
    ("POST", "/api/v1/alerts"): {
        "source": "zabbix",
        "key": "fuzzing",
        "severity": "major",
        "title": "Disk full",
        "asset": {"id": "{asset_id}"},
    },
    ("POST", "/api/v1/interventions"): {"client_id": "{client_id}", "title": "New sheet"},
    ("PATCH", "/api/v1/interventions/{sheet_id}"): {"diagnosis": "Disk full"},
    ("POST", "/api/v1/interventions/{sheet_id}/check-in"): {"at": "2026-05-13T09:00:00Z"},
    ("POST", "/api/v1/interventions/{sheet_id}/check-out"): {"at": "2026-05-13T11:00:00Z"},
    ("POST", "/api/v1/interventions/{sheet_id}/backup"): {"check": "client_confirmed", "confirmed_by": "Marie"},
    ("POST", "/api/v1/interventions/{sheet_id}/cancel"): {"reason": "Client absent"},
    ("POST", "/api/v1/interventions/{sheet_id}/time-entries"): {
        "started_at": "2026-05-13T09:00:00Z",
        "ended_at": "2026-05-13T10:00:00Z",
        "description": "Diagnostic",
    },
    ("POST", "/api/v1/tickets/{ticket_id}/time-entries"): {
        "started_at": "2026-05-14T09:00:00Z",
        "ended_at": "2026-05-14T10:00:00Z",
        "description": "Remote session",
    },
    ("POST", "/api/v1/interventions/{sheet_id}/parts"): {"description": "Power supply", "quantity": "1"},
    ("POST", "/api/v1/interventions/{sheet_id}/plan"): {
        "start": "2026-05-20T09:00:00Z",
        "end": "2026-05-20T11:00:00Z",
    },
    ("POST", "/api/v1/preventive/plans"): {"contract_id": "{contract_id}", "name": "New plan"},
    ("POST", "/api/v1/contracts/{contract_id}/ledger/adjustments"): {"unit": "euros", "quantity": "10", "reason": "Ok"},
    ("POST", "/api/v1/contracts/{contract_id}/tasks"): {"code": "WS", "performed_on": "2026-10-12", "note": "Ok"},
    ("POST", "/api/v1/contracts/{contract_id}/tasks/{movement_id}/cancel"): {"reason": "Ok"},
    ("POST", "/api/v1/contracts/{contract_id}/milestones/{index}/accept"): {"accepted_on": "2026-10-12", "note": "Ok"},
    ("POST", "/api/v1/billing-runs"): {"month": "2026-10"},
    ("POST", "/api/v1/invoices/{invoice_id}/credit-notes"): {"reason": "Ok"},
    ("POST", "/api/v1/invoices/{invoice_id}/payments"): {"received_on": "2026-11-30", "amount": "0.01"},
    ("POST", "/api/v1/service-credits/propose"): {"month": "2026-10"},
    ("POST", "/api/v1/service-credits/{credit_id}/reject"): {"reason": "Ok"},
    ("POST", "/api/v1/sla/simulate"): {
        "calendar_id": "{calendar_id}",
        "start": "2026-05-13T15:00:00Z",
        "seconds": 3600,
    },
}


def _ids(tenant: Tenant) -> dict[str, int]:
    contact = Contact.objects.filter(client=tenant.client).first()
    assert contact is not None
    return {
        "client_id": tenant.client.pk,
        "site_id": tenant.site.pk,
        "contact_id": contact.pk,
        "membership_id": tenant.client_user.pk,
        **_sla_ids(tenant),
        **_asset_ids(tenant),
        **_revision_ids(tenant),
        **_exit_ids(tenant),
        **_ticket_ids(tenant),
        **_sheet_ids(tenant),
        **_invoice_ids(tenant),
        # Path ids of the ledger's task and milestone operations (their bodies are refused before any lookup).
        "movement_id": 1,
        "index": 0,
    }


def _fill(value: Any, ids: dict[str, int]) -> Any:
    if isinstance(value, dict):
        return {key: _fill(item, ids) for key, item in value.items()}
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return ids[value[1:-1]]
    return value


def _body_operations() -> list[tuple[str, str, dict[str, Any]]]:
    """Every operation with a JSON body, and that body's schema (resolved)."""
    document = api.get_openapi_schema()
    components = document["components"]["schemas"]
    found = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                ref = body["schema"]["$ref"].rsplit("/", 1)[-1]
                found.append((method.upper(), path, components[ref]))
    return found


BODY_OPERATIONS = _body_operations()


def _string_fields(body_schema: dict[str, Any]) -> list[str]:
    def is_string(prop: dict[str, Any]) -> bool:
        return prop.get("type") == "string" or any(alt.get("type") == "string" for alt in prop.get("anyOf", []))

    return [name for name, prop in body_schema["properties"].items() if is_string(prop)]


def _send(tenant: Tenant, token: str, method: str, path: str, body: bytes | str, **extra: Any) -> Any:
    url = path.format(**_ids(tenant))
    headers = {"Authorization": f"Bearer {token}"}
    return HttpClient().generic(method, url, body, content_type="application/json", headers=headers, **extra)


def _error_fields(response: Any) -> set[str]:
    payload = response.json()
    assert set(payload) == {"detail", "errors"}, payload
    return {error["field"] for error in payload["errors"]}


def _counts() -> tuple[int, ...]:
    return tuple(model.objects.count() for model in (Client, Site, Contact, Membership))


def test_schema_class_names_are_unique() -> None:
    """The OpenAPI components are named after the schema classes: two classes of one name (``PlanIn`` in two
    modules) would silently document one operation with the other's body."""
    import collections

    import ninja

    def subclasses(cls: type) -> list[type]:
        return [sub for direct in cls.__subclasses__() for sub in (direct, *subclasses(direct))]

    modules: dict[str, set[str]] = collections.defaultdict(set)
    for cls in subclasses(ninja.Schema):
        if cls.__module__.startswith("pacte."):
            modules[cls.__name__].add(cls.__module__)
    assert {name: found for name, found in modules.items() if len(found) > 1} == {}


def test_write_bodies_cover_every_operation_with_a_body() -> None:
    assert sorted(WRITE_BODIES) == sorted((method, path) for method, path, _schema in BODY_OPERATIONS)


@pytest.mark.parametrize(
    ("method", "path", "field"),
    [(m, p, f) for m, p, body in BODY_OPERATIONS for f in _string_fields(body)],
    ids=lambda value: str(value),
)
def test_nul_character_in_any_string_field_is_a_422(method, path, field, tenant, api_token) -> None:
    """PostgreSQL cannot store NUL: it used to be a 500 there (and silently stored on SQLite)."""
    token, before = api_token(tenant.admin), _counts()
    body = {**_fill(WRITE_BODIES[(method, path)], _ids(tenant)), field: f"a{NUL}b"}
    response = _send(tenant, token, method, path, json.dumps(body))
    assert response.status_code == 422
    assert field in _error_fields(response)
    assert _counts() == before


@pytest.mark.parametrize(("method", "path"), sorted(WRITE_BODIES))
def test_malformed_json_is_a_400(method, path, tenant, api_token) -> None:
    token, before = api_token(tenant.admin), _counts()
    for body in ('{"name": ', "{'name': 'x'}", "\ufffe", '{"name": "x"} trailing'):
        response = _send(tenant, token, method, path, body)
        assert response.status_code == 400, body
        assert _error_fields(response) == set()
    assert _counts() == before


def test_a_body_over_the_upload_limit_is_a_400(tenant, api_token, settings) -> None:
    """It used to escape as a 500 (Django's RequestDataTooBig)."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = json.dumps({"name": "New client", "notes": "x" * 20_000})
    response = _send(tenant, api_token(tenant.admin), "POST", "/api/v1/clients", body)
    assert response.status_code == 400
    assert response.json() == {"detail": "The request body is too large.", "errors": []}


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        # Strict JSON types: what the document says, not what could be coerced.
        ("POST", "/api/v1/clients", {"name": "X", "is_professional": 0}, "is_professional"),
        ("POST", "/api/v1/clients", {"name": 12}, "name"),
        ("POST", "/api/v1/sites", {"client_id": "{client_id}", "name": "X", "country": 33}, "country"),
        ("POST", "/api/v1/contacts", {"client_id": 1.5, "last_name": "X"}, "client_id"),
        ("PATCH", "/api/v1/sites/{site_id}", {"holiday_subdivision": 57}, "holiday_subdivision"),
        # Unknown fields: a misspelt field is refused, not silently ignored.
        ("PATCH", "/api/v1/contacts/{contact_id}", {"phone_number": "0102030405"}, "phone_number"),
        ("POST", "/api/v1/clients", {"name": "X", "siren_number": "732829320"}, "siren_number"),
        # Huge integers and over-long strings.
        ("POST", "/api/v1/sites", {"client_id": 10**30, "name": "X"}, "client_id"),
        ("POST", "/api/v1/contacts", {"client_id": "{client_id}", "site_id": -(2**70), "last_name": "X"}, "site_id"),
        ("POST", "/api/v1/clients", {"name": "X" * 151}, "name"),
        ("PATCH", "/api/v1/clients/{client_id}", {"notes": "X" * 5001}, "notes"),
        ("POST", "/api/v1/memberships", {"email": "not-an-e-mail", "role": "technician"}, "email"),
    ],
)
def test_edge_case_is_a_422_on_its_field(method, path, body, field, tenant, api_token) -> None:
    token, before = api_token(tenant.admin), _counts()
    response = _send(tenant, token, method, path, json.dumps(_fill(body, _ids(tenant))))
    assert response.status_code == 422
    assert field in _error_fields(response)
    assert _counts() == before


@pytest.mark.parametrize(
    ("url", "status"),
    [
        (f"/api/v1/clients/{10**30}", 404),
        (f"/api/v1/clients/{2**63}", 404),
        ("/api/v1/clients/-1", 404),
        ("/api/v1/clients/%00", 422),
        (f"/api/v1/sites?client_id={2**63}", 422),
        (f"/api/v1/clients?limit={10**40}", 422),
        ("/api/v1/clients?cursor=%00", 400),
        ("/api/v1/clients?cursor=eyJhZnRlciI6IDEuNX0", 400),  # {"after": 1.5}
    ],
)
def test_edge_case_in_path_or_query(url, status, tenant, api_token) -> None:
    response = HttpClient().get(url, headers={"Authorization": f"Bearer {api_token(tenant.admin)}"})
    assert response.status_code == status
    assert set(response.json()) == {"detail", "errors"}


def test_nul_character_in_a_search_finds_what_the_search_without_it_finds(tenant, api_token, login) -> None:
    """A search term with NUL used to be a 500 on PostgreSQL (API and back office)."""
    headers = {"Authorization": f"Bearer {api_token(tenant.admin)}"}
    contact = Contact.objects.filter(client=tenant.client).first()
    assert contact is not None

    def found(path: str, term: str) -> list[int]:
        response = HttpClient().get(path, {"search": term}, headers=headers)
        assert response.status_code == 200
        return [item["id"] for item in response.json()["items"]]

    name = tenant.client.name  # "Client A" (also matches "Autre client A")
    assert tenant.client.pk in found("/api/v1/clients", name)
    assert found("/api/v1/clients", f"{name[:3]}{NUL}{name[3:]}") == found("/api/v1/clients", name)
    assert found("/api/v1/contacts", f"{NUL}{contact.last_name}") == [contact.pk]
    assert found("/api/v1/clients", NUL) == found("/api/v1/clients", "")
    response = login(tenant.admin).get(reverse("tenancy:client_list"), {"q": f"{name[:3]}{NUL}{name[3:]}"})
    assert response.status_code == 200
    listed = [client.pk for client in response.context["page"].object_list]
    assert listed == list(
        Client.objects.filter(provider=tenant.provider, name__icontains=name).values_list("pk", flat=True)
    )
    assert tenant.client.pk in listed
