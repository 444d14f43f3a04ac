"""The signature pages: on the technician's device, the sealed PDF and the draft, the portal's PDF and remote link."""

from __future__ import annotations

import base64
import datetime

import pytest
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from pacte.core.errors import ConflictError
from pacte.documents import storage
from pacte.documents.models import Document, SignatureEvidence
from pacte.events.models import Event
from pacte.interventions import services, signing
from pacte.interventions.models import Intervention, SheetStatus
from pacte.interventions.tests import helpers
from pacte.interventions.tests.test_signing import _link_token, counts, ready_sheet, signature_png, trusted_checks
from pacte.mail.models import OutboundMessage

pytestmark = pytest.mark.django_db


def data_url(png: bytes | None = None) -> str:
    return "data:image/png;base64," + base64.b64encode(png if png is not None else signature_png()).decode()


def form(**overrides) -> dict[str, str]:
    return {"signer_name": "Claire Martin", "signer_role": "Gérante", "signature": data_url(), **overrides}


def test_the_sign_page_shows_the_summary_the_consent_and_the_pad(tenant, login):
    sheet = ready_sheet(tenant)
    response = login(tenant.technician).get(reverse("interventions:sheet_sign", args=[sheet.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    for marker in ('id="signer-name"', 'id="signer-role"', 'id="signature-pad"', 'id="signature-clear"'):
        assert marker in html
    assert 'id="sign-submit"' in html and 'name="signature"' in html and "interventions/signature.js" in html
    assert response.context["consent_text"] in html
    assert "Disque SSD 1 To" in html and "WD-OLD-123" in html  # the part the client approves
    assert 'data-testid="sign-time-total"' in html and "1\u00a0h\u00a035" in html  # 95 minutes
    assert "Disque remplacé à chaud" in html
    assert reverse("interventions:sheet_preview", args=[sheet.pk]) in html
    assert 'id="remote-sign-form"' in html


def test_an_incomplete_sheet_lists_what_is_missing_instead_of_the_pad(tenant, login):
    sheet = helpers.sheet(tenant)
    services.sheet_check_in(actor=tenant.technician, sheet=sheet)
    response = login(tenant.technician).get(reverse("interventions:sheet_sign", args=[sheet.pk]))
    html = response.content.decode()
    assert response.status_code == 200 and 'id="sign-missing"' in html
    assert 'id="signature-pad"' not in html and 'id="sign-submit"' not in html
    detail = reverse("interventions:sheet_detail", args=[sheet.pk])
    assert f'href="{detail}#work"' in html and f'href="{detail}#time"' in html and f'href="{detail}#presence"' in html


def test_signing_on_the_device_then_posting_again_changes_nothing(tenant, login, seal):
    sheet = ready_sheet(tenant)
    http = login(tenant.technician)
    url = reverse("interventions:sheet_sign", args=[sheet.pk])
    response = http.post(url, form())
    assert response.status_code == 302 and response["Location"] == url
    page = http.get(url)
    html = page.content.decode()
    assert 'id="signed-confirmation"' in html and 'id="already-signed"' not in html
    pdf_url = reverse("interventions:sheet_pdf", args=[sheet.pk])
    assert pdf_url in html and 'id="signature-pad"' not in html
    signed = Intervention.objects.get(pk=sheet.pk)
    assert signed.status == SheetStatus.SIGNED and signed.signer_name == "Claire Martin"
    assert counts() == (1, 1, 1)

    again = http.post(url, form(signer_name="Un autre"))  # the double tap, the back button, the retry
    assert again.status_code == 200 and 'id="already-signed"' in again.content.decode()
    assert counts() == (1, 1, 1)
    assert Intervention.objects.get(pk=sheet.pk).signer_name == "Claire Martin"

    pdf = http.get(pdf_url)
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf["X-Content-Type-Options"] == "nosniff" and pdf["Content-Disposition"].startswith("inline")
    assert pdf.content == storage.read(signed.document.storage_name)
    (check,) = trusted_checks(tenant, pdf.content)
    assert check.valid and check.intact and check.trusted

    # A signed sheet is locked: its work form is refused.
    refused = http.post(
        reverse("interventions:sheet_work", args=[sheet.pk]), {"actions": "Changé", "result": "partial"}
    )
    assert refused.status_code == 409
    assert Intervention.objects.get(pk=sheet.pk).actions.startswith("Disque remplacé")


@pytest.mark.parametrize(
    ("signature", "message"),
    [
        ("", "Signez dans le cadre"),
        ("data:image/jpeg;base64,AAAA", "PNG"),
        ("data:image/png;base64,not base64!", "illisible"),
        (data_url.__name__, "vide"),  # replaced below by a blank canvas
    ],
    ids=["nothing", "jpeg", "garbage", "blank"],
)
def test_a_bad_signature_is_refused_on_the_page(tenant, login, seal, signature, message):
    if signature == data_url.__name__:
        signature = data_url(signature_png(ink=False))
    sheet = ready_sheet(tenant)
    response = login(tenant.technician).post(
        reverse("interventions:sheet_sign", args=[sheet.pk]), form(signature=signature)
    )
    assert response.status_code == 422
    assert message in " ".join(response.context["form"].errors["signature"])
    html = response.content.decode()
    assert 'id="signature-pad"' in html and 'value="Claire Martin"' in html  # the typed name stays
    assert Intervention.objects.get(pk=sheet.pk).status == SheetStatus.DONE and counts() == (0, 0, 0)


def test_a_missing_name_is_refused(tenant, login, seal):
    sheet = ready_sheet(tenant)
    response = login(tenant.technician).post(reverse("interventions:sheet_sign", args=[sheet.pk]), form(signer_name=""))
    assert response.status_code == 422 and "signer_name" in response.context["form"].errors
    assert counts() == (0, 0, 0)


def test_without_a_seal_certificate_the_page_says_why_and_nothing_is_signed(tenant, login, settings):
    settings.PACTE_SEAL_P12 = ""
    settings.PACTE_SEAL_PROVIDERS = {}
    sheet = ready_sheet(tenant)
    response = login(tenant.technician).post(reverse("interventions:sheet_sign", args=[sheet.pk]), form())
    assert response.status_code == 409
    assert "PACTE_SEAL_P12" in response.context["error"] and 'id="sign-error"' in response.content.decode()
    assert Intervention.objects.get(pk=sheet.pk).status == SheetStatus.DONE and counts() == (0, 0, 0)


def test_a_cancelled_sheet_has_no_sign_page(tenant, login):
    sheet = ready_sheet(tenant)
    services.sheet_cancel(actor=tenant.manager, sheet=sheet, reason="Doublon")
    assert login(tenant.technician).get(reverse("interventions:sheet_sign", args=[sheet.pk])).status_code == 409


def test_the_draft_preview_is_neither_stored_nor_sealed(tenant, login):
    sheet = ready_sheet(tenant)
    response = login(tenant.technician).get(reverse("interventions:sheet_preview", args=[sheet.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF") and response["X-Content-Type-Options"] == "nosniff"
    assert trusted_checks(tenant, response.content) == []
    assert Document.objects.count() == 0
    from pacte.documents import rendering
    from pacte.interventions import sheet_pdf

    html = rendering.html_render(
        template_name=sheet_pdf.TEMPLATE, context=sheet_pdf.sheet_document_context(sheet, draft=True)
    )
    assert 'class="watermark"' in html and 'class="draft-banner"' in html and sheet.reference in html


def test_the_unsigned_sheet_has_no_pdf(tenant, login):
    sheet = ready_sheet(tenant)
    assert login(tenant.technician).get(reverse("interventions:sheet_pdf", args=[sheet.pk])).status_code == 404
    assert login(tenant.client_manager).get(reverse("portal:intervention_pdf", args=[sheet.pk])).status_code == 404


def test_a_tampered_stored_pdf_is_not_served(tenant, login, seal):
    sheet = ready_sheet(tenant)
    signed = signing.sheet_sign(
        actor=tenant.technician, sheet=sheet, signer_name="Claire", signer_role="", signature_png=signature_png()
    ).sheet
    path = storage.path_of(signed.document.storage_name)
    path.chmod(0o600)
    path.write_bytes(path.read_bytes() + b"%tampered")
    assert login(tenant.technician).get(reverse("interventions:sheet_pdf", args=[sheet.pk])).status_code == 409


def test_the_client_downloads_its_signed_sheet_only(tenant, other_tenant, login, seal):
    sheet = ready_sheet(tenant)
    signing.sheet_sign(
        actor=tenant.technician, sheet=sheet, signer_name="Claire", signer_role="", signature_png=signature_png()
    )
    url = reverse("portal:intervention_pdf", args=[sheet.pk])
    for member in (tenant.client_manager, tenant.client_user):
        response = login(member).get(url)
        assert response.status_code == 200 and response.content.startswith(b"%PDF")
    for outsider in (tenant.other_client_manager, other_tenant.client_manager, tenant.technician):
        assert login(outsider).get(url).status_code == 404


def test_the_technician_sends_a_remote_link_when_nobody_can_sign(tenant, login, seal):
    sheet = ready_sheet(tenant)
    http = login(tenant.technician)
    url = reverse("interventions:sheet_remote_sign", args=[sheet.pk])
    empty = http.post(url, {"reason": ""})
    assert empty.status_code == 422 and "reason" in empty.context["remote_form"].errors
    assert not OutboundMessage.objects.filter(template=signing.REMOTE_SIGN_MAIL).exists()
    response = http.post(url, {"reason": "La gérante est absente"})
    assert response.status_code == 302 and response["Location"] == reverse(
        "interventions:sheet_detail", args=[sheet.pk]
    )
    assert Intervention.objects.get(pk=sheet.pk).no_signature_reason == "La gérante est absente"
    assert OutboundMessage.objects.filter(template=signing.REMOTE_SIGN_MAIL).count() == 1
    page = http.get(reverse("interventions:sheet_sign", args=[sheet.pk])).content.decode()
    assert 'id="remote-pending"' in page


def test_the_client_signs_through_the_link_once(tenant, login, seal):
    sheet = ready_sheet(tenant)
    signing.remote_sign_request(actor=tenant.technician, sheet=sheet, reason="Absent")
    token = _link_token()
    url = reverse("portal:intervention_remote_sign", args=[token])
    http = login(tenant.client_manager)
    page = http.get(url)
    html = page.content.decode()
    assert page.status_code == 200 and 'id="signature-pad"' in html and 'id="signer-role"' in html
    assert 'id="signer-name"' not in html  # they sign as themselves
    assert "Disque SSD 1 To" in html and page.context["consent_text"] in html

    bad = http.post(url, {"signer_role": "Gérante", "signature": data_url(signature_png(ink=False))})
    assert bad.status_code == 422 and counts() == (0, 0, 0)

    done = http.post(url, {"signer_role": "Gérante", "signature": data_url()})
    assert done.status_code == 302 and done["Location"] == url
    signed = Intervention.objects.get(pk=sheet.pk)
    assert signed.status == SheetStatus.SIGNED and signed.signer_role == "Gérante"
    evidence = SignatureEvidence.objects.get()
    assert evidence.signer_membership_id == tenant.client_manager.pk
    after = http.get(url)
    assert after.status_code == 200 and 'id="signed-confirmation"' in after.content.decode()
    assert reverse("portal:intervention_pdf", args=[sheet.pk]) in after.content.decode()
    again = http.post(url, {"signer_role": "Autre", "signature": data_url()})
    assert again.status_code == 200 and counts() == (1, 1, 1)
    assert Event.objects.get().key == f"intervention.sheet_signed:{sheet.pk}"


def test_remote_links_unknown_foreign_or_expired(tenant, login, seal):
    sheet = ready_sheet(tenant)
    signing.remote_sign_request(actor=tenant.technician, sheet=sheet, reason="Absent")
    token = _link_token()
    url = reverse("portal:intervention_remote_sign", args=[token])
    assert (
        login(tenant.client_manager).get(reverse("portal:intervention_remote_sign", args=["nope"])).status_code == 404
    )
    assert login(tenant.other_client_manager).get(url).status_code == 404
    assert login(tenant.other_client_manager).post(url, {"signature": data_url()}).status_code == 404
    assert login(tenant.technician).get(url).status_code == 404
    Intervention.objects.filter(pk=sheet.pk).update(
        remote_sign_expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    expired = login(tenant.client_manager).get(url)
    assert expired.status_code == 410 and 'id="link-expired"' in expired.content.decode()
    posted = login(tenant.client_manager).post(url, {"signature": data_url()})
    assert posted.status_code == 410 and counts() == (0, 0, 0)


# Signing from the portal without the e-mailed link ------------------------------------------------------


def test_a_pending_sheet_is_signed_once_from_the_portal_and_the_link_is_used_up(tenant, login, seal):
    sheet = ready_sheet(tenant)
    signing.remote_sign_request(actor=tenant.technician, sheet=sheet, reason="Absent")
    token = _link_token()
    http = login(tenant.client_user)  # any of the company's people, like the link
    detail = http.get(reverse("portal:intervention_detail", args=[sheet.pk])).content.decode()
    url = reverse("portal:intervention_sign", args=[sheet.pk])
    assert 'id="sign-this-sheet"' in detail and f'href="{url}"' in detail
    listing = http.get(reverse("portal:intervention_list")).content.decode()
    assert f'data-testid="sign-{sheet.pk}"' in listing and f'href="{url}"' in listing

    page = http.get(url)
    html = page.content.decode()
    assert page.status_code == 200 and 'id="signature-pad"' in html and 'id="signer-role"' in html
    assert 'id="signer-name"' not in html and "Disque SSD 1 To" in html and page.context["consent_text"] in html
    assert "interventions/signature.js" in html

    done = http.post(url, {"signer_role": "Comptable", "signature": data_url()})
    assert done.status_code == 302 and done["Location"] == url
    signed = Intervention.objects.get(pk=sheet.pk)
    assert signed.status == SheetStatus.SIGNED and signed.signer_role == "Comptable"
    assert signed.signer_name == tenant.client_user.user.full_name
    assert counts() == (1, 1, 1)
    assert SignatureEvidence.objects.get().signer_membership_id == tenant.client_user.pk
    assert Event.objects.get().key == f"intervention.sheet_signed:{sheet.pk}"
    pdf = http.get(reverse("portal:intervention_pdf", args=[sheet.pk]))
    (check,) = trusted_checks(tenant, pdf.content)
    assert check.valid and check.intact and check.trusted

    after = http.get(url)
    assert after.status_code == 200 and 'id="signed-confirmation"' in after.content.decode()
    assert 'id="signature-pad"' not in after.content.decode()
    assert (
        'id="sign-this-sheet"' not in http.get(reverse("portal:intervention_detail", args=[sheet.pk])).content.decode()
    )

    # The e-mailed link is used up: it shows the signed sheet and signs nothing more.
    manager = login(tenant.client_manager)
    link = reverse("portal:intervention_remote_sign", args=[token])
    shown = manager.get(link)
    assert shown.status_code == 200 and 'id="signed-confirmation"' in shown.content.decode()
    assert 'id="signature-pad"' not in shown.content.decode()
    again = manager.post(link, {"signer_role": "Gérante", "signature": data_url()})
    assert again.status_code == 200 and counts() == (1, 1, 1)
    outcome = signing.remote_sign_complete(  # the service agrees: the link cannot sign again
        actor=tenant.client_manager, token=token, signer_role="Gérante", signature_png=signature_png()
    )
    assert outcome.already_signed and counts() == (1, 1, 1)
    assert Intervention.objects.get(pk=sheet.pk).signer_role == "Comptable"


def test_posting_again_after_signing_changes_nothing(tenant, login, seal):
    sheet = ready_sheet(tenant)
    signing.remote_sign_request(actor=tenant.technician, sheet=sheet, reason="Absent")
    http = login(tenant.client_manager)
    url = reverse("portal:intervention_sign", args=[sheet.pk])
    assert http.post(url, {"signer_role": "Gérante", "signature": data_url()}).status_code == 302
    before = Intervention.objects.get(pk=sheet.pk)
    again = http.post(url, {"signer_role": "Autre", "signature": data_url()})
    assert again.status_code == 200 and 'id="signed-confirmation"' in again.content.decode()
    outcome = signing.remote_sign_complete_by_sheet(
        actor=tenant.client_manager, sheet=sheet, signer_role="Autre", signature_png=signature_png()
    )
    assert outcome.already_signed
    after = Intervention.objects.get(pk=sheet.pk)
    assert counts() == (1, 1, 1)
    assert (after.signer_role, after.signed_at, after.document_id, after.signature_sha256) == (
        "Gérante",
        before.signed_at,
        before.document_id,
        before.signature_sha256,
    )


def test_without_a_pending_request_the_portal_page_signs_nothing(tenant, login, seal):
    sheet = ready_sheet(tenant)  # nobody asked for a remote signature
    http = login(tenant.client_manager)
    url = reverse("portal:intervention_sign", args=[sheet.pk])
    page = http.get(url)
    assert page.status_code == 409 and 'id="no-request"' in page.content.decode()
    assert 'id="signature-pad"' not in page.content.decode()
    assert (
        'id="sign-this-sheet"' not in http.get(reverse("portal:intervention_detail", args=[sheet.pk])).content.decode()
    )
    assert f'data-testid="sign-{sheet.pk}"' not in http.get(reverse("portal:intervention_list")).content.decode()
    posted = http.post(url, {"signer_role": "Gérante", "signature": data_url()})
    assert posted.status_code == 409 and counts() == (0, 0, 0)
    with pytest.raises(ConflictError):
        signing.remote_sign_complete_by_sheet(
            actor=tenant.client_manager, sheet=sheet, signer_role="", signature_png=signature_png()
        )
    assert Intervention.objects.get(pk=sheet.pk).status == SheetStatus.DONE


def test_an_expired_request_cannot_be_signed_from_the_portal(tenant, login, seal):
    sheet = ready_sheet(tenant)
    signing.remote_sign_request(actor=tenant.technician, sheet=sheet, reason="Absent")
    Intervention.objects.filter(pk=sheet.pk).update(
        remote_sign_expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    http = login(tenant.client_manager)
    url = reverse("portal:intervention_sign", args=[sheet.pk])
    page = http.get(url)
    assert page.status_code == 409 and 'id="request-expired"' in page.content.decode()
    assert (
        'id="sign-this-sheet"' not in http.get(reverse("portal:intervention_detail", args=[sheet.pk])).content.decode()
    )
    posted = http.post(url, {"signer_role": "Gérante", "signature": data_url()})
    assert posted.status_code == 409 and counts() == (0, 0, 0)
    with pytest.raises(ConflictError):
        signing.remote_sign_complete_by_sheet(
            actor=tenant.client_manager, sheet=sheet, signer_role="", signature_png=signature_png()
        )
    assert Intervention.objects.get(pk=sheet.pk).status == SheetStatus.DONE


def test_another_company_and_provider_roles_get_404_on_the_portal_sign_page(tenant, other_tenant, login, seal):
    sheet = ready_sheet(tenant)
    signing.remote_sign_request(actor=tenant.technician, sheet=sheet, reason="Absent")
    url = reverse("portal:intervention_sign", args=[sheet.pk])
    for outsider in (tenant.other_client_manager, other_tenant.client_manager, tenant.technician, tenant.admin):
        http = login(outsider)
        assert http.get(url).status_code == 404
        assert http.post(url, {"signer_role": "X", "signature": data_url()}).status_code == 404
    for outsider in (tenant.other_client_manager, other_tenant.client_manager, tenant.technician):
        with pytest.raises(Http404):
            signing.remote_sign_complete_by_sheet(
                actor=outsider, sheet=sheet, signer_role="", signature_png=signature_png()
            )
    assert counts() == (0, 0, 0) and Intervention.objects.get(pk=sheet.pk).status == SheetStatus.DONE
    cancelled = ready_sheet(tenant)
    Intervention.objects.filter(pk=cancelled.pk).update(status=SheetStatus.CANCELLED)
    assert login(tenant.client_manager).get(reverse("portal:intervention_sign", args=[cancelled.pk])).status_code == 404
