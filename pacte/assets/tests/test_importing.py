"""The CSV import: reading the file (pure), the preview against a client, and applying it (atomic, audited)."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from pacte.assets import importing, selectors, services
from pacte.assets.importing import CREATE, ERROR, UNCHANGED, UPDATE, ImportContext
from pacte.assets.models import Asset
from pacte.assets.tests.helpers import csv_bytes, make_asset
from pacte.audit.models import AuditEvent
from pacte.tenancy.models import Site
from tests.factories import ContactFactory, SiteFactory

HEADER_FR = (
    "nom;type;marque;modèle;numéro de série;nom d'hôte;site;utilisateur;date d'achat;fin de garantie;système;notes"
)


def preview(*lines: str, context: ImportContext | None = None, **options) -> importing.Preview:
    return importing.preview(csv_bytes(*lines, **options), context or ImportContext())


# Reading the file (no database) -------------------------------------------------------------------


def test_french_headers_with_bom_and_semicolons():
    result = preview(
        HEADER_FR,
        "PC accueil;poste de travail;Dell;OptiPlex 7010;abc123;PC-Accueil;;Marie Dupont;15/03/2023;14/03/2026;"
        "Windows 11;",
        bom=True,
    )
    assert result.file_errors == []
    assert set(result.columns) == set(importing.FIELDS)
    assert result.columns["serial"] == "numéro de série"
    (row,) = result.rows
    assert row.line == 2
    assert row.action == CREATE
    assert row.data == {
        "name": "PC accueil",
        "kind": "workstation",
        "make": "Dell",
        "model": "OptiPlex 7010",
        "serial": "ABC123",
        "hostname": "pc-accueil",
        "user_name": "Marie Dupont",
        "user_contact_id": None,
        "purchase_date": datetime.date(2023, 3, 15),
        "warranty_end": datetime.date(2026, 3, 14),
        "operating_system": "Windows 11",
    }


def test_english_headers_with_commas_quotes_and_iso_dates():
    result = preview(
        "Name,Kind,Make,Model,Serial,Hostname,Purchase date,Warranty end,Operating system,Notes",
        'Front desk PC,laptop,Lenovo,"ThinkPad T14, Gen 4",PF4M8ZQ1,pc-front,2024-01-31,2027-01-30,Windows 11,'
        '"two\nlines"',
        delimiter=",",
    )
    assert result.file_errors == []
    (row,) = result.rows
    assert row.action == CREATE
    assert row.data["model"] == "ThinkPad T14, Gen 4"
    assert row.data["kind"] == "laptop"
    assert row.data["purchase_date"] == datetime.date(2024, 1, 31)
    assert row.data["notes"] == "two\nlines"


def test_windows_1252_is_read_with_a_warning():
    result = preview("nom;numéro de série", "Imprimante étage;E789", encoding="cp1252")
    assert result.file_errors == []
    assert result.encoding == "cp1252"
    assert result.rows[0].data["name"] == "Imprimante étage"
    assert any("Windows-1252" in warning for warning in result.warnings)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "Le fichier est vide."),
        (b"\n\n  \n", "Le fichier est vide."),
        (b"PK\x03\x04\x00\x00binary", "Ce n'est pas un fichier texte CSV."),
        ("nom;numéro de série\r\n".encode(), "Le fichier a une ligne d'en-tête mais aucun équipement."),
        (b"couleur;poids\r\nrouge;3\r\n", "Aucune colonne connue"),
        (b"nom;name\r\nA;B\r\n", "donnent la même information"),
        (b"x" * (importing.MAX_BYTES + 1), "Le fichier est trop volumineux"),
    ],
)
def test_file_level_errors(content, message):
    result = importing.preview(content, ImportContext())
    assert result.has_errors
    assert result.rows == []
    assert any(message in error for error in result.file_errors), result.file_errors


def test_too_many_rows_is_refused_with_a_clear_message():
    lines = ["nom;numéro de série", *(f"PC {n};SN{n}" for n in range(importing.MAX_ROWS + 1))]
    result = preview(*lines)
    assert result.file_errors == [f"Le fichier a trop de lignes{chr(0xA0)}: au plus 5000 par import."]
    assert len(preview(*lines[:-1]).rows) == importing.MAX_ROWS


def test_unknown_columns_are_ignored_with_a_warning_and_blank_lines_skipped():
    result = preview("nom;couleur;numéro de série", ";;", "PC 1;rouge;SN1", "", "PC 2;bleu;SN2")
    assert [row.line for row in result.rows] == [3, 5]
    assert result.warnings == ["Colonnes ignorées (non reconnues)\u00a0: couleur."]


def test_row_errors_bad_date_unknown_kind_unknown_site_duplicate_serial():
    context = ImportContext(sites={"siege": 1})
    result = preview(
        "nom;type;site;numéro de série;date d'achat;fin de garantie",
        "PC 1;poste;Siège;SN1;31/02/2024;",  # no 31 February
        "PC 2;grille-pain;siege;SN2;;",  # unknown type
        "PC 3;portable;Annexe;SN3;;",  # unknown site
        "PC 4;serveur;;sn1;;",  # SN1 again (case does not matter)
        "PC 5;imprimante;;SN5;01/06/2024;31/05/2024",  # warranty before purchase
        "PC 6;pare-feu;SIÈGE;SN6;2024-06-01;01.06.2027",
        context=context,
    )
    errors = [(e.line, e.field, e.message) for e in result.errors]
    assert errors == [
        (2, "purchase_date", "«\u00a031/02/2024\u00a0» n'est pas une date\u00a0: écrivez JJ/MM/AAAA."),
        (3, "kind", "Type inconnu\u00a0: «\u00a0grille-pain\u00a0»."),
        (4, "site", "Le client n'a pas de site nommé «\u00a0Annexe\u00a0»."),
        (5, "serial", "Ce numéro de série figure déjà ligne 2."),
        (6, "warranty_end", "La garantie ne peut pas finir avant la date d'achat."),
    ]
    assert [row.action for row in result.rows] == [ERROR] * 5 + [CREATE]
    assert result.rows[5].data["site_id"] == 1
    assert result.rows[5].data["kind"] == "network"
    assert result.rows[5].data["warranty_end"] == datetime.date(2027, 6, 1)
    assert result.counts == {CREATE: 1, UPDATE: 0, UNCHANGED: 0, ERROR: 5}


def test_a_row_without_serial_is_created_with_a_warning_and_a_name_is_found():
    result = preview("marque;modèle;nom d'hôte;type", "Brother;MFC-L8900;;imprimante", ";;srv-01;serveur", ";;;autre")
    first, second, third = result.rows
    assert first.action == CREATE and first.data["name"] == "Brother MFC-L8900"
    assert first.warnings == [
        "Pas de numéro de série\u00a0: cette ligne ne peut pas être rapprochée, "
        "importer à nouveau le fichier la crée à nouveau."
    ]
    assert second.data["name"] == "srv-01"
    assert third.action == ERROR and third.errors[0].field == "name"


def test_too_long_cells_and_extra_cells_are_row_errors():
    result = preview("nom;numéro de série", f"{'x' * 151};SN1", "PC;SN2;surplus")
    assert [(e.line, e.field) for e in result.errors] == [(2, "name"), (3, "")]


def test_rows_match_existing_assets_by_serial():
    existing = importing.ExistingAsset(
        id=7, values={"name": "PC accueil", "serial": "SN1", "kind": "workstation", "make": "Dell", "site_id": None}
    )
    context = ImportContext(assets={"SN1": existing})
    result = preview("nom;numéro de série;marque;type", "PC accueil;sn1;;poste", "PC accueil;SN1 ;HP;", context=context)
    unchanged, updated = result.rows
    assert unchanged.action == UNCHANGED and unchanged.asset_id == 7  # an empty cell leaves the make as it is
    assert updated.action == ERROR  # the same serial twice in the file
    result = preview("nom;numéro de série;marque", "Poste accueil;SN1;HP", context=context)
    (row,) = result.rows
    assert (row.action, row.asset_id, row.changes) == (UPDATE, 7, ["name", "make"])


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("N° de série", "serial"),
        ("NUMERO DE SERIE", "serial"),
        ("S/N", "serial"),
        ("Nom d’hôte", "hostname"),
        ("Système d'exploitation", "operating_system"),
        ("Date_d_achat", None),
        ("date d'achat", "purchase_date"),
        ("Fin de garantie", "warranty_end"),
        ("warranty_end", "warranty_end"),
        ("Modèle", "model"),
        ("Marque", "make"),
        ("Utilisateur", "user"),
    ],
)
def test_header_spellings(header, field):
    assert importing.COLUMN_ALIASES.get(importing.fold_header(header)) == field


# Against the database -----------------------------------------------------------------------------


def test_preview_names_the_clients_sites_and_contacts_only(tenant):
    """Another client's site (same provider) is not matched, even with the same name."""
    other_site = Site.objects.filter(client=tenant.other_client).first()
    contact = ContactFactory(client=tenant.client, provider=tenant.provider, first_name="Marie", last_name="Dupont")
    content = csv_bytes(
        "nom;numéro de série;site;utilisateur",
        f"PC 1;SN1;{tenant.site.name.upper()};marie dupont",
        f"PC 2;SN2;{other_site.name};Personne Inconnue",
    )
    result = selectors.asset_import_preview(actor=tenant.manager, client=tenant.client, content=content)
    first, second = result.rows
    assert first.action == CREATE
    assert first.data["site_id"] == tenant.site.pk
    assert first.data["user_contact_id"] == contact.pk
    assert second.action == ERROR
    assert [e.field for e in second.errors] == ["site"]
    assert second.data["user_contact_id"] is None  # a name that is no contact stays as text
    assert second.data["user_name"] == "Personne Inconnue"


def test_import_creates_then_reimport_creates_no_duplicates(tenant):
    content = csv_bytes(
        HEADER_FR,
        f"PC accueil;poste;Dell;OptiPlex;ABC1;pc-accueil;{tenant.site.name};Marie;15/03/2023;14/03/2026;Win 11;",
        "Serveur;serveur;HPE;ML30;CZJ01;srv;;;01/09/2021;01/09/2026;WS 2022;Sauvegarde",
        "Licence;licence;Microsoft;;;;;;;;;",
    )
    result = services.asset_import(actor=tenant.manager, client=tenant.client, content=content, filename="parc.csv")
    assert (result.created, result.updated, result.unchanged) == (3, 0, 0)
    pc = Asset.objects.get(serial="ABC1")
    assert (pc.client, pc.provider, pc.site, pc.hostname) == (tenant.client, tenant.provider, tenant.site, "pc-accueil")
    event = AuditEvent.objects.get(action="asset.import")
    assert event.object_type == "tenancy.client" and event.object_id == str(tenant.client.pk)
    assert event.after["created"] == 3 and event.after["filename"] == "parc.csv"
    assert not AuditEvent.objects.filter(action="asset.create").exists()  # one event per import, none per row

    preview_again = selectors.asset_import_preview(actor=tenant.manager, client=tenant.client, content=content)
    assert [row.action for row in preview_again.rows] == [UNCHANGED, UNCHANGED, CREATE]  # no serial: created again
    services.asset_import(actor=tenant.manager, client=tenant.client, content=content)
    assert Asset.objects.filter(client=tenant.client).count() == 4
    assert Asset.objects.filter(serial="ABC1").count() == 1


def test_import_updates_only_the_cells_given(tenant):
    asset = make_asset(tenant, serial="ABC1", make="Dell", model="OptiPlex", notes="Garder")
    content = csv_bytes("numéro de série;modèle;fin de garantie", "abc1;OptiPlex 7010;31/12/2027")
    result = services.asset_import(actor=tenant.manager, client=tenant.client, content=content)
    assert (result.created, result.updated, result.unchanged) == (0, 1, 0)
    asset.refresh_from_db()
    assert (asset.make, asset.model, asset.notes, asset.warranty_end) == (
        "Dell",
        "OptiPlex 7010",
        "Garder",
        datetime.date(2027, 12, 31),
    )


def test_the_same_serial_at_another_client_is_another_asset(tenant):
    make_asset(tenant, client=tenant.other_client, serial="ABC1", name="PC de l'autre client")
    content = csv_bytes("nom;numéro de série", "PC accueil;ABC1")
    result = services.asset_import(actor=tenant.manager, client=tenant.client, content=content)
    assert result.created == 1
    assert Asset.objects.filter(serial="ABC1").count() == 2


def test_an_import_with_any_error_writes_nothing(tenant):
    make_asset(tenant, serial="ABC1", make="Dell")
    content = csv_bytes(
        "nom;numéro de série;marque;date d'achat",
        "PC accueil;ABC1;HP;",  # a valid update …
        "PC neuf;NEW1;Dell;",  # … a valid creation …
        "PC cassé;NEW2;Dell;hier",  # … and one error: nothing at all is written
    )
    with pytest.raises(ValidationError) as error:
        services.asset_import(actor=tenant.manager, client=tenant.client, content=content)
    assert error.value.message_dict["file"] == [
        "Ligne 4, date d'achat\u00a0: «\u00a0hier\u00a0» n'est pas une date\u00a0: écrivez JJ/MM/AAAA."
    ]
    assert Asset.objects.get(serial="ABC1").make == "Dell"
    assert not Asset.objects.filter(serial__startswith="NEW").exists()
    assert not AuditEvent.objects.filter(action="asset.import").exists()


def test_the_import_is_checked_again_at_confirmation(tenant):
    """Between the preview and the confirmation, a site was archived: the import is refused whole."""
    site = SiteFactory(client=tenant.client, provider=tenant.provider, name="Annexe")
    content = csv_bytes("nom;numéro de série;site", "PC 1;SN1;Annexe", "PC 2;SN2;")
    assert not selectors.asset_import_preview(actor=tenant.manager, client=tenant.client, content=content).has_errors
    Site.objects.filter(pk=site.pk).update(archived_at=datetime.datetime.now(datetime.UTC))
    with pytest.raises(ValidationError):
        services.asset_import(actor=tenant.manager, client=tenant.client, content=content)
    assert not Asset.objects.exists()


@pytest.mark.parametrize("role", ["technician", "client_manager", "client_user"])
def test_only_managers_import(tenant, role):
    content = csv_bytes("nom;numéro de série", "PC 1;SN1")
    with pytest.raises(PermissionDenied):
        services.asset_import(actor=tenant.member(role), client=tenant.client, content=content)
    assert not Asset.objects.exists()


def test_a_large_import_runs_in_few_queries(tenant, django_assert_max_num_queries):
    lines = ["nom;numéro de série;site;type", *(f"PC {n};SN{n};{tenant.site.name};poste" for n in range(600))]
    with django_assert_max_num_queries(30):  # SQLite inserts in batches of ~60 rows
        result = services.asset_import(actor=tenant.manager, client=tenant.client, content=csv_bytes(*lines))
    assert result.created == 600
