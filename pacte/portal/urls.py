from django.urls import path

from pacte.portal import views
from pacte.tenancy import views as tenancy_views

app_name = "portal"

urlpatterns = [
    path("", views.PortalHomeView.as_view(), name="home"),
    path("company/", views.PortalCompanyView.as_view(), name="company"),
    path("sites/new/", tenancy_views.SiteCreateView.as_view(side="client"), name="site_create"),
    path("sites/<int:pk>/edit/", tenancy_views.SiteUpdateView.as_view(side="client"), name="site_update"),
    path("sites/<int:pk>/archive/", tenancy_views.SiteArchiveView.as_view(side="client"), name="site_archive"),
    path("contacts/new/", tenancy_views.ContactCreateView.as_view(side="client"), name="contact_create"),
    path("contacts/<int:pk>/edit/", tenancy_views.ContactUpdateView.as_view(side="client"), name="contact_update"),
    path("contacts/<int:pk>/archive/", tenancy_views.ContactArchiveView.as_view(side="client"), name="contact_archive"),
    path("users/", tenancy_views.MembershipListView.as_view(side="client"), name="users"),
    path("users/new/", tenancy_views.MembershipCreateView.as_view(side="client"), name="user_create"),
    path("users/<int:pk>/edit/", tenancy_views.MembershipUpdateView.as_view(side="client"), name="user_update"),
    path("users/<int:pk>/archive/", tenancy_views.MembershipArchiveView.as_view(side="client"), name="user_archive"),
]
