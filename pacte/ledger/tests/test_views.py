"""The ledger pages: a contract's accounts and movements, the manual adjustment, the leak report."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from pacte.audit.models import AuditEvent
from pacte.interventions.tests import helpers
from pacte.ledger import posting, services
from pacte.ledger.models import Movement
from pacte.ledger.tests import builders

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def test_the_contract_ledger_shows_balances_movements_their_sources_and_rules(
    tenant, seal, run_jobs, login, django_assert_max_num_queries
):
    contract = helpers.covered_contract(tenant, **builders.TIME_AND_MATERIALS)
    day = builders.recent_weekday()
    sheet = builders.done_sheet(tenant, contract=contract, start=builders.paris(day, 19), travel_zone="Z1")
    builders.sign(tenant, sheet)
    run_jobs()
    for hour in (8, 9, 10, 11, 14, 15):  # inside the coverage hours (8–12, 14–18)
        entry = builders.ticket_entry(tenant, contract=contract, start=builders.paris(day, hour), minutes=20)
        builders.age(entry)
    posting.ticket_time_post_due()
    services.adjustment_post(actor=tenant.manager, contract=contract, unit="euros", quantity="15", reason="Geste")
    http = login(tenant.manager)
    url = reverse("ledger:contract_ledger", args=[contract.pk])
    with django_assert_max_num_queries(14):
        response = http.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    # 165.00 + 6 × 40.00 charged, 15.00 credited: −390.00 on the euros account.
    assert 'data-testid="balance-euros">-390,00<' in html  # euros to the cent
    assert reverse("interventions:sheet_detail", args=[sheet.pk]) in html
    assert f"sheet:{sheet.pk}:charge" in html and "Geste" in html
    assert "minimum_minutes_per_intervention" in html  # the rule snapshot, behind "Show"
    assert 'id="adjust-link"' in html and 'id="leaks-link"' in html


def test_the_contract_page_links_to_its_ledger(tenant, login):
    contract = helpers.contract_in_force(tenant)
    response = login(tenant.technician).get(reverse("contracts:contract_detail", args=[contract.pk]))
    assert reverse("ledger:contract_ledger", args=[contract.pk]) in response.content.decode()


def test_a_technician_reads_the_ledger_but_may_not_adjust_nor_see_leaks(tenant, login):
    contract = helpers.contract_in_force(tenant)
    http = login(tenant.technician)
    page = http.get(reverse("ledger:contract_ledger", args=[contract.pk]))
    assert page.status_code == 200 and 'id="adjust-link"' not in page.content.decode()
    assert http.get(reverse("ledger:adjustment_create", args=[contract.pk])).status_code == 403
    data = {"unit": "euros", "quantity": "10", "reason": "Geste"}
    assert http.post(reverse("ledger:adjustment_create", args=[contract.pk]), data).status_code == 403
    assert http.get(reverse("ledger:leak_report")).status_code == 403
    assert not Movement.objects.exists()


def test_a_manager_posts_an_adjustment_with_its_reason(tenant, login):
    contract = helpers.covered_contract(tenant, **builders.FIXED_FEE_HOURS)
    http = login(tenant.manager)
    url = reverse("ledger:adjustment_create", args=[contract.pk])
    form = http.get(url).content.decode()
    assert 'value="hours"' in form and 'value="euros"' in form and 'value="credits"' not in form
    response = http.post(url, {"unit": "hours", "quantity": "1,5", "reason": "Intervention offerte"})
    assert response.status_code == 302 and response["Location"] == reverse("ledger:contract_ledger", args=[contract.pk])
    (movement,) = Movement.objects.all()
    assert movement.kind == "adjustment" and movement.quantity == Decimal("1.5") and not movement.billable
    assert movement.reason == "Intervention offerte" and movement.created_by == tenant.manager
    assert movement.key.startswith("adjustment:")
    event = AuditEvent.objects.get(action="ledger.adjustment")
    assert event.after["reason"] == "Intervention offerte" and event.after["quantity"] == "1.5"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"unit": "hours", "quantity": "2", "reason": "  "}, "reason"),
        ({"unit": "hours", "quantity": "deux", "reason": "Geste"}, "quantity"),
        ({"unit": "hours", "quantity": "0", "reason": "Geste"}, "quantity"),
        ({"unit": "euros", "quantity": "1.005", "reason": "Geste"}, "quantity"),
        ({"unit": "credits", "quantity": "2", "reason": "Geste"}, "unit"),
    ],
)
def test_a_bad_adjustment_is_refused_next_to_its_field_and_nothing_is_saved(tenant, login, data, field):
    contract = helpers.covered_contract(tenant, **builders.FIXED_FEE_HOURS)
    response = login(tenant.manager).post(reverse("ledger:adjustment_create", args=[contract.pk]), data)
    assert response.status_code == 422
    assert response.context["form"].errors.get(field)
    assert not Movement.objects.exists() and not AuditEvent.objects.filter(action="ledger.adjustment").exists()


def test_another_providers_contract_is_a_404(tenant, other_tenant, login):
    contract = helpers.contract_in_force(tenant)
    http = login(other_tenant.admin)
    assert http.get(reverse("ledger:contract_ledger", args=[contract.pk])).status_code == 404
    data = {"unit": "euros", "quantity": "10", "reason": "Geste"}
    assert http.post(reverse("ledger:adjustment_create", args=[contract.pk]), data).status_code == 404
    assert not Movement.objects.exists()


def test_the_leak_report_page(tenant, login, django_assert_max_num_queries):
    http = login(tenant.manager)
    page = http.get(reverse("ledger:leak_report")).content.decode()
    assert 'id="no-leak"' in page
    contract = helpers.covered_contract(tenant, **builders.FIXED_FEE_HOURS)
    day = builders.recent_weekday()
    entries = [
        builders.ticket_entry(tenant, contract=contract, start=builders.paris(day, hour), minutes=20)
        for hour in (9, 10, 11)
    ]
    with django_assert_max_num_queries(12):
        response = http.get(reverse("ledger:leak_report"))
    page = response.content.decode()
    assert 'id="no-leak"' not in page
    for entry in entries:
        assert f'data-testid="leak-time_entry-{entry.pk}"' in page
    assert reverse("servicedesk:ticket_detail", args=[entries[0].ticket_id]) in page


def test_the_leak_report_sits_in_the_billing_section_under_its_tabs(tenant, login):
    page = login(tenant.manager).get(reverse("ledger:leak_report")).content.decode()
    tabs = page[page.index('<nav class="tabs small"') :]
    tabs = tabs[: tabs.index("</nav>")]
    assert f'href="{reverse("billing:invoice_list")}"' in tabs and f'href="{reverse("billing:run_list")}"' in tabs
    assert f'<a href="{reverse("ledger:leak_report")}" aria-current="page">' in tabs
    assert tabs.count('aria-current="page"') == 1
    assert f'<a href="{reverse("billing:invoice_list")}" aria-current="page">' in page  # the main menu's Billing
