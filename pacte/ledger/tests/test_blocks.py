"""Prepaid blocks: purchase (managers, once, audited), FIFO consumption, expiry and rollover."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from pacte.audit.models import AuditEvent
from pacte.ledger import blocks
from pacte.ledger.models import Movement, MovementKind
from pacte.ledger.tests.helpers_l3 import balance, consume, fixed_fee_contract, kinds, prepaid_contract

D = Decimal
day = datetime.date


def test_purchase_posts_a_billable_block_once_and_audits_it(tenant):
    contract = prepaid_contract(tenant, start=day(2026, 1, 1))
    movement = blocks.block_purchase(
        actor=tenant.manager, contract=contract, purchased_on=day(2026, 1, 1), reference="BC-2026-01"
    )
    assert (movement.kind, movement.quantity, movement.amount, movement.billable) == (
        "purchase",
        D(20),
        D("1600.00"),
        True,
    )
    assert movement.key == f"block:{contract.pk}:BC-2026-01"
    assert movement.detail["expires_on"] == "2027-01-01"
    assert movement.rule["prepaid"]["validity_months"] == 12
    assert movement.created_by == tenant.manager
    again = blocks.block_purchase(
        actor=tenant.admin, contract=contract, purchased_on=day(2026, 1, 1), reference="BC-2026-01"
    )
    assert again.pk == movement.pk
    assert Movement.objects.filter(contract=contract).count() == 1
    events = AuditEvent.objects.filter(action="ledger.block_purchased", object_id=str(movement.pk))
    assert events.count() == 1
    assert D(events.get().after["quantity"]) == D(20)


@pytest.mark.parametrize("role", ["technician", "client_manager", "client_user"])
def test_only_the_providers_managers_buy_blocks(tenant, role):
    contract = prepaid_contract(tenant, start=day(2026, 1, 1))
    with pytest.raises(PermissionDenied):
        blocks.block_purchase(
            actor=tenant.member(role), contract=contract, purchased_on=day(2026, 1, 1), reference="X1"
        )
    assert not Movement.objects.exists()


def test_another_providers_manager_cannot_buy(tenant, other_tenant):
    contract = prepaid_contract(tenant, start=day(2026, 1, 1))
    with pytest.raises(PermissionDenied):
        blocks.block_purchase(
            actor=other_tenant.manager, contract=contract, purchased_on=day(2026, 1, 1), reference="X"
        )


def test_purchase_refuses_bad_input(tenant):
    contract = prepaid_contract(tenant, start=day(2026, 1, 1))
    with pytest.raises(ValidationError) as error:
        blocks.block_purchase(actor=tenant.manager, contract=contract, purchased_on=day(2026, 1, 1), reference="a b")
    assert "reference" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        blocks.block_purchase(actor=tenant.manager, contract=contract, purchased_on=day(2025, 12, 1), reference="A")
    assert "purchased_on" in error.value.message_dict
    fixed = fixed_fee_contract(tenant, start=day(2026, 1, 1))
    with pytest.raises(ValidationError) as error:
        blocks.block_purchase(actor=tenant.manager, contract=fixed, purchased_on=day(2026, 1, 1), reference="A")
    assert "contract" in error.value.message_dict
    assert not Movement.objects.exists()


def test_worked_example_3_unused_hours_expire(tenant):
    contract = prepaid_contract(tenant, start=day(2026, 1, 1))
    blocks.block_purchase(actor=tenant.manager, contract=contract, purchased_on=day(2026, 1, 1), reference="B1")
    for when, hours in ((day(2026, 2, 3), "6"), (day(2026, 7, 9), "7.25"), (day(2026, 12, 31), "2.25")):
        consume(contract, when, hours)  # 15.5 h in 2026
    assert blocks.blocks_expire(contract, day(2026, 12, 31)) == []  # still valid on its last day
    [expiry] = blocks.blocks_expire(contract, day(2027, 1, 1))
    assert (expiry.kind, expiry.quantity, expiry.service_date) == ("expiry", D("-4.5"), day(2027, 1, 1))
    assert expiry.key == f"block:{contract.pk}:B1:expiry"
    assert expiry.billable is False
    assert balance(contract) == 0
    assert blocks.blocks_expire(contract, day(2027, 1, 2)) == []  # once
    assert Movement.objects.filter(contract=contract, kind=MovementKind.EXPIRY).count() == 1


def test_consumption_takes_the_oldest_valid_block_first(tenant):
    contract = prepaid_contract(tenant, start=day(2026, 1, 1), validity=3, quantity="10")
    blocks.block_purchase(actor=tenant.manager, contract=contract, purchased_on=day(2026, 1, 1), reference="A")
    blocks.block_purchase(actor=tenant.manager, contract=contract, purchased_on=day(2026, 3, 1), reference="B")
    consume(contract, day(2026, 3, 10), "12")  # 10 from A (the oldest), 2 from B
    consume(contract, day(2026, 4, 10), "1")  # A expired on 1 April: from B
    state = blocks.block_states(contract)
    assert {b.reference: b.remaining for b in state.blocks} == {"A": D(0), "B": D(7)}
    assert blocks.blocks_expire(contract, day(2026, 4, 1)) == []  # A has nothing left
    [expiry] = blocks.blocks_expire(contract, day(2026, 6, 1))
    assert (expiry.quantity, expiry.detail["block"]) == (D(-7), "B")
    assert balance(contract) == 0


def test_hours_owed_are_paid_by_the_next_block(tenant):
    contract = prepaid_contract(tenant, start=day(2026, 1, 1), quantity="10")
    consume(contract, day(2026, 1, 5), "3")  # no block yet
    blocks.block_purchase(actor=tenant.manager, contract=contract, purchased_on=day(2026, 1, 10), reference="A")
    assert blocks.block_states(contract).blocks[0].remaining == D(7)
    assert balance(contract) == D(7)


def test_rollover_onto_the_next_block(tenant):
    contract = prepaid_contract(tenant, start=day(2026, 1, 1), validity=3, rollover="next_block", quantity="10")
    blocks.block_purchase(actor=tenant.manager, contract=contract, purchased_on=day(2026, 1, 1), reference="A")
    consume(contract, day(2026, 2, 2), "4")
    blocks.block_purchase(actor=tenant.manager, contract=contract, purchased_on=day(2026, 3, 15), reference="B")
    posted = blocks.blocks_expire(contract, day(2026, 4, 1))
    assert [(m.kind, m.quantity, m.detail["block"]) for m in posted] == [
        ("rollover", D(-6), "A"),
        ("rollover", D(6), "B"),
    ]
    assert [m.key for m in posted] == [f"block:{contract.pk}:A:rollover_out", f"block:{contract.pk}:A:rollover_in"]
    assert balance(contract) == D(16)  # a rollover moves hours, it does not change the balance
    # The rolled hours now live (and expire) with B: 12 h in May leave 4, which expire with B on 15 June.
    consume(contract, day(2026, 5, 5), "12")
    assert blocks.blocks_expire(contract, day(2026, 6, 14)) == []
    [expiry] = blocks.blocks_expire(contract, day(2026, 6, 15))
    assert (expiry.kind, expiry.quantity, expiry.detail["block"]) == ("expiry", D(-4), "B")
    assert balance(contract) == 0
    snapshot = kinds(contract)
    assert blocks.blocks_expire(contract, day(2026, 7, 1)) == []
    assert kinds(contract) == snapshot


def test_next_block_rollover_without_a_next_block_expires(tenant):
    contract = prepaid_contract(tenant, start=day(2026, 1, 1), validity=3, rollover="next_block", quantity="10")
    blocks.block_purchase(actor=tenant.manager, contract=contract, purchased_on=day(2026, 1, 1), reference="A")
    consume(contract, day(2026, 2, 2), "4")
    [expiry] = blocks.blocks_expire(contract, day(2026, 4, 1))
    assert (expiry.kind, expiry.quantity) == ("expiry", D(-6))
    # A block bought after the expiry comes too late to receive them.
    blocks.block_purchase(actor=tenant.manager, contract=contract, purchased_on=day(2026, 4, 2), reference="B")
    assert blocks.blocks_expire(contract, day(2026, 4, 3)) == []
    assert balance(contract) == D(10)


def test_capped_rollover_moves_at_most_the_cap(tenant):
    contract = prepaid_contract(tenant, start=day(2026, 1, 1), validity=3, rollover="capped", cap="2", quantity="10")
    blocks.block_purchase(actor=tenant.manager, contract=contract, purchased_on=day(2026, 1, 1), reference="A")
    blocks.block_purchase(actor=tenant.manager, contract=contract, purchased_on=day(2026, 2, 1), reference="B")
    consume(contract, day(2026, 1, 20), "4")
    posted = blocks.blocks_expire(contract, day(2026, 4, 1))
    assert [(m.kind, m.quantity, m.detail["block"]) for m in posted] == [
        ("rollover", D(-2), "A"),
        ("rollover", D(2), "B"),
        ("expiry", D(-4), "A"),
    ]
    assert balance(contract) == D(12)
    assert {b.reference: b.remaining for b in blocks.block_states(contract).blocks} == {"A": D(0), "B": D(12)}
    # B (bought 1 Feb, valid to 1 May) carries 12 h; capped again at its own expiry, with no next block: all expire.
    [last] = blocks.blocks_expire(contract, day(2026, 5, 1))
    assert (last.kind, last.quantity) == ("expiry", D(-12))
    assert balance(contract) == 0


def test_the_nightly_job_expires_once(tenant):
    contract = prepaid_contract(tenant, start=day(2026, 1, 1))
    blocks.block_purchase(actor=tenant.manager, contract=contract, purchased_on=day(2026, 1, 1), reference="B1")
    consume(contract, day(2026, 6, 1), "15.5")
    first = blocks.blocks_expire_all(day(2027, 1, 1))
    assert first["posted"] == 1
    assert blocks.blocks_expire_all(day(2027, 1, 1))["posted"] == 0
    assert balance(contract) == 0
