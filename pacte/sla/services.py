"""Every write to SLA settings: permission-checked, validated, atomic, audited; versions bumped.

A calendar's ``version`` goes up when its definition changes (zone, holidays, windows, its exceptions,
the provider-wide closures it follows); a service level's when its calendar, threshold or targets do.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from pacte.audit.services import archive_once, audit_record, changed, snapshot
from pacte.core.errors import ConflictError
from pacte.core.services import apply_fields, ensure_not_archived
from pacte.sla.calendars import WEEKDAYS
from pacte.sla.clock import Priority, TargetKind
from pacte.sla.models import (
    BusinessCalendar,
    CalendarException,
    ProviderClosure,
    ServiceLevel,
    ServiceLevelTarget,
    TimeBasis,
)
from pacte.sla.permissions import can_manage_sla_settings
from pacte.tenancy.models import Membership
from pacte.tenancy.permissions import require

CALENDAR_FIELDS = (
    "name",
    "description",
    "time_zone",
    "holiday_subdivision",
    "holidays_close",
    "provider_closures_apply",
    "week",
)
CALENDAR_DEFINITION = frozenset(CALENDAR_FIELDS) - {"name", "description"}
SERVICE_LEVEL_FIELDS = (
    "name",
    "description",
    "calendar",
    "warning_percent",
    *("credit_grid", "credit_cap_percent", "availability_target", "availability_step", "availability_credit_percent"),
)
SERVICE_LEVEL_DEFINITION = frozenset({"calendar", "warning_percent"})


def _recompute_tickets(service_levels: Iterable[int]) -> None:
    """The open tickets on these service levels get their due instants recomputed once this commits."""
    from pacte.servicedesk.recompute import recompute_enqueue  # the service desk builds on SLA settings

    recompute_enqueue(service_levels)


def _levels_of_calendar(calendar: BusinessCalendar) -> Any:
    return ServiceLevel.objects.filter(calendar_id=calendar.pk).values_list("pk", flat=True)


def normalise_week(week: Any) -> Any:
    """Seven days in order, missing days closed, windows as ``[start, end]`` sorted by start (if well-formed)."""
    if not isinstance(week, Mapping):
        return week
    out: dict[str, Any] = {day: [] for day in WEEKDAYS}
    for day, windows in week.items():
        if not isinstance(windows, list | tuple):
            out[day] = windows
            continue
        pairs = [list(w) if isinstance(w, list | tuple) else w for w in windows]
        if all(isinstance(w, list) and len(w) == 2 and all(isinstance(x, str) for x in w) for w in pairs):
            pairs = sorted(([w[0].strip(), w[1].strip()] for w in pairs), key=lambda w: w[0])
        out[day] = pairs
    return out


def _unique_name(
    model: type[BusinessCalendar] | type[ServiceLevel], provider_id: int, name: str, pk: int | None
) -> None:
    if model.objects.filter(provider_id=provider_id, name=name).exclude(pk=pk or 0).exists():
        raise ValidationError({"name": _("This name is already used.")})


def _save(instance: BusinessCalendar | ServiceLevel) -> None:
    _unique_name(type(instance), instance.provider_id, instance.name, instance.pk)
    instance.full_clean()
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as error:  # a concurrent insert of the same name
        raise ValidationError({"name": _("This name is already used.")}) from error


# Calendars ---------------------------------------------------------------------------------------


def _replace_exceptions(actor: Membership, calendar: BusinessCalendar, exceptions: Iterable[Mapping[str, Any]]) -> bool:
    """Replace every exception of ``calendar`` (the API's full-list write); ``True`` if anything changed."""
    old = {(e.day.isoformat(), e.kind, tuple(tuple(w) for w in e.windows), e.label) for e in calendar.exceptions.all()}
    rows = []
    seen: set[date] = set()
    for index, data in enumerate(exceptions):
        row = CalendarException(provider_id=actor.provider_id, calendar=calendar)
        try:
            apply_fields(row, data, ("day", "kind", "windows", "label"))
            if isinstance(row.windows, list):
                row.windows = normalise_week({"mon": row.windows})["mon"]
            row.full_clean(exclude=["calendar"], validate_constraints=False)
        except ValidationError as error:
            raise ValidationError({f"exceptions.{index}.{k}": v for k, v in error.message_dict.items()}) from error
        if row.day in seen:
            raise ValidationError({f"exceptions.{index}.day": _("One exception per date.")})
        seen.add(row.day)
        rows.append(row)
    new = {(r.day.isoformat(), r.kind, tuple(tuple(w) for w in r.windows), r.label) for r in rows}
    if new == old:
        return False
    calendar.exceptions.all().delete()
    CalendarException.objects.bulk_create(rows)
    return True


def _exceptions_snapshot(calendar: BusinessCalendar) -> list[dict[str, Any]]:
    return [
        {"day": e.day.isoformat(), "kind": e.kind, "windows": e.windows, "label": e.label}
        for e in calendar.exceptions.order_by("day")
    ]


@transaction.atomic
def calendar_create(
    *, actor: Membership, exceptions: Iterable[Mapping[str, Any]] | None = None, **fields: Any
) -> BusinessCalendar:
    require(can_manage_sla_settings(actor))
    calendar = BusinessCalendar(provider_id=actor.provider_id)
    if "week" in fields:
        fields["week"] = normalise_week(fields["week"])
    apply_fields(calendar, fields, CALENDAR_FIELDS)
    _save(calendar)
    after = snapshot(calendar)
    if exceptions is not None:
        _replace_exceptions(actor, calendar, exceptions)
        after["exceptions"] = _exceptions_snapshot(calendar)
    audit_record(actor=actor, action="sla_calendar.create", instance=calendar, provider=actor.provider, after=after)
    return calendar


@transaction.atomic
def calendar_update(
    *,
    actor: Membership,
    calendar: BusinessCalendar,
    exceptions: Iterable[Mapping[str, Any]] | None = None,
    **fields: Any,
) -> BusinessCalendar:
    """Change a calendar; ``exceptions``, when given, replaces the whole list."""
    require(can_manage_sla_settings(actor))
    calendar = BusinessCalendar.objects.select_for_update().get(pk=calendar.pk, provider_id=actor.provider_id)
    ensure_not_archived(calendar)
    before = snapshot(calendar)
    if "week" in fields:
        fields["week"] = normalise_week(fields["week"])
    apply_fields(calendar, fields, CALENDAR_FIELDS)
    old, new = changed(before, snapshot(calendar))
    exceptions_before = _exceptions_snapshot(calendar) if exceptions is not None else []
    exceptions_changed = exceptions is not None and _replace_exceptions(actor, calendar, exceptions)
    if CALENDAR_DEFINITION & set(new) or exceptions_changed:
        calendar.version += 1
        _recompute_tickets(_levels_of_calendar(calendar))
    _save(calendar)
    if exceptions_changed:
        old["exceptions"], new["exceptions"] = exceptions_before, _exceptions_snapshot(calendar)
    if new:
        old["version"], new["version"] = before["version"], calendar.version
        audit_record(
            actor=actor, action="sla_calendar.update", instance=calendar, provider=actor.provider, before=old, after=new
        )
    return calendar


@transaction.atomic
def calendar_archive(*, actor: Membership, calendar: BusinessCalendar) -> BusinessCalendar:
    """Archive a calendar no active service level covers with (409 otherwise)."""
    require(can_manage_sla_settings(actor))
    calendar = BusinessCalendar.objects.select_for_update().get(pk=calendar.pk, provider_id=actor.provider_id)
    if calendar.archived_at is None:
        users = ServiceLevel.objects.filter(calendar=calendar, archived_at__isnull=True).order_by("name")
        names = list(users.values_list("name", flat=True)[:5])
        if names:
            raise ConflictError(
                _("This calendar is the coverage of active service levels: %(names)s.") % {"names": ", ".join(names)}
            )
        archive_once(actor=actor, instance=calendar, action="sla_calendar.archive")
    return calendar


def _bump(calendar: BusinessCalendar) -> None:
    BusinessCalendar.objects.filter(pk=calendar.pk).update(version=F("version") + 1, updated_at=timezone.now())
    calendar.refresh_from_db(fields=["version", "updated_at"])
    _recompute_tickets(_levels_of_calendar(calendar))


@transaction.atomic
def calendar_exception_add(
    *,
    actor: Membership,
    calendar: BusinessCalendar,
    day: date,
    kind: str,
    windows: Iterable[Iterable[str]] = (),
    label: str = "",
) -> CalendarException:
    require(can_manage_sla_settings(actor))
    calendar = BusinessCalendar.objects.select_for_update().get(pk=calendar.pk, provider_id=actor.provider_id)
    ensure_not_archived(calendar)
    exception = CalendarException(
        provider_id=actor.provider_id,
        calendar=calendar,
        day=day,
        kind=kind,
        windows=normalise_week({"mon": [list(w) for w in windows]})["mon"],
        label=label,
    )
    exception.full_clean(validate_constraints=False)
    if CalendarException.objects.filter(calendar=calendar, day=day).exists():
        raise ValidationError({"day": _("This calendar already has an exception on this date.")})
    exception.save()
    _bump(calendar)
    audit_record(
        actor=actor,
        action="sla_calendar_exception.create",
        instance=exception,
        provider=actor.provider,
        after=snapshot(exception),
    )
    return exception


@transaction.atomic
def calendar_exception_remove(*, actor: Membership, exception: CalendarException) -> None:
    require(can_manage_sla_settings(actor))
    calendar = BusinessCalendar.objects.select_for_update().get(pk=exception.calendar_id, provider_id=actor.provider_id)
    ensure_not_archived(calendar)
    before = snapshot(exception)
    audit_record(
        actor=actor, action="sla_calendar_exception.delete", instance=exception, provider=actor.provider, before=before
    )
    exception.delete()
    _bump(calendar)


# Provider-wide closures --------------------------------------------------------------------------


def _bump_following_calendars(provider_id: int) -> None:
    BusinessCalendar.objects.filter(provider_id=provider_id, provider_closures_apply=True).update(
        version=F("version") + 1, updated_at=timezone.now()
    )
    _recompute_tickets(
        ServiceLevel.objects.filter(provider_id=provider_id, calendar__provider_closures_apply=True).values_list(
            "pk", flat=True
        )
    )


@transaction.atomic
def provider_closure_add(*, actor: Membership, start_date: date, end_date: date, label: str) -> ProviderClosure:
    """Close every calendar that follows provider-wide closures on these days."""
    require(can_manage_sla_settings(actor))
    closure = ProviderClosure(provider_id=actor.provider_id, start_date=start_date, end_date=end_date, label=label)
    closure.full_clean()
    closure.save()
    _bump_following_calendars(actor.provider_id)
    audit_record(
        actor=actor, action="sla_closure.create", instance=closure, provider=actor.provider, after=snapshot(closure)
    )
    return closure


@transaction.atomic
def provider_closure_remove(*, actor: Membership, closure: ProviderClosure) -> None:
    require(can_manage_sla_settings(actor))
    audit_record(
        actor=actor, action="sla_closure.delete", instance=closure, provider=actor.provider, before=snapshot(closure)
    )
    closure.delete()
    _bump_following_calendars(actor.provider_id)


# Service levels ----------------------------------------------------------------------------------


def _check_calendar(actor: Membership, service_level: ServiceLevel) -> None:
    calendar = service_level.calendar if service_level.calendar_id is not None else None
    if calendar is None or calendar.provider_id != actor.provider_id:
        raise ValidationError({"calendar": _("Unknown calendar.")})
    if calendar.archived_at is not None:
        raise ValidationError({"calendar": _("This calendar is archived.")})


def _targets_snapshot(service_level: ServiceLevel) -> list[dict[str, Any]]:
    return [
        {"priority": t.priority, "kind": t.kind, "seconds": t.seconds, "basis": t.basis}
        for t in ServiceLevelTarget.objects.filter(service_level=service_level).order_by("priority", "kind")
    ]


def _write_targets(
    actor: Membership, service_level: ServiceLevel, targets: Iterable[Mapping[str, Any]] | None, *, create: bool
) -> bool:
    """Set the given cells of the grid (every cell exists); ``True`` if any changed."""
    existing = {(t.priority, t.kind): t for t in ServiceLevelTarget.objects.filter(service_level=service_level)}
    if create:
        for priority in Priority:
            for kind in TargetKind:
                if (priority.value, kind.value) not in existing:
                    existing[(priority.value, kind.value)] = ServiceLevelTarget(
                        provider_id=actor.provider_id,
                        service_level=service_level,
                        priority=priority.value,
                        kind=kind.value,
                        basis=TimeBasis.BUSINESS,
                    )
    touched: dict[tuple[str, str], ServiceLevelTarget] = {}
    for index, data in enumerate(targets or ()):
        key = (str(data.get("priority")), str(data.get("kind")))
        cell = existing.get(key)
        if cell is None:
            raise ValidationError({f"targets.{index}": _("Unknown priority or target.")})
        if key in touched:
            raise ValidationError({f"targets.{index}": _("This cell is given twice.")})
        try:
            apply_fields(cell, {k: v for k, v in data.items() if k not in ("priority", "kind")}, ("seconds", "basis"))
            cell.full_clean(exclude=["service_level"], validate_constraints=False)
        except ValidationError as error:
            raise ValidationError({f"targets.{index}.{k}": v for k, v in error.message_dict.items()}) from error
        touched[key] = cell
    before = _targets_snapshot(service_level)
    for cell in existing.values():
        if cell.pk is None or cell in touched.values():
            cell.save()
    return _targets_snapshot(service_level) != before


@transaction.atomic
def service_level_create(
    *, actor: Membership, targets: Iterable[Mapping[str, Any]] | None = None, **fields: Any
) -> ServiceLevel:
    require(can_manage_sla_settings(actor))
    service_level = ServiceLevel(provider_id=actor.provider_id)
    apply_fields(service_level, fields, SERVICE_LEVEL_FIELDS)
    _check_calendar(actor, service_level)
    _save(service_level)
    _write_targets(actor, service_level, targets, create=True)
    after = {**snapshot(service_level), "targets": _targets_snapshot(service_level)}
    audit_record(
        actor=actor, action="sla_service_level.create", instance=service_level, provider=actor.provider, after=after
    )
    return service_level


@transaction.atomic
def service_level_update(
    *,
    actor: Membership,
    service_level: ServiceLevel,
    targets: Iterable[Mapping[str, Any]] | None = None,
    **fields: Any,
) -> ServiceLevel:
    """Change a service level; ``targets`` sets the cells it names (the others stay)."""
    require(can_manage_sla_settings(actor))
    service_level = ServiceLevel.objects.select_for_update().get(pk=service_level.pk, provider_id=actor.provider_id)
    ensure_not_archived(service_level)
    before = snapshot(service_level)
    targets_before = _targets_snapshot(service_level)
    apply_fields(service_level, fields, SERVICE_LEVEL_FIELDS)
    if "calendar" in fields:
        _check_calendar(actor, service_level)
    old, new = changed(before, snapshot(service_level))
    targets_changed = targets is not None and _write_targets(actor, service_level, targets, create=False)
    if SERVICE_LEVEL_DEFINITION & set(new) or targets_changed:
        service_level.version += 1
        _recompute_tickets([service_level.pk])
    _save(service_level)
    if targets_changed:
        old["targets"], new["targets"] = targets_before, _targets_snapshot(service_level)
    if new:
        old["version"], new["version"] = before["version"], service_level.version
        audit_record(
            actor=actor,
            action="sla_service_level.update",
            instance=service_level,
            provider=actor.provider,
            before=old,
            after=new,
        )
    return service_level


@transaction.atomic
def service_level_archive(*, actor: Membership, service_level: ServiceLevel) -> ServiceLevel:
    require(can_manage_sla_settings(actor))
    service_level = ServiceLevel.objects.select_for_update().get(pk=service_level.pk, provider_id=actor.provider_id)
    archive_once(actor=actor, instance=service_level, action="sla_service_level.archive")
    return service_level
