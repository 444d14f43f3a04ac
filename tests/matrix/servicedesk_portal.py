"""The service desk's portal in the tenant-isolation matrix (see ``tests/matrix/__init__.py``).

A's client has a ticket asked by its client user (with a public reply and its file, an internal note,
an internal file and a pending quote) and one asked by its manager. The writes are sent in shapes
that change nothing (an empty reply, closing a ticket that is not resolved, an empty quote
decision): what they do when they succeed is tested in ``pacte/servicedesk/tests/test_portal.py``.
"""

from __future__ import annotations

from typing import Any

from pacte.servicedesk import messaging, quotes, services
from pacte.servicedesk.models import Channel, Visibility
from tests.matrix.framework import ApiSpec, Call, PageSpec, portal_page

PAGES: dict[str, PageSpec] = {
    "portal:ticket_list": PageSpec(get=Call(portal_page(client_side=200)), post=Call(portal_page(client_side=405))),
    "portal:ticket_create": PageSpec(
        get=Call(portal_page(client_side=200)),
        # No subject, no description: 422 and nothing saved (a ticket opened for real: test_portal.py).
        post=Call(portal_page(client_side=422), data=lambda world: {"title": "", "blocked": "high"}, audits=0),
    ),
    # The manager's own ticket: their client user does not see it (404), nor does the other client.
    "portal:ticket_detail": PageSpec(
        kwargs={"pk": "portal_ticket_manager"},
        get=Call(portal_page(client_manager=200, client_user=404, other_client_manager=404)),
        post=Call(portal_page(client_side=405)),
    ),
    "portal:ticket_reply": PageSpec(
        kwargs={"pk": "portal_ticket_user"},
        get=Call(portal_page(client_side=405)),
        # An empty reply: the page again with the error, nothing saved.
        post=Call(
            portal_page(client_manager=422, client_user=422, other_client_manager=404),
            data=lambda world: {"body": ""},
            audits=0,
        ),
    ),
    "portal:ticket_status": PageSpec(
        kwargs={"pk": "portal_ticket_user"},
        get=Call(portal_page(client_side=405)),
        # The ticket is not resolved: it cannot be closed (409).
        post=Call(
            portal_page(client_manager=409, client_user=409, other_client_manager=404),
            data=lambda world: {"action": "close"},
            audits=0,
        ),
    ),
    "portal:ticket_quote_decide": PageSpec(
        kwargs={"pk": "portal_quote"},
        get=Call(portal_page(client_side=405)),
        # The client user sees the quote on their ticket but may not decide it (403); no decision given: 422.
        post=Call(
            portal_page(client_manager=422, client_user=403, other_client_manager=404),
            data=lambda world: {"comment": "ok"},
            audits=0,
        ),
    ),
    "portal:ticket_file": PageSpec(
        kwargs={"pk": "portal_file"},
        get=Call(portal_page(client_manager=200, client_user=200, other_client_manager=404)),
        post=Call(portal_page(client_side=405)),
    ),
}
API: dict[str, ApiSpec] = {}


def build(tenant: Any, provider_word: str, client_word: str) -> dict[str, int]:
    """The tenant's client's two tickets, a public and an internal file, an internal note and a pending quote."""
    asked = services.ticket_open(
        actor=tenant.client_user,
        client=tenant.client,
        title=f"Imprimante {client_word.title()}",
        description=f"Bourrage papier chez {client_word.title()}",
        channel=Channel.PORTAL,
        notify_requester=False,
    )
    by_manager = services.ticket_open(
        actor=tenant.client_manager,
        client=tenant.client,
        title=f"Messagerie {client_word.title()}",
        description="Plus de courrier depuis ce matin",
        channel=Channel.PORTAL,
        notify_requester=False,
    )
    reply = messaging.message_add(
        actor=tenant.technician,
        ticket=asked,
        body=f"Réponse pour {client_word.title()}",
        files=[messaging.NewFile(f"rapport-{client_word}.txt", b"Rapport d'intervention\n")],
        notify_people=False,
    )
    messaging.message_add(
        actor=tenant.technician,
        ticket=asked,
        body=f"Note interne {provider_word}",
        visibility=Visibility.INTERNAL,
        notify_people=False,
    )
    internal = messaging.attachment_add(
        actor=tenant.technician,
        ticket=asked,
        filename=f"interne-{provider_word}.txt",
        data=b"Mot de passe du copieur\n",
        internal=True,
    )
    quote = quotes.quote_create(
        actor=tenant.technician, ticket=asked, amount="180.00", description=f"Remplacement du four {client_word}"
    )
    public_file = reply.attachments.get()
    return {
        "portal_ticket_user": asked.pk,
        "portal_ticket_manager": by_manager.pk,
        "portal_file": public_file.pk,
        "portal_internal_file": internal.pk,
        "portal_quote": quote.pk,
    }
