"""The payment pages: record or delete a payment, import a bank statement, export the sales journal,
the overdue list.

Thin: one selector or one service per request. Admins and managers only (a technician gets 403,
client roles 404).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from pacte.billing import accounting, bank_import, payments, selectors
from pacte.billing.domain import BillingError
from pacte.billing.forms_payments import AccountingExportForm, BankImportForm, PaymentForm
from pacte.billing.models import Invoice, InvoiceKind
from pacte.billing.permissions import can_bill
from pacte.core.errors import ConflictError
from pacte.core.views import ActorRequiredMixin
from pacte.tenancy.permissions import require

TEMPLATES = "billing/payments/"


class PaymentPage(ActorRequiredMixin, View):
    side = "provider"

    def check(self) -> None:
        require(can_bill(self.actor))


def _page(request: HttpRequest) -> int:
    try:
        return max(1, min(int(request.GET.get("page", "1")), 10_000))
    except ValueError:
        return 1


class PaymentCreateView(PaymentPage):
    """Record a payment received for an issued invoice."""

    def _invoice(self, pk: int) -> Invoice:
        self.check()
        invoice = selectors.invoice_get(actor=self.actor, pk=pk)
        if not invoice.is_issued or invoice.kind != InvoiceKind.INVOICE:
            raise ConflictError(_("A payment is recorded against an issued invoice (not a draft, not a credit note)."))
        return invoice

    def _render(self, request: HttpRequest, invoice: Invoice, form: PaymentForm, status: int = 200) -> HttpResponse:
        balance = selectors.invoice_balance(invoice)
        state = payments.payment_state(invoice, timezone.localdate(), balance=balance)
        context = {
            "invoice": invoice,
            "form": form,
            "balance": balance,
            "state": state,
            "state_label": payments.STATE_LABELS[state],
            "payments": list(payments.payment_list(invoice)),
        }
        return render(request, TEMPLATES + "payment_form.html", context, status=status)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        invoice = self._invoice(pk)
        return self._render(request, invoice, PaymentForm(due=selectors.invoice_balance(invoice).due))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        invoice = self._invoice(pk)
        form = PaymentForm(request.POST)
        if form.is_valid():
            try:
                payments.payment_record(
                    actor=self.actor,
                    invoice=invoice,
                    received_on=form.cleaned_data["received_on"],
                    amount=form.cleaned_data["amount"],
                    method=form.cleaned_data["method"],
                    reference=form.cleaned_data["reference"],
                )
            except BillingError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Payment recorded."))
                return redirect("billing:invoice_detail", pk=invoice.pk)
        return self._render(request, invoice, form, status=400)


class PaymentDeleteView(PaymentPage):
    """Delete a payment entered by mistake (after a confirmation)."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        self.check()
        payment = payments.payment_get(actor=self.actor, pk=pk)
        return render(request, TEMPLATES + "payment_delete.html", {"payment": payment, "invoice": payment.invoice})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        self.check()
        payment = payments.payment_get(actor=self.actor, pk=pk)
        invoice_id = payment.invoice_id
        payments.payment_delete(actor=self.actor, payment=payment)
        messages.success(request, _("Payment deleted."))
        return redirect("billing:invoice_detail", pk=invoice_id)


class BankImportView(PaymentPage):
    """Upload a bank statement (CSV): the transfers that name an invoice become payments; the report shows."""

    def get(self, request: HttpRequest) -> HttpResponse:
        self.check()
        return render(request, TEMPLATES + "bank_import.html", {"form": BankImportForm()})

    def post(self, request: HttpRequest) -> HttpResponse:
        self.check()
        form = BankImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                report = bank_import.bank_statement_import(
                    actor=self.actor, data=b"".join(upload.chunks()), filename=upload.name or ""
                )
            except BillingError as error:
                form.add_error("file", str(error))
            else:
                return render(request, TEMPLATES + "bank_import.html", {"form": BankImportForm(), "report": report})
        return render(request, TEMPLATES + "bank_import.html", {"form": form}, status=400)


class AccountingExportView(PaymentPage):
    """A month picker; with ``?month=YYYY-MM``, the month's sales journal as a CSV download."""

    def get(self, request: HttpRequest) -> HttpResponse:
        self.check()
        if "month" not in request.GET:
            return render(request, TEMPLATES + "accounting_export.html", {"form": AccountingExportForm()})
        form = AccountingExportForm(request.GET)
        if not form.is_valid():
            return render(request, TEMPLATES + "accounting_export.html", {"form": form}, status=400)
        filename, data = accounting.accounting_export(actor=self.actor, month=form.cleaned_data["month"])
        response = HttpResponse(data, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["X-Content-Type-Options"] = "nosniff"
        return response


class OverdueListView(PaymentPage):
    """Issued invoices past their due date with something still due: days late, penalty to date."""

    def get(self, request: HttpRequest) -> HttpResponse:
        self.check()
        today = timezone.localdate()
        page = _page(request)
        size = selectors.PAGE_SIZE
        rows = payments.overdue_list(actor=self.actor, today=today, offset=(page - 1) * size, limit=size + 1)
        context = {"rows": rows[:size], "page": page, "has_next": len(rows) > size, "today": today}
        return render(request, TEMPLATES + "overdue_list.html", context)
