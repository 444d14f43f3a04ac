"""When a time entry was worked: in the contract's coverage hours, after hours, or on a weekend or public holiday.

The split is derived from the raw start and end, never typed by hand:

* **in hours**: the minutes inside the coverage calendar's open intervals (the engine of
  :mod:`pacte.sla.domain`, so windows, holidays, exceptions and provider closures count exactly as
  they do for the ticket's SLA clock);
* **weekend / holiday**: a minute outside the open intervals on a Saturday, a Sunday or a public
  holiday of the calendar's holiday region (the site's), by the local date in the calendar's zone;
* **after hours**: every other minute outside the open intervals (evenings, nights, closures).

Everything is computed in UTC seconds, so a daylight-saving change (a 23- or 25-hour day) counts the
real time worked. The three parts sum to the entry's whole minutes exactly: the total is floored
(``(end - start) // 60``) and the minutes left over by flooring each part go to the parts with the
largest remainders (ties: in hours, then after hours, then weekend).

The coverage calendar of an entry (:func:`coverage_calendar`): the terms of the contract in force on
the entry's day name a service level, whose calendar is assembled for the site (or the client) by
:func:`pacte.sla.selectors.ticket_calendar`. Without a contract, terms in force or a service level,
the **business default** applies: Monday to Friday 08:00–18:00 in the site's time zone (else the
client's) with French public holidays (the site's subdivision, e.g. Alsace-Moselle).
"""

from __future__ import annotations

import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pacte.sla import calendars
from pacte.sla.domain import NoOpenTimeError, engine_for

UTC = datetime.UTC
DEFAULT_WEEK = {day: [("08:00", "18:00")] for day in ("mon", "tue", "wed", "thu", "fri")}
DEFAULT_TIME_ZONE = "Europe/Paris"


def default_calendar(time_zone: str = DEFAULT_TIME_ZONE, holiday_subdivision: str | None = None) -> calendars.Calendar:
    """The business default: Monday–Friday 08:00–18:00 local time, French public holidays closed."""
    try:
        region = calendars.HolidayRegion("FR", holiday_subdivision or None)
    except calendars.CalendarError:
        region = calendars.HolidayRegion("FR", None)
    try:
        return calendars.Calendar.weekly(time_zone or DEFAULT_TIME_ZONE, DEFAULT_WEEK, holidays=region)
    except calendars.CalendarError:
        return calendars.Calendar.weekly(DEFAULT_TIME_ZONE, DEFAULT_WEEK, holidays=region)


def coverage_calendar(*, contract: Any, site: Any, client: Any, at: datetime.datetime) -> calendars.Calendar:
    """The calendar an entry starting at ``at`` is split against (see the module docstring)."""
    from pacte.contracts.selectors import contract_terms_at
    from pacte.sla.models import ServiceLevel
    from pacte.sla.selectors import ticket_calendar

    time_zone = site.effective_time_zone if site is not None else client.time_zone
    subdivision = site.effective_holiday_subdivision if site is not None else client.holiday_subdivision
    if contract is None:
        return default_calendar(time_zone, subdivision)
    local_day = at.astimezone(ZoneInfo(time_zone or DEFAULT_TIME_ZONE)).date()
    version = contract_terms_at(contract, local_day)
    level_id = version.terms.service_level if version is not None else None
    if level_id is None:
        return default_calendar(time_zone, subdivision)
    level = (
        ServiceLevel.objects.filter(pk=level_id, provider_id=contract.provider_id).select_related("calendar").first()
    )
    if level is None:
        return default_calendar(time_zone, subdivision)
    return ticket_calendar(service_level=level, site=site, client=client)


def _utc(at: datetime.datetime) -> datetime.datetime:
    if at.tzinfo is None:
        raise ValueError("aware datetimes only")
    return at.astimezone(UTC)


def _local_days(
    calendar: calendars.Calendar, start: datetime.datetime, end: datetime.datetime
) -> list[tuple[datetime.datetime, datetime.datetime, datetime.date]]:
    """``[start, end)`` cut at local midnights: (UTC start, UTC end, local date) pieces."""
    zone = calendar.zone
    pieces = []
    cursor = start
    while cursor < end:
        day = cursor.astimezone(zone).date()
        next_midnight = datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time(), tzinfo=zone)
        boundary = min(max(next_midnight.astimezone(UTC), cursor + datetime.timedelta(seconds=1)), end)
        pieces.append((cursor, boundary, day))
        cursor = boundary
    return pieces


def _open_intervals(
    calendar: calendars.Calendar, start: datetime.datetime, end: datetime.datetime
) -> list[tuple[datetime.datetime, datetime.datetime]]:
    try:
        return [(_utc(a), _utc(b)) for a, b in engine_for(calendar).intervals(start, end)]
    except NoOpenTimeError:
        return []


def _overlap(a: datetime.datetime, b: datetime.datetime, c: datetime.datetime, d: datetime.datetime) -> float:
    return max(0.0, (min(b, d) - max(a, c)).total_seconds())


def split_seconds(
    calendar: calendars.Calendar | None, started_at: datetime.datetime, ended_at: datetime.datetime
) -> tuple[float, float, float]:
    """The seconds of ``[started_at, ended_at)`` in hours, after hours and on weekends or holidays."""
    calendar = calendar or default_calendar()
    start, end = _utc(started_at), _utc(ended_at)
    if end <= start:
        return (0.0, 0.0, 0.0)
    open_intervals = _open_intervals(calendar, start, end)
    in_hours = sum((b - a).total_seconds() for a, b in open_intervals)
    after_hours = weekend = 0.0
    for piece_start, piece_end, day in _local_days(calendar, start, end):
        closed = (piece_end - piece_start).total_seconds() - sum(
            _overlap(piece_start, piece_end, a, b) for a, b in open_intervals
        )
        if day.weekday() >= 5 or calendar.is_holiday(day):
            weekend += closed
        else:
            after_hours += closed
    return (in_hours, after_hours, weekend)


def split_minutes(
    calendar: calendars.Calendar | None, started_at: datetime.datetime, ended_at: datetime.datetime
) -> tuple[int, int, int]:
    """Whole minutes ``(in_hours, after_hours, weekend)`` summing to ``(end - start) // 60`` exactly.

    ``calendar`` None: the business default (Monday–Friday 08:00–18:00, Europe/Paris, French holidays).
    """
    start, end = _utc(started_at), _utc(ended_at)
    total = int((end - start).total_seconds() // 60) if end > start else 0
    if total == 0:
        return (0, 0, 0)
    parts = [seconds / 60 for seconds in split_seconds(calendar, start, end)]
    floors = [int(part) for part in parts]
    left = total - sum(floors)
    # Largest remainder first; ties in a fixed order (in hours, after hours, weekend).
    order = sorted(range(3), key=lambda i: (-(parts[i] - floors[i]), i))
    for i in order[: max(0, left)]:
        floors[i] += 1
    while sum(floors) > total:  # cannot happen (each floor <= its part), kept as a guard
        i = max(range(3), key=lambda k: floors[k])
        floors[i] -= 1
    return (floors[0], floors[1], floors[2])
