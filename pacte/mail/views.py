"""The provider administrator's pages of outgoing mail: what was sent, what failed, and retry."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View

from pacte.core.views import ActorRequiredMixin
from pacte.mail import selectors, services
from pacte.mail.models import MessageStatus
from pacte.mail.permissions import can_view_mail
from pacte.tenancy.permissions import require

PAGE_SIZE = 50


class MailAdminMixin(ActorRequiredMixin):
    side = "provider"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        actor = getattr(request, "actor", None)
        if actor is not None and actor.is_provider_side:
            require(can_view_mail(actor))
        return super().dispatch(request, *args, **kwargs)


class MessageListView(MailAdminMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        status = request.GET.get("status", "")
        status = status if status in MessageStatus.values else ""
        queryset = selectors.message_list(actor=self.actor, status=status)
        page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
        context = {"page": page, "status": status, "statuses": MessageStatus.choices}
        return render(request, "mail/message_list.html", context)


class MessageDetailView(MailAdminMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        message = selectors.message_get(actor=self.actor, pk=pk)
        return render(request, "mail/message_detail.html", {"message": message})


class MessageRetryView(MailAdminMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        message = selectors.message_get(actor=self.actor, pk=pk)
        services.message_retry(actor=self.actor, message=message)
        messages.success(request, _("The message is queued to be sent again."))
        return redirect("mail:message_detail", pk=message.pk)
