"""Every read of SLA settings, scoped to the actor inside the query; and the calendar a ticket runs on.

``ticket_calendar`` is the assembly rule of ARCHITECTURE.md: the weekly windows (and the calendar's own
exceptions) come from the service level's coverage calendar; the time zone and the public holidays
from the site, falling back to the client, then the provider; the provider-wide closures apply on top
(unless the calendar opts out). Its inputs are rows the caller already fetched through scoped selectors.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db.models import Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from pacte.sla import calendars, simulate
from pacte.sla.clock import Basis, Priority, ServiceLevelTerms, Target, TargetKind
from pacte.sla.domain import Convention
from pacte.sla.models import BusinessCalendar, CalendarException, ProviderClosure, ServiceLevel, ServiceLevelTarget
from pacte.sla.permissions import can_view_sla_settings
from pacte.tenancy.models import Client, Membership, Site


def _term(search: str) -> str:
    return search.replace("\x00", "").strip()


def calendar_list(*, actor: Membership, search: str = "", include_archived: bool = False) -> QuerySet[BusinessCalendar]:
    """The provider's calendars; nothing for client-side roles."""
    queryset = BusinessCalendar.objects.filter(provider_id=actor.provider_id)
    if not can_view_sla_settings(actor):
        queryset = queryset.none()
    if not include_archived:
        queryset = queryset.filter(archived_at__isnull=True)
    term = _term(search)
    if term:
        queryset = queryset.filter(Q(name__icontains=term) | Q(description__icontains=term))
    return queryset.order_by("name", "id")


def calendar_get(*, actor: Membership, pk: int) -> BusinessCalendar:
    return get_object_or_404(calendar_list(actor=actor, include_archived=True), pk=pk)


def calendar_exception_list(*, actor: Membership, calendar: BusinessCalendar) -> QuerySet[CalendarException]:
    queryset = CalendarException.objects.filter(provider_id=actor.provider_id, calendar_id=calendar.pk)
    if not can_view_sla_settings(actor):
        queryset = queryset.none()
    return queryset.order_by("day", "id")


def calendar_exception_get(*, actor: Membership, calendar: BusinessCalendar, pk: int) -> CalendarException:
    return get_object_or_404(calendar_exception_list(actor=actor, calendar=calendar), pk=pk)


def provider_closure_list(*, actor: Membership) -> QuerySet[ProviderClosure]:
    queryset = ProviderClosure.objects.filter(provider_id=actor.provider_id)
    if not can_view_sla_settings(actor):
        queryset = queryset.none()
    return queryset.order_by("start_date", "id")


def provider_closure_get(*, actor: Membership, pk: int) -> ProviderClosure:
    return get_object_or_404(provider_closure_list(actor=actor), pk=pk)


def service_level_list(
    *, actor: Membership, search: str = "", include_archived: bool = False
) -> QuerySet[ServiceLevel]:
    queryset = (
        ServiceLevel.objects.filter(provider_id=actor.provider_id)
        .select_related("calendar")
        .prefetch_related(Prefetch("targets", queryset=ServiceLevelTarget.objects.order_by("priority", "kind")))
    )
    if not can_view_sla_settings(actor):
        queryset = queryset.none()
    if not include_archived:
        queryset = queryset.filter(archived_at__isnull=True)
    term = _term(search)
    if term:
        queryset = queryset.filter(Q(name__icontains=term) | Q(description__icontains=term))
    return queryset.order_by("name", "id")


def service_level_get(*, actor: Membership, pk: int) -> ServiceLevel:
    return get_object_or_404(service_level_list(actor=actor, include_archived=True), pk=pk)


# The domain calendar of a stored one ------------------------------------------------------------


def _closure_exceptions(provider_id: int) -> list[calendars.DayException]:
    out = []
    for closure in ProviderClosure.objects.filter(provider_id=provider_id).order_by("start_date", "id"):
        out += [calendars.DayException.closed(day, closure.label) for day in closure.days()]
    return out


def _combine(
    own: Iterable[calendars.DayException], on_top: Iterable[calendars.DayException]
) -> list[calendars.DayException]:
    """The calendar's exceptions, replaced on the dates where a provider-wide closure applies."""
    top = list(on_top)
    closed_days = {e.day for e in top}
    return [e for e in own if e.day not in closed_days] + sorted(top, key=lambda e: e.day)


def calendar_definition(
    *,
    calendar: BusinessCalendar,
    time_zone: str | None = None,
    holiday_subdivision: str | None = None,
) -> calendars.Calendar:
    """The engine's calendar for a stored one: its own zone and holidays unless others are given (a site's)."""
    own = [e.to_domain() for e in calendar.exceptions.all()]
    on_top = _closure_exceptions(calendar.provider_id) if calendar.provider_closures_apply else []
    subdivision = calendar.holiday_subdivision if holiday_subdivision is None else holiday_subdivision
    return calendars.Calendar.weekly(
        time_zone or calendar.time_zone,
        calendar.windows(),
        holidays=calendars.HolidayRegion(calendar.holiday_country, subdivision or None),
        holidays_close=calendar.holidays_close,
        exceptions=_combine(own, on_top),
    )


def preview_exceptions(
    *, actor: Membership, calendar_id: int | None, provider_closures: bool
) -> list[calendars.DayException]:
    """The exceptions an edited calendar will have: its own (if it is one of the actor's) and the closures."""
    own: list[calendars.DayException] = []
    if calendar_id is not None:
        calendar = calendar_list(actor=actor, include_archived=True).filter(pk=calendar_id).first()
        if calendar is not None:
            own = [e.to_domain() for e in calendar.exceptions.all()]
    on_top = _closure_exceptions(actor.provider_id) if provider_closures and can_view_sla_settings(actor) else []
    return _combine(own, on_top)


def ticket_calendar(
    *, service_level: ServiceLevel, site: Site | None = None, client: Client | None = None
) -> calendars.Calendar:
    """The calendar a ticket's business-time targets run on (the assembly rule in the module docstring)."""
    provider_id = service_level.provider_id
    if (site is not None and site.provider_id != provider_id) or (
        client is not None and client.provider_id != provider_id
    ):
        raise ValueError("the service level, the site and the client must belong to one provider")
    if site is not None:
        time_zone, subdivision = site.effective_time_zone, site.effective_holiday_subdivision
    elif client is not None:
        time_zone, subdivision = client.time_zone, client.holiday_subdivision
    else:
        provider = service_level.calendar.provider
        time_zone, subdivision = provider.time_zone, provider.holiday_subdivision
    return calendar_definition(calendar=service_level.calendar, time_zone=time_zone, holiday_subdivision=subdivision)


def service_level_terms(
    *, service_level: ServiceLevel, site: Site | None = None, client: Client | None = None
) -> ServiceLevelTerms:
    """What the clock of a ticket needs from its service level (:mod:`pacte.sla.clock`)."""
    targets: dict[Priority, dict[TargetKind, Target]] = {}
    for cell in service_level.targets.all():
        if cell.seconds is not None:
            targets.setdefault(Priority(cell.priority), {})[TargetKind(cell.kind)] = Target(
                cell.seconds, Basis(cell.basis)
            )
    return ServiceLevelTerms(
        calendar=ticket_calendar(service_level=service_level, site=site, client=client),
        targets=targets,
        warning_percent=service_level.warning_percent,
    )


def calendar_simulate(
    *,
    actor: Membership,
    calendar: BusinessCalendar,
    start: datetime,
    seconds: int,
    convention: Convention = "stay",
) -> simulate.Simulation:
    """A due instant on one of the actor's calendars, with the closed periods skipped and why."""
    calendar = calendar_get(actor=actor, pk=calendar.pk)
    return simulate.simulate(calendar_definition(calendar=calendar), start, seconds, convention=convention)
