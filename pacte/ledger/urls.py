"""The ledger's back-office pages (``/ledger/…``)."""

from __future__ import annotations

from django.urls import URLPattern, path

from pacte.ledger import views

app_name = "ledger"

urlpatterns: list[URLPattern] = [
    path("contracts/<int:pk>/", views.ContractLedgerView.as_view(), name="contract_ledger"),
    path("contracts/<int:pk>/adjustments/new/", views.AdjustmentCreateView.as_view(), name="adjustment_create"),
    path("contracts/<int:pk>/tasks/", views.TaskRecordView.as_view(), name="task_record"),
    path("contracts/<int:pk>/tasks/<int:movement_pk>/cancel/", views.TaskCancelView.as_view(), name="task_cancel"),
    path(
        "contracts/<int:pk>/milestones/<int:index>/accept/",
        views.MilestoneAcceptView.as_view(),
        name="milestone_accept",
    ),
    path("leaks/", views.LeakReportView.as_view(), name="leak_report"),
]
