"""REST endpoints of the consumption ledger (accounts, movements, adjustments, the leak report).

Thin: a selector or a service per request. Whoever sees a contract (provider roles; a client's
manager for its company's signed contracts) reads its ledger; another company's contract is a 404.
Adjustments are for the provider's admins and managers (403 otherwise), the leak report too.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from django.http import HttpRequest
from ninja import Router
from ninja.responses import Status

from pacte.core.api import CURSOR, ERRORS, LIMIT, WRITE_ERRORS, Page, paginate, request_actor
from pacte.ledger import selectors, services
from pacte.ledger.models import Movement
from pacte.ledger.schemas import AdjustmentIn, LeakReportOut, LedgerOut, MovementOut

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
