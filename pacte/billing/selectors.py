"""Reading invoices, credit notes and runs, scoped to what the actor may see.

The provider's admins and managers see every invoice of their provider, drafts included; a client's
manager sees its company's *issued* invoices and credit notes; everyone else sees none. A foreign or
hidden invoice is a 404. The command line (``pacte invoice pdf``, ``pacte invoice export``) acts as the
operator for one provider: ``invoice_by_number`` and ``invoices_issued`` take that provider's id.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import QuerySet, Sum
from django.http import Http404

from pacte.billing.models import BillingRun, Invoice, InvoiceKind, InvoiceStatus, Payment
from pacte.billing.permissions import can_bill
from pacte.tenancy.models import Membership, Role

PAGE_SIZE = 50


def invoice_scope(actor: Membership) -> QuerySet[Invoice]:
    invoices = Invoice.objects.filter(provider_id=actor.provider_id)
    if can_bill(actor):
        return invoices
    if actor.role == Role.CLIENT_MANAGER and actor.client_id is not None:
        return invoices.filter(client_id=actor.client_id, status=InvoiceStatus.ISSUED)
    return invoices.none()


def invoice_list(
    *,
    actor: Membership,
    status: str = "",
    kind: str = "",
    client_id: int | None = None,
    month: datetime.date | None = None,
    search: str = "",
) -> QuerySet[Invoice]:
    invoices = invoice_scope(actor).select_related("client", "contract")
    if status in InvoiceStatus.values:
        invoices = invoices.filter(status=status)
    if kind in InvoiceKind.values:
        invoices = invoices.filter(kind=kind)
    if client_id is not None:
        invoices = invoices.filter(client_id=client_id)
    if month is not None:
        invoices = invoices.filter(billing_period=month)
    if search:
        invoices = invoices.filter(number__icontains=search.strip()[:35])
    return invoices.order_by("status", "-issue_date", "-sequence", "-id")


def invoice_get(*, actor: Membership, pk: int) -> Invoice:
    invoice = (
        invoice_scope(actor)
        .select_related("client", "contract", "credited_invoice", "document", "series", "provider")
        .filter(pk=pk)
        .first()
    )
    if invoice is None:
        raise Http404
    return invoice


def invoice_by_number(*, provider_id: int, number: str) -> Invoice | None:
    """The provider's issued invoice or credit note ``number``, or None (for the command line, which acts as
    the operator for one provider, not as a membership)."""
    return (
        Invoice.objects.filter(provider_id=provider_id, status=InvoiceStatus.ISSUED, number=number)
        .select_related("document")
        .first()
    )


def invoices_issued(
    *,
    provider_id: int,
    since: datetime.date | None = None,
    until: datetime.date | None = None,
    kind: str = "",
) -> QuerySet[Invoice]:
    """The provider's issued invoices and credit notes, issue dates in [since, until], in issue order (the
    command line's reads, like ``invoice_by_number``)."""
    invoices = Invoice.objects.filter(provider_id=provider_id, status=InvoiceStatus.ISSUED)
    if since is not None:
        invoices = invoices.filter(issue_date__gte=since)
    if until is not None:
        invoices = invoices.filter(issue_date__lte=until)
    if kind in InvoiceKind.values:
        invoices = invoices.filter(kind=kind)
    return invoices.select_related("client", "credited_invoice", "document").order_by(
        "issue_date", "kind", "sequence", "pk"
    )


def run_scope(actor: Membership) -> QuerySet[BillingRun]:
    if not can_bill(actor):
        return BillingRun.objects.none()
    return BillingRun.objects.filter(provider_id=actor.provider_id).select_related("client")


def run_get(*, actor: Membership, pk: int) -> BillingRun:
    run = run_scope(actor).filter(pk=pk).first()
    if run is None:
        raise Http404
    return run


@dataclass(frozen=True)
class Balance:
    """What an issued invoice still asks for: its total minus payments and issued credit notes."""

    total: Decimal
    paid: Decimal
    credited: Decimal

    @property
    def due(self) -> Decimal:
        return self.total - self.paid - self.credited


def invoice_balance(invoice: Invoice) -> Balance:
    paid = invoice.payments.aggregate(total=Sum("amount"))["total"] or Decimal("0.00")
    credited = Decimal("0.00")
    if invoice.kind == InvoiceKind.INVOICE:
        credited = invoice.credit_notes.filter(status=InvoiceStatus.ISSUED).aggregate(total=Sum("total_gross"))[
            "total"
        ] or Decimal("0.00")
    return Balance(total=invoice.total_gross, paid=paid, credited=credited)


def invoice_balances(invoices: list[Invoice]) -> dict[int, Balance]:
    """``invoice_balance`` for many invoices in two queries."""
    ids = [invoice.pk for invoice in invoices]
    paid = dict(
        Payment.objects.filter(invoice_id__in=ids)
        .values("invoice_id")
        .annotate(total=Sum("amount"))
        .values_list("invoice_id", "total")
    )
    credited = dict(
        Invoice.objects.filter(credited_invoice_id__in=ids, status=InvoiceStatus.ISSUED)
        .values("credited_invoice_id")
        .annotate(total=Sum("total_gross"))
        .values_list("credited_invoice_id", "total")
    )
    zero = Decimal("0.00")
    return {
        invoice.pk: Balance(
            total=invoice.total_gross,
            paid=paid.get(invoice.pk) or zero,
            credited=(credited.get(invoice.pk) or zero) if invoice.kind == InvoiceKind.INVOICE else zero,
        )
        for invoice in invoices
    }
