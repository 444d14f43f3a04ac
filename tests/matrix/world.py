"""The matrix's world: tenants A and B (``make_tenant``), marker words in every name, each registry's objects.

``build_world`` writes the marker words (``framework.HIDDEN``) into every name and e-mail, then lets
each registry (``tests/matrix/<app>.py``, in ``APP_REGISTRIES`` order) build A's and B's objects; A's
ids are kept by key for the URLs (``World.ref``).
"""

from __future__ import annotations

from pacte.accounts.models import User
from pacte.accounts.services import api_token_create
from pacte.tenancy.models import Client, Contact, Provider, Site
from tests.fixtures import Tenant, make_tenant
from tests.matrix import APP_REGISTRIES
from tests.matrix.framework import A_CLIENT, A_OTHER_CLIENT, A_PROVIDER, B_CLIENT, B_OTHER_CLIENT, B_PROVIDER, World


def _mark(tenant: Tenant, provider_word: str, client_word: str, other_word: str) -> None:
    """Write the marker words into every name and e-mail of the tenant."""
    Provider.objects.filter(pk=tenant.provider.pk).update(name=f"Prestataire {provider_word.title()}")
    for client, word in ((tenant.client, client_word), (tenant.other_client, other_word)):
        Client.objects.filter(pk=client.pk).update(name=f"Client {word.title()}")
        for number, site in enumerate(Site.objects.filter(client=client), start=1):
            Site.objects.filter(pk=site.pk).update(name=f"Site {word.title()} {number}")
        for number, contact in enumerate(Contact.objects.filter(client=client), start=1):
            Contact.objects.filter(pk=contact.pk).update(
                last_name=f"{word.title()}contact{number}", email=f"contact{number}.{word}@client.test"
            )
    for role in ("admin", "manager", "technician", "client_manager", "client_user", "other_client_manager"):
        membership = tenant.member(role)
        word = {None: provider_word, tenant.client.pk: client_word}.get(membership.client_id, other_word)
        User.objects.filter(pk=membership.user_id).update(
            email=f"{role}.{word}@example.test", full_name=f"{role.title()} {word.title()}"
        )
    for obj in (tenant.provider, tenant.client, tenant.other_client, tenant.site):
        obj.refresh_from_db()
    for role in ("admin", "manager", "technician", "client_manager", "client_user", "other_client_manager"):
        tenant.member(role).user.refresh_from_db()


def build_world() -> World:
    tenant, other_tenant = make_tenant("A"), make_tenant("B")
    _mark(tenant, A_PROVIDER, A_CLIENT, A_OTHER_CLIENT)
    _mark(other_tenant, B_PROVIDER, B_CLIENT, B_OTHER_CLIENT)
    admin_token, _secret = api_token_create(actor=tenant.admin, name="admin token")
    world = World(a=tenant, b=other_tenant, contact=Contact.objects.get(client=tenant.client), admin_token=admin_token)
    for registry in APP_REGISTRIES:
        world.extra.update(registry.build(tenant, A_PROVIDER, A_CLIENT))
        registry.build(other_tenant, B_PROVIDER, B_CLIENT)
    return world
