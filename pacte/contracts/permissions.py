"""Who may do what with contracts. Selectors scope *which* rows; these say *whether* an action is allowed."""

from __future__ import annotations

from pacte.tenancy.models import Membership, Role
from pacte.tenancy.permissions import MANAGERS

#: Roles that see contracts: every provider role, and the client's manager (prices and signatures).
VIEWERS = frozenset({Role.PROVIDER_ADMIN, Role.PROVIDER_MANAGER, Role.TECHNICIAN, Role.CLIENT_MANAGER})


def can_view_contracts(actor: Membership) -> bool:
    return actor.role in VIEWERS


def can_manage_contracts(actor: Membership) -> bool:
    """Drafting, sending, amending, notice, exit, index values: the provider's admins and managers."""
    return actor.role in MANAGERS


def can_sign_for_client(actor: Membership) -> bool:
    """Signing a contract, an amendment or the exit sign-off for the client: its manager."""
    return actor.role == Role.CLIENT_MANAGER
