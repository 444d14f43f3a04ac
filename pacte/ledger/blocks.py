"""Prepaid blocks of hours: bought by a manager, consumed oldest first, expired or rolled over.

- ``block_purchase`` posts a PURCHASE of ``block_quantity`` hours, billable at ``block_price``
  (key ``block:<contract>:<reference>``), with the block's validity and rollover rule as in force on
  the purchase day: a later amendment does not change a block already bought.
- Consumption is taken from the **oldest block first** (FIFO): a consumption dated D draws from the
  block bought first among those valid on D (bought on or before D, not yet expired), then from
  loose credit (positive manual adjustments, which never expire); beyond that the account owes
  hours, and the next block bought covers that debt first. ``block_states`` replays the account's
  movements in date order to tell what is left of each block on a day.
- A block bought on P, valid N months, expires on P + N months (20 h bought on 1 January 2026,
  valid 12 months, expire on 1 January 2027). ``blocks_expire`` posts, for each block expired by
  ``today`` and not handled yet, per the rule snapshotted at its purchase:

  * ``none``: an EXPIRY of what is left (key ``block:<contract>:<reference>:expiry``);
  * ``next_block``: a pair of ROLLOVER movements (−left on this block, +left on the next block —
    the first block bought after it and still valid on the expiry day; keys ``…:rollover_out`` and
    ``…:rollover_in``): the balance does not move, the hours now expire with the next block. With no
    next block bought by the expiry day, what is left expires;
  * ``capped`` (N hours): at most N hours roll over onto the next block as above, the rest expires.
"""

from __future__ import annotations

import datetime
import logging
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from pacte.audit.services import audit_record
from pacte.contracts.dates import add_months
from pacte.contracts.models import Contract
from pacte.contracts.selectors import contract_terms_at
from pacte.contracts.terms import PrepaidCredits
from pacte.ledger import rules
from pacte.ledger.models import Account, Movement, MovementKind, SourceKind
from pacte.ledger.services import movement_post
from pacte.tenancy.models import Membership
from pacte.tenancy.permissions import MANAGERS

logger = logging.getLogger("pacte.ledger")

REFERENCE = re.compile(r"^[A-Za-z0-9_.\-/]{1,40}$")
ZERO = Decimal(0)


@dataclass
class Block:
    """One block as the replay sees it."""

    reference: str
    movement_id: int
    purchased_on: datetime.date
    expires_on: datetime.date
    quantity: Decimal
    rollover: str
    rollover_cap: Decimal | None
    remaining: Decimal = ZERO
    credited: Decimal = ZERO  # bought + rolled in: what the thresholds are measured against
    closed: bool = False  # its expiry or rollover is posted

    def valid_on(self, day: datetime.date) -> bool:
        return self.purchased_on <= day < self.expires_on


@dataclass
class Replay:
    blocks: list[Block] = field(default_factory=list)
    loose: Decimal = ZERO  # credit outside any block (positive adjustments); negative: hours owed

    def block(self, reference: str) -> Block | None:
        return next((block for block in self.blocks if block.reference == reference), None)


def _sort_key(movement: Movement) -> tuple[datetime.date, int, int]:
    # On one day, blocks are bought (and rolled in) before anything consumes them.
    first = movement.kind == MovementKind.PURCHASE or (movement.kind == MovementKind.ROLLOVER and movement.quantity > 0)
    return movement.service_date, 0 if first else 1, movement.pk


def replay(movements: list[Movement], *, until: datetime.date | None = None) -> Replay:
    """What is left of each block after ``movements`` dated before ``until`` (all of them when ``None``)."""
    state = Replay()
    for movement in sorted(movements, key=_sort_key):
        if until is not None and movement.service_date >= until:
            break
        detail = movement.detail or {}
        quantity = Decimal(movement.quantity)
        if movement.kind == MovementKind.PURCHASE:
            block = Block(
                reference=str(detail.get("reference", movement.source_id)),
                movement_id=movement.pk,
                purchased_on=movement.service_date,
                expires_on=datetime.date.fromisoformat(detail["expires_on"]),
                quantity=quantity,
                rollover=str(detail.get("rollover", "none")),
                rollover_cap=Decimal(detail["rollover_cap"]) if detail.get("rollover_cap") is not None else None,
                remaining=quantity,
                credited=quantity,
            )
            if state.loose < 0:  # the new block pays the hours owed first
                paid = min(-state.loose, block.remaining)
                block.remaining -= paid
                state.loose += paid
            state.blocks.append(block)
        elif detail.get("block") and movement.kind in (MovementKind.EXPIRY, MovementKind.ROLLOVER):
            target = state.block(str(detail["block"]))
            if target is None:
                state.loose += quantity
                continue
            target.remaining += quantity
            if quantity > 0:
                target.credited += quantity
            else:
                target.closed = True
        elif quantity < 0:
            _consume(state, -quantity, movement.service_date)
        else:
            state.loose += quantity
    return state


def _consume(state: Replay, hours: Decimal, day: datetime.date) -> None:
    for block in state.blocks:  # oldest first
        if hours <= 0:
            return
        if block.valid_on(day) and block.remaining > 0:
            taken = min(block.remaining, hours)
            block.remaining -= taken
            hours -= taken
    state.loose -= hours


def _account(contract: Contract) -> Account | None:
    return Account.objects.filter(contract=contract, unit="hours").first()


def block_states(contract: Contract, day: datetime.date | None = None) -> Replay:
    """The blocks of the contract and what is left of each, replaying the movements dated before ``day``."""
    account = _account(contract)
    if account is None:
        return Replay()
    return replay(list(account.movements.all()), until=day)


def block_purchase(*, actor: Membership, contract: Contract, purchased_on: datetime.date, reference: str) -> Movement:
    """Record a prepaid block bought on ``purchased_on`` (a manager; once per reference, audited)."""
    if actor.role not in MANAGERS or not actor.is_provider_side or contract.provider_id != actor.provider_id:
        raise PermissionDenied
    reference = reference.strip()
    if not REFERENCE.match(reference):
        raise ValidationError(
            {"reference": _("A reference of 1 to 40 letters, digits and . _ - / (e.g. the order number).")}
        )
    version = contract_terms_at(contract, purchased_on)
    if version is None:
        raise ValidationError({"purchased_on": _("The contract is not in force on that day.")})
    model = version.terms.billing_model
    if not isinstance(model, PrepaidCredits):
        raise ValidationError({"contract": _("This contract is not billed by prepaid blocks.")})
    expires_on = add_months(purchased_on, model.validity_months)
    with transaction.atomic():
        movement, created = movement_post(
            contract=contract,
            unit=model.block_unit,
            kind=MovementKind.PURCHASE,
            quantity=model.block_quantity,
            amount=model.block_price,
            billable=True,
            service_date=purchased_on,
            source_kind=SourceKind.BLOCK,
            source_id=f"{contract.pk}:{reference}",
            key=f"block:{contract.pk}:{reference}",
            rule=dict(rules.snapshot(version.terms)),
            detail={
                "reference": reference,
                "expires_on": expires_on.isoformat(),
                "validity_months": model.validity_months,
                "rollover": model.rollover,
                "rollover_cap": str(model.rollover_cap) if model.rollover_cap is not None else None,
            },
            description=_("Prepaid block %(reference)s") % {"reference": reference},
            created_by=actor,
        )
        if created:
            audit_record(
                actor=actor,
                action="ledger.block_purchased",
                instance=movement,
                provider=contract.provider,
                after={
                    "contract": contract.pk,
                    "reference": reference,
                    "quantity": str(movement.quantity),
                    "amount": str(movement.amount),
                    "purchased_on": purchased_on.isoformat(),
                    "expires_on": expires_on.isoformat(),
                },
            )
    return movement


def _next_block(state: Replay, block: Block) -> Block | None:
    """The first block bought after ``block`` and still valid on its expiry day."""
    later = [
        other
        for other in state.blocks
        if other.movement_id != block.movement_id
        and (other.purchased_on, other.movement_id) > (block.purchased_on, block.movement_id)
        and other.valid_on(block.expires_on)
    ]
    return later[0] if later else None


def _post(
    contract: Contract,
    block: Block,
    what: str,
    kind: str,
    quantity: Decimal,
    *,
    on_block: Block | None = None,
    detail: dict[str, Any] | None = None,
) -> Movement:
    """Post an expiry or a rollover of ``block`` (counted on ``on_block``, the block itself by default)."""
    description = (
        _("Prepaid block %(reference)s expired")
        if kind == MovementKind.EXPIRY
        else _("Rollover of block %(reference)s")
    )
    movement, _created = movement_post(
        contract=contract,
        unit="hours",
        kind=kind,
        quantity=quantity,
        service_date=block.expires_on,
        source_kind=SourceKind.BLOCK,
        source_id=f"{contract.pk}:{block.reference}",
        key=f"block:{contract.pk}:{block.reference}:{what}",
        rule={
            "rollover": block.rollover,
            "rollover_cap": str(block.rollover_cap) if block.rollover_cap is not None else None,
            "validity_expires_on": block.expires_on.isoformat(),
        },
        detail={"block": (on_block or block).reference, "expires_on": block.expires_on.isoformat(), **(detail or {})},
        description=description % {"reference": block.reference},
        period=(block.purchased_on, block.expires_on - datetime.timedelta(days=1)),
    )
    return movement


def _close_block(contract: Contract, block: Block, state: Replay) -> list[Movement]:
    """Expire or roll over what is left of ``block`` on its expiry day (``state``: the replay up to then)."""
    left = block.remaining
    if left <= 0:
        return []
    rolled = ZERO
    target = _next_block(state, block) if block.rollover in ("next_block", "capped") else None
    if target is not None:
        rolled = left if block.rollover == "next_block" else min(left, block.rollover_cap or ZERO)
    posted: list[Movement] = []
    with transaction.atomic():
        if rolled > 0 and target is not None:
            posted.append(
                _post(
                    contract,
                    block,
                    "rollover_out",
                    MovementKind.ROLLOVER,
                    -rolled,
                    detail={"to_block": target.reference},
                )
            )
            posted.append(
                _post(
                    contract,
                    block,
                    "rollover_in",
                    MovementKind.ROLLOVER,
                    rolled,
                    on_block=target,
                    detail={"from_block": block.reference},
                )
            )
        if left - rolled > 0:
            posted.append(_post(contract, block, "expiry", MovementKind.EXPIRY, -(left - rolled)))
    return posted


def blocks_expire(contract: Contract, today: datetime.date) -> list[Movement]:
    """Expire (or roll over) every block of the contract whose validity ended by ``today``, once each.

    Blocks are handled in the order they expire, each against a replay up to its expiry day that
    includes what the earlier ones rolled over. Posting through keys: running it again posts nothing.
    """
    account = _account(contract)
    if account is None:
        return []
    posted: list[Movement] = []
    handled: set[str] = set()
    while True:
        movements = list(account.movements.all())
        keys = {movement.key for movement in movements}
        candidates = sorted(
            (
                block
                for block in replay(movements).blocks
                if block.expires_on <= today
                and block.reference not in handled
                and f"block:{contract.pk}:{block.reference}:expiry" not in keys
                and f"block:{contract.pk}:{block.reference}:rollover_out" not in keys
            ),
            key=lambda block: (block.expires_on, block.purchased_on, block.movement_id),
        )
        if not candidates:
            return posted
        handled.add(candidates[0].reference)
        state = replay(movements, until=candidates[0].expires_on)
        at_expiry = state.block(candidates[0].reference)
        if at_expiry is not None:
            posted.extend(_close_block(contract, at_expiry, state))


def prepaid_contracts(today: datetime.date) -> Any:
    """Contracts that bought a block by ``today`` (the only ones with blocks to expire)."""
    bought = Movement.objects.filter(kind=MovementKind.PURCHASE, service_date__lte=today).values("contract_id")
    return Contract.objects.filter(pk__in=bought).order_by("id")


def blocks_expire_all(today: datetime.date) -> dict[str, int]:
    """The nightly job's work: ``blocks_expire`` (then the threshold check) for every contract that bought blocks."""
    from pacte.ledger.alerts import thresholds_check

    report = {"contracts": 0, "posted": 0, "alerts": 0, "failed": 0}
    for contract in prepaid_contracts(today).iterator(chunk_size=500):
        report["contracts"] += 1
        try:
            with transaction.atomic():
                report["posted"] += len(blocks_expire(contract, today))
                account = _account(contract)
                if account is not None:
                    report["alerts"] += thresholds_check(account, today)
        except Exception:  # one contract's bad data must not stop the night
            logger.exception("ledger block expiry failed for contract %s", contract.pk)
            report["failed"] += 1
    return report
