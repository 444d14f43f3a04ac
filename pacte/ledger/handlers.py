"""The ledger's reactions to other apps' facts (registered at start-up by ``apps.LedgerConfig.ready``)."""

from __future__ import annotations

from pacte.events.models import Event
from pacte.events.registry import event_handler
from pacte.events.services import handler_once
from pacte.ledger import posting


@event_handler(posting.SHEET_EVENT)
def sheet_signed(event: Event) -> None:
    """Post a signed sheet's consumption, charges and parts (once however often the event is delivered)."""
    if not handler_once(f"ledger.post:{event.key}"):
        return
    posting.sheet_signed(event)
