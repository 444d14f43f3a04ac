"""Drafting, sending, signing and amending contracts; ``contract_terms_at`` around an amendment."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from pacte.audit.models import AuditEvent
from pacte.contracts import services
from pacte.contracts.models import Contract, ContractStatus, ContractVersion, VersionStatus
from pacte.contracts.selectors import contract_terms_at
from pacte.contracts.tests import helpers
from pacte.core.errors import ConflictError

pytestmark = pytest.mark.django_db


def test_create_draft_allocates_a_reference_per_provider_and_year(tenant, other_tenant):
    first = helpers.draft(tenant)
    second = helpers.draft(tenant)
    foreign = services.contract_create(
        actor=other_tenant.manager,
        client=other_tenant.client,
        title="X",
        start_date=datetime.date(2026, 3, 1),
        duration_months=12,
        terms=helpers.terms_data(),
    )
    assert (first.reference, second.reference, foreign.reference) == ("C-2027-0001", "C-2027-0002", "C-2026-0001")
    assert first.status == ContractStatus.DRAFT
    assert first.versions.get().effective_from == datetime.date(2027, 1, 1)
    assert AuditEvent.objects.filter(action="contract.create", object_id=str(first.pk)).count() == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"renewal": {"kind": "tacit", "notice_months": 12}}, "terms"),
        ({"payment_terms": {"days": 90}}, "terms"),
        ({"billing_model": {"kind": "fixed_fee", "fee": "-1"}}, "terms"),
        ({"price_revision": {"reference_month": "2026-01-01", "index_period_months": 13}}, "terms"),
        ({"sites": [999999]}, "sites"),
        ({"service_level": 999999}, "service_level"),
        ({"covered_categories": ["nope"]}, "covered_categories"),
    ],
)
def test_bad_terms_are_refused_and_nothing_is_saved(tenant, changes, field):
    with pytest.raises(ValidationError) as error:
        helpers.draft(tenant, **changes)
    assert field in error.value.message_dict
    assert not Contract.objects.exists()


def test_a_foreign_site_is_refused(tenant, other_tenant):
    with pytest.raises(ValidationError) as error:
        helpers.draft(tenant, sites=[other_tenant.site.pk])
    assert "sites" in error.value.message_dict


def test_only_managers_draft(tenant):
    with pytest.raises(PermissionDenied):
        services.contract_create(
            actor=tenant.technician,
            client=tenant.client,
            title="X",
            start_date=datetime.date(2026, 1, 1),
            duration_months=12,
            terms=helpers.terms_data(),
        )


def test_send_and_sign_activates_the_contract(tenant, seal):
    contract = helpers.draft(tenant)
    version = services.contract_send(actor=tenant.manager, contract=contract)
    contract.refresh_from_db()
    assert contract.status == ContractStatus.SENT
    assert version.document is not None and version.document_docx is not None
    assert version.provider_signature is not None
    with pytest.raises(ConflictError):
        services.version_sign(
            actor=tenant.client_manager, version=version, document_sha256="0" * 64, consent_text=helpers.CONSENT
        )
    helpers.sign(tenant, version)
    contract.refresh_from_db()
    version.refresh_from_db()
    assert contract.status == ContractStatus.ACTIVE
    assert (contract.term_start, contract.term_end) == (datetime.date(2027, 1, 1), datetime.date(2027, 12, 31))
    assert version.status == VersionStatus.SIGNED and version.sealed_document.is_sealed
    assert version.client_signature.document_sha256 == version.document.sha256
    with pytest.raises(ConflictError):
        helpers.sign(tenant, version)


def test_client_user_cannot_sign(tenant, seal):
    contract = helpers.draft(tenant)
    version = services.contract_send(actor=tenant.manager, contract=contract)
    with pytest.raises(PermissionDenied):
        services.version_sign(
            actor=tenant.client_user, version=version, document_sha256=version.document.sha256, consent_text="x"
        )


def test_a_sent_contract_is_not_editable_and_can_be_cancelled(tenant, seal):
    contract = helpers.draft(tenant)
    services.contract_send(actor=tenant.manager, contract=contract)
    with pytest.raises(ConflictError):
        services.contract_update_draft(actor=tenant.manager, contract=contract, title="Other")
    services.contract_cancel(actor=tenant.manager, contract=contract)
    contract.refresh_from_db()
    assert contract.status == ContractStatus.CANCELLED
    assert contract_terms_at(contract, datetime.date(2026, 6, 1)) is None


def test_terms_at_on_before_and_after_an_amendment(tenant, seal):
    contract = helpers.active(tenant)
    initial = contract.versions.get(number=1)
    amended_terms = helpers.terms_data(
        billing_model={**helpers.terms_data()["billing_model"], "fee": "1100.00", "included_quantity": "15"}
    )
    with pytest.raises(ValidationError):
        services.amendment_create(
            actor=tenant.manager, contract=contract, effective_from=datetime.date(2026, 12, 1), reason="x"
        )
    amendment = services.amendment_create(
        actor=tenant.manager,
        contract=contract,
        effective_from=datetime.date(2027, 7, 1),
        reason="15 heures par mois",
        terms=amended_terms,
    )
    assert amendment.changes["billing_model.fee"] == ["900.00", "1100.00"]
    # Not signed yet: the initial terms stay in force after the effective date.
    assert contract_terms_at(contract, datetime.date(2027, 7, 1)) == initial
    services.amendment_send(actor=tenant.manager, version=amendment)
    helpers.sign(tenant, amendment)
    assert contract_terms_at(contract, datetime.date(2026, 12, 31)) is None
    assert contract_terms_at(contract, datetime.date(2027, 1, 1)) == initial
    assert contract_terms_at(contract, datetime.date(2027, 6, 30)) == initial
    assert contract_terms_at(contract, datetime.date(2027, 7, 1)) == amendment
    assert contract_terms_at(contract, datetime.date(2027, 12, 31)).terms.billing_model.fee == 1100


def test_an_amendment_whose_date_passed_must_be_redated(tenant, seal):
    contract = helpers.active(tenant)
    amendment = services.amendment_create(
        actor=tenant.manager, contract=contract, effective_from=datetime.date(2027, 2, 1), reason="Nouveau site"
    )
    services.amendment_send(actor=tenant.manager, version=amendment)
    with time_machine.travel(datetime.datetime(2027, 2, 3, 10, tzinfo=datetime.UTC), tick=False):
        with pytest.raises(ConflictError):
            helpers.sign(tenant, amendment)
        services.amendment_update(actor=tenant.manager, version=amendment, effective_from=datetime.date(2027, 3, 1))
        amendment.refresh_from_db()
        assert amendment.status == VersionStatus.DRAFT and amendment.document is None
        services.amendment_send(actor=tenant.manager, version=amendment)
        helpers.sign(tenant, amendment)
    assert ContractVersion.objects.get(pk=amendment.pk).status == VersionStatus.SIGNED
