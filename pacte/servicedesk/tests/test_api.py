"""The tickets API: every operation's success, validation (422), foreign objects (404), closed tickets (409),
the client roles' scope (403 / 404), keyset pagination, downloads' headers, and query caps on the lists."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client as HttpClient

from pacte.audit.models import AuditEvent
from pacte.servicedesk import messaging, services
from pacte.servicedesk.models import Team, Ticket, TicketAttachment
from pacte.servicedesk.tests import helpers
from pacte.tenancy.models import Contact, Site
from tests.mailcorpus import fake_exe, hostile_svg, tiny_png

pytestmark = pytest.mark.django_db
UTC_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")


@pytest.fixture
def call(api_token):
    tokens: dict[int, str] = {}

    def _call(membership, method, path, body=None, **params):
        if membership.pk not in tokens:
            tokens[membership.pk] = api_token(membership)
        http = HttpClient()
        headers = {"Authorization": f"Bearer {tokens[membership.pk]}"}
        if method == "GET":
            return http.get(f"/api/v1{path}", params, headers=headers)
        if method == "UPLOAD":
            return http.post(f"/api/v1{path}", body, headers=headers)
        data = json.dumps(body) if body is not None else ""
        return http.generic(method, f"/api/v1{path}", data, content_type="application/json", headers=headers)

    return _call


def fields(response) -> list[str]:
    assert response.status_code == 422, response.content
    payload = response.json()
    assert set(payload) == {"detail", "errors"}
    return sorted(error["field"] for error in payload["errors"])


def upload(name: str, content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


# Open, read, change ------------------------------------------------------------------------------------


def test_open_a_ticket_with_its_coverage_and_sla(tenant, call):
    level = helpers.service_level(tenant)
    printer = helpers.asset(tenant, "PRN-1")
    helpers.category(tenant, "impression", "Impression")
    contract = helpers.contract_in_force(tenant, service_level=level.pk)
    contact = Contact.objects.get(client=tenant.client)
    body = {
        "client_id": tenant.client.pk,
        "title": "  L'imprimante   n'imprime plus ",
        "description": "Bourrage **papier**",
        "description_format": "markdown",
        "asset_ids": [printer.pk],
        "category": "impression",
        "impact": "high",
        "urgency": "high",
        "requester_id": contact.pk,
    }
    response = call(tenant.technician, "POST", "/tickets", body)
    assert response.status_code == 201, response.json()
    data = response.json()
    ticket = Ticket.objects.get(pk=data["id"])
    assert data["reference"] == ticket.reference and data["reference"].startswith("T-")
    assert data["title"] == "L'imprimante n'imprime plus"
    assert "<strong>papier</strong>" in data["description"]
    assert (data["channel"], data["priority"], data["status"]) == ("api", "P1", "new")
    assert data["asset_ids"] == [printer.pk]
    assert data["site_id"] == tenant.site.pk  # the single asset's site
    assert (data["category"], data["requester_id"]) == ("impression", contact.pk)
    assert (data["coverage"], data["billing"]) == ("covered", "included")
    assert data["contract"] == {"id": contract.pk, "reference": contract.reference}
    assert data["sla"]["service_level_id"] == level.pk
    assert data["sla"]["state"] in ("on_track", "at_risk")
    assert data["sla"]["response_due"] is not None and data["sla"]["next_due"] is not None
    for name in ("opened_at", "last_activity_at", "created_at", "updated_at"):
        assert UTC_INSTANT.match(data[name]), data[name]
    assert UTC_INSTANT.match(data["sla"]["next_due"])
    assert AuditEvent.objects.filter(action="ticket.open").count() == 1
    assert call(tenant.client_manager, "GET", f"/tickets/{ticket.pk}").json()["reference"] == ticket.reference


def test_a_ticket_without_contract_says_so(tenant, call):
    response = call(tenant.client_user, "POST", "/tickets", {"client_id": tenant.client.pk, "title": "Wi-Fi"})
    assert response.status_code == 201
    data = response.json()
    assert (data["coverage"], data["contract"], data["sla"]["state"]) == ("no_contract", None, "none")
    assert data["sla"]["next_due"] is None


def test_open_validation_is_a_422_on_the_field(tenant, other_tenant, call):
    other_site = Site.objects.filter(client=tenant.other_client).get()
    other_asset = helpers.asset(tenant, "OTHER-1", client=tenant.other_client, site=other_site)
    other_contact = Contact.objects.get(client=tenant.other_client)
    helpers.category(other_tenant, "reseau")
    base = {"client_id": tenant.client.pk, "title": "Panne"}
    cases = [
        ({"client_id": tenant.client.pk}, ["title"]),
        ({**base, "title": "   "}, ["title"]),
        ({**base, "title": "x" * 201}, ["title"]),
        ({**base, "client_id": other_tenant.client.pk}, ["client_id"]),
        ({**base, "site_id": other_site.pk}, ["site_id"]),
        ({**base, "asset_ids": [other_asset.pk]}, ["asset_ids"]),
        ({**base, "category": "reseau"}, ["category"]),
        ({**base, "requester_id": other_contact.pk}, ["requester_id"]),
        ({**base, "description_format": "rtf"}, ["description_format"]),
        ({**base, "impact": "critical"}, ["impact"]),
        ({**base, "channel": "phone"}, ["channel"]),
        ({**base, "client_id": str(tenant.client.pk)}, ["client_id"]),
    ]
    for body, expected in cases:
        assert fields(call(tenant.manager, "POST", "/tickets", body)) == expected, body
    # A client role names only its own company.
    other = {"client_id": tenant.other_client.pk, "title": "Panne"}
    assert fields(call(tenant.client_manager, "POST", "/tickets", other)) == ["client_id"]
    assert Ticket.objects.count() == 0


def test_patch_changes_details_and_priority(tenant, call):
    ticket = helpers.ticket(tenant)
    printer = helpers.asset(tenant, "PRN-1")
    helpers.category(tenant, "poste")
    contact = Contact.objects.get(client=tenant.client)
    body = {
        "title": "Imprimante du 2e",
        "impact": "high",
        "urgency": "medium",
        "asset_ids": [printer.pk],
        "category": "poste",
        "requester_id": contact.pk,
    }
    response = call(tenant.technician, "PATCH", f"/tickets/{ticket.pk}", body)
    assert response.status_code == 200, response.json()
    data = response.json()
    assert (data["title"], data["priority"], data["asset_ids"]) == ("Imprimante du 2e", "P2", [printer.pk])
    assert (data["category"], data["requester_id"]) == ("poste", contact.pk)
    cleared = call(tenant.technician, "PATCH", f"/tickets/{ticket.pk}", {"category": None, "requester_id": None})
    assert (cleared.json()["category"], cleared.json()["requester_id"]) == (None, None)
    assert cleared.json()["title"] == "Imprimante du 2e"  # left out: unchanged
    assert fields(call(tenant.technician, "PATCH", f"/tickets/{ticket.pk}", {"title": ""})) == ["title"]
    assert fields(call(tenant.technician, "PATCH", f"/tickets/{ticket.pk}", {"site_id": 10**9})) == ["site_id"]
    assert fields(call(tenant.technician, "PATCH", f"/tickets/{ticket.pk}", {"status": "closed"})) == ["status"]
    kinds = list(ticket.events.values_list("kind", flat=True))
    assert "changed" in kinds and "priority_changed" in kinds


# Workflow and assignment ------------------------------------------------------------------------------


def test_status_moves_and_the_workflow_conflicts(tenant, call):
    helpers.contract_in_force(tenant, service_level=helpers.service_level(tenant).pk)
    ticket = helpers.ticket(tenant)
    url = f"/tickets/{ticket.pk}/status"
    response = call(tenant.technician, "POST", url, {"status": "waiting_client", "comment": "Photo ?"})
    assert response.status_code == 200
    sla = response.json()["sla"]
    assert (response.json()["status"], sla["state"], sla["paused_reason"]) == (
        "waiting_client",
        "paused",
        "waiting_client",
    )
    assert call(tenant.technician, "POST", url, {"status": "new"}).status_code == 409
    assert fields(call(tenant.technician, "POST", url, {"status": "done"})) == ["status"]
    assert fields(call(tenant.technician, "POST", url, {"status": "resolved", "comment": "x" * 501})) == ["comment"]
    assert call(tenant.technician, "POST", url, {"status": "resolved"}).json()["status"] == "resolved"
    resolved = call(tenant.technician, "GET", f"/tickets/{ticket.pk}").json()
    assert UTC_INSTANT.match(resolved["resolved_at"])


def test_client_roles_only_reopen_or_close_a_resolved_ticket(tenant, call):
    ticket = helpers.ticket(tenant, actor=tenant.client_user)
    url = f"/tickets/{ticket.pk}/status"
    assert call(tenant.client_user, "POST", url, {"status": "in_progress"}).status_code == 403
    services.ticket_status_set(actor=tenant.technician, ticket=ticket, status="resolved")
    assert call(tenant.client_user, "POST", url, {"status": "reopened"}).json()["status"] == "reopened"
    services.ticket_status_set(actor=tenant.technician, ticket=ticket, status="resolved")
    assert call(tenant.client_manager, "POST", url, {"status": "closed"}).json()["status"] == "closed"


def test_assign_to_a_technician_and_a_team(tenant, other_tenant, call):
    ticket = helpers.ticket(tenant)
    team = Team.objects.create(provider=tenant.provider, name="Réseau")
    url = f"/tickets/{ticket.pk}/assign"
    response = call(tenant.manager, "POST", url, {"assignee_id": tenant.technician.pk, "team_id": team.pk})
    assert response.status_code == 200, response.json()
    data = response.json()
    assert (data["assignee_id"], data["team_id"], data["status"]) == (tenant.technician.pk, team.pk, "assigned")
    kept = call(tenant.manager, "POST", url, {"assignee_id": None}).json()  # team left out: kept
    assert (kept["assignee_id"], kept["team_id"]) == (None, team.pk)
    assert fields(call(tenant.manager, "POST", url, {"assignee_id": tenant.client_user.pk})) == ["assignee_id"]
    assert fields(call(tenant.manager, "POST", url, {"assignee_id": other_tenant.technician.pk})) == ["assignee_id"]
    assert fields(call(tenant.manager, "POST", url, {"team_id": 10**9})) == ["team_id"]
    assert call(tenant.client_manager, "POST", url, {"assignee_id": tenant.technician.pk}).status_code == 403


# Timeline, messages, files ----------------------------------------------------------------------------


def test_timeline_hides_internal_lines_from_the_client(tenant, call):
    ticket = helpers.ticket(tenant, actor=tenant.client_user)
    services.ticket_assign(actor=tenant.manager, ticket=ticket, assignee=tenant.technician)
    messaging.message_add(actor=tenant.technician, ticket=ticket, body="Vu", visibility="internal")
    staff = call(tenant.technician, "GET", f"/tickets/{ticket.pk}/events").json()
    assert [event["kind"] for event in staff][:1] == ["opened"]
    assert {"assigned", "note"} <= {event["kind"] for event in staff}
    assert all(UTC_INSTANT.match(event["at"]) for event in staff)
    assigned = next(event for event in staff if event["kind"] == "assigned")
    assert assigned["actor_id"] == tenant.manager.pk and assigned["actor_name"]
    client = call(tenant.client_user, "GET", f"/tickets/{ticket.pk}/events").json()
    assert {event["kind"] for event in client} <= {"opened", "message", "status", "attachment", "quote"}
    assert "note" not in {event["kind"] for event in client}


def test_messages_public_and_internal(tenant, call):
    ticket = helpers.ticket(tenant, actor=tenant.client_user)
    url = f"/tickets/{ticket.pk}/messages"
    response = call(
        tenant.technician, "POST", url, {"body": "<b>Bonjour</b> <script>x()</script>", "body_format": "html"}
    )
    assert response.status_code == 201, response.json()
    assert "<script" not in response.json()["body"] and "<b>Bonjour</b>" in response.json()["body"]
    assert response.json()["author_id"] == tenant.technician.pk
    note = call(tenant.technician, "POST", url, {"body": "Client difficile", "visibility": "internal"})
    assert note.status_code == 201
    reply = call(tenant.client_user, "POST", url, {"body": "Merci <3"})
    assert reply.status_code == 201 and "Merci &lt;3" in reply.json()["body"]
    staff = call(tenant.technician, "GET", url).json()
    assert [m["visibility"] for m in staff] == ["public", "internal", "public"]
    client = call(tenant.client_user, "GET", url).json()
    assert [m["visibility"] for m in client] == ["public", "public"]
    assert "Client difficile" not in json.dumps(client)
    assert call(tenant.client_user, "POST", url, {"body": "x", "visibility": "internal"}).status_code == 403
    assert fields(call(tenant.client_user, "POST", url, {"body": "   "})) == ["body"]
    assert fields(call(tenant.client_user, "POST", url, {"body": "x", "visibility": "secret"})) == ["visibility"]
    assert Ticket.objects.get(pk=ticket.pk).first_response_at is not None


def test_files_upload_list_and_download(tenant, call):
    ticket = helpers.ticket(tenant, actor=tenant.client_user)
    url = f"/tickets/{ticket.pk}/attachments"
    png = call(tenant.client_user, "UPLOAD", url, {"file": upload("capture.png", tiny_png())})
    assert png.status_code == 201, png.json()
    assert (png.json()["filename"], png.json()["content_type"], png.json()["internal"]) == (
        "capture.png",
        "image/png",
        False,
    )
    internal = call(
        tenant.technician, "UPLOAD", url, {"file": upload("notes.txt", b"mot de passe"), "internal": "true"}
    )
    assert internal.status_code == 201 and internal.json()["internal"] is True
    svg = call(tenant.technician, "UPLOAD", url, {"file": upload("logo.svg", hostile_svg())})
    assert svg.status_code == 201
    assert [a["id"] for a in call(tenant.technician, "GET", url).json()] == [
        png.json()["id"],
        internal.json()["id"],
        svg.json()["id"],
    ]
    assert [a["id"] for a in call(tenant.client_user, "GET", url).json()] == [png.json()["id"], svg.json()["id"]]

    download = call(tenant.client_user, "GET", f"/attachments/{png.json()['id']}/content")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == tiny_png()
    assert download["Content-Type"] == "image/png"
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff"
    markup = call(tenant.client_user, "GET", f"/attachments/{svg.json()['id']}/content")
    assert markup["Content-Type"] == "application/octet-stream"
    assert call(tenant.client_user, "GET", f"/attachments/{internal.json()['id']}/content").status_code == 404
    assert call(tenant.technician, "GET", f"/attachments/{internal.json()['id']}/content").status_code == 200

    assert fields(call(tenant.technician, "UPLOAD", url, {"file": upload("setup.exe", fake_exe())})) == ["file"]
    assert fields(call(tenant.technician, "UPLOAD", url, {})) == ["file"]
    assert fields(call(tenant.technician, "UPLOAD", url, {"file": upload("a.txt", b"a"), "internal": "yes"})) == [
        "internal"
    ]
    hidden = {"file": upload("a.txt", b"a"), "internal": "true"}
    assert call(tenant.client_user, "UPLOAD", url, hidden).status_code == 403
    assert TicketAttachment.objects.count() == 3


def test_a_file_stored_as_html_is_never_served_as_html(tenant, call):
    """Even a row whose stored type is markup (older sniffing, a bug) goes out as bytes."""
    ticket = helpers.ticket(tenant)
    attachment = messaging.attachment_add(actor=tenant.technician, ticket=ticket, filename="a.txt", data=b"hello")
    TicketAttachment.objects.filter(pk=attachment.pk).update(content_type="text/html")
    response = call(tenant.technician, "GET", f"/attachments/{attachment.pk}/content")
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == "attachment; filename=\"a.txt\"; filename*=UTF-8''a.txt"


# Scope: foreign is 404, a closed ticket is 409 ----------------------------------------------------------


def test_foreign_tickets_are_404_everywhere(tenant, other_tenant, call):
    ticket = helpers.ticket(tenant)
    attachment = messaging.attachment_add(actor=tenant.technician, ticket=ticket, filename="a.txt", data=b"a")
    requests = [
        ("GET", f"/tickets/{ticket.pk}", None),
        ("PATCH", f"/tickets/{ticket.pk}", {"title": "X"}),
        ("POST", f"/tickets/{ticket.pk}/status", {"status": "in_progress"}),
        ("POST", f"/tickets/{ticket.pk}/assign", {"assignee_id": None}),
        ("GET", f"/tickets/{ticket.pk}/events", None),
        ("GET", f"/tickets/{ticket.pk}/messages", None),
        ("POST", f"/tickets/{ticket.pk}/messages", {"body": "x"}),
        ("GET", f"/tickets/{ticket.pk}/attachments", None),
        ("GET", f"/attachments/{attachment.pk}/content", None),
    ]
    # Another provider, the other client's manager, and a client user who did not ask for it.
    for actor in (other_tenant.admin, tenant.other_client_manager, tenant.client_user):
        for method, path, body in requests:
            assert call(actor, method, path, body).status_code == 404, (actor.role, method, path)
        assert (
            call(actor, "UPLOAD", f"/tickets/{ticket.pk}/attachments", {"file": upload("a.txt", b"a")}).status_code
            == 404
        )
    assert call(tenant.admin, "GET", "/tickets/999999999").status_code == 404
    assert Ticket.objects.get(pk=ticket.pk).title == "Imprimante en panne"


def test_a_closed_ticket_takes_no_change(tenant, call):
    ticket = helpers.ticket(tenant)
    services.ticket_status_set(actor=tenant.technician, ticket=ticket, status="closed")
    assert call(tenant.technician, "GET", f"/tickets/{ticket.pk}").status_code == 200  # (creates the token)
    before = AuditEvent.objects.count()
    requests = [
        ("PATCH", f"/tickets/{ticket.pk}", {"title": "X"}),
        ("POST", f"/tickets/{ticket.pk}/status", {"status": "in_progress"}),
        ("POST", f"/tickets/{ticket.pk}/assign", {"assignee_id": tenant.technician.pk}),
        ("POST", f"/tickets/{ticket.pk}/messages", {"body": "Encore ?"}),
        ("UPLOAD", f"/tickets/{ticket.pk}/attachments", {"file": upload("a.txt", b"a")}),
    ]
    for method, path, body in requests:
        response = call(tenant.technician, method, path, body)
        assert response.status_code == 409, (method, path, response.content)
        assert set(response.json()) == {"detail", "errors"}
    assert AuditEvent.objects.count() == before
    assert call(tenant.technician, "GET", f"/tickets/{ticket.pk}").json()["status"] == "closed"


def test_client_roles_may_not_change_details(tenant, call):
    ticket = helpers.ticket(tenant, actor=tenant.client_user)
    for actor in (tenant.client_user, tenant.client_manager):
        assert call(actor, "PATCH", f"/tickets/{ticket.pk}", {"title": "X"}).status_code == 403
        assert call(actor, "POST", f"/tickets/{ticket.pk}/assign", {"assignee_id": None}).status_code == 403


# The list: scope, filters, pagination, queries ----------------------------------------------------------


def ids(call, actor, **params) -> list[int]:
    response = call(actor, "GET", "/tickets", **params)
    assert response.status_code == 200, response.json()
    return [item["id"] for item in response.json()["items"]]


def test_list_scope_and_filters(tenant, other_tenant, call):
    mine = helpers.ticket(tenant, actor=tenant.client_user, title="Écran noir")
    colleague = helpers.ticket(
        tenant, actor=tenant.client_manager, title="Messagerie lente", impact="high", urgency="high"
    )
    other_client = helpers.ticket(tenant, client=tenant.other_client, title="VPN")
    foreign = helpers.ticket(other_tenant, title="Écran noir")
    services.ticket_assign(actor=tenant.manager, ticket=colleague, assignee=tenant.technician)
    services.ticket_status_set(actor=tenant.technician, ticket=other_client, status="resolved")

    assert ids(call, tenant.technician) == [mine.pk, colleague.pk, other_client.pk]
    assert ids(call, tenant.client_manager) == [mine.pk, colleague.pk]
    assert ids(call, tenant.client_user) == [mine.pk]
    assert ids(call, tenant.other_client_manager) == [other_client.pk]
    assert ids(call, other_tenant.admin) == [foreign.pk]

    assert ids(call, tenant.technician, status="open") == [mine.pk, colleague.pk]
    assert ids(call, tenant.technician, status="resolved") == [other_client.pk]
    assert ids(call, tenant.technician, priority="P1") == [colleague.pk]
    assert ids(call, tenant.technician, client_id=tenant.other_client.pk) == [other_client.pk]
    assert ids(call, tenant.technician, assignee_id=tenant.technician.pk) == [colleague.pk]
    assert ids(call, tenant.technician, assignee_id=0) == [mine.pk, other_client.pk]
    assert ids(call, tenant.technician, sla="none") == [mine.pk, colleague.pk, other_client.pk]
    assert ids(call, tenant.technician, sla="risk") == []
    assert ids(call, tenant.technician, q="noir") == [mine.pk]
    assert ids(call, tenant.technician, q=colleague.reference) == [colleague.pk]
    assert ids(call, other_tenant.admin, q=mine.reference) == [foreign.pk]  # references are per provider
    assert ids(call, tenant.client_user, client_id=tenant.other_client.pk) == []
    for bad in ({"status": "done"}, {"priority": "P9"}, {"sla": "late"}, {"limit": 0}, {"assignee_id": -1}):
        assert call(tenant.technician, "GET", "/tickets", **bad).status_code == 422, bad
    assert call(tenant.technician, "GET", "/tickets", cursor="garbage").status_code == 400


def test_pagination_is_keyset(tenant, call):
    created = [helpers.ticket(tenant, title=f"Panne {n}").pk for n in range(5)]
    first = call(tenant.manager, "GET", "/tickets", limit=2).json()
    second = call(tenant.manager, "GET", "/tickets", limit=2, cursor=first["next_cursor"]).json()
    helpers.ticket(tenant, title="Arrivé entre deux pages")
    third = call(tenant.manager, "GET", "/tickets", limit=2, cursor=second["next_cursor"]).json()
    listed = [item["id"] for page in (first, second, third) for item in page["items"]]
    assert listed[:5] == created
    assert len(listed) == 6
    assert first["next_cursor"] and second["next_cursor"] and third["next_cursor"] is None


def test_list_queries_do_not_grow_with_rows(tenant, api_token, django_assert_max_num_queries):
    helpers.contract_in_force(tenant, service_level=helpers.service_level(tenant).pk)
    printer = helpers.asset(tenant, "PRN-1")
    first = helpers.ticket(tenant, assets=[printer])
    for n in range(15):
        ticket = helpers.ticket(tenant, title=f"Panne {n}", assets=[printer])
        services.ticket_assign(actor=tenant.manager, ticket=ticket, assignee=tenant.technician)
    for n in range(10):
        messaging.message_add(actor=tenant.technician, ticket=first, body=f"Message {n}")
        messaging.attachment_add(actor=tenant.technician, ticket=first, filename=f"f{n}.txt", data=b"x")
    headers = {"Authorization": f"Bearer {api_token(tenant.admin)}"}
    http = HttpClient()
    http.get("/api/v1/tickets", headers=headers)  # records the token's first use
    # The token, the page, its assets (+1 of headroom).
    for path, cap in (
        ("/api/v1/tickets", 4),
        (f"/api/v1/tickets/{first.pk}/events", 4),
        (f"/api/v1/tickets/{first.pk}/messages", 5),
        (f"/api/v1/tickets/{first.pk}/attachments", 4),
    ):
        with django_assert_max_num_queries(cap):
            response = http.get(path, {"limit": 200} if path.endswith("tickets") else {}, headers=headers)
        assert response.status_code == 200
        rows = response.json()["items"] if isinstance(response.json(), dict) else response.json()
        assert len(rows) >= 10, path
