"""The provider's service desk pages: each page, bad input (French errors, nothing saved), permissions,
the file download's headers, the settings and teams, bulk actions."""

from __future__ import annotations

import html as html_lib
import re
from decimal import Decimal
from urllib.parse import unquote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from pacte.audit.models import AuditEvent
from pacte.servicedesk import messaging, quotes, settings_services
from pacte.servicedesk.downloads import content_disposition
from pacte.servicedesk.downloads import download_content_type as served_type
from pacte.servicedesk.models import (
    Billing,
    Coverage,
    Quote,
    QuoteStatus,
    SavedView,
    ServiceDeskSettings,
    Team,
    Ticket,
    TicketMessage,
    TicketStatus,
)
from pacte.servicedesk.tests import helpers

pytestmark = pytest.mark.django_db


def _match(pattern: str, text: str, flags: int = 0) -> re.Match[str]:
    found = re.search(pattern, text, flags)
    assert found is not None, f"{pattern!r} is not in the page"
    return found


def _text(response) -> str:
    """The page's text with entities decoded (for looking for words; markup checks use ``_raw``)."""
    return html_lib.unescape(response.content.decode())


def _raw(response) -> str:
    return response.content.decode()


def fr(message: str, **values: object) -> str:
    """A message as the French interface shows it (the catalogue's translation, or the source until there is one)."""
    with translation.override("fr"):
        text = translation.gettext(message)
    return text % values if values else text


def fr_n(singular: str, plural: str, count: int) -> str:
    with translation.override("fr"):
        return translation.ngettext(singular, plural or singular, count) % {"count": count}


# The queue ------------------------------------------------------------------------------------------


def test_queue_shows_open_tickets_with_their_badges(tenant, login):
    covered = helpers.ticket(tenant, title="Serveur de fichiers lent")
    Ticket.objects.filter(pk=covered.pk).update(coverage=Coverage.COVERED)
    outside = helpers.ticket(tenant, title="Installer une imprimante perso")
    closed = helpers.ticket(tenant, title="Ancien souci")
    Ticket.objects.filter(pk=closed.pk).update(status=TicketStatus.CLOSED)
    response = login(tenant.technician).get(reverse("servicedesk:ticket_list"))
    assert response.status_code == 200
    html = _text(response)
    assert covered.reference in html and outside.reference in html
    assert closed.reference not in html  # the default view is the open tickets
    row = _match(rf'data-testid="ticket-{outside.reference}".*?</tr>', html, re.S).group(0)
    assert fr("Out of contract") in row and tenant.client.name in row and "P3" in row and fr("Unassigned") in row
    covered_row = _match(rf'data-testid="ticket-{covered.reference}".*?</tr>', html, re.S).group(0)
    assert fr("Out of contract") not in covered_row


def test_queue_filters(tenant, login):
    mine = helpers.ticket(tenant, title="Le mien")
    services_assign(tenant, mine, tenant.technician)
    other_client = helpers.ticket(tenant, client=tenant.other_client, title="Autre société")
    urgent = helpers.ticket(tenant, title="Tout est en panne", impact="high", urgency="high")
    http = login(tenant.technician)

    def shown(**query) -> set[str]:
        html = _text(http.get(reverse("servicedesk:ticket_list"), query))
        return set(re.findall(r'data-testid="ticket-(T-\d{4}-\d{5})"', html))

    assert shown(technician="me") == {mine.reference}
    assert shown(technician="none") == {other_client.reference, urgent.reference}
    assert shown(client=tenant.other_client.pk) == {other_client.reference}
    assert shown(priority="P1") == {urgent.reference}
    assert shown(q="panne") == {urgent.reference}
    assert shown(q=urgent.reference) == {urgent.reference}
    assert shown(coverage="outside") == {mine.reference, other_client.reference, urgent.reference}
    assert shown(coverage="covered") == set()
    # A value that is not one of the choices is ignored, not an error.
    assert shown(priority="P9", client="999999", technician="abc") == {
        mine.reference,
        other_client.reference,
        urgent.reference,
    }
    Ticket.objects.filter(pk=mine.pk).update(status=TicketStatus.RESOLVED)
    assert mine.reference not in shown()
    assert mine.reference in shown(status="all")
    assert shown(status="resolved") == {mine.reference}


def services_assign(tenant, ticket, who):
    from pacte.servicedesk import services

    return services.ticket_assign(actor=tenant.manager, ticket=ticket, assignee=who)


def test_client_roles_get_404_and_anonymous_logs_in(tenant, login, client):
    url = reverse("servicedesk:ticket_list")
    assert client.get(url).status_code == 302
    for role in ("client_manager", "client_user"):
        assert login(tenant.member(role)).get(url).status_code == 404


# Saved views ---------------------------------------------------------------------------------------


def test_save_a_view_list_it_and_delete_it(tenant, login):
    http = login(tenant.technician)
    response = http.post(
        reverse("servicedesk:saved_view_create"),
        {"name": "Mes urgences", "query": "priority=P1&technician=me&cursor=abc&evil=1"},
    )
    assert response.status_code == 302
    view = SavedView.objects.get(membership=tenant.technician)
    assert view.query == "priority=P1&technician=me"  # only the queue's own filters, never a cursor
    assert response["Location"].endswith("?priority=P1&technician=me")
    html = _text(http.get(reverse("servicedesk:ticket_list")))
    assert "Mes urgences" in html and "?priority=P1&technician=me" in html
    assert AuditEvent.objects.filter(action="servicedesk.view_create").count() == 1
    # Someone else's view is a 404 and stays.
    assert login(tenant.manager).post(reverse("servicedesk:saved_view_delete", args=[view.pk])).status_code == 404
    assert http.post(reverse("servicedesk:saved_view_delete", args=[view.pk])).status_code == 302
    assert not SavedView.objects.exists()


def test_a_view_without_a_name_is_refused(tenant, login):
    response = login(tenant.technician).post(reverse("servicedesk:saved_view_create"), {"name": "  ", "query": ""})
    assert response.status_code == 302
    assert not SavedView.objects.exists()


# Bulk actions --------------------------------------------------------------------------------------


def test_bulk_assign_and_status_are_audited_per_ticket(tenant, login):
    first, second = helpers.ticket(tenant, title="Un"), helpers.ticket(tenant, title="Deux")
    closed = helpers.ticket(tenant, title="Trois")
    Ticket.objects.filter(pk=closed.pk).update(status=TicketStatus.CLOSED)
    events = AuditEvent.objects.count()
    http = login(tenant.technician)
    response = http.post(
        reverse("servicedesk:ticket_bulk"),
        {"ids": [first.pk, second.pk, closed.pk], "assignee": str(tenant.technician.pk), "next": "technician=me"},
        follow=True,
    )
    assert response.status_code == 200
    assert response.redirect_chain[-1][0].endswith("?technician=me")
    summary = fr_n("%(count)d ticket updated.", "%(count)d tickets updated.", 2)
    assert summary in _text(response)
    assert fr_n("%(count)d skipped: that change is not possible for it.", "", 1) in _text(response)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.assignee == second.assignee == tenant.technician
    assert first.status == TicketStatus.ASSIGNED
    assert AuditEvent.objects.filter(action="ticket.assign").count() == 2
    assert AuditEvent.objects.count() - events == 2
    http.post(reverse("servicedesk:ticket_bulk"), {"ids": [first.pk, second.pk], "status": "in_progress"})
    assert set(Ticket.objects.filter(pk__in=[first.pk, second.pk]).values_list("status", flat=True)) == {"in_progress"}
    assert AuditEvent.objects.filter(action="ticket.status").count() == 2


def test_bulk_refuses_a_foreign_ticket_and_client_roles(tenant, other_tenant, login):
    own = helpers.ticket(tenant)
    foreign = helpers.ticket(other_tenant)
    http = login(tenant.technician)
    response = http.post(reverse("servicedesk:ticket_bulk"), {"ids": [own.pk, foreign.pk], "status": "in_progress"})
    assert response.status_code == 404
    own.refresh_from_db()
    assert own.status == TicketStatus.NEW  # nothing done at all
    response = login(tenant.client_manager).post(
        reverse("servicedesk:ticket_bulk"), {"ids": [own.pk], "status": "in_progress"}
    )
    assert response.status_code == 404
    # Nothing chosen to apply: a message, nothing changed.
    response = http.post(reverse("servicedesk:ticket_bulk"), {"ids": [own.pk]}, follow=True)
    assert fr("Choose a technician or a status to apply.") in _text(response)
    assert not AuditEvent.objects.filter(action__in=["ticket.status", "ticket.assign"]).exists()


# Logging a call ----------------------------------------------------------------------------------------


def test_log_a_call_opens_the_ticket_and_shows_its_coverage(tenant, login):
    printer = helpers.asset(tenant, "PRN-1")
    category = helpers.category(tenant, "printing", "Impression")
    http = login(tenant.technician)
    page = http.get(reverse("servicedesk:ticket_create"))
    assert page.status_code == 200
    assert 'name="client"' in _text(page) and "autofocus" in _text(page)
    # Choosing the client brings its contacts, sites and equipment (htmx partial).
    partial = http.get(reverse("servicedesk:ticket_create"), {"client": tenant.client.pk}, HTTP_HX_REQUEST="true")
    assert 'id="client-fields"' in _text(partial) and "PRN-1" in _text(partial)
    assert "<html" not in _text(partial)
    response = http.post(
        reverse("servicedesk:ticket_create"),
        {
            "client": tenant.client.pk,
            "title": "  L'imprimante   bourre  ",
            "description": "Depuis ce matin, **bourrage** papier.",
            "description_format": "markdown",
            "assets": [printer.pk],
            "category": category.pk,
            "impact": "low",
            "urgency": "high",
            "channel": "phone",
        },
        follow=True,
    )
    ticket = Ticket.objects.get()
    assert response.redirect_chain[-1][0] == reverse("servicedesk:ticket_detail", args=[ticket.pk])
    assert (ticket.title, ticket.channel, ticket.priority) == ("L'imprimante bourre", "phone", "P3")
    assert "<strong>bourrage</strong>" in ticket.description
    html = _text(response)
    assert fr("Ticket %(reference)s has been opened.", reference=ticket.reference) in html
    assert 'data-testid="coverage-warning"' in html  # no contract: the warning and the quote form
    assert 'data-testid="quote-form"' in html


def test_log_a_call_with_bad_input_saves_nothing(tenant, other_tenant, login):
    foreign_site = other_tenant.site
    http = login(tenant.technician)
    response = http.post(reverse("servicedesk:ticket_create"), {"client": "", "title": "", "impact": "huge"})
    assert response.status_code == 422
    html = _text(response)
    assert "Ce champ est obligatoire." in html
    assert "Sélectionnez un choix valide" in html
    response = http.post(
        reverse("servicedesk:ticket_create"),
        {
            "client": tenant.client.pk,
            "title": "Écran noir",
            "site": foreign_site.pk,
            "impact": "medium",
            "urgency": "medium",
            "channel": "phone",
        },
    )
    assert response.status_code == 422
    assert not Ticket.objects.exists()
    # Another provider's client is not even a choice.
    response = http.post(
        reverse("servicedesk:ticket_create"),
        {"client": other_tenant.client.pk, "title": "x", "impact": "medium", "urgency": "medium", "channel": "phone"},
    )
    assert response.status_code == 422
    assert not Ticket.objects.exists()


# The ticket page -----------------------------------------------------------------------------------------


def _covered_ticket(tenant, **kwargs):
    level = helpers.service_level(tenant)
    helpers.contract_in_force(tenant, service_level=level.pk)
    return helpers.ticket(tenant, site=tenant.site, **kwargs)


def test_ticket_page_shows_sla_timeline_and_forms(tenant, login):
    ticket = _covered_ticket(tenant, title="Messagerie en panne", impact="high", urgency="high")
    assert ticket.coverage == Coverage.COVERED and ticket.service_level_id is not None
    messaging.message_add(actor=tenant.technician, ticket=ticket, body="Nous regardons.", visibility="public")
    messaging.message_add(actor=tenant.technician, ticket=ticket, body="Vu avec l'éditeur.", visibility="internal")
    response = login(tenant.technician).get(reverse("servicedesk:ticket_detail", args=[ticket.pk]))
    assert response.status_code == 200
    html = _text(response)
    assert ticket.reference in html and "Messagerie en panne" in html
    panel = _match(r'data-testid="sla-panel".*?</article>', html, re.S).group(0)
    assert fr("Response") in panel and fr("Restoration (GTR)") in panel and "Europe/Paris" in panel
    assert fr("Met") in panel  # the first public reply met the response target
    timeline = _match(r'data-testid="timeline".*?</section>', html, re.S).group(0)
    assert "Nous regardons." in timeline
    assert re.search(r'class="msg msg-internal".*?Vu avec l\'éditeur\.', timeline, re.S)
    assert timeline.index("Nous regardons.") < timeline.index("Vu avec")
    assert 'data-testid="coverage-warning"' not in html
    assert 'data-testid="status-form"' in html and 'data-testid="assign-form"' in html


def test_foreign_ticket_is_404(tenant, other_tenant, login):
    foreign = helpers.ticket(other_tenant)
    http = login(tenant.admin)
    for name in ("ticket_detail", "ticket_update"):
        assert http.get(reverse(f"servicedesk:{name}", args=[foreign.pk])).status_code == 404
    for name in ("ticket_reply", "ticket_status", "ticket_assign", "quote_create"):
        assert http.post(reverse(f"servicedesk:{name}", args=[foreign.pk]), {"body": "x"}).status_code == 404
    assert not TicketMessage.objects.exists()


def test_reply_note_and_files(tenant, login):
    ticket = helpers.ticket(tenant)
    http = login(tenant.technician)
    upload = SimpleUploadedFile("journal.txt", b"ligne 1\nligne 2\n", content_type="text/plain")
    response = http.post(
        reverse("servicedesk:ticket_reply", args=[ticket.pk]),
        {"body": "Voici le journal.", "body_format": "text", "visibility": "internal", "files": [upload]},
    )
    assert response.status_code == 302
    message = TicketMessage.objects.get()
    assert message.visibility == "internal" and message.attachments.get().filename == "journal.txt"
    html = _text(http.get(reverse("servicedesk:ticket_detail", args=[ticket.pk])))
    file = message.attachments.get()
    assert reverse("servicedesk:attachment_download", args=[file.pk]) in html
    # Empty message, no file: refused in French, nothing saved.
    response = http.post(
        reverse("servicedesk:ticket_reply", args=[ticket.pk]),
        {"body": "   ", "body_format": "text", "visibility": "public"},
    )
    assert response.status_code == 422
    assert fr("Write a message or add a file.") in _text(response)
    assert TicketMessage.objects.count() == 1
    # An executable is refused.
    response = http.post(
        reverse("servicedesk:ticket_reply", args=[ticket.pk]),
        {
            "body": "tiens",
            "body_format": "text",
            "visibility": "public",
            "files": [SimpleUploadedFile("setup.exe", b"MZ\x90\x00" + b"\x00" * 100)],
        },
    )
    assert response.status_code == 422
    assert TicketMessage.objects.count() == 1


def test_status_change_only_offers_allowed_moves(tenant, login):
    ticket = helpers.ticket(tenant)
    http = login(tenant.technician)
    html = _text(http.get(reverse("servicedesk:ticket_detail", args=[ticket.pk])))
    form = _match(r'data-testid="status-form".*?</form>', html, re.S).group(0)
    assert 'value="in_progress"' in form and 'value="reopened"' not in form and 'value="new"' not in form
    response = http.post(reverse("servicedesk:ticket_status", args=[ticket.pk]), {"status": "reopened"})
    assert response.status_code == 422
    assert fr("This ticket cannot move to that status now.") in _text(response)
    response = http.post(
        reverse("servicedesk:ticket_status", args=[ticket.pk]), {"status": "waiting_client", "comment": "Attente"}
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.WAITING_CLIENT
    assert AuditEvent.objects.filter(action="ticket.status").count() == 1


def test_assign_technician_and_team(tenant, login):
    ticket = helpers.ticket(tenant)
    team = settings_services.team_create(actor=tenant.manager, name="Réseau", members=[tenant.technician])
    http = login(tenant.technician)
    response = http.post(
        reverse("servicedesk:ticket_assign", args=[ticket.pk]),
        {"assignee": tenant.technician.pk, "team": team.pk},
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.assignee, ticket.team, ticket.status) == (tenant.technician, team, TicketStatus.ASSIGNED)
    # A client's membership is not a technician: refused next to the field.
    response = http.post(reverse("servicedesk:ticket_assign", args=[ticket.pk]), {"assignee": tenant.client_user.pk})
    assert response.status_code == 422
    ticket.refresh_from_db()
    assert ticket.assignee == tenant.technician


def test_edit_details_recomputes_priority(tenant, login):
    ticket = helpers.ticket(tenant)
    http = login(tenant.technician)
    assert http.get(reverse("servicedesk:ticket_update", args=[ticket.pk])).status_code == 200
    response = http.post(
        reverse("servicedesk:ticket_update", args=[ticket.pk]),
        {"title": "Nouveau titre", "impact": "high", "urgency": "high", "site": tenant.site.pk},
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.title, ticket.priority, ticket.site) == ("Nouveau titre", "P1", tenant.site)
    response = http.post(reverse("servicedesk:ticket_update", args=[ticket.pk]), {"title": "", "impact": "high"})
    assert response.status_code == 422
    ticket.refresh_from_db()
    assert ticket.title == "Nouveau titre"


def test_quote_create_and_withdraw(tenant, login):
    ticket = helpers.ticket(tenant)
    assert ticket.billing == Billing.QUOTE_NEEDED
    http = login(tenant.technician)
    response = http.post(reverse("servicedesk:quote_create", args=[ticket.pk]), {"amount": "abc", "description": ""})
    assert response.status_code == 422
    assert "Saisissez un nombre." in _text(response)
    assert not Quote.objects.exists()
    response = http.post(
        reverse("servicedesk:quote_create", args=[ticket.pk]), {"amount": "180,50", "description": "Remplacement"}
    )
    assert response.status_code == 302
    quote = Quote.objects.get()
    assert quote.amount == Decimal("180.50")
    html = _text(http.get(reverse("servicedesk:ticket_detail", args=[ticket.pk])))
    assert 'data-testid="pending-quote"' in html and "180,50" in html
    assert 'data-testid="quote-form"' not in html
    response = http.post(reverse("servicedesk:quote_withdraw", args=[quote.pk]))
    assert response.status_code == 302
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.WITHDRAWN
    # A decided quote cannot be withdrawn: 409.
    assert http.post(reverse("servicedesk:quote_withdraw", args=[quote.pk])).status_code == 409


def test_quote_of_another_provider_is_404(tenant, other_tenant, login):
    foreign = quotes.quote_create(
        actor=other_tenant.technician, ticket=helpers.ticket(other_tenant), amount="10", description="x"
    )
    assert login(tenant.admin).post(reverse("servicedesk:quote_withdraw", args=[foreign.pk])).status_code == 404


# File download ----------------------------------------------------------------------------------------


def _file(tenant, name: str, data: bytes):
    return messaging.attachment_add(actor=tenant.technician, ticket=helpers.ticket(tenant), filename=name, data=data)


def test_download_headers_for_a_pdf(tenant, login):
    attachment = _file(tenant, "Facture été.pdf", b"%PDF-1.4\n%%EOF\n")
    response = login(tenant.technician).get(reverse("servicedesk:attachment_download", args=[attachment.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4\n%%EOF\n"
    assert response["Content-Type"] == "application/pdf"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; ")
    assert "filename*=UTF-8''Facture%20%C3%A9t%C3%A9.pdf" in disposition
    assert unquote(disposition.split("UTF-8''")[1]) == "Facture été.pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"


def test_download_of_html_or_svg_is_never_a_page(tenant, login):
    http = login(tenant.technician)
    for name, data in (
        ("page.html", b"<!doctype html><script>alert(1)</script>"),
        ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>'),
    ):
        attachment = _file(tenant, name, data)
        response = http.get(reverse("servicedesk:attachment_download", args=[attachment.pk]))
        assert response["Content-Type"] == "application/octet-stream"
        assert response["Content-Disposition"].startswith("attachment;")


def test_download_names_are_harmless():
    # RTL override, quotes, path parts: the display name is cleaned, the ASCII fallback is plain.
    header = content_disposition('../../etc/"fac\u202etxt.exe')
    assert header.startswith('attachment; filename="')
    fallback = _match(r'filename="([^"]*)"', header).group(1)
    assert "/" not in fallback and "\u202e" not in unquote(header) and ".." not in fallback
    assert served_type("text/html") == "application/octet-stream"
    assert served_type("image/svg+xml") == "application/octet-stream"
    assert served_type("image/png") == "image/png"
    assert served_type("text/plain; charset=utf-8") == "text/plain"


def test_download_scope(tenant, other_tenant, login):
    attachment = _file(other_tenant, "secret.txt", b"secret")
    assert login(tenant.admin).get(reverse("servicedesk:attachment_download", args=[attachment.pk])).status_code == 404
    own = _file(tenant, "note.txt", b"note")
    assert (
        login(tenant.client_manager).get(reverse("servicedesk:attachment_download", args=[own.pk])).status_code == 404
    )


# Settings --------------------------------------------------------------------------------------------


def _settings_data(**changes):
    data = {f"cell_{i}_{u}": "P3" for i in ("high", "medium", "low") for u in ("high", "medium", "low")}
    data.update({"cell_high_high": "P1", "unknown_sender": "reject", "inbound_address": "support@presta.example"})
    data.update(changes)
    return data


def test_settings_are_for_managers_only(tenant, login):
    url = reverse("servicedesk:settings")
    assert login(tenant.manager).get(url).status_code == 200
    assert login(tenant.technician).get(url).status_code == 403
    assert login(tenant.technician).post(url, _settings_data()).status_code == 403
    assert login(tenant.client_manager).get(url).status_code == 404
    assert not ServiceDeskSettings.objects.exists()


def test_settings_save_the_matrix_and_policy(tenant, login):
    http = login(tenant.manager)
    response = http.post(reverse("servicedesk:settings"), _settings_data(cell_low_low="P2"))
    assert response.status_code == 302
    settings = ServiceDeskSettings.objects.get(provider=tenant.provider)
    assert settings.priority_matrix["low:low"] == "P2"
    assert "high:high" not in settings.priority_matrix  # same as the default: not stored
    assert (settings.unknown_sender, settings.inbound_address) == ("reject", "support@presta.example")
    assert AuditEvent.objects.filter(action="servicedesk.settings").count() == 1
    # A new ticket follows the matrix.
    assert helpers.ticket(tenant, impact="low", urgency="low").priority == "P2"


def test_settings_bad_input_saves_nothing(tenant, login):
    http = login(tenant.manager)
    response = http.post(
        reverse("servicedesk:settings"), _settings_data(cell_low_low="P7", inbound_address="pas-une-adresse")
    )
    assert response.status_code == 422
    html = _text(response)
    assert fr("Each cell of the matrix is P1, P2, P3 or P4.") in html
    assert "Saisissez une adresse e-mail valide." in html
    assert not ServiceDeskSettings.objects.exists()


def test_teams_create_rename_members_archive(tenant, login):
    http = login(tenant.manager)
    response = http.post(
        reverse("servicedesk:team_create"), {"new-name": "Support N1", "new-members": [tenant.technician.pk]}
    )
    assert response.status_code == 302
    team = Team.objects.get()
    assert list(team.members.all()) == [tenant.technician]
    response = http.post(reverse("servicedesk:team_create"), {"new-name": "support n1"})
    assert response.status_code == 422
    assert fr("Another team already has this name.") in _text(response)
    response = http.post(
        reverse("servicedesk:team_update", args=[team.pk]),
        {f"team{team.pk}-name": "Support niveau 1", f"team{team.pk}-members": [tenant.manager.pk]},
    )
    assert response.status_code == 302
    team.refresh_from_db()
    assert team.name == "Support niveau 1" and list(team.members.all()) == [tenant.manager]
    # A client's membership cannot be a member.
    response = http.post(
        reverse("servicedesk:team_update", args=[team.pk]),
        {f"team{team.pk}-name": "Support niveau 1", f"team{team.pk}-members": [tenant.client_user.pk]},
    )
    assert response.status_code == 422
    assert http.post(reverse("servicedesk:team_archive", args=[team.pk])).status_code == 302
    team.refresh_from_db()
    assert team.archived_at is not None
    assert login(tenant.technician).post(reverse("servicedesk:team_create"), {"new-name": "X"}).status_code == 403
    assert [e.action for e in AuditEvent.objects.filter(action__startswith="servicedesk.team").order_by("id")] == [
        "servicedesk.team_create",
        "servicedesk.team_update",
        "servicedesk.team_archive",
    ]


def test_foreign_team_is_404(tenant, other_tenant, login):
    foreign = settings_services.team_create(actor=other_tenant.manager, name="Équipe B")
    http = login(tenant.admin)
    assert http.post(reverse("servicedesk:team_update", args=[foreign.pk]), {}).status_code == 404
    assert http.post(reverse("servicedesk:team_archive", args=[foreign.pk])).status_code == 404
