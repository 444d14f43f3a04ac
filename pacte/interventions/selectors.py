"""Every read of intervention sheets, scoped to what the actor may see inside the query itself.

- Provider roles see every sheet of their provider.
- A client's manager and users see their company's sheets, except cancelled ones (read only).
- Anyone else sees nothing. A sheet outside the scope is simply not in the queryset: 404.

Time entries, parts, checklist items and files are reached one by one by the provider's people only
(the client sees them through its sheet).
"""

from __future__ import annotations

import datetime

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from pacte.interventions.models import (
    ChecklistItem,
    Intervention,
    InterventionFile,
    Part,
    PatchRecord,
    SheetStatus,
    TimeEntry,
)
from pacte.interventions.permissions import is_staff
from pacte.tenancy.models import CLIENT_ROLES, Membership


def _term(search: str) -> str:
    return (search or "").replace("\x00", "").strip()[:200]


def sheet_scope(actor: Membership) -> QuerySet[Intervention]:
    """Every sheet the actor may see (no filter, no ordering)."""
    queryset = Intervention.objects.filter(provider_id=actor.provider_id)
    if is_staff(actor):
        return queryset
    if actor.role in CLIENT_ROLES and actor.client_id is not None:
        return queryset.filter(client_id=actor.client_id).exclude(status=SheetStatus.CANCELLED)
    return queryset.none()


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def sheet_list(
    *,
    actor: Membership,
    status: str = "",
    client_id: int | None = None,
    technician_id: int | None = None,
    search: str = "",
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> QuerySet[Intervention]:
    """The sheets, newest planned first, with what a row shows loaded (a bounded number of queries).

    ``date_from`` / ``date_to`` (inclusive, local days) match the planned start, else the creation day.
    """
    queryset = (
        sheet_scope(actor)
        .select_related("client", "site", "contract", "ticket", "corrects")
        .prefetch_related(
            Prefetch("technicians", queryset=Membership.objects.select_related("user").order_by("id")),
        )
    )
    if status:
        queryset = queryset.filter(status=status)
    if client_id:
        queryset = queryset.filter(client_id=client_id)
    if technician_id:
        queryset = queryset.filter(technicians__id=technician_id).distinct()
    if date_from is not None:
        start = _day_start(date_from)
        queryset = queryset.filter(Q(planned_start__gte=start) | Q(planned_start__isnull=True, created_at__gte=start))
    if date_to is not None:
        end = _day_start(date_to + datetime.timedelta(days=1))
        queryset = queryset.filter(Q(planned_start__lt=end) | Q(planned_start__isnull=True, created_at__lt=end))
    term = _term(search)
    if term:
        condition = Q(reference__icontains=term)
        for word in term.split()[:8]:
            condition |= Q(title__icontains=word) | Q(client__name__icontains=word)
        queryset = queryset.filter(condition)
    return queryset.order_by("-planned_start", "-id")


def sheet_get(*, actor: Membership, pk: int) -> Intervention:
    """One sheet the actor sees, with its links loaded; anything else is a 404."""
    return get_object_or_404(
        sheet_scope(actor)
        .select_related("client", "site", "contract", "ticket", "visit", "corrects", "created_by__user")
        .prefetch_related(
            Prefetch("technicians", queryset=Membership.objects.select_related("user").order_by("id")),
            "assets",
        ),
        pk=pk,
    )


def _staff_only(actor: Membership) -> None:
    if not is_staff(actor):
        raise Http404


def time_entry_get(*, actor: Membership, pk: int) -> TimeEntry:
    _staff_only(actor)
    return get_object_or_404(
        TimeEntry.objects.filter(provider_id=actor.provider_id).select_related(
            "intervention", "ticket", "technician__user"
        ),
        pk=pk,
    )


def part_get(*, actor: Membership, pk: int) -> Part:
    _staff_only(actor)
    return get_object_or_404(
        Part.objects.filter(intervention__provider_id=actor.provider_id).select_related("intervention"), pk=pk
    )


def checklist_item_get(*, actor: Membership, pk: int) -> ChecklistItem:
    _staff_only(actor)
    return get_object_or_404(
        ChecklistItem.objects.filter(intervention__provider_id=actor.provider_id).select_related("intervention"),
        pk=pk,
    )


def file_get(*, actor: Membership, pk: int) -> InterventionFile:
    _staff_only(actor)
    return get_object_or_404(
        InterventionFile.objects.filter(intervention__provider_id=actor.provider_id).select_related("intervention"),
        pk=pk,
    )


def sheet_file_get(*, actor: Membership, pk: int) -> InterventionFile:
    """A file of a sheet the actor sees (client roles: their company's sheets), for a download."""
    return get_object_or_404(
        InterventionFile.objects.filter(intervention__in=sheet_scope(actor)).select_related("intervention"), pk=pk
    )


def sheet_time_entries(*, sheet: Intervention) -> QuerySet[TimeEntry]:
    """The sheet's time entries (the caller has scoped ``sheet``)."""
    return TimeEntry.objects.filter(intervention_id=sheet.pk).select_related("technician__user")


def sheet_parts(*, sheet: Intervention) -> QuerySet[Part]:
    return Part.objects.filter(intervention_id=sheet.pk).select_related("asset")


def sheet_checklist(*, sheet: Intervention) -> QuerySet[ChecklistItem]:
    return ChecklistItem.objects.filter(intervention_id=sheet.pk).select_related("asset")


def sheet_patches(*, sheet: Intervention) -> QuerySet[PatchRecord]:
    return PatchRecord.objects.filter(intervention_id=sheet.pk).select_related("asset")


def sheet_files(*, sheet: Intervention) -> QuerySet[InterventionFile]:
    return InterventionFile.objects.filter(intervention_id=sheet.pk)


def ticket_time_entries(*, actor: Membership, ticket: object) -> QuerySet[TimeEntry]:
    """The time logged on a ticket the actor sees (a ticket outside the actor's scope is a 404)."""
    from pacte.servicedesk.selectors import ticket_scope

    pk = getattr(ticket, "pk", None)
    if pk is None or not ticket_scope(actor).filter(pk=pk).exists():
        raise Http404
    return (
        TimeEntry.objects.filter(provider_id=actor.provider_id, ticket_id=pk)
        .select_related("technician__user")
        .order_by("started_at", "id")
    )
