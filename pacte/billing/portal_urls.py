"""The portal's invoice pages, included in ``pacte.portal.urls`` (namespace ``portal``)."""

from __future__ import annotations

from django.urls import URLPattern, path

from pacte.billing import portal_views

urlpatterns: list[URLPattern] = [
    path("invoices/", portal_views.PortalInvoiceListView.as_view(), name="invoice_list"),
    path("invoices/<int:pk>/pdf/", portal_views.PortalInvoicePdfView.as_view(), name="invoice_pdf"),
    path("invoices/<int:pk>/xml/", portal_views.PortalInvoiceXmlView.as_view(), name="invoice_xml"),
]
