"""Builders for the ledger's tests: contracts of each billing model, a sheet signed for real, ticket time."""

from __future__ import annotations

import datetime
import io
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from pacte.interventions import services, signing, timing
from pacte.interventions.models import Intervention, TimeEntry
from pacte.interventions.tests import helpers

PARIS = ZoneInfo("Europe/Paris")

TIME_AND_MATERIALS: dict[str, Any] = {
    "billing_model": {"kind": "time_and_materials", "labour_rate": "80.00"},
    "rounding_unit_minutes": 15,
    "minimum_minutes_per_intervention": 60,
    "multipliers": {"after_hours": "1.50", "weekend_or_holiday": "2.00", "on_site": "1.00"},
    "travel": {"zones": [{"code": "Z1", "label": "Agglomération", "fee": "45.00"}]},
}
FIXED_FEE_HOURS: dict[str, Any] = {
    "billing_model": {
        "kind": "fixed_fee",
        "fee": "900.00",
        "period": "month",
        "included_quantity": "10",
        "included_unit": "hours",
        "overage_rate": "95.00",
    },
    "rounding_unit_minutes": 15,
}
FIXED_FEE_INTERVENTIONS: dict[str, Any] = {
    "billing_model": {
        "kind": "fixed_fee",
        "fee": "900.00",
        "period": "month",
        "included_quantity": "4",
        "included_unit": "interventions",
        "overage_rate": "150.00",
    }
}
UNLIMITED: dict[str, Any] = {"billing_model": {"kind": "unlimited", "fee": "1500.00", "period": "month"}}
PREPAID: dict[str, Any] = {
    "billing_model": {"kind": "prepaid_credits", "block_quantity": "20", "block_price": "1600.00"},
    "rounding_unit_minutes": 15,
    "minimum_minutes_per_intervention": 30,
}
PER_TASK: dict[str, Any] = {
    "billing_model": {
        "kind": "per_task",
        "catalogue": [{"code": "WS", "label": "Nouveau poste", "price": "180.00"}],
    }
}


def recent_weekday(days_back: int = 3) -> datetime.date:
    """A working day (Monday–Friday, not a French public holiday) at least ``days_back`` days ago."""
    calendar = timing.default_calendar()
    day = timezone.localdate() - datetime.timedelta(days=days_back)
    while day.weekday() >= 5 or calendar.is_holiday(day):
        day -= datetime.timedelta(days=1)
    return day


def paris(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=PARIS)


def signature_png() -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(20, 160), (200, 30), (300, 150), (570, 40)], fill=(20, 30, 60, 255), width=5)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def done_sheet(
    tenant: Any,
    *,
    contract: Any,
    start: datetime.datetime,
    minutes: int = 40,
    mode: str = "on_site",
    travel_zone: str = "",
    part_price: str | None = None,
    corrects: Intervention | None = None,
) -> Intervention:
    """A sheet checked in at ``start`` with one labour entry of ``minutes``, done and ready to sign."""
    technician = tenant.technician
    if corrects is not None:
        sheet = services.sheet_correct(actor=technician, sheet=corrects)
    else:
        sheet = helpers.sheet(tenant, contract=contract, mode=mode)
        services.sheet_check_in(actor=technician, sheet=sheet, at=start)
        if mode == "on_site":
            services.backup_confirm(actor=technician, sheet=sheet, check="client_confirmed", confirmed_by="Mme Martin")
    services.time_entry_add(
        actor=technician,
        technician=technician,
        sheet=sheet,
        started_at=start,
        ended_at=start + datetime.timedelta(minutes=minutes),
        description="Remplacement du disque",
    )
    if part_price is not None:
        services.part_add(
            actor=technician, sheet=sheet, description="Disque SSD 1 To", quantity="2", unit_price=part_price
        )
    services.sheet_update(
        actor=technician,
        sheet=sheet,
        diagnosis="Disque en panne.",
        actions="Disque remplacé.",
        result="resolved",
        travel_zone=travel_zone,
    )
    if corrects is None:
        services.sheet_check_out(actor=technician, sheet=sheet, at=start + datetime.timedelta(minutes=minutes + 5))
    return services.sheet_mark_done(actor=technician, sheet=sheet)


def sign(tenant: Any, sheet: Intervention) -> Intervention:
    outcome = signing.sheet_sign(
        actor=tenant.technician,
        sheet=sheet,
        signer_name="Claire Martin",
        signer_role="Gérante",
        signature_png=signature_png(),
    )
    return outcome.sheet


def ticket_entry(tenant: Any, *, contract: Any, start: datetime.datetime, minutes: int = 20) -> TimeEntry:
    """Remote work logged on a ticket of ``contract``."""
    from pacte.servicedesk.models import Ticket

    ticket = helpers.ticket(tenant, site=tenant.site, notify_requester=False)
    Ticket.objects.filter(pk=ticket.pk).update(contract=contract)  # whatever the coverage found
    ticket.refresh_from_db()
    return services.time_entry_add(
        actor=tenant.technician,
        technician=tenant.technician,
        ticket=ticket,
        started_at=start,
        ended_at=start + datetime.timedelta(minutes=minutes),
    )


def age(entry: TimeEntry, minutes: int = 20) -> TimeEntry:
    """Make ``entry`` look logged ``minutes`` ago (the posting job waits 15 minutes)."""
    TimeEntry.objects.filter(pk=entry.pk).update(created_at=timezone.now() - datetime.timedelta(minutes=minutes))
    entry.refresh_from_db()
    return entry
