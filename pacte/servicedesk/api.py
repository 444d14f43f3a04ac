"""REST endpoints for tickets: the queue, open, change, move, assign; timeline, messages and files.

Thin: parse, call one selector or service. A token sees what its membership sees: provider roles
every ticket of the provider, a client's manager its company's, a client user the tickets they asked
for; any other ticket is a 404. Client roles open tickets, reply, add files, and reopen or close a
resolved ticket; the rest (changes, other statuses, assignment, internal notes) is the provider's
(403). A closed ticket takes no change (409): a new one is opened instead.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from ninja import Query, Router
from ninja.responses import Status

from pacte.assets import selectors as asset_selectors
from pacte.assets.models import Asset
from pacte.contracts import selectors as contract_selectors
from pacte.contracts.models import ServiceCategory
from pacte.core.api import (
    CURSOR,
    ERRORS,
    ID,
    LIMIT,
    WRITE_ERRORS,
    ErrorOut,
    Page,
    api_fields,
    paginate,
    request_actor,
    uploaded_file,
)
from pacte.servicedesk import downloads, messaging, selectors, services
from pacte.servicedesk.models import Channel, Team, Ticket, TicketAttachment, TicketEvent, TicketMessage
from pacte.servicedesk.permissions import can_work_tickets
from pacte.servicedesk.schemas import (
    AssignIn,
    AttachmentOut,
    EventOut,
    MessageIn,
    MessageOut,
    PriorityName,
    SlaFilter,
    StatusFilter,
    StatusIn,
    TicketIn,
    TicketOut,
    TicketPatch,
)
from pacte.tenancy import selectors as tenancy_selectors
from pacte.tenancy.models import Client, Contact, Membership
from pacte.tenancy.permissions import require
from pacte.tenancy.references import client_referenced, site_referenced

router = Router(tags=["tickets"])

ASSIGNEE = Query(None, ge=0, le=2**62, description="A technician's membership id; 0: unassigned tickets.")
STATUS = Query(None, description="A status, or `open` (every status but resolved and closed).")
SLA = Query(None, description="An SLA state, or `risk` (at risk or breached, still open).")
SEARCH = Query("", max_length=200, description="Words of the title, description or messages, or a reference.")

#: The services' field names → the API's.
FIELD_NAMES = {
    "client": "client_id",
    "site": "site_id",
    "assets": "asset_ids",
    "requester": "requester_id",
    "assignee": "assignee_id",
    "team": "team_id",
    "files": "file",
}
#: What a downloaded file is never served as (a browser would render it): such types go out as bytes.

UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary", "description": "The file."},
                        "internal": {
                            "type": "string",
                            "enum": ["true", "false"],
                            "description": "Staff only: hide the file from the client (default false).",
                        },
                    },
                }
            }
        },
    }
}
DOWNLOAD_RESPONSE = {
    "responses": {
        200: {
            "description": "The file's bytes, as an attachment (`Content-Disposition: attachment`), typed as "
            "sniffed when it was added; markup (HTML, SVG) is served as `application/octet-stream`.",
            "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
        }
    }
}


# Output ---------------------------------------------------------------------------------------------


def ticket_out(ticket: Ticket) -> dict[str, Any]:
    return {
        "id": ticket.pk,
        "reference": ticket.reference,
        "client_id": ticket.client_id,
        "site_id": ticket.site_id,
        "asset_ids": sorted(asset.pk for asset in ticket.assets.all()),
        "title": ticket.title,
        "description": ticket.description,
        "category": ticket.category.code if ticket.category is not None else None,
        "impact": ticket.impact,
        "urgency": ticket.urgency,
        "priority": ticket.priority,
        "status": ticket.status,
        "channel": ticket.channel,
        "requester_id": ticket.requester_id,
        "assignee_id": ticket.assignee_id,
        "team_id": ticket.team_id,
        "coverage": ticket.coverage,
        "coverage_note": ticket.coverage_note,
        "billing": ticket.billing,
        "contract": (
            {"id": ticket.contract.pk, "reference": ticket.contract.reference} if ticket.contract is not None else None
        ),
        "sla": {
            "state": ticket.sla_state,
            "paused_reason": ticket.sla_paused_reason,
            "service_level_id": ticket.service_level_id,
            "response_due": ticket.response_due,
            "intervention_due": ticket.intervention_due,
            "restoration_due": ticket.restoration_due,
            "resolution_due": ticket.resolution_due,
            "next_due": ticket.next_due,
        },
        "alert_source": ticket.alert_source,
        "alert_key": ticket.alert_key,
        "opened_at": ticket.opened_at,
        "first_response_at": ticket.first_response_at,
        "restored_at": ticket.restored_at,
        "resolved_at": ticket.resolved_at,
        "closed_at": ticket.closed_at,
        "last_activity_at": ticket.last_activity_at,
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
    }


def event_out(event: TicketEvent) -> dict[str, Any]:
    actor = event.actor
    return {
        "seq": event.seq,
        "at": event.at,
        "kind": event.kind,
        "actor_id": event.actor_id,
        "actor_name": (actor.user.get_full_name() or actor.user.email) if actor is not None else "",
        "data": event.data or {},
    }


def message_out(message: TicketMessage) -> dict[str, Any]:
    return {
        "id": message.pk,
        "created_at": message.created_at,
        "visibility": message.visibility,
        "channel": message.channel,
        "author_id": message.author_id,
        "author_contact_id": message.author_contact_id,
        "author_name": message.author_name,
        "body": message.body,
        "attachment_ids": [attachment.pk for attachment in message.attachments.all()],
    }


def _ticket(request: HttpRequest, ticket_id: int) -> Ticket:
    return selectors.ticket_get(actor=request_actor(request), pk=ticket_id)


def _detail(request: HttpRequest, ticket_id: int) -> dict[str, Any]:
    return ticket_out(_ticket(request, ticket_id))


# References named in a body: unknown or foreign is a 422 on the field ------------------------------------


def _assets(actor: Membership, asset_ids: list[int], client: Client) -> list[Asset]:
    wanted = set(asset_ids)
    found = list(asset_selectors.asset_list(actor=actor, client_id=client.pk).filter(pk__in=wanted))
    if len(found) != len(wanted):
        raise ValidationError({"asset_ids": "Unknown asset for this client."})
    return found


def _category(actor: Membership, code: str | None) -> ServiceCategory | None:
    if code is None:
        return None
    category = contract_selectors.category_list(actor=actor).filter(code=code).first()
    if category is None:
        raise ValidationError({"category": "Unknown category."})
    return category


def _contact(actor: Membership, contact_id: int | None, client: Client) -> Contact | None:
    if contact_id is None:
        return None
    contact = tenancy_selectors.contact_list(actor=actor, client_id=client.pk).filter(pk=contact_id).first()
    if contact is None:
        raise ValidationError({"requester_id": "Unknown contact for this client."})
    return contact


# Tickets ----------------------------------------------------------------------------------------------


@router.get("/tickets", response={200: Page[TicketOut], **ERRORS}, summary="List tickets")
def ticket_list(
    request: HttpRequest,
    limit: int = LIMIT,
    cursor: str | None = CURSOR,
    status: StatusFilter | None = STATUS,
    priority: PriorityName | None = None,
    client_id: int | None = ID,
    assignee_id: int | None = ASSIGNEE,
    sla: SlaFilter | None = SLA,
    q: str = SEARCH,
) -> dict[str, Any]:
    filters = selectors.TicketFilters(
        status=status or "",
        priority=priority or "",
        client_id=client_id,
        assignee_id=assignee_id,
        sla=sla or "",
        search=q,
    )
    queryset = selectors.ticket_list(actor=request_actor(request), filters=filters).prefetch_related("assets")
    page = paginate(queryset, limit=limit, cursor=cursor)
    page["items"] = [ticket_out(ticket) for ticket in page["items"]]
    return page


@router.post(
    "/tickets",
    response={201: TicketOut, **WRITE_ERRORS},
    summary="Open a ticket",
    description="Channel `api`. Coverage (the contract in force for the site, assets and category), the "
    "priority (impact × urgency) and the SLA due instants are computed. A client the caller cannot see is a 422.",
)
def ticket_create(request: HttpRequest, payload: TicketIn) -> Status[dict[str, Any]]:
    actor = request_actor(request)
    client = client_referenced(actor, payload.client_id)
    with api_fields(FIELD_NAMES):
        ticket = services.ticket_open(
            actor=actor,
            client=client,
            title=payload.title,
            description=payload.description,
            description_format=payload.description_format,
            channel=Channel.API,
            requester=_contact(actor, payload.requester_id, client),
            site=site_referenced(actor, payload.site_id, client),
            assets=_assets(actor, payload.asset_ids, client),
            category=_category(actor, payload.category),
            impact=payload.impact,
            urgency=payload.urgency,
        )
    return Status(201, _detail(request, ticket.pk))


@router.get("/tickets/{ticket_id}", response={200: TicketOut, **ERRORS}, summary="Get a ticket")
def ticket_get(request: HttpRequest, ticket_id: int) -> dict[str, Any]:
    return _detail(request, ticket_id)


@router.patch(
    "/tickets/{ticket_id}",
    response={200: TicketOut, **WRITE_ERRORS},
    summary="Change a ticket's details (provider roles)",
    description="A change of site, assets or category re-resolves the covering contract; of impact or "
    "urgency, the priority; the SLA clock is re-targeted from the opening, never reset.",
)
def ticket_update(request: HttpRequest, ticket_id: int, payload: TicketPatch) -> dict[str, Any]:
    actor = request_actor(request)
    ticket = _ticket(request, ticket_id)
    require(can_work_tickets(actor))
    sent = payload.model_dump(exclude_unset=True)
    changes: dict[str, Any] = {}
    if sent.get("title") is not None:
        changes["title"] = sent["title"]
    for name in ("impact", "urgency"):
        if sent.get(name) is not None:
            changes[name] = sent[name]
    if "site_id" in sent:
        changes["site"] = site_referenced(actor, sent["site_id"], ticket.client)
    if sent.get("asset_ids") is not None:
        changes["assets"] = _assets(actor, sent["asset_ids"], ticket.client)
    if "category" in sent:
        changes["category"] = _category(actor, sent["category"])
    if "requester_id" in sent:
        changes["requester"] = _contact(actor, sent["requester_id"], ticket.client)
    with api_fields(FIELD_NAMES):
        services.ticket_update(actor=actor, ticket=ticket, **changes)
    return _detail(request, ticket_id)


@router.post(
    "/tickets/{ticket_id}/status",
    response={200: TicketOut, **WRITE_ERRORS},
    summary="Move a ticket through the workflow",
    description="Waiting and planned statuses pause the SLA clock. Client roles may only reopen or close a "
    "resolved ticket (403 otherwise); a move the workflow forbids is a 409.",
)
def ticket_status(request: HttpRequest, ticket_id: int, payload: StatusIn) -> dict[str, Any]:
    ticket = _ticket(request, ticket_id)
    services.ticket_status_set(
        actor=request_actor(request), ticket=ticket, status=payload.status, comment=payload.comment
    )
    return _detail(request, ticket_id)


@router.post(
    "/tickets/{ticket_id}/assign",
    response={200: TicketOut, **WRITE_ERRORS},
    summary="Assign a ticket to a technician and/or a team (provider roles)",
    description="Fields left out stay as they are; `null` unassigns. A new ticket becomes assigned.",
)
def ticket_assign(request: HttpRequest, ticket_id: int, payload: AssignIn) -> dict[str, Any]:
    actor = request_actor(request)
    ticket = _ticket(request, ticket_id)
    require(can_work_tickets(actor))
    sent = payload.model_dump(exclude_unset=True)
    assignee: Membership | None = ticket.assignee
    team: Team | None = ticket.team
    if "assignee_id" in sent:
        assignee = None
        if sent["assignee_id"] is not None:
            assignee = selectors.technician_list(actor=actor).filter(pk=sent["assignee_id"]).first()
            if assignee is None:
                raise ValidationError({"assignee_id": "Unknown technician."})
    if "team_id" in sent:
        team = None
        if sent["team_id"] is not None:
            team = selectors.team_list(actor=actor).filter(pk=sent["team_id"]).first()
            if team is None:
                raise ValidationError({"team_id": "Unknown team."})
    with api_fields(FIELD_NAMES):
        services.ticket_assign(actor=actor, ticket=ticket, assignee=assignee, team=team)
    return _detail(request, ticket_id)


@router.get(
    "/tickets/{ticket_id}/events",
    response={200: list[EventOut], **ERRORS},
    summary="A ticket's timeline, oldest first",
    description="Client roles see the opening, messages, status changes, files, quotes and the "
    "restoration, resolution and closing; no internal notes, assignments or SLA bookkeeping.",
)
def ticket_events(request: HttpRequest, ticket_id: int) -> list[dict[str, Any]]:
    ticket = _ticket(request, ticket_id)
    return [event_out(event) for event in selectors.timeline(actor=request_actor(request), ticket=ticket)]


# Messages and files -------------------------------------------------------------------------------------


@router.get(
    "/tickets/{ticket_id}/messages",
    response={200: list[MessageOut], **ERRORS},
    summary="A ticket's messages, oldest first (internal notes for provider roles only)",
)
def message_list(request: HttpRequest, ticket_id: int) -> list[dict[str, Any]]:
    ticket = _ticket(request, ticket_id)
    return [message_out(message) for message in selectors.message_list(actor=request_actor(request), ticket=ticket)]


@router.post(
    "/tickets/{ticket_id}/messages",
    response={201: MessageOut, **WRITE_ERRORS},
    summary="Reply on a ticket, or add an internal note (provider roles)",
    description="A provider's first public reply stops the response target; a client's reply resumes a ticket "
    "waiting on the client, and reopens a resolved one.",
)
def message_create(request: HttpRequest, ticket_id: int, payload: MessageIn) -> Status[dict[str, Any]]:
    actor = request_actor(request)
    ticket = _ticket(request, ticket_id)
    with api_fields(FIELD_NAMES):
        message = messaging.message_add(
            actor=actor,
            ticket=ticket,
            body=payload.body,
            body_format=payload.body_format,
            visibility=payload.visibility,
            channel=Channel.API,
        )
    return Status(201, message_out(message))


@router.get(
    "/tickets/{ticket_id}/attachments",
    response={200: list[AttachmentOut], **ERRORS},
    summary="A ticket's files (internal files for provider roles only)",
)
def attachment_list(request: HttpRequest, ticket_id: int) -> list[TicketAttachment]:
    ticket = _ticket(request, ticket_id)
    return list(selectors.attachment_list(actor=request_actor(request), ticket=ticket))


def _internal_flag(request: HttpRequest) -> bool:
    value = request.POST.get("internal", "false")
    if value not in ("true", "false"):
        raise ValidationError({"internal": "Send true or false."})
    return value == "true"


@router.post(
    "/tickets/{ticket_id}/attachments",
    response={201: AttachmentOut, **WRITE_ERRORS, 413: ErrorOut},
    summary="Add a file to a ticket",
    description="Multipart field `file` (at most `PACTE_UPLOAD_MAX_MB`); `internal=true` (provider roles) hides "
    "it from the client. The type is sniffed from the bytes; programs and scripts are refused (422). "
    "413: the body is too large (refused before it is read).",
    openapi_extra=UPLOAD_BODY,
)
def attachment_create(request: HttpRequest, ticket_id: int) -> Status[TicketAttachment]:
    actor = request_actor(request)
    ticket = _ticket(request, ticket_id)
    data = uploaded_file(request, "file", what="the file")
    internal = _internal_flag(request)
    filename = getattr(request.FILES.get("file"), "name", "") or "file"
    with api_fields(FIELD_NAMES):
        attachment = messaging.attachment_add(
            actor=actor, ticket=ticket, filename=filename, data=data, internal=internal
        )
    return Status(201, attachment)


@router.get(
    "/attachments/{attachment_id}/content",
    response=ERRORS,
    summary="Download a file",
    openapi_extra=DOWNLOAD_RESPONSE,
)
def attachment_content(request: HttpRequest, attachment_id: int) -> HttpResponseBase:
    return downloads.attachment_response(selectors.attachment_get(actor=request_actor(request), pk=attachment_id))
