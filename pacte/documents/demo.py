"""The documents chapter of the demo: a self-signed seal certificate and a sealed sample document."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from pacte.documents import sealing
from pacte.documents.domain import AttachmentRelationship, PdfAttachment
from pacte.documents.models import Document, DocumentKind
from pacte.documents.services import document_create_pdf
from pacte.tenancy.models import Client, Provider

SAMPLE_TITLE = "Attestation de démonstration — document scellé"
SAMPLE_FILENAME = "attestation-demonstration-scellee.pdf"
CERTIFICATE_YEARS = 3


def demo_certificate_ensure(provider: Provider, *, now: datetime.datetime) -> bool:
    """Create the demo seal certificate if ``PACTE_SEAL_P12`` is the demo path and the file is missing.

    Returns whether it was created. A real certificate (any other path) is never created or touched.
    """
    path = Path(settings.PACTE_SEAL_P12)
    if not settings.PACTE_SEAL_P12 or path != Path(settings.PACTE_SEAL_DEMO_P12) or path.exists():
        return False
    sealing.self_signed_p12_create(
        path,
        password=settings.PACTE_SEAL_PASSWORD,
        common_name=f"{provider.name} (cachet de démonstration)",
        organization=provider.legal_name or provider.name,
        valid_from=now - datetime.timedelta(days=1),
        valid_until=now + datetime.timedelta(days=365 * CERTIFICATE_YEARS),
    )
    return True


def demo_sample_document(provider: Provider) -> Document | None:
    return (
        Document.objects.filter(
            provider=provider, is_sealed=True, source_type="tenancy.provider", source_id=str(provider.pk)
        )
        .order_by("id")
        .first()
    )


def demo_sample_ensure(provider: Provider, *, today: datetime.date) -> tuple[Document, bool]:
    """The sealed sample document of the demo provider (created once). Returns it and whether it was created."""
    existing = demo_sample_document(provider)
    if existing is not None:
        return existing, False
    clients = list(Client.objects.filter(provider=provider, archived_at__isnull=True).order_by("name"))
    data = [{"name": client.name, "city": client.city, "siren": client.siren} for client in clients]
    document = document_create_pdf(
        actor=None,
        provider=provider,
        template_name="documents/pdf/demo_sample.html",
        context={"provider": provider, "clients": clients, "title": SAMPLE_TITLE, "issued_on": today},
        title=SAMPLE_TITLE,
        filename=SAMPLE_FILENAME,
        kind=DocumentKind.OTHER,
        source=provider,
        attachments=[
            PdfAttachment(
                name="clients.json",
                content=json.dumps(data, ensure_ascii=False, indent=2).encode(),
                description="Clients du prestataire (données de démonstration)",
                relationship=AttachmentRelationship.DATA,
            )
        ],
        seal=True,
    )
    return document, True


def demo_documents_ensure(provider: Provider) -> tuple[Document, bool, bool]:
    now = timezone.now()
    created_certificate = demo_certificate_ensure(provider, now=now)
    document, created_document = demo_sample_ensure(provider, today=timezone.localdate(now))
    return document, created_certificate, created_document
