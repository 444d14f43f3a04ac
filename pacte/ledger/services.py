"""Writing to the ledger: every movement goes through ``movement_post``, which posts a source at most once.

``movement_post`` takes the movement's ``key`` (``<source kind>:<source id>:<what>``): posting the
same key again returns the movement already posted and writes nothing, even when two workers post
it at the same moment (the unique constraint decides; the loser reads the winner's row).
"""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from pacte.audit.services import audit_record
from pacte.contracts.models import Contract
from pacte.core.errors import ConflictError
from pacte.ledger.models import Account, Movement, MovementKind, SourceKind, Unit
from pacte.tenancy.models import Membership
from pacte.tenancy.permissions import require


def account_for(contract: Contract, unit: str) -> Account:
    """The contract's account in ``unit`` (created on first use, race-safe)."""
    account = Account.objects.filter(contract=contract, unit=unit).first()
    if account is not None:
        return account
    try:
        with transaction.atomic():
            return Account.objects.create(
                provider_id=contract.provider_id, client_id=contract.client_id, contract=contract, unit=unit
            )
    except IntegrityError:
        return Account.objects.get(contract=contract, unit=unit)


def movement_post(
    *,
    contract: Contract,
    unit: str,
    kind: str,
    quantity: Decimal,
    service_date: datetime.date,
    source_kind: str,
    source_id: str | int,
    key: str,
    rule: dict[str, Any],
    amount: Decimal | None = None,
    billable: bool = False,
    detail: dict[str, Any] | None = None,
    description: str = "",
    reason: str = "",
    period: tuple[datetime.date, datetime.date] | None = None,
    created_by: Membership | None = None,
) -> tuple[Movement, bool]:
    """Post one movement, once: returns ``(movement, created)``; an existing ``key`` returns its movement."""
    existing = Movement.objects.filter(key=key).first()
    if existing is not None:
        return existing, False
    account = account_for(contract, unit)
    movement = Movement(
        provider_id=contract.provider_id,
        client_id=contract.client_id,
        contract=contract,
        account=account,
        kind=kind,
        quantity=quantity,
        amount=amount,
        billable=billable or amount is not None,
        service_date=service_date,
        period_start=period[0] if period else None,
        period_end=period[1] if period else None,
        source_kind=source_kind,
        source_id=str(source_id),
        key=key,
        rule=rule,
        detail=detail or {},
        description=description[:300],
        reason=reason,
        created_by=created_by,
    )
    movement.full_clean(validate_unique=False)  # the key's uniqueness is the database's to decide (race-safe)
    try:
        with transaction.atomic():
            movement.save()
    except IntegrityError:
        return Movement.objects.get(key=key), False
    return movement, True


# Manual adjustments ----------------------------------------------------------------------------------

#: Contracts never signed have no ledger: nothing to adjust.
UNSIGNED_STATUSES = ("draft", "sent", "cancelled")
MAX_QUANTITY = Decimal("1000000")
REASON_MAX = 2000


def contract_units(contract: Contract) -> list[str]:
    """The units a contract's ledger uses: its accounts' and its billing model's (latest signed terms), and euros."""
    from pacte.contracts.models import ContractVersion, VersionStatus
    from pacte.contracts.terms import FixedFee, PrepaidCredits, Unlimited

    units = set(Account.objects.filter(contract=contract).values_list("unit", flat=True))
    units.add(Unit.EUROS)
    version = (
        ContractVersion.objects.filter(contract_id=contract.pk, status=VersionStatus.SIGNED)
        .order_by("-effective_from", "-number")
        .first()
    )
    if version is not None:
        model = version.terms.billing_model
        if isinstance(model, FixedFee):
            units.add(Unit.INTERVENTIONS if model.included_unit == "interventions" else Unit.HOURS)
        elif isinstance(model, PrepaidCredits):
            units.add(model.block_unit)
        elif isinstance(model, Unlimited):
            units.add(Unit.HOURS)
    return [unit for unit in Unit.values if unit in units]


def _quantity(value: Any) -> Decimal | None:
    try:
        quantity = value if isinstance(value, Decimal) else Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        return None
    if not quantity.is_finite():
        return None
    return quantity


@transaction.atomic
def adjustment_post(
    *,
    actor: Membership,
    contract: Contract,
    unit: str,
    quantity: Decimal | str,
    reason: str,
    service_date: datetime.date | None = None,
) -> Movement:
    """A manager's manual adjustment of a contract's account, with its reason (audited).

    ``quantity`` is signed in the account's unit: positive gives the client (hours, interventions,
    credits back; on the euros account a credit), negative takes. On the euros account the
    adjustment is billable: ``amount`` = −quantity (a negative amount is a credit on the next invoice).
    Key ``adjustment:<uuid>``: every call is a new movement.
    """
    from pacte.contracts.selectors import contract_terms_at
    from pacte.ledger.permissions import can_manage_ledger

    if contract.provider_id != actor.provider_id:
        raise Http404
    require(can_manage_ledger(actor))
    if contract.status in UNSIGNED_STATUSES:
        raise ConflictError(_("This contract was never signed: it has no ledger to adjust."))
    errors: dict[str, str] = {}
    if unit not in contract_units(contract):
        errors["unit"] = _("Choose one of the units of this contract.")
    amount = _quantity(quantity)
    if amount is None:
        errors["quantity"] = _("Enter a number, e.g. 1.5 or -2.")
    elif amount == 0:
        errors["quantity"] = _("An adjustment of zero changes nothing.")
    elif abs(amount) >= MAX_QUANTITY:
        errors["quantity"] = _("The quantity is too large.")
    elif amount != amount.quantize(Decimal("0.0001")):
        errors["quantity"] = _("At most 4 decimal places.")
    elif unit == Unit.EUROS and amount != amount.quantize(Decimal("0.01")):
        errors["quantity"] = _("An amount has at most 2 decimal places.")
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = _("Give the reason for the adjustment.")
    elif len(reason) > REASON_MAX:
        errors["reason"] = _("The reason is too long (at most 2000 characters).")
    if errors:
        raise ValidationError(errors)
    assert amount is not None
    day = service_date or timezone.localdate()
    rule: dict[str, Any] = {"manual": True}
    version = contract_terms_at(contract, day)
    if version is not None:
        from pacte.ledger import rules

        rule.update(rules.snapshot(version.terms))
    key = f"adjustment:{uuid.uuid4()}"
    movement, _created = movement_post(
        contract=contract,
        unit=unit,
        kind=MovementKind.ADJUSTMENT,
        quantity=amount,
        amount=-amount if unit == Unit.EUROS else None,
        billable=unit == Unit.EUROS,
        service_date=day,
        source_kind=SourceKind.ADJUSTMENT,
        source_id=key.removeprefix("adjustment:"),
        key=key,
        rule=rule,
        detail={},
        description=_("Manual adjustment"),
        reason=reason,
        created_by=actor,
    )
    audit_record(
        actor=actor,
        action="ledger.adjustment",
        instance=movement,
        provider=actor.provider,
        after={
            "contract": contract.pk,
            "unit": unit,
            "quantity": str(amount),
            "service_date": day,
            "reason": reason,
            "key": key,
        },
    )
    return movement
