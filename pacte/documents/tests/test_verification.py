"""Verification: authentic, modified (one byte changed) or unknown; scoped to the actor's provider."""

import datetime
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from pacte.documents import rendering, sealing
from pacte.documents.domain import VerificationStatus
from pacte.documents.services import document_seal, document_store
from pacte.documents.tests.helpers import content_of, flip_byte, make_pdf, pdf_from_elsewhere
from pacte.documents.verification import document_verify

AUTHENTIC, MODIFIED, UNKNOWN = VerificationStatus.AUTHENTIC, VerificationStatus.MODIFIED, VerificationStatus.UNKNOWN


def test_sealed_document_is_authentic_and_its_seal_trusted(tenant, seal):
    document = make_pdf(tenant.manager, seal=True, client=tenant.client)
    result = document_verify(actor=tenant.technician, content=content_of(document))
    assert (result.status, result.intact, result.document) == (AUTHENTIC, True, document)
    (check,) = result.signatures
    assert check.by_provider and check.intact and check.valid and check.trusted and check.covers_whole_file
    assert "Cachet de test (valid)" in check.signer
    assert abs(check.signed_at - document.created_at) < datetime.timedelta(minutes=1)


@pytest.mark.parametrize("where", ["header", "middle", "last-kilobyte"])
def test_one_byte_changed_is_not_intact_and_names_the_document(tenant, seal, where):
    document = make_pdf(tenant.manager, seal=True)
    content = content_of(document)
    index = {"header": 10, "middle": len(content) // 2, "last-kilobyte": len(content) - 700}[where]
    result = document_verify(actor=tenant.manager, content=flip_byte(content, index))
    assert result.status == MODIFIED
    assert result.intact is False
    assert result.document == document
    assert result.sha256 != document.sha256


def test_one_byte_changed_in_an_unsealed_stored_document_is_not_intact(tenant):
    document = make_pdf(tenant.manager)
    result = document_verify(actor=tenant.manager, content=flip_byte(content_of(document), 10))
    assert (result.status, result.intact, result.document) == (MODIFIED, False, document)
    assert result.signatures == []


def test_unsealed_stored_document_is_authentic(tenant):
    document = make_pdf(tenant.manager)
    result = document_verify(actor=tenant.manager, content=content_of(document))
    assert (result.status, result.intact, result.document, result.signatures) == (AUTHENTIC, True, document, [])


def test_unknown_pdf_is_reported_as_unknown(tenant, seal):
    make_pdf(tenant.manager, seal=True)
    result = document_verify(actor=tenant.manager, content=pdf_from_elsewhere())
    assert (result.status, result.intact, result.document, result.signatures) == (UNKNOWN, None, None, [])
    assert result.readable


def test_another_providers_document_is_unknown_to_me(tenant, other_tenant, seal, settings):
    settings.PACTE_SEAL_PROVIDERS = {other_tenant.provider.pk: (str(seal.other), seal.password)}
    make_pdf(tenant.manager, seal=True)
    theirs = make_pdf(other_tenant.manager, seal=True)
    result = document_verify(actor=tenant.manager, content=content_of(theirs))
    assert (result.status, result.document) == (UNKNOWN, None)
    (check,) = result.signatures
    assert not check.by_provider


def test_a_pdf_sealed_elsewhere_with_another_certificate_is_unknown(tenant, other_tenant, seal, settings):
    settings.PACTE_SEAL_PROVIDERS = {other_tenant.provider.pk: (str(seal.other), seal.password)}
    make_pdf(tenant.manager, seal=True)
    foreign = content_of(make_pdf(other_tenant.manager, seal=True))
    result = document_verify(actor=tenant.manager, content=foreign)
    assert (result.status, result.intact) == (UNKNOWN, None)
    assert [check.trusted for check in result.signatures] == [False]


def test_a_pdf_sealed_by_the_provider_but_not_stored_here_is_authentic(tenant, seal):
    make_pdf(tenant.manager, seal=True)  # the provider has sealed with this certificate
    material = sealing.seal_material_load(sealing.seal_configuration(tenant.provider.pk), now=timezone.now())
    # Sealed with the provider's certificate (e.g. by another installation) but never stored here.
    content = sealing.pdf_seal(
        rendering.pdf_from_html("<p>Ailleurs</p>", identifier=b"e" * 16), material, signer_name="X"
    )
    result = document_verify(actor=tenant.manager, content=content)
    assert (result.status, result.intact, result.document) == (AUTHENTIC, True, None)
    changed = document_verify(actor=tenant.manager, content=flip_byte(content, 10))
    assert (changed.status, changed.intact, changed.document) == (MODIFIED, False, None)


def test_content_added_after_the_seal_is_not_intact(tenant, seal):
    document = make_pdf(tenant.manager, seal=True)
    writer = IncrementalPdfFileWriter(io.BytesIO(content_of(document)))
    writer.root["/Lang"] = writer.root.get("/Lang", "fr")  # any change, appended as a new revision
    writer.update_root()
    output = io.BytesIO()
    writer.write(output)
    result = document_verify(actor=tenant.manager, content=output.getvalue())
    assert result.status == MODIFIED and result.intact is False
    (check,) = result.signatures
    assert check.intact and check.by_provider and not check.covers_whole_file


def test_not_a_pdf_is_a_clear_error(tenant):
    with pytest.raises(ValidationError) as error:
        document_verify(actor=tenant.manager, content=b"PK\x03\x04 a zip, not a PDF")
    assert error.value.message_dict == {"file": ["Ce fichier n'est pas un PDF."]}


def test_a_damaged_pdf_is_reported_unreadable(tenant):
    result = document_verify(actor=tenant.manager, content=b"%PDF-1.7\n garbage")
    assert (result.status, result.readable) == (UNKNOWN, False)


def test_a_sealed_document_with_its_seal_cut_off_is_not_intact(tenant, seal):
    original = make_pdf(tenant.manager)
    sealed = document_seal(actor=tenant.manager, document=original)
    cut = content_of(sealed)[: original.size]
    assert cut == content_of(original)
    # The unsealed original is stored too (it was sealed afterwards): authentic, and named.
    assert document_verify(actor=tenant.manager, content=cut).document == original
    truncated = content_of(sealed)[: original.size + 200]
    result = document_verify(actor=tenant.manager, content=truncated)
    assert (result.status, result.document) == (MODIFIED, sealed)


def test_client_roles_may_not_verify(tenant):
    with pytest.raises(PermissionDenied):
        document_verify(actor=tenant.client_manager, content=pdf_from_elsewhere())


def test_certificates_the_provider_sealed_with_stay_trusted_after_it_changes(tenant, seal, settings):
    old = make_pdf(tenant.manager, seal=True)
    settings.PACTE_SEAL_P12 = str(seal.other)  # the provider renewed its certificate
    new = make_pdf(tenant.manager, seal=True)
    for document in (old, new):
        result = document_verify(actor=tenant.manager, content=content_of(document))
        assert result.status == AUTHENTIC and result.signatures[0].trusted


def test_stored_bytes_elsewhere_are_unknown_when_not_a_pdf_store(tenant):
    document = document_store(
        actor=tenant.manager, content=pdf_from_elsewhere(), title="A", filename="a", content_type="application/pdf"
    )
    assert document_verify(actor=tenant.manager, content=content_of(document)).status == AUTHENTIC
