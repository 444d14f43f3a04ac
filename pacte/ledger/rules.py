"""From a contract version's terms to the pricing rules, and the snapshot a movement keeps of them.

``rules_from_terms`` reads what ``pricing.price_intervention`` needs; ``snapshot`` writes, as JSON
(decimals as strings), everything that priced a movement — billing model and its prices, rounding,
minimum, multipliers, travel, alert thresholds, included quantity, overage, prepaid validity and
rollover, scope — so a movement can be explained, and re-priced (``rules_from_snapshot``), long after
the contract has changed.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pacte.contracts.terms import ContractTerms, FixedFee, PrepaidCredits, TimeAndMaterials, Unlimited
from pacte.ledger.pricing import Rules

SNAPSHOT_VERSION = 1


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def rules_from_terms(terms: ContractTerms) -> Rules:
    """The pricing rules of ``terms``.

    Labour and travel rates come from a time-and-materials model; a fixed fee prices labour at its
    overage rate (what work beyond the included volume costs); the other models price no labour in
    money (``None``: hours, credits or catalogue tasks instead).
    """
    model = terms.billing_model
    labour_rate: Decimal | None = None
    travel_rate: Decimal | None = None
    if isinstance(model, TimeAndMaterials):
        labour_rate, travel_rate = model.labour_rate, model.travel_rate
    elif isinstance(model, FixedFee):
        labour_rate = model.overage_rate
    return Rules(
        rounding_unit_minutes=terms.rounding_unit_minutes,
        minimum_minutes_per_intervention=terms.minimum_minutes_per_intervention,
        after_hours=terms.multipliers.after_hours,
        weekend_or_holiday=terms.multipliers.weekend_or_holiday,
        on_site=terms.multipliers.on_site,
        labour_rate=labour_rate,
        travel_rate=travel_rate,
        travel_zone_fees={zone.code: zone.fee for zone in terms.travel.zones},
        per_km_rate=terms.travel.per_km_rate,
    )


def snapshot(terms: ContractTerms) -> dict[str, Any]:
    """Everything in ``terms`` that prices a movement, JSON-ready (decimals as strings)."""
    model = terms.billing_model
    included: dict[str, Any] = {"quantity": None, "unit": "none"}
    overage: dict[str, Any] = {"rate": None, "policy": None}
    prepaid: dict[str, Any] | None = None
    if isinstance(model, FixedFee):
        included = {"quantity": str(model.included_quantity), "unit": model.included_unit}
        overage = {"rate": _text(model.overage_rate), "policy": model.overage_policy}
    elif isinstance(model, PrepaidCredits):
        included = {"quantity": str(model.block_quantity), "unit": model.block_unit}
        prepaid = {
            "block_quantity": str(model.block_quantity),
            "block_unit": model.block_unit,
            "block_price": str(model.block_price),
            "validity_months": model.validity_months,
            "rollover": model.rollover,
            "rollover_cap": _text(model.rollover_cap),
        }
    rules = rules_from_terms(terms)
    return {
        "version": SNAPSHOT_VERSION,
        "billing_model": model.kind,
        "billing": model.model_dump(mode="json"),
        "prices": {key: str(value) for key, value in terms.prices().items()},
        "period": model.period if isinstance(model, FixedFee | Unlimited) else None,
        "labour_rate": _text(rules.labour_rate),
        "travel_rate": _text(rules.travel_rate),
        "rounding_unit_minutes": terms.rounding_unit_minutes,
        "minimum_minutes_per_intervention": terms.minimum_minutes_per_intervention,
        "multipliers": {
            "after_hours": str(terms.multipliers.after_hours),
            "weekend_or_holiday": str(terms.multipliers.weekend_or_holiday),
            "on_site": str(terms.multipliers.on_site),
        },
        "travel": {
            "zones": [{"code": zone.code, "label": zone.label, "fee": str(zone.fee)} for zone in terms.travel.zones],
            "per_km_rate": _text(terms.travel.per_km_rate),
        },
        "alert_thresholds": [str(threshold) for threshold in terms.alert_thresholds],
        "included": included,
        "overage": overage,
        "prepaid": prepaid,
        "scope": {
            "covered_categories": list(terms.covered_categories),
            "out_of_scope_rule": terms.out_of_scope_rule.kind,
            "out_of_scope_hours": _text(terms.out_of_scope_rule.hours),
        },
        "proration": terms.proration,
    }


def rules_from_snapshot(data: dict[str, Any]) -> Rules:
    """The pricing rules a movement was priced by, read back from its ``snapshot`` (to re-price it)."""

    def decimal(value: Any) -> Decimal | None:
        return None if value is None else Decimal(str(value))

    multipliers = data["multipliers"]
    travel = data["travel"]
    return Rules(
        rounding_unit_minutes=int(data["rounding_unit_minutes"]),
        minimum_minutes_per_intervention=int(data["minimum_minutes_per_intervention"]),
        after_hours=Decimal(str(multipliers["after_hours"])),
        weekend_or_holiday=Decimal(str(multipliers["weekend_or_holiday"])),
        on_site=Decimal(str(multipliers["on_site"])),
        labour_rate=decimal(data.get("labour_rate")),
        travel_rate=decimal(data.get("travel_rate")),
        travel_zone_fees={zone["code"]: Decimal(str(zone["fee"])) for zone in travel["zones"]},
        per_km_rate=decimal(travel.get("per_km_rate")),
    )
