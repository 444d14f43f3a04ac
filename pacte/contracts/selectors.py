"""Every read of contracts, scoped to what the actor may see inside the query itself."""

from __future__ import annotations

import datetime

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from pacte.contracts.models import (
    IN_FORCE_STATUSES,
    Contract,
    ContractStatus,
    ContractTemplate,
    ContractVersion,
    ExitItem,
    IndexValue,
    Notice,
    Revision,
    ServiceCategory,
    VersionStatus,
)
from pacte.contracts.permissions import can_view_contracts
from pacte.tenancy.models import Membership


def _term(search: str) -> str:
    return search.replace("\x00", "").strip()


def contract_list(
    *,
    actor: Membership,
    client_id: int | None = None,
    status: str = "",
    contract_type: str = "",
    search: str = "",
) -> QuerySet[Contract]:
    """The provider's contracts; a client manager sees its company's (sent or later, never drafts)."""
    queryset = Contract.objects.filter(provider_id=actor.provider_id).select_related("client")
    if not can_view_contracts(actor):
        return queryset.none()
    if actor.is_client_side:
        queryset = queryset.filter(client_id=actor.client_id or 0).exclude(status=ContractStatus.DRAFT)
    if client_id is not None:
        queryset = queryset.filter(client_id=client_id)
    if status:
        queryset = queryset.filter(status=status)
    if contract_type:
        queryset = queryset.filter(contract_type=contract_type)
    term = _term(search)
    if term:
        queryset = queryset.filter(
            Q(reference__icontains=term) | Q(title__icontains=term) | Q(client__name__icontains=term)
        )
    return queryset.order_by("client__name", "-start_date", "-id")


def contract_get(*, actor: Membership, pk: int) -> Contract:
    return get_object_or_404(contract_list(actor=actor), pk=pk)


def version_list(*, actor: Membership, contract: Contract) -> QuerySet[ContractVersion]:
    queryset = ContractVersion.objects.filter(provider_id=actor.provider_id, contract_id=contract.pk)
    if actor.is_client_side:
        queryset = queryset.filter(client_id=actor.client_id or 0).exclude(status=VersionStatus.DRAFT)
    return queryset.select_related("document", "sealed_document", "document_docx").order_by("number")


def version_get(*, actor: Membership, pk: int) -> ContractVersion:
    queryset = ContractVersion.objects.filter(
        provider_id=actor.provider_id, contract__in=contract_list(actor=actor)
    ).select_related("contract", "contract__client", "document", "sealed_document")
    if actor.is_client_side:
        queryset = queryset.exclude(status=VersionStatus.DRAFT)
    return get_object_or_404(queryset, pk=pk)


def contract_terms_at(contract: Contract, at: datetime.date) -> ContractVersion | None:
    """The signed version in force on ``at``: the latest signed one effective on or before that day.

    ``None`` before the contract starts, after its last day, or when it never became active. Callers
    have already scoped ``contract`` to their actor (through ``contract_get`` or their own selector).
    """
    if contract.status in (ContractStatus.DRAFT, ContractStatus.SENT, ContractStatus.CANCELLED):
        return None
    if at < contract.start_date or (contract.end_date is not None and at > contract.end_date):
        return None
    return (
        ContractVersion.objects.filter(contract_id=contract.pk, status=VersionStatus.SIGNED, effective_from__lte=at)
        .order_by("-effective_from", "-number")
        .first()
    )


def contracts_in_force(
    *, provider_id: int, client_id: int, at: datetime.date
) -> list[tuple[Contract, ContractVersion]]:
    """Every contract of a client in force on ``at`` with its version in force, oldest start first.

    The service desk's ``contract_covering`` filters these by scope.
    """
    contracts = Contract.objects.filter(
        provider_id=provider_id,
        client_id=client_id,
        status__in=[*IN_FORCE_STATUSES, ContractStatus.IN_EXIT, ContractStatus.CLOSED, ContractStatus.EXPIRED],
        start_date__lte=at,
    ).filter(Q(end_date__isnull=True) | Q(end_date__gte=at))
    result = []
    for contract in contracts.order_by("start_date", "id"):
        version = contract_terms_at(contract, at)
        if version is not None:
            result.append((contract, version))
    return result


def notice_list(*, actor: Membership, contract: Contract) -> QuerySet[Notice]:
    return Notice.objects.filter(provider_id=actor.provider_id, contract_id=contract.pk).select_related("document")


def exit_item_list(*, actor: Membership, contract: Contract) -> QuerySet[ExitItem]:
    return ExitItem.objects.filter(provider_id=actor.provider_id, contract_id=contract.pk).select_related(
        "owner__user", "evidence_document"
    )


def exit_item_get(*, actor: Membership, pk: int) -> ExitItem:
    queryset = ExitItem.objects.filter(provider_id=actor.provider_id, contract__in=contract_list(actor=actor))
    return get_object_or_404(queryset.select_related("contract"), pk=pk)


def revision_list(*, actor: Membership, contract: Contract) -> QuerySet[Revision]:
    return Revision.objects.filter(provider_id=actor.provider_id, contract_id=contract.pk).select_related("letter")


def template_list(*, actor: Membership, include_archived: bool = False) -> QuerySet[ContractTemplate]:
    queryset = ContractTemplate.objects.filter(provider_id=actor.provider_id)
    if not actor.is_provider_side:
        return queryset.none()
    if not include_archived:
        queryset = queryset.filter(archived_at__isnull=True)
    return queryset.order_by("name", "id")


def template_get(*, actor: Membership, pk: int) -> ContractTemplate:
    return get_object_or_404(template_list(actor=actor, include_archived=True), pk=pk)


def category_list(*, actor: Membership, include_archived: bool = False) -> QuerySet[ServiceCategory]:
    """The provider's service catalogue (client roles see it too: they pick a category on a ticket)."""
    queryset = ServiceCategory.objects.filter(provider_id=actor.provider_id)
    if not include_archived:
        queryset = queryset.filter(archived_at__isnull=True)
    return queryset.order_by("name", "id")


def category_get(*, actor: Membership, pk: int) -> ServiceCategory:
    return get_object_or_404(category_list(actor=actor, include_archived=True), pk=pk)


def index_value_list(*, actor: Membership, index_code: str = "") -> QuerySet[IndexValue]:
    queryset = IndexValue.objects.filter(provider_id=actor.provider_id)
    if not actor.is_provider_side:
        return queryset.none()
    if index_code:
        queryset = queryset.filter(index_code=index_code)
    return queryset.order_by("index_code", "-month", "series")


def index_value_get(*, actor: Membership, pk: int) -> IndexValue:
    return get_object_or_404(index_value_list(actor=actor), pk=pk)
