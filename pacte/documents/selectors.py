"""Every read of documents, scoped to what the actor may see inside the query itself."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from pacte.documents.models import Document, DocumentKind, SealCertificate, SignatureEvidence
from pacte.tenancy.models import Membership

#: Documents of contracts (texts, amendments, letters about prices and renewal): for roles that see contracts.
CONTRACT_KINDS = (DocumentKind.CONTRACT, DocumentKind.AMENDMENT, DocumentKind.LETTER)


def document_list(*, actor: Membership, client_id: int | None = None) -> QuerySet[Document]:
    """The provider's documents; a client-side actor sees only its own company's.

    A client user (not its manager) does not see the contract's documents: prices and signatures are
    the client manager's, as the contracts pages are.
    """
    from pacte.contracts.permissions import can_view_contracts

    queryset = Document.objects.filter(provider_id=actor.provider_id).select_related("client")
    if actor.is_client_side:
        queryset = queryset.filter(client_id=actor.client_id or 0)
    if not can_view_contracts(actor):
        queryset = queryset.exclude(kind__in=CONTRACT_KINDS)
    if client_id is not None:
        queryset = queryset.filter(client_id=client_id)
    return queryset.order_by("-created_at", "-id")


def document_get(*, actor: Membership, pk: int) -> Document:
    """A document the actor may see; unknown and foreign ids are both 404."""
    return get_object_or_404(document_list(actor=actor), pk=pk)


def documents_of_source(*, actor: Membership, source_type: str, source_id: str) -> QuerySet[Document]:
    """The documents of one object (``contracts.contract``, ``12``), newest first."""
    return document_list(actor=actor).filter(source_type=source_type, source_id=source_id)


def signature_list(*, actor: Membership, document: Document) -> QuerySet[SignatureEvidence]:
    visible = document_list(actor=actor).filter(pk=document.pk)
    return (
        SignatureEvidence.objects.filter(provider_id=actor.provider_id, document__in=visible)
        .select_related("signer_membership__user")
        .order_by("signed_at", "id")
    )


def seal_certificate_list(*, provider_id: int) -> QuerySet[SealCertificate]:
    """The certificates a provider has sealed with (the trust roots of verification)."""
    return SealCertificate.objects.filter(provider_id=provider_id).order_by("-created_at", "-id")
