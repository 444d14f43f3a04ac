"""Every read of the service desk, scoped to what the actor may see inside the query itself.

A foreign ticket (another provider's, another client's, or for a client user someone else's) is
simply not in the queryset: the view answers 404.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from pacte.servicedesk.models import (
    OPEN_STATUSES,
    InboundMail,
    Quote,
    SavedView,
    SlaState,
    Team,
    Ticket,
    TicketAttachment,
    TicketEvent,
    TicketMessage,
    Visibility,
)
from pacte.servicedesk.permissions import is_staff, sees_internal
from pacte.tenancy.models import Membership, Role

PAGE_SIZE = 50


def _term(search: str) -> str:
    return search.replace("\x00", "").strip()[:200]


def ticket_scope(actor: Membership) -> QuerySet[Ticket]:
    """Every ticket the actor may see (no filter, no ordering)."""
    queryset = Ticket.objects.filter(provider_id=actor.provider_id)
    if is_staff(actor):
        return queryset
    if actor.client_id is None:
        return queryset.none()
    queryset = queryset.filter(client_id=actor.client_id)
    if actor.role == Role.CLIENT_MANAGER:
        return queryset
    return queryset.filter(Q(created_by__user_id=actor.user_id) | Q(requester__user_id=actor.user_id))


@dataclass(frozen=True)
class TicketFilters:
    status: str = ""  # a status, "open" (every open status) or "" (all)
    priority: str = ""
    client_id: int | None = None
    assignee_id: int | None = None  # 0: unassigned
    team_id: int | None = None
    sla: str = ""  # an SlaState, or "risk" (at risk or breached, still open)
    coverage: str = ""
    search: str = ""
    statuses: tuple[str, ...] = field(default_factory=tuple)


def ticket_list(*, actor: Membership, filters: TicketFilters | None = None) -> QuerySet[Ticket]:
    """The queue: scoped, filtered, with what a row shows loaded in the same query."""
    filters = filters or TicketFilters()
    queryset = ticket_scope(actor).select_related(
        "client", "site", "assignee__user", "team", "category", "contract", "requester"
    )
    if filters.status == "open":
        queryset = queryset.filter(status__in=OPEN_STATUSES)
    elif filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.statuses:
        queryset = queryset.filter(status__in=filters.statuses)
    if filters.priority:
        queryset = queryset.filter(priority=filters.priority)
    if filters.client_id:
        queryset = queryset.filter(client_id=filters.client_id)
    if filters.assignee_id is not None:
        queryset = (
            queryset.filter(assignee__isnull=True)
            if filters.assignee_id == 0
            else queryset.filter(assignee_id=filters.assignee_id)
        )
    if filters.team_id:
        queryset = queryset.filter(team_id=filters.team_id)
    if filters.sla == "risk":
        queryset = queryset.filter(status__in=OPEN_STATUSES, sla_state__in=[SlaState.AT_RISK, SlaState.BREACHED])
    elif filters.sla:
        queryset = queryset.filter(sla_state=filters.sla)
    if filters.coverage:
        queryset = queryset.filter(coverage=filters.coverage)
    term = _term(filters.search)
    if term:
        queryset = _search(queryset, term)
    return queryset


def _search(queryset: QuerySet[Ticket], term: str) -> QuerySet[Ticket]:
    """PostgreSQL full text (French configuration, index in the migrations) or a plain match on SQLite."""
    if term.upper().startswith("T-"):
        return queryset.filter(reference__iexact=term) | queryset.filter(reference__istartswith=term)
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchVector

        return queryset.annotate(search=SearchVector("search_text", config="french")).filter(
            search=SearchQuery(term, config="french", search_type="websearch")
        )
    for word in term.split()[:8]:
        queryset = queryset.filter(search_text__icontains=word)
    return queryset


def ticket_get(*, actor: Membership, pk: int) -> Ticket:
    return get_object_or_404(
        ticket_scope(actor).select_related(
            "client", "site", "assignee__user", "team", "category", "contract", "requester", "service_level"
        ),
        pk=pk,
    )


def ticket_by_reference(*, actor: Membership, reference: str) -> Ticket:
    return get_object_or_404(ticket_scope(actor), reference=reference.strip().upper())


def message_list(*, actor: Membership, ticket: Ticket) -> QuerySet[TicketMessage]:
    queryset = TicketMessage.objects.filter(ticket_id=ticket.pk).select_related("author__user", "author_contact")
    if not sees_internal(actor):
        queryset = queryset.filter(visibility=Visibility.PUBLIC)
    return queryset.prefetch_related("attachments")


def attachment_list(*, actor: Membership, ticket: Ticket) -> QuerySet[TicketAttachment]:
    queryset = TicketAttachment.objects.filter(ticket_id=ticket.pk)
    if not sees_internal(actor):
        queryset = queryset.filter(internal=False)
    return queryset


def attachment_get(*, actor: Membership, pk: int) -> TicketAttachment:
    """A file of a ticket the actor sees (an internal file is 404 for client roles)."""
    queryset = TicketAttachment.objects.filter(ticket__in=ticket_scope(actor)).select_related("ticket")
    if not sees_internal(actor):
        queryset = queryset.filter(internal=False)
    return get_object_or_404(queryset, pk=pk)


#: Timeline kinds a client sees (no internal notes, no assignment, no SLA bookkeeping).
CLIENT_TIMELINE = frozenset({"opened", "message", "status", "attachment", "quote", "restored", "resolved", "closed"})


def timeline(*, actor: Membership, ticket: Ticket) -> QuerySet[TicketEvent]:
    queryset = TicketEvent.objects.filter(ticket_id=ticket.pk).select_related("actor__user")
    if not sees_internal(actor):
        # An internal file's "file added" line would show its name: hidden too (fail closed without the flag).
        queryset = queryset.filter(kind__in=CLIENT_TIMELINE).exclude(kind="attachment", data__internal=True)
    return queryset.order_by("at", "seq")


def quote_list(*, actor: Membership, ticket: Ticket) -> QuerySet[Quote]:
    return Quote.objects.filter(provider_id=actor.provider_id, ticket_id=ticket.pk).select_related(
        "created_by__user", "decided_by__user"
    )


def quote_get(*, actor: Membership, pk: int) -> Quote:
    return get_object_or_404(Quote.objects.filter(ticket__in=ticket_scope(actor)).select_related("ticket"), pk=pk)


def team_list(*, actor: Membership) -> QuerySet[Team]:
    return Team.objects.filter(provider_id=actor.provider_id, archived_at__isnull=True)


def technician_list(*, actor: Membership) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(
            provider_id=actor.provider_id,
            client__isnull=True,
            is_active=True,
            role__in=[Role.PROVIDER_ADMIN, Role.PROVIDER_MANAGER, Role.TECHNICIAN],
        )
        .select_related("user")
        .order_by("user__full_name", "id")
    )


def saved_view_list(*, actor: Membership) -> QuerySet[SavedView]:
    return SavedView.objects.filter(membership=actor)


def inbound_list(*, actor: Membership) -> QuerySet[InboundMail]:
    return InboundMail.objects.filter(provider_id=actor.provider_id).select_related("ticket")


def overdue_open(*, now: datetime.datetime) -> QuerySet[Ticket]:
    """Open tickets whose next warning or breach instant has come (the SLA job's work list; unscoped)."""
    return Ticket.objects.filter(status__in=OPEN_STATUSES, next_warning__lte=now)
