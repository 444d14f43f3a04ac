"""Template filters of the portal's contract pages and navigation."""

from __future__ import annotations

from typing import Any

from django import template

from pacte.contracts.permissions import can_view_contracts

register = template.Library()


@register.filter
def sees_contracts(actor: Any) -> bool:
    """Whether ``actor`` (a membership, or None) has the contract pages: the client's manager, every provider role."""
    return actor is not None and can_view_contracts(actor)


@register.inclusion_tag("contracts/portal/home_block.html")
def portal_contracts_block(actor: Any) -> dict[str, Any]:
    """The portal home's contracts block: the documents awaiting the manager's signature (two queries)."""
    from pacte.contracts import selectors
    from pacte.contracts.models import VersionStatus

    if not sees_contracts(actor) or not actor.is_client_side:
        return {"show": False, "awaiting": []}
    contracts = list(selectors.contract_list(actor=actor).prefetch_related("versions"))
    awaiting = [
        version for contract in contracts for version in contract.versions.all() if version.status == VersionStatus.SENT
    ]
    return {"show": True, "awaiting": awaiting, "count": len(contracts)}
