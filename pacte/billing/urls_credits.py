"""The service credits pages, to include in ``pacte.billing.urls`` (namespace ``billing``)."""

from __future__ import annotations

from django.urls import URLPattern, path

from pacte.billing import views_credits as views

urlpatterns: list[URLPattern] = [
    path("service-credits/", views.CreditListView.as_view(), name="credit_list"),
    path("service-credits/<int:pk>/approve/", views.CreditApproveView.as_view(), name="credit_approve"),
    path("service-credits/<int:pk>/reject/", views.CreditRejectView.as_view(), name="credit_reject"),
    path("service-credits/<int:pk>/credit-note/", views.CreditNoteForView.as_view(), name="credit_note_for"),
]
