"""Invoices and credit notes, their numbering series, billing runs and payments.

An invoice is born a *draft* (from a billing run, or by hand), computed from the contract's terms and
the ledger's billable movements; each billable movement is linked to exactly one invoice line
(``InvoiceLine.movement`` is unique). *Issuing* gives it the next number of its series — in a short
transaction holding a row lock on the series (``services.invoices_issue``) — and freezes it: an
issued invoice is never edited nor deleted (``Invoice.delete`` refuses, the services refuse any
change but the rendered document), a credit note with its own number cancels it in part or whole. The PDF (Factur-X,
PDF/A-3 with ``factur-x.xml``) is rendered afterwards by an idempotent job from the frozen ``data``.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from pacte.tenancy.models import Client, Membership, Provider

NUMBER_PATTERN = r"^[A-Za-z0-9+\-_/]{1,35}$"


class InvoiceKind(models.TextChoices):
    INVOICE = "invoice", _("Invoice")
    CREDIT_NOTE = "credit_note", _("Credit note")


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ISSUED = "issued", _("Issued")


class LineKind(models.TextChoices):
    FEE = "fee", _("Periodic fee")
    OVERAGE = "overage", _("Overage")
    WORK = "work", _("Time and materials")
    TRAVEL = "travel", _("Travel")
    PARTS = "parts", _("Parts")
    BLOCK = "block", _("Prepaid block")
    TASK = "task", _("Catalogue task")
    MILESTONE = "milestone", _("Milestone")
    SERVICE_CREDIT = "service_credit", _("Service credit")
    ADJUSTMENT = "adjustment", _("Adjustment")
    CREDIT = "credit", _("Credit of an invoice line")


class Series(models.Model):
    """A numbering series: ``<prefix>-<year>-<number on 6 digits>``, continuous from 1 each year.

    Invoices and credit notes have their own series (prefixes ``FA`` and ``AV`` by default).
    ``last_number`` is the last number given; it only moves inside the transaction that gives it.
    """

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=15, choices=InvoiceKind.choices)
    prefix = models.CharField(_("prefix"), max_length=12)
    year = models.PositiveSmallIntegerField(_("year"))
    last_number = models.PositiveIntegerField(_("last number"), default=0)
    #: The issue date of the last number given: a later number never carries an earlier date.
    last_issued_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["provider_id", "kind", "year"]
        verbose_name = _("numbering series")
        verbose_name_plural = _("numbering series")
        constraints = [models.UniqueConstraint(fields=["provider", "prefix", "year"], name="billing_series_once")]

    def __str__(self) -> str:
        return f"{self.prefix}-{self.year}"

    def number(self, sequence: int) -> str:
        return f"{self.prefix}-{self.year}-{sequence:06d}"


class RunStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    DRAFTING = "drafting", _("Computing drafts")
    DRAFTED = "drafted", _("Drafts ready")
    ISSUING = "issuing", _("Issuing")
    ISSUED = "issued", _("Issued")
    FAILED = "failed", _("Failed")


class BillingRun(models.Model):
    """One pass over a provider's contracts (or one client's) for a billing month."""

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    period_start = models.DateField(_("period start"))  # the first day of the billing month
    period_end = models.DateField(_("period end"))
    status = models.CharField(_("status"), max_length=15, choices=RunStatus.choices, default=RunStatus.PENDING)
    total = models.PositiveIntegerField(_("contracts"), default=0)
    done = models.PositiveIntegerField(_("contracts done"), default=0)
    drafted = models.PositiveIntegerField(_("drafts"), default=0)
    issued = models.PositiveIntegerField(_("issued"), default=0)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("billing run")
        verbose_name_plural = _("billing runs")

    def __str__(self) -> str:
        return f"{self.period_start:%Y-%m} ({self.status})"

    @property
    def percent(self) -> int:
        if self.status == RunStatus.ISSUED:
            return 100
        return int(100 * self.done / self.total) if self.total else 0


class Invoice(models.Model):
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    contract = models.ForeignKey(
        "contracts.Contract", on_delete=models.PROTECT, null=True, blank=True, related_name="invoices"
    )
    run = models.ForeignKey(BillingRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="invoices")
    kind = models.CharField(_("kind"), max_length=15, choices=InvoiceKind.choices, default=InvoiceKind.INVOICE)
    status = models.CharField(_("status"), max_length=10, choices=InvoiceStatus.choices, default=InvoiceStatus.DRAFT)
    #: The billing month a run computed it for (first day); with the contract and the kind, unique:
    #: a run computes at most one invoice per contract, month and kind however often it runs.
    billing_period = models.DateField(_("billing month"), null=True, blank=True)
    service_start = models.DateField(_("service from"), null=True, blank=True)
    service_end = models.DateField(_("service to"), null=True, blank=True)
    series = models.ForeignKey(Series, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    sequence = models.PositiveIntegerField(null=True, blank=True)
    number = models.CharField(_("number"), max_length=35, null=True, blank=True)
    issue_date = models.DateField(_("issue date"), null=True, blank=True)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    #: A credit note's invoice (BT-25).
    credited_invoice = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="credit_notes"
    )
    purchase_order = models.CharField(_("purchase order"), max_length=50, blank=True)
    currency = models.CharField(max_length=3, default="EUR")
    total_net = models.DecimalField(_("total excl. VAT"), max_digits=14, decimal_places=2, default=0)
    total_vat = models.DecimalField(_("VAT"), max_digits=14, decimal_places=2, default=0)
    total_gross = models.DecimalField(_("total incl. VAT"), max_digits=14, decimal_places=2, default=0)
    #: Late-payment penalty rate (% a year) and whether the 40 € indemnity applies, fixed at issue.
    penalty_rate = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    professional = models.BooleanField(default=True)
    #: The issued invoice as ``InvoiceData`` JSON: what the PDF and the XML are rendered from.
    data = models.JSONField(default=dict, blank=True)
    xml_sha256 = models.CharField(max_length=64, blank=True)
    document = models.ForeignKey(
        "documents.Document", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    issued_at = models.DateTimeField(null=True, blank=True)
    issued_by = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-issue_date", "-sequence", "-id"]
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "billing_period", "kind"],
                condition=Q(billing_period__isnull=False),
                name="billing_invoice_once_per_period",
            ),
            models.UniqueConstraint(fields=["provider", "number"], name="billing_number_unique"),
            models.UniqueConstraint(fields=["series", "sequence"], name="billing_sequence_unique"),
            models.CheckConstraint(
                condition=Q(status="draft", number__isnull=True, sequence__isnull=True)
                | Q(status="issued", number__isnull=False, sequence__isnull=False, issue_date__isnull=False),
                name="billing_number_iff_issued",
            ),
            models.CheckConstraint(
                condition=Q(kind="invoice", credited_invoice__isnull=True)
                | Q(kind="credit_note", credited_invoice__isnull=False),
                name="billing_credit_note_references_invoice",
            ),
        ]
        indexes = [
            models.Index(fields=["provider", "status", "issue_date"], name="billing_invoice_status_idx"),
            models.Index(fields=["client", "issue_date"], name="billing_invoice_client_idx"),
        ]

    def __str__(self) -> str:
        return self.number or f"draft #{self.pk}"

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        if self.status == InvoiceStatus.ISSUED:
            raise RuntimeError(f"Invoice {self.number} is issued: it is never deleted; a credit note cancels it.")
        return super().delete(*args, **kwargs)

    @property
    def is_issued(self) -> bool:
        return self.status == InvoiceStatus.ISSUED


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(_("kind"), max_length=20, choices=LineKind.choices)
    description = models.CharField(_("description"), max_length=300)
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=4)
    unit_code = models.CharField(_("unit"), max_length=3, default="C62")
    unit_price = models.DecimalField(_("unit price excl. VAT"), max_digits=14, decimal_places=4)
    amount = models.DecimalField(_("amount excl. VAT"), max_digits=14, decimal_places=2)
    vat_rate = models.DecimalField(_("VAT rate"), max_digits=5, decimal_places=2)
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)
    account_code = models.CharField(_("account"), max_length=10, blank=True)
    #: The billable ledger movement this line bills: a movement is billed by one line at most.
    movement = models.OneToOneField(
        "ledger.Movement", on_delete=models.PROTECT, null=True, blank=True, related_name="invoice_line"
    )
    #: A credit note's line: the invoice line it credits (in part or whole).
    credited_line = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    #: What else it comes from, unique when given: ``fee:<contract>:<period start>`` bills a period's fee
    #: once, ``sla:<contract>:<month>`` a month's service credit once.
    source = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["invoice_id", "position"]
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")
        constraints = [
            models.UniqueConstraint(fields=["invoice", "position"], name="billing_line_position_once"),
            models.UniqueConstraint(fields=["source"], condition=~Q(source=""), name="billing_line_source_once"),
        ]

    def __str__(self) -> str:
        return f"{self.invoice_id}/{self.position} {self.description}"


class PaymentMethod(models.TextChoices):
    TRANSFER = "transfer", _("Bank transfer")
    DIRECT_DEBIT = "direct_debit", _("Direct debit")
    CHEQUE = "cheque", _("Cheque")
    CARD = "card", _("Card")
    OTHER = "other", _("Other")


class Payment(models.Model):
    """Money received against an issued invoice, typed by hand or imported from a bank statement."""

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    received_on = models.DateField(_("received on"))
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    method = models.CharField(_("method"), max_length=15, choices=PaymentMethod.choices, default=PaymentMethod.TRANSFER)
    reference = models.CharField(_("reference"), max_length=140, blank=True)
    #: Unique when imported: the bank line's fingerprint, so a statement imported twice adds nothing.
    import_key = models.CharField(max_length=64, null=True, blank=True, unique=True)
    created_by = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["received_on", "id"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="billing_payment_positive")]

    def __str__(self) -> str:
        return f"{self.invoice_id} {self.amount} {self.received_on}"


class Reminder(models.Model):
    """A payment reminder step sent for an overdue invoice: each step once."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="reminders")
    step = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField(auto_now_add=True)
    amount_due = models.DecimalField(max_digits=14, decimal_places=2)
    penalty = models.DecimalField(max_digits=14, decimal_places=2, default=0)

    class Meta:
        ordering = ["invoice_id", "step"]
        constraints = [models.UniqueConstraint(fields=["invoice", "step"], name="billing_reminder_once")]

    def __str__(self) -> str:
        return f"{self.invoice_id} step {self.step}"


from pacte.billing.models_credits import ServiceCredit  # noqa: E402,F401
