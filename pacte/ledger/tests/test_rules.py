"""From contract terms to pricing rules and the snapshot a movement keeps (no database)."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from pacte.contracts.terms import (
    CatalogueTask,
    ContractTerms,
    FixedFee,
    Milestone,
    Milestones,
    Multipliers,
    PerTask,
    PrepaidCredits,
    TimeAndMaterials,
    Travel,
    TravelZone,
    Unlimited,
)
from pacte.ledger.pricing import EntryTime, Rules, price_intervention
from pacte.ledger.rules import rules_from_snapshot, rules_from_terms, snapshot


def terms_of(billing_model: object, **values: object) -> ContractTerms:
    return ContractTerms.model_validate({"contract_type": "maintenance", "billing_model": billing_model, **values})


EXAMPLE_5 = terms_of(
    TimeAndMaterials(labour_rate=Decimal("80.00")),
    rounding_unit_minutes=15,
    minimum_minutes_per_intervention=60,
    multipliers=Multipliers(after_hours=Decimal("1.50"), weekend_or_holiday=Decimal("2.00"), on_site=Decimal("1.00")),
    travel=Travel(zones=[TravelZone(code="Z1", label="Lyon", fee=Decimal("45.00"))]),
)

FIXED_FEE = terms_of(
    FixedFee(
        fee=Decimal("900.00"),
        included_quantity=Decimal("10"),
        included_unit="hours",
        overage_rate=Decimal("95.00"),
        overage_policy="block",
    ),
    alert_thresholds=[Decimal("0.8"), Decimal("1.0")],
)

PREPAID = terms_of(
    PrepaidCredits(
        block_quantity=Decimal("20"),
        block_price=Decimal("1500.00"),
        validity_months=12,
        rollover="capped",
        rollover_cap=Decimal("5"),
    ),
    travel=Travel(per_km_rate=Decimal("0.60")),
)


def test_time_and_materials_rules_and_worked_example_5() -> None:
    rules = rules_from_terms(EXAMPLE_5)
    assert rules == Rules(
        rounding_unit_minutes=15,
        minimum_minutes_per_intervention=60,
        after_hours=Decimal("1.50"),
        weekend_or_holiday=Decimal("2.00"),
        on_site=Decimal("1.00"),
        labour_rate=Decimal("80.00"),
        travel_rate=None,
        travel_zone_fees={"Z1": Decimal("45.00")},
        per_km_rate=None,
    )
    start = datetime.datetime(2026, 10, 13, 19, tzinfo=ZoneInfo("Europe/Paris"))
    work = EntryTime(
        nature="labour",
        started_at=start,
        ended_at=start + datetime.timedelta(minutes=40),
        minutes_in_hours=0,
        minutes_after_hours=40,
        minutes_weekend=0,
        last_category="after_hours",
    )
    priced = price_intervention([work], rules, on_site=True, travel_zone="Z1")
    assert (priced.labour_amount, priced.travel_fee, priced.total) == (
        Decimal("120.00"),
        Decimal("45.00"),
        Decimal("165.00"),
    )


def test_fixed_fee_prices_labour_at_its_overage_rate() -> None:
    rules = rules_from_terms(FIXED_FEE)
    assert rules.labour_rate == Decimal("95.00")
    assert rules.travel_rate is None


@pytest.mark.parametrize(
    "model",
    [
        Unlimited(fee=Decimal("500.00")),
        PREPAID.billing_model,
        PerTask(catalogue=[CatalogueTask(code="PC", label="New workstation", price=Decimal("180.00"))]),
        Milestones(milestones=[Milestone(label="Go live", amount=Decimal("2000.00"))]),
    ],
    ids=lambda model: model.kind,
)
def test_other_models_price_no_labour(model: object) -> None:
    rules = rules_from_terms(terms_of(model))
    assert rules.labour_rate is None and rules.travel_rate is None


def test_time_and_materials_travel_rate() -> None:
    terms = terms_of(
        TimeAndMaterials(labour_rate=Decimal("80.00"), travel_rate=Decimal("50.00")),
        travel=Travel(per_km_rate=Decimal("0.65")),
    )
    rules = rules_from_terms(terms)
    assert (rules.travel_rate, rules.per_km_rate, dict(rules.travel_zone_fees)) == (
        Decimal("50.00"),
        Decimal("0.65"),
        {},
    )


def test_snapshot_of_time_and_materials() -> None:
    data = snapshot(EXAMPLE_5)
    assert json.loads(json.dumps(data)) == data  # JSON as it is
    assert data["billing_model"] == "time_and_materials"
    assert data["billing"] == {"kind": "time_and_materials", "labour_rate": "80.00", "travel_rate": None}
    assert data["prices"] == {"labour_rate": "80.00", "zone:Z1": "45.00"}
    assert data["labour_rate"] == "80.00"
    assert data["rounding_unit_minutes"] == 15
    assert data["minimum_minutes_per_intervention"] == 60
    assert data["multipliers"] == {"after_hours": "1.50", "weekend_or_holiday": "2.00", "on_site": "1.00"}
    assert data["travel"] == {"zones": [{"code": "Z1", "label": "Lyon", "fee": "45.00"}], "per_km_rate": None}
    assert data["included"] == {"quantity": None, "unit": "none"}
    assert data["prepaid"] is None
    assert data["period"] is None


def test_snapshot_of_a_fixed_fee() -> None:
    data = snapshot(FIXED_FEE)
    assert data["billing_model"] == "fixed_fee"
    assert data["billing"]["fee"] == "900.00"
    assert data["billing"]["billed"] == "in_advance"
    assert data["period"] == "month"
    assert data["included"] == {"quantity": "10", "unit": "hours"}
    assert data["overage"] == {"rate": "95.00", "policy": "block"}
    assert data["alert_thresholds"] == ["0.8", "1.0"]
    assert data["labour_rate"] == "95.00"
    assert data["scope"] == {
        "covered_categories": [],
        "out_of_scope_rule": "quote_required",
        "out_of_scope_hours": None,
    }


def test_snapshot_of_prepaid_credits() -> None:
    data = snapshot(PREPAID)
    assert data["billing_model"] == "prepaid_credits"
    assert data["included"] == {"quantity": "20", "unit": "hours"}
    assert data["prepaid"] == {
        "block_quantity": "20",
        "block_unit": "hours",
        "block_price": "1500.00",
        "validity_months": 12,
        "rollover": "capped",
        "rollover_cap": "5",
    }
    assert data["travel"]["per_km_rate"] == "0.60"
    assert data["labour_rate"] is None


@pytest.mark.parametrize("terms", [EXAMPLE_5, FIXED_FEE, PREPAID], ids=["t_and_m", "fixed_fee", "prepaid"])
def test_a_snapshot_gives_back_the_rules_that_priced(terms: ContractTerms) -> None:
    """Re-pricing from a movement's snapshot uses exactly the rules of the terms it came from."""
    stored = json.loads(json.dumps(snapshot(terms)))
    assert rules_from_snapshot(stored) == rules_from_terms(terms)
