"""Who may see and change a client's assets.

Everyone with a membership reads the assets of its scope (the selectors narrow a client role to its
own company); only the provider's administrators and managers create, edit, archive and import.
Technicians and client roles read.
"""

from __future__ import annotations

from pacte.tenancy.models import Membership
from pacte.tenancy.permissions import MANAGERS


def can_view_assets(actor: Membership) -> bool:
    return actor.is_provider_side or actor.is_client_side


def can_manage_assets(actor: Membership) -> bool:
    return actor.role in MANAGERS
