"""Received e-mail and its review (``inbound.review``, ``views_inbox``), and the mailboxes
(``mailbox_services``): who may see and decide, what a decision does (once), the message shown
safely, the mailbox form's validation, the write-only password, and the connection test against a
real Dovecot and a missing host."""

from __future__ import annotations

import html as html_lib
import json
import re
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import translation

from pacte.audit.models import AuditEvent
from pacte.core.errors import ConflictError
from pacte.mail.models import OutboundMessage
from pacte.servicedesk import mailbox_services
from pacte.servicedesk.inbound import review
from pacte.servicedesk.inbound.ingest import mail_ingest, usable_files
from pacte.servicedesk.inbound.parse import parse_message
from pacte.servicedesk.inbound.poll import mailbox_poll
from pacte.servicedesk.models import Channel, InboundMail, InboundStatus, Mailbox, Ticket, TicketAttachment
from pacte.tenancy.models import Contact
from tests import mailcorpus
from tests import test_browser as shared
from tests.dovecot import require_dovecot, running_dovecot

pytestmark = pytest.mark.django_db

STRANGER = "paul.martin@inconnu.example"
SECRET = "Tr0ub4dor&3-never-shown"


def fr(message: str, **values: object) -> str:
    """A message as the French interface shows it (the catalogue's translation, or the source until there is one)."""
    with translation.override("fr"):
        text = translation.gettext(message)
    return text % values if values else text


def _text(response) -> str:
    return html_lib.unescape(response.content.decode())


def held(tenant, raw: bytes | None = None, **kwargs) -> InboundMail:
    """A mail from a sender nobody knows, held for review (the default policy)."""
    raw = raw or mailcorpus.plain_french(sender=STRANGER, message_id=kwargs.pop("message_id", "held-1@inconnu.example"))
    result = mail_ingest(provider=tenant.provider, raw=raw, source="test")
    assert result.status == InboundStatus.HELD, result
    return InboundMail.objects.get(pk=result.inbound_id)


# Who may see and decide ----------------------------------------------------------------------------------


def test_technicians_review_client_roles_get_404_and_a_foreign_mail_is_404(tenant, other_tenant, login, client):
    mail = held(tenant)
    foreign = held(other_tenant, message_id="held-b@inconnu.example")
    list_url, detail_url = reverse("servicedesk:inbox_list"), reverse("servicedesk:inbox_detail", args=[mail.pk])
    http = login(tenant.technician)
    page = http.get(list_url)
    assert page.status_code == 200
    assert f'data-testid="inbound-{mail.pk}"' in page.content.decode()
    assert f'data-testid="inbound-{foreign.pk}"' not in page.content.decode()
    detail = http.get(detail_url)
    assert detail.status_code == 200 and "Bourrage papier" in _text(detail)
    assert http.get(reverse("servicedesk:inbox_detail", args=[foreign.pk])).status_code == 404
    assert http.post(reverse("servicedesk:inbox_discard", args=[foreign.pk])).status_code == 404
    for role in ("client_manager", "client_user"):
        member = login(tenant.member(role))
        assert member.get(list_url).status_code == 404
        assert member.get(detail_url).status_code == 404
        assert (
            member.post(reverse("servicedesk:inbox_accept", args=[mail.pk]), {"client": tenant.client.pk}).status_code
            == 404
        )
    assert client.get(list_url).status_code == 302  # anonymous: to the login page
    foreign.refresh_from_db()
    mail.refresh_from_db()
    assert mail.status == foreign.status == InboundStatus.HELD


def test_the_list_filters_on_status_held_first_and_pages_with_a_cursor(tenant, login, django_assert_max_num_queries):
    for number in range(55):
        held(tenant, mailcorpus.plain_french(sender=STRANGER, message_id=f"many-{number}@inconnu.example"))
    contact_mail = mail_ingest(
        provider=tenant.provider,
        raw=mailcorpus.plain_french(sender=tenant.client.contacts.first().email or "x@y.example"),
        source="test",
    )
    http = login(tenant.technician)
    url = reverse("servicedesk:inbox_list")
    with django_assert_max_num_queries(12):
        first = http.get(url)
    shown = re.findall(r'data-testid="inbound-(\d+)"', first.content.decode())
    assert len(shown) == 50 and str(contact_mail.inbound_id) not in shown
    assert shown == sorted(shown, key=int, reverse=True)  # newest first (same instant: highest id first)
    next_link = re.search(r'href="\?status=held&amp;cursor=([^"]+)" rel="next"', first.content.decode())
    assert next_link is not None
    second = http.get(url, {"status": "held", "cursor": next_link.group(1)})
    rest = re.findall(r'data-testid="inbound-(\d+)"', second.content.decode())
    assert len(rest) == 5 and not set(rest) & set(shown)
    everything = http.get(url, {"status": "all"}).content.decode()
    assert f'data-testid="inbound-{contact_mail.inbound_id}"' in everything
    ticket_row = http.get(url, {"status": "ticket"}).content.decode()
    assert re.findall(r'data-testid="inbound-(\d+)"', ticket_row) == [str(contact_mail.inbound_id)]
    assert reverse("servicedesk:ticket_detail", args=[contact_mail.ticket_id]) in ticket_row
    # Garbage in the query string means the default view, not an error.
    assert http.get(url, {"status": "nope", "cursor": "!!"}).status_code == 200


def test_a_held_mail_is_shown_as_text_never_its_html(tenant, login):
    mail = held(tenant, mailcorpus.hostile_html(sender=STRANGER))
    page = login(tenant.technician).get(reverse("servicedesk:inbox_detail", args=[mail.pk]))
    body = page.content.decode().split("<main", 1)[1]
    assert "le serveur est en panne" in _text(page)
    for danger in ("<script", "onclick", "onerror", "evil.example", "javascript:", "<iframe", "data:text/html"):
        assert danger not in body


def test_a_held_mail_lists_its_attachments_and_which_would_be_left_out(tenant, login):
    mail = held(tenant, mailcorpus.with_attachments(sender=STRANGER))
    page = _text(login(tenant.technician).get(reverse("servicedesk:inbox_detail", args=[mail.pk])))
    files = re.search(r'data-testid="held-files">(.*?)</ul>', page, re.S)
    assert files is not None
    assert "devis.pdf" in files.group(1) and "capture.png" in files.group(1)
    assert fr("Executable files are not accepted.") in files.group(1)
    assert "\u202e" not in page  # the right-to-left override is never displayed


# Accepting -------------------------------------------------------------------------------------------------


def test_accept_opens_exactly_one_ticket_with_the_subject_text_and_files(tenant, login):
    raw = mailcorpus.with_attachments(sender=STRANGER, subject="Devis et captures")
    mail = held(tenant, raw)
    http = login(tenant.technician)
    response = http.post(reverse("servicedesk:inbox_accept", args=[mail.pk]), {"client": tenant.client.pk})
    ticket = Ticket.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "servicedesk:ticket_detail", args=[ticket.pk]
    )
    assert (ticket.title, ticket.client, ticket.channel, ticket.requester) == (
        "Devis et captures",
        tenant.client,
        Channel.EMAIL,
        None,
    )
    assert "voici les pièces demandées" in ticket.description
    kept, refused = usable_files(parse_message(raw))
    assert sorted(TicketAttachment.objects.filter(ticket=ticket).values_list("filename", flat=True)) == sorted(
        new.filename for new in kept
    )
    assert "devis.pdf" in {new.filename for new in kept} and refused  # the executables were left out …
    assert ticket.messages.filter(body__contains="Pièces jointes écartées").exists()  # … and said so
    mail.refresh_from_db()
    assert (mail.status, mail.ticket, mail.raw) == (InboundStatus.TICKET, ticket, None)
    event = AuditEvent.objects.get(action="servicedesk.inbound_accept")
    assert event.after["ticket"] == ticket.reference and event.actor_membership == tenant.technician
    # The inbox now links the ticket; the message is no longer kept.
    detail = http.get(reverse("servicedesk:inbox_detail", args=[mail.pk])).content.decode()
    assert (
        reverse("servicedesk:ticket_detail", args=[ticket.pk]) in detail and 'data-testid="held-accept"' not in detail
    )


def test_a_second_accept_is_a_conflict_and_opens_nothing(tenant, login):
    mail = held(tenant)
    url = reverse("servicedesk:inbox_accept", args=[mail.pk])
    http = login(tenant.manager)
    assert http.post(url, {"client": tenant.client.pk}).status_code == 302
    again = http.post(url, {"client": tenant.other_client.pk})
    assert again.status_code == 409
    assert http.post(reverse("servicedesk:inbox_discard", args=[mail.pk])).status_code == 409
    with pytest.raises(ConflictError):
        review.held_accept(tenant.technician, mail, tenant.client)  # a stale object: the row lock re-reads it
    assert Ticket.objects.count() == 1 and AuditEvent.objects.filter(action="servicedesk.inbound_accept").count() == 1


def test_accept_with_add_contact_creates_the_contact_and_their_next_mail_is_recognised(tenant, login):
    mail = held(tenant)
    http = login(tenant.technician)
    response = http.post(
        reverse("servicedesk:inbox_accept", args=[mail.pk]), {"client": tenant.client.pk, "add_contact": "on"}
    )
    assert response.status_code == 302
    contact = Contact.objects.get(email=STRANGER)
    assert (contact.client, contact.first_name, contact.last_name) == (tenant.client, "Jean", "Dupont")
    ticket = Ticket.objects.get()
    assert ticket.requester == contact
    assert AuditEvent.objects.filter(action="contact.create", object_id=str(contact.pk)).count() == 1
    assert AuditEvent.objects.get(action="servicedesk.inbound_accept").after["contact_added"] is True
    # The requester is told, as for any e-mail ticket; the next mail opens a ticket directly.
    assert OutboundMessage.objects.filter(template="mail/servicedesk/ticket_received").count() == 1
    following = mail_ingest(
        provider=tenant.provider,
        raw=mailcorpus.plain_french(sender=STRANGER, message_id="next@inconnu.example", subject="Encore"),
        source="test",
    )
    assert following.status == InboundStatus.TICKET


def test_accept_bad_input_is_refused_and_nothing_changes(tenant, other_tenant, login):
    mail = held(tenant)
    other_contact = Contact.objects.filter(client=tenant.other_client).first()
    same_client_contact = Contact.objects.filter(client=tenant.client).first()
    url = reverse("servicedesk:inbox_accept", args=[mail.pk])
    http = login(tenant.technician)
    no_client = http.post(url, {})
    assert no_client.status_code == 422 and fr("Choose the client this e-mail is for.") in _text(no_client)
    foreign_client = http.post(url, {"client": other_tenant.client.pk})
    assert foreign_client.status_code == 422 and fr("Unknown client.") in _text(foreign_client)
    wrong_contact = http.post(url, {"client": tenant.client.pk, "contact": other_contact.pk})
    assert wrong_contact.status_code == 422 and fr("This contact is not one of the client's.") in _text(wrong_contact)
    both = http.post(url, {"client": tenant.client.pk, "contact": same_client_contact.pk, "add_contact": "on"})
    assert both.status_code == 422
    assert fr("Choose a requester or add the sender as a contact, not both.") in _text(both)
    mail.refresh_from_db()
    assert mail.status == InboundStatus.HELD and mail.raw is not None
    assert Ticket.objects.count() == 0 and not Contact.objects.filter(email=STRANGER).exists()


def test_the_client_select_suggests_the_client_of_the_senders_domain_and_lists_its_contacts(tenant, login):
    Contact.objects.create(
        provider=tenant.provider, client=tenant.other_client, last_name="Collègue", email="alice@inconnu.example"
    )
    mail = held(tenant)
    http = login(tenant.technician)
    page = _text(http.get(reverse("servicedesk:inbox_detail", args=[mail.pk])))
    assert 'data-testid="client-suggestion"' in page and tenant.other_client.name in page
    chosen = re.search(r'<option value="(\d+)" selected>', page)
    assert chosen is not None and int(chosen.group(1)) == tenant.other_client.pk
    partial = http.get(
        reverse("servicedesk:inbox_detail", args=[mail.pk]),
        {"client": tenant.client.pk},
        headers={"HX-Request": "true"},
    )
    ids = set(map(int, re.findall(r'<option value="(\d+)"', partial.content.decode())))
    assert ids == set(Contact.objects.filter(client=tenant.client).values_list("pk", flat=True))


# Discarding -------------------------------------------------------------------------------------------------


def test_discard_rejects_the_mail_clears_it_and_answers_nothing(tenant, login):
    mail = held(tenant)
    http = login(tenant.technician)
    response = http.post(reverse("servicedesk:inbox_discard", args=[mail.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("servicedesk:inbox_list")
    mail.refresh_from_db()
    name = tenant.technician.user.get_full_name() or tenant.technician.user.email
    assert (mail.status, mail.reason, mail.raw, mail.ticket) == (
        InboundStatus.REJECTED,
        f"discarded by {name}",
        None,
        None,
    )
    assert not OutboundMessage.objects.exists() and not Ticket.objects.exists()
    assert AuditEvent.objects.filter(action="servicedesk.inbound_discard", object_id=str(mail.pk)).count() == 1
    listed = _text(http.get(reverse("servicedesk:inbox_list"), {"status": "rejected"}))
    assert fr("Discarded by %(name)s", name=name) in listed


# Mailboxes ---------------------------------------------------------------------------------------------------


def imap_form(**changes) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "Support",
        "kind": "imap",
        "host": "imap.example.fr",
        "port": "",
        "security": "ssl",
        "username": "support@example.fr",
        "password": SECRET,
        "folder": "INBOX",
        "path": "",
    }
    data.update(changes)
    return data


def test_mailboxes_are_for_managers(tenant, login):
    box = mailbox_services.mailbox_create(
        actor=tenant.manager, data=mailbox_services.MailboxData(name="Boîte", kind="maildir", path="/srv/mail/Maildir")
    )
    technician = login(tenant.technician)
    assert technician.get(reverse("servicedesk:mailbox_list")).status_code == 403
    assert technician.post(reverse("servicedesk:mailbox_create"), imap_form()).status_code == 403
    assert technician.post(reverse("servicedesk:mailbox_archive", args=[box.pk])).status_code == 403
    assert login(tenant.client_manager).get(reverse("servicedesk:mailbox_list")).status_code == 404
    assert Mailbox.objects.count() == 1 and Mailbox.objects.get().archived_at is None
    page = _text(login(tenant.manager).get(reverse("servicedesk:mailbox_list")))
    assert "Boîte" in page and "/srv/mail/Maildir" in page


def test_create_an_imap_mailbox_and_the_password_is_never_shown_nor_audited(tenant, login):
    http = login(tenant.manager)
    response = http.post(reverse("servicedesk:mailbox_create"), imap_form())
    assert response.status_code == 302, _text(response)
    box = Mailbox.objects.get()
    assert (box.host, box.port, box.security, box.username, box.password) == (
        "imap.example.fr",
        None,
        "ssl",
        "support@example.fr",
        SECRET,
    )
    for url in (reverse("servicedesk:mailbox_list"), reverse("servicedesk:mailbox_update", args=[box.pk])):
        page = http.get(url).content.decode()
        assert SECRET not in page and SECRET not in html_lib.unescape(page)
    # A form sent back with an error does not echo the password either.
    refused = http.post(
        reverse("servicedesk:mailbox_update", args=[box.pk]), imap_form(name="", password="N3w-secret!")
    )
    assert refused.status_code == 422 and "N3w-secret!" not in refused.content.decode()
    # Left empty, the password is kept; given, it changes — and the audit only says so.
    assert (
        http.post(
            reverse("servicedesk:mailbox_update", args=[box.pk]), imap_form(name="Support 2", password="")
        ).status_code
        == 302
    )
    box.refresh_from_db()
    assert (box.name, box.password) == ("Support 2", SECRET)
    assert (
        http.post(reverse("servicedesk:mailbox_update", args=[box.pk]), imap_form(password="N3w-secret!")).status_code
        == 302
    )
    box.refresh_from_db()
    assert box.password == "N3w-secret!"
    events = AuditEvent.objects.filter(action__startswith="servicedesk.mailbox_")
    assert events.count() == 3
    dumped = json.dumps([[event.before, event.after] for event in events])
    assert SECRET not in dumped and "N3w-secret!" not in dumped
    assert events.filter(after__password_changed=True).count() == 1


def test_mailbox_validation_in_french_and_nothing_saved(tenant, login):
    http = login(tenant.manager)
    url = reverse("servicedesk:mailbox_create")
    clear_text = (
        "Without encryption the password would cross the network in clear: "
        "only allowed for a server on this machine (127.0.0.1, localhost, ::1)."
    )
    cases = [
        (imap_form(security="none"), "security", clear_text),
        (imap_form(host=""), "host", "Give the IMAP server's name (e.g. imap.example.fr)."),
        (imap_form(host="imap example fr"), "host", "This is not a server name or an IP address."),
        (imap_form(port="70000"), "port", "The port is a number between 1 and 65535."),
        (imap_form(username=""), "username", "Give the user name of the mailbox."),
        (imap_form(password=""), "password", "Give the password of the mailbox."),
        (imap_form(name=""), "name", "Give the mailbox a name."),
        (imap_form(kind="pop3"), "kind", "Choose IMAP or Maildir."),
        ({"name": "Local", "kind": "maildir", "path": "var/mail"}, "path", "The path must be absolute (start with /)."),
        (
            {"name": "Local", "kind": "maildir", "path": ""},
            "path",
            "Give the Maildir folder's path on the server (e.g. /var/mail/support/Maildir).",
        ),
    ]
    for data, field, message in cases:
        response = http.post(url, data)
        assert response.status_code == 422, (field, response.status_code)
        errors = re.findall(rf'data-field="{field}" role="alert">([^<]*)<', _text(response))
        assert errors == [fr(message)], (field, errors)
    assert not Mailbox.objects.exists()
    # Without encryption is fine for a server on this machine.
    for host in ("127.0.0.1", "localhost", "::1"):
        assert http.post(url, imap_form(name=f"Local {host}", host=host, security="none")).status_code == 302
    assert Mailbox.objects.count() == 3


def test_security_none_on_a_remote_host_is_refused_by_the_service_too(tenant):
    with pytest.raises(Exception) as error:
        mailbox_services.mailbox_create(
            actor=tenant.manager,
            data=mailbox_services.MailboxData(
                name="Clair", kind="imap", host="10.0.0.5", security="none", username="u", password="p"
            ),
        )
    assert "security" in error.value.message_dict  # type: ignore[attr-defined]


def test_archive_a_mailbox_stops_polling_it(tenant, login):
    box = mailbox_services.mailbox_create(
        actor=tenant.manager, data=mailbox_services.MailboxData(name="Vieille", kind="maildir", path="/srv/old")
    )
    http = login(tenant.manager)
    assert http.post(reverse("servicedesk:mailbox_archive", args=[box.pk])).status_code == 302
    box.refresh_from_db()
    assert box.archived_at is not None
    assert http.post(reverse("servicedesk:mailbox_update", args=[box.pk]), imap_form()).status_code == 409


# Testing the connection ------------------------------------------------------------------------------------------


def test_the_connection_test_against_dovecot_counts_waiting_mail_and_ingests_nothing(tenant, login, tmp_path):
    require_dovecot()
    with running_dovecot(tmp_path) as server:
        server.append(mailcorpus.plain_french(message_id="wait-1@client.example"))
        server.append(mailcorpus.plain_french(message_id="wait-2@client.example"))
        box = mailbox_services.mailbox_create(
            actor=tenant.manager,
            data=mailbox_services.MailboxData(
                name="Dovecot",
                kind="imap",
                host=server.host,
                port=server.port,
                security="none",
                username=server.user,
                password=server.password,
            ),
        )
        http = login(tenant.manager)
        page = _text(http.post(reverse("servicedesk:mailbox_test", args=[box.pk]), follow=True))
        with translation.override("fr"):
            expected = translation.ngettext(
                "“%(name)s”: connection OK, %(count)d message waiting.",
                "“%(name)s”: connection OK, %(count)d messages waiting.",
                2,
            ) % {"name": "Dovecot", "count": 2}
        assert expected in page
        assert not InboundMail.objects.exists()
        box.refresh_from_db()
        assert (box.last_uid, box.uidvalidity) == (0, None)  # nothing remembered: the worker reads them all
        assert mailbox_poll(box) == {"received": 2, "duplicates": 0}
        # A wrong password: the server's refusal is reported, never the password itself.
        Mailbox.objects.filter(pk=box.pk).update(password="wrong-password-xyz")
        failed = _text(http.post(reverse("servicedesk:mailbox_test", args=[box.pk]), follow=True))
        assert fr("“%(name)s”: the connection failed: %(error)s", name="Dovecot", error="").strip() in failed
        assert "login refused" in failed and "wrong-password-xyz" not in failed


def test_the_connection_test_against_a_missing_host_reports_the_error(tenant, login):
    box = mailbox_services.mailbox_create(
        actor=tenant.manager,
        data=mailbox_services.MailboxData(
            name="Nulle part", kind="imap", host="pacte-missing.invalid", username="support", password=SECRET
        ),
    )
    page = _text(login(tenant.manager).post(reverse("servicedesk:mailbox_test", args=[box.pk]), follow=True))
    assert "pacte-missing.invalid" in page and "cannot connect" in page
    assert SECRET not in page
    maildir = mailbox_services.mailbox_create(
        actor=tenant.manager, data=mailbox_services.MailboxData(name="Absent", kind="maildir", path="/nonexistent/Md")
    )
    result = mailbox_services.mailbox_test(actor=tenant.manager, mailbox=maildir)
    assert not result.ok and "/nonexistent/Md" in result.error
    assert not InboundMail.objects.exists() and Mailbox.objects.filter(last_error="").count() == 2


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_reviewers_accepting_at_once_open_one_ticket(tenant):
    """The row lock: the second reviewer waits, then finds the mail decided (409), on a real database."""
    import threading

    from django.db import connection

    mail = held(tenant)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def accept(actor) -> None:
        try:
            barrier.wait(timeout=10)
            review.held_accept(actor, InboundMail.objects.get(pk=mail.pk), tenant.client)
            outcomes.append("ticket")
        except ConflictError:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=accept, args=(actor,)) for actor in (tenant.technician, tenant.manager)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["conflict", "ticket"]
    assert Ticket.objects.count() == 1 and InboundMail.objects.get(pk=mail.pk).ticket_id is not None


# In a real browser -----------------------------------------------------------------------------------------------

browser = shared.browser
page = shared.page
demo = shared.demo


@pytest.mark.browser
def test_browser_review_a_held_mail_then_set_up_a_mailbox(browser, page, live_server, demo):
    """A technician opens a ticket from a held mail (the client's contacts come by htmx); a manager adds a
    mailbox, is told why clear-text IMAP to a remote server is refused, and the password never comes back."""
    from playwright.sync_api import expect

    from pacte.tenancy.models import Client

    lyon = Client.objects.filter(provider=demo, city="Lyon", is_professional=True).first()
    assert lyon is not None
    raw = mailcorpus.with_attachments(
        sender=STRANGER, subject="Nouveau poste pour l'accueil", message_id="b-1@x.example"
    )
    mail = held(SimpleNamespace(provider=demo), raw)
    shared._log_in(page, live_server.url, "tech@demo.pacte.test")
    page.goto(f"{live_server.url}/tickets/")
    page.get_by_test_id("inbox-link").click()
    row = page.get_by_test_id(f"inbound-{mail.pk}")
    expect(row).to_contain_text("Nouveau poste pour l'accueil")
    expect(row).to_contain_text(STRANGER)
    shared._screenshot(page, "servicedesk-inbox.png")
    row.get_by_role("link").click()
    expect(page.get_by_test_id("held-message")).to_contain_text("voici les pièces demandées")
    expect(page.get_by_test_id("held-files")).to_contain_text("devis.pdf")
    page.locator("select[name=client]").select_option(str(lyon.pk))
    expect(page.get_by_test_id("accept-contacts").locator("select[name=contact]")).to_be_visible()  # htmx
    page.get_by_label(fr("Add the sender as a contact of this client")).check()
    shared._screenshot(page, "servicedesk-inbox-held.png")
    page.get_by_test_id("accept-held").click()
    ticket = Ticket.objects.get(title="Nouveau poste pour l'accueil")
    expect(page).to_have_url(f"{live_server.url}/tickets/{ticket.pk}/")
    assert ticket.client == lyon and ticket.requester is not None and ticket.requester.email == STRANGER

    # The manager's mailbox form.
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    manager = context.new_page()
    shared._log_in(manager, live_server.url, "manager@demo.pacte.test")
    manager.goto(f"{live_server.url}/tickets/settings/")
    manager.get_by_test_id("mailboxes-link").click()
    manager.get_by_test_id("new-mailbox").click()
    manager.get_by_label(fr("Name")).fill("Support Lyon")
    manager.get_by_label(fr("IMAP server")).fill("imap.exemple.fr")
    manager.get_by_label(fr("Security")).select_option("none")
    manager.get_by_label(fr("User name")).fill("support@exemple.fr")
    manager.locator("#id_password").fill(SECRET)
    with manager.expect_navigation():  # the refusal is the server's answer, a new page
        manager.get_by_test_id("save-mailbox").click()
    expect(manager.locator('[data-field="security"]')).to_be_visible()
    expect(manager.locator("#id_password")).to_have_value("")  # never sent back
    assert SECRET not in manager.content()
    shared._screenshot(manager, "servicedesk-mailbox-form.png")
    manager.get_by_label(fr("Security")).select_option("ssl")
    manager.locator("#id_password").fill(SECRET)
    manager.get_by_test_id("save-mailbox").click()
    expect(manager.get_by_test_id("mailbox-table")).to_contain_text("Support Lyon")
    assert SECRET not in manager.content()
    manager.get_by_test_id(f"test-mailbox-{Mailbox.objects.get(name='Support Lyon').pk}").click()
    expect(manager.get_by_role("status")).to_contain_text("imap.exemple.fr")  # the error, as the server met it
    assert SECRET not in manager.content()
    shared._screenshot(manager, "servicedesk-mailboxes.png")
    context.close()
