"""Which handlers react to which event kinds.

In an app's ``handlers.py`` (imported by every process at start-up)::

    from pacte.events.models import Event
    from pacte.events.registry import event_handler
    from pacte.events.services import handler_once

    @event_handler("intervention.sheet_signed")
    def post_to_ledger(event: Event) -> None:
        if not handler_once(f"ledger.post:{event.key}"):
            return
        movement_post(...)

A handler runs inside a transaction together with the "delivered" mark of its delivery: its
database writes and that mark commit or roll back together. Keep it to database work; for slow
or external work (e-mail, HTTP) it enqueues a job or calls ``mail_send``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pacte.events.models import Event

HandlerFunc = Callable[["Event"], object]


@dataclass(frozen=True)
class Handler:
    name: str
    kind: str
    func: HandlerFunc


_HANDLERS: dict[str, Handler] = {}


def event_handler(kind: str, *, name: str | None = None) -> Callable[[HandlerFunc], HandlerFunc]:
    """Register ``func`` for events of ``kind``. Its name (the delivery's key) defaults to its import path."""

    def register(func: HandlerFunc) -> HandlerFunc:
        handler_name = name or f"{func.__module__}.{func.__qualname__}"
        existing = _HANDLERS.get(handler_name)
        if existing is not None and existing.func is not func:
            raise ValueError(f"two event handlers are named {handler_name!r}")
        _HANDLERS[handler_name] = Handler(name=handler_name, kind=kind, func=func)
        return func

    return register


def handlers_for(kind: str) -> list[Handler]:
    return sorted((handler for handler in _HANDLERS.values() if handler.kind == kind), key=lambda h: h.name)


def handler_get(name: str) -> Handler | None:
    return _HANDLERS.get(name)


def handler_unregister(name: str) -> None:
    """Remove a handler (tests register throw-away handlers)."""
    _HANDLERS.pop(name, None)
