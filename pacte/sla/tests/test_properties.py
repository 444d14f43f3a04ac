"""Property tests of the SLA engine (hypothesis): inverse, earliest, monotonic, additive, batch == scalar,
and an independent oracle that reads each instant's local wall-clock time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pacte.sla.domain import (
    CALENDAR_TIME,
    WEEKDAYS,
    BatchPauses,
    Calendar,
    DayException,
    HolidayRegion,
    Window,
    engine_for,
)

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
SECOND = timedelta(seconds=1)
WORK = WEEKDAYS[:5]
DST_SUNDAYS = [date(2025, 3, 30), date(2025, 10, 26), date(2026, 3, 29), date(2026, 10, 25), date(2027, 3, 28)]

# Calendars whose window edges never fall in a DST gap or fold: the wall-clock oracle applies exactly.
ORACLE_CALENDARS = [
    Calendar.weekly("Europe/Paris", {d: [("09:00", "18:00")] for d in WORK}, holidays=HolidayRegion("FR")),
    Calendar.weekly(
        "Europe/Paris",
        {**{d: [("08:00", "12:00"), ("13:30", "18:00")] for d in WORK}, "sat": [("09:00", "12:00")]},
        holidays=HolidayRegion("FR", "57"),
        exceptions=(
            DayException.partial(date(2026, 12, 24), [Window.parse("09:00", "12:00")]),
            DayException.closed(date(2026, 8, 14)),
            DayException.extra_opening(date(2026, 3, 29), [Window.parse("10:00", "11:00")]),
        ),
    ),
    Calendar.weekly("Europe/Paris", {d: [("22:00", "06:00")] for d in WEEKDAYS}, holidays=HolidayRegion("FR")),
    Calendar.always_open("Europe/Paris").with_exceptions(*(DayException.closed(d) for d in DST_SUNDAYS)),
    Calendar.weekly("Indian/Reunion", {d: [("07:30", "16:30")] for d in WORK}, holidays=HolidayRegion("FR", "974")),
    Calendar.weekly("America/New_York", {d: [("08:00", "17:00")] for d in WORK}),
    Calendar.weekly("Australia/Lord_Howe", {d: [("01:00", "03:00"), ("09:00", "17:00")] for d in WEEKDAYS}),
    CALENDAR_TIME,
]
# Plus one whose edges sit in Europe/Paris's gap and fold (the DST rule decides).
CALENDARS = [
    *ORACLE_CALENDARS,
    Calendar.weekly("Europe/Paris", {"sun": [("01:30", "02:30"), ("02:30", "03:30")], "mon": [("09:00", "10:00")]}),
]

instants = st.integers(
    int(datetime(2025, 6, 1, tzinfo=UTC).timestamp()), int(datetime(2027, 12, 31, tzinfo=UTC).timestamp())
).map(lambda s: EPOCH + timedelta(seconds=s))
targets = st.one_of(st.integers(0, 60 * 3600), st.integers(0, 3 * 365 * 86_400))
calendars = st.sampled_from(CALENDARS)
conventions = st.sampled_from(["stay", "next_open"])


@st.composite
def pause_lists(draw: st.DrawFn, around: datetime) -> list[tuple[datetime, datetime]]:
    out = []
    for _ in range(draw(st.integers(0, 4))):
        begin = around + timedelta(seconds=draw(st.integers(-2 * 86_400, 20 * 86_400)))
        out.append((begin, begin + timedelta(seconds=draw(st.integers(0, 3 * 86_400)))))
    return out


@FAST
@given(calendars, instants, targets, conventions)
def test_adding_then_measuring_gives_the_target_back(cal: Calendar, t: datetime, s: int, convention: str) -> None:
    engine = engine_for(cal)
    due = engine.add_business_seconds(t, s, convention=convention)  # type: ignore[arg-type]
    assert due.tzinfo is UTC and due >= t
    assert engine.business_seconds_between(t, due) == s
    assert engine.elapsed(due) - engine.elapsed(t) == s
    stay = engine.add_business_seconds(t, s)
    if s > 0:  # the earliest such instant: one second before, one business second is missing
        assert engine.business_seconds_between(t, stay - SECOND) == s - 1
        if convention == "next_open":
            assert due >= stay and engine.business_seconds_between(stay, due) == 0
            assert engine.is_open(due)


@FAST
@given(calendars, st.data(), targets, conventions)
def test_pauses_only_push_the_due_date_later(cal: Calendar, data: st.DataObject, s: int, convention: str) -> None:
    engine = engine_for(cal)
    t = data.draw(instants)
    pauses = data.draw(pause_lists(t))
    due = engine.add_business_seconds(t, s, convention=convention, pauses=pauses)  # type: ignore[arg-type]
    assert due >= engine.add_business_seconds(t, s, convention=convention)  # type: ignore[arg-type]
    assert engine.business_seconds_between(t, due, pauses=pauses) == s
    if s > 0:
        stay = engine.add_business_seconds(t, s, pauses=pauses)
        assert engine.business_seconds_between(t, stay - SECOND, pauses=pauses) == s - 1
        if convention == "next_open":
            assert engine.is_open(due, pauses=pauses)


@FAST
@given(calendars, instants, instants, targets, targets)
def test_monotonic(cal: Calendar, t1: datetime, t2: datetime, s1: int, s2: int) -> None:
    engine = engine_for(cal)
    t1, t2 = min(t1, t2), max(t1, t2)
    s1, s2 = min(s1, s2), max(s1, s2)
    assert engine.add_business_seconds(t1, s1) <= engine.add_business_seconds(t1, s2)
    assert engine.add_business_seconds(t1, s1) <= engine.add_business_seconds(t2, s1)
    elapsed = engine.business_seconds_between(t1, t2)
    assert 0 <= elapsed <= (t2 - t1) // SECOND
    assert engine.elapsed(t1) <= engine.elapsed(t2)


@FAST
@given(calendars, instants, instants, instants, st.data())
def test_additive_and_signed(cal: Calendar, a: datetime, b: datetime, c: datetime, data: st.DataObject) -> None:
    engine = engine_for(cal)
    pauses = data.draw(pause_lists(min(a, b, c)))
    ab = engine.business_seconds_between(a, b, pauses=pauses)
    bc = engine.business_seconds_between(b, c, pauses=pauses)
    assert ab + bc == engine.business_seconds_between(a, c, pauses=pauses)
    assert engine.business_seconds_between(b, a, pauses=pauses) == -ab
    assert abs(ab) <= abs(engine.business_seconds_between(a, b))


@FAST
@given(calendars, instants, st.data())
def test_is_open_and_next_opening(cal: Calendar, t: datetime, data: st.DataObject) -> None:
    engine = engine_for(cal)
    pauses = data.draw(pause_lists(t))
    for ps in ([], pauses):
        assert engine.is_open(t, pauses=ps) == (engine.business_seconds_between(t, t + SECOND, pauses=ps) == 1)
        opening = engine.next_opening(t, pauses=ps)
        assert opening is not None and opening >= t
        assert engine.is_open(opening, pauses=ps)
        assert engine.business_seconds_between(t, opening, pauses=ps) == 0


def _epoch(x: datetime) -> int:
    return (x - EPOCH) // SECOND


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(calendars, st.lists(st.tuples(instants, targets, st.integers(0, 3)), min_size=1, max_size=12), st.data())
def test_batch_equals_scalar(cal: Calendar, items: list[tuple[datetime, int, int]], data: st.DataObject) -> None:
    engine = engine_for(cal)
    per_item = [[] if n == 0 else data.draw(pause_lists(t)) for t, _, n in items]
    starts = np.array([_epoch(t) for t, _, _ in items], dtype=np.int64)
    seconds = np.array([s for _, s, _ in items], dtype=np.int64)
    pauses = BatchPauses.from_lists(per_item)
    for convention in ("stay", "next_open"):
        got = engine.add_business_seconds_many(starts, seconds, convention=convention, pauses=pauses)  # type: ignore[call-overload]
        want = [
            _epoch(engine.add_business_seconds(t, s, convention=convention, pauses=p))  # type: ignore[arg-type]
            for (t, s, _), p in zip(items, per_item, strict=True)
        ]
        assert got.tolist() == want
        got64 = engine.add_business_seconds_many(
            starts.astype("datetime64[s]"), seconds, convention=convention, pauses=pauses
        )  # type: ignore[call-overload]
        assert got64.astype(np.int64).tolist() == want
    ends = got
    assert engine.business_seconds_between_many(starts, ends, pauses=pauses).tolist() == seconds.tolist()
    assert engine.business_seconds_between_many(ends, starts).tolist() == [
        engine.business_seconds_between(EPOCH + e * SECOND, EPOCH + s * SECOND)
        for s, e in zip(starts, ends, strict=True)
    ]
    assert engine.is_open_many(ends, pauses=pauses).tolist() == [
        engine.is_open(EPOCH + e * SECOND, pauses=p) for e, p in zip(ends, per_item, strict=True)
    ]
    assert engine.next_opening_many(starts, pauses=pauses).tolist() == [
        _epoch(engine.next_opening(t, pauses=p))
        for (t, _, _), p in zip(items, per_item, strict=True)  # type: ignore[arg-type]
    ]
    assert engine.elapsed_many(starts).tolist() == [engine.elapsed(t) for t, _, _ in items]


def _oracle_open(cal: Calendar, t: datetime) -> bool:
    """Open at t? Read t's local wall-clock time and look at that day's and the day before's windows."""
    local = t.astimezone(ZoneInfo(cal.timezone))
    day, sec = local.date(), local.hour * 3600 + local.minute * 60 + local.second
    for w in cal.windows_on(day):
        if (w.start <= sec < w.end) if not w.overnight else sec >= w.start:
            return True
    return any(w.overnight and sec < w.end for w in cal.windows_on(day - timedelta(days=1)))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(ORACLE_CALENDARS), instants, st.integers(1, 3 * 96))
def test_agrees_with_a_wall_clock_oracle(cal: Calendar, t: datetime, slots: int) -> None:
    """Every window edge is on a 15-minute grid in UTC too: count open quarter-hours one by one."""
    engine = engine_for(cal)
    quarter = timedelta(minutes=15)
    a = EPOCH + (_epoch(t) // 900) * 900 * SECOND
    count = 0
    for k in range(slots):
        x = a + k * quarter
        is_open = _oracle_open(cal, x)
        assert engine.is_open(x) == is_open, x
        count += is_open
    assert engine.business_seconds_between(a, a + slots * quarter) == 900 * count
    assert engine.is_open(t) == _oracle_open(cal, t)
