"""Who may do what with the ledger. Selectors scope *which* accounts and movements; these say *whether*.

- Provider roles (admin, manager, technician) read every contract's accounts and movements.
- Admins and managers also post manual adjustments and read the leak report.
- A client's manager reads the accounts and movements of its company's contracts (read-only, the
  contracts it sees); a client user sees no contract, so no ledger either.
"""

from __future__ import annotations

from pacte.tenancy.models import PROVIDER_ROLES, Membership
from pacte.tenancy.permissions import MANAGERS


def is_staff(actor: Membership) -> bool:
    return actor.role in PROVIDER_ROLES


def can_manage_ledger(actor: Membership) -> bool:
    """Manual adjustments: the provider's admins and managers."""
    return actor.role in MANAGERS


def can_see_leaks(actor: Membership) -> bool:
    """The leak report (work not posted, or posted and not invoiced): the provider's admins and managers."""
    return actor.role in MANAGERS
