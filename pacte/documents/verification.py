"""Is this PDF one the provider issued or sealed, which one, when, and is it intact? (A read: writes nothing.)"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from cryptography import x509
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from pacte.documents import domain, sealing
from pacte.documents.models import Document
from pacte.documents.permissions import can_verify_documents
from pacte.documents.selectors import document_list, seal_certificate_list
from pacte.tenancy.models import Membership
from pacte.tenancy.permissions import require


@dataclass(frozen=True)
class Verification:
    status: domain.VerificationStatus
    intact: bool | None
    sha256: str
    size: int
    document: Document | None  # the stored document it is (intact) or claims to be (modified)
    signatures: list[domain.SignatureCheck] = field(default_factory=list)
    readable: bool = True  # False: starts like a PDF but cannot be parsed


def _trusted_certificates(provider_id: int) -> list[x509.Certificate]:
    """The provider's seal certificates: every one it has sealed with (kept after expiry or renewal)."""
    return sealing.certificates_from_pem(
        seal_certificate_list(provider_id=provider_id).values_list("certificate_pem", flat=True)
    )


def document_verify(*, actor: Membership, content: bytes) -> Verification:
    """Compare ``content`` with the provider's stored documents and check its seals.

    Raises ``ValidationError`` on ``file`` when the bytes are not a PDF at all.
    """
    require(can_verify_documents(actor))
    if not domain.looks_like_pdf(content[: domain.PDF_HEADER_WINDOW]):
        raise ValidationError({"file": _("This file is not a PDF.")})
    sha256 = domain.sha256_hex(content)
    documents = document_list(actor=actor)
    stored = documents.filter(sha256=sha256).order_by("-is_sealed", "-created_at", "-id").first()
    claimed = stored
    identifier = domain.pdf_identifier(content)
    if claimed is None and identifier:
        claimed = documents.filter(pdf_identifier=identifier).order_by("-is_sealed", "-created_at", "-id").first()
    moment: datetime.datetime | None = claimed.created_at if claimed is not None else None
    try:
        signatures = sealing.pdf_signatures_check(
            content, trusted=_trusted_certificates(actor.provider_id), moment=moment
        )
        readable = True
    except sealing.PdfUnreadableError:
        signatures, readable = [], False
    verdict = domain.verification_verdict(
        stored_match=stored is not None, identified=claimed is not None, signatures=signatures
    )
    return Verification(
        status=verdict.status,
        intact=verdict.intact,
        sha256=sha256,
        size=len(content),
        document=claimed,
        signatures=signatures,
        readable=readable,
    )
