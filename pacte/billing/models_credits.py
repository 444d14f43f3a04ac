"""SLA service credits: what a month's broken promises give back to the client, proposed then decided.

A ``ServiceCredit`` is computed for a contract and a month (``pacte.billing.service_credits``) from the
penalty grid and the guaranteed availability of the contract's service level: it is *proposed*, and a
manager *approves* or *rejects* it. An approved credit becomes one negative line on an invoice of the
contract (source ``sla:<contract>:<month>``, unique over all invoice lines), or a line of a credit note
when the month's invoice is already issued; ``invoice_line`` then points at that line (freed again when
a draft's lines are recomputed or the draft is deleted). Unique per contract and month: computing again
recomputes a proposed credit and never touches a decided one.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from pacte.tenancy.models import Client, Membership, Provider


class CreditStatus(models.TextChoices):
    PROPOSED = "proposed", pgettext_lazy("service credit", "Proposed")
    APPROVED = "approved", pgettext_lazy("service credit", "Approved")
    REJECTED = "rejected", pgettext_lazy("service credit", "Rejected")


class ServiceCredit(models.Model):
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+", verbose_name=_("client"))
    contract = models.ForeignKey(
        "contracts.Contract", on_delete=models.PROTECT, related_name="service_credits", verbose_name=_("contract")
    )
    #: The month the promises were broken in (its first day).
    month = models.DateField(_("month"))
    #: What is given back, excl. VAT, positive (the invoice line carries its opposite).
    amount = models.DecimalField(_("credit excl. VAT"), max_digits=14, decimal_places=2)
    #: The share of the month's fee it is (after the cap).
    percent = models.DecimalField(_("percent of the fee"), max_digits=6, decimal_places=2)
    #: How it was computed: fee, grid, cap, breaches (tickets), availability figures.
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=CreditStatus.choices, default=CreditStatus.PROPOSED)
    computed_at = models.DateTimeField(_("computed at"))
    decided_by = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("decided by")
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    #: The invoice (or credit note) line that gives it back; ``None`` until billed.
    invoice_line = models.OneToOneField(
        "billing.InvoiceLine",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="service_credit",
        verbose_name=_("invoice line"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-month", "contract_id"]
        verbose_name = _("service credit")
        verbose_name_plural = _("service credits")
        constraints = [
            models.UniqueConstraint(fields=["contract", "month"], name="billing_service_credit_once_per_month"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="billing_service_credit_positive"),
            models.CheckConstraint(
                condition=Q(status__in=["proposed", "approved", "rejected"]), name="billing_service_credit_status"
            ),
            models.CheckConstraint(
                condition=Q(invoice_line__isnull=True) | Q(status="approved"),
                name="billing_service_credit_billed_if_approved",
            ),
        ]
        indexes = [models.Index(fields=["provider", "month", "status"], name="billing_credit_month_idx")]

    def __str__(self) -> str:
        return f"{self.contract_id} {self.month:%Y-%m} {self.amount}"

    @property
    def source(self) -> str:
        """The invoice line source that bills it once: ``sla:<contract>:<first day of the month>``."""
        return f"sla:{self.contract_id}:{self.month.isoformat()}"

    @property
    def is_decided(self) -> bool:
        return self.status != CreditStatus.PROPOSED
