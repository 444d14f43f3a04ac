"""Assets (equipment; back office and portal) in the tenant-isolation matrix.

See ``tests/matrix/__init__.py``. A's client has an asset on its site, A's other client another:
every member reads its scope (client roles: their company's); the provider's managers write and
import.
"""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from pacte.assets import services as asset_services
from tests.fixtures import Tenant
from tests.matrix.framework import (
    CLIENT_RECORD_READ,
    FOREIGN,
    OTHER_CLIENT_WORD,
    ApiSpec,
    Call,
    PageSpec,
    Redirect,
    World,
    api_call,
    portal_page,
    provider_page,
)


def asset_form(world: World) -> dict[str, Any]:
    return {"client": world.a.client.pk, "name": "New asset", "kind": "laptop"}


def asset_edit_form(world: World) -> dict[str, Any]:
    return {"name": "Renamed asset", "kind": "laptop"}


def asset_import_form(world: World) -> dict[str, Any]:
    """A CSV file for A's client (its preview is a read: the file waits in the session)."""
    content = "nom;numéro de série;type\r\nImported asset;SN-IMPORT-1;portable\r\n".encode()
    return {"client": world.a.client.pk, "file": SimpleUploadedFile("parc.csv", content, content_type="text/csv")}


PAGES: dict[str, PageSpec] = {
    # Assets (equipment): every member reads its scope; the provider's managers write and import.
    "assets:asset_list": PageSpec(
        get=Call(provider_page(provider=200, other_admin=200)),
        post=Call(provider_page(provider=405, other_admin=405)),
    ),
    "assets:asset_create": PageSpec(
        get=Call(provider_page(managers=200, technician=403, other_admin=200)),
        # B's admin cannot name A's client: the form's choices are B's clients (422).
        post=Call(
            provider_page(managers=Redirect("assets:asset_list", exact=False), technician=403, other_admin=422),
            data=asset_form,
            audits=1,
        ),
    ),
    "assets:asset_detail": PageSpec(
        kwargs={"pk": "asset"},
        get=Call(provider_page(provider=200, other_admin=404)),
        post=Call(provider_page(provider=405, other_admin=405)),
    ),
    "assets:asset_update": PageSpec(
        kwargs={"pk": "asset"},
        get=Call(provider_page(managers=200, technician=403, other_admin=404)),
        post=Call(
            provider_page(managers=Redirect("assets:asset_detail", ("asset",)), technician=403, other_admin=404),
            data=asset_edit_form,
            audits=1,
        ),
    ),
    "assets:asset_archive": PageSpec(
        kwargs={"pk": "asset"},
        get=Call(provider_page(provider=405, other_admin=405)),
        post=Call(provider_page(managers=Redirect("assets:asset_list"), technician=403, other_admin=404), audits=1),
    ),
    "assets:asset_import": PageSpec(
        get=Call(provider_page(managers=200, technician=403, other_admin=200)),
        # The preview writes nothing (the file waits in the session); B's admin cannot name A's client (422).
        post=Call(provider_page(managers=200, technician=403, other_admin=422), data=asset_import_form, audits=0),
    ),
    "assets:asset_import_confirm": PageSpec(
        get=Call(provider_page(managers=405, technician=403, other_admin=405)),
        # Nothing waits in this session: back to the upload page, nothing written.
        post=Call(
            provider_page(
                managers=Redirect("assets:asset_import"), technician=403, other_admin=Redirect("assets:asset_import")
            ),
            audits=0,
        ),
    ),
    "portal:asset_list": PageSpec(get=Call(portal_page(client_side=200)), post=Call(portal_page(client_side=405))),
    "portal:asset_detail": PageSpec(
        kwargs={"pk": "asset"},
        get=Call(portal_page(client_manager=200, client_user=200, other_client_manager=404)),
        post=Call(portal_page(client_side=405)),
    ),
}

API: dict[str, ApiSpec] = {
    # Assets: every member reads its scope (client roles: their company's); the provider's managers write.
    "GET /api/v1/assets": ApiSpec(api_call(members=200)),
    "POST /api/v1/assets": ApiSpec(
        api_call(
            members=403,
            managers=201,
            other_admin=422,
            data=lambda world: {"client_id": world.a.client.pk, "name": "New asset", "kind": "laptop"},
            audits=1,
        )
    ),
    "GET /api/v1/assets/{asset_id}": ApiSpec(api_call(**CLIENT_RECORD_READ, **FOREIGN), {"asset_id": "asset"}),
    "PATCH /api/v1/assets/{asset_id}": ApiSpec(
        api_call(members=403, managers=200, **FOREIGN, data=lambda world: {"make": "Dell"}, audits=1),
        {"asset_id": "asset"},
    ),
    "POST /api/v1/assets/{asset_id}/archive": ApiSpec(
        api_call(members=403, managers=200, **FOREIGN, audits=1), {"asset_id": "asset"}
    ),
}


def _assets(tenant: Tenant, client_word: str, other_word: str) -> dict[str, int]:
    """An asset of the tenant's client (on its site) and one of its other client, with the marker words."""
    asset = asset_services.asset_create(
        actor=tenant.manager,
        client=tenant.client,
        name=f"Poste {client_word.title()}",
        kind="workstation",
        serial=f"SN-{client_word}",
        hostname=f"pc-{client_word}",
        site=tenant.site,
    )
    asset_services.asset_create(
        actor=tenant.manager, client=tenant.other_client, name=f"Poste {other_word.title()}", kind="laptop"
    )
    return {"asset": asset.pk}


def build(tenant: Tenant, provider_word: str, client_word: str) -> dict[str, int]:
    return _assets(tenant, client_word, OTHER_CLIENT_WORD[client_word])
