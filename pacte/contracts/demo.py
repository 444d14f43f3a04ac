"""The contracts chapter of the demo: catalogue, templates, Syntec values and one contract of each type.

Run after the demo seal certificate exists (``pacte demo`` runs ``load_demo_contracts`` after
``seal_demo``): contracts are signed the real way, by the client's manager, and sealed.

- Lyon accounting firm: assistance, 10 h a month for a fixed fee, tacit renewal; an amendment to 15 h
  awaits the client's signature in the portal.
- Metz SME: maintenance with quarterly preventive visits, 24 months renewing for 12; and a prestation
  (server migration) billed by milestones.
- The association (not a professional): assistance renewing tacitly, whose L215-1 reminder window is
  open today, so the alerts job sends the reminder letter.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction

from pacte.accounts.models import User
from pacte.contracts import services
from pacte.contracts.catalogue import category_create, template_create
from pacte.contracts.clauses import default_clauses
from pacte.contracts.dates import add_months
from pacte.contracts.models import Contract, ContractTemplate, IndexValue
from pacte.sla.models import ServiceLevel
from pacte.tenancy.models import Client, Contact, Membership, Provider, Role, Site
from pacte.tenancy.services import membership_bootstrap

ASSOCIATION_MANAGER = ("manager@asso.demo.pacte.test", "Hélène Martin")
CONSENT = "J'ai lu le contrat et ses annexes ; je le signe au nom de ma société."
CATEGORIES = (
    ("poste-de-travail", "Poste de travail", "PC, portables, périphériques, logiciels bureautiques"),
    ("serveur", "Serveurs et stockage", "Serveurs, NAS, sauvegardes"),
    ("reseau", "Réseau et sécurité", "Pare-feu, Wi-Fi, VPN, commutateurs"),
    ("messagerie", "Messagerie et Microsoft 365", "Comptes, boîtes, licences"),
    ("impression", "Impression", "Imprimantes et copieurs"),
    ("logiciel-metier", "Logiciels métier", "Hors périmètre sauf mention contraire"),
)
#: Demonstration values only (not the published Syntec series): the operator enters or imports the real ones.
SYNTEC_DEMO = ((2024, 10, "306.0"), (2025, 1, "308.2"), (2025, 4, "309.9"), (2025, 7, "311.7"), (2025, 10, "314.5"))


def demo_contracts_loaded(provider: Provider) -> bool:
    return Contract.objects.filter(provider=provider).exists()


def _assistance_terms(**overrides: Any) -> dict[str, Any]:
    terms: dict[str, Any] = {
        "contract_type": "assistance",
        "covered_categories": ["impression", "messagerie", "poste-de-travail", "reseau", "serveur"],
        "out_of_scope": "Logiciels métier (éditeur), développement, formation hors prise en main.",
        "intervention_modes": ["on_site", "remote"],
        "backup_duty": {"party": "client", "blocking": True},
        "out_of_scope_rule": {"kind": "time_and_materials_up_to", "hours": "2"},
        "billing_model": {
            "kind": "fixed_fee",
            "fee": "950.00",
            "period": "month",
            "billed": "in_advance",
            "included_quantity": "10",
            "included_unit": "hours",
            "overage_rate": "85.00",
            "overage_policy": "warn",
        },
        "rounding_unit_minutes": 15,
        "minimum_minutes_per_intervention": 30,
        "travel": {"zones": [{"code": "lyon", "label": "Lyon et Villeurbanne", "fee": "45.00"}]},
        "payment_terms": {"days": 30, "end_of_month": False},
        "early_termination": {"rule": "remaining_fees"},
        "renewal": {"kind": "tacit", "notice_months": 2},
        "liability_cap": "12000.00",
        "clauses": default_clauses("assistance"),
    }
    terms.update(overrides)
    return terms


def _templates(provider: Provider, manager: Membership) -> dict[str, ContractTemplate]:
    assistance = template_create(
        actor=manager,
        name="Assistance utilisateurs — forfait mensuel",
        contract_type="assistance",
        description="Hotline, télémaintenance et interventions sur site ; volume d'heures inclus.",
        duration_months=12,
        default_terms=_assistance_terms(),
        optional_clauses=["reference_commerciale"],
    )
    maintenance = template_create(
        actor=manager,
        name="Maintenance préventive et corrective",
        contract_type="maintenance",
        description="Visites préventives planifiées, maintenance corrective sous GTI/GTR.",
        duration_months=24,
        default_terms=_assistance_terms(
            contract_type="maintenance",
            billing_model={
                "kind": "fixed_fee",
                "fee": "2400.00",
                "period": "quarter",
                "billed": "in_advance",
                "included_quantity": "0",
                "included_unit": "none",
                "overage_policy": "allow",
            },
            renewal={"kind": "tacit", "renewal_term_months": 12, "notice_months": 3},
            intervention_modes=["on_site", "remote", "workshop"],
            clauses=default_clauses("maintenance"),
        ),
        optional_clauses=["reference_commerciale"],
    )
    prestation = template_create(
        actor=manager,
        name="Prestation au forfait (projet)",
        contract_type="prestation",
        description="Projet ponctuel facturé par jalons, à la recette.",
        duration_months=6,
        default_terms=_assistance_terms(
            contract_type="prestation",
            billing_model={
                "kind": "milestones",
                "milestones": [{"label": "Étude et plan de migration", "amount": "1500.00"}],
            },
            renewal={"kind": "none", "notice_months": 0},
            early_termination={"rule": "none"},
            clauses=default_clauses("prestation"),
        ),
    )
    return {"assistance": assistance, "maintenance": maintenance, "prestation": prestation}


def _sign(client_manager: Membership, contract: Contract) -> None:
    version = services.contract_send(actor=_manager(contract.provider), contract=contract)
    assert version.document is not None
    services.version_sign(
        actor=client_manager, version=version, document_sha256=version.document.sha256, consent_text=CONSENT
    )


def _manager(provider: Provider) -> Membership:
    return Membership.objects.get(provider=provider, role=Role.PROVIDER_MANAGER, user__email="manager@demo.pacte.test")


def _client_manager(client: Client) -> Membership:
    return Membership.objects.filter(client=client, role=Role.CLIENT_MANAGER, is_active=True).order_by("id").first()  # type: ignore[return-value]


def _association_manager(provider: Provider, client: Client) -> Membership:
    email, full_name = ASSOCIATION_MANAGER
    existing = Membership.objects.filter(client=client, user__email=email).first()
    if existing is not None:
        return existing
    from pacte.demo import DEMO_PASSWORD

    user = User.objects.create_user(email, DEMO_PASSWORD, full_name=full_name)
    membership = membership_bootstrap(user=user, provider=provider, role=Role.CLIENT_MANAGER, client=client)
    Contact.objects.filter(client=client, email="presidence@amis-vieux-lyon.test").update(user=user)
    return membership


@transaction.atomic
def demo_contracts(provider: Provider, *, today: datetime.date) -> list[Contract]:
    """Create the chapter (once). Returns the contracts created."""
    if demo_contracts_loaded(provider):
        return []
    manager = _manager(provider)
    for code, name, description in CATEGORIES:
        category_create(actor=manager, code=code, name=name, description=description)
    for year, month, value in SYNTEC_DEMO:
        IndexValue.objects.create(
            provider=provider,
            index_code="SYNTEC",
            month=datetime.date(year, month, 1),
            value=Decimal(value),
            published_on=add_months(datetime.date(year, month, 1), 1) + datetime.timedelta(days=14),
        )
    templates = _templates(provider, manager)
    clients = {client.city: client for client in Client.objects.filter(provider=provider, is_professional=True)}
    lyon, metz = clients["Lyon"], clients["Metz"]
    association = Client.objects.get(provider=provider, is_professional=False)
    levels = {level.name: level.pk for level in ServiceLevel.objects.filter(provider=provider)}
    year_start = datetime.date(today.year, 1, 1)
    contracts = []

    # Lyon: assistance, 10 h a month, Syntec revision each January; an amendment to 15 h awaits signature.
    lyon_sites = list(Site.objects.filter(client=lyon).values_list("pk", flat=True))
    assistance = services.contract_create(
        actor=manager,
        client=lyon,
        template=templates["assistance"],
        title="Assistance utilisateurs — forfait 10 h/mois",
        start_date=year_start,
        duration_months=12,
        terms=_assistance_terms(
            sites=lyon_sites,
            service_level=levels.get("Essentiel"),
            price_revision={
                "index_code": "SYNTEC",
                "reference_month": add_months(year_start, -3).isoformat(),
                "formula": "ratio",
                "floor": "0",
                "cap": "0.05",
                "revision_month": 1,
            },
        ),
    )
    _sign(_client_manager(lyon), assistance)
    amended = _assistance_terms(
        sites=lyon_sites,
        service_level=levels.get("Essentiel"),
        billing_model={**_assistance_terms()["billing_model"], "fee": "1290.00", "included_quantity": "15"},
    )
    amended["price_revision"] = assistance.versions.get(number=1).terms_data["price_revision"]
    amendment = services.amendment_create(
        actor=manager,
        contract=assistance,
        effective_from=add_months(today.replace(day=1), 1),
        reason="Passage à 15 heures incluses par mois (période fiscale)",
        terms=amended,
    )
    services.amendment_send(actor=manager, version=amendment)
    contracts.append(assistance)

    # Metz: maintenance, quarterly fee, 4 preventive visits a year, 24 months renewing for 12.
    metz_sites = list(Site.objects.filter(client=metz).values_list("pk", flat=True))
    maintenance_start = add_months(year_start, -12)
    maintenance = services.contract_create(
        actor=manager,
        client=metz,
        template=templates["maintenance"],
        title="Maintenance du parc informatique — 4 visites préventives par an",
        start_date=maintenance_start,
        duration_months=24,
        terms={
            **templates["maintenance"].default_terms,
            "sites": metz_sites,
            "service_level": levels.get("Premium 4h"),
        },
    )
    _sign(_client_manager(metz), maintenance)
    contracts.append(maintenance)

    # Metz: a server migration project billed by milestones.
    migration_terms = dict(templates["prestation"].default_terms)
    migration_terms["sites"] = metz_sites[:1]
    migration_terms["billing_model"] = {
        "kind": "milestones",
        "milestones": [
            {
                "label": "Audit et plan de migration",
                "amount": "1500.00",
                "expected_on": add_months(today, -1).isoformat(),
            },
            {
                "label": "Migration du serveur de fichiers",
                "amount": "4200.00",
                "expected_on": add_months(today, 1).isoformat(),
            },
            {"label": "Recette et documentation", "amount": "800.00", "expected_on": add_months(today, 2).isoformat()},
        ],
    }
    migration = services.contract_create(
        actor=manager,
        client=metz,
        template=templates["prestation"],
        title="Migration du serveur de fichiers vers Windows Server 2025",
        start_date=add_months(today.replace(day=1), -1),
        duration_months=4,
        terms=migration_terms,
    )
    _sign(_client_manager(metz), migration)
    contracts.append(migration)

    # The association: unlimited assistance renewing tacitly; its L215-1 reminder window is open today.
    association_start = add_months(today.replace(day=1), -9)
    association_terms = _assistance_terms(
        sites=list(Site.objects.filter(client=association).values_list("pk", flat=True)),
        billing_model={"kind": "unlimited", "fee": "120.00", "period": "month", "billed": "in_advance"},
        renewal={"kind": "tacit", "notice_months": 1},
        early_termination={"rule": "none"},
        liability_cap=None,
    )
    association_contract = services.contract_create(
        actor=manager,
        client=association,
        template=templates["assistance"],
        title="Assistance informatique illimitée de l'association",
        start_date=association_start,
        duration_months=12,
        terms=association_terms,
    )
    _sign(_association_manager(provider, association), association_contract)
    contracts.append(association_contract)

    # Metz: workstation and printer installs billed per catalogue task (no service level: the maintenance
    # contract, which has one, keeps covering the SME's tickets).
    tasks_terms = dict(templates["prestation"].default_terms)
    tasks_terms["sites"] = metz_sites
    tasks_terms["covered_categories"] = ["poste-de-travail"]
    tasks_terms["billing_model"] = {
        "kind": "per_task",
        "catalogue": [
            {"code": "POSTE", "label": "Installation d'un poste de travail", "price": "180.00"},
            {"code": "IMPR", "label": "Installation d'une imprimante réseau", "price": "95.50"},
        ],
    }
    tasks = services.contract_create(
        actor=manager,
        client=metz,
        template=templates["prestation"],
        title="Installations de postes et d'imprimantes à l'acte",
        start_date=add_months(today.replace(day=1), -3),
        duration_months=12,
        terms=tasks_terms,
    )
    _sign(_client_manager(metz), tasks)
    contracts.append(tasks)

    # A draft, to show drafting from a template.
    services.contract_create(
        actor=manager,
        client=lyon,
        template=templates["maintenance"],
        title="Maintenance du serveur et des sauvegardes (projet)",
        start_date=add_months(today.replace(day=1), 2),
        duration_months=12,
        terms={**templates["maintenance"].default_terms, "sites": lyon_sites},
    )
    return contracts
