"""Done when 6, in a real browser and through real mail.

A client user opens a ticket in the portal, a technician answers on the ticket page, the user receives
the answer by e-mail (a real SMTP server, aiosmtpd, fed by the worker) and replies to it; the reply goes
in through ``mail_ingest`` (what the mail server's pipe ``pacte mail ingest`` runs; the CLI itself is
tested in ``test_ingest_processes``) and appears on the ticket in the portal.
"""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from pacte.mail.services import mail_sender_set
from pacte.mail.tests.test_smtp import smtp  # noqa: F401  (the fixture)
from pacte.servicedesk.inbound.ingest import mail_ingest
from pacte.servicedesk.models import Channel, Ticket, TicketMessage
from pacte.tenancy.models import Membership, Role
from tests import test_browser as shared
from tests.test_browser import _log_in, _screenshot

pytestmark = pytest.mark.browser

browser = shared.browser
page = shared.page
demo = shared.demo

USER = "user@lyon.demo.pacte.test"
TECH = "tech@demo.pacte.test"
REPLY_TEXT = "Merci, l'écran s'allume de nouveau après le changement de câble."


def _reply_to(received: EmailMessage) -> bytes:
    """What the user's mail program sends when they answer: Re: subject, In-Reply-To, References, quoted text."""
    reply = EmailMessage()
    reply["From"] = f"Julien Morel <{USER}>"
    reply["To"] = received["Reply-To"] or received["From"]
    reply["Subject"] = f"Re: {received['Subject']}"
    reply["Message-ID"] = "<reponse-julien-1@lyon.demo.pacte.test>"
    reply["In-Reply-To"] = received["Message-ID"]
    reply["References"] = " ".join(filter(None, [received["References"], received["Message-ID"]]))
    quoted = "\n".join(f"> {line}" for line in received.get_body(("plain",)).get_content().splitlines())
    reply.set_content(f"{REPLY_TEXT}\n\nLe lundi, Support a écrit :\n{quoted}\n")
    return reply.as_bytes()


def test_portal_ticket_answer_by_mail_and_reply_by_mail(browser, live_server, demo, smtp, run_jobs, settings):  # noqa: F811
    from playwright.sync_api import expect

    settings.PACTE_BASE_URL = live_server.url
    user = Membership.objects.select_related("provider").get(user__email=USER, role=Role.CLIENT_USER)
    mail_sender_set(provider=user.provider, from_name="Support Demo", from_email="support@demo.pacte.test")

    # 1. The client user opens a ticket in the portal.
    client_page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR").new_page()
    _log_in(client_page, live_server.url, USER)
    client_page.goto(f"{live_server.url}/portal/tickets/new/")
    client_page.locator("#id_title").fill("Écran noir au démarrage")
    client_page.locator("#id_description").fill("Mon écran reste noir depuis ce matin, l'unité centrale démarre.")
    client_page.locator("input[name=blocked][value=high]").check()
    client_page.locator("input[name=affected][value=low]").check()
    client_page.get_by_test_id("submit-ticket").click()
    ticket = Ticket.objects.get(client=user.client, title="Écran noir au démarrage")
    expect(client_page).to_have_url(f"{live_server.url}/portal/tickets/{ticket.pk}/")
    assert ticket.channel == Channel.PORTAL

    # 2. A technician answers on the ticket page.
    tech_page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR").new_page()
    _log_in(tech_page, live_server.url, TECH)
    tech_page.goto(f"{live_server.url}/tickets/{ticket.pk}/")
    tech_page.locator("textarea[name=body]").fill(
        "Bonjour Julien, pouvez-vous vérifier le câble vidéo derrière l'écran ?"
    )
    tech_page.get_by_test_id("send-reply").click()
    expect(tech_page.get_by_test_id("timeline")).to_contain_text("vérifier le câble vidéo")
    _screenshot(tech_page, "mail-roundtrip-technician.png")

    # 3. The worker sends the e-mails through the SMTP server: the user gets the answer.
    run_jobs()
    answers = [m for m in smtp.inbox.messages if "vérifier le câble" in m.get_body(("plain",)).get_content()]
    assert len(answers) == 1, [m["Subject"] for m in smtp.inbox.messages]
    answer = answers[0]
    assert USER in answer["To"] and f"[{ticket.reference}]" in answer["Subject"]

    # 4. The user replies by e-mail; the mail server hands it to Pacte (twice: a retry changes nothing).
    raw = _reply_to(answer)
    first = mail_ingest(provider=user.provider, raw=raw, source="pipe")
    again = mail_ingest(provider=user.provider, raw=raw, source="pipe")
    assert (first.status, first.ticket_id, again.status) == ("message", ticket.pk, "duplicate")
    reply = TicketMessage.objects.get(ticket=ticket, channel=Channel.EMAIL)
    assert "a écrit" not in reply.body  # the quoted history is cut off

    # 5. The reply appears on the ticket, in the portal and on the technician's page.
    client_page.reload()
    expect(client_page.get_by_test_id("conversation")).to_contain_text(REPLY_TEXT)
    _screenshot(client_page, "mail-roundtrip-portal.png")
    tech_page.reload()
    expect(tech_page.get_by_test_id("timeline")).to_contain_text(REPLY_TEXT)
    client_page.context.close()
    tech_page.context.close()
