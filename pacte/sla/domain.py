"""The SLA engine: business-time arithmetic on a :class:`~pacte.sla.calendars.Calendar`, pure (no ORM, no clock).

An :class:`SlaEngine` turns a calendar into the sorted list of business intervals as UTC instants,
with the running total of business seconds before each, so that ``F(t)`` (business seconds elapsed
up to instant ``t``) is one binary search and a due date ``F⁻¹(F(start) + target + paused)`` another.
Arrays of instants take the same path through ``numpy.searchsorted``. The calendar definition (windows,
holidays, exceptions) lives in :mod:`pacte.sla.calendars`; its names are re-exported here.

Conventions (each one is tested in ``pacte/sla/tests``):

* **Instants** are aware datetimes (a naive one is a ``ValueError``), read to the whole second
  (floored: the engine's resolution is one second). Results are aware datetimes in UTC. Batch
  functions take ``int64`` Unix seconds or ``datetime64`` (read as UTC, floored to the second) and
  answer in the same kind. Nothing reads the process's ``TZ`` or locale: results are the same on
  every machine.
* **DST**: each window edge is converted from local time to UTC on its own, so a day is exactly as
  long as it is (29 Mar 2026 in Europe/Paris lasts 23 h, 25 Oct 2026 25 h). An edge at a local time
  that does not exist (spring forward: 02:30 on 29 Mar 2026) moves to the first instant that exists
  after it, the transition (03:00 CEST, 01:00 UTC); an edge at a local time that happens twice (fall
  back: 02:30 on 25 Oct 2026) takes the first occurrence (02:30 CEST, 00:30 UTC). A window wholly
  inside a gap is empty.
* **Adding business time** gives the earliest instant at which the business time since the start
  equals the target (convention ``"stay"``, the default: a result at closing time stays there). With
  ``"next_open"`` (Request Tracker's Business::Hours), a result at which the clock is not running
  (a closing time, or the start of a pause) moves to the next instant at which it runs; if the calendar
  never opens again it stays. A target of 0 gives the start itself under both conventions; a negative
  target is an error.
* **Pauses** are half-open intervals of instants during which the clock stops: they are merged when
  they overlap or touch, clipped to the start (adding) or to ``[a, b]`` (measuring), and only the
  business seconds inside them are removed (a pause outside business hours changes nothing). A pause
  with no end is the caller's to handle: compute the due instant without it; if the open pause begins
  before that instant the target is paused (no due instant yet), otherwise the due instant stands.
* **Measuring** ``business_seconds_between(a, b)`` is signed: ``F(b) − F(a)`` minus paused business
  seconds, negated when ``b < a``; it is additive.
* **Horizon**: intervals are built lazily in chunks of local calendar years, forwards and backwards,
  on demand (years 0002–9997): any target works. ``F`` values are relative to the engine's anchor
  (only differences mean something) and stay the same for the engine's lifetime. Engines are cached
  per :attr:`Calendar.key` (a SHA-256 of the definition, the ``holidays`` package version and this
  engine's format version) in a bounded LRU; growing a table is locked, reading is not.
"""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Final, Literal, overload
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from pacte.sla.calendars import (
    CALENDAR_TIME,
    DAY,
    ENGINE_FORMAT,
    WEEKDAYS,
    Calendar,
    CalendarError,
    DayException,
    ExceptionKind,
    HolidayRegion,
    Window,
    WindowSpec,
)

__all__ = [
    "CALENDAR_TIME",
    "DAY",
    "ENGINE_CACHE_SIZE",
    "ENGINE_FORMAT",
    "MAX_YEAR",
    "MIN_YEAR",
    "WEEKDAYS",
    "BatchPauses",
    "Calendar",
    "CalendarError",
    "Convention",
    "DayException",
    "ExceptionKind",
    "HolidayRegion",
    "NoOpenTimeError",
    "Pauses",
    "SlaEngine",
    "Window",
    "WindowSpec",
    "add_business_seconds",
    "business_seconds_between",
    "clear_engine_cache",
    "engine_for",
    "is_open",
    "local_instant",
    "next_opening",
]

ENGINE_CACHE_SIZE: Final = 256
MIN_YEAR: Final = 2
MAX_YEAR: Final = 9997
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND: Final = timedelta(seconds=1)
_EPOCH_ORDINAL: Final = date(1970, 1, 1).toordinal()
_FAR: Final = 2**62
_fromtimestamp: Final = datetime.fromtimestamp

Convention = Literal["stay", "next_open"]
I64 = npt.NDArray[np.int64]
D64 = npt.NDArray[np.datetime64]
Pauses = Sequence[tuple[datetime, datetime]]


class NoOpenTimeError(ValueError):
    """The calendar has no (more) open time where the computation needs some."""


# --------------------------------------------------------------------------------------------- instants


def _to_epoch(at: datetime) -> int:
    try:
        return (at - _EPOCH) // _SECOND
    except TypeError:  # naive (or not a datetime)
        raise ValueError(f"naive datetime {at!r}: pass an aware datetime") from None


def _from_epoch(seconds: int) -> datetime:
    try:
        return _fromtimestamp(seconds, UTC)  # exact for an int, and twice as fast as adding a timedelta
    except (OverflowError, OSError, ValueError):  # pragma: no cover - a platform whose gmtime is narrower
        return _EPOCH + timedelta(seconds=seconds)


def _array_epochs(values: I64 | D64) -> tuple[I64, bool]:
    arr = np.asarray(values)
    if arr.dtype.kind == "M":
        if np.isnat(arr).any():
            raise ValueError("NaT in the instants")
        return arr.astype("datetime64[s]").astype(np.int64), True
    if arr.dtype.kind in "iu":
        return arr.astype(np.int64), False
    raise TypeError(f"instants must be int64 epoch seconds or datetime64, not {arr.dtype}")


def _offset_seconds(at: datetime) -> int:
    off = at.utcoffset()
    assert off is not None  # noqa: S101 - aware by construction
    return off // _SECOND


def _wall_to_epoch(zone: ZoneInfo, wall: int) -> int:
    """Local wall-clock seconds (since 1970-01-01 00:00 local) to Unix seconds, by the DST rule above."""
    fields = (_EPOCH + timedelta(seconds=wall)).replace(tzinfo=zone)
    first = wall - _offset_seconds(fields)
    second = wall - _offset_seconds(fields.replace(fold=1))
    if first <= second:  # the usual case, or an ambiguous time: the first occurrence
        return first
    # A gap: fold=0 reads the time with the offset before the transition, fold=1 with the one after;
    # the transition instant T lies in (second, first]. Find it: the first instant whose offset changed.
    before = _offset_seconds((_EPOCH + timedelta(seconds=second)).astimezone(zone))
    lo, hi = second, first
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _offset_seconds((_EPOCH + timedelta(seconds=mid)).astimezone(zone)) == before:
            lo = mid
        else:
            hi = mid
    return hi


def _local_midnight(zone: ZoneInfo, day: date) -> int:
    return _wall_to_epoch(zone, (day.toordinal() - _EPOCH_ORDINAL) * DAY)


def local_instant(timezone: str, wall: datetime) -> datetime:
    """The UTC instant of a local wall-clock time in ``timezone``, by the window-edge rule: a time in a
    spring-forward gap moves to the first instant that exists after it, a time that happens twice takes
    the first occurrence. ``wall`` is naive (read to the whole second)."""
    if wall.tzinfo is not None:
        raise ValueError("a wall-clock time is naive")
    zone = Calendar.always_open(timezone).zone
    seconds = (wall - _EPOCH.replace(tzinfo=None)) // _SECOND
    return _from_epoch(_wall_to_epoch(zone, seconds))


# --------------------------------------------------------------------------------------------- batch pauses


@dataclass(frozen=True, slots=True, eq=False)
class BatchPauses:
    """Pauses of a batch: pause ``k`` is ``[starts[k], ends[k])`` and belongs to item ``owner[k]``."""

    owner: npt.NDArray[np.integer]
    starts: I64 | D64
    ends: I64 | D64

    @classmethod
    def from_lists(cls, per_item: Sequence[Pauses]) -> BatchPauses:
        owner = [i for i, ps in enumerate(per_item) for _ in ps]
        starts = [_to_epoch(a) for ps in per_item for a, _ in ps]
        ends = [_to_epoch(b) for ps in per_item for _, b in ps]
        return cls(np.array(owner, np.int64), np.array(starts, np.int64), np.array(ends, np.int64))


def _merge_pauses(owner: I64, ps: I64, pe: I64) -> tuple[I64, I64, I64]:
    """Sort by (owner, start), drop empty pauses, merge overlapping or touching ones per owner."""
    keep = pe > ps
    owner, ps, pe = owner[keep], ps[keep], pe[keep]
    if not len(ps):
        return owner, ps, pe
    order = np.lexsort((ps, owner))
    owner, ps, pe = owner[order], ps[order], pe[order]
    # A running max of the ends that restarts with each owner: lift each owner's values above the
    # previous owners' (rank × span), accumulate, lower them back.
    rank = np.cumsum(np.append(0, owner[1:] != owner[:-1])).astype(np.int64)
    base = int(pe.min())
    span = int(pe.max()) - base + 1
    if int(rank[-1]) * span < 2**62:
        run = np.maximum.accumulate(rank * span + (pe - base)) - rank * span + base
    else:  # pragma: no cover - astronomically many owners times a huge span
        run = pe.copy()
        for k in range(1, len(run)):
            if owner[k] == owner[k - 1] and run[k - 1] > run[k]:
                run[k] = run[k - 1]
    new = np.ones(len(ps), dtype=bool)
    new[1:] = (owner[1:] != owner[:-1]) | (ps[1:] > run[:-1])
    first = np.flatnonzero(new)
    last = np.append(first[1:] - 1, len(ps) - 1)
    return owner[first], ps[first], run[last]


def _merge_scalar(pauses: Pauses, lo: int, hi: int) -> list[tuple[int, int]]:
    items: list[tuple[int, int]] = []
    for a, b in pauses:
        pa, pb = _to_epoch(a), _to_epoch(b)
        if pb < pa:
            raise ValueError(f"pause ends before it starts: {a} – {b}")
        pa, pb = max(pa, lo), min(pb, hi)
        if pb > pa:
            items.append((pa, pb))
    items.sort()
    merged: list[tuple[int, int]] = []
    for pa, pb in items:
        if merged and pa <= merged[-1][1]:
            if pb > merged[-1][1]:
                merged[-1] = (merged[-1][0], pb)
        else:
            merged.append((pa, pb))
    return merged


# --------------------------------------------------------------------------------------------- the engine


@dataclass(frozen=True, slots=True)
class _Table:
    """Merged business intervals of local years ``[year_lo, year_hi)``, exact for instants in ``[lo, hi)``.

    Index 0 holds a sentinel interval at -∞ so that every search lands on an index. For interval i:
    ``F(t) = base[i] + min(t, ends[i])`` when ``starts[i] <= t``, with ``base = F(start) - start``, and
    ``cum_end[i]`` is F at its end; the inverse of a value v in it is ``v - base[i]``.
    """

    year_lo: int
    year_hi: int
    lo: int
    hi: int
    f_lo: int  # F(lo)
    v_max: int  # the largest F value whose earliest instant is known (before hi)
    starts: I64
    ends: I64
    base: I64
    cum_end: I64
    s: list[int]  # the same as Python lists for the scalar path (bisect beats numpy on one value)
    e: list[int]
    b: list[int]
    ce: list[int]


def _f(tab: _Table, t: int) -> int:
    i = bisect_right(tab.s, t) - 1
    e = tab.e[i]
    return tab.b[i] + (t if t < e else e)


def _finv(tab: _Table, v: int) -> int:
    """The earliest instant at which F equals v (needs F(-∞) < v <= v_max)."""
    return v - tab.b[bisect_left(tab.ce, v)]


def _f_many(tab: _Table, t: I64) -> I64:
    i = np.searchsorted(tab.starts, t, side="right") - 1
    return tab.base[i] + np.minimum(t, tab.ends[i])


def _finv_many(tab: _Table, v: I64) -> I64:
    return v - tab.base[np.searchsorted(tab.cum_end, v, side="left")]


def _open_many(tab: _Table, t: I64) -> npt.NDArray[np.bool_]:
    return t < tab.ends[np.searchsorted(tab.starts, t, side="right") - 1]


def _check_target(seconds: object) -> int:
    if isinstance(seconds, bool) or not isinstance(seconds, int | np.integer) or seconds < 0:
        raise ValueError(f"a target is a whole number of seconds >= 0, not {seconds!r}")
    return int(seconds)


def _check_convention(convention: str) -> None:
    if convention != "stay" and convention != "next_open":
        raise ValueError(f"unknown convention {convention!r}")


class SlaEngine:
    """Business-time arithmetic on one calendar. Get one with :func:`engine_for` (cached)."""

    def __init__(self, calendar: Calendar) -> None:
        self.calendar = calendar
        self._lock = threading.Lock()
        self._years: dict[int, tuple[I64, I64]] = {}
        self._anchor: int | None = None
        self._tab: _Table | None = None

    # ---- building

    def _build_year(self, year: int) -> tuple[I64, I64]:
        cal, zone = self.calendar, self.calendar.zone
        holiday_set = cal.holiday_set(year) if cal.holidays_close else frozenset()
        starts: list[int] = []
        ends: list[int] = []
        for ordinal in range(date(year, 1, 1).toordinal(), date(year + 1, 1, 1).toordinal()):
            base = (ordinal - _EPOCH_ORDINAL) * DAY
            for w in cal.windows_on(date.fromordinal(ordinal), holiday_set=holiday_set):
                a = _wall_to_epoch(zone, base + w.start)
                b = _wall_to_epoch(zone, base + w.end + (DAY if w.end < w.start else 0))
                if b > a:
                    starts.append(a)
                    ends.append(b)
        return np.array(starts, dtype=np.int64), np.array(ends, dtype=np.int64)

    def _assemble(self, year_lo: int, year_hi: int, *, bounded: bool) -> _Table:
        if year_lo < MIN_YEAR - 1 or year_hi > MAX_YEAR + 2:
            raise OverflowError(f"business time is computed for instants in years {MIN_YEAR}–{MAX_YEAR}")
        for year in range(year_lo, year_hi):
            if year not in self._years:
                self._years[year] = self._build_year(year)
        parts = [self._years[y] for y in range(year_lo, year_hi)]
        starts = np.concatenate([np.zeros(0, np.int64), *(p[0] for p in parts)])
        ends = np.concatenate([np.zeros(0, np.int64), *(p[1] for p in parts)])
        if len(starts):
            if (np.diff(starts) < 0).any():
                order = np.argsort(starts, kind="stable")
                starts, ends = starts[order], ends[order]
            run = np.maximum.accumulate(ends)
            new = np.ones(len(starts), dtype=bool)
            new[1:] = starts[1:] > run[:-1]
            first = np.flatnonzero(new)
            starts, ends = starts[first], run[np.append(first[1:] - 1, len(run) - 1)]
        cum_end = np.cumsum(ends - starts)
        # The sentinel at -∞, then shift F so that F(anchor) == 0 whatever years get built.
        starts, ends = np.append(-_FAR, starts), np.append(-_FAR, ends)
        cum_end = np.append(0, cum_end).astype(np.int64)
        base = np.append(_FAR, cum_end[1:] - ends[1:]).astype(np.int64)
        zone = self.calendar.zone
        if bounded:
            lo, hi = -_FAR, _FAR
        else:
            lo, hi = _local_midnight(zone, date(year_lo, 1, 2)), _local_midnight(zone, date(year_hi, 1, 1))

        def table(base: I64, cum_end: I64, f_lo: int, v_max: int) -> _Table:
            sl, el, bl, cel = starts.tolist(), ends.tolist(), base.tolist(), cum_end.tolist()
            return _Table(year_lo, year_hi, lo, hi, f_lo, v_max, starts, ends, base, cum_end, sl, el, bl, cel)

        if self._anchor is None:
            self._anchor = lo
        shift = _f(table(base, cum_end, 0, 0), self._anchor)
        base, cum_end = base - shift, cum_end - shift
        shifted = table(base, cum_end, 0, 0)
        if bounded:
            return table(base, cum_end, -shift, int(cum_end[-1]))
        return table(base, cum_end, _f(shifted, lo), _f(shifted, hi) - 1)

    def _grow(self, t_lo: int, t_hi: int) -> _Table:
        with self._lock:
            tab = self._tab
            if tab is not None and tab.lo <= t_lo and t_hi < tab.hi:
                return tab
            if not self.calendar.unbounded:
                years = self.calendar.open_years() or (MIN_YEAR, MIN_YEAR - 1)
                tab = self._assemble(years[0], years[1] + 1, bounded=True)
            else:
                year_lo, year_hi = _from_epoch(t_lo).year - 1, _from_epoch(t_hi).year + 2
                if tab is not None:
                    year_lo, year_hi = min(year_lo, tab.year_lo), max(year_hi, tab.year_hi)
                tab = self._assemble(year_lo, year_hi, bounded=False)
            self._tab = tab
            return tab

    def _ensure(self, t_lo: int, t_hi: int) -> _Table:
        tab = self._tab
        if tab is not None and tab.lo <= t_lo and t_hi < tab.hi:
            return tab
        return self._grow(t_lo, t_hi)

    def _ensure_value(self, v: int) -> _Table:
        tab = self._tab
        assert tab is not None  # noqa: S101 - a value comes from a built table
        while v > tab.v_max:
            if not self.calendar.unbounded:
                raise NoOpenTimeError("the calendar has no open time left for this target")
            with self._lock:
                tab = self._tab
                assert tab is not None  # noqa: S101
                if v <= tab.v_max:
                    break
                per_year = max(1, (tab.v_max - tab.f_lo) // max(1, tab.year_hi - tab.year_lo - 1))
                more = (v - tab.v_max) // per_year + 1
                tab = self._assemble(tab.year_lo, tab.year_hi + min(more, MAX_YEAR), bounded=False)
                self._tab = tab
        return tab

    def prebuild(self, start: datetime, end: datetime) -> None:
        """Build the intervals covering ``[start, end]`` now (they are otherwise built on demand)."""
        self._ensure(_to_epoch(start), _to_epoch(end))

    def intervals(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """The business intervals (UTC) that meet ``[start, end)``, clipped to it."""
        a, b = _to_epoch(start), _to_epoch(end)
        tab = self._ensure(a, max(a, b))
        out = []
        for i in range(bisect_right(tab.s, a) - 1, len(tab.s)):
            if tab.s[i] >= b:
                break
            lo, hi = max(tab.s[i], a), min(tab.e[i], b)
            if hi > lo:
                out.append((_from_epoch(lo), _from_epoch(hi)))
        return out

    # ---- scalar operations

    def elapsed(self, at: datetime) -> int:
        """F(at): business seconds since the engine's anchor (only differences mean something)."""
        t = _to_epoch(at)
        return _f(self._ensure(t, t), t)

    def business_seconds_between(self, a: datetime, b: datetime, *, pauses: Pauses = ()) -> int:
        ta, tb = _to_epoch(a), _to_epoch(b)
        lo, hi = (ta, tb) if ta <= tb else (tb, ta)
        tab = self._ensure(lo, hi)
        total = _f(tab, hi) - _f(tab, lo)
        for pa, pb in _merge_scalar(pauses, lo, hi) if pauses else ():
            total -= _f(tab, pb) - _f(tab, pa)
        return total if ta <= tb else -total

    def add_business_seconds(
        self, start: datetime, seconds: int, *, convention: Convention = "stay", pauses: Pauses = ()
    ) -> datetime:
        """The earliest instant with ``seconds`` of business time since ``start`` (see the conventions)."""
        try:
            t0 = (start - _EPOCH) // _SECOND  # _to_epoch, inlined (the hot path)
        except TypeError:
            t0 = _to_epoch(start)  # raises the ValueError for a naive datetime
        if seconds.__class__ is not int or seconds <= 0:
            seconds = _check_target(seconds)
            if seconds == 0:
                _check_convention(convention)
                return _from_epoch(t0)
        # The hot path, inlined: v = F(t0) + seconds, due = F⁻¹(v).
        tab = self._tab
        if tab is None or not tab.lo <= t0 < tab.hi:
            tab = self._ensure(t0, t0)
        i = bisect_right(tab.s, t0) - 1
        e = tab.e[i]
        v = tab.b[i] + (t0 if t0 < e else e) + seconds
        if v > tab.v_max:
            tab = self._ensure_value(v)
        due = v - tab.b[bisect_left(tab.ce, v)]
        if convention != "stay" or pauses:
            _check_convention(convention)
            due = self._pauses_and_roll(t0, v, due, convention, pauses)
        try:
            return _fromtimestamp(due, UTC)  # _from_epoch, inlined
        except (OverflowError, OSError, ValueError):  # pragma: no cover - a platform whose gmtime is narrower
            return _EPOCH + timedelta(seconds=due)

    def _pauses_and_roll(self, t0: int, v: int, due: int, convention: Convention, pauses: Pauses) -> int:
        merged = _merge_scalar(pauses, t0, _FAR) if pauses else []
        for pa, pb in merged:
            if pa >= due:
                break  # the target is reached before this pause (and the later ones) begins
            tab = self._ensure(t0, pb)
            v += _f(tab, pb) - _f(tab, pa)
            due = _finv(self._ensure_value(v), v)
        if convention == "next_open":
            rolled = self._next_running(due, merged)
            if rolled is not None:
                due = rolled
        return due

    def is_open(self, at: datetime, *, pauses: Pauses = ()) -> bool:
        t = _to_epoch(at)
        tab = self._ensure(t, t)
        if t >= tab.e[bisect_right(tab.s, t) - 1]:
            return False
        return not (pauses and _merge_scalar(pauses, t, t + 1))

    def next_opening(self, at: datetime, *, pauses: Pauses = ()) -> datetime | None:
        """The earliest instant >= ``at`` at which the clock runs (``at`` itself when open); ``None``: never."""
        t = _to_epoch(at)
        found = self._next_running(t, _merge_scalar(pauses, t, _FAR) if pauses else [])
        return None if found is None else _from_epoch(found)

    def _calendar_next(self, t: int) -> int | None:
        tab = self._ensure(t, t)
        while True:
            i = bisect_right(tab.s, t) - 1
            if t < tab.e[i]:
                return t
            if i + 1 < len(tab.s) and tab.s[i + 1] < tab.hi:
                return tab.s[i + 1]
            if not self.calendar.unbounded:
                return None
            tab = self._grow(t, tab.hi)

    def _next_running(self, t: int, merged: list[tuple[int, int]]) -> int | None:
        while True:
            x = self._calendar_next(t)
            if x is None or not merged:
                return x
            k = bisect_right(merged, (x, _FAR)) - 1
            if k < 0 or x >= merged[k][1]:
                return x
            t = merged[k][1]  # inside a pause: look again from its end

    # ---- batch operations (int64 Unix seconds or datetime64 in, the same kind out)

    def _batch_pauses(self, pauses: BatchPauses | None, n: int) -> tuple[I64, I64, I64]:
        if pauses is None:
            empty = np.zeros(0, np.int64)
            return empty, empty, empty
        owner = np.asarray(pauses.owner).astype(np.int64)
        ps, _ = _array_epochs(pauses.starts)
        pe, _ = _array_epochs(pauses.ends)
        if not (owner.shape == ps.shape == pe.shape):
            raise ValueError("pause owners, starts and ends must have the same length")
        if len(owner) and (owner.min() < 0 or owner.max() >= n):
            raise ValueError("a pause belongs to no item")
        if (pe < ps).any():
            raise ValueError("a pause ends before it starts")
        return owner, ps, pe

    def _cover(self, t: I64) -> _Table:
        return self._ensure(int(t.min()), int(t.max()))

    def elapsed_many(self, at: I64 | D64) -> I64:
        t, _ = _array_epochs(at)
        return _f_many(self._cover(t), t) if len(t) else t

    def business_seconds_between_many(self, a: I64 | D64, b: I64 | D64, *, pauses: BatchPauses | None = None) -> I64:
        ta, _ = _array_epochs(a)
        tb, _ = _array_epochs(b)
        if ta.shape != tb.shape:
            raise ValueError("a and b must have the same shape")
        if not len(ta):
            return ta
        lo, hi = np.minimum(ta, tb), np.maximum(ta, tb)
        tab = self._ensure(int(lo.min()), int(hi.max()))
        total = _f_many(tab, hi) - _f_many(tab, lo)
        owner, ps, pe = self._batch_pauses(pauses, len(ta))
        if len(owner):
            owner, ps, pe = _merge_pauses(owner, np.maximum(ps, lo[owner]), np.minimum(pe, hi[owner]))
            np.subtract.at(total, owner, _f_many(tab, pe) - _f_many(tab, ps))
        return np.where(tb >= ta, total, -total)

    def is_open_many(self, at: I64 | D64, *, pauses: BatchPauses | None = None) -> npt.NDArray[np.bool_]:
        t, _ = _array_epochs(at)
        if not len(t):
            return np.zeros(0, dtype=bool)
        result = _open_many(self._cover(t), t)
        owner, ps, pe = self._batch_pauses(pauses, len(t))
        inside = (ps <= t[owner]) & (t[owner] < pe)
        result[owner[inside]] = False
        return result

    def _calendar_next_many(self, x: I64) -> I64:
        """The next instant >= x at which the calendar is open; _FAR when it never is."""
        if not len(x):
            return x.copy()
        tab = self._cover(x)
        while True:
            i = np.searchsorted(tab.starts, x, side="right") - 1
            open_ = x < tab.ends[i]
            j = np.minimum(i + 1, len(tab.s) - 1)
            has_next = (i + 1 < len(tab.s)) & (tab.starts[j] < tab.hi)
            if self.calendar.unbounded and (~open_ & ~has_next).any():
                tab = self._grow(int(x.min()), tab.hi)
                continue
            return np.where(open_, x, np.where(has_next, tab.starts[j], _FAR))

    def _next_running_many(self, x: I64, owner: I64, ps: I64, pe: I64) -> I64:
        """The next instant >= x at which the clock runs, given merged pauses per item; _FAR: never."""
        x = self._calendar_next_many(x)
        for _ in range(len(ps)):
            xo = x[owner]
            inside = (ps <= xo) & (xo < pe)
            if not inside.any():
                break
            x[owner[inside]] = self._calendar_next_many(pe[inside])
        return x

    @overload
    def next_opening_many(self, at: D64, *, pauses: BatchPauses | None = None) -> D64: ...
    @overload
    def next_opening_many(self, at: I64, *, pauses: BatchPauses | None = None) -> I64: ...
    def next_opening_many(self, at: I64 | D64, *, pauses: BatchPauses | None = None) -> I64 | D64:
        t, as_dt = _array_epochs(at)
        found = self._next_running_many(t, *_merge_pauses(*self._batch_pauses(pauses, len(t))))
        if (found == _FAR).any():
            raise NoOpenTimeError("the calendar never opens again after some of these instants")
        return found.astype("datetime64[s]") if as_dt else found

    @overload
    def add_business_seconds_many(
        self, starts: D64, seconds: int | I64, *, convention: Convention = ..., pauses: BatchPauses | None = ...
    ) -> D64: ...
    @overload
    def add_business_seconds_many(
        self, starts: I64, seconds: int | I64, *, convention: Convention = ..., pauses: BatchPauses | None = ...
    ) -> I64: ...
    def add_business_seconds_many(
        self,
        starts: I64 | D64,
        seconds: int | I64,
        *,
        convention: Convention = "stay",
        pauses: BatchPauses | None = None,
    ) -> I64 | D64:
        """Due instants for many (start, target, pauses) at once; the same answers as the scalar path."""
        t0, as_dt = _array_epochs(starts)
        raw = np.asarray(seconds)
        if raw.dtype.kind not in "iu":
            raise TypeError("targets are whole seconds (an integer array)")
        s = np.broadcast_to(raw.astype(np.int64), t0.shape)
        if len(s) and s.min() < 0:
            raise ValueError("a target is a whole number of seconds >= 0")
        _check_convention(convention)
        owner, ps, pe = self._batch_pauses(pauses, len(t0))
        live = s > 0
        if not live.any():
            return t0.astype("datetime64[s]") if as_dt else t0
        tab = self._cover(t0)
        v = _f_many(tab, t0) + s
        tab = self._ensure_value(int(v.max()))
        due = np.where(live, _finv_many(tab, v), t0) if not live.all() else _finv_many(tab, v)
        if len(owner):
            owner, ps, pe = _merge_pauses(owner, np.maximum(ps, t0[owner]), pe)
            keep = live[owner]
            owner, ps, pe = owner[keep], ps[keep], pe[keep]
        if len(owner):  # the k-th pause of every item at once, k = 0, 1, ...
            group_start = np.ones(len(owner), dtype=bool)
            group_start[1:] = owner[1:] != owner[:-1]
            positions = np.arange(len(owner))
            rank = positions - np.maximum.accumulate(np.where(group_start, positions, 0))
            order = np.argsort(rank, kind="stable")
            bounds = np.searchsorted(rank[order], np.arange(int(rank.max()) + 2))
            for k in range(int(rank.max()) + 1):
                sel = order[bounds[k] : bounds[k + 1]]
                o, pa, pb = owner[sel], ps[sel], pe[sel]
                active = pa < due[o]
                if not active.any():
                    break  # later pauses begin later still
                o, pa, pb = o[active], pa[active], pb[active]
                tab = self._ensure(int(t0.min()), int(pb.max()))
                v[o] += _f_many(tab, pb) - _f_many(tab, pa)
                tab = self._ensure_value(int(v[o].max()))
                due[o] = _finv_many(tab, v[o])
        if convention == "next_open":  # roll what is not running: at a closing time, or at a pause
            paused_items = np.zeros(len(t0), dtype=bool)
            paused_items[owner] = True
            idx = np.flatnonzero(live & (paused_items | ~_open_many(self._cover(due), due)))
            remap = np.full(len(t0), -1, dtype=np.int64)
            remap[idx] = np.arange(len(idx))
            sub = remap[owner] >= 0
            rolled = self._next_running_many(due[idx], remap[owner[sub]], ps[sub], pe[sub])
            due[idx] = np.where(rolled == _FAR, due[idx], rolled)
        return due.astype("datetime64[s]") if as_dt else due


# --------------------------------------------------------------------------------------------- cache and API

_ENGINES: OrderedDict[str, SlaEngine] = OrderedDict()
_ENGINES_LOCK = threading.Lock()


def engine_for(calendar: Calendar) -> SlaEngine:
    """The cached engine of this calendar definition (LRU over :attr:`Calendar.key`)."""
    with _ENGINES_LOCK:
        engine = _ENGINES.get(calendar.key)
        if engine is None:
            engine = _ENGINES[calendar.key] = SlaEngine(calendar)
            while len(_ENGINES) > ENGINE_CACHE_SIZE:
                _ENGINES.popitem(last=False)
        else:
            _ENGINES.move_to_end(calendar.key)
        return engine


def clear_engine_cache() -> None:
    with _ENGINES_LOCK:
        _ENGINES.clear()


def business_seconds_between(calendar: Calendar, a: datetime, b: datetime, *, pauses: Pauses = ()) -> int:
    """Business seconds from ``a`` to ``b`` less paused ones (negative when ``b < a``)."""
    return engine_for(calendar).business_seconds_between(a, b, pauses=pauses)


def add_business_seconds(
    calendar: Calendar, start: datetime, seconds: int, *, convention: Convention = "stay", pauses: Pauses = ()
) -> datetime:
    """The due instant: ``seconds`` of business time after ``start``, paused time not counting."""
    return engine_for(calendar).add_business_seconds(start, seconds, convention=convention, pauses=pauses)


def is_open(calendar: Calendar, at: datetime, *, pauses: Pauses = ()) -> bool:
    return engine_for(calendar).is_open(at, pauses=pauses)


def next_opening(calendar: Calendar, at: datetime, *, pauses: Pauses = ()) -> datetime | None:
    """The earliest instant >= ``at`` at which the clock runs; ``None`` if the calendar never opens again."""
    return engine_for(calendar).next_opening(at, pauses=pauses)
