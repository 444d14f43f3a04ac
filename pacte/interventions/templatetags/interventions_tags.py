"""Template tags of the intervention pages: the ticket page's interventions panel, status badges, durations.

Badges are built with ``format_html`` (labels escaped); the status is always in words, never in colour only.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from pacte.interventions import selectors
from pacte.interventions.forms import TimeEntryForm
from pacte.interventions.models import SheetStatus
from pacte.interventions.permissions import can_work_interventions
from pacte.servicedesk import selectors as desk_selectors

register = template.Library()


@register.filter
def minutes(value: Any) -> str:
    """``45 min``, ``2 h 05``, ``3 h``: a number of minutes."""
    if value is None or value == "":
        return ""
    total = abs(int(value))
    if total < 60:
        return _("%(minutes)d min") % {"minutes": total}
    hours, rest = divmod(total, 60)
    if rest:
        return _("%(hours)d h %(minutes)02d") % {"hours": hours, "minutes": rest}
    return _("%(hours)d h") % {"hours": hours}


@register.simple_tag
def sheet_status(status: str) -> SafeString:
    try:
        label = str(SheetStatus(status).label)
    except ValueError:
        label = status
    return format_html('<span class="sheet-status sheet-status-{}">{}</span>', status, label)


@register.inclusion_tag("interventions/partials/ticket_panel.html", takes_context=True)
def ticket_interventions(context: Any, ticket: Any) -> dict[str, Any]:
    """The ticket page's panel: its sheets, its time entries (remote work) and a form to log time."""
    from pacte.interventions.views import ticket_time_zone

    request = context["request"]
    actor = request.actor
    sheets = list(selectors.sheet_list(actor=actor).filter(ticket_id=ticket.pk))
    entries = list(selectors.ticket_time_entries(actor=actor, ticket=ticket).select_related("technician__user"))
    can_work = can_work_interventions(actor)
    time_zone = ticket_time_zone(ticket)
    form = None
    if can_work:
        form = TimeEntryForm(
            technicians=desk_selectors.technician_list(actor=actor),
            time_zone=time_zone,
            initial={"technician": actor.pk},
            prefix="ticket_time",
        )
    return {
        "ticket": ticket,
        "sheets": sheets,
        "entries": entries,
        "entries_total": sum(entry.minutes for entry in entries),
        "time_zone": time_zone,
        "can_work": can_work,
        "form": form,
        "csrf_token": context.get("csrf_token"),
        "request": request,
    }
