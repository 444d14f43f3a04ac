"""Template tags of the portal's ticket pages: the status badge and the portal home's "my open tickets" block."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

HOME_ROWS = 5
#: Bidirectional embedding, override and isolate controls: "‮fdp.exe" would read as "exe.pdf".
BIDI_CONTROLS = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))


@register.filter
def no_bidi(value: Any) -> Any:
    """The text (or sanitised HTML) without bidi controls; removing characters never creates markup."""
    if value is None:
        return value
    if isinstance(value, SafeString):
        return mark_safe(str(value).translate(BIDI_CONTROLS))  # noqa: S308  (already safe; only characters removed)
    return str(value).translate(BIDI_CONTROLS)


@register.simple_tag
def ticket_status(status: str) -> SafeString:
    """``<span class="tstatus tstatus-waiting_client">Awaiting your reply</span>`` (the client's words)."""
    from pacte.servicedesk.portal_views import status_label

    return format_html(
        '<span class="tstatus tstatus-{}" data-status="{}">{}</span>', status, status, status_label(status)
    )


@register.inclusion_tag("servicedesk/portal/home_block.html")
def portal_tickets_block(actor: Any) -> dict[str, Any]:
    """The portal home's block: the actor's open tickets, most recent activity first (two queries)."""
    from pacte.servicedesk import selectors
    from pacte.servicedesk.models import OPEN_STATUSES
    from pacte.tenancy.models import Role

    if actor is None or not actor.is_client_side:
        return {"show": False}
    filters = selectors.TicketFilters(statuses=tuple(OPEN_STATUSES))
    queryset = selectors.ticket_list(actor=actor, filters=filters).order_by("-last_activity_at", "-id")
    rows = list(queryset[:HOME_ROWS])
    count = len(rows) if len(rows) < HOME_ROWS else queryset.count()
    return {"show": True, "rows": rows, "count": count, "company_wide": actor.role == Role.CLIENT_MANAGER}
