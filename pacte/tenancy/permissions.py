"""What each role may do. Selectors scope *which* rows; these say *whether* an action is allowed."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from pacte.tenancy.models import Client, Membership, Role

MANAGERS = frozenset({Role.PROVIDER_ADMIN, Role.PROVIDER_MANAGER})


def require(allowed: bool) -> None:
    """Raise ``PermissionDenied`` (403) when the role may not act on an object of its own scope."""
    if not allowed:
        raise PermissionDenied


def is_provider_side(actor: Membership) -> bool:
    return actor.is_provider_side


def can_manage_clients(actor: Membership) -> bool:
    return actor.role in MANAGERS


def can_manage_client_records(actor: Membership, client: Client) -> bool:
    """Sites and contacts: the provider's managers, or the client's own manager."""
    if actor.role in MANAGERS:
        return client.provider_id == actor.provider_id
    return actor.role == Role.CLIENT_MANAGER and client.pk == actor.client_id


def can_view_memberships(actor: Membership) -> bool:
    return actor.role in {Role.PROVIDER_ADMIN, Role.CLIENT_MANAGER}


def can_manage_memberships(actor: Membership) -> bool:
    return actor.role in {Role.PROVIDER_ADMIN, Role.CLIENT_MANAGER}


def assignable_roles(actor: Membership) -> list[Role]:
    """Roles the actor may give: a client manager only client roles of its own company."""
    if actor.role == Role.PROVIDER_ADMIN:
        return list(Role)
    if actor.role == Role.CLIENT_MANAGER:
        return [Role.CLIENT_MANAGER, Role.CLIENT_USER]
    return []


def can_edit_provider_identity(actor: Membership) -> bool:
    """The provider's legal identity and numbering prefixes: its admins and managers."""
    return actor.role in MANAGERS
