"""Billing runs: a month's drafts for a provider (or one client), previewed, then issued.

A run is idempotent and crash-safe by construction:

- drafting works in chunks, each one transaction (``drafting.draft_chunk``); an invoice is unique per
  contract, billing month and kind, a movement is billed by one line at most, a period's fee by one
  line at most — so a run killed anywhere and started again recomputes the drafts it had not
  finished and finds the others already there: no duplicate, no gap, the same totals;
- issuing gives numbers in short transactions that commit the invoices with their numbers
  (``services.invoices_issue``): a killed issue leaves each invoice either issued with its number or
  still a draft, never a number without an invoice.

``run_execute`` does both phases and reports progress through a callback (the CLI's bar) and on the
``BillingRun`` row (the page's bar, polled).
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from pacte.billing import domain, drafting, parallel
from pacte.billing.models import BillingRun, Invoice, InvoiceKind, InvoiceStatus, RunStatus
from pacte.billing.permissions import can_bill
from pacte.billing.services import ISSUE_CHUNK, invoices_issue
from pacte.ledger import closing
from pacte.ledger import periods as ledger_periods
from pacte.tenancy.models import Client, Membership, Provider
from pacte.tenancy.permissions import require

logger = logging.getLogger("pacte.billing")

Progress = Callable[[str, int, int], None]


def _quiet(phase: str, done: int, total: int) -> None:
    return None


def run_create(*, actor: Membership | None, provider: Provider, month: str, client: Client | None = None) -> BillingRun:
    """A new run for ``month`` (``YYYY-MM``); ``BillingError`` for a malformed month or a future one."""
    if actor is not None:
        require(can_bill(actor))
    first, last = domain.month_bounds(month)
    if first > timezone.localdate():
        raise domain.BillingError(
            _("%(month)s has not begun: a month is billed once it has started.") % {"month": month}
        )
    if client is not None and client.provider_id != provider.pk:
        raise domain.BillingError(_("This client is not one of the provider’s clients."))
    return BillingRun.objects.create(
        provider=provider, client=client, period_start=first, period_end=last, created_by=actor
    )


def _ledger_close_chunk(
    chunk: list[Any], first: datetime.date, last: datetime.date, versions: drafting.Versions
) -> None:
    """The chunk's allowances and closes in one go; contract by contract if that fails (one bad contract)."""
    try:
        with transaction.atomic():
            closing.periods_close_many(chunk, first=first, last=last, terms_at=versions.at)
    except Exception:  # noqa: BLE001  (logged below, contract by contract)
        logger.warning("billing run: the chunk's ledger close failed, closing contract by contract", exc_info=True)
        _ledger_closed(chunk, first, last, timezone.localdate())


def _ledger_closed(contracts: list[Any], first: datetime.date, last: datetime.date, today: datetime.date) -> int:
    """Post the allowance and the close (overage, expiry) of each contract period ending this month.

    What the nightly ``ledger.periods`` job does, done here too so a run never misses a period's
    overage because the job has not run yet (both post through the same idempotent keys). A contract
    whose ledger fails is logged and counted; its draft is still computed from what is posted.
    """
    failed = 0
    if last >= today:
        return failed
    for contract in contracts:
        seen: set[datetime.date] = set()
        for day in (first, last):
            found = ledger_periods.contract_period(contract, day)
            if found is None or found[0].start in seen or not first <= found[0].end <= last:
                continue
            seen.add(found[0].start)
            try:
                with transaction.atomic():
                    ledger_periods.allowance_post(contract, found[0].start)
                    ledger_periods.period_close(contract, found[0].start)
            except Exception:  # one contract's bad terms must not stop the month's billing
                logger.exception("billing run: ledger close failed for contract %s", contract.pk)
                failed += 1
    return failed


def run_draft(run: BillingRun, *, progress: Progress = _quiet, close_periods: bool = True) -> BillingRun:
    """Compute (or recompute) every draft of the run, chunk by chunk."""
    BillingRun.objects.filter(pk=run.pk).update(status=RunStatus.DRAFTING, error="")
    contracts = list(
        drafting.candidate_contracts(
            provider_id=run.provider_id, first=run.period_start, last=run.period_end, client_id=run.client_id
        )
    )
    total = len(contracts)
    BillingRun.objects.filter(pk=run.pk).update(total=total, done=0)
    today = timezone.localdate()
    versions = drafting.Versions([contract.pk for contract in contracts])  # read once for the whole run
    if run.period_end < today:
        from pacte.billing import service_credits

        try:
            with transaction.atomic():
                service_credits.credits_propose(
                    run.provider, run.period_start, run.period_end, client=run.client, versions=versions
                )
        except Exception:  # noqa: BLE001  (the month's invoices do not wait for the SLA figures)
            logger.exception("billing run %s: the service credits could not be proposed", run.pk)
    progress("draft", 0, total)
    done = 0
    size = drafting.chunk_size()
    chunks = [contracts[start : start + size] for start in range(0, total, size)]
    close = close_periods and run.period_end < today

    def work(index: int, chunk: list[Any], send: parallel.Send) -> None:
        if close:
            _ledger_close_chunk(chunk, run.period_start, run.period_end, versions)
        drafting.draft_chunk(chunk, first=run.period_start, last=run.period_end, run_id=run.pk, versions=versions)
        send(len(chunk))

    def received(count: int) -> None:
        nonlocal done
        done += count
        BillingRun.objects.filter(pk=run.pk).update(done=done)
        progress("draft", done, total)

    if parallel.enabled(len(chunks)):
        parallel.fan_out(chunks, work, on_message=received)
    else:
        for index, chunk in enumerate(chunks):
            work(index, chunk, received)
    drafted = run_drafts(run).count()
    BillingRun.objects.filter(pk=run.pk).update(status=RunStatus.DRAFTED, drafted=drafted)
    run.refresh_from_db()
    return run


def run_drafts(run: BillingRun) -> Any:
    """The run's invoices still drafts (its month, its scope)."""
    drafts = Invoice.objects.filter(
        provider_id=run.provider_id,
        billing_period=run.period_start,
        kind=InvoiceKind.INVOICE,
        status=InvoiceStatus.DRAFT,
    )
    if run.client_id is not None:
        drafts = drafts.filter(client_id=run.client_id)
    return drafts


def run_issue(
    run: BillingRun,
    *,
    actor: Membership | None,
    progress: Progress = _quiet,
    issue_date: datetime.date | None = None,
    validate: bool = True,
    render: bool = True,
) -> BillingRun:
    """Issue the run's drafts (numbers in their order: client, contract), chunk by chunk.

    A draft whose XML fails validation stays a draft, listed in the run's ``error`` with the failed
    rules; the others are issued (the run stays "drafts ready" until every draft is issued).
    """
    if actor is not None:
        require(can_bill(actor))
    BillingRun.objects.filter(pk=run.pk).update(status=RunStatus.ISSUING)
    ids = list(run_drafts(run).order_by("client__name", "contract__reference", "pk").values_list("pk", flat=True))
    total = len(ids)
    progress("issue", 0, total)
    provider = run.provider
    refused: list[str] = []
    versions = drafting.Versions(set(run_drafts(run).exclude(contract=None).values_list("contract_id", flat=True)))
    size = min(drafting.chunk_size(), ISSUE_CHUNK)  # one numbering transaction per chunk
    chunks = [ids[start : start + size] for start in range(0, total, size)]
    turn = parallel.Turn() if parallel.enabled(len(chunks)) else None
    done = 0

    def work(index: int, chunk: list[int], send: parallel.Send) -> None:
        def invalid(invoice: Invoice, message: str) -> None:
            send(("refused", f"#{invoice.pk} ({invoice.client.name}): {message}"))

        issued = invoices_issue(
            actor=actor,
            provider=provider,
            invoice_ids=chunk,
            issue_date=issue_date,
            validate=validate,
            render=render,
            on_invalid=invalid,
            versions=versions,
            turn=(turn, index) if turn is not None else None,
        )
        send(("issued", len(issued), len(chunk)))

    def received(message: tuple[Any, ...]) -> None:
        nonlocal done
        if message[0] == "refused":
            refused.append(message[1])
            return
        done += message[2]
        BillingRun.objects.filter(pk=run.pk).update(issued=F("issued") + message[1])
        progress("issue", min(done, total), total)

    if turn is not None:
        parallel.fan_out(chunks, work, on_message=received, turn=turn)
    else:
        for index, chunk in enumerate(chunks):
            work(index, chunk, received)
    BillingRun.objects.filter(pk=run.pk).update(
        status=RunStatus.ISSUED if not refused else RunStatus.DRAFTED,
        finished_at=timezone.now(),
        error="\n".join(refused)[:5000],
    )
    run.refresh_from_db()
    return run


def run_execute(
    run: BillingRun,
    *,
    actor: Membership | None,
    issue: bool = False,
    progress: Progress = _quiet,
    validate: bool = True,
    render: bool = True,
) -> BillingRun:
    try:
        run = run_draft(run, progress=progress)
        if issue:
            run = run_issue(run, actor=actor, progress=progress, validate=validate, render=render)
        else:
            BillingRun.objects.filter(pk=run.pk).update(finished_at=timezone.now())
    except Exception as error:
        BillingRun.objects.filter(pk=run.pk).update(status=RunStatus.FAILED, error=str(error)[:2000])
        raise
    return run


# Preview ------------------------------------------------------------------------------------------


@dataclass
class PreviewRow:
    invoice: Invoice
    previous_total: Decimal | None

    @property
    def difference(self) -> Decimal | None:
        if self.previous_total is None:
            return None
        return self.invoice.total_net - self.previous_total


@dataclass
class Preview:
    rows: list[PreviewRow] = field(default_factory=list)
    total_net: Decimal = Decimal("0.00")
    total_vat: Decimal = Decimal("0.00")
    total_gross: Decimal = Decimal("0.00")
    previous_total: Decimal = Decimal("0.00")


def run_preview(run: BillingRun) -> Preview:
    """The month's invoices (drafts and issued) with each contract's total of the month before."""
    invoices = list(
        Invoice.objects.filter(provider_id=run.provider_id, billing_period=run.period_start, kind=InvoiceKind.INVOICE)
        .filter(**({"client_id": run.client_id} if run.client_id else {}))
        .select_related("client", "contract")
        .order_by("client__name", "contract__reference", "pk")
    )
    before = (run.period_start - datetime.timedelta(days=1)).replace(day=1)
    previous = dict(
        Invoice.objects.filter(
            contract_id__in=[invoice.contract_id for invoice in invoices],
            billing_period=before,
            kind=InvoiceKind.INVOICE,
        ).values_list("contract_id", "total_net")
    )
    preview = Preview()
    for invoice in invoices:
        preview.rows.append(PreviewRow(invoice=invoice, previous_total=previous.get(invoice.contract_id or 0)))
        preview.total_net += invoice.total_net
        preview.total_vat += invoice.total_vat
        preview.total_gross += invoice.total_gross
    preview.previous_total = sum(previous.values(), Decimal("0.00"))
    return preview


def month_totals(provider_id: int, first: datetime.date) -> dict[str, Decimal]:
    """Totals of a billing month's invoices (what the crash test compares with a clean run)."""
    totals = Invoice.objects.filter(provider_id=provider_id, billing_period=first, kind=InvoiceKind.INVOICE).aggregate(
        net=Sum("total_net"), vat=Sum("total_vat"), gross=Sum("total_gross")
    )
    return {key: value or Decimal("0.00") for key, value in totals.items()}


def run_start_async(run: BillingRun, *, actor: Membership, issue: bool) -> None:
    """Queue the run for a worker (the page polls its progress)."""
    from pacte.billing.tasks import billing_run

    billing_run.enqueue(run.pk, actor.pk, issue)  # the queue is in the database: committed with the run
