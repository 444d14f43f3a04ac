"""Catalogue tasks and milestones reach the ledger, and so the invoices (``pacte/ledger/orders.py``)."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone, translation

from pacte.audit.models import AuditEvent
from pacte.billing import runs
from pacte.billing.models import Invoice, InvoiceLine
from pacte.contracts.models import ContractVersion
from pacte.core.errors import ConflictError
from pacte.ledger import orders
from pacte.ledger.models import Movement
from pacte.servicedesk.tests.helpers import contract_in_force, ticket

pytestmark = pytest.mark.django_db

D = Decimal
day = datetime.date
CATALOGUE = [
    {"code": "WS", "label": "Nouveau poste", "price": "180.00"},
    {"code": "PRN", "label": "Installation d'imprimante", "price": "95.50"},
]
MILESTONES = [
    {"label": "Étude et plan de migration", "amount": "1500.00", "expected_on": "2026-10-15"},
    {"label": "Bascule", "amount": "3000.00"},
    {"label": "Recette", "amount": "500.00"},
]


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def per_task(tenant, client=None):
    return contract_in_force(
        tenant,
        start=day(2026, 1, 1),
        months=24,
        client=client,
        billing_model={"kind": "per_task", "catalogue": CATALOGUE},
    )


def by_milestones(tenant, milestones=None):
    return contract_in_force(
        tenant,
        start=day(2026, 1, 1),
        months=24,
        billing_model={"kind": "milestones", "milestones": milestones or MILESTONES},
    )


def revise(contract, effective_from: datetime.date, **billing):
    """A signed price revision effective ``effective_from`` (the billing model's fields replaced)."""
    first = contract.versions.get(number=1)
    data = json.loads(json.dumps(first.terms_data))
    data["billing_model"].update(billing)
    return ContractVersion.objects.create(
        provider_id=contract.provider_id,
        client_id=contract.client_id,
        contract=contract,
        number=2,
        kind="revision",
        status="signed",
        effective_from=effective_from,
        terms_data=data,
        signed_at=timezone.now(),
    )


def record(tenant, contract, actor=None, **kwargs):
    kwargs.setdefault("code", "WS")
    kwargs.setdefault("performed_on", day(2026, 10, 12))
    movement, _created = orders.task_record(actor=actor or tenant.technician, contract=contract, **kwargs)
    return movement


def run_month(tenant, month: str, issue: bool = False):
    run = runs.run_create(actor=tenant.manager, provider=tenant.provider, month=month)
    return runs.run_execute(run, actor=tenant.manager, issue=issue, render=False, validate=False)


def call(token: str, path: str, body: dict, **headers):
    return HttpClient().post(
        f"/api/v1{path}",
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
        **headers,
    )


# Catalogue tasks -----------------------------------------------------------------------------------


def test_a_task_is_one_billable_euros_movement_at_its_catalogue_price(tenant):
    contract = per_task(tenant)
    movement = record(tenant, contract, quantity=2, note="Poste de Mme Martin")
    assert movement.account.unit == "euros" and movement.kind == "consumption"
    assert (movement.quantity, movement.amount, movement.billable) == (D("-360"), D("360.00"), True)
    assert movement.source_kind == "catalogue_task" and movement.key.startswith(f"task:{contract.pk}:")
    assert movement.description == "Nouveau poste × 2"
    assert movement.rule["task"] == {"code": "WS", "label": "Nouveau poste", "unit_price": "180.00", "quantity": 2}
    assert movement.rule["billing_model"] == "per_task"
    assert movement.created_by == tenant.technician and movement.reason == "Poste de Mme Martin"
    event = AuditEvent.objects.get(action="ledger.task_recorded")
    assert event.after["amount"] == "360.00" and event.after["code"] == "WS"


def test_the_price_is_the_one_in_force_on_the_day_performed(tenant):
    contract = per_task(tenant)
    revise(contract, day(2026, 10, 15), catalogue=[{"code": "WS", "label": "Nouveau poste", "price": "190.00"}])
    before = record(tenant, contract, performed_on=day(2026, 10, 14))
    after = record(tenant, contract, performed_on=day(2026, 10, 15))
    assert (before.amount, after.amount) == (D("180.00"), D("190.00"))
    assert after.rule["task"]["unit_price"] == "190.00"
    # PRN left the catalogue with the revision: unknown from that day.
    with pytest.raises(ValidationError) as refused:
        record(tenant, contract, code="PRN", performed_on=day(2026, 10, 20))
    assert "code" in refused.value.message_dict
    assert record(tenant, contract, code="PRN", performed_on=day(2026, 10, 1)).amount == D("95.50")


def test_the_same_token_twice_posts_one_movement(tenant):
    contract = per_task(tenant)
    first, created = orders.task_record(
        actor=tenant.technician, contract=contract, code="WS", performed_on=day(2026, 10, 12), token="form-token-1"
    )
    again, created_again = orders.task_record(
        actor=tenant.technician, contract=contract, code="WS", performed_on=day(2026, 10, 12), token="form-token-1"
    )
    assert (created, created_again) == (True, False) and again.pk == first.pk
    assert Movement.objects.count() == 1 and AuditEvent.objects.filter(action="ledger.task_recorded").count() == 1
    with pytest.raises(ConflictError):  # the same key with another quantity is not a retry
        orders.task_record(
            actor=tenant.technician,
            contract=contract,
            code="WS",
            quantity=3,
            performed_on=day(2026, 10, 12),
            token="form-token-1",
        )
    assert Movement.objects.count() == 1


def test_the_same_token_on_another_providers_contract_is_its_own_task(tenant, other_tenant):
    mine, theirs = per_task(tenant), per_task(other_tenant)
    a = record(tenant, mine, token="shared-token")
    b = record(other_tenant, theirs, token="shared-token")
    assert a.pk != b.pk and b.contract_id == theirs.pk


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"code": "NOPE"}, "code"),
        ({"quantity": 0}, "quantity"),
        ({"quantity": 1000}, "quantity"),
        ({"quantity": "deux"}, "quantity"),
        ({"performed_on": day(2025, 12, 31)}, "performed_on"),  # before the contract
        ({"performed_on": day(2099, 1, 1)}, "performed_on"),  # the future
        ({"note": "x" * 301}, "note"),
        ({"token": "bad token!"}, "token"),
    ],
)
def test_bad_tasks_are_refused_and_nothing_is_posted(tenant, kwargs, field):
    contract = per_task(tenant)
    with pytest.raises(ValidationError) as refused:
        record(tenant, contract, **kwargs)
    assert field in refused.value.message_dict
    assert not Movement.objects.exists() and not AuditEvent.objects.filter(action="ledger.task_recorded").exists()


def test_a_contract_not_billed_per_task_refuses_tasks(tenant):
    contract = contract_in_force(tenant, start=day(2026, 1, 1))  # a fixed fee
    with pytest.raises(ValidationError) as refused:
        record(tenant, contract)
    assert "code" in refused.value.message_dict and not Movement.objects.exists()


def test_a_task_names_a_ticket_of_the_contracts_client_only(tenant, other_tenant):
    contract = per_task(tenant)
    own = ticket(tenant, notify_requester=False)
    other_clients = ticket(tenant, client=tenant.other_client, notify_requester=False)
    foreign = ticket(other_tenant, notify_requester=False)
    for bad in (other_clients.pk, foreign.pk, 10**9):
        with pytest.raises(ValidationError) as refused:
            record(tenant, contract, ticket_id=bad)
        assert "ticket_id" in refused.value.message_dict
    assert not Movement.objects.exists()
    movement = record(tenant, contract, ticket_id=own.pk)
    assert movement.detail["ticket_id"] == own.pk and own.reference in movement.description


def test_only_provider_roles_record_and_only_managers_cancel(tenant, other_tenant):
    contract = per_task(tenant)
    with pytest.raises(PermissionDenied):
        record(tenant, contract, actor=tenant.client_manager)
    with pytest.raises(Http404):
        record(tenant, contract, actor=other_tenant.admin)
    movement = record(tenant, contract)
    with pytest.raises(PermissionDenied):
        orders.task_cancel(actor=tenant.technician, contract=contract, movement_id=movement.pk)
    assert Movement.objects.count() == 1


def test_cancelling_before_invoicing_reverses_once_and_after_issue_is_refused(tenant):
    contract = per_task(tenant)
    cancelled = record(tenant, contract, quantity=2)
    reversal = orders.task_cancel(actor=tenant.manager, contract=contract, movement_id=cancelled.pk, reason="Erreur")
    assert (reversal.quantity, reversal.amount, reversal.service_date) == (D("360"), D("-360.00"), day(2026, 10, 12))
    assert reversal.key == cancelled.key + ":cancel" and reversal.detail == {"reverses": cancelled.key}
    # Invoices are French: "Annulation : Nouveau poste × 2" once the catalogue is compiled.
    assert reversal.description.endswith(": Nouveau poste × 2") and reversal.description != "Nouveau poste × 2"
    with pytest.raises(ConflictError):
        orders.task_cancel(actor=tenant.manager, contract=contract, movement_id=cancelled.pk)
    with pytest.raises(Http404):  # a reversal is not a task to cancel
        orders.task_cancel(actor=tenant.manager, contract=contract, movement_id=reversal.pk)
    kept = record(tenant, contract, performed_on=day(2026, 10, 20))
    run_month(tenant, "2026-10", issue=True)
    invoice = Invoice.objects.get(contract=contract)
    assert invoice.status == "issued" and invoice.total_net == D("180.00")  # 360 − 360 + 180
    with pytest.raises(ConflictError, match="credit note"):
        orders.task_cancel(actor=tenant.manager, contract=contract, movement_id=kept.pk)
    assert not Movement.objects.filter(key=kept.key + ":cancel").exists()
    rows = {row.movement.pk: row for row in orders.task_list(actor=tenant.manager, contract=contract)}
    assert rows[cancelled.pk].cancelled and not rows[cancelled.pk].can_cancel
    assert rows[kept.pk].invoice_number == invoice.number and not rows[kept.pk].can_cancel


# Milestones ----------------------------------------------------------------------------------------


def test_a_milestone_is_billed_once_ever(tenant):
    contract = by_milestones(tenant)
    movement = orders.milestone_accept(
        actor=tenant.manager, contract=contract, label="Bascule", accepted_on=day(2026, 10, 20)
    )
    assert (movement.quantity, movement.amount, movement.billable) == (D("-3000"), D("3000.00"), True)
    assert movement.source_kind == "milestone" and movement.key == f"milestone:{contract.pk}:bascule"
    assert movement.description.endswith(": Bascule") and movement.rule["milestone"]["index"] == 1
    for kwargs in ({"label": "Bascule"}, {"index": 1}):
        with pytest.raises(ConflictError):
            orders.milestone_accept(actor=tenant.manager, contract=contract, accepted_on=day(2026, 11, 2), **kwargs)
    # An amendment reordering the milestones does not make it acceptable again.
    revise(contract, day(2026, 11, 1), milestones=[MILESTONES[2], MILESTONES[1], MILESTONES[0]])
    with pytest.raises(ConflictError):
        orders.milestone_accept(actor=tenant.manager, contract=contract, index=1, accepted_on=day(2026, 11, 2))
    assert Movement.objects.count() == 1
    assert AuditEvent.objects.filter(action="ledger.milestone_accepted").count() == 1
    rows = orders.milestone_list(actor=tenant.client_manager, contract=contract)
    assert [(row.label, row.accepted is not None) for row in rows] == [
        ("Recette", False),
        ("Bascule", True),
        ("Étude et plan de migration", False),
    ]


def test_repeated_labels_are_distinct_milestones(tenant):
    contract = by_milestones(tenant, [{"label": "Lot", "amount": "100.00"}, {"label": "Lot", "amount": "200.00"}])
    first = orders.milestone_accept(actor=tenant.manager, contract=contract, label="Lot", accepted_on=day(2026, 10, 1))
    second = orders.milestone_accept(actor=tenant.manager, contract=contract, label="Lot", accepted_on=day(2026, 10, 2))
    assert (first.amount, second.amount) == (D("100.00"), D("200.00"))
    assert second.key == f"milestone:{contract.pk}:lot-2"
    with pytest.raises(ConflictError):
        orders.milestone_accept(actor=tenant.manager, contract=contract, label="Lot", accepted_on=day(2026, 10, 3))


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"label": "Inconnu"}, "label"),
        ({"index": 3}, "index"),
        ({"index": 0, "label": "Bascule"}, "index"),  # the page showed other terms
        ({"index": 0, "accepted_on": day(2025, 6, 1)}, "accepted_on"),
        ({"index": 0, "accepted_on": day(2099, 6, 1)}, "accepted_on"),
    ],
)
def test_bad_acceptances_are_refused(tenant, kwargs, field):
    contract = by_milestones(tenant)
    kwargs.setdefault("accepted_on", day(2026, 10, 20))
    with pytest.raises(ValidationError) as refused:
        orders.milestone_accept(actor=tenant.manager, contract=contract, **kwargs)
    assert field in refused.value.message_dict
    assert not Movement.objects.exists()


def test_only_managers_accept_milestones_and_only_on_milestone_contracts(tenant):
    contract = by_milestones(tenant)
    with pytest.raises(PermissionDenied):
        orders.milestone_accept(actor=tenant.technician, contract=contract, index=0, accepted_on=day(2026, 10, 1))
    with pytest.raises(ValidationError):
        orders.milestone_accept(actor=tenant.manager, contract=per_task(tenant), index=0, accepted_on=day(2026, 10, 1))
    assert not Movement.objects.exists()


# End to end: the ledger to the invoice --------------------------------------------------------------


def test_tasks_and_a_milestone_reach_the_months_invoices(tenant):
    tasks = per_task(tenant)
    project = by_milestones(tenant)
    record(tenant, tasks, quantity=2, performed_on=day(2026, 10, 5))
    record(tenant, tasks, code="PRN", performed_on=day(2026, 10, 6))
    record(tenant, tasks, performed_on=day(2026, 11, 2))  # November's: not on October's invoice
    orders.milestone_accept(
        actor=tenant.manager, contract=project, label="Étude et plan de migration", accepted_on=day(2026, 10, 16)
    )
    run_month(tenant, "2026-10")
    lines = list(InvoiceLine.objects.filter(invoice__contract=tasks).order_by("position"))
    assert [(line.kind, line.description, line.amount) for line in lines] == [
        ("task", "Nouveau poste (05/10/2026)", D("360.00")),  # the 2 is in the quantity column
        ("task", "Installation d'imprimante (06/10/2026)", D("95.50")),
    ]
    assert Invoice.objects.get(contract=tasks).total_net == D("455.50")
    (line,) = InvoiceLine.objects.filter(invoice__contract=project)
    assert (line.kind, line.amount) == ("milestone", D("1500.00"))
    assert line.description.endswith(": Étude et plan de migration (16/10/2026)")  # "Jalon : …"
    assert line.account_code == "706500" and line.movement.source_kind == "milestone"
    # Running again bills nothing twice.
    run_month(tenant, "2026-10")
    assert InvoiceLine.objects.count() == 3


# Pages -------------------------------------------------------------------------------------------


def test_the_ledger_page_records_a_task_once_even_submitted_twice(tenant, login, django_assert_max_num_queries):
    contract = per_task(tenant)
    own = ticket(tenant, notify_requester=False)
    http = login(tenant.technician)
    url = reverse("ledger:contract_ledger", args=[contract.pk])
    for n in range(3):
        record(tenant, contract, performed_on=day(2026, 10, 1 + n))
    with django_assert_max_num_queries(12):
        page = http.get(url)
    html = page.content.decode()
    assert 'id="task-form"' in html and 'value="WS"' in html and own.reference in html
    assert 'data-testid="cancel-' not in html  # a technician records, does not cancel
    token = page.context["task_form"].initial["token"]
    data = {"code": "WS", "quantity": "2", "performed_on": "2026-10-12", "ticket": str(own.pk), "token": token}
    post = reverse("ledger:task_record", args=[contract.pk])
    first = http.post(post, data)
    second = http.post(post, data)
    assert first.status_code == second.status_code == 302 and first["Location"] == url
    assert Movement.objects.filter(contract=contract).count() == 4
    assert Movement.objects.get(key=f"task:{contract.pk}:{token}").amount == D("360.00")


def test_a_bad_task_is_shown_next_to_its_field(tenant, login):
    contract = per_task(tenant)
    http = login(tenant.manager)
    data = {"code": "WS", "quantity": "1", "performed_on": "2025-06-01", "token": "abcdefgh12"}
    response = http.post(reverse("ledger:task_record", args=[contract.pk]), data)
    assert response.status_code == 422
    assert response.context["task_form"].errors["performed_on"]
    assert 'data-field="performed_on"' in response.content.decode()
    assert not Movement.objects.exists()


def test_a_manager_cancels_a_task_and_accepts_a_milestone_on_the_page(tenant, login):
    contract = per_task(tenant)
    movement = record(tenant, contract)
    http = login(tenant.manager)
    html = http.get(reverse("ledger:contract_ledger", args=[contract.pk])).content.decode()
    assert f'data-testid="cancel-{movement.pk}"' in html
    response = http.post(reverse("ledger:task_cancel", args=[contract.pk, movement.pk]), {"reason": "Doublon"})
    assert response.status_code == 302
    again = http.post(reverse("ledger:task_cancel", args=[contract.pk, movement.pk]))
    assert again.status_code == 409 and 'id="task-error"' in again.content.decode()
    assert Movement.objects.filter(key=movement.key + ":cancel").count() == 1

    project = by_milestones(tenant)
    page = http.get(reverse("ledger:contract_ledger", args=[project.pk])).content.decode()
    assert 'data-testid="accept-0"' in page and "Étude et plan de migration" in page
    url = reverse("ledger:milestone_accept", args=[project.pk, 0])
    bad = http.post(url, {"m0-accepted_on": "2099-01-01", "m0-label": MILESTONES[0]["label"]})
    assert bad.status_code == 422 and 'data-field="accepted_on"' in bad.content.decode()
    ok = http.post(url, {"m0-accepted_on": "2026-10-16", "m0-label": MILESTONES[0]["label"]})
    assert ok.status_code == 302
    twice = http.post(url, {"m0-accepted_on": "2026-10-17", "m0-label": MILESTONES[0]["label"]})
    assert twice.status_code == 409 and "il n’est facturé qu’une fois" in twice.content.decode()
    page = http.get(reverse("ledger:contract_ledger", args=[project.pk])).content.decode()
    assert "Accepté le 16/10/2026" in page and 'data-testid="accept-0"' not in page


def test_a_technician_may_not_cancel_nor_accept(tenant, login):
    contract, project = per_task(tenant), by_milestones(tenant)
    movement = record(tenant, contract)
    http = login(tenant.technician)
    assert http.post(reverse("ledger:task_cancel", args=[contract.pk, movement.pk])).status_code == 403
    url = reverse("ledger:milestone_accept", args=[project.pk, 0])
    assert http.post(url, {"m0-accepted_on": "2026-10-16"}).status_code == 403
    page = http.get(reverse("ledger:contract_ledger", args=[project.pk])).content.decode()
    assert "À accepter" in page and 'data-testid="accept-0"' not in page
    assert Movement.objects.count() == 1


def test_another_providers_contract_is_a_404_on_the_pages(tenant, other_tenant, login):
    contract, project = per_task(tenant), by_milestones(tenant)
    movement = record(tenant, contract)
    http = login(other_tenant.admin)
    data = {"code": "WS", "quantity": "1", "performed_on": "2026-10-12", "token": "abcdefgh12"}
    assert http.post(reverse("ledger:task_record", args=[contract.pk]), data).status_code == 404
    assert http.post(reverse("ledger:task_cancel", args=[contract.pk, movement.pk])).status_code == 404
    url = reverse("ledger:milestone_accept", args=[project.pk, 0])
    assert http.post(url, {"m0-accepted_on": "2026-10-16"}).status_code == 404
    # Their own contract with our movement's id: not theirs either.
    theirs = per_task(other_tenant)
    own_http = login(other_tenant.manager)
    assert own_http.post(reverse("ledger:task_cancel", args=[theirs.pk, movement.pk])).status_code == 404
    assert Movement.objects.count() == 1


# API ---------------------------------------------------------------------------------------------


def test_the_api_records_a_task_once_per_idempotency_key(tenant, api_token):
    contract = per_task(tenant)
    token = api_token(tenant.technician)
    body = {"code": "WS", "quantity": 2, "performed_on": "2026-10-12"}
    first = call(token, f"/contracts/{contract.pk}/tasks", body, HTTP_IDEMPOTENCY_KEY="order-2026-0001")
    again = call(token, f"/contracts/{contract.pk}/tasks", body, HTTP_IDEMPOTENCY_KEY="order-2026-0001")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"] and first.json()["amount"] == "360.00"
    other = call(
        token, f"/contracts/{contract.pk}/tasks", {**body, "quantity": 3}, HTTP_IDEMPOTENCY_KEY="order-2026-0001"
    )
    assert other.status_code == 409
    bad = call(token, f"/contracts/{contract.pk}/tasks", {**body, "code": "NOPE"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "code"
    assert Movement.objects.count() == 1


def test_the_api_cancels_and_accepts(tenant, api_token):
    contract, project = per_task(tenant), by_milestones(tenant)
    movement = record(tenant, contract)
    manager = api_token(tenant.manager)
    cancel = call(manager, f"/contracts/{contract.pk}/tasks/{movement.pk}/cancel", {"reason": "Doublon"})
    assert cancel.status_code == 201 and cancel.json()["amount"] == "-180.00"
    accept = call(manager, f"/contracts/{project.pk}/milestones/2/accept", {"accepted_on": "2026-10-20"})
    assert accept.status_code == 201 and accept.json()["amount"] == "500.00"
    assert call(manager, f"/contracts/{project.pk}/milestones/2/accept", {}).status_code == 409
    assert call(manager, f"/contracts/{project.pk}/milestones/9/accept", {}).status_code == 422
    listed = HttpClient().get(
        f"/api/v1/contracts/{project.pk}/milestones", HTTP_AUTHORIZATION=f"Bearer {api_token(tenant.client_manager)}"
    )
    assert listed.status_code == 200
    assert [(m["index"], m["accepted_on"]) for m in listed.json()["milestones"]] == [
        (0, None),
        (1, None),
        (2, "2026-10-20"),
    ]


def test_the_api_refuses_other_roles_and_other_tenants(tenant, other_tenant, api_token):
    contract, project = per_task(tenant), by_milestones(tenant)
    movement = record(tenant, contract)
    body = {"code": "WS", "performed_on": "2026-10-12"}
    client_manager = api_token(tenant.client_manager)
    assert call(client_manager, f"/contracts/{contract.pk}/tasks", body).status_code == 403
    technician = api_token(tenant.technician)
    assert call(technician, f"/contracts/{project.pk}/milestones/0/accept", {}).status_code == 403
    for member in (other_tenant.admin, tenant.other_client_manager, tenant.client_user):
        token = api_token(member)
        assert call(token, f"/contracts/{contract.pk}/tasks", body).status_code == 404
        assert call(token, f"/contracts/{contract.pk}/tasks/{movement.pk}/cancel", {}).status_code == 404
        assert call(token, f"/contracts/{project.pk}/milestones/0/accept", {}).status_code == 404
        path = f"/api/v1/contracts/{project.pk}/milestones"
        assert HttpClient().get(path, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 404
    assert Movement.objects.count() == 1
