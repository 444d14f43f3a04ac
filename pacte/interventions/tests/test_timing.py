"""The split of worked time into in-hours, after-hours and weekend/holiday minutes (``timing``)."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pacte.interventions import timing
from pacte.interventions.tests import helpers
from pacte.sla import calendars
from pacte.sla.selectors import ticket_calendar

PARIS = ZoneInfo("Europe/Paris")
UTC = datetime.UTC
#: The service desk's business-hours calendar: Mon–Fri 08:00–12:00 and 14:00–18:00.
SPLIT_DAY = calendars.Calendar.weekly(
    "Europe/Paris",
    {day: [("08:00", "12:00"), ("14:00", "18:00")] for day in ("mon", "tue", "wed", "thu", "fri")},
    holidays=calendars.HolidayRegion("FR"),
)


def paris(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, second, tzinfo=PARIS)


def test_default_is_weekdays_8_to_18_in_paris_with_french_holidays():
    # Monday 2 March 2026, 17:00–19:00: one hour in, one after.
    assert timing.split_minutes(None, paris(2026, 3, 2, 17), paris(2026, 3, 2, 19)) == (60, 60, 0)
    # Early morning: after hours.
    assert timing.split_minutes(None, paris(2026, 3, 2, 6), paris(2026, 3, 2, 8, 30)) == (30, 120, 0)
    # Saturday: weekend, whatever the hour.
    assert timing.split_minutes(None, paris(2026, 3, 7, 10), paris(2026, 3, 7, 12)) == (0, 0, 120)


def test_across_18_00_with_a_lunch_break_calendar():
    # Tuesday 3 March 2026 11:00–15:00 against 8–12 / 14–18: the lunch break is after hours.
    assert timing.split_minutes(SPLIT_DAY, paris(2026, 3, 3, 11), paris(2026, 3, 3, 15)) == (120, 120, 0)
    # 17:15–18:45: 45 minutes in, 45 after.
    assert timing.split_minutes(SPLIT_DAY, paris(2026, 3, 3, 17, 15), paris(2026, 3, 3, 18, 45)) == (45, 45, 0)


def test_bastille_day_is_a_holiday():
    # Tuesday 14 July 2026: a public holiday, the windows are closed, every minute counts as holiday.
    assert timing.split_minutes(SPLIT_DAY, paris(2026, 7, 14, 9), paris(2026, 7, 14, 11)) == (0, 0, 120)
    assert timing.split_minutes(None, paris(2026, 7, 14, 9), paris(2026, 7, 14, 11)) == (0, 0, 120)
    # The evening before is an ordinary evening: after hours until midnight, holiday after it.
    assert timing.split_minutes(None, paris(2026, 7, 13, 23), paris(2026, 7, 14, 1)) == (0, 60, 60)


def test_spring_forward_counts_real_time():
    # Sunday 29 March 2026: 02:00 → 03:00. Local 00:00–04:00 is three real hours.
    assert timing.split_minutes(None, paris(2026, 3, 29, 0), paris(2026, 3, 29, 4)) == (0, 0, 180)
    # Saturday 23:00 (CET) to Monday 09:00 (CEST): 33 real hours; Monday 00:00–08:00 after hours, 8–9 in.
    assert timing.split_minutes(None, paris(2026, 3, 28, 23), paris(2026, 3, 30, 9)) == (60, 480, 1440)


def test_fall_back_counts_real_time():
    # Sunday 25 October 2026: 03:00 → 02:00. The local day lasts 25 hours.
    assert timing.split_minutes(None, paris(2026, 10, 25, 0), paris(2026, 10, 26, 0)) == (0, 0, 1500)
    # Monday after the change, across 18:00 (now UTC+1): 30 minutes in, 30 after.
    assert timing.split_minutes(None, paris(2026, 10, 26, 17, 30), paris(2026, 10, 26, 18, 30)) == (30, 30, 0)
    # Local 01:30 → 02:30 on the night of the change spans two real hours (the 02:00–03:00 hour happens twice).
    start = datetime.datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 CEST
    end = datetime.datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # 02:30 CET, an hour later
    assert timing.split_minutes(None, start, end) == (0, 0, 60)


def test_utc_inputs_are_placed_in_the_calendars_zone():
    # 16:30–17:30 UTC on Monday 2 March 2026 is 17:30–18:30 in Paris.
    start = datetime.datetime(2026, 3, 2, 16, 30, tzinfo=UTC)
    assert timing.split_minutes(None, start, start + datetime.timedelta(hours=1)) == (30, 30, 0)


def test_partial_minutes_are_floored_and_attributed_deterministically():
    # 100 seconds across 18:00: 50 s in, 50 s after, one whole minute → to in hours (the tie's first).
    start = paris(2026, 3, 2, 17, 59, 10)
    assert timing.split_minutes(None, start, start + datetime.timedelta(seconds=100)) == (1, 0, 0)
    # 90 seconds: 20 s in, 70 s after → after hours gets the whole minute (largest part).
    start = paris(2026, 3, 2, 17, 59, 40)
    assert timing.split_minutes(None, start, start + datetime.timedelta(seconds=90)) == (0, 1, 0)
    # Less than a minute, or an end before the start: nothing.
    assert timing.split_minutes(None, start, start + datetime.timedelta(seconds=59)) == (0, 0, 0)
    assert timing.split_minutes(None, start, start - datetime.timedelta(hours=1)) == (0, 0, 0)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="aware"):
        timing.split_minutes(None, datetime.datetime(2026, 3, 2, 9), datetime.datetime(2026, 3, 2, 10))  # noqa: DTZ001


def test_the_default_calendar_takes_the_sites_zone_and_subdivision():
    cal = timing.default_calendar("America/Martinique", "")
    assert cal.timezone == "America/Martinique"
    # 8:00 in Martinique is 12:00 UTC: 11:00–13:00 UTC on a Monday is one hour after hours, one in.
    start = datetime.datetime(2026, 3, 2, 11, tzinfo=UTC)
    assert timing.split_minutes(cal, start, start + datetime.timedelta(hours=2)) == (60, 60, 0)
    # Alsace-Moselle has Saint-Stephen's day (26 December) as a holiday; Paris does not (but it is a Saturday
    # in 2026, so use Good Friday 3 April 2026).
    alsace = timing.default_calendar("Europe/Paris", "57")
    assert timing.split_minutes(alsace, paris(2026, 4, 3, 9), paris(2026, 4, 3, 10)) == (0, 0, 60)
    assert timing.split_minutes(None, paris(2026, 4, 3, 9), paris(2026, 4, 3, 10)) == (60, 0, 0)
    # An unknown zone or subdivision falls back to Paris and the mainland.
    assert timing.default_calendar("Nowhere/Atlantis", "XX").timezone == "Europe/Paris"


@settings(max_examples=300, deadline=None)
@given(
    start=st.datetimes(
        min_value=datetime.datetime(2025, 1, 1),  # noqa: DTZ001
        max_value=datetime.datetime(2027, 12, 31),  # noqa: DTZ001
        timezones=st.just(UTC),
    ),
    seconds=st.integers(min_value=0, max_value=3 * 86_400),
    lunch=st.booleans(),
)
def test_the_parts_always_sum_to_the_whole_minutes(start, seconds, lunch):
    end = start + datetime.timedelta(seconds=seconds)
    parts = timing.split_minutes(SPLIT_DAY if lunch else None, start, end)
    assert all(part >= 0 for part in parts)
    assert sum(parts) == seconds // 60
    exact = timing.split_seconds(SPLIT_DAY if lunch else None, start, end)
    # Each part is its exact share floored or rounded up by one minute at most.
    for whole, share in zip(parts, exact, strict=True):
        assert share / 60 - 1 < whole <= share / 60 + 1


# The coverage calendar of an entry ---------------------------------------------------------------------


@pytest.mark.django_db
def test_coverage_calendar_is_the_contracts_service_level_on_the_sites_calendar(tenant):
    contract = helpers.covered_contract(tenant, start=datetime.date(2026, 1, 1))
    level_id = contract.versions.get().terms.service_level
    from pacte.sla.models import ServiceLevel

    level = ServiceLevel.objects.get(pk=level_id)
    at = paris(2026, 3, 3, 10)
    cal = timing.coverage_calendar(contract=contract, site=tenant.site, client=tenant.client, at=at)
    assert cal == ticket_calendar(service_level=level, site=tenant.site, client=tenant.client)
    assert timing.split_minutes(cal, paris(2026, 3, 3, 11), paris(2026, 3, 3, 15)) == (120, 120, 0)


@pytest.mark.django_db
def test_coverage_calendar_defaults_without_a_contract_a_version_or_a_service_level(tenant):
    at = paris(2026, 3, 3, 10)
    default = timing.default_calendar(tenant.site.effective_time_zone, tenant.site.effective_holiday_subdivision)
    assert timing.coverage_calendar(contract=None, site=tenant.site, client=tenant.client, at=at) == default
    # A contract without a service level.
    plain = helpers.contract_in_force(tenant, start=datetime.date(2026, 1, 1))
    assert timing.coverage_calendar(contract=plain, site=tenant.site, client=tenant.client, at=at) == default
    # A contract with one, but the entry is before the contract started: no terms in force.
    covered = helpers.covered_contract(tenant, start=datetime.date(2026, 6, 1))
    assert timing.coverage_calendar(contract=covered, site=None, client=tenant.client, at=at) == default


def test_the_examples_of_docs_interventions_md():
    """The worked examples of ``docs/interventions.md`` (coverage Mon–Fri 08:00–12:00 and 14:00–18:00)."""
    assert timing.split_minutes(SPLIT_DAY, paris(2026, 3, 3, 17, 30), paris(2026, 3, 3, 19)) == (30, 60, 0)
    assert timing.split_minutes(SPLIT_DAY, paris(2026, 3, 7, 10), paris(2026, 3, 7, 11)) == (0, 0, 60)
    assert timing.split_minutes(SPLIT_DAY, paris(2026, 7, 14, 9), paris(2026, 7, 14, 10)) == (0, 0, 60)
    assert timing.split_minutes(SPLIT_DAY, paris(2026, 10, 25, 1), paris(2026, 10, 25, 4)) == (0, 0, 240)
