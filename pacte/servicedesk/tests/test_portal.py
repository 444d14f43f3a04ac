"""The client portal's ticket pages: who sees which ticket, what stays internal, replies that resume or reopen,
closing and reopening, the quote decided by the client's manager only, refused uploads, safe downloads.

UI strings are checked through ``data-testid`` markers and the data shown (the catalogue is the lead's),
never through their wording.
"""

from __future__ import annotations

import re
import zoneinfo
from decimal import Decimal
from typing import cast

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from pacte.audit.models import AuditEvent
from pacte.documents import storage
from pacte.servicedesk import messaging, quotes, selectors, services
from pacte.servicedesk.models import (
    Billing,
    Channel,
    EventKind,
    Level,
    Quote,
    QuoteStatus,
    Ticket,
    TicketAttachment,
    TicketMessage,
    TicketStatus,
    Visibility,
)
from pacte.servicedesk.tests import helpers
from pacte.tenancy.models import Site
from tests.factories import SiteFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000") + b"\x00" * 40
# A Windows program (MZ header pointing at a PE signature), named like an invoice.
EXE = b"MZ" + b"\x90" * 58 + (64).to_bytes(4, "little") + b"PE\x00\x00" + b"\x00" * 200


def url(name: str, *args: int) -> str:
    return reverse(f"portal:{name}", args=args)


def opened(tenant, actor, title: str = "Imprimante en panne", **kwargs) -> Ticket:
    kwargs.setdefault("channel", Channel.PORTAL)
    kwargs.setdefault("notify_requester", False)
    return services.ticket_open(actor=actor, client=kwargs.pop("client", tenant.client), title=title, **kwargs)


def stored_files() -> int:
    return sum(1 for path in storage.root().rglob("*") if path.is_file()) if storage.root().exists() else 0


def upload(name: str, data: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def new_ticket_data(**overrides):
    data = {
        "title": "Le copieur du 2e étage ne scanne plus",
        "description": "Depuis ce matin, message « erreur 0x41 ».",
        "blocked": Level.HIGH,
        "affected": Level.MEDIUM,
    }
    data.update(overrides)
    return data


# Scope ---------------------------------------------------------------------------------------------


@pytest.fixture
def scope_tickets(tenant):
    return {
        "user": opened(tenant, tenant.client_user, "Ticket de l'utilisateur"),
        "manager": opened(tenant, tenant.client_manager, "Ticket du responsable"),
        "staff": opened(tenant, tenant.technician, "Ticket ouvert par le support"),
        "other": opened(tenant, tenant.other_client_manager, "Ticket d'un autre client", client=tenant.other_client),
    }


def listed(http) -> set[str]:
    response = http.get(url("ticket_list"))
    assert response.status_code == 200
    return set(re.findall(r'data-testid="ticket-(T-\d{4}-\d{5})"', response.content.decode()))


def test_a_client_user_sees_the_tickets_they_asked_for_only(tenant, login, scope_tickets):
    http = login(tenant.client_user)
    assert listed(http) == {scope_tickets["user"].reference}
    assert http.get(url("ticket_detail", scope_tickets["user"].pk)).status_code == 200
    for other in ("manager", "staff", "other"):
        assert http.get(url("ticket_detail", scope_tickets[other].pk)).status_code == 404


def test_the_client_manager_sees_every_ticket_of_the_company(tenant, login, scope_tickets):
    http = login(tenant.client_manager)
    expected = {scope_tickets[key].reference for key in ("user", "manager", "staff")}
    assert listed(http) == expected
    assert http.get(url("ticket_detail", scope_tickets["other"].pk)).status_code == 404
    other = login(tenant.other_client_manager)
    assert listed(other) == {scope_tickets["other"].reference}
    assert other.get(url("ticket_detail", scope_tickets["user"].pk)).status_code == 404


def test_another_tenant_and_provider_roles_get_404_on_portal_pages(tenant, other_tenant, login, scope_tickets):
    ticket = scope_tickets["user"]
    for member in (tenant.admin, tenant.technician, other_tenant.admin):
        http = login(member)
        for page in (url("ticket_list"), url("ticket_create"), url("ticket_detail", ticket.pk)):
            assert http.get(page).status_code == 404, (member, page)
    assert login(other_tenant.client_manager).get(url("ticket_detail", ticket.pk)).status_code == 404


def test_open_and_done_tabs_and_the_search(tenant, login):
    printer = opened(tenant, tenant.client_manager, "Imprimante bloquée")
    mail = opened(tenant, tenant.client_manager, "Messagerie lente")
    services.ticket_status_set(actor=tenant.technician, ticket=mail, status=TicketStatus.RESOLVED)
    http = login(tenant.client_manager)
    assert listed(http) == {printer.reference}
    done = http.get(url("ticket_list"), {"tab": "done"}).content.decode()
    assert mail.reference in done and printer.reference not in done
    found = http.get(url("ticket_list"), {"q": "imprimante"}).content.decode()
    assert printer.reference in found
    by_reference = http.get(url("ticket_list"), {"q": printer.reference.lower()}).content.decode()
    assert f'data-testid="ticket-{printer.reference}"' in by_reference


def test_the_list_shows_when_a_response_is_expected_and_is_paginated(tenant, login, django_assert_max_num_queries):
    level = helpers.service_level(tenant)
    helpers.contract_in_force(tenant, service_level=level.pk)
    first = opened(tenant, tenant.client_manager, "Serveur arrêté", site=tenant.site)
    assert first.response_due is not None and first.next_due == first.response_due
    for number in range(30):
        opened(tenant, tenant.client_user, f"Demande {number}")
    http = login(tenant.client_manager)
    with django_assert_max_num_queries(12):
        response = http.get(url("ticket_list"))
    body = response.content.decode()
    assert body.count('data-testid="ticket-T-') == 25  # one page
    assert 'href="?tab=open&amp;page=2"' in body or "page=2" in body
    second = http.get(url("ticket_list"), {"page": 2}).content.decode()
    assert second.count('data-testid="ticket-T-') == 6
    assert first.reference in second
    local = first.response_due.astimezone(zoneinfo.ZoneInfo("Europe/Paris"))
    assert local.strftime("%H:%M") in second.split(f'data-testid="ticket-{first.reference}"')[1].split("</tr>")[0]


# A new ticket -----------------------------------------------------------------------------------------


def test_a_client_user_opens_a_ticket_with_files(tenant, login):
    printer = helpers.asset(tenant, serial="PRN-2E")
    http = login(tenant.client_user)
    page = http.get(url("ticket_create"))
    assert page.status_code == 200 and b'name="attachments"' in page.content and b"multiple" in page.content
    data = new_ticket_data(
        site=tenant.site.pk,
        asset=printer.pk,
        attachments=[upload("capture écran.png", PNG, "image/png"), upload("rapport.pdf", PDF, "application/pdf")],
    )
    response = http.post(url("ticket_create"), data)
    ticket = Ticket.objects.get(title=data["title"])
    assert response.status_code == 302 and response["Location"] == url("ticket_detail", ticket.pk)
    assert (ticket.channel, ticket.urgency, ticket.impact) == (Channel.PORTAL, Level.HIGH, Level.MEDIUM)
    assert ticket.created_by == tenant.client_user and ticket.site == tenant.site
    assert list(ticket.assets.all()) == [printer]
    assert "erreur 0x41" in ticket.description
    files = list(ticket.attachments.order_by("id"))
    assert [(f.filename, f.content_type, f.internal) for f in files] == [
        ("capture écran.png", "image/png", False),
        ("rapport.pdf", "application/pdf", False),
    ]
    page = http.get(response["Location"])
    body = page.content.decode()
    assert ticket.reference in body and 'class="flash' in body  # the confirmation names the reference
    assert body.count('data-testid="file-link"') == 2


def test_markdown_description_is_rendered_and_sanitised(tenant, login):
    http = login(tenant.client_user)
    text = "**Urgent** : voir [la doc](https://exemple.fr/doc) et [ceci](javascript:alert(1))\n\n<script>x()</script>"
    http.post(url("ticket_create"), new_ticket_data(description=text, markdown="on"))
    ticket = Ticket.objects.get()
    assert "<strong>Urgent</strong>" in ticket.description
    assert 'href="https://exemple.fr/doc"' in ticket.description
    assert "javascript:" not in ticket.description.replace("javascript:alert", "")  # never as a link target
    assert "<script>" not in ticket.description


@pytest.mark.parametrize(
    ("files", "where"),
    [
        ([upload("facture.pdf", EXE, "application/pdf")], "facture.pdf"),
        ([upload("ok.pdf", PDF), upload("setup.exe", b"plain text", "text/plain")], "setup.exe"),
    ],
    ids=["exe-renamed-pdf", "exe-extension"],
)
def test_a_refused_file_shows_its_error_and_saves_nothing(tenant, login, files, where):
    http = login(tenant.client_user)
    before = (Ticket.objects.count(), TicketAttachment.objects.count(), AuditEvent.objects.count(), stored_files())
    response = http.post(url("ticket_create"), new_ticket_data(attachments=files))
    assert response.status_code == 422
    body = response.content.decode()
    assert 'class="field-error" data-field="attachments"' in body and where in body
    assert 'value="Le copieur du 2e étage ne scanne plus"' in body  # what was typed is kept
    after = (Ticket.objects.count(), TicketAttachment.objects.count(), AuditEvent.objects.count(), stored_files())
    assert after == before


def test_a_file_over_the_size_limit_is_refused(tenant, login, settings):
    settings.PACTE_MAX_ATTACHMENT_BYTES = 1024
    http = login(tenant.client_user)
    before = stored_files()
    response = http.post(url("ticket_create"), new_ticket_data(attachments=[upload("gros.pdf", PDF + b"x" * 2000)]))
    assert response.status_code == 422
    assert 'data-field="attachments"' in response.content.decode() and "gros.pdf" in response.content.decode()
    assert not Ticket.objects.exists() and stored_files() == before


def test_a_request_over_the_upload_limit_is_refused_before_it_is_read(tenant, login, settings):
    settings.PACTE_UPLOAD_MAX_SIZE = 4096
    http = login(tenant.client_user)
    response = http.post(url("ticket_create"), new_ticket_data(attachments=[upload("scan.pdf", PDF + b"0" * 8000)]))
    assert response.status_code == 413
    assert b'class="form-errors"' in response.content
    assert not Ticket.objects.exists()


def test_a_site_or_equipment_of_another_client_is_refused(tenant, login):
    foreign_site = cast(Site, SiteFactory(client=tenant.other_client, provider=tenant.provider))
    foreign_asset = helpers.asset(tenant, serial="OTHER-1", client=tenant.other_client, site=foreign_site)
    helpers.asset(tenant, serial="OWN-1")
    http = login(tenant.client_manager)
    response = http.post(url("ticket_create"), new_ticket_data(site=foreign_site.pk, asset=foreign_asset.pk))
    body = response.content.decode()
    assert response.status_code == 422
    assert 'data-field="site"' in body and 'data-field="asset"' in body
    assert f'<option value="{foreign_site.pk}"' not in body and "OTHER-1" not in body
    assert not Ticket.objects.exists()


def test_missing_subject_description_and_urgency_are_errors(tenant, login):
    response = login(tenant.client_user).post(url("ticket_create"), {"title": "  ", "description": ""})
    body = response.content.decode()
    assert response.status_code == 422
    assert all(f'data-field="{name}"' in body for name in ("title", "description", "blocked"))
    assert not Ticket.objects.exists()


# A ticket's page: internal things never shown -------------------------------------------------------


@pytest.fixture
def busy_ticket(tenant):
    """A client user's ticket with a public reply and file, an internal note and an internal file."""
    ticket = opened(tenant, tenant.client_user, "Poste lent", description="Mon poste rame")
    messaging.message_add(
        actor=tenant.technician,
        ticket=ticket,
        body="Réponse publique PUBLICREPLY",
        files=[messaging.NewFile("procedure.pdf", PDF)],
        notify_people=False,
    )
    messaging.message_add(
        actor=tenant.technician,
        ticket=ticket,
        body="Note interne SECRETNOTE",
        visibility=Visibility.INTERNAL,
        files=[messaging.NewFile("note-secrete.txt", b"SECRETFILE1")],
        notify_people=False,
    )
    internal = messaging.attachment_add(
        actor=tenant.technician, ticket=ticket, filename="plan-reseau-secret.pdf", data=PDF, internal=True
    )
    return ticket, internal


@pytest.mark.parametrize("role", ["client_user", "client_manager"])
def test_internal_notes_and_files_are_never_shown_to_the_client(tenant, login, busy_ticket, role):
    ticket, internal = busy_ticket
    http = login(tenant.member(role))
    body = http.get(url("ticket_detail", ticket.pk)).content.decode()
    assert "PUBLICREPLY" in body and "procedure.pdf" in body and "Mon poste rame" in body
    for secret in ("SECRETNOTE", "note-secrete", "plan-reseau-secret"):
        assert secret not in body
    assert http.get(url("ticket_file", internal.pk)).status_code == 404
    note_file = TicketAttachment.objects.get(filename="note-secrete.txt")
    assert note_file.internal and http.get(url("ticket_file", note_file.pk)).status_code == 404
    # The selectors behind the page: the client's timeline has no internal line, not even the internal file's name.
    actor = tenant.member(role)
    kinds = [event.kind for event in selectors.timeline(actor=actor, ticket=ticket)]
    assert EventKind.NOTE not in kinds and EventKind.ASSIGNED not in kinds
    assert all(not (event.data or {}).get("internal") for event in selectors.timeline(actor=actor, ticket=ticket))
    assert not selectors.attachment_list(actor=actor, ticket=ticket).filter(internal=True).exists()
    staff_kinds = [event.kind for event in selectors.timeline(actor=tenant.technician, ticket=ticket)]
    assert EventKind.NOTE in staff_kinds and staff_kinds.count(EventKind.ATTACHMENT) == 1


def test_the_ticket_page_query_count_is_capped(tenant, login, busy_ticket, django_assert_max_num_queries):
    ticket, _internal = busy_ticket
    for number in range(10):
        messaging.message_add(
            actor=tenant.technician,
            ticket=ticket,
            body=f"Message {number}",
            files=[messaging.NewFile(f"f{number}.txt", b"x")],
            notify_people=False,
        )
    http = login(tenant.client_user)
    with django_assert_max_num_queries(16):
        response = http.get(url("ticket_detail", ticket.pk))
    assert response.content.decode().count('data-testid="entry-message"') == 11


def test_a_public_file_downloads_safely(tenant, login):
    ticket = opened(tenant, tenant.client_user)
    hostile = '‮fdp.exe"\r\n<b>.html'
    html = messaging.attachment_add(
        actor=tenant.technician, ticket=ticket, filename=hostile, data=b"<html><script>alert(1)</script></html>"
    )
    http = login(tenant.client_user)
    response = http.get(url("ticket_file", html.pk))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"<html><script>alert(1)</script></html>"
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="') and "filename*=UTF-8''" in disposition
    assert "\r" not in disposition and "\n" not in disposition and "\u202e" not in disposition
    assert disposition.count('"') == 2  # the quote in the name cannot close the ASCII filename early
    pdf = messaging.attachment_add(actor=tenant.technician, ticket=ticket, filename="Devis été.pdf", data=PDF)
    response = http.get(url("ticket_file", pdf.pk))
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        "attachment; filename=\"Devis ete.pdf\"; filename*=UTF-8''Devis%20%C3%A9t%C3%A9.pdf"
    )


def test_a_colleague_or_another_client_cannot_download_a_file(tenant, login):
    ticket = opened(tenant, tenant.client_manager)
    attachment = messaging.attachment_add(actor=tenant.client_manager, ticket=ticket, filename="a.pdf", data=PDF)
    assert login(tenant.client_user).get(url("ticket_file", attachment.pk)).status_code == 404
    assert login(tenant.other_client_manager).get(url("ticket_file", attachment.pk)).status_code == 404
    assert login(tenant.client_manager).get(url("ticket_file", attachment.pk)).status_code == 200


# Replies, closing, reopening ------------------------------------------------------------------------


def test_a_reply_while_waiting_on_the_client_resumes_the_clock(tenant, login):
    ticket = opened(tenant, tenant.client_user)
    services.ticket_status_set(actor=tenant.technician, ticket=ticket, status=TicketStatus.WAITING_CLIENT)
    http = login(tenant.client_user)
    assert b'data-testid="waiting-box"' in http.get(url("ticket_detail", ticket.pk)).content
    response = http.post(
        url("ticket_reply", ticket.pk),
        {"body": "Voici le numéro de série", "attachments": [upload("photo.png", PNG, "image/png")]},
    )
    message = TicketMessage.objects.get(ticket=ticket)
    assert response.status_code == 302
    assert response["Location"] == url("ticket_detail", ticket.pk) + f"#message-{message.pk}"
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.IN_PROGRESS
    assert (message.channel, message.visibility, message.author) == (Channel.PORTAL, "public", tenant.client_user)
    assert [a.filename for a in message.attachments.all()] == ["photo.png"]
    kinds = list(ticket.events.values_list("kind", flat=True))
    assert kinds[-3:] == [EventKind.MESSAGE, EventKind.RESUMED, EventKind.STATUS]


def test_a_reply_to_a_resolved_ticket_reopens_it(tenant, login):
    ticket = opened(tenant, tenant.client_user)
    services.ticket_status_set(actor=tenant.technician, ticket=ticket, status=TicketStatus.RESOLVED)
    login(tenant.client_user).post(url("ticket_reply", ticket.pk), {"body": "Toujours en panne"})
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.REOPENED and ticket.resolved_at is None


def test_an_empty_reply_or_a_refused_file_saves_nothing(tenant, login):
    ticket = opened(tenant, tenant.client_user)
    http = login(tenant.client_user)
    before = (AuditEvent.objects.count(), stored_files())
    empty = http.post(url("ticket_reply", ticket.pk), {"body": "   "})
    assert empty.status_code == 422 and b'data-field="body"' in empty.content
    refused = http.post(url("ticket_reply", ticket.pk), {"body": "ci-joint", "attachments": [upload("devis.pdf", EXE)]})
    assert (
        refused.status_code == 422
        and b'data-field="attachments"' in refused.content
        and b"devis.pdf" in refused.content
    )
    assert b"ci-joint" in refused.content  # the text typed is kept
    assert not TicketMessage.objects.exists() and not TicketAttachment.objects.exists()
    assert (AuditEvent.objects.count(), stored_files()) == before


def test_a_closed_ticket_takes_no_reply(tenant, login):
    ticket = opened(tenant, tenant.client_user)
    services.ticket_status_set(actor=tenant.technician, ticket=ticket, status=TicketStatus.CLOSED)
    http = login(tenant.client_user)
    page = http.get(url("ticket_detail", ticket.pk)).content
    assert b'data-testid="closed-box"' in page and b'data-testid="reply"' not in page
    assert http.post(url("ticket_reply", ticket.pk), {"body": "Encore moi"}).status_code == 409
    assert not TicketMessage.objects.exists()


def test_the_client_closes_a_resolved_ticket(tenant, login):
    ticket = opened(tenant, tenant.client_user)
    services.ticket_status_set(actor=tenant.technician, ticket=ticket, status=TicketStatus.RESOLVED)
    http = login(tenant.client_user)
    page = http.get(url("ticket_detail", ticket.pk)).content
    assert b'data-testid="close-ticket"' in page and b'data-testid="reopen-ticket"' in page
    response = http.post(url("ticket_status", ticket.pk), {"action": "close"})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CLOSED and ticket.closed_at is not None


@pytest.mark.parametrize("comment", ["", "Le problème est revenu"])
def test_the_client_reopens_a_resolved_ticket(tenant, login, comment):
    ticket = opened(tenant, tenant.client_user)
    services.ticket_status_set(actor=tenant.technician, ticket=ticket, status=TicketStatus.RESOLVED)
    response = login(tenant.client_user).post(url("ticket_status", ticket.pk), {"action": "reopen", "comment": comment})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.REOPENED
    assert list(TicketMessage.objects.values_list("channel", flat=True)) == ([Channel.PORTAL] if comment else [])


def test_closing_a_ticket_that_is_not_resolved_is_a_conflict(tenant, login):
    ticket = opened(tenant, tenant.client_user)
    http = login(tenant.client_user)
    assert b'data-testid="close-ticket"' not in http.get(url("ticket_detail", ticket.pk)).content
    assert http.post(url("ticket_status", ticket.pk), {"action": "close"}).status_code == 409
    assert http.post(url("ticket_status", ticket.pk), {"action": "delete"}).status_code == 422
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.NEW


# The quote --------------------------------------------------------------------------------------------


@pytest.fixture
def quoted(tenant):
    ticket = opened(tenant, tenant.client_user, "Ajouter une prise réseau")
    quote = quotes.quote_create(
        actor=tenant.technician, ticket=ticket, amount="180.00", description="Tirage de câble et prise RJ45"
    )
    return ticket, quote


def test_the_manager_sees_the_quote_and_the_user_only_that_it_awaits(tenant, login, quoted):
    ticket, quote = quoted
    manager_page = login(tenant.client_manager).get(url("ticket_detail", ticket.pk)).content.decode()
    assert 'data-testid="quote-box"' in manager_page and "Tirage de câble" in manager_page
    assert url("ticket_quote_decide", quote.pk) in manager_page
    assert re.search(r'data-testid="quote-amount">180[,.]00', manager_page)
    user_page = login(tenant.client_user).get(url("ticket_detail", ticket.pk)).content.decode()
    assert 'data-testid="quote-pending"' in user_page
    assert 'data-testid="quote-box"' not in user_page and url("ticket_quote_decide", quote.pk) not in user_page


def test_a_client_user_may_not_decide_the_quote(tenant, login, quoted):
    _ticket, quote = quoted
    before = AuditEvent.objects.count()
    response = login(tenant.client_user).post(url("ticket_quote_decide", quote.pk), {"decision": "approve"})
    assert response.status_code == 403
    other = login(tenant.other_client_manager).post(url("ticket_quote_decide", quote.pk), {"decision": "approve"})
    assert other.status_code == 404
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.PENDING and AuditEvent.objects.count() == before


def test_the_manager_approves_the_quote(tenant, login, quoted):
    ticket, quote = quoted
    http = login(tenant.client_manager)
    response = http.post(url("ticket_quote_decide", quote.pk), {"decision": "approve", "comment": "OK pour jeudi"})
    assert response.status_code == 302 and response["Location"] == url("ticket_detail", ticket.pk)
    quote.refresh_from_db()
    ticket.refresh_from_db()
    assert (quote.status, quote.decided_by, quote.decision_comment) == (
        QuoteStatus.APPROVED,
        tenant.client_manager,
        "OK pour jeudi",
    )
    assert ticket.billing == Billing.QUOTE_APPROVED
    again = http.post(url("ticket_quote_decide", quote.pk), {"decision": "refuse", "comment": "Finalement non"})
    assert again.status_code == 409
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.APPROVED


def test_refusing_needs_a_reason(tenant, login, quoted):
    ticket, quote = quoted
    http = login(tenant.client_manager)
    response = http.post(url("ticket_quote_decide", quote.pk), {"decision": "refuse", "comment": " "})
    assert response.status_code == 422 and b'data-field="comment"' in response.content
    assert Quote.objects.get(pk=quote.pk).status == QuoteStatus.PENDING
    http.post(url("ticket_quote_decide", quote.pk), {"decision": "refuse", "comment": "Trop cher"})
    quote.refresh_from_db()
    assert (quote.status, quote.amount) == (QuoteStatus.REFUSED, Decimal("180.00"))
    assert Ticket.objects.get(pk=ticket.pk).billing == Billing.QUOTE_REFUSED


# The portal home --------------------------------------------------------------------------------------


def test_the_portal_home_lists_my_open_tickets(tenant, login):
    mine = opened(tenant, tenant.client_user, "Souris cassée")
    theirs = opened(tenant, tenant.client_manager, "Écran noir")
    body = login(tenant.client_user).get(reverse("portal:home")).content.decode()
    assert 'data-testid="home-tickets"' in body and mine.reference in body and theirs.reference not in body


def test_titles_and_bodies_are_escaped(tenant, login):
    ticket = opened(tenant, tenant.client_user, '<img src=x onerror="alert(1)"> Panne', description="<b>gras</b>")
    body = login(tenant.client_user).get(url("ticket_detail", ticket.pk)).content.decode()
    assert "<img" not in body and "&lt;img src=x" in body
    assert "&lt;b&gt;gras&lt;/b&gt;" in body  # plain text stays text
