from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from pacte.documents.models import Document, SealCertificate, SignatureEvidence


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    """Documents, certificates and evidence are append-only: the admin only shows them."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Document)
class DocumentAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "provider", "client", "kind", "title", "is_sealed", "size", "sha256"]
    list_filter = ["kind", "is_sealed"]
    search_fields = ["title", "sha256", "source_type", "source_id"]


@admin.register(SealCertificate)
class SealCertificateAdmin(ReadOnlyAdmin):
    list_display = ["provider", "subject", "not_before", "not_after", "fingerprint"]


@admin.register(SignatureEvidence)
class SignatureEvidenceAdmin(ReadOnlyAdmin):
    list_display = ["signed_at", "provider", "signer_name", "document", "ip"]
    search_fields = ["signer_name", "signer_email", "document_sha256"]
