"""Pure rules of background jobs: when a periodic job runs next, and how long to wait before a retry.

No ORM and no clock: every function takes ``now`` (an aware datetime). Wall-clock cadences (nightly,
monthly) are computed in their own time zone (Europe/Paris unless told otherwise) and returned in UTC.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo

UTC = dt.UTC
EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)
PARIS = "Europe/Paris"


class CadenceKind(StrEnum):
    EVERY = "every"
    NIGHTLY = "nightly"
    MONTHLY = "monthly"


def _parse_time(value: str) -> dt.time:
    hours, minutes = value.split(":")
    return dt.time(int(hours), int(minutes))


@dataclass(frozen=True)
class Cadence:
    """When a periodic job runs: every N minutes, every night at HH:MM, or monthly on day N at HH:MM.

    ``every`` slots are aligned on multiples of N minutes since the Unix epoch (UTC), so every worker
    computes the same slots. ``nightly`` and ``monthly`` use the wall clock of ``zone``; a local time
    that does not exist (the spring DST gap) runs at the same offset as before the change, an
    ambiguous one (the autumn fold) runs once, at its first occurrence. Day 29–31 in a shorter month
    runs on the month's last day.
    """

    kind: CadenceKind
    minutes: int = 0
    at: dt.time = dt.time(0, 0)
    day: int = 1
    zone: str = PARIS

    def __post_init__(self) -> None:
        if self.kind == CadenceKind.EVERY and not 1 <= self.minutes <= 7 * 24 * 60:
            raise ValueError("every: between 1 minute and 1 week")
        if self.kind == CadenceKind.MONTHLY and not 1 <= self.day <= 31:
            raise ValueError("monthly: a day between 1 and 31")
        ZoneInfo(self.zone)  # raises for an unknown zone

    def describe(self) -> str:
        """A stable text form (stored with the job, shown on the admin page)."""
        if self.kind == CadenceKind.EVERY:
            return f"every {self.minutes} min"
        at = self.at.strftime("%H:%M")
        if self.kind == CadenceKind.NIGHTLY:
            return f"nightly at {at} {self.zone}"
        return f"monthly on day {self.day} at {at} {self.zone}"

    def first_run(self, now: dt.datetime) -> dt.datetime:
        """When a newly registered job runs first: at once for ``every``, else the next wall-clock slot."""
        if self.kind == CadenceKind.EVERY:
            return now.astimezone(UTC)
        return self.next_after(now)

    def next_after(self, now: dt.datetime) -> dt.datetime:
        """The first slot strictly after ``now`` (UTC)."""
        _require_aware(now)
        if self.kind == CadenceKind.EVERY:
            period = self.minutes * 60
            elapsed = int((now - EPOCH).total_seconds())
            return EPOCH + dt.timedelta(seconds=(elapsed // period + 1) * period)
        zone = ZoneInfo(self.zone)
        local_day = now.astimezone(zone).date()
        if self.kind == CadenceKind.NIGHTLY:
            for offset in range(3):
                candidate = _wall_clock(local_day + dt.timedelta(days=offset), self.at, zone)
                if candidate > now:
                    return candidate
        else:
            year, month = local_day.year, local_day.month
            for _ in range(3):
                last = calendar.monthrange(year, month)[1]
                candidate = _wall_clock(dt.date(year, month, min(self.day, last)), self.at, zone)
                if candidate > now:
                    return candidate
                year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        raise AssertionError("unreachable: a slot exists within three periods")  # pragma: no cover


def every(minutes: int) -> Cadence:
    return Cadence(CadenceKind.EVERY, minutes=minutes)


def nightly(at: str, zone: str = PARIS) -> Cadence:
    return Cadence(CadenceKind.NIGHTLY, at=_parse_time(at), zone=zone)


def monthly(day: int, at: str = "03:00", zone: str = PARIS) -> Cadence:
    return Cadence(CadenceKind.MONTHLY, day=day, at=_parse_time(at), zone=zone)


def _wall_clock(day: dt.date, at: dt.time, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def _require_aware(now: dt.datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be an aware datetime")


def retry_delay(*, attempt: int, base_seconds: float, cap_seconds: float = 3600.0) -> dt.timedelta:
    """Exponential back-off: ``base × 2^(attempt-1)``, capped. ``attempt`` counts from 1 (the first failure)."""
    if attempt < 1:
        raise ValueError("attempt counts from 1")
    exponent = min(attempt - 1, 32)
    return dt.timedelta(seconds=min(base_seconds * (2**exponent), cap_seconds))
