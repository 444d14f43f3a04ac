"""The service desk's back-office pages in the tenant-isolation matrix (see ``tests/matrix/__init__.py``).

A's client has a ticket opened by the technician (with a file) and one with a pending quote; A's
technician has a saved view; A has a team. Every page is for provider roles (client roles: 404);
the settings, teams and mailboxes are for managers (technician: 403); the received e-mail is for
provider roles (A has a held mail from an unknown sender); B's admin gets 404 on A's objects and
works on its own tenant where a page has no object in its URL. The writes succeed for the roles
allowed, each with its audit event; what bad input does is tested in ``pacte/servicedesk/tests``.
"""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

from pacte.servicedesk import mailbox_services, messaging, quotes, services, settings_services
from pacte.servicedesk.inbound.ingest import mail_ingest
from pacte.servicedesk.models import Channel
from tests.matrix.framework import LOGIN, ApiSpec, Call, Lit, PageSpec, Redirect, expect, provider_page

TICKET: dict[str, str | Lit] = {"pk": "sd_ticket"}
#: A POST-only page, asked with GET: 405 once the actor may reach it.
POST_ONLY = Call(provider_page(provider=405, other_admin=405))
#: Back to the ticket page after an action on it.
BACK = Redirect("servicedesk:ticket_detail", ("sd_ticket",), exact=False)
QUEUE = Redirect("servicedesk:ticket_list", exact=False)
SETTINGS = Redirect("servicedesk:settings")
MAILBOXES = Redirect("servicedesk:mailbox_list")
INBOUND: dict[str, str | Lit] = {"pk": "sd_inbound"}
MAILBOX: dict[str, str | Lit] = {"pk": "sd_mailbox"}


def _ticket_action(data: Any, audits: int = 1, target: Redirect = BACK) -> Call:
    return Call(provider_page(provider=target, other_admin=404), data=data, audits=audits)


def _manager_page(managers: Any, other_admin: Any, data: Any = None, audits: int | None = None) -> Call:
    return Call(
        expect(anonymous=LOGIN, client_side=404, managers=managers, technician=403, other_admin=other_admin),
        data=data,
        audits=audits,
    )


def _settings_form(world: Any) -> dict[str, Any]:
    data = {f"cell_{i}_{u}": "P2" for i in ("high", "medium", "low") for u in ("high", "medium", "low")}
    data.update({"unknown_sender": "reject", "inbound_address": "support@example.test"})
    return data


def _mailbox_form(name: str) -> Any:
    return lambda world: {"name": name, "kind": "maildir", "path": "/var/mail/desk/Maildir", "security": "ssl"}


def _new_ticket(world: Any) -> dict[str, Any]:
    return {
        "client": world.a.client.pk,
        "title": "New ticket",
        "description": "Phone call",
        "description_format": "text",
        "impact": "medium",
        "urgency": "medium",
        "channel": "phone",
    }


PAGES: dict[str, PageSpec] = {
    "servicedesk:ticket_list": PageSpec(
        get=Call(provider_page(provider=200, other_admin=200)), post=Call(provider_page(provider=405, other_admin=405))
    ),
    # B's admin names A's ticket: 404 and nothing done (tested: a foreign id stops the whole batch).
    "servicedesk:ticket_bulk": PageSpec(
        get=POST_ONLY,
        post=Call(
            provider_page(provider=QUEUE, other_admin=404),
            data=lambda world: {"ids": [world.ref("sd_ticket")], "status": "in_progress"},
            audits=1,
        ),
    ),
    # Each person's own view: B's admin saves one for itself.
    "servicedesk:saved_view_create": PageSpec(
        get=POST_ONLY,
        post=Call(
            provider_page(provider=QUEUE, other_admin=QUEUE),
            data=lambda world: {"name": "Urgent", "query": "priority=P1"},
            audits=1,
        ),
    ),
    # The technician's view: nobody else's (404).
    "servicedesk:saved_view_delete": PageSpec(
        kwargs={"pk": "sd_saved_view"},
        get=POST_ONLY,
        post=Call(
            provider_page(managers=404, technician=Redirect("servicedesk:ticket_list"), other_admin=404), audits=1
        ),
    ),
    # B's admin cannot name A's client: 422 on the client field, nothing saved.
    "servicedesk:ticket_create": PageSpec(
        get=Call(provider_page(provider=200, other_admin=200)),
        post=Call(provider_page(provider=QUEUE, other_admin=422), data=_new_ticket, audits=1),
    ),
    "servicedesk:attachment_download": PageSpec(
        kwargs={"pk": "sd_file"},
        get=Call(provider_page(provider=200, other_admin=404)),
        post=Call(provider_page(provider=405, other_admin=405)),
    ),
    "servicedesk:ticket_detail": PageSpec(
        kwargs=TICKET,
        get=Call(provider_page(provider=200, other_admin=404)),
        post=Call(provider_page(provider=405, other_admin=405)),
    ),
    "servicedesk:ticket_reply": PageSpec(
        kwargs=TICKET,
        get=POST_ONLY,
        post=_ticket_action(lambda world: {"body": "Hello", "body_format": "text", "visibility": "public"}),
    ),
    "servicedesk:ticket_status": PageSpec(
        kwargs=TICKET, get=POST_ONLY, post=_ticket_action(lambda world: {"status": "in_progress"})
    ),
    "servicedesk:ticket_assign": PageSpec(
        kwargs=TICKET, get=POST_ONLY, post=_ticket_action(lambda world: {"assignee": world.a.technician.pk})
    ),
    "servicedesk:ticket_update": PageSpec(
        kwargs=TICKET,
        get=Call(provider_page(provider=200, other_admin=404)),
        post=_ticket_action(lambda world: {"title": "Renamed ticket", "impact": "medium", "urgency": "medium"}),
    ),
    "servicedesk:quote_create": PageSpec(
        kwargs=TICKET,
        get=POST_ONLY,
        post=_ticket_action(lambda world: {"amount": "150,00", "description": "Extra work"}),
    ),
    "servicedesk:quote_withdraw": PageSpec(
        kwargs={"pk": "sd_quote"},
        get=POST_ONLY,
        post=_ticket_action(None, target=Redirect("servicedesk:ticket_detail", ("sd_quote_ticket",), exact=False)),
    ),
    # Settings: managers; B's admin edits its own.
    "servicedesk:settings": PageSpec(
        get=_manager_page(200, 200),
        post=_manager_page(SETTINGS, SETTINGS, data=_settings_form, audits=1),
    ),
    "servicedesk:team_create": PageSpec(
        get=_manager_page(405, 405),
        post=_manager_page(SETTINGS, SETTINGS, data=lambda world: {"new-name": "New team"}, audits=1),
    ),
    "servicedesk:team_update": PageSpec(
        kwargs={"pk": "sd_team"},
        get=_manager_page(405, 405),
        post=_manager_page(
            SETTINGS, 404, data=lambda world: {f"team{world.ref('sd_team')}-name": "Renamed team"}, audits=1
        ),
    ),
    "servicedesk:team_archive": PageSpec(
        kwargs={"pk": "sd_team"}, get=_manager_page(405, 405), post=_manager_page(SETTINGS, 404, audits=1)
    ),
    # Received e-mail: provider roles (B's admin sees its own list; A's mail is 404 for it).
    "servicedesk:inbox_list": PageSpec(
        get=Call(provider_page(provider=200, other_admin=200)), post=Call(provider_page(provider=405, other_admin=405))
    ),
    "servicedesk:inbox_detail": PageSpec(
        kwargs=INBOUND,
        get=Call(provider_page(provider=200, other_admin=404)),
        post=Call(provider_page(provider=405, other_admin=405)),
    ),
    # Accepting opens a ticket (ticket.open + the review's event) and goes to it.
    "servicedesk:inbox_accept": PageSpec(
        kwargs=INBOUND,
        get=POST_ONLY,
        post=Call(
            provider_page(provider=QUEUE, other_admin=404),
            data=lambda world: {"client": world.a.client.pk},
            audits=2,
        ),
    ),
    "servicedesk:inbox_discard": PageSpec(
        kwargs=INBOUND,
        get=POST_ONLY,
        post=Call(provider_page(provider=Redirect("servicedesk:inbox_list"), other_admin=404), audits=1),
    ),
    # Mailboxes: managers; B's admin manages its own.
    "servicedesk:mailbox_list": PageSpec(get=_manager_page(200, 200), post=_manager_page(405, 405)),
    "servicedesk:mailbox_create": PageSpec(
        get=_manager_page(200, 200),
        post=_manager_page(MAILBOXES, MAILBOXES, data=_mailbox_form("New mailbox"), audits=1),
    ),
    "servicedesk:mailbox_update": PageSpec(
        kwargs=MAILBOX,
        get=_manager_page(200, 404),
        post=_manager_page(MAILBOXES, 404, data=_mailbox_form("Renamed mailbox"), audits=1),
    ),
    "servicedesk:mailbox_archive": PageSpec(
        kwargs=MAILBOX, get=_manager_page(405, 405), post=_manager_page(MAILBOXES, 404, audits=1)
    ),
    # Testing reads the mailbox (here a Maildir that does not exist: the error is shown) and writes nothing.
    "servicedesk:mailbox_test": PageSpec(
        kwargs=MAILBOX, get=_manager_page(405, 405), post=_manager_page(MAILBOXES, 404, audits=0)
    ),
}
API: dict[str, ApiSpec] = {}


def _held_mail(tenant: Any, provider_word: str, client_word: str) -> int:
    """A mail from a sender nobody knows, held for review (the default policy)."""
    message = EmailMessage()
    message["From"] = f"Inconnu {provider_word.title()} <inconnu@{provider_word}.example>"
    message["To"] = f"support@{provider_word}.example"
    message["Subject"] = f"Demande {client_word.title()}"
    message["Message-ID"] = f"<held-{provider_word}@{provider_word}.example>"
    message.set_content(f"Bonjour, pouvez-vous aider {client_word} ?\n")
    result = mail_ingest(provider=tenant.provider, raw=message.as_bytes(), source="test")
    assert result.status == "held" and result.inbound_id is not None, result
    return result.inbound_id


def build(tenant: Any, provider_word: str, client_word: str) -> dict[str, int]:
    """A's client's ticket with a file, a ticket with a pending quote, the technician's view, a team,
    a held mail and a (Maildir) mailbox."""
    ticket = services.ticket_open(
        actor=tenant.technician,
        client=tenant.client,
        title=f"Imprimante {client_word.title()}",
        description=f"Bourrage papier chez {client_word}",
        channel=Channel.PHONE,
        notify_requester=False,
    )
    file = messaging.attachment_add(
        actor=tenant.technician, ticket=ticket, filename=f"rapport-{client_word}.txt", data=b"Rapport\n"
    )
    quoted = services.ticket_open(
        actor=tenant.technician,
        client=tenant.client,
        title=f"Déménagement {client_word.title()}",
        channel=Channel.PHONE,
        notify_requester=False,
    )
    quote = quotes.quote_create(actor=tenant.technician, ticket=quoted, amount="480.00", description="Câblage")
    view = settings_services.saved_view_create(
        actor=tenant.technician, name=f"Vue {provider_word.title()}", query="technician=me"
    )
    team = settings_services.team_create(
        actor=tenant.manager, name=f"Équipe {provider_word.title()}", members=[tenant.technician]
    )
    mailbox = mailbox_services.mailbox_create(
        actor=tenant.manager,
        data=mailbox_services.MailboxData(
            name=f"Support {provider_word.title()}", kind="maildir", path=f"/nonexistent/{provider_word}/Maildir"
        ),
    )
    return {
        "sd_inbound": _held_mail(tenant, provider_word, client_word),
        "sd_mailbox": mailbox.pk,
        "sd_ticket": ticket.pk,
        "sd_file": file.pk,
        "sd_quote_ticket": quoted.pk,
        "sd_quote": quote.pk,
        "sd_saved_view": view.pk,
        "sd_team": team.pk,
    }
