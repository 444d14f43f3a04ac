"""Signature evidence: who signed which exact document, when, from where, after which consent text."""

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from pacte.audit.context import RequestContext, reset_request_context, set_request_context
from pacte.audit.models import AuditEvent
from pacte.core.errors import ConflictError
from pacte.documents import storage
from pacte.documents.errors import StoredFileError
from pacte.documents.models import DocumentKind, SignatureEvidence
from pacte.documents.selectors import signature_list
from pacte.documents.services import signature_record
from pacte.documents.tests.helpers import make_pdf

CONSENT = "En signant, je reconnais avoir lu le contrat et en accepter les conditions."


@pytest.fixture
def request_context():
    token = set_request_context(RequestContext(ip="203.0.113.7", user_agent="Mozilla/5.0 (Tablette)"))
    yield
    reset_request_context(token)


def test_a_client_user_signs_and_the_evidence_is_complete(tenant, request_context):
    # An intervention sheet: client users sign those (a contract is its manager's, which they do not see).
    document = make_pdf(tenant.manager, client=tenant.client, kind=DocumentKind.INTERVENTION_SHEET)
    evidence = signature_record(
        actor=tenant.client_user,
        document=document,
        document_sha256=document.sha256,
        consent_text=CONSENT,
        signer_membership=tenant.client_user,
    )
    evidence.refresh_from_db()
    assert evidence.document == document
    assert evidence.document_sha256 == document.sha256
    assert evidence.signer_membership == tenant.client_user
    assert evidence.signer_name == tenant.client_user.user.full_name
    assert evidence.signer_email == tenant.client_user.user.email
    assert (evidence.ip, evidence.user_agent) == ("203.0.113.7", "Mozilla/5.0 (Tablette)")
    assert evidence.consent_text == CONSENT
    assert evidence.recorded_by == tenant.client_user
    assert evidence.client == tenant.client and evidence.provider == tenant.provider
    assert list(signature_list(actor=tenant.manager, document=document)) == [evidence]
    event = AuditEvent.objects.get(action="signature.record")
    assert event.after["document_sha256"] == document.sha256
    assert event.ip == "203.0.113.7"


def test_a_technician_records_the_signature_of_someone_without_an_account(tenant):
    document = make_pdf(tenant.manager, client=tenant.client)
    evidence = signature_record(
        actor=tenant.technician,
        document=document,
        document_sha256=document.sha256.upper(),
        consent_text=CONSENT,
        signer_name="Paul Girard",
    )
    assert (evidence.signer_membership, evidence.signer_name, evidence.recorded_by) == (
        None,
        "Paul Girard",
        tenant.technician,
    )


def test_evidence_is_append_only(tenant):
    document = make_pdf(tenant.manager)
    evidence = signature_record(
        actor=tenant.manager, document=document, document_sha256=document.sha256, consent_text=CONSENT, signer_name="X"
    )
    with pytest.raises(RuntimeError):
        evidence.save()
    with pytest.raises(RuntimeError):
        SignatureEvidence.objects.filter(pk=evidence.pk).update(signer_name="Y")
    with pytest.raises(RuntimeError):
        SignatureEvidence.objects.all().delete()


def _nothing_recorded() -> None:
    assert not SignatureEvidence.objects.exists()
    assert not AuditEvent.objects.filter(action="signature.record").exists()


def test_a_different_document_shown_is_refused(tenant):
    document = make_pdf(tenant.manager)
    other = make_pdf(tenant.manager)
    with pytest.raises(ConflictError, match="SHA-256"):
        signature_record(
            actor=tenant.manager, document=document, document_sha256=other.sha256, consent_text=CONSENT, signer_name="X"
        )
    _nothing_recorded()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"consent_text": "   ", "signer_name": "X"}, "consent_text"),
        ({"consent_text": CONSENT, "signer_name": ""}, "signer_name"),
    ],
)
def test_missing_consent_or_signer_is_refused(tenant, fields, field):
    document = make_pdf(tenant.manager)
    with pytest.raises(ValidationError) as error:
        signature_record(actor=tenant.manager, document=document, document_sha256=document.sha256, **fields)
    assert field in error.value.message_dict
    _nothing_recorded()


def test_a_member_of_another_client_cannot_be_the_signer(tenant):
    document = make_pdf(tenant.manager, client=tenant.client)
    with pytest.raises(ValidationError) as error:
        signature_record(
            actor=tenant.manager,
            document=document,
            document_sha256=document.sha256,
            consent_text=CONSENT,
            signer_membership=tenant.other_client_manager,
        )
    assert "signer_membership" in error.value.message_dict
    _nothing_recorded()


def test_a_document_the_actor_cannot_see_is_404(tenant, other_tenant):
    document = make_pdf(tenant.manager, client=tenant.client)
    for actor in (other_tenant.admin, tenant.other_client_manager):
        with pytest.raises(Http404):
            signature_record(
                actor=actor, document=document, document_sha256=document.sha256, consent_text=CONSENT, signer_name="X"
            )
    _nothing_recorded()


def test_a_stored_file_that_changed_on_disk_is_refused(tenant):
    document = make_pdf(tenant.manager)
    path = storage.path_of(document.storage_name)
    path.chmod(0o640)
    path.write_bytes(path.read_bytes() + b"\n")
    with pytest.raises(StoredFileError):
        signature_record(
            actor=tenant.manager,
            document=document,
            document_sha256=document.sha256,
            consent_text=CONSENT,
            signer_name="X",
        )
    _nothing_recorded()
