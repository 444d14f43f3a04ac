"""Pages and API of the index table (with its CSV import), the alert settings and price revision."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client as HttpClient
from django.urls import reverse

from pacte.contracts import revisions
from pacte.contracts.models import ContractSettings, IndexValue, Revision
from pacte.contracts.tests import helpers
from pacte.contracts.tests.test_revisions import FIRST_REVISION, index, revisable

pytestmark = pytest.mark.django_db

D = datetime.date
CSV = "mois;valeur;publié le\n10/2026;306,0;20/11/2026\n10/2027;314,5;25/11/2027\n"


@pytest.fixture
def syntec(tenant):
    return (
        index(tenant, D(2026, 10, 1), "306.0", D(2026, 11, 20)),
        index(tenant, D(2027, 10, 1), "314.5", D(2027, 11, 25)),
    )


def csv_file(text: str = CSV) -> SimpleUploadedFile:
    return SimpleUploadedFile("syntec.csv", text.encode(), content_type="text/csv")


# The index table ---------------------------------------------------------------------------------


def test_index_list_reads_for_provider_roles_only(tenant, other_tenant, login, syntec):
    index(other_tenant, D(2026, 9, 1), "305.9", D(2026, 10, 20))
    url = reverse("contracts:index_list")
    for actor in (tenant.admin, tenant.manager, tenant.technician):
        response = login(actor).get(url)
        assert response.status_code == 200
        html = response.content.decode()
        assert "10/2026" in html and "306,0" in html and "314,5" in html
        assert "09/2026" not in html  # another provider's value
    assert 'href="/contracts/indexes/new/' in login(tenant.manager).get(url).content.decode()
    assert 'href="/contracts/indexes/new/' not in login(tenant.technician).get(url).content.decode()
    for actor in (tenant.client_manager, tenant.client_user):
        assert login(actor).get(url).status_code == 404
    assert HttpClient().get(url).status_code == 302


def test_index_create_edit_delete_pages(tenant, login):
    http = login(tenant.manager)
    assert login(tenant.technician).get(reverse("contracts:index_create")).status_code == 403
    response = http.post(
        reverse("contracts:index_create"),
        {
            "index_code": "syntec",
            "month": "2026-10",
            "series": "current",
            "value": "306,0",
            "published_on": "2026-11-20",
        },
    )
    assert response.status_code == 302 and response["Location"].endswith("?index=SYNTEC")
    row = IndexValue.objects.get()
    assert (row.month, row.value) == (D(2026, 10, 1), Decimal("306.0"))
    response = http.post(
        reverse("contracts:index_create"),
        {"index_code": "SYNTEC", "month": "10/2026", "series": "current", "value": "abc", "published_on": "2026-10-20"},
    )
    assert response.status_code == 422
    assert 'data-field="value"' in response.content.decode()
    response = http.post(
        reverse("contracts:index_update", args=[row.pk]),
        {
            "index_code": "SYNTEC",
            "month": "2026-10",
            "series": "current",
            "value": "306.1",
            "published_on": "2026-11-20",
        },
    )
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.value == Decimal("306.1")
    assert http.get(reverse("contracts:index_update", args=[row.pk])).status_code == 200
    response = http.post(reverse("contracts:index_delete", args=[row.pk]))
    assert response.status_code == 302 and not IndexValue.objects.exists()


def test_a_used_value_cannot_be_deleted_from_the_page(tenant, seal, login, syntec):
    revisions.revision_apply(actor=tenant.manager, contract=revisable(tenant), revision_date=FIRST_REVISION)
    http = login(tenant.manager)
    response = http.post(reverse("contracts:index_delete", args=[syntec[0].pk]), follow=True)
    assert IndexValue.objects.filter(pk=syntec[0].pk).exists()
    assert "ne peut pas être supprimée" in response.content.decode() or "cannot be deleted" in response.content.decode()
    response = http.post(
        reverse("contracts:index_update", args=[syntec[1].pk]),
        {"index_code": "SYNTEC", "month": "2027-10", "series": "current", "value": "315", "published_on": "2027-11-25"},
    )
    assert response.status_code == 422
    html = http.get(reverse("contracts:index_list")).content.decode()
    assert html.count('data-testid="index-row"') == 2


def test_csv_import_pages_preview_confirm_and_reimport(tenant, login):
    http = login(tenant.manager)
    assert http.get(reverse("contracts:index_import")).status_code == 200
    assert login(tenant.technician).get(reverse("contracts:index_import")).status_code == 403
    response = http.post(reverse("contracts:index_import"), {"index_code": "SYNTEC", "file": csv_file()})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="import-confirm"' in html and not IndexValue.objects.exists()
    token = response.context["token"]
    response = http.post(reverse("contracts:index_import_confirm"), {"token": token})
    assert response.status_code == 302
    assert IndexValue.objects.count() == 2
    # The same file again: nothing to create or update.
    response = http.post(reverse("contracts:index_import"), {"index_code": "SYNTEC", "file": csv_file()})
    assert response.context["counts"] == {"create": 0, "update": 0, "unchanged": 2, "error": 0}
    http.post(reverse("contracts:index_import_confirm"), {"token": response.context["token"]})
    assert IndexValue.objects.count() == 2
    # A confirmation without a pending file changes nothing.
    response = http.post(reverse("contracts:index_import_confirm"), {"token": "x"})
    assert response.status_code == 302 and response["Location"] == reverse("contracts:index_import")


def test_csv_import_page_shows_row_errors_and_offers_no_confirmation(tenant, login):
    http = login(tenant.manager)
    response = http.post(
        reverse("contracts:index_import"),
        {"index_code": "SYNTEC", "file": csv_file(CSV + "13/2027;300;20/01/2028\n")},
    )
    html = response.content.decode()
    assert 'data-testid="import-refused"' in html and 'data-testid="import-confirm"' not in html
    assert 'class="cell-error"' in html
    response = http.post(reverse("contracts:index_import_confirm"), {"token": response.context["token"]})
    assert not IndexValue.objects.exists()


# Settings ----------------------------------------------------------------------------------------


def test_settings_page_for_provider_admins(tenant, login):
    url = reverse("contracts:settings")
    http = login(tenant.admin)
    response = http.get(url)
    assert response.status_code == 200 and 'value="90, 30, 7"' in response.content.decode()
    for actor in (tenant.manager, tenant.technician):
        assert login(actor).get(url).status_code == 403
    assert login(tenant.client_manager).get(url).status_code == 404
    assert http.post(url, {"lead_days": "60; 15", "alerts_enabled": "on"}).status_code == 302
    assert ContractSettings.objects.get().lead_days() == [60, 15]
    response = http.post(url, {"lead_days": "0, abc"})
    assert response.status_code == 422


# Price revision pages ----------------------------------------------------------------------------


def test_revise_prices_form_preview_confirm_letter(tenant, seal, login, syntec):
    contract = revisable(tenant, floor="0", cap="0.02")
    http = login(tenant.manager)
    panel = http.get(reverse("contracts:revision_list", args=[contract.pk]), headers={"HX-Request": "true"})
    assert panel.status_code == 200 and 'data-testid="revise-prices"' in panel.content.decode()
    assert "<html" not in panel.content.decode()  # the fragment only
    form = http.get(reverse("contracts:revision_start", args=[contract.pk]))
    assert form.status_code == 200 and 'value="2028-01-01"' in form.content.decode()
    preview = http.post(reverse("contracts:revision_start", args=[contract.pk]), {"revision_date": "2028-01-01"})
    assert preview.status_code == 200
    html = preview.content.decode()
    for text in ("306,0", "314,5", "1,027778", "1,020000", "1\u00a0000,00 €", "1\u00a0020,00 €", "2 %"):
        assert text in html, text
    assert not Revision.objects.exists()
    token = preview.context["preview"].token
    response = http.post(
        reverse("contracts:revision_apply", args=[contract.pk]), {"revision_date": "2028-01-01", "token": token}
    )
    revision = Revision.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "contracts:revision_detail", args=[contract.pk, revision.pk]
    )
    detail = http.get(response["Location"]).content.decode()
    assert reverse("documents:download", args=[revision.letter.pk]) in detail
    assert tenant.client_manager.user.email in detail
    assert (
        login(tenant.technician).get(reverse("contracts:revision_detail", args=[contract.pk, revision.pk])).status_code
        == 200
    )
    assert (
        login(tenant.client_manager)
        .get(reverse("contracts:revision_detail", args=[contract.pk, revision.pk]))
        .status_code
        == 404
    )
    listing = http.get(reverse("contracts:revision_list", args=[contract.pk])).content.decode()
    assert revision.letter.filename in listing
    # Confirming again: refused, nothing more.
    again = http.post(
        reverse("contracts:revision_apply", args=[contract.pk]), {"revision_date": "2028-01-01", "token": token}
    )
    assert again.status_code == 409 and Revision.objects.count() == 1


def test_revision_errors_are_shown_next_to_the_date(tenant, seal, login):
    index(tenant, D(2026, 10, 1), "306.0", D(2026, 11, 20))
    contract = revisable(tenant)
    http = login(tenant.manager)
    response = http.post(reverse("contracts:revision_start", args=[contract.pk]), {"revision_date": "2028-01-01"})
    assert response.status_code == 422
    html = response.content.decode()
    assert 'data-field="revision_date"' in html and "10/2027" in html
    assert login(tenant.technician).get(reverse("contracts:revision_start", args=[contract.pk])).status_code == 403
    no_clause = helpers.active(tenant)
    panel = http.get(reverse("contracts:revision_list", args=[no_clause.pk])).content.decode()
    assert 'data-testid="revise-prices"' not in panel


def test_the_contract_page_partial_loads_the_panel_with_htmx(tenant, seal, syntec):
    from django.template.loader import render_to_string

    contract = revisable(tenant)
    html = render_to_string("contracts/partials/revisions.html", {"contract": contract})
    assert f'hx-get="{reverse("contracts:revision_list", args=[contract.pk])}"' in html


# API ---------------------------------------------------------------------------------------------


def api(http: HttpClient, token: str, method: str, path: str, body: object = None, **extra):
    data = json.dumps(body) if body is not None else ""
    return http.generic(
        method, path, data, content_type="application/json", headers={"Authorization": f"Bearer {token}"}, **extra
    )


def test_api_index_values(tenant, other_tenant, api_token):
    http, token = HttpClient(), api_token(tenant.manager)
    body = {"month": "2026-10-01", "value": "306.0", "published_on": "2026-11-20"}
    response = api(http, token, "POST", "/api/v1/index-values", body)
    assert response.status_code == 201 and response.json()["value"] == "306.0000"
    assert api(http, token, "POST", "/api/v1/index-values", body).status_code == 422  # the same month again
    assert api(http, api_token(tenant.technician), "POST", "/api/v1/index-values", body).status_code == 403
    assert api(http, api_token(tenant.client_manager), "POST", "/api/v1/index-values", body).status_code == 403
    assert api(http, token, "POST", "/api/v1/index-values", {**body, "value": 306.0}).status_code == 422
    listed = api(http, api_token(tenant.technician), "GET", "/api/v1/index-values?index_code=syntec").json()
    assert [item["month"] for item in listed["items"]] == ["2026-10-01"]
    assert api(http, api_token(other_tenant.admin), "GET", "/api/v1/index-values").json()["items"] == []
    assert api(http, api_token(tenant.client_manager), "GET", "/api/v1/index-values").json()["items"] == []


def test_api_import_multipart_raw_dry_run_and_errors(tenant, api_token):
    http, headers = HttpClient(), {"Authorization": f"Bearer {api_token(tenant.manager)}"}
    response = http.post("/api/v1/index-values/import?dry_run=true", {"file": csv_file()}, headers=headers)
    assert response.status_code == 200 and response.json()["created"] == 2 and response.json()["dry_run"]
    assert not IndexValue.objects.exists()
    response = http.post("/api/v1/index-values/import", {"file": csv_file()}, headers=headers)
    assert response.status_code == 200 and IndexValue.objects.count() == 2
    response = http.generic("POST", "/api/v1/index-values/import", CSV, content_type="text/csv", headers=headers)
    assert response.json()["unchanged"] == 2
    bad = CSV + "10/2028;x;20/11/2028\n"
    response = http.generic("POST", "/api/v1/index-values/import", bad, content_type="text/csv", headers=headers)
    assert response.status_code == 422
    assert {error["field"] for error in response.json()["errors"]} == {"rows[4].value"}
    assert IndexValue.objects.count() == 2
    response = http.post("/api/v1/index-values/import", {}, headers=headers)
    assert response.status_code == 422
    technician = {"Authorization": f"Bearer {api_token(tenant.technician)}"}
    assert http.post("/api/v1/index-values/import", {"file": csv_file()}, headers=technician).status_code == 403


def test_api_revision_preview_apply_list(tenant, other_tenant, seal, api_token, syntec):
    contract = revisable(tenant, floor="0.05")
    http, token = HttpClient(), api_token(tenant.manager)
    base = f"/api/v1/contracts/{contract.pk}/revisions"
    preview = api(http, token, "POST", f"{base}/preview", {"revision_date": "2028-01-01"})
    assert preview.status_code == 200
    data = preview.json()
    assert (data["s0"], data["s1"], data["coefficient"], data["bound"]) == ("306.0000", "314.5000", "1.050000", "floor")
    assert {price["key"]: price["after"] for price in data["prices"]} == {"fee": "1050.00", "overage_rate": "89.25"}
    late = api(http, token, "POST", f"{base}/preview", {"revision_date": "2027-06-01"})
    assert late.status_code == 422 and late.json()["errors"][0]["field"] == "revision_date"
    assert (
        api(http, api_token(tenant.technician), "POST", f"{base}/preview", {"revision_date": "2028-01-01"}).status_code
        == 403
    )
    assert api(http, api_token(tenant.client_manager), "POST", base, {"revision_date": "2028-01-01"}).status_code == 403
    assert api(http, api_token(other_tenant.admin), "POST", base, {"revision_date": "2028-01-01"}).status_code == 404
    applied = api(http, token, "POST", base, {"revision_date": "2028-01-01", "token": data["token"]})
    assert applied.status_code == 201
    body = applied.json()
    assert body["prices_after"] == {"fee": "1050.00", "overage_rate": "89.25"} and body["version_number"] == 2
    assert api(http, token, "POST", base, {"revision_date": "2028-01-01"}).status_code == 409
    for actor in (tenant.technician, tenant.client_manager):
        listed = api(http, api_token(actor), "GET", base)
        assert listed.status_code == 200 and [item["id"] for item in listed.json()["items"]] == [body["id"]]
    assert api(http, api_token(tenant.client_user), "GET", base).status_code == 404
    assert api(http, api_token(tenant.other_client_manager), "GET", base).status_code == 404


# In a real browser (Debian's Chromium through Playwright): screenshots in var/screenshots/ -----------


@pytest.mark.browser
def test_browser_import_the_index_then_revise_prices(transactional_db, live_server, seal, settings, tmp_path):
    """A manager imports Syntec values from a CSV (preview, confirm), then revises a contract's prices
    (form, preview, confirm) and reaches the letter."""
    from pathlib import Path

    from tests.factories import PASSWORD
    from tests.fixtures import make_tenant

    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        pytest.skip("/usr/bin/chromium is missing (apt-get install chromium)")
    from playwright.sync_api import expect, sync_playwright

    shots = Path(__file__).resolve().parents[3] / "var" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    tenant = make_tenant("A")
    contract = revisable(tenant, floor="0", cap="0.02")
    upload = tmp_path / "syntec.csv"
    upload.write_text(CSV + "11/2027;315,2;18/12/2027\n", encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(executable_path=str(chromium), args=["--headless", "--no-sandbox"])
        page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR").new_page()
        page.set_default_timeout(15_000)
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Adresse e-mail").fill(tenant.manager.user.email)
        page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_url(f"{live_server.url}/clients/")

        page.goto(f"{live_server.url}/contracts/indexes/import/")
        page.get_by_label("Fichier CSV").set_input_files(str(upload))
        page.get_by_role("button", name="Prévisualiser l'import").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Aperçu de l'import")
        expect(page.get_by_test_id("import-counts")).to_contain_text("3 à créer")
        page.screenshot(path=str(shots / "contracts-index-import-preview.png"), full_page=True)
        page.get_by_role("button", name="Confirmer l'import").click()
        expect(page.get_by_test_id("index-row")).to_have_count(3)
        page.screenshot(path=str(shots / "contracts-index-list.png"), full_page=True)

        page.goto(f"{live_server.url}/contracts/{contract.pk}/revisions/new/")
        expect(page.get_by_label("Date de révision")).to_have_value("2028-01-01")
        page.get_by_role("button", name="Voir l'aperçu de la révision").click()
        expect(page.get_by_test_id("coefficient")).to_have_text("1,020000")
        expect(page.get_by_test_id("revision-prices")).to_contain_text("1\u00a0020,00 €")
        page.screenshot(path=str(shots / "contracts-revision-preview.png"), full_page=True)
        page.get_by_role("button", name="Confirmer la révision").click()
        expect(page.get_by_test_id("revision-letter")).to_be_visible()
        page.screenshot(path=str(shots / "contracts-revision-detail.png"), full_page=True)
        browser.close()
    revision = Revision.objects.get()
    assert revision.prices_after["fee"] == "1020.00" and revision.letter.is_sealed
