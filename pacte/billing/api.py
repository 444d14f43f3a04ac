"""REST endpoints of billing: invoices and credit notes (read, PDF, XML), runs, issuing, credit notes.

Thin: a selector or a service per request. The provider's admins and managers see every invoice and
run billing; a client's manager reads its company's issued invoices (what an accountant or an
approved e-invoicing platform collects: ``GET /invoices?status=issued&issued_since=…`` then each PDF).
"""

from __future__ import annotations

import dataclasses
import datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Query, Router
from ninja.errors import HttpError
from ninja.responses import Status

from pacte.billing import domain, runs, selectors, services
from pacte.billing.models import BillingRun, Invoice
from pacte.billing.permissions import can_bill, can_read_invoices
from pacte.billing.schemas import CreditNoteIn, InvoiceDetailOut, InvoiceOut, InvoiceSentOut, RunIn, RunOut
from pacte.core.api import CURSOR, ERRORS, LIMIT, WRITE_ERRORS, Page, paginate, request_actor
from pacte.tenancy.models import Client
from pacte.tenancy.permissions import require

router = Router(tags=["billing"])


def invoice_out(invoice: Invoice) -> dict[str, Any]:
    issued = invoice.is_issued
    return {
        "id": invoice.pk,
        "kind": invoice.kind,
        "status": invoice.status,
        "number": invoice.number,
        "client_id": invoice.client_id,
        "client_name": invoice.client.name,
        "contract_id": invoice.contract_id,
        "billing_period": invoice.billing_period,
        "service_start": invoice.service_start,
        "service_end": invoice.service_end,
        "issue_date": invoice.issue_date,
        "due_date": invoice.due_date,
        "credited_invoice_id": invoice.credited_invoice_id,
        "total_net": invoice.total_net,
        "total_vat": invoice.total_vat,
        "total_gross": invoice.total_gross,
        "pdf_sha256": invoice.document.sha256 if invoice.document_id and invoice.document else None,
        "xml_sha256": invoice.xml_sha256,
        "pdf_url": reverse("api:invoice_pdf", args=[invoice.pk]) if issued else None,
        "xml_url": reverse("api:invoice_xml", args=[invoice.pk]) if issued else None,
    }


def run_out(run: BillingRun) -> dict[str, Any]:
    return {
        "id": run.pk,
        "period_start": run.period_start,
        "period_end": run.period_end,
        "client_id": run.client_id,
        "status": run.status,
        "total": run.total,
        "done": run.done,
        "percent": run.percent,
        "drafted": run.drafted,
        "issued": run.issued,
        "error": run.error,
    }


@router.get(
    "/invoices",
    response={200: Page[InvoiceOut], **ERRORS},
    summary="Invoices and credit notes",
    description="Admins and managers: every invoice of the provider, drafts included. A client's manager: its "
    "company's issued invoices. Filters: status (draft, issued), kind (invoice, credit_note), client_id, month "
    "(billing month YYYY-MM), issued_since (issue date, inclusive: what a platform has not collected yet).",
)
def invoice_list(
    request: HttpRequest,
    status: str = "",
    kind: str = "",
    client_id: int | None = None,
    month: str = "",
    issued_since: str | None = Query(None, pattern=r"^\d{4}-\d{2}-\d{2}$", description="YYYY-MM-DD"),
    limit: int = LIMIT,
    cursor: str | None = CURSOR,
) -> dict[str, Any]:
    actor = request_actor(request)
    require(can_read_invoices(actor))
    first = None
    if month:
        try:
            first = domain.month_bounds(month)[0]
        except domain.BillingError as error:
            raise HttpError(422, str(error)) from error
    invoices = selectors.invoice_list(actor=actor, status=status, kind=kind, client_id=client_id, month=first)
    if issued_since is not None:
        try:
            since = datetime.date.fromisoformat(issued_since)
        except ValueError as error:
            raise HttpError(422, "issued_since: not a date (YYYY-MM-DD).") from error
        invoices = invoices.filter(issue_date__gte=since)
    page = paginate(invoices.select_related("document"), limit=limit, cursor=cursor)
    page["items"] = [invoice_out(invoice) for invoice in page["items"]]
    return page


@router.get("/invoices/{invoice_id}", response={200: InvoiceDetailOut, **ERRORS}, summary="One invoice with its lines")
def invoice_get(request: HttpRequest, invoice_id: int) -> dict[str, Any]:
    invoice = selectors.invoice_get(actor=request_actor(request), pk=invoice_id)
    body = invoice_out(invoice)
    body["lines"] = list(invoice.lines.order_by("position").values())
    return body


@router.get(
    "/invoices/{invoice_id}/pdf",
    response={200: None, **ERRORS},
    url_name="invoice_pdf",
    summary="The PDF/A-3 (Factur-X) of an issued invoice",
    description="The stored document, checked against its SHA-256; rendered first if the worker has not yet.",
)
def invoice_pdf(request: HttpRequest, invoice_id: int) -> HttpResponse:
    from pacte.billing.views import invoice_pdf_response

    return invoice_pdf_response(selectors.invoice_get(actor=request_actor(request), pk=invoice_id))


@router.get(
    "/invoices/{invoice_id}/facturx.xml",
    response={200: None, **ERRORS},
    url_name="invoice_xml",
    summary="The CII XML (factur-x.xml, EN 16931) of an issued invoice",
)
def invoice_xml(request: HttpRequest, invoice_id: int) -> HttpResponse:
    from pacte.billing.views import invoice_xml_response

    return invoice_xml_response(selectors.invoice_get(actor=request_actor(request), pk=invoice_id))


@router.post(
    "/invoices/{invoice_id}/issue",
    response={200: InvoiceOut, **WRITE_ERRORS},
    summary="Issue a draft (admins and managers)",
    description="Validates its Factur-X XML (XSD, EN 16931 and BR-FR Schematron: 409 listing the failed rules), "
    "gives it the next number of its series, freezes it; the PDF follows from the worker. Issuing an issued "
    "invoice returns it unchanged.",
)
def invoice_issue(request: HttpRequest, invoice_id: int) -> dict[str, Any]:
    actor = request_actor(request)
    invoice = selectors.invoice_get(actor=actor, pk=invoice_id)
    require(can_bill(actor))
    if not invoice.is_issued:
        services.invoices_issue(actor=actor, provider=actor.provider, invoice_ids=[invoice.pk])
    return invoice_out(selectors.invoice_get(actor=actor, pk=invoice_id))


@router.post(
    "/invoices/{invoice_id}/send",
    response={201: InvoiceSentOut, **WRITE_ERRORS},
    summary="E-mail an issued invoice or credit note to the client, again (admins and managers)",
    description="A new copy, its PDF (Factur-X) attached, to the client's billing contacts (else its managers, "
    "else its contacts with an e-mail address), in the invoice's conversation. 409 for a draft, or a client "
    "without any address. The e-mail sent on issue needs no call: the worker sends it once the PDF is made.",
)
def invoice_send(request: HttpRequest, invoice_id: int) -> Status[dict[str, Any]]:
    from pacte.billing.sending import invoice_send as send

    actor = request_actor(request)
    invoice = selectors.invoice_get(actor=actor, pk=invoice_id)
    require(can_bill(actor))
    send(actor=actor, invoice=invoice)
    last = selectors.invoice_sendings(invoice)[-1]
    return Status(201, dataclasses.asdict(last))


@router.post(
    "/invoices/{invoice_id}/credit-notes",
    response={201: InvoiceDetailOut, **WRITE_ERRORS},
    summary="Draft a credit note for an issued invoice (admins and managers)",
)
def credit_note_create(request: HttpRequest, invoice_id: int, payload: CreditNoteIn) -> Status[dict[str, Any]]:
    actor = request_actor(request)
    invoice = selectors.invoice_get(actor=actor, pk=invoice_id)
    lines: dict[int, Decimal] | None = None
    if payload.lines is not None:
        try:
            lines = {int(key): value for key, value in payload.lines.items()}
        except ValueError as error:
            raise HttpError(422, "lines: the keys are invoice line ids.") from error
    note = services.credit_note_create(actor=actor, invoice=invoice, lines=lines, reason=payload.reason)
    return Status(201, invoice_get(request, note.pk))


@router.post(
    "/billing-runs",
    response={201: RunOut, **WRITE_ERRORS},
    summary="Start a billing run for a month (admins and managers)",
    description="Computes the month's drafts in the background (and issues them with issue=true); poll "
    "GET /billing-runs/{id} for its progress. Idempotent: a month run again never bills anything twice.",
)
def run_create(request: HttpRequest, payload: RunIn) -> Status[dict[str, Any]]:
    actor = request_actor(request)
    require(can_bill(actor))
    client = None
    if payload.client_id is not None:
        client = Client.objects.filter(provider_id=actor.provider_id, pk=payload.client_id).first()
        if client is None:
            raise HttpError(422, "client_id: no such client.")
    run = runs.run_create(actor=actor, provider=actor.provider, month=payload.month, client=client)
    runs.run_start_async(run, actor=actor, issue=payload.issue)
    return Status(201, run_out(run))


@router.get("/billing-runs/{run_id}", response={200: RunOut, **ERRORS}, summary="A billing run and its progress")
def run_get(request: HttpRequest, run_id: int) -> dict[str, Any]:
    return run_out(selectors.run_get(actor=request_actor(request), pk=run_id))


@router.get("/billing-runs", response={200: Page[RunOut], **ERRORS}, summary="Billing runs (admins and managers)")
def run_list(request: HttpRequest, limit: int = LIMIT, cursor: str | None = CURSOR) -> dict[str, Any]:
    actor = request_actor(request)
    require(can_bill(actor))
    page = paginate(selectors.run_scope(actor), limit=limit, cursor=cursor)
    page["items"] = [run_out(run) for run in page["items"]]
    return page
