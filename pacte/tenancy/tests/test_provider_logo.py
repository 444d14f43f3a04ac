"""The company page's logo: the thumbnail served by ``/company/logo/`` (media files are never served),
to who may see the company page, of the actor's own provider only; « Remplacer » and « Retirer le logo »."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client as HttpClient
from PIL import Image

from pacte.tenancy.models import Provider
from pacte.tenancy.services import provider_update

pytestmark = pytest.mark.django_db

PAGE = "/company/"
LOGO = "/company/logo/"


def image(format: str, colour: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(buffer, format=format)
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


# The view ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("format", "mime"), [("PNG", "image/png"), ("JPEG", "image/jpeg")])
def test_a_manager_gets_the_saved_logo_with_its_type_and_private_headers(login, tenant, format, mime):
    content = image(format)
    provider_update(actor=tenant.admin, logo=content)
    response = login(tenant.manager).get(LOGO)
    assert response.status_code == 200
    assert response.content == content
    assert response["Content-Type"] == mime
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-cache"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response["Content-Disposition"].startswith("inline;")


def test_the_same_logo_asked_again_is_a_304(login, tenant):
    provider_update(actor=tenant.admin, logo=image("PNG"))
    http = login(tenant.admin)
    etag = http.get(LOGO)["ETag"]
    again = http.get(LOGO, headers={"if-none-match": etag})
    assert again.status_code == 304 and again.content == b""
    provider_update(actor=tenant.admin, logo=image("PNG", (0, 90, 200)))
    replaced = http.get(LOGO, headers={"if-none-match": etag})
    assert replaced.status_code == 200 and replaced["ETag"] != etag


def test_no_logo_is_a_404(login, tenant):
    assert login(tenant.manager).get(LOGO).status_code == 404


def test_a_logo_file_lost_or_not_an_image_is_a_404(login, tenant):
    provider = provider_update(actor=tenant.admin, logo=image("PNG"))
    http = login(tenant.manager)
    provider.logo.storage.save("logos/not-an-image.png", io.BytesIO(b"<svg></svg>"))
    Provider.objects.filter(pk=provider.pk).update(logo="logos/not-an-image.png")
    assert http.get(LOGO).status_code == 404
    Provider.objects.filter(pk=provider.pk).update(logo="logos/gone.png")
    assert http.get(LOGO).status_code == 404


def test_the_company_page_roles_only(login, tenant):
    provider_update(actor=tenant.admin, logo=image("PNG"))
    assert login(tenant.admin).get(LOGO).status_code == 200
    assert login(tenant.technician).get(LOGO).status_code == 403
    assert login(tenant.client_manager).get(LOGO).status_code == 404
    anonymous = HttpClient().get(LOGO)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")


def test_each_provider_gets_its_own_logo_never_another_ones(login, tenant, other_tenant):
    a_logo = image("PNG")
    provider_update(actor=tenant.admin, logo=a_logo)
    assert login(other_tenant.manager).get(LOGO).status_code == 404  # B has none: not A's
    b_logo = image("JPEG", (0, 90, 200))
    provider_update(actor=other_tenant.admin, logo=b_logo)
    response = login(other_tenant.manager).get(LOGO)
    assert response.content == b_logo and response["Content-Type"] == "image/jpeg"
    assert login(tenant.manager).get(LOGO).content == a_logo


# The page ------------------------------------------------------------------------------------------


def test_the_page_shows_the_thumbnail_replace_and_remove_no_dead_media_link(login, tenant):
    provider_update(actor=tenant.admin, logo=image("PNG"))
    html = login(tenant.manager).get(PAGE).content.decode()
    assert f'<img src="{LOGO}" alt="Logo actuel" data-testid="logo-preview"' in html
    assert "max-height: 80px" in html
    assert '<input type="checkbox" name="logo-clear" id="logo-clear_id">' in html
    assert "Retirer le logo</label>" in html
    assert '<label for="id_logo">Remplacer</label>' in html
    assert '<input type="file" name="logo"' in html
    assert "/media-not-served/" not in html and "Actuellement" not in html


def test_the_page_without_a_logo_offers_the_file_input_only(login, tenant):
    html = login(tenant.manager).get(PAGE).content.decode()
    assert 'data-testid="logo-preview"' not in html and 'name="logo-clear"' not in html
    assert '<label for="id_logo">Ajouter un logo</label>' in html and '<input type="file" name="logo"' in html


def test_a_refused_upload_keeps_the_saved_logo_thumbnail(login, tenant):
    provider_update(actor=tenant.admin, logo=image("PNG"))
    response = login(tenant.manager).post(PAGE, {"name": "", "logo": SimpleUploadedFile("logo.gif", b"GIF89a")})
    assert response.status_code == 422
    html = response.content.decode()
    assert f'<img src="{LOGO}"' in html and "/media-not-served/" not in html
