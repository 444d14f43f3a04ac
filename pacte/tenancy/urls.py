from django.urls import path

from pacte.tenancy import views

app_name = "tenancy"

urlpatterns = [
    path("clients/", views.ClientListView.as_view(), name="client_list"),
    path("clients/new/", views.ClientCreateView.as_view(), name="client_create"),
    path("clients/<int:pk>/", views.ClientDetailView.as_view(), name="client_detail"),
    path("clients/<int:pk>/edit/", views.ClientUpdateView.as_view(), name="client_update"),
    path("clients/<int:pk>/archive/", views.ClientArchiveView.as_view(), name="client_archive"),
    path("clients/<int:client_pk>/sites/new/", views.SiteCreateView.as_view(side="provider"), name="site_create"),
    path("sites/<int:pk>/edit/", views.SiteUpdateView.as_view(side="provider"), name="site_update"),
    path("sites/<int:pk>/archive/", views.SiteArchiveView.as_view(side="provider"), name="site_archive"),
    path(
        "clients/<int:client_pk>/contacts/new/",
        views.ContactCreateView.as_view(side="provider"),
        name="contact_create",
    ),
    path("contacts/<int:pk>/edit/", views.ContactUpdateView.as_view(side="provider"), name="contact_update"),
    path("contacts/<int:pk>/archive/", views.ContactArchiveView.as_view(side="provider"), name="contact_archive"),
    path("users/", views.MembershipListView.as_view(side="provider"), name="user_list"),
    path("users/new/", views.MembershipCreateView.as_view(side="provider"), name="user_create"),
    path("users/<int:pk>/edit/", views.MembershipUpdateView.as_view(side="provider"), name="user_update"),
    path("users/<int:pk>/archive/", views.MembershipArchiveView.as_view(side="provider"), name="user_archive"),
    path("company/", views.ProviderIdentityView.as_view(), name="provider_identity"),
    path("company/logo/", views.ProviderLogoView.as_view(), name="provider_logo"),
]
