"""Invoice numbers: gapless and duplicate-free per series, chronological, under concurrency (done-when #2)."""

from __future__ import annotations

import datetime
import threading
from decimal import Decimal

import pytest
from django.db import connection

from pacte.billing import domain
from pacte.billing.models import Invoice, InvoiceLine, Series
from pacte.billing.services import invoices_issue, series_for

D = Decimal


def drafts(tenant, count: int) -> list[int]:
    """``count`` one-line drafts of 100.00 € (no contract: numbering does not care where they come from)."""
    invoices = Invoice.objects.bulk_create(
        [
            Invoice(
                provider=tenant.provider,
                client=tenant.client,
                total_net=D("100.00"),
                total_vat=D("20.00"),
                total_gross=D("120.00"),
            )
            for _ in range(count)
        ]
    )
    InvoiceLine.objects.bulk_create(
        [
            InvoiceLine(
                invoice=invoice,
                position=1,
                kind="adjustment",
                description="Prestation",
                quantity=D(1),
                unit_price=D("100.00"),
                amount=D("100.00"),
                vat_rate=D("20.00"),
            )
            for invoice in invoices
        ]
    )
    return [invoice.pk for invoice in invoices]


def test_numbers_follow_each_other_per_series_and_year(tenant):
    ids = drafts(tenant, 3)
    issued = invoices_issue(
        actor=tenant.manager,
        provider=tenant.provider,
        invoice_ids=ids,
        issue_date=datetime.date(2026, 11, 30),
        validate=False,
        render=False,
    )
    assert [invoice.number for invoice in issued] == ["FA-2026-000001", "FA-2026-000002", "FA-2026-000003"]
    # A new year starts a new series at 1; numbers match the e-invoicing pattern.
    (next_year,) = invoices_issue(
        actor=tenant.manager,
        provider=tenant.provider,
        invoice_ids=drafts(tenant, 1),
        issue_date=datetime.date(2027, 1, 4),
        validate=False,
        render=False,
    )
    assert next_year.number == "FA-2027-000001"
    for invoice in Invoice.objects.all():
        assert domain.number_check(invoice.number) == invoice.number
    # Issuing again issues nothing and moves nothing.
    assert (
        invoices_issue(actor=tenant.manager, provider=tenant.provider, invoice_ids=ids, validate=False, render=False)
        == []
    )
    assert Series.objects.get(provider=tenant.provider, year=2026).last_number == 3


def test_no_back_dating_in_a_series(tenant):
    invoices_issue(
        actor=tenant.manager,
        provider=tenant.provider,
        invoice_ids=drafts(tenant, 1),
        issue_date=datetime.date(2026, 11, 30),
        validate=False,
        render=False,
    )
    late = drafts(tenant, 1)
    with pytest.raises(domain.BillingError, match="antidaté"):
        invoices_issue(
            actor=tenant.manager,
            provider=tenant.provider,
            invoice_ids=late,
            issue_date=datetime.date(2026, 11, 2),
            validate=False,
            render=False,
        )
    assert Invoice.objects.get(pk=late[0]).status == "draft"
    assert series_for(tenant.provider.pk, "invoice", 2026).last_number == 1


def test_other_providers_have_their_own_series(tenant, other_tenant):
    invoices_issue(
        actor=tenant.manager,
        provider=tenant.provider,
        invoice_ids=drafts(tenant, 2),
        issue_date=datetime.date(2026, 11, 30),
        validate=False,
        render=False,
    )
    (other,) = invoices_issue(
        actor=other_tenant.manager,
        provider=other_tenant.provider,
        invoice_ids=drafts(other_tenant, 1),
        issue_date=datetime.date(2026, 11, 30),
        validate=False,
        render=False,
    )
    assert other.number == "FA-2026-000001"
    # A provider cannot issue another provider's drafts: they are ignored.
    foreign = drafts(other_tenant, 1)
    assert (
        invoices_issue(
            actor=tenant.manager, provider=tenant.provider, invoice_ids=foreign, validate=False, render=False
        )
        == []
    )


WORKERS = 8
PER_WORKER = 500


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_eight_concurrent_workers_issue_4000_numbers_without_gap_or_duplicate(tenant):
    """Done-when #2: 8 workers × 500 invoices, each issued in its own transaction → 1..4000."""
    ids = drafts(tenant, WORKERS * PER_WORKER)
    day = datetime.date.today()  # noqa: DTZ011
    barrier = threading.Barrier(WORKERS)
    errors: list[BaseException] = []

    def worker(mine: list[int]) -> None:
        try:
            barrier.wait(timeout=30)
            for invoice_id in mine:
                invoices_issue(
                    actor=None,
                    provider=tenant.provider,
                    invoice_ids=[invoice_id],
                    issue_date=day,
                    validate=False,
                    render=False,
                )
        except BaseException as error:  # noqa: BLE001  (reported below)
            errors.append(error)
        finally:
            connection.close()

    # Interleaved slices: neighbouring drafts go to different workers.
    threads = [threading.Thread(target=worker, args=(ids[n::WORKERS],)) for n in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert not errors, errors[:3]
    sequences = sorted(Invoice.objects.filter(provider=tenant.provider).values_list("sequence", flat=True))
    assert sequences == list(range(1, WORKERS * PER_WORKER + 1))  # 0 gaps, 0 duplicates
    numbers = list(Invoice.objects.values_list("number", flat=True))
    assert len(set(numbers)) == len(numbers) == WORKERS * PER_WORKER
    assert Series.objects.get(provider=tenant.provider).last_number == WORKERS * PER_WORKER
