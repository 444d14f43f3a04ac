"""Tenancy services: validation, scoping, audit, and 'bad input loses nothing'."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from pacte.audit.models import AuditEvent
from pacte.core.errors import ConflictError
from pacte.tenancy import services
from pacte.tenancy.models import Client, Contact, Membership, Site


def test_client_create_normalises_identifiers_and_audits(tenant):
    client = services.client_create(
        actor=tenant.manager, name="Garage Dupont", siren="732 829 320", vat_number="fr44 732829320"
    )
    assert client.siren == "732829320"
    assert client.vat_number == "FR44732829320"
    assert client.provider == tenant.provider
    event = AuditEvent.objects.get(action="client.create", object_id=str(client.pk))
    assert event.actor_membership == tenant.manager
    assert event.after["siren"] == "732829320"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"siren": "123456789"}, "siren"),
        ({"siret": "73282932000075"}, "siret"),
        ({"siren": "732829320", "vat_number": "FR83404833048"}, "vat_number"),
        ({"siren": "732829320", "siret": "40483304800022"}, "siret"),
        ({"time_zone": "Europe/Atlantis"}, "time_zone"),
        ({"name": "x" * 151}, "name"),
        ({"holiday_subdivision": "99"}, "holiday_subdivision"),
    ],
)
def test_client_create_rejects_bad_input_and_saves_nothing(tenant, fields, field):
    before_clients, before_events = Client.objects.count(), AuditEvent.objects.count()
    data = {"name": "Garage Dupont", **fields}
    with pytest.raises(ValidationError) as error:
        services.client_create(actor=tenant.manager, **data)
    assert field in error.value.message_dict
    assert Client.objects.count() == before_clients
    assert AuditEvent.objects.count() == before_events


def test_duplicate_siren_within_a_provider_is_refused_but_allowed_across_providers(tenant, other_tenant):
    services.client_create(actor=tenant.manager, name="Premier", siren="732829320")
    with pytest.raises(ValidationError) as error:
        services.client_create(actor=tenant.manager, name="Second", siren="732829320")
    assert "siren" in error.value.message_dict
    other = services.client_create(actor=other_tenant.manager, name="Ailleurs", siren="732829320")
    assert other.provider == other_tenant.provider


def test_client_update_records_only_changed_fields(tenant):
    services.client_update(actor=tenant.admin, client=tenant.client, city="Villeurbanne", name=tenant.client.name)
    event = AuditEvent.objects.get(action="client.update")
    assert event.before == {"city": "Lyon"}
    assert event.after == {"city": "Villeurbanne"}


def test_unchanged_update_writes_no_audit_event(tenant):
    services.client_update(actor=tenant.admin, client=tenant.client, city=tenant.client.city)
    assert not AuditEvent.objects.filter(action="client.update").exists()


def test_unknown_field_is_refused(tenant):
    with pytest.raises(ValidationError) as error:
        services.client_update(actor=tenant.admin, client=tenant.client, provider_id=999)
    assert "provider_id" in error.value.message_dict


@pytest.mark.parametrize("role", ["technician", "client_manager", "client_user"])
def test_roles_that_may_not_manage_clients(tenant, role):
    with pytest.raises(PermissionDenied):
        services.client_create(actor=tenant.member(role), name="Nope")


def test_archived_client_cannot_be_edited_and_archiving_is_idempotent(tenant):
    services.client_archive(actor=tenant.manager, client=tenant.client)
    services.client_archive(actor=tenant.manager, client=tenant.client)
    assert AuditEvent.objects.filter(action="client.archive").count() == 1
    tenant.client.refresh_from_db()
    with pytest.raises(ConflictError):
        services.client_update(actor=tenant.manager, client=tenant.client, city="Paris")


def test_site_defaults_time_zone_and_holidays_from_client(tenant):
    tenant.client.holiday_subdivision = "57"
    tenant.client.time_zone = "Europe/Paris"
    tenant.client.save()
    site = services.site_create(actor=tenant.manager, client=tenant.client, name="Atelier")
    assert site.effective_time_zone == "Europe/Paris"
    assert site.effective_holiday_subdivision == "57"
    reunion = services.site_create(
        actor=tenant.manager,
        client=tenant.client,
        name="Agence Saint-Denis",
        time_zone="Indian/Reunion",
        holiday_subdivision="974",
    )
    assert reunion.effective_time_zone == "Indian/Reunion"
    assert reunion.effective_holiday_subdivision == "974"
    mainland = services.site_create(actor=tenant.manager, client=tenant.client, name="Paris", holiday_subdivision="")
    assert mainland.effective_holiday_subdivision == ""


def test_site_with_unknown_time_zone_is_refused(tenant):
    with pytest.raises(ValidationError) as error:
        services.site_create(actor=tenant.manager, client=tenant.client, name="Nulle part", time_zone="Europe/Nowhere")
    assert "time_zone" in error.value.message_dict
    assert not Site.objects.filter(name="Nulle part").exists()


def test_duplicate_site_name_per_client(tenant):
    with pytest.raises(ValidationError) as error:
        services.site_create(actor=tenant.manager, client=tenant.client, name=tenant.site.name)
    assert "name" in error.value.message_dict


def test_client_manager_manages_own_contacts_only(tenant):
    contact = services.contact_create(actor=tenant.client_manager, client=tenant.client, last_name="Nouveau")
    assert contact.client == tenant.client
    with pytest.raises(PermissionDenied):
        services.contact_create(actor=tenant.client_manager, client=tenant.other_client, last_name="Intrus")
    with pytest.raises(PermissionDenied):
        services.contact_create(actor=tenant.client_user, client=tenant.client, last_name="Utilisateur")


def test_contact_site_of_another_client_is_refused(tenant):
    other_site = Site.objects.filter(client=tenant.other_client).first()
    with pytest.raises(ValidationError) as error:
        services.contact_create(actor=tenant.manager, client=tenant.client, last_name="X", site=other_site)
    assert "site" in error.value.message_dict
    assert not Contact.objects.filter(last_name="X").exists()


def test_membership_create_invites_a_new_user(tenant):
    membership = services.membership_create(
        actor=tenant.admin, email="Nouvelle@Client.test", role="client_user", client=tenant.client
    )
    assert membership.user.email == "nouvelle@client.test"
    assert not membership.user.has_usable_password()


def test_client_manager_gives_only_client_roles_of_own_company(tenant):
    created = services.membership_create(actor=tenant.client_manager, email="collegue@client.test", role="client_user")
    assert created.client == tenant.client
    with pytest.raises(ValidationError):
        services.membership_create(actor=tenant.client_manager, email="x@client.test", role="provider_admin")
    with pytest.raises(ValidationError):
        services.membership_create(
            actor=tenant.client_manager, email="y@client.test", role="client_user", client=tenant.other_client
        )


def test_membership_of_a_foreign_client_is_refused(tenant, other_tenant):
    count = Membership.objects.count()
    with pytest.raises(ValidationError) as error:
        services.membership_create(
            actor=tenant.admin, email="z@client.test", role="client_user", client=other_tenant.client
        )
    assert "client" in error.value.message_dict
    assert Membership.objects.count() == count


def test_role_and_client_must_match(tenant):
    with pytest.raises(ValidationError):
        services.membership_create(actor=tenant.admin, email="a@b.test", role="client_user", client=None)
    with pytest.raises(ValidationError):
        services.membership_create(actor=tenant.admin, email="a@b.test", role="technician", client=tenant.client)


def test_membership_archive_revokes_tokens_and_not_self(tenant, api_token):
    api_token(tenant.technician)
    services.membership_archive(actor=tenant.admin, membership=tenant.technician)
    tenant.technician.refresh_from_db()
    assert tenant.technician.is_active is False
    assert not tenant.technician.api_tokens.filter(revoked_at__isnull=True).exists()
    with pytest.raises(ValidationError):
        services.membership_archive(actor=tenant.admin, membership=tenant.admin)


def test_duplicate_membership_is_refused(tenant):
    with pytest.raises(ValidationError) as error:
        services.membership_create(actor=tenant.admin, email=tenant.technician.user.email, role="provider_manager")
    assert "email" in error.value.message_dict
