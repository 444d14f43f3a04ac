"""The service desk's jobs: the SLA warning/breach check (every minute) and the batch recompute of stored
due instants (enqueued when a calendar or a service level changes, and nightly as a catch-up)."""

from __future__ import annotations

from django.utils import timezone
from django_tasks import task

from pacte.jobs.domain import every, nightly
from pacte.jobs.registry import periodic
from pacte.servicedesk import recompute, sla_jobs


@periodic(every(1), name="servicedesk.sla_check")
@task()
def sla_check() -> dict[str, int]:
    """Record and mail the SLA warnings and breaches that have come (``sla_jobs``)."""
    return sla_jobs.sla_check(now=timezone.now())


@periodic(nightly("02:30"), name="servicedesk.sla_recompute")
@task()
def sla_recompute(service_level_ids: list[int] | None = None) -> dict[str, int]:
    """Recompute the stored SLA columns of the open tickets whose versions moved (``recompute``).

    Enqueued (``sla_recompute_enqueue``) with the service levels a change touched; the nightly run,
    with none, sweeps every stale open ticket (what a killed run left)."""
    return recompute.recompute_stale(service_level_ids=service_level_ids, now=timezone.now()).as_dict()
