"""Business calendars, pure (no ORM, no clock): when the SLA clock runs, by local wall-clock time.

A :class:`Calendar` is weekly windows of local wall-clock time in an IANA zone, public holidays
(``holidays`` package, or explicit dates) and exceptions by date. The engine that turns one into
business intervals is :mod:`pacte.sla.domain`. Conventions (each one is tested in ``pacte/sla/tests``):

* **Windows** are half-open ``[start, end)`` in local wall-clock time. ``"24:00"`` is the end of the
  day (an end of ``"00:00"`` means it too); an end before the start (``22:00–06:00``) runs into the
  next day. **An overnight window belongs to the day it starts**: that day's weekday, holiday status
  and exceptions decide whether it exists, and a closure or holiday on the next day does not cut its
  tail. Overlapping or touching windows merge.
* **A day's windows**: the weekday's windows; none if the day is a public holiday and
  ``holidays_close``; a ``CLOSED`` exception empties the day and a ``PARTIAL`` one replaces its
  windows (both override holidays, at most one of them per date); ``EXTRA`` exceptions add windows.
* **Identity**: equal definitions have equal :attr:`Calendar.key` (a SHA-256 of the definition, the
  ``holidays`` package version and :data:`ENGINE_FORMAT`); labels are not part of it. The engine
  cache is keyed on it, so any change of definition gets a new engine.
* Holiday names come in the language the region names (``"fr"`` by default), never the process's locale.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum
from functools import lru_cache
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_lib

DAY: Final = 86_400
WEEKDAYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ENGINE_FORMAT: Final = 1
_HOLIDAYS_VERSION: Final = importlib.metadata.version("holidays")


class CalendarError(ValueError):
    """The calendar definition is invalid."""


def _parse_clock(value: str | time, *, is_end: bool) -> int:
    if isinstance(value, time):
        if value.microsecond or value.tzinfo is not None:
            raise CalendarError(f"window edge {value} must be a whole-second wall-clock time")
        return value.hour * 3600 + value.minute * 60 + value.second
    parts = value.strip().split(":")
    if len(parts) not in (2, 3) or not all(p.isdigit() and len(p) == 2 for p in parts):
        raise CalendarError(f"window edge {value!r} is not HH:MM or HH:MM:SS")
    h, m, s = (int(p) for p in [*parts, "00"][:3])
    if m > 59 or s > 59 or h > 24 or (h == 24 and (m or s or not is_end)):
        raise CalendarError(f"window edge {value!r} is not a time of day (24:00 only as an end)")
    return h * 3600 + m * 60 + s


@dataclass(frozen=True, slots=True, order=True)
class Window:
    """``[start, end)`` in seconds after local midnight; ``end < start`` ends on the next day (overnight)."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if not (0 <= self.start < DAY and 0 <= self.end <= DAY):
            raise CalendarError(f"window {self.start}–{self.end} is outside a day")
        if self.end == 0:  # "22:00–00:00" is "22:00–24:00"
            object.__setattr__(self, "end", DAY)
        if self.end == self.start:
            raise CalendarError("a window's start and end must differ (use 00:00–24:00 for a whole day)")

    @classmethod
    def parse(cls, start: str | time, end: str | time) -> Window:
        return cls(_parse_clock(start, is_end=False), _parse_clock(end, is_end=True))

    @property
    def overnight(self) -> bool:
        return self.end < self.start

    @property
    def seconds(self) -> int:
        """Wall-clock length (a DST day changes the real length)."""
        return self.end - self.start if self.end > self.start else DAY - self.start + self.end

    def __str__(self) -> str:
        def hhmm(x: int) -> str:
            return f"{x // 3600:02d}:{x // 60 % 60:02d}" + (f":{x % 60:02d}" if x % 60 else "")

        return f"{hhmm(self.start)}–{hhmm(self.end)}"


@lru_cache(maxsize=4096)
def _region_year(country: str, subdiv: str | None, language: str, year: int) -> tuple[tuple[date, str], ...]:
    found = holidays_lib.country_holidays(country, subdiv=subdiv, years=year, language=language)
    return tuple(sorted((d, str(name)) for d, name in found.items()))


@dataclass(frozen=True, slots=True)
class HolidayRegion:
    """Public holidays of a country (ISO code) and subdivision (``None``: mainland), named in ``language``."""

    country: str = "FR"
    subdiv: str | None = None
    language: str = "fr"

    def __post_init__(self) -> None:
        try:
            _region_year(self.country, self.subdiv, self.language, 2000)
        except NotImplementedError as exc:
            raise CalendarError(f"unknown holiday region {self.country}/{self.subdiv}: {exc}") from exc

    def holidays(self, year: int) -> dict[date, str]:
        return dict(_region_year(self.country, self.subdiv, self.language, year))


class ExceptionKind(StrEnum):
    CLOSED = "closed"  # the whole day closed
    PARTIAL = "partial"  # the day's windows replaced
    EXTRA = "extra"  # windows added to the day


@dataclass(frozen=True, slots=True)
class DayException:
    day: date
    kind: ExceptionKind
    windows: tuple[Window, ...] = ()
    label: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if isinstance(self.day, datetime) or not isinstance(self.day, date):
            raise CalendarError("an exception's day must be a date")
        object.__setattr__(self, "kind", ExceptionKind(self.kind))
        object.__setattr__(self, "windows", tuple(sorted(self.windows)))
        if self.kind is ExceptionKind.CLOSED and self.windows:
            raise CalendarError("a closure has no windows")
        if self.kind is ExceptionKind.EXTRA and not self.windows:
            raise CalendarError("an extra opening needs at least one window")

    @classmethod
    def closed(cls, day: date, label: str = "") -> DayException:
        return cls(day, ExceptionKind.CLOSED, (), label)

    @classmethod
    def partial(cls, day: date, windows: Iterable[Window], label: str = "") -> DayException:
        return cls(day, ExceptionKind.PARTIAL, tuple(windows), label)

    @classmethod
    def extra_opening(cls, day: date, windows: Iterable[Window], label: str = "") -> DayException:
        return cls(day, ExceptionKind.EXTRA, tuple(windows), label)


WindowSpec = tuple[str | time, str | time]


@dataclass(frozen=True, slots=True, eq=False)
class Calendar:
    """A business calendar; equal definitions have equal :attr:`key` (labels are not part of it).

    ``week``: seven tuples of windows, Monday first. ``holidays``: a region of the ``holidays`` package;
    ``holiday_dates``: more holiday dates; both close the day when ``holidays_close``. ``exceptions``:
    closures, partial days and extra openings by date. Build one with :meth:`weekly` or :meth:`always_open`.
    """

    timezone: str
    week: tuple[tuple[Window, ...], ...]  # seven days, Monday first
    holidays: HolidayRegion | None = None
    holiday_dates: frozenset[date] = frozenset()
    holidays_close: bool = True
    exceptions: tuple[DayException, ...] = ()
    key: str = field(init=False, repr=False)
    zone: ZoneInfo = field(init=False, repr=False)
    _replace: dict[date, tuple[Window, ...]] = field(init=False, repr=False)
    _extra: dict[date, tuple[Window, ...]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        try:
            zone = ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise CalendarError(f"unknown time zone {self.timezone!r}") from exc
        if len(self.week) != 7:
            raise CalendarError("a week has seven days")
        week = tuple(tuple(sorted(day)) for day in self.week)
        exceptions = tuple(sorted(self.exceptions, key=lambda e: (e.day, e.kind.value, e.windows)))
        replace: dict[date, tuple[Window, ...]] = {}
        extra: dict[date, tuple[Window, ...]] = {}
        for exc_ in exceptions:
            if exc_.kind is ExceptionKind.EXTRA:
                extra[exc_.day] = extra.get(exc_.day, ()) + exc_.windows
            elif exc_.day in replace:
                raise CalendarError(f"{exc_.day}: at most one closure or partial day per date")
            else:
                replace[exc_.day] = exc_.windows
        holiday_dates = frozenset(self.holiday_dates)
        if any(isinstance(d, datetime) for d in holiday_dates):
            raise CalendarError("holiday dates must be dates")
        canonical = {
            "format": ENGINE_FORMAT,
            "holidays_package": _HOLIDAYS_VERSION,
            "timezone": zone.key,
            "week": [[[w.start, w.end] for w in day] for day in week],
            "region": None if self.holidays is None else [self.holidays.country, self.holidays.subdiv],
            "holiday_dates": sorted(d.isoformat() for d in holiday_dates),
            "holidays_close": bool(self.holidays_close),
            "exceptions": [
                [e.day.isoformat(), e.kind.value, [[w.start, w.end] for w in e.windows]] for e in exceptions
            ],
        }
        digest = hashlib.sha256(json.dumps(canonical, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
        for name, value in (
            ("week", week),
            ("exceptions", exceptions),
            ("holiday_dates", holiday_dates),
            ("zone", zone),
            ("key", digest),
            ("_replace", replace),
            ("_extra", extra),
        ):
            object.__setattr__(self, name, value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Calendar) and other.key == self.key

    def __hash__(self) -> int:
        return hash(self.key)

    @classmethod
    def weekly(
        cls,
        timezone: str,
        week: Mapping[str, Iterable[WindowSpec]],
        *,
        holidays: HolidayRegion | None = None,
        holiday_dates: Iterable[date] = (),
        holidays_close: bool = True,
        exceptions: Iterable[DayException] = (),
    ) -> Calendar:
        """``week`` maps ``"mon"``…``"sun"`` to windows like ``[("08:00", "12:00"), ("14:00", "18:00")]``.

        A day that is missing is closed.
        """
        unknown = set(week) - set(WEEKDAYS)
        if unknown:
            raise CalendarError(f"unknown weekday(s): {sorted(unknown)}")
        days = tuple(tuple(Window.parse(a, b) for a, b in week.get(name, ())) for name in WEEKDAYS)
        return cls(timezone, days, holidays, frozenset(holiday_dates), holidays_close, tuple(exceptions))

    @classmethod
    def always_open(cls, timezone: str = "UTC") -> Calendar:
        """Calendar time (24×7): every second counts."""
        return cls(timezone, tuple((Window(0, DAY),) for _ in WEEKDAYS))

    def with_exceptions(self, *exceptions: DayException) -> Calendar:
        """The same calendar with more exceptions on top (provider-wide closures, say)."""
        return Calendar(
            self.timezone,
            self.week,
            self.holidays,
            self.holiday_dates,
            self.holidays_close,
            self.exceptions + exceptions,
        )

    @property
    def unbounded(self) -> bool:
        """Open time recurs every week (so there is always more, forwards and backwards)."""
        return any(self.week)

    def open_years(self) -> tuple[int, int] | None:
        """For a calendar open only on exception days: its first and last year (``None`` when never open)."""
        years = [d.year for d, ws in (*self._replace.items(), *self._extra.items()) if ws]
        return (min(years), max(years)) if years else None

    def exceptions_on(self, day: date) -> tuple[DayException, ...]:
        """The exceptions of ``day`` (a closure or partial day first, then extra openings)."""
        return tuple(e for e in self.exceptions if e.day == day)

    def is_holiday(self, day: date) -> bool:
        return day in self.holiday_set(day.year)

    def holidays_in(self, year: int) -> dict[date, str]:
        """The year's public holidays with their names (explicit dates are named ``""``)."""
        found = {} if self.holidays is None else self.holidays.holidays(year)
        found.update({d: "" for d in self.holiday_dates if d.year == year and d not in found})
        return dict(sorted(found.items()))

    def holiday_set(self, year: int) -> frozenset[date]:
        region: frozenset[date] = frozenset()
        if self.holidays is not None:
            h = self.holidays
            region = frozenset(d for d, _ in _region_year(h.country, h.subdiv, h.language, year))
        return region | self.holiday_dates

    def windows_on(self, day: date, *, holiday_set: frozenset[date] | None = None) -> tuple[Window, ...]:
        """The windows that start on ``day`` (local date), after holidays and exceptions."""
        windows = self.week[day.weekday()]
        if self.holidays_close and windows:
            closed = day in holiday_set if holiday_set is not None else self.is_holiday(day)
            if closed:
                windows = ()
        windows = self._replace.get(day, windows)
        more = self._extra.get(day)
        return tuple(sorted(windows + more)) if more else windows


CALENDAR_TIME: Final = Calendar.always_open("UTC")
