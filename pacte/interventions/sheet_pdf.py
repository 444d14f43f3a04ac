"""The intervention sheet as a document: the PDF's data, its canonical content and its SHA-256, the draft preview.

``sheet_document_context`` flattens a sheet into display strings (local times in the site's time
zone, durations, tables) for ``interventions/pdf/sheet.html``: document templates render in a
strict engine where a missing value is an error, so everything the template prints is here.
``sheet_canonical_json`` is the sheet's content as sorted, compact JSON: its SHA-256 is printed in
the signature's evidence and the JSON itself is embedded in the PDF (``fiche.json``), so anyone can
recompute it.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import secrets
from collections.abc import Iterable
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import formats, translation
from django.utils.translation import gettext as _

from pacte.documents import rendering
from pacte.documents.domain import PdfAttachment
from pacte.interventions.models import Intervention, Mode, Nature, TimeEntry
from pacte.tenancy.models import Membership

TEMPLATE = "interventions/pdf/sheet.html"
DOCUMENT_LANGUAGE = "fr"
CANONICAL_NAME = "fiche.json"


def sheet_time_zone(sheet: Intervention) -> str:
    """The zone the sheet's times are read in: the site's, else the client's."""
    if sheet.site is not None:
        return sheet.site.effective_time_zone
    return sheet.client.time_zone or "Europe/Paris"


def person_name(membership: Membership | None) -> str:
    if membership is None:
        return ""
    return membership.user.full_name or membership.user.email


def duration_text(minutes: int) -> str:
    """``2 h 05``, ``45 min``, ``0 min``."""
    minutes = max(int(minutes), 0)
    hours, rest = divmod(minutes, 60)
    if hours:
        return f"{hours}\u00a0h\u00a0{rest:02d}"
    return f"{rest}\u00a0min"


def _number(value: Decimal | None, places: int = 2) -> str:
    if value is None:
        return ""
    return formats.number_format(value, decimal_pos=places, use_l10n=True, force_grouping=True)


def _quantity(value: Decimal) -> str:
    if value == value.to_integral_value():
        return formats.number_format(int(value), use_l10n=True)
    return formats.number_format(value, decimal_pos=2, use_l10n=True)


class _Clock:
    """Formats instants in one time zone, in the active language's formats."""

    def __init__(self, time_zone: str) -> None:
        self.zone = ZoneInfo(time_zone)

    def local(self, at: datetime.datetime | None) -> datetime.datetime | None:
        return at.astimezone(self.zone) if at is not None else None

    def date(self, at: datetime.datetime | None) -> str:
        local = self.local(at)
        return formats.date_format(local, "SHORT_DATE_FORMAT") if local else ""

    def time(self, at: datetime.datetime | None) -> str:
        local = self.local(at)
        return formats.time_format(local, "H:i") if local else ""

    def moment(self, at: datetime.datetime | None) -> str:
        if at is None:
            return ""
        return f"{self.date(at)} {self.time(at)}"


def _iso(at: datetime.datetime | None) -> str | None:
    return at.astimezone(datetime.UTC).isoformat() if at is not None else None


# Canonical content ----------------------------------------------------------------------------------


def _entries(sheet: Intervention) -> list[TimeEntry]:
    return list(sheet.time_entries.select_related("technician__user").order_by("started_at", "id"))


def sheet_canonical_content(sheet: Intervention) -> dict[str, Any]:
    """What the signer approves: the work, time, parts, checks and travel, with ids and raw values."""
    return {
        "reference": sheet.reference,
        "provider": sheet.provider_id,
        "client": sheet.client_id,
        "site": sheet.site_id,
        "contract": sheet.contract_id,
        "ticket": sheet.ticket_id,
        "visit": sheet.visit_id,
        "corrects": sheet.corrects_id,
        "title": sheet.title,
        "mode": sheet.mode,
        "technicians": sorted(sheet.technicians.values_list("pk", flat=True)),
        "assets": sorted(sheet.assets.values_list("pk", flat=True)),
        "checked_in_at": _iso(sheet.checked_in_at),
        "checked_out_at": _iso(sheet.checked_out_at),
        "diagnosis": sheet.diagnosis,
        "actions": sheet.actions,
        "result": sheet.result,
        "recommendations": sheet.recommendations,
        "follow_up_needed": sheet.follow_up_needed,
        "follow_up_notes": sheet.follow_up_notes,
        "travel": {"minutes": sheet.travel_minutes, "km": sheet.travel_km, "zone": sheet.travel_zone},
        "backup": {
            "check": sheet.backup_check,
            "confirmed_by": sheet.backup_confirmed_by,
            "confirmed_at": _iso(sheet.backup_confirmed_at),
        },
        "workshop": {
            "dropped_off_at": _iso(sheet.dropped_off_at),
            "dropped_off_by": sheet.dropped_off_by,
            "drop_off_condition": sheet.drop_off_condition,
            "returned_at": _iso(sheet.returned_at),
            "returned_to": sheet.returned_to,
        },
        "time_entries": [
            {
                "id": entry.pk,
                "technician": entry.technician_id,
                "nature": entry.nature,
                "started_at": _iso(entry.started_at),
                "ended_at": _iso(entry.ended_at),
                "description": entry.description,
            }
            for entry in _entries(sheet)
        ],
        "parts": [
            {
                "id": part.pk,
                "description": part.description,
                "quantity": part.quantity,
                "unit_price": part.unit_price,
                "serial_out": part.serial_out,
                "serial_in": part.serial_in,
                "asset": part.asset_id,
            }
            for part in sheet.parts.order_by("id")
        ],
        "checklist": [
            {"asset": item.asset_id, "code": item.code, "label": item.label, "outcome": item.outcome, "note": item.note}
            for item in sheet.checklist.order_by("position", "id")
        ],
        "patches": [
            {"asset": patch.asset_id, "reference": patch.reference, "title": patch.title,
             "installed_at": _iso(patch.installed_at)}
            for patch in sheet.patches.order_by("installed_at", "id")
        ],
    }  # fmt: skip


def sheet_canonical_json(sheet: Intervention) -> bytes:
    """The content as compact JSON with sorted keys (UTF-8): the same sheet always gives the same bytes."""
    text = json.dumps(
        sheet_canonical_content(sheet),
        cls=DjangoJSONEncoder,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return text.encode()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# Display -------------------------------------------------------------------------------------------


def _lines(*values: str) -> list[str]:
    return [" ".join(value.split()) for value in values if value and value.strip()]


def _provider_lines(provider: Any) -> list[str]:
    identity = []
    if provider.siren:
        identity.append(_("SIREN %(siren)s") % {"siren": provider.siren})
    if provider.vat_number:
        identity.append(_("VAT %(number)s") % {"number": provider.vat_number})
    return _lines(
        provider.address,
        f"{provider.postal_code} {provider.city}",
        " · ".join(identity),
    )


def _asset_label(asset: Any) -> str:
    detail = " ".join(part for part in (asset.make, asset.model) if part)
    serial = _("S/N %(serial)s") % {"serial": asset.serial} if asset.serial else ""
    extra = ", ".join(part for part in (detail, serial) if part)
    return f"{asset.name} ({extra})" if extra else asset.name


def _time_rows(entries: Iterable[TimeEntry], clock: _Clock) -> tuple[list[dict[str, str]], dict[str, str]]:
    rows = []
    totals = {"all": 0, "in_hours": 0, "after_hours": 0, "weekend": 0, "labour": 0, "travel": 0}
    for entry in entries:
        minutes = entry.minutes
        totals["all"] += minutes
        totals["in_hours"] += entry.minutes_in_hours
        totals["after_hours"] += entry.minutes_after_hours
        totals["weekend"] += entry.minutes_weekend
        totals["travel" if entry.nature == Nature.TRAVEL else "labour"] += minutes
        rows.append(
            {
                "date": clock.date(entry.started_at),
                "span": f"{clock.time(entry.started_at)}–{clock.time(entry.ended_at)}",
                "technician": person_name(entry.technician),
                "nature": str(entry.get_nature_display()),
                "duration": duration_text(minutes),
                "after_hours": duration_text(entry.minutes_after_hours) if entry.minutes_after_hours else "",
                "weekend": duration_text(entry.minutes_weekend) if entry.minutes_weekend else "",
                "description": entry.description,
            }
        )
    return rows, {name: duration_text(value) for name, value in totals.items()}


def _checklist_groups(sheet: Intervention) -> list[dict[str, Any]]:
    groups: dict[int | None, dict[str, Any]] = {}
    for item in sheet.checklist.select_related("asset").order_by("position", "id"):
        key = item.asset_id
        if key not in groups:
            label = item.asset.name if item.asset is not None else _("General")
            groups[key] = {"asset": label, "items": []}
        groups[key]["items"].append(
            {"label": item.label, "outcome": str(item.get_outcome_display()), "code": item.outcome, "note": item.note}
        )
    return list(groups.values())


def _signature(sheet: Intervention, clock: _Clock, content_sha256: str, consent_text: str) -> dict[str, str] | None:
    if sheet.signed_at is None or not sheet.signature_png:
        return None
    image = base64.b64encode(bytes(sheet.signature_png)).decode("ascii")
    utc = sheet.signed_at.astimezone(datetime.UTC)
    return {
        "image_uri": f"data:image/png;base64,{image}",
        "signer_name": sheet.signer_name,
        "signer_role": sheet.signer_role,
        "signed_local": clock.moment(sheet.signed_at),
        "signed_utc": utc.strftime("%Y-%m-%d %H:%M:%S UTC"),
        "signature_sha256": sheet.signature_sha256,
        "content_sha256": content_sha256,
        "consent_text": consent_text,
        "remote": "1" if sheet.no_signature_reason else "",
    }


def sheet_document_context(
    sheet: Intervention, *, content_sha256: str = "", consent_text: str = "", draft: bool = False
) -> dict[str, Any]:
    """Everything ``interventions/pdf/sheet.html`` prints, as display strings (in the active language)."""
    clock = _Clock(sheet_time_zone(sheet))
    provider, client, site = sheet.provider, sheet.client, sheet.site
    entries = _entries(sheet)
    time_rows, time_totals = _time_rows(entries, clock)
    technicians = list(sheet.technicians.select_related("user").order_by("user__full_name", "pk"))
    names = [person_name(member) for member in technicians]
    for entry in entries:  # someone who logged time is on the sheet, assigned or not
        name = person_name(entry.technician)
        if name not in names:
            names.append(name)
    parts = [
        {
            "description": part.description,
            "quantity": _quantity(part.quantity),
            "unit_price": _number(part.unit_price),
            "serial_out": part.serial_out,
            "serial_in": part.serial_in,
            "asset": part.asset.name if part.asset is not None else "",
        }
        for part in sheet.parts.select_related("asset").order_by("id")
    ]
    patches = [
        {
            "asset": patch.asset.name,
            "reference": patch.reference,
            "title": patch.title,
            "installed_at": clock.moment(patch.installed_at),
        }
        for patch in sheet.patches.select_related("asset").order_by("installed_at", "id")
    ]
    travel = []
    if sheet.travel_minutes is not None:
        travel.append(duration_text(sheet.travel_minutes))
    if sheet.travel_km is not None:
        travel.append(_("%(km)s km") % {"km": _number(sheet.travel_km, 1)})
    if sheet.travel_zone:
        travel.append(_("zone %(zone)s") % {"zone": sheet.travel_zone})
    worked = ""
    if sheet.checked_in_at and sheet.checked_out_at:
        worked = duration_text(int((sheet.checked_out_at - sheet.checked_in_at).total_seconds() // 60))
    planned = ""
    if sheet.planned_start and sheet.planned_end:
        planned = f"{clock.moment(sheet.planned_start)} – {clock.time(sheet.planned_end)}"
        if clock.date(sheet.planned_start) != clock.date(sheet.planned_end):
            planned = f"{clock.moment(sheet.planned_start)} – {clock.moment(sheet.planned_end)}"
    doc = {
        "draft": draft,
        "reference": sheet.reference,
        "title": sheet.title,
        "mode": str(sheet.get_mode_display()),
        "is_workshop": sheet.mode == Mode.WORKSHOP,
        "is_on_site": sheet.mode == Mode.ON_SITE,
        "status": str(sheet.get_status_display()),
        "provider_name": provider.legal_name or provider.name,
        "provider_lines": _provider_lines(provider),
        "client_name": client.name,
        "client_lines": _lines(client.address, f"{client.postal_code} {client.city}"),
        "site_name": site.name if site is not None else "",
        "site_lines": _lines(site.address, f"{site.postal_code} {site.city}") if site is not None else [],
        "contract": f"{sheet.contract.reference} — {sheet.contract.title}" if sheet.contract else "",
        "ticket": f"{sheet.ticket.reference} — {sheet.ticket.title}" if sheet.ticket else "",
        "visit": _("Preventive visit no. %(number)s") % {"number": sheet.visit.sequence} if sheet.visit else "",
        "corrects": sheet.corrects.reference if sheet.corrects else "",
        "date": clock.date(sheet.checked_in_at or sheet.planned_start or sheet.created_at),
        "planned": planned,
        "checked_in": clock.moment(sheet.checked_in_at),
        "checked_out": clock.moment(sheet.checked_out_at),
        "worked": worked,
        "time_zone": sheet_time_zone(sheet),
        "technicians": ", ".join(names),
        "assets": [_asset_label(asset) for asset in sheet.assets.order_by("name", "pk")],
        "diagnosis": sheet.diagnosis,
        "actions": sheet.actions,
        "result": str(sheet.get_result_display()) if sheet.result else "",
        "result_code": sheet.result,
        "recommendations": sheet.recommendations,
        "follow_up_needed": sheet.follow_up_needed,
        "follow_up_notes": sheet.follow_up_notes,
        "time_rows": time_rows,
        "time_totals": time_totals,
        "has_after_hours": any(row["after_hours"] or row["weekend"] for row in time_rows),
        "parts": parts,
        "has_prices": any(part["unit_price"] for part in parts),
        "checklist_groups": _checklist_groups(sheet),
        "patches": patches,
        "travel": ", ".join(travel),
        "backup": str(sheet.get_backup_check_display()),
        "backup_confirmed_by": sheet.backup_confirmed_by,
        "backup_confirmed_at": clock.moment(sheet.backup_confirmed_at),
        "backup_blocking": sheet.backup_blocking,
        "dropped_off_at": clock.moment(sheet.dropped_off_at),
        "dropped_off_by": sheet.dropped_off_by,
        "drop_off_condition": sheet.drop_off_condition,
        "returned_at": clock.moment(sheet.returned_at),
        "returned_to": sheet.returned_to,
        "no_signature_reason": sheet.no_signature_reason,
        "signature": _signature(sheet, clock, content_sha256, consent_text),
    }
    title = _("Intervention sheet %(reference)s") % {"reference": sheet.reference}
    return {"provider": provider, "title": title, "doc": doc}


def sheet_title(sheet: Intervention, language: str = DOCUMENT_LANGUAGE) -> str:
    with translation.override(language):
        return _("Intervention sheet %(reference)s") % {"reference": sheet.reference}


def canonical_attachment(canonical: bytes) -> PdfAttachment:
    return PdfAttachment(
        name=CANONICAL_NAME,
        content=canonical,
        description="Contenu de la fiche (JSON canonique, SHA-256 dans le bloc de signature)",
    )


def sheet_draft_pdf(sheet: Intervention, *, language: str = DOCUMENT_LANGUAGE) -> bytes:
    """The sheet as it stands, watermarked "Draft": neither stored nor sealed (a preview before signing)."""
    with translation.override(language):
        context = sheet_document_context(sheet, draft=True)
    html = rendering.html_render(template_name=TEMPLATE, context=context, language=language)
    return rendering.pdf_from_html(html, identifier=secrets.token_bytes(16), pdf_a=False)
