"""Reads of outgoing mail, scoped to the actor's provider (administrators only) inside the query."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from pacte.mail.models import MessageStatus, OutboundMessage
from pacte.mail.permissions import can_view_mail
from pacte.tenancy.models import Membership


def message_list(*, actor: Membership, status: str = "") -> QuerySet[OutboundMessage]:
    """The provider's messages, newest first; nothing for a role that may not see them."""
    queryset = OutboundMessage.objects.filter(provider_id=actor.provider_id)
    if not can_view_mail(actor):
        return queryset.none()
    if status in MessageStatus.values:
        queryset = queryset.filter(status=status)
    return queryset.order_by("-created_at", "-id")


def message_get(*, actor: Membership, pk: int) -> OutboundMessage:
    return get_object_or_404(message_list(actor=actor).prefetch_related("attachments"), pk=pk)
