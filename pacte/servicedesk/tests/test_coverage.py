"""Which contract covers a ticket (Done when 3): asset in scope, site out of scope, expired contract,
two overlapping contracts, and out-of-scope work through a quote the client manager approves."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from pacte.contracts.models import Contract
from pacte.servicedesk.coverage import contract_covering
from pacte.servicedesk.models import Billing, Coverage
from pacte.servicedesk.tests import helpers
from tests.factories import SiteFactory

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()  # noqa: DTZ011


def covering(tenant, *, site=None, assets=(), category=None, at=TODAY, client=None):
    return contract_covering(
        actor=tenant.technician,
        client=client or tenant.client,
        site_id=site.pk if site else None,
        asset_ids=[a.pk for a in assets],
        category_code=category,
        at=at,
    )


def test_no_contract_in_force_needs_a_quote(tenant):
    result = covering(tenant, site=tenant.site)
    assert (result.coverage, result.billing, result.contract) == (Coverage.NO_CONTRACT, Billing.QUOTE_NEEDED, None)


def test_asset_in_scope_is_covered_with_its_service_level(tenant):
    level = helpers.service_level(tenant)
    printer = helpers.asset(tenant, serial="PRN-1")
    contract = helpers.contract_in_force(tenant, assets=[printer.pk], service_level=level.pk)
    result = covering(tenant, assets=[printer])
    assert (result.coverage, result.contract, result.service_level_id) == (Coverage.COVERED, contract, level.pk)


def test_asset_not_listed_is_out_of_scope(tenant):
    printer = helpers.asset(tenant, serial="PRN-1")
    laptop = helpers.asset(tenant, serial="LAP-1")
    helpers.contract_in_force(tenant, assets=[printer.pk])
    result = covering(tenant, assets=[laptop])
    assert result.coverage == Coverage.OUT_OF_SCOPE
    assert result.billing == Billing.QUOTE_NEEDED  # the default out-of-scope rule


def test_site_out_of_scope(tenant):
    other_site = SiteFactory(client=tenant.client, provider=tenant.provider, name="Entrepôt")
    helpers.contract_in_force(tenant, sites=[tenant.site.pk])
    assert covering(tenant, site=tenant.site).coverage == Coverage.COVERED
    assert covering(tenant, site=other_site).coverage == Coverage.OUT_OF_SCOPE


def test_category_not_covered_follows_the_standing_rule(tenant):
    helpers.category(tenant, "poste")
    helpers.category(tenant, "dev")
    helpers.contract_in_force(
        tenant,
        covered_categories=["poste"],
        out_of_scope_rule={"kind": "time_and_materials_up_to", "hours": "2"},
    )
    assert covering(tenant, category="poste").coverage == Coverage.COVERED
    result = covering(tenant, category="dev")
    assert (result.coverage, result.billing, result.note) == (Coverage.OUT_OF_SCOPE, Billing.STANDING_RULE, "2")


def test_expired_contract_covers_nothing_after_its_end(tenant):
    start = TODAY - datetime.timedelta(days=400)
    contract = helpers.contract_in_force(tenant, start=start)
    end = TODAY - datetime.timedelta(days=36)
    Contract.objects.filter(pk=contract.pk).update(status="expired", end_date=end)
    assert covering(tenant, at=end).contract == contract  # a ticket of that day still finds it
    assert covering(tenant).coverage == Coverage.NO_CONTRACT


def test_overlapping_contracts_most_specific_wins_then_newest(tenant):
    server = helpers.asset(tenant, serial="SRV-1")
    client_wide = helpers.contract_in_force(tenant, title="Assistance", start=TODAY - datetime.timedelta(days=60))
    site_wide = helpers.contract_in_force(
        tenant, title="Site", start=TODAY - datetime.timedelta(days=90), sites=[tenant.site.pk]
    )
    on_asset = helpers.contract_in_force(
        tenant, title="Serveur", start=TODAY - datetime.timedelta(days=120), assets=[server.pk]
    )
    assert covering(tenant, site=tenant.site, assets=[server]).contract == on_asset
    assert covering(tenant, site=tenant.site).contract == site_wide
    assert covering(tenant).contract == client_wide
    newer = helpers.contract_in_force(tenant, title="Assistance 2", start=TODAY - datetime.timedelta(days=10))
    assert covering(tenant).contract == newer  # same specificity: the most recent start wins
    # and the answer does not depend on the order the contracts were created in
    assert covering(tenant).contract == covering(tenant).contract


def test_refuse_rule(tenant):
    laptop = helpers.asset(tenant, serial="LAP-1")
    helpers.category(tenant, "x")
    helpers.category(tenant, "y")
    helpers.contract_in_force(tenant, covered_categories=["x"], out_of_scope_rule={"kind": "refuse"})
    assert covering(tenant, assets=[laptop], category="y").billing == Billing.REFUSED


def test_ticket_opened_out_of_scope_goes_through_quote_approval(tenant):
    from pacte.servicedesk import quotes

    printer = helpers.asset(tenant, serial="PRN-1")
    laptop = helpers.asset(tenant, serial="LAP-1")
    helpers.contract_in_force(tenant, assets=[printer.pk])
    ticket = helpers.ticket(tenant, assets=[laptop], title="Installer un logiciel")
    assert (ticket.coverage, ticket.billing) == (Coverage.OUT_OF_SCOPE, Billing.QUOTE_NEEDED)
    quote = quotes.quote_create(
        actor=tenant.technician, ticket=ticket, amount=Decimal("180.00"), description="Installation et paramétrage"
    )
    ticket.refresh_from_db()
    assert ticket.billing == Billing.QUOTE_PENDING
    with pytest.raises(Exception):  # noqa: B017,PT011  (a client user may not decide)
        quotes.quote_decide(actor=tenant.client_user, quote=quote, approve=True)
    quotes.quote_decide(actor=tenant.client_manager, quote=quote, approve=True, comment="OK")
    ticket.refresh_from_db()
    quote.refresh_from_db()
    assert (ticket.billing, quote.status) == (Billing.QUOTE_APPROVED, "approved")
    assert quote.decided_by == tenant.client_manager
    assert ticket.events.filter(kind="quote").count() == 2
