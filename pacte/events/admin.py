"""The operator's view of the outbox (Django admin): events, deliveries and the dead letters, with retry."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from pacte.events.models import Delivery, DeliveryStatus, Event
from pacte.events.services import deliveries_retry

DELIVERY_FIELDS = (
    "handler",
    "status",
    "attempts",
    "next_attempt_at",
    "delivered_at",
    "last_error",
)


class DeliveryInline(admin.TabularInline[Delivery, Event]):
    model = Delivery
    extra = 0
    fields = DELIVERY_FIELDS
    readonly_fields = DELIVERY_FIELDS
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Event)
class EventAdmin(admin.ModelAdmin[Event]):
    list_display = ["created_at", "kind", "key", "provider"]
    list_filter = ["kind"]
    search_fields = ["key", "kind"]
    readonly_fields = ["kind", "key", "payload", "provider", "created_at"]
    inlines = [DeliveryInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class DeadLetterFilter(admin.SimpleListFilter):
    title = _("dead letters")
    parameter_name = "dead"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("1", _("Dead letters only"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "1":
            return queryset.filter(status=DeliveryStatus.DEAD)
        return queryset


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin[Delivery]):
    """Every delivery; filter "dead letters" for the failed ones and retry them with the action."""

    list_display = ["created_at", "event", "handler", "status", "attempts", "next_attempt_at", "error_summary"]
    list_filter = [DeadLetterFilter, "status", "handler"]
    search_fields = ["handler", "event__key", "last_error"]
    readonly_fields = ["event", "handler", "status", "attempts", "next_attempt_at", "delivered_at", "last_error"]
    actions = ["retry"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.display(description=_("last error"))
    def error_summary(self, obj: Delivery) -> str:
        error = obj.last_error.strip()
        return error.splitlines()[-1][:200] if error else ""

    @admin.action(description=_("Retry the selected dead letters"))
    def retry(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        count = deliveries_retry(deliveries=queryset.filter(status=DeliveryStatus.DEAD))
        message = ngettext("%(count)d delivery queued again.", "%(count)d deliveries queued again.", count)
        self.message_user(request, message % {"count": count}, messages.SUCCESS)
