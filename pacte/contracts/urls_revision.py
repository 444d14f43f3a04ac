"""Pages of the index table, its CSV import, the alert settings and price revision (under /contracts/)."""

from django.urls import URLPattern, path

from pacte.contracts import views_revision as views

urlpatterns: list[URLPattern] = [
    path("indexes/", views.IndexListView.as_view(), name="index_list"),
    path("indexes/new/", views.IndexCreateView.as_view(), name="index_create"),
    path("indexes/<int:pk>/edit/", views.IndexUpdateView.as_view(), name="index_update"),
    path("indexes/<int:pk>/delete/", views.IndexDeleteView.as_view(), name="index_delete"),
    path("indexes/import/", views.IndexImportView.as_view(), name="index_import"),
    path("indexes/import/confirm/", views.IndexImportConfirmView.as_view(), name="index_import_confirm"),
    path("settings/", views.ContractSettingsView.as_view(), name="settings"),
    path("<int:pk>/revisions/", views.RevisionListView.as_view(), name="revision_list"),
    path("<int:pk>/revisions/new/", views.RevisionStartView.as_view(), name="revision_start"),
    path("<int:pk>/revisions/apply/", views.RevisionApplyView.as_view(), name="revision_apply"),
    path("<int:pk>/revisions/<int:revision_pk>/", views.RevisionDetailView.as_view(), name="revision_detail"),
]
