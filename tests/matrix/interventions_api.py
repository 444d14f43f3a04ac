"""The interventions API (sheets, time entries, parts) in the tenant-isolation matrix (``tests/matrix/__init__.py``).

A's client has a planned on-site sheet (with a part and nothing blocking), a sheet in progress (checked
in), a sheet ready to be marked done (with a time entry), and a ticket asked by its client user for
remote time. Client roles read their company's sheets (the other client's manager and B do not see
them: 404) and write nothing (403). A locked sheet (409) and bad input (422) are tested in
``pacte/interventions/tests/test_api.py``.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

from pacte.interventions import services
from pacte.interventions.models import Mode, Result
from pacte.servicedesk import services as ticket_services
from pacte.servicedesk.models import Channel
from tests.matrix.framework import ApiSpec, PageSpec, api_call

#: A sheet of A's client: its two client roles and the provider's see it; the other client and B do not.
SHEET_READ: dict[str, Any] = {
    "provider": 200,
    "client_manager": 200,
    "client_user": 200,
    "other_client_manager": 404,
    "other_admin": 404,
}
#: Provider work on a sheet the client roles see: their role may not (403).
SHEET_WORK: dict[str, Any] = {**SHEET_READ, "client_manager": 403, "client_user": 403}
CREATED: dict[str, Any] = {**SHEET_WORK, "provider": 201}
DELETED: dict[str, Any] = {**SHEET_WORK, "provider": 204}

SHEET = {"sheet_id": "api_sheet"}
IN_PROGRESS = {"sheet_id": "api_sheet_in_progress"}
READY = {"sheet_id": "api_sheet_ready"}


def _slot(days_ago: int, minute_of_day: int, minutes: int = 41) -> tuple[datetime.datetime, datetime.datetime]:
    """A past slot (local midnight + ``minute_of_day``), at odd times so no other registry's entries overlap it."""
    day = timezone.localtime(timezone.now()).replace(hour=0, minute=0, second=0, microsecond=0)
    start = day - datetime.timedelta(days=days_ago) + datetime.timedelta(minutes=minute_of_day)
    return start, start + datetime.timedelta(minutes=minutes)


def _entry(world: Any) -> dict[str, Any]:
    start, end = _slot(5, 4 * 60 + 13)
    return {"started_at": start.isoformat(), "ended_at": end.isoformat(), "description": "Diagnostic"}


PAGES: dict[str, PageSpec] = {}
API: dict[str, ApiSpec] = {
    "GET /api/v1/interventions": ApiSpec(api_call(members=200)),
    # Client roles do not create sheets (403); B's admin names a client it cannot see (422 on client_id).
    "POST /api/v1/interventions": ApiSpec(
        api_call(
            provider=201,
            client_side=403,
            other_admin=422,
            data=lambda world: {"client_id": world.a.client.pk, "title": "New sheet", "mode": "remote"},
            audits=1,
        )
    ),
    "GET /api/v1/interventions/{sheet_id}": ApiSpec(api_call(**SHEET_READ), SHEET),
    "PATCH /api/v1/interventions/{sheet_id}": ApiSpec(
        api_call(**SHEET_WORK, data=lambda world: {"diagnosis": "Disk worn out"}, audits=1), SHEET
    ),
    "POST /api/v1/interventions/{sheet_id}/check-in": ApiSpec(
        api_call(**SHEET_WORK, data=lambda world: {}, audits=1), SHEET
    ),
    "POST /api/v1/interventions/{sheet_id}/check-out": ApiSpec(
        api_call(**SHEET_WORK, data=lambda world: {}, audits=1), IN_PROGRESS
    ),
    "POST /api/v1/interventions/{sheet_id}/backup": ApiSpec(
        api_call(**SHEET_WORK, data=lambda world: {"check": "client_confirmed", "confirmed_by": "M. Martin"}, audits=1),
        SHEET,
    ),
    "POST /api/v1/interventions/{sheet_id}/mark-done": ApiSpec(api_call(**SHEET_WORK, audits=1), READY),
    "POST /api/v1/interventions/{sheet_id}/cancel": ApiSpec(
        api_call(**SHEET_WORK, data=lambda world: {"reason": "Client absent"}, audits=1), SHEET
    ),
    "POST /api/v1/interventions/{sheet_id}/time-entries": ApiSpec(api_call(**CREATED, data=_entry, audits=1), SHEET),
    "DELETE /api/v1/interventions/{sheet_id}/time-entries/{entry_id}": ApiSpec(
        api_call(**DELETED, audits=1), {**READY, "entry_id": "api_entry"}
    ),
    "GET /api/v1/tickets/{ticket_id}/time-entries": ApiSpec(api_call(**SHEET_READ), {"ticket_id": "api_time_ticket"}),
    "POST /api/v1/tickets/{ticket_id}/time-entries": ApiSpec(
        api_call(**CREATED, data=_entry, audits=1), {"ticket_id": "api_time_ticket"}
    ),
    "POST /api/v1/interventions/{sheet_id}/parts": ApiSpec(
        api_call(**CREATED, data=lambda world: {"description": "Disque SSD 1 To", "quantity": "1"}, audits=1),
        SHEET,
    ),
    "DELETE /api/v1/interventions/{sheet_id}/parts/{part_id}": ApiSpec(
        api_call(**DELETED, audits=1), {**SHEET, "part_id": "api_part"}
    ),
}


def build(tenant: Any, provider_word: str, client_word: str) -> dict[str, int]:
    """Three sheets of A's client (planned, in progress, ready) with a part and a time entry; a ticket."""
    technician = tenant.technician
    sheet = services.sheet_create(
        actor=technician,
        client=tenant.client,
        site=tenant.site,
        title=f"Serveur {client_word.title()}",
        mode=Mode.ON_SITE,
        technicians=[technician],
    )
    part = services.part_add(actor=technician, sheet=sheet, description=f"Disque {client_word}", quantity=1)
    in_progress = services.sheet_create(
        actor=technician, client=tenant.client, title=f"Poste {client_word.title()}", mode=Mode.REMOTE
    )
    services.sheet_check_in(actor=technician, sheet=in_progress, at=_slot(4, 3 * 60 + 7)[0])
    ready = services.sheet_create(
        actor=technician, client=tenant.client, title=f"Imprimante {client_word.title()}", mode=Mode.REMOTE
    )
    start, end = _slot(4, 5 * 60 + 7)
    services.sheet_check_in(actor=technician, sheet=ready, at=start)
    entry = services.time_entry_add(
        actor=technician, technician=technician, started_at=start, ended_at=end, sheet=ready
    )
    services.sheet_check_out(actor=technician, sheet=ready, at=end)
    services.sheet_update(actor=technician, sheet=ready, actions=f"Pilote {client_word}", result=Result.RESOLVED)
    ticket = ticket_services.ticket_open(
        actor=tenant.client_user,
        client=tenant.client,
        title=f"Lenteurs {client_word.title()}",
        channel=Channel.API,
        notify_requester=False,
    )
    return {
        "api_sheet": sheet.pk,
        "api_part": part.pk,
        "api_sheet_in_progress": in_progress.pk,
        "api_sheet_ready": ready.pk,
        "api_entry": entry.pk,
        "api_time_ticket": ticket.pk,
    }
