"""REST endpoints for clients, sites, contacts, memberships and the provider (thin: parse, call one service)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Query, Router
from ninja.responses import Status

from pacte.core.api import CURSOR, ERRORS, LIMIT, WRITE_ERRORS, Page, paginate, request_actor
from pacte.tenancy import domain, selectors, services
from pacte.tenancy.models import Client, Contact, Membership, Provider, Site
from pacte.tenancy.permissions import can_view_memberships, require
from pacte.tenancy.schemas import (
    ClientIn,
    ClientOut,
    ClientPatch,
    ContactIn,
    ContactOut,
    ContactPatch,
    MembershipIn,
    MembershipOut,
    MembershipPatch,
    ProviderOut,
    ProviderPatch,
    SiteIn,
    SiteOut,
    SitePatch,
)

router = Router(tags=["tenancy"])


def _referenced_client(actor: Membership, client_id: int | None, field: str = "client_id") -> Client:
    """A client named in a request body: unknown or foreign is a 422 on that field."""
    client = selectors.client_list(actor=actor, include_archived=True).filter(pk=client_id or 0).first()
    if client is None:
        raise ValidationError({field: "Unknown client."})
    return client


def _referenced_site(actor: Membership, site_id: int | None, client: Client) -> Site | None:
    if site_id is None:
        return None
    site = selectors.site_list(actor=actor, client_id=client.pk).filter(pk=site_id).first()
    if site is None:
        raise ValidationError({"site_id": "Unknown site for this client."})
    return site


def _set(payload: Any) -> dict[str, Any]:
    return {key: value for key, value in payload.dict(exclude_unset=True).items() if value is not None}


# Clients -----------------------------------------------------------------------------------------


@router.get("/clients", response={200: Page[ClientOut], **ERRORS}, summary="List clients")
def client_list(
    request: HttpRequest,
    limit: int = LIMIT,
    cursor: str | None = CURSOR,
    search: str = Query("", max_length=100),
    include_archived: bool = False,
) -> dict[str, Any]:
    queryset = selectors.client_list(actor=request_actor(request), search=search, include_archived=include_archived)
    return paginate(queryset, limit=limit, cursor=cursor)


@router.post("/clients", response={201: ClientOut, **WRITE_ERRORS}, summary="Create a client")
def client_create(request: HttpRequest, payload: ClientIn) -> Status[Client]:
    return Status(201, services.client_create(actor=request_actor(request), **payload.dict()))


@router.get("/clients/{client_id}", response={200: ClientOut, **ERRORS}, summary="Get a client")
def client_get(request: HttpRequest, client_id: int) -> Client:
    return selectors.client_get(actor=request_actor(request), pk=client_id)


@router.patch("/clients/{client_id}", response={200: ClientOut, **WRITE_ERRORS}, summary="Update a client")
def client_update(request: HttpRequest, client_id: int, payload: ClientPatch) -> Client:
    actor = request_actor(request)
    client = selectors.client_get(actor=actor, pk=client_id)
    return services.client_update(actor=actor, client=client, **_set(payload))


@router.post("/clients/{client_id}/archive", response={200: ClientOut, **WRITE_ERRORS}, summary="Archive a client")
def client_archive(request: HttpRequest, client_id: int) -> Client:
    actor = request_actor(request)
    return services.client_archive(actor=actor, client=selectors.client_get(actor=actor, pk=client_id))


# Sites -------------------------------------------------------------------------------------------


@router.get("/sites", response={200: Page[SiteOut], **ERRORS}, summary="List sites")
def site_list(
    request: HttpRequest,
    limit: int = LIMIT,
    cursor: str | None = CURSOR,
    client_id: int | None = Query(None, ge=1, le=2**62),
    include_archived: bool = False,
) -> dict[str, Any]:
    queryset = selectors.site_list(actor=request_actor(request), client_id=client_id, include_archived=include_archived)
    return paginate(queryset, limit=limit, cursor=cursor)


@router.post("/sites", response={201: SiteOut, **WRITE_ERRORS}, summary="Create a site")
def site_create(request: HttpRequest, payload: SiteIn) -> Status[Site]:
    actor = request_actor(request)
    data = payload.dict()
    client = _referenced_client(actor, data.pop("client_id"))
    return Status(201, services.site_create(actor=actor, client=client, **data))


@router.get("/sites/{site_id}", response={200: SiteOut, **ERRORS}, summary="Get a site")
def site_get(request: HttpRequest, site_id: int) -> Site:
    return selectors.site_get(actor=request_actor(request), pk=site_id)


@router.patch("/sites/{site_id}", response={200: SiteOut, **WRITE_ERRORS}, summary="Update a site")
def site_update(request: HttpRequest, site_id: int, payload: SitePatch) -> Site:
    actor = request_actor(request)
    site = selectors.site_get(actor=actor, pk=site_id)
    data = payload.dict(exclude_unset=True)
    data = {key: value for key, value in data.items() if value is not None or key == "holiday_subdivision"}
    return services.site_update(actor=actor, site=site, **data)


@router.post("/sites/{site_id}/archive", response={200: SiteOut, **WRITE_ERRORS}, summary="Archive a site")
def site_archive(request: HttpRequest, site_id: int) -> Site:
    actor = request_actor(request)
    return services.site_archive(actor=actor, site=selectors.site_get(actor=actor, pk=site_id))


# Contacts ----------------------------------------------------------------------------------------


@router.get("/contacts", response={200: Page[ContactOut], **ERRORS}, summary="List contacts")
def contact_list(
    request: HttpRequest,
    limit: int = LIMIT,
    cursor: str | None = CURSOR,
    client_id: int | None = Query(None, ge=1, le=2**62),
    search: str = Query("", max_length=100),
    include_archived: bool = False,
) -> dict[str, Any]:
    queryset = selectors.contact_list(
        actor=request_actor(request), client_id=client_id, search=search, include_archived=include_archived
    )
    return paginate(queryset, limit=limit, cursor=cursor)


@router.post("/contacts", response={201: ContactOut, **WRITE_ERRORS}, summary="Create a contact")
def contact_create(request: HttpRequest, payload: ContactIn) -> Status[Contact]:
    actor = request_actor(request)
    data = payload.dict()
    client = _referenced_client(actor, data.pop("client_id"))
    data["site"] = _referenced_site(actor, data.pop("site_id"), client)
    return Status(201, services.contact_create(actor=actor, client=client, **data))


@router.get("/contacts/{contact_id}", response={200: ContactOut, **ERRORS}, summary="Get a contact")
def contact_get(request: HttpRequest, contact_id: int) -> Contact:
    return selectors.contact_get(actor=request_actor(request), pk=contact_id)


@router.patch("/contacts/{contact_id}", response={200: ContactOut, **WRITE_ERRORS}, summary="Update a contact")
def contact_update(request: HttpRequest, contact_id: int, payload: ContactPatch) -> Contact:
    actor = request_actor(request)
    contact = selectors.contact_get(actor=actor, pk=contact_id)
    data = _set(payload)
    if "site_id" in data:
        data["site"] = _referenced_site(actor, data.pop("site_id"), contact.client)
    return services.contact_update(actor=actor, contact=contact, **data)


@router.post("/contacts/{contact_id}/archive", response={200: ContactOut, **WRITE_ERRORS}, summary="Archive a contact")
def contact_archive(request: HttpRequest, contact_id: int) -> Contact:
    actor = request_actor(request)
    return services.contact_archive(actor=actor, contact=selectors.contact_get(actor=actor, pk=contact_id))


# Memberships -------------------------------------------------------------------------------------


def _membership_out(membership: Membership) -> dict[str, Any]:
    return {
        "id": membership.pk,
        "email": membership.user.email,
        "full_name": membership.user.full_name,
        "role": membership.role,
        "client_id": membership.client_id,
        "is_active": membership.is_active,
    }


def _visible_membership(actor: Membership, membership_id: int) -> Membership:
    """A role that may not see memberships gets 403 for any id (as on the list and the pages), not 404."""
    require(can_view_memberships(actor))
    return selectors.membership_get(actor=actor, pk=membership_id)


@router.get("/memberships", response={200: Page[MembershipOut], **ERRORS}, summary="List memberships")
def membership_list(request: HttpRequest, limit: int = LIMIT, cursor: str | None = CURSOR) -> dict[str, Any]:
    actor = request_actor(request)
    require(can_view_memberships(actor))
    page = paginate(selectors.membership_list(actor=actor), limit=limit, cursor=cursor)
    page["items"] = [_membership_out(item) for item in page["items"]]
    return page


@router.post("/memberships", response={201: MembershipOut, **WRITE_ERRORS}, summary="Give someone a role")
def membership_create(request: HttpRequest, payload: MembershipIn) -> Status[dict[str, Any]]:
    actor = request_actor(request)
    client = _referenced_client(actor, payload.client_id) if payload.client_id is not None else None
    membership = services.membership_create(
        actor=actor, email=payload.email, full_name=payload.full_name, role=payload.role, client=client
    )
    return Status(201, _membership_out(membership))


@router.get("/memberships/{membership_id}", response={200: MembershipOut, **ERRORS}, summary="Get a membership")
def membership_get(request: HttpRequest, membership_id: int) -> dict[str, Any]:
    return _membership_out(_visible_membership(request_actor(request), membership_id))


@router.patch("/memberships/{membership_id}", response={200: MembershipOut, **WRITE_ERRORS}, summary="Change a role")
def membership_update(request: HttpRequest, membership_id: int, payload: MembershipPatch) -> dict[str, Any]:
    actor = request_actor(request)
    membership = _visible_membership(actor, membership_id)
    return _membership_out(services.membership_update(actor=actor, membership=membership, role=payload.role))


@router.post(
    "/memberships/{membership_id}/archive",
    response={200: MembershipOut, **WRITE_ERRORS},
    summary="Deactivate a membership",
)
def membership_archive(request: HttpRequest, membership_id: int) -> dict[str, Any]:
    actor = request_actor(request)
    membership = _visible_membership(actor, membership_id)
    return _membership_out(services.membership_archive(actor=actor, membership=membership))


# The provider's legal identity -------------------------------------------------------------------


def _provider_out(provider: Provider) -> dict[str, Any]:
    data = {name: getattr(provider, name) for name in services.PROVIDER_IDENTITY_FIELDS}
    gaps = domain.invoice_identity_gaps(provider)
    return {
        "id": provider.pk,
        **data,
        "has_logo": bool(provider.logo),
        "missing_mentions": [{"field": gap.field, "message": gap.message, "rules": list(gap.rules)} for gap in gaps],
    }


@router.get("/provider", response={200: ProviderOut, **ERRORS}, summary="Get the provider's legal identity")
def provider_get(request: HttpRequest) -> dict[str, Any]:
    """The legal identity printed on the provider's invoices, its numbering prefixes and what invoices still miss."""
    actor = request_actor(request)
    require(actor.is_provider_side)
    return _provider_out(selectors.provider_get(actor=actor))


@router.patch("/provider", response={200: ProviderOut, **WRITE_ERRORS}, summary="Update the provider's legal identity")
def provider_update(request: HttpRequest, payload: ProviderPatch) -> dict[str, Any]:
    """The provider's admins and managers; a new prefix applies to the numbering series started afterwards."""
    actor = request_actor(request)
    require(actor.is_provider_side)
    data = payload.dict(exclude_unset=True)
    data = {key: value for key, value in data.items() if value is not None or key == "share_capital"}
    return _provider_out(services.provider_update(actor=actor, **data))
