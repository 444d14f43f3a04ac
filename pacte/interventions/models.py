"""Intervention sheets, their time, parts and checklist, preventive plans and visits, calendar feeds.

The sheet (``Intervention``) is the contract's annex: the proof of what was done, when and by whom.
Every row is provider-owned (``provider``, and ``client`` where a client can see it) or reached
through its sheet. A signed sheet is locked (``signed_at`` set): the services refuse every change
and a correction is a new sheet whose ``corrects`` names it. Time entries keep their raw start and
end; their after-hours and weekend minutes are derived from the contract's coverage windows when
saved (:mod:`pacte.interventions.timing`), never typed.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from pacte.core.models import ArchivableModel, TimeStampedModel
from pacte.tenancy.models import Client, Membership, Provider, Site


class Mode(models.TextChoices):
    ON_SITE = "on_site", _("On site")
    REMOTE = "remote", _("Remote")
    WORKSHOP = "workshop", _("Workshop")


class SheetStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Work done, awaiting signature")
    SIGNED = "signed", _("Signed")
    CANCELLED = "cancelled", _("Cancelled")


#: Statuses in which the sheet can still be changed.
EDITABLE_STATUSES = frozenset({SheetStatus.PLANNED, SheetStatus.IN_PROGRESS, SheetStatus.DONE})


class BackupCheck(models.TextChoices):
    PENDING = "pending", _("Not confirmed yet")
    CLIENT_CONFIRMED = "client_confirmed", _("The client confirmed its backups")
    PROVIDER_OPTION = "provider_option", _("Backup made by the provider (option)")
    NOT_NEEDED = "not_needed", _("Not needed (no data at risk)")


class Result(models.TextChoices):
    RESOLVED = "resolved", _("Resolved")
    PARTIAL = "partial", _("Partly resolved")
    NOT_RESOLVED = "not_resolved", _("Not resolved")


class InterventionSequence(models.Model):
    """The last sheet number given per provider and year (``INT-2026-00042``), allocated under a row lock."""

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["provider", "year"], name="interventions_sequence_unique")]

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class Intervention(TimeStampedModel):
    """One intervention sheet ("fiche d'intervention"): remote, on site or in the workshop."""

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="interventions", verbose_name=_("client"))
    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, null=True, blank=True, related_name="interventions", verbose_name=_("site")
    )
    contract = models.ForeignKey(
        "contracts.Contract",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="interventions",
        verbose_name=_("contract"),
    )
    ticket = models.ForeignKey(
        "servicedesk.Ticket",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="interventions",
        verbose_name=_("ticket"),
    )
    visit = models.ForeignKey(
        "interventions.PreventiveVisit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="interventions",
        verbose_name=_("preventive visit"),
    )
    #: The signed sheet this one corrects (a signed sheet never changes; a correction is a new sheet).
    corrects = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="corrections", verbose_name=_("corrects")
    )
    reference = models.CharField(_("reference"), max_length=20)
    title = models.CharField(_("title"), max_length=200)
    mode = models.CharField(_("mode"), max_length=10, choices=Mode.choices, default=Mode.ON_SITE)
    status = models.CharField(_("status"), max_length=12, choices=SheetStatus.choices, default=SheetStatus.PLANNED)
    assets = models.ManyToManyField(
        "assets.Asset", blank=True, related_name="interventions", verbose_name=_("equipment")
    )
    technicians = models.ManyToManyField(
        Membership, blank=True, related_name="interventions", verbose_name=_("technicians")
    )
    # Planning
    planned_start = models.DateTimeField(_("planned start"), null=True, blank=True)
    planned_end = models.DateTimeField(_("planned end"), null=True, blank=True)
    reminder_sent_at = models.DateTimeField(_("reminder sent at"), null=True, blank=True)
    # On the day: check-in (or start of the remote session) is what the GTI target measures
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    checked_out_at = models.DateTimeField(_("checked out at"), null=True, blank=True)
    # The work
    diagnosis = models.TextField(_("diagnosis"), blank=True, max_length=20000)
    actions = models.TextField(_("actions taken"), blank=True, max_length=20000)
    result = models.CharField(_("result"), max_length=15, choices=Result.choices, blank=True)
    recommendations = models.TextField(_("advice and recommendations"), blank=True, max_length=10000)
    follow_up_needed = models.BooleanField(_("follow-up needed"), default=False)
    follow_up_notes = models.TextField(_("follow-up"), blank=True, max_length=5000)
    # Travel
    travel_minutes = models.PositiveIntegerField(_("travel time (minutes)"), null=True, blank=True)
    travel_km = models.DecimalField(_("distance (km)"), max_digits=7, decimal_places=1, null=True, blank=True)
    travel_zone = models.CharField(_("travel zone"), max_length=20, blank=True)
    # The client's duty to back up before on-site work (contract term ``backup_duty``)
    backup_check = models.CharField(
        _("backup check"), max_length=20, choices=BackupCheck.choices, default=BackupCheck.PENDING
    )
    #: Copied from the contract's terms when the sheet is created: work cannot start until confirmed.
    backup_blocking = models.BooleanField(_("backup confirmation required before work"), default=False)
    backup_confirmed_by = models.CharField(_("confirmed by"), max_length=150, blank=True)
    backup_confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    # Workshop: equipment brought back
    dropped_off_at = models.DateTimeField(_("dropped off at"), null=True, blank=True)
    dropped_off_by = models.CharField(_("dropped off by"), max_length=150, blank=True)
    drop_off_condition = models.TextField(_("condition and accessories at drop-off"), blank=True, max_length=5000)
    returned_at = models.DateTimeField(_("returned at"), null=True, blank=True)
    returned_to = models.CharField(_("returned to"), max_length=150, blank=True)
    # Signature: the client's representative, on the technician's device or through a one-time link
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    signer_name = models.CharField(_("signer's name"), max_length=150, blank=True)
    signer_role = models.CharField(_("signer's role"), max_length=150, blank=True)
    signature_png = models.BinaryField(_("signature image"), null=True, blank=True)
    signature_sha256 = models.CharField(max_length=64, blank=True)
    document = models.ForeignKey(
        "documents.Document",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("signed sheet (PDF)"),
    )
    evidence = models.ForeignKey(
        "documents.SignatureEvidence", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    #: Why nobody could sign on site (then the client signs through a one-time link in the portal).
    no_signature_reason = models.TextField(_("why nobody signed on site"), blank=True, max_length=2000)
    remote_sign_token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    remote_sign_expires_at = models.DateTimeField(null=True, blank=True)
    cancelled_reason = models.CharField(_("reason for cancelling"), max_length=300, blank=True)
    created_by = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-planned_start", "-id"]
        verbose_name = _("intervention sheet")
        verbose_name_plural = _("intervention sheets")
        constraints = [
            models.UniqueConstraint(fields=["provider", "reference"], name="interventions_reference_unique"),
            models.CheckConstraint(
                condition=Q(planned_end__isnull=True)
                | Q(planned_start__isnull=True)
                | Q(planned_end__gt=F("planned_start")),
                name="interventions_planned_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(checked_out_at__isnull=True)
                | Q(checked_in_at__isnull=True)
                | Q(checked_out_at__gte=F("checked_in_at")),
                name="interventions_check_out_after_check_in",
            ),
            models.CheckConstraint(
                condition=~Q(status="signed") | Q(signed_at__isnull=False),
                name="interventions_signed_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["provider", "planned_start"], name="interventions_planned_idx"),
            models.Index(fields=["provider", "status"], name="interventions_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} — {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("interventions:sheet_detail", args=[self.pk])

    @property
    def is_locked(self) -> bool:
        return self.status not in EDITABLE_STATUSES


class Nature(models.TextChoices):
    LABOUR = "labour", _("Labour")
    TRAVEL = "travel", _("Travel")


class TimeEntry(models.Model):
    """Time one technician worked, on a sheet or on a ticket (remote work), with its raw start and end.

    ``minutes_*`` split the duration by when it was worked, against the contract's coverage windows
    (in hours, after hours, weekend or public holiday): derived on save, read by the ledger.
    """

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    contract = models.ForeignKey(
        "contracts.Contract", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    intervention = models.ForeignKey(
        Intervention, on_delete=models.CASCADE, null=True, blank=True, related_name="time_entries"
    )
    ticket = models.ForeignKey(
        "servicedesk.Ticket", on_delete=models.PROTECT, null=True, blank=True, related_name="time_entries"
    )
    technician = models.ForeignKey(
        Membership, on_delete=models.PROTECT, related_name="time_entries", verbose_name=_("technician")
    )
    nature = models.CharField(_("nature"), max_length=10, choices=Nature.choices, default=Nature.LABOUR)
    started_at = models.DateTimeField(_("start"))
    ended_at = models.DateTimeField(_("end"))
    description = models.CharField(_("description"), max_length=500, blank=True)
    minutes_in_hours = models.PositiveIntegerField(_("minutes in coverage hours"), default=0)
    minutes_after_hours = models.PositiveIntegerField(_("minutes after hours"), default=0)
    minutes_weekend = models.PositiveIntegerField(_("minutes on weekends and public holidays"), default=0)
    created_by = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["started_at", "id"]
        verbose_name = _("time entry")
        verbose_name_plural = _("time entries")
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_at__gt=F("started_at")), name="interventions_entry_end_after_start"
            ),
            models.CheckConstraint(
                condition=Q(intervention__isnull=False) | Q(ticket__isnull=False),
                name="interventions_entry_has_a_subject",
            ),
        ]
        indexes = [models.Index(fields=["technician", "started_at"], name="interventions_entry_tech_idx")]

    def __str__(self) -> str:
        return f"{self.technician_id} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def minutes(self) -> int:
        return int((self.ended_at - self.started_at).total_seconds() // 60)


class Part(models.Model):
    """A part replaced or supplied: what came out (serial out) and what went in (serial in)."""

    intervention = models.ForeignKey(Intervention, on_delete=models.CASCADE, related_name="parts")
    asset = models.ForeignKey(
        "assets.Asset",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="parts",
        verbose_name=_("equipment"),
    )
    description = models.CharField(_("description"), max_length=200)
    serial_out = models.CharField(_("serial out"), max_length=100, blank=True)
    serial_in = models.CharField(_("serial in"), max_length=100, blank=True)
    quantity = models.DecimalField(_("quantity"), max_digits=9, decimal_places=2, default=1)
    unit_price = models.DecimalField(_("unit price excl. VAT"), max_digits=12, decimal_places=2, null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("part")
        verbose_name_plural = _("parts")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="interventions_part_quantity_positive"),
            models.CheckConstraint(
                condition=Q(unit_price__isnull=True) | Q(unit_price__gte=0),
                name="interventions_part_price_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.description


class Outcome(models.TextChoices):
    PENDING = "pending", _("To do")
    OK = "ok", _("OK")
    ISSUE = "issue", _("Issue found")
    NOT_APPLICABLE = "n_a", _("Not applicable")


class ChecklistItem(models.Model):
    """One check of the sheet (from its preventive plan or a template), per asset when it names one."""

    intervention = models.ForeignKey(Intervention, on_delete=models.CASCADE, related_name="checklist")
    asset = models.ForeignKey("assets.Asset", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)
    code = models.CharField(max_length=40)
    label = models.CharField(_("check"), max_length=200)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, default=Outcome.PENDING)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["intervention", "asset", "code"], name="interventions_check_once"),
        ]

    def __str__(self) -> str:
        return self.label


class PatchRecord(models.Model):
    """An update or patch installed on one asset during an intervention (shown in the asset's history)."""

    intervention = models.ForeignKey(Intervention, on_delete=models.CASCADE, related_name="patches")
    asset = models.ForeignKey("assets.Asset", on_delete=models.PROTECT, related_name="patches")
    reference = models.CharField(_("reference"), max_length=100, help_text=_("e.g. KB5031356, 22.04.3"))
    title = models.CharField(_("title"), max_length=200, blank=True)
    installed_at = models.DateTimeField(_("installed at"))

    class Meta:
        ordering = ["-installed_at", "id"]
        verbose_name = _("patch installed")
        verbose_name_plural = _("patches installed")

    def __str__(self) -> str:
        return self.reference


class InterventionFile(models.Model):
    """A photo or file on a sheet: stored under a random name, served only as a download."""

    intervention = models.ForeignKey(Intervention, on_delete=models.CASCADE, related_name="files")
    created_at = models.DateTimeField(_("added at"))
    filename = models.CharField(_("file name"), max_length=160)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    storage_name = models.CharField(max_length=200, unique=True)
    uploaded_by = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.filename


class PreventivePlan(ArchivableModel):
    """A contract's preventive maintenance promise: N visits per contract year with a checklist per asset."""

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+")
    contract = models.ForeignKey(
        "contracts.Contract", on_delete=models.PROTECT, related_name="preventive_plans", verbose_name=_("contract")
    )
    name = models.CharField(_("name"), max_length=150)
    visits_per_year = models.PositiveSmallIntegerField(_("visits per contract year"), default=4)
    mode = models.CharField(_("mode"), max_length=10, choices=Mode.choices, default=Mode.ON_SITE)
    duration_minutes = models.PositiveIntegerField(_("planned duration (minutes)"), default=120)
    #: ``[{"code": "os_updates", "label": "Mises à jour du système"}, …]``, done for every asset of the plan.
    checklist = models.JSONField(_("checklist"), default=list, blank=True)
    #: The assets visited; none: every asset the contract covers.
    assets = models.ManyToManyField("assets.Asset", blank=True, related_name="+", verbose_name=_("equipment"))
    created_by = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["contract_id", "name", "id"]
        verbose_name = _("preventive plan")
        verbose_name_plural = _("preventive plans")
        constraints = [
            models.CheckConstraint(
                condition=Q(visits_per_year__gte=1) & Q(visits_per_year__lte=52), name="interventions_plan_visits_range"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class VisitStatus(models.TextChoices):
    DUE = "due", _("Due")
    PLANNED = "planned", _("Planned")
    DONE = "done", _("Done")
    LATE = "late", _("Late")
    MISSED = "missed", _("Missed")


class PreventiveVisit(models.Model):
    """Visit ``sequence`` of a plan in the contract year starting ``year_start``: one row, whatever reruns."""

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    contract = models.ForeignKey("contracts.Contract", on_delete=models.PROTECT, related_name="+")
    plan = models.ForeignKey(PreventivePlan, on_delete=models.PROTECT, related_name="visits")
    year_start = models.DateField(_("contract year starting"))
    year_end = models.DateField(_("contract year ending"))
    sequence = models.PositiveSmallIntegerField(_("visit"))
    due_from = models.DateField(_("due from"))
    due_until = models.DateField(_("due until"))
    status = models.CharField(_("status"), max_length=10, choices=VisitStatus.choices, default=VisitStatus.DUE)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_from", "plan_id", "sequence"]
        verbose_name = _("preventive visit")
        verbose_name_plural = _("preventive visits")
        constraints = [
            models.UniqueConstraint(fields=["plan", "year_start", "sequence"], name="interventions_visit_once"),
            models.CheckConstraint(condition=Q(due_until__gte=F("due_from")), name="interventions_visit_window"),
        ]
        indexes = [models.Index(fields=["provider", "status", "due_until"], name="interventions_visit_due_idx")]

    def __str__(self) -> str:
        return f"{self.plan_id} {self.year_start} #{self.sequence}"


class FeedKind(models.TextChoices):
    TECHNICIAN = "technician", _("A technician's planning")
    CLIENT = "client", _("A client's preventive visits")


class CalendarFeed(models.Model):
    """A secret iCalendar URL (only its SHA-256 is stored), revocable."""

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=12, choices=FeedKind.choices)
    technician = models.ForeignKey(Membership, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    label = models.CharField(_("label"), max_length=100, blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="technician", technician__isnull=False, client__isnull=True))
                | Q(kind="client", client__isnull=False, technician__isnull=True),
                name="interventions_feed_owner",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} feed {self.pk}"
