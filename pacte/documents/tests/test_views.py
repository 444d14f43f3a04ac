"""The download view (permission-checked, safe headers) and the verification page."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client as HttpClient
from django.urls import reverse

from pacte.documents.services import document_store
from pacte.documents.tests.helpers import content_of, flip_byte, make_pdf, pdf_from_elsewhere

NBSP = "\u00a0"


class EndlessBody:
    """A request body of ``size`` bytes made on demand; counts what the server reads of it."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.read_bytes = 0

    def read(self, size: int = -1) -> bytes:
        remaining = self.size - self.read_bytes
        size = remaining if size is None or size < 0 else min(size, remaining)
        self.read_bytes += size
        return b"\0" * size

    def readline(self, size: int = -1) -> bytes:
        return self.read(min(size, 1024) if size and size > 0 else 1024)


# Download ------------------------------------------------------------------------------------------


@pytest.fixture
def client_document(tenant):
    return make_pdf(tenant.manager, client=tenant.client, title="Contrat d'assistance Rhône n°12")


def test_a_client_user_downloads_a_sheet_but_not_a_contract(login, tenant, client_document):
    from pacte.documents.models import DocumentKind

    sheet = make_pdf(tenant.manager, client=tenant.client, kind=DocumentKind.INTERVENTION_SHEET)
    http = login(tenant.client_user)
    assert http.get(reverse("documents:download", args=[client_document.pk])).status_code == 404
    assert http.get(reverse("documents:download", args=[sheet.pk])).status_code == 200


@pytest.mark.parametrize("role", ["admin", "manager", "technician", "client_manager"])
def test_owner_downloads_with_safe_headers(login, tenant, client_document, role):
    response = login(tenant.member(role)).get(reverse("documents:download", args=[client_document.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == content_of(client_document)
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''Contrat%20d%27assistance%20Rh%C3%B4ne%20n_12.pdf"
    )
    assert response["Cache-Control"] == "private, no-store"


def test_other_provider_and_other_client_get_404(login, tenant, other_tenant, client_document):
    url = reverse("documents:download", args=[client_document.pk])
    assert login(other_tenant.admin).get(url).status_code == 404
    assert login(tenant.other_client_manager).get(url).status_code == 404
    assert login(tenant.manager).get(reverse("documents:download", args=[client_document.pk + 1000])).status_code == 404


def test_a_providers_own_document_is_hidden_from_its_clients(login, tenant):
    internal = document_store(
        actor=tenant.manager, content=b"%PDF-1.4", title="Interne", filename="i", content_type="application/pdf"
    )
    url = reverse("documents:download", args=[internal.pk])
    assert login(tenant.client_manager).get(url).status_code == 404
    assert login(tenant.technician).get(url).status_code == 200


def test_anonymous_is_sent_to_the_login_page(client, client_document):
    response = client.get(reverse("documents:download", args=[client_document.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


# Verification page ---------------------------------------------------------------------------------


def _upload(content: bytes, name: str = "document.pdf") -> dict:
    return {"file": SimpleUploadedFile(name, content, content_type="application/pdf")}


def test_page_is_in_the_provider_navigation_and_not_for_clients(login, tenant):
    html = login(tenant.technician).get(reverse("documents:verify")).content.decode()
    assert 'href="/documents/verify/" aria-current="page">Vérifier un document</a>' in html
    assert 'enctype="multipart/form-data"' in html
    assert login(tenant.client_manager).get(reverse("documents:verify")).status_code == 404


def test_sealed_document_is_reported_authentic(login, tenant, seal):
    document = make_pdf(tenant.manager, seal=True, client=tenant.client)
    response = login(tenant.technician).post(reverse("documents:verify"), _upload(content_of(document), "c.pdf"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-status="authentic"' in html
    assert "Authentique et intact" in html
    assert document.sha256 in html
    assert reverse("documents:download", args=[document.pk]) in html
    assert "oui, certificat de confiance" in html
    assert response.context["result"].document == document


def test_one_byte_changed_is_reported_not_intact(login, tenant, seal):
    document = make_pdf(tenant.manager, seal=True)
    response = login(tenant.manager).post(reverse("documents:verify"), _upload(flip_byte(content_of(document), 10)))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-status="modified"' in html
    assert f"Modifié{NBSP}: pas intact" in html
    assert "il n'est pas intact" in html


def test_unknown_pdf_is_reported_unknown(login, tenant):
    response = login(tenant.manager).post(reverse("documents:verify"), _upload(pdf_from_elsewhere()))
    html = response.content.decode()
    assert 'data-status="unknown"' in html
    assert "Document inconnu" in html


def test_not_a_pdf_is_a_clear_error(login, tenant):
    response = login(tenant.manager).post(reverse("documents:verify"), _upload(b"GIF89a...", "photo.pdf"))
    assert response.status_code == 422
    assert '<small class="field-error" data-field="file" role="alert">Ce fichier n&#x27;est pas un PDF.</small>' in (
        response.content.decode()
    )


def test_no_file_is_a_clear_error(login, tenant):
    response = login(tenant.manager).post(reverse("documents:verify"), {})
    assert response.status_code == 422
    assert "Choisissez un fichier PDF à vérifier." in response.content.decode()


def test_a_200_mb_upload_is_refused_before_it_is_read(login, tenant):
    body = EndlessBody(200 * 1024 * 1024)
    response = login(tenant.manager).generic(
        "POST",
        reverse("documents:verify"),
        b"-",
        content_type="multipart/form-data; boundary=xyz",
        CONTENT_LENGTH=str(body.size),
        **{"wsgi.input": body},
    )
    assert response.status_code == 413
    assert body.read_bytes == 0
    assert f"Le fichier est trop volumineux{NBSP}: 20{NBSP}Mo au maximum." in response.content.decode()


def test_upload_just_under_the_limit_is_read(login, tenant, settings):
    settings.PACTE_UPLOAD_MAX_SIZE = 4096
    response = login(tenant.manager).post(reverse("documents:verify"), _upload(b"%PDF-1.4" + b"0" * 3000))
    assert response.status_code == 200
    response = login(tenant.manager).post(reverse("documents:verify"), _upload(b"%PDF-1.4" + b"0" * 5000))
    assert response.status_code == 413


def test_the_form_is_csrf_protected(tenant):
    http = HttpClient(enforce_csrf_checks=True)
    http.force_login(tenant.manager.user)
    session = http.session
    session["pacte_membership_id"] = tenant.manager.pk
    session.save()
    response = http.post(reverse("documents:verify"), _upload(pdf_from_elsewhere()))
    assert response.status_code == 403
    page = http.get(reverse("documents:verify"))
    token = page.context["csrf_token"]
    response = http.post(reverse("documents:verify"), {**_upload(pdf_from_elsewhere()), "csrfmiddlewaretoken": token})
    assert response.status_code == 200
