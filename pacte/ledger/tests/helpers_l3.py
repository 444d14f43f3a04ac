"""Builders for the periods, blocks and alerts tests: contracts by billing model, consumption posted directly."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Sum

from pacte.contracts.models import Contract
from pacte.ledger.models import Account, Movement, MovementKind, SourceKind
from pacte.ledger.services import movement_post
from pacte.servicedesk.tests.helpers import contract_in_force

D = Decimal


def fixed_fee_contract(
    tenant: Any,
    *,
    start: datetime.date,
    included: str = "10",
    policy: str = "warn",
    period: str = "month",
    **terms: Any,
) -> Contract:
    """Worked example 1's contract: 900.00 € a month including 10 h, rounding 15 min, overage 95 €/h."""
    return contract_in_force(
        tenant,
        start=start,
        months=24,
        billing_model={
            "kind": "fixed_fee",
            "fee": "900.00",
            "period": period,
            "included_quantity": included,
            "included_unit": "hours",
            "overage_rate": "95.00",
            "overage_policy": policy,
        },
        rounding_unit_minutes=15,
        **terms,
    )


def prepaid_contract(
    tenant: Any,
    *,
    start: datetime.date,
    validity: int = 12,
    rollover: str = "none",
    cap: str | None = None,
    quantity: str = "20",
) -> Contract:
    model: dict[str, Any] = {
        "kind": "prepaid_credits",
        "block_quantity": quantity,
        "block_price": "1600.00",
        "validity_months": validity,
        "rollover": rollover,
    }
    if cap is not None:
        model["rollover_cap"] = cap
    return contract_in_force(tenant, start=start, months=36, billing_model=model)


_counter = {"n": 0}


def consume(contract: Contract, day: datetime.date, hours: str, unit: str = "hours") -> Movement:
    """A consumption of ``hours`` on ``day``, posted as the time entries' poster would (through movement_post)."""
    _counter["n"] += 1
    number = _counter["n"]
    movement, created = movement_post(
        contract=contract,
        unit=unit,
        kind=MovementKind.CONSUMPTION,
        quantity=-D(hours),
        service_date=day,
        source_kind=SourceKind.TIME_ENTRY,
        source_id=f"test-{number}",
        key=f"time_entry:test-{contract.pk}-{number}:consumption",
        rule={"rounding_unit_minutes": 15},
    )
    assert created
    return movement


def balance(contract: Contract, unit: str = "hours") -> Decimal:
    account = Account.objects.filter(contract=contract, unit=unit).first()
    if account is None:
        return D(0)
    return account.movements.aggregate(total=Sum("quantity"))["total"] or D(0)


def kinds(contract: Contract) -> list[tuple[str, Decimal]]:
    return [
        (movement.kind, movement.quantity)
        for movement in Movement.objects.filter(contract=contract).order_by("service_date", "id")
    ]
