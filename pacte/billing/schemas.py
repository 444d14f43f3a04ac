"""Request and response bodies of the billing API. Amounts are decimal strings (``"1113.75"``)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from ninja import Field, Schema

from pacte.core.api import InputSchema


class InvoiceLineOut(Schema):
    id: int
    position: int
    kind: str
    description: str
    quantity: Decimal
    unit_code: str = Field(..., description="UN/ECE Rec. 20: HUR hours, C62 one.")
    unit_price: Decimal
    amount: Decimal = Field(..., description="Excl. VAT, rounded to the cent.")
    vat_rate: Decimal
    period_start: datetime.date | None
    period_end: datetime.date | None
    account_code: str
    movement_id: int | None = Field(..., description="The ledger movement this line bills (once).")
    source: str


class InvoiceOut(Schema):
    id: int
    kind: str = Field(..., description="invoice or credit_note")
    status: str = Field(..., description="draft or issued")
    number: str | None
    client_id: int
    client_name: str
    contract_id: int | None
    billing_period: datetime.date | None
    service_start: datetime.date | None
    service_end: datetime.date | None
    issue_date: datetime.date | None
    due_date: datetime.date | None
    credited_invoice_id: int | None
    total_net: Decimal
    total_vat: Decimal
    total_gross: Decimal
    pdf_sha256: str | None = Field(..., description="The stored PDF's SHA-256 once rendered.")
    xml_sha256: str
    pdf_url: str | None = Field(..., description="API path of the PDF (Factur-X), issued invoices only.")
    xml_url: str | None


class InvoiceDetailOut(InvoiceOut):
    lines: list[InvoiceLineOut]


class RunIn(InputSchema):
    month: str = Field(..., description="The billing month, YYYY-MM.", examples=["2026-10"], max_length=7)
    client_id: int | None = None
    issue: bool = Field(False, description="Issue the drafts once computed.")


class RunOut(Schema):
    id: int
    period_start: datetime.date
    period_end: datetime.date
    client_id: int | None
    status: str
    total: int = Field(..., description="Contracts looked at.")
    done: int
    percent: int
    drafted: int
    issued: int
    error: str


class CreditNoteIn(InputSchema):
    reason: str = Field(..., min_length=1, max_length=300)
    lines: dict[str, Decimal] | None = Field(
        None, description="Invoice line id → amount excl. VAT to credit; omit to credit the whole invoice."
    )


class InvoiceSentOut(Schema):
    """One copy of an invoice e-mailed to the client."""

    number: int = Field(..., description="1 for the first e-mail (sent on issue), then 2, 3… for each sent again.")
    queued_at: datetime.datetime
    sent_at: datetime.datetime | None
    recipients: list[str]
    mail_status: str = Field(..., description="queued, sending, sent or failed.")
