"""Pricing one intervention: TERMS.md's order of application, worked examples and properties (no database)."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pacte.ledger.pricing import (
    CATEGORIES,
    EntryTime,
    PricingError,
    Rules,
    money,
    overage,
    price_intervention,
    round_up,
)

PARIS = ZoneInfo("Europe/Paris")


def at(day: int, hour: int, minute: int = 0) -> datetime.datetime:
    """A time in October 2026, Paris (the 13th is a Tuesday, the 17th a Saturday)."""
    return datetime.datetime(2026, 10, day, hour, minute, tzinfo=PARIS)


def entry(
    start: datetime.datetime,
    *,
    in_hours: int = 0,
    after_hours: int = 0,
    weekend: int = 0,
    last: str | None = None,
    first: str | None = None,
    nature: str = "labour",
) -> EntryTime:
    minutes = in_hours + after_hours + weekend
    split = {"in_hours": in_hours, "after_hours": after_hours, "weekend": weekend}
    used = [category for category, value in split.items() if value]
    return EntryTime(
        nature=nature,  # type: ignore[arg-type]
        started_at=start,
        ended_at=start + datetime.timedelta(minutes=minutes),
        minutes_in_hours=in_hours,
        minutes_after_hours=after_hours,
        minutes_weekend=weekend,
        last_category=last or (used[-1] if used else "in_hours"),  # type: ignore[arg-type]
        first_category=first,  # type: ignore[arg-type]
    )


EXAMPLE_5 = Rules(
    rounding_unit_minutes=15,
    minimum_minutes_per_intervention=60,
    after_hours=Decimal("1.5"),
    weekend_or_holiday=Decimal("2.0"),
    on_site=Decimal("1.0"),
    labour_rate=Decimal("80.00"),
    travel_zone_fees={"Z1": Decimal("45.00")},
)


def test_worked_example_5_forty_minutes_on_site_at_19_00() -> None:
    """TERMS.md / issue 8 example 5: 40 min → 45 rounded → 60 minimum, × 1.5 × 80 €/h = 120 + zone 45 = 165."""
    priced = price_intervention([entry(at(13, 19), after_hours=40)], EXAMPLE_5, on_site=True, travel_zone="Z1")
    assert priced.labour_minutes_worked == 40
    assert priced.labour_minutes_rounded == 45
    assert priced.labour_minutes_charged == 60
    assert priced.minimum_added_minutes == 15
    assert priced.labour_minutes_by_category == {"in_hours": 0, "after_hours": 60, "weekend": 0}
    assert priced.hours_consumed == Decimal("1.0000")
    assert priced.labour_amount == Decimal("120.00")
    assert priced.travel_fee == Decimal("45.00")
    assert priced.travel_time_amount == Decimal("0.00")
    assert priced.total == Decimal("165.00")
    detail = priced.detail()
    assert json.loads(json.dumps(detail)) == detail  # JSON-ready as it is
    assert detail["total"] == "165.00"
    assert detail["labour"]["minimum_added_minutes"] == 15
    assert detail["labour"]["start_category"] == "after_hours"
    assert detail["travel"]["zone"] == "Z1"


def test_entry_across_18_00_is_priced_minute_by_minute() -> None:
    """17:30–19:00 → 30 min in hours at ×1, 60 after hours at ×1.5: 30 + 90 = 120 weighted minutes → 160 €."""
    work = entry(at(13, 17, 30), in_hours=30, after_hours=60, first="in_hours", last="after_hours")
    priced = price_intervention([work], EXAMPLE_5, on_site=False)
    assert priced.labour_minutes_by_category == {"in_hours": 30, "after_hours": 60, "weekend": 0}
    assert priced.weighted_labour_minutes == Decimal("120.0")
    assert priced.labour_amount == Decimal("160.00")
    assert priced.hours_consumed == Decimal("1.5000")  # multipliers change money, not hours
    assert priced.travel_fee == Decimal("0.00")
    assert priced.total == Decimal("160.00")


def test_rounding_minutes_take_the_last_category_and_the_minimum_the_first() -> None:
    """17:50–18:10: 10 in hours + 10 after → rounded 30 (+10 after hours) → minimum 60 (+30 in hours)."""
    work = entry(at(13, 17, 50), in_hours=10, after_hours=10, first="in_hours", last="after_hours")
    priced = price_intervention([work], EXAMPLE_5, on_site=True)
    assert priced.labour_minutes_rounded == 30
    assert priced.labour_minutes_by_category == {"in_hours": 40, "after_hours": 20, "weekend": 0}
    # 40 × 1 + 20 × 1.5 = 70 weighted minutes at 80 €/h
    assert priced.labour_amount == money(Decimal(70) * 80 / 60) == Decimal("93.33")


def test_entry_spanning_categories_needs_its_first_category() -> None:
    work = entry(at(13, 17, 30), in_hours=30, after_hours=60, last="after_hours")
    with pytest.raises(PricingError, match="first_category"):
        price_intervention([work], EXAMPLE_5, on_site=False)


def test_weekend_entry_is_doubled() -> None:
    priced = price_intervention([entry(at(17, 10), weekend=60)], EXAMPLE_5, on_site=True, travel_zone="Z1")
    assert priced.labour_minutes_by_category == {"in_hours": 0, "after_hours": 0, "weekend": 60}
    assert priced.labour_amount == Decimal("160.00")  # 60 × 2 × 80 €/h
    assert priced.total == Decimal("205.00")


def test_each_entry_is_rounded_not_the_sum() -> None:
    """Three 10-minute entries are 3 × 15 = 45 minutes, not round_up(30) = 30."""
    rules = Rules(rounding_unit_minutes=15, labour_rate=Decimal("60.00"))
    entries = [entry(at(13, hour), in_hours=10) for hour in (9, 10, 11)]
    priced = price_intervention(entries, rules, on_site=False)
    assert priced.labour_minutes_worked == 30
    assert priced.labour_minutes_rounded == 45
    assert priced.labour_minutes_charged == 45
    assert priced.hours_consumed == Decimal("0.7500")
    assert priced.labour_amount == Decimal("45.00")


def test_minimum_applies_to_labour_not_to_travel() -> None:
    rules = Rules(
        rounding_unit_minutes=15,
        minimum_minutes_per_intervention=60,
        labour_rate=Decimal("80.00"),
        travel_rate=Decimal("40.00"),
    )
    entries = [
        entry(at(13, 8, 30), in_hours=20, nature="travel"),
        entry(at(13, 9), in_hours=15),
        entry(at(13, 10), in_hours=20, nature="travel"),
    ]
    priced = price_intervention(entries, rules, on_site=True)
    assert priced.labour_minutes_charged == 60  # 15 raised to the minimum
    assert priced.travel_minutes_worked == 40
    assert priced.travel_minutes_charged == 60  # 2 × 30: rounded, not raised
    assert priced.hours_consumed == Decimal("1.0000")  # travel consumes no included hours
    assert priced.labour_amount == Decimal("80.00")
    assert priced.travel_time_amount == Decimal("40.00")
    assert priced.total == Decimal("120.00")


def test_travel_time_takes_no_multiplier_and_no_minimum() -> None:
    rules = Rules(minimum_minutes_per_intervention=60, labour_rate=Decimal("80.00"), travel_rate=Decimal("60.00"))
    priced = price_intervention([entry(at(17, 20), weekend=30, nature="travel")], rules, on_site=True)
    assert priced.travel_minutes_by_category == {"in_hours": 0, "after_hours": 0, "weekend": 30}
    assert priced.travel_time_amount == Decimal("30.00")  # 30 min at 60 €/h, no ×2
    assert priced.labour_minutes_charged == 0  # no labour: nothing to raise
    assert priced.total == Decimal("30.00")


def test_per_km_travel_fee() -> None:
    rules = Rules(labour_rate=Decimal("80.00"), per_km_rate=Decimal("0.65"))
    priced = price_intervention([entry(at(13, 9), in_hours=60)], rules, on_site=True, travel_km=Decimal("37.5"))
    assert priced.travel_fee == Decimal("24.38")  # 24.375 half up, rounded once at the end
    assert priced.total == Decimal("104.38")
    assert priced.detail()["travel"]["km"] == "37.5"


def test_travel_fee_only_on_site() -> None:
    priced = price_intervention([entry(at(13, 9), in_hours=60)], EXAMPLE_5, on_site=False, travel_zone="Z1")
    assert priced.travel_fee == Decimal("0.00")
    assert priced.total == Decimal("80.00")


def test_unknown_zone_is_an_error() -> None:
    with pytest.raises(PricingError, match="Unknown travel zone 'Z9'.*Z1"):
        price_intervention([entry(at(13, 9), in_hours=60)], EXAMPLE_5, on_site=True, travel_zone="Z9")
    assert issubclass(PricingError, ValueError)


def test_on_site_multiplier_combines_by_product() -> None:
    rules = Rules(after_hours=Decimal("1.5"), on_site=Decimal("1.2"), labour_rate=Decimal("100.00"))
    work = [entry(at(13, 19), after_hours=60)]
    assert price_intervention(work, rules, on_site=True).labour_amount == Decimal("180.00")  # 100 × 1.5 × 1.2
    assert price_intervention(work, rules, on_site=False).labour_amount == Decimal("150.00")


def test_missing_labour_rate_leaves_the_amounts_to_the_caller() -> None:
    """A prepaid or unlimited contract prices no labour in money: hours only, the travel fee still known."""
    rules = Rules(minimum_minutes_per_intervention=60, travel_zone_fees={"Z1": Decimal("45.00")})
    priced = price_intervention([entry(at(13, 9), in_hours=40)], rules, on_site=True, travel_zone="Z1")
    assert priced.labour_amount is None
    assert priced.total is None
    assert priced.hours_consumed == Decimal("1.0000")
    assert priced.travel_fee == Decimal("45.00")
    assert priced.detail()["labour"]["amount"] is None


def test_money_is_rounded_once_at_the_end() -> None:
    """7 min at 95.55 €/h: 11.1475 → 11.15 (rounding per minute, 1.59 × 7, would give 11.13)."""
    rules = Rules(rounding_unit_minutes=1, labour_rate=Decimal("95.55"))
    priced = price_intervention([entry(at(13, 9), in_hours=7)], rules, on_site=False)
    assert priced.labour_amount == Decimal("11.15")
    assert priced.hours_consumed == Decimal("0.1167")


def test_bad_entries_are_refused() -> None:
    with pytest.raises(PricingError, match="nature"):
        price_intervention([entry(at(13, 9), in_hours=10, nature="coffee")], EXAMPLE_5, on_site=False)
    with pytest.raises(PricingError, match="negative"):
        price_intervention([entry(at(13, 9), in_hours=-5)], EXAMPLE_5, on_site=False)
    with pytest.raises(PricingError, match="rounding unit"):
        price_intervention([], Rules(rounding_unit_minutes=0), on_site=False)


def test_no_entries_cost_nothing() -> None:
    priced = price_intervention([], EXAMPLE_5, on_site=False)
    assert (priced.labour_minutes_charged, priced.hours_consumed, priced.total) == (0, Decimal("0.0000"), Decimal(0))


def test_round_up() -> None:
    assert [round_up(m, 15) for m in (0, 1, 14, 15, 16, 40)] == [0, 15, 15, 15, 30, 45]
    assert round_up(7, 1) == 7
    with pytest.raises(PricingError):
        round_up(5, 0)


def test_worked_example_1_overage() -> None:
    """12 h 15 rounded consumed against 10 h included at 95 €/h → 2.25 h and 213.75 €."""
    assert overage(Decimal("12.25"), Decimal("10"), Decimal("95.00")) == (Decimal("2.2500"), Decimal("213.75"))
    assert overage(Decimal("8"), Decimal("10"), Decimal("95.00")) == (Decimal("0.0000"), Decimal("0.00"))
    assert overage(Decimal("12.25"), Decimal("10"), None) == (Decimal("2.2500"), None)


def test_worked_example_1_overage_from_entries() -> None:
    """A month's sheets whose rounded entries total 12 h 15 consume exactly that: 2.25 h over 10 h."""
    rules = Rules(rounding_unit_minutes=15, labour_rate=Decimal("95.00"))
    # 12 sheets of 58 min (→ 60 each) and one of 5 min (→ 15): 12 h 15 rounded
    sheets = [[entry(at(13 + day % 3, 9 + day % 8), in_hours=58)] for day in range(12)]
    sheets.append([entry(at(16, 9), in_hours=5)])
    consumed = sum((price_intervention(s, rules, on_site=False).hours_consumed for s in sheets), Decimal(0))
    assert consumed == Decimal("12.25")
    assert overage(consumed, Decimal(10), Decimal("95.00")) == (Decimal("2.2500"), Decimal("213.75"))


# --- properties -------------------------------------------------------------------------------

MULTIPLIER = st.decimals(min_value=Decimal("0.5"), max_value=Decimal("5"), places=2)
AT_LEAST_ONE = st.decimals(min_value=Decimal("1"), max_value=Decimal("5"), places=2)
CATEGORY = st.sampled_from(CATEGORIES)


@st.composite
def entries_strategy(draw: st.DrawFn, natures: tuple[str, ...] = ("labour", "travel")) -> list[EntryTime]:
    result = []
    start = at(12, 8)
    for _ in range(draw(st.integers(0, 6))):
        split = draw(st.tuples(st.integers(0, 200), st.integers(0, 200), st.integers(0, 200)))
        first = draw(CATEGORY)
        last = draw(CATEGORY)
        start += datetime.timedelta(minutes=draw(st.integers(1, 600)))
        result.append(
            entry(
                start,
                in_hours=split[0],
                after_hours=split[1],
                weekend=split[2],
                first=first,
                last=last,
                nature=draw(st.sampled_from(natures)),
            )
        )
    return result


@st.composite
def rules_strategy(draw: st.DrawFn, multiplier: st.SearchStrategy[Decimal] = MULTIPLIER) -> Rules:
    return Rules(
        rounding_unit_minutes=draw(st.sampled_from([1, 5, 6, 10, 15, 30, 60])),
        minimum_minutes_per_intervention=draw(st.sampled_from([0, 30, 60, 90, 120])),
        after_hours=draw(multiplier),
        weekend_or_holiday=draw(multiplier),
        on_site=draw(multiplier),
        labour_rate=draw(st.decimals(min_value=0, max_value=500, places=2)),
        travel_rate=draw(st.none() | st.decimals(min_value=0, max_value=200, places=2)),
        per_km_rate=draw(st.none() | st.decimals(min_value=0, max_value=5, places=2)),
    )


@settings(max_examples=300, deadline=None)
@given(entries=entries_strategy(), rules=rules_strategy(), on_site=st.booleans(), km=st.none() | st.integers(0, 500))
def test_properties_of_any_intervention(entries: list[EntryTime], rules: Rules, on_site: bool, km: int | None) -> None:
    priced = price_intervention(entries, rules, on_site=on_site, travel_km=None if km is None else Decimal(km))
    assert priced.total is not None and priced.total >= 0
    assert priced.total == priced.labour_amount + priced.travel_time_amount + priced.travel_fee  # type: ignore[operator]
    worked = sum(e.minutes for e in entries if e.nature == "labour")
    has_labour = any(e.nature == "labour" for e in entries)
    floor = max(rules.minimum_minutes_per_intervention, worked) if has_labour else worked
    assert priced.labour_minutes_charged >= floor
    assert priced.labour_minutes_worked == worked
    raised = priced.labour_minutes_charged > priced.labour_minutes_rounded
    if raised:
        assert priced.labour_minutes_charged == rules.minimum_minutes_per_intervention
    else:
        assert priced.labour_minutes_charged % rules.rounding_unit_minutes == 0
    assert priced.travel_minutes_charged % rules.rounding_unit_minutes == 0
    assert sum(priced.labour_minutes_by_category.values()) == priced.labour_minutes_charged
    assert sum(priced.travel_minutes_by_category.values()) == priced.travel_minutes_charged
    assert priced.hours_consumed == (Decimal(priced.labour_minutes_charged) / 60).quantize(Decimal("0.0001"))
    assert json.loads(json.dumps(priced.detail())) == priced.detail()


@settings(max_examples=300, deadline=None)
@given(
    entries=entries_strategy(),
    rules=rules_strategy(),
    on_site=st.booleans(),
    index=st.integers(0, 10),
    extra=st.integers(1, 120),
)
def test_more_time_never_charges_fewer_minutes(
    entries: list[EntryTime], rules: Rules, on_site: bool, index: int, extra: int
) -> None:
    """Charged minutes and hours consumed are monotonic in the time worked, whatever the categories."""
    if not entries:
        return
    longer = _extended(entries, index % len(entries), extra)
    before = price_intervention(entries, rules, on_site=on_site)
    after = price_intervention(longer, rules, on_site=on_site)
    assert after.labour_minutes_charged >= before.labour_minutes_charged
    assert after.travel_minutes_charged >= before.travel_minutes_charged
    assert after.hours_consumed >= before.hours_consumed
    more = price_intervention([*entries, entry(at(28, 9), in_hours=extra, nature="labour")], rules, on_site=on_site)
    assert more.labour_minutes_charged >= max(before.labour_minutes_charged, before.labour_minutes_rounded + extra)


@settings(max_examples=300, deadline=None)
@given(
    entries=entries_strategy(),
    rules=rules_strategy(multiplier=AT_LEAST_ONE),
    on_site=st.booleans(),
    index=st.integers(0, 10),
    extra=st.integers(1, 120),
)
def test_more_time_never_costs_less(
    entries: list[EntryTime], rules: Rules, on_site: bool, index: int, extra: int
) -> None:
    """Working longer (an entry's end extended) never costs less — when the intervention started at the
    cheapest multiplier (in hours, every multiplier ≥ 1), the common case; see the next test for the rest."""
    if not entries:
        return
    entries = [EntryTime(**{**vars(e), "first_category": "in_hours"}) for e in entries]
    longer = _extended(entries, index % len(entries), extra)
    before = price_intervention(entries, rules, on_site=on_site, travel_km=Decimal(10))
    after = price_intervention(longer, rules, on_site=on_site, travel_km=Decimal(10))
    assert after.total >= before.total  # type: ignore[operator]
    assert after.labour_amount >= before.labour_amount  # type: ignore[operator]


def test_minimum_at_the_start_multiplier_can_outprice_more_work() -> None:
    """TERMS.md's rule has one consequence worth knowing: the minimum's minutes take the *start's*
    multiplier, so an intervention started on Sunday 23:30 (× 2) and stopped at midnight costs more than
    one that went on after hours (× 1.5) until 00:30 — 60 min at × 2 against 30 × 2 + 30 × 1.5."""
    rules = Rules(minimum_minutes_per_intervention=60, labour_rate=Decimal("60.00"))
    sunday = datetime.datetime(2026, 10, 18, 23, 30, tzinfo=PARIS)
    short = price_intervention([entry(sunday, weekend=30)], rules, on_site=False)
    longer = price_intervention(
        [entry(sunday, weekend=30, after_hours=30, first="weekend", last="after_hours")], rules, on_site=False
    )
    assert short.labour_amount == Decimal("120.00")
    assert longer.labour_amount == Decimal("105.00")
    assert longer.hours_consumed == short.hours_consumed == Decimal("1.0000")


def _extended(entries: list[EntryTime], index: int, extra: int) -> list[EntryTime]:
    """``entries`` with entry ``index`` ended ``extra`` minutes later (in its last category)."""
    target = entries[index]
    field = {"in_hours": "minutes_in_hours", "after_hours": "minutes_after_hours", "weekend": "minutes_weekend"}
    changes = {
        **vars(target),
        "ended_at": target.ended_at + datetime.timedelta(minutes=extra),
        field[target.last_category]: getattr(target, field[target.last_category]) + extra,
    }
    longer = EntryTime(**changes)
    return [longer if i == index else e for i, e in enumerate(entries)]
