"""Pages of the interventions app: the sign part (combined in ``urls.py`` under the ``interventions`` namespace)."""

from __future__ import annotations

from django.urls import URLPattern, path

from pacte.interventions import views_sign

urlpatterns: list[URLPattern] = [
    path("<int:pk>/sign/", views_sign.SheetSignView.as_view(), name="sheet_sign"),
    path("<int:pk>/sign/remote/", views_sign.SheetRemoteSignView.as_view(), name="sheet_remote_sign"),
    path("<int:pk>/pdf/", views_sign.SheetPdfView.as_view(), name="sheet_pdf"),
    path("<int:pk>/preview.pdf", views_sign.SheetPreviewView.as_view(), name="sheet_preview"),
]
