"""Template tags of the contract pages: status badges, amounts, and the contracts section of a client's page."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from pacte.contracts import display, selectors
from pacte.contracts.models import ContractStatus, VersionStatus
from pacte.contracts.permissions import can_manage_contracts, can_view_contracts

register = template.Library()


@register.simple_tag
def status_badge(obj: Any) -> SafeString:
    """``<span class="status status-active">Actif</span>`` for a contract or a version."""
    return format_html(
        '<span class="status status-{}" data-status="{}">{}</span>', obj.status, obj.status, obj.get_status_display()
    )


@register.filter
def euros(value: Decimal | str | None) -> str:
    return display.money(value)


@register.filter
def short_date(value: Any) -> str:
    return display.day(value)


@register.inclusion_tag("contracts/partials/client_contracts.html", takes_context=True)
def client_contracts(context: dict[str, Any], client: Any) -> dict[str, Any]:
    """The "Contracts" section of a client's page: its contracts, and a button to draft one."""
    actor = context["actor"]
    contracts = selectors.contract_list(actor=actor, client_id=client.pk) if can_view_contracts(actor) else []
    return {
        "client": client,
        "contracts": contracts,
        "can_manage": can_manage_contracts(actor) and not client.is_archived,
        "statuses": ContractStatus,
        "signed": VersionStatus.SIGNED,
    }
