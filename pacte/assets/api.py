"""REST endpoints for a client's assets (thin: parse, call one selector or service).

Every member reads the assets of its scope (a client role: its own company's); the provider's
administrators and managers write. Tickets and monitoring find an asset by id, or filter the list
on ``serial`` or ``hostname`` (exact, case-insensitive).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Query, Router
from ninja.responses import Status

from pacte.assets import selectors, services
from pacte.assets.models import Asset
from pacte.assets.permissions import can_manage_assets
from pacte.assets.schemas import AssetIn, AssetOut, AssetPatch, KindName, WarrantyName
from pacte.core.api import CURSOR, ERRORS, ID, LIMIT, WRITE_ERRORS, Page, paginate, request_actor
from pacte.tenancy import selectors as tenancy_selectors
from pacte.tenancy.models import Client, Contact, Membership
from pacte.tenancy.permissions import require
from pacte.tenancy.references import client_referenced, site_referenced

router = Router(tags=["assets"])

WARRANTY = Query(None, description="The warranty's state today.")
SERIAL = Query("", max_length=100, description="Exact serial number (case-insensitive).")
HOSTNAME = Query("", max_length=253, description="Exact host name (case-insensitive).")
SEARCH = Query("", max_length=100, description="Part of the name, serial, host name, make, model or user.")

#: Fields a PATCH may set to null (clearing them); any other null is "leave as it is".
CLEARABLE = ("site_id", "user_contact_id", "purchase_date", "warranty_end")


def _referenced_contact(actor: Membership, contact_id: int | None, client: Client) -> Contact | None:
    if contact_id is None:
        return None
    contact = tenancy_selectors.contact_list(actor=actor, client_id=client.pk).filter(pk=contact_id).first()
    if contact is None:
        raise ValidationError({"user_contact_id": "Unknown contact for this client."})
    return contact


def _relations(actor: Membership, data: dict[str, Any], client: Client) -> dict[str, Any]:
    """``site_id`` / ``user_contact_id`` of a body → the service's ``site`` / ``user_contact``."""
    if "site_id" in data:
        data["site"] = site_referenced(actor, data.pop("site_id"), client)
    if "user_contact_id" in data:
        data["user_contact"] = _referenced_contact(actor, data.pop("user_contact_id"), client)
    return data


@router.get("/assets", response={200: Page[AssetOut], **ERRORS}, summary="List assets")
def asset_list(
    request: HttpRequest,
    limit: int = LIMIT,
    cursor: str | None = CURSOR,
    client_id: int | None = ID,
    site_id: int | None = ID,
    kind: KindName | None = None,
    warranty: WarrantyName | None = WARRANTY,
    serial: str = SERIAL,
    hostname: str = HOSTNAME,
    search: str = SEARCH,
    include_archived: bool = False,
) -> dict[str, Any]:
    queryset = selectors.asset_list(
        actor=request_actor(request),
        client_id=client_id,
        site_id=site_id,
        kind=kind or "",
        warranty=warranty or "",
        serial=serial,
        hostname=hostname,
        search=search,
        include_archived=include_archived,
    )
    return paginate(queryset, limit=limit, cursor=cursor)


@router.post(
    "/assets",
    response={201: AssetOut, **WRITE_ERRORS},
    summary="Create an asset",
    description="Roles that may not write get 403 whatever the body names; a client the caller cannot see is a 422.",
)
def asset_create(request: HttpRequest, payload: AssetIn) -> Status[Asset]:
    actor = request_actor(request)
    require(can_manage_assets(actor))  # before naming the client: a role that may not create is 403
    data = payload.dict()
    client = client_referenced(actor, data.pop("client_id"), include_archived=True)
    return Status(201, services.asset_create(actor=actor, client=client, **_relations(actor, data, client)))


@router.get("/assets/{asset_id}", response={200: AssetOut, **ERRORS}, summary="Get an asset")
def asset_get(request: HttpRequest, asset_id: int) -> Asset:
    return selectors.asset_get(actor=request_actor(request), pk=asset_id)


@router.patch("/assets/{asset_id}", response={200: AssetOut, **WRITE_ERRORS}, summary="Update an asset")
def asset_update(request: HttpRequest, asset_id: int, payload: AssetPatch) -> Asset:
    actor = request_actor(request)
    asset = selectors.asset_get(actor=actor, pk=asset_id)
    require(can_manage_assets(actor))
    data = {
        key: value for key, value in payload.dict(exclude_unset=True).items() if value is not None or key in CLEARABLE
    }
    return services.asset_update(actor=actor, asset=asset, **_relations(actor, data, asset.client))


@router.post("/assets/{asset_id}/archive", response={200: AssetOut, **WRITE_ERRORS}, summary="Archive an asset")
def asset_archive(request: HttpRequest, asset_id: int) -> Asset:
    actor = request_actor(request)
    return services.asset_archive(actor=actor, asset=selectors.asset_get(actor=actor, pk=asset_id))
