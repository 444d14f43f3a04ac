"""Who may do what with invoices. Selectors scope *which* invoices; these say *whether*.

- The provider's admins and managers run billing, issue invoices and credit notes, record payments.
- Technicians see no invoice (money is not their business).
- A client's manager reads its company's issued invoices and downloads them; drafts stay hidden.
"""

from __future__ import annotations

from pacte.tenancy.models import Membership
from pacte.tenancy.permissions import MANAGERS


def can_bill(actor: Membership) -> bool:
    return actor.role in MANAGERS


def can_read_invoices(actor: Membership) -> bool:
    """Providers' managers (everything of the provider), clients' managers (their issued invoices)."""
    from pacte.tenancy.models import Role

    return actor.role in MANAGERS or actor.role == Role.CLIENT_MANAGER
