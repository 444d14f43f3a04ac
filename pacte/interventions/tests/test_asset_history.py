"""The asset history on the asset's page: tickets, interventions, parts swapped, patches — per side."""

from __future__ import annotations

import datetime
from typing import Any

from django.urls import reverse
from django.utils import timezone

from pacte.interventions.models import Intervention, Part, PatchRecord, Result, SheetStatus
from pacte.interventions.templatetags.interventions_history import LIMIT, asset_history_context
from pacte.interventions.tests.helpers import asset, ticket


def _sheet(tenant: Any, reference: str, *, status: str = SheetStatus.SIGNED, assets: Any = ()) -> Intervention:
    now = timezone.now()
    sheet = Intervention.objects.create(
        provider=tenant.provider,
        client=tenant.client,
        reference=reference,
        title=f"Intervention {reference}",
        status=status,
        result=Result.RESOLVED,
        checked_in_at=now - datetime.timedelta(hours=2),
        signed_at=now if status == SheetStatus.SIGNED else None,
        signer_name="M. Client" if status == SheetStatus.SIGNED else "",
    )
    sheet.assets.set(assets)
    return sheet


def _history(tenant: Any) -> dict[str, Any]:
    server = asset(tenant, "SN-SRV-42", hostname="srv01")
    signed = _sheet(tenant, "INT-2026-00001", assets=[server])
    cancelled = _sheet(tenant, "INT-2026-00002", status=SheetStatus.CANCELLED, assets=[server])
    Part.objects.create(
        intervention=signed,
        asset=server,
        description="Disque SSD 1 To",
        serial_out="OLD-DISK-1",
        serial_in="NEW-DISK-2",
    )
    Part.objects.create(intervention=cancelled, asset=server, description="Alimentation", serial_out="PSU-OUT-9")
    PatchRecord.objects.create(
        intervention=signed, asset=server, reference="KB5031356", title="Cumulative update", installed_at=timezone.now()
    )
    PatchRecord.objects.create(intervention=cancelled, asset=server, reference="KB9999999", installed_at=timezone.now())
    by_user = ticket(tenant, actor=tenant.client_user, title="Serveur lent", assets=[server])
    by_staff = ticket(tenant, title="Alerte disque du serveur", assets=[server])
    return {"server": server, "signed": signed, "cancelled": cancelled, "by_user": by_user, "by_staff": by_staff}


def test_provider_page_shows_everything(tenant, login, django_assert_max_num_queries) -> None:
    made = _history(tenant)
    http = login(tenant.technician)
    url = reverse("assets:asset_detail", args=[made["server"].pk])
    http.get(url)  # warm the session and caches
    with django_assert_max_num_queries(16):
        response = http.get(url)
    html = response.content.decode()
    assert 'data-testid="asset-history"' in html
    for text in ("INT-2026-00001", "INT-2026-00002", "OLD-DISK-1", "NEW-DISK-2", "PSU-OUT-9", "KB5031356"):
        assert text in html, text
    assert made["by_user"].reference in html and made["by_staff"].reference in html
    assert reverse("interventions:sheet_detail", args=[made["signed"].pk]) in html
    assert reverse("servicedesk:ticket_detail", args=[made["by_staff"].pk]) in html


def test_client_side_hides_cancelled_sheets_and_others_tickets(tenant, login) -> None:
    made = _history(tenant)
    url = reverse("portal:asset_detail", args=[made["server"].pk])
    html = login(tenant.client_manager).get(url).content.decode()
    assert "INT-2026-00001" in html and "OLD-DISK-1" in html and "NEW-DISK-2" in html and "KB5031356" in html
    for hidden in ("INT-2026-00002", "PSU-OUT-9", "KB9999999"):
        assert hidden not in html, hidden
    assert reverse("portal:intervention_detail", args=[made["signed"].pk]) in html
    assert f'href="{reverse("interventions:sheet_detail", args=[made["signed"].pk])}"' not in html
    assert made["by_user"].reference in html and made["by_staff"].reference in html
    # A client user: only the tickets they asked for.
    html = login(tenant.client_user).get(url).content.decode()
    assert made["by_user"].reference in html and made["by_staff"].reference not in html
    assert "INT-2026-00001" in html and "INT-2026-00002" not in html
    # Another client's manager: the asset is not theirs.
    assert login(tenant.other_client_manager).get(url).status_code == 404


def test_history_is_capped_and_scoped(tenant, other_tenant, django_assert_max_num_queries) -> None:
    server = asset(tenant, "SN-MANY")
    for number in range(LIMIT + 3):
        _sheet(tenant, f"INT-2026-{number:05d}", assets=[server])
    with django_assert_max_num_queries(4):
        context = asset_history_context(server, tenant.manager)
    assert len(context["interventions"]) == LIMIT and context["more_interventions"]
    assert asset_history_context(server, other_tenant.manager) == {"show": False}
    assert asset_history_context(server, tenant.other_client_manager) == {"show": False}
