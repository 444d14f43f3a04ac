"""Payments received against issued invoices, payment states, and the overdue list.

- ``payment_record``: a manager records money received for an issued invoice (not a draft, not a
  credit note): more than 0, at most what is still due, dated neither in the future nor before the
  invoice's issue date. The invoice row is locked while its balance is read and the payment written,
  so two payments recorded at once never exceed what was due. Audited.
- ``payment_delete``: a manager deletes a payment entered by mistake (typed or imported). Audited,
  with what was deleted. Deleting an imported payment lets the same bank line be imported again.
- ``payment_state``: draft, unpaid, partly_paid, paid, overdue or credited (the invoice is fully
  cancelled by credit notes). An issued credit note, which asks for no payment, reads "credited".
- ``overdue_list``: the provider's issued invoices past their due date with something still due,
  each with its days late and the penalty to date (``penalties``).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import DecimalField, F, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pacte.audit.services import audit_record
from pacte.billing import penalties
from pacte.billing.domain import BillingError, cents
from pacte.billing.models import Invoice, InvoiceKind, InvoiceStatus, Payment, PaymentMethod
from pacte.billing.permissions import can_bill
from pacte.billing.selectors import Balance, invoice_balance, invoice_scope
from pacte.core.errors import ConflictError
from pacte.tenancy.models import Membership
from pacte.tenancy.permissions import require

REFERENCE_MAX = 140
MAX_AMOUNT = Decimal("999999999999.99")


class PaymentState:
    DRAFT = "draft"
    UNPAID = "unpaid"
    PARTLY_PAID = "partly_paid"
    PAID = "paid"
    OVERDUE = "overdue"
    CREDITED = "credited"


STATE_LABELS = {
    PaymentState.DRAFT: gettext_lazy("Draft"),
    PaymentState.UNPAID: gettext_lazy("Unpaid"),
    PaymentState.PARTLY_PAID: gettext_lazy("Partly paid"),
    PaymentState.PAID: gettext_lazy("Paid"),
    PaymentState.OVERDUE: gettext_lazy("Overdue"),
    PaymentState.CREDITED: gettext_lazy("Credited"),
}


# Recording and deleting ---------------------------------------------------------------------------


def payment_record(
    *,
    actor: Membership,
    invoice: Invoice,
    received_on: datetime.date,
    amount: Decimal,
    method: str,
    reference: str = "",
    today: datetime.date | None = None,
) -> Payment:
    """Record a payment received for ``invoice`` (see the module's rules); returns it."""
    require(can_bill(actor))
    if invoice.provider_id != actor.provider_id:
        raise Http404
    return payment_create(
        actor=actor,
        invoice=invoice,
        received_on=received_on,
        amount=amount,
        method=method,
        reference=reference,
        today=today,
    )


def payment_create(
    *,
    actor: Membership | None,
    invoice: Invoice,
    received_on: datetime.date,
    amount: Decimal,
    method: str,
    reference: str = "",
    today: datetime.date | None = None,
    import_key: str | None = None,
) -> Payment:
    """``payment_record`` without the permission check (the bank import calls it, once checked)."""
    if invoice.kind != InvoiceKind.INVOICE or invoice.status != InvoiceStatus.ISSUED:
        raise ConflictError(_("A payment is recorded against an issued invoice (not a draft, not a credit note)."))
    if method not in PaymentMethod.values:
        raise BillingError(_("“%(method)s” is not a payment method.") % {"method": method})
    amount = _amount_check(amount)
    day = today or timezone.localdate()
    if received_on > day:
        raise BillingError(_("A payment cannot be dated in the future (%(date)s).") % {"date": received_on.isoformat()})
    if invoice.issue_date is not None and received_on < invoice.issue_date:
        raise BillingError(
            _("A payment cannot be dated before the invoice's issue date (%(date)s).")
            % {"date": invoice.issue_date.isoformat()}
        )
    reference = " ".join(str(reference).split())[:REFERENCE_MAX]
    with transaction.atomic():
        Invoice.objects.select_for_update().filter(pk=invoice.pk).values_list("pk", flat=True).first()
        due = invoice_balance(invoice).due
        if due <= 0:
            raise BillingError(_("Invoice %(number)s has nothing left to pay.") % {"number": invoice.number})
        if amount > due:
            raise BillingError(
                _("%(amount)s € is more than the %(due)s € still due on invoice %(number)s.")
                % {"amount": amount, "due": due, "number": invoice.number}
            )
        payment = Payment.objects.create(
            provider_id=invoice.provider_id,
            invoice=invoice,
            received_on=received_on,
            amount=amount,
            method=method,
            reference=reference,
            import_key=import_key,
            created_by=actor,
        )
        audit_record(
            actor=actor,
            action="billing.payment_record",
            instance=payment,
            provider=invoice.provider,
            after=_payment_fields(payment, invoice),
        )
    return payment


def _amount_check(amount: Any) -> Decimal:
    try:
        value = Decimal(amount)
    except (ArithmeticError, TypeError, ValueError) as error:
        raise BillingError(_("“%(amount)s” is not an amount.") % {"amount": amount}) from error
    if not value.is_finite():
        raise BillingError(_("“%(amount)s” is not an amount.") % {"amount": amount})
    if value != cents(value):
        raise BillingError(_("An amount is given to the cent (at most 2 decimal places)."))
    if value <= 0:
        raise BillingError(_("A payment is more than 0 €."))
    if value > MAX_AMOUNT:
        raise BillingError(_("This amount is too large."))
    return cents(value)


def _payment_fields(payment: Payment, invoice: Invoice) -> dict[str, Any]:
    return {
        "invoice": invoice.number,
        "received_on": payment.received_on.isoformat(),
        "amount": str(payment.amount),
        "method": payment.method,
        "reference": payment.reference,
        "imported": payment.import_key is not None,
    }


def payment_delete(*, actor: Membership, payment: Payment) -> None:
    """Delete a payment entered by mistake (typed or imported); audited with what it was."""
    require(can_bill(actor))
    if payment.provider_id != actor.provider_id:
        raise Http404
    invoice = payment.invoice
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="billing.payment_delete",
            instance=payment,
            provider=actor.provider,
            before=_payment_fields(payment, invoice),
        )
        payment.delete()


# Reading ------------------------------------------------------------------------------------------


def payment_get(*, actor: Membership, pk: int) -> Payment:
    """A payment of an invoice the actor bills; another provider's (or none) is a 404."""
    payment = (
        Payment.objects.filter(provider_id=actor.provider_id, pk=pk, invoice__in=invoice_scope(actor))
        .select_related("invoice", "invoice__client", "created_by__user")
        .first()
    )
    if payment is None or not can_bill(actor):
        raise Http404
    return payment


def payment_list(invoice: Invoice) -> QuerySet[Payment]:
    return invoice.payments.select_related("created_by__user").order_by("received_on", "id")


def payment_state(invoice: Invoice, today: datetime.date, *, balance: Balance | None = None) -> str:
    """draft, unpaid, partly_paid, paid, overdue (something due after the due date) or credited."""
    if invoice.status != InvoiceStatus.ISSUED:
        return PaymentState.DRAFT
    if invoice.kind == InvoiceKind.CREDIT_NOTE:
        return PaymentState.CREDITED
    balance = balance or invoice_balance(invoice)
    if balance.total > 0 and balance.credited >= balance.total:
        return PaymentState.CREDITED
    if balance.due <= 0:
        return PaymentState.PAID
    if invoice.due_date is not None and today > invoice.due_date:
        return PaymentState.OVERDUE
    if balance.paid > 0:
        return PaymentState.PARTLY_PAID
    return PaymentState.UNPAID


def invoice_penalty(
    invoice: Invoice, today: datetime.date, *, payments: list[Payment] | None = None, credited: Decimal | None = None
) -> penalties.Penalty:
    """The late-payment penalty of ``invoice`` up to ``today`` (or its last payment when fully paid)."""
    rows = payments if payments is not None else list(invoice.payments.all())
    if credited is None:
        credited = invoice_balance(invoice).credited
    due_date = invoice.due_date or invoice.issue_date or today
    rate = penalties.penalty_rate_for(
        professional=invoice.professional, invoice_rate=invoice.penalty_rate, due_date=due_date
    )
    paid = sum((payment.amount for payment in rows), Decimal("0.00"))
    until = today
    if paid + credited >= invoice.total_gross and rows:
        until = min(today, max(payment.received_on for payment in rows))
    return penalties.late_penalty_schedule(
        invoice.total_gross,
        rate,
        due_date,
        payments=[(payment.received_on, payment.amount) for payment in rows],
        until=until,
        credited=credited,
        professional=invoice.professional,
    )


def with_amount_due(invoices: QuerySet[Invoice]) -> QuerySet[Invoice]:
    """``invoices`` annotated with ``paid_total``, ``credited_total`` and ``amount_due`` (computed in SQL)."""
    money: DecimalField[Decimal, Decimal] = DecimalField(max_digits=14, decimal_places=2)
    paid = (
        Payment.objects.filter(invoice_id=OuterRef("pk"))
        .order_by()
        .values("invoice_id")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    credited = (
        Invoice.objects.filter(credited_invoice_id=OuterRef("pk"), status=InvoiceStatus.ISSUED)
        .order_by()
        .values("credited_invoice_id")
        .annotate(total=Sum("total_gross"))
        .values("total")
    )
    return invoices.annotate(
        paid_total=Coalesce(Subquery(paid, output_field=money), Value(Decimal("0.00")), output_field=money),
        credited_total=Coalesce(Subquery(credited, output_field=money), Value(Decimal("0.00")), output_field=money),
    ).annotate(amount_due=F("total_gross") - F("paid_total") - F("credited_total"))


def unpaid_invoices(provider_id: int) -> QuerySet[Invoice]:
    """Issued invoices of the provider with something still due (any due date)."""
    invoices = Invoice.objects.filter(provider_id=provider_id, status=InvoiceStatus.ISSUED, kind=InvoiceKind.INVOICE)
    return with_amount_due(invoices).filter(amount_due__gt=0)  # type: ignore[misc]


@dataclass(frozen=True)
class OverdueRow:
    invoice: Invoice
    due: Decimal
    days_late: int
    penalty: penalties.Penalty


def overdue_scope(*, actor: Membership, today: datetime.date) -> QuerySet[Invoice]:
    """The actor's overdue invoices (managers only), the longest overdue first."""
    if not can_bill(actor):
        return Invoice.objects.none()
    invoices = invoice_scope(actor).filter(status=InvoiceStatus.ISSUED, kind=InvoiceKind.INVOICE, due_date__lt=today)
    overdue = with_amount_due(invoices).filter(amount_due__gt=0)  # type: ignore[misc]
    return overdue.order_by("due_date", "sequence", "pk")


def overdue_list(*, actor: Membership, today: datetime.date, offset: int = 0, limit: int = 50) -> list[OverdueRow]:
    """A page of overdue invoices with their days late and penalty to date (two queries)."""
    invoices = list(
        overdue_scope(actor=actor, today=today)
        .select_related("client")
        .prefetch_related("payments")[offset : offset + limit]
    )
    return [overdue_row(invoice, today) for invoice in invoices]


def overdue_row(invoice: Invoice, today: datetime.date) -> OverdueRow:
    """``invoice`` annotated by ``with_amount_due`` (payments prefetched) as a row of the overdue list."""
    credited = Decimal(getattr(invoice, "credited_total", 0) or 0)
    penalty = invoice_penalty(invoice, today, payments=list(invoice.payments.all()), credited=credited)
    due = cents(Decimal(getattr(invoice, "amount_due", 0) or 0))
    return OverdueRow(invoice=invoice, due=due, days_late=penalty.days, penalty=penalty)
