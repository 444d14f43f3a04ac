"""The asset history on an asset's page: its tickets, interventions, parts swapped and patches installed.

``{% asset_history asset actor %}`` on both sides. Provider roles see everything of their provider;
client roles see what their role may see: the tickets of ``ticket_scope`` (a client user, the ones
they asked for), no cancelled sheet, nor the parts and patches of a cancelled sheet. Each list is one
query, capped at ``LIMIT`` rows (the newest first).
"""

from __future__ import annotations

from typing import Any

from django import template
from django.db.models import QuerySet

from pacte.interventions import preventive_selectors, selectors
from pacte.interventions.models import Part, PatchRecord
from pacte.interventions.permissions import is_staff

register = template.Library()

#: Rows shown per list at most.
LIMIT = 20


def _capped(queryset: QuerySet[Any]) -> tuple[list[Any], bool]:
    rows = list(queryset[: LIMIT + 1])
    return rows[:LIMIT], len(rows) > LIMIT


def asset_history_context(asset: Any, actor: Any) -> dict[str, Any]:
    """What the history shows of ``asset`` (already scoped to ``actor`` by the asset page's selector)."""
    from pacte.servicedesk.selectors import ticket_scope

    if actor is None or asset is None or asset.provider_id != actor.provider_id:
        return {"show": False}
    staff = is_staff(actor)
    if not staff and asset.client_id != actor.client_id:
        return {"show": False}
    visible = selectors.sheet_scope(actor)  # staff: the provider's; client roles: their company's, not cancelled
    sheets = visible.filter(assets=asset)
    parts = Part.objects.filter(asset=asset, intervention__in=visible)
    patches = PatchRecord.objects.filter(asset=asset, intervention__in=visible)
    tickets, more_tickets = _capped(
        ticket_scope(actor)
        .filter(assets=asset)
        .only("id", "reference", "title", "status", "opened_at")
        .order_by("-opened_at", "-id")
    )
    interventions, more_interventions = _capped(
        sheets.only(
            "id",
            "reference",
            "title",
            "mode",
            "status",
            "result",
            "planned_start",
            "checked_in_at",
            "signed_at",
            "created_at",
        ).order_by("-created_at", "-id")
    )
    for sheet in interventions:
        sheet.history_at = sheet.checked_in_at or sheet.planned_start or sheet.signed_at or sheet.created_at
    part_rows, more_parts = _capped(
        parts.select_related("intervention")
        .only(
            "id",
            "description",
            "serial_out",
            "serial_in",
            "quantity",
            "created_at",
            "intervention__id",
            "intervention__reference",
        )
        .order_by("-created_at", "-id")
    )
    patch_rows, more_patches = _capped(
        patches.select_related("intervention")
        .only("id", "reference", "title", "installed_at", "intervention__id", "intervention__reference")
        .order_by("-installed_at", "-id")
    )
    return {
        "show": True,
        "staff": staff,
        "tickets": tickets,
        "more_tickets": more_tickets,
        "interventions": interventions,
        "more_interventions": more_interventions,
        "parts": part_rows,
        "more_parts": more_parts,
        "patches": patch_rows,
        "more_patches": more_patches,
        "limit": LIMIT,
    }


@register.inclusion_tag("interventions/partials/asset_history.html")
def asset_history(asset: Any, actor: Any) -> dict[str, Any]:
    return asset_history_context(asset, actor)


@register.inclusion_tag("interventions/partials/contract_plans.html")
def contract_preventive_plans(contract: Any, actor: Any) -> dict[str, Any]:
    """The contract page's "Preventive plans" section: its plans with this year's quota (two queries)."""
    from pacte.interventions import preventive
    from pacte.interventions.permissions import can_manage_interventions

    if actor is None or contract is None or not is_staff(actor) or contract.provider_id != actor.provider_id:
        return {"show": False}
    plans = list(preventive_selectors.plan_list(actor=actor, contract_id=contract.pk))
    for plan in plans:
        plan.contract = contract
    quotas = preventive_selectors.plans_quotas(plans)
    return {
        "show": True,
        "contract": contract,
        "rows": [(plan, preventive_selectors.current_quota(quotas, plan)) for plan in plans],
        "can_create": can_manage_interventions(actor) and contract.status not in preventive.ENDED_STATUSES,
    }
