"""The audit trail is append-only and records where a change came from."""

import pytest
from django.urls import reverse

from pacte.audit.models import AuditEvent
from pacte.tenancy.models import Client


def test_audit_events_cannot_be_changed_or_deleted(tenant):
    from pacte.tenancy.services import client_update

    client_update(actor=tenant.admin, client=tenant.client, city="Bron")
    event = AuditEvent.objects.get(action="client.update")
    event.action = "forged"
    with pytest.raises(RuntimeError):
        event.save()
    with pytest.raises(RuntimeError):
        event.delete()


def test_web_change_records_ip_and_user_agent(login, tenant):
    http = login(tenant.manager)
    response = http.post(
        reverse("tenancy:client_create"),
        {"name": "Boulangerie Martin", "siren": "732829320", "country": "FR", "time_zone": "Europe/Paris"},
        HTTP_USER_AGENT="Pacte-Test/1.0",
        REMOTE_ADDR="192.0.2.10",
    )
    assert response.status_code == 302
    created = Client.objects.get(name="Boulangerie Martin")
    event = AuditEvent.objects.get(action="client.create", object_id=str(created.pk))
    assert event.ip == "192.0.2.10"
    assert event.user_agent == "Pacte-Test/1.0"
    assert event.actor_user == tenant.manager.user


def test_refused_change_is_not_audited(login, tenant):
    count = AuditEvent.objects.count()
    response = login(tenant.manager).post(
        reverse("tenancy:client_create"),
        {"name": "Mauvais SIREN", "siren": "123456789", "country": "FR", "time_zone": "Europe/Paris"},
    )
    assert response.status_code == 422
    assert AuditEvent.objects.count() == count
    assert not Client.objects.filter(name="Mauvais SIREN").exists()


def test_secrets_are_masked(tenant):
    from pacte.audit.services import snapshot

    tenant.provider.iban = "FR7630006000011234567890189"
    assert snapshot(tenant.provider)["iban"] == "***"
