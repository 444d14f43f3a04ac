"""Real-browser journeys through Debian's Chromium (Playwright, headless; no browser is ever downloaded).

Screenshots land in ``var/screenshots/`` for a human to look at.
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest

from pacte.demo import DEMO_PASSWORD, load_demo

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "var" / "screenshots"
TODAY = datetime.date(2026, 3, 16)
NBSP = "\u00a0"
SIREN_ERROR = f"Saisissez un SIREN valide{NBSP}: 9 chiffres avec une clé de contrôle correcte."
NEW_CLIENT = "Boulangerie Informatique du Rhône"


@pytest.fixture(scope="module")
def browser():
    """One Chromium for the whole module; each test gets its own context (cookies, storage)."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium): the browser tests need Debian's Chromium")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the tests still use the ORM synchronously.
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def demo(transactional_db):
    return load_demo(today=TODAY)


def _screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


def _log_in(page, base_url: str, email: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{base_url}/accounts/login/")
    expect(page).to_have_title("Connexion · Pacte")
    expect(page.get_by_role("heading", level=1)).to_have_text("Connexion")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def test_manager_creates_a_client_after_fixing_the_siren_and_finds_it(page, live_server, demo):
    from playwright.sync_api import expect

    _log_in(page, live_server.url, "manager@demo.pacte.test")
    expect(page).to_have_url(f"{live_server.url}/clients/")

    # Clients → "Nouveau client"
    page.locator(".mainnav").get_by_role("link", name="Clients").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Clients")
    page.get_by_role("button", name="Nouveau client").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Nouveau client")

    # An invalid SIREN: the error sits in the SIREN field's own label, nowhere else.
    page.locator("#id_name").fill(NEW_CLIENT)
    page.locator("#id_siren").fill("123456789")
    page.locator("#id_city").fill("Villeurbanne")
    page.get_by_role("button", name="Enregistrer").click()
    siren_area = page.locator("label[for=id_siren]")
    expect(siren_area.locator(".field-error")).to_have_text(SIREN_ERROR)
    expect(page.locator(".field-error")).to_have_count(1)
    expect(page.locator("#id_siren")).to_have_value("123456789")
    expect(page.locator("#id_name")).to_have_value(NEW_CLIENT)
    _screenshot(page, "client-create-error.png")

    # Fixed, typed the way people type it.
    page.locator("#id_siren").fill("732 829 320")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(NEW_CLIENT)
    expect(page.get_by_role("status")).to_have_text("Le client a été créé.")
    expect(page.locator("dl")).to_contain_text("732829320")

    # The list has it; the search box (htmx, no page reload) narrows to it by name and by SIREN.
    page.locator(".mainnav").get_by_role("link", name="Clients").click()
    rows = page.get_by_test_id("client-table").locator("tbody tr")
    expect(rows).to_have_count(4)
    expect(page.get_by_text("4 clients")).to_be_visible()
    list_url = page.url
    search = page.get_by_role("searchbox", name="Rechercher")
    search.fill("boulangerie")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(NEW_CLIENT)
    expect(rows.first).to_contain_text("Villeurbanne")
    expect(page.get_by_text("1 client", exact=True)).to_be_visible()
    assert page.url == list_url  # swapped in place by htmx
    search.fill("732829320")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(NEW_CLIENT)
    search.fill("zzz introuvable")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_text("Aucun client ne correspond.")
    search.fill("boulangerie")
    expect(rows.first).to_contain_text(NEW_CLIENT)
    _screenshot(page, "client-list.png")

    # The row leads to the client.
    rows.first.get_by_role("link", name=NEW_CLIENT).click()
    expect(page).to_have_url(re.compile(r"/clients/\d+/$"))


def test_client_list_fits_a_phone(browser, live_server, demo):
    """390 px wide: the page itself never scrolls sideways (a wide table scrolls in its own box)."""
    from playwright.sync_api import expect

    context = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        _log_in(page, live_server.url, "manager@demo.pacte.test")
        expect(page).to_have_url(f"{live_server.url}/clients/")
        expect(page.get_by_test_id("client-table").locator("tbody tr")).to_have_count(3)
        expect(page.get_by_role("button", name="Nouveau client")).to_be_visible()
        expect(page.get_by_role("searchbox", name="Rechercher")).to_be_visible()
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        _screenshot(page, "client-list-mobile.png")
        assert overflow <= 0, f"the page scrolls sideways by {overflow}px at 390px"
    finally:
        context.close()


def test_login_page_switches_to_english_and_back(page, live_server, transactional_db):
    from playwright.sync_api import expect

    page.goto(f"{live_server.url}/accounts/login/")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("link", name=f"Mot de passe oublié{NBSP}?")).to_be_visible()
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    expect(page.get_by_role("link", name="Forgot your password?")).to_be_visible()
    page.get_by_role("button", name="Français").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Connexion")


def _in_a_thread(function):
    """Run ``function`` outside this thread: Playwright's sync API keeps an event loop running here,
    and pyHanko's synchronous calls start one of their own."""
    import threading

    outcome = {}

    def target():
        try:
            outcome["value"] = function()
        except BaseException as error:  # noqa: BLE001  (re-raised below, in the test's thread)
            outcome["error"] = error

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def test_technician_verifies_the_sealed_sample_then_a_modified_copy(page, live_server, demo, seal):
    from playwright.sync_api import expect

    from pacte.documents import storage
    from pacte.documents.demo import demo_sample_ensure

    document, _created = _in_a_thread(lambda: demo_sample_ensure(demo, today=TODAY))
    content = storage.read(document.storage_name)
    _log_in(page, live_server.url, "tech@demo.pacte.test")
    page.locator(".mainnav").get_by_role("link", name="Vérifier un document").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vérifier un document")

    upload = page.get_by_label("Fichier PDF")
    upload.set_input_files(files=[{"name": "attestation.pdf", "mimeType": "application/pdf", "buffer": content}])
    page.get_by_role("button", name="Vérifier", exact=True).click()
    verdict = page.get_by_test_id("verification")
    expect(verdict).to_have_attribute("data-status", "authentic")
    expect(verdict.get_by_role("heading", level=2)).to_have_text("Authentique et intact")
    expect(verdict).to_contain_text(document.sha256)
    expect(verdict.get_by_test_id("signature")).to_contain_text("oui, certificat de confiance")
    _screenshot(page, "document-verify-authentic.png")

    changed = bytearray(content)
    changed[len(changed) // 2] ^= 1
    upload = page.get_by_label("Fichier PDF")
    upload.set_input_files(files=[{"name": "copie.pdf", "mimeType": "application/pdf", "buffer": bytes(changed)}])
    page.get_by_role("button", name="Vérifier", exact=True).click()
    expect(verdict).to_have_attribute("data-status", "modified")
    expect(verdict.get_by_role("heading", level=2)).to_have_text(f"Modifié{NBSP}: pas intact")
    _screenshot(page, "document-verify-modified.png")

    upload = page.get_by_label("Fichier PDF")
    upload.set_input_files(files=[{"name": "photo.pdf", "mimeType": "application/pdf", "buffer": b"GIF89a"}])
    page.get_by_role("button", name="Vérifier", exact=True).click()
    expect(page.locator("label[for=id_file] .field-error")).to_have_text("Ce fichier n'est pas un PDF.")
    _screenshot(page, "document-verify-not-a-pdf.png")
