"""``pacte sla due``: due instants for JSON lines, pure (no ORM, no database, no Django set-up).

One JSON object per input line::

    {"id": "T-1", "calendar": {"timezone": "Europe/Paris",
                               "week": {"mon": [["08:00", "18:00"]], …, "sun": []},
                               "holidays": ["2026-05-01", …] | {"country": "FR", "subdiv": "57"}},
     "start": "2026-03-27T16:30:00Z", "business_seconds": 36000,
     "pauses": [["2026-03-30T08:00:00Z", "2026-03-30T09:00:00Z"], ["2026-04-02T10:00:00Z", null]],
     "at_close": "stay" | "next_open"}

gives one output line in the same place: ``{"id": "T-1", "due": "2026-03-30T15:30:00Z"}`` (UTC, ISO 8601,
whole seconds), ``{"id": "T-1", "due": null, "state": "paused"}`` when a pause with no end begins
before the due instant, or ``{"id": …, "error": "…"}`` for a bad line (``id`` null when the line cannot
be read as a JSON object with a string ``id``); the other lines are still computed. Blank lines are
skipped. ``pauses``, ``holidays`` and ``at_close`` (default ``"stay"``) may be left out; any other key
is an error.

Grammar (the engine's conventions, :mod:`pacte.sla.domain`): a window ``["22:00", "06:00"]`` runs
into the next day; ``"24:00"`` is allowed as an end; a missing weekday is closed; a window edge that
does not exist on a spring-forward day moves to the first instant that exists, an edge that happens
twice on a fall-back day takes the first; overlapping pauses are merged and a pause before the start
is clipped; a target of 0 gives the start itself; a calendar with no open time at all is an error.
The due instant is the earliest instant whose business time since the start equals the target
(``stay``); with ``next_open``, an instant at which the clock does not run (a window's end, or the
beginning of a pause) moves to the next instant at which it runs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from typing import IO, Any, Final

from pacte.sla.calendars import WEEKDAYS, Calendar, CalendarError, HolidayRegion
from pacte.sla.domain import Convention, NoOpenTimeError, engine_for

TOP_KEYS: Final = frozenset({"id", "calendar", "start", "business_seconds", "pauses", "at_close"})
CALENDAR_KEYS: Final = frozenset({"timezone", "week", "holidays"})
REGION_KEYS: Final = frozenset({"country", "subdiv"})
MAX_TARGET: Final = 2**53  # beyond any horizon; larger integers are refused before the engine sees them
_DATE: Final = re.compile(r"\d{4}-\d{2}-\d{2}")
_CACHE_SIZE: Final = 1024


class LineError(ValueError):
    """A bad input line; the message goes into the output line's ``error``."""


def _reject_constant(name: str) -> Any:
    raise LineError(f"{name} is not a JSON number this command accepts")


def _instant(value: Any, where: str) -> datetime:
    if not isinstance(value, str):
        raise LineError(f"{where}: an ISO 8601 instant string is required")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise LineError(f"{where}: {value!r} is not an ISO 8601 instant") from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise LineError(f"{where}: {value!r} has no UTC offset (add Z or +02:00)")
    return parsed


def _keys(value: dict[str, Any], allowed: frozenset[str], where: str) -> None:
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise LineError(f"{where}: unknown key(s) {', '.join(unknown)}")


def _calendar(value: Any) -> Calendar:
    if not isinstance(value, dict):
        raise LineError("calendar: an object is required")
    _keys(value, CALENDAR_KEYS, "calendar")
    timezone = value.get("timezone")
    if not isinstance(timezone, str):
        raise LineError("calendar.timezone: an IANA time zone name is required")
    week = value.get("week")
    if not isinstance(week, dict):
        raise LineError('calendar.week: an object such as {"mon": [["08:00", "18:00"]]} is required')
    unknown = sorted(set(week) - set(WEEKDAYS))
    if unknown:
        raise LineError(f"calendar.week: unknown day(s) {', '.join(unknown)} (mon, tue, … sun)")
    days: dict[str, list[tuple[str, str]]] = {}
    for day, windows in week.items():
        if not isinstance(windows, list):
            raise LineError(f"calendar.week.{day}: a list of windows is required")
        days[day] = []
        for index, window in enumerate(windows):
            if not (isinstance(window, list) and len(window) == 2 and all(isinstance(x, str) for x in window)):
                raise LineError(f'calendar.week.{day}[{index}]: a window is ["HH:MM", "HH:MM"]')
            days[day].append((window[0], window[1]))
    holidays = value.get("holidays")
    region: HolidayRegion | None = None
    dates: list[date] = []
    if isinstance(holidays, dict):
        _keys(holidays, REGION_KEYS, "calendar.holidays")
        country, subdiv = holidays.get("country"), holidays.get("subdiv")
        if not isinstance(country, str) or not (subdiv is None or isinstance(subdiv, str)):
            raise LineError('calendar.holidays: {"country": "FR", "subdiv": "57" or null} is required')
        try:
            region = HolidayRegion(country, subdiv or None)
        except (CalendarError, KeyError, AttributeError) as error:
            raise LineError(f"calendar.holidays: unknown region {country}/{subdiv}") from error
    elif isinstance(holidays, list):
        for index, item in enumerate(holidays):
            if not isinstance(item, str) or not _DATE.fullmatch(item):
                raise LineError(f"calendar.holidays[{index}]: a date YYYY-MM-DD is required")
            try:
                dates.append(date.fromisoformat(item))
            except ValueError:
                raise LineError(f"calendar.holidays[{index}]: {item!r} is not a date") from None
    elif holidays is not None:
        raise LineError("calendar.holidays: a list of dates or a region object is required")
    try:
        calendar = Calendar.weekly(timezone, days, holidays=region, holiday_dates=dates)
    except CalendarError as error:
        raise LineError(f"calendar: {error}") from None
    if not calendar.unbounded:
        raise LineError("calendar: the calendar has no open time at all")
    return calendar


def _pauses(value: Any) -> tuple[list[tuple[datetime, datetime]], datetime | None]:
    """Closed pauses, and the start of the pause with no end (the earliest, merged with what touches it)."""
    if value is None:
        return [], None
    if not isinstance(value, list):
        raise LineError("pauses: a list of [start, end] pairs is required")
    closed: list[tuple[datetime, datetime]] = []
    open_start: datetime | None = None
    for index, item in enumerate(value):
        if not (isinstance(item, list) and len(item) == 2):
            raise LineError(f"pauses[{index}]: a pause is [start, end] (end null when it has not ended)")
        begin = _instant(item[0], f"pauses[{index}][0]")
        if item[1] is None:
            open_start = begin if open_start is None else min(open_start, begin)
            continue
        end = _instant(item[1], f"pauses[{index}][1]")
        if end < begin:
            raise LineError(f"pauses[{index}]: the pause ends before it starts")
        closed.append((begin, end))
    if open_start is not None:
        changed = True
        while changed:  # a closed pause overlapping or touching the open one makes it begin earlier
            changed = False
            for begin, end in closed:
                if begin < open_start <= end:
                    open_start, changed = begin, True
        closed = [(begin, end) for begin, end in closed if begin < open_start]
    return closed, open_start


class DueCalculator:
    """Parses and computes lines; keeps the calendars it has built (keyed by their JSON) for the next ones."""

    def __init__(self) -> None:
        self._calendars: dict[str, Calendar] = {}

    def _calendar(self, value: Any) -> Calendar:
        key = json.dumps(value, sort_keys=True)
        calendar = self._calendars.get(key)
        if calendar is None:
            calendar = _calendar(value)
            if len(self._calendars) >= _CACHE_SIZE:
                self._calendars.clear()
            self._calendars[key] = calendar
        return calendar

    def compute(self, record: dict[str, Any]) -> dict[str, Any]:
        _keys(record, TOP_KEYS, "line")
        for name in ("calendar", "start", "business_seconds"):
            if name not in record:
                raise LineError(f"{name}: required")
        calendar = self._calendar(record["calendar"])
        start = _instant(record["start"], "start")
        seconds = record["business_seconds"]
        if isinstance(seconds, bool) or not isinstance(seconds, int) or not 0 <= seconds <= MAX_TARGET:
            raise LineError("business_seconds: a whole number of seconds >= 0 is required")
        convention = record.get("at_close", "stay")
        if convention not in ("stay", "next_open"):
            raise LineError('at_close: "stay" or "next_open" is required')
        closed, open_start = _pauses(record.get("pauses"))
        if seconds == 0:
            return {"due": _utc(start)}
        engine = engine_for(calendar)
        try:
            due = engine.add_business_seconds(start, seconds, pauses=closed)
            if open_start is not None and max(open_start, start) < due:
                return {"due": None, "state": "paused"}
            if convention == "next_open":
                due = engine.add_business_seconds(start, seconds, convention=_NEXT_OPEN, pauses=closed)
                if open_start is not None and due >= max(open_start, start):
                    return {"due": None, "state": "paused"}  # it would roll past a pause that has not ended
        except (OverflowError, NoOpenTimeError):
            raise LineError("business_seconds: the due instant is beyond the year 9997") from None
        return {"due": _utc(due)}

    def line(self, raw: bytes | str) -> dict[str, Any]:
        """One output object for one input line (never raises for bad input)."""
        try:
            text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        except UnicodeDecodeError:
            return {"id": None, "error": "the line is not UTF-8"}
        try:
            record = json.loads(text, parse_constant=_reject_constant)
        except LineError as error:
            return {"id": None, "error": str(error)}
        except ValueError as error:
            return {"id": None, "error": f"not JSON: {error}"}
        if not isinstance(record, dict):
            return {"id": None, "error": "a line is a JSON object"}
        ident = record.get("id")
        if not isinstance(ident, str):
            return {"id": None, "error": "id: a string is required"}
        try:
            return {"id": ident, **self.compute(record)}
        except LineError as error:
            return {"id": ident, "error": str(error)}


_NEXT_OPEN: Final[Convention] = "next_open"


def _utc(at: datetime) -> str:
    return at.astimezone(UTC).replace(tzinfo=None, microsecond=0).isoformat() + "Z"


def due_lines(lines: Iterable[bytes | str]) -> Iterator[str]:
    """Output lines (JSON, no newline) for input lines, in the same order; blank lines are skipped."""
    calculator = DueCalculator()
    first = True
    for raw in lines:
        if first and isinstance(raw, bytes) and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]  # a UTF-8 byte-order mark
        first = False
        if not raw.strip():
            continue
        yield json.dumps(calculator.line(raw), ensure_ascii=False)


def run(input_path: str, output_path: str | None, *, stdin: IO[bytes], stdout: IO[str], stderr: IO[str]) -> int:
    """The command: streams the input; 0 once the input could be read (bad lines included), 2 otherwise."""

    def fail(verb: str, path: str, error: OSError) -> int:
        print(f"pacte sla due: cannot {verb} {path}: {error.strerror or error}", file=stderr)
        return 2

    try:
        source = stdin if input_path == "-" else open(input_path, "rb")
    except OSError as error:
        return fail("read", input_path, error)
    try:
        try:
            target = stdout if output_path is None or output_path == "-" else open(output_path, "w", encoding="utf-8")
        except OSError as error:
            return fail("write", str(output_path), error)
        try:
            for line in due_lines(raw.rstrip(b"\r\n") for raw in source):
                target.write(line + "\n")
            target.flush()
        except OSError as error:
            return fail("read or write", input_path, error)
        finally:
            if target is not stdout:
                target.close()
    finally:
        if source is not stdin:
            source.close()
    return 0
