"""Client portal pages of the interventions app: the preventive part (added to the ``portal`` namespace)."""

from __future__ import annotations

from django.urls import URLPattern, path

from pacte.interventions.portal_views_preventive import PortalPreventiveView

urlpatterns: list[URLPattern] = [
    path("preventive/", PortalPreventiveView.as_view(), name="preventive"),
]
