"""The client portal's calendar feed: a client's manager subscribes to their company's preventive visits.

The feed is ``feeds``' client feed (the company's planned preventive visits and those still to plan),
made from the portal: its address is shown once, when created, and can be revoked. A client's
managers only (``feeds.feed_list`` refuses anyone else: a client user gets 403, like the portal's
other manager pages); another company's feed is a 404. Provider roles: 404 (portal pages).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pacte.interventions import feeds
from pacte.interventions.models import FeedKind
from pacte.interventions.portal_views import PortalPage

TEMPLATE = "interventions/portal/calendar_feed.html"


class PortalFeedForm(forms.Form):
    label = forms.CharField(
        label=gettext_lazy("Label"),
        max_length=feeds.LABEL_MAX,
        required=False,
        help_text=gettext_lazy("Where you use it, e.g. “Outlook, reception”."),
    )


class CalendarFeedView(PortalPage):
    """The company's portal feeds; creating one shows its address once."""

    def _render(self, request: HttpRequest, form: PortalFeedForm, status: int = 200, **extra: Any) -> HttpResponse:
        context = {"feeds": list(feeds.feed_list(actor=self.actor)), "form": form, **extra}
        return render(request, TEMPLATE, context, status=status)

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._render(request, PortalFeedForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        if not feeds.is_client_manager(self.actor):
            raise PermissionDenied
        form = PortalFeedForm(request.POST)
        if form.is_valid():
            try:
                feed, token = feeds.feed_create(
                    actor=self.actor, kind=FeedKind.CLIENT, label=form.cleaned_data["label"]
                )
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    for message in errors:
                        form.add_error(field if field in form.fields else None, message)
            else:
                return self._render(request, PortalFeedForm(), new_feed=feed, new_url=feeds.feed_url(token))
        return self._render(request, form, status=422)


class CalendarFeedRevokeView(PortalPage):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        feed = feeds.feed_get(actor=self.actor, pk=pk)
        feeds.feed_revoke(actor=self.actor, feed=feed)
        messages.success(request, _("The feed is revoked: its address no longer works."))
        return redirect("portal:calendar_feed")
