"""Request and response bodies of the ledger API. Quantities and amounts are decimal strings (``"-1.2500"``)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any, Literal

from ninja import Field, Schema

from pacte.contracts.schemas import InDate
from pacte.core.api import InputSchema

UnitName = Literal["hours", "interventions", "credits", "euros"]
KindName = Literal["allowance", "purchase", "consumption", "overage", "expiry", "rollover", "adjustment"]


class AccountOut(Schema):
    id: int
    unit: UnitName
    balance: Decimal = Field(..., description="The sum of the account's movements (never stored).")
    billable_total: Decimal | None = Field(..., description="The sum of its billable amounts excl. VAT, if any.")


class LedgerOut(Schema):
    contract_id: int
    contract_reference: str
    accounts: list[AccountOut]


class MovementOut(Schema):
    id: int
    account_id: int
    unit: UnitName
    kind: KindName
    quantity: Decimal = Field(..., description="Signed, in the account's unit: negative takes from the balance.")
    amount: Decimal | None = Field(..., description="Excl. VAT, when billable; else null.")
    billable: bool
    service_date: datetime.date
    period_start: datetime.date | None
    period_end: datetime.date | None
    source_kind: str
    source_id: str
    key: str = Field(..., description="Unique: a source is posted at most once.")
    rule: dict[str, Any] = Field(..., description="The snapshot of the rule that priced it.")
    detail: dict[str, Any]
    description: str
    reason: str
    created_at: datetime.datetime


class AdjustmentIn(InputSchema):
    unit: UnitName
    quantity: Decimal = Field(
        ...,
        strict=False,
        description="Signed, in the account's unit (at most 4 decimal places; 2 in euros); not zero.",
    )
    reason: str = Field(..., max_length=2000, description="Why (required; kept with the movement and audited).")


class LeakLineOut(Schema):
    problem: Literal["no_contract", "no_rule", "not_posted", "source_gone", "not_invoiced"]
    source_kind: str
    source_id: str
    reference: str
    client_name: str
    reason: str
    day: datetime.date | None
    contract_id: int | None
    contract_reference: str
    amount: Decimal | None
    movement_key: str


class LeakReportOut(Schema):
    unmatched: list[LeakLineOut]
    unposted: list[LeakLineOut]
    source_gone: list[LeakLineOut]
    not_invoiced: list[LeakLineOut] = Field(
        ..., description="Billable movements of an ended period; invoices will link them in a later version."
    )
    truncated: list[str]


class TaskIn(InputSchema):
    code: str = Field(..., min_length=1, max_length=30, description="The task's code in the contract's catalogue.")
    quantity: int = Field(1, ge=1, le=999, description="How many were performed (1–999).")
    performed_on: InDate = Field(
        ..., description="The day it was performed: the catalogue price in force that day applies (not in the future)."
    )
    ticket_id: int | None = Field(None, ge=1, le=2**62, description="A ticket of the contract's client.")
    intervention_id: int | None = Field(None, ge=1, le=2**62, description="A sheet of the contract's client.")
    note: str = Field("", max_length=300)


class TaskCancelIn(InputSchema):
    reason: str = Field("", max_length=300)


class MilestoneAcceptIn(InputSchema):
    accepted_on: InDate | None = Field(
        None, description="The acceptance day (default today): the milestone's amount in force that day is billed."
    )
    note: str = Field("", max_length=300)


class MilestoneOut(Schema):
    index: int | None = Field(..., description="Its position in the terms in force; null: accepted, no longer named.")
    label: str
    amount: Decimal
    expected_on: datetime.date | None
    accepted_on: datetime.date | None = Field(..., description="Null: to accept.")
    movement_id: int | None
    invoiced: bool = Field(..., description="Billed by an issued invoice.")


class MilestoneListOut(Schema):
    contract_id: int
    milestones: list[MilestoneOut]
