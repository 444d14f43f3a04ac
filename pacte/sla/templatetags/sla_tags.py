"""Template filters of the SLA pages."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def duration(seconds: int | None) -> str:
    """``14400`` → ``4 h``, ``1800`` → ``30 min``, ``5400`` → ``1 h 30``; ``None`` → ``—``."""
    if seconds is None:
        return "—"
    minutes = seconds // 60
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours}\u00a0h\u00a0{rest:02d}" if rest else f"{hours}\u00a0h"
