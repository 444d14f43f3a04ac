"""Monitoring alerts become tickets: one open ticket per (source, key), repeats append, recovery restores.

A monitoring tool posts with a token of a provider-side membership (an ``alerts`` token can do nothing
else). The asset is found among the provider's active assets by id, serial number or host name; the
ticket is opened on its client (or on the client named when no asset is concerned), on the ``alert``
channel, without telling any requester.

Severity → impact / urgency (the priority then comes from the provider's matrix; default shown):

============  =======  ========  ===========
severity      impact   urgency   default
============  =======  ========  ===========
critical      high     high      P1
major         high     medium    P2
minor         medium   medium    P3
warning       medium   low       P4
info          low      low       P4
============  =======  ========  ===========

What happens (``AlertResult.action``):

- firing, no open ticket for (source, key): a ticket is **opened**;
- firing, an open ticket: the alert is **appended** (an ``alert`` timeline event and an internal note
  with its text); the same payload twice therefore appends twice but never opens a second ticket;
- resolved, an open ticket: the ticket is marked **restored** (service restored) when its status
  allows, the alert appended either way;
- resolved, no open ticket: **ignored** (nothing is written).

The partial unique constraint ``servicedesk_one_open_ticket_per_alert`` guarantees one open ticket per
key even when two alerts race: the loser of the race re-reads the winner's ticket and appends to it.
Alert texts are plain text: escaped, never rendered as HTML.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from pacte.assets import selectors as asset_selectors
from pacte.assets.models import Asset
from pacte.core.errors import ConflictError
from pacte.servicedesk import messaging, services
from pacte.servicedesk.models import (
    DONE_STATUSES,
    Channel,
    EventKind,
    Level,
    Ticket,
    TicketEvent,
    TicketStatus,
    Visibility,
)
from pacte.tenancy import selectors as tenancy_selectors
from pacte.tenancy.models import Client, Membership

SEVERITY_LEVELS: dict[str, tuple[str, str]] = {
    "critical": (Level.HIGH, Level.HIGH),
    "major": (Level.HIGH, Level.MEDIUM),
    "minor": (Level.MEDIUM, Level.MEDIUM),
    "warning": (Level.MEDIUM, Level.LOW),
    "info": (Level.LOW, Level.LOW),
}
FIRING, RESOLVED = "firing", "resolved"
SOURCE_MAX, KEY_MAX = 100, 200

OPENED, APPENDED, RESTORED, IGNORED = "opened", "appended", "restored", "ignored"


@dataclass(frozen=True)
class AlertResult:
    action: str  # opened, appended, restored, ignored
    ticket: Ticket | None


def _clean(value: str) -> str:
    return " ".join((value or "").split())


def _validate(source: str, key: str, severity: str, status: str, title: str) -> None:
    errors: dict[str, str] = {}
    if not source:
        errors["source"] = _("Give the monitoring source.")
    elif len(source) > SOURCE_MAX:
        errors["source"] = _("The source is too long (at most 100 characters).")
    if not key:
        errors["key"] = _("Give the alert's key.")
    elif len(key) > KEY_MAX:
        errors["key"] = _("The key is too long (at most 200 characters).")
    if severity not in SEVERITY_LEVELS:
        errors["severity"] = _("The severity is critical, major, minor, warning or info.")
    if status not in (FIRING, RESOLVED):
        errors["status"] = _("The status is firing or resolved.")
    if not title:
        errors["title"] = _("Give the alert a title.")
    if errors:
        raise ValidationError(errors)


def _asset(actor: Membership, ref: Mapping[str, Any]) -> Asset:
    """The provider's active asset named by id, serial or host name (unknown or ambiguous: a 422)."""
    if len(ref) != 1 or next(iter(ref)) not in ("id", "serial", "hostname"):
        raise ValidationError({"asset": _("Name the asset by exactly one of id, serial or hostname.")})
    ((how, value),) = ref.items()
    if how == "id":
        queryset = asset_selectors.asset_list(actor=actor).filter(pk=value)
    elif how == "serial":
        queryset = asset_selectors.asset_list(actor=actor, serial=str(value))
    else:
        queryset = asset_selectors.asset_list(actor=actor, hostname=str(value))
    found = list(queryset[:2])
    if not found:
        raise ValidationError(
            {
                "asset": _("No active asset has this %(how)s: add it to the client's equipment first.")
                % {"how": _label(how)}
            }
        )
    if len(found) > 1:
        raise ValidationError(
            {
                "asset": _("Several assets have this %(how)s (at different clients): name the asset by its id.")
                % {"how": _label(how)}
            }
        )
    return found[0]


def _client(actor: Membership, client_id: int) -> Client:
    client = tenancy_selectors.client_list(actor=actor).filter(pk=client_id).first()
    if client is None:
        raise ValidationError({"client_id": _("Unknown client.")})
    return client


def _target(
    actor: Membership, asset_ref: Mapping[str, Any] | None, client_id: int | None
) -> tuple[Asset | None, Client]:
    if asset_ref and client_id is not None:
        raise ValidationError({"client_id": _("Give the client only when no asset is named.")})
    if asset_ref:
        asset = _asset(actor, asset_ref)
        return asset, asset.client
    if client_id is None:
        raise ValidationError({"asset": _("Name the asset (id, serial or hostname), or the client.")})
    return None, _client(actor, client_id)


def _open_ticket(provider_id: int, source: str, key: str) -> Ticket | None:
    return (
        Ticket.objects.filter(provider_id=provider_id, alert_source=source, alert_key=key)
        .exclude(status__in=DONE_STATUSES)
        .select_related("client")
        .first()
    )


def _check_same_client(ticket: Ticket | None, client: Client) -> None:
    """A key is per provider: another client's open ticket under the same key is a conflict, never mixed."""
    if ticket is not None and ticket.client_id != client.pk:
        raise ConflictError(
            _("Ticket %(reference)s is already open for this alert key at another client: give each host its own key.")
            % {"reference": ticket.reference}
        )


def _event_data(
    *, source: str, key: str, severity: str, status: str, title: str, asset: Asset | None, at: datetime.datetime
) -> dict[str, Any]:
    return {
        "source": source,
        "key": key,
        "severity": severity,
        "status": status,
        "title": title,
        "asset": asset.pk if asset is not None else None,
        "occurred_at": at.isoformat(),
    }


def _append(actor: Membership, ticket: Ticket, *, data: dict[str, Any], title: str, text: str) -> TicketEvent:
    """An ``alert`` timeline line and an internal note with the alert's text (plain text, escaped)."""
    note = f"{title}\n\n{text}" if text.strip() else title
    message = messaging.message_add(
        actor=actor,
        ticket=ticket,
        body=note,
        body_format="text",
        visibility=Visibility.INTERNAL,
        channel=Channel.ALERT,
        notify_people=False,
    )
    ticket = services.ticket_lock(ticket)
    return services.event_add(ticket, EventKind.ALERT, actor=actor, data={**data, "message": message.pk})


def _restore(actor: Membership, ticket: Ticket, at: datetime.datetime) -> bool:
    """Mark the ticket service restored when its status allows; whether it was."""
    ticket = services.ticket_lock(ticket)
    if ticket.status == TicketStatus.RESTORED or not services.status_allowed(actor, ticket, TicketStatus.RESTORED):
        return False
    latest = TicketEvent.objects.filter(ticket=ticket).aggregate(latest=Max("at"))["latest"]
    services.ticket_status_set(
        actor=actor,
        ticket=ticket,
        status=TicketStatus.RESTORED,
        comment=_("Monitoring: the alert is resolved."),
        at=max(at, latest) if latest is not None else at,
    )
    return True


def _label(how: str) -> str:
    return {"id": _("id"), "serial": _("serial number"), "hostname": _("host name")}.get(how, how)


MAX_ALERT_AGE = datetime.timedelta(hours=24)


@transaction.atomic
def alert_receive(
    *,
    actor: Membership,
    source: str,
    key: str,
    severity: str,
    status: str = FIRING,
    asset_ref: Mapping[str, Any] | None = None,
    client_id: int | None = None,
    title: str,
    text: str = "",
    occurred_at: datetime.datetime | None = None,
) -> AlertResult:
    """Receive one alert: open a ticket, append to the open one, restore it, or ignore a recovery.

    ``asset_ref`` is ``{"id": 12}``, ``{"serial": "ABC123"}`` or ``{"hostname": "srv-01"}``; ``client_id``
    only when no asset is concerned. The actor must be provider-side (a client's token: 403).
    """
    if not actor.is_provider_side:
        raise PermissionDenied
    source, key, title = source.strip(), key.strip(), _clean(title)
    _validate(source, key, severity, status, title)
    asset, client = _target(actor, asset_ref, client_id)
    now = timezone.now()
    # The monitoring tool's instant opens the clock, but never in the future nor more than a day back
    # (a wrong clock or a replayed backlog must not create instant breaches).
    at = min(occurred_at or now, now)
    if at < now - MAX_ALERT_AGE:
        at = now
    data = _event_data(source=source, key=key, severity=severity, status=status, title=title, asset=asset, at=at)
    ticket = _open_ticket(actor.provider_id, source, key)
    _check_same_client(ticket, client)
    if status == RESOLVED:
        if ticket is None:
            return AlertResult(IGNORED, None)
        _append(actor, ticket, data=data, title=title, text=text)
        restored = _restore(actor, ticket, at)
        return AlertResult(RESTORED if restored else APPENDED, _reread(ticket))
    if ticket is not None:
        _append(actor, ticket, data=data, title=title, text=text)
        return AlertResult(APPENDED, _reread(ticket))
    impact, urgency = SEVERITY_LEVELS[severity]
    try:
        with transaction.atomic():
            ticket = services.ticket_open(
                actor=actor,
                client=client,
                title=title,
                description=text,
                description_format="text",
                channel=Channel.ALERT,
                assets=[asset] if asset is not None else [],
                impact=impact,
                urgency=urgency,
                at=at,
                alert_source=source,
                alert_key=key,
                notify_requester=False,
            )
    except IntegrityError:
        # Another alert of the same key opened its ticket meanwhile: append to it.
        ticket = _open_ticket(actor.provider_id, source, key)
        if ticket is None:
            raise
        _check_same_client(ticket, client)
        _append(actor, ticket, data=data, title=title, text=text)
        return AlertResult(APPENDED, _reread(ticket))
    services.event_add(ticket, EventKind.ALERT, actor=actor, at=at, data=data)
    return AlertResult(OPENED, _reread(ticket))


def _reread(ticket: Ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)
