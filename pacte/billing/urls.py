"""Billing's back-office pages (``/billing/…``)."""

from __future__ import annotations

from django.urls import URLPattern, path

from pacte.billing import urls_credits, urls_payments, views

app_name = "billing"

urlpatterns: list[URLPattern] = [
    path("", views.InvoiceListView.as_view(), name="invoice_list"),
    path("runs/", views.RunListView.as_view(), name="run_list"),
    path("runs/<int:pk>/", views.RunDetailView.as_view(), name="run_detail"),
    path("runs/<int:pk>/issue/", views.RunIssueView.as_view(), name="run_issue"),
    path("invoices/<int:pk>/", views.InvoiceDetailView.as_view(), name="invoice_detail"),
    path("invoices/<int:pk>/issue/", views.InvoiceIssueView.as_view(), name="invoice_issue"),
    path("invoices/<int:pk>/delete/", views.InvoiceDeleteView.as_view(), name="invoice_delete"),
    path("invoices/<int:pk>/pdf/", views.InvoicePdfView.as_view(), name="invoice_pdf"),
    path("invoices/<int:pk>/xml/", views.InvoiceXmlView.as_view(), name="invoice_xml"),
    path("invoices/<int:pk>/send/", views.InvoiceSendView.as_view(), name="invoice_send"),
    path("invoices/<int:pk>/credit-note/", views.CreditNoteCreateView.as_view(), name="credit_note_create"),
    *urls_payments.urlpatterns,
    *urls_credits.urlpatterns,
]
