"""REST endpoints of SLA service credits: a month's credits, computing them, approving or rejecting one.

Thin: a selector or a service per request. The provider's admins and managers only (403 for other
roles, client roles included); another provider's credit is a 404.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from pacte.billing import domain, service_credits
from pacte.billing.models_credits import ServiceCredit
from pacte.billing.permissions import can_bill
from pacte.billing.views_credits import credit_get
from pacte.core.api import CURSOR, ERRORS, ID, LIMIT, WRITE_ERRORS, InputSchema, Page, paginate, request_actor
from pacte.tenancy.models import Client
from pacte.tenancy.permissions import require

router = Router(tags=["billing"])

CreditStatusName = Literal["proposed", "approved", "rejected"]
MONTH = Query(..., pattern=r"^\d{4}-\d{2}$", description="The month, YYYY-MM.")
OPTIONAL_MONTH = Query(None, pattern=r"^\d{4}-\d{2}$", description="The month, YYYY-MM (all months without it).")


class ServiceCreditBreachOut(Schema):
    ticket: int
    reference: str
    priority: str
    due: datetime.datetime | None
    restored_at: datetime.datetime | None
    recorded: bool = Field(..., description="From the SLA job's breach record (else from the ticket's clock).")


class ServiceCreditOut(Schema):
    id: int
    contract_id: int
    contract_reference: str
    client_id: int
    month: datetime.date = Field(..., description="The first day of the month.")
    amount: Decimal = Field(..., description="The credit excl. VAT, positive; billed as its opposite.")
    percent: Decimal = Field(..., description="Percent of the month's fee, after the cap.")
    status: CreditStatusName
    breaches: list[ServiceCreditBreachOut]
    detail: dict[str, Any] = Field(..., description="Fee, grid, cap, breaches and availability figures.")
    decided_by: str | None
    decided_at: datetime.datetime | None
    reason: str
    invoice_id: int | None = Field(..., description="The invoice or credit note that gives it back, once billed.")
    computed_at: datetime.datetime


class ServiceCreditRejectIn(InputSchema):
    reason: str = Field(..., min_length=1, max_length=500)


class ServiceCreditProposeIn(InputSchema):
    month: str = Field(..., pattern=r"^\d{4}-\d{2}$", description="YYYY-MM: a month that has begun.")
    client_id: int | None = Field(None, ge=1, le=2**62)


def credit_out(credit: ServiceCredit) -> dict[str, Any]:
    detail = credit.detail or {}
    return {
        "id": credit.pk,
        "contract_id": credit.contract_id,
        "contract_reference": credit.contract.reference,
        "client_id": credit.client_id,
        "month": credit.month,
        "amount": credit.amount,
        "percent": credit.percent,
        "status": credit.status,
        "breaches": [item for item in detail.get("breaches", []) if isinstance(item, dict)],
        "detail": detail,
        "decided_by": credit.decided_by.user.email if credit.decided_by is not None else None,
        "decided_at": credit.decided_at,
        "reason": credit.reason,
        "invoice_id": credit.invoice_line.invoice_id if credit.invoice_line is not None else None,
        "computed_at": credit.computed_at,
    }


def _scoped(request: HttpRequest) -> Any:
    actor = request_actor(request)
    require(can_bill(actor))
    return actor


def _one(actor: Any, pk: int) -> ServiceCredit:
    return (
        ServiceCredit.objects.filter(provider_id=actor.provider_id)
        .select_related("contract", "decided_by__user", "invoice_line")
        .get(pk=credit_get(actor, pk).pk)
    )


@router.get(
    "/service-credits",
    response={200: Page[ServiceCreditOut], **ERRORS},
    summary="Service credits (of one month with ?month=YYYY-MM)",
)
def service_credit_list(
    request: HttpRequest,
    month: str | None = OPTIONAL_MONTH,
    status: CreditStatusName | None = None,
    client_id: int | None = ID,
    limit: int = LIMIT,
    cursor: str | None = CURSOR,
) -> dict[str, Any]:
    actor = _scoped(request)
    credits = ServiceCredit.objects.filter(provider_id=actor.provider_id).select_related(
        "contract", "decided_by__user", "invoice_line"
    )
    if month is not None:
        credits = credits.filter(month=domain.month_bounds(month)[0])
    if status is not None:
        credits = credits.filter(status=status)
    if client_id is not None:
        credits = credits.filter(client_id=client_id)
    page = paginate(credits, limit=limit, cursor=cursor)
    page["items"] = [credit_out(credit) for credit in page["items"]]
    return page


@router.post(
    "/service-credits/propose",
    response={200: list[ServiceCreditOut], **WRITE_ERRORS},
    summary="Compute a month's service credits",
    description="Proposes (or recomputes) each contract's credit of the month; decided credits never change.",
)
def service_credit_propose(request: HttpRequest, payload: ServiceCreditProposeIn) -> list[dict[str, Any]]:
    actor = _scoped(request)
    first, last = domain.month_bounds(payload.month)
    client = None
    if payload.client_id is not None:
        client = Client.objects.filter(provider_id=actor.provider_id, pk=payload.client_id).first()
        if client is None:
            raise domain.BillingError("Unknown client.")
    found = service_credits.credits_propose(actor.provider, first, last, client=client)
    ids = [credit.pk for credit in found]
    credits = ServiceCredit.objects.filter(pk__in=ids).select_related("contract", "decided_by__user", "invoice_line")
    return [credit_out(credit) for credit in credits.order_by("pk")]


@router.post(
    "/service-credits/{credit_id}/approve",
    response={200: ServiceCreditOut, **WRITE_ERRORS},
    summary="Approve a proposed service credit",
    description="409 when it is already decided or its month is not over.",
)
def service_credit_approve(request: HttpRequest, credit_id: int) -> dict[str, Any]:
    actor = _scoped(request)
    service_credits.credit_approve(actor, credit_get(actor, credit_id))
    return credit_out(_one(actor, credit_id))


@router.post(
    "/service-credits/{credit_id}/reject",
    response={200: ServiceCreditOut, **WRITE_ERRORS},
    summary="Reject a proposed service credit",
    description="The reason is required. 409 when it is already decided.",
)
def service_credit_reject(request: HttpRequest, credit_id: int, payload: ServiceCreditRejectIn) -> dict[str, Any]:
    actor = _scoped(request)
    service_credits.credit_reject(actor, credit_get(actor, credit_id), payload.reason)
    return credit_out(_one(actor, credit_id))
