"""The job machinery in one process: claiming, outcomes, periodic slots, lost-job recovery, pruning."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from pacte.jobs import registry, services
from pacte.jobs.domain import CadenceKind, every, nightly
from pacte.jobs.models import JobRun, PeriodicJob, RunOutcome, WorkerProcess
from pacte.jobs.tests import sample_tasks

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_app_periodic_jobs(monkeypatch):
    """These tests count the jobs a worker runs: the apps' every-minute jobs (mail poll, SLA check) stay out."""
    kept = {name: spec for name, spec in registry._PERIODIC.items() if spec.cadence.kind != CadenceKind.EVERY}
    monkeypatch.setattr(registry, "_PERIODIC", kept)


@pytest.fixture
def periodic_add(monkeypatch):
    """A periodic job (every 5 minutes) registered for the test only."""
    spec = registry.PeriodicJobSpec(name="test.add", task=sample_tasks.tick, cadence=every(5))
    monkeypatch.setattr(registry, "_PERIODIC", {"test.add": spec})
    return spec


def test_a_job_runs_once_and_its_run_is_recorded(run_jobs):
    result = sample_tasks.add.enqueue(2, 3)
    report = run_jobs()
    assert (report.ran, report.failed) == (1, 0)
    row = DBTaskResult.objects.get(pk=result.id)
    assert row.status == TaskResultStatus.SUCCESSFUL
    assert row.return_value == 5
    run = JobRun.objects.get(task_result_id=result.id)
    assert (run.attempt, run.outcome, run.error) == (1, RunOutcome.SUCCEEDED, "")
    assert run.finished_at >= run.started_at
    assert run_jobs().ran == 0  # nothing twice


def test_a_failing_job_is_recorded_with_its_error(run_jobs):
    result = sample_tasks.explode.enqueue("boom at step 3")
    report = run_jobs()
    assert (report.ran, report.failed) == (1, 1)
    row = DBTaskResult.objects.get(pk=result.id)
    assert row.status == TaskResultStatus.FAILED
    assert row.exception_class_path == "builtins.RuntimeError"
    run = JobRun.objects.get(task_result_id=result.id)
    assert run.outcome == RunOutcome.FAILED
    assert "RuntimeError: boom at step 3" in run.error


def test_a_job_rolled_back_with_its_transaction_never_exists(run_jobs):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        sample_tasks.add.enqueue(1, 1)
        raise RuntimeError("the caller's transaction fails")
    assert DBTaskResult.objects.count() == 0
    assert run_jobs().ran == 0


def test_periodic_job_is_registered_then_enqueued_once_per_slot(periodic_add, run_jobs):
    now = dt.datetime(2026, 3, 16, 10, 7, tzinfo=dt.UTC)
    assert services.periodic_jobs_schedule(now=now) == 1  # new every-N job: due at once
    assert services.periodic_jobs_schedule(now=now) == 0  # same instant, second worker: nothing
    assert services.periodic_jobs_schedule(now=now + dt.timedelta(minutes=2)) == 0
    row = PeriodicJob.objects.get(name="test.add")
    assert row.next_run_at == dt.datetime(2026, 3, 16, 10, 10, tzinfo=dt.UTC)
    assert row.cadence == "every 5 min"
    assert services.periodic_jobs_schedule(now=row.next_run_at) == 1
    assert DBTaskResult.objects.filter(task_path=periodic_add.task_path).count() == 2
    row.refresh_from_db()
    assert row.last_slot_at == dt.datetime(2026, 3, 16, 10, 10, tzinfo=dt.UTC)
    assert DBTaskResult.objects.filter(pk=row.last_task_result_id).exists()


def test_a_slot_is_enqueued_by_one_worker_only(periodic_add):
    """Compare-and-swap: a worker that read the slot before another took it enqueues nothing."""
    now = dt.datetime(2026, 3, 16, 10, 7, tzinfo=dt.UTC)
    services.periodic_jobs_schedule(now=now - dt.timedelta(minutes=10))  # registers, runs the first slot
    row = PeriodicJob.objects.get(name="test.add")
    seen = row.next_run_at  # two workers read the same due slot…
    assert services.periodic_job_enqueue_slot(spec=periodic_add, seen_next_run_at=seen, now=now) is True
    assert services.periodic_job_enqueue_slot(spec=periodic_add, seen_next_run_at=seen, now=now) is False
    assert DBTaskResult.objects.count() == 2  # the first slot and this one, not a third


def test_missed_slots_are_not_replayed_one_by_one(periodic_add):
    start = dt.datetime(2026, 3, 16, 10, 0, tzinfo=dt.UTC)
    services.periodic_jobs_schedule(now=start)
    assert services.periodic_jobs_schedule(now=start + dt.timedelta(days=2)) == 1
    row = PeriodicJob.objects.get(name="test.add")
    assert row.next_run_at == start + dt.timedelta(days=2, minutes=5)


def test_a_changed_cadence_moves_the_next_slot(periodic_add, monkeypatch):
    now = dt.datetime(2026, 3, 16, 10, 0, tzinfo=dt.UTC)
    services.periodic_jobs_schedule(now=now)
    changed = registry.PeriodicJobSpec(name="test.add", task=periodic_add.task, cadence=nightly("02:30"))
    monkeypatch.setattr(registry, "_PERIODIC", {"test.add": changed})
    assert services.periodic_jobs_schedule(now=now) == 0
    row = PeriodicJob.objects.get(name="test.add")
    assert row.cadence == "nightly at 02:30 Europe/Paris"
    assert row.next_run_at == dt.datetime(2026, 3, 17, 1, 30, tzinfo=dt.UTC)


def test_the_built_in_prune_job_is_registered_nightly():
    names = {spec.name: spec.cadence.describe() for spec in registry.periodic_jobs()}
    assert names["jobs.prune"] == "nightly at 03:15 Europe/Paris"


def _claimed_by(worker_id: str, started_minutes_ago: float) -> DBTaskResult:
    sample_tasks.add.enqueue(1, 2)
    claim = services.job_claim(worker_id=worker_id)
    assert claim is not None
    started = timezone.now() - dt.timedelta(minutes=started_minutes_ago)
    DBTaskResult.objects.filter(pk=claim.result.pk).update(started_at=started)
    JobRun.objects.filter(pk=claim.run.pk).update(started_at=started)
    return DBTaskResult.objects.get(pk=claim.result.pk)


def test_a_job_whose_worker_stopped_beating_is_requeued_and_finished(run_jobs):
    now = timezone.now()
    WorkerProcess.objects.create(worker_id="dead-worker", started_at=now, heartbeat_at=now - dt.timedelta(minutes=5))
    lost = _claimed_by("dead-worker", started_minutes_ago=5)
    assert services.jobs_requeue_lost(now=now, lease_seconds=60, max_attempts=5) == 1
    lost.refresh_from_db()
    assert lost.status == TaskResultStatus.READY
    first = JobRun.objects.get(task_result=lost, attempt=1)
    assert first.outcome == RunOutcome.LOST
    assert "dead-worker stopped heart-beating" in first.error
    assert run_jobs().ran == 1
    lost.refresh_from_db()
    assert lost.status == TaskResultStatus.SUCCESSFUL
    assert lost.worker_ids[0] == "dead-worker" and len(lost.worker_ids) == 2
    assert list(JobRun.objects.filter(task_result=lost).order_by("attempt").values_list("outcome", flat=True)) == [
        RunOutcome.LOST,
        RunOutcome.SUCCEEDED,
    ]


def test_a_job_of_a_live_worker_or_a_recent_one_is_left_alone():
    now = timezone.now()
    WorkerProcess.objects.create(worker_id="busy-worker", started_at=now, heartbeat_at=now)
    long_job = _claimed_by("busy-worker", started_minutes_ago=30)
    recent = _claimed_by("unknown-worker", started_minutes_ago=0.1)
    assert services.jobs_requeue_lost(now=now, lease_seconds=60, max_attempts=5) == 0
    assert {row.status for row in DBTaskResult.objects.filter(pk__in=[long_job.pk, recent.pk])} == {
        TaskResultStatus.RUNNING
    }


def test_a_job_that_keeps_killing_its_worker_fails_after_max_attempts():
    lost = _claimed_by("ghost", started_minutes_ago=5)
    DBTaskResult.objects.filter(pk=lost.pk).update(worker_ids=["w1", "w2", "ghost"])
    assert services.jobs_requeue_lost(now=timezone.now(), lease_seconds=60, max_attempts=3) == 1
    lost.refresh_from_db()
    assert lost.status == TaskResultStatus.FAILED
    assert lost.exception_class_path == services.WORKER_LOST


def test_a_job_finished_after_being_requeued_does_not_overwrite_the_queue():
    sample_tasks.add.enqueue(1, 2)
    claim = services.job_claim(worker_id="slow-worker")
    DBTaskResult.objects.filter(pk=claim.result.pk).update(status=TaskResultStatus.READY, started_at=None)
    assert services.job_finish(claim=claim, now=timezone.now(), return_value=3) is False
    assert DBTaskResult.objects.get(pk=claim.result.pk).status == TaskResultStatus.READY


def test_prune_deletes_old_finished_jobs_and_stopped_workers(run_jobs):
    old = sample_tasks.add.enqueue(1, 1)
    run_jobs()
    DBTaskResult.objects.filter(pk=old.id).update(finished_at=timezone.now() - dt.timedelta(days=40))
    fresh = sample_tasks.add.enqueue(2, 2)
    run_jobs()
    queued = sample_tasks.add.enqueue(3, 3)
    WorkerProcess.objects.update(heartbeat_at=timezone.now() - dt.timedelta(days=40))
    services.jobs_prune(now=timezone.now(), retention_days=30)
    assert set(DBTaskResult.objects.values_list("pk", flat=True)) == {
        DBTaskResult.objects.get(pk=fresh.id).pk,
        DBTaskResult.objects.get(pk=queued.id).pk,
    }
    assert not JobRun.objects.filter(task_result_id=old.id).exists()
    assert WorkerProcess.objects.count() == 0


def test_operator_pages_show_runs_failures_and_next_slots(run_jobs, periodic_add):
    services.periodic_jobs_schedule(now=timezone.now())
    sample_tasks.explode.enqueue("visible failure")
    run_jobs()
    operator = get_user_model().objects.create_superuser("ops@example.test", "ops-password-2026")
    http = HttpClient()
    http.force_login(operator)
    periodic = http.get(reverse("admin:jobs_periodicjob_changelist"))
    assert periodic.status_code == 200
    assert "test.add" in periodic.content.decode()
    assert "every 5 min" in periodic.content.decode()
    runs = http.get(reverse("admin:jobs_jobrun_changelist") + "?outcome__exact=failed")
    assert runs.status_code == 200
    assert "RuntimeError: visible failure" in runs.content.decode()
    assert http.get(reverse("admin:jobs_workerprocess_changelist")).status_code == 200
