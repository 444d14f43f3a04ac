"""The client's contracts in the portal in the tenant-isolation matrix.

See ``tests/matrix/__init__.py``. A's client has an active contract with an amendment sent for
signature: its manager reads and signs (client users see no contract: 404), the other client's
manager gets 404.
"""

from __future__ import annotations

import datetime

from pacte.contracts import dates as contract_dates
from pacte.contracts import services as contract_services
from pacte.contracts.models import Contract
from tests.fixtures import Tenant
from tests.matrix.framework import ApiSpec, Call, PageSpec, Redirect, portal_page

PAGES: dict[str, PageSpec] = {
    # The client's contracts in the portal: its manager only (client users see no contract: 404).
    "portal:contract_list": PageSpec(
        get=Call(portal_page(client_manager=200, client_user=404, other_client_manager=200)),
        post=Call(portal_page(client_manager=405, client_user=404, other_client_manager=405)),
    ),
    "portal:contract_detail": PageSpec(
        kwargs={"pk": "portal_contract"},
        get=Call(portal_page(client_manager=200, client_user=404, other_client_manager=404)),
        post=Call(portal_page(client_manager=405, client_user=404, other_client_manager=405)),
    ),
    "portal:version_sign": PageSpec(
        kwargs={"pk": "portal_amendment"},
        get=Call(portal_page(client_manager=200, client_user=404, other_client_manager=404)),
        # An empty form (no consent, no name): 422 and nothing signed (the signature itself: contracts' tests).
        post=Call(portal_page(client_manager=422, client_user=404, other_client_manager=404), audits=0),
    ),
    "portal:version_pdf": PageSpec(
        kwargs={"pk": "portal_amendment"},
        get=Call(portal_page(client_manager=200, client_user=404, other_client_manager=404)),
        post=Call(portal_page(client_manager=405, client_user=404, other_client_manager=405)),
    ),
    "portal:contract_notice": PageSpec(
        kwargs={"pk": "portal_contract"},
        get=Call(portal_page(client_manager=200, client_user=404, other_client_manager=404)),
        post=Call(
            portal_page(
                client_manager=Redirect("portal:contract_detail", ("portal_contract",)),
                client_user=404,
                other_client_manager=404,
            ),
            data=lambda world: {"confirm": "on"},
            audits=1,
        ),
    ),
    "portal:contract_exit_signoff": PageSpec(
        kwargs={"pk": "portal_contract"},
        get=Call(portal_page(client_manager=405, client_user=404, other_client_manager=405)),
        # The contract is active, not in exit: nothing to sign off (409).
        post=Call(portal_page(client_manager=409, client_user=404, other_client_manager=404)),
    ),
}

API: dict[str, ApiSpec] = {}


def active_contract(tenant: Tenant, start: datetime.date, fee: str) -> Contract:
    """An active 12-month contract of the tenant's client, signed without the ceremony (no seal certificate here)."""
    terms = {
        "contract_type": "assistance",
        "billing_model": {"kind": "fixed_fee", "fee": fee, "period": "month"},
        "renewal": {"kind": "tacit", "notice_months": 2},
    }
    contract = contract_services.contract_create(
        actor=tenant.manager,
        client=tenant.client,
        title="Assistance",
        start_date=start,
        duration_months=12,
        terms=terms,
    )
    contract.versions.update(status="signed", signed_at=datetime.datetime.now(datetime.UTC))
    Contract.objects.filter(pk=contract.pk).update(
        status="active", term_number=1, term_start=start, term_end=contract_dates.term_last_day(start, 12)
    )
    contract.refresh_from_db()
    return contract


def _portal_contracts(tenant: Tenant) -> dict[str, int]:
    """An active contract of the tenant's client with an amendment sent for signature (its PDF and Word rendered)."""
    today = datetime.date.today()  # noqa: DTZ011  (the services' "today" is the server's local date too)
    contract = active_contract(tenant, today - datetime.timedelta(days=30), "900.00")
    amendment = contract_services.amendment_create(
        actor=tenant.manager,
        contract=contract,
        effective_from=today + datetime.timedelta(days=30),
        reason="Volume",
        terms={
            "contract_type": "assistance",
            "billing_model": {"kind": "fixed_fee", "fee": "1290.00", "period": "month"},
            "renewal": {"kind": "tacit", "notice_months": 2},
        },
    )
    contract_services.amendment_send(actor=tenant.manager, version=amendment)
    return {"portal_contract": contract.pk, "portal_amendment": amendment.pk}


def build(tenant: Tenant, provider_word: str, client_word: str) -> dict[str, int]:
    return _portal_contracts(tenant)
