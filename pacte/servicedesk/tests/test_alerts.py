"""Monitoring alerts (``POST /api/v1/alerts``): open, append on repeat, restore on recovery, a new ticket after
close; the asset by id, serial or host name; unknown and ambiguous assets; token scopes; hostile text."""

from __future__ import annotations

import datetime
import json

import pytest
from django.db import IntegrityError, transaction
from django.test import Client as HttpClient
from django.utils import timezone

from pacte.accounts.services import api_token_create
from pacte.assets.models import Asset
from pacte.mail.models import OutboundMessage
from pacte.servicedesk import alerts, services
from pacte.servicedesk.models import Channel, EventKind, Ticket, TicketMessage
from pacte.servicedesk.tests import helpers
from tests.factories import SiteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def post(api_token):
    tokens: dict[int, str] = {}

    def _post(membership, body, *, secret: str | None = None):
        if secret is None:
            if membership.pk not in tokens:
                tokens[membership.pk] = api_token_create(actor=membership, name="Zabbix", scope="alerts")[1]
            secret = tokens[membership.pk]
        return HttpClient().post(
            "/api/v1/alerts",
            json.dumps(body),
            content_type="application/json",
            headers={"Authorization": f"Bearer {secret}"},
        )

    return _post


@pytest.fixture
def server(tenant):
    return helpers.asset(tenant, "CZJ01ABC", hostname="srv-fichiers")


def alert(asset_ref=None, **overrides):
    body = {
        "source": "zabbix",
        "key": "srv-fichiers:disk:/",
        "severity": "critical",
        "title": "Disque plein sur srv-fichiers",
        "text": "Espace libre : 2 %",
    }
    if asset_ref is not None:
        body["asset"] = asset_ref
    body.update(overrides)
    return body


def test_a_firing_alert_opens_a_ticket(tenant, post, server):
    response = post(tenant.technician, alert({"id": server.pk}))
    assert response.status_code == 201, response.json()
    data = response.json()
    ticket = Ticket.objects.get()
    assert data == {
        "action": "opened",
        "ticket_id": ticket.pk,
        "reference": ticket.reference,
        "ticket": {"id": ticket.pk, "reference": ticket.reference, "status": "new", "priority": "P1"},
    }
    assert (ticket.channel, ticket.client, ticket.site) == (Channel.ALERT, tenant.client, tenant.site)
    assert (ticket.impact, ticket.urgency, ticket.requester) == ("high", "high", None)
    assert (ticket.alert_source, ticket.alert_key) == ("zabbix", "srv-fichiers:disk:/")
    assert list(ticket.assets.all()) == [server]
    assert "Espace libre : 2 %" in ticket.description
    assert list(ticket.events.values_list("kind", flat=True)) == [EventKind.OPENED, "coverage", EventKind.ALERT]
    assert OutboundMessage.objects.count() == 0  # nobody is told of an alert ticket


@pytest.mark.parametrize(
    ("severity", "levels", "priority"),
    [
        ("critical", ("high", "high"), "P1"),
        ("major", ("high", "medium"), "P2"),
        ("minor", ("medium", "medium"), "P3"),
        ("warning", ("medium", "low"), "P4"),
        ("info", ("low", "low"), "P4"),
    ],
)
def test_severity_gives_impact_urgency_and_priority(tenant, post, server, severity, levels, priority):
    assert post(tenant.technician, alert({"id": server.pk}, severity=severity)).status_code == 201
    ticket = Ticket.objects.get()
    assert ((ticket.impact, ticket.urgency), ticket.priority) == (levels, priority)


def test_a_repeated_alert_appends_to_its_open_ticket(tenant, post, server):
    first = post(tenant.technician, alert({"id": server.pk}))
    assert first.status_code == 201
    for _ in range(3):  # the same payload again: idempotent, never a second ticket
        again = post(tenant.technician, alert({"id": server.pk}))
        assert again.status_code == 200
        assert (again.json()["action"], again.json()["ticket_id"]) == ("appended", first.json()["ticket_id"])
    ticket = Ticket.objects.get()
    assert ticket.events.filter(kind=EventKind.ALERT).count() == 4
    notes = TicketMessage.objects.filter(ticket=ticket, visibility="internal")
    assert notes.count() == 3 and all("Espace libre" in note.body for note in notes)
    assert ticket.status == "new"


def test_resolved_marks_the_ticket_restored_then_a_new_firing_after_close_opens_another(tenant, post, server):
    opened = post(tenant.technician, alert({"id": server.pk})).json()
    services.ticket_assign(actor=tenant.manager, ticket=Ticket.objects.get(), assignee=tenant.technician)
    resolved = post(tenant.technician, alert({"id": server.pk}, status="resolved", text="Espace libre : 40 %"))
    assert resolved.status_code == 200
    assert (resolved.json()["action"], resolved.json()["ticket_id"]) == ("restored", opened["ticket_id"])
    ticket = Ticket.objects.get()
    assert (ticket.status, ticket.restored_at is not None) == ("restored", True)
    assert ticket.events.filter(kind=EventKind.RESTORED).count() == 1
    # Restored is still open: a second recovery appends, a new firing appends.
    assert post(tenant.technician, alert({"id": server.pk}, status="resolved")).json()["action"] == "appended"
    assert post(tenant.technician, alert({"id": server.pk})).json()["action"] == "appended"

    services.ticket_status_set(actor=tenant.technician, ticket=ticket, status="closed")
    late = post(tenant.technician, alert({"id": server.pk}, status="resolved"))
    assert (late.status_code, late.json()) == (
        200,
        {"action": "ignored", "ticket_id": None, "reference": None, "ticket": None},
    )
    again = post(tenant.technician, alert({"id": server.pk}))
    assert again.status_code == 201 and again.json()["ticket_id"] != opened["ticket_id"]
    assert Ticket.objects.count() == 2


def test_a_resolved_alert_without_a_ticket_writes_nothing(tenant, post, server):
    response = post(tenant.technician, alert({"id": server.pk}, status="resolved"))
    assert (response.status_code, response.json()["ticket"], response.json()["action"]) == (200, None, "ignored")
    assert Ticket.objects.count() == 0


def test_the_asset_by_serial_in_any_case_and_by_host_name(tenant, post, server):
    by_serial = post(tenant.technician, alert({"serial": " czj01abc "}, key="a"))
    assert by_serial.status_code == 201, by_serial.json()
    by_host = post(tenant.technician, alert({"hostname": "SRV-Fichiers."}, key="b"))
    assert by_host.status_code == 201, by_host.json()
    assert [list(t.assets.all()) for t in Ticket.objects.order_by("pk")] == [[server], [server]]


def test_unknown_ambiguous_and_archived_assets_are_a_422(tenant, other_tenant, post, server):
    foreign = helpers.asset(other_tenant, "FOREIGN-1", hostname="srv-ailleurs")
    site = SiteFactory(client=tenant.other_client, provider=tenant.provider)
    helpers.asset(tenant, "TWIN-2", hostname="srv-fichiers", client=tenant.other_client, site=site)
    archived = helpers.asset(tenant, "OLD-1", hostname="srv-retire")
    Asset.objects.filter(pk=archived.pk).update(archived_at=timezone.now())

    def error(ref, **overrides):
        response = post(tenant.technician, alert(ref, **overrides))
        assert response.status_code == 422, response.json()
        return {e["field"]: e["message"] for e in response.json()["errors"]}

    unknown = ("No active asset", "Aucun équipement actif")  # in the API's language, French or English
    assert error({"id": foreign.pk})["asset"].startswith(unknown)
    assert error({"serial": "FOREIGN-1"})["asset"].startswith(unknown)
    assert error({"hostname": "srv-retire"})["asset"].startswith(unknown)
    assert error({"hostname": "srv-fichiers"})["asset"].startswith(("Several assets", "Plusieurs équipements"))
    assert "asset" in error({"id": server.pk, "serial": "CZJ01ABC"})
    assert "asset" in error({})
    assert "asset" in error(None)  # neither an asset nor a client
    assert "client_id" in error({"id": server.pk}, client_id=tenant.client.pk)
    assert "client_id" in error(None, client_id=other_tenant.client.pk)
    assert "severity" in error({"id": server.pk}, severity="disaster")
    assert "status" in error({"id": server.pk}, status="ok")
    assert "occurred_at" in error({"id": server.pk}, occurred_at="yesterday")
    assert "source" in error({"id": server.pk}, source="")
    assert Ticket.objects.count() == 0


def test_an_alert_on_a_client_without_asset(tenant, post):
    response = post(tenant.technician, alert(None, client_id=tenant.client.pk, severity="warning"))
    assert response.status_code == 201, response.json()
    ticket = Ticket.objects.get()
    assert (ticket.client, ticket.site, ticket.priority) == (tenant.client, None, "P4")


def test_a_key_open_at_another_client_is_a_conflict(tenant, post, server):
    assert post(tenant.technician, alert({"id": server.pk})).status_code == 201
    response = post(tenant.technician, alert(None, client_id=tenant.other_client.pk))
    assert response.status_code == 409
    assert Ticket.objects.count() == 1 and Ticket.objects.get().events.filter(kind=EventKind.ALERT).count() == 1


def test_occurred_at_backdates_the_opening(tenant, post, server):
    at = timezone.now() - datetime.timedelta(minutes=20)
    body = alert({"id": server.pk}, occurred_at=at.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    assert post(tenant.technician, body).status_code == 201
    assert abs((Ticket.objects.get().opened_at - at).total_seconds()) < 1


def test_tokens_client_side_and_scopes(tenant, other_tenant, post, server, api_token):
    for role in ("client_manager", "client_user"):
        response = post(tenant.member(role), alert(None, client_id=tenant.client.pk))
        assert response.status_code == 403, role
        assert set(response.json()) == {"detail", "errors"}
    # A full token of a provider role works too; a revoked or unknown one does not.
    assert post(tenant.manager, alert({"id": server.pk}), secret=api_token(tenant.manager)).status_code == 201
    assert post(tenant.manager, alert({"id": server.pk}), secret="pacte_nope").status_code == 401
    # An alerts token opens nothing else.
    _token, secret = api_token_create(actor=tenant.admin, name="Zabbix", scope="alerts")
    headers = {"Authorization": f"Bearer {secret}"}
    assert HttpClient().get("/api/v1/tickets", headers=headers).status_code == 403
    assert HttpClient().get(f"/api/v1/assets/{server.pk}", headers=headers).status_code == 403
    assert Ticket.objects.count() == 1


def test_hostile_text_is_stored_inert(tenant, post, server):
    hostile = '<script>alert(1)</script><img src=x onerror="steal()"> **gras** [lien](javascript:alert(1))'
    body = alert({"id": server.pk}, title="<b>Alerte</b> <script>x()</script>", text=hostile)
    assert post(tenant.technician, body).status_code == 201
    assert post(tenant.technician, body).status_code == 200
    ticket = Ticket.objects.get()
    for html in (ticket.description, TicketMessage.objects.get(ticket=ticket).body):
        assert "<script" not in html and "<img" not in html and "<strong>" not in html and "<a " not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert ticket.title == "<b>Alerte</b> <script>x()</script>"  # plain text, escaped wherever it is shown


def test_two_alerts_racing_open_one_ticket(tenant, server, monkeypatch):
    """The loser of the race (it read "no open ticket" before the winner committed) appends instead."""
    winner = alerts.alert_receive(
        actor=tenant.technician, source="zabbix", key="k", severity="major", asset_ref={"id": server.pk}, title="A"
    )
    real = alerts._open_ticket
    calls = []

    def stale_first_read(provider_id, source, key):
        calls.append(key)
        return None if len(calls) == 1 else real(provider_id, source, key)

    monkeypatch.setattr(alerts, "_open_ticket", stale_first_read)
    loser = alerts.alert_receive(
        actor=tenant.technician, source="zabbix", key="k", severity="major", asset_ref={"id": server.pk}, title="A"
    )
    assert (loser.action, loser.ticket) == ("appended", winner.ticket)
    assert Ticket.objects.count() == 1


def test_the_constraint_refuses_a_second_open_ticket_per_key(tenant):
    helpers.ticket(tenant, alert_source="zabbix", alert_key="k")
    with pytest.raises(IntegrityError), transaction.atomic():
        helpers.ticket(tenant, alert_source="zabbix", alert_key="k")
