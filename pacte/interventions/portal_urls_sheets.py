"""Client portal pages of the interventions app: the sheets part (added to the ``portal`` namespace)."""

from __future__ import annotations

from django.urls import URLPattern, path

from pacte.interventions import portal_views

urlpatterns: list[URLPattern] = [
    path("interventions/", portal_views.InterventionListView.as_view(), name="intervention_list"),
    path("interventions/<int:pk>/", portal_views.InterventionDetailView.as_view(), name="intervention_detail"),
]
