"""The interventions chapter of the demo story (run by ``pacte demo`` after the tickets chapter).

- Metz (industrial SME, maintenance contract): a quarterly preventive plan; the first two visits of
  the current contract year are done and signed, the next is planned; a workshop repair of a
  workstation (power supply swapped), signed when it was handed back.
- Lyon (accounting firm, assistance contract): an on-site intervention on a ticket, backups confirmed
  by the client, a part replaced, signed on the technician's tablet; remote sessions logged as time
  on tickets; a remote session whose sheet waits for the client's signature through the portal;
  an on-site visit planned today (the technician's day) and one later in the week (the board).

Dates are relative to ``now`` so the story always reads as recent; every time is in the past except
the planned slots. Signing needs the demo seal certificate (``seal_demo``).
"""

from __future__ import annotations

import datetime
import io
import math
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from pacte.assets.models import Asset
from pacte.contracts.models import Contract
from pacte.interventions import preventive, services, signing
from pacte.interventions.models import BackupCheck, Intervention, Mode, Nature, Outcome, Result
from pacte.servicedesk.models import OPEN_STATUSES, Ticket, TicketStatus
from pacte.tenancy.models import Client, Membership, Provider

PARIS = ZoneInfo("Europe/Paris")


def demo_interventions_loaded(provider: Provider) -> bool:
    return Intervention.objects.filter(provider=provider).exists()


def signature_png(seed: int = 1, width: int = 600, height: int = 200) -> bytes:
    """A hand-drawn-looking signature (a few strokes of a damped curve): what a finger on a tablet gives."""
    image = Image.new("RGBA", (width, height), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    points = []
    for step in range(240):
        t = step / 239
        x = 40 + t * (width - 80)
        y = height / 2 + math.sin(t * (9 + seed) + seed) * 45 * (1 - 0.6 * t) + math.sin(t * 31 + seed) * 12
        points.append((x, y))
    draw.line(points, fill=(20, 30, 90, 255), width=4, joint="curve")
    draw.line([(60, height - 45), (width - 120, height - 55)], fill=(20, 30, 90, 255), width=3)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _local(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=PARIS)


def _weekday_on_or_before(day: datetime.date) -> datetime.date:
    while day.weekday() >= 5:
        day -= datetime.timedelta(days=1)
    return day


def _weekday_on_or_after(day: datetime.date) -> datetime.date:
    while day.weekday() >= 5:
        day += datetime.timedelta(days=1)
    return day


def _member(provider: Provider, email: str) -> Membership:
    return Membership.objects.get(provider=provider, user__email=email)


def _work(
    sheet: Intervention,
    *,
    tech: Membership,
    day: datetime.date,
    start: tuple[int, int],
    minutes: int,
    diagnosis: str,
    actions: str,
    result: str = Result.RESOLVED,
    recommendations: str = "",
    travel: tuple[int, str] | None = None,
    backup_by: str = "",
    parts: tuple[dict[str, object], ...] = (),
) -> Intervention:
    """Check in on ``day`` at ``start``, confirm backups, log time and parts, write the report, check out, mark done."""
    begin = _local(day, *start)
    end = begin + datetime.timedelta(minutes=minutes)
    if travel is not None:
        travel_minutes, _zone = travel
        services.time_entry_add(
            actor=tech,
            technician=tech,
            sheet=sheet,
            nature=Nature.TRAVEL,
            started_at=begin - datetime.timedelta(minutes=travel_minutes),
            ended_at=begin,
            description="Trajet aller",
        )
    sheet = services.sheet_check_in(actor=tech, sheet=sheet, at=begin)
    if sheet.backup_check == BackupCheck.PENDING:
        sheet = services.backup_confirm(
            actor=tech, sheet=sheet, check=BackupCheck.CLIENT_CONFIRMED, confirmed_by=backup_by or "Le client"
        )
    services.time_entry_add(
        actor=tech, technician=tech, sheet=sheet, started_at=begin, ended_at=end, description=actions[:200]
    )
    for part in parts:
        services.part_add(actor=tech, sheet=sheet, **part)  # type: ignore[arg-type]
    changes: dict[str, object] = {
        "diagnosis": diagnosis,
        "actions": actions,
        "result": result,
        "recommendations": recommendations,
    }
    if travel is not None:
        changes.update(travel_minutes=travel[0], travel_zone=travel[1])
    sheet = services.sheet_update(actor=tech, sheet=sheet, **changes)
    sheet = services.sheet_check_out(actor=tech, sheet=sheet, at=end)
    return services.sheet_mark_done(actor=tech, sheet=sheet)


def _sign(sheet: Intervention, tech: Membership, name: str, role: str, seed: int) -> Intervention:
    return signing.sheet_sign(
        actor=tech, sheet=sheet, signer_name=name, signer_role=role, signature_png=signature_png(seed)
    ).sheet


def _travel_zone(contract: Contract | None) -> str:
    if contract is None:
        return ""
    version = contract.versions.order_by("-number").first()
    zones = (version.terms.travel.zones if version is not None else []) or []
    return zones[0].code if zones else ""


@transaction.atomic
def demo_interventions(provider: Provider, *, now: datetime.datetime | None = None) -> list[Intervention]:
    """Create the chapter (once). Returns the sheets created."""
    if demo_interventions_loaded(provider):
        return []
    now = now or timezone.now()
    today = timezone.localtime(now, PARIS).date()
    tech = _member(provider, "tech@demo.pacte.test")
    manager = _member(provider, "manager@demo.pacte.test")
    clients = {client.city: client for client in Client.objects.filter(provider=provider, is_professional=True)}
    lyon, metz = clients["Lyon"], clients["Metz"]
    sheets: list[Intervention] = []
    sheets += _metz(metz, tech, manager, today)
    sheets += _lyon(lyon, tech, today)
    return sheets


def _metz(metz: Client, tech: Membership, manager: Membership, today: datetime.date) -> list[Intervention]:
    contract = Contract.objects.filter(client=metz, title__startswith="Maintenance").first()
    if contract is None:
        return []
    site = metz.sites.order_by("id").first()
    assets = list(Asset.objects.filter(client=metz, archived_at__isnull=True).order_by("id")[:4])
    plan = preventive.plan_create(
        actor=manager,
        contract=contract,
        name="Visites préventives trimestrielles",
        visits_per_year=4,
        mode=Mode.ON_SITE,
        duration_minutes=180,
        assets=assets,
    )
    year = preventive.contract_year_of(contract, today)
    sheets: list[Intervention] = []
    if year is not None:
        visits = list(plan.visits.filter(year_start=year[0]).order_by("sequence"))
        done_days = [
            _weekday_on_or_before(
                min(visits[0].due_from + datetime.timedelta(days=40), today - datetime.timedelta(days=30))
            ),
            _weekday_on_or_before(
                min(visits[1].due_from + datetime.timedelta(days=40), today - datetime.timedelta(days=9))
            ),
        ]
        for number, (visit, day) in enumerate(zip(visits[:2], done_days, strict=True), start=1):
            sheet = preventive.visit_schedule(
                actor=manager,
                visit=visit,
                start=_local(day, 9),
                end=_local(day, 12),
                technicians=[tech],
            )
            sheet = _work(
                sheet,
                tech=tech,
                day=day,
                start=(9, 5),
                minutes=165,
                diagnosis="Visite préventive trimestrielle : état général du parc, sauvegardes, sécurité.",
                actions="Mises à jour Windows et firmware appliquées, journaux d'événements vérifiés, "
                "test de restauration d'un fichier depuis la sauvegarde de la nuit.",
                recommendations="Prévoir le remplacement du disque 2 du NAS (secteurs réalloués en hausse)."
                if number == 2
                else "",
                travel=(35, _travel_zone(contract)) if _travel_zone(contract) else None,
                backup_by="Karim Benali",
            )
            for item in sheet.checklist.all():
                nas = number == 2 and item.code == "disk_health" and item.asset_id == assets[0].pk
                outcome = Outcome.ISSUE if nas else Outcome.OK
                note = "Disque 2 : 48 secteurs réalloués" if outcome == Outcome.ISSUE else ""
                services.checklist_set(actor=tech, item=item, outcome=outcome, note=note)
            for asset in assets[:2]:
                services.patch_add(
                    actor=tech,
                    sheet=sheet,
                    asset=asset,
                    reference="KB5046617" if number == 1 else "KB5048667",
                    title="Mise à jour cumulative Windows",
                    installed_at=_local(day, 10, 30),
                )
            sheets.append(_sign(sheet, tech, "Karim Benali", "Responsable de production", seed=number))
        # The next visit, planned in its window (or next week when its window has passed).
        if len(visits) >= 4:
            upcoming = next((v for v in visits[2:] if v.due_until >= today), visits[-1])
            day = _weekday_on_or_after(max(upcoming.due_from, today + datetime.timedelta(days=6)))
            if day <= upcoming.year_end:
                sheets.append(
                    preventive.visit_schedule(
                        actor=manager, visit=upcoming, start=_local(day, 9), end=_local(day, 12), technicians=[tech]
                    )
                )
    preventive.visits_generate(plan=plan)

    # A workshop repair: a workstation brought back, its power supply replaced, handed back and signed.
    workstation = next((a for a in assets if a.kind in ("workstation", "laptop")), assets[0] if assets else None)
    repair = services.sheet_create(
        actor=tech,
        client=metz,
        site=site,
        contract=contract,
        title="Poste de l'atelier qui ne démarre plus — réparation en atelier",
        mode=Mode.WORKSHOP,
        assets=[workstation] if workstation else [],
        technicians=[tech],
    )
    drop_day = _weekday_on_or_before(today - datetime.timedelta(days=8))
    back_day = _weekday_on_or_before(today - datetime.timedelta(days=5))
    services.sheet_update(
        actor=tech,
        sheet=repair,
        dropped_off_at=_local(drop_day, 8, 40),
        dropped_off_by="Karim Benali",
        drop_off_condition="Unité centrale seule, sans clavier ni écran ; aucun voyant à la mise sous tension.",
    )
    repair = _work(
        repair,
        tech=tech,
        day=drop_day,
        start=(14, 0),
        minutes=75,
        diagnosis="Bloc d'alimentation hors service (tension 12 V absente) ; carte mère et disque sains.",
        actions="Remplacement du bloc d'alimentation, test de charge de 45 minutes, nettoyage interne.",
        backup_by="Karim Benali",
        parts=(
            {
                "description": "Bloc d'alimentation 500 W 80+ Bronze",
                "quantity": 1,
                "unit_price": "64.90",
                "serial_out": "PSU-7731-A",
                "serial_in": "PSU-9902-C",
                "asset": workstation,
            },
        ),
    )
    repair = Intervention.objects.get(pk=repair.pk)
    services.sheet_update(actor=tech, sheet=repair, returned_at=_local(back_day, 16, 30), returned_to="Karim Benali")
    sheets.append(_sign(repair, tech, "Karim Benali", "Responsable de production", seed=5))
    return sheets


def _lyon(lyon: Client, tech: Membership, today: datetime.date) -> list[Intervention]:
    contract = Contract.objects.filter(client=lyon, title__startswith="Assistance").first()
    site = lyon.sites.order_by("id").first()
    tickets = list(Ticket.objects.filter(client=lyon).order_by("opened_at", "id"))
    open_tickets = [t for t in tickets if t.status in OPEN_STATUSES]
    sheets: list[Intervention] = []
    # Remote sessions logged as time on the firm's tickets.
    for offset, ticket in enumerate([t for t in tickets if t.status != TicketStatus.CLOSED][:3]):
        day = _weekday_on_or_before(timezone.localtime(ticket.opened_at, PARIS).date() + datetime.timedelta(days=1))
        if day >= today:
            continue
        services.time_entry_add(
            actor=tech,
            technician=tech,
            ticket=ticket,
            started_at=_local(day, 10 + offset, 0),
            ended_at=_local(day, 10 + offset, 35),
            description="Prise en main à distance",
        )
    # An on-site intervention on an open ticket, signed on the technician's tablet.
    day = _weekday_on_or_before(today - datetime.timedelta(days=2))
    onsite = services.sheet_create(
        actor=tech,
        client=lyon,
        site=site,
        contract=contract,
        ticket=open_tickets[0] if open_tickets else None,
        title="Serveur de fichiers : disque en panne dans la grappe RAID",
        mode=Mode.ON_SITE,
        technicians=[tech],
        planned_start=_local(day, 14),
        planned_end=_local(day, 16),
    )
    services.sheet_check_in(actor=tech, sheet=onsite, at=_local(day, 14, 10))
    services.backup_confirm(actor=tech, sheet=onsite, check=BackupCheck.CLIENT_CONFIRMED, confirmed_by="Claire Durand")
    services.part_add(
        actor=tech,
        sheet=onsite,
        description="Disque dur 4 To SAS 7 200 tr/min",
        quantity=1,
        unit_price="189.00",
        serial_out="ZC1A2B3C",
        serial_in="ZC9X8Y7W",
    )
    services.time_entry_add(
        actor=tech,
        technician=tech,
        sheet=onsite,
        started_at=_local(day, 14, 10),
        ended_at=_local(day, 15, 40),
        description="Remplacement du disque, reconstruction de la grappe",
    )
    services.sheet_update(
        actor=tech,
        sheet=onsite,
        diagnosis="Disque 3 de la grappe RAID 5 en défaut (erreurs SMART), grappe dégradée.",
        actions="Remplacement à chaud du disque 3, reconstruction de la grappe (1 h 20), contrôle des journaux, "
        "vérification de l'accès aux partages depuis deux postes.",
        result=Result.RESOLVED,
        recommendations="Le serveur a 6 ans : prévoir son renouvellement au prochain budget.",
    )
    services.sheet_check_out(actor=tech, sheet=onsite, at=_local(day, 15, 45))
    onsite = services.sheet_mark_done(actor=tech, sheet=Intervention.objects.get(pk=onsite.pk))
    sheets.append(_sign(onsite, tech, "Claire Durand", "Dirigeante", seed=3))

    # A remote session whose sheet waits for the client's signature (nobody could sign).
    remote_day = _weekday_on_or_before(today - datetime.timedelta(days=1))
    remote = services.sheet_create(
        actor=tech,
        client=lyon,
        site=site,
        contract=contract,
        title="Reconfiguration de la messagerie après changement de mot de passe",
        mode=Mode.REMOTE,
        technicians=[tech],
    )
    remote = _work(
        remote,
        tech=tech,
        day=remote_day,
        start=(11, 0),
        minutes=40,
        diagnosis="Comptes de messagerie bloqués sur trois postes après le changement de mot de passe imposé.",
        actions="Mise à jour des profils Outlook et des téléphones, vérification de l'envoi et de la réception.",
    )
    signing.remote_sign_request(
        actor=tech, sheet=remote, reason="Intervention à distance : la signature est demandée par le portail."
    )
    sheets.append(remote)

    # Planned: this afternoon (the technician's day) and later this week (the board).
    for days, hour, title in (
        (0, 14, "Installation de deux postes pour les nouveaux collaborateurs"),
        (3, 9, "Remplacement de l'onduleur de la baie"),
    ):
        day = _weekday_on_or_after(today + datetime.timedelta(days=days))
        sheets.append(
            services.sheet_create(
                actor=tech,
                client=lyon,
                site=site,
                contract=contract,
                title=title,
                mode=Mode.ON_SITE,
                technicians=[tech],
                planned_start=_local(day, hour),
                planned_end=_local(day, hour + 2),
            )
        )
    return sheets
