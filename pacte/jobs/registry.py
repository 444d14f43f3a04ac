"""The periodic jobs every app registers, with their cadence.

In an app's ``tasks.py`` (imported by every process at start-up)::

    from django_tasks import task
    from pacte.jobs.domain import nightly
    from pacte.jobs.registry import periodic

    @periodic(nightly("02:30"))
    @task()
    def sla_recompute() -> None:
        ...

The job's name is its task's import path unless given. The worker's scheduler enqueues each due
slot exactly once across all workers (see ``services.periodic_jobs_schedule``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django_tasks.base import Task

from pacte.jobs.domain import Cadence


@dataclass(frozen=True)
class PeriodicJobSpec:
    name: str
    task: Task[Any, Any]
    cadence: Cadence

    @property
    def task_path(self) -> str:
        return self.task.module_path


_PERIODIC: dict[str, PeriodicJobSpec] = {}


def periodic(cadence: Cadence, *, name: str | None = None) -> Callable[[Task[Any, Any]], Task[Any, Any]]:
    """Register a task (taking no arguments) to run on ``cadence``."""

    def register(job: Task[Any, Any]) -> Task[Any, Any]:
        if not isinstance(job, Task):
            raise TypeError("@periodic goes above @task()")
        spec = PeriodicJobSpec(name=name or job.module_path, task=job, cadence=cadence)
        existing = _PERIODIC.get(spec.name)
        if existing is not None and existing.task_path != spec.task_path:
            raise ValueError(f"two periodic jobs are named {spec.name!r}")
        _PERIODIC[spec.name] = spec
        return job

    return register


def periodic_jobs() -> list[PeriodicJobSpec]:
    return sorted(_PERIODIC.values(), key=lambda spec: spec.name)
