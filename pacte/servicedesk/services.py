"""Every write of the service desk: open, change, assign, move through the workflow, close.

Each service checks the actor's permission, validates at the edge (``ValidationError`` per field,
``ConflictError`` for a state that forbids the change), runs in one transaction holding the
ticket's row lock, appends to the ticket's timeline (the clock kinds feed the SLA engine, which
then refreshes the stored due instants) and audits. Messages and files are in ``messaging``.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from enum import Enum
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from pacte.assets.models import Asset
from pacte.audit.services import audit_record
from pacte.contracts.models import ServiceCategory
from pacte.core.errors import ConflictError
from pacte.core.sequences import sequence_next
from pacte.servicedesk import content, notify
from pacte.servicedesk.clock import level_key, ticket_sla_refresh
from pacte.servicedesk.coverage import Covering, contract_covering
from pacte.servicedesk.inbound.parse import clean_line
from pacte.servicedesk.models import (
    DONE_STATUSES,
    PAUSING_STATUSES,
    Channel,
    Coverage,
    EventKind,
    Level,
    ServiceDeskSettings,
    Team,
    Ticket,
    TicketEvent,
    TicketSequence,
    TicketStatus,
)
from pacte.servicedesk.permissions import can_work_tickets, is_staff
from pacte.servicedesk.priority import priority_for
from pacte.sla.models import ServiceLevel
from pacte.tenancy.models import PROVIDER_ROLES, Client, Contact, Membership, Provider, Site


class Keep(Enum):
    """The default of an optional argument that may also be ``None`` (``KEEP`` = leave it as it is)."""

    KEEP = 0


KEEP = Keep.KEEP
TITLE_MAX = 200
BODY_MAX = 100_000
FORMATS = ("text", "markdown", "html")

#: Who may move a ticket from a status to another (provider staff); client roles only reopen or close.
_CLIENT_MOVES = {
    (TicketStatus.RESOLVED, TicketStatus.REOPENED),
    (TicketStatus.RESOLVED, TicketStatus.CLOSED),
}


def settings_for(provider: Provider | int) -> ServiceDeskSettings:
    provider_id = provider if isinstance(provider, int) else provider.pk
    found = ServiceDeskSettings.objects.filter(provider_id=provider_id).first()
    return found or ServiceDeskSettings(provider_id=provider_id)


def body_html(text: str, body_format: str) -> str:
    """A message or description as sanitised HTML (plain text, Markdown, or HTML that is cleaned)."""
    if body_format not in FORMATS:
        raise ValidationError({"body_format": _("The format is text, markdown or html.")})
    if len(text) > BODY_MAX:
        raise ValidationError({"body": _("The text is too long (at most 100,000 characters).")})
    if body_format == "html":
        return content.sanitize_html(text)
    if body_format == "markdown":
        return content.render_markdown(text)
    return content.text_to_html(text)


def _next_reference(provider_id: int, year: int) -> str:
    return f"T-{year}-{sequence_next(TicketSequence, provider_id=provider_id, year=year):05d}"


def event_add(
    ticket: Ticket,
    kind: str,
    *,
    actor: Membership | None,
    at: datetime.datetime | None = None,
    data: dict[str, Any] | None = None,
) -> TicketEvent:
    """Append one line to the ticket's timeline (the caller holds the ticket's row lock)."""
    last = TicketEvent.objects.filter(ticket=ticket).aggregate(last=Max("seq"))["last"] or 0
    return TicketEvent.objects.create(
        ticket=ticket, seq=last + 1, at=at or timezone.now(), kind=kind, actor=actor, data=data or {}
    )


def _check_scope(
    actor: Membership | None,
    client: Client,
    site: Site | None,
    assets: Sequence[Asset],
    category: ServiceCategory | None,
    requester: Contact | None,
) -> None:
    errors: dict[str, str] = {}
    provider_id = actor.provider_id if actor is not None else client.provider_id
    if client.provider_id != provider_id or (actor is not None and actor.client_id not in (None, client.pk)):
        errors["client"] = _("Unknown client.")
    elif client.archived_at is not None:
        errors["client"] = _("This client is archived.")
    if site is not None and (site.client_id != client.pk or site.archived_at is not None):
        errors["site"] = _("This site is not one of the client's.")
    if any(asset.client_id != client.pk or asset.archived_at is not None for asset in assets):
        errors["assets"] = _("This equipment is not one of the client's.")
    if category is not None and (category.provider_id != provider_id or category.archived_at is not None):
        errors["category"] = _("Unknown category.")
    if requester is not None and (requester.client_id != client.pk or requester.archived_at is not None):
        errors["requester"] = _("This contact is not one of the client's.")
    if errors:
        raise ValidationError(errors)


def _requester_for(actor: Membership | None, client: Client, requester: Contact | None) -> Contact | None:
    if requester is not None or actor is None or is_staff(actor):
        return requester
    return Contact.objects.filter(client=client, user_id=actor.user_id, archived_at__isnull=True).first()


def _search_text(ticket: Ticket, extra: str = "") -> str:
    parts = [ticket.reference, ticket.title, content.html_to_text(ticket.description), extra]
    return "\n".join(part for part in parts if part)[:200_000]


def _covering(ticket: Ticket, asset_ids: Sequence[int], at: datetime.datetime) -> Covering:
    local_day = timezone.localdate(at)
    return contract_covering(
        actor=None,
        client=ticket.client,
        site_id=ticket.site_id,
        asset_ids=asset_ids,
        category_code=ticket.category.code if ticket.category is not None else None,
        at=local_day,
    )


def _apply_covering(ticket: Ticket, covering: Covering) -> None:
    ticket.contract = covering.contract
    ticket.coverage = covering.coverage
    ticket.billing = covering.billing
    ticket.coverage_note = covering.note
    level_id = covering.service_level_id
    ticket.service_level = (
        ServiceLevel.objects.select_related("calendar").filter(pk=level_id, provider_id=ticket.provider_id).first()
        if level_id is not None
        else None
    )


@transaction.atomic
def ticket_open(
    *,
    actor: Membership | None,
    client: Client,
    title: str,
    description: str = "",
    description_format: str = "text",
    channel: str = Channel.DESK,
    requester: Contact | None = None,
    site: Site | None = None,
    assets: Sequence[Asset] = (),
    category: ServiceCategory | None = None,
    impact: str = Level.MEDIUM,
    urgency: str = Level.MEDIUM,
    at: datetime.datetime | None = None,
    alert_source: str = "",
    alert_key: str = "",
    notify_requester: bool = True,
) -> Ticket:
    """Open a ticket: reference, coverage (``contract_covering``), priority from the matrix, the SLA clock.

    ``actor`` is None when nobody with an account opens it (an e-mail from a known contact).
    """
    title = clean_line(title or "", 10_000)
    errors: dict[str, str] = {}
    if not title:
        errors["title"] = _("Give the ticket a title.")
    elif len(title) > TITLE_MAX:
        errors["title"] = _("The title is too long (at most 200 characters).")
    if impact not in Level.values:
        errors["impact"] = _("The impact is high, medium or low.")
    if urgency not in Level.values:
        errors["urgency"] = _("The urgency is high, medium or low.")
    if channel not in Channel.values:
        errors["channel"] = _("Unknown channel.")
    if errors:
        raise ValidationError(errors)
    assets = list(assets)
    _check_scope(actor, client, site, assets, category, requester)
    description_html = body_html(description or "", description_format)
    now = timezone.now()
    at = min(at or now, now)
    settings = settings_for(client.provider_id)
    ticket = Ticket(
        provider_id=client.provider_id,
        client=client,
        site=site or (assets[0].site if len(assets) == 1 and assets[0].site_id else None),
        title=title,
        description=description_html,
        category=category,
        impact=impact,
        urgency=urgency,
        priority=priority_for(impact, urgency, settings.priority_matrix),
        channel=channel,
        requester=_requester_for(actor, client, requester),
        created_by=actor,
        opened_at=at,
        last_activity_at=at,
        alert_source=alert_source,
        alert_key=alert_key,
    )
    _apply_covering(ticket, _covering(ticket, [asset.pk for asset in assets], at))
    ticket.reference = _next_reference(client.provider_id, at.year)
    ticket.search_text = _search_text(ticket)
    ticket.save()
    if assets:
        ticket.assets.set(assets)
    event_add(
        ticket,
        EventKind.OPENED,
        actor=actor,
        at=at,
        data={"priority": ticket.priority, "service_level": level_key(ticket.service_level_id)},
    )
    if ticket.coverage != Coverage.COVERED:
        event_add(ticket, EventKind.COVERAGE, actor=None, at=at, data=_coverage_data(ticket))
    ticket_sla_refresh(ticket, now=now)
    audit_record(
        actor=actor,
        action="ticket.open",
        instance=ticket,
        provider=ticket.provider,
        after={"reference": ticket.reference, "client": client.pk, "channel": channel, "priority": ticket.priority},
    )
    if notify_requester:
        notify.ticket_received(ticket)
    return ticket


def _coverage_data(ticket: Ticket) -> dict[str, Any]:
    return {
        "coverage": ticket.coverage,
        "billing": ticket.billing,
        "contract": ticket.contract.reference if ticket.contract is not None else "",
        "note": ticket.coverage_note,
    }


def ticket_lock(ticket: Ticket) -> Ticket:
    """The ticket re-read under its row lock (every change goes through this)."""
    return (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("client", "site", "category", "service_level")
        .get(pk=ticket.pk)
    )


def _require_staff(actor: Membership, ticket: Ticket) -> None:
    if ticket.provider_id != actor.provider_id:
        raise PermissionDenied
    if not can_work_tickets(actor):
        raise PermissionDenied


@transaction.atomic
def ticket_update(
    *,
    actor: Membership,
    ticket: Ticket,
    title: str | None = None,
    site: Site | None | Keep = KEEP,
    assets: Sequence[Asset] | None = None,
    category: ServiceCategory | None | Keep = KEEP,
    impact: str | None = None,
    urgency: str | None = None,
    requester: Contact | None | Keep = KEEP,
    at: datetime.datetime | None = None,
) -> Ticket:
    """Change a ticket's details; a change of site, equipment or category re-resolves its contract, a change
    of impact or urgency its priority, and the SLA clock is re-targeted from the opening (never reset)."""
    _require_staff(actor, ticket)
    ticket = ticket_lock(ticket)
    if ticket.status == TicketStatus.CLOSED:
        raise ConflictError(_("This ticket is closed."))
    before = {
        "title": ticket.title,
        "site": ticket.site_id,
        "assets": sorted(ticket.assets.values_list("pk", flat=True)),
        "category": ticket.category_id,
        "impact": ticket.impact,
        "urgency": ticket.urgency,
        "priority": ticket.priority,
        "requester": ticket.requester_id,
        "contract": ticket.contract_id,
        "service_level": ticket.service_level_id,
    }
    new_site = ticket.site if isinstance(site, Keep) else site
    new_category = ticket.category if isinstance(category, Keep) else category
    new_requester = ticket.requester if isinstance(requester, Keep) else requester
    new_assets = list(ticket.assets.all()) if assets is None else list(assets)
    _check_scope(actor, ticket.client, new_site, new_assets, new_category, new_requester)
    errors: dict[str, str] = {}
    if title is not None:
        title = clean_line(title, 10_000)
        if not title:
            errors["title"] = _("Give the ticket a title.")
        elif len(title) > TITLE_MAX:
            errors["title"] = _("The title is too long (at most 200 characters).")
        else:
            ticket.title = title
    for name, value in (("impact", impact), ("urgency", urgency)):
        if value is not None:
            if value not in Level.values:
                errors[name] = _("Choose high, medium or low.")
            else:
                setattr(ticket, name, value)
    if errors:
        raise ValidationError(errors)
    ticket.site, ticket.category, ticket.requester = new_site, new_category, new_requester
    now = timezone.now()
    when = min(at or now, now)
    scope_changed = (
        ticket.site_id != before["site"]
        or ticket.category_id != before["category"]
        or sorted(a.pk for a in new_assets) != before["assets"]
    )
    if scope_changed:
        _apply_covering(ticket, _covering(ticket, [a.pk for a in new_assets], ticket.opened_at))
    ticket.priority = priority_for(ticket.impact, ticket.urgency, settings_for(ticket.provider_id).priority_matrix)
    ticket.search_text = _search_text(ticket)
    ticket.save()
    if assets is not None:
        ticket.assets.set(new_assets)
    after = {
        "title": ticket.title,
        "site": ticket.site_id,
        "assets": sorted(a.pk for a in new_assets),
        "category": ticket.category_id,
        "impact": ticket.impact,
        "urgency": ticket.urgency,
        "priority": ticket.priority,
        "requester": ticket.requester_id,
        "contract": ticket.contract_id,
        "service_level": ticket.service_level_id,
    }
    changed = {key: (before[key], after[key]) for key in before if before[key] != after[key]}
    if not changed:
        return ticket
    event_add(ticket, EventKind.CHANGED, actor=actor, at=when, data={"changes": changed})
    if ticket.priority != before["priority"]:
        event_add(ticket, EventKind.PRIORITY_CHANGED, actor=actor, at=when, data={"priority": ticket.priority})
    if ticket.service_level_id != before["service_level"]:
        event_add(
            ticket,
            EventKind.SERVICE_LEVEL_CHANGED,
            actor=actor,
            at=when,
            data={"service_level": level_key(ticket.service_level_id)},
        )
    if ticket.contract_id != before["contract"] or scope_changed:
        event_add(ticket, EventKind.COVERAGE, actor=actor, at=when, data=_coverage_data(ticket))
    ticket_sla_refresh(ticket, now=now)
    audit_record(
        actor=actor,
        action="ticket.update",
        instance=ticket,
        provider=ticket.provider,
        before={k: v[0] for k, v in changed.items()},
        after={k: v[1] for k, v in changed.items()},
    )
    return ticket


def _clock_events_for_move(ticket: Ticket, old: str, new: str, at: datetime.datetime, actor: Membership | None) -> None:
    """The clock events a status change means (pauses carry their typed reason)."""
    if new in PAUSING_STATUSES:
        if old not in PAUSING_STATUSES or PAUSING_STATUSES[old] != PAUSING_STATUSES[new]:
            event_add(ticket, EventKind.PAUSED, actor=actor, at=at, data={"reason": PAUSING_STATUSES[new].value})
        return
    if old in PAUSING_STATUSES and new not in DONE_STATUSES:
        event_add(ticket, EventKind.RESUMED, actor=actor, at=at)
    if new == TicketStatus.RESTORED:
        event_add(ticket, EventKind.RESTORED, actor=actor, at=at)
    elif new == TicketStatus.RESOLVED:
        event_add(ticket, EventKind.RESOLVED, actor=actor, at=at)
    elif new == TicketStatus.REOPENED:
        event_add(ticket, EventKind.REOPENED, actor=actor, at=at)
    elif new == TicketStatus.CLOSED:
        if old not in DONE_STATUSES:
            event_add(ticket, EventKind.RESOLVED, actor=actor, at=at)
        event_add(ticket, EventKind.CLOSED, actor=actor, at=at)


def status_allowed(actor: Membership, ticket: Ticket, new: str) -> bool:
    old = ticket.status
    if new == old or new not in TicketStatus.values or old == TicketStatus.CLOSED:
        return False
    if not is_staff(actor):
        return (old, new) in _CLIENT_MOVES
    if new == TicketStatus.REOPENED:
        return old == TicketStatus.RESOLVED
    if new == TicketStatus.NEW:
        return False
    return True


@transaction.atomic
def ticket_status_set(
    *,
    actor: Membership | None,
    ticket: Ticket,
    status: str,
    comment: str = "",
    at: datetime.datetime | None = None,
    notify_requester: bool = True,
) -> Ticket:
    """Move a ticket through the workflow; waiting and planned statuses pause the SLA clock with their reason.

    ``actor`` is None for the system (a monitoring alert resolving, a client's e-mail reply).
    """
    if actor is not None and ticket.provider_id != actor.provider_id:
        raise PermissionDenied
    ticket = ticket_lock(ticket)
    old = ticket.status
    if old == TicketStatus.CLOSED:
        raise ConflictError(_("This ticket is closed: open a new one."))
    if status not in TicketStatus.values:
        raise ValidationError({"status": _("Unknown status.")})
    if status == old:
        return ticket
    if actor is not None and not status_allowed(actor, ticket, status):
        if not is_staff(actor):
            raise PermissionDenied
        raise ConflictError(
            _("A ticket cannot go from “%(old)s” to “%(new)s”.")
            % {
                "old": TicketStatus(old).label,
                "new": TicketStatus(status).label,
            }
        )
    now = timezone.now()
    at = min(at or now, now)
    _clock_events_for_move(ticket, old, status, at, actor)
    event_add(ticket, EventKind.STATUS, actor=actor, at=at, data={"from": old, "to": status, "comment": comment[:500]})
    ticket.status = status
    ticket.last_activity_at = at
    if status == TicketStatus.RESTORED and ticket.restored_at is None:
        ticket.restored_at = at
    if status in DONE_STATUSES and ticket.resolved_at is None:
        ticket.resolved_at = at
    if status == TicketStatus.REOPENED:
        ticket.resolved_at = None
    if status == TicketStatus.CLOSED:
        ticket.closed_at = at
    ticket.save(update_fields=["status", "last_activity_at", "restored_at", "resolved_at", "closed_at", "updated_at"])
    ticket_sla_refresh(ticket, now=now)
    audit_record(
        actor=actor,
        action="ticket.status",
        instance=ticket,
        provider=ticket.provider,
        before={"status": old},
        after={"status": status},
    )
    if notify_requester:
        notify.status_changed(ticket, old=old, comment=comment)
    return ticket


@transaction.atomic
def ticket_assign(
    *,
    actor: Membership,
    ticket: Ticket,
    assignee: Membership | None,
    team: Team | None = None,
    at: datetime.datetime | None = None,
) -> Ticket:
    """Give the ticket to a technician and/or a team queue; a new ticket becomes assigned."""
    _require_staff(actor, ticket)
    errors: dict[str, str] = {}
    if assignee is not None and (
        assignee.provider_id != actor.provider_id or assignee.role not in PROVIDER_ROLES or not assignee.is_active
    ):
        errors["assignee"] = _("Choose one of your technicians.")
    if team is not None and (team.provider_id != actor.provider_id or team.archived_at is not None):
        errors["team"] = _("Unknown team.")
    if errors:
        raise ValidationError(errors)
    ticket = ticket_lock(ticket)
    if ticket.status == TicketStatus.CLOSED:
        raise ConflictError(_("This ticket is closed."))
    before = {"assignee": ticket.assignee_id, "team": ticket.team_id}
    if before == {"assignee": assignee.pk if assignee else None, "team": team.pk if team else None}:
        return ticket
    ticket.assignee, ticket.team = assignee, team
    now = min(at or timezone.now(), timezone.now())
    event_add(
        ticket,
        EventKind.ASSIGNED,
        actor=actor,
        at=now,
        data={
            "assignee": str(assignee.user) if assignee is not None else "",
            "team": team.name if team is not None else "",
        },
    )
    fields = ["assignee", "team", "updated_at", "last_activity_at"]
    ticket.last_activity_at = now
    if ticket.status == TicketStatus.NEW and assignee is not None:
        event_add(ticket, EventKind.STATUS, actor=actor, at=now, data={"from": ticket.status, "to": "assigned"})
        ticket.status = TicketStatus.ASSIGNED
        fields.append("status")
    ticket.save(update_fields=fields)
    audit_record(
        actor=actor,
        action="ticket.assign",
        instance=ticket,
        provider=ticket.provider,
        before=before,
        after={"assignee": ticket.assignee_id, "team": ticket.team_id},
    )
    return ticket


@transaction.atomic
def intervention_started(*, actor: Membership, ticket: Ticket, at: datetime.datetime) -> Ticket:
    """The on-site check-in or the start of a remote session: stops the GTI target (interventions call this)."""
    _require_staff(actor, ticket)
    ticket = ticket_lock(ticket)
    if ticket.status == TicketStatus.CLOSED:
        raise ConflictError(_("This ticket is closed."))
    now = timezone.now()
    event_add(ticket, EventKind.INTERVENTION_STARTED, actor=actor, at=min(at, now))
    if ticket.status in (TicketStatus.NEW, TicketStatus.ASSIGNED, TicketStatus.REOPENED):
        ticket_status_set(
            actor=actor, ticket=ticket, status=TicketStatus.IN_PROGRESS, notify_requester=False, at=min(at, now)
        )
    ticket_sla_refresh(ticket, now=now)
    return ticket


def tickets_bulk(
    *,
    actor: Membership,
    tickets: Iterable[Ticket],
    status: str | None = None,
    assignee: Membership | None | Keep = KEEP,
) -> dict[str, int]:
    """Apply one change to many tickets, each in its own transaction and audited; returns done / skipped."""
    if not can_work_tickets(actor):
        raise PermissionDenied
    done = skipped = 0
    for ticket in tickets:
        try:
            if not isinstance(assignee, Keep):
                ticket_assign(actor=actor, ticket=ticket, assignee=assignee, team=ticket.team)
            if status:
                ticket_status_set(actor=actor, ticket=ticket, status=status)
            done += 1
        except (ConflictError, ValidationError, PermissionDenied):
            skipped += 1
    return {"done": done, "skipped": skipped}


def touch(ticket: Ticket, at: datetime.datetime, extra_search: str = "") -> None:
    """Record activity on a ticket (a message, a file) for the queue's sort and the search."""
    fields: dict[str, Any] = {"last_activity_at": at}
    if extra_search:
        fields["search_text"] = (ticket.search_text + "\n" + extra_search)[:200_000]
        ticket.search_text = fields["search_text"]
    Ticket.objects.filter(pk=ticket.pk).update(**fields)
    ticket.last_activity_at = at
