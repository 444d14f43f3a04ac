"""Client portal pages of the interventions app: the calendar feed (added to the ``portal`` namespace)."""

from __future__ import annotations

from django.urls import URLPattern, path

from pacte.interventions import portal_views_feeds

urlpatterns: list[URLPattern] = [
    path("calendar/", portal_views_feeds.CalendarFeedView.as_view(), name="calendar_feed"),
    path("calendar/<int:pk>/revoke/", portal_views_feeds.CalendarFeedRevokeView.as_view(), name="calendar_feed_revoke"),
]
