"""Every read of tenancy data, scoped to what the actor may see inside the query itself."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from pacte.tenancy.models import Client, Contact, Membership, Provider, Site


def _search_term(search: str) -> str:
    """A typed search term; NUL characters can match nothing stored (PostgreSQL rejects them outright)."""
    return search.replace("\x00", "").strip()


def client_list(*, actor: Membership, search: str = "", include_archived: bool = False) -> QuerySet[Client]:
    """Clients of the actor's provider; a client-side actor sees only its own company."""
    queryset = Client.objects.filter(provider_id=actor.provider_id)
    if actor.is_client_side:
        queryset = queryset.filter(pk=actor.client_id or 0)
    if not include_archived:
        queryset = queryset.filter(archived_at__isnull=True)
    term = _search_term(search)
    if term:
        queryset = queryset.filter(
            Q(name__icontains=term) | Q(siren__startswith=term.replace(" ", "")) | Q(city__icontains=term)
        )
    return queryset.order_by("name", "id")


def client_get(*, actor: Membership, pk: int) -> Client:
    return get_object_or_404(client_list(actor=actor, include_archived=True), pk=pk)


def site_list(*, actor: Membership, client_id: int | None = None, include_archived: bool = False) -> QuerySet[Site]:
    queryset = Site.objects.filter(provider_id=actor.provider_id).select_related("client")
    if actor.is_client_side:
        queryset = queryset.filter(client_id=actor.client_id or 0)
    if client_id is not None:
        queryset = queryset.filter(client_id=client_id)
    if not include_archived:
        queryset = queryset.filter(archived_at__isnull=True)
    return queryset.order_by("client__name", "name", "id")


def site_get(*, actor: Membership, pk: int) -> Site:
    return get_object_or_404(site_list(actor=actor, include_archived=True), pk=pk)


def contact_list(
    *, actor: Membership, client_id: int | None = None, search: str = "", include_archived: bool = False
) -> QuerySet[Contact]:
    queryset = Contact.objects.filter(provider_id=actor.provider_id).select_related("client", "site")
    if actor.is_client_side:
        queryset = queryset.filter(client_id=actor.client_id or 0)
    if client_id is not None:
        queryset = queryset.filter(client_id=client_id)
    if not include_archived:
        queryset = queryset.filter(archived_at__isnull=True)
    term = _search_term(search)
    if term:
        queryset = queryset.filter(
            Q(last_name__icontains=term) | Q(first_name__icontains=term) | Q(email__icontains=term)
        )
    return queryset.order_by("last_name", "first_name", "id")


def contact_get(*, actor: Membership, pk: int) -> Contact:
    return get_object_or_404(contact_list(actor=actor, include_archived=True), pk=pk)


def membership_list(*, actor: Membership, include_inactive: bool = True) -> QuerySet[Membership]:
    """A provider admin sees its provider's memberships; a client manager its company's; others none."""
    queryset = Membership.objects.filter(provider_id=actor.provider_id).select_related("user", "client")
    if actor.role == "provider_admin":
        pass
    elif actor.role == "client_manager":
        queryset = queryset.filter(client_id=actor.client_id or 0)
    else:
        queryset = queryset.none()
    if not include_inactive:
        queryset = queryset.filter(is_active=True)
    return queryset.order_by("client__name", "user__email", "id")


def membership_get(*, actor: Membership, pk: int) -> Membership:
    return get_object_or_404(membership_list(actor=actor), pk=pk)


def memberships_of_user(*, user_id: int) -> QuerySet[Membership]:
    """The active memberships a user may act as (for the switcher at login)."""
    return (
        Membership.objects.filter(
            user_id=user_id, is_active=True, provider__archived_at__isnull=True, user__is_active=True
        )
        .filter(Q(client__isnull=True) | Q(client__archived_at__isnull=True))
        .select_related("provider", "client")
        .order_by("provider__name", "client__name", "id")
    )


def provider_get(*, actor: Membership) -> Provider:
    """The actor's own provider (its legal identity), fresh from the database."""
    return Provider.objects.get(pk=actor.provider_id)
