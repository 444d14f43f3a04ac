"""Run Request Tracker's Business::Hours (Perl) on many cases in one process: the oracle and the benchmark.

Debian package ``libbusiness-hours-perl`` (``scripts/system-deps`` installs it for CI).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

SCRIPT = Path(__file__).with_name("business_hours.pl")
#: Business::Hours numbers days from Sunday (0) to Saturday (6).
PERL_DAY = {"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}


@dataclass(frozen=True)
class Hours:
    """One day's opening hours for Business::Hours: ``start``–``end`` with an optional break."""

    start: str
    end: str
    break_start: str | None = None
    break_end: str | None = None


def missing() -> str | None:
    """Why the oracle cannot run here (``None`` when it can)."""
    if shutil.which("perl") is None:
        return "perl is not installed"
    probe = subprocess.run(["perl", "-MBusiness::Hours", "-e", "1"], capture_output=True, check=False)  # noqa: S607
    if probe.returncode != 0:
        return "the Perl module Business::Hours is missing (apt-get install libbusiness-hours-perl)"
    return None


@dataclass(frozen=True)
class Block:
    """One calendar for Business::Hours and the cases to compute on it."""

    name: str
    timezone: str
    week: Mapping[str, Hours]
    holidays: Sequence[date]
    cases: Sequence[tuple[int, int]]  # (start in Unix seconds, business seconds)


@dataclass(frozen=True)
class BlockResult:
    due: list[int]  # Unix seconds; -1 where Business::Hours gave up
    seconds: float  # the add_seconds loop alone


def business_hours_due(blocks: Iterable[Block]) -> dict[str, BlockResult]:
    """Every block's due instants, from one ``perl`` process."""
    lines: list[str] = []
    for block in blocks:
        lines += [f"CALENDAR\t{block.name}", f"TZ\t{block.timezone}"]
        for day, hours in block.week.items():
            fields = [str(PERL_DAY[day]), hours.start, hours.end]
            if hours.break_start and hours.break_end:
                fields += [hours.break_start, hours.break_end]
            lines.append("DAY\t" + "\t".join(fields))
        lines += [f"HOLIDAY\t{d.isoformat()}" for d in block.holidays]
        lines += [f"CASE\t{start}\t{seconds}" for start, seconds in block.cases]
    done = subprocess.run(  # noqa: S603 - a fixed script, our own input
        ["perl", str(SCRIPT)],  # noqa: S607
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        check=True,
    )
    results: dict[str, BlockResult] = {}
    name, due = "", []
    for line in done.stdout.splitlines():
        if line.startswith("CALENDAR "):
            name, due = line.removeprefix("CALENDAR "), []
        elif line.startswith("TIME "):
            results[name] = BlockResult(due, float(line.removeprefix("TIME ")))
        else:
            due.append(int(line))
    return results
