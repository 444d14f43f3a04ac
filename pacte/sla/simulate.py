"""Simulating a due instant on a calendar, and saying why each closed period was skipped (pure, no ORM).

:func:`simulate` adds business seconds to a start (the engine's conventions) and lists the closed
periods between the start and the due instant. Each period gets the reasons of the local days it
covers, in order, consecutive days with the same reason merged:

* ``night``: outside the day's windows (evening, night, early morning);
* ``break``: between two windows of the same day (a lunch break);
* ``weekly_closed``: a weekday with no window at all (the weekend of a Monday–Friday calendar);
* ``holiday``: a public holiday that closes the calendar, with its name;
* ``exception``: a closure or a partial day of the calendar (or a provider-wide closure), with its label.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Final

from pacte.sla.calendars import Calendar, ExceptionKind
from pacte.sla.domain import Convention, engine_for, local_instant

MAX_PERIODS: Final = 200
_SECOND: Final = timedelta(seconds=1)


class ClosedReason(StrEnum):
    NIGHT = "night"
    BREAK = "break"
    WEEKLY_CLOSED = "weekly_closed"
    HOLIDAY = "holiday"
    EXCEPTION = "exception"


@dataclass(frozen=True, slots=True)
class Reason:
    """Why the calendar was closed on the local days ``first_day``–``last_day`` of a period."""

    kind: ClosedReason
    first_day: date
    last_day: date
    label: str = ""


@dataclass(frozen=True, slots=True)
class ClosedPeriod:
    """``[start, end)`` (UTC): no business time, for ``reasons``."""

    start: datetime
    end: datetime
    reasons: tuple[Reason, ...]


@dataclass(frozen=True, slots=True)
class Simulation:
    start: datetime
    seconds: int
    convention: Convention
    due: datetime
    closed_periods: tuple[ClosedPeriod, ...]
    truncated: bool  # more than ``limit`` closed periods: the first ones only


def _day_reason(calendar: Calendar, day: date, *, inside_one_day: bool) -> tuple[ClosedReason, str]:
    for exception in calendar.exceptions_on(day):
        if exception.kind is not ExceptionKind.EXTRA:
            return ClosedReason.EXCEPTION, exception.label
    weekly = calendar.week[day.weekday()]
    if weekly and calendar.holidays_close:
        name = calendar.holidays_in(day.year).get(day)
        if name is not None:
            return ClosedReason.HOLIDAY, name
    if not calendar.windows_on(day):
        return ClosedReason.WEEKLY_CLOSED, ""
    return (ClosedReason.BREAK if inside_one_day else ClosedReason.NIGHT), ""


def _reasons(calendar: Calendar, start: datetime, end: datetime) -> tuple[Reason, ...]:
    zone = calendar.zone
    first = start.astimezone(zone).date()
    last = (end - _SECOND).astimezone(zone).date()
    inside_one_day = False
    if first == last:  # a break: open earlier and later on the same local day
        engine = engine_for(calendar)
        midnight = local_instant(calendar.timezone, datetime.combine(first, time()))
        next_midnight = local_instant(calendar.timezone, datetime.combine(first + timedelta(days=1), time()))
        inside_one_day = (
            engine.business_seconds_between(midnight, start) > 0
            and engine.business_seconds_between(end, next_midnight) > 0
        )
    reasons: list[Reason] = []
    day = first
    while day <= last:
        kind, label = _day_reason(calendar, day, inside_one_day=inside_one_day)
        if reasons and reasons[-1].kind is kind and reasons[-1].label == label:
            reasons[-1] = Reason(kind, reasons[-1].first_day, day, label)
        else:
            reasons.append(Reason(kind, day, day, label))
        day += timedelta(days=1)
    return tuple(reasons)


def simulate(
    calendar: Calendar,
    start: datetime,
    seconds: int,
    *,
    convention: Convention = "stay",
    limit: int = MAX_PERIODS,
) -> Simulation:
    """The due instant of ``seconds`` of business time from ``start``, with the closed periods skipped."""
    engine = engine_for(calendar)
    due = engine.add_business_seconds(start, seconds, convention=convention)
    start_utc = engine.add_business_seconds(start, 0)
    periods: list[ClosedPeriod] = []
    cursor = start_utc
    truncated = False
    for open_start, open_end in [*engine.intervals(start_utc, due), (due, due)]:
        if open_start > cursor:
            if len(periods) == limit:
                truncated = True
                break
            periods.append(ClosedPeriod(cursor, open_start, _reasons(calendar, cursor, open_start)))
        cursor = max(cursor, open_end)
    return Simulation(start_utc, seconds, convention, due, tuple(periods), truncated)


@dataclass(frozen=True, slots=True)
class HolidayPreview:
    """A public holiday of the calendar's region, and what it does to the calendar."""

    day: date
    name: str
    skipped: bool  # it takes open time away: the calendar opens that weekday and holidays close it
    weekday_open: bool  # the calendar opens on that weekday
    exception: str | None = None  # a closure or partial day decides that date instead (its label, maybe "")


def holiday_preview(calendar: Calendar, year: int) -> tuple[HolidayPreview, ...]:
    """The year's public holidays; ``skipped`` for those that take open time away from the calendar."""
    out = []
    for day, name in calendar.holidays_in(year).items():
        override = next((e for e in calendar.exceptions_on(day) if e.kind is not ExceptionKind.EXTRA), None)
        weekday_open = bool(calendar.week[day.weekday()])
        skipped = calendar.holidays_close and weekday_open and override is None
        out.append(HolidayPreview(day, name, skipped, weekday_open, None if override is None else override.label))
    return tuple(out)
