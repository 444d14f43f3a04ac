"""Clients, sites, contacts and users (back office and portal) in the tenant-isolation matrix.

See ``tests/matrix/__init__.py``. The objects are the ones ``make_tenant`` builds (A's client, its
site and contact, its client user's membership; their ids are ``World.ref``'s own keys). The
provider's managers write clients, sites and contacts, its admins the users; the client's manager
writes its company's in the portal (a client user: 403; the other client's manager: 404).
"""

from __future__ import annotations

from typing import Any

from pacte.tenancy.models import Role
from tests.fixtures import Tenant
from tests.matrix.framework import (
    CLIENT_RECORD_READ,
    FOREIGN,
    ApiSpec,
    Call,
    PageSpec,
    Redirect,
    World,
    api_call,
    portal_page,
    provider_page,
)

NEW_EMAIL = "new.person@example.test"


def client_form(world: World) -> dict[str, Any]:
    return {"name": "Renamed client", "country": "FR", "time_zone": "Europe/Paris", "is_professional": "on"}


def site_form(world: World) -> dict[str, Any]:
    return {"name": "New site name", "country": "FR"}


def contact_form(world: World) -> dict[str, Any]:
    return {"last_name": "Newcontact", "email": "new.contact@example.test"}


def membership_form_portal(world: World) -> dict[str, Any]:
    return {"email": NEW_EMAIL, "role": Role.CLIENT_USER}


def membership_form(world: World) -> dict[str, Any]:
    return {"email": NEW_EMAIL, "role": Role.CLIENT_USER, "client": world.a.client.pk}


def role_form(world: World) -> dict[str, Any]:
    return {"role": Role.CLIENT_MANAGER}


RECORD_WRITE: dict[str, Any] = {
    "managers": 200,
    "technician": 403,
    "client_manager": 200,
    "client_user": 403,
    "other_client_manager": 404,
    "other_admin": 404,
}
MEMBERSHIP_OBJECT: dict[str, Any] = {
    "admin": 200,
    "manager": 403,
    "technician": 403,
    "client_manager": 200,
    "client_user": 403,
    "other_client_manager": 404,
    "other_admin": 404,
}


PAGES: dict[str, PageSpec] = {
    # Back office: clients
    "tenancy:client_list": PageSpec(
        get=Call(provider_page(provider=200, other_admin=200)),
        post=Call(provider_page(provider=405, other_admin=405)),
    ),
    "tenancy:client_create": PageSpec(
        get=Call(provider_page(managers=200, technician=403, other_admin=200)),
        post=Call(
            provider_page(
                managers=Redirect("tenancy:client_list", exact=False),
                technician=403,
                other_admin=Redirect("tenancy:client_list", exact=False),
            ),
            data=client_form,
            audits=1,
        ),
    ),
    "tenancy:client_detail": PageSpec(
        kwargs={"pk": "client"},
        get=Call(provider_page(provider=200, other_admin=404)),
        post=Call(provider_page(provider=405, other_admin=405)),
    ),
    "tenancy:client_update": PageSpec(
        kwargs={"pk": "client"},
        get=Call(provider_page(managers=200, technician=403, other_admin=404)),
        post=Call(
            provider_page(managers=Redirect("tenancy:client_detail", ("client",)), technician=403, other_admin=404),
            data=client_form,
            audits=1,
        ),
    ),
    "tenancy:client_archive": PageSpec(
        kwargs={"pk": "client"},
        get=Call(provider_page(provider=405, other_admin=405)),
        post=Call(provider_page(managers=Redirect("tenancy:client_list"), technician=403, other_admin=404), audits=1),
    ),
    # Back office: sites and contacts of a client
    "tenancy:site_create": PageSpec(
        kwargs={"client_pk": "client"},
        get=Call(provider_page(managers=200, technician=403, other_admin=404)),
        post=Call(
            provider_page(managers=Redirect("tenancy:client_detail", ("client",)), technician=403, other_admin=404),
            data=site_form,
            audits=1,
        ),
    ),
    "tenancy:site_update": PageSpec(
        kwargs={"pk": "site"},
        get=Call(provider_page(managers=200, technician=403, other_admin=404)),
        post=Call(
            provider_page(managers=Redirect("tenancy:client_detail", ("client",)), technician=403, other_admin=404),
            data=site_form,
            audits=1,
        ),
    ),
    "tenancy:site_archive": PageSpec(
        kwargs={"pk": "site"},
        get=Call(provider_page(provider=405, other_admin=405)),
        post=Call(
            provider_page(managers=Redirect("tenancy:client_detail", ("client",)), technician=403, other_admin=404),
            audits=1,
        ),
    ),
    "tenancy:contact_create": PageSpec(
        kwargs={"client_pk": "client"},
        get=Call(provider_page(managers=200, technician=403, other_admin=404)),
        post=Call(
            provider_page(managers=Redirect("tenancy:client_detail", ("client",)), technician=403, other_admin=404),
            data=contact_form,
            audits=1,
        ),
    ),
    "tenancy:contact_update": PageSpec(
        kwargs={"pk": "contact"},
        get=Call(provider_page(managers=200, technician=403, other_admin=404)),
        post=Call(
            provider_page(managers=Redirect("tenancy:client_detail", ("client",)), technician=403, other_admin=404),
            data=contact_form,
            audits=1,
        ),
    ),
    "tenancy:contact_archive": PageSpec(
        kwargs={"pk": "contact"},
        get=Call(provider_page(provider=405, other_admin=405)),
        post=Call(
            provider_page(managers=Redirect("tenancy:client_detail", ("client",)), technician=403, other_admin=404),
            audits=1,
        ),
    ),
    # Back office: users and roles (provider admins only)
    "tenancy:user_list": PageSpec(
        get=Call(provider_page(admin=200, manager=403, technician=403, other_admin=200)),
        post=Call(provider_page(provider=405, other_admin=405)),
    ),
    "tenancy:user_create": PageSpec(
        get=Call(provider_page(admin=200, manager=403, technician=403, other_admin=200)),
        # B's admin cannot even name A's client: the form's choices are B's clients (422).
        post=Call(
            provider_page(admin=Redirect("tenancy:user_list"), manager=403, technician=403, other_admin=422),
            data=membership_form,
            audits=1,
        ),
    ),
    "tenancy:user_update": PageSpec(
        kwargs={"pk": "client_user_membership"},
        get=Call(provider_page(admin=200, manager=403, technician=403, other_admin=404)),
        post=Call(
            provider_page(admin=Redirect("tenancy:user_list"), manager=403, technician=403, other_admin=404),
            data=role_form,
            audits=1,
        ),
    ),
    "tenancy:user_archive": PageSpec(
        kwargs={"pk": "client_user_membership"},
        get=Call(provider_page(provider=405, other_admin=405)),
        post=Call(
            provider_page(admin=Redirect("tenancy:user_list"), manager=403, technician=403, other_admin=404),
            audits=1,
        ),
    ),
    # Client portal
    "portal:home": PageSpec(get=Call(portal_page(client_side=200)), post=Call(portal_page(client_side=405))),
    "portal:company": PageSpec(get=Call(portal_page(client_side=200)), post=Call(portal_page(client_side=405))),
    "portal:site_create": PageSpec(
        get=Call(portal_page(client_manager=200, client_user=403, other_client_manager=200)),
        post=Call(
            portal_page(
                client_manager=Redirect("portal:company"),
                client_user=403,
                other_client_manager=Redirect("portal:company"),
            ),
            data=site_form,
            audits=1,
        ),
    ),
    "portal:site_update": PageSpec(
        kwargs={"pk": "site"},
        get=Call(portal_page(client_manager=200, client_user=403, other_client_manager=404)),
        post=Call(
            portal_page(client_manager=Redirect("portal:company"), client_user=403, other_client_manager=404),
            data=site_form,
            audits=1,
        ),
    ),
    "portal:site_archive": PageSpec(
        kwargs={"pk": "site"},
        get=Call(portal_page(client_side=405)),
        post=Call(
            portal_page(client_manager=Redirect("portal:company"), client_user=403, other_client_manager=404),
            audits=1,
        ),
    ),
    "portal:contact_create": PageSpec(
        get=Call(portal_page(client_manager=200, client_user=403, other_client_manager=200)),
        post=Call(
            portal_page(
                client_manager=Redirect("portal:company"),
                client_user=403,
                other_client_manager=Redirect("portal:company"),
            ),
            data=contact_form,
            audits=1,
        ),
    ),
    "portal:contact_update": PageSpec(
        kwargs={"pk": "contact"},
        get=Call(portal_page(client_manager=200, client_user=403, other_client_manager=404)),
        post=Call(
            portal_page(client_manager=Redirect("portal:company"), client_user=403, other_client_manager=404),
            data=contact_form,
            audits=1,
        ),
    ),
    "portal:contact_archive": PageSpec(
        kwargs={"pk": "contact"},
        get=Call(portal_page(client_side=405)),
        post=Call(
            portal_page(client_manager=Redirect("portal:company"), client_user=403, other_client_manager=404),
            audits=1,
        ),
    ),
    "portal:users": PageSpec(
        get=Call(portal_page(client_manager=200, client_user=403, other_client_manager=200)),
        post=Call(portal_page(client_side=405)),
    ),
    "portal:user_create": PageSpec(
        get=Call(portal_page(client_manager=200, client_user=403, other_client_manager=200)),
        post=Call(
            portal_page(
                client_manager=Redirect("portal:users"),
                client_user=403,
                other_client_manager=Redirect("portal:users"),
            ),
            data=membership_form_portal,
            audits=1,
        ),
    ),
    "portal:user_update": PageSpec(
        kwargs={"pk": "client_user_membership"},
        get=Call(portal_page(client_manager=200, client_user=403, other_client_manager=404)),
        post=Call(
            portal_page(client_manager=Redirect("portal:users"), client_user=403, other_client_manager=404),
            data=role_form,
            audits=1,
        ),
    ),
    "portal:user_archive": PageSpec(
        kwargs={"pk": "client_user_membership"},
        get=Call(portal_page(client_side=405)),
        post=Call(
            portal_page(client_manager=Redirect("portal:users"), client_user=403, other_client_manager=404),
            audits=1,
        ),
    ),
}

API: dict[str, ApiSpec] = {
    "GET /api/v1/clients": ApiSpec(api_call(members=200)),
    "POST /api/v1/clients": ApiSpec(
        api_call(members=403, managers=201, other_admin=201, data=lambda world: {"name": "New client"}, audits=1)
    ),
    "GET /api/v1/clients/{client_id}": ApiSpec(api_call(**CLIENT_RECORD_READ, **FOREIGN), {"client_id": "client"}),
    "PATCH /api/v1/clients/{client_id}": ApiSpec(
        api_call(members=403, managers=200, **FOREIGN, data=lambda world: {"city": "Nantes"}, audits=1),
        {"client_id": "client"},
    ),
    "POST /api/v1/clients/{client_id}/archive": ApiSpec(
        api_call(members=403, managers=200, **FOREIGN, audits=1), {"client_id": "client"}
    ),
    "GET /api/v1/sites": ApiSpec(api_call(members=200)),
    # A client named in a body that the actor cannot see is a 422 on ``client_id``.
    "POST /api/v1/sites": ApiSpec(
        api_call(
            members=403,
            managers=201,
            client_manager=201,
            other_client_manager=422,
            other_admin=422,
            data=lambda world: {"client_id": world.a.client.pk, "name": "New site"},
            audits=1,
        )
    ),
    "GET /api/v1/sites/{site_id}": ApiSpec(api_call(**CLIENT_RECORD_READ, **FOREIGN), {"site_id": "site"}),
    "PATCH /api/v1/sites/{site_id}": ApiSpec(
        api_call(**RECORD_WRITE, data=lambda world: {"city": "Nantes"}, audits=1), {"site_id": "site"}
    ),
    "POST /api/v1/sites/{site_id}/archive": ApiSpec(api_call(**RECORD_WRITE, audits=1), {"site_id": "site"}),
    "GET /api/v1/contacts": ApiSpec(api_call(members=200)),
    "POST /api/v1/contacts": ApiSpec(
        api_call(
            members=403,
            managers=201,
            client_manager=201,
            other_client_manager=422,
            other_admin=422,
            data=lambda world: {"client_id": world.a.client.pk, "last_name": "Newcontact"},
            audits=1,
        )
    ),
    "GET /api/v1/contacts/{contact_id}": ApiSpec(api_call(**CLIENT_RECORD_READ, **FOREIGN), {"contact_id": "contact"}),
    "PATCH /api/v1/contacts/{contact_id}": ApiSpec(
        api_call(**RECORD_WRITE, data=lambda world: {"phone": "01 02 03 04 05"}, audits=1), {"contact_id": "contact"}
    ),
    "POST /api/v1/contacts/{contact_id}/archive": ApiSpec(
        api_call(**RECORD_WRITE, audits=1), {"contact_id": "contact"}
    ),
    "GET /api/v1/memberships": ApiSpec(
        api_call(members=403, admin=200, client_manager=200, other_client_manager=200, other_admin=200)
    ),
    "POST /api/v1/memberships": ApiSpec(
        api_call(
            members=403,
            admin=201,
            client_manager=201,
            other_client_manager=422,
            other_admin=422,
            data=lambda world: {"email": NEW_EMAIL, "role": "client_user", "client_id": world.a.client.pk},
            audits=1,
        )
    ),
    "GET /api/v1/memberships/{membership_id}": ApiSpec(
        api_call(**MEMBERSHIP_OBJECT), {"membership_id": "client_user_membership"}
    ),
    "PATCH /api/v1/memberships/{membership_id}": ApiSpec(
        api_call(**MEMBERSHIP_OBJECT, data=lambda world: {"role": "client_manager"}, audits=1),
        {"membership_id": "client_user_membership"},
    ),
    "POST /api/v1/memberships/{membership_id}/archive": ApiSpec(
        api_call(**MEMBERSHIP_OBJECT, audits=1), {"membership_id": "client_user_membership"}
    ),
}


def build(tenant: Tenant, provider_word: str, client_word: str) -> dict[str, int]:
    return {}
