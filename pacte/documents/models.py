"""Stored documents, the certificates that sealed them, and signature evidence: all append-only."""

from __future__ import annotations

from typing import Any, NoReturn, TypeVar

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

_M = TypeVar("_M", bound=models.Model)


class AppendOnlyQuerySet(models.QuerySet[_M]):
    """Bulk updates and deletes are refused too (``save()`` and ``delete()`` guard single rows)."""

    def update(self, **kwargs: Any) -> NoReturn:
        raise RuntimeError(f"{self.model.__name__} rows are append-only.")

    def delete(self) -> NoReturn:
        raise RuntimeError(f"{self.model.__name__} rows are append-only.")


class AppendOnlyModel(models.Model):
    """Rows written once by a service and never updated or deleted (like the audit trail)."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise RuntimeError(f"{type(self).__name__} rows are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise RuntimeError(f"{type(self).__name__} rows are append-only.")


#: A SHA-256 as stored: 64 lower-case hexadecimal digits.
sha256_validator = RegexValidator(r"^[0-9a-f]{64}\Z", "Not a SHA-256 in lower-case hexadecimal.")


class DocumentKind(models.TextChoices):
    CONTRACT = "contract", _("Contract")
    AMENDMENT = "amendment", _("Amendment")
    INTERVENTION_SHEET = "intervention_sheet", _("Intervention sheet")
    INVOICE = "invoice", _("Invoice")
    CREDIT_NOTE = "credit_note", _("Credit note")
    REPORT = "report", _("Report")
    LETTER = "letter", _("Letter")
    OTHER = "other", _("Other document")


class SealCertificate(AppendOnlyModel):
    """A certificate the provider sealed documents with; verification trusts the provider's certificates.

    Recorded the first time it seals, kept after it expires or is replaced, so older documents still verify.
    """

    provider = models.ForeignKey("tenancy.Provider", on_delete=models.PROTECT, related_name="+")
    fingerprint = models.CharField(_("SHA-256 fingerprint"), max_length=64)
    subject = models.CharField(_("subject"), max_length=300)
    serial_number = models.CharField(_("serial number"), max_length=100)
    not_before = models.DateTimeField(_("valid from"))
    not_after = models.DateTimeField(_("valid until"))
    certificate_pem = models.TextField(_("certificate (PEM)"))
    created_at = models.DateTimeField(_("first used"), auto_now_add=True)

    class Meta:
        ordering = ["provider", "-created_at", "-id"]
        verbose_name = _("seal certificate")
        verbose_name_plural = _("seal certificates")
        constraints = [
            models.UniqueConstraint(fields=["provider", "fingerprint"], name="documents_seal_certificate_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} ({self.fingerprint[:16]}…)"


class Document(AppendOnlyModel):
    """A file Pacte produced or received, stored once under a random name with its SHA-256.

    Never overwritten, never deleted: a corrected document is a new row. A seal makes a new, sealed
    row (``sealed_from`` points at the unsealed one). ``source_type``/``source_id`` name the object
    the document belongs to (e.g. ``contracts.contract`` 12).
    """

    provider = models.ForeignKey("tenancy.Provider", on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey("tenancy.Client", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    kind = models.CharField(_("kind"), max_length=30, choices=DocumentKind.choices)
    title = models.CharField(_("title"), max_length=200)
    filename = models.CharField(_("file name"), max_length=150)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64, validators=[sha256_validator])
    storage_name = models.CharField(_("storage name"), max_length=255, unique=True)
    pdf_identifier = models.CharField(_("PDF identifier"), max_length=128, blank=True)
    is_sealed = models.BooleanField(_("sealed"), default=False)
    sealed_from = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="sealed_versions"
    )
    seal_certificate = models.ForeignKey(
        SealCertificate, on_delete=models.PROTECT, null=True, blank=True, related_name="documents"
    )
    source_type = models.CharField(_("source type"), max_length=80, blank=True)
    source_id = models.CharField(_("source id"), max_length=40, blank=True)
    created_by = models.ForeignKey(
        "tenancy.Membership", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        constraints = [
            models.CheckConstraint(
                condition=Q(is_sealed=False) | Q(seal_certificate__isnull=False),
                name="documents_document_sealed_has_certificate",
            ),
        ]
        indexes = [
            models.Index(fields=["provider", "sha256"]),
            models.Index(fields=["provider", "pdf_identifier"]),
            models.Index(fields=["provider", "source_type", "source_id"]),
        ]

    def __str__(self) -> str:
        return self.title


class SignatureEvidence(AppendOnlyModel):
    """Who signed which exact document, when, from where, after being shown which consent text.

    ``document_sha256`` is the SHA-256 of the file the signer was shown (checked against the stored
    document when the evidence is recorded). ``signer_name`` is always filled (copied from the
    membership's user when there is one), so the evidence survives later renames.
    """

    provider = models.ForeignKey("tenancy.Provider", on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey("tenancy.Client", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="signatures")
    document_sha256 = models.CharField(_("SHA-256 of the document shown"), max_length=64, validators=[sha256_validator])
    signer_membership = models.ForeignKey(
        "tenancy.Membership", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signer_name = models.CharField(_("signer"), max_length=150)
    signer_email = models.CharField(_("signer's e-mail"), max_length=254, blank=True)
    signed_at = models.DateTimeField(_("signed at"))
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=300, blank=True)
    consent_text = models.TextField(_("consent text shown"))
    recorded_by = models.ForeignKey(
        "tenancy.Membership", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        ordering = ["signed_at", "id"]
        verbose_name = _("signature evidence")
        verbose_name_plural = _("signature evidence")
        constraints = [
            models.CheckConstraint(condition=~Q(signer_name=""), name="documents_signature_has_signer_name"),
            models.CheckConstraint(condition=~Q(consent_text=""), name="documents_signature_has_consent_text"),
        ]
        indexes = [models.Index(fields=["provider", "document"])]

    def __str__(self) -> str:
        return f"{self.signer_name} · {self.document_id} · {self.signed_at:%Y-%m-%d %H:%M}"
