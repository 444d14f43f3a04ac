"""Real-browser journey: a client's employee opens a ticket in the portal with hostile text and a hostile file
name, and a technician's reply shows up on the ticket's page.

Everything hostile is rendered inert: no dialog opens, no script sets ``window.__pwned``, and the page
never asks anything of another host than the live server (every request is recorded). Screenshots in
``var/screenshots/`` (Debian's Chromium through Playwright).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from pacte.servicedesk import messaging, services
from pacte.servicedesk.models import Channel, Ticket, TicketStatus
from pacte.tenancy.models import Membership, Role
from tests import test_browser as shared
from tests.test_browser import _log_in, _screenshot

pytestmark = pytest.mark.browser

browser = shared.browser
page = shared.page
demo = shared.demo

RLO = "\u202e"
HOSTILE_TITLE = f'<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2"> Copieur {RLO}fdp.exe'
HOSTILE_DESCRIPTION = "\n\n".join(
    [
        "Le copieur du **2e étage** affiche une erreur.",
        '<svg onload="window.__pwned=3"></svg><script>alert(1)</script>',
        '[Cliquez ici](javascript:window.__pwned=4) ou <a href="javascript:alert(2)">là</a>',
        '![pixel](https://evil.example/pixel.png) <img src="https://evil.example/track.gif">',
        "Voir https://evil.example/doc",
    ]
)
HOSTILE_FILENAME = f"<img src=x onerror=alert(3)>{RLO}gnp.exe.pdf"
STAFF_REPLY = (
    '<p>Bonjour, nous avons redémarré le copieur.</p><img src="https://evil.example/staff.png">'
    '<p><a href="javascript:window.__pwned=5">Détails</a> <svg onload="window.__pwned=6"></svg></p>'
)


def test_client_user_opens_a_hostile_ticket_and_sees_the_reply_inert(page, live_server, demo):
    from playwright.sync_api import expect

    origin = urlsplit(live_server.url).netloc
    requests: list[str] = []
    dialogs: list[str] = []
    page.on("request", lambda request: requests.append(request.url))

    def on_dialog(dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)

    user = Membership.objects.get(user__email="user@lyon.demo.pacte.test", role=Role.CLIENT_USER)
    technician = Membership.objects.filter(provider=user.provider, role=Role.TECHNICIAN).select_related("user").first()
    assert technician is not None

    _log_in(page, live_server.url, "user@lyon.demo.pacte.test")
    expect(page).to_have_url(f"{live_server.url}/portal/")
    expect(page.get_by_test_id("home-tickets")).to_be_visible()

    # Tickets → New request; sent without saying whether work is blocked: the error, nothing saved.
    page.locator(".mainnav a[href='/portal/tickets/']").click()
    expect(page).to_have_url(f"{live_server.url}/portal/tickets/")
    page.get_by_test_id("new-ticket").click()
    expect(page).to_have_url(f"{live_server.url}/portal/tickets/new/")
    page.locator("#id_title").fill(HOSTILE_TITLE)
    page.locator("#id_description").fill(HOSTILE_DESCRIPTION)
    page.locator("#id_markdown").check()
    page.locator("input[name=affected][value=medium]").check()
    page.locator("#id_attachments").set_input_files(
        [
            {"name": HOSTILE_FILENAME, "mimeType": "application/pdf", "buffer": b"Journal du copieur\nErreur 0x41\n"},
            {"name": "photo-ecran.png", "mimeType": "image/png", "buffer": _png()},
        ]
    )
    page.get_by_test_id("submit-ticket").click()
    expect(page.locator(".field-error[data-field=blocked]")).to_be_visible()
    expect(page.locator("#id_title")).to_have_value(HOSTILE_TITLE)
    assert not Ticket.objects.filter(client=user.client, channel=Channel.PORTAL, created_by=user).exists()
    _screenshot(page, "portal-ticket-new-error.png")

    # Fixed (the files must be chosen again, as in any browser), then sent.
    page.locator("input[name=blocked][value=high]").check()
    page.locator("#id_attachments").set_input_files(
        [
            {"name": HOSTILE_FILENAME, "mimeType": "application/pdf", "buffer": b"Journal du copieur\nErreur 0x41\n"},
            {"name": "photo-ecran.png", "mimeType": "image/png", "buffer": _png()},
        ]
    )
    page.get_by_test_id("submit-ticket").click()
    ticket = Ticket.objects.get(client=user.client, created_by=user, channel=Channel.PORTAL)
    expect(page).to_have_url(f"{live_server.url}/portal/tickets/{ticket.pk}/")
    expect(page.get_by_role("status")).to_contain_text(ticket.reference)
    expect(page.get_by_test_id("ticket-reference")).to_have_text(ticket.reference)
    # The title is text: the markup shows as typed, and the bidi override is dropped.
    expect(page.get_by_test_id("ticket-title")).to_contain_text("<script>window.__pwned=1</script>")
    assert RLO not in page.get_by_test_id("ticket-title").inner_text()  # "fdp.exe" can no longer read "exe.pdf"
    opening = page.get_by_test_id("entry-opening")
    expect(opening.locator("strong")).to_have_text("2e étage")
    expect(opening.locator("img, svg, script")).to_have_count(0)
    expect(opening.locator("a[href^='javascript']")).to_have_count(0)
    files = opening.get_by_test_id("file-link")
    expect(files).to_have_count(2)
    shown_name = files.first.locator("span").first.inner_text()
    assert RLO not in shown_name and "<img" not in page.content().split('data-testid="conversation"')[1]
    _assert_inert(page, dialogs)
    _screenshot(page, "portal-ticket-created.png")

    # The file downloads under a harmless name.
    with page.expect_download() as download_info:
        files.first.click()
    suggested = download_info.value.suggested_filename
    assert RLO not in suggested and "<" not in suggested and suggested.endswith(".pdf")

    # A technician answers (the service, as the back office would), with hostile HTML: the page shows it, inert.
    services.ticket_status_set(actor=technician, ticket=ticket, status=TicketStatus.IN_PROGRESS)
    messaging.message_add(
        actor=technician,
        ticket=ticket,
        body=STAFF_REPLY,
        body_format="html",
        files=[messaging.NewFile("procedure-copieur.pdf", b"%PDF-1.4\n%%EOF\n")],
    )
    page.reload()
    reply = page.get_by_test_id("entry-message")
    expect(reply).to_have_count(1)
    expect(reply).to_contain_text("nous avons redémarré le copieur")
    expect(reply).to_contain_text(technician.user.get_full_name())
    expect(reply.locator("img, svg")).to_have_count(0)
    expect(reply.locator("a[href^='javascript']")).to_have_count(0)
    expect(reply.get_by_test_id("file-link")).to_contain_text("procedure-copieur.pdf")
    _assert_inert(page, dialogs)
    _screenshot(page, "portal-ticket-reply.png")

    # The client answers back; the list shows the ticket in progress.
    page.locator("#id_body").fill("Merci, cela fonctionne de nouveau.")
    page.get_by_test_id("send-reply").click()
    expect(page.get_by_test_id("entry-message")).to_have_count(2)
    page.locator(".mainnav a[href='/portal/tickets/']").click()
    row = page.get_by_test_id(f"ticket-{ticket.reference}")
    expect(row).to_contain_text("<script>window.__pwned=1</script>")
    assert RLO not in row.inner_text()
    _assert_inert(page, dialogs)
    _screenshot(page, "portal-ticket-list.png")

    # On a phone the page never scrolls sideways, long hostile words included.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/portal/tickets/{ticket.pk}/")
    expect(page.get_by_test_id("ticket-reference")).to_be_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    _screenshot(page, "portal-ticket-mobile.png")
    assert overflow <= 0, f"the ticket page scrolls sideways by {overflow}px at 390px"

    foreign = [url for url in requests if urlsplit(url).netloc != origin]
    assert foreign == [], f"requests to other hosts: {foreign}"
    assert any(re.search(r"/portal/tickets/\d+/$", url) for url in requests)


def _assert_inert(page, dialogs: list[str]) -> None:
    page.wait_for_timeout(300)  # give any smuggled handler its chance to run
    assert dialogs == []
    assert page.evaluate("typeof window.__pwned") == "undefined"


def _png() -> bytes:
    """A 1×1 PNG."""
    import base64

    return base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
    )


def test_client_manager_decides_a_quote_and_closes_a_resolved_ticket(page, live_server, demo):
    from playwright.sync_api import expect

    from pacte.servicedesk import quotes
    from pacte.servicedesk.models import Billing, Quote, QuoteStatus
    from pacte.tenancy.models import Site

    user = Membership.objects.get(user__email="user@lyon.demo.pacte.test", role=Role.CLIENT_USER)
    technician = Membership.objects.filter(provider=user.provider, role=Role.TECHNICIAN).select_related("user").first()
    assert technician is not None
    client = user.client
    assert client is not None
    site = Site.objects.filter(client=client).first()
    network = services.ticket_open(
        actor=user,
        client=client,
        title="Ajouter une prise réseau au bureau 12",
        description="Un nouveau collaborateur arrive lundi.",
        channel=Channel.PORTAL,
        site=site,
    )
    quote = quotes.quote_create(
        actor=technician,
        ticket=network,
        amount="180.00",
        description="Tirage de câble depuis la baie, pose et test d'une prise RJ45 (1 h 30 sur site).",
    )
    mail = services.ticket_open(
        actor=user, client=client, title="Messagerie inaccessible sur le téléphone", channel=Channel.PORTAL
    )
    messaging.message_add(actor=technician, ticket=mail, body="Le profil de messagerie est recréé : tout est reparti.")
    services.ticket_status_set(actor=technician, ticket=mail, status=TicketStatus.RESOLVED)

    _log_in(page, live_server.url, "manager@lyon.demo.pacte.test")
    expect(page.get_by_test_id("home-tickets")).to_contain_text(network.reference)
    _screenshot(page, "portal-home-tickets.png")
    page.locator(".mainnav a[href='/portal/tickets/']").click()
    expect(page.get_by_test_id(f"ticket-{network.reference}")).to_contain_text(user.user.get_full_name())
    expect(page.get_by_test_id(f"ticket-{network.reference}").get_by_test_id("quote-flag")).to_be_visible()
    _screenshot(page, "portal-ticket-list-manager.png")

    # The quote: refusing needs a reason (nothing decided), then approved with a comment.
    page.get_by_test_id(f"ticket-{network.reference}").get_by_role("link", name=network.title).click()
    box = page.get_by_test_id("quote-box")
    expect(box.get_by_test_id("quote-amount")).to_contain_text("180,00")
    _screenshot(page, "portal-ticket-quote.png")
    box.get_by_test_id("quote-refuse").click()
    expect(page.locator(".field-error[data-field=comment]")).to_be_visible()
    assert Quote.objects.get(pk=quote.pk).status == QuoteStatus.PENDING
    page.get_by_test_id("quote-box").locator("textarea[name=comment]").fill("D'accord pour lundi matin.")
    page.get_by_test_id("quote-approve").click()
    expect(page).to_have_url(f"{live_server.url}/portal/tickets/{network.pk}/")
    expect(page.get_by_test_id("quote-box")).to_have_count(0)
    expect(page.get_by_test_id("entry-quote")).to_have_count(2)
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.APPROVED and quote.decision_comment == "D'accord pour lundi matin."
    assert Ticket.objects.get(pk=network.pk).billing == Billing.QUOTE_APPROVED

    # The resolved ticket: "the problem is solved" closes it; no reply form remains.
    page.goto(f"{live_server.url}/portal/tickets/{mail.pk}/")
    expect(page.get_by_test_id("resolved-box")).to_be_visible()
    _screenshot(page, "portal-ticket-resolved.png")
    page.get_by_test_id("close-ticket").click()
    expect(page.get_by_test_id("ticket-status")).to_have_attribute("data-status", "closed")
    expect(page.get_by_test_id("closed-box")).to_be_visible()
    expect(page.get_by_test_id("reply")).to_have_count(0)
    assert Ticket.objects.get(pk=mail.pk).status == TicketStatus.CLOSED
