"""POST /api/v1/documents/verify: JSON results and documented JSON errors."""

import io

import pytest
from django.test import Client as HttpClient

from pacte.documents.tests.helpers import content_of, flip_byte, make_pdf, pdf_from_elsewhere
from pacte.documents.tests.test_views import EndlessBody

URL = "/api/v1/documents/verify"


@pytest.fixture
def api(api_token, tenant):
    def call(content: bytes | None, *, member=None, **extra):
        headers = {"Authorization": f"Bearer {api_token(member or tenant.technician)}"}
        data = {} if content is None else {"file": io.BytesIO(content)}
        return HttpClient().post(URL, data, headers=headers, **extra)

    return call


def test_sealed_document_is_authentic(api, tenant, seal):
    document = make_pdf(tenant.manager, seal=True, client=tenant.client)
    response = api(content_of(document))
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["intact"], body["readable"]) == ("authentic", True, True)
    assert body["sha256"] == document.sha256 and body["size"] == document.size
    assert body["document"]["id"] == document.pk
    assert body["document"]["is_sealed"] is True
    assert body["document"]["client_id"] == tenant.client.pk
    (signature,) = body["signatures"]
    assert signature["by_provider"] and signature["intact"] and signature["trusted"] and signature["covers_whole_file"]


def test_one_byte_changed_is_not_intact(api, tenant, seal):
    document = make_pdf(tenant.manager, seal=True)
    body = api(flip_byte(content_of(document), 10)).json()
    assert (body["status"], body["intact"], body["document"]["id"]) == ("modified", False, document.pk)


def test_unknown_pdf(api):
    body = api(pdf_from_elsewhere()).json()
    assert (body["status"], body["intact"], body["document"], body["signatures"]) == ("unknown", None, None, [])


def test_not_a_pdf_is_422_on_the_file_field(api):
    response = api(b"hello")
    assert response.status_code == 422
    assert response.json() == {
        "detail": "Validation failed.",
        "errors": [{"field": "file", "message": "Ce fichier n'est pas un PDF."}],
    }


def test_no_file_is_422(api):
    response = api(None)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "file"


def test_a_200_mb_body_is_refused_with_413_before_it_is_read(api_token, tenant):
    body = EndlessBody(200 * 1024 * 1024)
    response = HttpClient().generic(
        "POST",
        URL,
        b"-",
        content_type="multipart/form-data; boundary=xyz",
        headers={"Authorization": f"Bearer {api_token(tenant.manager)}"},
        CONTENT_LENGTH=str(body.size),
        **{"wsgi.input": body},
    )
    assert response.status_code == 413
    assert body.read_bytes == 0
    assert set(response.json()) == {"detail", "errors"}


def test_malformed_multipart_is_400(api_token, tenant):
    response = HttpClient().generic(
        "POST",
        URL,
        b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n',
        content_type="multipart/form-data; boundary=",
        headers={"Authorization": f"Bearer {api_token(tenant.manager)}"},
    )
    assert response.status_code == 400
    assert set(response.json()) == {"detail", "errors"}


def test_client_roles_get_403_and_anonymous_401(api, tenant):
    assert api(pdf_from_elsewhere(), member=tenant.client_manager).status_code == 403
    response = HttpClient().post(URL, {"file": io.BytesIO(pdf_from_elsewhere())})
    assert response.status_code == 401


def test_the_operation_is_documented(client, db):
    schema = client.get("/api/v1/openapi.json").json()
    operation = schema["paths"][URL]["post"]
    assert set(operation["responses"]) == {"200", "400", "401", "403", "404", "413", "422"}
    body = operation["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert body["required"] == ["file"] and body["properties"]["file"]["format"] == "binary"
