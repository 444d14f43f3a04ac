"""Real-browser journey: the client's manager signs the contract sent for signature in the portal.

The contract becomes active; the sealed PDF downloaded from the page validates with pyHanko against the
provider's seal certificate, and changing a single byte of it makes the verification fail. Screenshots
in ``var/screenshots/`` (Debian's Chromium through Playwright).
"""

from __future__ import annotations

import datetime
import re
from concurrent.futures import ThreadPoolExecutor

import pytest

from pacte.contracts import services
from pacte.contracts.clauses import default_clauses
from pacte.contracts.models import Contract, ContractStatus, ContractVersion, VersionStatus
from pacte.documents import sealing
from pacte.documents.models import SealCertificate, SignatureEvidence
from pacte.tenancy.models import Client, Membership, Role, Site
from tests import test_browser as shared
from tests.test_browser import _log_in, _screenshot

pytestmark = pytest.mark.browser

browser = shared.browser
page = shared.page
demo = shared.demo

TITLE = "Assistance utilisateurs — contrat à signer (parcours navigateur)"
SIGNER = "Claire Durand"


def _contract_sent_for_signature() -> ContractVersion:
    """The Lyon firm's assistance contract, drafted and sent by the provider's manager (PDF rendered)."""
    manager = Membership.objects.get(user__email="manager@demo.pacte.test", role=Role.PROVIDER_MANAGER)
    lyon = Client.objects.get(provider=manager.provider, name="Cabinet Rhône Expertise Comptable")
    contract = services.contract_create(
        actor=manager,
        client=lyon,
        title=TITLE,
        start_date=datetime.date.today().replace(day=1) + datetime.timedelta(days=40),  # noqa: DTZ011
        duration_months=12,
        terms={
            "contract_type": "assistance",
            "sites": list(Site.objects.filter(client=lyon).values_list("pk", flat=True)),
            "billing_model": {
                "kind": "fixed_fee",
                "fee": "1250.00",
                "period": "month",
                "included_quantity": "10",
                "included_unit": "hours",
                "overage_rate": "85.00",
            },
            "renewal": {"kind": "tacit", "notice_months": 2},
            "liability_cap": "15000.00",
            "clauses": default_clauses("assistance"),
        },
    )
    return services.contract_send(actor=manager, contract=contract)


def _checks(content: bytes, provider_id: int) -> list:
    """pyHanko's validation against the provider's certificates, in a thread of its own: it runs its own
    event loop (``asyncio.run``), which cannot nest in Playwright's."""
    trusted = sealing.certificates_from_pem(
        SealCertificate.objects.filter(provider_id=provider_id).values_list("certificate_pem", flat=True)
    )
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(sealing.pdf_signatures_check, content, trusted=trusted, moment=None).result()


def test_client_manager_signs_the_contract_in_the_portal(page, live_server, seal, demo):
    from playwright.sync_api import expect

    version = _contract_sent_for_signature()
    contract = version.contract
    assert version.document is not None
    shown_sha256 = version.document.sha256

    _log_in(page, live_server.url, "manager@lyon.demo.pacte.test")
    expect(page).to_have_url(f"{live_server.url}/portal/")
    expect(page.get_by_test_id("home-contracts")).to_contain_text(contract.reference)

    # Contracts → the list says what awaits a signature.
    page.locator(".mainnav").get_by_role("link", name="Contrats").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Contrats")
    row = page.get_by_test_id(f"contract-{contract.reference}")
    expect(row).to_contain_text("En attente de votre signature")
    _screenshot(page, "portal-contract-list.png")

    # The contract's page, then its signature page.
    row.get_by_role("link", name=re.compile(contract.reference)).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(contract.reference)
    expect(page.get_by_test_id("awaiting-signature")).to_contain_text("Un document attend votre signature.")
    _screenshot(page, "portal-contract-detail-sent.png")
    page.get_by_test_id("awaiting-signature").get_by_role("button", name="Examiner et signer").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Signer")
    expect(page.get_by_test_id("document-sha256")).to_have_text(shown_sha256)
    expect(page.get_by_test_id("consent-text")).to_contain_text(shown_sha256)
    expect(page.get_by_test_id("pdf-viewer").locator("object")).to_have_attribute(
        "data", f"/portal/contracts/versions/{version.pk}/pdf/"
    )
    page.wait_for_timeout(2500)  # the PDF viewer draws out of process: let it, for the screenshot
    _screenshot(page, "portal-contract-sign.png")

    # Signing without the consent is refused, nothing recorded; then consent, name, sign.
    page.get_by_label("Vos prénom et nom").fill(SIGNER)
    page.get_by_test_id("sign-button").click()
    expect(page.locator(".field-error[data-field=consent]")).to_have_text("Cochez la case pour confirmer votre accord.")
    assert not SignatureEvidence.objects.filter(document=version.document, signer_name=SIGNER).exists()
    page.get_by_label("J'ai lu le document et j'accepte de le signer électroniquement.").check()
    page.get_by_label("Vos prénom et nom").fill(SIGNER)
    page.get_by_test_id("sign-button").click()

    expect(page).to_have_url(f"{live_server.url}/portal/contracts/{contract.pk}/")
    expect(page.get_by_role("status")).to_contain_text("Le contrat est signé et désormais actif")
    expect(page.get_by_test_id("contract-status")).to_have_text("Actif")
    expect(page.get_by_test_id("version-1")).to_contain_text(f"Vous : {SIGNER}".replace(" :", "\u00a0:"))
    _screenshot(page, "portal-contract-signed.png")
    contract.refresh_from_db()
    version.refresh_from_db()
    assert contract.status == ContractStatus.ACTIVE and version.status == VersionStatus.SIGNED
    assert version.client_signature is not None and version.client_signature.document_sha256 == shown_sha256

    # The sealed PDF, downloaded from the page: it validates; one byte changed and it no longer does.
    with page.expect_download() as download_info:
        page.get_by_test_id("sealed-pdf-1").click()
    path = download_info.value.path()
    sealed = path.read_bytes()
    assert version.sealed_document is not None and len(sealed) == version.sealed_document.size
    (check,) = _checks(sealed, contract.provider_id)
    assert check.by_provider and check.intact and check.valid and check.trusted and check.covers_whole_file
    assert sealed.startswith(b"%PDF")
    position = len(sealed) // 3  # inside the signed content, well before the signature dictionary
    tampered = sealed[:position] + bytes([sealed[position] ^ 0x01]) + sealed[position + 1 :]
    broken = _checks(tampered, contract.provider_id)
    assert broken and not (broken[0].intact and broken[0].valid)
    assert Contract.objects.filter(pk=contract.pk, status=ContractStatus.ACTIVE).exists()
