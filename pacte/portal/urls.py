from django.urls import path

from pacte.assets import views as asset_views
from pacte.billing import portal_urls as billing_portal_urls
from pacte.contracts import portal_views as contract_views
from pacte.interventions import portal_urls_feeds, portal_urls_preventive, portal_urls_sheets, portal_urls_sign
from pacte.portal import views
from pacte.servicedesk import portal_views as ticket_views
from pacte.tenancy import views as tenancy_views

app_name = "portal"

urlpatterns = [
    path("", views.PortalHomeView.as_view(), name="home"),
    path("company/", views.PortalCompanyView.as_view(), name="company"),
    path("assets/", asset_views.AssetListView.as_view(side="client"), name="asset_list"),
    path("assets/<int:pk>/", asset_views.AssetDetailView.as_view(side="client"), name="asset_detail"),
    path("contracts/", contract_views.ContractListView.as_view(), name="contract_list"),
    path("contracts/<int:pk>/", contract_views.ContractDetailView.as_view(), name="contract_detail"),
    path("contracts/<int:pk>/notice/", contract_views.NoticeView.as_view(), name="contract_notice"),
    path("contracts/<int:pk>/exit/signoff/", contract_views.ExitSignoffView.as_view(), name="contract_exit_signoff"),
    path("contracts/versions/<int:pk>/sign/", contract_views.VersionSignView.as_view(), name="version_sign"),
    path("contracts/versions/<int:pk>/pdf/", contract_views.VersionPdfView.as_view(), name="version_pdf"),
    path("tickets/", ticket_views.TicketListView.as_view(), name="ticket_list"),
    path("tickets/new/", ticket_views.TicketCreateView.as_view(), name="ticket_create"),
    path("tickets/<int:pk>/", ticket_views.TicketDetailView.as_view(), name="ticket_detail"),
    path("tickets/<int:pk>/reply/", ticket_views.TicketReplyView.as_view(), name="ticket_reply"),
    path("tickets/<int:pk>/status/", ticket_views.TicketStatusView.as_view(), name="ticket_status"),
    path("tickets/quotes/<int:pk>/decide/", ticket_views.QuoteDecideView.as_view(), name="ticket_quote_decide"),
    path("tickets/files/<int:pk>/", ticket_views.TicketFileView.as_view(), name="ticket_file"),
    *portal_urls_sheets.urlpatterns,
    *portal_urls_sign.urlpatterns,
    *portal_urls_preventive.urlpatterns,
    *portal_urls_feeds.urlpatterns,
    *billing_portal_urls.urlpatterns,
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
