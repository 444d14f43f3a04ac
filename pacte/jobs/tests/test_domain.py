"""Cadences of periodic jobs and the retry back-off: pure arithmetic, property-tested."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pacte.jobs.domain import every, monthly, nightly, retry_delay

UTC = dt.UTC
PARIS = ZoneInfo("Europe/Paris")


def paris(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=PARIS).astimezone(UTC)


def test_every_n_minutes_is_aligned_on_the_epoch():
    cadence = every(15)
    now = dt.datetime(2026, 3, 16, 10, 7, 30, tzinfo=UTC)
    assert cadence.next_after(now) == dt.datetime(2026, 3, 16, 10, 15, tzinfo=UTC)
    assert cadence.next_after(dt.datetime(2026, 3, 16, 10, 15, tzinfo=UTC)) == dt.datetime(
        2026, 3, 16, 10, 30, tzinfo=UTC
    )
    assert cadence.first_run(now) == now  # a new every-N job runs at once


def test_nightly_is_wall_clock_in_paris_across_dst():
    cadence = nightly("02:30")
    # Winter: 02:30 CET = 01:30 UTC.
    assert cadence.next_after(paris(2026, 1, 10, 12, 0)) == dt.datetime(2026, 1, 11, 1, 30, tzinfo=UTC)
    # Summer: 02:30 CEST = 00:30 UTC.
    assert cadence.next_after(paris(2026, 7, 10, 12, 0)) == dt.datetime(2026, 7, 11, 0, 30, tzinfo=UTC)
    # 29 March 2026: 02:30 does not exist in Paris; it runs once that night, at 03:30 CEST (01:30 UTC).
    assert cadence.next_after(paris(2026, 3, 28, 12, 0)) == dt.datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    # 25 October 2026: 02:30 happens twice; it runs once, at the first one (00:30 UTC).
    first = cadence.next_after(paris(2026, 10, 24, 12, 0))
    assert first == dt.datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert cadence.next_after(first) == dt.datetime(2026, 10, 26, 1, 30, tzinfo=UTC)
    assert cadence.first_run(paris(2026, 1, 10, 12, 0)) == cadence.next_after(paris(2026, 1, 10, 12, 0))


def test_monthly_on_day_n_falls_back_to_the_last_day():
    cadence = monthly(31, "06:00")
    assert cadence.next_after(paris(2026, 2, 1, 0, 0)) == paris(2026, 2, 28, 6, 0)
    assert cadence.next_after(paris(2026, 2, 28, 6, 0)) == paris(2026, 3, 31, 6, 0)
    assert monthly(1).next_after(paris(2026, 12, 15, 0, 0)) == paris(2027, 1, 1, 3, 0)
    assert monthly(1).describe() == "monthly on day 1 at 03:00 Europe/Paris"


def test_bad_cadences_and_naive_instants_are_refused():
    with pytest.raises(ValueError):
        every(0)
    with pytest.raises(ValueError):
        monthly(32)
    with pytest.raises(ValueError):
        nightly("02:30").next_after(dt.datetime(2026, 1, 1))  # noqa: DTZ001


def test_retry_delay_doubles_up_to_the_cap():
    delays = [retry_delay(attempt=n, base_seconds=30).total_seconds() for n in range(1, 10)]
    assert delays == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]
    assert retry_delay(attempt=500, base_seconds=60).total_seconds() == 3600
    with pytest.raises(ValueError):
        retry_delay(attempt=0, base_seconds=1)


instants = st.integers(
    int(dt.datetime(2025, 1, 1, tzinfo=UTC).timestamp()), int(dt.datetime(2030, 12, 31, tzinfo=UTC).timestamp())
).map(lambda seconds: dt.datetime.fromtimestamp(seconds, tz=UTC))
cadences = st.one_of(
    st.integers(1, 24 * 60).map(every),
    st.tuples(st.integers(0, 23), st.integers(0, 59)).map(lambda hm: nightly(f"{hm[0]:02d}:{hm[1]:02d}")),
    st.tuples(st.integers(1, 31), st.integers(0, 23)).map(lambda dh: monthly(dh[0], f"{dh[1]:02d}:15")),
)


@settings(max_examples=300, deadline=None)
@given(cadence=cadences, now=instants)
def test_next_slot_is_strictly_later_within_one_period_and_stable(cadence, now):
    """The next slot is after now, no further than a period (plus a DST hour), and every worker
    asking at any instant before that slot gets the same one (so slots are shared, never doubled)."""
    slot = cadence.next_after(now)
    assert slot > now
    assert slot.tzinfo is not None
    limit = {"every": dt.timedelta(minutes=cadence.minutes), "nightly": dt.timedelta(hours=25)}.get(
        cadence.kind, dt.timedelta(days=32)
    )
    assert slot - now <= limit
    halfway = now + (slot - now) / 2
    assert cadence.next_after(halfway) == slot
    if cadence.kind != "every":
        # The slot is the job's wall-clock time on its local day (a time in the spring gap keeps the
        # winter offset, so it reads an hour later on the clock).
        local = slot.astimezone(PARIS)
        on_the_clock = (local.hour * 60 + local.minute) - (cadence.at.hour * 60 + cadence.at.minute)
        assert on_the_clock in (0, 60)
        assert dt.datetime.combine(local.date(), cadence.at, tzinfo=PARIS).astimezone(UTC) == slot
