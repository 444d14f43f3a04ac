"""Oracle: 5 000 generated due instants agree exactly with Request Tracker's Business::Hours (``next_open``).

Business::Hours (Debian ``libbusiness-hours-perl``, run once in one ``perl`` process) adds business
seconds by counting the seconds of a set, and its answer is the first business second after the
target, which is the engine's ``next_open`` convention. The cases avoid what its known bugs touch:

- it gives up (-1) when the due instant is more than 30 days away: targets stay under 45 business hours;
- it removes a holiday as 24 hours from local midnight, which eats into the next day when the holiday
  is a DST day: no calendar here opens on a Sunday, and no French holiday falls on a DST Sunday;
- a target of 0 answers the next opening instead of the start: targets are at least 1 second;
- window edges never fall in a DST gap or fold (it builds them with ``timelocal``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest

from pacte.sla.calendars import WEEKDAYS, Calendar, HolidayRegion
from pacte.sla.domain import engine_for
from pacte.sla.tests.oracle.business_hours import Block, Hours, business_hours_due, missing

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
YEARS = range(2025, 2030)
LO = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp())
HI = int(datetime(2028, 1, 1, tzinfo=UTC).timestamp())

# (name, cases, zone, Business::Hours week, the same calendar for the engine)
SETUPS = [
    (
        "mainland, Mon–Fri 08:00–18:00",
        2000,
        "Europe/Paris",
        {d: Hours("08:00", "18:00") for d in WEEKDAYS[:5]},
        Calendar.weekly("Europe/Paris", {d: [("08:00", "18:00")] for d in WEEKDAYS[:5]}, holidays=HolidayRegion("FR")),
    ),
    (
        "Alsace-Moselle, Mon–Fri 08:00–18:00 with a 12:00–13:30 lunch break",
        1500,
        "Europe/Paris",
        {d: Hours("08:00", "18:00", "12:00", "13:30") for d in WEEKDAYS[:5]},
        Calendar.weekly(
            "Europe/Paris",
            {d: [("08:00", "12:00"), ("13:30", "18:00")] for d in WEEKDAYS[:5]},
            holidays=HolidayRegion("FR", "57"),
        ),
    ),
    (
        "Réunion, Mon–Sat 07:30–16:30",
        1500,
        "Indian/Reunion",
        {d: Hours("07:30", "16:30") for d in WEEKDAYS[:6]},
        Calendar.weekly(
            "Indian/Reunion", {d: [("07:30", "16:30")] for d in WEEKDAYS[:6]}, holidays=HolidayRegion("FR", "974")
        ),
    ),
]


def cases(n: int, seed: int) -> list[tuple[int, int]]:
    """Random starts over 2026–2027; targets of 1 s to 12 h, and one in ten up to 45 h (several days)."""
    rng = np.random.default_rng(seed)
    starts = rng.integers(LO, HI, size=n)
    seconds = np.where(rng.random(n) < 0.9, rng.integers(1, 12 * 3600, size=n), rng.integers(1, 45 * 3600, size=n))
    return [(int(a), int(b)) for a, b in zip(starts, seconds, strict=True)]


def test_due_instants_agree_with_business_hours() -> None:
    reason = missing()
    if reason:
        pytest.skip(f"{reason}: CI installs it through scripts/system-deps")
    blocks = [
        Block(
            name=name,
            timezone=zone,
            week=week,
            holidays=sorted(d for year in YEARS for d in calendar.holidays_in(year)),
            cases=cases(n, seed=index),
        )
        for index, (name, n, zone, week, calendar) in enumerate(SETUPS)
    ]
    results = business_hours_due(blocks)  # one perl process for all of them
    assert sorted(results) == sorted(b.name for b in blocks)
    for block, (_name, _n, _zone, _week, calendar) in zip(blocks, SETUPS, strict=True):
        theirs = results[block.name].due
        engine = engine_for(calendar)
        ours = [
            int(engine.add_business_seconds(EPOCH + timedelta(seconds=s), n, convention="next_open").timestamp())
            for s, n in block.cases
        ]
        assert len(theirs) == len(block.cases)
        assert -1 not in theirs
        mismatches = [(c, a, b) for c, a, b in zip(block.cases, ours, theirs, strict=True) if a != b]
        assert mismatches == [], block.name


def test_there_are_at_least_5000_oracle_cases() -> None:
    assert sum(n for _name, n, *_rest in SETUPS) >= 5000
    assert date(2026, 12, 26) in SETUPS[1][4].holidays_in(2026)  # the Moselle calendar has its own holidays
