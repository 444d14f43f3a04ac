"""The client portal's intervention pages: the company's sheets only, a read-only summary, the signed PDF link."""

from __future__ import annotations

import datetime
import html as html_lib
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from pacte.documents.services import document_store
from pacte.interventions import services
from pacte.interventions.models import Intervention, SheetStatus
from pacte.interventions.tests import helpers

pytestmark = pytest.mark.django_db


def url(name: str, *args: int) -> str:
    return reverse(f"portal:{name}", args=args)


def text(response) -> str:
    return html_lib.unescape(response.content.decode())


@pytest.fixture
def sheets(tenant):
    """A sheet with work, time and a part; another client's sheet; a cancelled sheet."""
    mine = helpers.sheet(tenant, title="Serveur de fichiers")
    mine = services.sheet_check_in(actor=tenant.technician, sheet=mine, at=timezone.now() - datetime.timedelta(hours=3))
    services.sheet_update(
        actor=tenant.technician,
        sheet=mine,
        diagnosis="Disque en fin de vie",
        actions="Disque remplacé",
        result="resolved",
    )
    start = timezone.now() - datetime.timedelta(hours=2)
    services.time_entry_add(
        actor=tenant.technician,
        technician=tenant.technician,
        started_at=start,
        ended_at=start + datetime.timedelta(minutes=90),
        sheet=mine,
    )
    services.part_add(actor=tenant.technician, sheet=mine, description="Disque SSD 1 To", quantity=Decimal(1))
    other = helpers.sheet(tenant, client=tenant.other_client, site=None, title="Poste de la comptable")
    cancelled = helpers.sheet(tenant, title="Visite annulée")
    services.sheet_cancel(actor=tenant.technician, sheet=cancelled, reason="Client absent")
    return mine, other, cancelled


def test_the_client_sees_its_companys_sheets_only(tenant, login, sheets):
    mine, other, cancelled = sheets
    for role in ("client_manager", "client_user"):
        response = login(tenant.member(role)).get(url("intervention_list"))
        assert response.status_code == 200
        assert [sheet.pk for sheet in response.context["sheets"]] == [mine.pk]
    response = login(tenant.other_client_manager).get(url("intervention_list"))
    assert [sheet.pk for sheet in response.context["sheets"]] == [other.pk]


def test_the_summary_shows_work_time_and_parts_read_only(tenant, login, sheets):
    mine, _other, _cancelled = sheets
    response = login(tenant.client_user).get(url("intervention_detail", mine.pk))
    page = text(response)
    assert response.status_code == 200
    for words in ("Disque remplacé", "Disque en fin de vie", "Disque SSD 1 To", "1 h 30"):
        assert words in page
    body = response.content.decode()
    assert "<form" not in body.split("<main", 1)[1].split("</main>", 1)[0]
    assert 'data-testid="sheet-pdf"' not in body  # not signed yet


def test_another_client_a_cancelled_sheet_and_provider_roles_get_404(tenant, other_tenant, login, sheets):
    mine, other, cancelled = sheets
    manager = login(tenant.client_manager)
    assert manager.get(url("intervention_detail", other.pk)).status_code == 404
    assert manager.get(url("intervention_detail", cancelled.pk)).status_code == 404
    assert login(tenant.other_client_manager).get(url("intervention_detail", mine.pk)).status_code == 404
    assert login(other_tenant.client_manager).get(url("intervention_detail", mine.pk)).status_code == 404
    for role in ("admin", "technician"):
        http = login(tenant.member(role))
        assert http.get(url("intervention_list")).status_code == 404
        assert http.get(url("intervention_detail", mine.pk)).status_code == 404


def test_a_signed_sheet_shows_who_signed_and_links_its_pdf(tenant, login, sheets):
    mine, _other, _cancelled = sheets
    document = document_store(
        actor=tenant.manager,
        content=b"%PDF-1.4\n%%EOF\n",
        title="Fiche",
        filename="fiche",
        content_type="application/pdf",
        client=tenant.client,
    )
    Intervention.objects.filter(pk=mine.pk).update(
        status=SheetStatus.SIGNED,
        signed_at=timezone.now(),
        signer_name="Marie Client",
        signer_role="Gérante",
        document=document,
    )
    http = login(tenant.client_manager)
    page = text(http.get(url("intervention_detail", mine.pk)))
    assert "Marie Client" in page and "Gérante" in page
    assert f'href="{url("intervention_pdf", mine.pk)}"' in page
    assert f'href="{url("intervention_pdf", mine.pk)}"' in text(http.get(url("intervention_list")))


def test_a_pending_remote_signature_is_announced(tenant, login, sheets):
    mine, _other, _cancelled = sheets
    Intervention.objects.filter(pk=mine.pk).update(
        remote_sign_token_hash="0" * 64, remote_sign_expires_at=timezone.now() + datetime.timedelta(days=7)
    )
    response = login(tenant.client_user).get(url("intervention_detail", mine.pk))
    assert 'data-testid="remote-sign-pending"' in response.content.decode()


def test_the_list_queries_do_not_grow_with_rows(tenant, login, sheets, django_assert_max_num_queries):
    http = login(tenant.client_manager)
    http.get(url("intervention_list"))
    with django_assert_max_num_queries(10) as few:
        assert http.get(url("intervention_list")).status_code == 200
    for number in range(30):
        helpers.sheet(tenant, title=f"Visite {number}", technicians=[tenant.technician, tenant.manager])
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = http.get(url("intervention_list"))
    assert response.context["page"].paginator.count == 31
    assert len(response.context["sheets"]) == 25
