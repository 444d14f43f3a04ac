"""Preventive plans and visits: validation, the idempotent generation per contract year, statuses, scheduling."""

from __future__ import annotations

import datetime
import threading
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from pacte.audit.models import AuditEvent
from pacte.core.errors import ConflictError
from pacte.interventions import preventive, preventive_selectors
from pacte.interventions.models import (
    ChecklistItem,
    Intervention,
    PreventivePlan,
    PreventiveVisit,
    SheetStatus,
    VisitStatus,
)
from pacte.interventions.tests.helpers import asset, covered_contract
from pacte.interventions.tests.helpers import sheet as helpers_sheet

PARIS = ZoneInfo("Europe/Paris")
START = datetime.date(2025, 1, 1)


def _plan(tenant: Any, contract: Any, **kwargs: Any) -> PreventivePlan:
    kwargs.setdefault("name", "Maintenance trimestrielle")
    kwargs.setdefault("visits_per_year", 4)
    return preventive.plan_create(actor=tenant.manager, contract=contract, **kwargs)


def _fixed_plan(tenant: Any, **kwargs: Any) -> PreventivePlan:
    """A plan on a 2-year contract from 1 January 2025, its visits left to the test's own days."""
    plan = _plan(tenant, covered_contract(tenant, start=START, months=24), **kwargs)
    PreventiveVisit.objects.filter(plan=plan).delete()
    # Recorded when the contract started, so that its first contract year has visits.
    PreventivePlan.objects.filter(pk=plan.pk).update(created_at=datetime.datetime(2025, 1, 1, tzinfo=PARIS))
    plan.refresh_from_db()
    return plan


def _sign(sheet: Intervention, at: datetime.datetime) -> None:
    """Signed without the ceremony (the signature itself is tested with the signing service)."""
    Intervention.objects.filter(pk=sheet.pk).update(status=SheetStatus.SIGNED, signed_at=at, signer_name="M. Test")


def _slot(day: datetime.date, hour: int = 9) -> tuple[datetime.datetime, datetime.datetime]:
    start = datetime.datetime.combine(day, datetime.time(hour), tzinfo=PARIS)
    return start, start + datetime.timedelta(hours=2)


def _recent_contract(tenant: Any, days_ago: int = 30, months: int = 24, **terms: Any) -> Any:
    return covered_contract(
        tenant, start=timezone.localdate() - datetime.timedelta(days=days_ago), months=months, **terms
    )


# Contract years and windows ------------------------------------------------------------------------


def test_due_windows_split_the_year_evenly() -> None:
    windows = preventive.due_windows(datetime.date(2025, 1, 1), datetime.date(2025, 12, 31), 4)
    assert windows == [
        (datetime.date(2025, 1, 1), datetime.date(2025, 4, 1)),
        (datetime.date(2025, 4, 2), datetime.date(2025, 7, 1)),
        (datetime.date(2025, 7, 2), datetime.date(2025, 9, 30)),
        (datetime.date(2025, 10, 1), datetime.date(2025, 12, 31)),
    ]
    monthly = preventive.due_windows(datetime.date(2025, 3, 15), datetime.date(2026, 3, 14), 12)
    assert monthly[0][0] == datetime.date(2025, 3, 15) and monthly[-1][1] == datetime.date(2026, 3, 14)
    assert all(a[1] + datetime.timedelta(days=1) == b[0] for a, b in zip(monthly, monthly[1:], strict=False))


def test_contract_years_follow_anniversaries_and_stop_at_the_end(tenant) -> None:
    contract = covered_contract(tenant, start=START, months=24)
    years = preventive.contract_years(contract, today=datetime.date(2026, 6, 1))
    assert years == [
        (datetime.date(2025, 1, 1), datetime.date(2025, 12, 31)),
        (datetime.date(2026, 1, 1), datetime.date(2026, 12, 31)),
    ]
    # Not started yet: nothing; after the last day: the contract's years only.
    assert preventive.contract_years(contract, today=datetime.date(2024, 12, 31)) == []
    assert len(preventive.contract_years(contract, today=datetime.date(2030, 1, 1))) == 2
    # A contract ending mid-year: its last year is cut short at its last day.
    contract.end_date = datetime.date(2026, 3, 31)
    assert preventive.contract_years(contract, today=datetime.date(2030, 1, 1))[-1] == (
        datetime.date(2026, 1, 1),
        datetime.date(2026, 3, 31),
    )


# Plans ---------------------------------------------------------------------------------------------


def test_plan_create_defaults_audit_and_visits(tenant) -> None:
    contract = _recent_contract(tenant)
    plan = _plan(tenant, contract)
    assert [item["code"] for item in plan.checklist] == [
        "os_updates",
        "backup_check",
        "antivirus",
        "disk_health",
        "patches",
    ]
    assert AuditEvent.objects.filter(action="preventive.plan_create", object_id=str(plan.pk)).count() == 1
    # Created with its current contract year's visits.
    assert plan.visits.count() == 4
    assert set(plan.visits.values_list("status", flat=True)) == {VisitStatus.DUE}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": "  "}, "name"),
        ({"visits_per_year": 0}, "visits_per_year"),
        ({"visits_per_year": 53}, "visits_per_year"),
        ({"visits_per_year": "four"}, "visits_per_year"),
        ({"duration_minutes": 5}, "duration_minutes"),
        ({"mode": "workshop"}, "mode"),
        ({"checklist": [{"code": "Bad Code", "label": "x"}]}, "checklist"),
        ({"checklist": [{"code": "a", "label": ""}]}, "checklist"),
        ({"checklist": [{"code": "a", "label": "A"}, {"code": "a", "label": "B"}]}, "checklist"),
        ({"checklist": "os_updates"}, "checklist"),
    ],
)
def test_plan_validation_saves_nothing(tenant, changes, field) -> None:
    contract = _recent_contract(tenant)
    with pytest.raises(ValidationError) as caught:
        _plan(tenant, contract, **changes)
    assert field in caught.value.message_dict
    assert not PreventivePlan.objects.exists() and not PreventiveVisit.objects.exists()


def test_plan_mode_must_be_allowed_by_the_contract(tenant) -> None:
    contract = _recent_contract(tenant, intervention_modes=["remote"])
    with pytest.raises(ValidationError) as caught:
        _plan(tenant, contract, mode="on_site")
    assert "intervention" in caught.value.message_dict["mode"][0]
    plan = _plan(tenant, contract, mode="remote", visits_per_year=12)
    assert plan.visits.count() == 12


def test_plan_assets_must_be_the_clients_and_roles(tenant, other_tenant) -> None:
    contract = _recent_contract(tenant)
    foreign = asset(tenant, "SN-OTHER", client=tenant.other_client, site=None)
    with pytest.raises(ValidationError) as caught:
        _plan(tenant, contract, assets=[foreign])
    assert "assets" in caught.value.message_dict
    with pytest.raises(PermissionDenied):
        preventive.plan_create(actor=tenant.technician, contract=contract, name="X")
    with pytest.raises(PermissionDenied):
        preventive.plan_create(actor=other_tenant.manager, contract=contract, name="X")
    with pytest.raises(PermissionDenied):
        preventive.plan_create(actor=tenant.client_manager, contract=contract, name="X")
    assert not PreventivePlan.objects.exists()


# Generation ----------------------------------------------------------------------------------------


def test_a_plan_recorded_late_has_no_visits_before_its_contract_year(tenant) -> None:
    """A plan entered in the contract's second year tracks that year on, not the first (no invented misses)."""
    contract = covered_contract(tenant, start=START, months=24)
    plan = _plan(tenant, contract)
    PreventivePlan.objects.filter(pk=plan.pk).update(created_at=datetime.datetime(2026, 3, 10, 9, tzinfo=PARIS))
    PreventiveVisit.objects.filter(plan=plan).delete()
    preventive.visits_generate(today=datetime.date(2026, 6, 1))
    years = set(PreventiveVisit.objects.filter(plan=plan).values_list("year_start", flat=True))
    assert years == {datetime.date(2026, 1, 1)}
    assert PreventiveVisit.objects.filter(plan=plan).count() == 4


def test_generation_is_idempotent_per_contract_year(tenant) -> None:
    """Done-when #2: 4 visits per contract year however often the job runs; two years: 8."""
    plan = _fixed_plan(tenant)
    for _run in range(3):
        preventive.visits_generate(today=datetime.date(2025, 6, 1))
    assert PreventiveVisit.objects.filter(plan=plan).count() == 4
    for _run in range(3):
        preventive.visits_generate(today=datetime.date(2026, 2, 1))
    assert PreventiveVisit.objects.filter(plan=plan).count() == 8
    for year_start in (datetime.date(2025, 1, 1), datetime.date(2026, 1, 1)):
        visits = PreventiveVisit.objects.filter(plan=plan, year_start=year_start).order_by("sequence")
        assert list(visits.values_list("sequence", flat=True)) == [1, 2, 3, 4]
        assert visits.first().due_from == year_start and visits.last().due_until.month == 12
    # After the contract's life: no third year.
    preventive.visits_generate(today=datetime.date(2027, 6, 1))
    assert PreventiveVisit.objects.filter(plan=plan).count() == 8


def test_the_job_generates_for_every_active_plan(tenant, run_jobs) -> None:
    from pacte.interventions.preventive_jobs import preventive_visits

    contract = _recent_contract(tenant)
    plan = _plan(tenant, contract)
    archived = _plan(tenant, contract, name="Ancien")
    preventive.plan_archive(actor=tenant.manager, plan=archived)
    PreventiveVisit.objects.filter(plan=plan).delete()
    for _run in range(3):
        preventive_visits.enqueue()
        run_jobs()
    assert PreventiveVisit.objects.filter(plan=plan).count() == 4
    assert not PreventiveVisit.objects.filter(plan=archived).exists()


def test_three_done_at_the_years_end_one_missed(tenant) -> None:
    """Done-when #2: 3 visits signed in the year, the year ends: the 4th is missed, the others done."""
    plan = _fixed_plan(tenant)
    contract = plan.contract
    preventive.visits_generate(today=datetime.date(2025, 3, 1))
    visits = list(PreventiveVisit.objects.filter(plan=plan).order_by("sequence"))
    for visit in visits[:3]:
        sheet = Intervention.objects.create(
            provider=tenant.provider,
            client=tenant.client,
            contract=contract,
            visit=visit,
            reference=f"INT-2025-{visit.sequence:05d}",
            title="Visite",
        )
        _sign(sheet, datetime.datetime.combine(visit.due_from, datetime.time(10), tzinfo=datetime.UTC))
    preventive.visits_generate(today=datetime.date(2025, 12, 31))
    statuses = dict(PreventiveVisit.objects.filter(plan=plan).values_list("sequence", "status"))
    assert statuses == {1: "done", 2: "done", 3: "done", 4: "due"}
    preventive.visits_generate(today=datetime.date(2026, 1, 1))
    first_year = PreventiveVisit.objects.filter(plan=plan, year_start=START)
    assert dict(first_year.values_list("sequence", "status")) == {1: "done", 2: "done", 3: "done", 4: "missed"}
    assert first_year.get(sequence=1).done_at is not None
    quota = preventive_selectors.plan_quota(plan, year_start=START)
    assert (quota.promised, quota.done, quota.missed, quota.due) == (4, 3, 1, 0)


def test_late_then_missed(tenant) -> None:
    plan = _fixed_plan(tenant)
    preventive.visits_generate(today=datetime.date(2025, 4, 1))
    first = PreventiveVisit.objects.get(plan=plan, year_start=START, sequence=1)
    assert first.status == VisitStatus.DUE
    preventive.visits_generate(today=datetime.date(2025, 4, 2))
    first.refresh_from_db()
    assert first.status == VisitStatus.LATE
    assert preventive_selectors.plan_quota(plan, year_start=START).late == 1
    preventive.visits_generate(today=datetime.date(2026, 1, 1))
    first.refresh_from_db()
    assert first.status == VisitStatus.MISSED


def test_visit_refresh_saves_only_on_change(tenant, django_assert_num_queries) -> None:
    _fixed_plan(tenant)
    preventive.visits_generate(today=datetime.date(2025, 2, 1))
    visit = PreventiveVisit.objects.get(year_start=START, sequence=1)
    with django_assert_num_queries(1):  # reads its sheets, saves nothing
        preventive.visit_refresh(visit, today=datetime.date(2025, 2, 2))
    with django_assert_num_queries(2):
        preventive.visit_refresh(visit, today=datetime.date(2025, 6, 2))
    assert visit.status == VisitStatus.LATE


def test_fewer_visits_removes_extras_nobody_planned_more_adds(tenant) -> None:
    contract = _recent_contract(tenant)
    plan = _plan(tenant, contract)
    visits = list(plan.visits.order_by("sequence"))
    # Visit 4 gets a sheet: it stays when the plan drops to 2 visits a year.
    start, end = _slot(visits[3].due_from)
    preventive.visit_schedule(actor=tenant.technician, visit=visits[3], start=start, end=end)
    preventive.plan_update(
        actor=tenant.manager, plan=plan, name=plan.name, visits_per_year=2, mode="on_site", duration_minutes=60
    )
    assert sorted(plan.visits.values_list("sequence", flat=True)) == [1, 2, 4]
    first, second = plan.visits.order_by("sequence")[:2]
    assert second.due_until == visits[3].year_end  # the windows follow the new count
    preventive.plan_update(
        actor=tenant.manager, plan=plan, name=plan.name, visits_per_year=6, mode="on_site", duration_minutes=60
    )
    assert sorted(plan.visits.values_list("sequence", flat=True)) == [1, 2, 3, 4, 5, 6]
    assert AuditEvent.objects.filter(action="preventive.plan_update").count() == 2


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_generation_still_four(tenant) -> None:
    plan = _fixed_plan(tenant)
    PreventiveVisit.objects.filter(plan=plan).delete()
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait(timeout=10)
            preventive.visits_generate(today=datetime.date(2025, 6, 1))
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert PreventiveVisit.objects.filter(plan=plan).count() == 4


# Scheduling ----------------------------------------------------------------------------------------


def test_schedule_creates_the_sheet_and_its_checklist(tenant) -> None:
    server = asset(tenant, "SN-SRV")
    laptop = asset(tenant, "SN-LAP")
    asset(tenant, "SN-OUT", client=tenant.other_client, site=None)
    contract = _recent_contract(tenant)
    plan = _plan(tenant, contract)
    visit = plan.visits.order_by("sequence").first()
    start, end = _slot(max(visit.due_from, timezone.localdate()) + datetime.timedelta(days=1))
    sheet = preventive.visit_schedule(
        actor=tenant.technician, visit=visit, start=start, end=end, technicians=[tenant.technician]
    )
    assert sheet.visit_id == visit.pk and sheet.contract_id == contract.pk and sheet.mode == "on_site"
    assert set(sheet.assets.all()) == {server, laptop}
    assert list(sheet.technicians.all()) == [tenant.technician]
    items = ChecklistItem.objects.filter(intervention=sheet)
    assert items.count() == 10
    assert set(items.filter(asset=server).values_list("code", flat=True)) == {item["code"] for item in plan.checklist}
    visit.refresh_from_db()
    assert visit.status == VisitStatus.PLANNED
    # Twice: refused, nothing more.
    with pytest.raises(ConflictError):
        preventive.visit_schedule(actor=tenant.technician, visit=visit, start=start, end=end)
    assert Intervention.objects.filter(visit=visit).count() == 1
    # Cancelled: the visit can be planned again.
    Intervention.objects.filter(pk=sheet.pk).update(status=SheetStatus.CANCELLED)
    preventive.visit_schedule(actor=tenant.technician, visit=visit, start=start, end=end)
    assert Intervention.objects.filter(visit=visit).count() == 2


def test_schedule_over_a_technicians_other_sheet_is_refused_unless_asked(tenant) -> None:
    contract = _recent_contract(tenant)
    plan = _plan(tenant, contract)
    first, second = list(plan.visits.order_by("sequence")[:2])
    day = max(first.due_from, timezone.localdate()) + datetime.timedelta(days=1)
    busy = helpers_sheet(tenant, contract=contract, planned_start=_slot(day, 10)[0], planned_end=_slot(day, 12)[0])
    start, end = _slot(day, 9)
    with pytest.raises(ValidationError) as error:
        preventive.visit_schedule(
            actor=tenant.manager, visit=first, start=start, end=end, technicians=[tenant.technician]
        )
    assert busy.reference in error.value.message_dict["technicians"][0]
    assert not Intervention.objects.filter(visit=first).exists()
    first.refresh_from_db()
    assert first.status != VisitStatus.PLANNED
    # Asked to keep both: planned; another technician or no technician is never a conflict.
    preventive.visit_schedule(
        actor=tenant.manager, visit=first, start=start, end=end, technicians=[tenant.technician], allow_conflict=True
    )
    preventive.visit_schedule(actor=tenant.manager, visit=second, start=start, end=end, technicians=[tenant.manager])
    assert Intervention.objects.filter(visit__in=[first, second]).count() == 2


def test_schedule_uses_the_plans_assets_or_the_contracts(tenant) -> None:
    server = asset(tenant, "SN-SRV")
    laptop = asset(tenant, "SN-LAP")
    contract = _recent_contract(tenant, assets=[laptop.pk])
    plan = _plan(tenant, contract)
    assert preventive.plan_assets(plan) == [laptop]
    chosen = _plan(tenant, contract, name="Serveur", assets=[server])
    assert preventive.plan_assets(chosen) == [server]


def test_schedule_outside_the_contract_or_its_year_is_refused(tenant) -> None:
    contract = _recent_contract(tenant, months=12)
    plan = _plan(tenant, contract)
    visit = plan.visits.order_by("sequence").first()
    for day in (contract.start_date - datetime.timedelta(days=2), visit.year_end + datetime.timedelta(days=3)):
        start, end = _slot(day)
        with pytest.raises(ValidationError) as caught:
            preventive.visit_schedule(actor=tenant.technician, visit=visit, start=start, end=end)
        assert "planned_start" in caught.value.message_dict
    assert not Intervention.objects.exists()
    visit.refresh_from_db()
    assert visit.status == VisitStatus.DUE


def test_schedule_by_a_client_or_another_tenant_is_refused(tenant, other_tenant) -> None:
    contract = _recent_contract(tenant)
    visit = _plan(tenant, contract).visits.first()
    start, end = _slot(timezone.localdate() + datetime.timedelta(days=1))
    for actor in (tenant.client_manager, other_tenant.manager):
        with pytest.raises(PermissionDenied):
            preventive.visit_schedule(actor=actor, visit=visit, start=start, end=end)
    assert not Intervention.objects.exists()


def test_archive_removes_the_unplanned_visits(tenant) -> None:
    contract = _recent_contract(tenant)
    plan = _plan(tenant, contract)
    visit = plan.visits.order_by("sequence").first()
    start, end = _slot(timezone.localdate() + datetime.timedelta(days=1))
    preventive.visit_schedule(actor=tenant.technician, visit=visit, start=start, end=end)
    preventive.plan_archive(actor=tenant.manager, plan=plan)
    assert list(plan.visits.values_list("pk", flat=True)) == [visit.pk]
    with pytest.raises(ConflictError):
        preventive.plan_update(
            actor=tenant.manager, plan=plan, name="X", visits_per_year=2, mode="on_site", duration_minutes=60
        )
