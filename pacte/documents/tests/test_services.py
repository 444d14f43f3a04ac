"""Storing, sealing: immutable files with their SHA-256, PAdES seals that pyHanko validates, clear refusals."""

import hashlib
import io
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import pkcs12
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from pacte.audit.models import AuditEvent
from pacte.core.errors import ConflictError
from pacte.documents import storage
from pacte.documents.errors import SealCertificateError
from pacte.documents.models import Document, DocumentKind, SealCertificate
from pacte.documents.sealing import _asn1_certificate
from pacte.documents.services import document_seal, document_store
from pacte.documents.tests.helpers import content_of, make_pdf, pdf_from_elsewhere

# Storage -------------------------------------------------------------------------------------------


def test_store_keeps_the_bytes_with_their_sha256_under_a_random_name(tenant):
    content = pdf_from_elsewhere()
    document = document_store(
        actor=tenant.manager,
        content=content,
        title="Bon de commande",
        filename="bon/../commande.pdf",
        content_type="application/pdf",
        kind=DocumentKind.OTHER,
        client=tenant.client,
        source=tenant.client,
    )
    assert document.sha256 == hashlib.sha256(content).hexdigest()
    assert document.size == len(content)
    assert document.filename == "bon_.._commande.pdf"
    assert (document.source_type, document.source_id) == ("tenancy.client", str(tenant.client.pk))
    assert document.created_by == tenant.manager
    path = storage.path_of(document.storage_name)
    assert path.read_bytes() == content
    assert path.is_relative_to(Path(storage.root()) / str(tenant.provider.pk))
    assert len(path.stem) == 32 and path.suffix == ".pdf"
    assert stat.S_IMODE(path.stat().st_mode) == 0o440
    event = AuditEvent.objects.get(action="document.create")
    assert event.after["sha256"] == document.sha256 and event.actor_membership == tenant.manager


def test_same_content_twice_gives_two_documents_and_two_files(tenant):
    content = pdf_from_elsewhere()
    first = document_store(
        actor=tenant.manager, content=content, title="A", filename="a", content_type="application/pdf"
    )
    second = document_store(
        actor=tenant.manager, content=content, title="A", filename="a", content_type="application/pdf"
    )
    assert first.sha256 == second.sha256
    assert first.storage_name != second.storage_name


def test_documents_are_never_updated_or_deleted(tenant):
    document = document_store(
        actor=tenant.manager, content=b"%PDF-1.4", title="A", filename="a", content_type="application/pdf"
    )
    document.title = "Changed"
    with pytest.raises(RuntimeError, match="append-only"):
        document.save()
    with pytest.raises(RuntimeError, match="append-only"):
        document.delete()
    with pytest.raises(RuntimeError, match="append-only"):
        Document.objects.filter(pk=document.pk).update(title="Changed")
    with pytest.raises(RuntimeError, match="append-only"):
        Document.objects.filter(pk=document.pk).delete()
    assert Document.objects.get(pk=document.pk).title == "A"


def test_a_stored_file_is_never_overwritten(tenant):
    document = document_store(
        actor=tenant.manager, content=b"%PDF-1.4 one", title="A", filename="a", content_type="application/pdf"
    )
    with pytest.raises(FileExistsError):
        storage.write_new(document.storage_name, b"%PDF-1.4 two")
    assert content_of(document) == b"%PDF-1.4 one"


def test_storage_names_cannot_leave_the_documents_directory():
    with pytest.raises(ValueError):
        storage.path_of("documents/../../etc/passwd")


def test_a_client_user_stores_only_for_its_own_company(tenant):
    with pytest.raises(PermissionDenied):
        document_store(
            actor=tenant.client_user,
            content=b"%PDF-1.4",
            title="A",
            filename="a",
            content_type="application/pdf",
            client=tenant.other_client,
        )
    with pytest.raises(PermissionDenied):
        document_store(actor=tenant.client_user, content=b"%PDF-1.4", title="A", filename="a", content_type="x/y")
    assert not Document.objects.exists()


def test_another_providers_client_is_refused(tenant, other_tenant):
    before = _files()
    with pytest.raises(ValidationError) as error:
        document_store(
            actor=tenant.manager,
            content=b"%PDF-1.4",
            title="A",
            filename="a",
            content_type="application/pdf",
            client=other_tenant.client,
        )
    assert "client" in error.value.message_dict
    _nothing_written(before)


# Sealing ---------------------------------------------------------------------------------------------


def _validate(content: bytes, p12: Path, password: str):
    _key, certificate, _chain = pkcs12.load_key_and_certificates(p12.read_bytes(), password.encode())
    context = ValidationContext(trust_roots=[_asn1_certificate(certificate)], allow_fetching=False)
    (signature,) = PdfFileReader(io.BytesIO(content)).embedded_signatures
    return validate_pdf_signature(signature, context)


def test_sealed_pdf_validates_with_pyhanko_against_the_providers_certificate(tenant, seal):
    document = make_pdf(tenant.manager, seal=True, client=tenant.client)
    assert document.is_sealed
    status = _validate(content_of(document), seal.valid, seal.password)
    assert status.intact and status.valid and status.trusted
    assert status.bottom_line
    assert status.coverage.name == "ENTIRE_FILE"
    certificate = document.seal_certificate
    assert certificate.provider == tenant.provider
    assert "Cachet de test (valid)" in certificate.subject
    # Another certificate as the trust root does not trust it.
    assert not _validate(content_of(document), seal.other, seal.password).trusted


def test_sealing_a_stored_pdf_makes_a_new_sealed_document_and_keeps_the_original(tenant, seal):
    original = make_pdf(tenant.manager, client=tenant.client)
    sealed = document_seal(actor=tenant.technician, document=original)
    assert sealed.pk != original.pk and sealed.is_sealed and not original.is_sealed
    assert sealed.sealed_from == original
    assert sealed.pdf_identifier == original.pdf_identifier
    assert content_of(sealed).startswith(content_of(original))  # an incremental update
    assert (sealed.title, sealed.kind, sealed.client) == (original.title, original.kind, original.client)
    assert _validate(content_of(sealed), seal.valid, seal.password).bottom_line
    assert AuditEvent.objects.filter(action="document.seal", object_id=str(sealed.pk)).count() == 1
    with pytest.raises(ConflictError, match="déjà scellé"):
        document_seal(actor=tenant.manager, document=sealed)


def test_one_certificate_row_per_certificate(tenant, seal):
    make_pdf(tenant.manager, seal=True)
    make_pdf(tenant.manager, seal=True)
    assert SealCertificate.objects.filter(provider=tenant.provider).count() == 1


def test_client_roles_may_not_seal_stored_files_and_foreign_documents_are_404(tenant, other_tenant, seal):
    document = make_pdf(tenant.manager, client=tenant.client)
    with pytest.raises(PermissionDenied):
        document_seal(actor=tenant.client_manager, document=document)
    with pytest.raises(Http404):
        document_seal(actor=other_tenant.admin, document=document)
    assert Document.objects.count() == 1


def _nothing_written(before_files: set) -> None:
    assert not Document.objects.exists()
    assert not SealCertificate.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="document.").exists()
    after = set(storage.root().rglob("*")) if storage.root().exists() else set()
    assert after == before_files


def _files() -> set:
    return set(storage.root().rglob("*")) if storage.root().exists() else set()


@pytest.mark.parametrize(
    ("configure", "message"),
    [
        (lambda s, f: {"PACTE_SEAL_P12": str(f.expired)}, "The seal certificate expired on"),
        (lambda s, f: {"PACTE_SEAL_PASSWORD": "wrong"}, "The password of the seal certificate is wrong"),
        (lambda s, f: {"PACTE_SEAL_P12": ""}, "No seal certificate is configured"),
        (lambda s, f: {"PACTE_SEAL_P12": "/nonexistent/seal.p12"}, "cannot be read"),
        (lambda s, f: {"PACTE_SEAL_P12": __file__}, "is not a PKCS#12"),
    ],
    ids=["expired", "wrong-password", "not-configured", "missing-file", "not-pkcs12"],
)
def test_unusable_certificate_is_a_clear_error_and_nothing_is_half_written(tenant, seal, settings, configure, message):
    for name, value in configure(settings, seal).items():
        setattr(settings, name, value)
    settings.LANGUAGE_CODE = "en"
    before = _files()
    with pytest.raises(SealCertificateError, match=message):
        make_pdf(tenant.manager, seal=True)
    _nothing_written(before)


def test_unusable_certificate_when_sealing_a_stored_document_writes_nothing(tenant, seal, settings):
    document = make_pdf(tenant.manager)
    settings.PACTE_SEAL_PASSWORD = "wrong"
    count, events = Document.objects.count(), AuditEvent.objects.count()
    with pytest.raises(SealCertificateError):
        document_seal(actor=tenant.manager, document=document)
    assert (Document.objects.count(), AuditEvent.objects.count()) == (count, events)


def test_each_provider_may_have_its_own_certificate(tenant, other_tenant, seal, settings):
    settings.PACTE_SEAL_PROVIDERS = {other_tenant.provider.pk: (str(seal.other), seal.password)}
    mine = make_pdf(tenant.manager, seal=True)
    theirs = make_pdf(other_tenant.manager, seal=True)
    assert "valid" in mine.seal_certificate.subject
    assert "other" in theirs.seal_certificate.subject
    assert _validate(content_of(theirs), seal.other, seal.password).trusted


def test_a_client_user_does_not_see_the_contract_documents_its_manager_sees(tenant):
    from pacte.documents.models import DocumentKind
    from pacte.documents.selectors import document_list
    from pacte.documents.tests.helpers import make_pdf

    contract = make_pdf(tenant.manager, client=tenant.client)
    sheet = make_pdf(tenant.manager, client=tenant.client, kind=DocumentKind.INTERVENTION_SHEET)
    assert set(document_list(actor=tenant.client_manager)) == {contract, sheet}
    assert set(document_list(actor=tenant.client_user)) == {sheet}
