"""Posting work to the ledger: a signed sheet and a ticket's time entry, each exactly once.

**A signed sheet** (the ``intervention.sheet_signed`` event, ``handlers.py``): the event's payload is
the sheet as signed (time entries with their raw start and end and their minute split, parts,
travel). The contract named on the sheet and its terms in force on the *service date* (the check-in
day in the site's time zone, else the day of the first entry) price it (``pricing.price_intervention``),
and the billing model says what is posted:

=========================================  =====================================================
fixed fee, included hours                  ``sheet:<id>:consumption`` −hours on the hours account
fixed fee, included interventions          ``sheet:<id>:consumption`` −1 on the interventions account
fixed fee without an included volume,      ``sheet:<id>:consumption`` −hours on the hours account,
unlimited, milestones                      for tracking: not billable (unlimited work is taken as
                                           in scope — a sheet does not say otherwise yet)
time and materials                         ``sheet:<id>:charge`` on the euros account, billable,
                                           amount = the priced total (labour + travel time + fee)
prepaid credits                            ``sheet:<id>:consumption`` −hours on the block's account
                                           (unit ``hours``, where the blocks are posted)
every model except time and materials      ``sheet:<id>:travel``: the travel fee, billable, when > 0
every model, each part with a unit price   ``sheet:<id>:part:<part id>`` on the euros account,
                                           billable, amount = quantity × unit price
=========================================  =====================================================

On the euros account a charge is negative (the client owes it) and its ``amount`` positive (what an
invoice line will bill). No contract, no terms in force that day, a catalogue contract (the sheet
names no task) or an unknown travel zone: nothing is posted, and the leak report lists the sheet.

**A correcting sheet** (``corrects_id`` in the payload) first reverses every movement of the sheet
it corrects — ``sheet:<old id>:reversed-by:<new id>:<what>``, the opposite quantity and amount on the
same account, dated and snapshotted as the original — then posts its own movements: the corrected
sheet's work counts once, as corrected.

**A ticket's time entry** (remote work, ``ticket_time_post``), posted by the periodic job once it is
15 minutes old (its author may still fix it): priced alone, as remote work — rounded up, but without
the minimum per intervention (that belongs to an intervention sheet; a ticket's work comes in pieces).
``time_entry:<id>:consumption`` (or ``:charge`` on time and materials).

Every movement keeps the rule snapshot (``rules.snapshot``) and the pricing's ``detail``.
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import CharField, Exists, OuterRef, QuerySet
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from pacte.contracts.selectors import contract_terms_at
from pacte.contracts.terms import ContractTerms, FixedFee, Milestones, PerTask, PrepaidCredits, TimeAndMaterials
from pacte.interventions import timing
from pacte.interventions.models import Intervention, Mode, TimeEntry
from pacte.ledger import pricing, rules
from pacte.ledger.models import Movement, MovementKind, SourceKind, Unit
from pacte.ledger.services import movement_post

logger = logging.getLogger("pacte.ledger")

SHEET_EVENT = "intervention.sheet_signed"
#: A ticket's time entry is posted once it is this old (its author may still correct it before).
TICKET_TIME_DELAY = datetime.timedelta(minutes=15)
CENT = Decimal("0.01")
CATEGORIES: tuple[pricing.Category, ...] = ("in_hours", "after_hours", "weekend")


class Unpostable(Exception):
    """The work matches no rule of its contract: nothing is posted (the leak report says why)."""


@dataclass(frozen=True)
class Planned:
    """One movement to post (``movement_post``'s arguments)."""

    unit: str
    kind: str
    quantity: Decimal
    what: str
    amount: Decimal | None = None
    billable: bool = False
    description: str = ""
    detail: dict[str, Any] = field(default_factory=dict)


# Reading the payload ------------------------------------------------------------------------------


def _moment(value: Any) -> datetime.datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        return value
    return datetime.datetime.fromisoformat(str(value))


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    return Decimal(str(value))


def _zone(site: Any, client: Any) -> str:
    zone = site.effective_time_zone if site is not None else client.time_zone
    return zone or timing.DEFAULT_TIME_ZONE


def local_day(moment: datetime.datetime, time_zone: str) -> datetime.date:
    return moment.astimezone(ZoneInfo(time_zone or timing.DEFAULT_TIME_ZONE)).date()


# Terms → what to post -------------------------------------------------------------------------------


def terms_problem(terms: ContractTerms | None, *, travel_zone: str = "") -> str:
    """Why ``terms`` cannot price a sheet (empty: they can)."""
    if terms is None:
        return _("No terms of the contract are in force on the service date.")
    if isinstance(terms.billing_model, PerTask):
        return _("A catalogue contract prices tasks: the sheet names no task.")
    zone = (travel_zone or "").strip()
    if zone and zone not in {z.code for z in terms.travel.zones}:
        return _("The travel zone %(zone)s is not one of the contract's.") % {"zone": zone}
    return ""


def _rule(terms: ContractTerms) -> dict[str, Any]:
    snapshot = dict(rules.snapshot(terms))
    # A sheet does not say whether its work was in scope yet: posted work is taken as in scope.
    snapshot["scope"] = {**snapshot.get("scope", {}), "in_scope": True}
    return snapshot


def _labour_plan(terms: ContractTerms, priced: pricing.Priced, label: str) -> list[Planned]:
    """The labour movement of one priced piece of work, by billing model."""
    model = terms.billing_model
    detail = priced.detail()
    hours = priced.hours_consumed
    if isinstance(model, TimeAndMaterials):
        total = priced.total if priced.total is not None else Decimal(0)
        return [
            Planned(
                unit=Unit.EUROS,
                kind=MovementKind.CONSUMPTION,
                quantity=-total,
                amount=total,
                billable=True,
                what="charge",
                description=label,
                detail=detail,
            )
        ]
    if isinstance(model, FixedFee) and model.included_unit == "interventions":
        return [
            Planned(
                unit=Unit.INTERVENTIONS,
                kind=MovementKind.CONSUMPTION,
                quantity=Decimal(-1),
                what="consumption",
                description=label,
                detail=detail,
            )
        ]
    unit: str
    if isinstance(model, PrepaidCredits):
        unit = model.block_unit
    else:  # fixed fee (hours, or no volume: tracking), unlimited and milestones (tracking)
        unit = Unit.HOURS
    if isinstance(model, Milestones) or (isinstance(model, FixedFee) and model.included_unit == "none"):
        detail = {**detail, "tracking_only": True}
    return [
        Planned(
            unit=unit,
            kind=MovementKind.CONSUMPTION,
            quantity=-hours,
            what="consumption",
            description=label,
            detail=detail,
        )
    ]


def _travel_plan(terms: ContractTerms, priced: pricing.Priced, label: str) -> list[Planned]:
    if isinstance(terms.billing_model, TimeAndMaterials):
        return []  # in the charge's total
    fee = priced.travel_fee + priced.travel_time_amount
    if fee <= 0:
        return []
    return [
        Planned(
            unit=Unit.EUROS,
            kind=MovementKind.CONSUMPTION,
            quantity=-fee,
            amount=fee,
            billable=True,
            what="travel",
            description=_("Travel, %(label)s") % {"label": label},
            detail={"travel": priced.detail()["travel"]},
        )
    ]


def _part_plan(parts: Iterable[dict[str, Any]], label: str) -> list[Planned]:
    planned = []
    for part in parts:
        unit_price = _decimal(part.get("unit_price"))
        quantity = _decimal(part.get("quantity")) or Decimal(0)
        if unit_price is None:
            continue
        amount = pricing.money(quantity * unit_price)
        planned.append(
            Planned(
                unit=Unit.EUROS,
                kind=MovementKind.CONSUMPTION,
                quantity=-amount,
                amount=amount,
                billable=True,
                what=f"part:{part['id']}",
                description=f"{label} — {part.get('description', '')}",
                detail={
                    "part_id": part["id"],
                    "description": part.get("description", ""),
                    "quantity": str(quantity),
                    "unit_price": str(unit_price),
                    "serial_in": part.get("serial_in", ""),
                    "serial_out": part.get("serial_out", ""),
                },
            )
        )
    return planned


# Entries → EntryTime ------------------------------------------------------------------------------


class Calendars:
    """Coverage calendars by (contract, site, client, local day): built once per posting run."""

    def __init__(self) -> None:
        self._cache: dict[tuple[Any, ...], Any] = {}

    def get(self, *, contract: Any, site: Any, client: Any, at: datetime.datetime) -> Any:
        key = (
            getattr(contract, "pk", None),
            getattr(site, "pk", None),
            client.pk,
            local_day(at, _zone(site, client)),
        )
        if key not in self._cache:
            self._cache[key] = timing.coverage_calendar(contract=contract, site=site, client=client, at=at)
        return self._cache[key]


def _category_at(calendar: Any, start: datetime.datetime, end: datetime.datetime) -> pricing.Category:
    split = timing.split_seconds(calendar, start, end)
    return CATEGORIES[max(range(3), key=lambda i: (split[i], -i))]


def entry_time(
    entry: dict[str, Any], *, calendars: Calendars, contract: Any, site: Any, client: Any
) -> pricing.EntryTime:
    """One time entry (as the payload or ``_entry_dict`` gives it) as the pricing sees it."""
    started = _moment(entry["started_at"])
    ended = _moment(entry["ended_at"])
    assert started is not None and ended is not None
    calendar = calendars.get(contract=contract, site=site, client=client, at=started)
    minute = datetime.timedelta(minutes=1)
    first_end = min(ended, started + minute)
    last_start = max(started, ended - minute)
    last_calendar = calendars.get(contract=contract, site=site, client=client, at=last_start)
    return pricing.EntryTime(
        nature=entry.get("nature") or "labour",
        started_at=started,
        ended_at=ended,
        minutes_in_hours=int(entry.get("minutes_in_hours") or 0),
        minutes_after_hours=int(entry.get("minutes_after_hours") or 0),
        minutes_weekend=int(entry.get("minutes_weekend") or 0),
        first_category=_category_at(calendar, started, first_end),
        last_category=_category_at(last_calendar, last_start, ended),
    )


def _entry_dict(entry: TimeEntry) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "nature": entry.nature,
        "started_at": entry.started_at,
        "ended_at": entry.ended_at,
        "minutes_in_hours": entry.minutes_in_hours,
        "minutes_after_hours": entry.minutes_after_hours,
        "minutes_weekend": entry.minutes_weekend,
    }


# Signed sheets ----------------------------------------------------------------------------------------


def sheet_service_date(sheet: Intervention, payload: dict[str, Any]) -> datetime.date:
    """The check-in day in the site's time zone; else the first entry's day; else the signature's."""
    zone = _zone(sheet.site, sheet.client)
    moments = [
        _moment(payload.get("checked_in_at")),
        *(_moment(e.get("started_at")) for e in payload.get("time_entries") or []),
        _moment(payload.get("signed_at")),
        sheet.signed_at,
    ]
    for moment in moments:
        if moment is not None:
            return local_day(moment, zone)
    return timezone.localdate()


def sheet_plan(
    sheet: Intervention, payload: dict[str, Any], *, calendars: Calendars | None = None
) -> tuple[ContractTerms, datetime.date, list[Planned]]:
    """What posting the signed ``sheet`` (its event ``payload``) writes; ``Unpostable`` when nothing can be."""
    contract = sheet.contract
    if contract is None:
        raise Unpostable(_("The sheet names no contract."))
    day = sheet_service_date(sheet, payload)
    version = contract_terms_at(contract, day)
    terms = version.terms if version is not None else None
    travel = payload.get("travel") or {}
    problem = terms_problem(terms, travel_zone=travel.get("zone") or "")
    if problem:
        raise Unpostable(problem)
    assert terms is not None
    calendars = calendars or Calendars()
    entries = [
        entry_time(entry, calendars=calendars, contract=contract, site=sheet.site, client=sheet.client)
        for entry in payload.get("time_entries") or []
    ]
    try:
        priced = pricing.price_intervention(
            entries,
            rules.rules_from_terms(terms),
            on_site=(payload.get("mode") or sheet.mode) == Mode.ON_SITE,
            travel_zone=travel.get("zone") or "",
            travel_km=_decimal(travel.get("km")),
        )
    except pricing.PricingError as error:
        raise Unpostable(str(error)) from error
    label = payload.get("reference") or sheet.reference
    planned = [
        *_labour_plan(terms, priced, label),
        *_travel_plan(terms, priced, label),
        *_part_plan(payload.get("parts") or [], label),
    ]
    return terms, day, planned


def _thresholds(movements: Iterable[Movement], day: datetime.date) -> None:
    """Check the alert thresholds of the allowance accounts just consumed (never fails the posting:
    the nightly job checks them again)."""
    from pacte.ledger import alerts

    accounts = {m.account_id: m.account for m in movements if m.account.unit != Unit.EUROS}
    for account in accounts.values():
        try:
            with transaction.atomic():
                alerts.thresholds_check(account, day)
        except Exception:
            logger.exception("Thresholds of account %s not checked after posting", account.pk)


def _reverse(old_sheet_id: int, new_sheet_id: int) -> list[Movement]:
    """The opposite of every movement the corrected sheet posted (its own, not its reversals)."""
    posted = []
    originals = Movement.objects.filter(
        source_kind=SourceKind.SHEET, source_id=str(old_sheet_id), key__startswith=f"sheet:{old_sheet_id}:"
    ).select_related("contract", "account")
    for original in originals.order_by("id"):
        what = original.key.removeprefix(f"sheet:{old_sheet_id}:")
        movement, _created = movement_post(
            contract=original.contract,
            unit=original.account.unit,
            kind=original.kind,
            quantity=-original.quantity,
            amount=None if original.amount is None else -original.amount,
            billable=original.billable,
            service_date=original.service_date,
            source_kind=SourceKind.SHEET,
            source_id=new_sheet_id,
            key=f"sheet:{old_sheet_id}:reversed-by:{new_sheet_id}:{what}",
            rule=original.rule,
            detail={"reverses": original.key},
            description=_("Reversal of %(key)s") % {"key": original.key},
            period=(original.period_start, original.period_end)
            if original.period_start and original.period_end
            else None,
        )
        posted.append(movement)
    return posted


def sheet_post(sheet: Intervention, payload: dict[str, Any]) -> list[Movement]:
    """Post a signed sheet once (a second call posts nothing new and returns the same movements).

    Raises ``Unpostable`` when the sheet matches no contract or no rule (nothing is posted).
    """
    terms, day, planned = sheet_plan(sheet, payload)
    assert sheet.contract is not None
    posted: list[Movement] = []
    corrects = payload.get("corrects_id")
    if corrects:
        posted.extend(_reverse(int(corrects), sheet.pk))
    rule = _rule(terms)
    for item in planned:
        movement, _created = movement_post(
            contract=sheet.contract,
            unit=item.unit,
            kind=item.kind,
            quantity=item.quantity,
            amount=item.amount,
            billable=item.billable,
            service_date=day,
            source_kind=SourceKind.SHEET,
            source_id=sheet.pk,
            key=f"sheet:{sheet.pk}:{item.what}",
            rule=rule,
            detail=item.detail,
            description=item.description,
        )
        posted.append(movement)
    _thresholds(posted, day)
    return posted


def sheet_signed(event: Any) -> list[Movement]:
    """The ``intervention.sheet_signed`` handler's work: post the sheet, or nothing when it is unpostable."""
    payload = event.payload
    sheet = (
        Intervention.objects.select_related("contract", "site", "client")
        .filter(pk=payload.get("sheet_id"), provider_id=event.provider_id)
        .first()
    )
    if sheet is None:
        return []
    try:
        return sheet_post(sheet, payload)
    except Unpostable as problem:
        logger.info("Sheet %s not posted: %s", sheet.pk, problem)
        return []


# Ticket time entries ---------------------------------------------------------------------------------


def ticket_time_plan(
    entry: TimeEntry, *, calendars: Calendars | None = None
) -> tuple[ContractTerms, datetime.date, list[Planned]]:
    """What posting a ticket's ``entry`` writes; ``Unpostable`` when nothing can be."""
    contract = entry.contract
    if contract is None:
        raise Unpostable(_("The ticket names no contract."))
    ticket = entry.ticket
    site = ticket.site if ticket is not None else None
    day = local_day(entry.started_at, _zone(site, entry.client))
    version = contract_terms_at(contract, day)
    terms = version.terms if version is not None else None
    problem = terms_problem(terms)
    if problem:
        raise Unpostable(problem)
    assert terms is not None
    calendars = calendars or Calendars()
    time = entry_time(_entry_dict(entry), calendars=calendars, contract=contract, site=site, client=entry.client)
    ticket_rules = dataclasses.replace(rules.rules_from_terms(terms), minimum_minutes_per_intervention=0)
    try:
        priced = pricing.price_intervention([time], ticket_rules, on_site=False)
    except pricing.PricingError as error:
        raise Unpostable(str(error)) from error
    label = _("Ticket %(reference)s") % {"reference": ticket.reference if ticket is not None else "?"}
    return terms, day, _labour_plan(terms, priced, label)


def ticket_time_post(entry: TimeEntry, *, calendars: Calendars | None = None) -> list[Movement]:
    """Post a ticket's time entry once; ``Unpostable`` when it matches no contract or no rule."""
    if entry.intervention_id is not None:
        raise ValueError("an entry on a sheet is posted with its signed sheet")
    terms, day, planned = ticket_time_plan(entry, calendars=calendars)
    assert entry.contract is not None
    rule = _rule(terms)
    posted = []
    for item in planned:
        movement, _created = movement_post(
            contract=entry.contract,
            unit=item.unit,
            kind=item.kind,
            quantity=item.quantity,
            amount=item.amount,
            billable=item.billable,
            service_date=day,
            source_kind=SourceKind.TIME_ENTRY,
            source_id=entry.pk,
            key=f"time_entry:{entry.pk}:{item.what}",
            rule=rule,
            detail={**item.detail, "ticket_id": entry.ticket_id, "technician_id": entry.technician_id},
            description=item.description,
        )
        posted.append(movement)
    _thresholds(posted, day)
    return posted


def posted_sources(source_kind: str) -> QuerySet[Movement]:
    """Movements of ``source_kind`` for ``Exists(...)`` against an outer row's primary key."""
    return Movement.objects.filter(source_kind=source_kind, source_id=Cast(OuterRef("pk"), output_field=CharField()))


def unposted_ticket_entries(*, before: datetime.datetime | None = None) -> QuerySet[TimeEntry]:
    """Ticket time entries (not on a sheet) without a movement, created before ``before`` (one query)."""
    queryset = TimeEntry.objects.filter(intervention__isnull=True, ticket__isnull=False).exclude(
        Exists(posted_sources(SourceKind.TIME_ENTRY))
    )
    if before is not None:
        queryset = queryset.filter(created_at__lte=before)
    return queryset


def ticket_time_post_due(*, now: datetime.datetime | None = None, limit: int = 500) -> dict[str, int]:
    """Post the ticket entries at least 15 minutes old not posted yet (the periodic job's work)."""
    now = now or timezone.now()
    entries = (
        unposted_ticket_entries(before=now - TICKET_TIME_DELAY)
        .filter(contract__isnull=False)
        .select_related("contract", "client", "ticket__site")
        .order_by("created_at", "id")[:limit]
    )
    calendars = Calendars()
    outcome = {"posted": 0, "unpostable": 0}
    for entry in entries:
        try:
            with transaction.atomic():
                ticket_time_post(entry, calendars=calendars)
        except Unpostable:
            outcome["unpostable"] += 1
        except Exception:  # one entry's failure does not stop the others; the leak report shows it
            logger.exception("Time entry %s could not be posted", entry.pk)
            outcome["failed"] = outcome.get("failed", 0) + 1
        else:
            outcome["posted"] += 1
    return outcome


__all__ = [
    "Planned",
    "Unpostable",
    "sheet_plan",
    "sheet_post",
    "sheet_signed",
    "ticket_time_plan",
    "ticket_time_post",
    "ticket_time_post_due",
    "unposted_ticket_entries",
]
