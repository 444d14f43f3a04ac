"""The ``pacte worker`` loop: run jobs from the database queue, schedule periodic jobs, recover lost ones.

One process runs one job at a time (start several processes for more). Besides the main loop, a
heartbeat thread refreshes the worker's row every few seconds; any worker re-queues the jobs of a
worker that fell silent for longer than the lease (``PACTE_JOBS_LEASE_SECONDS``).
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from types import FrameType
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection, connections
from django.db.utils import OperationalError
from django.utils import timezone
from django_tasks_db.compat import TaskContext, task_finished, task_started
from django_tasks_db.utils import is_locked_database_exception

from pacte.jobs import services

logger = logging.getLogger("pacte.jobs")


@dataclass
class WorkerReport:
    """What one worker did (printed by ``pacte worker --once``)."""

    ran: int = 0
    failed: int = 0
    scheduled: int = 0
    requeued: int = 0

    def __str__(self) -> str:
        return (
            f"{self.ran} job(s) run ({self.failed} failed), {self.scheduled} periodic job(s) enqueued, "
            f"{self.requeued} lost job(s) re-queued"
        )


def _refresh_connections() -> None:
    """Drop unusable or expired connections between jobs (as Django does between requests).

    Not inside an atomic block: the tests run the worker in their own transaction, which closing
    the connection would destroy.
    """
    if not connection.in_atomic_block:
        close_old_connections()


class Worker:
    """Runs jobs until stopped (or, with ``once``, until the queue holds nothing ready)."""

    def __init__(
        self,
        *,
        worker_id: str | None = None,
        interval: float = 1.0,
        once: bool = False,
        heartbeat: bool = True,
        lease_seconds: float | None = None,
        tick_seconds: float | None = None,
        max_attempts: int | None = None,
    ) -> None:
        self.worker_id = worker_id or uuid.uuid4().hex
        self.interval = interval
        self.once = once
        self.heartbeat = heartbeat
        self.lease_seconds = lease_seconds if lease_seconds is not None else settings.PACTE_JOBS_LEASE_SECONDS
        self.tick_seconds = tick_seconds if tick_seconds is not None else settings.PACTE_JOBS_TICK_SECONDS
        self.max_attempts = max_attempts if max_attempts is not None else settings.PACTE_JOBS_MAX_ATTEMPTS
        self.report = WorkerReport()
        self.running = True
        self.running_job = False
        self._stop_beating = threading.Event()

    # Signals (the CLI installs them; tests call ``stop``) ----------------------------------------

    def install_signal_handlers(self) -> None:
        for name in ("SIGINT", "SIGTERM", "SIGQUIT"):
            if hasattr(signal, name):
                signal.signal(getattr(signal, name), self._on_signal)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if not self.running:  # a second signal: stop now (the job is recovered as lost)
            raise SystemExit(1)
        logger.warning("Received %s: finishing the current job, then stopping.", signal.strsignal(signum))
        self.stop()
        if not self.running_job:
            raise SystemExit(0)

    def stop(self) -> None:
        self.running = False

    # The loop ------------------------------------------------------------------------------------

    def run(self) -> WorkerReport:
        services.worker_register(
            worker_id=self.worker_id, hostname=socket.gethostname(), pid=os.getpid(), now=timezone.now()
        )
        beater = self._start_heartbeat() if self.heartbeat else None
        logger.info("Worker %s started (lease %g s).", self.worker_id, self.lease_seconds)
        try:
            if self.once:
                self._tick()
                while self.running and self.run_next():
                    pass
            else:
                self._loop()
        finally:
            self._stop_beating.set()
            if beater is not None:
                beater.join(timeout=5)
            _refresh_connections()
            services.worker_stop(worker_id=self.worker_id, now=timezone.now())
            logger.info("Worker %s stopped: %s.", self.worker_id, self.report)
        return self.report

    def _loop(self) -> None:
        next_tick = 0.0
        while self.running:
            _refresh_connections()
            if time.monotonic() >= next_tick:
                self._tick()
                next_tick = time.monotonic() + self.tick_seconds
            if not self.run_next() and self.running:
                time.sleep(self.interval)

    def _tick(self) -> None:
        """Scheduler and recovery: enqueue due periodic jobs, re-queue lost jobs."""
        try:
            now = timezone.now()
            self.report.scheduled += services.periodic_jobs_schedule(now=now)
            self.report.requeued += services.jobs_requeue_lost(
                now=now, lease_seconds=self.lease_seconds, max_attempts=self.max_attempts
            )
        except OperationalError as error:
            if not is_locked_database_exception(error):
                raise
            logger.info("Database busy; the scheduler tries again at its next tick.")

    def run_next(self) -> bool:
        """Claim and run one ready job; False when none is ready."""
        try:
            claim = services.job_claim(worker_id=self.worker_id)
        except OperationalError as error:
            if is_locked_database_exception(error):
                return False
            raise
        if claim is None:
            return False
        self.running_job = True
        try:
            self._execute(claim)
        finally:
            self.running_job = False
        return True

    def _execute(self, claim: services.Claim) -> None:
        db_result = claim.result
        return_value: Any = None
        error: BaseException | None = None
        try:
            task = db_result.task
            task_result = db_result.task_result
            backend = type(task.get_backend())
            task_started.send(sender=backend, task_result=task_result)
            if task.takes_context:
                return_value = task.call(TaskContext(task_result=task_result), *task_result.args, **task_result.kwargs)
            else:
                return_value = task.call(*task_result.args, **task_result.kwargs)
        except Exception as raised:
            error = raised
            logger.exception("Job %s (%s) failed.", db_result.pk, db_result.task_path)
        services.job_finish(claim=claim, now=timezone.now(), return_value=return_value, error=error)
        self.report.ran += 1
        if error is not None:
            self.report.failed += 1
        try:
            db_result.refresh_from_db()
            task_finished.send(sender=type(db_result.task.get_backend()), task_result=db_result.task_result)
        except Exception:  # a signal receiver's problem is not the job's
            logger.exception("task_finished receivers failed for job %s", db_result.pk)

    # Heartbeat -----------------------------------------------------------------------------------

    def _start_heartbeat(self) -> threading.Thread:
        thread = threading.Thread(target=self._beat, name=f"heartbeat-{self.worker_id[:8]}", daemon=True)
        thread.start()
        return thread

    def _beat(self) -> None:
        period = max(self.lease_seconds / 4, 0.2)
        try:
            while not self._stop_beating.wait(period):
                try:
                    services.worker_beat(worker_id=self.worker_id, now=timezone.now())
                except Exception:  # the next beat tries again; a silent worker loses its jobs
                    logger.exception("Heartbeat of worker %s failed.", self.worker_id)
                    connections["default"].close()
        finally:
            connections.close_all()
