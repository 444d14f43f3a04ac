"""Request and response bodies of the contracts API.

``TermsIn`` mirrors ``ContractTerms`` (``terms.py``, TERMS.md) with strict JSON types: amounts and
rates are decimal *strings* (``"900.00"``), dates ``YYYY-MM-DD`` strings. The schema checks types and
shapes; ``ContractTerms`` then checks the rules (ranges, decimals, L112-1…), and a broken rule is a 422
on ``terms.<path>``. Responses give the stored terms as the same JSON.
"""

from __future__ import annotations

import datetime
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import AfterValidator

from pacte.core.api import InputSchema
from pacte.sla.schemas import InDate as AnyDate


def _calendar_year(value: datetime.date) -> datetime.date:
    """Contract dates stay within years 1900–2999 (month arithmetic on year 9999 would overflow)."""
    if not 1900 <= value.year <= 2999:
        raise ValueError("Enter a date between the years 1900 and 2999.")
    return value


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("NUL characters are not allowed.")
    return value


InDate = Annotated[AnyDate, AfterValidator(_calendar_year)]
Text = Annotated[str, AfterValidator(_no_nul)]
Id = Annotated[int, Field(ge=1, le=2**62)]
Dec = Annotated[
    str,
    Field(
        pattern=r"^-?\d{1,12}(\.\d{1,6})?$",
        max_length=20,
        description='A decimal as a string, e.g. `"900.00"` (amounts excl. VAT, rates, fractions).',
        examples=["900.00"],
    ),
]
DateStr = Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$", max_length=10, json_schema_extra={"format": "date"})]
Period = Literal["month", "quarter", "year"]
Billed = Literal["in_advance", "in_arrears"]
ContractTypeName = Literal["maintenance", "assistance", "prestation"]
ModeName = Literal["remote", "on_site", "workshop"]
StatusName = Literal["draft", "sent", "active", "notice_given", "in_exit", "closed", "expired", "cancelled"]


def _default_modes() -> list[ModeName]:
    return ["on_site", "remote"]


class FixedFeeIn(InputSchema):
    kind: Literal["fixed_fee"]
    fee: Dec
    period: Period = "month"
    billed: Billed = "in_advance"
    included_quantity: Dec = "0"
    included_unit: Literal["hours", "interventions", "none"] = "hours"
    overage_rate: Dec | None = None
    overage_policy: Literal["allow", "warn", "block"] = "warn"


class UnlimitedIn(InputSchema):
    kind: Literal["unlimited"]
    fee: Dec
    period: Period = "month"
    billed: Billed = "in_advance"


class TimeAndMaterialsIn(InputSchema):
    kind: Literal["time_and_materials"]
    labour_rate: Dec
    travel_rate: Dec | None = None


class PrepaidCreditsIn(InputSchema):
    kind: Literal["prepaid_credits"]
    block_quantity: Dec
    block_unit: Literal["hours"] = "hours"
    block_price: Dec
    validity_months: int = 12
    rollover: Literal["none", "next_block", "capped"] = "none"
    rollover_cap: Dec | None = None


class CatalogueTaskIn(InputSchema):
    code: str = Field(max_length=30)
    label: str = Field(max_length=150)
    price: Dec


class PerTaskIn(InputSchema):
    kind: Literal["per_task"]
    catalogue: list[CatalogueTaskIn] = Field(max_length=200)


class MilestoneIn(InputSchema):
    label: str = Field(max_length=150)
    amount: Dec
    expected_on: DateStr | None = None


class MilestonesIn(InputSchema):
    kind: Literal["milestones"]
    milestones: list[MilestoneIn] = Field(max_length=50)


BillingModelIn = Annotated[
    FixedFeeIn | UnlimitedIn | TimeAndMaterialsIn | PrepaidCreditsIn | PerTaskIn | MilestonesIn,
    Field(discriminator="kind"),
]


class MultipliersIn(InputSchema):
    after_hours: Dec = "1.50"
    weekend_or_holiday: Dec = "2.00"
    on_site: Dec = "1.00"


class TravelZoneIn(InputSchema):
    code: str = Field(max_length=20)
    label: str = Field(max_length=100)
    fee: Dec


class TravelIn(InputSchema):
    zones: list[TravelZoneIn] = Field(default_factory=list, max_length=20)
    per_km_rate: Dec | None = None


class BackupDutyIn(InputSchema):
    party: Literal["client", "provider_option"] = "client"
    blocking: bool = True


class OutOfScopeRuleIn(InputSchema):
    kind: Literal["quote_required", "time_and_materials_up_to", "refuse"] = "quote_required"
    hours: Dec | None = None


class PaymentTermsIn(InputSchema):
    days: int = 30
    end_of_month: bool = False


class PriceRevisionIn(InputSchema):
    index_code: str = Field("SYNTEC", max_length=30)
    reference_month: DateStr
    formula: Literal["ratio", "mixed"] = "ratio"
    fixed_part: Dec = "0"
    floor: Dec | None = None
    cap: Dec | None = None
    revision_period_months: int = 12
    index_period_months: int = 12
    revision_month: int | None = None
    decimals: int = 2
    linking_coefficient: Dec | None = None


class EarlyTerminationIn(InputSchema):
    rule: Literal["remaining_fees", "percentage_of_remaining", "none"] = "remaining_fees"
    percentage: Dec | None = None


class RenewalIn(InputSchema):
    kind: Literal["tacit", "express", "none"] = "tacit"
    renewal_term_months: int | None = None
    notice_months: int = 2
    notice_days: int = 0


class ClauseIn(InputSchema):
    key: str = Field(max_length=40)
    title: str = Field(max_length=200)
    text: str = Field(max_length=20000)


class TermsIn(InputSchema):
    """The terms of a contract version (TERMS.md); fields left out take TERMS.md's defaults."""

    contract_type: ContractTypeName
    sites: list[Id] = Field(default_factory=list, max_length=500, description="Sites in scope (ids of the client's).")
    assets: list[Id] = Field(
        default_factory=list, max_length=5000, description="Assets in scope; empty: every asset of the sites."
    )
    covered_categories: list[Text] = Field(default_factory=list, max_length=200, description="Service category codes.")
    out_of_scope: str = Field("", max_length=2000)
    intervention_modes: list[ModeName] = Field(default_factory=_default_modes, max_length=3)
    service_level: Id | None = Field(None, description="Id of one of the provider's service levels.")
    backup_duty: BackupDutyIn = Field(default_factory=BackupDutyIn)
    out_of_scope_rule: OutOfScopeRuleIn = Field(default_factory=OutOfScopeRuleIn)
    billing_model: BillingModelIn
    rounding_unit_minutes: int = 15
    minimum_minutes_per_intervention: int = 0
    multipliers: MultipliersIn = Field(default_factory=MultipliersIn)
    travel: TravelIn = Field(default_factory=TravelIn)
    alert_thresholds: list[Dec] = Field(default_factory=lambda: ["0.80", "1.00"], max_length=5)
    proration: Literal["calendar_days"] = "calendar_days"
    payment_terms: PaymentTermsIn = Field(default_factory=PaymentTermsIn)
    price_revision: PriceRevisionIn | None = None
    early_termination: EarlyTerminationIn = Field(default_factory=EarlyTerminationIn)
    renewal: RenewalIn = Field(default_factory=RenewalIn)
    liability_cap: Dec | None = None
    confidentiality: bool = True
    gdpr_processor_annex: bool = True
    clauses: list[ClauseIn] = Field(default_factory=list, max_length=60)


# Contracts -----------------------------------------------------------------------------------------


class ContractIn(InputSchema):
    client_id: Id
    title: str = Field(max_length=200)
    start_date: InDate
    duration_months: int | None = Field(None, description="12, 24…; null: indefinite duration.")
    template_id: Id | None = Field(None, description="The template drafted from; its terms when `terms` is left out.")
    included_clauses: list[Text] | None = Field(
        None, max_length=60, description="With a template: the optional clauses to keep (default: all)."
    )
    terms: TermsIn | None = None


class ContractPatch(InputSchema):
    """A draft's changes; fields left out stay as they are."""

    title: str | None = Field(None, max_length=200)
    start_date: InDate | None = None
    duration_months: int | None = Field(None, description="null: indefinite duration.")
    terms: TermsIn | None = None


class DeadlinesOut(Schema):
    term_last_day: datetime.date | None
    refusal_deadline: datetime.date | None
    reminder_window_start: datetime.date | None = Field(
        None, description="L215-1 reminder window (clients not acting as professionals)."
    )
    reminder_window_end: datetime.date | None = None
    warnings: list[str] = Field(default_factory=list, description="E.g. `refusal_deadline_not_working_day`.")


class VersionRef(Schema):
    id: int
    number: int
    kind: Literal["initial", "amendment", "revision"]
    effective_from: datetime.date


class ContractOut(Schema):
    id: int
    reference: str
    title: str
    client_id: int
    client_name: str
    contract_type: ContractTypeName
    status: StatusName
    template_id: int | None
    start_date: datetime.date
    duration_months: int | None
    term_number: int
    term_start: datetime.date | None
    term_end: datetime.date | None
    end_date: datetime.date | None
    sent_at: datetime.datetime | None
    activated_at: datetime.datetime | None
    closed_at: datetime.datetime | None
    client_signoff_at: datetime.datetime | None


class ContractDetailOut(ContractOut):
    version_in_force: VersionRef | None = Field(None, description="The version in force today (null before it starts).")
    terms: dict[str, Any] | None = Field(
        None, description="The terms in force today (a draft's or sent contract's: its first version's)."
    )
    deadlines: DeadlinesOut | None = None


class VersionOut(Schema):
    id: int
    contract_id: int
    number: int
    kind: Literal["initial", "amendment", "revision"]
    status: Literal["draft", "sent", "signed", "cancelled"]
    effective_from: datetime.date
    reason: str
    signed_at: datetime.datetime | None
    changes: dict[str, Any] = Field(description="What changed from the version before: dotted path → [before, after].")
    document_id: int | None
    document_docx_id: int | None
    sealed_document_id: int | None
    terms: dict[str, Any]


class TermsAtOut(Schema):
    contract_id: int
    at: datetime.date
    in_force: bool = Field(description="False before the start, after the last day, or while unsigned.")
    version: VersionRef | None
    terms: dict[str, Any] | None = Field(description="The terms in force on `at` (TERMS.md), null when none.")


class AmendmentIn(InputSchema):
    effective_from: InDate
    reason: str = Field(max_length=300)
    terms: TermsIn | None = Field(None, description="Left out: the latest signed terms, unchanged.")


class RenewIn(InputSchema):
    months: int | None = Field(None, description="An express renewal without a fixed renewal term: its length.")


# Notice and exit ------------------------------------------------------------------------------------


class NoticeIn(InputSchema):
    given_by: Literal["client", "provider"]
    received_on: InDate
    channel: Literal["registered_letter", "email", "portal", "hand_delivered", "other"]
    comment: str = Field("", max_length=500)
    requested_end: InDate | None = Field(
        None, description="An earlier last day (early termination): the contractual indemnity is computed."
    )


class NoticeOut(Schema):
    id: int
    contract_id: int
    given_by: Literal["client", "provider"]
    received_on: datetime.date
    channel: str
    comment: str
    end_date: datetime.date
    on_time: bool
    reason: str
    indemnity_amount: str = Field(description="Excl. VAT; revisable by the judge (Code civil 1231-5).")
    indemnity_detail: dict[str, Any]
    document_id: int | None


class ExitItemOut(Schema):
    id: int
    contract_id: int
    kind: str
    label: str
    mandatory: bool
    owner_id: int | None
    due_on: datetime.date | None
    done_on: datetime.date | None
    evidence_comment: str
    evidence_document_id: int | None
    position: int


class ExitItemPatch(InputSchema):
    """Fields left out stay as they are; null clears. Done needs evidence (a comment here, or a file in the UI)."""

    owner_id: Id | None = None
    due_on: InDate | None = None
    done_on: InDate | None = None
    evidence_comment: str | None = Field(None, max_length=5000)


# Catalogue and templates --------------------------------------------------------------------------------


class CategoryIn(InputSchema):
    code: str = Field(max_length=40, pattern=r"^[-a-zA-Z0-9_]+$")
    name: str = Field(max_length=100)
    description: str = Field("", max_length=300)


class CategoryOut(Schema):
    id: int
    code: str
    name: str
    description: str
    archived_at: datetime.datetime | None


class TemplateOut(Schema):
    id: int
    name: str
    contract_type: ContractTypeName
    description: str
    duration_months: int | None
    optional_clauses: list[str]
    default_terms: dict[str, Any]
    archived_at: datetime.datetime | None
