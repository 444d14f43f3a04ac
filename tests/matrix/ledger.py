"""The ledger pages and API in the tenant-isolation matrix (see ``tests/matrix/__init__.py``).

A's client has an active contract with a posted adjustment. Its ledger page is for provider roles;
the adjustment (page and API) and the leak report are for admins and managers (a technician: 403).
Through the API the client's manager reads its company's ledger; the client user sees no contract
(404), nor the other client's manager, nor B. What bad input does is tested in
``pacte/ledger/tests/test_views.py`` and ``test_api.py``.
"""

from __future__ import annotations

from typing import Any

from pacte.ledger import services
from pacte.servicedesk.tests.helpers import contract_in_force
from tests.test_tenant_matrix import ApiSpec, Call, PageSpec, Redirect, api_call, provider_page

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


def _adjustment(world: Any) -> dict[str, Any]:
    return {"unit": "euros", "quantity": "-10", "reason": "Commercial gesture"}


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
}


def build(tenant: Any, provider_word: str, client_word: str) -> dict[str, int]:
    """An active time-and-materials contract of the client, with one adjustment posted."""
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
    return {"ledger_contract": contract.pk}
