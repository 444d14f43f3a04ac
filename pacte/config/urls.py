from django.contrib import admin
from django.urls import include, path

from pacte.config.api import api
from pacte.core import views as core_views

handler403 = "pacte.core.views.forbidden"
handler404 = "pacte.core.views.not_found"
handler500 = "pacte.core.views.server_error"

urlpatterns = [
    path("", core_views.home, name="home"),
    path("accounts/", include("pacte.accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("portal/", include("pacte.portal.urls")),
    path("mail/", include("pacte.mail.urls")),
    path("sla/", include("pacte.sla.urls")),
    path("assets/", include("pacte.assets.urls")),
    path("contracts/", include("pacte.contracts.urls")),
    path("tickets/", include("pacte.servicedesk.urls")),
    path("interventions/", include("pacte.interventions.urls")),
    path("ledger/", include("pacte.ledger.urls")),
    path("billing/", include("pacte.billing.urls")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("", include("pacte.tenancy.urls")),
    path("", include("pacte.documents.urls")),
]
