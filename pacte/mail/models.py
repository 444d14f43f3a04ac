"""Outgoing e-mail: the provider's sender identity, every message queued and its delivery state."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from pacte.core.models import TimeStampedModel


class MailSender(TimeStampedModel):
    """The name and address a provider's e-mail is sent from (set by the install operator).

    The address's domain is also the domain of the messages' Message-IDs. Without one, the
    provider's name and ``PACTE_DEFAULT_FROM_EMAIL``'s address are used.
    """

    provider = models.OneToOneField(
        "tenancy.Provider", on_delete=models.CASCADE, related_name="mail_sender", verbose_name=_("provider")
    )
    from_name = models.CharField(_("sender name"), max_length=150)
    from_email = models.EmailField(_("sender address"))
    reply_to = models.EmailField(_("reply-to address"), blank=True)

    class Meta:
        verbose_name = _("sender identity")
        verbose_name_plural = _("sender identities")

    def __str__(self) -> str:
        return f"{self.from_name} <{self.from_email}>"


class MessageStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class OutboundMessage(TimeStampedModel):
    """One e-mail as sent (rendered in one language, to the recipients who read that language).

    Written by ``mail_send`` in the caller's transaction with its delivery job; the worker sends it
    over SMTP, retrying with back-off while the server is unreachable or answers 4xx; a 5xx refusal
    marks it failed. ``provider`` is empty for install-level mail (password resets).
    """

    provider = models.ForeignKey(
        "tenancy.Provider",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("provider"),
    )
    key = models.CharField(_("idempotency key"), max_length=200, blank=True)
    template = models.CharField(_("template"), max_length=150)
    language = models.CharField(_("language"), max_length=5)
    from_address = models.CharField(_("from"), max_length=300)
    reply_to = models.CharField(_("reply to"), max_length=300, blank=True)
    to = models.JSONField(_("to"), default=list)
    subject = models.CharField(pgettext_lazy("e-mail", "subject"), max_length=300)
    body_text = models.TextField(_("text"))
    body_html = models.TextField(_("HTML"), blank=True)
    message_id = models.CharField(_("Message-ID"), max_length=250, unique=True)
    in_reply_to = models.CharField(_("In-Reply-To"), max_length=250, blank=True)
    references = models.TextField(_("References"), blank=True)
    thread = models.CharField(_("thread"), max_length=150, blank=True)
    sensitive = models.BooleanField(
        _("sensitive"), default=False, help_text=_("The body is erased once sent (e.g. a password-reset link).")
    )
    status = models.CharField(_("status"), max_length=10, choices=MessageStatus.choices, default=MessageStatus.QUEUED)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("outgoing message")
        verbose_name_plural = _("outgoing messages")
        constraints = [
            models.UniqueConstraint(
                fields=["key", "language"], condition=~Q(key=""), name="mail_outboundmessage_key_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["provider", "status", "created_at"]),
            models.Index(fields=["provider", "thread", "created_at"]),
        ]

    def __str__(self) -> str:
        return self.subject

    def get_absolute_url(self) -> str:
        return reverse("mail:message_detail", args=[self.pk])

    @property
    def reference_list(self) -> list[str]:
        return self.references.split()

    @property
    def recipients_display(self) -> str:
        return ", ".join(self.to)


class OutboundAttachment(models.Model):
    """A file sent with a message: its bytes stored here, or a file in the default storage by name."""

    message = models.ForeignKey(OutboundMessage, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    content = models.BinaryField(_("content"), null=True, blank=True)
    storage_name = models.CharField(_("stored file"), max_length=300, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        constraints = [
            models.CheckConstraint(
                condition=Q(content__isnull=False) | ~Q(storage_name=""), name="mail_attachment_has_content"
            ),
        ]

    def __str__(self) -> str:
        return self.filename
