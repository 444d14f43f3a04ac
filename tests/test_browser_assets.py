"""Real-browser journey through the assets: a manager filters the list, imports a CSV file (errors first, then a
corrected file), and a client manager reads the company's assets in the portal (Debian's Chromium through
Playwright; screenshots in ``var/screenshots/``)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from pacte.assets.models import Asset
from tests import test_browser as shared
from tests.test_browser import _log_in, _screenshot

pytestmark = pytest.mark.browser

# The browser journeys' fixtures (one Chromium per module, a fresh context per test, the demo story).
browser = shared.browser
page = shared.page
demo = shared.demo

HEADER = "nom;type;marque;modèle;numéro de série;nom d'hôte;site;utilisateur;date d'achat;fin de garantie"
GOOD = [
    "PC accueil;poste de travail;Dell;OptiPlex 7010;7KX2QV3;pc-accueil;Siège — Perrache;Accueil;;14/03/2029",
    "Portable stagiaire;portable;HP;ProBook 450 G10;5CD3451XYZ;pc-stagiaire;Siège — Perrache;Paul Girard;"
    "02/09/2025;01/09/2028",
]
BAD = "Écran salle de réunion;grille-pain;Samsung;QM55C;;;Annexe;;31/02/2025;"


def _csv(tmp_path, name: str, *lines: str):
    path = tmp_path / name
    path.write_bytes(("\ufeff" + "\r\n".join([HEADER, *lines]) + "\r\n").encode())
    return path


def test_manager_filters_and_imports_then_the_client_reads_its_assets(page, live_server, demo, tmp_path):
    from playwright.sync_api import expect

    _log_in(page, live_server.url, "manager@demo.pacte.test")
    page.locator(".mainnav").get_by_role("link", name="Équipements").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Équipements")
    table = page.get_by_test_id("asset-table")
    expect(table).to_contain_text("Serveur ERP")
    page.get_by_label("Garantie").select_option(label="Expirée")
    expired = Asset.objects.filter(warranty_end__lt=timezone.localdate(), archived_at__isnull=True).count()
    expect(table.locator("tbody tr")).to_have_count(expired)
    expect(table).to_contain_text("Pare-feu")  # its warranty ended before the demo's day
    expect(table).not_to_contain_text("Portable Karim Benali")  # covered for years after it
    _screenshot(page, "assets-list-expired.png")

    page.get_by_role("button", name="Importer un fichier CSV").click()
    page.get_by_label("Client").select_option(label="Cabinet Rhône Expertise Comptable")
    page.get_by_label("Fichier CSV").set_input_files(_csv(tmp_path, "parc.csv", *GOOD, BAD))
    page.get_by_role("button", name="Prévisualiser l'import").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Aperçu de l'import")
    expect(page.get_by_test_id("import-refused")).to_contain_text("refusé en entier")
    expect(page.get_by_test_id("import-preview")).to_contain_text("Type inconnu")
    expect(page.get_by_test_id("import-confirm")).to_have_count(0)
    _screenshot(page, "assets-import-errors.png")

    page.get_by_role("button", name="Envoyer le fichier corrigé").click()
    page.get_by_label("Fichier CSV").set_input_files(_csv(tmp_path, "parc-corrige.csv", *GOOD))
    page.get_by_role("button", name="Prévisualiser l'import").click()
    expect(page.get_by_test_id("import-counts")).to_contain_text("1 à créer")
    expect(page.get_by_test_id("import-counts")).to_contain_text("1 à mettre à jour")
    _screenshot(page, "assets-import-preview.png")
    page.get_by_role("button", name="Confirmer l'import").click()
    expect(page.locator(".flash")).to_contain_text("Import terminé")
    expect(page.get_by_test_id("asset-table")).to_contain_text("Portable stagiaire")
    page.get_by_role("link", name="Portable stagiaire").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Portable stagiaire")
    expect(page.get_by_test_id("asset-identity")).to_contain_text("5CD3451XYZ")
    _screenshot(page, "assets-detail.png")

    # The client's manager reads the company's assets, and only them.
    page.context.clear_cookies()
    _log_in(page, live_server.url, "manager@lyon.demo.pacte.test")
    page.locator(".mainnav").get_by_role("link", name="Équipements").click()
    expect(page.get_by_test_id("asset-table")).to_contain_text("Portable stagiaire")
    expect(page.get_by_test_id("asset-table")).not_to_contain_text("Serveur ERP")
    expect(page.get_by_role("button", name="Nouvel équipement")).to_have_count(0)
    _screenshot(page, "assets-portal.png")
