"""Who may see and change the SLA settings (calendars, closures, service levels): the provider's side only."""

from __future__ import annotations

from pacte.tenancy.models import Membership
from pacte.tenancy.permissions import MANAGERS


def can_view_sla_settings(actor: Membership) -> bool:
    """Provider admins, managers and technicians; client roles see nothing of this back-office set-up."""
    return actor.is_provider_side


def can_manage_sla_settings(actor: Membership) -> bool:
    return actor.role in MANAGERS
