"""Client portal pages of the interventions app: the sign part (added to the ``portal`` namespace)."""

from __future__ import annotations

from django.urls import URLPattern, path

from pacte.interventions import portal_sign_views

urlpatterns: list[URLPattern] = [
    path("interventions/<int:pk>/pdf/", portal_sign_views.InterventionPdfView.as_view(), name="intervention_pdf"),
    path("interventions/<int:pk>/sign/", portal_sign_views.SheetSignView.as_view(), name="intervention_sign"),
    path(
        "interventions/sign/<str:token>/",
        portal_sign_views.RemoteSignView.as_view(),
        name="intervention_remote_sign",
    ),
]
