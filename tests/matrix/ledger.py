"""The ledger pages and API in the tenant-isolation matrix (see ``tests/matrix/__init__.py``).

A's client has an active contract with a posted adjustment, a per-task contract with one recorded
task and a milestones contract. Its ledger page is for provider roles; the adjustment (page and API)
and the leak report are for admins and managers (a technician: 403). Every provider role records a
catalogue task; cancelling a task and accepting a milestone are for admins and managers. Through the
API the client's manager reads its company's ledger and milestones (and is refused writes: 403); the
client user sees no contract (404), nor the other client's manager, nor B. What bad input does is
tested in ``pacte/ledger/tests/test_views.py``, ``test_api.py`` and ``test_orders.py``.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

from pacte.ledger import orders, services
from pacte.servicedesk.tests.helpers import contract_in_force
from tests.matrix.framework import ApiSpec, Call, Lit, PageSpec, Redirect, api_call, provider_page

CONTRACT: dict[str, Any] = {"pk": "ledger_contract"}
API_CONTRACT = {"contract_id": "ledger_contract"}
LEDGER_READ: dict[str, Any] = {
    "provider": 200,
    "client_manager": 200,
    "client_user": 404,
    "other_client_manager": 404,
    "other_admin": 404,
}
NOT_A_FORM = Call(provider_page(provider=405, other_admin=405))


TASK_CONTRACT: dict[str, Any] = {"pk": "ledger_task_contract"}
MILESTONE_PAGE: dict[str, Any] = {"pk": "ledger_milestone_contract", "index": Lit("0")}


def _adjustment(world: Any) -> dict[str, Any]:
    return {"unit": "euros", "quantity": "-10", "reason": "Commercial gesture"}


def _yesterday() -> str:
    return (timezone.localdate() - datetime.timedelta(days=1)).isoformat()


def _task_form(world: Any) -> dict[str, Any]:
    return {"code": "WS", "quantity": "2", "performed_on": _yesterday(), "token": "matrix-task-token"}


def _task(world: Any) -> dict[str, Any]:
    return {"code": "WS", "quantity": 2, "performed_on": _yesterday()}


def _milestone_form(world: Any) -> dict[str, Any]:
    return {"m0-accepted_on": _yesterday(), "m0-label": "Study"}


def _milestone(world: Any) -> dict[str, Any]:
    return {"accepted_on": _yesterday()}


PAGES: dict[str, PageSpec] = {
    "ledger:contract_ledger": PageSpec(
        kwargs=CONTRACT, get=Call(provider_page(provider=200, other_admin=404)), post=NOT_A_FORM
    ),
    "ledger:adjustment_create": PageSpec(
        kwargs=CONTRACT,
        get=Call(provider_page(managers=200, technician=403, other_admin=404)),
        post=Call(
            provider_page(
                managers=Redirect("ledger:contract_ledger", ("ledger_contract",)), technician=403, other_admin=404
            ),
            data=_adjustment,
            audits=1,
        ),
    ),
    "ledger:task_record": PageSpec(
        kwargs=TASK_CONTRACT,
        get=NOT_A_FORM,
        post=Call(
            provider_page(provider=Redirect("ledger:contract_ledger", ("ledger_task_contract",)), other_admin=404),
            data=_task_form,
            audits=1,
        ),
    ),
    "ledger:task_cancel": PageSpec(
        kwargs={**TASK_CONTRACT, "movement_pk": "ledger_task"},
        get=NOT_A_FORM,
        post=Call(
            provider_page(
                managers=Redirect("ledger:contract_ledger", ("ledger_task_contract",)),
                technician=403,
                other_admin=404,
            ),
            audits=1,
        ),
    ),
    "ledger:milestone_accept": PageSpec(
        kwargs=MILESTONE_PAGE,
        get=NOT_A_FORM,
        post=Call(
            provider_page(
                managers=Redirect("ledger:contract_ledger", ("ledger_milestone_contract",)),
                technician=403,
                other_admin=404,
            ),
            data=_milestone_form,
            audits=1,
        ),
    ),
    "ledger:leak_report": PageSpec(
        get=Call(provider_page(managers=200, technician=403, other_admin=200)), post=NOT_A_FORM
    ),
}

API: dict[str, ApiSpec] = {
    "GET /api/v1/contracts/{contract_id}/ledger": ApiSpec(api_call(**LEDGER_READ), API_CONTRACT),
    "GET /api/v1/contracts/{contract_id}/ledger/movements": ApiSpec(api_call(**LEDGER_READ), API_CONTRACT),
    "POST /api/v1/contracts/{contract_id}/ledger/adjustments": ApiSpec(
        api_call(
            managers=201,
            technician=403,
            client_manager=403,
            client_user=404,
            other_client_manager=404,
            other_admin=404,
            data=_adjustment,
            audits=1,
        ),
        API_CONTRACT,
    ),
    "GET /api/v1/ledger/leaks": ApiSpec(api_call(managers=200, technician=403, client_side=403, other_admin=200)),
    "POST /api/v1/contracts/{contract_id}/tasks": ApiSpec(
        api_call(
            provider=201,
            client_manager=403,
            client_user=404,
            other_client_manager=404,
            other_admin=404,
            data=_task,
            audits=1,
        ),
        {"contract_id": "ledger_task_contract"},
    ),
    "POST /api/v1/contracts/{contract_id}/tasks/{movement_id}/cancel": ApiSpec(
        api_call(
            managers=201,
            technician=403,
            client_manager=403,
            client_user=404,
            other_client_manager=404,
            other_admin=404,
            data=lambda world: {},
            audits=1,
        ),
        {"contract_id": "ledger_task_contract", "movement_id": "ledger_task"},
    ),
    "GET /api/v1/contracts/{contract_id}/milestones": ApiSpec(
        api_call(**LEDGER_READ), {"contract_id": "ledger_milestone_contract"}
    ),
    "POST /api/v1/contracts/{contract_id}/milestones/{index}/accept": ApiSpec(
        api_call(
            managers=201,
            technician=403,
            client_manager=403,
            client_user=404,
            other_client_manager=404,
            other_admin=404,
            data=_milestone,
            audits=1,
        ),
        {"contract_id": "ledger_milestone_contract", "index": "ledger_milestone_index"},
    ),
}


def build(tenant: Any, provider_word: str, client_word: str) -> dict[str, int]:
    """An active time-and-materials contract of the client, with one adjustment posted; a per-task
    contract with one task recorded; a milestones contract (its first milestone at index 0)."""
    contract = contract_in_force(
        tenant,
        title=f"Régie {client_word.title()}",
        billing_model={"kind": "time_and_materials", "labour_rate": "80.00"},
    )
    services.adjustment_post(
        actor=tenant.manager,
        contract=contract,
        unit="euros",
        quantity="25",
        reason=f"Avoir {client_word}",
    )
    per_task = contract_in_force(
        tenant,
        title=f"Catalogue {client_word.title()}",
        billing_model={"kind": "per_task", "catalogue": [{"code": "WS", "label": "Workstation", "price": "180.00"}]},
    )
    task, _created = orders.task_record(
        actor=tenant.technician, contract=per_task, code="WS", performed_on=timezone.localdate()
    )
    project = contract_in_force(
        tenant,
        title=f"Projet {client_word.title()}",
        billing_model={"kind": "milestones", "milestones": [{"label": "Study", "amount": "1500.00"}]},
    )
    return {
        "ledger_contract": contract.pk,
        "ledger_task_contract": per_task.pk,
        "ledger_task": task.pk,
        "ledger_milestone_contract": project.pk,
        "ledger_milestone_index": 0,
    }
