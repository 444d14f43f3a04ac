"""Who may do what on the service desk. Selectors scope *which* tickets; these say *whether* an action is allowed.

- Provider roles (admin, manager, technician) work every ticket of the provider.
- A client manager sees and follows every ticket of the company, and approves quotes.
- A client user sees the tickets they asked for (requester or author).
Internal notes and internal files are never shown to client roles.
"""

from __future__ import annotations

from pacte.tenancy.models import PROVIDER_ROLES, Membership, Role
from pacte.tenancy.permissions import MANAGERS


def is_staff(actor: Membership) -> bool:
    return actor.role in PROVIDER_ROLES


def can_work_tickets(actor: Membership) -> bool:
    """Assign, change status, write internal notes, log calls, quote: the provider's people."""
    return actor.role in PROVIDER_ROLES


def can_manage_desk(actor: Membership) -> bool:
    """Settings, teams, mailboxes, the priority matrix: the provider's admins and managers."""
    return actor.role in MANAGERS


def can_open_tickets(actor: Membership) -> bool:
    return True


def can_decide_quotes(actor: Membership) -> bool:
    return actor.role == Role.CLIENT_MANAGER


def sees_internal(actor: Membership) -> bool:
    return actor.role in PROVIDER_ROLES
