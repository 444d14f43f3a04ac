"""The contracts chapter of the demo: one signed contract of each type, the Lyon amendment awaiting signature."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from pacte.contracts import lifecycle
from pacte.contracts.demo import demo_contracts
from pacte.contracts.models import Contract, ContractStatus, VersionKind, VersionStatus
from pacte.contracts.selectors import contract_terms_at
from pacte.demo import load_demo

pytestmark = pytest.mark.django_db


def test_demo_contracts_tell_the_story_once(seal):
    today = timezone.localdate()
    provider = load_demo(today=today)
    created = demo_contracts(provider, today=today)
    assert demo_contracts(provider, today=today) == []
    assert {contract.contract_type for contract in created} == {"assistance", "maintenance", "prestation"}
    assert all(
        contract.status == ContractStatus.ACTIVE for contract in Contract.objects.filter(pk__in=[c.pk for c in created])
    )
    assert Contract.objects.filter(provider=provider, status=ContractStatus.DRAFT).count() == 1

    lyon = Contract.objects.get(provider=provider, client__name__startswith="Cabinet", status="active")
    terms = contract_terms_at(lyon, today).terms
    assert terms.billing_model.kind == "fixed_fee"
    assert terms.billing_model.included_quantity == Decimal("10")
    amendment = lyon.versions.get(kind=VersionKind.AMENDMENT)
    assert amendment.status == VersionStatus.SENT
    assert amendment.changes["billing_model.included_quantity"] == ["10", "15"]

    association = Contract.objects.get(provider=provider, client__is_professional=False)
    deadlines = lifecycle.contract_deadlines(association)
    assert deadlines is not None and deadlines.reminder_window is not None
    start, end = deadlines.reminder_window
    assert start <= today <= end
    for contract in created:
        version = contract.versions.get(number=1)
        assert version.sealed_document is not None and version.sealed_document.is_sealed
