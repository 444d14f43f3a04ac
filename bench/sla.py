"""SLA engine benchmark: Pacte's scalar and vectorised paths against businesstimedelta and Business::Hours.

Run: ``.venv/bin/python bench/sla.py [--cases 5000] [--batch 100000]``. The same generated cases go
through Pacte's scalar path (datetime in, datetime out), its vectorised path, businesstimedelta (PyPI)
and Request Tracker's Business::Hours (Debian ``libbusiness-hours-perl``, timed inside one ``perl``
process so its start-up does not count), in one run; then 1 000 000 due dates through the vectorised
path. Prints a table (with issue 4's "Done when" figures) and writes ``var/bench/sla.json``. Not a
test: nothing here fails on a timing; it exits 1 if Pacte disagrees with Business::Hours
(``next_open``), with the day-by-day walker, or its batch path with its scalar path.
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

from pacte.sla import calendars, domain  # noqa: E402
from pacte.sla.domain import WEEKDAYS, Calendar, HolidayRegion, SlaEngine, engine_for  # noqa: E402
from pacte.sla.tests.oracle import business_hours  # noqa: E402

# Issue 4, "Done when" 2.
THRESHOLDS = {
    "scalar_us_per_due_date": ("<=", 2.0),
    "vectorised_us_per_case": ("<=", 0.2),
    "business_hours_over_scalar": (">=", 1000.0),
    "businesstimedelta_over_scalar": (">=", 100.0),
    "one_million_vectorised_s": ("<=", 0.5),
}

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


def businesstimedelta_add(pairs: list[tuple[datetime, int]]) -> tuple[float, list[datetime]]:
    """businesstimedelta (PyPI), Mon–Fri 08:00–18:00 Europe/Paris with the same holidays: total seconds, dues."""
    import businesstimedelta
    import pytz

    zone = pytz.timezone(TZ)
    open_, close = (datetime.strptime(x, "%H:%M").time() for x in WINDOW)  # noqa: DTZ007 - wall-clock times
    workday = businesstimedelta.WorkDayRule(start_time=open_, end_time=close, working_days=[0, 1, 2, 3, 4], tz=zone)
    found = [d for year in range(2025, 2031) for d in calendar().holidays_in(year)]
    rules = businesstimedelta.Rules([workday, businesstimedelta.HolidayRule(found, tz=zone)])
    deltas = {n: businesstimedelta.BusinessTimeDelta(rules, seconds=n) for n in {n for _, n in pairs}}
    dues: list[datetime] = []
    gc.collect()
    gc.disable()
    try:
        t = time.perf_counter()
        for s, n in pairs:
            dues.append(s + deltas[n])
        elapsed = time.perf_counter() - t
    finally:
        gc.enable()
    return elapsed, dues


def business_hours_add(pairs: list[tuple[datetime, int]]) -> tuple[float, list[int]] | str:
    """Business::Hours in one perl process: the loop's own time and the due instants; or why it cannot run."""
    reason = business_hours.missing()
    if reason:
        return reason
    block = business_hours.Block(
        name="bench",
        timezone=TZ,
        week={d: business_hours.Hours(*WINDOW) for d in WEEKDAYS[:5]},
        holidays=[d for year in range(2025, 2031) for d in calendar().holidays_in(year)],
        cases=[(int(s.timestamp()), n) for s, n in pairs],
    )
    result = business_hours.business_hours_due([block])["bench"]
    return result.seconds, result.due


def _threshold_rows(figures: dict[str, float | None]) -> list[dict[str, object]]:
    rows = []
    for name, (op, limit) in THRESHOLDS.items():
        value = figures.get(name)
        ok = None if value is None else (value <= limit if op == "<=" else value >= limit)
        rows.append({"figure": name, "value": value, "target": f"{op} {limit:g}", "met": ok})
    return rows


def main() -> int:  # noqa: C901 - one linear script
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=5000, help="cases through every path (and the peers)")
    parser.add_argument("--batch", type=int, default=100_000, help="due dates in the larger vectorised run")
    parser.add_argument("--no-peers", action="store_true", help="skip businesstimedelta and Business::Hours")
    parser.add_argument("--output", type=Path, default=ROOT / "var" / "bench" / "sla.json")
    args = parser.parse_args()

    cal = calendar()

    # Cold build of a 10-year horizon: a new engine and empty holiday cache.
    calendars._region_year.cache_clear()
    cold = SlaEngine(cal)
    t = time.perf_counter()
    cold.prebuild(datetime(2026, 1, 1, tzinfo=UTC), datetime(2035, 12, 31, tzinfo=UTC))
    cold_build_s = time.perf_counter() - t
    cold_intervals = len(cold._tab.s) if cold._tab else 0

    engine = engine_for(cal)
    starts, seconds = cases(args.cases)
    start_dts = [EPOCH + timedelta(seconds=int(s)) for s in starts]
    secs = [int(s) for s in seconds]
    pairs = list(zip(start_dts, secs, strict=True))
    engine.prebuild(datetime(2025, 6, 1, tzinfo=UTC), datetime(2029, 1, 1, tzinfo=UTC))  # warm: not timed below
    n = args.cases

    def scalar_engine() -> None:
        add = engine.add_business_seconds
        for s, k in pairs:
            add(s, k)

    def scalar_next_open() -> None:
        add = engine.add_business_seconds
        for s, k in pairs:
            add(s, k, convention="next_open")

    def scalar_api() -> None:
        add = domain.add_business_seconds
        for s, k in pairs:
            add(cal, s, k)

    scalar_s = best_of(5, scalar_engine)
    scalar_no_s = best_of(5, scalar_next_open)
    api_s = best_of(5, scalar_api)
    scalar_due = [engine.add_business_seconds(s, k) for s, k in pairs]
    next_open_due = [engine.add_business_seconds(s, k, convention="next_open") for s, k in pairs]
    scalar_epochs = np.array([(d - EPOCH) // timedelta(seconds=1) for d in scalar_due])

    # The vectorised path on the same cases, then on a larger batch and on a million.
    vec_same_s = best_of(7, lambda: engine.add_business_seconds_many(starts, seconds))
    batch_mismatch = int(np.count_nonzero(engine.add_business_seconds_many(starts, seconds) != scalar_epochs))
    vec_starts, vec_seconds = cases(args.batch, seed=7)
    batch_s = best_of(5, lambda: engine.add_business_seconds_many(vec_starts, vec_seconds))
    batch_no_s = best_of(5, lambda: engine.add_business_seconds_many(vec_starts, vec_seconds, convention="next_open"))
    million_starts, million_seconds = cases(1_000_000, seed=11)
    million_s = best_of(3, lambda: engine.add_business_seconds_many(million_starts, million_seconds))

    walker = DayWalker(TZ, WINDOW)
    walker_s = best_of(3, lambda: [walker.add(s, k) for s, k in pairs])
    walker_due = [walker.add(s, k) for s, k in pairs]
    mismatches = [
        (s.isoformat(), k, a.isoformat(), b.isoformat())
        for (s, k), a, b in zip(pairs, scalar_due, walker_due, strict=True)
        if a != b
    ]

    peers: dict[str, dict[str, object]] = {}
    oracle_mismatches = 0
    if not args.no_peers:
        btd_s, btd_due = businesstimedelta_add(pairs)
        btd_wrong = [
            (s.isoformat(), k, a.isoformat(), b.astimezone(UTC).isoformat())
            for (s, k), a, b in zip(pairs, scalar_due, btd_due, strict=True)
            if a != b
        ]
        peers["businesstimedelta"] = {
            "convention": "stay",
            "us_per_due_date": round(btd_s / n * 1e6, 2),
            "over_scalar": round(btd_s / scalar_s, 1),
            "mismatches": len(btd_wrong),
            "first_mismatches": btd_wrong[:5],
        }
        bh = business_hours_add(pairs)
        if isinstance(bh, str):
            peers["Business::Hours"] = {"skipped": bh}
        else:
            bh_s, bh_due = bh
            bh_wrong = [
                (s.isoformat(), k, a.isoformat(), b)
                for (s, k), a, b in zip(pairs, next_open_due, bh_due, strict=True)
                if int(a.timestamp()) != b
            ]
            oracle_mismatches = len(bh_wrong)
            peers["Business::Hours"] = {
                "convention": "next_open",
                "us_per_due_date": round(bh_s / n * 1e6, 1),
                "over_scalar": round(bh_s / scalar_no_s, 1),
                "mismatches": len(bh_wrong),
                "first_mismatches": bh_wrong[:5],
            }

    # How each path scales with the target: the walker walks every day, the engine does two searches.
    by_target = []
    for hours in (1, 40, 200, 2000):
        long = [(s, hours * 3600) for s, _ in pairs[:1000]]
        eng_s = best_of(3, lambda long=long: [engine.add_business_seconds(s, k) for s, k in long])
        walk_s = best_of(1, lambda long=long: [walker.add(s, k) for s, k in long])
        agree = all(engine.add_business_seconds(s, k) == walker.add(s, k) for s, k in long)
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

    btd_ratio = peers.get("businesstimedelta", {}).get("over_scalar")
    bh_ratio = peers.get("Business::Hours", {}).get("over_scalar")
    figures: dict[str, float | None] = {
        "scalar_us_per_due_date": scalar_s / n * 1e6,
        "vectorised_us_per_case": vec_same_s / n * 1e6,
        "business_hours_over_scalar": bh_ratio if isinstance(bh_ratio, float) else None,
        "businesstimedelta_over_scalar": btd_ratio if isinstance(btd_ratio, float) else None,
        "one_million_vectorised_s": million_s,
    }
    result = {
        "calendar": f"Mon–Fri {WINDOW[0]}–{WINDOW[1]} {TZ}, French public holidays",
        "cases": n,
        "targets_hours": list(TARGET_HOURS),
        "scalar": {
            "per_second": round(n / scalar_s),
            "us_per_call": round(scalar_s / n * 1e6, 3),
            "next_open_us_per_call": round(scalar_no_s / n * 1e6, 3),
            "via_module_function_us_per_call": round(api_s / n * 1e6, 3),
        },
        "vectorised": {
            "same_cases_us_per_case": round(vec_same_s / n * 1e6, 3),
            "due_dates": args.batch,
            "ns_per_due_date": round(batch_s / args.batch * 1e9, 1),
            "next_open_ns_per_due_date": round(batch_no_s / args.batch * 1e9, 1),
            "one_million_total_s": round(million_s, 3),
            "agrees_with_scalar": batch_mismatch == 0,
        },
        "peers": peers,
        "cold_build": {"years": 10, "ms": round(cold_build_s * 1e3, 1), "intervals": cold_intervals},
        "day_walker": {
            "us_per_call": round(walker_s / n * 1e6, 2),
            "over_scalar": round(walker_s / scalar_s, 1),
            "mismatches": len(mismatches),
            "first_mismatches": mismatches[:5],
        },
        "by_target": by_target,
        "next_open_differs_from_stay": sum(a != b for a, b in zip(scalar_due, next_open_due, strict=True)),
        "done_when": _threshold_rows(figures),
        "machine": {"python": platform.python_version(), "numpy": np.__version__, "platform": platform.platform()},
        "run_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "first_case": {"start": start_dts[0].isoformat(), "seconds": secs[0], "due": scalar_due[0].isoformat()},
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")

    print(f"SLA benchmark — {result['calendar']}; {n:,} cases, targets {TARGET_HOURS} h, starts over 2026–2027")
    header = f"  {'path':<40} {'per due date':>14} {'due dates/s':>13} {'× Pacte scalar':>15} {'mismatches':>11}"
    print(header)
    print("  " + "-" * (len(header) - 2))

    def row(label: str, seconds_: float, count: int, ratio: str = "", wrong: str = "") -> None:
        per = seconds_ / count
        shown = f"{per * 1e9:.0f} ns" if per < 1e-6 else f"{per * 1e6:,.2f} µs"
        print(f"  {label:<40} {shown:>14} {count / seconds_:>13,.0f} {ratio:>15} {wrong:>11}")

    row("Pacte scalar (stay)", scalar_s, n, "1.0×", f"{len(mismatches)} (walker)")
    row("Pacte scalar (next_open)", scalar_no_s, n, f"{scalar_no_s / scalar_s:.1f}×")
    row("Pacte module function", api_s, n, f"{api_s / scalar_s:.1f}×")
    row("Pacte vectorised, same cases", vec_same_s, n, f"{vec_same_s / scalar_s:.2f}×", f"{batch_mismatch} (scalar)")
    row(f"Pacte vectorised, {args.batch:,}", batch_s, args.batch)
    row(f"Pacte vectorised, {args.batch:,} (next_open)", batch_no_s, args.batch)
    row("Pacte vectorised, 1,000,000", million_s, 1_000_000)
    row("day-by-day walker (in this script)", walker_s, n, f"{walker_s / scalar_s:.1f}×")
    for name, peer in peers.items():
        if "skipped" in peer:
            print(f"  {name:<40} skipped: {peer['skipped']}")
            continue
        per_us = float(str(peer["us_per_due_date"]))
        row(f"{name} ({peer['convention']})", per_us * n / 1e6, n, f"{peer['over_scalar']}×", str(peer["mismatches"]))
    print(f"  cold build of 10 years: {cold_build_s * 1e3:.1f} ms ({cold_intervals} intervals)")
    print("  by target (1,000 cases each):   engine µs   walker µs   walker/engine   agree")
    for item in by_target:
        print(
            f"    {item['target_hours']:>5} h{'':<22}{item['engine_us']:>9}   {item['walker_us']:>9}"
            f"   {item['ratio']:>12}×   {item['agree']}"
        )
    print("  issue 4, done when:")
    for check in result["done_when"]:
        value = check["value"]
        shown = "—" if value is None else f"{value:,.3f}" if isinstance(value, float) else str(value)
        verdict = {True: "yes", False: "NO", None: "not measured"}[check["met"]]  # type: ignore[index]
        print(f"    {check['figure']:<32} {shown:>12}  target {check['target']:<10} {verdict}")
    print(f"written: {args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output}")
    return 1 if mismatches or batch_mismatch or oracle_mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
