"""Planning: put a sheet in a slot with its technicians, move it, reassign it — and notice conflicts.

``sheet_plan`` is the one write (the board, the API and drag-and-drop all call it). It locks the
sheet (a signed or cancelled sheet is a 409), checks the slot against the contract's period (in the
site's local days), checks the technicians are the provider's active staff, and refuses a slot that
overlaps another sheet of one of them unless ``allow_conflict`` is given (the board asks "plan
anyway?"). Moving a planned visit clears ``reminder_sent_at``: the client gets a new reminder.
A ticket linked to the sheet is left as it is (its PLANNED status is the service desk's business).

The board's reads are here too (``week_of``, ``board_data``, ``day_sheets``): a bounded number of
queries whatever the number of sheets, times in the provider's time zone.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from pacte.audit.services import audit_record
from pacte.interventions import services
from pacte.interventions.models import Intervention, SheetStatus
from pacte.interventions.permissions import is_staff
from pacte.tenancy.models import PROVIDER_ROLES, Membership, Role

#: The ``code`` of the ValidationError a conflict raises (the board offers "plan anyway?" on it).
CONFLICT = "conflict"


def provider_zone(actor: Membership) -> ZoneInfo:
    """The provider's time zone (the board and the technician's day are in it)."""
    return ZoneInfo(actor.provider.time_zone or "Europe/Paris")


def sheet_zone(sheet: Intervention) -> str:
    """The time zone of the sheet's place: the site's, else the client's."""
    if sheet.site is not None:
        return sheet.site.effective_time_zone
    return sheet.client.time_zone or "Europe/Paris"


def technician_list(*, actor: Membership) -> QuerySet[Membership]:
    """The provider's active staff (who can be given a visit), by name."""
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


def person(membership: Membership) -> str:
    return membership.user.get_full_name() or membership.user.email


# Conflicts ---------------------------------------------------------------------------------------


def conflicts(
    *,
    technician: Membership,
    start: datetime.datetime,
    end: datetime.datetime,
    exclude_sheet_id: int | None = None,
) -> list[Intervention]:
    """The technician's other sheets (not cancelled) whose planned slot overlaps ``[start, end)``."""
    queryset = (
        Intervention.objects.filter(
            provider_id=technician.provider_id,
            technicians=technician,
            planned_start__lt=end,
            planned_end__gt=start,
        )
        .exclude(status=SheetStatus.CANCELLED)
        .select_related("client")
        .order_by("planned_start", "id")
    )
    if exclude_sheet_id is not None:
        queryset = queryset.exclude(pk=exclude_sheet_id)
    return list(queryset)


def _local(at: datetime.datetime, zone: ZoneInfo) -> str:
    return formats.date_format(at.astimezone(zone).replace(tzinfo=None), "SHORT_DATETIME_FORMAT")


def conflict_message(technician: Membership, other: Intervention, zone: ZoneInfo) -> str:
    assert other.planned_start is not None and other.planned_end is not None
    return _(
        "%(technician)s already has %(reference)s (%(client)s) from %(start)s to %(end)s. Plan anyway to keep both."
    ) % {
        "technician": person(technician),
        "reference": other.reference,
        "client": other.client.name,
        "start": _local(other.planned_start, zone),
        "end": _local(other.planned_end, zone),
    }


# Planning ----------------------------------------------------------------------------------------


def _technician_errors(actor: Membership, technicians: Sequence[Membership]) -> dict[str, str]:
    for technician in technicians:
        if (
            technician.provider_id != actor.provider_id
            or technician.role not in PROVIDER_ROLES
            or technician.client_id is not None
            or not technician.is_active
        ):
            return {"technicians": _("Only the provider's active technicians can be assigned.")}
    return {}


@transaction.atomic
def sheet_plan(
    *,
    actor: Membership,
    sheet: Intervention,
    start: datetime.datetime | None,
    end: datetime.datetime | None,
    technicians: Iterable[Membership] | None = None,
    allow_conflict: bool = False,
) -> Intervention:
    """Plan, move or reassign ``sheet``: the slot ``[start, end)`` and, when given, its technicians.

    ``start`` and ``end`` both ``None`` take the sheet off the planning (back to the unplanned list).
    Raises ``ValidationError`` by field (``planned_start``, ``planned_end``, ``technicians``; a
    conflict is on ``planned_start`` with the code ``"conflict"``), ``ConflictError`` on a signed or
    cancelled sheet, ``PermissionDenied`` for a client role. Nothing is saved on error.
    """
    if not is_staff(actor):
        raise PermissionDenied
    if sheet.provider_id != actor.provider_id:
        raise PermissionDenied
    for name, value in (("planned_start", start), ("planned_end", end)):
        if value is not None and timezone.is_naive(value):
            raise ValueError(f"{name} must be an aware datetime")
    locked = services.sheet_for_update(sheet)
    locked = Intervention.objects.select_related("site__client", "client", "contract").get(pk=locked.pk)
    current = list(locked.technicians.select_related("user").order_by("id"))
    chosen = current if technicians is None else list(dict.fromkeys(technicians))
    errors = _technician_errors(actor, chosen)
    errors.update(services.planned_slot_errors(locked.contract, start, end, sheet_zone(locked)))
    if errors:
        raise ValidationError(errors)
    if start is not None and end is not None and not allow_conflict:
        zone = provider_zone(actor)
        messages = [
            conflict_message(technician, other, zone)
            for technician in chosen
            for other in conflicts(technician=technician, start=start, end=end, exclude_sheet_id=locked.pk)
        ]
        if messages:
            raise ValidationError({"planned_start": [ValidationError(message, code=CONFLICT) for message in messages]})
    before = {
        "planned_start": locked.planned_start.isoformat() if locked.planned_start else None,
        "planned_end": locked.planned_end.isoformat() if locked.planned_end else None,
        "technicians": [member.pk for member in current],
    }
    moved = locked.planned_start != start or locked.planned_end != end
    locked.planned_start, locked.planned_end = start, end
    update_fields = ["planned_start", "planned_end", "updated_at"]
    if moved:
        locked.reminder_sent_at = None
        update_fields.append("reminder_sent_at")
    locked.save(update_fields=update_fields)
    if technicians is not None and {m.pk for m in chosen} != {m.pk for m in current}:
        locked.technicians.set(chosen)
    after = {
        "planned_start": start.isoformat() if start else None,
        "planned_end": end.isoformat() if end else None,
        "technicians": sorted(member.pk for member in chosen),
    }
    audit_record(
        actor=actor,
        action="intervention.plan",
        instance=locked,
        provider=actor.provider,
        before=before,
        after={**after, "conflict_accepted": bool(allow_conflict)},
    )
    return locked


# Reads: the board and the technician's day -------------------------------------------------------


def week_of(value: str | None, zone: ZoneInfo) -> datetime.date:
    """The Monday of the ISO week ``2026-W49`` (this week when absent or malformed)."""
    if value:
        try:
            year_text, week_text = value.upper().split("-W")
            return datetime.date.fromisocalendar(int(year_text), int(week_text), 1)
        except ValueError:
            pass
    today = timezone.now().astimezone(zone).date()
    return today - datetime.timedelta(days=today.weekday())


def iso_week(day: datetime.date) -> str:
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


def local_midnight(day: datetime.date, zone: ZoneInfo) -> datetime.datetime:
    """The instant ``day`` starts in ``zone`` (right on DST days: each bound is its own offset)."""
    return datetime.datetime.combine(day, datetime.time(0, 0), tzinfo=zone).astimezone(datetime.UTC)


def _sheets(actor: Membership) -> QuerySet[Intervention]:
    return (
        Intervention.objects.filter(provider_id=actor.provider_id)
        .select_related("client", "site")
        .prefetch_related(Prefetch("technicians", queryset=Membership.objects.select_related("user").order_by("id")))
    )


@dataclass
class Card:
    """One sheet on the board, with its local times and whether it overlaps another of a technician."""

    sheet: Intervention
    start: datetime.datetime  # local
    end: datetime.datetime  # local
    conflict: bool = False

    @property
    def duration_minutes(self) -> int:
        assert self.sheet.planned_start is not None and self.sheet.planned_end is not None
        return int((self.sheet.planned_end - self.sheet.planned_start).total_seconds() // 60)

    @property
    def technician_ids(self) -> str:
        return ",".join(str(member.pk) for member in self.sheet.technicians.all())


@dataclass
class Cell:
    day: datetime.date
    cards: list[Card] = field(default_factory=list)


@dataclass
class Row:
    technician: Membership | None  # None: the sheets nobody is on yet
    cells: list[Cell] = field(default_factory=list)


@dataclass
class Board:
    monday: datetime.date
    days: list[datetime.date]
    rows: list[Row]
    unplanned: list[Intervention]
    unplanned_more: bool
    conflicts: int
    technicians: list[Membership]


UNPLANNED_LIMIT = 50


def overlapping_ids(slots: Iterable[tuple[int, datetime.datetime, datetime.datetime]]) -> set[int]:
    """The ids among ``slots`` (``(sheet id, start, end)`` of one technician) whose slot overlaps another's."""
    found: set[int] = set()
    ordered = sorted(slots, key=lambda slot: slot[1])
    for index, (pk, _start, end) in enumerate(ordered):
        for other_pk, other_start, _other_end in ordered[index + 1 :]:
            if other_start >= end:
                break
            found.update({pk, other_pk})
    return found


def planned_sheets(
    *, actor: Membership, begin: datetime.datetime, end: datetime.datetime, technician_id: int | None = None
) -> tuple[list[Intervention], set[int]]:
    """The sheets (not cancelled, at most 2000) whose planned slot overlaps ``[begin, end)``, by start, and the
    ids of those that overlap another sheet of one of their technicians. Staff only; three queries."""
    if not is_staff(actor):
        raise PermissionDenied
    queryset = (
        _sheets(actor)
        .filter(planned_start__lt=end, planned_end__gt=begin)
        .exclude(status=SheetStatus.CANCELLED)
        .order_by("planned_start", "id")
    )
    if technician_id is not None:
        queryset = queryset.filter(technicians__id=technician_id)
    rows = list(queryset[:2000])
    by_technician: dict[int, list[tuple[int, datetime.datetime, datetime.datetime]]] = defaultdict(list)
    for sheet in rows:
        assert sheet.planned_start is not None and sheet.planned_end is not None
        for member in sheet.technicians.all():
            by_technician[member.pk].append((sheet.pk, sheet.planned_start, sheet.planned_end))
    conflicting: set[int] = set()
    for slots in by_technician.values():
        conflicting |= overlapping_ids(slots)
    return rows, conflicting


def board_data(*, actor: Membership, monday: datetime.date, technician_id: int | None = None) -> Board:
    """The week from ``monday`` (provider's local days): one row per technician, a card per sheet and day.

    Four queries: the technicians, the week's sheets (with clients and sites), their technicians,
    the unplanned sheets.
    """
    if not is_staff(actor):
        raise PermissionDenied
    zone = provider_zone(actor)
    days = [monday + datetime.timedelta(days=offset) for offset in range(7)]
    week_start, week_end = local_midnight(days[0], zone), local_midnight(monday + datetime.timedelta(days=7), zone)
    staff = list(technician_list(actor=actor))
    staff_ids = {member.pk for member in staff}
    shown = [member for member in staff if technician_id is None or member.pk == technician_id]
    week_sheets = list(
        _sheets(actor)
        .filter(planned_start__lt=week_end, planned_end__gt=week_start)
        .exclude(status=SheetStatus.CANCELLED)
        .order_by("planned_start", "id")
    )
    by_technician: dict[int | None, list[Card]] = defaultdict(list)
    for sheet in week_sheets:
        assert sheet.planned_start is not None and sheet.planned_end is not None
        # A sheet whose only technicians left (deactivated) lands in the "nobody yet" row: never hidden.
        assigned: list[int | None] = [member.pk for member in sheet.technicians.all() if member.pk in staff_ids]
        card_start, card_end = sheet.planned_start.astimezone(zone), sheet.planned_end.astimezone(zone)
        for key in assigned or [None]:
            by_technician[key].append(Card(sheet, card_start, card_end))
    conflict_ids: set[int] = set()
    for key, cards in by_technician.items():
        if key is not None:
            conflict_ids |= overlapping_ids((card.sheet.pk, card.start, card.end) for card in cards)
    rows: list[Row] = []
    row_members: list[Membership | None] = list(shown)
    if technician_id is None and by_technician.get(None):
        row_members.append(None)
    for member in row_members:
        row = Row(technician=member, cells=[Cell(day) for day in days])
        for card in by_technician.get(member.pk if member else None, []):
            card.conflict = card.sheet.pk in conflict_ids
            first = max(card.start.date(), days[0])
            last = min((card.end - datetime.timedelta(microseconds=1)).date(), days[-1])
            day = first
            while day <= last:
                row.cells[(day - days[0]).days].cards.append(card)
                day += datetime.timedelta(days=1)
        rows.append(row)
    unplanned_query = _sheets(actor).filter(planned_start__isnull=True, status=SheetStatus.PLANNED)
    if technician_id is not None:
        unplanned_query = unplanned_query.filter(Q(technicians__id=technician_id) | Q(technicians__isnull=True))
    unplanned = list(unplanned_query.distinct().order_by("created_at", "id")[: UNPLANNED_LIMIT + 1])
    return Board(
        monday=monday,
        days=days,
        rows=rows,
        unplanned=unplanned[:UNPLANNED_LIMIT],
        unplanned_more=len(unplanned) > UNPLANNED_LIMIT,
        conflicts=len(conflict_ids),
        technicians=staff,
    )


def day_sheets(*, actor: Membership, day: datetime.date) -> list[Intervention]:
    """The actor's sheets of ``day`` (provider's local day): planned in it or checked in that day."""
    if not is_staff(actor):
        raise PermissionDenied
    zone = provider_zone(actor)
    start, end = local_midnight(day, zone), local_midnight(day + datetime.timedelta(days=1), zone)
    sheets = (
        _sheets(actor)
        .filter(technicians=actor)
        .filter(Q(planned_start__lt=end, planned_end__gt=start) | Q(checked_in_at__gte=start, checked_in_at__lt=end))
        .exclude(status=SheetStatus.CANCELLED)
        .select_related("ticket__requester", "contract")
        .prefetch_related("site__contacts")
        .distinct()
    )

    def moment(sheet: Intervention) -> tuple[datetime.datetime, int]:
        return (sheet.planned_start or sheet.checked_in_at or start, sheet.pk)

    return sorted(sheets, key=moment)
