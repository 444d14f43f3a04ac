"""The contract's documents: the PDF (PDF/A-3b) and Word files of a version, rendered from its terms.

``version_context`` turns a version into plain French values (every sentence and figure the
templates print), so the PDF and the Word file say exactly the same thing: a title block with the
parties and the *conditions particulières*, the articles (``terms.clauses``, numbered), then the
annexes — 1 service levels, 2 coverage hours, 3 scope, 4 price schedule, 5 intervention sheet model,
6 GDPR processor agreement (when ``gdpr_processor_annex``) — and the signature block. An amendment
("Avenant n° N") shows its reason, its effective date, what changes and the full new price schedule.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.utils import translation

from pacte.contracts import wording as w
from pacte.contracts.models import ContractVersion, ServiceCategory, VersionKind, VersionStatus
from pacte.contracts.terms import (
    ContractTerms,
    FixedFee,
    Milestones,
    PerTask,
    PrepaidCredits,
    TimeAndMaterials,
    Unlimited,
)
from pacte.documents.models import Document, DocumentKind
from pacte.documents.services import document_create_docx, document_create_pdf
from pacte.tenancy.domain import HOLIDAY_SUBDIVISIONS
from pacte.tenancy.models import Client, Membership, Provider, Site

PDF_TEMPLATE = "contracts/documents/contract.html"
DOCX_TEMPLATE = "contracts/documents/contract_docx.html"

CONTRACT_TYPES = {
    "maintenance": "Contrat de maintenance informatique",
    "assistance": "Contrat d'assistance informatique",
    "prestation": "Contrat de prestation informatique",
}
MODES = {
    "remote": ("À distance", "télédiagnostic, télémaintenance ou télédistribution par une liaison sécurisée"),
    "on_site": ("Sur site", "dans les locaux du client, lorsque l'intervention à distance n'est pas opportune"),
    "workshop": ("En atelier", "dans les locaux du prestataire, le matériel étant rapatrié"),
}
PRIORITIES = (
    ("P1", "P1 — critique", "Arrêt de l'activité : serveur, réseau ou service essentiel indisponible pour tous."),
    ("P2", "P2 — haute", "Fonction importante dégradée ou utilisateur clé bloqué, sans contournement."),
    ("P3", "P3 — normale", "Dysfonctionnement gênant avec solution de contournement ; un utilisateur concerné."),
    ("P4", "P4 — basse", "Demande d'information, de paramétrage ou d'évolution ; aucun blocage."),
)
TARGET_KINDS = ("response", "intervention", "restoration", "resolution")
PERIODS = {"month": ("mensuel", "par mois"), "quarter": ("trimestriel", "par trimestre"), "year": ("annuel", "par an")}
BILLED = {"in_advance": "terme à échoir (en début de période)", "in_arrears": "terme échu (en fin de période)"}
OVERAGE = {
    "allow": "les heures ou interventions au-delà du volume inclus sont facturées au tarif de dépassement",
    "warn": "le client est alerté à l'approche du volume inclus ; le dépassement est facturé au tarif ci-dessus",
    "block": "aucune prestation au-delà du volume inclus sans l'accord écrit préalable du client",
}
BILLING_NAMES = {
    "fixed_fee": "Forfait",
    "unlimited": "Assistance illimitée (forfait)",
    "time_and_materials": "Régie (au temps passé)",
    "prepaid_credits": "Crédits d'heures prépayés",
    "per_task": "Prix unitaires par prestation (catalogue)",
    "milestones": "Prix forfaitaire par jalons",
}
ANNEX_TITLES = {
    1: "Niveaux de service",
    2: "Horaires de couverture",
    3: "Périmètre",
    4: "Conditions financières",
    5: "Modèle de fiche d'intervention",
    6: "Accord de sous-traitance de données personnelles (RGPD, art. 28)",
}
_BULLET = re.compile(r"^\s*[-•]\s+")


# The version as French values -------------------------------------------------------------------


def amendment_number(version: ContractVersion) -> int:
    """The amendment's rank among the contract's amendments (cancelled ones are not counted)."""
    return (
        version.contract.versions.filter(kind=VersionKind.AMENDMENT, number__lte=version.number)
        .exclude(status=VersionStatus.CANCELLED)
        .count()
        if version.kind == VersionKind.AMENDMENT
        else 0
    )


def version_title(version: ContractVersion) -> str:
    contract = version.contract
    if version.kind == VersionKind.AMENDMENT:
        return f"Avenant n° {amendment_number(version)} au contrat {contract.reference}"
    if version.kind == VersionKind.REVISION:
        return f"Révision des prix du contrat {contract.reference}"
    return f"Contrat {contract.reference} — {contract.title}"


def version_filename(version: ContractVersion) -> str:
    reference = version.contract.reference
    if version.kind == VersionKind.AMENDMENT:
        return f"avenant-{amendment_number(version)}-{reference}"
    if version.kind == VersionKind.REVISION:
        return f"revision-{reference}-v{version.number}"
    return f"contrat-{reference}"


def text_blocks(text: str) -> list[dict[str, Any]]:
    """A clause's text as blocks: paragraphs (blank-line separated) and bullet lists (``- `` lines)."""
    blocks: list[dict[str, Any]] = []
    for chunk in re.split(r"\n\s*\n", text.strip()):
        lines = [line.strip() for line in chunk.splitlines() if line.strip()]
        paragraph: list[str] = []
        items: list[str] | None = None  # the list being read, if any
        for line in lines:
            if _BULLET.match(line):
                if paragraph:
                    blocks.append({"kind": "p", "text": " ".join(paragraph), "items": []})
                    paragraph = []
                if items is None:
                    items = []
                    blocks.append({"kind": "ul", "text": "", "items": items})
                items.append(_BULLET.sub("", line))
            elif items is not None:
                items[-1] += " " + line  # a bullet item wrapped on the next line
            else:
                paragraph.append(line)
        if paragraph:
            blocks.append({"kind": "p", "text": " ".join(paragraph), "items": []})
    return blocks


def _address(obj: Any) -> str:
    city = " ".join(part for part in (obj.postal_code, obj.city) if part)
    return ", ".join(part for part in (obj.address, city) if part)


def provider_lines(provider: Provider) -> list[str]:
    """The provider's legal identity, line by line (Code de commerce R123-237)."""
    lines = []
    form = provider.legal_form
    if form and provider.share_capital is not None:
        capital = provider.share_capital
        amount = w.euros(capital) if capital != capital.to_integral_value() else f"{w.number(capital, 0)}{w.NBSP}€"
        lines.append(f"{form} au capital de {amount}")
    elif form:
        lines.append(form)
    if provider.siren:
        lines.append(
            f"RCS {provider.rcs_city} {w.siren(provider.siren)}"
            if provider.rcs_city
            else f"SIREN {w.siren(provider.siren)}"
        )
    if provider.vat_number:
        lines.append(f"TVA intracommunautaire {provider.vat_number}")
    address = _address(provider)
    if address:
        lines.append(f"Siège : {address}")
    return lines


def client_lines(client: Client) -> list[str]:
    lines = []
    if client.siren:
        lines.append(f"SIREN {w.siren(client.siren)}")
    if client.vat_number:
        lines.append(f"TVA intracommunautaire {client.vat_number}")
    address = _address(client)
    if address:
        lines.append(f"Adresse : {address}")
    if not client.is_professional:
        lines.append("Client n'agissant pas en qualité de professionnel (consommateur ou non-professionnel)")
    return lines


def notice_text(terms: ContractTerms) -> str:
    renewal = terms.renewal
    if renewal.notice_months:
        return f"préavis de {w.months(renewal.notice_months)}"
    if renewal.notice_days:
        return f"préavis de {w.days(renewal.notice_days)}"
    return "sans préavis"


def duration_text(start: datetime.date, duration_months: int | None, terms: ContractTerms) -> str:
    """``"12 mois à compter du 1er janvier 2027, renouvelable par tacite reconduction pour une durée indéterminée ;
    préavis de 2 mois"``."""
    from pacte.contracts import dates

    renewal = terms.renewal
    notice = notice_text(terms)
    if duration_months is None:
        return f"Durée indéterminée à compter du {w.date_long(start)} ; résiliable à tout moment moyennant un {notice}"
    head = f"{w.months(duration_months)} à compter du {w.date_long(start)}"
    if renewal.kind == "tacit":
        term = (
            f"par périodes successives de {w.months(renewal.renewal_term_months)}"
            if renewal.renewal_term_months
            else "pour une durée indéterminée"
        )
        return f"{head}, renouvelable par tacite reconduction {term} ; {notice}"
    last_day = w.date_long(dates.term_last_day(start, duration_months))
    if renewal.kind == "express":
        return f"{head}, jusqu'au {last_day} inclus ; renouvelable uniquement par accord exprès des parties"
    return f"{head}, jusqu'au {last_day} inclus, sans renouvellement"


def payment_text(terms: ContractTerms) -> str:
    payment = terms.payment_terms
    if payment.days == 0:
        return "À réception de la facture"
    if payment.end_of_month:
        return f"{w.days(payment.days)} fin de mois à compter de la date d'émission de la facture"
    return f"{w.days(payment.days)} à compter de la date d'émission de la facture"


def billing_summary(terms: ContractTerms) -> str:
    """One line for the title block: ``"Forfait mensuel de 900,00 € HT incluant 10 heures par mois"``."""
    model = terms.billing_model
    if isinstance(model, FixedFee):
        adjective, per = PERIODS[model.period]
        text = f"Forfait {adjective} de {w.euros_ht(model.fee)}"
        if model.included_unit != "none" and model.included_quantity:
            unit = "heures" if model.included_unit == "hours" else "interventions"
            text += f" incluant {w.quantity(model.included_quantity)} {unit} {per}"
        return text
    if isinstance(model, Unlimited):
        return f"Assistance illimitée : forfait {PERIODS[model.period][0]} de {w.euros_ht(model.fee)}"
    if isinstance(model, TimeAndMaterials):
        return f"Régie au temps passé : {w.euros_ht(model.labour_rate)} de l'heure"
    if isinstance(model, PrepaidCredits):
        return f"Blocs prépayés de {w.hours(model.block_quantity)} à {w.euros_ht(model.block_price)}"
    if isinstance(model, PerTask):
        return f"Prix unitaires selon le catalogue de {len(model.catalogue)} prestation(s) de l'Annexe 4"
    total = sum((milestone.amount for milestone in model.milestones), Decimal(0))
    return f"Prix forfaitaire de {w.euros_ht(total)} réparti en {len(model.milestones)} jalon(s)"


def revision_summary(terms: ContractTerms) -> str:
    revision = terms.price_revision
    if revision is None:
        return "Prix fermes : toute modification fait l'objet d'un avenant"
    period = (
        "annuelle" if revision.revision_period_months == 12 else f"tous les {w.months(revision.revision_period_months)}"
    )
    return f"Indice {revision.index_code}, révision {period} (Annexe 4)"


def service_level_of(provider: Provider, pk: int | None) -> Any:
    if pk is None:
        return None
    model = apps.get_model("sla", "ServiceLevel")
    return (
        model.objects.filter(provider_id=provider.pk, pk=pk)
        .select_related("calendar")
        .prefetch_related("targets", "calendar__exceptions")
        .first()
    )


def particulars(version: ContractVersion, terms: ContractTerms, level: Any) -> list[tuple[str, str]]:
    contract = version.contract
    rows = [
        ("Référence", f"{contract.reference} (version {version.number})"),
        ("Intitulé", contract.title),
        ("Nature", CONTRACT_TYPES.get(terms.contract_type, terms.contract_type)),
        ("Prise d'effet", w.date_long(contract.start_date)),
        ("Durée et renouvellement", duration_text(contract.start_date, contract.duration_months, terms)),
        ("Niveau de service", f"{level.name} (Annexes 1 et 2)" if level else "Sans engagement de délai (Annexe 1)"),
        ("Facturation", f"{billing_summary(terms)} (Annexe 4)"),
        ("Délai de paiement", payment_text(terms)),
        ("Révision des prix", revision_summary(terms)),
        (
            "Plafond de responsabilité",
            w.euros(terms.liability_cap)
            if terms.liability_cap is not None
            else "Sommes versées par le client au cours des douze mois précédant le fait générateur",
        ),
        (
            "Confidentialité",
            "Oui : le prestataire et ses préposés sont tenus au secret" if terms.confidentiality else "Non",
        ),
        (
            "Données personnelles",
            "Accord de sous-traitance en Annexe 6" if terms.gdpr_processor_annex else "Sans objet",
        ),
    ]
    return rows


# Annexes ------------------------------------------------------------------------------------------


def sla_annex(level: Any) -> dict[str, Any] | None:
    """Annex 1: the targets per priority, each in business or calendar hours."""
    if level is None:
        return None
    targets = {(target.priority, target.kind): target for target in level.targets.all()}
    rows = []
    for code, label, definition in PRIORITIES:
        cells = []
        for kind in TARGET_KINDS:
            target = targets.get((code, kind))
            if target is None or target.seconds is None:
                cells.append("—")
            else:
                basis = "ouvrées" if target.basis == "business" else "calendaires (24/7)"
                cells.append(f"{w.duration_seconds(target.seconds)} {basis}")
        rows.append({"label": label, "definition": definition, "cells": cells})
    return {"name": level.name, "description": level.description, "rows": rows}


def coverage_annex(level: Any, provider: Provider, start: datetime.date) -> dict[str, Any] | None:
    """Annex 2: the coverage calendar's weekly windows, time zone, holidays, exceptions and closures."""
    if level is None:
        return None
    from pacte.sla.calendars import WEEKDAYS

    calendar = level.calendar
    days = []
    for index, key in enumerate(WEEKDAYS):
        windows = calendar.week.get(key, [])
        if [list(window) for window in windows] == [["00:00", "24:00"]]:
            hours = "24 h sur 24"
        else:
            hours = ", ".join(f"{a} – {b}" for a, b in windows) if windows else "Fermé"
        days.append({"day": w.WEEKDAYS[index].capitalize(), "hours": hours})
    region = dict(HOLIDAY_SUBDIVISIONS).get(calendar.holiday_subdivision, calendar.holiday_subdivision)
    if calendar.holidays_close:
        holidays = f"Service fermé les jours fériés légaux ({region})."
    else:
        holidays = "Service assuré les jours fériés aux mêmes horaires."
    horizon = start + datetime.timedelta(days=366)
    exceptions = [
        f"{w.date_long(item.day)} : {item.get_kind_display()}{' — ' + item.label if item.label else ''}"
        for item in calendar.exceptions.all()
        if start <= item.day <= horizon
    ]
    closures = []
    if calendar.provider_closures_apply:
        closure_model = apps.get_model("sla", "ProviderClosure")
        for closure in closure_model.objects.filter(
            provider_id=provider.pk, end_date__gte=start, start_date__lte=horizon
        ):
            closures.append(
                f"{closure.label} : du {w.date_long(closure.start_date)} au {w.date_long(closure.end_date)} inclus"
            )
    return {
        "name": calendar.name,
        "days": days,
        "time_zone": calendar.time_zone,
        "holidays": holidays,
        "exceptions": exceptions,
        "closures": closures,
    }


def scope_annex(contract_client: Client, provider: Provider, terms: ContractTerms) -> dict[str, Any]:
    """Annex 3: sites, assets (or all the sites' equipment), categories, exclusions, modes, backups."""
    sites_query = Site.objects.filter(provider_id=provider.pk, client_id=contract_client.pk)
    if terms.sites:
        sites = list(sites_query.filter(pk__in=terms.sites).order_by("name", "id"))
    else:
        sites = list(sites_query.filter(archived_at__isnull=True).order_by("name", "id"))
    site_rows = [{"name": site.name, "address": _address(site) or "—"} for site in sites]
    asset_rows = []
    if terms.assets:
        asset_model = apps.get_model("assets", "Asset")
        assets = asset_model.objects.filter(provider_id=provider.pk, client_id=contract_client.pk, pk__in=terms.assets)
        for asset in assets.select_related("site").order_by("site__name", "name", "id"):
            asset_rows.append(
                {
                    "kind": asset.get_kind_display(),
                    "name": asset.name,
                    "make_model": asset.make_model or "—",
                    "serial": asset.serial or "—",
                    "site": asset.site.name if asset.site else "—",
                }
            )
    categories = []
    if terms.covered_categories:
        rows = ServiceCategory.objects.filter(provider_id=provider.pk, code__in=terms.covered_categories)
        categories = [
            f"{category.name}{' : ' + category.description if category.description else ''}"
            for category in rows.order_by("name")
        ]
    rule = terms.out_of_scope_rule
    if rule.kind == "quote_required":
        rule_text = (
            "Toute demande hors périmètre fait l'objet d'un devis préalable, accepté par écrit par le client "
            "avant exécution."
        )
    elif rule.kind == "time_and_materials_up_to":
        rule_text = (
            f"Les demandes hors périmètre sont exécutées en régie, au taux horaire de l'Annexe 4, dans la limite de "
            f"{w.hours(rule.hours or 0)} par demande ; au-delà, un devis est soumis au client."
        )
    else:
        rule_text = "Les demandes hors périmètre ne sont pas traitées au titre du présent contrat."
    backup = terms.backup_duty
    if backup.party == "provider_option":
        backup_text = (
            "Option retenue : le prestataire réalise les sauvegardes avant intervention ; "
            "le temps passé est décompté selon l'Annexe 4."
        )
    elif backup.blocking:
        backup_text = (
            "Le client réalise ses sauvegardes avant toute intervention et le confirme au technicien ; "
            "à défaut de confirmation, l'intervention sur site n'a pas lieu et est reportée."
        )
    else:
        backup_text = (
            "Le client réalise ses sauvegardes avant toute intervention ; à défaut de confirmation, le technicien "
            "le consigne sur la fiche d'intervention et intervient sous la seule responsabilité du client."
        )
    return {
        "sites": site_rows,
        "all_sites": not terms.sites,
        "assets": asset_rows,
        "categories": categories,
        "out_of_scope": terms.out_of_scope.strip(),
        "out_of_scope_rule": rule_text,
        "modes": [{"name": MODES[mode][0], "description": MODES[mode][1]} for mode in terms.intervention_modes],
        "backup": backup_text,
    }


def _rounding_text(minutes_: int) -> str:
    if minutes_ == 15:
        return "Chaque temps d'intervention est arrondi au quart d'heure supérieur."
    return f"Chaque temps d'intervention est arrondi à la tranche de {w.minutes(minutes_)} supérieure."


def price_annex(terms: ContractTerms, client: Client, provider: Provider) -> dict[str, Any]:
    """Annex 4: the billing model in words and figures, the common rules, payment, revision, early termination."""
    model = terms.billing_model
    rows: list[tuple[str, str]] = []
    table: dict[str, Any] = {"headers": [], "rows": [], "total": ""}
    if isinstance(model, FixedFee | Unlimited):
        adjective, per = PERIODS[model.period]
        rows.append((f"Redevance forfaitaire ({adjective})", f"{w.euros_in_full(model.fee)} {per}"))
        rows.append(("Facturation", f"À {BILLED[model.billed]}"))
        rows.append(("Période incomplète", "Facturée au prorata des jours calendaires"))
    if isinstance(model, FixedFee):
        if model.included_unit != "none" and model.included_quantity:
            unit = "heures" if model.included_unit == "hours" else "interventions"
            rows.append(("Volume inclus", f"{w.quantity(model.included_quantity)} {unit} {PERIODS[model.period][1]}"))
            if model.overage_rate is not None:
                per_unit = "par heure" if model.included_unit == "hours" else "par intervention"
                rows.append(("Au-delà du volume inclus", f"{w.euros_ht(model.overage_rate)} {per_unit}"))
            rows.append(("Dépassement", OVERAGE[model.overage_policy].capitalize()))
        else:
            rows.append(("Volume inclus", "Toutes les prestations du périmètre, sans décompte d'heures"))
    if isinstance(model, Unlimited):
        rows.append(
            (
                "Volume",
                "Nombre d'interventions non plafonné, dans le périmètre et pendant les horaires de couverture ; "
                "le hors-périmètre suit la règle de l'Annexe 3",
            )
        )
    if isinstance(model, TimeAndMaterials):
        rows.append(("Taux horaire de main-d'œuvre", f"{w.euros_in_full(model.labour_rate)} de l'heure"))
        if model.travel_rate is not None:
            rows.append(("Taux horaire de déplacement", f"{w.euros_ht(model.travel_rate)} de l'heure"))
        rows.append(("Facturation", "Mensuelle, à terme échu, sur la base des fiches d'intervention signées"))
    if isinstance(model, PrepaidCredits):
        rows.append(("Bloc d'heures", f"{w.hours(model.block_quantity)} pour {w.euros_in_full(model.block_price)}"))
        rows.append(("Facturation", "À la commande de chaque bloc, payable d'avance"))
        rows.append(("Validité", f"{w.months(model.validity_months)} à compter de l'achat du bloc"))
        rollover = {
            "none": "Les heures non consommées à l'échéance sont perdues",
            "next_block": "Les heures non consommées sont reportées sur le bloc suivant",
            "capped": f"Report sur le bloc suivant dans la limite de {w.hours(model.rollover_cap or 0)}",
        }[model.rollover]
        rows.append(("Report du solde", rollover))
    if isinstance(model, PerTask):
        table = {
            "headers": ["Code", "Prestation", "Prix unitaire HT"],
            "rows": [[task.code, task.label, w.euros(task.price)] for task in model.catalogue],
            "total": "",
        }
        rows.append(("Facturation", "Mensuelle, à terme échu, des prestations réalisées et acceptées"))
    if isinstance(model, Milestones):
        table = {
            "headers": ["Jalon", "Montant HT", "Date prévue"],
            "rows": [
                [m.label, w.euros(m.amount), w.date_long(m.expected_on) if m.expected_on else "À convenir"]
                for m in model.milestones
            ],
            "total": w.euros(sum((m.amount for m in model.milestones), Decimal(0))),
        }
        rows.append(("Facturation", "Chaque jalon est facturé à sa recette"))
    common = [("Arrondi des temps", _rounding_text(terms.rounding_unit_minutes))]
    minimum = terms.minimum_minutes_per_intervention
    common.append(
        ("Minimum par intervention", f"{w.minutes(minimum)} décomptées au minimum" if minimum else "Aucun minimum")
    )
    multipliers = terms.multipliers
    common.append(("Hors horaires de couverture", f"Majoration {w.multiplier(multipliers.after_hours)}"))
    common.append(("Week-ends et jours fériés", f"Majoration {w.multiplier(multipliers.weekend_or_holiday)}"))
    on_site = multipliers.on_site
    common.append(
        ("Intervention sur site", "Sans majoration" if on_site == 1 else f"Majoration {w.multiplier(on_site)}")
    )
    travel = terms.travel
    zones = [{"label": zone.label, "fee": w.euros_ht(zone.fee)} for zone in travel.zones]
    if travel.per_km_rate is not None:
        common.append(("Déplacements", f"{w.euros_ht(travel.per_km_rate)} par kilomètre parcouru"))
    elif not zones:
        common.append(("Déplacements", "Inclus"))
    else:
        common.append(("Déplacements", "Forfait par zone, selon le tableau ci-dessous"))
    has_volume = isinstance(model, PrepaidCredits) or (
        isinstance(model, FixedFee) and model.included_unit != "none" and bool(model.included_quantity)
    )
    if has_volume:
        thresholds = ", ".join(w.percent(value) for value in terms.alert_thresholds)
        common.append(("Alertes de consommation", f"Le client est prévenu à {thresholds} du volume"))
    payment = [("Délai de paiement", payment_text(terms)), ("TVA", "Au taux en vigueur, en sus des prix hors taxes")]
    if client.is_professional and provider.late_penalty_text.strip():
        payment.append(("Retard de paiement", provider.late_penalty_text.strip()))
    return {
        "model_name": BILLING_NAMES[model.kind],
        "rows": rows,
        "table": table,
        "common": common,
        "zones": zones,
        "payment": payment,
        "revision": revision_rows(terms),
        "early_termination": early_termination_text(terms),
    }


def revision_rows(terms: ContractTerms) -> list[tuple[str, str]]:
    revision = terms.price_revision
    if revision is None:
        return [
            (
                "Révision",
                "Prix fermes pendant toute la durée du contrat ; toute modification fait l'objet d'un avenant.",
            )
        ]
    if revision.formula == "mixed":
        fixed = revision.fixed_part
        formula = f"P1 = P0 × ({w.quantity(fixed)} + {w.quantity(1 - fixed)} × S1 / S0)"
    else:
        formula = "P1 = P0 × S1 / S0"
    rows = [
        ("Indice", revision.index_code),
        ("Indice de référence (S0)", f"Valeur du mois de {w.month_year(revision.reference_month)}"),
        (
            "Formule",
            f"{formula}, où P0 est le prix en vigueur et S1 le dernier indice publié pour le mois correspondant",
        ),
    ]
    bounds = []
    if revision.floor is not None:
        bounds.append(f"variation d'au moins {w.percent(revision.floor)}")
    if revision.cap is not None:
        bounds.append(f"hausse d'au plus {w.percent(revision.cap)}")
    if bounds:
        rows.append(("Plancher et plafond", "Le coefficient appliqué garantit une " + " et une ".join(bounds)))
    when = (
        f"le 1er {w.MONTHS[revision.revision_month - 1]}"
        if revision.revision_month
        else "à chaque date anniversaire du contrat"
    )
    rows.append(("Périodicité", f"Tous les {w.months(revision.revision_period_months)}, {when}"))
    rows.append(
        (
            "Période de variation de l'indice",
            f"{w.months(revision.index_period_months)} entre l'indice précédent et le nouvel indice (L112-1 CMF)",
        )
    )
    decimals = "au centime" if revision.decimals == 2 else f"à {revision.decimals} décimale(s)"
    rows.append(("Arrondi", f"Nouveaux prix arrondis {decimals} le plus proche (demi supérieur)"))
    if revision.linking_coefficient is not None:
        coefficient = w.number(revision.linking_coefficient, 5)
        rows.append(("Raccordement de séries", f"Indice de l'ancienne série multiplié par {coefficient}"))
    return rows


def early_termination_text(terms: ContractTerms) -> str:
    rule = terms.early_termination
    if rule.rule == "none":
        return "Aucune indemnité de résiliation anticipée n'est due."
    share = (
        "aux redevances restant à courir"
        if rule.rule == "remaining_fees"
        else f"à {w.percent((rule.percentage or Decimal(0)) / 100)} des redevances restant à courir"
    )
    return (
        f"En cas de résiliation anticipée à l'initiative du client, hors manquement du prestataire, celui-ci verse "
        f"une indemnité égale {share} jusqu'au terme de la période en cours. Cette indemnité constitue une clause "
        "pénale que le juge peut modérer ou augmenter (article 1231-5 du Code civil)."
    )


def _signer(actor: Membership | None) -> str:
    if actor is None or not actor.is_provider_side:
        return ""
    return actor.user.full_name or actor.user.email


def version_context(version: ContractVersion, *, actor: Membership | None = None) -> dict[str, Any]:
    """Everything the contract's templates show (the same context for PDF and Word), in French."""
    from pacte.contracts.changes import changes_rows

    with translation.override("fr"):
        contract = version.contract
        provider, client = contract.provider, contract.client
        terms = version.terms
        is_amendment = version.kind != VersionKind.INITIAL
        level = service_level_of(provider, terms.service_level)
        articles = [
            {"number": number, "title": clause.title, "blocks": text_blocks(clause.text)}
            for number, clause in enumerate(terms.clauses, start=1)
        ]
        annexes = [{"number": number, "title": title} for number, title in ANNEX_TITLES.items()]
        if not terms.gdpr_processor_annex:
            annexes = annexes[:-1]
        return {
            "provider": provider,
            "client": client,
            "contract": contract,
            "version": version,
            "terms": terms,
            "is_amendment": is_amendment,
            "doc": w.typeset(
                {
                    "title": version_title(version),
                    "kind_label": CONTRACT_TYPES.get(terms.contract_type, terms.contract_type),
                    "provider_name": provider.legal_name or provider.name,
                    "provider_lines": provider_lines(provider),
                    "client_lines": client_lines(client),
                    "client_is_professional": client.is_professional,
                    "particulars": particulars(version, terms, level),
                    "contract_start": w.date_long(contract.start_date),
                    "priorities": [(label, definition) for _code, label, definition in PRIORITIES],
                    "articles": articles,
                    "annexes": annexes if not is_amendment else [{"number": 1, "title": "Conditions financières"}],
                    "sla": sla_annex(level),
                    "coverage": coverage_annex(level, provider, version.effective_from),
                    "scope": scope_annex(client, provider, terms),
                    "prices": price_annex(terms, client, provider),
                    "gdpr": terms.gdpr_processor_annex,
                    "amendment": {
                        "number": amendment_number(version),
                        "reason": version.reason or "Modification des conditions du contrat",
                        "effective": w.date_long(version.effective_from),
                        "changes": changes_rows(version, provider, client) if is_amendment else [],
                    },
                    "provider_signer": _signer(actor),
                    "place": provider.city or "—",
                }
            ),
        }


def version_documents_render(*, actor: Membership | None, version: ContractVersion) -> tuple[Document, Document]:
    """Render and store the version's PDF and .docx (French); the PDF is the one signed and sealed."""
    context = version_context(version, actor=actor)
    title = version_title(version)
    kind = DocumentKind.CONTRACT if version.kind == VersionKind.INITIAL else DocumentKind.AMENDMENT
    common: dict[str, Any] = {
        "actor": actor,
        "provider": version.contract.provider,
        "context": context,
        "title": title,
        "filename": version_filename(version),
        "kind": kind,
        "client": version.contract.client,
        "source": version.contract,
        "language": "fr",
    }
    pdf = document_create_pdf(template_name=PDF_TEMPLATE, **common)
    docx = document_create_docx(template_name=DOCX_TEMPLATE, **common)
    return pdf, docx
