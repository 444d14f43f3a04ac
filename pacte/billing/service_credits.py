"""SLA service credits: the penalty grid and the guaranteed availability of a contract's service level,
turned into a proposed credit per contract and month, approved or rejected by a manager, then billed
once as a negative invoice line (or a credit note line when the month is already invoiced).

**What counts** (docs/billing.md, "SLA service credits"), for a contract and a month, the month being
read in the time zone of the contract's coverage calendar (the client's zone and public holidays):

- **breached restoration targets (GTR)**: each ticket covered by the contract whose restoration was due
  in the month and was breached — the recorded breach (``SlaNotice`` of kind *breach*, target
  *restoration*, its ``due`` in the month) when the SLA job recorded one, else the ticket's stored
  ``restoration_due`` in the month and the service restored (``restored_at``, else ``resolved_at``, else
  ``closed_at``) after it, or not restored at all by now. A ticket counts once, at its priority when the
  breach happened (the notice's), else its priority;
- **availability** of each covered service: Pacte has no "service down" flag, so an **outage** is a P1
  ticket of the contract (a critical monitoring alert is high impact × high urgency = P1 in the default
  matrix), from its opening to its restoration (else resolution, else closing, else now). The outages of
  one service (the ticket's category; no category = the contract's service as a whole) are merged (two
  tickets on one outage count its time once), cut to the month, and measured **in coverage hours** with
  the SLA engine (``business_seconds_between`` on the service level's calendar); availability = 1 −
  outage ÷ coverage time of the month. Below the guaranteed availability, each **started step** (0.10
  point by default) credits ``availability_credit_percent`` of the fee; the worst service counts;
- **credit** = fee of the month × min(cap, Σ grid % × breaches + availability %), to the cent. The fee
  of the month is the periodic fee in force on the contract's last day in the month, as a monthly
  amount (a quarter's ÷ 3, a year's ÷ 12), prorated by the calendar days the contract ran in the month.
  Worked example 4: two breached P1 restoration targets in October on a 900.00 € monthly fee, 5 % per
  breach capped at 20 % → 10 % → **90.00 €**, billed as −90.00 € excl. VAT.

The pure functions come first (no database); then the database layer, then the services.
"""

from __future__ import annotations

import calendar as pycalendar
import datetime
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

from pacte.audit.services import audit_record
from pacte.billing import domain, drafting  # the module: drafting may import this one inside draft_chunk
from pacte.billing.invoice_data import UNIT_ONE
from pacte.billing.models import Invoice, InvoiceKind, InvoiceLine, InvoiceStatus, LineKind
from pacte.billing.models_credits import CreditStatus, ServiceCredit
from pacte.billing.permissions import can_bill
from pacte.contracts.models import Contract
from pacte.contracts.terms import PERIOD_MONTHS
from pacte.core.bulk import rows_update
from pacte.core.errors import ConflictError
from pacte.servicedesk.models import SlaNotice, SlaNoticeKind, Ticket
from pacte.sla.calendars import Calendar
from pacte.sla.domain import business_seconds_between, local_instant
from pacte.sla.models import ServiceLevel
from pacte.sla.selectors import ticket_calendar
from pacte.tenancy.models import Client, Membership, Provider
from pacte.tenancy.permissions import require

HUNDRED = Decimal(100)
OUTAGE_PRIORITY = "P1"
RESTORATION = "restoration"
WHOLE_SERVICE = ""

# Pure rules ---------------------------------------------------------------------------------------


def month_end(first: datetime.date) -> datetime.date:
    return first.replace(day=pycalendar.monthrange(first.year, first.month)[1])


def monthly_fee(fee: Decimal, period: str, days_in_force: int, days_in_month: int) -> Decimal:
    """The fee of one month: a monthly amount (quarter ÷ 3, year ÷ 12) prorated by the days in force, to the cent."""
    if days_in_force <= 0 or days_in_month <= 0:
        return Decimal("0.00")
    monthly = Fraction(Decimal(fee)) / PERIOD_MONTHS[period]
    return _cents(monthly * Fraction(min(days_in_force, days_in_month), days_in_month))


def _cents(value: Fraction) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(domain.CENT, rounding=ROUND_HALF_UP)


def restoration_breached(
    due: datetime.datetime | None, stopped: datetime.datetime | None, now: datetime.datetime
) -> bool:
    """A restoration target is breached when it stopped after its due instant, or has not stopped by now past it."""
    if due is None:
        return False
    if stopped is None:
        return now > due
    return stopped > due


Interval = tuple[datetime.datetime, datetime.datetime]


def merge_intervals(intervals: Iterable[Interval]) -> list[Interval]:
    """Overlapping or touching intervals merged, sorted; empty ones dropped."""
    merged: list[list[datetime.datetime]] = []
    for start, end in sorted(item for item in intervals if item[1] > item[0]):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(start, end) for start, end in merged]


def clip(intervals: Iterable[Interval], start: datetime.datetime, end: datetime.datetime) -> list[Interval]:
    return [(max(a, start), min(b, end)) for a, b in intervals if b > start and a < end]


@dataclass(frozen=True)
class Availability:
    """One service's month: coverage and outage seconds in coverage hours, and what it credits."""

    service: str
    coverage_seconds: int
    outage_seconds: int
    target: Decimal | None
    step: Decimal
    percent_per_step: Decimal

    @property
    def ratio(self) -> Fraction:
        """Availability in percent, exact."""
        if self.coverage_seconds <= 0:
            return Fraction(100)
        up = max(self.coverage_seconds - self.outage_seconds, 0)
        return Fraction(100 * up, self.coverage_seconds)

    @property
    def percent(self) -> Decimal:
        """Availability in percent, to the thousandth (rounded down: 99.4999… is not 99.50)."""
        ratio = self.ratio
        return (Decimal(math.floor(ratio * 1000)) / 1000).quantize(Decimal("0.001"))

    @property
    def steps(self) -> int:
        """Started steps below the target (0 when met, or when none is guaranteed)."""
        if self.target is None or self.step <= 0:
            return 0
        shortfall = Fraction(Decimal(self.target)) - self.ratio
        if shortfall <= 0:
            return 0
        return math.ceil(shortfall / Fraction(Decimal(self.step)))

    @property
    def credit_percent(self) -> Decimal:
        return self.steps * Decimal(self.percent_per_step)

    def as_json(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "coverage_minutes": str(Decimal(self.coverage_seconds) / 60),
            "outage_minutes": str(Decimal(self.outage_seconds) / 60),
            "availability": str(self.percent),
            "steps": self.steps,
            "credit_percent": str(self.credit_percent),
        }


def credit_percent(
    breaches: Mapping[str, int], grid: Mapping[str, Decimal], availability_percent: Decimal, cap: Decimal
) -> tuple[Decimal, Decimal]:
    """(percent before the cap, percent after it): Σ grid % × breaches per priority + the availability %."""
    raw = sum((Decimal(grid.get(priority, 0)) * count for priority, count in breaches.items()), Decimal(0))
    raw += Decimal(availability_percent)
    return raw, min(raw, Decimal(cap))


def credit_amount(fee: Decimal, percent: Decimal) -> Decimal:
    """The credit excl. VAT: the fee × the percent, to the cent (half up)."""
    return domain.cents(Decimal(fee) * Decimal(percent) / HUNDRED)


# Reading the month --------------------------------------------------------------------------------


@dataclass
class Breach:
    ticket_id: int
    reference: str
    priority: str
    due: datetime.datetime | None
    stopped: datetime.datetime | None
    recorded: bool  # from the SLA job's breach record

    def as_json(self) -> dict[str, Any]:
        return {
            "ticket": self.ticket_id,
            "reference": self.reference,
            "priority": self.priority,
            "due": self.due.isoformat() if self.due else None,
            "restored_at": self.stopped.isoformat() if self.stopped else None,
            "recorded": self.recorded,
        }


@dataclass
class Computation:
    """A contract's month, computed: what the proposal stores."""

    contract: Contract
    first: datetime.date
    fee: Decimal
    breaches: list[Breach] = field(default_factory=list)
    availability: list[Availability] = field(default_factory=list)
    grid: dict[str, Decimal] = field(default_factory=dict)
    cap: Decimal = HUNDRED
    raw_percent: Decimal = Decimal(0)
    percent: Decimal = Decimal(0)
    amount: Decimal = Decimal("0.00")
    service_level: str = ""

    def detail(self) -> dict[str, Any]:
        counts: dict[str, int] = defaultdict(int)
        for breach in self.breaches:
            counts[breach.priority] += 1
        worst = max(self.availability, key=lambda item: item.credit_percent, default=None)
        return {
            "fee": str(self.fee),
            "service_level": self.service_level,
            "grid": {priority: str(percent) for priority, percent in sorted(self.grid.items())},
            "cap_percent": str(self.cap),
            "breaches": [breach.as_json() for breach in self.breaches],
            "breaches_per_priority": dict(sorted(counts.items())),
            "availability": {
                "target": str(worst.target) if worst and worst.target is not None else None,
                "step": str(worst.step) if worst else None,
                "percent_per_step": str(worst.percent_per_step) if worst else None,
                "services": [item.as_json() for item in self.availability],
                "credit_percent": str(worst.credit_percent) if worst else "0",
            },
            "raw_percent": str(self.raw_percent),
            "percent": str(self.percent),
            "amount": str(self.amount),
        }


def _month_instants(cal: Calendar, first: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """The month's first and after-last instants in the calendar's zone."""
    after = month_end(first) + datetime.timedelta(days=1)
    start = local_instant(cal.timezone, datetime.datetime(first.year, first.month, first.day))  # noqa: DTZ001
    end = local_instant(cal.timezone, datetime.datetime(after.year, after.month, after.day))  # noqa: DTZ001
    return start, end


def _stopped(ticket: Ticket) -> datetime.datetime | None:
    """When the restoration target stopped: restored, else resolved, else closed."""
    found = [at for at in (ticket.restored_at, ticket.resolved_at, ticket.closed_at) if at is not None]
    return min(found) if found else None


TICKET_FIELDS = (
    "pk",
    "contract_id",
    "reference",
    "priority",
    "category_id",
    "opened_at",
    "restoration_due",
    "restored_at",
    "resolved_at",
    "closed_at",
)


def _breaches(
    tickets: Sequence[Ticket],
    notices: Mapping[int, SlaNotice],
    start: datetime.datetime,
    end: datetime.datetime,
    now: datetime.datetime,
) -> list[Breach]:
    """The breached restoration targets due in [start, end): recorded ones first, else from the ticket's clock."""
    found = []
    for ticket in tickets:
        stopped = _stopped(ticket)
        notice = notices.get(ticket.pk)
        if notice is not None:
            recorded_due = notice.due or notice.at
            if start <= recorded_due < end:
                found.append(Breach(ticket.pk, ticket.reference, notice.priority, recorded_due, stopped, recorded=True))
            continue
        due = ticket.restoration_due
        if due is not None and start <= due < end and restoration_breached(due, stopped, now):
            found.append(Breach(ticket.pk, ticket.reference, ticket.priority, due, stopped, recorded=False))
    return sorted(found, key=lambda breach: (breach.due or start, breach.ticket_id))


def _availability(
    level: ServiceLevel,
    cal: Calendar,
    outages: Sequence[Ticket],
    start: datetime.datetime,
    end: datetime.datetime,
    now: datetime.datetime,
    names: Mapping[int, str],
) -> list[Availability]:
    if level.availability_target is None:
        return []
    coverage = business_seconds_between(cal, start, end)
    per_service: dict[str, list[Interval]] = defaultdict(list)
    for ticket in outages:
        stop = _stopped(ticket) or now
        service = names.get(ticket.category_id, WHOLE_SERVICE) if ticket.category_id else WHOLE_SERVICE
        per_service[service].append((ticket.opened_at, stop))
    services = sorted(per_service) or [WHOLE_SERVICE]
    out = []
    for service in services:
        intervals = clip(merge_intervals(per_service.get(service, [])), start, min(end, max(now, start)))
        outage = sum(business_seconds_between(cal, a, b) for a, b in intervals)
        out.append(
            Availability(
                service=service,
                coverage_seconds=coverage,
                outage_seconds=outage,
                target=level.availability_target,
                step=level.availability_step,
                percent_per_step=level.availability_credit_percent,
            )
        )
    return out


def _fee_of_month(contract: Contract, versions: drafting.Versions, first: datetime.date) -> tuple[Decimal, Any] | None:
    """(fee of the month, terms in force on the contract's last day in the month), or None without a fee."""
    last = month_end(first)
    day_one = max(first, contract.start_date)
    day_last = min(last, contract.end_date) if contract.end_date is not None else last
    if day_last < day_one:
        return None
    terms = versions.at(contract, day_last)
    if terms is None or terms.periodic_fee is None:
        return None
    fee, period = terms.periodic_fee
    return monthly_fee(fee, period, (day_last - day_one).days + 1, last.day), terms


def compute_month(
    contracts: Sequence[Contract],
    first: datetime.date,
    *,
    now: datetime.datetime | None = None,
    versions: drafting.Versions | None = None,
) -> list[Computation]:
    """The month's computation of each contract with a fee and a service level that credits something.

    Reads the contracts' versions, service levels, tickets and breach records in a constant number of
    queries, then one calendar per (service level, client) and the engine per contract.
    """
    now = now or timezone.now()
    last = month_end(first)
    versions = versions or drafting.Versions([contract.pk for contract in contracts])
    wanted: list[tuple[Contract, Decimal, int]] = []
    for contract in contracts:
        found = _fee_of_month(contract, versions, first)
        if found is None or found[1].service_level is None:
            continue
        wanted.append((contract, found[0], found[1].service_level))
    levels = {
        level.pk: level
        for level in ServiceLevel.objects.filter(pk__in={item[2] for item in wanted}).select_related(
            "calendar", "calendar__provider"
        )
    }
    wanted = [item for item in wanted if item[2] in levels and levels[item[2]].has_credits]
    if not wanted:
        return []
    ids = [item[0].pk for item in wanted]
    # A day either side: the month is read in each contract's zone below.
    wide_start = datetime.datetime.combine(first - datetime.timedelta(days=1), datetime.time(), tzinfo=datetime.UTC)
    wide_end = datetime.datetime.combine(last + datetime.timedelta(days=2), datetime.time(), tzinfo=datetime.UTC)
    notices = {
        notice.ticket_id: notice
        for notice in SlaNotice.objects.filter(
            ticket__contract_id__in=ids, target=RESTORATION, kind=SlaNoticeKind.BREACH
        ).filter(
            Q(due__gte=wide_start, due__lt=wide_end)
            | Q(due__isnull=True, at__gte=wide_start, at__lt=wide_end)
            | Q(ticket__restoration_due__gte=wide_start, ticket__restoration_due__lt=wide_end)
        )
    }
    tickets = Ticket.objects.filter(contract_id__in=ids).only(*TICKET_FIELDS)
    due_tickets = tickets.filter(
        Q(restoration_due__gte=wide_start, restoration_due__lt=wide_end) | Q(pk__in=list(notices))
    )
    outage_tickets = tickets.filter(priority=OUTAGE_PRIORITY, opened_at__lt=wide_end).exclude(
        Q(restored_at__lt=wide_start) | Q(restored_at__isnull=True, resolved_at__lt=wide_start)
    )
    by_contract: dict[int, list[Ticket]] = defaultdict(list)
    for ticket in due_tickets.order_by("pk"):
        by_contract[ticket.contract_id or 0].append(ticket)
    outages: dict[int, list[Ticket]] = defaultdict(list)
    for ticket in outage_tickets.order_by("pk"):
        outages[ticket.contract_id or 0].append(ticket)
    names = _category_names({t.category_id for found in outages.values() for t in found if t.category_id is not None})
    calendars: dict[tuple[int, int], Calendar] = {}
    results = []
    for contract, fee, level_id in wanted:
        level = levels[level_id]
        key = (level.pk, contract.client_id)
        if key not in calendars:
            calendars[key] = ticket_calendar(service_level=level, client=contract.client)
        cal = calendars[key]
        start, end = _month_instants(cal, first)
        item = Computation(contract=contract, first=first, fee=fee, service_level=level.name)
        item.grid = {p: level.credit_percent(p) for p in sorted(level.credit_grid or {})}
        item.cap = Decimal(level.credit_cap_percent)
        item.breaches = _breaches(by_contract.get(contract.pk, []), notices, start, end, now)
        item.availability = _availability(level, cal, outages.get(contract.pk, []), start, end, now, names)
        counts: dict[str, int] = defaultdict(int)
        for breach in item.breaches:
            counts[breach.priority] += 1
        worst = max((a.credit_percent for a in item.availability), default=Decimal(0))
        item.raw_percent, item.percent = credit_percent(counts, item.grid, worst, item.cap)
        item.amount = credit_amount(fee, item.percent)
        results.append(item)
    return results


def _category_names(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    from pacte.contracts.models import ServiceCategory

    return {
        pk: f"{code} — {name}"
        for pk, code, name in ServiceCategory.objects.filter(pk__in=ids).values_list("pk", "code", "name")
    }


# Services -----------------------------------------------------------------------------------------


def _month_first(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def credits_propose(
    provider: Provider,
    month_first: datetime.date,
    month_last: datetime.date,
    client: Client | None = None,
    *,
    now: datetime.datetime | None = None,
    versions: drafting.Versions | None = None,
) -> list[ServiceCredit]:
    """Compute the month's credits and store them as proposals; returns every credit of the month in scope.

    Idempotent: a *proposed* credit is recomputed (deleted when nothing is owed any more); an approved or
    rejected one is never touched. A month that has not started is refused (``BillingError``).
    """
    first = _month_first(month_first)
    if month_last != month_end(first):
        raise domain.BillingError(_("A service credit covers one whole calendar month."))
    if first > timezone.localdate():
        raise domain.BillingError(_("This month has not begun: there is nothing to credit yet."))
    if client is not None and client.provider_id != provider.pk:
        raise domain.BillingError(_("This client is not one of the provider's clients."))
    contracts = Contract.objects.filter(
        provider=provider, status__in=drafting.BILLED_STATUSES, start_date__lte=month_last
    )
    contracts = contracts.filter(Q(end_date__isnull=True) | Q(end_date__gte=first)).select_related("client")
    if client is not None:
        contracts = contracts.filter(client=client)
    computed = {
        item.contract.pk: item
        for item in compute_month(list(contracts.order_by("pk")), first, now=now, versions=versions)
    }
    stamp = timezone.now()
    with transaction.atomic():
        existing = {
            credit.contract_id: credit
            for credit in ServiceCredit.objects.select_for_update().filter(
                provider=provider, month=first, contract_id__in=contracts.values("pk")
            )
        }
        for contract_id, stale in existing.items():
            if stale.status == CreditStatus.PROPOSED and (
                contract_id not in computed or computed[contract_id].amount <= 0
            ):
                stale.delete()
        for contract_id, item in computed.items():
            if item.amount <= 0:
                continue
            credit = existing.get(contract_id)
            if credit is not None and credit.is_decided:
                continue
            values = {
                "amount": item.amount,
                "percent": item.percent,
                "detail": item.detail(),
                "computed_at": stamp,
                "client_id": item.contract.client_id,
            }
            if credit is None:
                try:
                    with transaction.atomic():
                        ServiceCredit.objects.create(provider=provider, contract=item.contract, month=first, **values)
                except IntegrityError:  # another run proposed it meanwhile: recompute it if still proposed
                    ServiceCredit.objects.filter(
                        contract=item.contract, month=first, status=CreditStatus.PROPOSED
                    ).update(**values)
            else:
                ServiceCredit.objects.filter(pk=credit.pk, status=CreditStatus.PROPOSED).update(**values)
    found = ServiceCredit.objects.filter(provider=provider, month=first).select_related("contract", "client")
    if client is not None:
        found = found.filter(client=client)
    return list(found.order_by("contract__reference", "pk"))


def _decide(actor: Membership, credit: ServiceCredit) -> ServiceCredit:
    require(can_bill(actor))
    locked = ServiceCredit.objects.select_for_update().filter(pk=credit.pk, provider_id=actor.provider_id).first()
    if locked is None:
        raise ServiceCredit.DoesNotExist
    if locked.is_decided:
        if locked.status == CreditStatus.APPROVED:
            raise ConflictError(_("This service credit is already approved."))
        raise ConflictError(_("This service credit is already rejected."))
    return locked


@transaction.atomic
def credit_approve(actor: Membership, credit: ServiceCredit) -> ServiceCredit:
    """Approve a proposed credit once its month is over: the next billing run bills it."""
    credit = _decide(actor, credit)
    if month_end(credit.month) >= timezone.localdate():
        raise ConflictError(_("The month is not over: its service credit may still change. Approve it afterwards."))
    credit.status = CreditStatus.APPROVED
    credit.decided_by = actor
    credit.decided_at = timezone.now()
    credit.save(update_fields=["status", "decided_by", "decided_at"])
    audit_record(
        actor=actor,
        action="billing.service_credit_approve",
        instance=credit,
        provider=actor.provider,
        after={"contract": credit.contract_id, "month": credit.month.isoformat(), "amount": str(credit.amount)},
    )
    return credit


@transaction.atomic
def credit_reject(actor: Membership, credit: ServiceCredit, reason: str) -> ServiceCredit:
    """Reject a proposed credit, saying why; it is never billed nor recomputed."""
    require(can_bill(actor))
    reason = (reason or "").strip()
    if not reason:
        raise domain.BillingError(_("Say why the service credit is rejected."))
    if len(reason) > 500:
        raise domain.BillingError(_("The reason is at most 500 characters long."))
    credit = _decide(actor, credit)
    credit.status = CreditStatus.REJECTED
    credit.decided_by = actor
    credit.decided_at = timezone.now()
    credit.reason = reason
    credit.save(update_fields=["status", "decided_by", "decided_at", "reason"])
    audit_record(
        actor=actor,
        action="billing.service_credit_reject",
        instance=credit,
        provider=actor.provider,
        after={
            "contract": credit.contract_id,
            "month": credit.month.isoformat(),
            "amount": str(credit.amount),
            "reason": reason,
        },
    )
    return credit


def _description(credit: ServiceCredit) -> str:
    month = date_format(credit.month, "F Y")
    text = _("SLA service credit — contract %(reference)s, %(month)s (%(percent)s %% of the fee)") % {
        "reference": credit.contract.reference,
        "month": month,
        "percent": number_format(credit.percent, 2),
    }
    return text[:300]


def credit_line_specs(
    contract_ids: Sequence[int], first: datetime.date, last: datetime.date
) -> dict[int, list[drafting.LineSpec]]:
    """The negative lines of the approved credits of these contracts not yet on a line, for the month
    ``first``–``last``'s drafts: credits of that month or an earlier one (an earlier month already
    invoiced gives its credit back on the next invoice, unless a credit note was made with
    :func:`credit_note_for`). One query. Call it after the drafts' old lines are deleted."""
    out: dict[int, list[drafting.LineSpec]] = defaultdict(list)
    credits = (
        ServiceCredit.objects.filter(
            contract_id__in=contract_ids, status=CreditStatus.APPROVED, invoice_line__isnull=True, month__lte=first
        )
        .select_related("contract", "client")
        .order_by("contract_id", "month")
    )
    with translation.override("fr"):
        for credit in credits:
            vat = domain.vat_rate_for(credit.client.postal_code, credit.client.country)
            out[credit.contract_id].append(
                drafting.LineSpec(
                    kind=LineKind.SERVICE_CREDIT,
                    description=_description(credit),
                    quantity=Decimal(1),
                    unit_code=UNIT_ONE,
                    unit_price=-credit.amount,
                    amount=-credit.amount,
                    vat_rate=vat,
                    period_start=credit.month,
                    period_end=month_end(credit.month),
                    source=credit.source,
                )
            )
    return dict(out)


def credit_lines_link(contract_ids: Sequence[int]) -> int:
    """Point each approved, unbilled credit of these contracts at the invoice line carrying its source
    (call it after the drafts' lines are created); returns how many were linked. Three queries at most."""
    credits = list(
        ServiceCredit.objects.filter(
            contract_id__in=contract_ids, status=CreditStatus.APPROVED, invoice_line__isnull=True
        ).only("pk", "contract_id", "month", "invoice_line")
    )
    if not credits:
        return 0
    lines = dict(
        InvoiceLine.objects.filter(source__in=[credit.source for credit in credits]).values_list("source", "pk")
    )
    linked = []
    for credit in credits:
        if credit.source in lines:
            credit.invoice_line_id = lines[credit.source]
            linked.append(credit)
    rows_update(ServiceCredit, linked, ["invoice_line"])
    return len(linked)


def credit_contracts_pending(provider_id: int, first: datetime.date) -> Any:
    """The contracts with an approved credit of this month or before not billed yet (a ``values`` queryset
    for ``drafting.candidate_contracts``: a contract no longer in force still gets its credit)."""
    return ServiceCredit.objects.filter(
        provider_id=provider_id, status=CreditStatus.APPROVED, invoice_line__isnull=True, month__lte=first
    ).values("contract_id")


@transaction.atomic
def credit_note_for(actor: Membership, credit: ServiceCredit) -> Invoice:
    """A draft credit note giving back an approved credit on its month's issued invoice (its fee line).

    For a credit whose month's invoice is already issued, instead of a negative line on the next
    invoice. The credit is linked to the credit note's line (deleting the draft note frees it again);
    issue the note with ``services.invoices_issue``.
    """
    require(can_bill(actor))
    credit = (
        ServiceCredit.objects.select_for_update()
        .select_related("contract")
        .filter(pk=credit.pk, provider_id=actor.provider_id)
        .first()
    ) or _missing()
    if credit.status != CreditStatus.APPROVED:
        raise ConflictError(_("Only an approved service credit is given back."))
    if credit.invoice_line_id is not None:
        raise ConflictError(_("This service credit is already on an invoice or a credit note."))
    invoice = Invoice.objects.filter(
        contract_id=credit.contract_id,
        billing_period=credit.month,
        kind=InvoiceKind.INVOICE,
        status=InvoiceStatus.ISSUED,
    ).first()
    if invoice is None:
        raise ConflictError(
            _("The month's invoice is not issued: the next billing run puts the service credit on an invoice.")
        )
    fee_line = invoice.lines.filter(kind=LineKind.FEE).order_by("-amount", "position").first()
    if fee_line is None or fee_line.amount < credit.amount:
        raise ConflictError(
            _("Invoice %(number)s has no fee line of at least %(amount)s € to credit.")
            % {"number": invoice.number, "amount": credit.amount}
        )
    from pacte.billing.services import credit_note_create

    with translation.override("fr"):
        reason = _description(credit)
    note = credit_note_create(actor=actor, invoice=invoice, lines={fee_line.pk: credit.amount}, reason=reason)
    line = note.lines.get()
    ServiceCredit.objects.filter(pk=credit.pk).update(invoice_line=line)
    credit.invoice_line = line
    return note


def _missing() -> ServiceCredit:
    raise ServiceCredit.DoesNotExist
