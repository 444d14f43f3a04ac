"""``POST /api/v1/alerts``: monitoring alerts become tickets (see :mod:`pacte.servicedesk.alerts`).

The only operation an ``alerts`` token opens (``AlertTokenAuth``); a full token of a provider-side
membership works too. A client's token is a 403.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router
from ninja.responses import Status

from pacte.core.api import WRITE_ERRORS, AlertTokenAuth, request_actor
from pacte.servicedesk.alerts import OPENED, alert_receive
from pacte.servicedesk.schemas import AlertIn, AlertOut

router = Router(tags=["alerts"])


@router.post(
    "/alerts",
    auth=AlertTokenAuth(),
    response={200: AlertOut, 201: AlertOut, **WRITE_ERRORS},
    summary="Receive a monitoring alert",
    description=(
        "Name the asset by exactly one of `id`, `serial` or `hostname` (among the provider's active assets), or "
        "the client (`client_id`) when no asset is concerned. A firing alert opens a ticket (201, channel "
        "`alert`) unless a ticket of the same `source` and `key` is open, to which it is appended (200: a "
        "timeline event and an internal note). A resolved alert marks the open ticket service restored (200); "
        "without an open ticket it is ignored (200, `ticket` null). Severity → impact/urgency: critical → "
        "high/high, major → high/medium, minor → medium/medium, warning → medium/low, info → low/low. "
        "Texts are plain text. 403: the token's member is on a client's side. 409: the key's open ticket is "
        "another client's. 422: unknown or ambiguous asset."
    ),
)
def alert_create(request: HttpRequest, payload: AlertIn) -> Status[dict[str, Any]]:
    result = alert_receive(
        actor=request_actor(request),
        source=payload.source,
        key=payload.key,
        severity=payload.severity,
        status=payload.status,
        asset_ref=payload.asset.as_ref() if payload.asset is not None else None,
        client_id=payload.client_id,
        title=payload.title,
        text=payload.text,
        occurred_at=payload.occurred_at,
    )
    ticket = result.ticket
    body = {
        "action": result.action,
        "ticket_id": ticket.pk if ticket is not None else None,
        "reference": ticket.reference if ticket is not None else None,
        "ticket": (
            {"id": ticket.pk, "reference": ticket.reference, "status": ticket.status, "priority": ticket.priority}
            if ticket is not None
            else None
        ),
    }
    return Status(201 if result.action == OPENED else 200, body)
