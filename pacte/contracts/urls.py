"""The contracts pages (provider side), under /contracts/. Portal pages are in ``pacte.portal.urls``."""

from pacte.contracts.urls_manage import urlpatterns as manage_urlpatterns
from pacte.contracts.urls_revision import urlpatterns as revision_urlpatterns

app_name = "contracts"

urlpatterns = [*manage_urlpatterns, *revision_urlpatterns]
