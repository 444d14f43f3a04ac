"""The job machinery's own periodic job: pruning what is old."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from pacte.jobs import services
from pacte.jobs.domain import nightly
from pacte.jobs.registry import periodic


@periodic(nightly("03:15"), name="jobs.prune")
@task()
def prune_jobs() -> int:
    """Delete finished jobs, their runs and stopped workers older than PACTE_JOBS_RETENTION_DAYS."""
    return services.jobs_prune(now=timezone.now(), retention_days=settings.PACTE_JOBS_RETENTION_DAYS)
