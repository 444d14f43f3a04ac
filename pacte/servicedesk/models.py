"""Tickets, their timeline, messages, files, quotes, SLA notices and the e-mail they came from.

Every row is provider-owned (``provider``) and, below the ticket, reached through its ticket. The
ticket stores what its lists filter and sort on (status, priority, the next due instant, the SLA
state) so that a queue of a million tickets is a query on indexed columns; the event log
(``TicketEvent`` rows with a ``clock`` kind) is the truth those columns are computed from
(:mod:`pacte.servicedesk.clock`).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from pacte.core.models import ArchivableModel, TimeStampedModel
from pacte.sla.clock import PauseReason
from pacte.tenancy.models import Client, Contact, Membership, Provider, Site


class TicketStatus(models.TextChoices):
    NEW = "new", _("New")
    ASSIGNED = "assigned", _("Assigned")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING_CLIENT = "waiting_client", _("Waiting on client")
    WAITING_THIRD_PARTY = "waiting_third_party", _("Waiting on third party")
    PLANNED = "planned", _("Planned")
    RESTORED = "restored", _("Service restored")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    REOPENED = "reopened", _("Reopened")


#: The statuses that pause the SLA clock, with the typed reason they pause it for.
PAUSING_STATUSES: dict[str, PauseReason] = {
    TicketStatus.WAITING_CLIENT: PauseReason.WAITING_CLIENT,
    TicketStatus.WAITING_THIRD_PARTY: PauseReason.WAITING_THIRD_PARTY,
    TicketStatus.PLANNED: PauseReason.PLANNED,
}
DONE_STATUSES = frozenset({TicketStatus.RESOLVED, TicketStatus.CLOSED})
OPEN_STATUSES = frozenset(set(TicketStatus) - DONE_STATUSES)


class Level(models.TextChoices):
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")


class Channel(models.TextChoices):
    PORTAL = "portal", _("Portal")
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("E-mail")
    API = "api", _("API")
    ALERT = "alert", _("Monitoring alert")
    DESK = "desk", _("Service desk")


class Coverage(models.TextChoices):
    COVERED = "covered", _("Covered by the contract")
    OUT_OF_SCOPE = "out_of_scope", _("Out of scope")
    NO_CONTRACT = "no_contract", _("No contract")


class Billing(models.TextChoices):
    INCLUDED = "included", _("Included in the contract")
    STANDING_RULE = "standing_rule", _("Billable under the client's standing rule")
    QUOTE_NEEDED = "quote_needed", _("Billable: quote needed")
    QUOTE_PENDING = "quote_pending", _("Quote awaiting approval")
    QUOTE_APPROVED = "quote_approved", _("Quote approved")
    QUOTE_REFUSED = "quote_refused", _("Quote refused")
    REFUSED = "refused", _("Refused: outside the contract")


class SlaState(models.TextChoices):
    NONE = "none", _("No SLA")
    ON_TRACK = "on_track", _("On track")
    AT_RISK = "at_risk", _("At risk")
    BREACHED = "breached", _("Breached")
    PAUSED = "paused", _("Paused")
    MET = "met", _("Met")


class UnknownSender(models.TextChoices):
    REJECT = "reject", _("Reject with a polite answer")
    HOLD = "hold", _("Hold for review")


class ServiceDeskSettings(TimeStampedModel):
    """A provider's service desk settings: the priority matrix, unknown senders, the inbound address."""

    provider = models.OneToOneField(Provider, on_delete=models.CASCADE, related_name="servicedesk_settings")
    #: ``{"high:high": "P1", …}``: impact:urgency → priority (missing cells fall back to the default matrix).
    priority_matrix = models.JSONField(_("priority matrix"), default=dict, blank=True)
    unknown_sender = models.CharField(
        _("unknown senders"), max_length=10, choices=UnknownSender.choices, default=UnknownSender.HOLD
    )
    inbound_address = models.EmailField(_("support address"), blank=True)

    class Meta:
        verbose_name = _("service desk settings")
        verbose_name_plural = _("service desk settings")

    def __str__(self) -> str:
        return f"{self.provider}"


class Team(ArchivableModel):
    """A queue of technicians tickets can be assigned to."""

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    members = models.ManyToManyField(Membership, blank=True, related_name="teams", verbose_name=_("members"))

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        constraints = [models.UniqueConstraint(fields=["provider", "name"], name="servicedesk_team_name_unique")]

    def __str__(self) -> str:
        return self.name


class TicketSequence(models.Model):
    """The last ticket number given per provider and year (``T-2026-00123``), allocated under a row lock."""

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["provider", "year"], name="servicedesk_sequence_unique")]

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class Ticket(TimeStampedModel):
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="tickets", verbose_name=_("client"))
    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, null=True, blank=True, related_name="tickets", verbose_name=_("site")
    )
    assets = models.ManyToManyField("assets.Asset", blank=True, related_name="tickets", verbose_name=_("equipment"))
    reference = models.CharField(_("reference"), max_length=20)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)  # sanitised HTML
    category = models.ForeignKey(
        "contracts.ServiceCategory",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("category"),
    )
    impact = models.CharField(_("impact"), max_length=10, choices=Level.choices, default=Level.MEDIUM)
    urgency = models.CharField(_("urgency"), max_length=10, choices=Level.choices, default=Level.MEDIUM)
    priority = models.CharField(_("priority"), max_length=2, default="P3")
    status = models.CharField(_("status"), max_length=20, choices=TicketStatus.choices, default=TicketStatus.NEW)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.DESK)
    requester = models.ForeignKey(
        Contact, on_delete=models.PROTECT, null=True, blank=True, related_name="tickets", verbose_name=_("requester")
    )
    created_by = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("created by")
    )
    assignee = models.ForeignKey(
        Membership,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_tickets",
        verbose_name=_("technician"),
    )
    team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="tickets", verbose_name=_("team")
    )
    # Which contract covers it (``coverage.contract_covering``), and what billable work then needs.
    contract = models.ForeignKey(
        "contracts.Contract",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("contract"),
    )
    coverage = models.CharField(_("coverage"), max_length=20, choices=Coverage.choices, default=Coverage.NO_CONTRACT)
    coverage_note = models.CharField(_("coverage note"), max_length=300, blank=True)
    billing = models.CharField(_("billing"), max_length=20, choices=Billing.choices, default=Billing.INCLUDED)
    # The SLA clock, as last computed from the event log (``clock.ticket_sla_refresh``).
    service_level = models.ForeignKey(
        "sla.ServiceLevel",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("service level"),
    )
    sla_state = models.CharField(_("SLA"), max_length=10, choices=SlaState.choices, default=SlaState.NONE)
    sla_paused_reason = models.CharField(max_length=30, blank=True)
    response_due = models.DateTimeField(_("response due"), null=True, blank=True)
    intervention_due = models.DateTimeField(_("intervention due"), null=True, blank=True)
    restoration_due = models.DateTimeField(_("restoration due"), null=True, blank=True)
    resolution_due = models.DateTimeField(_("resolution due"), null=True, blank=True)
    #: The earliest due instant among the targets still running: what the queue sorts and colours on.
    next_due = models.DateTimeField(_("next due"), null=True, blank=True)
    #: When the next warning threshold is crossed (the periodic job's index).
    next_warning = models.DateTimeField(null=True, blank=True)
    #: ``calendar.version:service_level.version`` the stored due instants were computed with.
    sla_versions = models.CharField(max_length=40, blank=True)
    opened_at = models.DateTimeField(_("opened at"))
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    restored_at = models.DateTimeField(_("restored at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    last_activity_at = models.DateTimeField(_("last activity"))
    # Monitoring alerts: a repeated alert with the same key appends to the open ticket.
    alert_source = models.CharField(max_length=100, blank=True)
    alert_key = models.CharField(max_length=200, blank=True)
    #: Plain text of the title, reference, description and messages (SQLite search; PostgreSQL indexes it).
    search_text = models.TextField(blank=True, editable=False)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        constraints = [
            models.UniqueConstraint(fields=["provider", "reference"], name="servicedesk_ticket_reference_unique"),
            models.UniqueConstraint(
                fields=["provider", "alert_source", "alert_key"],
                condition=~Q(alert_key="") & ~Q(status__in=["resolved", "closed"]),
                name="servicedesk_one_open_ticket_per_alert",
            ),
        ]
        indexes = [
            models.Index(fields=["provider", "status", "next_due"], name="servicedesk_queue_idx"),
            # The default queue (open tickets by next due): measured by bench/tickets.py at 1 M tickets.
            models.Index(
                fields=["provider", "next_due", "id"],
                condition=Q(status__in=sorted(OPEN_STATUSES)),
                name="servicedesk_open_due_idx",
            ),
            models.Index(fields=["provider", "client", "status"], name="servicedesk_client_idx"),
            models.Index(fields=["provider", "assignee", "status"], name="servicedesk_assignee_idx"),
            models.Index(fields=["next_warning"], name="servicedesk_warning_idx"),
            models.Index(fields=["service_level", "status"], name="servicedesk_level_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("servicedesk:ticket_detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class EventKind(models.TextChoices):
    # Clock events (the SLA engine folds these; names are those of ``pacte.sla.clock.EventKind``)
    OPENED = "opened", _("Opened")
    FIRST_RESPONSE = "first_response", _("First response")
    INTERVENTION_STARTED = "intervention_started", _("Intervention started")
    RESTORED = "restored", _("Service restored")
    RESOLVED = "resolved", _("Resolved")
    REOPENED = "reopened", _("Reopened")
    PAUSED = "paused", _("Clock paused")
    RESUMED = "resumed", _("Clock resumed")
    PRIORITY_CHANGED = "priority_changed", _("Priority changed")
    SERVICE_LEVEL_CHANGED = "service_level_changed", _("Service level changed")
    CLOSED = "closed", _("Closed")
    # Timeline only
    STATUS = "status", _("Status changed")
    ASSIGNED = "assigned", _("Assigned")
    MESSAGE = "message", _("Message")
    NOTE = "note", _("Internal note")
    ATTACHMENT = "attachment", _("File added")
    COVERAGE = "coverage", _("Coverage")
    QUOTE = "quote", _("Quote")
    ALERT = "alert", _("Monitoring alert")
    CHANGED = "changed", _("Details changed")
    SLA_WARNING = "sla_warning", _("SLA warning")
    SLA_BREACH = "sla_breach", _("SLA breached")


CLOCK_KINDS = frozenset(
    {
        EventKind.OPENED,
        EventKind.FIRST_RESPONSE,
        EventKind.INTERVENTION_STARTED,
        EventKind.RESTORED,
        EventKind.RESOLVED,
        EventKind.REOPENED,
        EventKind.PAUSED,
        EventKind.RESUMED,
        EventKind.PRIORITY_CHANGED,
        EventKind.SERVICE_LEVEL_CHANGED,
        EventKind.CLOSED,
    }
)


class TicketEvent(models.Model):
    """One line of the ticket's timeline; the clock kinds are also the SLA clock's event log."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    seq = models.PositiveIntegerField()
    at = models.DateTimeField()
    kind = models.CharField(max_length=30, choices=EventKind.choices)
    actor = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    #: ``reason`` / ``priority`` / ``service_level`` for clock events; before/after values otherwise.
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "seq"]
        constraints = [models.UniqueConstraint(fields=["ticket", "seq"], name="servicedesk_event_seq_unique")]

    def __str__(self) -> str:
        return f"{self.ticket_id} #{self.seq} {self.kind}"

    @property
    def is_clock(self) -> bool:
        return self.kind in CLOCK_KINDS


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Reply to the client")
    INTERNAL = "internal", _("Internal note")


class TicketMessage(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    created_at = models.DateTimeField(_("at"))
    visibility = models.CharField(_("visibility"), max_length=10, choices=Visibility.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    author = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    author_contact = models.ForeignKey(Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    author_name = models.CharField(_("author"), max_length=150)
    body = models.TextField(_("message"))  # sanitised HTML
    #: The e-mail it came from, or the one it was sent as (threading replies).
    email_message_id = models.CharField(max_length=250, blank=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.author_name}"

    @property
    def is_public(self) -> bool:
        return self.visibility == Visibility.PUBLIC


class TicketAttachment(models.Model):
    """A file on a ticket: stored under a random name, served only as a download (``X-Content-Type-Options``)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(
        TicketMessage, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    created_at = models.DateTimeField(_("added at"))
    filename = models.CharField(_("file name"), max_length=160)  # display only, never a path
    content_type = models.CharField(_("type"), max_length=100)  # sniffed, not declared
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    storage_name = models.CharField(max_length=200, unique=True)
    internal = models.BooleanField(_("internal"), default=False)
    uploaded_by = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.filename


class QuoteStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Quote(TimeStampedModel):
    """Billable work outside the contract, proposed to the client manager, who approves it in the portal."""

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="quotes")
    amount = models.DecimalField(_("amount excl. VAT"), max_digits=10, decimal_places=2)
    description = models.TextField(_("description"))
    status = models.CharField(_("status"), max_length=10, choices=QuoteStatus.choices, default=QuoteStatus.PENDING)
    created_by = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True, related_name="+")
    decided_by = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_comment = models.CharField(_("comment"), max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")
        constraints = [
            models.UniqueConstraint(
                fields=["ticket"], condition=Q(status="pending"), name="servicedesk_one_pending_quote"
            )
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.amount}"


class SlaNoticeKind(models.TextChoices):
    WARNING = "warning", _("Warning")
    BREACH = "breach", _("Breach")


class SlaNotice(models.Model):
    """A warning or a breach of one target of one ticket, recorded (and notified) once, with its cause."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="sla_notices")
    target = models.CharField(max_length=20)
    kind = models.CharField(max_length=10, choices=SlaNoticeKind.choices)
    at = models.DateTimeField()
    due = models.DateTimeField(null=True)
    priority = models.CharField(max_length=2)
    cause = models.CharField(_("cause"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]
        constraints = [models.UniqueConstraint(fields=["ticket", "target", "kind"], name="servicedesk_sla_notice_once")]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.target} {self.kind}"


class InboundStatus(models.TextChoices):
    TICKET = "ticket", _("Opened a ticket")
    MESSAGE = "message", _("Added to a ticket")
    AUTOMATIC = "automatic", _("Ignored: automatic message")
    HELD = "held", _("Held for review")
    REJECTED = "rejected", _("Rejected: unknown sender")
    FAILED = "failed", _("Could not be read")


class InboundMail(models.Model):
    """One e-mail received, keyed so that it counts exactly once however many ways it arrives."""

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+")
    #: The Message-ID, or ``sha256:…`` of the raw message when it has none.
    message_key = models.CharField(max_length=260)
    #: ``mailbox:UIDVALIDITY:UID`` for IMAP, else empty.
    imap_key = models.CharField(max_length=300, blank=True)
    source = models.CharField(max_length=10)  # imap, maildir, pipe, test
    received_at = models.DateTimeField()
    from_address = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=250, blank=True)
    status = models.CharField(max_length=10, choices=InboundStatus.choices)
    reason = models.CharField(max_length=300, blank=True)
    ticket = models.ForeignKey(Ticket, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    #: Raw message kept only while held for review.
    raw = models.BinaryField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "message_key"], name="servicedesk_inbound_once"),
            models.UniqueConstraint(
                fields=["provider", "imap_key"], condition=~Q(imap_key=""), name="servicedesk_inbound_imap_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.message_key} ({self.status})"


class MailboxSecurity(models.TextChoices):
    SSL = "ssl", "SSL/TLS"
    STARTTLS = "starttls", "STARTTLS"
    NONE = "none", _("None (local server only)")


class Mailbox(ArchivableModel):
    """An IMAP mailbox or a Maildir folder the worker polls for a provider's support e-mail."""

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=[("imap", "IMAP"), ("maildir", "Maildir")])
    host = models.CharField(_("host"), max_length=200, blank=True)
    port = models.PositiveIntegerField(_("port"), null=True, blank=True)
    security = models.CharField(
        _("security"), max_length=10, choices=MailboxSecurity.choices, default=MailboxSecurity.SSL
    )
    username = models.CharField(_("user name"), max_length=200, blank=True)
    password = models.CharField(_("password"), max_length=200, blank=True)  # never logged nor shown
    folder = models.CharField(_("folder"), max_length=200, default="INBOX")
    path = models.CharField(_("Maildir path"), max_length=500, blank=True)
    uidvalidity = models.BigIntegerField(null=True, blank=True)
    last_uid = models.BigIntegerField(default=0)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")

    def __str__(self) -> str:
        return self.name


class SavedView(TimeStampedModel):
    """A named set of queue filters, kept per person (the query string of the queue page)."""

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="saved_views")
    name = models.CharField(_("name"), max_length=80)
    query = models.CharField(_("filters"), max_length=1000)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["membership", "name"], name="servicedesk_saved_view_name_unique")
        ]

    def __str__(self) -> str:
        return self.name
