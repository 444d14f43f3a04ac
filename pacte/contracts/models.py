"""Contracts: templates, contracts, their effective-dated versions (the terms), notice and exit."""

from __future__ import annotations

from functools import cached_property

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from pacte.contracts.terms import ContractTerms
from pacte.core.models import ArchivableModel, TimeStampedModel
from pacte.tenancy.models import Client, Membership, Provider


class ContractType(models.TextChoices):
    MAINTENANCE = "maintenance", _("Maintenance")
    ASSISTANCE = "assistance", _("Assistance")
    PRESTATION = "prestation", _("Service project")


class ContractStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SENT = "sent", _("Sent for signature")
    ACTIVE = "active", _("Active")
    NOTICE_GIVEN = "notice_given", _("Notice given")
    IN_EXIT = "in_exit", _("In exit")
    CLOSED = "closed", _("Closed")
    EXPIRED = "expired", _("Expired")
    CANCELLED = "cancelled", _("Cancelled")


#: Statuses in which the contract's terms apply to new work.
IN_FORCE_STATUSES = (ContractStatus.ACTIVE, ContractStatus.NOTICE_GIVEN)


class ServiceCategory(ArchivableModel):
    """An entry of the provider's service catalogue ("Poste de travail", "Réseau"): what contracts cover."""

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+")
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=100)
    description = models.CharField(_("description"), max_length=300, blank=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("service category")
        verbose_name_plural = _("service categories")
        constraints = [
            models.UniqueConstraint(fields=["provider", "code"], name="contracts_category_code_unique_per_provider")
        ]

    def __str__(self) -> str:
        return self.name


class ContractTemplate(ArchivableModel):
    """A provider's model contract: clause texts and default terms, so a draft takes a few clicks."""

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=150)
    contract_type = models.CharField(_("contract type"), max_length=20, choices=ContractType.choices)
    description = models.CharField(_("description"), max_length=300, blank=True)
    duration_months = models.PositiveSmallIntegerField(_("duration (months)"), null=True, blank=True)
    #: ``ContractTerms`` as JSON without the client-specific values (sites, assets).
    default_terms = models.JSONField(_("default terms"), default=dict)
    #: Optional clause keys a manager may leave out when drafting (the template's option set).
    optional_clauses = models.JSONField(_("optional clauses"), default=list, blank=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("contract template")
        verbose_name_plural = _("contract templates")
        constraints = [
            models.UniqueConstraint(fields=["provider", "name"], name="contracts_template_name_unique_per_provider")
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("contracts:template_detail", args=[self.pk])

    @cached_property
    def terms(self) -> ContractTerms:
        return ContractTerms.model_validate(self.default_terms)


class ReferenceSequence(models.Model):
    """The last number given per provider, kind and year (``C-2026-0007``): allocated under a row lock."""

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "kind", "year"], name="contracts_sequence_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.year}: {self.last}"


class Contract(TimeStampedModel):
    """The agreement with a client; its terms live in its versions (``contract_terms_at``)."""

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="contracts")
    reference = models.CharField(_("reference"), max_length=20)
    title = models.CharField(_("title"), max_length=200)
    contract_type = models.CharField(_("contract type"), max_length=20, choices=ContractType.choices)
    template = models.ForeignKey(
        ContractTemplate, on_delete=models.SET_NULL, null=True, blank=True, related_name="contracts"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=ContractStatus.choices, default=ContractStatus.DRAFT, db_index=True
    )
    start_date = models.DateField(_("start date"))
    #: 12, 24… months; ``None``: indefinite duration.
    duration_months = models.PositiveSmallIntegerField(_("duration (months)"), null=True, blank=True)
    # The current term (filled at activation, advanced at each renewal)
    term_number = models.PositiveSmallIntegerField(_("term"), default=0)
    term_start = models.DateField(_("current term start"), null=True, blank=True)
    #: Last day (inclusive) of the current term; ``None``: indefinite.
    term_end = models.DateField(_("current term end"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent for signature at"), null=True, blank=True)
    activated_at = models.DateTimeField(_("activated at"), null=True, blank=True)
    #: The last day of the contract once notice was given or it expired (inclusive).
    end_date = models.DateField(_("end date"), null=True, blank=True)
    #: L215-1 reminder letter sent (non-professional clients) for the current term.
    reminder_sent_on = models.DateField(_("renewal reminder sent on"), null=True, blank=True)
    #: The current term began by a tacit renewal whose L215-1 reminder was missed: a non-professional
    #: client may then end the contract free of charge at any time.
    renewed_without_reminder = models.BooleanField(_("renewed without the reminder"), default=False)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    client_signoff_by = models.ForeignKey(Membership, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    client_signoff_at = models.DateTimeField(_("client sign-off at"), null=True, blank=True)
    created_by = models.ForeignKey(Membership, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-start_date", "-id"]
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        constraints = [
            models.UniqueConstraint(fields=["provider", "reference"], name="contracts_reference_unique_per_provider"),
            models.CheckConstraint(
                condition=Q(term_end__isnull=True)
                | Q(term_start__isnull=True)
                | Q(term_end__gte=models.F("term_start")),
                name="contracts_term_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="contracts_end_after_start",
            ),
        ]
        indexes = [models.Index(fields=["provider", "client", "status"])]

    def __str__(self) -> str:
        return f"{self.reference} — {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("contracts:contract_detail", args=[self.pk])

    @property
    def is_in_force_status(self) -> bool:
        return self.status in IN_FORCE_STATUSES


class VersionKind(models.TextChoices):
    INITIAL = "initial", _("Initial contract")
    AMENDMENT = "amendment", _("Amendment")
    REVISION = "revision", _("Price revision")


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SENT = "sent", _("Sent for signature")
    SIGNED = "signed", _("Signed")
    CANCELLED = "cancelled", _("Cancelled")


class ContractVersion(TimeStampedModel):
    """One effective-dated set of terms: the initial contract, an amendment or a price revision."""

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveSmallIntegerField(_("version"))
    kind = models.CharField(_("kind"), max_length=20, choices=VersionKind.choices)
    status = models.CharField(_("status"), max_length=20, choices=VersionStatus.choices, default=VersionStatus.DRAFT)
    effective_from = models.DateField(_("effective from"))
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    #: ``ContractTerms`` as JSON (``model_dump(mode="json")``).
    terms_data = models.JSONField(_("terms"))
    #: What changed from the version before (dotted path → [before, after]), for the history.
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    document = models.ForeignKey(
        "documents.Document", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    document_docx = models.ForeignKey(
        "documents.Document", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    sealed_document = models.ForeignKey(
        "documents.Document", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    provider_signature = models.ForeignKey(
        "documents.SignatureEvidence", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    client_signature = models.ForeignKey(
        "documents.SignatureEvidence", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)

    class Meta:
        ordering = ["contract", "number"]
        verbose_name = _("contract version")
        verbose_name_plural = _("contract versions")
        constraints = [
            models.UniqueConstraint(fields=["contract", "number"], name="contracts_version_number_unique"),
            models.CheckConstraint(
                condition=~Q(status="signed") | Q(signed_at__isnull=False), name="contracts_signed_version_has_date"
            ),
        ]
        indexes = [models.Index(fields=["contract", "status", "effective_from"])]

    def __str__(self) -> str:
        return f"{self.contract.reference} v{self.number}"

    @cached_property
    def terms(self) -> ContractTerms:
        return ContractTerms.model_validate(self.terms_data)

    @property
    def is_signed(self) -> bool:
        return self.status == VersionStatus.SIGNED


class NoticeParty(models.TextChoices):
    CLIENT = "client", _("The client")
    PROVIDER = "provider", _("The provider")


class NoticeChannel(models.TextChoices):
    REGISTERED_LETTER = "registered_letter", _("Registered letter with acknowledgement")
    EMAIL = "email", _("E-mail")
    PORTAL = "portal", _("Portal")
    HAND_DELIVERED = "hand_delivered", _("Delivered by hand")
    OTHER = "other", _("Other")


class Notice(TimeStampedModel):
    """Notice of termination (or of refusal to renew) given by one party: its proof and its effect."""

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="notices")
    given_by = models.CharField(_("given by"), max_length=10, choices=NoticeParty.choices)
    received_on = models.DateField(_("received on"))
    channel = models.CharField(_("channel"), max_length=20, choices=NoticeChannel.choices)
    document = models.ForeignKey(
        "documents.Document", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    #: The last day of the contract this notice leads to, and whether it came before the deadline.
    end_date = models.DateField(_("end date"))
    on_time = models.BooleanField(_("before the deadline"))
    reason = models.CharField(_("rule applied"), max_length=40)
    indemnity_amount = models.DecimalField(_("early-termination indemnity"), max_digits=12, decimal_places=2, default=0)
    indemnity_detail = models.JSONField(_("indemnity detail"), default=dict, blank=True)
    recorded_by = models.ForeignKey(Membership, on_delete=models.PROTECT, null=True, related_name="+")

    class Meta:
        ordering = ["-received_on", "-id"]
        verbose_name = _("notice")
        verbose_name_plural = _("notices")

    def __str__(self) -> str:
        return f"{self.contract.reference}: {self.get_given_by_display()} {self.received_on}"


class ExitItemKind(models.TextChoices):
    ACCESSES = "accesses", _("Return of accesses")
    CREDENTIALS = "credentials", _("Rotation of credentials")
    DATA = "data", _("Data export and handover (or deletion, GDPR art. 28)")
    DOCUMENTATION = "documentation", _("Documentation handover")
    AUDIT = "audit", _("End-of-mission audit")
    FINAL_INVOICE = "final_invoice", _("Final invoice")
    OTHER = "other", _("Other")


class ExitItem(TimeStampedModel):
    """One line of a contract's exit checklist: owner, evidence (file or comment), done date."""

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="exit_items")
    kind = models.CharField(_("item"), max_length=20, choices=ExitItemKind.choices)
    label = models.CharField(_("label"), max_length=200)
    mandatory = models.BooleanField(_("mandatory"), default=True)
    owner = models.ForeignKey(
        Membership, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("owner")
    )
    due_on = models.DateField(_("due on"), null=True, blank=True)
    done_on = models.DateField(_("done on"), null=True, blank=True)
    evidence_comment = models.TextField(_("evidence"), blank=True)
    evidence_document = models.ForeignKey(
        "documents.Document", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["contract", "position", "id"]
        verbose_name = _("exit checklist item")
        verbose_name_plural = _("exit checklist items")
        constraints = [
            models.CheckConstraint(
                condition=Q(done_on__isnull=True) | ~Q(evidence_comment="") | Q(evidence_document__isnull=False),
                name="contracts_exit_item_done_has_evidence",
            )
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def is_done(self) -> bool:
        return self.done_on is not None


class AlertKind(models.TextChoices):
    TERM_END = "term_end", _("End of the current term")
    REFUSAL_DEADLINE = "refusal_deadline", _("Last day to refuse renewal")
    REMINDER_LETTER = "reminder_letter", _("Renewal reminder letter (L215-1)")
    REVISION = "revision", _("Price revision due")


class ContractAlert(models.Model):
    """An alert sent once: unique per contract, kind, deadline and lead time, whatever the job's reruns."""

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+")
    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="alerts")
    kind = models.CharField(_("kind"), max_length=20, choices=AlertKind.choices)
    deadline = models.DateField(_("deadline"))
    lead_days = models.PositiveSmallIntegerField(_("days ahead"))
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-sent_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "kind", "deadline", "lead_days"], name="contracts_alert_once")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.deadline} (-{self.lead_days} d)"


class IndexSeries(models.TextChoices):
    CURRENT = "current", _("Current series")
    OLD = "old", _("Old series")


class IndexValue(TimeStampedModel):
    """One monthly value of a price index (Syntec…), with the day it was published: dated data, never code."""

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+")
    index_code = models.CharField(_("index"), max_length=30, default="SYNTEC")
    month = models.DateField(_("month"), help_text=_("The month the value is for (first day of the month)."))
    series = models.CharField(_("series"), max_length=10, choices=IndexSeries.choices, default=IndexSeries.CURRENT)
    value = models.DecimalField(_("value"), max_digits=10, decimal_places=4)
    published_on = models.DateField(_("published on"))

    class Meta:
        ordering = ["index_code", "-month", "series"]
        verbose_name = _("index value")
        verbose_name_plural = _("index values")
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "index_code", "month", "series"], name="contracts_index_value_unique"
            ),
            models.CheckConstraint(condition=Q(value__gt=0), name="contracts_index_value_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.index_code} {self.month:%Y-%m} = {self.value}"


class Revision(TimeStampedModel):
    """A price revision applied to a contract: the figures used, the new prices and the letter sent."""

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="revisions")
    revision_date = models.DateField(_("revision date"))
    s0_month = models.DateField(_("reference index month"))
    s0 = models.DecimalField(_("reference index (S0)"), max_digits=10, decimal_places=4)
    s1_month = models.DateField(_("new index month"))
    s1 = models.DecimalField(_("new index (S1)"), max_digits=10, decimal_places=4)
    coefficient = models.DecimalField(_("coefficient"), max_digits=10, decimal_places=6)
    prices_before = models.JSONField(_("prices before"), default=dict)
    prices_after = models.JSONField(_("prices after"), default=dict)
    version = models.OneToOneField(
        ContractVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="revision"
    )
    letter = models.ForeignKey("documents.Document", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_by = models.ForeignKey(Membership, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-revision_date", "-id"]
        verbose_name = _("price revision")
        verbose_name_plural = _("price revisions")
        constraints = [
            models.UniqueConstraint(fields=["contract", "revision_date"], name="contracts_revision_once_per_date")
        ]

    def __str__(self) -> str:
        return f"{self.contract.reference} {self.revision_date}"


class ContractSettings(models.Model):
    """Per-provider settings of the contract alerts."""

    provider = models.OneToOneField(Provider, on_delete=models.PROTECT, related_name="contract_settings")
    #: Days ahead of each deadline (term end, refusal deadline) when managers get an e-mail.
    alert_lead_days = models.JSONField(_("alert lead times (days)"), default=list)
    alerts_enabled = models.BooleanField(_("deadline alerts enabled"), default=True)

    class Meta:
        verbose_name = _("contract settings")
        verbose_name_plural = _("contract settings")

    def __str__(self) -> str:
        return f"contract settings #{self.provider_id}"

    def lead_days(self) -> list[int]:
        return sorted({int(day) for day in self.alert_lead_days} or set(DEFAULT_LEAD_DAYS), reverse=True)


DEFAULT_LEAD_DAYS = (90, 30, 7)
