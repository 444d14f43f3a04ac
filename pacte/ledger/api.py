"""REST endpoints of the consumption ledger (accounts, movements, adjustments, the leak report, catalogue
tasks and milestones).

Thin: a selector or a service per request. Whoever sees a contract (provider roles; a client's
manager for its company's signed contracts) reads its ledger and its milestones; another company's
contract is a 404. Adjustments are for the provider's admins and managers (403 otherwise), the leak
report, cancelling a task and accepting a milestone too; recording a task is for every provider role.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Header, Router
from ninja.responses import Status

from pacte.core.api import CURSOR, ERRORS, LIMIT, WRITE_ERRORS, Page, api_fields, paginate, request_actor
from pacte.ledger import orders, selectors, services
from pacte.ledger.models import Movement
from pacte.ledger.schemas import (
    AdjustmentIn,
    LeakReportOut,
    LedgerOut,
    MilestoneAcceptIn,
    MilestoneListOut,
    MovementOut,
    TaskCancelIn,
    TaskIn,
)

router = Router(tags=["ledger"])


def movement_out(movement: Movement) -> dict[str, Any]:
    return {
        "id": movement.pk,
        "account_id": movement.account_id,
        "unit": movement.account.unit,
        "kind": movement.kind,
        "quantity": movement.quantity,
        "amount": movement.amount,
        "billable": movement.billable,
        "service_date": movement.service_date,
        "period_start": movement.period_start,
        "period_end": movement.period_end,
        "source_kind": movement.source_kind,
        "source_id": movement.source_id,
        "key": movement.key,
        "rule": movement.rule,
        "detail": movement.detail,
        "description": movement.description,
        "reason": movement.reason,
        "created_at": movement.created_at,
    }


@router.get(
    "/contracts/{contract_id}/ledger",
    response={200: LedgerOut, **ERRORS},
    summary="A contract's ledger accounts and balances",
    description="One account per unit the contract uses; a balance is the sum of the account's movements.",
)
def ledger_get(request: HttpRequest, contract_id: int) -> dict[str, Any]:
    actor = request_actor(request)
    contract = selectors.ledger_contract(actor=actor, pk=contract_id)
    accounts = selectors.account_list(actor=actor, contract=contract)
    return {
        "contract_id": contract.pk,
        "contract_reference": contract.reference,
        "accounts": [
            {"id": a.pk, "unit": a.unit, "balance": a.balance, "billable_total": a.billable_total}  # type: ignore[attr-defined]
            for a in accounts
        ],
    }


@router.get(
    "/contracts/{contract_id}/ledger/movements",
    response={200: Page[MovementOut], **ERRORS},
    summary="A contract's ledger movements",
    description="In the order they were posted (cursor-paginated), with their source and rule snapshot.",
)
def movement_list(
    request: HttpRequest, contract_id: int, limit: int = LIMIT, cursor: str | None = CURSOR
) -> dict[str, Any]:
    actor = request_actor(request)
    contract = selectors.ledger_contract(actor=actor, pk=contract_id)
    page = paginate(selectors.movement_list(actor=actor, contract=contract), limit=limit, cursor=cursor)
    page["items"] = [movement_out(movement) for movement in page["items"]]
    return page


@router.post(
    "/contracts/{contract_id}/ledger/adjustments",
    response={201: MovementOut, **WRITE_ERRORS},
    summary="Post a manual adjustment (admins and managers)",
    description="A signed quantity on one of the contract's accounts, with its reason (audited). On the euros "
    "account the adjustment is billable: amount = −quantity. A contract never signed has no ledger (409).",
)
def adjustment_create(request: HttpRequest, contract_id: int, payload: AdjustmentIn) -> Status[dict[str, Any]]:
    actor = request_actor(request)
    contract = selectors.ledger_contract(actor=actor, pk=contract_id)
    movement = services.adjustment_post(
        actor=actor, contract=contract, unit=payload.unit, quantity=payload.quantity, reason=payload.reason
    )
    movement = selectors.movement_get(actor=actor, pk=movement.pk)
    return Status(201, movement_out(movement))


@router.get(
    "/ledger/leaks",
    response={200: LeakReportOut, **ERRORS},
    summary="The leak report (admins and managers)",
    description="Signed work matching no contract or no rule, work not posted, movements whose source is gone, "
    "billable movements of an ended period not invoiced yet.",
)
def leak_report(request: HttpRequest) -> dict[str, Any]:
    report = selectors.leak_report(actor=request_actor(request))

    def lines(items: list[selectors.LeakLine]) -> list[dict[str, Any]]:
        return [dataclasses.asdict(line) for line in items]

    return {
        "unmatched": lines(report.unmatched),
        "unposted": lines(report.unposted),
        "source_gone": lines(report.source_gone),
        "not_invoiced": lines(report.not_invoiced),
        "truncated": report.truncated,
    }


@router.post(
    "/contracts/{contract_id}/tasks",
    response={200: MovementOut, 201: MovementOut, **WRITE_ERRORS},
    summary="Record a performed catalogue task (provider roles)",
    description="A billable movement on the euros account at the task's catalogue price in force on "
    "`performed_on`, × quantity. Send an `Idempotency-Key` header (8–64 letters, digits, `-` or `_`): the same "
    "key again returns the first movement (200) and records nothing; with another task, quantity or day it is a "
    "409. 422: the contract is not billed per task that day, unknown code, quantity not 1–999, day outside the "
    "contract or in the future, ticket or sheet not of the contract's client.",
)
def task_create(
    request: HttpRequest,
    contract_id: int,
    payload: TaskIn,
    idempotency_key: str = Header("", alias="Idempotency-Key", max_length=64),
) -> Status[dict[str, Any]]:
    actor = request_actor(request)
    contract = selectors.ledger_contract(actor=actor, pk=contract_id)
    with api_fields({"token": "Idempotency-Key"}):
        movement, created = orders.task_record(
            actor=actor,
            contract=contract,
            code=payload.code,
            quantity=payload.quantity,
            performed_on=payload.performed_on,
            ticket_id=payload.ticket_id,
            intervention_id=payload.intervention_id,
            note=payload.note,
            token=idempotency_key,
        )
    movement = selectors.movement_get(actor=actor, pk=movement.pk)
    return Status(201 if created else 200, movement_out(movement))


@router.post(
    "/contracts/{contract_id}/tasks/{movement_id}/cancel",
    response={201: MovementOut, **WRITE_ERRORS},
    summary="Cancel a recorded task not invoiced yet (admins and managers)",
    description="Posts the task's reversal (the opposite quantity and amount) and returns it. 409: already "
    "cancelled, or billed by an issued invoice (issue a credit note instead).",
)
def task_cancel(
    request: HttpRequest, contract_id: int, movement_id: int, payload: TaskCancelIn
) -> Status[dict[str, Any]]:
    actor = request_actor(request)
    contract = selectors.ledger_contract(actor=actor, pk=contract_id)
    reversal = orders.task_cancel(actor=actor, contract=contract, movement_id=movement_id, reason=payload.reason)
    return Status(201, movement_out(selectors.movement_get(actor=actor, pk=reversal.pk)))


@router.get(
    "/contracts/{contract_id}/milestones",
    response={200: MilestoneListOut, **ERRORS},
    summary="A milestones contract's milestones and their acceptance",
    description="The milestones of the terms in force today (within the contract's dates), each with the day "
    "it was accepted (null: to accept); then any accepted milestone those terms no longer name (index null).",
)
def milestone_list(request: HttpRequest, contract_id: int) -> dict[str, Any]:
    actor = request_actor(request)
    contract = selectors.ledger_contract(actor=actor, pk=contract_id)
    return {
        "contract_id": contract.pk,
        "milestones": [
            {
                "index": row.index,
                "label": row.label,
                "amount": row.amount,
                "expected_on": row.expected_on,
                "accepted_on": row.accepted.service_date if row.accepted is not None else None,
                "movement_id": row.accepted.pk if row.accepted is not None else None,
                "invoiced": row.invoice_number is not None,
            }
            for row in orders.milestone_list(actor=actor, contract=contract)
        ],
    }


@router.post(
    "/contracts/{contract_id}/milestones/{index}/accept",
    response={201: MovementOut, **WRITE_ERRORS},
    summary="Accept a milestone (admins and managers): its amount is billed, once ever",
    description="`index` is the milestone's position (from 0) in the terms in force on `accepted_on` (default "
    "today). Posts a billable movement of the milestone's amount on the euros account. 409: already accepted. "
    "422: not a milestones contract that day, unknown index, day outside the contract or in the future.",
)
def milestone_accept(
    request: HttpRequest, contract_id: int, index: int, payload: MilestoneAcceptIn
) -> Status[dict[str, Any]]:
    actor = request_actor(request)
    contract = selectors.ledger_contract(actor=actor, pk=contract_id)
    movement = orders.milestone_accept(
        actor=actor,
        contract=contract,
        index=index,
        accepted_on=payload.accepted_on or timezone.localdate(),
        note=payload.note,
    )
    return Status(201, movement_out(selectors.movement_get(actor=actor, pk=movement.pk)))
