"""Who may do what with interventions. Selectors scope *which* sheets; these say *whether* an action is allowed.

- Provider roles (admin, manager, technician) see and work every sheet of the provider; managers
  (admin, manager) also manage preventive plans and every technician's calendar feed.
- Client roles see the sheets and preventive visits of their own company (read-only), download
  signed sheets and sign remotely through a one-time link.
"""

from __future__ import annotations

from pacte.tenancy.models import PROVIDER_ROLES, Membership
from pacte.tenancy.permissions import MANAGERS


def is_staff(actor: Membership) -> bool:
    return actor.role in PROVIDER_ROLES


def can_work_interventions(actor: Membership) -> bool:
    """Create, plan, check in, log time and parts, get a signature: the provider's people."""
    return actor.role in PROVIDER_ROLES


def can_manage_interventions(actor: Membership) -> bool:
    """Preventive plans, other technicians' feeds, cancelling a signed-off visit: admins and managers."""
    return actor.role in MANAGERS
