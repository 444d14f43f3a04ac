"""Every read of the ledger, scoped to what the actor may see inside the query itself.

A contract's ledger is visible to whoever sees the contract (``contracts.selectors.contract_list``:
the provider's roles, a client's manager for its company's signed contracts); a foreign contract is
a 404. Balances are always computed (``Sum`` of the movements), never stored.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import (
    BigIntegerField,
    Case,
    CharField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from pacte.contracts import selectors as contract_selectors
from pacte.contracts.models import Contract
from pacte.contracts.permissions import can_view_contracts
from pacte.interventions.models import Intervention, SheetStatus, TimeEntry
from pacte.ledger import posting
from pacte.ledger.models import Account, Movement, SourceKind
from pacte.ledger.permissions import can_see_leaks
from pacte.tenancy.models import Membership
from pacte.tenancy.permissions import require

logger = logging.getLogger("pacte.ledger")

PAGE_SIZE = 100
QUANTITY_PLACES = Decimal("0.0001")
CENT = Decimal("0.01")
#: At most this many lines per section of the leak report (the page says when there are more).
LEAK_LIMIT = 200
#: A leaking sheet or entry's reason is worked out (terms, calendar) for this many lines per section.
REASON_LIMIT = 50
SHEET_HANDLER = "pacte.ledger.handlers.sheet_signed"


# Contracts, accounts, balances ----------------------------------------------------------------------


def ledger_contract(*, actor: Membership, pk: int) -> Contract:
    """A contract whose ledger the actor may read (404 when it does not see the contract)."""
    return contract_selectors.contract_get(actor=actor, pk=pk)


def account_list(*, actor: Membership, contract: Contract) -> list[Account]:
    """The contract's accounts, each with ``balance`` (Σ quantity) and ``billable_total`` (Σ amount), one query."""
    if contract.provider_id != actor.provider_id or (actor.is_client_side and contract.client_id != actor.client_id):
        return []
    accounts = list(
        Account.objects.filter(provider_id=actor.provider_id, contract_id=contract.pk)
        .annotate(
            balance=Coalesce(Sum("movements__quantity"), Value(Decimal(0))),
            billable_total=Sum("movements__amount"),
        )
        .order_by("unit")
    )
    for account in accounts:
        account.balance = _exact(account.balance)
        if account.billable_total is not None:
            account.billable_total = _exact(account.billable_total, CENT)
    return list(accounts)


def balance(account: Account, *, at: datetime.date | None = None) -> Decimal:
    """The account's balance: the sum of its movements (dated on or before ``at`` when given)."""
    movements = Movement.objects.filter(account_id=account.pk)
    if at is not None:
        movements = movements.filter(service_date__lte=at)
    total = movements.aggregate(total=Sum("quantity"))["total"]
    return _exact(total)


def _exact(total: Any, places: Decimal = QUANTITY_PLACES) -> Decimal:
    """A database sum as an exact Decimal (SQLite sums decimals in floating point; quantities have 4 places)."""
    if total is None:
        return Decimal(0)
    return Decimal(str(total)).quantize(places, rounding=ROUND_HALF_UP)


def movement_scope(actor: Membership) -> QuerySet[Movement]:
    """Every movement the actor may see (provider: all of its provider's; client manager: its company's)."""
    queryset = Movement.objects.filter(provider_id=actor.provider_id)
    if actor.is_provider_side:
        return queryset
    if actor.client_id is None or not can_view_contracts(actor):
        return queryset.none()
    return queryset.filter(client_id=actor.client_id)


def movement_list(
    *,
    actor: Membership,
    contract: Contract,
    unit: str = "",
    kind: str = "",
    billable: bool | None = None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> QuerySet[Movement]:
    """The contract's movements the actor may see, newest service date first, with their account."""
    queryset = movement_scope(actor).filter(contract_id=contract.pk).select_related("account", "created_by__user")
    if unit:
        queryset = queryset.filter(account__unit=unit)
    if kind:
        queryset = queryset.filter(kind=kind)
    if billable is not None:
        queryset = queryset.filter(billable=billable)
    if date_from is not None:
        queryset = queryset.filter(service_date__gte=date_from)
    if date_to is not None:
        queryset = queryset.filter(service_date__lte=date_to)
    return queryset.order_by("-service_date", "-id")


def movement_get(*, actor: Membership, pk: int) -> Movement:
    return get_object_or_404(movement_scope(actor).select_related("account", "contract"), pk=pk)


def source_url(movement: Movement) -> str:
    """Where the movement came from (a sheet's page, a ticket's page), or "" (a period, an adjustment)."""
    if movement.source_kind == SourceKind.SHEET and movement.source_id.isdigit():
        return reverse("interventions:sheet_detail", args=[int(movement.source_id)])
    if movement.source_kind == SourceKind.TIME_ENTRY:
        ticket_id = (movement.detail or {}).get("ticket_id")
        if isinstance(ticket_id, int):
            return reverse("servicedesk:ticket_detail", args=[ticket_id])
    return ""


# The leak report ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LeakLine:
    """One piece of work that may not be billed: what, where from, and why."""

    problem: str  # no_contract · no_rule · not_posted · source_gone · not_invoiced
    source_kind: str
    source_id: str
    reference: str
    client_name: str
    reason: str
    url: str = ""
    day: datetime.date | None = None
    contract_id: int | None = None
    contract_reference: str = ""
    amount: Decimal | None = None
    movement_key: str = ""


@dataclass
class LeakReport:
    """Four sections; ``truncated`` names the sections cut at ``LEAK_LIMIT`` lines."""

    unmatched: list[LeakLine] = field(default_factory=list)  # no contract, or no rule prices it
    unposted: list[LeakLine] = field(default_factory=list)  # should be posted and is not (yet)
    source_gone: list[LeakLine] = field(default_factory=list)  # posted, its source deleted since
    not_invoiced: list[LeakLine] = field(default_factory=list)  # billable, period ended, no invoice yet
    truncated: list[str] = field(default_factory=list)

    @property
    def lines(self) -> list[LeakLine]:
        return [*self.unmatched, *self.unposted, *self.source_gone, *self.not_invoiced]

    @property
    def is_empty(self) -> bool:
        return not self.lines


def _sheet_url(pk: int) -> str:
    return reverse("interventions:sheet_detail", args=[pk])


def _sheet_reason(sheet: Intervention, delivery: Any, explain: bool) -> tuple[str, str]:
    """(problem, reason) of a signed sheet with no movement."""
    if sheet.contract_id is None:
        return "no_contract", _("Matches no contract: the sheet names none.")
    if delivery is None:
        return "not_posted", _("Not posted: no signature event was recorded for the ledger.")
    if delivery.status == "pending":
        if delivery.attempts:
            return "not_posted", _("Not posted: the posting failed and will be retried.")
        return "not_posted", _("Not posted yet: the posting is queued.")
    if delivery.status == "dead":
        return "not_posted", _("Not posted: the posting failed for good (see the dead letters).")
    # Delivered and still nothing posted: the contract's terms could not price it.
    reason = _("Matches no rule of the contract.")
    if explain:
        try:
            posting.sheet_plan(sheet, delivery.event.payload)
        except posting.Unpostable as problem:
            reason = _("Matches no rule: %(why)s") % {"why": problem}
        except Exception:  # the reason is a courtesy: a failure to explain must not hide the line
            logger.exception("Could not explain why sheet %s is not posted", sheet.pk)
    return "no_rule", reason


def _leaking_sheets(actor: Membership, since: datetime.datetime | None, report: LeakReport) -> None:
    from pacte.events.models import Delivery

    sheets = (
        Intervention.objects.filter(provider_id=actor.provider_id, status=SheetStatus.SIGNED)
        .exclude(Exists(posting.posted_sources(SourceKind.SHEET)))
        .select_related("client", "contract", "site")
        .order_by("signed_at", "id")
    )
    if since is not None:
        sheets = sheets.filter(signed_at__gte=since)
    rows = list(sheets[: LEAK_LIMIT + 1])
    if len(rows) > LEAK_LIMIT:
        report.truncated.append("sheets")
        rows = rows[:LEAK_LIMIT]
    keys = {f"{posting.SHEET_EVENT}:{sheet.pk}": sheet for sheet in rows}
    deliveries = {
        delivery.event.key: delivery
        for delivery in Delivery.objects.filter(event__key__in=list(keys), handler=SHEET_HANDLER).select_related(
            "event"
        )
    }
    explained = 0
    for key, sheet in keys.items():
        delivery = deliveries.get(key)
        explain = delivery is not None and delivery.status == "done" and explained < REASON_LIMIT
        explained += int(explain)
        problem, reason = _sheet_reason(sheet, delivery, explain)
        line = LeakLine(
            problem=problem,
            source_kind=SourceKind.SHEET,
            source_id=str(sheet.pk),
            reference=sheet.reference,
            client_name=sheet.client.name,
            reason=reason,
            url=_sheet_url(sheet.pk),
            day=timezone.localdate(sheet.signed_at) if sheet.signed_at else None,
            contract_id=sheet.contract_id,
            contract_reference=sheet.contract.reference if sheet.contract is not None else "",
        )
        (report.unposted if problem == "not_posted" else report.unmatched).append(line)


def _leaking_entries(actor: Membership, since: datetime.datetime | None, report: LeakReport) -> None:
    now = timezone.now()
    entries = (
        posting.unposted_ticket_entries()
        .filter(provider_id=actor.provider_id)
        .select_related("client", "contract", "ticket__site")
        .order_by("created_at", "id")
    )
    if since is not None:
        entries = entries.filter(created_at__gte=since)
    rows = list(entries[: LEAK_LIMIT + 1])
    if len(rows) > LEAK_LIMIT:
        report.truncated.append("time_entries")
        rows = rows[:LEAK_LIMIT]
    calendars = posting.Calendars()
    explained = 0
    for entry in rows:
        ticket = entry.ticket
        if entry.contract_id is None:
            problem, reason = "no_contract", _("Matches no contract: the ticket names none.")
        elif entry.created_at > now - posting.TICKET_TIME_DELAY:
            problem, reason = "not_posted", _("Not posted yet: posted 15 minutes after it was logged.")
        else:
            problem, reason = "not_posted", _("Not posted: the posting job has not taken it yet.")
            if explained < REASON_LIMIT:
                explained += 1
                try:
                    posting.ticket_time_plan(entry, calendars=calendars)
                except posting.Unpostable as why:
                    problem, reason = "no_rule", _("Matches no rule: %(why)s") % {"why": why}
                except Exception:  # the reason is a courtesy: a failure to explain must not hide the line
                    logger.exception("Could not explain why time entry %s is not posted", entry.pk)
        line = LeakLine(
            problem=problem,
            source_kind=SourceKind.TIME_ENTRY,
            source_id=str(entry.pk),
            reference=str(ticket.reference) if ticket is not None else "",
            client_name=entry.client.name,
            reason=reason,
            url=reverse("servicedesk:ticket_detail", args=[entry.ticket_id]) if entry.ticket_id else "",
            day=timezone.localdate(entry.started_at),
            contract_id=entry.contract_id,
            contract_reference=entry.contract.reference if entry.contract is not None else "",
        )
        (report.unposted if problem == "not_posted" else report.unmatched).append(line)


def _numeric_source() -> Cast:
    """The movement's source id as a number, for sources whose id is a primary key (else NULL)."""
    return Cast(
        Case(
            When(source_kind__in=[SourceKind.SHEET, SourceKind.TIME_ENTRY], then=F("source_id")),
            default=None,
            output_field=CharField(),
        ),
        output_field=BigIntegerField(),
    )


def _sources_gone(actor: Membership, since: datetime.datetime | None, report: LeakReport) -> None:
    movements = (
        Movement.objects.filter(
            provider_id=actor.provider_id, source_kind__in=[SourceKind.SHEET, SourceKind.TIME_ENTRY]
        )
        .annotate(source_pk=_numeric_source())
        .filter(
            (Q(source_kind=SourceKind.SHEET) & ~Exists(Intervention.objects.filter(pk=OuterRef("source_pk"))))
            | (Q(source_kind=SourceKind.TIME_ENTRY) & ~Exists(TimeEntry.objects.filter(pk=OuterRef("source_pk"))))
        )
        .select_related("client", "contract")
        .order_by("service_date", "id")
    )
    if since is not None:
        movements = movements.filter(created_at__gte=since)
    rows = list(movements[: LEAK_LIMIT + 1])
    if len(rows) > LEAK_LIMIT:
        report.truncated.append("source_gone")
        rows = rows[:LEAK_LIMIT]
    for movement in rows:
        report.source_gone.append(
            LeakLine(
                problem="source_gone",
                source_kind=movement.source_kind,
                source_id=movement.source_id,
                reference=movement.description or movement.key,
                client_name=movement.client.name,
                reason=_("Posted, source gone: the work it was posted for no longer exists."),
                url=reverse("ledger:contract_ledger", args=[movement.contract_id]),
                day=movement.service_date,
                contract_id=movement.contract_id,
                contract_reference=movement.contract.reference,
                amount=movement.amount,
                movement_key=movement.key,
            )
        )


def _not_invoiced(actor: Membership, since: datetime.datetime | None, report: LeakReport) -> None:
    """Billable movements of an ended period that no issued invoice bills yet — "not invoiced yet".

    A billing run links each billable movement to one invoice line (``InvoiceLine.movement``,
    unique); a movement with no line, or only a line of a draft, is listed. A movement's period is
    its own (``period_end``) or, without one, the calendar month of its service date (billing runs
    are monthly).
    """
    today = timezone.localdate()
    first_of_month = today.replace(day=1)
    movements = (
        Movement.objects.filter(provider_id=actor.provider_id, billable=True)
        .exclude(invoice_line__invoice__status="issued")
        .filter(
            Q(period_end__isnull=False, period_end__lt=today)
            | Q(period_end__isnull=True, service_date__lt=first_of_month)
        )
        .select_related("client", "contract")
        .order_by("service_date", "id")
    )
    if since is not None:
        movements = movements.filter(service_date__gte=timezone.localdate(since))
    rows = list(movements[: LEAK_LIMIT + 1])
    if len(rows) > LEAK_LIMIT:
        report.truncated.append("not_invoiced")
        rows = rows[:LEAK_LIMIT]
    for movement in rows:
        report.not_invoiced.append(
            LeakLine(
                problem="not_invoiced",
                source_kind=movement.source_kind,
                source_id=movement.source_id,
                reference=movement.description or movement.key,
                client_name=movement.client.name,
                reason=_("Posted, not invoiced yet."),
                url=source_url(movement) or reverse("ledger:contract_ledger", args=[movement.contract_id]),
                day=movement.service_date,
                contract_id=movement.contract_id,
                contract_reference=movement.contract.reference,
                amount=movement.amount,
                movement_key=movement.key,
            )
        )


def leak_report(*, actor: Membership, since: datetime.datetime | None = None) -> LeakReport:
    """Work that matches no rule, is not posted, or is posted but not invoiced (managers only).

    - signed sheets and ticket time entries with no movement: matching no contract or no rule of
      their contract (``unmatched``), or not posted yet — the event queued, failed or dead, the
      entry waiting for the posting job (``unposted``);
    - movements whose sheet or time entry was deleted after posting (``source_gone``);
    - billable movements of an ended period not invoiced yet (``not_invoiced``).
    """
    require(can_see_leaks(actor))
    report = LeakReport()
    _leaking_sheets(actor, since, report)
    _leaking_entries(actor, since, report)
    _sources_gone(actor, since, report)
    _not_invoiced(actor, since, report)
    return report
