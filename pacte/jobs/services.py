"""Every write of the job machinery: claiming and finishing jobs, heartbeats, lost-job recovery,
the periodic scheduler and pruning. Called by the worker (``pacte.jobs.worker``), never by views."""

from __future__ import annotations

import datetime as dt
import logging
import traceback
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django_tasks_db.compat import TaskResultStatus, normalize_json
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction

from pacte.jobs.models import JobRun, PeriodicJob, RunOutcome, WorkerProcess
from pacte.jobs.registry import PeriodicJobSpec, periodic_jobs

logger = logging.getLogger("pacte.jobs")

WORKER_LOST = "pacte.jobs.WorkerLost"
ERROR_LIMIT = 20_000


@dataclass(frozen=True)
class Claim:
    """A job this worker took: the queue row (as claimed) and its run record."""

    result: DBTaskResult[Any, Any]
    run: JobRun

    @property
    def started_at(self) -> dt.datetime:
        started_at: dt.datetime | None = self.result.started_at
        assert started_at is not None
        return started_at


# Workers -----------------------------------------------------------------------------------------


def worker_register(*, worker_id: str, hostname: str, pid: int, now: dt.datetime) -> WorkerProcess:
    return WorkerProcess.objects.create(
        worker_id=worker_id, hostname=hostname[:255], pid=pid, started_at=now, heartbeat_at=now
    )


def worker_beat(*, worker_id: str, now: dt.datetime) -> None:
    WorkerProcess.objects.filter(worker_id=worker_id, stopped_at__isnull=True).update(heartbeat_at=now)


def worker_stop(*, worker_id: str, now: dt.datetime) -> None:
    WorkerProcess.objects.filter(worker_id=worker_id).update(heartbeat_at=now, stopped_at=now)


# Claiming and finishing --------------------------------------------------------------------------


def job_claim(*, worker_id: str, backend_name: str = "default") -> Claim | None:
    """Take the next ready job, or None.

    PostgreSQL: ``SELECT … FOR UPDATE SKIP LOCKED`` — concurrent workers each lock a different row,
    and the claim (status RUNNING) commits before the job runs. SQLite: the claim runs in an
    EXCLUSIVE transaction, so claims are serialised.
    """
    ready = DBTaskResult.objects.ready().filter(backend_name=backend_name)
    with exclusive_transaction(ready.db):
        result = ready.get_locked()
        if result is None:
            return None
        result.claim(worker_id)
        assert result.started_at is not None
        run = JobRun.objects.create(
            task_result=result,
            task_path=result.task_path[:255],
            attempt=len(result.worker_ids),
            worker_id=worker_id,
            started_at=result.started_at,
        )
    return Claim(result=result, run=run)


def _error_text(error: BaseException) -> str:
    return "".join(traceback.format_exception(error))[-ERROR_LIMIT:]


def job_finish(*, claim: Claim, now: dt.datetime, return_value: Any = None, error: BaseException | None = None) -> bool:
    """Record how the job ended. False when the job was no longer ours (re-queued as lost meanwhile)."""
    fields: dict[str, Any]
    if error is None:
        try:
            value = normalize_json(return_value)
        except (TypeError, ValueError) as normalise_error:
            error = normalise_error
    if error is None:
        fields = {
            "status": TaskResultStatus.SUCCESSFUL,
            "return_value": value,
            "exception_class_path": "",
            "traceback": "",
        }
        outcome, error_text = RunOutcome.SUCCEEDED, ""
    else:
        error_text = _error_text(error)
        fields = {
            "status": TaskResultStatus.FAILED,
            "return_value": None,
            "exception_class_path": f"{type(error).__module__}.{type(error).__qualname__}",
            "traceback": error_text,
        }
        outcome = RunOutcome.FAILED
    with transaction.atomic():
        owned = DBTaskResult.objects.filter(
            pk=claim.result.pk, status=TaskResultStatus.RUNNING, started_at=claim.started_at
        ).update(finished_at=now, **fields)
        JobRun.objects.filter(pk=claim.run.pk, outcome=RunOutcome.RUNNING).update(
            outcome=outcome, finished_at=now, error=error_text
        )
    if not owned:
        logger.warning(
            "Job %s finished after it was re-queued as lost; its outcome is kept on the run only.", claim.run
        )
    return bool(owned)


# Lost jobs ---------------------------------------------------------------------------------------


def jobs_requeue_lost(*, now: dt.datetime, lease_seconds: float, max_attempts: int) -> int:
    """Put back in the queue every RUNNING job whose worker stopped heart-beating.

    A job is lost when it started more than a lease ago and its last worker is stopped, unknown, or
    silent for longer than the lease. It goes back to READY (a compare-and-swap on its start time,
    so two workers recovering it at once re-queue it once), or to FAILED after ``max_attempts``
    attempts (a job that kills its worker every time must not loop forever).
    """
    cutoff = now - dt.timedelta(seconds=lease_seconds)
    alive = set(
        WorkerProcess.objects.filter(stopped_at__isnull=True, heartbeat_at__gte=cutoff).values_list(
            "worker_id", flat=True
        )
    )
    requeued = 0
    for result in DBTaskResult.objects.running().filter(started_at__lt=cutoff):
        if result.worker_ids and result.worker_ids[-1] in alive:
            continue
        worker = result.worker_ids[-1] if result.worker_ids else "?"
        message = f"Worker {worker} stopped heart-beating (lease {lease_seconds:g} s) while running this job."
        with transaction.atomic():
            matching = DBTaskResult.objects.filter(
                pk=result.pk, status=TaskResultStatus.RUNNING, started_at=result.started_at
            )
            if len(result.worker_ids) >= max_attempts:
                changed = matching.update(
                    status=TaskResultStatus.FAILED,
                    finished_at=now,
                    exception_class_path=WORKER_LOST,
                    traceback=f"{message}\nGiven up after {len(result.worker_ids)} attempts.",
                )
            else:
                changed = matching.update(status=TaskResultStatus.READY, started_at=None)
            if changed:
                JobRun.objects.filter(task_result_id=result.pk, outcome=RunOutcome.RUNNING).update(
                    outcome=RunOutcome.LOST, finished_at=now, error=message
                )
                requeued += 1
                logger.warning("Re-queued job %s (%s): %s", result.pk, result.task_path, message)
    return requeued


# Periodic jobs -----------------------------------------------------------------------------------


def _periodic_row(spec: PeriodicJobSpec, now: dt.datetime) -> PeriodicJob:
    row = PeriodicJob.objects.filter(name=spec.name).first()
    if row is None:
        try:
            with transaction.atomic():
                row = PeriodicJob.objects.create(
                    name=spec.name,
                    task_path=spec.task_path,
                    cadence=spec.cadence.describe(),
                    next_run_at=spec.cadence.first_run(now),
                )
        except IntegrityError:  # another worker registered it at the same moment
            row = PeriodicJob.objects.get(name=spec.name)
    if row.cadence != spec.cadence.describe() or row.task_path != spec.task_path:
        # The code changed the cadence: the next slot follows the new one.
        PeriodicJob.objects.filter(pk=row.pk, cadence=row.cadence).update(
            cadence=spec.cadence.describe(), task_path=spec.task_path, next_run_at=spec.cadence.next_after(now)
        )
        row.refresh_from_db()
    return row


def periodic_job_enqueue_slot(*, spec: PeriodicJobSpec, seen_next_run_at: dt.datetime, now: dt.datetime) -> bool:
    """Enqueue the slot ``seen_next_run_at`` of a periodic job, unless another worker already did.

    The compare-and-swap on ``next_run_at`` and the enqueue share one transaction: either both
    happen or neither. Missed slots (workers down for a while) are not replayed one by one: the next
    slot is the first one after ``now``.
    """
    with transaction.atomic():
        result = spec.task.enqueue()
        moved = PeriodicJob.objects.filter(name=spec.name, next_run_at=seen_next_run_at, enabled=True).update(
            next_run_at=spec.cadence.next_after(now),
            last_slot_at=seen_next_run_at,
            last_enqueued_at=now,
            last_task_result_id=result.id,
        )
        if not moved:
            transaction.set_rollback(True)
    return bool(moved)


def periodic_jobs_schedule(*, now: dt.datetime) -> int:
    """Enqueue every periodic job whose slot has come; returns how many this call enqueued."""
    enqueued = 0
    for spec in periodic_jobs():
        row = _periodic_row(spec, now)
        if row.enabled and row.next_run_at <= now:
            enqueued += periodic_job_enqueue_slot(spec=spec, seen_next_run_at=row.next_run_at, now=now)
    return enqueued


# Retention ---------------------------------------------------------------------------------------


def jobs_prune(*, now: dt.datetime, retention_days: int) -> int:
    """Delete finished jobs (and their runs) and stopped workers older than the retention period."""
    cutoff = now - dt.timedelta(days=retention_days)
    finished = DBTaskResult.objects.finished().filter(finished_at__lt=cutoff)
    deleted, _per_model = finished.delete()
    workers, _per_model = WorkerProcess.objects.filter(heartbeat_at__lt=cutoff).delete()
    return deleted + workers
