"""The contract's documents: PDF (PDF/A-3b) and Word, in French, for every billing model and for an amendment.

The PDFs are read back with ``pdftotext`` and rendered to PNG with ``pdftoppm`` (poppler-utils, installed
by ``scripts/system-deps``) under ``var/screenshots/contract-documents/`` for a person to look at; the
.docx files are read back with python-docx.
"""

from __future__ import annotations

import datetime
import io
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import docx
import pikepdf
import pytest
from django.utils import timezone

from pacte.assets.models import Asset, AssetKind
from pacte.contracts import services, wording
from pacte.contracts.catalogue import category_create
from pacte.contracts.clauses import OPTIONAL_CLAUSE_KEYS, default_clauses
from pacte.contracts.dates import add_months
from pacte.contracts.documents import duration_text, text_blocks, version_context
from pacte.contracts.models import Contract, ContractVersion
from pacte.contracts.terms import ContractTerms
from pacte.contracts.tests import helpers
from pacte.documents import storage
from pacte.documents.models import Document
from pacte.sla import services as sla_services
from pacte.tenancy.models import Client, Provider, Site

pytestmark = pytest.mark.django_db

SCREENSHOTS = Path(__file__).resolve().parents[3] / "var" / "screenshots" / "contract-documents"
WEEK = {day: [["08:30", "12:30"], ["13:30", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
H = 3600

BILLING_MODELS: dict[str, dict[str, Any]] = {
    "fixed_fee": {
        "kind": "fixed_fee",
        "fee": "1250.00",
        "period": "month",
        "billed": "in_advance",
        "included_quantity": "10",
        "included_unit": "hours",
        "overage_rate": "85.00",
        "overage_policy": "warn",
    },
    "unlimited": {"kind": "unlimited", "fee": "1980.50", "period": "quarter", "billed": "in_arrears"},
    "time_and_materials": {"kind": "time_and_materials", "labour_rate": "1085.00", "travel_rate": "45.00"},
    "prepaid_credits": {
        "kind": "prepaid_credits",
        "block_quantity": "20",
        "block_price": "1540.00",
        "validity_months": 12,
        "rollover": "capped",
        "rollover_cap": "5",
    },
    "per_task": {
        "kind": "per_task",
        "catalogue": [
            {"code": "POSTE", "label": "Installation d'un nouveau poste de travail", "price": "180.00"},
            {"code": "SRV", "label": "Mise en service d'un serveur", "price": "1450.00"},
        ],
    },
    "milestones": {
        "kind": "milestones",
        "milestones": [
            {"label": "Audit et plan de migration", "amount": "1500.00", "expected_on": "2027-02-15"},
            {"label": "Migration du serveur de fichiers", "amount": "4200.00"},
        ],
    },
}
#: What each model's price schedule must show (after collapsing spaces), figures in the French format.
BILLING_MENTIONS = {
    "fixed_fee": ["Forfait mensuel de 1 250,00 € HT", "mille deux cent cinquante euros hors taxes", "85,00 € HT"],
    "unlimited": ["1 980,50 € HT", "mille neuf cent quatre-vingts euros et cinquante centimes", "terme échu"],
    "time_and_materials": ["1 085,00 € HT de l'heure", "45,00 € HT de l'heure"],
    "prepaid_credits": ["20 heures pour 1 540,00 € HT", "dans la limite de 5 heures", "12 mois"],
    "per_task": ["Mise en service d'un serveur", "1 450,00 €", "180,00 €"],
    "milestones": ["Audit et plan de migration", "4 200,00 €", "5 700,00 €", "15 février 2027"],
}
ANNEXES = [
    "Annexe 1 — Niveaux de service",
    "Annexe 2 — Horaires de couverture",
    "Annexe 3 — Périmètre",
    "Annexe 4 — Conditions financières",
    "Annexe 5 — Modèle de fiche d'intervention",
    "Annexe 6 — Accord de sous-traitance de données personnelles",
]


# Reading documents back ---------------------------------------------------------------------------


def flat(text: str) -> str:
    """Spaces of every kind collapsed into one plain space (French typography uses no-break spaces)."""
    return " ".join(text.replace("\u202f", " ").replace("\u00a0", " ").split())


def content(document: Document) -> bytes:
    return storage.read(document.storage_name)


def pdf_text(document: Document) -> str:
    tool = shutil.which("pdftotext")
    if tool is None:
        pytest.skip("pdftotext (poppler-utils) is missing: run scripts/system-deps")
    result = subprocess.run([tool, "-enc", "UTF-8", "-", "-"], input=content(document), capture_output=True, check=True)
    return flat(result.stdout.decode())


def docx_text(document: Document) -> str:
    word = docx.Document(io.BytesIO(content(document)))
    parts = [paragraph.text for paragraph in word.paragraphs]
    for table in word.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return flat("\n".join(parts))


def keep(document: Document, name: str) -> Path:
    """A copy of the file under var/screenshots/contract-documents/, to open in a PDF reader or a word processor."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}{Path(document.filename).suffix}"
    path.write_bytes(content(document))
    return path


def pdf_to_png(document: Document, name: str) -> list[Path]:
    """Every page as a PNG under var/screenshots/contract-documents/ (for a person to look at)."""
    tool = shutil.which("pdftoppm")
    if tool is None:
        pytest.skip("pdftoppm (poppler-utils) is missing: run scripts/system-deps")
    keep(document, name)
    for old in SCREENSHOTS.glob(f"{name}-*.png"):
        old.unlink()
    subprocess.run([tool, "-png", "-r", "60", "-", str(SCREENSHOTS / name)], input=content(document), check=True)
    return sorted(SCREENSHOTS.glob(f"{name}-*.png"))


# A realistic contract -----------------------------------------------------------------------------


def _identity(tenant) -> None:
    Provider.objects.filter(pk=tenant.provider.pk).update(
        legal_name="Pacte Démo Informatique SAS",
        legal_form="SAS",
        share_capital=Decimal("20000.00"),
        rcs_city="Lyon",
        siren="812345676",
        vat_number="FR19812345676",
        address="12 rue de la République",
        postal_code="69002",
        city="Lyon",
    )
    Client.objects.filter(pk=tenant.client.pk).update(
        name="Cabinet Rhône Expertise Comptable", address="45 quai Perrache", postal_code="69002", city="Lyon"
    )
    Site.objects.filter(pk=tenant.site.pk).update(
        name="Siège — Perrache", address="45 quai Perrache", postal_code="69002"
    )
    tenant.provider.refresh_from_db()
    tenant.client.refresh_from_db()


def _scope(tenant) -> dict[str, Any]:
    """A service level with its calendar, a category, an asset: the references a full contract names."""
    _identity(tenant)
    calendar = sla_services.calendar_create(actor=tenant.manager, name="Heures ouvrées 8h30–18h", week=WEEK)
    level = sla_services.service_level_create(
        actor=tenant.manager,
        name="Premium 4h",
        calendar=calendar,
        targets=[
            {"priority": "P1", "kind": "response", "seconds": H // 2},
            {"priority": "P1", "kind": "intervention", "seconds": 2 * H},
            {"priority": "P1", "kind": "restoration", "seconds": 4 * H},
            {"priority": "P2", "kind": "response", "seconds": H},
            {"priority": "P2", "kind": "restoration", "seconds": 8 * H, "basis": "calendar"},
        ],
    )
    category_create(actor=tenant.manager, code="poste-de-travail", name="Poste de travail", description="PC, portables")
    asset = Asset.objects.create(
        provider=tenant.provider,
        client=tenant.client,
        site=tenant.site,
        kind=AssetKind.SERVER,
        name="Serveur de fichiers",
        make="Dell",
        model="PowerEdge T150",
        serial="SRV-2024-0042",
    )
    return {
        "sites": [tenant.site.pk],
        "assets": [asset.pk],
        "service_level": level.pk,
        "covered_categories": ["poste-de-travail"],
        "out_of_scope": "Logiciels métier (éditeur) et développement.",
        "travel": {"zones": [{"code": "lyon", "label": "Lyon et Villeurbanne", "fee": "45.00"}]},
        "price_revision": {
            "index_code": "SYNTEC",
            "reference_month": "2026-10-01",
            "formula": "mixed",
            "fixed_part": "0.15",
            "floor": "0",
            "cap": "0.05",
            "revision_month": 1,
        },
        "liability_cap": "12000.00",
        "clauses": default_clauses("assistance"),
    }


def _sent(tenant, **overrides: Any) -> ContractVersion:
    contract = helpers.draft(tenant, **{**_scope(tenant), **overrides})
    return services.contract_send(actor=tenant.manager, contract=contract)


# The documents ------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", list(BILLING_MODELS))
def test_contract_documents_for_each_billing_model(tenant, model):
    version = _sent(tenant, billing_model=BILLING_MODELS[model])
    assert version.document is not None and version.document_docx is not None
    for text in (pdf_text(version.document), docx_text(version.document_docx)):
        assert "Contrat d'assistance informatique" in text
        assert "Pacte Démo Informatique SAS" in text
        assert "SAS au capital de 20 000 €" in text
        assert "RCS Lyon 812 345 676" in text
        assert "Cabinet Rhône Expertise Comptable" in text
        assert version.contract.reference in text
        assert (
            "12 mois à compter du 1er janvier 2027, renouvelable par tacite reconduction pour une durée "
            "indéterminée ; préavis de 2 mois" in text
        )
        for annex in ANNEXES:
            assert annex in text, annex
        for mention in BILLING_MENTIONS[model]:
            assert mention in text, f"{model}: {mention!r} missing"
        # The articles of the clause library, numbered, and the annexes' content.
        assert "Article 6 — Obligations du client" in text
        assert "le client a l'obligation de réaliser ses propres sauvegardes" in text
        assert "Premium 4h" in text and "4 h ouvrées" in text and "8 h calendaires" in text
        assert "Lundi 08:30 – 12:30, 13:30 – 18:00" in text
        assert "Serveur de fichiers" in text and "SRV-2024-0042" in text and "Dell PowerEdge T150" in text
        assert "Siège — Perrache 45 quai Perrache, 69002 Lyon" in text
        assert "P1 = P0 × (0,15 + 0,85 × S1 / S0)" in text and "octobre 2026" in text
        assert "Fiche d'intervention n°" in text and "Heure d'arrivée" in text
        assert "Bon pour accord" in text
    assert version.document.filename == f"contrat-{version.contract.reference}.pdf"
    assert version.document_docx.filename == f"contrat-{version.contract.reference}.docx"


def test_the_pdf_is_pdf_a_3b_and_renders_page_by_page(tenant):
    version = _sent(tenant)
    assert version.document is not None
    with pikepdf.open(io.BytesIO(content(version.document))) as pdf:
        metadata = pdf.open_metadata()
        assert (metadata.get("pdfaid:part"), metadata.get("pdfaid:conformance")) == ("3", "B")
        pages = len(pdf.pages)
    assert pages >= 8  # title block, articles, then one annex per page or more
    images = pdf_to_png(version.document, "contract-fixed-fee")
    assert len(images) == pages
    assert all(image.stat().st_size > 5_000 for image in images)


def test_word_document_headings_and_tables(tenant):
    version = _sent(tenant)
    assert version.document_docx is not None
    keep(version.document_docx, "contract-fixed-fee")
    word = docx.Document(io.BytesIO(content(version.document_docx)))
    headings = [p.text for p in word.paragraphs if p.style is not None and p.style.name.startswith("Heading")]
    assert headings[0] == "Contrat d'assistance informatique"
    assert "Conditions particulières" in headings
    assert any(heading.startswith("Article 1 — Définitions") for heading in headings)
    assert sum(heading.startswith("Annexe ") for heading in headings) == 6
    bullets = [p.text for p in word.paragraphs if p.style is not None and p.style.name == "List Bullet"]
    assert any("détecter la panne" in flat(item) for item in bullets)
    particulars = {flat(row.cells[0].text): flat(row.cells[1].text) for row in word.tables[0].rows}
    assert particulars["Plafond de responsabilité"] == "12 000,00 €"
    assert particulars["Délai de paiement"] == "30 jours à compter de la date d'émission de la facture"


def test_options_appear_as_chosen(tenant):
    version = _sent(
        tenant,
        intervention_modes=["remote", "workshop"],
        backup_duty={"party": "provider_option", "blocking": False},
        out_of_scope_rule={"kind": "time_and_materials_up_to", "hours": "2"},
        payment_terms={"days": 45, "end_of_month": True},
        renewal={"kind": "tacit", "renewal_term_months": 12, "notice_months": 3},
        early_termination={"rule": "percentage_of_remaining", "percentage": "50"},
        gdpr_processor_annex=False,
        assets=[],
    )
    assert version.document_docx is not None
    text = docx_text(version.document_docx)
    assert "En atelier" in text and "À distance" in text and "Sur site :" not in text
    assert "le prestataire réalise les sauvegardes avant intervention" in text
    assert "dans la limite de 2 heures par demande" in text
    assert "45 jours fin de mois" in text
    assert "renouvelable par tacite reconduction par périodes successives de 12 mois ; préavis de 3 mois" in text
    assert "une indemnité égale à 50 % des redevances restant à courir" in text
    assert "Tous les équipements des sites ci-dessus." in text
    assert "Annexe 6 —" not in text and "Annexe 5 — Modèle de fiche d'intervention" in text


def test_a_client_that_is_not_a_professional_is_said_so(tenant):
    Client.objects.filter(pk=tenant.client.pk).update(is_professional=False)
    version = _sent(tenant)
    assert version.document is not None
    text = pdf_text(version.document)
    assert "Client n'agissant pas en qualité de professionnel" in text
    assert "Retard de paiement" not in text  # no B2B late-payment mention for a consumer


def test_amendment_shows_reason_date_changes_and_the_new_price_schedule(tenant, seal):
    scope = _scope(tenant)
    contract = helpers.draft(tenant, start=timezone.localdate() - datetime.timedelta(days=30), **scope)
    helpers.sign(tenant, services.contract_send(actor=tenant.manager, contract=contract))
    effective = add_months(timezone.localdate().replace(day=1), 1)
    new_terms = helpers.terms_data(**scope)
    new_terms["billing_model"] = {**new_terms["billing_model"], "fee": "1290.00", "included_quantity": "15"}
    new_terms["renewal"] = {"kind": "tacit", "notice_months": 3}
    amendment = services.amendment_create(
        actor=tenant.manager,
        contract=contract,
        effective_from=effective,
        reason="Passage à 15 heures incluses par mois",
        terms=new_terms,
    )
    sent = services.amendment_send(actor=tenant.manager, version=amendment)
    assert sent.document is not None and sent.document_docx is not None
    assert sent.document.filename == f"avenant-1-{contract.reference}.pdf"
    images = pdf_to_png(sent.document, "amendment")
    assert images
    for text in (pdf_text(sent.document), docx_text(sent.document_docx)):
        assert f"Avenant n° 1 au contrat d'assistance informatique {contract.reference}" in text
        assert "Passage à 15 heures incluses par mois" in text
        assert f"prend effet le {wording.date_long(effective)}" in text
        assert "Redevance forfaitaire 900,00 € HT 1 290,00 € HT" in text
        assert "Volume inclus 10 15" in text
        assert "Préavis (mois) 2 mois 3 mois" in text
        assert f"Annexe 1 — Conditions financières à compter du {wording.date_long(effective)}" in text
        assert "mille deux cent quatre-vingt-dix euros hors taxes" in text
        assert "Annexe 2" not in text  # only the new price schedule is annexed


def test_the_demo_style_contracts_render_to_pngs(tenant):
    """One document per contract type, rendered to PNG for a person to look at."""
    scope = _scope(tenant)
    for contract_type, model in (("maintenance", "fixed_fee"), ("prestation", "milestones")):
        contract = services.contract_create(
            actor=tenant.manager,
            client=tenant.client,
            title=f"Contrat de {contract_type} de démonstration",
            start_date=datetime.date(2027, 1, 1),
            duration_months=24 if contract_type == "maintenance" else 6,
            terms=helpers.terms_data(
                **{**scope, "contract_type": contract_type, "clauses": default_clauses(contract_type)},
                billing_model=BILLING_MODELS[model],
                renewal={"kind": "none", "notice_months": 0} if contract_type == "prestation" else {"kind": "tacit"},
            ),
        )
        version = services.contract_send(actor=tenant.manager, contract=contract)
        assert version.document is not None
        assert pdf_to_png(version.document, f"contract-{contract_type}")
        if contract_type == "prestation":
            assert "Article 8 — Propriété des livrables" in pdf_text(version.document)


# Pieces -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("months", "renewal", "expected"),
    [
        (
            12,
            {"kind": "tacit", "notice_months": 2},
            "12 mois à compter du 1er janvier 2027, renouvelable par tacite reconduction pour une durée "
            "indéterminée ; préavis de 2 mois",
        ),
        (
            24,
            {"kind": "express", "notice_months": 1},
            "24 mois à compter du 1er janvier 2027, jusqu'au 31 décembre 2028 inclus ; renouvelable uniquement par "
            "accord exprès des parties",
        ),
        (6, {"kind": "none", "notice_months": 0}, "6 mois à compter du 1er janvier 2027, jusqu'au 30 juin 2027 inclus"),
        (
            None,
            {"kind": "tacit", "notice_days": 30, "notice_months": 0},
            "Durée indéterminée à compter du 1er janvier 2027 ; résiliable à tout moment moyennant un préavis de "
            "30 jours",
        ),
    ],
)
def test_duration_in_words(months, renewal, expected):
    terms = ContractTerms.model_validate(helpers.terms_data(renewal=renewal))
    assert flat(duration_text(datetime.date(2027, 1, 1), months, terms)).startswith(expected)


def test_money_and_numbers_the_french_way():
    assert wording.euros("1027.78") == "1\u202f027,78\u00a0€"
    assert flat(wording.euros_ht(Decimal("1234567.8"))) == "1 234 567,80 € HT"
    assert wording.euros_words("1027.78") == "mille vingt-sept euros et soixante-dix-huit centimes"
    assert wording.euros_words("80") == "quatre-vingts euros"
    assert wording.number_words(80_000) == "quatre-vingt mille"
    assert wording.number_words(200) == "deux cents" and wording.number_words(201) == "deux cent un"
    assert wording.number_words(71) == "soixante et onze" and wording.number_words(91) == "quatre-vingt-onze"
    assert wording.euros_words("2000000") == "deux millions d'euros"
    assert wording.date_long(datetime.date(2027, 1, 1)) == "1er janvier 2027"
    assert wording.typography("Durée : 12 mois ; « Bon »") == "Durée\u00a0: 12 mois\u202f; «\u00a0Bon\u00a0»"


def test_clause_texts_become_paragraphs_and_lists():
    blocks = text_blocks("Intro :\n\n- un\n- deux\n  suite\n\nFin.")
    assert blocks == [
        {"kind": "p", "text": "Intro :", "items": []},
        {"kind": "ul", "text": "", "items": ["un", "deux suite"]},
        {"kind": "p", "text": "Fin.", "items": []},
    ]


@pytest.mark.parametrize("contract_type", ["maintenance", "assistance", "prestation"])
def test_default_clauses_are_valid_terms(contract_type):
    clauses = default_clauses(contract_type)
    terms = ContractTerms.model_validate(helpers.terms_data(contract_type=contract_type, clauses=clauses))
    keys = [clause.key for clause in terms.clauses]
    for key in ("objet", "duree", "obligations_prestataire", "obligations_client", "niveaux_service"):
        assert key in keys
    for key in ("conditions_financieres", "revision_prix", "responsabilite", "confidentialite"):
        assert key in keys
    for key in ("donnees_personnelles", "resiliation", "reversibilite", "loi_applicable", *OPTIONAL_CLAUSE_KEYS):
        assert key in keys
    texts = {clause.key: clause.text for clause in terms.clauses}
    assert "sauvegardes" in texts["obligations_client"]
    assert "faute lourde" in texts["responsabilite"]
    assert all("\n\n\n" not in text and not text.startswith(" ") for text in texts.values())
    assert default_clauses(contract_type) is not default_clauses(contract_type)  # a fresh copy each time


def test_context_is_french_whatever_the_language(tenant, settings):
    from django.utils import translation

    version = _sent(tenant)
    with translation.override("en"):
        context = version_context(version)
    scope = context["doc"]["scope"]
    assert scope["assets"][0]["kind"] == "Serveur"
    assert Contract.objects.get(pk=version.contract_id).status == "sent"


def test_the_demo_contracts_documents_read_well(seal):
    """The demo's contracts (one of each type, the Lyon amendment): PDF pages to PNG, the .docx read back."""
    from pacte.contracts.demo import demo_contracts
    from pacte.demo import load_demo

    today = timezone.localdate()
    provider = load_demo(today=today)
    demo_contracts(provider, today=today)
    versions = ContractVersion.objects.filter(provider=provider, document__isnull=False).select_related(
        "contract__client", "document", "document_docx"
    )
    assert versions.count() >= 5  # four signed contracts and the Lyon amendment awaiting signature
    for version in versions:
        assert version.document is not None and version.document_docx is not None
        name = f"demo-{version.contract.reference}-v{version.number}"
        assert pdf_to_png(version.document, name)
        keep(version.document_docx, name)
        pdf, word = pdf_text(version.document), docx_text(version.document_docx)
        assert "Pacte Démo Informatique SAS" in pdf and version.contract.client.name in pdf
        terms = version.terms
        if version.kind == "amendment":
            assert "Avenant n° 1" in word and "Volume inclus 10 15" in word
            assert "Redevance forfaitaire 950,00 € HT 1 290,00 € HT" in word
            continue
        for annex in ANNEXES[:5]:
            assert annex in word, (name, annex)
        assert f"Article 1 — {terms.clauses[0].title}" in word
        for mention in {
            "fixed_fee": ["Forfait"],
            "unlimited": ["Assistance illimitée", "120,00 € HT"],
            "milestones": ["Migration du serveur de fichiers", "4 200,00 €", "6 500,00 €"],
        }.get(terms.billing_model.kind, []):
            assert mention in word, (name, mention)
        if not version.contract.client.is_professional:
            assert "Client n'agissant pas en qualité de professionnel" in word
