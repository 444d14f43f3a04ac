"""Every read of assets, scoped to what the actor may see inside the query itself.

A provider-side actor sees its provider's assets; a client-side actor only its own company's.
``asset_get`` is a 404 for unknown and foreign ids alike.
"""

from __future__ import annotations

import datetime
from collections import Counter

from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from pacte.assets import domain, importing
from pacte.assets.domain import WarrantyState
from pacte.assets.models import Asset
from pacte.assets.permissions import can_view_assets
from pacte.tenancy.models import Client, Contact, Membership, Site

#: The model fields an import compares and writes (``importing.WRITTEN_FROM``).
IMPORTED_FIELDS = tuple(importing.WRITTEN_FROM)


def _term(search: str) -> str:
    """A typed search term; NUL characters can match nothing stored (PostgreSQL rejects them outright)."""
    return search.replace("\x00", "").strip()


def asset_list(
    *,
    actor: Membership,
    client_id: int | None = None,
    site_id: int | None = None,
    kind: str = "",
    search: str = "",
    warranty: str = "",
    serial: str = "",
    hostname: str = "",
    include_archived: bool = False,
    today: datetime.date | None = None,
) -> QuerySet[Asset]:
    """The assets of the actor's scope, filtered; ``warranty`` is a :class:`WarrantyState` value or ""."""
    queryset = Asset.objects.filter(provider_id=actor.provider_id).select_related("client", "site", "user_contact")
    if not can_view_assets(actor):
        queryset = queryset.none()
    if actor.is_client_side:
        queryset = queryset.filter(client_id=actor.client_id or 0)
    if client_id is not None:
        queryset = queryset.filter(client_id=client_id)
    if site_id is not None:
        queryset = queryset.filter(site_id=site_id)
    if kind:
        queryset = queryset.filter(kind=kind)
    if not include_archived:
        queryset = queryset.filter(archived_at__isnull=True)
    if warranty:
        queryset = queryset.filter(_warranty_filter(warranty, today or timezone.localdate()))
    if _term(serial):
        queryset = queryset.filter(serial=domain.normalise_serial(_term(serial)))
    if _term(hostname):
        queryset = queryset.filter(hostname=domain.normalise_hostname(_term(hostname)))
    term = _term(search)
    if term:
        queryset = queryset.filter(
            Q(name__icontains=term)
            | Q(serial__icontains=term)
            | Q(hostname__icontains=term)
            | Q(make__icontains=term)
            | Q(model__icontains=term)
            | Q(user_name__icontains=term)
        )
    return queryset.order_by("client__name", "name", "id")


def _warranty_filter(warranty: str, today: datetime.date) -> Q:
    until = domain.expiring_until(today)
    filters = {
        WarrantyState.EXPIRED: Q(warranty_end__lt=today),
        WarrantyState.EXPIRING: Q(warranty_end__gte=today, warranty_end__lte=until),
        WarrantyState.VALID: Q(warranty_end__gt=until),
        WarrantyState.UNKNOWN: Q(warranty_end__isnull=True),
    }
    try:
        return filters[WarrantyState(warranty)]
    except ValueError:
        return Q(pk__in=[])


def asset_get(*, actor: Membership, pk: int) -> Asset:
    return get_object_or_404(asset_list(actor=actor, include_archived=True), pk=pk)


def asset_summary(*, actor: Membership, client_id: int, today: datetime.date | None = None) -> dict[str, int]:
    """How many active assets the client has, and how many of their warranties are expired or expiring (one query)."""
    today = today or timezone.localdate()
    counts = asset_list(actor=actor, client_id=client_id).aggregate(
        total=Count("pk"),
        expired=Count("pk", filter=_warranty_filter(WarrantyState.EXPIRED, today)),
        expiring=Count("pk", filter=_warranty_filter(WarrantyState.EXPIRING, today)),
    )
    return {key: int(value or 0) for key, value in counts.items()}


# Import -------------------------------------------------------------------------------------------


def asset_import_context(*, actor: Membership, client: Client) -> importing.ImportContext:
    """What a file may name for ``client``: its active sites and contacts, and its active assets by serial.

    A name shared by two contacts matches neither (the row keeps the name as text).
    """
    sites = {
        domain.fold(name): pk
        for pk, name in Site.objects.filter(
            provider_id=actor.provider_id, client_id=client.pk, archived_at__isnull=True
        ).values_list("pk", "name")
    }
    keys: list[tuple[str, int]] = []
    for pk, first, last, email in Contact.objects.filter(
        provider_id=actor.provider_id, client_id=client.pk, archived_at__isnull=True
    ).values_list("pk", "first_name", "last_name", "email"):
        names = {domain.fold(f"{first} {last}"), domain.fold(f"{last} {first}"), domain.fold(email)}
        keys += [(key, pk) for key in names if key]
    counts = Counter(key for key, _pk in keys)
    contacts = {key: pk for key, pk in keys if counts[key] == 1}
    assets = {
        values["serial"]: importing.ExistingAsset(id=values.pop("id"), values=values)
        for values in Asset.objects.filter(provider_id=actor.provider_id, client_id=client.pk, archived_at__isnull=True)
        .exclude(serial="")
        .values("id", *IMPORTED_FIELDS)
    }
    return importing.ImportContext(sites=sites, contacts=contacts, assets=assets)


def asset_import_preview(*, actor: Membership, client: Client, content: bytes) -> importing.Preview:
    """What importing ``content`` into ``client`` would do, row by row (writes nothing)."""
    return importing.preview(content, asset_import_context(actor=actor, client=client))
