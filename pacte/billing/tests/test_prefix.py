"""Numbering prefixes chosen by the provider: new series take them, started series keep theirs, and
the bank import recognises them in transfer labels."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import translation

from pacte.billing.bank_import import bank_statement_import, invoice_prefixes, numbers_in
from pacte.billing.models import Payment, Series
from pacte.billing.services import series_for
from pacte.billing.tests.helpers import legal_identity
from pacte.billing.tests.test_payments import credit, issued
from pacte.tenancy import services as tenancy_services
from pacte.tenancy.models import Provider

pytestmark = pytest.mark.django_db

D = Decimal
ISSUE = datetime.date(2026, 1, 15)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def acme(tenant):
    """A tenant whose provider numbers its invoices ACME-… and its credit notes ACAV-… (set by its manager)."""
    legal_identity(tenant)
    tenancy_services.provider_update(actor=tenant.manager, invoice_prefix="ACME", credit_note_prefix="ACAV")
    tenant.provider.refresh_from_db()
    return tenant


def statement(*lines: str) -> bytes:
    return ("Date;Libellé;Montant\n" + "\n".join(lines) + "\n").encode()


def test_a_provider_with_prefix_acme_issues_acme_2026_000001(acme):
    first, second = issued(acme, day=ISSUE), issued(acme, day=ISSUE)
    assert (first.number, second.number) == ("ACME-2026-000001", "ACME-2026-000002")
    assert first.data["number"] == "ACME-2026-000001"
    note = credit(acme, first)
    assert note.number == "ACAV-2026-000001"
    assert sorted(Series.objects.filter(provider=acme.provider).values_list("kind", "prefix", "year")) == [
        ("credit_note", "ACAV", 2026),
        ("invoice", "ACME", 2026),
    ]


def test_a_started_series_keeps_its_prefix_a_new_year_takes_the_new_one(tenant):
    legal_identity(tenant)
    assert issued(tenant, day=ISSUE).number == "FA-2026-000001"
    tenancy_services.provider_update(actor=tenant.manager, invoice_prefix="ACME")
    tenant.provider.refresh_from_db()
    assert issued(tenant, day=ISSUE).number == "FA-2026-000002"  # the 2026 series goes on, gapless
    assert issued(tenant, day=datetime.date(2027, 1, 4)).number == "ACME-2027-000001"
    assert series_for(tenant.provider.pk, "invoice", 2026).prefix == "FA"
    assert series_for(tenant.provider.pk, "credit_note", 2027).prefix == "AV"


def test_providers_number_independently_with_the_same_prefix(acme, other_tenant):
    legal_identity(other_tenant)
    tenancy_services.provider_update(actor=other_tenant.manager, invoice_prefix="ACME", credit_note_prefix="AV")
    other_tenant.provider.refresh_from_db()
    assert issued(acme, day=ISSUE).number == "ACME-2026-000001"
    assert issued(other_tenant, day=ISSUE).number == "ACME-2026-000001"


def test_bank_import_matches_the_provider_s_prefix_in_a_label(acme):
    invoice = issued(acme, day=ISSUE)  # ACME-2026-000001, 1 336.50 €
    report = bank_statement_import(
        actor=acme.manager,
        data=statement(
            "03/02/2026;VIR SEPA CLIENT ALPHA ACME2026000001;1 336,50",
            "04/02/2026;VIR SEPA CLIENT ALPHA FA-2026-000001;10,00",
        ),
        today=datetime.date(2026, 6, 1),
    )
    assert [(o.line, o.invoice_number, o.amount) for o in report.matched] == [(2, "ACME-2026-000001", D("1336.50"))]
    assert [(o.line, o.reason) for o in report.unmatched] == [(3, "No invoice number in the label.")]
    assert Payment.objects.get().invoice_id == invoice.pk


def test_bank_import_still_matches_numbers_given_before_the_prefix_changed(tenant):
    legal_identity(tenant)
    old = issued(tenant, day=ISSUE)  # FA-2026-000001
    tenancy_services.provider_update(actor=tenant.manager, invoice_prefix="ACME")
    tenant.provider.refresh_from_db()
    new = issued(tenant, day=datetime.date(2027, 1, 4))  # ACME-2027-000001
    assert invoice_prefixes(tenant.provider) == ("ACME", "FA")
    report = bank_statement_import(
        actor=tenant.manager,
        data=statement(
            "03/02/2027;VIR FA 2026 1;1 336,50",
            "04/02/2027;VIR acme-2027-1;1 336,50",
        ),
        today=datetime.date(2027, 6, 1),
    )
    assert [(o.invoice_number, o.invoice_id) for o in report.matched] == [
        ("FA-2026-000001", old.pk),
        ("ACME-2027-000001", new.pk),
    ]


def test_numbers_in_reads_each_prefix_as_the_provider_spells_it():
    assert numbers_in("VIR ACME2026000001 / acme 2026 2", ("ACME",)) == ["ACME-2026-000001", "ACME-2026-000002"]
    assert numbers_in("VIR FA-2026-000001", ("ACME",)) == []  # another provider's prefix is not a number here
    assert numbers_in("VIR XACME-2026-000001 ACME-2026-0000012", ("ACME",)) == []
    assert numbers_in("VIR FAC2026000001 FA2026000002", ("FA", "FAC")) == ["FAC-2026-000001", "FA-2026-000002"]
    assert numbers_in("VIR A+B/2026/000001 AB2026000002", ("A+B",)) == ["A+B-2026-000001"]
    assert numbers_in("VIR AC-ME 2026 3", ("AC-ME",)) == ["AC-ME-2026-000003"]
    assert numbers_in("VIR ACME 2026 3 ACME2026000003", ("ACME",)) == ["ACME-2026-000003"]


def test_a_provider_without_a_prefix_change_keeps_fa_and_av(tenant):
    provider = Provider.objects.get(pk=tenant.provider.pk)
    assert (provider.invoice_prefix, provider.credit_note_prefix) == ("FA", "AV")
    assert invoice_prefixes(provider) == ("FA",)
