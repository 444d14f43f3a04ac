"""Threshold alerts: consumption reaching 80 %, 100 %… of an allowance or of a prepaid block, said once.

``thresholds_check(account, day)`` measures what was consumed against what was granted:

- a fixed fee with an included quantity: the period containing ``day`` — consumed = allowance −
  balance of the period (its close left out), against the period's allowance;
- prepaid credits: every block not yet expired on ``day`` — consumed = what it was credited (bought
  plus rolled in) − what is left of it (FIFO, ``blocks.replay``), against what it was credited. A
  block's alerts are filed under its purchase day.

For each of the contract's ``alert_thresholds`` reached, a ``ThresholdAlert`` is created — once: the
unique constraint (account, period start, threshold) decides between concurrent checks, and only the
check that created it mails. The provider's managers and the client's managers get one message each
(``mail_send`` with a key per alert and audience), for the highest threshold a check newly reached (a
jump from 50 % to 110 % records both alerts and mails the 100 % one). Returns how many alerts it raised.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext_lazy

from pacte.contracts.selectors import contract_terms_at
from pacte.contracts.terms import PrepaidCredits
from pacte.ledger import blocks, periods
from pacte.ledger.models import Account, ThresholdAlert
from pacte.mail.domain import Recipient
from pacte.mail.services import mail_send, recipient_for_user
from pacte.tenancy.models import Membership, Role
from pacte.tenancy.permissions import MANAGERS

TEMPLATE = "mail/ledger/threshold"
HUNDREDTH = Decimal("0.01")
UNIT_SYMBOLS = {"hours": gettext_lazy("h"), "interventions": gettext_lazy("interventions")}


@dataclass(frozen=True)
class Measure:
    """Consumption against what was granted, in one period (or block)."""

    period_start: datetime.date
    period_end: datetime.date
    consumed: Decimal
    granted: Decimal
    block: str = ""


def measures(account: Account, day: datetime.date) -> list[Measure]:
    """What ``thresholds_check`` compares on ``day``: the period's allowance, or each live prepaid block."""
    contract = account.contract
    version = contract_terms_at(contract, day)
    if version is None:
        return []
    model = version.terms.billing_model
    if isinstance(model, PrepaidCredits):
        if account.unit != model.block_unit:
            return []
        state = blocks.replay(list(account.movements.all()))
        return [
            Measure(
                period_start=block.purchased_on,
                period_end=block.expires_on - datetime.timedelta(days=1),
                consumed=block.credited - block.remaining,
                granted=block.credited,
                block=block.reference,
            )
            for block in state.blocks
            if not block.closed and block.expires_on > day and block.purchased_on <= day and block.credited > 0
        ]
    found = periods.contract_period(contract, day)
    if found is None:
        return []
    period, terms = found
    fixed = periods._fixed_fee(terms)
    if fixed is None or fixed.included_unit != account.unit:
        return []
    allowance, balance = periods.period_balance(account, period, contract=contract)
    if allowance <= 0:
        return []
    return [Measure(period.start, period.end, allowance - balance, allowance)]


def _recipients(account: Account) -> dict[str, list[Recipient]]:
    members = (
        Membership.objects.filter(provider_id=account.provider_id, is_active=True, user__is_active=True)
        .filter(role__in=[*MANAGERS, Role.CLIENT_MANAGER])
        .select_related("user")
        .order_by("id")
    )
    audiences: dict[str, dict[str, Recipient]] = {"provider": {}, "client": {}}
    for member in members:
        if not member.user.email:
            continue
        if member.role in MANAGERS and member.client_id is None:
            audience = "provider"
        elif member.role == Role.CLIENT_MANAGER and member.client_id == account.client_id:
            audience = "client"
        else:
            continue
        audiences[audience].setdefault(member.user.email.lower(), recipient_for_user(member.user))
    return {audience: list(found.values()) for audience, found in audiences.items()}


def _mail(account: Account, alert: ThresholdAlert, measure: Measure) -> int:
    contract = account.contract
    base = settings.PACTE_BASE_URL.rstrip("/")
    sent = 0
    for audience, recipients in _recipients(account).items():
        if not recipients:
            continue
        context = {
            "audience": audience,
            "contract_reference": contract.reference,
            "contract_title": contract.title,
            "client_name": account.client.name,
            "percent": int(alert.threshold * 100),
            "consumed": measure.consumed.quantize(HUNDREDTH, rounding=ROUND_HALF_UP),
            "granted": measure.granted.quantize(HUNDREDTH, rounding=ROUND_HALF_UP),
            "unit": UNIT_SYMBOLS.get(account.unit, account.unit),
            "period_start": measure.period_start,
            "period_end": measure.period_end,
            "block": measure.block,
            "url": base
            + (
                reverse("contracts:contract_detail", args=[contract.pk])
                if audience == "provider"
                else reverse("portal:contract_detail", args=[contract.pk])
            ),
        }
        sent += len(
            mail_send(
                template=TEMPLATE,
                context=context,
                recipients=recipients,
                provider=account.provider,
                key=f"ledger-alert:{alert.pk}:{audience}",
            )
        )
    return sent


def thresholds_check(account: Account, period_start: datetime.date) -> int:
    """Raise (and mail, once) every threshold that consumption reached; returns how many alerts it raised."""
    version = contract_terms_at(account.contract, period_start)
    if version is None:
        return 0
    thresholds = sorted(version.terms.alert_thresholds)
    raised = 0
    for measure in measures(account, period_start):
        reached = [t for t in thresholds if measure.consumed >= t * measure.granted]
        if not reached:
            continue
        known = set(
            ThresholdAlert.objects.filter(
                account=account, period_start=measure.period_start, threshold__in=reached
            ).values_list("threshold", flat=True)
        )
        created: list[ThresholdAlert] = []
        with transaction.atomic():
            for threshold in reached:
                if threshold in known:
                    continue
                try:
                    with transaction.atomic():
                        created.append(
                            ThresholdAlert.objects.create(
                                account=account, period_start=measure.period_start, threshold=threshold
                            )
                        )
                except IntegrityError:  # another check raised it at the same moment: it mails
                    continue
            if created:
                _mail(account, created[-1], measure)
        raised += len(created)
    return raised
