"""The operator's view of outgoing mail (Django admin): every provider's and the install's own messages."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from pacte.mail.models import MailSender, OutboundAttachment, OutboundMessage

ATTACHMENT_FIELDS = ("filename", "content_type", "size", "sha256", "storage_name")


@admin.register(MailSender)
class MailSenderAdmin(admin.ModelAdmin[MailSender]):
    list_display = ["provider", "from_name", "from_email", "reply_to"]
    search_fields = ["provider__name", "from_email"]


class AttachmentInline(admin.TabularInline[OutboundAttachment, OutboundMessage]):
    model = OutboundAttachment
    extra = 0
    fields = ATTACHMENT_FIELDS
    readonly_fields = ATTACHMENT_FIELDS
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(OutboundMessage)
class OutboundMessageAdmin(admin.ModelAdmin[OutboundMessage]):
    list_display = ["created_at", "provider", "subject", "status", "attempts", "sent_at", "last_error"]
    list_filter = ["status", "language", "template"]
    search_fields = ["subject", "message_id", "to"]
    inlines = [AttachmentInline]
    exclude = ["body_html"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
