from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from ninja import Field, Schema

from pacte.assets import domain
from pacte.core.api import InputSchema
from pacte.sla.schemas import InDate

KindName = Literal[
    "workstation", "laptop", "server", "printer", "network", "phone", "mobile", "software", "licence", "other"
]
WarrantyName = Literal["expired", "expiring", "valid", "unknown"]
Id = Annotated[int, Field(ge=1, le=2**62)]


class AssetOut(Schema):
    id: int
    client_id: int
    site_id: int | None
    kind: KindName
    name: str
    make: str
    model: str
    serial: str = Field(..., description="In capitals; unique among the client's active assets when not empty.")
    hostname: str = Field(..., description="In lower case.")
    user_contact_id: int | None
    user_name: str
    purchase_date: date | None
    warranty_end: date | None
    warranty_state: WarrantyName = Field(
        ..., description=f"Today: expired, expiring (within {domain.EXPIRING_WITHIN_DAYS} days), valid or unknown."
    )
    operating_system: str
    notes: str
    archived_at: datetime | None
    created_at: datetime
    updated_at: datetime


class AssetIn(InputSchema):
    client_id: Id
    site_id: Id | None = Field(None, description="A site of the same client.")
    user_contact_id: Id | None = Field(None, description="A contact of the same client who uses the asset.")
    kind: KindName = "other"
    name: str = Field(..., min_length=1, max_length=domain.NAME_MAX)
    make: str = Field("", max_length=domain.MAKE_MAX)
    model: str = Field("", max_length=domain.MODEL_MAX)
    serial: str = Field("", max_length=domain.SERIAL_MAX)
    hostname: str = Field("", max_length=domain.HOSTNAME_MAX)
    user_name: str = Field("", max_length=domain.USER_NAME_MAX)
    purchase_date: InDate | None = None
    warranty_end: InDate | None = None
    operating_system: str = Field("", max_length=domain.OPERATING_SYSTEM_MAX)
    notes: str = Field("", max_length=domain.NOTES_MAX)


class AssetPatch(InputSchema):
    """Fields left out stay as they are; ``null`` clears a site, a user contact or a date."""

    site_id: Id | None = None
    user_contact_id: Id | None = None
    kind: KindName | None = None
    name: str | None = Field(None, min_length=1, max_length=domain.NAME_MAX)
    make: str | None = Field(None, max_length=domain.MAKE_MAX)
    model: str | None = Field(None, max_length=domain.MODEL_MAX)
    serial: str | None = Field(None, max_length=domain.SERIAL_MAX)
    hostname: str | None = Field(None, max_length=domain.HOSTNAME_MAX)
    user_name: str | None = Field(None, max_length=domain.USER_NAME_MAX)
    purchase_date: InDate | None = None
    warranty_end: InDate | None = None
    operating_system: str | None = Field(None, max_length=domain.OPERATING_SYSTEM_MAX)
    notes: str | None = Field(None, max_length=domain.NOTES_MAX)
