"""REST endpoints of payments: an invoice's payments and state, recording one, importing a bank
statement, the month's sales journal (CSV).

Thin: a selector or a service per request. The provider's admins and managers only (403 for other
roles); another provider's invoice is a 404.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError
from ninja.responses import Status

from pacte.billing import accounting, bank_import, payments, selectors
from pacte.billing.domain import cents
from pacte.billing.forms import previous_month
from pacte.billing.models import Invoice, Payment
from pacte.billing.permissions import can_bill
from pacte.core.api import ERRORS, WRITE_ERRORS, ErrorOut, InputSchema, request_actor, uploaded_file
from pacte.tenancy.permissions import require

router = Router(tags=["billing"])

MethodName = Literal["transfer", "direct_debit", "cheque", "card", "other"]


class PaymentOut(Schema):
    id: int
    invoice_id: int
    received_on: datetime.date
    amount: Decimal = Field(..., description="Incl. VAT, to the cent.")
    method: str = Field(..., description="transfer, direct_debit, cheque, card or other")
    reference: str
    imported: bool = Field(..., description="Imported from a bank statement.")
    created_at: datetime.datetime


class InvoicePaymentsOut(Schema):
    invoice_id: int
    number: str | None
    state: str = Field(..., description="draft, unpaid, partly_paid, paid, overdue or credited")
    total: Decimal = Field(..., description="Incl. VAT.")
    paid: Decimal
    credited: Decimal = Field(..., description="Incl. VAT, by issued credit notes.")
    due: Decimal = Field(..., description="What is still due.")
    due_date: datetime.date | None
    days_late: int
    penalty_interest: Decimal = Field(..., description="Late-payment interest to date (or to the last payment).")
    penalty_indemnity: Decimal = Field(..., description="The 40 € recovery indemnity, professional clients only.")
    payments: list[PaymentOut]


class PaymentIn(InputSchema):
    received_on: datetime.date = Field(
        ..., strict=False, description="YYYY-MM-DD: not in the future, not before issue."
    )
    amount: Decimal = Field(..., strict=False, description="Incl. VAT, > 0, at most what is still due.")
    method: MethodName = "transfer"
    reference: str = Field("", max_length=140)


class BankLineOut(Schema):
    line: int = Field(..., description="Line number in the file (1 = the first line).")
    date: datetime.date | None
    amount: Decimal | None
    label: str
    invoice_number: str
    invoice_id: int | None
    reason: str


class BankImportOut(Schema):
    matched: list[BankLineOut]
    already_imported: list[BankLineOut]
    unmatched: list[BankLineOut]
    rejected: list[BankLineOut]
    debits: int = Field(..., description="Debit lines, ignored.")
    matched_total: Decimal


UPLOAD_STATEMENT = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary", "description": "The CSV statement (≤ 5 MB)."}
                    },
                }
            }
        },
    }
}
CSV_RESPONSE = {
    "responses": {
        200: {
            "description": "The sales journal: FEC column names, `;`, decimal comma, UTF-8 with BOM.",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    }
}


def payment_out(payment: Payment) -> dict[str, Any]:
    return {
        "id": payment.pk,
        "invoice_id": payment.invoice_id,
        "received_on": payment.received_on,
        "amount": payment.amount,
        "method": payment.method,
        "reference": payment.reference,
        "imported": payment.import_key is not None,
        "created_at": payment.created_at,
    }


def _invoice(request: HttpRequest, invoice_id: int) -> Invoice:
    actor = request_actor(request)
    require(can_bill(actor))
    return selectors.invoice_get(actor=actor, pk=invoice_id)


def invoice_payments_out(invoice: Invoice) -> dict[str, Any]:
    today = timezone.localdate()
    balance = selectors.invoice_balance(invoice)
    rows = list(payments.payment_list(invoice))
    penalty = payments.invoice_penalty(invoice, today, payments=rows, credited=balance.credited)
    issued_invoice = invoice.is_issued and invoice.kind == "invoice"
    return {
        "invoice_id": invoice.pk,
        "number": invoice.number,
        "state": payments.payment_state(invoice, today, balance=balance),
        "total": cents(balance.total),
        "paid": cents(balance.paid),
        "credited": cents(balance.credited),
        "due": cents(balance.due),
        "due_date": invoice.due_date,
        "days_late": penalty.days if issued_invoice and balance.due > 0 else 0,
        "penalty_interest": penalty.interest if issued_invoice else Decimal("0.00"),
        "penalty_indemnity": penalty.indemnity if issued_invoice else Decimal("0.00"),
        "payments": [payment_out(payment) for payment in rows],
    }


@router.get(
    "/invoices/{invoice_id}/payments",
    response={200: InvoicePaymentsOut, **ERRORS},
    summary="An invoice's payments, state and penalty (admins and managers)",
    description="The payments received (oldest first), what is still due, the payment state and the late-payment "
    "penalty to date (interest on what stayed unpaid, per period; + 40 € for a professional client).",
)
def invoice_payments(request: HttpRequest, invoice_id: int) -> dict[str, Any]:
    return invoice_payments_out(_invoice(request, invoice_id))


@router.post(
    "/invoices/{invoice_id}/payments",
    response={201: PaymentOut, **WRITE_ERRORS},
    summary="Record a payment received (admins and managers)",
    description="On an issued invoice (a draft or a credit note: 409); amount > 0 and at most what is still due, "
    "dated neither in the future nor before the issue date (422 otherwise). Audited.",
)
def payment_create(request: HttpRequest, invoice_id: int, payload: PaymentIn) -> Status[dict[str, Any]]:
    invoice = _invoice(request, invoice_id)
    payment = payments.payment_record(
        actor=request_actor(request),
        invoice=invoice,
        received_on=payload.received_on,
        amount=payload.amount,
        method=payload.method,
        reference=payload.reference,
    )
    return Status(201, payment_out(payment))


@router.post(
    "/bank-imports",
    response={200: BankImportOut, **WRITE_ERRORS, 413: ErrorOut},
    summary="Import a bank statement (CSV, admins and managers)",
    description="Multipart field `file`. Credits whose label gives an invoice number (FA-2026-000012) are "
    "recorded as payments by transfer; importing a statement twice records nothing twice. A file that is "
    "not a CSV statement is a 422 and writes nothing; over 5 MB, a 413.",
    openapi_extra=UPLOAD_STATEMENT,
)
def bank_import_create(request: HttpRequest) -> dict[str, Any]:
    actor = request_actor(request)
    require(can_bill(actor))
    data = uploaded_file(request, "file", what="the statement")
    if len(data) > bank_import.MAX_BYTES:
        raise HttpError(413, "The statement is over 5 MB: split it into shorter periods.")
    filename = getattr(request.FILES.get("file"), "name", "") or ""
    report = bank_import.bank_statement_import(actor=actor, data=data, filename=filename)

    def lines(items: list[bank_import.LineOutcome]) -> list[dict[str, Any]]:
        return [
            {
                "line": item.line,
                "date": item.day,
                "amount": item.amount,
                "label": item.label,
                "invoice_number": item.invoice_number,
                "invoice_id": item.invoice_id,
                "reason": item.reason,
            }
            for item in items
        ]

    return {
        "matched": lines(report.matched),
        "already_imported": lines(report.already_imported),
        "unmatched": lines(report.unmatched),
        "rejected": lines(report.rejected),
        "debits": report.debits,
        "matched_total": report.matched_total,
    }


@router.get(
    "/accounting-export",
    response={200: None, **ERRORS},
    summary="The sales journal of a month, CSV (admins and managers)",
    description="Invoices and credit notes issued in `month` (YYYY-MM, default: the previous month): one "
    "balanced entry each (411000 debit, "
    "revenue accounts and 445710 VAT credit; credit notes reversed), FEC column names.",
    openapi_extra=CSV_RESPONSE,
)
def accounting_export(
    request: HttpRequest,
    month: str = Query("", max_length=7, description="YYYY-MM; the previous month when omitted."),  # noqa: B008
) -> HttpResponse:
    actor = request_actor(request)
    require(can_bill(actor))
    filename, data = accounting.accounting_export(actor=actor, month=month or previous_month())
    response = HttpResponse(data, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
