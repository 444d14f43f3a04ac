"""Every write of the documents service: store, render, seal, record signature evidence.

Other apps never write PDFs or Word files themselves; they call these:

- ``document_create_pdf`` — a Django template → PDF/A-3b (embedded files optional), sealed if asked, stored;
- ``document_create_docx`` — the same template language → Word;
- ``document_store`` — bytes produced elsewhere, stored as they are;
- ``document_seal`` — a stored PDF sealed with the provider's certificate (a new, sealed document);
- ``signature_record`` — the evidence of a person signing a stored document.

Everything that can fail (rendering, the certificate, sealing) runs before anything is written: a
refused call leaves no row, no file and no audit event.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pacte.audit.context import current_request_context
from pacte.audit.services import audit_record
from pacte.core.errors import ConflictError
from pacte.documents import domain, rendering, sealing, storage
from pacte.documents.errors import StoredFileError
from pacte.documents.models import Document, DocumentKind, SealCertificate, SignatureEvidence
from pacte.documents.permissions import can_create_document, can_seal_documents
from pacte.documents.selectors import document_get
from pacte.tenancy.models import Client, Membership, Provider
from pacte.tenancy.permissions import require


def _provider_of(actor: Membership | None, provider: Provider | None) -> Provider:
    """The actor's provider; ``provider`` is for system callers (CLI, jobs) that act with no membership."""
    if actor is not None:
        if provider is not None and provider.pk != actor.provider_id:
            raise PermissionDenied
        return actor.provider
    if provider is None:
        raise ValueError("A document needs an actor or, for a system caller, a provider.")
    return provider


def _check_client(actor: Membership | None, provider: Provider, client: Client | None) -> None:
    if client is not None and client.provider_id != provider.pk:
        raise ValidationError({"client": _("This client belongs to another provider.")})
    if actor is not None:
        require(can_create_document(actor, client))


def _source_reference(source: models.Model | None) -> tuple[str, str]:
    if source is None:
        return "", ""
    return source._meta.label_lower, str(source.pk)


def _store(
    *,
    actor: Membership | None,
    provider: Provider,
    content: bytes,
    title: str,
    filename: str,
    content_type: str,
    kind: str,
    client: Client | None,
    source: tuple[str, str],
    seal_certificate: SealCertificate | None = None,
    sealed_from: Document | None = None,
    action: str = "document.create",
) -> Document:
    extension = domain.extension_for(content_type)
    document = Document(
        provider=provider,
        client=client,
        kind=kind,
        title=title,
        filename=domain.safe_filename(filename or title, extension),
        content_type=content_type,
        size=len(content),
        sha256=domain.sha256_hex(content),
        storage_name=storage.new_storage_name(provider_id=provider.pk, year=timezone.now().year, extension=extension),
        pdf_identifier=domain.pdf_identifier(content) if content_type == domain.PDF else "",
        is_sealed=seal_certificate is not None,
        seal_certificate=seal_certificate,
        sealed_from=sealed_from,
        source_type=source[0],
        source_id=source[1],
        created_by=actor,
    )
    document.full_clean()
    storage.write_new(document.storage_name, content)
    try:
        with transaction.atomic():
            document.save()
            audit_record(
                actor=actor,
                action=action,
                instance=document,
                provider=provider,
                after={
                    "kind": kind,
                    "title": title,
                    "sha256": document.sha256,
                    "size": document.size,
                    "sealed": document.is_sealed,
                    "client": client.pk if client else None,
                    "source": f"{source[0]}#{source[1]}" if source[0] else None,
                    "sealed_from": sealed_from.pk if sealed_from else None,
                },
            )
    except BaseException:
        storage.remove_unreferenced(document.storage_name)
        raise
    return document


def document_store(
    *,
    actor: Membership | None,
    provider: Provider | None = None,
    content: bytes,
    title: str,
    filename: str,
    content_type: str,
    kind: str = DocumentKind.OTHER,
    client: Client | None = None,
    source: models.Model | None = None,
) -> Document:
    """Store bytes produced elsewhere (an unsealed document), immutably, with their SHA-256."""
    provider = _provider_of(actor, provider)
    _check_client(actor, provider, client)
    return _store(
        actor=actor,
        provider=provider,
        content=content,
        title=title,
        filename=filename,
        content_type=content_type,
        kind=kind,
        client=client,
        source=_source_reference(source),
    )


def _seal_certificate_record(provider: Provider, material: sealing.SealMaterial) -> SealCertificate:
    """The certificate's row (created the first time it seals for this provider)."""
    existing = SealCertificate.objects.filter(provider=provider, fingerprint=material.fingerprint).first()
    if existing is not None:
        return existing
    certificate = material.certificate
    row = SealCertificate(
        provider=provider,
        fingerprint=material.fingerprint,
        subject=sealing.certificate_subject(certificate),
        serial_number=format(certificate.serial_number, "x")[:100],
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
        certificate_pem=sealing.certificate_pem(certificate),
    )
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:  # recorded by a concurrent seal
        return SealCertificate.objects.get(provider=provider, fingerprint=material.fingerprint)
    return row


def _seal_material(provider: Provider) -> sealing.SealMaterial:
    return sealing.seal_material_load(sealing.seal_configuration(provider.pk), now=timezone.now())


def _sealed(provider: Provider, content: bytes, material: sealing.SealMaterial) -> bytes:
    return sealing.pdf_seal(content, material, signer_name=provider.legal_name or provider.name)


@transaction.atomic
def document_create_pdf(
    *,
    actor: Membership | None,
    provider: Provider | None = None,
    template_name: str,
    context: Mapping[str, Any],
    title: str,
    filename: str = "",
    kind: str = DocumentKind.OTHER,
    client: Client | None = None,
    source: models.Model | None = None,
    attachments: Sequence[domain.PdfAttachment] = (),
    pdf_a: bool = True,
    seal: bool = False,
    language: str = "fr",
    xmp: bytes | None = None,
) -> Document:
    """Render ``template_name`` with ``context`` to a PDF (PDF/A-3b by default), seal it if asked, store it.

    ``xmp``: an ``<rdf:RDF>`` element added to the PDF's XMP metadata (Factur-X names its profile there).

    Raises ``DocumentRenderError`` (template missing or a variable the context lacks) or
    ``SealCertificateError`` (no usable certificate) before anything is written.
    """
    provider = _provider_of(actor, provider)
    _check_client(actor, provider, client)
    material = _seal_material(provider) if seal else None
    html = rendering.html_render(template_name=template_name, context=context, language=language)
    content = rendering.pdf_from_html(
        html, identifier=secrets.token_bytes(16), attachments=attachments, pdf_a=pdf_a, xmp=xmp
    )
    certificate = None
    if material is not None:
        content = _sealed(provider, content, material)
        certificate = _seal_certificate_record(provider, material)
    return _store(
        actor=actor,
        provider=provider,
        content=content,
        title=title,
        filename=filename,
        content_type=domain.PDF,
        kind=kind,
        client=client,
        source=_source_reference(source),
        seal_certificate=certificate,
    )


def document_create_docx(
    *,
    actor: Membership | None,
    provider: Provider | None = None,
    template_name: str,
    context: Mapping[str, Any],
    title: str,
    filename: str = "",
    kind: str = DocumentKind.OTHER,
    client: Client | None = None,
    source: models.Model | None = None,
    language: str = "fr",
) -> Document:
    """Render ``template_name`` (the HTML subset of ``rendering.docx_from_html``) to Word and store it."""
    provider = _provider_of(actor, provider)
    _check_client(actor, provider, client)
    html = rendering.html_render(template_name=template_name, context=context, language=language)
    content = rendering.docx_from_html(html, title=title, author=provider.legal_name or provider.name)
    return _store(
        actor=actor,
        provider=provider,
        content=content,
        title=title,
        filename=filename,
        content_type=domain.DOCX,
        kind=kind,
        client=client,
        source=_source_reference(source),
    )


def _stored_content(document: Document) -> bytes:
    """The stored bytes, checked against the SHA-256 recorded when they were stored."""
    try:
        content = storage.read(document.storage_name)
    except OSError as error:
        raise StoredFileError(_("The stored file of this document is missing.")) from error
    if domain.sha256_hex(content) != document.sha256:
        raise StoredFileError(_("The stored file of this document no longer matches its SHA-256."))
    return content


@transaction.atomic
def document_seal(*, actor: Membership, document: Document) -> Document:
    """Seal a stored PDF with the provider's certificate: a new, sealed document (the original stays)."""
    require(can_seal_documents(actor))
    document = document_get(actor=actor, pk=document.pk)
    return document_seal_on_behalf(actor=actor, provider=actor.provider, document=document)


@transaction.atomic
def document_seal_on_behalf(*, actor: Membership | None, provider: Provider, document: Document) -> Document:
    """Seal ``document`` as a step of a workflow the caller already authorised (e.g. after a client's signature).

    The caller has scoped ``document`` to ``provider``; the seal is the provider's, whoever triggered it.
    """
    if document.provider_id != provider.pk:
        raise ConflictError(_("This document belongs to another provider."))
    if document.content_type != domain.PDF:
        raise ConflictError(_("Only a PDF can be sealed."))
    if document.is_sealed:
        raise ConflictError(_("This document is already sealed."))
    material = _seal_material(provider)
    content = _sealed(provider, _stored_content(document), material)
    return _store(
        actor=actor,
        provider=provider,
        content=content,
        title=document.title,
        filename=document.filename,
        content_type=domain.PDF,
        kind=document.kind,
        client=document.client,
        source=(document.source_type, document.source_id),
        seal_certificate=_seal_certificate_record(provider, material),
        sealed_from=document,
        action="document.seal",
    )


@transaction.atomic
def signature_record(
    *,
    actor: Membership,
    document: Document,
    document_sha256: str,
    consent_text: str,
    signer_membership: Membership | None = None,
    signer_name: str = "",
    signer_email: str = "",
) -> SignatureEvidence:
    """Record that a person signed ``document`` after being shown it and ``consent_text``.

    ``document_sha256`` is the SHA-256 of the file the signer was shown (the page shows it and posts
    it back): it must be the stored document's, and the stored bytes must still match it, else
    nothing is recorded (409). The signer is ``signer_membership`` (a user of Pacte: the actor
    themselves, or a client user) or, for someone without an account (a client's employee signing
    on a technician's tablet), ``signer_name``. IP address and user agent come from the request.
    """
    document = document_get(actor=actor, pk=document.pk)
    consent_text = consent_text.strip()
    errors: dict[str, str] = {}
    if not consent_text:
        errors["consent_text"] = _("The consent text shown to the signer is required.")
    if signer_membership is not None:
        if (
            not signer_membership.is_active
            or signer_membership.provider_id != document.provider_id
            or (signer_membership.is_client_side and signer_membership.client_id != document.client_id)
        ):
            errors["signer_membership"] = _("This person cannot sign this document.")
        signer_name = signer_name.strip() or signer_membership.user.full_name or signer_membership.user.email
        signer_email = signer_email or signer_membership.user.email
    elif not signer_name.strip():
        errors["signer_name"] = _("The signer's name is required.")
    if errors:
        raise ValidationError(errors)
    if document_sha256.strip().lower() != document.sha256:
        raise ConflictError(_("The document shown to the signer is not this document (its SHA-256 differs)."))
    _stored_content(document)
    context = current_request_context()
    evidence = SignatureEvidence(
        provider_id=document.provider_id,
        client_id=document.client_id,
        document=document,
        document_sha256=document.sha256,
        signer_membership=signer_membership,
        signer_name=signer_name.strip()[:150],
        signer_email=signer_email.strip()[:254],
        signed_at=timezone.now(),
        ip=context.ip,
        user_agent=context.user_agent[:300],
        consent_text=consent_text,
        recorded_by=actor,
    )
    evidence.full_clean()
    evidence.save()
    audit_record(
        actor=actor,
        action="signature.record",
        instance=evidence,
        provider=actor.provider,
        after={
            "document": document.pk,
            "document_sha256": document.sha256,
            "signer": evidence.signer_name,
            "signer_membership": signer_membership.pk if signer_membership else None,
        },
    )
    return evidence


def document_content(document: Document) -> bytes:
    """A stored document's bytes, checked against its SHA-256 (``StoredFileError`` when missing or altered)."""
    return _stored_content(document)
