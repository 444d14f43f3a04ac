"""The interventions app's sheet pages (back office and portal) in the tenant-isolation matrix
(see ``tests/matrix/__init__.py``).

A's client has a planned sheet, a sheet in progress (with equipment, a time entry, a part, a check
and a photo), a signed sheet, and a ticket. Every back-office page is for provider roles (client
roles: 404); B's admin gets 404 on A's objects and works on its own tenant where a page names no
object. The writes succeed for the roles allowed, each with its audit event; what bad input does
is tested in ``pacte/interventions/tests/test_views.py``. The portal's pages show A's client's
sheets to its people only.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from pacte.assets.models import Asset
from pacte.interventions import services
from pacte.interventions.models import Intervention, SheetStatus
from pacte.servicedesk import services as desk_services
from pacte.servicedesk.models import Channel
from tests.matrix.framework import ApiSpec, Call, PageSpec, Redirect, portal_page, provider_page

PLANNED: dict[str, Any] = {"pk": "is_planned"}
SHEET: dict[str, Any] = {"pk": "is_sheet"}
#: A POST-only page, asked with GET: 405 once the actor may reach it.
POST_ONLY = Call(provider_page(provider=405, other_admin=405))
GET_ONLY = Call(provider_page(provider=405, other_admin=405))
# A 1x1 PNG: the phone's photo.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


def _back(key: str) -> Redirect:
    return Redirect("interventions:sheet_detail", (key,), exact=False)


def _action(key: str, data: Any = None, audits: int = 1) -> Call:
    """A POST on A's sheet: back to the sheet page for provider roles, 404 for B's admin."""
    return Call(provider_page(provider=_back(key), other_admin=404), data=data, audits=audits)


def _new_sheet(world: Any) -> dict[str, Any]:
    return {"client": world.a.client.pk, "title": "New sheet", "mode": "remote"}


def _photo(world: Any) -> dict[str, Any]:
    return {"files": [SimpleUploadedFile("photo.png", PNG, content_type="image/png")]}


def _time(world: Any) -> dict[str, Any]:
    return {
        "started_at": "2026-01-06T09:00",
        "ended_at": "2026-01-06T10:30",
        "technician": world.a.technician.pk,
        "nature": "labour",
    }


def _ticket_time(world: Any) -> dict[str, Any]:
    return {
        "ticket_time-started_at": "2026-01-07T14:00",
        "ticket_time-ended_at": "2026-01-07T14:30",
        "ticket_time-technician": world.a.technician.pk,
        "ticket_time-nature": "labour",
    }


PAGES: dict[str, PageSpec] = {
    "interventions:sheet_list": PageSpec(
        get=Call(provider_page(provider=200, other_admin=200)), post=Call(provider_page(provider=405, other_admin=405))
    ),
    # B's admin cannot name A's client: 422 on the client field, nothing saved.
    "interventions:sheet_create": PageSpec(
        get=Call(provider_page(provider=200, other_admin=200)),
        post=Call(
            provider_page(provider=Redirect("interventions:sheet_list", exact=False), other_admin=422),
            data=_new_sheet,
            audits=1,
        ),
    ),
    "interventions:sheet_detail": PageSpec(
        kwargs=SHEET,
        get=Call(provider_page(provider=200, other_admin=404)),
        post=Call(provider_page(provider=405, other_admin=405)),
    ),
    "interventions:sheet_check_in": PageSpec(kwargs=PLANNED, get=POST_ONLY, post=_action("is_planned")),
    "interventions:sheet_check_out": PageSpec(kwargs=SHEET, get=POST_ONLY, post=_action("is_sheet")),
    "interventions:sheet_backup": PageSpec(
        kwargs=SHEET,
        get=POST_ONLY,
        post=_action("is_sheet", lambda world: {"check": "client_confirmed", "confirmed_by": "Marie Martin"}),
    ),
    "interventions:sheet_details": PageSpec(
        kwargs=SHEET,
        get=POST_ONLY,
        post=_action(
            "is_sheet",
            lambda world: {
                "title": "Renamed sheet",
                "assets": [world.ref("is_asset")],
                "technicians": [world.a.technician.pk],
            },
        ),
    ),
    "interventions:sheet_work": PageSpec(
        kwargs=SHEET,
        get=POST_ONLY,
        post=_action("is_sheet", lambda world: {"diagnosis": "Disk failing", "actions": "Disk replaced"}),
    ),
    "interventions:sheet_travel": PageSpec(
        kwargs=SHEET, get=POST_ONLY, post=_action("is_sheet", lambda world: {"travel_minutes": "30", "travel_km": "12"})
    ),
    "interventions:sheet_workshop": PageSpec(
        kwargs=SHEET,
        get=POST_ONLY,
        post=_action("is_sheet", lambda world: {"dropped_off_by": "Paul", "drop_off_condition": "No charger"}),
    ),
    "interventions:sheet_time_add": PageSpec(kwargs=SHEET, get=POST_ONLY, post=_action("is_sheet", _time)),
    "interventions:sheet_part_add": PageSpec(
        kwargs=SHEET,
        get=POST_ONLY,
        post=_action("is_sheet", lambda world: {"description": "SSD 1 TB", "quantity": "1", "unit_price": "89.90"}),
    ),
    "interventions:sheet_checklist_add": PageSpec(
        kwargs=SHEET, get=POST_ONLY, post=_action("is_sheet", lambda world: {"label": "Antivirus up to date"})
    ),
    "interventions:sheet_patch_add": PageSpec(
        kwargs=SHEET,
        get=POST_ONLY,
        post=_action("is_sheet", lambda world: {"asset": world.ref("is_asset"), "reference": "KB5031356"}),
    ),
    "interventions:sheet_file_add": PageSpec(kwargs=SHEET, get=POST_ONLY, post=_action("is_sheet", _photo)),
    # The sheet in progress is not complete (no result, no check-out): the page again with what is missing.
    "interventions:sheet_done": PageSpec(
        kwargs=SHEET, get=POST_ONLY, post=Call(provider_page(provider=422, other_admin=404), audits=0)
    ),
    "interventions:sheet_cancel": PageSpec(
        kwargs=PLANNED, get=POST_ONLY, post=_action("is_planned", lambda world: {"reason": "Client away"})
    ),
    # A correcting sheet: created (its own event) and linked (the signed sheet's event); to the new sheet.
    "interventions:sheet_correct": PageSpec(
        kwargs={"pk": "is_signed"},
        get=POST_ONLY,
        post=Call(provider_page(provider=Redirect("interventions:sheet_list", exact=False), other_admin=404), audits=2),
    ),
    "interventions:time_entry_delete": PageSpec(kwargs={"pk": "is_entry"}, get=POST_ONLY, post=_action("is_sheet")),
    "interventions:part_remove": PageSpec(kwargs={"pk": "is_part"}, get=POST_ONLY, post=_action("is_sheet")),
    "interventions:checklist_set": PageSpec(
        kwargs={"pk": "is_check"}, get=POST_ONLY, post=_action("is_sheet", lambda world: {"outcome": "ok"})
    ),
    "interventions:sheet_file": PageSpec(
        kwargs={"pk": "is_file"},
        get=Call(provider_page(provider=200, other_admin=404)),
        post=Call(provider_page(provider=405, other_admin=405)),
    ),
    "interventions:ticket_time_add": PageSpec(
        kwargs={"pk": "is_ticket"},
        get=Call(provider_page(provider=200, other_admin=404)),
        post=Call(
            provider_page(provider=Redirect("servicedesk:ticket_detail", ("is_ticket",), exact=False), other_admin=404),
            data=_ticket_time,
            audits=1,
        ),
    ),
    # The portal: A's client's people see its sheet; the other client does not.
    "portal:intervention_list": PageSpec(
        get=Call(portal_page(client_side=200)), post=Call(portal_page(client_side=405))
    ),
    "portal:intervention_detail": PageSpec(
        kwargs=SHEET,
        get=Call(portal_page(client_manager=200, client_user=200, other_client_manager=404)),
        post=Call(portal_page(client_side=405)),
    ),
}
API: dict[str, ApiSpec] = {}


def build(tenant: Any, provider_word: str, client_word: str) -> dict[str, int]:
    """A's client's planned sheet, a sheet in progress with its rows, a signed sheet and a ticket."""
    actor = tenant.technician
    asset = Asset.objects.create(
        provider=tenant.provider, client=tenant.client, site=tenant.site, name=f"Serveur {client_word.title()}"
    )
    planned = services.sheet_create(
        actor=actor, client=tenant.client, title=f"Visite {client_word.title()}", site=tenant.site, technicians=[actor]
    )
    sheet = services.sheet_create(
        actor=actor,
        client=tenant.client,
        title=f"Panne {client_word.title()}",
        site=tenant.site,
        assets=[asset],
        technicians=[actor],
    )
    now = timezone.now()
    sheet = services.sheet_check_in(actor=actor, sheet=sheet, at=now - datetime.timedelta(hours=3))
    entry = services.time_entry_add(
        actor=actor,
        technician=actor,
        started_at=now - datetime.timedelta(hours=3),
        ended_at=now - datetime.timedelta(hours=2),
        sheet=sheet,
    )
    part = services.part_add(actor=actor, sheet=sheet, description=f"Disque {client_word}", quantity=Decimal(1))
    check = services.checklist_add(actor=actor, sheet=sheet, label="Sauvegardes", asset=asset)
    file = services.file_add(actor=actor, sheet=sheet, filename="photo.png", data=PNG)
    signed = services.sheet_create(
        actor=actor, client=tenant.client, title=f"Signée {client_word.title()}", site=tenant.site, technicians=[actor]
    )
    Intervention.objects.filter(pk=signed.pk).update(
        status=SheetStatus.SIGNED, signed_at=now, checked_in_at=now - datetime.timedelta(hours=5)
    )
    ticket = desk_services.ticket_open(
        actor=actor,
        client=tenant.client,
        title=f"Lenteur {client_word.title()}",
        channel=Channel.PHONE,
        notify_requester=False,
    )
    return {
        "is_asset": asset.pk,
        "is_planned": planned.pk,
        "is_sheet": sheet.pk,
        "is_entry": entry.pk,
        "is_part": part.pk,
        "is_check": check.pk,
        "is_file": file.pk,
        "is_signed": signed.pk,
        "is_ticket": ticket.pk,
    }
