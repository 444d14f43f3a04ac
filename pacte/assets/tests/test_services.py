"""Asset services and selectors: roles, validation with field keys, audit, scoping, filters."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from pacte.assets import selectors, services
from pacte.assets.models import Asset
from pacte.assets.tests.helpers import make_asset
from pacte.audit.models import AuditEvent
from pacte.core.errors import ConflictError
from pacte.tenancy.models import Contact, Site
from tests.factories import ContactFactory

TODAY = timezone.localdate()


def days(n: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=n)


def test_create_normalises_validates_and_audits(tenant):
    contact = Contact.objects.get(client=tenant.client)
    asset = services.asset_create(
        actor=tenant.admin,
        client=tenant.client,
        kind="laptop",
        name=" Portable direction ",
        serial=" pf4m8zq1 ",
        hostname="PC-Direction.Cabinet.local",
        site=tenant.site,
        user_contact=contact,
        purchase_date=datetime.date(2024, 1, 31),
        warranty_end=datetime.date(2027, 1, 30),
    )
    assert (asset.provider, asset.client, asset.name) == (tenant.provider, tenant.client, "Portable direction")
    assert (asset.serial, asset.hostname) == ("PF4M8ZQ1", "pc-direction.cabinet.local")
    event = AuditEvent.objects.get(action="asset.create")
    assert event.actor_membership == tenant.admin
    assert event.provider == tenant.provider
    assert event.after["serial"] == "PF4M8ZQ1"
    assert event.after["site"] == tenant.site.pk


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"name": ""}, "name", None),
        ({"kind": "toaster"}, "kind", None),
        (
            {"purchase_date": datetime.date(2024, 6, 1), "warranty_end": datetime.date(2024, 5, 31)},
            "warranty_end",
            "La garantie ne peut pas finir avant la date d'achat.",
        ),
        ({"notes": "x" * 5001}, "notes", None),
        ({"colour": "grey"}, "colour", "This field cannot be set here."),
    ],
)
def test_create_refuses_bad_input_and_writes_nothing(tenant, fields, field, message):
    with pytest.raises(ValidationError) as error:
        make_asset(tenant, **fields)
    assert field in error.value.message_dict
    if message:
        assert message in error.value.message_dict[field]
    assert not Asset.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="asset.").exists()


def test_the_site_and_the_user_must_be_the_clients(tenant, other_tenant):
    other_site = Site.objects.filter(client=tenant.other_client).first()
    other_contact = Contact.objects.get(client=tenant.other_client)
    foreign_site = other_tenant.site
    for fields, field in (
        ({"site": other_site}, "site"),
        ({"site": foreign_site}, "site"),
        ({"user_contact": other_contact}, "user_contact"),
    ):
        with pytest.raises(ValidationError) as error:
            make_asset(tenant, **fields)
        assert list(error.value.message_dict) == [field]
    assert not Asset.objects.exists()


def test_a_serial_is_unique_among_the_clients_active_assets(tenant):
    first = make_asset(tenant, serial="ABC1")
    with pytest.raises(ValidationError) as error:
        make_asset(tenant, serial="abc1 ", name="Doublon")
    assert error.value.message_dict == {"serial": ["Un autre équipement de ce client a déjà ce numéro de série."]}
    # Another client of the same provider may have it; so may a replacement once the first is archived.
    assert make_asset(tenant, client=tenant.other_client, serial="ABC1").serial == "ABC1"
    services.asset_archive(actor=tenant.manager, asset=first)
    assert make_asset(tenant, serial="ABC1", name="Remplaçant").pk != first.pk
    # Several assets may have no serial.
    make_asset(tenant, name="Licence 1", kind="licence")
    make_asset(tenant, name="Licence 2", kind="licence")


def test_update_audits_only_the_changed_fields(tenant):
    asset = make_asset(tenant, serial="ABC1", make="Dell")
    services.asset_update(actor=tenant.manager, asset=asset, make="Dell", model="OptiPlex 7010", site=tenant.site)
    event = AuditEvent.objects.get(action="asset.update")
    assert event.before == {"model": "", "site": None}
    assert event.after == {"model": "OptiPlex 7010", "site": tenant.site.pk}
    services.asset_update(actor=tenant.manager, asset=asset, make="Dell")
    assert AuditEvent.objects.filter(action="asset.update").count() == 1  # nothing changed, nothing audited


def test_update_keeps_a_serial_unique(tenant):
    make_asset(tenant, serial="ABC1")
    other = make_asset(tenant, serial="ABC2", name="Autre")
    with pytest.raises(ValidationError) as error:
        services.asset_update(actor=tenant.manager, asset=other, serial="abc1")
    assert list(error.value.message_dict) == ["serial"]
    other.refresh_from_db()
    assert other.serial == "ABC2"


def test_archive_is_idempotent_and_an_archived_asset_is_frozen(tenant):
    asset = make_asset(tenant)
    services.asset_archive(actor=tenant.manager, asset=asset)
    services.asset_archive(actor=tenant.manager, asset=asset)
    assert AuditEvent.objects.filter(action="asset.archive").count() == 1
    asset.refresh_from_db()
    assert asset.is_archived
    with pytest.raises(ConflictError):
        services.asset_update(actor=tenant.manager, asset=asset, name="Renommé")


def test_no_asset_for_an_archived_client(tenant):
    from pacte.tenancy.services import client_archive

    client_archive(actor=tenant.manager, client=tenant.client)
    tenant.client.refresh_from_db()
    with pytest.raises(ConflictError):
        make_asset(tenant)


@pytest.mark.parametrize("role", ["technician", "client_manager", "client_user"])
def test_only_provider_managers_write(tenant, role):
    asset = make_asset(tenant)
    actor = tenant.member(role)
    with pytest.raises(PermissionDenied):
        services.asset_create(actor=actor, client=tenant.client, name="PC", kind="workstation")
    with pytest.raises(PermissionDenied):
        services.asset_update(actor=actor, asset=asset, name="Renommé")
    with pytest.raises(PermissionDenied):
        services.asset_archive(actor=actor, asset=asset)
    asset.refresh_from_db()
    assert asset.name == "PC accueil" and not asset.is_archived


def test_another_providers_manager_cannot_write_to_a_client(tenant, other_tenant):
    with pytest.raises(ValidationError):
        services.asset_create(actor=other_tenant.manager, client=tenant.client, name="PC", kind="workstation")
    asset = make_asset(tenant)
    with pytest.raises(Asset.DoesNotExist):
        services.asset_update(actor=other_tenant.manager, asset=asset, name="Piraté")


# Selectors ----------------------------------------------------------------------------------------


def test_lists_are_scoped_to_the_actor(tenant, other_tenant):
    mine = make_asset(tenant, name="PC client A")
    sibling = make_asset(tenant, client=tenant.other_client, name="PC autre client")
    foreign = make_asset(other_tenant, name="PC autre prestataire")
    for role in ("admin", "manager", "technician"):
        assert set(selectors.asset_list(actor=tenant.member(role))) == {mine, sibling}
    for role in ("client_manager", "client_user"):
        assert list(selectors.asset_list(actor=tenant.member(role))) == [mine]
        assert list(selectors.asset_list(actor=tenant.member(role), client_id=tenant.other_client.pk)) == []
        with pytest.raises(Http404):
            selectors.asset_get(actor=tenant.member(role), pk=sibling.pk)
    assert list(selectors.asset_list(actor=other_tenant.admin)) == [foreign]
    with pytest.raises(Http404):
        selectors.asset_get(actor=other_tenant.admin, pk=mine.pk)
    assert selectors.asset_get(actor=tenant.client_user, pk=mine.pk) == mine


def test_list_filters(tenant):
    expired = make_asset(tenant, name="Pare-feu", kind="network", serial="FW1", warranty_end=days(-1))
    expiring = make_asset(tenant, name="Serveur", kind="server", hostname="SRV-01", warranty_end=days(60))
    valid = make_asset(tenant, name="Portable", kind="laptop", site=tenant.site, warranty_end=days(61))
    unknown = make_asset(tenant, name="Licence", kind="licence", user_name="Marie Dupont")
    archived = make_asset(tenant, name="Ancien PC", serial="OLD1")
    services.asset_archive(actor=tenant.manager, asset=archived)

    def names(**filters):
        return sorted(asset.name for asset in selectors.asset_list(actor=tenant.technician, **filters))

    assert names() == sorted(a.name for a in (expired, expiring, valid, unknown))
    assert names(include_archived=True) == sorted(a.name for a in (expired, expiring, valid, unknown, archived))
    assert names(warranty="expired") == ["Pare-feu"]
    assert names(warranty="expiring") == ["Serveur"]
    assert names(warranty="valid") == ["Portable"]
    assert names(warranty="unknown") == ["Licence"]
    assert names(warranty="bogus") == []
    assert names(kind="server") == ["Serveur"]
    assert names(site_id=tenant.site.pk) == ["Portable"]
    assert names(serial="fw1") == ["Pare-feu"]
    assert names(hostname="srv-01") == ["Serveur"]
    assert names(search="dupont") == ["Licence"]
    assert names(search="srv") == ["Serveur"]
    assert names(search="\x00srv") == ["Serveur"]
    assert names(search="OLD1", include_archived=True) == ["Ancien PC"]


def test_import_context_drops_ambiguous_contact_names(tenant):
    ContactFactory(client=tenant.client, provider=tenant.provider, first_name="Jean", last_name="Martin")
    ContactFactory(client=tenant.client, provider=tenant.provider, first_name="Jean", last_name="Martin")
    unique = ContactFactory(client=tenant.client, provider=tenant.provider, first_name="Léa", last_name="Roux")
    context = selectors.asset_import_context(actor=tenant.manager, client=tenant.client)
    assert "jean martin" not in context.contacts
    assert context.contacts["lea roux"] == unique.pk
    assert context.contacts["roux lea"] == unique.pk
    assert context.contacts[unique.email.lower()] == unique.pk
