"""Builders shared by the contracts tests: terms, drafts and signed (active) contracts."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from pacte.contracts import services
from pacte.contracts.models import Contract, ContractVersion
from pacte.contracts.terms import ContractTerms

CONSENT = "Je signe ce contrat et j'en accepte les conditions."


def terms_data(**overrides: Any) -> dict[str, Any]:
    """Valid terms: an assistance contract, 10 h a month for 900 € excl. VAT, tacit renewal, 2 months' notice."""
    data: dict[str, Any] = {
        "contract_type": "assistance",
        "billing_model": {
            "kind": "fixed_fee",
            "fee": "900.00",
            "period": "month",
            "billed": "in_advance",
            "included_quantity": "10",
            "included_unit": "hours",
            "overage_rate": "85.00",
            "overage_policy": "warn",
        },
        "rounding_unit_minutes": 15,
        "minimum_minutes_per_intervention": 30,
        "renewal": {"kind": "tacit", "renewal_term_months": None, "notice_months": 2},
        "clauses": [{"key": "objet", "title": "Objet", "text": "Assistance informatique des utilisateurs."}],
    }
    data.update(overrides)
    return data


def terms(**overrides: Any) -> ContractTerms:
    return ContractTerms.model_validate(terms_data(**overrides))


def draft(
    tenant, *, start: datetime.date = datetime.date(2027, 1, 1), months: int | None = 12, **overrides: Any
) -> Contract:
    return services.contract_create(
        actor=tenant.manager,
        client=tenant.client,
        title="Assistance utilisateurs",
        start_date=start,
        duration_months=months,
        terms=terms_data(**overrides),
    )


def sign(tenant, version: ContractVersion) -> ContractVersion:
    version.refresh_from_db()
    assert version.document is not None
    return services.version_sign(
        actor=tenant.client_manager, version=version, document_sha256=version.document.sha256, consent_text=CONSENT
    )


def active(tenant, **kwargs: Any) -> Contract:
    """A contract sent and signed by the client's manager (needs the ``seal`` fixture)."""
    contract = draft(tenant, **kwargs)
    version = services.contract_send(actor=tenant.manager, contract=contract)
    sign(tenant, version)
    contract.refresh_from_db()
    return contract


FEE = Decimal("900.00")
