"""What each role may do with documents. Selectors scope *which* documents; these say *whether*."""

from __future__ import annotations

from pacte.tenancy.models import Client, Membership


def can_create_document(actor: Membership, client: Client | None) -> bool:
    """Provider roles, for any client of theirs; a client role only for its own company."""
    if actor.is_provider_side:
        return client is None or client.provider_id == actor.provider_id
    return client is not None and client.pk == actor.client_id


def can_seal_documents(actor: Membership) -> bool:
    """Sealing a stored file with the provider's certificate: provider roles only.

    (A document rendered from a Pacte template may be sealed as it is created, whoever creates it.)
    """
    return actor.is_provider_side


def can_verify_documents(actor: Membership) -> bool:
    return actor.is_provider_side
