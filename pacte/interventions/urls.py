"""The interventions app's back-office pages (``/interventions/…``), one list per part of the app."""

from __future__ import annotations

from pacte.interventions import urls_planning, urls_preventive, urls_sheets, urls_sign

app_name = "interventions"

urlpatterns = [
    *urls_sheets.urlpatterns,
    *urls_sign.urlpatterns,
    *urls_planning.urlpatterns,
    *urls_preventive.urlpatterns,
]
