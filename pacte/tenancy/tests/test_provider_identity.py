"""The provider's legal identity page and API: managers only, validated identifiers, the checklist of
what invoices still miss, numbering prefixes, logo upload, isolation between providers."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from pacte.audit.models import AuditEvent
from pacte.billing.models import Series
from pacte.tenancy import domain
from pacte.tenancy.models import Provider

pytestmark = pytest.mark.django_db

URL = "/company/"
#: DOMAIN.md examples: SIREN 732829320 → FR44732829320; a valid French IBAN (mod 97).
VALID = {
    "name": "Alpha Informatique",
    "legal_name": "Alpha Informatique SAS",
    "legal_form": "SAS",
    "share_capital": "10000.00",
    "rcs_city": "Lyon",
    "siren": "732 829 320",
    "siret": "732 829 320 00074",
    "vat_number": "FR 44 732829320",
    "address": "12 rue de la République",
    "postal_code": "69002",
    "city": "Lyon",
    "country": "FR",
    "einvoicing_address": "0225:732829320",
    "iban": "FR76 3000 6000 0112 3456 7890 189",
    "bic": "agri fr pp",
    "late_penalty_text": "Pas d'escompte pour paiement anticipé.",
    "invoice_prefix": "ACME",
    "credit_note_prefix": "ACME-AV",
}


def png(size: int = 8) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (size, size), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def gap_fields(response) -> list[str]:
    return [gap.field for gap in response.context["gaps"]]


def codes(form, field: str) -> list[str | None]:
    return [error.code for error in form.errors.as_data()[field]]


# The page ------------------------------------------------------------------------------------------


def test_manager_sees_the_page_the_nav_link_and_what_invoices_miss(login, tenant, django_assert_max_num_queries):
    http = login(tenant.manager)
    with django_assert_max_num_queries(12):
        response = http.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'href="{URL}"' in html  # the navigation's entry
    assert 'enctype="multipart/form-data"' in html
    # A provider created without its identity: every mention a run checks is listed, with its rules.
    assert gap_fields(response) == ["legal_form", "rcs_city", "siren", "vat_number", "address", "iban"]
    assert 'data-field="siren"' in html and "BR-FR-10" in html and "BR-S-02" in html
    assert 'data-testid="identity-complete"' not in html


def test_admin_saves_a_complete_identity_compacted_and_audited(login, tenant):
    http = login(tenant.admin)
    logo = SimpleUploadedFile("logo.png", png(), content_type="image/png")
    response = http.post(URL, {**VALID, "logo": logo})
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    assert response["Location"] == URL
    provider = Provider.objects.get(pk=tenant.provider.pk)
    assert (provider.siren, provider.siret, provider.vat_number) == ("732829320", "73282932000074", "FR44732829320")
    assert (provider.iban, provider.bic) == ("FR7630006000011234567890189", "AGRIFRPP")
    assert (provider.invoice_prefix, provider.credit_note_prefix) == ("ACME", "ACME-AV")
    assert provider.share_capital == Decimal("10000.00")
    assert provider.logo.name.startswith("logos/provider-") and provider.logo.name.endswith(".png")
    assert provider.logo.read() == png()
    event = AuditEvent.objects.get(action="provider.update")
    assert event.after["siren"] == "732829320" and event.after["iban"] == "***"
    page = http.get(URL)
    assert page.context["gaps"] == []
    assert 'data-testid="identity-complete"' in page.content.decode()
    assert 'src="/company/logo/"' in page.content.decode()  # the thumbnail, from the checked view


def test_invalid_siren_and_iban_keep_what_was_typed_and_save_nothing(login, tenant):
    http = login(tenant.manager)
    response = http.post(URL, {**VALID, "siren": "732 829 321", "iban": "FR76 3000 6000 0112 3456 7890 188"})
    assert response.status_code == 422
    form = response.context["form"]
    assert set(form.errors) == {"siren", "iban", "vat_number", "siret", "einvoicing_address"}
    assert codes(form, "siren") == ["siren"] and codes(form, "iban") == ["iban"]
    html = response.content.decode()
    assert 'data-field="siren"' in html and 'data-field="iban"' in html
    assert 'value="Alpha Informatique SAS"' in html and 'value="732 829 321"' in html  # nothing typed is lost
    assert Provider.objects.get(pk=tenant.provider.pk).legal_name == ""
    assert not AuditEvent.objects.filter(action="provider.update").exists()


def test_a_vat_number_of_another_siren_is_refused_on_its_field(login, tenant):
    response = login(tenant.manager).post(URL, {**VALID, "vat_number": "FR83404833048"})  # 404833048's number
    assert response.status_code == 422
    assert list(response.context["form"].errors) == ["vat_number"]
    assert "FR44732829320" in response.context["form"].errors["vat_number"][0]  # the expected number is given
    assert Provider.objects.get(pk=tenant.provider.pk).vat_number == ""


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"einvoicing_address": "0225:404833048"}, "einvoicing_address", "einvoicing_siren"),
        ({"einvoicing_address": "732829320@peppol"}, "einvoicing_address", "einvoicing_address"),
        ({"bic": "AGRI"}, "bic", "bic"),
        ({"invoice_prefix": "FA 26"}, "invoice_prefix", "number_prefix"),
        ({"invoice_prefix": "FACTURE.2026"}, "invoice_prefix", "number_prefix"),
        ({"invoice_prefix": "ABCDEFGHIJKLM"}, "invoice_prefix", "max_length"),
        ({"credit_note_prefix": "acme"}, "credit_note_prefix", "same_prefix"),
    ],
)
def test_each_rule_is_reported_on_its_field(login, tenant, changes, field, code):
    response = login(tenant.manager).post(URL, {**VALID, **changes})
    assert response.status_code == 422
    form = response.context["form"]
    assert list(form.errors) == [field]
    assert code in codes(form, field)


def test_einvoicing_address_with_a_suffix_is_accepted(login, tenant):
    response = login(tenant.manager).post(URL, {**VALID, "einvoicing_address": "732829320_73282932000074"})
    assert response.status_code == 302
    assert Provider.objects.get(pk=tenant.provider.pk).einvoicing_address == "732829320_73282932000074"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("logo.png", b"<svg xmlns='http://www.w3.org/2000/svg'></svg>"),  # not PNG whatever the name says
        ("logo.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"),
        ("logo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64),  # a PNG header, no image
        ("big.png", png() + b"\x00" * (1024 * 1024)),
    ],
)
def test_a_logo_that_is_not_a_small_png_or_jpeg_is_refused(login, tenant, name, content):
    response = login(tenant.manager).post(URL, {**VALID, "logo": SimpleUploadedFile(name, content)})
    assert response.status_code == 422
    assert list(response.context["form"].errors) == ["logo"]
    provider = Provider.objects.get(pk=tenant.provider.pk)
    assert not provider.logo and provider.siren == ""


def test_the_logo_can_be_removed(login, tenant):
    http = login(tenant.manager)
    http.post(URL, {**VALID, "logo": SimpleUploadedFile("logo.png", png())})
    assert Provider.objects.get(pk=tenant.provider.pk).logo
    response = http.post(URL, {**VALID, "logo-clear": "on"})
    assert response.status_code == 302
    assert not Provider.objects.get(pk=tenant.provider.pk).logo


def test_a_prefix_already_numbering_the_other_kind_is_refused(login, tenant):
    Series.objects.create(provider=tenant.provider, kind="credit_note", prefix="AV", year=2026, last_number=3)
    response = login(tenant.manager).post(URL, {**VALID, "invoice_prefix": "AV", "credit_note_prefix": "AVO"})
    assert response.status_code == 422
    assert list(response.context["form"].errors) == ["invoice_prefix"]
    assert "AV-2026" in response.context["form"].errors["invoice_prefix"][0]
    assert Provider.objects.get(pk=tenant.provider.pk).invoice_prefix == "FA"


@pytest.mark.parametrize(("role", "status"), [("technician", 403), ("client_manager", 404), ("client_user", 404)])
def test_other_roles_are_refused_and_change_nothing(login, tenant, role, status):
    http = login(tenant.member(role))
    assert http.get(URL).status_code == status
    assert http.post(URL, VALID).status_code == status
    assert Provider.objects.get(pk=tenant.provider.pk).siren == ""
    assert f'href="{URL}"' not in http.get("/").content.decode()


def test_anonymous_is_sent_to_the_login_page(client, db):
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))


def test_each_provider_sees_and_edits_only_its_own_identity(login, tenant, other_tenant):
    http = login(other_tenant.admin)
    page = http.get(URL).content.decode()
    assert other_tenant.provider.name in page and tenant.provider.name not in page
    assert http.post(URL, {**VALID, "name": "Bravo"}).status_code == 302
    assert Provider.objects.get(pk=other_tenant.provider.pk).siren == "732829320"
    assert Provider.objects.get(pk=tenant.provider.pk).siren == ""


# The checklist (pure) ------------------------------------------------------------------------------


def identity(**changes):
    values = {
        "name": "Alpha",
        "legal_name": "Alpha SAS",
        "legal_form": "SAS",
        "share_capital": Decimal("10000"),
        "rcs_city": "Lyon",
        "siren": "732829320",
        "siret": "",
        "vat_number": "FR44732829320",
        "address": "12 rue de la République",
        "postal_code": "69002",
        "city": "Lyon",
        "country": "FR",
        "iban": "FR7630006000011234567890189",
        "einvoicing_address": "",
    }
    return SimpleNamespace(**{**values, **changes})


def test_a_complete_identity_misses_nothing():
    assert domain.invoice_identity_gaps(identity()) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"siren": ""}, [("siren", ("BR-FR-10", "BR-FR-13"))]),
        ({"siren": "732829321"}, [("siren", ("BR-FR-10",)), ("vat_number", ())]),
        ({"vat_number": ""}, [("vat_number", ("BR-S-02",))]),
        ({"siret": "40483304800022"}, [("siret", ("BR-FR-09",))]),
        ({"share_capital": None}, [("share_capital", ())]),
        ({"share_capital": None, "legal_form": "EI"}, []),  # a sole trader has no capital
        ({"legal_form": ""}, [("legal_form", ())]),
        ({"rcs_city": " "}, [("rcs_city", ())]),
        ({"city": ""}, [("address", ())]),
        ({"country": ""}, [("country", ("BR-09",))]),
        ({"einvoicing_address": "0225:404833048"}, [("einvoicing_address", ())]),
        ({"einvoicing_address": "732829320@peppol"}, [("einvoicing_address", ("BR-FR-23",))]),
        ({"einvoicing_address": "0225:732829320_12"}, []),
        ({"iban": ""}, [("iban", ())]),
        ({"iban": "FR7630006000011234567890188"}, [("iban", ())]),
    ],
)
def test_the_checklist_names_each_missing_mention(changes, expected):
    gaps = domain.invoice_identity_gaps(identity(**changes))
    assert [(gap.field, gap.rules) for gap in gaps] == expected
    assert all(gap.message for gap in gaps)


def test_number_prefix_rule_is_the_e_invoice_number_rule():
    assert all(domain.number_prefix_is_valid(p) for p in ("FA", "AV", "ACME", "F+A/2_x-1", "A" * 12))
    assert not any(domain.number_prefix_is_valid(p) for p in ("", "F A", "FA.", "FÀ", "A" * 13))


# The API ---------------------------------------------------------------------------------------------


@pytest.fixture
def api(client, api_token):
    def _api(membership):
        headers = {"Authorization": f"Bearer {api_token(membership)}"}

        def call(method, body=None):
            data = json.dumps(body) if body is not None else ""
            return client.generic(method, "/api/v1/provider", data, content_type="application/json", headers=headers)

        return call

    return _api


def test_api_get_gives_the_identity_and_what_invoices_miss(api, tenant):
    response = api(tenant.technician)("GET")
    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["name"], body["invoice_prefix"], body["credit_note_prefix"]) == (
        tenant.provider.pk,
        tenant.provider.name,
        "FA",
        "AV",
    )
    assert [gap["field"] for gap in body["missing_mentions"]] == [
        "legal_form",
        "rcs_city",
        "siren",
        "vat_number",
        "address",
        "iban",
    ]
    assert body["missing_mentions"][2]["rules"] == ["BR-FR-10", "BR-FR-13"]


def test_api_patch_by_a_manager_saves_and_audits(api, tenant):
    body = {key: value for key, value in VALID.items() if key != "share_capital"} | {"share_capital": "5000.50"}
    response = api(tenant.manager)("PATCH", body)
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["siren"], data["iban"], data["invoice_prefix"]) == ("732829320", "FR7630006000011234567890189", "ACME")
    assert data["missing_mentions"] == []
    assert Provider.objects.get(pk=tenant.provider.pk).share_capital == Decimal("5000.50")
    assert AuditEvent.objects.filter(action="provider.update", provider=tenant.provider).count() == 1


def test_api_patch_errors_are_422_on_their_fields_and_save_nothing(api, tenant):
    response = api(tenant.admin)("PATCH", {"siren": "732829321", "iban": "FR00", "invoice_prefix": "F A"})
    assert response.status_code == 422
    assert {error["field"] for error in response.json()["errors"]} == {"siren", "iban", "invoice_prefix"}
    assert Provider.objects.get(pk=tenant.provider.pk).invoice_prefix == "FA"
    assert api(tenant.admin)("PATCH", {"logo": "x"}).status_code == 422  # the logo is uploaded on the page


@pytest.mark.parametrize(
    ("role", "get_status", "patch_status"),
    [("technician", 200, 403), ("client_manager", 403, 403), ("client_user", 403, 403)],
)
def test_api_roles(api, tenant, role, get_status, patch_status):
    call = api(tenant.member(role))
    assert call("GET").status_code == get_status
    assert call("PATCH", {"legal_form": "SARL"}).status_code == patch_status
    assert Provider.objects.get(pk=tenant.provider.pk).legal_form == ""


def test_api_is_scoped_to_the_token_s_provider(api, tenant, other_tenant):
    call = api(other_tenant.admin)
    assert call("GET").json()["id"] == other_tenant.provider.pk
    assert call("PATCH", {"legal_form": "SARL"}).json()["id"] == other_tenant.provider.pk
    assert Provider.objects.get(pk=tenant.provider.pk).legal_form == ""
    assert Provider.objects.get(pk=other_tenant.provider.pk).legal_form == "SARL"
