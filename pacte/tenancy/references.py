"""Clients and sites named by id in an API body: the actor's, else a 422 on the field (never a 404 or a leak)."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from pacte.tenancy import selectors
from pacte.tenancy.models import Client, Membership, Site


def client_referenced(actor: Membership, client_id: int, *, include_archived: bool = False) -> Client:
    """The client ``client_id`` if the actor sees it; unknown or foreign is a 422 on ``client_id``."""
    client = selectors.client_list(actor=actor, include_archived=include_archived).filter(pk=client_id).first()
    if client is None:
        raise ValidationError({"client_id": "Unknown client."})
    return client


def site_referenced(actor: Membership, site_id: int | None, client: Client) -> Site | None:
    """The site ``site_id`` of ``client`` (None when no id is given); another's is a 422 on ``site_id``."""
    if site_id is None:
        return None
    site = selectors.site_list(actor=actor, client_id=client.pk).filter(pk=site_id).first()
    if site is None:
        raise ValidationError({"site_id": "Unknown site for this client."})
    return site
