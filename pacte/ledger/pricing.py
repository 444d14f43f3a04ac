"""Pricing one intervention: pure arithmetic, in TERMS.md's order of application (no database).

The poster turns an intervention's time entries into ``EntryTime`` values (the minutes as stored on
each ``TimeEntry``, plus the category of the entry's first and last minute, which it reads from the
coverage calendar) and the contract's terms into ``Rules`` (``pacte.ledger.rules.rules_from_terms``);
``price_intervention`` then applies, in this order:

1. **round each entry up** to ``rounding_unit_minutes`` — the added minutes take the entry's
   ``last_category``: they extend the work where it ended;
2. **sum per nature** (labour, travel);
3. **raise labour to the minimum** (``minimum_minutes_per_intervention``) — the added minutes take
   the ``first_category`` of the intervention's first labour entry (the multiplier in force when the
   intervention started). Travel has no minimum. An intervention without labour entries is not raised
   (there is no labour to raise, and no start to take a multiplier from);
4. **multipliers per minute** by category: in hours × 1, after hours × ``after_hours``, weekend or public
   holiday × ``weekend_or_holiday``; an on-site intervention's labour is also × ``on_site``. Multipliers
   combine **by product**: they answer independent questions (when the work was done, where it was
   done), so an after-hours minute on site costs ``after_hours × on_site`` — with the usual on-site 1.00
   this is just the after-hours rate, and a provider who charges more on site gets it at night too.
   Travel time takes **no** multiplier (it is priced by its own rate; the time of day of a drive is
   not premium work);
5. **price** weighted labour minutes at ``labour_rate / 60`` and travel minutes at ``travel_rate / 60``;
6. **add the travel fee** of an on-site intervention: the zone's flat fee, or ``per_km_rate × km``;
7. **round to the cent** (ROUND_HALF_UP) once, at the end: each amount (labour, travel time, travel fee)
   is computed at full precision and rounded once; the total is the sum of those rounded amounts, so
   an invoice's lines always add up to its total (EN 16931 BR-CO-10).

Hours consumed from an allowance are the *charged* labour minutes (rounded, raised to the minimum)
÷ 60, without any multiplier: multipliers change money, not hours.

A missing labour rate (unlimited, prepaid credits, catalogue…) leaves the labour amount and the total
``None``: the contract does not price this work in money, the caller decides. Without a travel rate,
travel time is not billed as time (0.00): travel is then billed by its fee alone.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

Nature = Literal["labour", "travel"]
Category = Literal["in_hours", "after_hours", "weekend"]

NATURES: tuple[Nature, ...] = ("labour", "travel")
CATEGORIES: tuple[Category, ...] = ("in_hours", "after_hours", "weekend")
CENT = Decimal("0.01")
HOURS_PLACES = Decimal("0.0001")
ONE = Decimal(1)


class PricingError(ValueError):
    """The intervention cannot be priced by these rules (an unknown travel zone, inconsistent entries)."""


def round_up(minutes: int, unit: int) -> int:
    """``minutes`` rounded up to a multiple of ``unit`` (0 stays 0): ``round_up(40, 15) == 45``."""
    if unit < 1:
        raise PricingError(f"The rounding unit must be at least 1 minute, not {unit}.")
    if minutes < 0:
        raise PricingError(f"A number of minutes cannot be negative ({minutes}).")
    return -(-minutes // unit) * unit


def money(value: Decimal) -> Decimal:
    """``value`` rounded to the cent, half up (the only rounding of money)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def hours_of(minutes: int) -> Decimal:
    """Minutes as hours, 4 decimal places (half up)."""
    return (Decimal(minutes) / 60).quantize(HOURS_PLACES, rounding=ROUND_HALF_UP)


def overage(consumed_hours: Decimal, included_hours: Decimal, rate: Decimal | None) -> tuple[Decimal, Decimal | None]:
    """The hours beyond the allowance of a period and their price: ``(overage_hours, amount)``.

    ``overage(Decimal("12.25"), Decimal(10), Decimal(95)) == (Decimal("2.2500"), Decimal("213.75"))``.
    Never negative; the amount is ``None`` without a rate (the contract does not price overage).
    """
    hours = max(Decimal(0), Decimal(consumed_hours) - Decimal(included_hours)).quantize(
        HOURS_PLACES, rounding=ROUND_HALF_UP
    )
    if rate is None:
        return hours, None
    return hours, money(hours * rate)


@dataclass(frozen=True)
class EntryTime:
    """One time entry, as the pricing sees it.

    ``minutes_in_hours`` / ``minutes_after_hours`` / ``minutes_weekend`` are the entry's stored split
    (their sum is the minutes worked). ``last_category`` is the category of the entry's last minute:
    the minutes added by rounding up take it (they extend the work where it ended).
    ``first_category`` is the category of its first minute: the minutes added to reach the
    intervention's minimum take the first labour entry's ``first_category``. When left ``None`` it is
    inferred from an entry worked in one category only; an entry that spans categories must give it
    (the poster reads both from the coverage calendar, e.g. ``split_minutes`` of the first and last
    minute), else ``PricingError``.
    """

    nature: Nature
    started_at: datetime.datetime
    ended_at: datetime.datetime
    minutes_in_hours: int
    minutes_after_hours: int
    minutes_weekend: int
    last_category: Category
    first_category: Category | None = None

    @property
    def minutes(self) -> int:
        """Minutes worked (the sum of the split)."""
        return self.minutes_in_hours + self.minutes_after_hours + self.minutes_weekend

    def by_category(self) -> dict[Category, int]:
        return {
            "in_hours": self.minutes_in_hours,
            "after_hours": self.minutes_after_hours,
            "weekend": self.minutes_weekend,
        }

    def start_category(self) -> Category:
        """The category of the entry's first minute (given, or inferred from a one-category entry)."""
        if self.first_category is not None:
            return self.first_category
        used = [category for category, minutes in self.by_category().items() if minutes]
        if not used:
            return self.last_category
        if len(used) == 1:
            return used[0]
        raise PricingError(
            f"The entry starting {self.started_at.isoformat()} spans several categories: "
            "give the category of its first minute (first_category)."
        )


@dataclass(frozen=True)
class Rules:
    """The contract's pricing rules (TERMS.md), as ``rules_from_terms`` reads them from a version."""

    rounding_unit_minutes: int = 15
    minimum_minutes_per_intervention: int = 0
    after_hours: Decimal = Decimal("1.50")
    weekend_or_holiday: Decimal = Decimal("2.00")
    on_site: Decimal = Decimal("1.00")
    labour_rate: Decimal | None = None
    travel_rate: Decimal | None = None
    travel_zone_fees: Mapping[str, Decimal] = field(default_factory=dict)
    per_km_rate: Decimal | None = None

    def multiplier(self, category: Category) -> Decimal:
        """The time-of-work multiplier of a category (in hours: 1)."""
        if category == "after_hours":
            return self.after_hours
        if category == "weekend":
            return self.weekend_or_holiday
        return ONE


@dataclass(frozen=True)
class Priced:
    """What one intervention costs, and the minutes behind every figure."""

    labour_minutes_worked: int
    labour_minutes_rounded: int
    labour_minutes_charged: int
    hours_consumed: Decimal
    travel_minutes_worked: int
    travel_minutes_charged: int
    labour_minutes_by_category: dict[Category, int]
    travel_minutes_by_category: dict[Category, int]
    start_category: Category | None
    on_site: bool
    weighted_labour_minutes: Decimal
    labour_amount: Decimal | None
    travel_time_amount: Decimal
    travel_fee: Decimal
    total: Decimal | None
    travel_zone: str = ""
    travel_km: Decimal | None = None
    multipliers: dict[Category, Decimal] = field(default_factory=dict)
    on_site_multiplier: Decimal = ONE
    labour_rate: Decimal | None = None
    travel_rate: Decimal | None = None

    @property
    def minimum_added_minutes(self) -> int:
        return self.labour_minutes_charged - self.labour_minutes_rounded

    def detail(self) -> dict[str, Any]:
        """JSON-ready: every figure, decimals as strings (a movement's ``detail``)."""

        def text(value: Decimal | None) -> str | None:
            return None if value is None else str(value)

        return {
            "labour": {
                "minutes_worked": self.labour_minutes_worked,
                "minutes_rounded": self.labour_minutes_rounded,
                "minimum_added_minutes": self.minimum_added_minutes,
                "minutes_charged": self.labour_minutes_charged,
                "minutes_by_category": dict(self.labour_minutes_by_category),
                "start_category": self.start_category,
                "multipliers": {category: str(value) for category, value in self.multipliers.items()},
                "on_site": self.on_site,
                "on_site_multiplier": str(self.on_site_multiplier),
                "weighted_minutes": str(self.weighted_labour_minutes),
                "rate": text(self.labour_rate),
                "amount": text(self.labour_amount),
            },
            "hours_consumed": str(self.hours_consumed),
            "travel": {
                "minutes_worked": self.travel_minutes_worked,
                "minutes_charged": self.travel_minutes_charged,
                "minutes_by_category": dict(self.travel_minutes_by_category),
                "rate": text(self.travel_rate),
                "time_amount": str(self.travel_time_amount),
                "zone": self.travel_zone,
                "km": text(self.travel_km),
                "fee": str(self.travel_fee),
            },
            "total": text(self.total),
        }


def _check(entry: EntryTime) -> None:
    if entry.nature not in NATURES:
        raise PricingError(f"Unknown nature of time: {entry.nature!r} (labour or travel).")
    for category in (entry.last_category, entry.first_category):
        if category is not None and category not in CATEGORIES:
            raise PricingError(f"Unknown category of time: {category!r}.")
    if min(entry.minutes_in_hours, entry.minutes_after_hours, entry.minutes_weekend) < 0:
        raise PricingError(f"The entry starting {entry.started_at.isoformat()} has negative minutes.")


def _zero() -> dict[Category, int]:
    return {category: 0 for category in CATEGORIES}


def _travel_fee(rules: Rules, *, on_site: bool, travel_zone: str, travel_km: Decimal | None) -> Decimal:
    """The travel fee at full precision: zone flat fee, or per-km rate × km, for an on-site intervention."""
    zone = (travel_zone or "").strip()
    if zone and zone not in rules.travel_zone_fees:
        known = ", ".join(sorted(rules.travel_zone_fees)) or "none"
        raise PricingError(f"Unknown travel zone {zone!r} for this contract (zones: {known}).")
    if travel_km is not None and Decimal(travel_km) < 0:
        raise PricingError("A travel distance cannot be negative.")
    if not on_site:
        return Decimal(0)  # remote and workshop work involve no trip to the client
    if zone:
        return Decimal(rules.travel_zone_fees[zone])
    if travel_km is not None and rules.per_km_rate is not None:
        return rules.per_km_rate * Decimal(travel_km)
    return Decimal(0)


def price_intervention(
    entries: Iterable[EntryTime],
    rules: Rules,
    *,
    on_site: bool,
    travel_zone: str = "",
    travel_km: Decimal | None = None,
) -> Priced:
    """Price one intervention's entries by ``rules`` (the module docstring gives the order)."""
    entries = sorted(entries, key=lambda entry: entry.started_at)
    unit = rules.rounding_unit_minutes
    if unit < 1:
        raise PricingError(f"The rounding unit must be at least 1 minute, not {unit}.")
    if rules.minimum_minutes_per_intervention < 0:
        raise PricingError("The minimum per intervention cannot be negative.")
    worked = {"labour": 0, "travel": 0}
    rounded = {"labour": 0, "travel": 0}
    by_category: dict[str, dict[Category, int]] = {"labour": _zero(), "travel": _zero()}
    for entry in entries:
        _check(entry)
        minutes = entry.minutes
        entry_rounded = round_up(minutes, unit)
        worked[entry.nature] += minutes
        rounded[entry.nature] += entry_rounded
        split = by_category[entry.nature]
        for category, value in entry.by_category().items():
            split[category] += value
        split[entry.last_category] += entry_rounded - minutes  # rounding extends the work where it ended

    labour_entries = [entry for entry in entries if entry.nature == "labour"]
    start_category = labour_entries[0].start_category() if labour_entries else None
    charged = rounded["labour"]
    if start_category is not None and charged < rules.minimum_minutes_per_intervention:
        by_category["labour"][start_category] += rules.minimum_minutes_per_intervention - charged
        charged = rules.minimum_minutes_per_intervention

    multipliers = {category: rules.multiplier(category) for category in CATEGORIES}
    place = rules.on_site if on_site else ONE
    weighted = sum(
        (Decimal(minutes) * multipliers[category] * place for category, minutes in by_category["labour"].items()),
        Decimal(0),
    )
    labour_amount = None if rules.labour_rate is None else money(rules.labour_rate * weighted / 60)
    travel_time = Decimal(0) if rules.travel_rate is None else rules.travel_rate * rounded["travel"] / 60
    fee = _travel_fee(rules, on_site=on_site, travel_zone=travel_zone, travel_km=travel_km)
    travel_time_amount, travel_fee = money(travel_time), money(fee)
    total = None if labour_amount is None else labour_amount + travel_time_amount + travel_fee
    return Priced(
        labour_minutes_worked=worked["labour"],
        labour_minutes_rounded=rounded["labour"],
        labour_minutes_charged=charged,
        hours_consumed=hours_of(charged),
        travel_minutes_worked=worked["travel"],
        travel_minutes_charged=rounded["travel"],
        labour_minutes_by_category=by_category["labour"],
        travel_minutes_by_category=by_category["travel"],
        start_category=start_category,
        on_site=on_site,
        weighted_labour_minutes=weighted,
        labour_amount=labour_amount,
        travel_time_amount=travel_time_amount,
        travel_fee=travel_fee,
        total=total,
        travel_zone=(travel_zone or "").strip(),
        travel_km=None if travel_km is None else Decimal(travel_km),
        multipliers=multipliers,
        on_site_multiplier=place,
        labour_rate=rules.labour_rate,
        travel_rate=rules.travel_rate,
    )
