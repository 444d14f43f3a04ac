"""Pages of the interventions app: the preventive part (combined in ``urls.py``)."""

from __future__ import annotations

from django.urls import URLPattern, path

from pacte.interventions import views_preventive as views

urlpatterns: list[URLPattern] = [
    path("preventive/", views.PlanListView.as_view(), name="plan_list"),
    path("preventive/new/", views.PlanCreateView.as_view(), name="plan_create"),
    path("preventive/visits/", views.VisitListView.as_view(), name="visit_list"),
    path("preventive/visits/<int:pk>/schedule/", views.VisitScheduleView.as_view(), name="visit_schedule"),
    path("preventive/<int:pk>/", views.PlanDetailView.as_view(), name="plan_detail"),
    path("preventive/<int:pk>/edit/", views.PlanUpdateView.as_view(), name="plan_update"),
    path("preventive/<int:pk>/archive/", views.PlanArchiveView.as_view(), name="plan_archive"),
]
