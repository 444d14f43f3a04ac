"""What an amendment changes, in readable French: ``version.changes`` (dotted path → [before, after]).

Used by the amendment's document ("Avenant n° N"); the paths are those of ``ContractTerms``.
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.apps import apps

from pacte.contracts import wording as w
from pacte.contracts.models import ContractVersion
from pacte.tenancy.models import Client, Provider, Site

LABELS: dict[str, str] = {
    "contract_type": "Nature du contrat",
    "sites": "Sites couverts",
    "assets": "Équipements couverts",
    "covered_categories": "Catégories de services couvertes",
    "out_of_scope": "Exclusions",
    "intervention_modes": "Modes d'intervention",
    "service_level": "Niveau de service",
    "backup_duty.party": "Sauvegardes avant intervention",
    "backup_duty.blocking": "Sauvegarde préalable obligatoire",
    "out_of_scope_rule.kind": "Demandes hors périmètre",
    "out_of_scope_rule.hours": "Plafond des demandes hors périmètre",
    "billing_model.kind": "Modèle de facturation",
    "billing_model.fee": "Redevance forfaitaire",
    "billing_model.period": "Périodicité de la redevance",
    "billing_model.billed": "Facturation",
    "billing_model.included_quantity": "Volume inclus",
    "billing_model.included_unit": "Unité du volume inclus",
    "billing_model.overage_rate": "Tarif au-delà du volume inclus",
    "billing_model.overage_policy": "Dépassement du volume inclus",
    "billing_model.labour_rate": "Taux horaire de main-d'œuvre",
    "billing_model.travel_rate": "Taux horaire de déplacement",
    "billing_model.block_quantity": "Heures par bloc prépayé",
    "billing_model.block_unit": "Unité des blocs",
    "billing_model.block_price": "Prix d'un bloc",
    "billing_model.validity_months": "Validité des blocs",
    "billing_model.rollover": "Report du solde",
    "billing_model.rollover_cap": "Plafond du report",
    "billing_model.catalogue": "Catalogue de prestations",
    "billing_model.milestones": "Jalons",
    "rounding_unit_minutes": "Arrondi des temps",
    "minimum_minutes_per_intervention": "Minimum par intervention",
    "multipliers.after_hours": "Majoration hors horaires de couverture",
    "multipliers.weekend_or_holiday": "Majoration week-ends et jours fériés",
    "multipliers.on_site": "Majoration sur site",
    "travel.zones": "Zones de déplacement",
    "travel.per_km_rate": "Tarif kilométrique",
    "alert_thresholds": "Seuils d'alerte de consommation",
    "proration": "Prorata des périodes incomplètes",
    "payment_terms.days": "Délai de paiement",
    "payment_terms.end_of_month": "Paiement fin de mois",
    "price_revision": "Révision des prix",
    "price_revision.index_code": "Indice de révision",
    "price_revision.reference_month": "Mois de l'indice de référence (S0)",
    "price_revision.formula": "Formule de révision",
    "price_revision.fixed_part": "Part fixe de la formule",
    "price_revision.floor": "Plancher de la révision",
    "price_revision.cap": "Plafond de la révision",
    "price_revision.revision_period_months": "Périodicité de la révision",
    "price_revision.index_period_months": "Période de variation de l'indice",
    "price_revision.revision_month": "Mois de la révision",
    "price_revision.decimals": "Arrondi des prix révisés (décimales)",
    "price_revision.linking_coefficient": "Coefficient de raccordement",
    "early_termination.rule": "Indemnité de résiliation anticipée",
    "early_termination.percentage": "Pourcentage des redevances restant à courir",
    "renewal.kind": "Renouvellement",
    "renewal.renewal_term_months": "Durée de chaque renouvellement",
    "renewal.notice_months": "Préavis (mois)",
    "renewal.notice_days": "Préavis (jours)",
    "liability_cap": "Plafond de responsabilité",
    "confidentiality": "Clause de confidentialité",
    "gdpr_processor_annex": "Accord de sous-traitance RGPD",
    "clauses": "Articles du contrat",
}
MONEY = {
    "billing_model.fee",
    "billing_model.overage_rate",
    "billing_model.labour_rate",
    "billing_model.travel_rate",
    "billing_model.block_price",
    "travel.per_km_rate",
    "liability_cap",
}
CHOICES: dict[str, dict[str, str]] = {
    "contract_type": {"maintenance": "Maintenance", "assistance": "Assistance", "prestation": "Prestation"},
    "backup_duty.party": {"client": "Par le client", "provider_option": "Par le prestataire (option)"},
    "out_of_scope_rule.kind": {
        "quote_required": "Sur devis préalable",
        "time_and_materials_up_to": "En régie jusqu'à un plafond d'heures",
        "refuse": "Non traitées",
    },
    "billing_model.kind": {
        "fixed_fee": "Forfait",
        "unlimited": "Illimité",
        "time_and_materials": "Régie",
        "prepaid_credits": "Crédits prépayés",
        "per_task": "Catalogue",
        "milestones": "Jalons",
    },
    "billing_model.period": {"month": "Mensuelle", "quarter": "Trimestrielle", "year": "Annuelle"},
    "billing_model.billed": {"in_advance": "Terme à échoir", "in_arrears": "Terme échu"},
    "billing_model.included_unit": {"hours": "Heures", "interventions": "Interventions", "none": "Aucune"},
    "billing_model.overage_policy": {
        "allow": "Facturé",
        "warn": "Alerte puis facturation",
        "block": "Bloqué sans accord",
    },
    "billing_model.rollover": {"none": "Aucun", "next_block": "Sur le bloc suivant", "capped": "Plafonné"},
    "early_termination.rule": {
        "remaining_fees": "Redevances restant à courir",
        "percentage_of_remaining": "Pourcentage des redevances restant à courir",
        "none": "Aucune",
    },
    "renewal.kind": {"tacit": "Tacite reconduction", "express": "Accord exprès", "none": "Aucun"},
    "proration": {"calendar_days": "Jours calendaires"},
}
MODES = {"remote": "à distance", "on_site": "sur site", "workshop": "en atelier"}


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


class _Names:
    """Names of the sites, assets, categories and service levels the changed values refer to."""

    def __init__(self, provider: Provider, client: Client) -> None:
        self.provider, self.client = provider, client

    def sites(self, ids: list[int]) -> str:
        names = dict(Site.objects.filter(provider_id=self.provider.pk, pk__in=ids).values_list("pk", "name"))
        return ", ".join(names.get(pk, f"n° {pk}") for pk in ids) or "Tous les sites du client"

    def assets(self, ids: list[int]) -> str:
        model = apps.get_model("assets", "Asset")
        names = dict(model.objects.filter(provider_id=self.provider.pk, pk__in=ids).values_list("pk", "name"))
        return ", ".join(names.get(pk, f"n° {pk}") for pk in ids) or "Tous les équipements des sites"

    def categories(self, codes: list[str]) -> str:
        model = apps.get_model("contracts", "ServiceCategory")
        names = dict(model.objects.filter(provider_id=self.provider.pk, code__in=codes).values_list("code", "name"))
        return ", ".join(names.get(code, code) for code in codes) or "—"

    def service_level(self, pk: Any) -> str:
        if pk is None:
            return "Aucun"
        model = apps.get_model("sla", "ServiceLevel")
        return model.objects.filter(provider_id=self.provider.pk, pk=pk).values_list("name", flat=True).first() or "—"


def value_text(path: str, value: Any, names: _Names) -> str:
    """One value of ``ContractTerms`` (JSON form) at ``path``, in French."""
    if value is None or value == "" or value == []:
        return {"sites": names.sites([]), "assets": names.assets([])}.get(path, "—")
    if isinstance(value, bool):
        return "Oui" if value else "Non"
    if path in CHOICES:
        return CHOICES[path].get(str(value), str(value))
    if path in MONEY and _decimal(value) is not None:
        return w.euros_ht(str(value))
    if path == "sites":
        return names.sites(list(value))
    if path == "assets":
        return names.assets(list(value))
    if path == "covered_categories":
        return names.categories(list(value))
    if path == "service_level":
        return names.service_level(value)
    if path == "intervention_modes":
        return ", ".join(MODES.get(mode, mode) for mode in value)
    if path in ("rounding_unit_minutes", "minimum_minutes_per_intervention"):
        return w.minutes(int(value))
    if path in ("price_revision.floor", "price_revision.cap"):
        return w.percent(str(value))
    if path == "price_revision.reference_month":
        return w.month_year(datetime.date.fromisoformat(str(value)))
    if path == "price_revision.revision_month":
        return w.MONTHS[int(value) - 1]
    if path == "price_revision.formula":
        return {"ratio": "P1 = P0 × S1 / S0", "mixed": "P1 = P0 × (a + b × S1 / S0)"}.get(str(value), str(value))
    if path in (
        "renewal.renewal_term_months",
        "renewal.notice_months",
        "billing_model.validity_months",
        "price_revision.revision_period_months",
        "price_revision.index_period_months",
    ):
        return w.months(int(value))
    if path in ("renewal.notice_days", "payment_terms.days"):
        return w.days(int(value))
    if path in ("billing_model.included_quantity", "billing_model.block_quantity", "out_of_scope_rule.hours"):
        return w.quantity(str(value))
    if path == "alert_thresholds":
        return ", ".join(w.percent(str(item)) for item in value)
    if path == "early_termination.percentage":
        return f"{w.quantity(str(value))}{w.NBSP}%"
    if path.startswith("multipliers."):
        return w.multiplier(str(value))
    if path == "billing_model.catalogue":
        return " ; ".join(f"{task['label']} : {w.euros_ht(task['price'])}" for task in value)
    if path == "billing_model.milestones":
        return " ; ".join(f"{item['label']} : {w.euros_ht(item['amount'])}" for item in value)
    if path == "travel.zones":
        return " ; ".join(f"{zone['label']} : {w.euros_ht(zone['fee'])}" for zone in value)
    if path == "price_revision" and isinstance(value, dict):
        return f"Indice {value.get('index_code', '')}"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


def _clause_changes(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> tuple[str, str]:
    old = {clause["key"]: clause for clause in before or []}
    new = {clause["key"]: clause for clause in after or []}
    removed = [old[key]["title"] for key in old if key not in new]
    added = [new[key]["title"] for key in new if key not in old]
    changed = [new[key]["title"] for key in new if key in old and new[key] != old[key]]
    parts = []
    if changed:
        parts.append("Articles modifiés : " + ", ".join(changed))
    if added:
        parts.append("Articles ajoutés : " + ", ".join(added))
    return ("Articles supprimés : " + ", ".join(removed) if removed else "—", " ; ".join(parts) or "—")


def changes_rows(version: ContractVersion, provider: Provider, client: Client) -> list[dict[str, str]]:
    """``[{"label", "before", "after"}]`` for each change of ``version.changes``, in a stable order."""
    names = _Names(provider, client)
    order = list(LABELS)
    rows = []
    for path in sorted(version.changes, key=lambda key: (order.index(key) if key in order else len(order), key)):
        before, after = version.changes[path]
        if path == "clauses":
            old, new = _clause_changes(before, after)
            rows.append({"label": LABELS[path], "before": old, "after": new})
            continue
        label = LABELS.get(path) or LABELS.get(path.split(".")[0]) or path
        rows.append(
            {"label": label, "before": value_text(path, before, names), "after": value_text(path, after, names)}
        )
    return rows
