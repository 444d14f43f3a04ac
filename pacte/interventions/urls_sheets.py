"""Pages of the interventions app: the sheets part (combined in ``urls.py`` under the ``interventions`` namespace)."""

from __future__ import annotations

from django.urls import URLPattern, path

from pacte.interventions import views, views_work

urlpatterns: list[URLPattern] = [
    path("", views.SheetListView.as_view(), name="sheet_list"),
    path("new/", views.SheetCreateView.as_view(), name="sheet_create"),
    path("<int:pk>/", views.SheetDetailView.as_view(), name="sheet_detail"),
    path("<int:pk>/check-in/", views_work.CheckInView.as_view(), name="sheet_check_in"),
    path("<int:pk>/check-out/", views_work.CheckOutView.as_view(), name="sheet_check_out"),
    path("<int:pk>/backup/", views_work.BackupView.as_view(), name="sheet_backup"),
    path("<int:pk>/details/", views_work.DetailsView.as_view(), name="sheet_details"),
    path("<int:pk>/work/", views_work.WorkView.as_view(), name="sheet_work"),
    path("<int:pk>/travel/", views_work.TravelView.as_view(), name="sheet_travel"),
    path("<int:pk>/workshop/", views_work.WorkshopView.as_view(), name="sheet_workshop"),
    path("<int:pk>/time/", views_work.TimeAddView.as_view(), name="sheet_time_add"),
    path("<int:pk>/parts/", views_work.PartAddView.as_view(), name="sheet_part_add"),
    path("<int:pk>/checklist/", views_work.ChecklistAddView.as_view(), name="sheet_checklist_add"),
    path("<int:pk>/patches/", views_work.PatchAddView.as_view(), name="sheet_patch_add"),
    path("<int:pk>/files/", views_work.FileAddView.as_view(), name="sheet_file_add"),
    path("<int:pk>/done/", views_work.MarkDoneView.as_view(), name="sheet_done"),
    path("<int:pk>/cancel/", views_work.CancelView.as_view(), name="sheet_cancel"),
    path("<int:pk>/correct/", views_work.CorrectView.as_view(), name="sheet_correct"),
    path("time/<int:pk>/delete/", views_work.TimeDeleteView.as_view(), name="time_entry_delete"),
    path("parts/<int:pk>/remove/", views_work.PartRemoveView.as_view(), name="part_remove"),
    path("checklist/<int:pk>/", views_work.ChecklistSetView.as_view(), name="checklist_set"),
    path("files/<int:pk>/", views.SheetFileView.as_view(), name="sheet_file"),
    path("tickets/<int:pk>/time/", views.TicketTimeAddView.as_view(), name="ticket_time_add"),
]
