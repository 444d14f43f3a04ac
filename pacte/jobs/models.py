"""What the workers record: who is alive, the periodic jobs' next slots, and every run of every job.

The queue itself is django-tasks-db's ``DBTaskResult`` (one row per enqueued job, its status and
outcome); these models add what it lacks: heartbeats (so a killed worker's job is re-queued), the
periodic schedule, and one ``JobRun`` row per attempt (a retried job keeps the story of each try).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class WorkerProcess(models.Model):
    """One ``pacte worker`` process. It beats every few seconds while it lives.

    A job still RUNNING under a worker whose heartbeat is older than the lease is re-queued.
    """

    worker_id = models.CharField(_("worker id"), max_length=64, unique=True)
    hostname = models.CharField(_("host"), max_length=255, blank=True)
    pid = models.PositiveIntegerField(_("process id"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"))
    heartbeat_at = models.DateTimeField(_("last heartbeat"), db_index=True)
    stopped_at = models.DateTimeField(_("stopped at"), null=True, blank=True)

    class Meta:
        ordering = ["-heartbeat_at", "-id"]
        verbose_name = _("worker")
        verbose_name_plural = _("workers")

    def __str__(self) -> str:
        return f"{self.hostname}:{self.pid} ({self.worker_id[:8]})"


class PeriodicJob(models.Model):
    """A registered periodic job and its next slot.

    Workers move ``next_run_at`` forward with a compare-and-swap (``UPDATE … WHERE next_run_at =
    <the value read>``) in the same transaction as the enqueue: only one worker enqueues each slot.
    """

    name = models.CharField(_("name"), max_length=200, unique=True)
    task_path = models.CharField(_("task"), max_length=255)
    cadence = models.CharField(_("cadence"), max_length=100)
    enabled = models.BooleanField(_("enabled"), default=True)
    next_run_at = models.DateTimeField(_("next run"))
    last_slot_at = models.DateTimeField(_("last slot"), null=True, blank=True)
    last_enqueued_at = models.DateTimeField(_("last enqueued"), null=True, blank=True)
    last_task_result_id = models.UUIDField(_("last job"), null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("periodic job")
        verbose_name_plural = _("periodic jobs")

    def __str__(self) -> str:
        return self.name


class RunOutcome(models.TextChoices):
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    LOST = "lost", _("Lost (worker stopped)")


class JobRun(models.Model):
    """One attempt at one job: which worker, when it started and ended, how it ended, the error."""

    task_result = models.ForeignKey(
        "django_tasks_database.DBTaskResult", on_delete=models.CASCADE, related_name="runs", verbose_name=_("job")
    )
    task_path = models.CharField(_("task"), max_length=255, db_index=True)
    attempt = models.PositiveIntegerField(_("attempt"))
    worker_id = models.CharField(_("worker id"), max_length=64)
    started_at = models.DateTimeField(_("started at"), db_index=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=RunOutcome.choices, default=RunOutcome.RUNNING)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("job run")
        verbose_name_plural = _("job runs")
        indexes = [models.Index(fields=["outcome", "started_at"])]
        constraints = [
            models.UniqueConstraint(fields=["task_result", "attempt"], name="jobs_jobrun_one_row_per_attempt"),
        ]

    def __str__(self) -> str:
        return f"{self.task_path} #{self.attempt}"

    @property
    def duration_seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()
