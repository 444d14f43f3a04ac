"""The payment pages, included in ``pacte.billing.urls`` (namespace ``billing``)."""

from __future__ import annotations

from django.urls import URLPattern, path

from pacte.billing import views_payments as views

urlpatterns: list[URLPattern] = [
    path("invoices/<int:pk>/payments/new/", views.PaymentCreateView.as_view(), name="payment_create"),
    path("payments/<int:pk>/delete/", views.PaymentDeleteView.as_view(), name="payment_delete"),
    path("bank-import/", views.BankImportView.as_view(), name="bank_import"),
    path("accounting-export/", views.AccountingExportView.as_view(), name="accounting_export"),
    path("overdue/", views.OverdueListView.as_view(), name="overdue_list"),
]
