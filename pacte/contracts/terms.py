"""The terms of a contract version: typed, validated values every other app reads (TERMS.md).

Pure pydantic models, no database: a version stores ``ContractTerms.model_dump(mode="json")`` and
``contract_terms_at`` hands back the parsed object. Ids (sites, assets, service level) are checked
against the database by the services; everything else is checked here.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Money = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2)]
Rate = Annotated[Decimal, Field(ge=0, max_digits=10, decimal_places=2)]
Multiplier = Annotated[Decimal, Field(ge=Decimal("0.5"), le=Decimal("5"), max_digits=4, decimal_places=2)]
Period = Literal["month", "quarter", "year"]
Billed = Literal["in_advance", "in_arrears"]

CONTRACT_TYPES = ("maintenance", "assistance", "prestation")
INTERVENTION_MODES = ("remote", "on_site", "workshop")
BILLING_MODELS = ("fixed_fee", "unlimited", "time_and_materials", "prepaid_credits", "per_task", "milestones")
PERIOD_MONTHS = {"month": 1, "quarter": 3, "year": 12}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


class FixedFee(_Strict):
    kind: Literal["fixed_fee"] = "fixed_fee"
    fee: Money
    period: Period = "month"
    billed: Billed = "in_advance"
    included_quantity: Annotated[Decimal, Field(ge=0, max_digits=8, decimal_places=2)] = Decimal(0)
    included_unit: Literal["hours", "interventions", "none"] = "hours"
    overage_rate: Rate | None = None
    overage_policy: Literal["allow", "warn", "block"] = "warn"

    @model_validator(mode="after")
    def _included(self) -> FixedFee:
        if self.included_unit == "none" and self.included_quantity:
            raise ValueError("An included quantity needs a unit (hours or interventions).")
        if self.included_unit != "none" and self.included_quantity and self.overage_rate is None:
            raise ValueError("An included volume needs an overage rate for the work beyond it.")
        return self


class Unlimited(_Strict):
    kind: Literal["unlimited"] = "unlimited"
    fee: Money
    period: Period = "month"
    billed: Billed = "in_advance"


class TimeAndMaterials(_Strict):
    kind: Literal["time_and_materials"] = "time_and_materials"
    labour_rate: Rate
    travel_rate: Rate | None = None


class PrepaidCredits(_Strict):
    kind: Literal["prepaid_credits"] = "prepaid_credits"
    block_quantity: Annotated[Decimal, Field(gt=0, max_digits=8, decimal_places=2)]
    block_unit: Literal["hours"] = "hours"
    block_price: Money
    validity_months: Annotated[int, Field(ge=1, le=60)] = 12
    rollover: Literal["none", "next_block", "capped"] = "none"
    rollover_cap: Annotated[Decimal, Field(ge=0, max_digits=8, decimal_places=2)] | None = None

    @model_validator(mode="after")
    def _cap(self) -> PrepaidCredits:
        if (self.rollover == "capped") != (self.rollover_cap is not None):
            raise ValueError("A capped rollover needs its cap, and only a capped rollover has one.")
        return self


class CatalogueTask(_Strict):
    code: Annotated[str, Field(min_length=1, max_length=30, pattern=r"^[A-Za-z0-9_.-]+$")]
    label: Annotated[str, Field(min_length=1, max_length=150)]
    price: Money


class PerTask(_Strict):
    kind: Literal["per_task"] = "per_task"
    catalogue: Annotated[list[CatalogueTask], Field(min_length=1, max_length=200)]

    @field_validator("catalogue")
    @classmethod
    def _unique_codes(cls, value: list[CatalogueTask]) -> list[CatalogueTask]:
        codes = [task.code for task in value]
        if len(codes) != len(set(codes)):
            raise ValueError("Each catalogue task needs its own code.")
        return value


class Milestone(_Strict):
    label: Annotated[str, Field(min_length=1, max_length=150)]
    amount: Money
    expected_on: datetime.date | None = None


class Milestones(_Strict):
    kind: Literal["milestones"] = "milestones"
    milestones: Annotated[list[Milestone], Field(min_length=1, max_length=50)]


BillingModel = Annotated[
    FixedFee | Unlimited | TimeAndMaterials | PrepaidCredits | PerTask | Milestones, Field(discriminator="kind")
]


class Multipliers(_Strict):
    after_hours: Multiplier = Decimal("1.50")
    weekend_or_holiday: Multiplier = Decimal("2.00")
    on_site: Multiplier = Decimal("1.00")


class TravelZone(_Strict):
    code: Annotated[str, Field(min_length=1, max_length=20, pattern=r"^[A-Za-z0-9_-]+$")]
    label: Annotated[str, Field(min_length=1, max_length=100)]
    fee: Money


class Travel(_Strict):
    zones: Annotated[list[TravelZone], Field(max_length=20)] = []
    per_km_rate: Rate | None = None

    @model_validator(mode="after")
    def _one_way(self) -> Travel:
        if self.zones and self.per_km_rate is not None:
            raise ValueError("Travel is billed by zone or per kilometre, not both.")
        return self


class BackupDuty(_Strict):
    party: Literal["client", "provider_option"] = "client"
    blocking: bool = True


class OutOfScopeRule(_Strict):
    kind: Literal["quote_required", "time_and_materials_up_to", "refuse"] = "quote_required"
    hours: Annotated[Decimal, Field(gt=0, max_digits=5, decimal_places=2)] | None = None

    @model_validator(mode="after")
    def _hours(self) -> OutOfScopeRule:
        if (self.kind == "time_and_materials_up_to") != (self.hours is not None):
            raise ValueError("'Time and materials up to' needs its number of hours, and only that rule has one.")
        return self


class PaymentTerms(_Strict):
    """L441-10: at most 60 days from issue, or 45 days end of month."""

    days: Annotated[int, Field(ge=0, le=60)] = 30
    end_of_month: bool = False

    @model_validator(mode="after")
    def _legal_maximum(self) -> PaymentTerms:
        if self.end_of_month and self.days > 45:
            raise ValueError("Payment terms end of month may not exceed 45 days (Code de commerce L441-10).")
        return self


class PriceRevision(_Strict):
    index_code: Annotated[str, Field(min_length=1, max_length=30)] = "SYNTEC"
    reference_month: datetime.date
    formula: Literal["ratio", "mixed"] = "ratio"
    fixed_part: Annotated[Decimal, Field(ge=0, lt=1, max_digits=5, decimal_places=4)] = Decimal(0)
    floor: Annotated[Decimal, Field(ge=-1, le=1, max_digits=6, decimal_places=4)] | None = None
    cap: Annotated[Decimal, Field(ge=0, le=1, max_digits=6, decimal_places=4)] | None = None
    revision_period_months: Annotated[int, Field(ge=1, le=60)] = 12
    index_period_months: Annotated[int, Field(ge=1, le=60)] = 12
    revision_month: Annotated[int, Field(ge=1, le=12)] | None = None
    decimals: Annotated[int, Field(ge=0, le=4)] = 2
    linking_coefficient: Annotated[Decimal, Field(gt=0, max_digits=8, decimal_places=6)] | None = None

    @field_validator("reference_month")
    @classmethod
    def _first_of_month(cls, value: datetime.date) -> datetime.date:
        return value.replace(day=1)

    @model_validator(mode="after")
    def _clause(self) -> PriceRevision:
        if self.index_period_months > self.revision_period_months:
            raise ValueError(
                "The index variation period may not be longer than the period between revisions "
                "(Code monétaire et financier L112-1)."
            )
        if self.floor is not None and self.cap is not None and self.floor > self.cap:
            raise ValueError("The floor of the revision is above its cap.")
        if self.formula == "ratio" and self.fixed_part:
            raise ValueError("A fixed part belongs to the mixed formula only.")
        return self


class EarlyTermination(_Strict):
    rule: Literal["remaining_fees", "percentage_of_remaining", "none"] = "remaining_fees"
    percentage: Annotated[Decimal, Field(gt=0, le=100, max_digits=5, decimal_places=2)] | None = None

    @model_validator(mode="after")
    def _percentage(self) -> EarlyTermination:
        if (self.rule == "percentage_of_remaining") != (self.percentage is not None):
            raise ValueError("A percentage of the remaining fees needs its percentage, and only that rule has one.")
        return self


class Renewal(_Strict):
    kind: Literal["tacit", "express", "none"] = "tacit"
    renewal_term_months: Annotated[int, Field(ge=1, le=60)] | None = None
    notice_months: Annotated[int, Field(ge=0, le=24)] = 2
    notice_days: Annotated[int, Field(ge=0, le=365)] = 0

    @model_validator(mode="after")
    def _notice(self) -> Renewal:
        if self.notice_months and self.notice_days:
            raise ValueError("Give the notice in months or in days, not both.")
        return self


class Clause(_Strict):
    """One article of the contract text (French by default, editable per contract)."""

    key: Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[a-z0-9_]+$")]
    title: Annotated[str, Field(min_length=1, max_length=200)]
    text: Annotated[str, Field(max_length=20000)]


class ContractTerms(_Strict):
    """Everything a version of a contract promises, in the names of TERMS.md."""

    contract_type: Literal["maintenance", "assistance", "prestation"]
    # Scope and service
    sites: Annotated[list[int], Field(max_length=500)] = []
    assets: Annotated[list[int], Field(max_length=5000)] = []
    covered_categories: Annotated[list[str], Field(max_length=200)] = []
    out_of_scope: Annotated[str, Field(max_length=2000)] = ""
    # Sorted as the validator sorts what it is given, so a default and a re-validated copy are equal.
    intervention_modes: Annotated[list[Literal["remote", "on_site", "workshop"]], Field(min_length=1)] = [
        "on_site",
        "remote",
    ]
    service_level: int | None = None
    backup_duty: BackupDuty = BackupDuty()
    out_of_scope_rule: OutOfScopeRule = OutOfScopeRule()
    # Billing model and the rules common to every model
    billing_model: BillingModel
    rounding_unit_minutes: Annotated[int, Field(ge=1, le=240)] = 15
    minimum_minutes_per_intervention: Annotated[int, Field(ge=0, le=480)] = 0
    multipliers: Multipliers = Multipliers()
    travel: Travel = Travel()
    alert_thresholds: Annotated[list[Annotated[Decimal, Field(gt=0, le=2, decimal_places=2)]], Field(max_length=5)] = [
        Decimal("0.80"),
        Decimal("1.00"),
    ]
    proration: Literal["calendar_days"] = "calendar_days"
    payment_terms: PaymentTerms = PaymentTerms()
    price_revision: PriceRevision | None = None
    early_termination: EarlyTermination = EarlyTermination()
    renewal: Renewal = Renewal()
    # Legal clauses
    liability_cap: Money | None = None
    confidentiality: bool = True
    gdpr_processor_annex: bool = True
    clauses: Annotated[list[Clause], Field(max_length=60)] = []

    @field_validator("sites", "assets", "covered_categories", "intervention_modes")
    @classmethod
    def _no_duplicates(cls, value: list[object]) -> list[object]:
        if len(value) != len(set(value)):
            raise ValueError("A value is listed twice.")
        return sorted(value, key=str) if value and isinstance(value[0], str) else sorted(value)  # type: ignore[type-var]

    @field_validator("alert_thresholds")
    @classmethod
    def _thresholds(cls, value: list[Decimal]) -> list[Decimal]:
        return sorted(set(value))

    @field_validator("clauses")
    @classmethod
    def _clause_keys(cls, value: list[Clause]) -> list[Clause]:
        keys = [clause.key for clause in value]
        if len(keys) != len(set(keys)):
            raise ValueError("Each clause needs its own key.")
        return value

    @property
    def periodic_fee(self) -> tuple[Decimal, str] | None:
        """(fee, period) of a fixed fee or unlimited contract, else None."""
        model = self.billing_model
        if isinstance(model, FixedFee | Unlimited):
            return model.fee, model.period
        return None

    def prices(self) -> dict[str, Decimal]:
        """Every price of the billing model, by a stable key (what a price revision revises)."""
        model = self.billing_model
        prices: dict[str, Decimal] = {}
        if isinstance(model, FixedFee | Unlimited):
            prices["fee"] = model.fee
        if isinstance(model, FixedFee) and model.overage_rate is not None:
            prices["overage_rate"] = model.overage_rate
        if isinstance(model, TimeAndMaterials):
            prices["labour_rate"] = model.labour_rate
            if model.travel_rate is not None:
                prices["travel_rate"] = model.travel_rate
        if isinstance(model, PrepaidCredits):
            prices["block_price"] = model.block_price
        if isinstance(model, PerTask):
            prices.update({f"task:{task.code}": task.price for task in model.catalogue})
        for zone in self.travel.zones:
            prices[f"zone:{zone.code}"] = zone.fee
        if self.travel.per_km_rate is not None:
            prices["per_km_rate"] = self.travel.per_km_rate
        return prices

    def with_prices(self, prices: dict[str, Decimal]) -> ContractTerms:
        """A copy with the prices of ``prices`` (keys of ``prices()``) replaced; other values kept."""
        data = self.model_dump(mode="python")
        model = data["billing_model"]
        for key in ("fee", "overage_rate", "labour_rate", "travel_rate", "block_price"):
            if key in prices and key in model:
                model[key] = prices[key]
        for task in model.get("catalogue", []):
            task["price"] = prices.get(f"task:{task['code']}", task["price"])
        for zone in data["travel"]["zones"]:
            zone["fee"] = prices.get(f"zone:{zone['code']}", zone["fee"])
        if "per_km_rate" in prices:
            data["travel"]["per_km_rate"] = prices["per_km_rate"]
        return ContractTerms.model_validate(data)


def terms_diff(
    before: dict[str, object], after: dict[str, object], prefix: str = ""
) -> dict[str, tuple[object, object]]:
    """What changed between two stored terms (JSON form), as dotted paths → (before, after)."""
    changes: dict[str, tuple[object, object]] = {}
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        path = f"{prefix}{key}"
        if isinstance(old, dict) and isinstance(new, dict):
            changes.update(terms_diff(old, new, f"{path}."))
        elif old != new:
            changes[path] = (old, new)
    return changes
