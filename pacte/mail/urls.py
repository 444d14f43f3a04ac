from django.urls import path

from pacte.mail import views

app_name = "mail"

urlpatterns = [
    path("", views.MessageListView.as_view(), name="message_list"),
    path("<int:pk>/", views.MessageDetailView.as_view(), name="message_detail"),
    path("<int:pk>/retry/", views.MessageRetryView.as_view(), name="message_retry"),
]
