"""The asset pages: back office (list and filters, detail, forms, archive, CSV import) and the read-only portal."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from pacte.assets import importing, services
from pacte.assets.models import Asset
from pacte.assets.tests.helpers import csv_bytes, make_asset
from pacte.assets.views import IMPORT_SESSION_KEY
from pacte.audit.models import AuditEvent

NBSP = "\u00a0"
TODAY = timezone.localdate()


def days(n: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=n)


def upload(content: bytes, name: str = "parc.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/csv")


@pytest.fixture
def assets(tenant):
    return {
        "firewall": make_asset(tenant, name="Pare-feu", kind="network", serial="FW1", warranty_end=days(-10)),
        "server": make_asset(
            tenant, name="Serveur de fichiers", kind="server", site=tenant.site, warranty_end=days(20)
        ),
        "other": make_asset(tenant, client=tenant.other_client, name="PC de l'autre client", serial="OTHER1"),
    }


def test_list_shows_assets_with_warranty_badges(tenant, login, assets):
    response = login(tenant.technician).get(reverse("assets:asset_list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Équipements</h1>" in html
    assert "Pare-feu" in html and "Serveur de fichiers" in html and "PC de l&#x27;autre client" in html
    assert 'class="warranty warranty-expired"' in html
    assert 'class="warranty warranty-expiring"' in html
    assert "Expirée" in html and "Expire bientôt" in html
    assert reverse("assets:asset_create") not in html  # a technician reads
    assert "3 équipements" in html


def test_list_filters(tenant, login, assets):
    http = login(tenant.manager)

    def listed(**params):
        response = http.get(reverse("assets:asset_list"), params)
        assert response.status_code == 200
        return sorted(asset.name for asset in response.context["page"].object_list)

    assert listed(client=tenant.client.pk) == ["Pare-feu", "Serveur de fichiers"]
    assert listed(client=tenant.client.pk, site=tenant.site.pk) == ["Serveur de fichiers"]
    assert listed(kind="network") == ["Pare-feu"]
    assert listed(warranty="expired") == ["Pare-feu"]
    assert listed(warranty="expiring") == ["Serveur de fichiers"]
    assert listed(q="fw1") == ["Pare-feu"]
    assert listed(q="autre") == ["PC de l'autre client"]
    # Unknown or foreign values are ignored rather than errors.
    assert len(listed(client=999999, kind="toaster", warranty="x")) == 3
    services.asset_archive(actor=tenant.manager, asset=assets["firewall"])
    assert "Pare-feu" not in listed()
    assert "Pare-feu" in listed(archived="1")


def test_list_of_another_provider_does_not_filter_on_a_foreign_client(tenant, other_tenant, login, assets):
    response = login(other_tenant.admin).get(reverse("assets:asset_list"), {"client": tenant.client.pk})
    assert response.status_code == 200
    assert list(response.context["page"].object_list) == []
    assert tenant.client.name not in response.content.decode()


def test_detail_page(tenant, login, assets):
    server = assets["server"]
    html = login(tenant.manager).get(reverse("assets:asset_detail", args=[server.pk])).content.decode()
    assert "<h1>Serveur de fichiers</h1>" in html
    assert tenant.site.name in html and tenant.client.name in html
    assert reverse("assets:asset_update", args=[server.pk]) in html
    assert reverse("assets:asset_archive", args=[server.pk]) in html
    html = login(tenant.technician).get(reverse("assets:asset_detail", args=[server.pk])).content.decode()
    assert reverse("assets:asset_update", args=[server.pk]) not in html


def test_create_from_the_client_page(tenant, login):
    http = login(tenant.manager)
    client_page = http.get(reverse("tenancy:client_detail", args=[tenant.client.pk])).content.decode()
    assert 'data-testid="client-assets"' in client_page
    assert f"{reverse('assets:asset_create')}?client={tenant.client.pk}" in client_page
    form = http.get(reverse("assets:asset_create"), {"client": tenant.client.pk}).context["form"]
    assert list(form.fields["site"].queryset) == [tenant.site]  # only that client's sites
    response = http.post(
        reverse("assets:asset_create"),
        {
            "client": tenant.client.pk,
            "name": "Portable direction",
            "kind": "laptop",
            "serial": "pf4m8zq1",
            "site": tenant.site.pk,
            "purchase_date": "2024-01-31",
            "warranty_end": "2027-01-30",
        },
    )
    asset = Asset.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("assets:asset_detail", args=[asset.pk])
    assert (asset.serial, asset.site, asset.warranty_end) == ("PF4M8ZQ1", tenant.site, datetime.date(2027, 1, 30))
    client_page = http.get(reverse("tenancy:client_detail", args=[tenant.client.pk])).content.decode()
    assert "1 équipement" in client_page


def test_create_shows_errors_next_to_their_fields(tenant, login):
    make_asset(tenant, serial="ABC1")
    other_site = tenant.other_client.sites.first()
    response = login(tenant.manager).post(
        reverse("assets:asset_create"),
        {
            "client": tenant.client.pk,
            "name": "Doublon",
            "kind": "workstation",
            "serial": "abc1",
            "purchase_date": "2024-06-01",
            "warranty_end": "2024-05-01",
        },
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert 'data-field="warranty_end"' in html
    response = login(tenant.manager).post(
        reverse("assets:asset_create"),
        {"client": tenant.client.pk, "name": "Doublon", "kind": "workstation", "serial": "abc1"},
    )
    assert response.status_code == 422
    assert (
        '<small class="field-error" data-field="serial" role="alert">Un autre équipement de ce client a déjà ce '
        "numéro de série.</small>" in response.content.decode()
    )
    response = login(tenant.manager).post(
        reverse("assets:asset_create"),
        {"client": tenant.client.pk, "name": "PC", "kind": "workstation", "site": other_site.pk},
    )
    assert response.status_code == 422
    assert 'data-field="site"' in response.content.decode()
    assert Asset.objects.count() == 1


def test_edit_and_archive(tenant, login, assets):
    server = assets["server"]
    http = login(tenant.manager)
    response = http.post(
        reverse("assets:asset_update", args=[server.pk]),
        {"name": "Serveur principal", "kind": "server", "hostname": "SRV-01", "site": tenant.site.pk},
    )
    assert response.status_code == 302
    server.refresh_from_db()
    assert (server.name, server.hostname) == ("Serveur principal", "srv-01")
    response = http.post(reverse("assets:asset_archive", args=[server.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("assets:asset_list")
    server.refresh_from_db()
    assert server.is_archived
    assert (
        http.post(reverse("assets:asset_update", args=[server.pk]), {"name": "X", "kind": "server"}).status_code == 409
    )


def test_technicians_and_clients_cannot_write(tenant, login, assets):
    server = assets["server"]
    tech = login(tenant.technician)
    for url in (reverse("assets:asset_create"), reverse("assets:asset_update", args=[server.pk])):
        assert tech.get(url).status_code == 403
    assert tech.post(reverse("assets:asset_archive", args=[server.pk])).status_code == 403
    assert tech.get(reverse("assets:asset_import")).status_code == 403
    for role in ("client_manager", "client_user"):
        http = login(tenant.member(role))
        for url in (reverse("assets:asset_list"), reverse("assets:asset_detail", args=[server.pk])):
            assert http.get(url).status_code == 404


# Portal -------------------------------------------------------------------------------------------


def test_portal_lists_only_the_company_assets_read_only(tenant, login, assets):
    http = login(tenant.client_user)
    home = http.get(reverse("portal:home")).content.decode()
    assert f'href="{reverse("portal:asset_list")}"' in home  # in the navigation
    response = http.get(reverse("portal:asset_list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Pare-feu" in html and "Serveur de fichiers" in html
    assert "autre client" not in html
    assert reverse("assets:asset_create") not in html and reverse("assets:asset_import") not in html
    assert reverse("portal:asset_detail", args=[assets["server"].pk]) in html
    detail = http.get(reverse("portal:asset_detail", args=[assets["server"].pk]))
    assert detail.status_code == 200
    assert reverse("assets:asset_update", args=[assets["server"].pk]) not in detail.content.decode()
    assert http.get(reverse("portal:asset_detail", args=[assets["other"].pk])).status_code == 404
    response = http.get(reverse("portal:asset_list"), {"site": tenant.site.pk, "client": tenant.other_client.pk})
    assert [a.name for a in response.context["page"].object_list] == ["Serveur de fichiers"]


def test_portal_pages_do_not_exist_for_the_provider(tenant, login, assets):
    assert login(tenant.manager).get(reverse("portal:asset_list")).status_code == 404


# CSV import ---------------------------------------------------------------------------------------


def test_import_flow_preview_then_confirm(tenant, login):
    existing = make_asset(tenant, serial="ABC1", make="Dell")
    http = login(tenant.manager)
    page = http.get(reverse("assets:asset_import"), {"client": tenant.client.pk})
    assert page.status_code == 200
    assert "tous les équipements sont importés, ou aucun" not in page.content.decode()  # (that is the preview's)
    content = csv_bytes(
        "nom;numéro de série;marque;site;fin de garantie",
        f"PC accueil;abc1;HP;{tenant.site.name};31/12/2027",
        "Serveur;CZJ01;HPE;;01/09/2026",
        "Licence;;Microsoft;;",
        bom=True,
    )
    response = http.post(reverse("assets:asset_import"), {"client": tenant.client.pk, "file": upload(content)})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="import-preview"' in html
    assert 'data-testid="import-confirm"' in html
    assert response.context["counts"] == {"create": 2, "update": 1, "unchanged": 0, "error": 0}
    assert "Pas de numéro de série" in html
    assert not Asset.objects.filter(serial="CZJ01").exists()  # nothing written by the preview
    token = response.context["token"]

    response = http.post(reverse("assets:asset_import_confirm"), {"token": token})
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('assets:asset_list')}?client={tenant.client.pk}"
    existing.refresh_from_db()
    assert existing.make == "HP" and existing.warranty_end == datetime.date(2027, 12, 31)
    assert Asset.objects.filter(client=tenant.client).count() == 3
    assert AuditEvent.objects.filter(action="asset.import").count() == 1
    flash = http.get(response["Location"]).content.decode()
    assert "Import terminé" in flash

    # The pending file is gone: confirming twice imports nothing more.
    response = http.post(reverse("assets:asset_import_confirm"), {"token": token})
    assert response.status_code == 302 and response["Location"] == reverse("assets:asset_import")
    assert Asset.objects.filter(client=tenant.client).count() == 3

    # The same file again: unchanged rows, and only the line without serial is created again.
    response = http.post(reverse("assets:asset_import"), {"client": tenant.client.pk, "file": upload(content)})
    assert response.context["counts"] == {"create": 1, "update": 0, "unchanged": 2, "error": 0}


def test_import_with_errors_shows_them_and_offers_no_confirmation(tenant, login):
    http = login(tenant.manager)
    content = csv_bytes(
        "nom;numéro de série;type;site;date d'achat",
        "PC 1;SN1;grille-pain;;",
        "PC 2;SN2;poste;Annexe inconnue;",
        "PC 3;SN1;poste;;32/01/2024",
        "PC 4;SN4;poste;;",
    )
    response = http.post(reverse("assets:asset_import"), {"client": tenant.client.pk, "file": upload(content)})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="import-refused"' in html
    assert 'data-testid="import-confirm"' not in html
    assert "refusé en entier" in html
    assert f"type{NBSP}: Type inconnu" in html
    assert "Ce numéro de série figure déjà ligne 2." in html
    assert IMPORT_SESSION_KEY not in http.session
    assert http.post(reverse("assets:asset_import_confirm"), {"token": "x"}).status_code == 302
    assert not Asset.objects.exists()


def test_import_confirmation_is_checked_against_tampering(tenant, other_tenant, login):
    http = login(tenant.manager)
    content = csv_bytes("nom;numéro de série", "PC 1;SN1")
    response = http.post(reverse("assets:asset_import"), {"client": tenant.client.pk, "file": upload(content)})
    token = response.context["token"]
    # A token that is not the preview's.
    assert http.post(reverse("assets:asset_import_confirm"), {"token": "0" * 64}).status_code == 302
    # The stored client changed to another provider's: 404, nothing written.
    session = http.session
    session[IMPORT_SESSION_KEY] = {**session[IMPORT_SESSION_KEY], "client": other_tenant.client.pk}
    session.save()
    assert http.post(reverse("assets:asset_import_confirm"), {"token": token}).status_code == 404
    # The stored bytes changed after the preview: refused.
    session[IMPORT_SESSION_KEY] = {**session[IMPORT_SESSION_KEY], "client": tenant.client.pk, "content": "QUJD"}
    session.save()
    assert http.post(reverse("assets:asset_import_confirm"), {"token": token}).status_code == 302
    assert not Asset.objects.exists()


def test_import_pending_for_another_membership_is_not_confirmed(tenant, login):
    http = login(tenant.manager)
    http.post(
        reverse("assets:asset_import"),
        {"client": tenant.client.pk, "file": upload(csv_bytes("nom;numéro de série", "PC 1;SN1"))},
    )
    session = http.session
    session[IMPORT_SESSION_KEY] = {**session[IMPORT_SESSION_KEY], "membership": tenant.admin.pk}
    session.save()
    assert http.post(reverse("assets:asset_import_confirm"), {"token": "x"}).status_code == 302
    assert not Asset.objects.exists()


def test_import_refuses_a_foreign_client_and_a_file_too_large(tenant, other_tenant, login):
    http = login(other_tenant.manager)
    content = csv_bytes("nom;numéro de série", "PC 1;SN1")
    response = http.post(reverse("assets:asset_import"), {"client": tenant.client.pk, "file": upload(content)})
    assert response.status_code == 422
    assert 'data-field="client"' in response.content.decode()
    big = b"nom;numero de serie\r\n" + b"x" * importing.MAX_BYTES
    response = login(tenant.manager).post(
        reverse("assets:asset_import"), {"client": tenant.client.pk, "file": upload(big)}
    )
    assert response.status_code == 422
    assert f"Le fichier est trop volumineux{NBSP}: 2{NBSP}Mo au maximum." in response.content.decode()
    assert not Asset.objects.exists()


def test_import_of_a_changed_database_is_refused_at_confirmation(tenant, login):
    http = login(tenant.manager)
    content = csv_bytes("nom;numéro de série;site", f"PC 1;SN1;{tenant.site.name}")
    token = http.post(reverse("assets:asset_import"), {"client": tenant.client.pk, "file": upload(content)}).context[
        "token"
    ]
    tenant.site.archived_at = timezone.now()
    tenant.site.save()
    response = http.post(reverse("assets:asset_import_confirm"), {"token": token})
    assert response.status_code == 422
    assert "Rien n&#x27;a été importé" in response.content.decode()
    assert not Asset.objects.exists()


def test_client_page_summarises_the_warranties(tenant, login, assets):
    html = login(tenant.manager).get(reverse("tenancy:client_detail", args=[tenant.client.pk])).content.decode()
    base = f"{reverse('assets:asset_list')}?client={tenant.client.pk}"
    assert f'<a href="{base}">2 équipements</a>' in html
    assert f'href="{base}&amp;warranty=expired"' in html and "1 garantie expirée" in html
    assert f'href="{base}&amp;warranty=expiring"' in html and "1 garantie expire dans les 60 jours" in html
    html = login(tenant.technician).get(reverse("tenancy:client_detail", args=[tenant.client.pk])).content.decode()
    assert "2 équipements" in html and reverse("assets:asset_import") not in html


def test_warranty_delay_and_host_name_breaks():
    from types import SimpleNamespace

    from pacte.assets.templatetags.assets_tags import hostname_breaks, warranty_delay

    today = datetime.date(2026, 3, 16)

    def delay(end):
        return warranty_delay(SimpleNamespace(warranty_end=end), today)

    assert delay(None) == ""
    assert delay(today) == "se termine aujourd'hui"
    assert delay(datetime.date(2026, 5, 20)) == "se termine dans 2\xa0mois"
    assert delay(datetime.date(2025, 3, 1)) == "terminée depuis 1\xa0année"
    assert hostname_breaks("srv.cabinet.local") == "srv.<wbr>cabinet.<wbr>local"
    assert hostname_breaks("<b>.x") == "&lt;b&gt;.<wbr>x"
