"""The service desk's API in the tenant-isolation matrix (see ``tests/matrix/__init__.py``).

A's client has a ticket asked by its client user (so its manager sees it too, the other client's manager
does not), with a public reply and an internal file. The writes succeed for the roles allowed (a real
ticket opened, renamed, moved, assigned, replied to; an alert received); a file upload is a multipart
body the matrix does not send (JSON, no ``file``: 422). What a closed ticket (409) and every other
shape do is tested in ``pacte/servicedesk/tests/test_api.py`` and ``test_alerts.py``.
"""

from __future__ import annotations

from typing import Any

from pacte.servicedesk import messaging, services
from pacte.servicedesk.models import Channel
from tests.matrix.framework import ApiSpec, PageSpec, api_call

#: A's client's ticket: its two client roles and the provider's see it; the other client and B do not.
TICKET_READ: dict[str, Any] = {
    "provider": 200,
    "client_manager": 200,
    "client_user": 200,
    "other_client_manager": 404,
    "other_admin": 404,
}
#: Provider work on a ticket the client roles see: their role may not (403).
TICKET_WORK: dict[str, Any] = {
    "provider": 200,
    "client_manager": 403,
    "client_user": 403,
    "other_client_manager": 404,
    "other_admin": 404,
}
TICKET = {"ticket_id": "api_ticket"}

PAGES: dict[str, PageSpec] = {}
API: dict[str, ApiSpec] = {
    "GET /api/v1/tickets": ApiSpec(api_call(members=200)),
    # The other client's manager and B's admin name a client they cannot see: 422 on client_id.
    "POST /api/v1/tickets": ApiSpec(
        api_call(
            members=201,
            other_client_manager=422,
            other_admin=422,
            data=lambda world: {"client_id": world.a.client.pk, "title": "New ticket"},
            audits=1,
        )
    ),
    "GET /api/v1/tickets/{ticket_id}": ApiSpec(api_call(**TICKET_READ), TICKET),
    "PATCH /api/v1/tickets/{ticket_id}": ApiSpec(
        api_call(**TICKET_WORK, data=lambda world: {"title": "Renamed ticket"}, audits=1), TICKET
    ),
    "POST /api/v1/tickets/{ticket_id}/status": ApiSpec(
        api_call(**TICKET_WORK, data=lambda world: {"status": "in_progress"}, audits=1), TICKET
    ),
    "POST /api/v1/tickets/{ticket_id}/assign": ApiSpec(
        api_call(**TICKET_WORK, data=lambda world: {"assignee_id": world.a.technician.pk}, audits=1), TICKET
    ),
    "GET /api/v1/tickets/{ticket_id}/events": ApiSpec(api_call(**TICKET_READ), TICKET),
    "GET /api/v1/tickets/{ticket_id}/messages": ApiSpec(api_call(**TICKET_READ), TICKET),
    "POST /api/v1/tickets/{ticket_id}/messages": ApiSpec(
        api_call(
            **{**TICKET_READ, "provider": 201, "client_manager": 201, "client_user": 201},
            audits=1,
            data=lambda world: {"body": "New reply"},
        ),
        TICKET,
    ),
    "GET /api/v1/tickets/{ticket_id}/attachments": ApiSpec(api_call(**TICKET_READ), TICKET),
    # The file comes as a multipart body; the matrix sends JSON, so there is none: 422 where the ticket is seen.
    "POST /api/v1/tickets/{ticket_id}/attachments": ApiSpec(
        api_call(**{**TICKET_READ, "provider": 422, "client_manager": 422, "client_user": 422}), TICKET
    ),
    # The internal file: the provider's people only (a client role does not know it exists: 404).
    "GET /api/v1/attachments/{attachment_id}/content": ApiSpec(
        api_call(provider=200, client_side=404, other_admin=404), {"attachment_id": "api_internal_file"}
    ),
    # Alerts come from the provider's monitoring: a client's token is refused (403); B names A's client: 422.
    "POST /api/v1/alerts": ApiSpec(
        api_call(
            provider=201,
            client_side=403,
            other_admin=422,
            data=lambda world: {
                "source": "matrix",
                "key": "new-alert",
                "severity": "major",
                "title": "New alert",
                "client_id": world.a.client.pk,
            },
            audits=1,
        )
    ),
}


def build(tenant: Any, provider_word: str, client_word: str) -> dict[str, int]:
    """A's client's ticket asked by its client user, a public reply with a file, and an internal file."""
    ticket = services.ticket_open(
        actor=tenant.client_user,
        client=tenant.client,
        title=f"Serveur {client_word.title()}",
        description=f"Plus d'accès au partage {client_word}",
        channel=Channel.API,
        notify_requester=False,
    )
    messaging.message_add(
        actor=tenant.technician,
        ticket=ticket,
        body=f"Réponse pour {client_word.title()}",
        files=[messaging.NewFile(f"journal-{client_word}.txt", b"Journal du serveur\n")],
        notify_people=False,
    )
    internal = messaging.attachment_add(
        actor=tenant.technician,
        ticket=ticket,
        filename=f"acces-{provider_word}.txt",
        data=f"Accès {provider_word}\n".encode(),
        internal=True,
    )
    return {"api_ticket": ticket.pk, "api_internal_file": internal.pk}
