"""The client's contract pages in the portal: scoping, signing the exact PDF shown, notice, exit sign-off."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from pacte.audit.models import AuditEvent
from pacte.contracts import lifecycle, services
from pacte.contracts.models import Contract, ContractStatus, ContractVersion, Notice, VersionStatus
from pacte.contracts.tests import helpers
from pacte.documents import storage
from pacte.documents.models import Document, SignatureEvidence
from pacte.documents.sealing import pdf_signatures_check
from pacte.documents.verification import _trusted_certificates

pytestmark = pytest.mark.django_db

NAME = "Claire Durand"


def _sent(tenant, **kwargs) -> ContractVersion:
    contract = helpers.draft(tenant, **kwargs)
    return services.contract_send(actor=tenant.manager, contract=contract)


def _form(version: ContractVersion, **overrides) -> dict[str, str]:
    assert version.document is not None
    return {"document_sha256": version.document.sha256, "consent": "on", "signer_name": NAME, **overrides}


def _amended(tenant) -> ContractVersion:
    """An active contract (started a month ago) with an amendment sent for signature."""
    contract = helpers.active(tenant, start=timezone.localdate() - datetime.timedelta(days=30))
    terms = helpers.terms_data(billing_model={**helpers.terms_data()["billing_model"], "fee": "1290.00"})
    amendment = services.amendment_create(
        actor=tenant.manager,
        contract=contract,
        effective_from=timezone.localdate() + datetime.timedelta(days=15),
        reason="Quinze heures par mois",
        terms=terms,
    )
    return services.amendment_send(actor=tenant.manager, version=amendment)


# Who sees what --------------------------------------------------------------------------------------


def _urls(version: ContractVersion) -> list[str]:
    contract = version.contract_id
    return [
        reverse("portal:contract_detail", args=[contract]),
        reverse("portal:version_sign", args=[version.pk]),
        reverse("portal:version_pdf", args=[version.pk]),
        reverse("portal:contract_notice", args=[contract]),
    ]


def test_the_client_manager_sees_its_contract_and_the_document_to_sign(tenant, login):
    version = _sent(tenant)
    http = login(tenant.client_manager)
    response = http.get(reverse("portal:contract_list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert version.contract.reference in html and 'data-testid="awaiting-signature"' in html
    assert reverse("portal:version_sign", args=[version.pk]) in html
    assert http.get(reverse("portal:contract_detail", args=[version.contract_id])).status_code == 200
    response = http.get(reverse("portal:version_sign", args=[version.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert version.document is not None
    assert version.document.sha256 in html
    assert f'value="{version.document.sha256}"' in html  # posted back
    assert f'data="{reverse("portal:version_pdf", args=[version.pk])}"' in html
    assert reverse("documents:download", args=[version.document.pk]) in html
    pdf = http.get(reverse("portal:version_pdf", args=[version.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf["X-Frame-Options"] == "SAMEORIGIN" and pdf["Content-Disposition"].startswith("inline")
    assert b"".join(pdf.streaming_content) == storage.read(version.document.storage_name)
    home = http.get(reverse("portal:home")).content.decode()
    assert 'data-testid="home-contracts"' in home and version.contract.reference in home


@pytest.mark.parametrize("who", ["client_user", "other_client_manager", "manager", "admin", "technician"])
def test_everyone_else_gets_404(tenant, login, who):
    version = _sent(tenant)
    evidence = SignatureEvidence.objects.count()
    http = login(tenant.member(who))
    for url in _urls(version):
        assert http.get(url).status_code == 404, url
    assert http.post(reverse("portal:version_sign", args=[version.pk]), _form(version)).status_code == 404
    assert (
        http.post(reverse("portal:contract_notice", args=[version.contract_id]), {"confirm": "on"}).status_code == 404
    )
    list_status = http.get(reverse("portal:contract_list")).status_code
    assert list_status == (200 if who == "other_client_manager" else 404)
    assert SignatureEvidence.objects.count() == evidence and not Notice.objects.exists()


def test_another_providers_client_manager_gets_404(tenant, other_tenant, login):
    version = _sent(tenant)
    http = login(other_tenant.client_manager)
    for url in _urls(version):
        assert http.get(url).status_code == 404, url
    listing = http.get(reverse("portal:contract_list")).content.decode()
    assert version.contract.reference not in listing


def test_the_other_client_manager_lists_only_its_own(tenant, login):
    version = _sent(tenant)
    listing = login(tenant.other_client_manager).get(reverse("portal:contract_list"))
    assert listing.context["rows"] == []
    assert version.contract.reference not in listing.content.decode()


def test_contract_documents_download_for_the_client_manager_only(tenant, other_tenant, login, seal):
    version = helpers.sign(tenant, _sent(tenant))
    documents = [version.document_id, version.document_docx_id, version.sealed_document_id]
    assert all(documents)
    own = login(tenant.client_manager)
    for pk in documents:
        response = own.get(reverse("documents:download", args=[pk]))
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == storage.read(Document.objects.get(pk=pk).storage_name)
    for outsider in (login(tenant.other_client_manager), login(other_tenant.client_manager)):
        for pk in documents:
            assert outsider.get(reverse("documents:download", args=[pk])).status_code == 404


# Signing --------------------------------------------------------------------------------------------


def test_signing_activates_the_contract_and_seals_the_pdf(tenant, login, seal):
    version = _sent(tenant)
    http = login(tenant.client_manager)
    response = http.post(reverse("portal:version_sign", args=[version.pk]), _form(version), follow=True)
    assert response.redirect_chain[-1][0] == reverse("portal:contract_detail", args=[version.contract_id])
    html = response.content.decode()
    assert "Le contrat est signé et désormais actif" in html
    version.refresh_from_db()
    contract = Contract.objects.get(pk=version.contract_id)
    assert contract.status == ContractStatus.ACTIVE and version.status == VersionStatus.SIGNED
    assert version.sealed_document is not None and version.sealed_document.is_sealed
    assert reverse("documents:download", args=[version.sealed_document.pk]) in html
    evidence = version.client_signature
    assert evidence is not None and evidence.signer_name == NAME
    assert evidence.signer_membership_id == tenant.client_manager.pk
    assert evidence.document_sha256 == version.document.sha256  # type: ignore[union-attr]
    assert version.document.sha256 in evidence.consent_text  # type: ignore[union-attr]
    assert contract.reference in evidence.consent_text and tenant.client.name in evidence.consent_text
    sealed = storage.read(version.sealed_document.storage_name)
    (check,) = pdf_signatures_check(sealed, trusted=_trusted_certificates(tenant.provider.pk), moment=None)
    assert check.intact and check.valid and check.trusted and check.by_provider and check.covers_whole_file


def test_a_document_changed_since_it_was_shown_is_not_signed(tenant, login, seal):
    version = _sent(tenant)
    http = login(tenant.client_manager)
    events = AuditEvent.objects.count()
    documents = Document.objects.count()
    tampered = "0" * 64
    response = http.post(reverse("portal:version_sign", args=[version.pk]), _form(version, document_sha256=tampered))
    assert response.status_code == 409
    html = response.content.decode()
    assert 'data-testid="sign-error"' in html and "rien n'a été signé" in response.context["error"]
    assert f'value="{version.document.sha256}"' in html  # type: ignore[union-attr]  # shown again, current
    version.refresh_from_db()
    assert version.status == VersionStatus.SENT and version.client_signature is None and version.sealed_document is None
    assert Contract.objects.get(pk=version.contract_id).status == ContractStatus.SENT
    assert not SignatureEvidence.objects.filter(signer_membership=tenant.client_manager).exists()
    assert (AuditEvent.objects.count(), Document.objects.count()) == (events, documents)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"consent": ""}, "consent"),
        ({"signer_name": ""}, "signer_name"),
        ({"document_sha256": "nope"}, "document_sha256"),
    ],
)
def test_an_incomplete_signature_form_records_nothing(tenant, login, seal, overrides, field):
    version = _sent(tenant)
    data = {key: value for key, value in _form(version, **overrides).items() if value}
    response = login(tenant.client_manager).post(reverse("portal:version_sign", args=[version.pk]), data)
    assert response.status_code == 422
    assert field in response.context["form"].errors
    version.refresh_from_db()
    assert version.status == VersionStatus.SENT
    assert not SignatureEvidence.objects.filter(signer_membership=tenant.client_manager).exists()


def test_a_signed_document_cannot_be_signed_twice(tenant, login, seal):
    version = _sent(tenant)
    http = login(tenant.client_manager)
    http.post(reverse("portal:version_sign", args=[version.pk]), _form(version))
    assert http.get(reverse("portal:version_sign", args=[version.pk])).status_code == 302
    again = http.post(reverse("portal:version_sign", args=[version.pk]), _form(version))
    assert again.status_code == 409
    assert SignatureEvidence.objects.filter(signer_membership=tenant.client_manager).count() == 1


def test_signing_an_amendment_in_the_portal(tenant, login, seal):
    amendment = _amended(tenant)
    http = login(tenant.client_manager)
    page = http.get(reverse("portal:version_sign", args=[amendment.pk]))
    assert page.status_code == 200
    assert "Quinze heures par mois" in page.content.decode()
    assert 'data-testid="sign-changes"' in page.content.decode()
    response = http.post(reverse("portal:version_sign", args=[amendment.pk]), _form(amendment), follow=True)
    assert "avenant est signé" in response.content.decode()
    amendment.refresh_from_db()
    assert amendment.status == VersionStatus.SIGNED and amendment.sealed_document is not None


# Notice and exit ------------------------------------------------------------------------------------


def test_the_client_manager_gives_notice_and_sees_the_end_date(tenant, login, seal):
    contract = helpers.active(tenant, start=timezone.localdate().replace(day=1) - datetime.timedelta(days=60))
    http = login(tenant.client_manager)
    page = http.get(reverse("portal:contract_notice", args=[contract.pk]))
    assert page.status_code == 200
    preview = page.context["preview"]
    assert preview is not None and preview["end_date"] >= timezone.localdate()
    refused = http.post(reverse("portal:contract_notice", args=[contract.pk]), {"comment": "Déménagement"})
    assert refused.status_code == 422 and not Notice.objects.exists()
    response = http.post(
        reverse("portal:contract_notice", args=[contract.pk]), {"confirm": "on", "comment": "Déménagement"}, follow=True
    )
    notice = Notice.objects.get(contract=contract)
    assert (notice.given_by, notice.channel, notice.received_on) == ("client", "portal", timezone.localdate())
    assert notice.recorded_by_id == tenant.client_manager.pk and notice.end_date == preview["end_date"]
    contract.refresh_from_db()
    assert contract.status == ContractStatus.NOTICE_GIVEN and contract.end_date == notice.end_date
    html = response.content.decode()
    assert 'data-testid="contract-notices"' in html
    assert f"{notice.end_date:%d/%m/%Y}" in html
    # Once notice is given, the page is no longer offered.
    assert http.get(reverse("portal:contract_notice", args=[contract.pk])).status_code == 409


def test_the_exit_checklist_and_the_sign_off(tenant, login, seal):
    contract = helpers.active(tenant, start=timezone.localdate() - datetime.timedelta(days=400), months=12)
    Contract.objects.filter(pk=contract.pk).update(status=ContractStatus.EXPIRED, end_date=contract.term_end)
    contract.refresh_from_db()
    lifecycle.contract_exit_start(actor=tenant.manager, contract=contract)
    http = login(tenant.client_manager)
    page = http.get(reverse("portal:contract_detail", args=[contract.pk])).content.decode()
    assert 'data-testid="exit-checklist"' in page and 'data-testid="exit-signoff"' not in page
    signoff = reverse("portal:contract_exit_signoff", args=[contract.pk])
    assert http.post(signoff).status_code == 409
    assert http.get(signoff).status_code == 405
    for item in contract.exit_items.all():
        lifecycle.exit_item_update(
            actor=tenant.manager, item=item, done_on=timezone.localdate(), evidence_comment="Fait, PV joint"
        )
    page = http.get(reverse("portal:contract_detail", args=[contract.pk])).content.decode()
    assert 'data-testid="exit-signoff"' in page
    assert login(tenant.client_user).post(signoff).status_code == 404
    response = http.post(signoff, follow=True)
    assert 'data-testid="exit-signed-off"' in response.content.decode()
    contract.refresh_from_db()
    assert contract.client_signoff_by_id == tenant.client_manager.pk


# Query counts ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("extra", [0, 30])
def test_the_list_page_has_a_fixed_query_cap(tenant, login, django_assert_max_num_queries, extra):
    """Whatever the number of contracts: session, user, actor, the contracts, their versions (+2)."""
    _sent(tenant)
    drafts = [helpers.draft(tenant) for _number in range(extra)]
    Contract.objects.filter(pk__in=[draft.pk for draft in drafts]).update(status=ContractStatus.ACTIVE)
    ContractVersion.objects.filter(contract__in=drafts).update(status=VersionStatus.SIGNED, signed_at=timezone.now())
    http = login(tenant.client_manager)
    http.get(reverse("portal:contract_list"))
    with django_assert_max_num_queries(8):
        response = http.get(reverse("portal:contract_list"))
    assert len(response.context["rows"]) == extra + 1
