"""SLA engine benchmark: scalar and vectorised due dates, cold build, and a day-by-day walker for comparison.

Run: ``.venv/bin/python bench/sla.py [--cases 5000] [--batch 100000]``. Prints a table and writes
``var/bench/sla.json``. Not a test: nothing here asserts a timing; it only fails if the engine and the
walker disagree on a due date.
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pacte.sla import domain  # noqa: E402
from pacte.sla.domain import WEEKDAYS, Calendar, HolidayRegion, SlaEngine, engine_for  # noqa: E402

TZ = "Europe/Paris"
WINDOW = ("08:00", "18:00")
TARGET_HOURS = (1, 4, 8, 10, 16, 40)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def calendar() -> Calendar:
    return Calendar.weekly(TZ, {d: [WINDOW] for d in WEEKDAYS[:5]}, holidays=HolidayRegion("FR"))


def cases(n: int, seed: int = 20260504) -> tuple[np.ndarray, np.ndarray]:
    """Random starts (whole seconds) over 2026–2027 and targets drawn from 1, 4, 8, 10, 16, 40 business hours."""
    rng = np.random.default_rng(seed)
    lo = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp())
    hi = int(datetime(2028, 1, 1, tzinfo=UTC).timestamp())
    starts = rng.integers(lo, hi, size=n, dtype=np.int64)
    seconds = rng.choice(np.array(TARGET_HOURS, dtype=np.int64) * 3600, size=n)
    return starts, seconds


class DayWalker:
    """The peers' way (GLPI, iTop, Business::Hours): walk the days one by one and their windows one by one."""

    def __init__(self, tz: str, window: tuple[str, str], subdiv: str | None = None) -> None:
        import holidays

        self.zone = ZoneInfo(tz)
        self.open = datetime.strptime(window[0], "%H:%M").time()  # noqa: DTZ007 - a wall-clock time of day
        self.close = datetime.strptime(window[1], "%H:%M").time()  # noqa: DTZ007
        self.holidays = holidays.country_holidays("FR", subdiv=subdiv, years=range(2025, 2031), language="fr")

    def add(self, start: datetime, seconds: int) -> datetime:
        cursor = start.astimezone(UTC)
        day = start.astimezone(self.zone).date()
        remaining = seconds
        while True:
            if day.weekday() < 5 and day not in self.holidays:
                begin = datetime.combine(day, self.open, tzinfo=self.zone).astimezone(UTC)
                end = datetime.combine(day, self.close, tzinfo=self.zone).astimezone(UTC)
                if end > cursor:
                    begin = max(begin, cursor)
                    available = int((end - begin).total_seconds())
                    if remaining <= available:
                        return begin + timedelta(seconds=remaining)
                    remaining -= available
            day += timedelta(days=1)


def best_of(repeat: int, fn: Callable[[], object]) -> float:
    """The best wall time of ``repeat`` runs, in seconds (garbage collection off while timing)."""
    times = []
    for _ in range(repeat):
        gc.collect()
        gc.disable()
        try:
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
        finally:
            gc.enable()
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=5000, help="scalar cases (and walker comparisons)")
    parser.add_argument("--batch", type=int, default=100_000, help="due dates in the vectorised run")
    parser.add_argument("--output", type=Path, default=ROOT / "var" / "bench" / "sla.json")
    args = parser.parse_args()

    cal = calendar()

    # Cold build of a 10-year horizon: a new engine and empty holiday cache.
    domain._region_year.cache_clear()
    cold = SlaEngine(cal)
    t = time.perf_counter()
    cold.prebuild(datetime(2026, 1, 1, tzinfo=UTC), datetime(2035, 12, 31, tzinfo=UTC))
    cold_build_s = time.perf_counter() - t
    cold_intervals = len(cold._tab.s) if cold._tab else 0
    warm_year = SlaEngine(cal)
    t = time.perf_counter()
    warm_year._ensure(
        int(datetime(2026, 6, 1, tzinfo=UTC).timestamp()), int(datetime(2026, 6, 1, tzinfo=UTC).timestamp())
    )
    first_query_build_s = time.perf_counter() - t

    engine = engine_for(cal)
    starts, seconds = cases(args.cases)
    start_dts = [EPOCH + timedelta(seconds=int(s)) for s in starts]
    secs = [int(s) for s in seconds]
    engine.prebuild(datetime(2025, 6, 1, tzinfo=UTC), datetime(2029, 1, 1, tzinfo=UTC))  # warm: not timed below

    pairs = list(zip(start_dts, secs, strict=True))

    def scalar_engine() -> None:
        add = engine.add_business_seconds
        for s, n in pairs:
            add(s, n)

    def scalar_api() -> None:
        add = domain.add_business_seconds
        for s, n in pairs:
            add(cal, s, n)

    scalar_s = best_of(5, scalar_engine)
    api_s = best_of(5, scalar_api)
    scalar_due = [engine.add_business_seconds(s, n) for s, n in pairs]
    next_open_due = [engine.add_business_seconds(s, n, convention="next_open") for s, n in pairs]

    walker = DayWalker(TZ, WINDOW)
    walker_s = best_of(3, lambda: [walker.add(s, n) for s, n in pairs])
    walker_due = [walker.add(s, n) for s, n in pairs]
    mismatches = [
        (s.isoformat(), n, a.isoformat(), b.isoformat())
        for (s, n), a, b in zip(pairs, scalar_due, walker_due, strict=True)
        if a != b
    ]

    vec_starts, vec_seconds = cases(args.batch, seed=7)
    engine.add_business_seconds_many(vec_starts[:1000], vec_seconds[:1000])  # warm the horizon
    batch_s = best_of(5, lambda: engine.add_business_seconds_many(vec_starts, vec_seconds))
    batch_no_s = best_of(5, lambda: engine.add_business_seconds_many(vec_starts, vec_seconds, convention="next_open"))
    batch_due = engine.add_business_seconds_many(vec_starts[: args.cases], vec_seconds[: args.cases])
    batch_check = engine.add_business_seconds_many(starts, seconds)
    batch_mismatch = int(
        np.count_nonzero(batch_check != np.array([(d - EPOCH) // timedelta(seconds=1) for d in scalar_due]))
    )
    del batch_due
    million_starts, million_seconds = cases(1_000_000, seed=11)
    million_s = best_of(3, lambda: engine.add_business_seconds_many(million_starts, million_seconds))

    # How each path scales with the target: the walker walks every day, the engine does two searches.
    by_target = []
    for hours in (1, 40, 200, 2000):
        sample = pairs[:1000]
        long = [(s, hours * 3600) for s, _ in sample]
        eng_s = best_of(3, lambda long=long: [engine.add_business_seconds(s, n) for s, n in long])
        walk_s = best_of(1, lambda long=long: [walker.add(s, n) for s, n in long])
        agree = all(engine.add_business_seconds(s, n) == walker.add(s, n) for s, n in long)
        by_target.append(
            {
                "target_hours": hours,
                "engine_us": round(eng_s / len(long) * 1e6, 2),
                "walker_us": round(walk_s / len(long) * 1e6, 1),
                "ratio": round(walk_s / eng_s, 1),
                "agree": agree,
            }
        )
        if not agree:
            mismatches.append(("target", hours, "", ""))

    n = args.cases
    result = {
        "calendar": f"Mon–Fri {WINDOW[0]}–{WINDOW[1]} {TZ}, French public holidays",
        "cases": n,
        "targets_hours": list(TARGET_HOURS),
        "scalar": {
            "per_second": round(n / scalar_s),
            "us_per_call": round(scalar_s / n * 1e6, 3),
            "via_module_function_us_per_call": round(api_s / n * 1e6, 3),
        },
        "batch": {
            "due_dates": args.batch,
            "total_ms": round(batch_s * 1e3, 2),
            "ns_per_due_date": round(batch_s / args.batch * 1e9, 1),
            "next_open_ns_per_due_date": round(batch_no_s / args.batch * 1e9, 1),
            "one_million_total_ms": round(million_s * 1e3, 1),
            "agrees_with_scalar": batch_mismatch == 0,
        },
        "cold_build": {
            "years": 10,
            "ms": round(cold_build_s * 1e3, 1),
            "intervals": cold_intervals,
            "first_query_build_ms_3_years": round(first_query_build_s * 1e3, 1),
        },
        "day_walker": {
            "us_per_call": round(walker_s / n * 1e6, 2),
            "speed_ratio_scalar": round(walker_s / scalar_s, 1),
            "speed_ratio_batch": round((walker_s / n) / (batch_s / args.batch), 1),
            "mismatches": len(mismatches),
            "first_mismatches": mismatches[:5],
        },
        "by_target": by_target,
        "next_open_differs_from_stay": sum(a != b for a, b in zip(scalar_due, next_open_due, strict=True)),
        "machine": {"python": platform.python_version(), "numpy": np.__version__, "platform": platform.platform()},
        "run_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "first_case": {"start": start_dts[0].isoformat(), "seconds": secs[0], "due": scalar_due[0].isoformat()},
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")

    rows = [
        ("scalar due date (engine method)", f"{result['scalar']['us_per_call']} µs/call", f"{n / scalar_s:,.0f}/s"),
        ("scalar due date (module function)", f"{api_s / n * 1e6:.3f} µs/call", f"{n / api_s:,.0f}/s"),
        (
            f"batch, {args.batch:,} due dates",
            f"{batch_s / args.batch * 1e9:.1f} ns/due date",
            f"{batch_s * 1e3:.1f} ms",
        ),
        ("batch, next_open", f"{batch_no_s / args.batch * 1e9:.1f} ns/due date", f"{batch_no_s * 1e3:.1f} ms"),
        ("batch, 1,000,000 due dates", f"{million_s * 1e9 / 1e6:.1f} ns/due date", f"{million_s * 1e3:.1f} ms"),
        ("cold build, 10 years", f"{cold_build_s * 1e3:.1f} ms", f"{cold_intervals} intervals"),
        ("day-by-day walker", f"{walker_s / n * 1e6:.2f} µs/call", f"{n / walker_s:,.0f}/s"),
        ("walker / engine (scalar)", f"{walker_s / scalar_s:.1f}×", ""),
        ("walker / engine (batch)", f"{result['day_walker']['speed_ratio_batch']}×", ""),
        ("mismatches engine vs walker", f"{len(mismatches)} of {n}", ""),
        ("mismatches batch vs scalar", f"{batch_mismatch} of {n}", ""),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"SLA engine benchmark — {result['calendar']}, {n} cases, targets {TARGET_HOURS} h")
    for label, a, b in rows:
        print(f"  {label:<{width}}  {a:>22}  {b:>16}")
    print("  by target (1,000 cases each):   engine µs   walker µs   walker/engine   agree")
    for row in by_target:
        print(
            f"    {row['target_hours']:>5} h{'':<22}{row['engine_us']:>9}   {row['walker_us']:>9}"
            f"   {row['ratio']:>12}×   {row['agree']}"
        )
    print(f"written: {args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output}")
    return 1 if mismatches or batch_mismatch else 0


if __name__ == "__main__":
    sys.exit(main())
