from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from pacte.billing.permissions import can_bill, can_read_invoices
from pacte.mail.permissions import can_view_mail
from pacte.tenancy.permissions import can_manage_clients, can_view_memberships


def actor(request: HttpRequest) -> dict[str, Any]:
    """Navigation flags for the base layout."""
    current = getattr(request, "actor", None)
    if current is None:
        return {"actor": None}
    return {
        "actor": current,
        "nav": {
            "provider_side": current.is_provider_side,
            "client_side": current.is_client_side,
            "manage_clients": can_manage_clients(current),
            "users": can_view_memberships(current),
            "mail": current.is_provider_side and can_view_mail(current),
            "billing": current.is_provider_side and can_bill(current),
            "invoices": current.is_client_side and can_read_invoices(current),
        },
    }
