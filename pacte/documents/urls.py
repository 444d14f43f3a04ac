from django.urls import path

from pacte.documents import views

app_name = "documents"

urlpatterns = [
    path("documents/verify/", views.DocumentVerifyView.as_view(), name="verify"),
    path("documents/<int:pk>/download/", views.DocumentDownloadView.as_view(), name="download"),
]
