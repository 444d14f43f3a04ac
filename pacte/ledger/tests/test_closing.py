"""The bulk close (``closing.periods_close_many``) posts exactly what ``allowance_post`` + ``period_close`` post."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from pacte.contracts.models import Contract
from pacte.contracts.selectors import contract_terms_at
from pacte.ledger import closing, periods
from pacte.ledger.models import Movement
from pacte.ledger.tests.helpers_l3 import consume, fixed_fee_contract

day = datetime.date

CASES = [
    # (start, end, period, included, consumed hours per day)
    (day(2026, 1, 1), None, "month", "10", [("2026-10-05", "4"), ("2026-10-20", "8.25")]),  # overage 2.25 h
    (day(2026, 1, 1), None, "month", "10", [("2026-10-05", "3")]),  # expiry 7 h
    (day(2026, 10, 10), None, "month", "10", [("2026-10-12", "9")]),  # cut: 22/31 × 10 = 7.10 h → overage
    (day(2026, 1, 1), day(2026, 10, 15), "month", "10", []),  # ends mid-month: 15/31 → expiry 4.84 h
    (day(2026, 1, 1), None, "quarter", "30", [("2026-08-01", "20"), ("2026-10-01", "12")]),  # Q4 not ended
    (day(2026, 1, 1), None, "quarter", "30", [("2026-07-01", "20"), ("2026-09-30", "12")]),  # Q3 ends in Sept
    (day(2026, 1, 1), None, "month", "10", [("2026-10-05", "10")]),  # exactly used: nothing to close
]


def _contracts(tenant, *, title: str) -> list[Contract]:
    made = []
    for start, end, period, included, work in CASES:
        contract = fixed_fee_contract(tenant, start=start, included=included, period=period, title=title)
        if end is not None:
            Contract.objects.filter(pk=contract.pk).update(end_date=end)
            contract.refresh_from_db()
        for when, hours in work:
            consume(contract, datetime.date.fromisoformat(when), hours)
        made.append(contract)
    return made


def _posted(contract: Contract) -> list[tuple]:
    rows = Movement.objects.filter(contract=contract, source_kind="period").order_by("key")
    return [
        (
            m.key.replace(f":{contract.pk}:", ":C:"),
            m.kind,
            m.quantity,
            m.amount,
            m.service_date,
            m.period_start,
            m.period_end,
            m.detail,
            m.description,
            m.rule,
            m.billable,
        )
        for m in rows
    ]


@pytest.mark.parametrize(
    ("first", "last"), [(day(2026, 10, 1), day(2026, 10, 31)), (day(2026, 9, 1), day(2026, 9, 30))]
)
def test_bulk_close_posts_what_the_one_contract_functions_post(tenant, first, last):
    bulk = _contracts(tenant, title="Bulk")
    single = _contracts(tenant, title="Single")

    def terms_at(contract: Contract, at: datetime.date):
        version = contract_terms_at(contract, at)
        return None if version is None else version.terms

    posted = closing.periods_close_many(bulk, first=first, last=last, terms_at=terms_at)
    assert posted > 0
    assert closing.periods_close_many(bulk, first=first, last=last, terms_at=terms_at) == 0  # once
    for contract in single:
        for when in (first, last):
            found = periods.contract_period(contract, when)
            if found is not None and first <= found[0].end <= last:
                periods.allowance_post(contract, found[0].start)
                periods.period_close(contract, found[0].start)
    for one, other in zip(bulk, single, strict=True):
        assert _posted(one) == _posted(other)
    overage = Movement.objects.filter(contract=bulk[0], kind="overage").first()
    if first.month == 10:
        assert overage is not None and (overage.quantity, overage.amount) == (Decimal("2.2500"), Decimal("213.75"))
