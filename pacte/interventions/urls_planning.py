"""Pages of the interventions app: the planning part (combined in ``urls.py`` under the ``interventions`` namespace)."""

from __future__ import annotations

from django.urls import URLPattern, path

from pacte.interventions import views_planning as views

urlpatterns: list[URLPattern] = [
    path("planning/", views.BoardView.as_view(), name="board"),
    path("planning/<int:pk>/plan/", views.PlanView.as_view(), name="sheet_plan"),
    path("my-day/", views.MyDayView.as_view(), name="my_day"),
    path("feeds/", views.FeedListView.as_view(), name="feed_list"),
    path("feeds/<int:pk>/revoke/", views.FeedRevokeView.as_view(), name="feed_revoke"),
    path("feeds/<str:token>.ics", views.feed_ics, name="feed_ics"),
]
