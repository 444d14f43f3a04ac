"""Preventive maintenance: plans attached to a contract, the visits of each contract year, their quota.

A plan promises ``visits_per_year`` visits in every contract year. Contract years run from the
contract's ``start_date`` anniversaries (:func:`contract_years`). The nightly job
(:mod:`pacte.interventions.preventive_jobs`) calls :func:`visits_generate`, which creates the visits
of every contract year that has started — idempotently: one row per (plan, year, sequence) thanks
to the unique constraint, however often and however concurrently it runs — and refreshes their
status with :func:`visit_refresh`.

Visit status, from the visit's sheets and the day (:func:`visit_refresh`):

- ``done``: a signed sheet for the visit (``done_at`` = its ``signed_at``);
- ``missed``: the contract year ended without a signed sheet;
- ``planned``: a non-cancelled unsigned sheet with a planned slot;
- ``due``: today is on or before ``due_until``;
- ``late``: today is after ``due_until`` but the contract year has not ended.

Rules chosen here (documented where they apply):

- A contract year cut short by the contract's end (``end_date``, or ``term_end``) keeps the full
  promised count: its ``visits_per_year`` due windows split the shortened year evenly, so every
  promised visit can still be planned inside the contract's period.
- A plan's visits start with the contract year in which the plan was recorded (``created_at``): a
  plan entered for a contract already running does not invent missed visits for the years before
  Pacte knew of it. Every later contract year that has started gets its visits.
- Changing ``visits_per_year``: more visits are added; with fewer, the extra visits (sequence above
  the new count) of years not yet ended that have no sheet at all are removed (visits planned, done or
  missed stay, as history). The due windows of visits without a sheet follow the new count.
- Archiving a plan removes its visits of years not yet ended that have no sheet; the rest stays.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pacte.assets.models import Asset
from pacte.audit.services import audit_record
from pacte.contracts import dates as contract_dates
from pacte.contracts.models import Contract, ContractStatus, ContractVersion
from pacte.contracts.selectors import contract_terms_at
from pacte.contracts.terms import ContractTerms
from pacte.core.errors import ConflictError
from pacte.interventions import planning, services
from pacte.interventions.models import (
    ChecklistItem,
    Intervention,
    Mode,
    PreventivePlan,
    PreventiveVisit,
    SheetStatus,
    VisitStatus,
)
from pacte.interventions.permissions import can_manage_interventions, can_work_interventions
from pacte.tenancy.models import Membership, Site

#: The checklist a new plan gets when none is given (labels translated when the plan is created).
DEFAULT_CHECKLIST: tuple[tuple[str, Any], ...] = (
    ("os_updates", gettext_lazy("Operating system updates")),
    ("backup_check", gettext_lazy("Backup check")),
    ("antivirus", gettext_lazy("Antivirus up to date")),
    ("disk_health", gettext_lazy("Disk health")),
    ("patches", gettext_lazy("Patches installed")),
)
#: Contracts whose plans generate visits (in force, or in their exit period).
GENERATING_STATUSES = (ContractStatus.ACTIVE, ContractStatus.NOTICE_GIVEN, ContractStatus.IN_EXIT)
#: Contracts that can no longer get a plan.
ENDED_STATUSES = (ContractStatus.CANCELLED, ContractStatus.CLOSED, ContractStatus.EXPIRED)
OPEN_VISIT_STATUSES = (VisitStatus.DUE, VisitStatus.PLANNED, VisitStatus.LATE)
NAME_MAX = 150
CHECKLIST_MAX = 30
DURATION_MIN, DURATION_MAX = 15, 24 * 60
VISITS_MAX = 52
#: Contract years looked at, at most (a safety net against absurd start dates).
YEARS_MAX = 100
_CODE = re.compile(r"^[a-z0-9_]{1,40}$")


def _today() -> datetime.date:
    return timezone.localdate()


# Visit status --------------------------------------------------------------------------------------


def visit_status(visit: PreventiveVisit, *, today: datetime.date) -> tuple[str, datetime.datetime | None]:
    """The status ``visit`` should have on ``today`` and its ``done_at``, from its sheets.

    One query, or none when the visit's ``interventions`` were prefetched.
    """
    signed_at: datetime.datetime | None = None
    planned = False
    for sheet in visit.interventions.all():
        if sheet.status == SheetStatus.CANCELLED:
            continue
        if sheet.status == SheetStatus.SIGNED and sheet.signed_at is not None:
            if signed_at is None or sheet.signed_at < signed_at:
                signed_at = sheet.signed_at
        elif sheet.planned_start is not None:
            planned = True
    if signed_at is not None:
        return VisitStatus.DONE, signed_at
    if today > visit.year_end:
        return VisitStatus.MISSED, None
    if planned:
        return VisitStatus.PLANNED, None
    if today <= visit.due_until:
        return VisitStatus.DUE, None
    return VisitStatus.LATE, None


def visit_refresh(visit: PreventiveVisit, *, today: datetime.date | None = None) -> PreventiveVisit:
    """Recompute ``visit``'s status from its sheets and the day; saves only when something changed."""
    status, done_at = visit_status(visit, today=today or _today())
    if status != visit.status or done_at != visit.done_at:
        visit.status = status
        visit.done_at = done_at
        visit.save(update_fields=["status", "done_at", "updated_at"])
    return visit


def _sheets_prefetch() -> Prefetch:
    return Prefetch(
        "interventions", queryset=Intervention.objects.only("id", "visit_id", "status", "signed_at", "planned_start")
    )


def visits_refresh(queryset: QuerySet[PreventiveVisit], *, today: datetime.date) -> int:
    """Refresh every visit of ``queryset`` still open (due, planned, late), and the missed ones a signed
    sheet has come for since (a visit signed after its year's end is done); how many changed."""
    changed = 0
    wanted = queryset.filter(
        Q(status__in=OPEN_VISIT_STATUSES) | Q(status=VisitStatus.MISSED, interventions__status=SheetStatus.SIGNED)
    ).distinct()
    for visit in wanted.prefetch_related(_sheets_prefetch()):
        before = (visit.status, visit.done_at)
        visit_refresh(visit, today=today)
        changed += (visit.status, visit.done_at) != before
    return changed


# Contract years and due windows --------------------------------------------------------------------


def contract_last_day(contract: Contract) -> datetime.date | None:
    """The contract's last day as known today: the earlier of ``end_date`` and ``term_end`` when set."""
    days = [day for day in (contract.end_date, contract.term_end) if day is not None]
    return min(days) if days else None


def contract_years(contract: Contract, *, today: datetime.date) -> list[tuple[datetime.date, datetime.date]]:
    """(first day, last day) of every contract year that has started by ``today``, within the contract's life.

    Years run from the ``start_date`` anniversaries; the last one stops at the contract's last day.
    """
    last_day = contract_last_day(contract)
    years: list[tuple[datetime.date, datetime.date]] = []
    for number in range(YEARS_MAX):
        first = contract_dates.anniversary(contract.start_date, 12 * number)
        if first > today or (last_day is not None and first > last_day):
            break
        last = contract_dates.anniversary(contract.start_date, 12 * (number + 1)) - datetime.timedelta(days=1)
        if last_day is not None and last > last_day:
            last = last_day
        years.append((first, last))
    return years


def contract_year_of(contract: Contract, day: datetime.date) -> tuple[datetime.date, datetime.date] | None:
    """The contract year containing ``day`` (None before the start or after the contract's last day)."""
    for first, last in reversed(contract_years(contract, today=day)):
        if first <= day <= last:
            return first, last
    return None


def due_windows(first: datetime.date, last: datetime.date, count: int) -> list[tuple[datetime.date, datetime.date]]:
    """``count`` windows splitting the days ``first``..``last`` evenly: visit k of N is due from
    ``first`` + (k−1)/N of the period until ``first`` + k/N of it − 1 day (at least one day each)."""
    days = (last - first).days + 1
    windows = []
    for k in range(1, count + 1):
        start = first + datetime.timedelta(days=(k - 1) * days // count)
        end = first + datetime.timedelta(days=k * days // count - 1)
        windows.append((start, max(start, end)))
    return windows


# Generation ----------------------------------------------------------------------------------------


@dataclass
class GenerateResult:
    created: int = 0
    removed: int = 0
    moved: int = 0
    refreshed: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"created": self.created, "removed": self.removed, "moved": self.moved, "refreshed": self.refreshed}


def _plan_generate(plan: PreventivePlan, *, today: datetime.date, result: GenerateResult) -> None:
    contract = plan.contract
    count = plan.visits_per_year
    recorded = timezone.localdate(plan.created_at)
    for first, last in contract_years(contract, today=today):
        if last < recorded:
            continue  # a year that ended before the plan was recorded: no promise was tracked then
        windows = due_windows(first, last, count)
        rows = [
            PreventiveVisit(
                provider_id=plan.provider_id,
                client_id=contract.client_id,
                contract_id=contract.pk,
                plan_id=plan.pk,
                year_start=first,
                year_end=last,
                sequence=sequence,
                due_from=due_from,
                due_until=due_until,
                status=VisitStatus.DUE,
            )
            for sequence, (due_from, due_until) in enumerate(windows, start=1)
        ]
        existing = PreventiveVisit.objects.filter(plan_id=plan.pk, year_start=first)
        before = existing.count()
        PreventiveVisit.objects.bulk_create(rows, ignore_conflicts=True)
        after = existing.count()
        result.created += max(0, after - before)
        if last < today:
            continue  # an ended year is history: only its statuses are refreshed
        # The year's end may have moved (notice given, term renewed): follow it.
        existing.exclude(year_end=last).update(year_end=last, updated_at=timezone.now())
        # Fewer visits: the extras nobody planned go; the windows of visits without a sheet follow the count.
        extras = existing.filter(sequence__gt=count, interventions__isnull=True).exclude(
            status__in=(VisitStatus.DONE, VisitStatus.MISSED)
        )
        result.removed += extras.delete()[0]
        for sequence, (due_from, due_until) in enumerate(windows, start=1):
            result.moved += (
                existing.filter(sequence=sequence, interventions__isnull=True)
                .exclude(due_from=due_from, due_until=due_until)
                .exclude(status__in=(VisitStatus.DONE, VisitStatus.MISSED))
                .update(due_from=due_from, due_until=due_until, updated_at=timezone.now())
            )


def visits_generate(*, plan: PreventivePlan | None = None, today: datetime.date | None = None) -> int:
    """Create the missing visits of every contract year that has started, then refresh the open ones.

    With ``plan``, that plan only (if active and its contract generates visits); else every active plan
    whose contract is in force or in its exit period. Returns how many visits were created. Running it
    any number of times, even concurrently, leaves exactly ``visits_per_year`` visits per contract year
    (``bulk_create(ignore_conflicts=True)`` on the unique (plan, year_start, sequence)).
    """
    return visits_generate_all(plan=plan, today=today).created


def visits_generate_all(*, plan: PreventivePlan | None = None, today: datetime.date | None = None) -> GenerateResult:
    """:func:`visits_generate` with every count (created, removed, moved windows, refreshed statuses)."""
    today = today or _today()
    result = GenerateResult()
    plans = PreventivePlan.objects.filter(
        archived_at__isnull=True, contract__status__in=GENERATING_STATUSES, contract__start_date__lte=today
    ).select_related("contract")
    if plan is not None:
        plans = plans.filter(pk=plan.pk)
    for each in plans.order_by("pk"):
        with transaction.atomic():
            _plan_generate(each, today=today, result=result)
    visits = PreventiveVisit.objects.all()
    if plan is not None:
        visits = visits.filter(plan_id=plan.pk)
    result.refreshed = visits_refresh(visits, today=today)
    return result


# Plans ---------------------------------------------------------------------------------------------


def default_checklist() -> list[dict[str, str]]:
    return [{"code": code, "label": str(label)} for code, label in DEFAULT_CHECKLIST]


def _clean_checklist(checklist: Any, errors: dict[str, str]) -> list[dict[str, str]]:
    if checklist is None:
        return default_checklist()
    if not isinstance(checklist, list | tuple):
        errors["checklist"] = _("The checklist is a list of checks, each with a code and a label.")
        return []
    if len(checklist) > CHECKLIST_MAX:
        errors["checklist"] = _("A checklist has at most %(count)s checks.") % {"count": CHECKLIST_MAX}
        return []
    cleaned: list[dict[str, str]] = []
    for entry in checklist:
        code = str(entry.get("code", "")).strip() if isinstance(entry, dict) else ""
        label = " ".join(str(entry.get("label", "")).split()) if isinstance(entry, dict) else ""
        if not _CODE.match(code):
            errors["checklist"] = _(
                "Each check needs a code of lowercase letters, digits and underscores (at most 40)."
            )
            return []
        if not label or len(label) > 200:
            errors["checklist"] = _("Each check needs a label (at most 200 characters).")
            return []
        if any(item["code"] == code for item in cleaned):
            errors["checklist"] = _("The code %(code)s is listed twice.") % {"code": code}
            return []
        cleaned.append({"code": code, "label": label})
    return cleaned


def contract_terms(contract: Contract, *, today: datetime.date | None = None) -> ContractTerms | None:
    """The terms in force today (or at the start for a contract not started yet; a draft's latest terms)."""
    today = today or _today()
    version = contract_terms_at(contract, max(today, contract.start_date))
    if version is None:
        last = contract_last_day(contract)
        if last is not None and today > last:
            version = contract_terms_at(contract, last)
    if version is None:
        version = ContractVersion.objects.filter(contract_id=contract.pk).order_by("-number").first()
    return version.terms if version is not None else None


def covered_assets(contract: Contract, *, terms: ContractTerms | None = None) -> QuerySet[Asset]:
    """The assets a contract covers: those its terms list, else every active asset of the client
    (on the contract's sites when its terms list sites)."""
    terms = terms if terms is not None else contract_terms(contract)
    queryset = Asset.objects.filter(
        provider_id=contract.provider_id, client_id=contract.client_id, archived_at__isnull=True
    )
    if terms is not None and terms.assets:
        return queryset.filter(pk__in=terms.assets)
    if terms is not None and terms.sites:
        return queryset.filter(site_id__in=terms.sites)
    return queryset


@dataclass
class PlanData:
    name: str
    visits_per_year: int
    mode: str
    duration_minutes: int
    checklist: list[dict[str, str]]
    assets: list[Asset]


def _plan_data(
    *,
    actor: Membership,
    contract: Contract,
    name: Any,
    visits_per_year: Any,
    mode: Any,
    duration_minutes: Any,
    checklist: Any,
    assets: Iterable[Asset],
) -> PlanData:
    if not can_manage_interventions(actor):
        raise PermissionDenied
    if contract.provider_id != actor.provider_id:
        raise PermissionDenied
    errors: dict[str, str] = {}
    name = " ".join(str(name or "").split())
    if not name:
        errors["name"] = _("Give the plan a name.")
    elif len(name) > NAME_MAX:
        errors["name"] = _("The name is too long (at most 150 characters).")
    try:
        visits = int(visits_per_year)
    except (TypeError, ValueError):
        visits = 0
    if not 1 <= visits <= VISITS_MAX:
        errors["visits_per_year"] = _("Between 1 and 52 visits per contract year.")
    try:
        duration = int(duration_minutes)
    except (TypeError, ValueError):
        duration = 0
    if not DURATION_MIN <= duration <= DURATION_MAX:
        errors["duration_minutes"] = _("A visit lasts between 15 minutes and 24 hours.")
    if contract.status in ENDED_STATUSES:
        errors["contract"] = _("This contract has ended or was cancelled: it can no longer get a plan.")
    terms = contract_terms(contract)
    if mode not in (Mode.ON_SITE, Mode.REMOTE):
        errors["mode"] = _("A preventive visit is on site or remote.")
    elif terms is not None and mode not in terms.intervention_modes:
        errors["mode"] = _("The contract does not provide for this mode of intervention.")
    cleaned = _clean_checklist(checklist, errors)
    asset_list = list(assets)
    if any(asset.provider_id != actor.provider_id or asset.client_id != contract.client_id for asset in asset_list):
        errors["assets"] = _("Every piece of equipment must be the contract's client's.")
    elif any(asset.archived_at is not None for asset in asset_list):
        errors["assets"] = _("An archived piece of equipment cannot be visited.")
    if errors:
        raise ValidationError(errors)
    return PlanData(name, visits, str(mode), duration, cleaned, asset_list)


def _snapshot(plan: PreventivePlan, asset_ids: Sequence[int]) -> dict[str, Any]:
    return {
        "name": plan.name,
        "contract": plan.contract_id,
        "visits_per_year": plan.visits_per_year,
        "mode": plan.mode,
        "duration_minutes": plan.duration_minutes,
        "checklist": [item["code"] for item in plan.checklist],
        "assets": sorted(asset_ids),
    }


@transaction.atomic
def plan_create(
    *,
    actor: Membership,
    contract: Contract,
    name: str,
    visits_per_year: int = 4,
    mode: str = Mode.ON_SITE,
    duration_minutes: int = 120,
    checklist: list[dict[str, str]] | None = None,
    assets: Iterable[Asset] = (),
) -> PreventivePlan:
    """A new plan for ``contract`` (managers). ``checklist`` None: the default checks; ``assets`` empty:
    every asset the contract covers. Its visits are generated at once when the contract is in force."""
    data = _plan_data(
        actor=actor,
        contract=contract,
        name=name,
        visits_per_year=visits_per_year,
        mode=mode,
        duration_minutes=duration_minutes,
        checklist=checklist,
        assets=assets,
    )
    plan = PreventivePlan.objects.create(
        provider_id=actor.provider_id,
        contract=contract,
        name=data.name,
        visits_per_year=data.visits_per_year,
        mode=data.mode,
        duration_minutes=data.duration_minutes,
        checklist=data.checklist,
        created_by=actor,
    )
    plan.assets.set(data.assets)
    audit_record(
        actor=actor,
        action="preventive.plan_create",
        instance=plan,
        provider=actor.provider,
        after=_snapshot(plan, [asset.pk for asset in data.assets]),
    )
    visits_generate(plan=plan)
    return plan


@transaction.atomic
def plan_update(
    *,
    actor: Membership,
    plan: PreventivePlan,
    name: str,
    visits_per_year: int,
    mode: str,
    duration_minutes: int,
    checklist: list[dict[str, str]] | None = None,
    assets: Iterable[Asset] = (),
) -> PreventivePlan:
    """Change a plan (managers); an archived plan is a 409. The visits follow (see the module's rules)."""
    if plan.provider_id != actor.provider_id:
        raise PermissionDenied
    locked = PreventivePlan.objects.select_for_update().select_related("contract").get(pk=plan.pk)
    if locked.archived_at is not None:
        raise ConflictError(_("This plan is archived."))
    data = _plan_data(
        actor=actor,
        contract=locked.contract,
        name=name,
        visits_per_year=visits_per_year,
        mode=mode,
        duration_minutes=duration_minutes,
        checklist=checklist if checklist is not None else locked.checklist,
        assets=assets,
    )
    before = _snapshot(locked, list(locked.assets.values_list("pk", flat=True)))
    locked.name = data.name
    locked.visits_per_year = data.visits_per_year
    locked.mode = data.mode
    locked.duration_minutes = data.duration_minutes
    locked.checklist = data.checklist
    locked.save()
    locked.assets.set(data.assets)
    audit_record(
        actor=actor,
        action="preventive.plan_update",
        instance=locked,
        provider=actor.provider,
        before=before,
        after=_snapshot(locked, [asset.pk for asset in data.assets]),
    )
    visits_generate(plan=locked)
    return locked


@transaction.atomic
def plan_archive(*, actor: Membership, plan: PreventivePlan) -> PreventivePlan:
    """Archive a plan (managers): no more visits; its visits of years not ended without a sheet go."""
    if not can_manage_interventions(actor) or plan.provider_id != actor.provider_id:
        raise PermissionDenied
    locked = PreventivePlan.objects.select_for_update().get(pk=plan.pk)
    if locked.archived_at is not None:
        return locked
    locked.archived_at = timezone.now()
    locked.save(update_fields=["archived_at", "updated_at"])
    removed = (
        PreventiveVisit.objects.filter(plan_id=locked.pk, year_end__gte=_today(), interventions__isnull=True)
        .exclude(status__in=(VisitStatus.DONE, VisitStatus.MISSED))
        .delete()[0]
    )
    audit_record(
        actor=actor,
        action="preventive.plan_archive",
        instance=locked,
        provider=actor.provider,
        after={"archived": True, "visits_removed": removed},
    )
    return locked


# Scheduling a visit --------------------------------------------------------------------------------


def plan_assets(plan: PreventivePlan) -> list[Asset]:
    """The assets a visit of ``plan`` covers: the plan's own, else every asset the contract covers."""
    chosen = list(plan.assets.filter(archived_at__isnull=True).order_by("name", "pk"))
    return chosen or list(covered_assets(plan.contract).order_by("name", "pk"))


@transaction.atomic
def visit_site(assets: Sequence[Asset]) -> Site | None:
    """The site a visit goes to: the one site of its assets, else none (the client's address)."""
    sites = {asset.site_id: asset.site for asset in assets if asset.site_id is not None}
    return next(iter(sites.values())) if len(sites) == 1 else None


def visit_zone(visit: PreventiveVisit, assets: Sequence[Asset]) -> ZoneInfo:
    """The time zone a visit's slot is typed in: its site's, else its client's."""
    site = visit_site(assets)
    return ZoneInfo(site.effective_time_zone if site is not None else visit.client.time_zone)


def visit_schedule(
    *,
    actor: Membership,
    visit: PreventiveVisit,
    start: datetime.datetime,
    end: datetime.datetime,
    technicians: Sequence[Membership] = (),
    allow_conflict: bool = False,
) -> Intervention:
    """Plan ``visit``: a sheet for its slot with the plan's checklist, one check per (asset, entry).

    A technician already planned elsewhere at that time is refused (``technicians``), as on the
    planning board, unless ``allow_conflict``.

    The assets are the plan's, else those the contract covers (its terms' ``assets``; when it lists
    none, every active asset of the client, on the contract's sites if it lists sites); with no asset
    at all, one check per entry. A visit with a live (not cancelled) sheet, done or missed, is a 409.
    The slot must lie inside the visit's contract year (and the contract's period: ``sheet_create``).
    """
    if not can_work_interventions(actor):
        raise PermissionDenied
    if visit.provider_id != actor.provider_id:
        raise PermissionDenied
    locked = PreventiveVisit.objects.select_for_update().select_related("plan__contract", "client").get(pk=visit.pk)
    if locked.interventions.exclude(status=SheetStatus.CANCELLED).exists():
        raise ConflictError(_("This visit already has a sheet: open it to change its slot."))
    if locked.status in (VisitStatus.DONE, VisitStatus.MISSED):
        raise ConflictError(_("This visit is done or missed: it can no longer be planned."))
    plan = locked.plan
    if plan.archived_at is not None:
        raise ConflictError(_("This plan is archived."))
    assets = plan_assets(plan)
    site = visit_site(assets)
    if start is None or end is None:
        raise ValidationError({"planned_start": _("A visit is planned with a start and an end.")})
    zone = visit_zone(locked, assets)
    day_first = start.astimezone(zone).date()
    day_last = (end - datetime.timedelta(seconds=1)).astimezone(zone).date()
    if end > start and (day_first < locked.year_start or day_last > locked.year_end):
        raise ValidationError(
            {
                "planned_start": _("A visit of this contract year is planned between %(first)s and %(last)s.")
                % {"first": locked.year_start.strftime("%d/%m/%Y"), "last": locked.year_end.strftime("%d/%m/%Y")}
            }
        )
    if not allow_conflict:
        for technician in technicians:
            others = planning.conflicts(technician=technician, start=start, end=end)
            if others:
                raise ValidationError({"technicians": planning.conflict_message(technician, others[0], zone)})
    sheet = services.sheet_create(
        actor=actor,
        client=locked.client,
        title=_("Preventive visit %(sequence)s/%(count)s — %(plan)s")
        % {"sequence": locked.sequence, "count": plan.visits_per_year, "plan": plan.name},
        mode=plan.mode,
        site=site,
        contract=plan.contract,
        visit=locked,
        assets=assets,
        technicians=technicians,
        planned_start=start,
        planned_end=end,
    )
    items = []
    position = 0
    targets: list[Asset | None] = [*assets] or [None]
    for asset in targets:
        for entry in plan.checklist:
            items.append(
                ChecklistItem(
                    intervention=sheet, asset=asset, position=position, code=entry["code"], label=entry["label"]
                )
            )
            position += 1
    ChecklistItem.objects.bulk_create(items)
    audit_record(
        actor=actor,
        action="preventive.visit_schedule",
        instance=locked,
        provider=actor.provider,
        after={"sheet": sheet.reference, "checks": len(items)},
    )
    visit_refresh(locked)
    return sheet
