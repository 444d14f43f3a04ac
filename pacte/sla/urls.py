from django.urls import path

from pacte.sla import views

app_name = "sla"

urlpatterns = [
    path("service-levels/", views.ServiceLevelListView.as_view(), name="service_level_list"),
    path("service-levels/new/", views.ServiceLevelCreateView.as_view(), name="service_level_create"),
    path("service-levels/<int:pk>/", views.ServiceLevelDetailView.as_view(), name="service_level_detail"),
    path("service-levels/<int:pk>/edit/", views.ServiceLevelUpdateView.as_view(), name="service_level_update"),
    path("service-levels/<int:pk>/archive/", views.ServiceLevelArchiveView.as_view(), name="service_level_archive"),
    path("calendars/", views.CalendarListView.as_view(), name="calendar_list"),
    path("calendars/new/", views.CalendarCreateView.as_view(), name="calendar_create"),
    path("calendars/holidays/", views.HolidayPreviewView.as_view(), name="holiday_preview"),
    path("calendars/<int:pk>/", views.CalendarDetailView.as_view(), name="calendar_detail"),
    path("calendars/<int:pk>/edit/", views.CalendarUpdateView.as_view(), name="calendar_update"),
    path("calendars/<int:pk>/archive/", views.CalendarArchiveView.as_view(), name="calendar_archive"),
    path("calendars/<int:pk>/simulate/", views.CalendarSimulateView.as_view(), name="calendar_simulate"),
    path(
        "calendars/<int:pk>/exceptions/new/",
        views.CalendarExceptionCreateView.as_view(),
        name="calendar_exception_create",
    ),
    path(
        "calendars/<int:pk>/exceptions/<int:exception_pk>/delete/",
        views.CalendarExceptionDeleteView.as_view(),
        name="calendar_exception_delete",
    ),
    path("closures/", views.ProviderClosureListView.as_view(), name="closure_list"),
    path("closures/new/", views.ProviderClosureCreateView.as_view(), name="closure_create"),
    path("closures/<int:pk>/delete/", views.ProviderClosureDeleteView.as_view(), name="closure_delete"),
]
