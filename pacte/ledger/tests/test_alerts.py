"""Threshold alerts: once per account, period and threshold, mailed once to each side's managers."""

from __future__ import annotations

import datetime
from decimal import Decimal
from email.utils import parseaddr

from pacte.ledger import alerts, blocks, periods
from pacte.ledger.models import Account, ThresholdAlert
from pacte.ledger.tests.helpers_l3 import consume, fixed_fee_contract, prepaid_contract
from pacte.mail.models import OutboundMessage

D = Decimal
day = datetime.date


def _messages():
    return OutboundMessage.objects.filter(key__startswith="ledger-alert:").order_by("id")


def _addresses(messages):
    return sorted(parseaddr(address)[1] for message in messages for address in message.to)


def test_alerts_at_80_and_100_percent_once_each(tenant):
    contract = fixed_fee_contract(tenant, start=day(2026, 1, 1))
    account = periods.allowance_post(contract, day(2026, 3, 1)).account  # type: ignore[union-attr]
    consume(contract, day(2026, 3, 3), "7.75")
    assert alerts.thresholds_check(account, day(2026, 3, 3)) == 0  # 77.5 %
    assert not _messages().exists()

    consume(contract, day(2026, 3, 4), "0.25")  # 80 %
    assert alerts.thresholds_check(account, day(2026, 3, 4)) == 1
    assert alerts.thresholds_check(account, day(2026, 3, 20)) == 0  # checked twice: still one
    alert = ThresholdAlert.objects.get()
    assert (alert.account, alert.period_start, alert.threshold) == (account, day(2026, 3, 1), D("0.80"))
    first = list(_messages())
    assert {m.key for m in first} == {f"ledger-alert:{alert.pk}:provider", f"ledger-alert:{alert.pk}:client"}
    provider_side = [tenant.admin.user.email, tenant.manager.user.email]
    assert _addresses(m for m in first if m.key.endswith(":provider")) == sorted(provider_side)
    assert _addresses(m for m in first if m.key.endswith(":client")) == [tenant.client_manager.user.email]
    client_mail = next(m for m in first if m.key.endswith(":client"))
    assert contract.reference in client_mail.subject
    assert "80" in client_mail.subject
    assert "8,00\u00a0h" in client_mail.body_text and "10,00\u00a0h" in client_mail.body_text  # French by default
    assert f"/portal/contracts/{contract.pk}/" in client_mail.body_text
    staff_mail = next(m for m in first if m.key.endswith(":provider"))
    assert f"/contracts/{contract.pk}/" in staff_mail.body_text and "/portal/" not in staff_mail.body_text
    # Not the technician, the client's plain users, nor another client's manager.
    everyone = _addresses(first)
    for member in (tenant.technician, tenant.client_user, tenant.other_client_manager):
        assert member.user.email not in everyone

    consume(contract, day(2026, 3, 10), "2.5")  # 105 %
    assert alerts.thresholds_check(account, day(2026, 3, 10)) == 1
    assert alerts.thresholds_check(account, day(2026, 3, 10)) == 0
    assert sorted(ThresholdAlert.objects.values_list("threshold", flat=True)) == [D("0.80"), D("1.00")]
    assert _messages().count() == 4

    # A new period starts counting again.
    periods.allowance_post(contract, day(2026, 4, 1))
    consume(contract, day(2026, 4, 2), "9")
    assert alerts.thresholds_check(account, day(2026, 4, 2)) == 1
    assert ThresholdAlert.objects.filter(period_start=day(2026, 4, 1)).count() == 1


def test_a_jump_past_both_thresholds_records_both_and_mails_once(tenant):
    contract = fixed_fee_contract(tenant, start=day(2026, 1, 1), alert_thresholds=["0.5", "0.8", "1.0"])
    account = periods.allowance_post(contract, day(2026, 5, 1)).account  # type: ignore[union-attr]
    consume(contract, day(2026, 5, 4), "11")
    assert alerts.thresholds_check(account, day(2026, 5, 4)) == 3
    assert ThresholdAlert.objects.count() == 3
    messages = list(_messages())
    assert len(messages) == 2  # one per side, for the 100 % alert
    top = ThresholdAlert.objects.get(threshold=D("1.00"))
    assert {m.key for m in messages} == {f"ledger-alert:{top.pk}:provider", f"ledger-alert:{top.pk}:client"}


def test_an_alert_already_raised_elsewhere_is_not_mailed_again(tenant):
    # The race: another worker created the 80 % alert (and mailed) a moment before this check.
    contract = fixed_fee_contract(tenant, start=day(2026, 1, 1))
    account = periods.allowance_post(contract, day(2026, 3, 1)).account  # type: ignore[union-attr]
    consume(contract, day(2026, 3, 3), "8.5")
    ThresholdAlert.objects.create(account=account, period_start=day(2026, 3, 1), threshold=D("0.80"))
    assert alerts.thresholds_check(account, day(2026, 3, 3)) == 0
    assert not _messages().exists()


def test_prepaid_block_alerts_per_block(tenant):
    contract = prepaid_contract(tenant, start=day(2026, 1, 1), quantity="10")
    blocks.block_purchase(actor=tenant.manager, contract=contract, purchased_on=day(2026, 1, 1), reference="A")
    account = Account.objects.get(contract=contract, unit="hours")
    consume(contract, day(2026, 2, 1), "8")
    assert alerts.thresholds_check(account, day(2026, 2, 1)) == 1
    assert alerts.thresholds_check(account, day(2026, 2, 1)) == 0
    alert = ThresholdAlert.objects.get()
    assert (alert.period_start, alert.threshold) == (day(2026, 1, 1), D("0.80"))
    message = _messages().filter(key__endswith=":client").get()
    assert "A" in message.body_text
    # A second block is measured on its own.
    blocks.block_purchase(actor=tenant.manager, contract=contract, purchased_on=day(2026, 3, 1), reference="B")
    consume(contract, day(2026, 3, 2), "2")  # A used up (100 %), B untouched
    assert alerts.thresholds_check(account, day(2026, 3, 2)) == 1
    assert ThresholdAlert.objects.filter(period_start=day(2026, 1, 1), threshold=D("1.00")).exists()
    assert not ThresholdAlert.objects.filter(period_start=day(2026, 3, 1)).exists()


def test_the_periods_job_checks_the_current_period(tenant):
    contract = fixed_fee_contract(tenant, start=day(2026, 1, 1))
    periods.periods_run(day(2026, 2, 1))
    consume(contract, day(2026, 2, 2), "8")
    assert periods.periods_run(day(2026, 2, 3))["alerts"] == 1
    assert periods.periods_run(day(2026, 2, 4))["alerts"] == 0
    assert ThresholdAlert.objects.get().period_start == day(2026, 2, 1)
