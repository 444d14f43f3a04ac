"""Template tags of the service desk pages: SLA, status, priority and coverage badges, durations, instants.

Every badge is built with ``format_html`` (labels and values escaped); colours live in
``static/pacte/servicedesk.css`` and the state is also in words, never in colour only.
"""

from __future__ import annotations

import datetime
from typing import Any

from django import template
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from pacte.servicedesk.models import Coverage, SlaState, TicketStatus
from pacte.sla.clock import PauseReason

register = template.Library()

#: Bidirectional controls: in a title or a name they can make "rapport‮fdp.exe" read "rapportexe.pdf".
_BIDI_CONTROLS = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"))


@register.filter
def nobidi(value: Any) -> str:
    """Text from outside (a title, a sender's name) without the characters that reorder what is displayed."""
    return str(value if value is not None else "").translate(_BIDI_CONTROLS)


def pause_label(reason: str) -> str:
    labels: dict[str, str] = {
        PauseReason.WAITING_CLIENT: _("waiting on the client"),
        PauseReason.WAITING_THIRD_PARTY: _("waiting on a third party"),
        PauseReason.PLANNED: _("planned with the client"),
    }
    return labels.get(reason, reason)


def sla_label(state: str) -> str:
    labels: dict[str, str] = {
        SlaState.ON_TRACK: _("On track"),
        SlaState.AT_RISK: _("At risk"),
        SlaState.BREACHED: _("Breached"),
        SlaState.PAUSED: _("Paused"),
        SlaState.MET: _("Met"),
        SlaState.NONE: _("No SLA"),
    }
    return labels.get(state, state)


@register.filter
def duration(seconds: Any) -> str:
    """``45 min``, ``3 h 05``, ``26 h``: a length of (business) time, sign dropped."""
    if seconds is None or seconds == "":
        return ""
    total = abs(int(seconds))
    minutes = total // 60
    if minutes < 60:
        return _("%(minutes)d min") % {"minutes": minutes}
    hours, rest = divmod(minutes, 60)
    if hours < 100 and rest:
        return _("%(hours)d h %(minutes)02d") % {"hours": hours, "minutes": rest}
    return _("%(hours)d h") % {"hours": hours}


@register.simple_tag
def sla_badge(state: str, seconds: int | None = None, paused_reason: str = "") -> SafeString:
    """The queue's "time left" cell: state in words and colour, with the business time left or late."""
    label = sla_label(state)
    detail = ""
    if state == SlaState.PAUSED and paused_reason:
        detail = pause_label(paused_reason)
    elif seconds is not None:
        detail = (
            _("late by %(time)s") % {"time": duration(seconds)}
            if seconds < 0
            else _("%(time)s left") % {"time": duration(seconds)}
        )
    if detail:
        return format_html(
            '<span class="sla sla-{}" data-sla="{}"><span class="sla-state">{}</span>'
            ' <span class="sla-time">{}</span></span>',
            state,
            state,
            label,
            detail,
        )
    return format_html(
        '<span class="sla sla-{}" data-sla="{}"><span class="sla-state">{}</span></span>', state, state, label
    )


@register.simple_tag
def status_badge(status: str) -> SafeString:
    label = str(TicketStatus(status).label) if status in TicketStatus.values else status
    return format_html('<span class="tstatus tstatus-{}">{}</span>', status, label)


@register.simple_tag
def priority_badge(priority: str) -> SafeString:
    return format_html('<span class="prio prio-{}" title="{}">{}</span>', priority.lower(), _("Priority"), priority)


@register.simple_tag
def coverage_badge(coverage: str, always: bool = False) -> SafeString:
    """ "Out of contract" for a ticket outside its contracts (or with none); "covered" only when asked."""
    if coverage == Coverage.COVERED:
        if not always:
            return SafeString("")
        return format_html('<span class="cover cover-covered">{}</span>', _("Under contract"))
    title = Coverage(coverage).label if coverage in Coverage.values else coverage
    return format_html(
        '<span class="cover cover-outside" data-coverage="{}" title="{}">{}</span>',
        coverage,
        title,
        _("Out of contract"),
    )


@register.filter
def short_instant(value: datetime.datetime | None) -> str:
    """``14:05`` today, ``12 mars 14:05`` this year, else the short date (in the current time zone)."""
    if value is None:
        return ""
    local = timezone.localtime(value)
    today = timezone.localdate()
    if local.date() == today:
        return formats.time_format(local, "H:i")
    if local.year == today.year:
        return formats.date_format(local, "j M H:i")
    return formats.date_format(local, "SHORT_DATE_FORMAT")


@register.filter
def person(membership: Any) -> str:
    if membership is None:
        return ""
    return membership.user.get_full_name() or membership.user.email


@register.filter
def filesize(size: int | None) -> str:
    if size is None:
        return ""
    if size < 1024:
        return _("%(size)d bytes") % {"size": size}
    if size < 1024 * 1024:
        return _("%(size)s KB") % {"size": formats.number_format(size / 1024, 0)}
    return _("%(size)s MB") % {"size": formats.number_format(size / (1024 * 1024), 1)}
