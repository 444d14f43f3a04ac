"""Building documents in tests with the real services (no mocks)."""

from __future__ import annotations

import datetime
import io

from pacte.documents import storage
from pacte.documents.domain import AttachmentRelationship, PdfAttachment
from pacte.documents.models import Document, DocumentKind
from pacte.documents.services import document_create_pdf
from pacte.tenancy.models import Client, Membership

TEMPLATE = "documents/pdf/demo_sample.html"
FACTURX_XML = b'<?xml version="1.0" encoding="UTF-8"?><rsm:CrossIndustryInvoice xmlns:rsm="urn:test"/>'


def sample_context(actor: Membership, title: str = "Contrat de maintenance") -> dict:
    clients = list(Client.objects.filter(provider_id=actor.provider_id).order_by("name"))
    return {"provider": actor.provider, "clients": clients, "title": title, "issued_on": datetime.date(2026, 3, 16)}


def make_pdf(
    actor: Membership,
    *,
    seal: bool = False,
    client: Client | None = None,
    title: str = "Contrat de maintenance",
    kind: str = DocumentKind.CONTRACT,
) -> Document:
    return document_create_pdf(
        actor=actor,
        template_name=TEMPLATE,
        context=sample_context(actor, title),
        title=title,
        filename=f"{title}.pdf",
        kind=kind,
        client=client,
        attachments=[PdfAttachment("factur-x.xml", FACTURX_XML, "Factur-X", AttachmentRelationship.ALTERNATIVE)],
        seal=seal,
    )


def content_of(document: Document) -> bytes:
    return storage.read(document.storage_name)


def flip_byte(content: bytes, index: int) -> bytes:
    changed = bytearray(content)
    changed[index] ^= 0x01
    return bytes(changed)


def pdf_from_elsewhere() -> bytes:
    """A PDF Pacte never stored (made by pikepdf, as another program would)."""
    import pikepdf

    pdf = pikepdf.new()
    pdf.add_blank_page()
    output = io.BytesIO()
    pdf.save(output)
    return output.getvalue()
