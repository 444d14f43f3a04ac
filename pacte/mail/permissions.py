"""Who may see the provider's outgoing mail."""

from __future__ import annotations

from pacte.tenancy.models import Membership, Role


def can_view_mail(actor: Membership) -> bool:
    """The provider's administrators: the messages sent in its name, and their failures."""
    return actor.role == Role.PROVIDER_ADMIN
