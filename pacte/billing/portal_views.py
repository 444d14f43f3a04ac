"""The client's invoices in the portal: its company's issued invoices and credit notes, read-only.

A client's manager sees them (with what is still due) and downloads the PDF (Factur-X) or the XML;
a client user sees none (404), nor does anyone see another company's or a draft.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views import View

from pacte.billing import selectors
from pacte.billing.permissions import can_read_invoices
from pacte.billing.views import invoice_pdf_response, invoice_xml_response
from pacte.core.views import ActorRequiredMixin


class PortalInvoicePage(ActorRequiredMixin, View):
    side = "client"

    def check(self) -> None:
        if not can_read_invoices(self.actor):
            raise Http404


class PortalInvoiceListView(PortalInvoicePage):
    def get(self, request: HttpRequest) -> HttpResponse:
        self.check()
        invoices = list(selectors.invoice_list(actor=self.actor)[:200])
        balances = selectors.invoice_balances(invoices)
        rows = [{"invoice": invoice, "balance": balances[invoice.pk]} for invoice in invoices]
        return render(request, "billing/portal/invoice_list.html", {"rows": rows})


class PortalInvoicePdfView(PortalInvoicePage):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        self.check()
        return invoice_pdf_response(selectors.invoice_get(actor=self.actor, pk=pk))


class PortalInvoiceXmlView(PortalInvoicePage):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        self.check()
        return invoice_xml_response(selectors.invoice_get(actor=self.actor, pk=pk))
