"""Real-browser journey through the provider's service desk: the technician's queue, a ticket full of
hostile content, logging a call from the keyboard, an internal note.

Everything hostile (title, description, messages, file names) renders inert: no dialog opens, no
script sets ``window.__pwned``, and the page never asks anything of another host than the live
server (every request is recorded). Screenshots in ``var/screenshots/`` (Debian's Chromium through
Playwright).
"""

from __future__ import annotations

import datetime
import re
from urllib.parse import urlsplit

import pytest
from django.utils import timezone, translation

from pacte.servicedesk import messaging, services
from pacte.servicedesk.models import Channel, Ticket, TicketMessage
from pacte.tenancy.models import Client, Membership, Role
from tests import test_browser as shared
from tests.test_browser import _log_in, _screenshot

pytestmark = pytest.mark.browser

browser = shared.browser
page = shared.page
demo = shared.demo

RLO = "\u202e"
HOSTILE_TITLE = f'<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2"> Serveur {RLO}fdp.exe'
HOSTILE_DESCRIPTION = "\n\n".join(
    [
        "Le serveur de fichiers **ne répond plus** depuis 9 h.",
        '<svg onload="window.__pwned=3"></svg><script>alert(1)</script>',
        '[Cliquez ici](javascript:window.__pwned=4) ou <a href="javascript:alert(2)">là</a>',
        '![pixel](https://evil.example/pixel.png) <img src="https://evil.example/track.gif">',
        "Voir https://evil.example/doc",
    ]
)
HOSTILE_REPLY = (
    '<p>Bonjour, nous redémarrons le serveur.</p><img src="https://evil.example/staff.png">'
    '<p><a href="javascript:window.__pwned=5">Détails</a> <svg onload="window.__pwned=6"></svg>'
    '<iframe src="https://evil.example/frame"></iframe><style>body{background:url(https://evil.example/bg.png)}</style></p>'
)
HOSTILE_NOTE = '<img src=x onerror="window.__pwned=7">Note : le disque D: est plein.'
HOSTILE_FILENAME = f"<img src=x onerror=alert(3)>rapport{RLO}gnp.exe.pdf"
HOSTILE_HTML_FILE = b'<!doctype html><script>window.__pwned=8</script><img src="https://evil.example/f.png">'


def fr(message: str) -> str:
    with translation.override("fr"):
        return translation.gettext(message)


def _hostile_ticket(technician: Membership, client: Client) -> Ticket:
    """A ticket as a caller's e-mail would bring it: hostile title, Markdown description, reply, note, files."""
    ticket = services.ticket_open(
        actor=technician,
        client=client,
        title=HOSTILE_TITLE,
        description=HOSTILE_DESCRIPTION,
        description_format="markdown",
        channel=Channel.EMAIL,
        impact="high",
        urgency="high",
        notify_requester=False,
    )
    messaging.message_add(actor=technician, ticket=ticket, body=HOSTILE_REPLY, body_format="html", notify_people=False)
    messaging.message_add(
        actor=technician,
        ticket=ticket,
        body=HOSTILE_NOTE,
        body_format="html",
        visibility="internal",
        files=[
            messaging.NewFile(HOSTILE_FILENAME, b"%PDF-1.4\n%%EOF\n"),
            messaging.NewFile("page.html", HOSTILE_HTML_FILE),
        ],
        notify_people=False,
    )
    return ticket


def _covered_tickets(demo, technician: Membership, lyon: Client) -> None:
    """A client-wide contract with a business-hours service level for Lyon, and tickets in every SLA state."""
    from types import SimpleNamespace

    from pacte.servicedesk.tests import helpers

    manager = Membership.objects.get(user__email="manager@demo.pacte.test")
    owner = SimpleNamespace(manager=manager, client=lyon, provider=demo)
    level = helpers.service_level(owner, name="Heures ouvrées Lyon")
    helpers.contract_in_force(owner, title="Infogérance Lyon", service_level=level.pk)
    now = timezone.now()
    for title, impact, urgency, days in (
        ("Messagerie inaccessible pour tout le cabinet", "high", "high", 3),
        ("Scanner réseau introuvable", "medium", "medium", 1),
        ("Demande d'accès au dossier Clients 2026", "low", "medium", 0),
    ):
        ticket = services.ticket_open(
            actor=technician,
            client=lyon,
            title=title,
            impact=impact,
            urgency=urgency,
            channel=Channel.PHONE,
            at=now - datetime.timedelta(days=days, minutes=30),
            notify_requester=False,
        )
        if days == 1:
            services.ticket_status_set(actor=technician, ticket=ticket, status="waiting_client", notify_requester=False)


def test_technician_works_the_queue_and_hostile_content_stays_inert(page, live_server, demo):
    from playwright.sync_api import expect

    from pacte.servicedesk.demo import demo_tickets

    origin = urlsplit(live_server.url).netloc
    requests: list[str] = []
    dialogs: list[str] = []
    page.on("request", lambda request: requests.append(request.url))

    def on_dialog(dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)

    demo_tickets(demo)
    technician = Membership.objects.select_related("user").get(user__email="tech@demo.pacte.test")
    assert technician.role == Role.TECHNICIAN
    lyon = Client.objects.get(provider=demo, city="Lyon", is_professional=True)
    _covered_tickets(demo, technician, lyon)
    ticket = _hostile_ticket(technician, lyon)
    assert ticket.service_level_id is not None

    # The queue: open tickets, most urgent first; the hostile title is plain text.
    _log_in(page, live_server.url, "tech@demo.pacte.test")
    page.locator(".mainnav").get_by_role("link", name=fr("Tickets")).click()
    expect(page).to_have_url(f"{live_server.url}/tickets/")
    table = page.get_by_test_id("ticket-table")
    row = page.get_by_test_id(f"ticket-{ticket.reference}")
    expect(row).to_contain_text("<script>window.__pwned=1</script>")
    assert RLO not in row.inner_text()  # a bidi override cannot reorder what the title shows
    expect(row.locator(".sla")).to_be_visible()
    expect(row.locator(".prio")).to_have_text("P1")
    assert table.locator("tbody tr").count() >= 5
    page.evaluate("window.scrollTo(0, 0)")
    _screenshot(page, "servicedesk-queue.png")

    # Keyboard: "/" searches, "j" moves to the first row, Enter opens it.
    page.keyboard.press("/")
    expect(page.get_by_role("searchbox")).to_be_focused()
    page.keyboard.type(ticket.reference)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"\?q=T-"))
    expect(table.locator("tbody tr")).to_have_count(1)
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("j")
    expect(row).to_have_class(re.compile("row-focus"))
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server.url}/tickets/{ticket.pk}/")

    # The ticket page: text shown as text, nothing active in the rendered bodies, files as plain names.
    expect(page.get_by_test_id("ticket-title")).to_have_text(HOSTILE_TITLE.replace(RLO, ""))
    description = page.get_by_test_id("ticket-description")
    expect(description.locator("strong")).to_have_text("ne répond plus")
    timeline = page.get_by_test_id("timeline")
    expect(timeline).to_contain_text("nous redémarrons le serveur")
    expect(timeline.locator(".msg-internal")).to_contain_text("le disque D: est plein")
    for scope in (description, timeline):
        assert scope.locator("script, img, svg, iframe, style, object, embed").count() == 0
        assert scope.locator("a[href^='javascript'], [onerror], [onload]").count() == 0
    files = page.get_by_test_id("files")
    expect(files).to_contain_text("page.html")
    expect(files.get_by_role("link").first).not_to_contain_text(RLO)
    assert all(RLO not in name for name in files.get_by_role("link").all_inner_texts())
    expect(page.get_by_test_id("sla-panel")).to_contain_text(fr("Response"))
    page.wait_for_timeout(300)
    _screenshot(page, "servicedesk-ticket.png")

    # An internal note from the page, then log a call with the keyboard only.
    page.get_by_label(fr("Internal note")).check()
    page.locator("textarea[name=body]").fill("Redémarrage prévu à 12 h.")
    page.locator("textarea[name=body]").press("Control+Enter")
    expect(page.get_by_role("status")).to_contain_text(fr("The internal note has been added."))
    note = TicketMessage.objects.filter(ticket=ticket).latest("id")
    assert (note.visibility, note.body) == ("internal", "<p>Redémarrage prévu à 12 h.</p>")

    page.goto(f"{live_server.url}/tickets/")
    page.keyboard.press("n")
    expect(page).to_have_url(f"{live_server.url}/tickets/new/")
    client_select = page.locator("select[name=client]")
    expect(client_select).to_be_focused()
    client_select.select_option(str(lyon.pk))
    expect(page.get_by_test_id("client-fields").locator("select[name=requester]")).to_be_visible()  # htmx
    page.get_by_test_id("client-fields").locator("select[name=requester]").select_option(index=1)
    page.locator("#id_title").fill("Imprimante du 2e étage hors ligne")
    _screenshot(page, "servicedesk-call.png")
    page.locator("#id_title").press("Enter")
    expect(page).to_have_url(re.compile(r"/tickets/\d+/$"))
    created = Ticket.objects.filter(provider=demo).latest("id")
    assert (created.title, created.channel, created.client_id) == (
        "Imprimante du 2e étage hors ligne",
        "phone",
        lyon.pk,
    )
    assert created.requester is not None
    shown = fr("Under contract") if created.coverage == "covered" else fr("Out of contract")
    expect(page.get_by_test_id("ticket-badges")).to_contain_text(shown)
    expect(page.get_by_role("status")).to_contain_text(created.reference)

    # Nothing ran, nothing was fetched from anywhere else.
    assert dialogs == []
    for url in (f"{live_server.url}/tickets/{ticket.pk}/", f"{live_server.url}/tickets/?q={ticket.reference}"):
        page.goto(url)
        assert page.evaluate("window.__pwned") is None
    foreign = [url for url in requests if urlsplit(url).scheme in ("http", "https") and urlsplit(url).netloc != origin]
    assert foreign == []
    assert dialogs == []


def test_manager_sets_the_priority_matrix_and_a_team(page, live_server, demo):
    from playwright.sync_api import expect

    from pacte.servicedesk.models import ServiceDeskSettings, Team

    _log_in(page, live_server.url, "manager@demo.pacte.test")
    page.goto(f"{live_server.url}/tickets/")
    page.get_by_role("button", name=fr("Settings")).click()
    expect(page).to_have_url(f"{live_server.url}/tickets/settings/")
    matrix = page.get_by_test_id("priority-matrix")
    matrix.locator("select[name=cell_low_high]").select_option("P2")
    page.get_by_test_id("save-settings").click()
    expect(page.get_by_role("status")).to_contain_text(fr("The service desk settings have been saved."))
    assert ServiceDeskSettings.objects.get(provider=demo).priority_matrix == {"low:high": "P2"}
    new_team = page.get_by_test_id("new-team")
    new_team.get_by_label(fr("Name")).fill("Astreinte week-end")
    new_team.get_by_label("Théo Technicien").check()
    new_team.get_by_role("button").click()
    expect(page.get_by_role("status")).to_contain_text("Astreinte week-end")
    team = Team.objects.get(provider=demo, name="Astreinte week-end")
    assert [m.user.email for m in team.members.all()] == ["tech@demo.pacte.test"]
    _screenshot(page, "servicedesk-settings.png")

    # A technician may not come here.
    page.context.clear_cookies()
    _log_in(page, live_server.url, "tech@demo.pacte.test")
    response = page.goto(f"{live_server.url}/tickets/settings/")
    assert response is not None and response.status == 403
