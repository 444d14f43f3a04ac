"""Exact cases of the SLA engine: DOMAIN.md's figures, DST, holidays by subdivision, conventions, pauses."""

from __future__ import annotations

import os
import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from pacte.sla.domain import (
    CALENDAR_TIME,
    WEEKDAYS,
    BatchPauses,
    Calendar,
    CalendarError,
    DayException,
    HolidayRegion,
    NoOpenTimeError,
    SlaEngine,
    Window,
    add_business_seconds,
    business_seconds_between,
    clear_engine_cache,
    engine_for,
    is_open,
    next_opening,
)

PARIS = ZoneInfo("Europe/Paris")
REUNION = ZoneInfo("Indian/Reunion")
H = 3600


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def office(subdiv: str | None = None, tz: str = "Europe/Paris", **kwargs: object) -> Calendar:
    """Mon–Fri 09:00–18:00 with French public holidays."""
    return Calendar.weekly(
        tz,
        {d: [("09:00", "18:00")] for d in WEEKDAYS[:5]},
        holidays=HolidayRegion("FR", subdiv),
        **kwargs,
    )


def every_day(*windows: tuple[str, str], tz: str = "Europe/Paris", **kwargs: object) -> Calendar:
    return Calendar.weekly(tz, {d: list(windows) for d in WEEKDAYS}, **kwargs)


# ------------------------------------------------------------------------------------------- holidays


def test_french_national_holidays_2026() -> None:
    assert list(office().holidays_in(2026)) == [
        date(2026, 1, 1),
        date(2026, 4, 6),
        date(2026, 5, 1),
        date(2026, 5, 8),
        date(2026, 5, 14),
        date(2026, 5, 25),
        date(2026, 7, 14),
        date(2026, 8, 15),
        date(2026, 11, 1),
        date(2026, 11, 11),
        date(2026, 12, 25),
    ]


def test_holiday_names_follow_the_calendar_language_not_the_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    monkeypatch.setenv("LC_ALL", "en_US.UTF-8")
    assert office().holidays_in(2026)[date(2026, 12, 25)] == "Noël"
    assert HolidayRegion("FR", None, "en_US").holidays(2026)[date(2026, 12, 25)] == "Christmas Day"


def test_working_days_1_to_15_may_2026_is_8() -> None:
    assert business_seconds_between(office(), paris(2026, 5, 1), paris(2026, 5, 16)) == 8 * 9 * H


def test_alsace_moselle_good_friday_and_saint_stephen() -> None:
    good_friday = paris(2026, 4, 3, 10)
    assert not is_open(office("57"), good_friday)
    assert is_open(office(), good_friday)
    assert is_open(office("974"), good_friday)
    assert business_seconds_between(office("57"), paris(2025, 12, 26), paris(2025, 12, 27)) == 0
    assert business_seconds_between(office(), paris(2025, 12, 26), paris(2025, 12, 27)) == 9 * H
    assert business_seconds_between(office("57"), paris(2025, 4, 18), paris(2025, 4, 19)) == 0  # Fri 18 Apr 2025


def test_reunion_abolition_day_and_no_dst() -> None:
    cal = office("974", tz="Indian/Reunion")
    # 20 Dec 2027 is a Monday: closed in Réunion, open with the mainland's holidays in the same zone.
    monday = datetime(2027, 12, 20, 10, tzinfo=REUNION)
    assert not is_open(cal, monday)
    assert is_open(office(None, tz="Indian/Reunion"), monday)
    assert office("974").holidays_in(2026)[date(2026, 12, 20)] == "Abolition de l'esclavage"
    # UTC+4 all year: 09:00 local is 05:00 UTC in January and in July.
    assert next_opening(cal, utc(2026, 1, 6, 0)) == utc(2026, 1, 6, 5)
    assert next_opening(cal, utc(2026, 7, 6, 0)) == utc(2026, 7, 6, 5)
    # Friday 18 Dec 2026 17:00 + 2 h: Monday 21 Dec 10:00 local (the Sunday holiday changes nothing).
    due = add_business_seconds(cal, datetime(2026, 12, 18, 17, tzinfo=REUNION), 2 * H)
    assert due == datetime(2026, 12, 21, 10, tzinfo=REUNION)
    # A 7-day calendar is closed on Sunday 20 Dec 2026.
    seven = every_day(("09:00", "18:00"), tz="Indian/Reunion", holidays=HolidayRegion("FR", "974"))
    assert (
        business_seconds_between(seven, datetime(2026, 12, 20, tzinfo=REUNION), datetime(2026, 12, 21, tzinfo=REUNION))
        == 0
    )


def test_holidays_can_be_kept_open_and_given_as_dates() -> None:
    labour_day = paris(2026, 5, 1, 10)
    assert is_open(office(holidays_close=False), labour_day)
    explicit = Calendar.weekly(
        "Europe/Paris", {d: [("09:00", "18:00")] for d in WEEKDAYS[:5]}, holiday_dates=[date(2026, 5, 4)]
    )
    assert is_open(explicit, labour_day)
    assert not is_open(explicit, paris(2026, 5, 4, 10))


# ------------------------------------------------------------------------------------------- DST


def test_24x7_counts_the_real_length_of_dst_days() -> None:
    cal = Calendar.always_open("Europe/Paris")
    assert business_seconds_between(cal, paris(2026, 3, 29), paris(2026, 3, 30)) == 23 * H
    assert business_seconds_between(cal, paris(2026, 10, 25), paris(2026, 10, 26)) == 25 * H
    assert add_business_seconds(cal, paris(2026, 3, 29), 24 * H) == paris(2026, 3, 30, 1)
    # Calendar time in UTC is the same thing whatever the zone of the arguments.
    assert business_seconds_between(CALENDAR_TIME, paris(2026, 10, 25), paris(2026, 10, 26)) == 25 * H
    assert add_business_seconds(CALENDAR_TIME, utc(2026, 1, 1), 86_400 * 365) == utc(2027, 1, 1)


def test_overnight_window_across_both_dst_nights() -> None:
    nights = every_day(("22:00", "06:00"))
    # Saturday 28 Mar 22:00 CET → Sunday 29 Mar 06:00 CEST: 7 real hours.
    assert business_seconds_between(nights, paris(2026, 3, 28, 12), paris(2026, 3, 29, 12)) == 7 * H
    assert add_business_seconds(nights, paris(2026, 3, 28, 22), 7 * H) == utc(2026, 3, 29, 4)
    # Saturday 24 Oct 22:00 CEST → Sunday 25 Oct 06:00 CET: 9 real hours.
    assert business_seconds_between(nights, paris(2026, 10, 24, 12), paris(2026, 10, 25, 12)) == 9 * H
    assert add_business_seconds(nights, paris(2026, 10, 24, 22), 8 * H) == utc(2026, 10, 25, 4)
    assert is_open(nights, utc(2026, 10, 25, 0, 30)) and is_open(nights, utc(2026, 10, 25, 1, 30))


def test_overnight_window_belongs_to_the_day_it_starts() -> None:
    fri_night = Calendar.weekly("Europe/Paris", {"fri": [("22:00", "06:00")]})
    assert business_seconds_between(fri_night, paris(2026, 5, 1), paris(2026, 5, 4)) == 8 * H
    # Closing Saturday does not cut Friday's tail; closing Friday removes the whole night.
    sat = DayException.closed(date(2026, 5, 2))
    fri = DayException.closed(date(2026, 5, 1))
    assert business_seconds_between(fri_night.with_exceptions(sat), paris(2026, 5, 1), paris(2026, 5, 4)) == 8 * H
    assert business_seconds_between(fri_night.with_exceptions(fri), paris(2026, 5, 1), paris(2026, 5, 4)) == 0


def test_window_edges_at_nonexistent_and_ambiguous_local_times() -> None:
    spring = Calendar.weekly("Europe/Paris", {"sun": [("02:30", "04:00")]})
    # 02:30 does not exist on 29 Mar 2026: the window opens at the transition, 03:00 CEST = 01:00 UTC.
    assert engine_for(spring).intervals(paris(2026, 3, 29), paris(2026, 3, 30)) == [
        (utc(2026, 3, 29, 1), utc(2026, 3, 29, 2))
    ]
    # 02:30 happens twice on 25 Oct 2026: the first one (CEST, 00:30 UTC); 04:00 CET is 03:00 UTC.
    assert engine_for(spring).intervals(paris(2026, 10, 25), paris(2026, 10, 26)) == [
        (utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 3))
    ]
    gap_only = Calendar.weekly("Europe/Paris", {"sun": [("02:00", "03:00")]})
    assert business_seconds_between(gap_only, paris(2026, 3, 29), paris(2026, 3, 30)) == 0
    assert business_seconds_between(gap_only, paris(2026, 10, 25), paris(2026, 10, 26)) == 2 * H
    split = Calendar.weekly("Europe/Paris", {"sun": [("01:00", "02:30"), ("02:30", "04:00")]})
    for day in (29, 25):
        month = 3 if day == 29 else 10
        (interval,) = engine_for(split).intervals(paris(2026, month, day), paris(2026, month, day + 1))
        assert interval == (paris(2026, month, day, 1), paris(2026, month, day, 4))


def test_closure_exception_on_a_dst_sunday() -> None:
    # No French public holiday ever falls on a DST Sunday: close them by exception on a 7-day calendar.
    closures = [DayException.closed(date(2026, 3, 29), "Fermeture"), DayException.closed(date(2026, 10, 25))]
    seven = every_day(("08:00", "20:00"), holidays=HolidayRegion("FR"), exceptions=closures)
    for sat, mon in ((28, 30), (24, 26)):
        month = 3 if sat == 28 else 10
        assert business_seconds_between(seven, paris(2026, month, sat, 20), paris(2026, month, mon, 8)) == 0
        assert add_business_seconds(seven, paris(2026, month, sat, 19), 2 * H) == paris(2026, month, mon, 9)
    # 24×7 with the DST days closed: the 72 hours from Saturday to Tuesday lose only that day.
    always = Calendar.always_open("Europe/Paris").with_exceptions(*closures)
    assert business_seconds_between(always, paris(2026, 3, 28), paris(2026, 3, 31)) == 48 * H
    assert business_seconds_between(always, paris(2026, 10, 24), paris(2026, 10, 27)) == 48 * H
    assert add_business_seconds(always, paris(2026, 3, 28, 23), 1 * H) == paris(2026, 3, 29)  # closing: stays
    assert add_business_seconds(always, paris(2026, 3, 28, 23), 1 * H, convention="next_open") == paris(2026, 3, 30)
    assert add_business_seconds(always, paris(2026, 3, 28, 23), 2 * H) == paris(2026, 3, 30, 1)


# ------------------------------------------------------------------------------------------- conventions


def test_deadline_exactly_at_closing_time_both_conventions() -> None:
    cal = office()
    start = paris(2026, 5, 4, 17)  # Monday
    assert add_business_seconds(cal, start, H) == paris(2026, 5, 4, 18)
    assert add_business_seconds(cal, start, H, convention="stay") == paris(2026, 5, 4, 18)
    assert add_business_seconds(cal, start, H, convention="next_open") == paris(2026, 5, 5, 9)
    # Friday 22 May, then Whit Monday 25 May is a holiday: next opening Tuesday 26 May.
    assert add_business_seconds(cal, paris(2026, 5, 22, 9), 9 * H, convention="next_open") == paris(2026, 5, 26, 9)
    # A lunch break is a closing time too.
    lunch = Calendar.weekly("Europe/Paris", {d: [("08:00", "12:00"), ("14:00", "18:00")] for d in WEEKDAYS[:5]})
    assert add_business_seconds(lunch, paris(2026, 5, 4, 11), H) == paris(2026, 5, 4, 12)
    assert add_business_seconds(lunch, paris(2026, 5, 4, 11), H, convention="next_open") == paris(2026, 5, 4, 14)
    # Not at a closing time: both conventions agree.
    assert add_business_seconds(lunch, paris(2026, 5, 4, 11), 2 * H, convention="next_open") == paris(2026, 5, 4, 15)


def test_target_zero_gives_the_start_itself() -> None:
    saturday = paris(2026, 5, 2, 10, 0, 7)
    for convention in ("stay", "next_open"):
        assert add_business_seconds(office(), saturday, 0, convention=convention) == saturday


def test_200_business_hours() -> None:
    # From Monday 4 May 2026 09:00: 22 working days of 9 h (8, 14 and 25 May are holidays), then 2 h.
    due = add_business_seconds(office(), paris(2026, 5, 4, 9), 200 * H)
    assert due == paris(2026, 6, 8, 11)
    assert business_seconds_between(office(), paris(2026, 5, 4, 9), due) == 200 * H


def test_targets_of_several_years_and_instants_long_ago() -> None:
    cal = office("57")
    start = paris(2026, 5, 4, 9)
    for years in (3, 12):
        target = years * 2_300 * H
        due = add_business_seconds(cal, start, target)
        assert business_seconds_between(cal, start, due) == target
        assert start + timedelta(days=365 * years) < due < start + timedelta(days=366 * (years + 1))
    assert business_seconds_between(cal, paris(1999, 1, 4), paris(1999, 1, 5)) == 9 * H
    assert add_business_seconds(cal, paris(1999, 12, 31, 17), 2 * H) == paris(2000, 1, 3, 10)


def test_start_outside_business_hours() -> None:
    cal = office()
    assert add_business_seconds(cal, paris(2026, 5, 2, 10), H) == paris(2026, 5, 4, 10)  # Saturday
    assert add_business_seconds(cal, paris(2026, 5, 3, 23), 9 * H) == paris(2026, 5, 4, 18)
    assert add_business_seconds(cal, paris(2026, 5, 3, 23), 9 * H, convention="next_open") == paris(2026, 5, 5, 9)
    assert add_business_seconds(cal, paris(2026, 5, 5, 7), H) == paris(2026, 5, 5, 10)  # before opening
    assert add_business_seconds(cal, paris(2026, 5, 5, 20), H) == paris(2026, 5, 6, 10)  # after closing


def test_is_open_and_next_opening() -> None:
    cal = office()
    assert is_open(cal, paris(2026, 5, 4, 9)) and not is_open(cal, paris(2026, 5, 4, 18))
    assert next_opening(cal, paris(2026, 5, 4, 10)) == paris(2026, 5, 4, 10)
    assert next_opening(cal, paris(2026, 5, 4, 18)) == paris(2026, 5, 5, 9)
    assert next_opening(cal, paris(2026, 4, 30, 19)) == paris(2026, 5, 4, 9)  # over 1 May and a weekend
    assert next_opening(cal, paris(2026, 12, 31, 19)) == paris(2027, 1, 4, 9)  # over the new year


# ------------------------------------------------------------------------------------------- pauses


def test_pauses_overlapping_nested_outside_hours() -> None:
    cal = office()
    start = paris(2026, 5, 4, 9)  # Monday
    base = add_business_seconds(cal, start, 4 * H)
    assert base == paris(2026, 5, 4, 13)
    nested = [(paris(2026, 5, 4, 10), paris(2026, 5, 4, 12)), (paris(2026, 5, 4, 10, 30), paris(2026, 5, 4, 11))]
    assert add_business_seconds(cal, start, 4 * H, pauses=nested) == paris(2026, 5, 4, 15)
    overlapping = [(paris(2026, 5, 4, 10), paris(2026, 5, 4, 11)), (paris(2026, 5, 4, 10, 30), paris(2026, 5, 4, 12))]
    assert add_business_seconds(cal, start, 4 * H, pauses=overlapping) == paris(2026, 5, 4, 15)
    outside = [(paris(2026, 5, 4, 18), paris(2026, 5, 5, 9)), (paris(2026, 5, 2), paris(2026, 5, 4, 9))]
    assert add_business_seconds(cal, start, 12 * H, pauses=outside) == add_business_seconds(cal, start, 12 * H)
    before_start = [(paris(2026, 5, 4, 7), paris(2026, 5, 4, 10))]  # clipped to the start: 1 h counts
    assert add_business_seconds(cal, start, 4 * H, pauses=before_start) == paris(2026, 5, 4, 14)
    after_due = [(paris(2026, 5, 4, 13), paris(2026, 5, 4, 17))]  # starts exactly at the due instant
    assert add_business_seconds(cal, start, 4 * H, pauses=after_due) == paris(2026, 5, 4, 13)
    assert add_business_seconds(cal, start, 4 * H, pauses=after_due, convention="next_open") == paris(2026, 5, 4, 17)
    # A pause across the night: only its business hours count.
    night = [(paris(2026, 5, 4, 17), paris(2026, 5, 5, 10))]
    assert add_business_seconds(cal, start, 9 * H, pauses=night) == paris(2026, 5, 5, 11)
    assert business_seconds_between(cal, start, paris(2026, 5, 5, 11), pauses=night) == 9 * H
    assert business_seconds_between(cal, paris(2026, 5, 5, 11), start, pauses=night) == -9 * H


def test_pauses_and_is_open_next_opening() -> None:
    cal = office()
    pauses = [(paris(2026, 5, 4, 10), paris(2026, 5, 4, 11)), (paris(2026, 5, 4, 11), paris(2026, 5, 4, 19))]
    assert is_open(cal, paris(2026, 5, 4, 9, 59), pauses=pauses)
    assert not is_open(cal, paris(2026, 5, 4, 10), pauses=pauses)
    assert next_opening(cal, paris(2026, 5, 4, 10), pauses=pauses) == paris(2026, 5, 5, 9)
    assert next_opening(cal, paris(2026, 5, 4, 10), pauses=pauses[:1]) == paris(2026, 5, 4, 11)


def test_a_pause_must_not_end_before_it_starts() -> None:
    with pytest.raises(ValueError):
        add_business_seconds(office(), paris(2026, 5, 4, 9), H, pauses=[(paris(2026, 5, 4, 11), paris(2026, 5, 4, 10))])


# ------------------------------------------------------------------------------------------- exceptions


def test_partial_day_and_extra_opening() -> None:
    partial = DayException.partial(date(2026, 12, 24), [Window.parse("09:00", "12:00")], "Veille de Noël")
    saturday = DayException.extra_opening(date(2026, 12, 19), [Window.parse("10:00", "13:00")])
    cal = office(exceptions=(partial, saturday))
    assert business_seconds_between(cal, paris(2026, 12, 24), paris(2026, 12, 25)) == 3 * H
    assert business_seconds_between(cal, paris(2026, 12, 19), paris(2026, 12, 20)) == 3 * H
    # An extra opening on a public holiday opens it; a partial day replaces the holiday's closure too.
    xmas = office(exceptions=(DayException.extra_opening(date(2026, 12, 25), [Window.parse("10:00", "11:00")]),))
    assert business_seconds_between(xmas, paris(2026, 12, 25), paris(2026, 12, 26)) == H
    assert cal.windows_on(date(2026, 12, 24)) == (Window(9 * H, 12 * H),)
    with pytest.raises(CalendarError):
        office(exceptions=(DayException.closed(date(2026, 1, 2)), DayException.partial(date(2026, 1, 2), [])))


def test_a_calendar_open_only_on_exception_days() -> None:
    days = [DayException.extra_opening(date(2026, 6, d), [Window.parse("09:00", "10:00")]) for d in (1, 3)]
    cal = Calendar.weekly("Europe/Paris", {}, exceptions=days)
    assert add_business_seconds(cal, paris(2020, 1, 1), 90 * 60) == paris(2026, 6, 3, 9, 30)
    assert add_business_seconds(cal, paris(2026, 6, 1, 9), 2 * H) == paris(2026, 6, 3, 10)
    assert add_business_seconds(cal, paris(2026, 6, 1, 9), 2 * H, convention="next_open") == paris(2026, 6, 3, 10)
    assert next_opening(cal, paris(2026, 6, 3, 10)) is None
    with pytest.raises(NoOpenTimeError):
        add_business_seconds(cal, paris(2026, 6, 1, 9), 2 * H + 1)
    never = Calendar.weekly("Europe/Paris", {})
    with pytest.raises(NoOpenTimeError):
        add_business_seconds(never, paris(2026, 6, 1), 1)
    assert business_seconds_between(never, paris(2026, 1, 1), paris(2027, 1, 1)) == 0


# ------------------------------------------------------------------------------------------- definition


def test_calendar_key_is_a_fingerprint_of_the_definition() -> None:
    a = office("57")
    assert a.key == office("57").key and a == office("57") and len({a, office("57")}) == 1
    assert a.key != office().key
    assert a.key != office("57", holidays_close=False).key
    assert a.key != office("57", tz="Europe/Brussels").key
    reordered = Calendar.weekly("Europe/Paris", {"mon": [("14:00", "18:00"), ("08:00", "12:00")]})
    assert reordered.key == Calendar.weekly("Europe/Paris", {"mon": [("08:00", "12:00"), ("14:00", "18:00")]}).key
    label_a = a.with_exceptions(DayException.closed(date(2026, 8, 14), "Pont"))
    label_b = a.with_exceptions(DayException.closed(date(2026, 8, 14), "Bridge"))
    assert label_a.key == label_b.key != a.key
    assert engine_for(label_a) is engine_for(label_b)


def test_window_grammar() -> None:
    assert Window.parse("22:00", "06:00").overnight
    assert Window.parse("22:00", "00:00") == Window.parse("22:00", "24:00")
    assert Window.parse("00:00", "24:00").seconds == 86_400
    assert str(Window.parse("08:30", "12:00")) == "08:30–12:00"
    for bad in (("24:00", "06:00"), ("08:00", "08:00"), ("8:00", "12:00"), ("08:60", "12:00"), ("24:30", "x")):
        with pytest.raises(CalendarError):
            Window.parse(*bad)


def test_invalid_definitions_and_arguments() -> None:
    with pytest.raises(CalendarError):
        Calendar.weekly("Europe/Pariss", {})
    with pytest.raises(CalendarError):
        Calendar.weekly("Europe/Paris", {"monday": [("08:00", "12:00")]})
    with pytest.raises(CalendarError):
        HolidayRegion("FR", "99")
    with pytest.raises(ValueError, match="naive"):
        add_business_seconds(office(), datetime(2026, 5, 4, 9), H)  # noqa: DTZ001 - the point of the test
    with pytest.raises(ValueError):
        add_business_seconds(office(), paris(2026, 5, 4, 9), -1)
    with pytest.raises(ValueError):
        add_business_seconds(office(), paris(2026, 5, 4, 9), H, convention="later")


def test_results_are_aware_utc_and_whole_seconds() -> None:
    due = add_business_seconds(office(), paris(2026, 5, 4, 9, 0, 0).replace(microsecond=999_999), H)
    assert due.tzinfo is UTC and due == paris(2026, 5, 4, 10)
    assert next_opening(office(), paris(2026, 5, 2)) == paris(2026, 5, 4, 9)


# ------------------------------------------------------------------------------------------- batch


def test_batch_with_int64_and_datetime64() -> None:
    engine = engine_for(office())
    starts = [paris(2026, 5, 4, 17), paris(2026, 5, 2, 10), paris(2026, 5, 22, 9), paris(2026, 5, 4, 9)]
    targets = np.array([H, H, 9 * H, 4 * H])
    pauses = BatchPauses.from_lists([[], [], [], [(paris(2026, 5, 4, 10), paris(2026, 5, 4, 12))]])
    as_int = np.array([int(s.timestamp()) for s in starts], dtype=np.int64)
    for convention in ("stay", "next_open"):
        expected = [
            engine.add_business_seconds(s, int(t), convention=convention, pauses=p)
            for s, t, p in zip(
                starts, targets, [[], [], [], [(paris(2026, 5, 4, 10), paris(2026, 5, 4, 12))]], strict=True
            )
        ]
        got = engine.add_business_seconds_many(as_int, targets, convention=convention, pauses=pauses)
        assert got.dtype == np.int64
        assert [utc(1970, 1, 1) + timedelta(seconds=int(x)) for x in got] == expected
        got64 = engine.add_business_seconds_many(as_int.astype("datetime64[s]"), targets, convention=convention)
        assert got64.dtype == np.dtype("datetime64[s]")
    assert engine.is_open_many(as_int).tolist() == [True, False, True, True]
    assert engine.is_open_many(
        as_int, pauses=BatchPauses.from_lists([[], [], [], [(starts[3], starts[3] + timedelta(1))]])
    ).tolist() == [
        True,
        False,
        True,
        False,
    ]
    assert engine.business_seconds_between_many(as_int, as_int + 86_400).tolist() == [9 * H, 0, 9 * H, 9 * H]
    opened = engine.next_opening_many(as_int.astype("datetime64[s]"))
    assert opened[1] == np.datetime64("2026-05-04T07:00:00")


def test_empty_batches_and_a_fresh_engine() -> None:
    engine = SlaEngine(office())
    empty = np.zeros(0, dtype=np.int64)
    assert len(engine.add_business_seconds_many(empty, empty)) == 0
    assert len(engine.business_seconds_between_many(empty, empty)) == 0
    assert len(engine.is_open_many(empty)) == 0


# ------------------------------------------------------------------------------------------- determinism


def _figures() -> list[object]:
    clear_engine_cache()
    cal = office("57")
    nights = every_day(("22:00", "06:00"))
    return [
        add_business_seconds(cal, paris(2026, 3, 27, 16, 30), 10 * H),
        add_business_seconds(cal, paris(2026, 5, 4, 17), H, convention="next_open"),
        business_seconds_between(nights, paris(2026, 10, 24, 12), paris(2026, 10, 25, 12)),
        next_opening(cal, paris(2026, 4, 2, 19)),
        engine_for(nights).intervals(paris(2026, 3, 28), paris(2026, 3, 30)),
        cal.holidays_in(2026),
    ]


def test_results_do_not_depend_on_the_machine_time_zone() -> None:
    saved = os.environ.get("TZ")
    try:
        results = []
        for tz in ("UTC", "Pacific/Kiritimati", "America/St_Johns", "Europe/Paris"):
            os.environ["TZ"] = tz
            time.tzset()
            results.append(_figures())
        assert all(r == results[0] for r in results)
        assert results[0][0] == paris(2026, 3, 30, 17, 30)
    finally:
        if saved is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = saved
        time.tzset()
        clear_engine_cache()


# ------------------------------------------------------------------------------------------- engine


def test_absurd_targets_are_refused_not_looped_on() -> None:
    with pytest.raises(OverflowError):
        add_business_seconds(office(), paris(2026, 5, 4, 9), 10**13)


def test_elapsed_is_stable_while_the_horizon_grows() -> None:
    engine = SlaEngine(office())
    before = engine.elapsed(paris(2026, 5, 4, 12))
    assert engine.business_seconds_between(paris(1990, 1, 1), paris(1990, 1, 3)) == 9 * H  # grows backwards
    assert engine.add_business_seconds(paris(2026, 5, 4, 9), 30 * 2_000 * H).year == 2052  # and forwards
    assert engine.elapsed(paris(2026, 5, 4, 12)) == before


def test_engine_cache_is_bounded_and_shared() -> None:
    from pacte.sla import domain

    clear_engine_cache()
    cals = [office(exceptions=(DayException.closed(date(2026, 1, 1) + timedelta(i)),)) for i in range(300)]
    for cal in cals:
        engine_for(cal)
    assert len(domain._ENGINES) == domain.ENGINE_CACHE_SIZE
    assert engine_for(cals[-1]) is engine_for(
        office(exceptions=(DayException.closed(date(2026, 1, 1) + timedelta(299)),))
    )
    clear_engine_cache()


def test_concurrent_queries_on_a_fresh_engine_agree() -> None:
    from concurrent.futures import ThreadPoolExecutor

    starts = [utc(1995 + (k * 7) % 40, 1 + k % 12, 1 + k % 28, k % 24) for k in range(400)]
    sequential = SlaEngine(office("57"))
    expected = [sequential.add_business_seconds(s, 37 * H) for s in starts]
    engine = SlaEngine(office("57"))
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda s: engine.add_business_seconds(s, 37 * H), starts))
    assert got == expected
