"""The assets API: list with filters, create, get, patch, archive; roles and scopes."""

from __future__ import annotations

import datetime
import json

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from pacte.assets.models import Asset
from pacte.assets.tests.helpers import make_asset
from pacte.audit.models import AuditEvent
from pacte.tenancy.models import Contact, Site

TODAY = timezone.localdate()


@pytest.fixture
def call(api_token):
    def _call(membership, method, path, body=None, **params):
        http = HttpClient()
        headers = {"Authorization": f"Bearer {api_token(membership)}"}
        if method == "GET":
            return http.get(f"/api/v1{path}", params, headers=headers)
        data = json.dumps(body) if body is not None else ""
        return http.generic(method, f"/api/v1{path}", data, content_type="application/json", headers=headers)

    return _call


def test_create_get_patch_and_archive(tenant, call):
    contact = Contact.objects.get(client=tenant.client)
    body = {
        "client_id": tenant.client.pk,
        "site_id": tenant.site.pk,
        "user_contact_id": contact.pk,
        "kind": "server",
        "name": "Serveur de fichiers",
        "make": "HPE",
        "model": "ProLiant ML30",
        "serial": " czj0123 ",
        "hostname": "SRV-Fichiers",
        "purchase_date": "2023-09-02",
        "warranty_end": (TODAY + datetime.timedelta(days=30)).isoformat(),
    }
    response = call(tenant.manager, "POST", "/assets", body)
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["serial"] == "CZJ0123"
    assert created["hostname"] == "srv-fichiers"
    assert created["warranty_state"] == "expiring"
    assert (created["site_id"], created["user_contact_id"]) == (tenant.site.pk, contact.pk)
    asset_id = created["id"]

    response = call(tenant.client_user, "GET", f"/assets/{asset_id}")
    assert response.status_code == 200
    assert response.json()["name"] == "Serveur de fichiers"

    response = call(tenant.admin, "PATCH", f"/assets/{asset_id}", {"site_id": None, "warranty_end": None, "make": None})
    assert response.status_code == 200, response.json()
    patched = response.json()
    assert (patched["site_id"], patched["warranty_end"], patched["make"]) == (None, None, "HPE")
    assert patched["warranty_state"] == "unknown"
    assert AuditEvent.objects.get(action="asset.update").after == {"site": None, "warranty_end": None}

    response = call(tenant.manager, "POST", f"/assets/{asset_id}/archive")
    assert response.status_code == 200
    assert response.json()["archived_at"] is not None
    assert call(tenant.manager, "PATCH", f"/assets/{asset_id}", {"name": "X"}).status_code == 409


def test_list_filters_find_an_asset_by_serial_or_host_name(tenant, other_tenant, call):
    server = make_asset(tenant, name="Serveur", kind="server", serial="CZJ01", hostname="srv-01")
    laptop = make_asset(
        tenant, name="Portable", kind="laptop", site=tenant.site, warranty_end=TODAY - datetime.timedelta(days=1)
    )
    sibling = make_asset(tenant, client=tenant.other_client, name="Autre", serial="CZJ02")
    make_asset(other_tenant, name="Étranger", serial="CZJ01", hostname="srv-01")

    def ids(actor, **params):
        response = call(actor, "GET", "/assets", **params)
        assert response.status_code == 200, response.json()
        return [item["id"] for item in response.json()["items"]]

    assert ids(tenant.technician) == [server.pk, laptop.pk, sibling.pk]
    assert ids(tenant.technician, serial="czj01") == [server.pk]
    assert ids(tenant.technician, hostname="SRV-01") == [server.pk]
    assert ids(tenant.technician, client_id=tenant.client.pk) == [server.pk, laptop.pk]
    assert ids(tenant.technician, site_id=tenant.site.pk) == [laptop.pk]
    assert ids(tenant.technician, kind="server") == [server.pk]
    assert ids(tenant.technician, warranty="expired") == [laptop.pk]
    assert ids(tenant.technician, search="czj") == [server.pk, sibling.pk]
    assert ids(tenant.client_user) == [server.pk, laptop.pk]
    assert ids(tenant.client_user, client_id=tenant.other_client.pk) == []
    assert ids(other_tenant.admin, serial="CZJ01") != [server.pk]
    assert call(tenant.technician, "GET", "/assets", kind="toaster").status_code == 422


def test_pagination_is_keyset(tenant, call):
    created = [make_asset(tenant, name=f"PC {n}").pk for n in range(5)]
    first = call(tenant.manager, "GET", "/assets", limit=3).json()
    second = call(tenant.manager, "GET", "/assets", limit=3, cursor=first["next_cursor"]).json()
    assert [item["id"] for item in first["items"] + second["items"]] == created
    assert second["next_cursor"] is None


@pytest.mark.parametrize("role", ["technician", "client_manager", "client_user"])
def test_roles_that_only_read_get_403(tenant, call, role):
    asset = make_asset(tenant)
    actor = tenant.member(role)
    body = {"client_id": tenant.client.pk, "name": "PC"}
    assert call(actor, "POST", "/assets", body).status_code == 403
    assert call(actor, "PATCH", f"/assets/{asset.pk}", {"name": "X"}).status_code == 403
    assert call(actor, "POST", f"/assets/{asset.pk}/archive").status_code == 403
    assert Asset.objects.get().name == "PC accueil"


def test_foreign_objects(tenant, other_tenant, call):
    asset = make_asset(tenant)
    other_site = Site.objects.filter(client=tenant.other_client).first()
    other_contact = Contact.objects.get(client=tenant.other_client)
    for actor in (other_tenant.admin, tenant.other_client_manager):
        assert call(actor, "GET", f"/assets/{asset.pk}").status_code == 404
    assert call(other_tenant.admin, "PATCH", f"/assets/{asset.pk}", {"name": "X"}).status_code == 404
    assert call(other_tenant.admin, "POST", f"/assets/{asset.pk}/archive").status_code == 404

    def errors(response):
        assert response.status_code == 422, response.json()
        return [error["field"] for error in response.json()["errors"]]

    assert errors(call(other_tenant.admin, "POST", "/assets", {"client_id": tenant.client.pk, "name": "PC"})) == [
        "client_id"
    ]
    body = {"client_id": tenant.client.pk, "name": "PC", "site_id": other_site.pk}
    assert errors(call(tenant.manager, "POST", "/assets", body)) == ["site_id"]
    body = {"client_id": tenant.client.pk, "name": "PC", "user_contact_id": other_contact.pk}
    assert errors(call(tenant.manager, "POST", "/assets", body)) == ["user_contact_id"]
    assert errors(call(tenant.manager, "PATCH", f"/assets/{asset.pk}", {"site_id": other_site.pk})) == ["site_id"]
    assert Asset.objects.count() == 1


def test_validation_errors_carry_their_field(tenant, call):
    make_asset(tenant, serial="ABC1")

    def errors(body):
        response = call(tenant.manager, "POST", "/assets", {"client_id": tenant.client.pk, "name": "PC", **body})
        assert response.status_code == 422, response.json()
        return [error["field"] for error in response.json()["errors"]]

    assert errors({"serial": "abc1"}) == ["serial"]
    assert errors({"purchase_date": "2024-06-01", "warranty_end": "2024-05-31"}) == ["warranty_end"]
    assert errors({"purchase_date": "01/06/2024"}) == ["purchase_date"]
    assert errors({"kind": "toaster"}) == ["kind"]
    assert errors({"colour": "grey"}) == ["colour"]
    assert errors({"name": ""}) == ["name"]
    assert Asset.objects.count() == 1
