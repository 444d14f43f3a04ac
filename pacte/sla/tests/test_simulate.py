"""Simulating a due instant: the closed periods skipped and why; the holiday preview; local instants."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from pacte.sla.calendars import WEEKDAYS, Calendar, DayException, HolidayRegion, Window
from pacte.sla.domain import local_instant
from pacte.sla.simulate import ClosedPeriod, ClosedReason, Reason, holiday_preview, simulate

PARIS = ZoneInfo("Europe/Paris")
H = 3600
OFFICE = Calendar.weekly(
    "Europe/Paris",
    {d: [("08:00", "12:00"), ("13:30", "18:00")] for d in WEEKDAYS[:5]},
    holidays=HolidayRegion("FR"),
    exceptions=[DayException.closed(date(2026, 5, 15), "Pont de l'Ascension")],
)


def wall(*args: int) -> datetime:
    """A naive local wall-clock time."""
    return datetime(*args)  # noqa: DTZ001 - the point: no zone yet


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS).astimezone(UTC)


def test_every_closed_period_says_why() -> None:
    # Wednesday 13 May 2026 11:00 + 20 business hours.
    result = simulate(OFFICE, paris(2026, 5, 13, 11), 20 * H)
    assert result.due == paris(2026, 5, 19, 15, 30)
    assert result.truncated is False
    assert result.closed_periods == (
        ClosedPeriod(
            paris(2026, 5, 13, 12),
            paris(2026, 5, 13, 13, 30),
            (Reason(ClosedReason.BREAK, date(2026, 5, 13), date(2026, 5, 13)),),
        ),
        ClosedPeriod(
            paris(2026, 5, 13, 18),
            paris(2026, 5, 18, 8),
            (
                Reason(ClosedReason.NIGHT, date(2026, 5, 13), date(2026, 5, 13)),
                Reason(ClosedReason.HOLIDAY, date(2026, 5, 14), date(2026, 5, 14), "Ascension"),
                Reason(ClosedReason.EXCEPTION, date(2026, 5, 15), date(2026, 5, 15), "Pont de l'Ascension"),
                Reason(ClosedReason.WEEKLY_CLOSED, date(2026, 5, 16), date(2026, 5, 17)),
                Reason(ClosedReason.NIGHT, date(2026, 5, 18), date(2026, 5, 18)),
            ),
        ),
        ClosedPeriod(
            paris(2026, 5, 18, 12),
            paris(2026, 5, 18, 13, 30),
            (Reason(ClosedReason.BREAK, date(2026, 5, 18), date(2026, 5, 18)),),
        ),
        ClosedPeriod(
            paris(2026, 5, 18, 18),
            paris(2026, 5, 19, 8),
            (Reason(ClosedReason.NIGHT, date(2026, 5, 18), date(2026, 5, 19)),),
        ),
        ClosedPeriod(
            paris(2026, 5, 19, 12),
            paris(2026, 5, 19, 13, 30),
            (Reason(ClosedReason.BREAK, date(2026, 5, 19), date(2026, 5, 19)),),
        ),
    )


def test_a_start_while_closed_begins_with_a_closed_period_and_next_open_ends_with_one() -> None:
    result = simulate(OFFICE, paris(2026, 5, 16, 10), 4 * H, convention="next_open")  # a Saturday
    assert result.due == paris(2026, 5, 18, 13, 30)  # 08:00–12:00 is 4 h; at 12:00 the clock stops: 13:30
    assert [(p.start, p.end) for p in result.closed_periods] == [
        (paris(2026, 5, 16, 10), paris(2026, 5, 18, 8)),
        (paris(2026, 5, 18, 12), paris(2026, 5, 18, 13, 30)),
    ]
    assert [r.kind for r in result.closed_periods[0].reasons] == [ClosedReason.WEEKLY_CLOSED, ClosedReason.NIGHT]


def test_a_24x7_calendar_skips_only_its_exception() -> None:
    calendar = Calendar.always_open("Europe/Paris").with_exceptions(
        DayException.closed(date(2026, 3, 29), "Maintenance")
    )
    result = simulate(calendar, paris(2026, 3, 28, 12), 24 * H)
    # Sunday 29 March lasts 23 hours and is closed: 12 h on Saturday, 12 h on Monday.
    assert result.due == paris(2026, 3, 30, 12)
    assert result.closed_periods == (
        ClosedPeriod(
            paris(2026, 3, 29, 0),
            paris(2026, 3, 30, 0),
            (Reason(ClosedReason.EXCEPTION, date(2026, 3, 29), date(2026, 3, 29), "Maintenance"),),
        ),
    )


def test_the_list_is_capped() -> None:
    result = simulate(OFFICE, paris(2026, 1, 5, 8), 2000 * H, limit=10)
    assert len(result.closed_periods) == 10
    assert result.truncated is True


def test_a_target_of_zero_skips_nothing() -> None:
    result = simulate(OFFICE, paris(2026, 5, 16, 10), 0)
    assert (result.due, result.closed_periods) == (paris(2026, 5, 16, 10), ())


def test_holiday_preview_marks_the_holidays_the_calendar_skips() -> None:
    moselle = Calendar.weekly(
        "Europe/Paris",
        {d: [("08:00", "18:00")] for d in WEEKDAYS[:5]},
        holidays=HolidayRegion("FR", "57"),
        exceptions=[DayException.extra_opening(date(2026, 12, 26), [Window.parse("09:00", "12:00")])],
    )
    preview = holiday_preview(moselle, 2026)
    assert [(h.day.isoformat(), h.name, h.skipped) for h in preview] == [
        ("2026-01-01", "Jour de l'an", True),
        ("2026-04-03", "Vendredi saint", True),
        ("2026-04-06", "Lundi de Pâques", True),
        ("2026-05-01", "Fête du Travail", True),
        ("2026-05-08", "Fête de la Victoire", True),
        ("2026-05-14", "Ascension", True),
        ("2026-05-25", "Lundi de Pentecôte", True),
        ("2026-07-14", "Fête nationale", True),
        ("2026-08-15", "Assomption", False),  # a Saturday: closed anyway
        ("2026-11-01", "Toussaint", False),  # a Sunday
        ("2026-11-11", "Armistice", True),
        ("2026-12-25", "Noël", True),
        ("2026-12-26", "Saint-Étienne", False),  # a Saturday
    ]
    closed_for_christmas = moselle.with_exceptions(DayException.closed(date(2026, 12, 25), "Fermeture annuelle"))
    christmas = next(h for h in holiday_preview(closed_for_christmas, 2026) if h.day == date(2026, 12, 25))
    assert (christmas.skipped, christmas.exception) == (False, "Fermeture annuelle")
    open_on_holidays = Calendar.weekly(
        "Europe/Paris", {"mon": [("08:00", "18:00")]}, holidays=HolidayRegion("FR"), holidays_close=False
    )
    assert not any(h.skipped for h in holiday_preview(open_on_holidays, 2026))


@pytest.mark.parametrize(
    ("wall", "expected"),
    [
        (wall(2026, 3, 29, 2, 30), datetime(2026, 3, 29, 1, 0, tzinfo=UTC)),  # the gap: the transition
        (wall(2026, 10, 25, 2, 30), datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),  # twice: the first
        (wall(2026, 7, 1, 12, 0, 59), datetime(2026, 7, 1, 10, 0, 59, tzinfo=UTC)),
    ],
)
def test_local_instant_follows_the_window_edge_rule(wall: datetime, expected: datetime) -> None:
    assert local_instant("Europe/Paris", wall) == expected


def test_local_instant_needs_a_naive_wall_clock_time() -> None:
    with pytest.raises(ValueError, match="naive"):
        local_instant("Europe/Paris", datetime(2026, 7, 1, tzinfo=UTC))
