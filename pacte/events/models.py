"""The transactional outbox: events written by services in their own transaction, one delivery per
registered handler, and the keys that make handlers idempotent."""

from __future__ import annotations

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _


class Event(models.Model):
    """A fact another app may react to (``intervention.sheet_signed``, ``invoice.issued``…).

    Written by ``event_publish`` inside the producer's transaction: a rolled-back transaction leaves
    no event. ``key`` is unique: publishing the same fact twice is a no-op.
    """

    kind = models.CharField(_("kind"), max_length=100, db_index=True)
    key = models.CharField(_("key"), max_length=200, unique=True)
    payload = models.JSONField(_("payload"), default=dict, encoder=DjangoJSONEncoder)
    provider = models.ForeignKey(
        "tenancy.Provider",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("provider"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("event")
        verbose_name_plural = _("events")

    def __str__(self) -> str:
        return f"{self.kind} {self.key}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DONE = "done", _("Delivered")
    DEAD = "dead", _("Dead letter")


class Delivery(models.Model):
    """One event handed to one handler: attempts, back-off, last error; dead after too many failures."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("event"))
    handler = models.CharField(_("handler"), max_length=200)
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"))
    last_error = models.TextField(_("last error"), blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(fields=["event", "handler"], name="events_delivery_one_per_handler"),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.event} → {self.handler}"

    @property
    def key(self) -> str:
        """A stable key for what this delivery creates (``handler:event key``)."""
        return f"{self.handler}:{self.event.key}"


class HandledKey(models.Model):
    """A unique key claimed by a handler (``handler_once``) in the same transaction as its effect."""

    key = models.CharField(_("key"), max_length=255, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("handled key")
        verbose_name_plural = _("handled keys")

    def __str__(self) -> str:
        return self.key
