"""The documents of an issued invoice: its Factur-X XML and its PDF/A-3, rendered once from the frozen data.

``invoice_render_once`` is what the ``billing.invoice_render`` job runs: it holds the invoice's row
lock while it renders, so two workers (or a worker and a download) never make two documents; a
second call finds the document and returns. The PDF is sealed with the provider's certificate when
one is configured (the seal proves the provider issued it; the invoice is valid without it). The job
then e-mails the PDF to the client (``billing.sending``); rendering alone sends nothing.
"""

from __future__ import annotations

import base64
from typing import Any

from django.db import transaction

from pacte.billing import facturx, snapshot
from pacte.billing.invoice_data import InvoiceData
from pacte.billing.models import Invoice, InvoiceKind, InvoiceStatus
from pacte.core.errors import ConflictError
from pacte.documents import storage
from pacte.documents.domain import sha256_hex
from pacte.documents.errors import DocumentRenderError, SealCertificateError
from pacte.documents.models import DocumentKind
from pacte.documents.services import document_create_pdf

TEMPLATE = "billing/pdf/invoice.html"


def invoice_xml(invoice: Invoice) -> bytes:
    """The CII XML (``factur-x.xml``) of an issued invoice, from its frozen data."""
    if invoice.status != InvoiceStatus.ISSUED:
        raise ConflictError("Only an issued invoice has its e-invoice XML.")
    return facturx.cii_xml(snapshot.data_from_json(invoice.data))


def logo_data_uri(data: InvoiceData) -> str:
    """The seller's logo frozen with the invoice (``snapshot.frozen_logo``) as a ``data:`` URI, or "" without one.

    The copy must still be the one that was issued (its SHA-256): a missing or altered file is an error,
    never a PDF with another logo or none.
    """
    seller = data.seller
    if not seller.logo_file:
        return ""
    try:
        content = storage.read(seller.logo_file)
    except (OSError, ValueError) as error:
        raise DocumentRenderError(f"The logo of invoice {data.number} is missing: {seller.logo_file}.") from error
    if sha256_hex(content) != seller.logo_sha256:
        raise DocumentRenderError(f"The logo of invoice {data.number} has changed since it was issued.")
    kind = "image/png" if content.startswith(b"\x89PNG") else "image/jpeg"
    return f"data:{kind};base64,{base64.b64encode(content).decode('ascii')}"


def invoice_pdf_context(data: InvoiceData) -> dict[str, Any]:
    """The context of ``billing/pdf/invoice.html``: ``facturx.invoice_pdf_context`` and the frozen logo."""
    return {**facturx.invoice_pdf_context(data), "logo": logo_data_uri(data)}


def invoice_render_once(invoice_id: int) -> str:
    """Render, store and link the invoice's PDF/A-3 with ``factur-x.xml``, once; returns its SHA-256."""
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
        if invoice.status != InvoiceStatus.ISSUED:
            raise ConflictError("Only an issued invoice is rendered.")
        if invoice.document_id is not None:
            return str(Invoice.objects.filter(pk=invoice_id).values_list("document__sha256", flat=True).get())
        invoice = Invoice.objects.select_related("provider", "client").get(pk=invoice_id)
        data = snapshot.data_from_json(invoice.data)
        xml = facturx.cii_xml(data)
        title = ("Avoir" if invoice.kind == InvoiceKind.CREDIT_NOTE else "Facture") + f" {invoice.number}"
        options = {
            "actor": None,
            "provider": invoice.provider,
            "template_name": TEMPLATE,
            "context": invoice_pdf_context(data),
            "title": title,
            "filename": f"{invoice.number}.pdf",
            "kind": DocumentKind.INVOICE,
            "client": invoice.client,
            "source": invoice,
            "attachments": [facturx.facturx_attachment(xml)],
            "xmp": facturx.facturx_xmp(),
        }
        try:
            document = document_create_pdf(seal=True, **options)  # type: ignore[arg-type]
        except SealCertificateError:
            document = document_create_pdf(seal=False, **options)  # type: ignore[arg-type]
        Invoice.objects.filter(pk=invoice_id).update(document=document, xml_sha256=sha256_hex(xml))
        return document.sha256
