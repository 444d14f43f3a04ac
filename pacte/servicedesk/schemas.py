"""Request and response bodies of the service desk API (tickets, their timeline, messages, files; alerts).

Instants are ISO 8601 in UTC (``2026-05-13T15:00:00Z``). A ticket's description and a message's body
are sanitised HTML (what was sent as text or Markdown is rendered, HTML is cleaned).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import ConfigDict, model_validator

from pacte.assets import domain as asset_domain
from pacte.core.api import InputSchema
from pacte.sla.schemas import InInstant

Id = Annotated[int, Field(ge=1, le=2**62)]
StatusName = Literal[
    "new",
    "assigned",
    "in_progress",
    "waiting_client",
    "waiting_third_party",
    "planned",
    "restored",
    "resolved",
    "closed",
    "reopened",
]
#: A status, or ``open`` (every status but resolved and closed): the list's filter.
StatusFilter = Literal[
    "open",
    "new",
    "assigned",
    "in_progress",
    "waiting_client",
    "waiting_third_party",
    "planned",
    "restored",
    "resolved",
    "closed",
    "reopened",
]
LevelName = Literal["high", "medium", "low"]
PriorityName = Literal["P1", "P2", "P3", "P4"]
FormatName = Literal["text", "markdown", "html"]
VisibilityName = Literal["public", "internal"]
ChannelName = Literal["portal", "phone", "email", "api", "alert", "desk"]
CoverageName = Literal["covered", "out_of_scope", "no_contract"]
BillingName = Literal[
    "included", "standing_rule", "quote_needed", "quote_pending", "quote_approved", "quote_refused", "refused"
]
SlaStateName = Literal["none", "on_track", "at_risk", "breached", "paused", "met"]
#: An SLA state, or ``risk`` (at risk or breached, still open): the list's filter.
SlaFilter = Literal["risk", "none", "on_track", "at_risk", "breached", "paused", "met"]
SeverityName = Literal["critical", "major", "minor", "warning", "info"]
AlertStatusName = Literal["firing", "resolved"]
AlertAction = Literal["opened", "appended", "restored", "ignored"]

TITLE_MAX = 200
BODY_MAX = 100_000
COMMENT_MAX = 500
CATEGORY_CODE_MAX = 30
MAX_ASSETS = 50


# Responses ------------------------------------------------------------------------------------------


class ContractRef(Schema):
    id: int
    reference: str


class SlaOut(Schema):
    state: SlaStateName = Field(..., description="none when no service level applies.")
    paused_reason: str = Field(..., description="Why the clock is paused (waiting_client, planned…), else empty.")
    service_level_id: int | None
    response_due: datetime | None
    intervention_due: datetime | None
    restoration_due: datetime | None
    resolution_due: datetime | None
    next_due: datetime | None = Field(..., description="The earliest due instant among the targets still running.")


class TicketOut(Schema):
    id: int
    reference: str = Field(..., examples=["T-2026-00042"])
    client_id: int
    site_id: int | None
    asset_ids: list[int]
    title: str
    description: str = Field(..., description="Sanitised HTML.")
    category: str | None = Field(..., description="The service category's code.")
    impact: LevelName
    urgency: LevelName
    priority: PriorityName
    status: StatusName
    channel: ChannelName
    requester_id: int | None = Field(..., description="A contact of the client.")
    assignee_id: int | None = Field(..., description="A membership of the provider.")
    team_id: int | None
    coverage: CoverageName
    coverage_note: str
    billing: BillingName
    contract: ContractRef | None = Field(..., description="The contract that covers the ticket, if any.")
    sla: SlaOut
    alert_source: str = Field(..., description="Monitoring alerts: the tool that raised it, else empty.")
    alert_key: str
    opened_at: datetime
    first_response_at: datetime | None
    restored_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    last_activity_at: datetime
    created_at: datetime
    updated_at: datetime


class EventOut(Schema):
    seq: int
    at: datetime
    kind: str = Field(..., description="opened, status, assigned, message, note, alert, restored…")
    actor_id: int | None
    actor_name: str
    data: dict[str, Any]


class MessageOut(Schema):
    id: int
    created_at: datetime
    visibility: VisibilityName
    channel: ChannelName
    author_id: int | None = Field(..., description="The membership that wrote it (null for an e-mail).")
    author_contact_id: int | None
    author_name: str
    body: str = Field(..., description="Sanitised HTML.")
    attachment_ids: list[int]


class AttachmentOut(Schema):
    id: int
    ticket_id: int
    message_id: int | None
    filename: str = Field(..., description="For display only.")
    content_type: str = Field(..., description="Sniffed from the bytes, never the declared type.")
    size: int
    sha256: str
    internal: bool
    created_at: datetime
    uploaded_by_id: int | None


class AlertTicketOut(Schema):
    id: int
    reference: str
    status: StatusName
    priority: PriorityName


class AlertOut(Schema):
    action: AlertAction = Field(
        ...,
        description="opened: a new ticket; appended: added to the open ticket of the same source and key; "
        "restored: the open ticket marked service restored; ignored: a resolved alert without an open ticket.",
    )
    ticket_id: int | None
    reference: str | None
    ticket: AlertTicketOut | None


# Requests -------------------------------------------------------------------------------------------

Title = Annotated[str, Field(min_length=1, max_length=TITLE_MAX)]
CategoryCode = Annotated[str, Field(min_length=1, max_length=CATEGORY_CODE_MAX, description="A category's code.")]
AssetIds = Annotated[list[Id], Field(max_length=MAX_ASSETS)]


class TicketIn(InputSchema):
    client_id: Id
    title: Title
    description: str = Field("", max_length=BODY_MAX)
    description_format: FormatName = "text"
    site_id: Id | None = Field(None, description="A site of the client (defaults to the single asset's site).")
    asset_ids: AssetIds = Field(default_factory=list, description="Assets of the client.")
    category: CategoryCode | None = None
    impact: LevelName = "medium"
    urgency: LevelName = "medium"
    requester_id: Id | None = Field(None, description="A contact of the client.")


class TicketPatch(InputSchema):
    """Fields left out stay as they are; ``null`` clears a site, a category or a requester."""

    title: Title | None = None
    site_id: Id | None = None
    asset_ids: AssetIds | None = Field(None, description="Replaces the ticket's assets.")
    category: CategoryCode | None = None
    impact: LevelName | None = None
    urgency: LevelName | None = None
    requester_id: Id | None = None


class StatusIn(InputSchema):
    status: StatusName
    comment: str = Field("", max_length=COMMENT_MAX)


class AssignIn(InputSchema):
    """Fields left out stay as they are; ``null`` unassigns."""

    assignee_id: Id | None = Field(None, description="A technician (membership) of the provider.")
    team_id: Id | None = None


class MessageIn(InputSchema):
    body: str = Field(..., max_length=BODY_MAX)
    body_format: FormatName = "text"
    visibility: VisibilityName = "public"


class AlertAssetRef(InputSchema):
    """Exactly one of ``id``, ``serial`` (any case) or ``hostname`` (any case)."""

    model_config = ConfigDict(json_schema_extra={"minProperties": 1, "maxProperties": 1})

    id: Id | None = None
    serial: str | None = Field(None, min_length=1, max_length=asset_domain.SERIAL_MAX)
    hostname: str | None = Field(None, min_length=1, max_length=asset_domain.HOSTNAME_MAX)

    @model_validator(mode="after")
    def _exactly_one(self) -> AlertAssetRef:
        if sum(value is not None for value in (self.id, self.serial, self.hostname)) != 1:
            raise ValueError("Name the asset by exactly one of id, serial or hostname.")
        return self

    def as_ref(self) -> dict[str, Any]:
        return {name: value for name, value in self.model_dump().items() if value is not None}


class AlertIn(InputSchema):
    source: str = Field(..., min_length=1, max_length=100, description="The monitoring tool, e.g. `zabbix`.")
    key: str = Field(
        ..., min_length=1, max_length=200, description="What the alert is about; a repeat appends to its ticket."
    )
    severity: SeverityName
    status: AlertStatusName = "firing"
    asset: AlertAssetRef | None = Field(None, description="The asset concerned.")
    client_id: Id | None = Field(None, description="The client, only when no asset is named.")
    title: Title
    text: str = Field("", max_length=BODY_MAX, description="Plain text (never rendered as HTML).")
    occurred_at: InInstant | None = Field(None, description="When the tool saw it (default: now).")
