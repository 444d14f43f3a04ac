"""The REST API as an integration would use it: token auth, CRUD, pagination, JSON errors."""

import json

import pytest

from pacte.audit.models import AuditEvent
from pacte.tenancy.models import Client
from tests.factories import ClientFactory


@pytest.fixture
def api(client, api_token):
    def _api(membership):
        secret = api_token(membership)

        class Api:
            def call(self, method, path, body=None, **params):
                kwargs = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
                if body is not None:
                    kwargs.update(data=json.dumps(body), content_type="application/json")
                elif params:
                    kwargs["data"] = params
                return getattr(client, method)(f"/api/v1{path}", **kwargs)

        return Api()

    return _api


def test_openapi_document_is_served(client, db):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert "/api/v1/clients" in document["paths"]


def test_anonymous_gets_401_json(client, db):
    response = client.get("/api/v1/clients")
    assert response.status_code == 401
    assert response.json()["detail"]


def test_client_crud(api, tenant):
    admin = api(tenant.admin)
    created = admin.call("post", "/clients", {"name": "Pharmacie du Centre", "siren": "732829320"})
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["siren"] == "732829320"
    client_id = body["id"]
    assert admin.call("get", f"/clients/{client_id}").json()["name"] == "Pharmacie du Centre"
    patched = admin.call("patch", f"/clients/{client_id}", {"city": "Vienne"})
    assert patched.status_code == 200
    assert patched.json()["city"] == "Vienne"
    assert patched.json()["siren"] == "732829320"
    archived = admin.call("post", f"/clients/{client_id}/archive")
    assert archived.json()["archived_at"] is not None
    conflict = admin.call("patch", f"/clients/{client_id}", {"city": "Lyon"})
    assert conflict.status_code == 409
    assert conflict.json()["detail"]


def test_validation_errors_name_the_field(api, tenant):
    response = api(tenant.admin).call("post", "/clients", {"name": "X", "siren": "123456789"})
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert [error["field"] for error in errors] == ["siren"]
    assert "SIREN" in errors[0]["message"]
    assert not Client.objects.filter(name="X").exists()


def test_schema_errors_are_422_with_field(api, tenant):
    response = api(tenant.admin).call("post", "/clients", {"siren": "732829320"})
    assert response.status_code == 422
    assert {"field": "name", "message": response.json()["errors"][0]["message"]} in response.json()["errors"]


def test_malformed_json_is_400(client, api_token, tenant):
    secret = api_token(tenant.admin)
    response = client.post(
        "/api/v1/clients", data="{not json", content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {secret}"
    )
    assert response.status_code == 400
    assert response.json()["detail"]


def test_technician_may_read_but_not_write(api, tenant):
    technician = api(tenant.technician)
    assert technician.call("get", f"/clients/{tenant.client.pk}").status_code == 200
    count = AuditEvent.objects.count()
    response = technician.call("post", "/clients", {"name": "Interdit"})
    assert response.status_code == 403
    assert AuditEvent.objects.count() == count


def test_foreign_objects_are_404(api, tenant, other_tenant):
    foreign = api(other_tenant.admin)
    assert foreign.call("get", f"/clients/{tenant.client.pk}").status_code == 404
    assert foreign.call("get", f"/sites/{tenant.site.pk}").status_code == 404
    assert foreign.call("patch", f"/clients/{tenant.client.pk}", {"city": "X"}).status_code == 404
    response = foreign.call("post", "/sites", {"client_id": tenant.client.pk, "name": "Intrusion"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "client_id"


def test_forged_membership_id_from_another_provider_is_404(api, tenant, other_tenant):
    response = api(tenant.admin).call("patch", f"/memberships/{other_tenant.technician.pk}", {"role": "provider_admin"})
    assert response.status_code == 404
    other_tenant.technician.refresh_from_db()
    assert other_tenant.technician.role == "technician"


def test_client_manager_sees_only_its_company(api, tenant):
    response = api(tenant.client_manager).call("get", "/clients")
    assert [item["id"] for item in response.json()["items"]] == [tenant.client.pk]
    sites = api(tenant.client_manager).call("get", "/sites").json()["items"]
    assert {site["client_id"] for site in sites} == {tenant.client.pk}


def test_keyset_pagination_walks_every_row_once(api, tenant):
    ClientFactory.create_batch(7, provider=tenant.provider)
    admin = api(tenant.admin)
    seen, cursor = [], None
    while True:
        params = {"limit": 3}
        if cursor:
            params["cursor"] = cursor
        page = admin.call("get", "/clients", **params).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    expected = list(Client.objects.filter(provider=tenant.provider).order_by("pk").values_list("pk", flat=True))
    assert seen == expected


def test_bad_cursor_is_400(api, tenant):
    response = api(tenant.admin).call("get", "/clients", cursor="not-a-cursor")
    assert response.status_code == 400


def test_membership_api_invites_and_changes_role(api, tenant):
    admin = api(tenant.admin)
    created = admin.call(
        "post", "/memberships", {"email": "compta@client.test", "role": "client_user", "client_id": tenant.client.pk}
    )
    assert created.status_code == 201, created.content
    membership_id = created.json()["id"]
    changed = admin.call("patch", f"/memberships/{membership_id}", {"role": "client_manager"})
    assert changed.json()["role"] == "client_manager"
    archived = admin.call("post", f"/memberships/{membership_id}/archive")
    assert archived.json()["is_active"] is False
