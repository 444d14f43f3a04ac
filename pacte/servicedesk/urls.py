from django.urls import path

from pacte.servicedesk import views, views_inbox, views_settings, views_ticket

app_name = "servicedesk"

urlpatterns = [
    path("", views.TicketListView.as_view(), name="ticket_list"),
    path("bulk/", views.TicketBulkView.as_view(), name="ticket_bulk"),
    path("views/", views.SavedViewCreateView.as_view(), name="saved_view_create"),
    path("views/<int:pk>/delete/", views.SavedViewDeleteView.as_view(), name="saved_view_delete"),
    path("new/", views.TicketCreateView.as_view(), name="ticket_create"),
    path("files/<int:pk>/", views.AttachmentDownloadView.as_view(), name="attachment_download"),
    path("<int:pk>/", views_ticket.TicketDetailView.as_view(), name="ticket_detail"),
    path("<int:pk>/reply/", views_ticket.TicketReplyView.as_view(), name="ticket_reply"),
    path("<int:pk>/status/", views_ticket.TicketStatusView.as_view(), name="ticket_status"),
    path("<int:pk>/assign/", views_ticket.TicketAssignView.as_view(), name="ticket_assign"),
    path("<int:pk>/edit/", views_ticket.TicketUpdateView.as_view(), name="ticket_update"),
    path("<int:pk>/quote/", views_ticket.QuoteCreateView.as_view(), name="quote_create"),
    path("quotes/<int:pk>/withdraw/", views_ticket.QuoteWithdrawView.as_view(), name="quote_withdraw"),
    path("settings/", views_settings.SettingsView.as_view(), name="settings"),
    path("settings/teams/", views_settings.TeamCreateView.as_view(), name="team_create"),
    path("settings/teams/<int:pk>/", views_settings.TeamUpdateView.as_view(), name="team_update"),
    path("settings/teams/<int:pk>/archive/", views_settings.TeamArchiveView.as_view(), name="team_archive"),
    path("inbox/", views_inbox.InboxListView.as_view(), name="inbox_list"),
    path("inbox/<int:pk>/", views_inbox.InboxDetailView.as_view(), name="inbox_detail"),
    path("inbox/<int:pk>/accept/", views_inbox.InboxAcceptView.as_view(), name="inbox_accept"),
    path("inbox/<int:pk>/discard/", views_inbox.InboxDiscardView.as_view(), name="inbox_discard"),
    path("settings/mailboxes/", views_inbox.MailboxListView.as_view(), name="mailbox_list"),
    path("settings/mailboxes/new/", views_inbox.MailboxCreateView.as_view(), name="mailbox_create"),
    path("settings/mailboxes/<int:pk>/", views_inbox.MailboxUpdateView.as_view(), name="mailbox_update"),
    path("settings/mailboxes/<int:pk>/archive/", views_inbox.MailboxArchiveView.as_view(), name="mailbox_archive"),
    path("settings/mailboxes/<int:pk>/test/", views_inbox.MailboxTestView.as_view(), name="mailbox_test"),
]
