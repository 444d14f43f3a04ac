from django.urls import path

from pacte.assets import views

app_name = "assets"

urlpatterns = [
    path("", views.AssetListView.as_view(side="provider"), name="asset_list"),
    path("new/", views.AssetCreateView.as_view(), name="asset_create"),
    path("import/", views.AssetImportView.as_view(side="provider"), name="asset_import"),
    path("import/confirm/", views.AssetImportConfirmView.as_view(side="provider"), name="asset_import_confirm"),
    path("<int:pk>/", views.AssetDetailView.as_view(side="provider"), name="asset_detail"),
    path("<int:pk>/edit/", views.AssetUpdateView.as_view(), name="asset_update"),
    path("<int:pk>/archive/", views.AssetArchiveView.as_view(side="provider"), name="asset_archive"),
]
