"""REST endpoints for contracts: drafts, signature, amendments, renewal, notice, exit; terms in force at a date.

Thin: parse, call one selector or service. A token sees what its membership sees: provider roles their
provider's contracts, a client's manager its company's (never drafts), a client user none.
``GET /contracts/{id}/terms?at=`` is the interface other systems read: the version in force and its terms.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router
from ninja.responses import Status
from pydantic import ValidationError as PydanticValidationError

from pacte.contracts import catalogue, display, lifecycle, selectors, services
from pacte.contracts.models import Contract, ContractStatus, ContractVersion, ExitItem, Notice, ServiceCategory
from pacte.contracts.permissions import can_manage_contracts
from pacte.contracts.schemas import (
    AmendmentIn,
    CategoryIn,
    CategoryOut,
    ContractDetailOut,
    ContractIn,
    ContractOut,
    ContractPatch,
    ContractTypeName,
    ExitItemOut,
    ExitItemPatch,
    NoticeIn,
    NoticeOut,
    RenewIn,
    StatusName,
    TemplateOut,
    TermsAtOut,
    TermsIn,
    VersionOut,
)
from pacte.contracts.terms import ContractTerms
from pacte.core.api import CURSOR, ERRORS, ID, LIMIT, WRITE_ERRORS, Page, paginate, request_actor
from pacte.tenancy import selectors as tenancy_selectors
from pacte.tenancy.models import Membership
from pacte.tenancy.permissions import require

router = Router(tags=["contracts"])


def _terms(payload: TermsIn | None) -> dict[str, Any] | None:
    """The body's terms checked by ``ContractTerms``: a broken rule is a 422 on ``terms.<path>``."""
    if payload is None:
        return None
    data = payload.model_dump(mode="json", exclude_unset=True)
    try:
        return ContractTerms.model_validate(data).model_dump(mode="json")
    except PydanticValidationError as error:
        errors: dict[str, list[str]] = {}
        for item in error.errors():
            field = ".".join(["terms", *(str(part) for part in item["loc"])])
            message = str(item.get("ctx", {}).get("error", "")) if item["type"] == "value_error" else item["msg"]
            errors.setdefault(field, []).append(message or item["msg"])
        raise ValidationError(errors) from error


def contract_out(contract: Contract) -> dict[str, Any]:
    data = {name: getattr(contract, name) for name in ContractOut.model_fields if name != "client_name"}
    data["client_name"] = contract.client.name
    return data


def _version_ref(version: ContractVersion | None) -> dict[str, Any] | None:
    if version is None:
        return None
    return {"id": version.pk, "number": version.number, "kind": version.kind, "effective_from": version.effective_from}


def contract_detail_out(contract: Contract) -> dict[str, Any]:
    data = contract_out(contract)
    in_force = None
    if contract.status not in (ContractStatus.DRAFT, ContractStatus.SENT, ContractStatus.CANCELLED):
        in_force = lifecycle.current_version(contract)
    shown = in_force or contract.versions.order_by("number").first()
    deadlines = display.contract_deadlines(contract) if contract.status == ContractStatus.ACTIVE else None
    data["version_in_force"] = _version_ref(in_force)
    data["terms"] = shown.terms_data if shown else None
    data["deadlines"] = (
        {
            "term_last_day": deadlines.term_last_day,
            "refusal_deadline": deadlines.refusal_deadline,
            "reminder_window_start": deadlines.reminder_window[0] if deadlines.reminder_window else None,
            "reminder_window_end": deadlines.reminder_window[1] if deadlines.reminder_window else None,
            "warnings": list(deadlines.warnings),
        }
        if deadlines
        else None
    )
    return data


def version_out(version: ContractVersion) -> dict[str, Any]:
    data = {name: getattr(version, name) for name in VersionOut.model_fields if name != "terms"}
    data["terms"] = version.terms_data
    return data


def notice_out(notice: Notice) -> dict[str, Any]:
    data = {name: getattr(notice, name) for name in NoticeOut.model_fields if name != "indemnity_amount"}
    data["indemnity_amount"] = format(notice.indemnity_amount, "f")
    return data


def exit_item_out(item: ExitItem) -> dict[str, Any]:
    return {name: getattr(item, name) for name in ExitItemOut.model_fields}


def _contract(request: HttpRequest, contract_id: int) -> Contract:
    return selectors.contract_get(actor=request_actor(request), pk=contract_id)


def _detail(request: HttpRequest, contract_id: int) -> dict[str, Any]:
    return contract_detail_out(_contract(request, contract_id))


# Contracts ---------------------------------------------------------------------------------------------


@router.get("/contracts", response={200: Page[ContractOut], **ERRORS}, summary="List contracts")
def contract_list(
    request: HttpRequest,
    limit: int = LIMIT,
    cursor: str | None = CURSOR,
    client_id: int | None = ID,
    status: StatusName | None = None,
    contract_type: ContractTypeName | None = Query(None, alias="type"),  # noqa: B008
) -> dict[str, Any]:
    queryset = selectors.contract_list(
        actor=request_actor(request), client_id=client_id, status=status or "", contract_type=contract_type or ""
    )
    page = paginate(queryset, limit=limit, cursor=cursor)
    page["items"] = [contract_out(item) for item in page["items"]]
    return page


@router.post(
    "/contracts",
    response={201: ContractDetailOut, **WRITE_ERRORS},
    summary="Create a draft contract (from a template's terms, or from the terms given)",
)
def contract_create(request: HttpRequest, payload: ContractIn) -> Status[dict[str, Any]]:
    actor = request_actor(request)
    require(can_manage_contracts(actor))  # before naming the client: a role that may not draft is a 403
    client = tenancy_selectors.client_list(actor=actor).filter(pk=payload.client_id).first()
    if client is None:
        raise ValidationError({"client_id": "Unknown client."})
    template = None
    if payload.template_id is not None:
        template = selectors.template_list(actor=actor).filter(pk=payload.template_id).first()
        if template is None:
            raise ValidationError({"template_id": "Unknown template."})
    elif payload.included_clauses is not None:
        raise ValidationError({"included_clauses": "Optional clauses come with a template."})
    terms: dict[str, Any] | ContractTerms | None = _terms(payload.terms)
    if terms is None:
        if template is None:
            raise ValidationError({"terms": "Give the terms, or a template to take them from."})
        terms = services.template_terms_for_client(template, included_clauses=payload.included_clauses)
    contract = services.contract_create(
        actor=actor,
        client=client,
        title=payload.title,
        start_date=payload.start_date,
        duration_months=payload.duration_months,
        terms=terms,
        template=template,
    )
    return Status(201, contract_detail_out(selectors.contract_get(actor=actor, pk=contract.pk)))


@router.get(
    "/contracts/{contract_id}",
    response={200: ContractDetailOut, **ERRORS},
    summary="Get a contract with its terms in force today and its deadlines",
)
def contract_get(request: HttpRequest, contract_id: int) -> dict[str, Any]:
    return _detail(request, contract_id)


@router.patch(
    "/contracts/{contract_id}",
    response={200: ContractDetailOut, **WRITE_ERRORS},
    summary="Change a draft (title, start, duration, terms); a signed contract changes by amendment (409)",
)
def contract_update(request: HttpRequest, contract_id: int, payload: ContractPatch) -> dict[str, Any]:
    actor = request_actor(request)
    contract = _contract(request, contract_id)
    sent = payload.model_dump(exclude_unset=True)
    fields = {name: sent[name] for name in ("title", "start_date") if sent.get(name) is not None}
    if "duration_months" in sent:
        fields["duration_months"] = sent["duration_months"]
    services.contract_update_draft(actor=actor, contract=contract, terms=_terms(payload.terms), **fields)
    return _detail(request, contract_id)


@router.post(
    "/contracts/{contract_id}/send",
    response={200: ContractDetailOut, **WRITE_ERRORS},
    summary="Send a draft for signature: its PDF and Word files are rendered, the provider's signature recorded",
)
def contract_send(request: HttpRequest, contract_id: int) -> dict[str, Any]:
    services.contract_send(actor=request_actor(request), contract=_contract(request, contract_id))
    return _detail(request, contract_id)


@router.post(
    "/contracts/{contract_id}/cancel",
    response={200: ContractDetailOut, **WRITE_ERRORS},
    summary="Cancel a contract never signed (draft or sent)",
)
def contract_cancel(request: HttpRequest, contract_id: int) -> dict[str, Any]:
    services.contract_cancel(actor=request_actor(request), contract=_contract(request, contract_id))
    return _detail(request, contract_id)


@router.post(
    "/contracts/{contract_id}/renew",
    response={200: ContractDetailOut, **WRITE_ERRORS},
    summary="Record an express renewal agreed before the term ends",
)
def contract_renew(request: HttpRequest, contract_id: int, payload: RenewIn) -> dict[str, Any]:
    lifecycle.contract_renew(
        actor=request_actor(request), contract=_contract(request, contract_id), months=payload.months
    )
    return _detail(request, contract_id)


@router.post(
    "/contracts/{contract_id}/close",
    response={200: ContractDetailOut, **WRITE_ERRORS},
    description="409 while a mandatory exit item is open or the client's manager has not signed off.",
    summary="Close a contract in exit",
)
def contract_close(request: HttpRequest, contract_id: int) -> dict[str, Any]:
    lifecycle.contract_close(actor=request_actor(request), contract=_contract(request, contract_id))
    return _detail(request, contract_id)


# Versions and terms --------------------------------------------------------------------------------------


@router.get(
    "/contracts/{contract_id}/versions",
    response={200: list[VersionOut], **ERRORS},
    summary="The contract's versions (initial, amendments, revisions) with what changed",
)
def version_list(request: HttpRequest, contract_id: int) -> list[dict[str, Any]]:
    contract = _contract(request, contract_id)
    return [version_out(version) for version in selectors.version_list(actor=request_actor(request), contract=contract)]


@router.get(
    "/contracts/{contract_id}/terms",
    response={200: TermsAtOut, **ERRORS},
    summary="The terms in force on a date (default: today): the signed version in force and its terms",
)
def terms_at(request: HttpRequest, contract_id: int, at: datetime.date | None = None) -> dict[str, Any]:
    contract = _contract(request, contract_id)
    day = at or timezone.localdate()
    version = selectors.contract_terms_at(contract, day)
    return {
        "contract_id": contract.pk,
        "at": day,
        "in_force": version is not None,
        "version": _version_ref(version),
        "terms": version.terms_data if version else None,
    }


@router.post(
    "/contracts/{contract_id}/amendments",
    response={201: VersionOut, **WRITE_ERRORS},
    summary="Draft an amendment: a new effective-dated version (the latest signed terms when none are given)",
)
def amendment_create(request: HttpRequest, contract_id: int, payload: AmendmentIn) -> Status[dict[str, Any]]:
    actor = request_actor(request)
    contract = _contract(request, contract_id)
    require(can_manage_contracts(actor))
    version = services.amendment_create(
        actor=actor,
        contract=contract,
        effective_from=payload.effective_from,
        reason=payload.reason,
        terms=_terms(payload.terms),
    )
    return Status(201, version_out(version))


# Notice and exit ---------------------------------------------------------------------------------------


@router.post(
    "/contracts/{contract_id}/notice",
    response={201: NoticeOut, **WRITE_ERRORS},
    description="The effect is computed by the contract's notice rule; an earlier `requested_end` is an early "
    "termination whose contractual indemnity is revisable by the judge (Code civil 1231-5).",
    summary="Record a notice of termination or refusal to renew",
)
def notice_give(request: HttpRequest, contract_id: int, payload: NoticeIn) -> Status[dict[str, Any]]:
    notice = lifecycle.notice_give(
        actor=request_actor(request), contract=_contract(request, contract_id), **payload.model_dump()
    )
    return Status(201, notice_out(notice))


@router.get(
    "/contracts/{contract_id}/exit-items",
    response={200: list[ExitItemOut], **ERRORS},
    summary="The contract's exit checklist",
)
def exit_item_list(request: HttpRequest, contract_id: int) -> list[dict[str, Any]]:
    contract = _contract(request, contract_id)
    return [exit_item_out(item) for item in selectors.exit_item_list(actor=request_actor(request), contract=contract)]


@router.patch(
    "/exit-items/{exit_item_id}",
    response={200: ExitItemOut, **WRITE_ERRORS},
    summary="Assign, date or complete an exit checklist item (done needs evidence)",
)
def exit_item_update(request: HttpRequest, exit_item_id: int, payload: ExitItemPatch) -> dict[str, Any]:
    actor = request_actor(request)
    item = selectors.exit_item_get(actor=actor, pk=exit_item_id)
    require(can_manage_contracts(actor))
    sent = payload.model_dump(exclude_unset=True)
    owner = item.owner
    if "owner_id" in sent:
        owner = None
        if sent["owner_id"] is not None:
            owner = Membership.objects.filter(provider_id=actor.provider_id, pk=sent["owner_id"]).first()
            if owner is None:
                raise ValidationError({"owner_id": "Unknown member."})
    comment = sent.get("evidence_comment")
    item = lifecycle.exit_item_update(
        actor=actor,
        item=item,
        owner=owner,
        due_on=sent.get("due_on", item.due_on),
        done_on=sent.get("done_on", item.done_on),
        evidence_comment=item.evidence_comment if comment is None else str(comment),
    )
    return exit_item_out(item)


# Catalogue and templates --------------------------------------------------------------------------------


@router.get("/service-categories", response={200: Page[CategoryOut], **ERRORS}, summary="List service categories")
def category_list(
    request: HttpRequest, limit: int = LIMIT, cursor: str | None = CURSOR, include_archived: bool = False
) -> dict[str, Any]:
    queryset = selectors.category_list(actor=request_actor(request), include_archived=include_archived)
    return paginate(queryset, limit=limit, cursor=cursor)


@router.post("/service-categories", response={201: CategoryOut, **WRITE_ERRORS}, summary="Create a service category")
def category_create(request: HttpRequest, payload: CategoryIn) -> Status[ServiceCategory]:
    category = catalogue.category_create(actor=request_actor(request), **payload.model_dump())
    return Status(201, category)


@router.get("/contract-templates", response={200: Page[TemplateOut], **ERRORS}, summary="List contract templates")
def template_list(
    request: HttpRequest, limit: int = LIMIT, cursor: str | None = CURSOR, include_archived: bool = False
) -> dict[str, Any]:
    queryset = selectors.template_list(actor=request_actor(request), include_archived=include_archived)
    return paginate(queryset, limit=limit, cursor=cursor)
