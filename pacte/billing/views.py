"""Billing's back-office pages: runs (start, progress, preview, issue), invoices, credit notes, downloads.

Thin: one selector or one service per request. Admins and managers only (a technician gets 403,
client roles 404); clients read their issued invoices in the portal (``portal_views``).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext_lazy
from django.views import View

from pacte.billing import domain, payments, runs, selectors, services
from pacte.billing.forms import CreditNoteForm, RunForm, month_choices
from pacte.billing.models import BillingRun, Invoice, InvoiceKind, InvoiceStatus, RunStatus
from pacte.billing.permissions import can_bill
from pacte.core.errors import ConflictError
from pacte.core.views import ActorRequiredMixin
from pacte.documents.models import Document
from pacte.interventions.views_sign import stored_pdf_response
from pacte.tenancy import selectors as tenancy_selectors
from pacte.tenancy.permissions import require

RUNNING = (RunStatus.PENDING, RunStatus.DRAFTING, RunStatus.ISSUING)
#: The invoice list's payment column: an invoice's state in a word (feminine in French: « une facture »).
LIST_STATE_LABELS = {
    payments.PaymentState.PAID: pgettext_lazy("invoice payment state", "Paid"),
    payments.PaymentState.PARTLY_PAID: pgettext_lazy("invoice payment state", "Partly paid"),
    payments.PaymentState.UNPAID: pgettext_lazy("invoice payment state", "Not due yet"),
    payments.PaymentState.CREDITED: pgettext_lazy("invoice payment state", "Cancelled by credit notes"),
}
#: The reminder steps' names (``reminders.STEPS``), as the invoice page lists them.
REMINDER_STEPS = {
    1: pgettext_lazy("reminder step", "Friendly reminder"),
    2: pgettext_lazy("reminder step", "Firm reminder"),
    3: pgettext_lazy("reminder step", "Formal notice to pay"),
}


class BillingPage(ActorRequiredMixin, View):
    side = "provider"

    def check(self) -> None:
        require(can_bill(self.actor))


def _page(request: HttpRequest) -> int:
    try:
        return max(1, min(int(request.GET.get("page", "1")), 10_000))
    except ValueError:
        return 1


class RunListView(BillingPage):
    """The runs, newest first, and the form that starts one (drafts, or drafts then issue)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        self.check()
        return self._render(request, RunForm(actor=self.actor))

    def post(self, request: HttpRequest) -> HttpResponse:
        self.check()
        form = RunForm(request.POST, actor=self.actor)
        if not form.is_valid():
            return self._render(request, form, status=400)
        try:
            run = runs.run_create(
                actor=self.actor,
                provider=self.actor.provider,
                month=form.cleaned_data["month"],
                client=form.cleaned_data["client"],
            )
        except domain.BillingError as error:
            form.add_error("month", str(error))
            return self._render(request, form, status=400)
        runs.run_start_async(run, actor=self.actor, issue=form.cleaned_data["issue"])
        messages.success(request, _("Billing run started: its progress shows below."))
        return redirect("billing:run_detail", pk=run.pk)

    def _render(self, request: HttpRequest, form: RunForm, status: int = 200) -> HttpResponse:
        rows = list(selectors.run_scope(self.actor)[:30])
        return render(request, "billing/run_list.html", {"form": form, "runs": rows}, status=status)


class RunDetailView(BillingPage):
    """Progress while it runs (polled), then the preview: each contract's invoice and its change."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        self.check()
        run = selectors.run_get(actor=self.actor, pk=pk)
        context = {"run": run, "running": run.status in RUNNING}
        if request.headers.get("HX-Request") and request.GET.get("progress"):
            response = render(request, "billing/partials/run_progress.html", context)
            if not context["running"]:
                response["HX-Refresh"] = "true"  # done: reload the whole page with the preview
            return response
        preview = runs.run_preview(run)
        drafts = sum(1 for row in preview.rows if row.invoice.status == InvoiceStatus.DRAFT)
        context.update({"preview": preview, "drafts": drafts, "errors": run.error.splitlines() if run.error else []})
        return render(request, "billing/run_detail.html", context)


class RunIssueView(BillingPage):
    """Issue every draft of the run (in the background: numbers, then PDFs)."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        self.check()
        run = selectors.run_get(actor=self.actor, pk=pk)
        if run.status in RUNNING:
            messages.warning(request, _("This run is still working: wait for it to finish."))
            return redirect("billing:run_detail", pk=run.pk)
        if not runs.run_drafts(run).exists():
            messages.info(request, _("Nothing left to issue in this run."))
            return redirect("billing:run_detail", pk=run.pk)
        BillingRun.objects.filter(pk=run.pk).update(status=RunStatus.ISSUING, done=0)
        from pacte.billing.tasks import billing_issue

        billing_issue.enqueue(run.pk, self.actor.pk)
        messages.success(request, _("Issuing the drafts: numbers are given in order, then the PDFs are made."))
        return redirect("billing:run_detail", pk=run.pk)


def _month(request: HttpRequest) -> datetime.date | None:
    try:
        return domain.month_bounds(request.GET.get("month", ""))[0]
    except domain.BillingError:
        return None


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


class InvoiceListView(BillingPage):
    def get(self, request: HttpRequest) -> HttpResponse:
        self.check()
        invoices = selectors.invoice_list(
            actor=self.actor,
            status=request.GET.get("status", ""),
            kind=request.GET.get("kind", ""),
            client_id=_int(request.GET.get("client")),
            month=_month(request),
            search=request.GET.get("q", ""),
        )
        page = _page(request)
        size = selectors.PAGE_SIZE
        rows = list(invoices[(page - 1) * size : page * size + 1])
        today = timezone.localdate()
        shown = rows[:size]
        states = _payment_states(shown, today)
        context = {
            "invoices": [{"invoice": invoice, "payment": states.get(invoice.pk)} for invoice in shown],
            "page": page,
            "has_next": len(rows) > size,
            "filters": request.GET,
            "statuses": InvoiceStatus.choices,
            "kinds": InvoiceKind.choices,
            "clients": tenancy_selectors.client_list(actor=self.actor, include_archived=True),
            "months": month_choices(selected=request.GET.get("month", "")),
        }
        return render(request, "billing/invoice_list.html", context)


def _payment_states(invoices: list[Invoice], today: datetime.date) -> dict[int, dict[str, Any]]:
    """Per issued invoice of the page, its payment state for the list (two queries for the whole page):
    « Payée », « Partiellement payée », « En retard de 12 jours », « À échoir », « Annulée par avoir »."""
    issued = [invoice for invoice in invoices if invoice.is_issued and invoice.kind == InvoiceKind.INVOICE]
    balances = selectors.invoice_balances(issued) if issued else {}
    states = {}
    for invoice in issued:
        balance = balances[invoice.pk]
        state = payments.payment_state(invoice, today, balance=balance)
        if state == payments.PaymentState.OVERDUE and invoice.due_date is not None:
            days = (today - invoice.due_date).days
            label = ngettext("Overdue by %(days)s day", "Overdue by %(days)s days", days) % {"days": days}
        else:
            label = str(LIST_STATE_LABELS.get(state, payments.STATE_LABELS.get(state, state)))
        states[invoice.pk] = {"state": state, "label": label, "due": balance.due}
    return states


class InvoiceDetailView(BillingPage):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        self.check()
        invoice = selectors.invoice_get(actor=self.actor, pk=pk)
        lines = list(invoice.lines.select_related("movement").order_by("position"))
        from pacte.billing.domain import totals
        from pacte.ledger.selectors import source_url

        today = timezone.localdate()
        balance = selectors.invoice_balance(invoice) if invoice.is_issued else None
        state = payments.payment_state(invoice, today, balance=balance)
        context = {
            "invoice": invoice,
            "lines": [
                {"line": line, "source_url": source_url(line.movement) if line.movement else ""} for line in lines
            ],
            "vat": totals((line.amount, line.vat_rate) for line in lines).breakdown,
            "balance": balance,
            "state": state,
            "state_label": payments.STATE_LABELS.get(state, state),
            "penalty": payments.invoice_penalty(invoice, today) if state == payments.PaymentState.OVERDUE else None,
            "payments": list(invoice.payments.all()) if invoice.is_issued else [],
            "credit_notes": list(invoice.credit_notes.order_by("pk")),
            "mentions": invoice.data.get("mentions", []) if invoice.is_issued else [],
            "reminders": [
                {"reminder": reminder, "name": REMINDER_STEPS.get(reminder.step, str(reminder.step))}
                for reminder in (selectors.invoice_reminders(invoice) if invoice.is_issued else [])
            ],
        }
        if invoice.is_issued:
            from pacte.billing.reminders import billing_recipients

            context["sendings"] = selectors.invoice_sendings(invoice)
            recipients = billing_recipients(invoice.client)
            context["send_recipients"] = [selectors.readable_address(recipient.address) for recipient in recipients]
        return render(request, "billing/invoice_detail.html", context)


class InvoiceSendView(BillingPage):
    """Send an issued invoice or credit note to the client (again): a new copy, with its PDF."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        self.check()
        invoice = selectors.invoice_get(actor=self.actor, pk=pk)
        from pacte.billing.sending import invoice_send

        try:
            sent = invoice_send(actor=self.actor, invoice=invoice)
        except ConflictError as error:
            messages.error(request, error.message)
        else:
            addresses = ", ".join(
                selectors.readable_address(str(address)) for message in sent for address in message.to
            )
            messages.success(
                request, _("E-mail queued for %(addresses)s, the PDF attached.") % {"addresses": addresses}
            )
        return redirect("billing:invoice_detail", pk=invoice.pk)


class InvoiceIssueView(BillingPage):
    """Issue one draft now (validated, numbered); its PDF follows from the worker."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        self.check()
        invoice = selectors.invoice_get(actor=self.actor, pk=pk)
        if invoice.is_issued:
            return redirect("billing:invoice_detail", pk=invoice.pk)
        try:
            issued = services.invoices_issue(actor=self.actor, provider=self.actor.provider, invoice_ids=[invoice.pk])
        except (services.InvoiceInvalid, domain.BillingError) as error:
            messages.error(request, str(error))
            return redirect("billing:invoice_detail", pk=invoice.pk)
        if issued:
            messages.success(request, _("Issued as %(number)s.") % {"number": issued[0].number})
        return redirect("billing:invoice_detail", pk=invoice.pk)


class InvoiceDeleteView(BillingPage):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        self.check()
        invoice = selectors.invoice_get(actor=self.actor, pk=pk)
        services.draft_delete(actor=self.actor, invoice=invoice)
        messages.success(request, _("Draft deleted: its work is back in the next run."))
        return redirect("billing:invoice_list")


class InvoicePdfView(BillingPage):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        self.check()
        return invoice_pdf_response(selectors.invoice_get(actor=self.actor, pk=pk))


class InvoiceXmlView(BillingPage):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        self.check()
        return invoice_xml_response(selectors.invoice_get(actor=self.actor, pk=pk))


def invoice_pdf_response(invoice: Invoice) -> HttpResponse:
    """The stored PDF of an issued invoice (rendered now if the worker has not done it yet)."""
    if not invoice.is_issued:
        raise Http404
    if invoice.document_id is None:
        from pacte.billing.rendering import invoice_render_once

        invoice_render_once(invoice.pk)
        invoice.refresh_from_db()
    document: Document | None = invoice.document
    return stored_pdf_response(document)


def invoice_xml_response(invoice: Invoice) -> HttpResponse:
    if not invoice.is_issued:
        raise Http404
    from pacte.billing.rendering import invoice_xml

    response = HttpResponse(invoice_xml(invoice), content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="{invoice.number}.xml"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


class CreditNoteCreateView(BillingPage):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        self.check()
        invoice = self._invoice(pk)
        return render(
            request, "billing/credit_note_form.html", {"invoice": invoice, "form": CreditNoteForm(invoice=invoice)}
        )

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        self.check()
        invoice = self._invoice(pk)
        form = CreditNoteForm(request.POST, invoice=invoice)
        if form.is_valid():
            try:
                note = services.credit_note_create(
                    actor=self.actor, invoice=invoice, lines=form.amounts(), reason=form.cleaned_data["reason"]
                )
            except domain.BillingError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Credit note drafted: check it, then issue it."))
                return redirect("billing:invoice_detail", pk=note.pk)
        return render(request, "billing/credit_note_form.html", {"invoice": invoice, "form": form}, status=400)

    def _invoice(self, pk: int) -> Invoice:
        invoice = selectors.invoice_get(actor=self.actor, pk=pk)
        if not invoice.is_issued or invoice.kind != InvoiceKind.INVOICE:
            raise Http404
        return invoice
