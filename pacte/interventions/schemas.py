"""Request and response bodies of the intervention sheets API (sheets, time entries, parts).

Instants are ISO 8601 (``2026-05-13T15:00:00Z``); a time without an offset is refused. Amounts and
quantities are decimal strings (``"2.50"``).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from ninja import Field, Schema

from pacte.core.api import InputSchema
from pacte.sla.schemas import InInstant

Id = Annotated[int, Field(ge=1, le=2**62)]
ModeName = Literal["on_site", "remote", "workshop"]
SheetStatusName = Literal["planned", "in_progress", "done", "signed", "cancelled"]
BackupCheckName = Literal["pending", "client_confirmed", "provider_option", "not_needed"]
ResultName = Literal["resolved", "partial", "not_resolved", ""]
NatureName = Literal["labour", "travel"]
OutcomeName = Literal["pending", "ok", "issue", "n_a"]
IdList = Annotated[list[Id], Field(max_length=50)]
Title = Annotated[str, Field(min_length=1, max_length=200)]


# Responses ------------------------------------------------------------------------------------------


class Ref(Schema):
    id: int
    reference: str


class TechnicianOut(Schema):
    id: int = Field(..., description="A membership of the provider.")
    name: str


class TimeEntryOut(Schema):
    id: int
    sheet_id: int | None
    ticket_id: int | None
    technician_id: int
    technician_name: str
    nature: NatureName
    started_at: datetime = Field(..., description="The raw start, as logged.")
    ended_at: datetime = Field(..., description="The raw end, as logged.")
    minutes: int
    minutes_in_hours: int = Field(..., description="Inside the contract's coverage windows.")
    minutes_after_hours: int = Field(..., description="Outside them, on a working day.")
    minutes_weekend: int = Field(..., description="Outside them, on a Saturday, a Sunday or a public holiday.")
    description: str
    created_at: datetime


class PartOut(Schema):
    id: int
    description: str
    quantity: Decimal
    unit_price: Decimal | None = Field(..., description="Excluding VAT; null when not priced.")
    serial_out: str
    serial_in: str
    asset_id: int | None


class ChecklistItemOut(Schema):
    id: int
    asset_id: int | None
    code: str
    label: str
    outcome: OutcomeName
    note: str


class PatchOut(Schema):
    id: int
    asset_id: int
    reference: str
    title: str
    installed_at: datetime


class SheetOut(Schema):
    id: int
    reference: str = Field(..., examples=["INT-2026-00042"])
    title: str
    mode: ModeName
    status: SheetStatusName
    client_id: int
    site_id: int | None
    contract: Ref | None
    ticket: Ref | None
    visit_id: int | None
    corrects: Ref | None = Field(..., description="The signed sheet this one corrects.")
    technicians: list[TechnicianOut]
    asset_ids: list[int]
    planned_start: datetime | None
    planned_end: datetime | None
    checked_in_at: datetime | None = Field(..., description="Arrival on site or start of the remote session.")
    checked_out_at: datetime | None
    diagnosis: str
    actions: str
    result: ResultName
    recommendations: str
    follow_up_needed: bool
    follow_up_notes: str
    travel_minutes: int | None
    travel_km: Decimal | None
    travel_zone: str
    backup_check: BackupCheckName
    backup_blocking: bool = Field(..., description="No labour or part before the backup is confirmed.")
    backup_confirmed_by: str
    backup_confirmed_at: datetime | None
    dropped_off_at: datetime | None
    dropped_off_by: str
    drop_off_condition: str
    returned_at: datetime | None
    returned_to: str
    signed_at: datetime | None
    signer_name: str
    signer_role: str
    cancelled_reason: str
    created_at: datetime
    updated_at: datetime


class SheetDetailOut(SheetOut):
    missing: dict[str, str] = Field(..., description="What signing still needs, by field (empty: ready).")
    time_entries: list[TimeEntryOut]
    parts: list[PartOut]
    checklist: list[ChecklistItemOut]
    patches: list[PatchOut]


# Requests -------------------------------------------------------------------------------------------


class SheetIn(InputSchema):
    client_id: Id
    title: Title
    mode: ModeName = "on_site"
    site_id: Id | None = None
    contract_id: Id | None = Field(None, description="Defaults to the ticket's.")
    ticket_id: Id | None = Field(None, description="A ticket of the client: its GTI stops at the check-in.")
    asset_ids: IdList = Field(default_factory=list)
    technician_ids: IdList = Field(default_factory=list)
    planned_start: InInstant | None = None
    planned_end: InInstant | None = None


class SheetPatch(InputSchema):
    """Fields left out stay as they are; ``null`` clears a site, a time or a travel value."""

    title: Title | None = None
    site_id: Id | None = None
    asset_ids: IdList | None = None
    technician_ids: IdList | None = None
    diagnosis: str | None = Field(None, max_length=20000)
    actions: str | None = Field(None, max_length=20000)
    result: ResultName | None = None
    recommendations: str | None = Field(None, max_length=10000)
    follow_up_needed: bool | None = None
    follow_up_notes: str | None = Field(None, max_length=5000)
    travel_minutes: int | None = Field(None, ge=0, le=1440)
    travel_km: Decimal | None = Field(None, ge=0, le=Decimal("99999.9"), strict=False)
    travel_zone: str | None = Field(None, max_length=20)
    dropped_off_at: InInstant | None = None
    dropped_off_by: str | None = Field(None, max_length=150)
    drop_off_condition: str | None = Field(None, max_length=5000)
    returned_at: InInstant | None = None
    returned_to: str | None = Field(None, max_length=150)


class MomentIn(InputSchema):
    at: InInstant | None = Field(None, description="Default now; a past time may be given, not a future one.")


class BackupIn(InputSchema):
    check: Literal["client_confirmed", "provider_option", "not_needed"]
    confirmed_by: str = Field("", max_length=150, description="The client's person (required when client_confirmed).")


class CancelIn(InputSchema):
    reason: str = Field(..., min_length=1, max_length=300)


class TimeEntryIn(InputSchema):
    technician_id: Id | None = Field(None, description="Default: the caller.")
    started_at: InInstant
    ended_at: InInstant
    nature: NatureName = "labour"
    description: str = Field("", max_length=500)


class PartIn(InputSchema):
    description: str = Field(..., max_length=200)
    quantity: Decimal = Field(Decimal("1"), strict=False)
    unit_price: Decimal | None = Field(None, strict=False)
    serial_out: str = Field("", max_length=100)
    serial_in: str = Field("", max_length=100)
    asset_id: Id | None = None
