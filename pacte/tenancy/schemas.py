from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal, get_type_hints

from ninja import Field, Schema
from pydantic import create_model

from pacte.core.api import InputSchema
from pacte.tenancy import domain

Subdivision = Literal["", "57", "6AE", "971", "972", "973", "974", "976", "BL", "MF", "PM", "NC", "PF", "WF"]
RoleName = Literal["provider_admin", "provider_manager", "technician", "client_manager", "client_user"]

Text150 = Field(..., min_length=1, max_length=150)


class ClientOut(Schema):
    id: int
    name: str
    siren: str
    siret: str
    vat_number: str
    is_professional: bool
    address: str
    postal_code: str
    city: str
    country: str
    time_zone: str
    holiday_subdivision: str
    notes: str
    archived_at: datetime | None
    created_at: datetime
    updated_at: datetime


class ClientIn(InputSchema):
    name: str = Field(..., min_length=1, max_length=150)
    siren: str = Field("", max_length=9)
    siret: str = Field("", max_length=14)
    vat_number: str = Field("", max_length=13)
    is_professional: bool = True
    address: str = Field("", max_length=200)
    postal_code: str = Field("", max_length=10)
    city: str = Field("", max_length=100)
    country: str = Field("FR", min_length=2, max_length=2)
    time_zone: str = Field("Europe/Paris", min_length=1, max_length=64)
    holiday_subdivision: Subdivision = ""
    notes: str = Field("", max_length=5000)


class ClientPatch(InputSchema):
    name: str | None = Field(None, min_length=1, max_length=150)
    siren: str | None = Field(None, max_length=9)
    siret: str | None = Field(None, max_length=14)
    vat_number: str | None = Field(None, max_length=13)
    is_professional: bool | None = None
    address: str | None = Field(None, max_length=200)
    postal_code: str | None = Field(None, max_length=10)
    city: str | None = Field(None, max_length=100)
    country: str | None = Field(None, min_length=2, max_length=2)
    time_zone: str | None = Field(None, min_length=1, max_length=64)
    holiday_subdivision: Subdivision | None = None
    notes: str | None = Field(None, max_length=5000)


class SiteOut(Schema):
    id: int
    client_id: int
    name: str
    address: str
    postal_code: str
    city: str
    country: str
    time_zone: str = Field(..., description="Empty: the client's time zone applies.")
    holiday_subdivision: str | None = Field(..., description="Null: the client's holidays apply.")
    effective_time_zone: str
    effective_holiday_subdivision: str
    archived_at: datetime | None


class SiteIn(InputSchema):
    client_id: int = Field(..., ge=1, le=2**62)
    name: str = Field(..., min_length=1, max_length=150)
    address: str = Field("", max_length=200)
    postal_code: str = Field("", max_length=10)
    city: str = Field("", max_length=100)
    country: str = Field("FR", min_length=2, max_length=2)
    time_zone: str = Field("", max_length=64)
    holiday_subdivision: Subdivision | None = None


class SitePatch(InputSchema):
    name: str | None = Field(None, min_length=1, max_length=150)
    address: str | None = Field(None, max_length=200)
    postal_code: str | None = Field(None, max_length=10)
    city: str | None = Field(None, max_length=100)
    country: str | None = Field(None, min_length=2, max_length=2)
    time_zone: str | None = Field(None, max_length=64)
    holiday_subdivision: Subdivision | None = None


class ContactOut(Schema):
    id: int
    client_id: int
    site_id: int | None
    first_name: str
    last_name: str
    email: str
    phone: str
    job_title: str
    billing_contact: bool = Field(
        ..., description="Receives the client's invoices, credit notes and payment reminders by e-mail."
    )
    archived_at: datetime | None


class ContactIn(InputSchema):
    client_id: int = Field(..., ge=1, le=2**62)
    site_id: int | None = Field(None, ge=1, le=2**62)
    first_name: str = Field("", max_length=100)
    last_name: str = Field(..., min_length=1, max_length=100)
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=30)
    job_title: str = Field("", max_length=100)
    billing_contact: bool = False


class ContactPatch(InputSchema):
    site_id: int | None = Field(None, ge=1, le=2**62)
    first_name: str | None = Field(None, max_length=100)
    last_name: str | None = Field(None, min_length=1, max_length=100)
    email: str | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=30)
    job_title: str | None = Field(None, max_length=100)
    billing_contact: bool | None = None


class MembershipOut(Schema):
    id: int
    email: str
    full_name: str
    role: RoleName
    client_id: int | None
    is_active: bool


class MembershipIn(InputSchema):
    email: str = Field(
        ..., min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", json_schema_extra={"format": "email"}
    )
    full_name: str = Field("", max_length=150)
    role: RoleName
    client_id: int | None = Field(None, ge=1, le=2**62)


class MembershipPatch(InputSchema):
    role: RoleName


class IdentityGapOut(Schema):
    field: str
    message: str
    rules: list[str] = Field(..., description="The validation rules an invoice fails while this is missing.")


#: The provider's identity as ``domain.ProviderIdentity`` declares it: names, order and types come from there.
_IDENTITY_FIELDS: dict[str, Any] = {
    name: (annotation, ...) for name, annotation in get_type_hints(domain.ProviderIdentity).items()
}

ProviderOut = create_model(
    "ProviderOut",
    __base__=Schema,
    id=(int, ...),
    **_IDENTITY_FIELDS,
    has_logo=(bool, ...),
    missing_mentions=(
        list[IdentityGapOut],
        Field(..., description="What the provider's invoices still miss (empty: every mandatory mention is there)."),
    ),
)


class ProviderPatch(InputSchema):
    name: str | None = Field(None, min_length=1, max_length=150)
    legal_name: str | None = Field(None, max_length=150)
    legal_form: str | None = Field(None, max_length=50)
    share_capital: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2, strict=False)
    rcs_city: str | None = Field(None, max_length=100)
    siren: str | None = Field(None, max_length=30)
    siret: str | None = Field(None, max_length=30)
    vat_number: str | None = Field(None, max_length=30)
    address: str | None = Field(None, max_length=200)
    postal_code: str | None = Field(None, max_length=10)
    city: str | None = Field(None, max_length=100)
    country: str | None = Field(None, min_length=2, max_length=2)
    einvoicing_address: str | None = Field(None, max_length=105)
    iban: str | None = Field(None, max_length=50)
    bic: str | None = Field(None, max_length=20)
    late_penalty_text: str | None = Field(None, max_length=2000)
    invoice_prefix: str | None = Field(None, min_length=1, max_length=12)
    credit_note_prefix: str | None = Field(None, min_length=1, max_length=12)
    invoice_email_on_issue: bool | None = None
