"""Template tags of the asset pages: the warranty badge, and the assets section of a client's page."""

from __future__ import annotations

import datetime
from typing import Any

from django import template
from django.utils import formats, timezone
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import timesince, timeuntil
from django.utils.translation import gettext as _

from pacte.assets import selectors
from pacte.assets.domain import WarrantyState
from pacte.assets.permissions import can_manage_assets

register = template.Library()


def warranty_label(state: WarrantyState) -> str:
    return {
        WarrantyState.EXPIRED: _("Expired"),
        WarrantyState.EXPIRING: _("Expiring"),
        WarrantyState.VALID: _("Valid"),
        WarrantyState.UNKNOWN: _("Unknown"),
    }[state]


@register.simple_tag
def warranty_badge(asset: Any, with_date: bool = True) -> SafeString:
    """``<span class="warranty warranty-expiring">Expiring · 12/05/2026</span>``."""
    state = asset.warranty_state
    label = warranty_label(state)
    if with_date and asset.warranty_end is not None:
        label = f"{label} · {formats.date_format(asset.warranty_end, 'SHORT_DATE_FORMAT')}"
    return format_html('<span class="warranty warranty-{}" data-warranty="{}">{}</span>', state, state, label)


@register.simple_tag
def warranty_delay(asset: Any, today: datetime.date | None = None) -> str:
    """``ends in 1 month, 2 weeks`` / ``ends today`` / ``ended 3 months ago``; empty without an end date."""
    end = asset.warranty_end
    if end is None:
        return ""
    today = today or timezone.localdate()
    if end < today:
        return _("ended %(delay)s ago") % {"delay": timesince(end, today, depth=1)}
    if end == today:
        return _("ends today")
    return _("ends in %(delay)s") % {"delay": timeuntil(end, today, depth=1)}


@register.inclusion_tag("assets/partials/client_assets.html", takes_context=True)
def client_assets(context: dict[str, Any], client: Any) -> dict[str, Any]:
    """The "Assets" section of a client's page: how many, and links to list, add and import them."""
    actor = context["actor"]
    return {
        "client": client,
        "summary": selectors.asset_summary(actor=actor, client_id=client.pk),
        "can_manage": actor.is_provider_side and can_manage_assets(actor) and not client.is_archived,
    }


@register.filter
def hostname_breaks(value: str) -> SafeString:
    """A host name that may wrap after its dots (``srv.cabinet.local`` → ``srv.<wbr>cabinet.<wbr>local``)."""
    return mark_safe(str(conditional_escape(value)).replace(".", ".<wbr>"))  # noqa: S308 (escaped just above)
