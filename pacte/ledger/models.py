"""The consumption ledger: one account per contract and unit, and its movements.

A movement is a signed quantity of the account's unit (hours, interventions, credits or euros):
positive when the client gains (a period's allowance, a prepaid block bought, a rollover), negative
when work consumes it (consumption, expiry). Balance = sum of movements, always: nothing else is
stored. Every movement names its source (a signed sheet, a time entry on a ticket, a contract
period, a block, a manager's adjustment) and carries a snapshot of the rule that priced it; its
``key`` is unique, so a source is posted at most once however often it is offered.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from pacte.tenancy.models import Client, Membership, Provider


class Unit(models.TextChoices):
    HOURS = "hours", _("Hours")
    INTERVENTIONS = "interventions", _("Interventions")
    CREDITS = "credits", _("Credits")
    EUROS = "euros", _("Euros")


class MovementKind(models.TextChoices):
    ALLOWANCE = "allowance", _("Period allowance")
    PURCHASE = "purchase", _("Prepaid block purchased")
    CONSUMPTION = "consumption", _("Consumption")
    OVERAGE = "overage", _("Overage")
    EXPIRY = "expiry", _("Expiry")
    ROLLOVER = "rollover", _("Rollover")
    ADJUSTMENT = "adjustment", _("Manual adjustment")


class SourceKind(models.TextChoices):
    SHEET = "sheet", _("Signed intervention sheet")
    TIME_ENTRY = "time_entry", _("Time entry on a ticket")
    CATALOGUE_TASK = "catalogue_task", _("Catalogue task")
    MILESTONE = "milestone", _("Project milestone")
    PERIOD = "period", _("Contract period")
    BLOCK = "block", _("Prepaid block")
    ADJUSTMENT = "adjustment", _("Manager's adjustment")


class Account(models.Model):
    """What a contract's client has and uses, in one unit."""

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    contract = models.ForeignKey("contracts.Contract", on_delete=models.PROTECT, related_name="ledger_accounts")
    unit = models.CharField(_("unit"), max_length=15, choices=Unit.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["contract_id", "unit"]
        verbose_name = _("ledger account")
        verbose_name_plural = _("ledger accounts")
        constraints = [models.UniqueConstraint(fields=["contract", "unit"], name="ledger_account_once")]

    def __str__(self) -> str:
        return f"{self.contract_id} {self.unit}"


class Movement(models.Model):
    """One signed quantity on an account, from one source, priced by the snapshotted rule."""

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    contract = models.ForeignKey("contracts.Contract", on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="movements")
    kind = models.CharField(_("kind"), max_length=15, choices=MovementKind.choices)
    #: In the account's unit: positive adds to the balance, negative takes from it.
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=4)
    #: What the movement is worth excluding VAT when it is billable (overage, time and materials), else None.
    amount = models.DecimalField(_("amount excl. VAT"), max_digits=12, decimal_places=2, null=True, blank=True)
    billable = models.BooleanField(_("billable"), default=False)
    #: The day the service was rendered (the terms in force that day priced it).
    service_date = models.DateField(_("service date"))
    period_start = models.DateField(_("period start"), null=True, blank=True)
    period_end = models.DateField(_("period end"), null=True, blank=True)
    source_kind = models.CharField(_("source"), max_length=20, choices=SourceKind.choices)
    source_id = models.CharField(max_length=64)
    #: Unique: ``<source kind>:<source id>:<what>`` — a source is posted at most once.
    key = models.CharField(max_length=200, unique=True)
    #: The rule that priced it (rounding unit, minimum, multipliers, rates, travel, scope, included
    #: quantity, rollover, overage policy…), as in force at ``service_date``.
    rule = models.JSONField(_("rule"), default=dict)
    #: How the quantity and the amount were computed (rounded minutes per category, fees…).
    detail = models.JSONField(default=dict, blank=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    reason = models.TextField(_("reason"), blank=True, max_length=2000)
    created_by = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["service_date", "id"]
        verbose_name = _("ledger movement")
        verbose_name_plural = _("ledger movements")
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="adjustment") | ~Q(reason=""), name="ledger_adjustment_has_a_reason"
            ),
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(billable=True), name="ledger_amount_only_when_billable"
            ),
        ]
        indexes = [
            models.Index(fields=["account", "service_date"], name="ledger_movement_account_idx"),
            models.Index(fields=["provider", "billable", "service_date"], name="ledger_movement_billable_idx"),
            models.Index(fields=["source_kind", "source_id"], name="ledger_movement_source_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.quantity} ({self.key})"


class ThresholdAlert(models.Model):
    """An alert at a share of the allowance (80 %, 100 %), raised once per account and period."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="alerts")
    period_start = models.DateField()
    threshold = models.DecimalField(max_digits=4, decimal_places=2)
    raised_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-raised_at"]
        constraints = [
            models.UniqueConstraint(fields=["account", "period_start", "threshold"], name="ledger_alert_once")
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.period_start} {self.threshold}"
