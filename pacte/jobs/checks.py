"""System check: the task queue must be the database backend on the default database.

The event outbox and ``mail_send`` enqueue jobs inside the caller's transaction; that is only
transactional when the queue lives in the same database (a job of a rolled-back transaction then
never exists).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register


@register()
def check_task_backend(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    backend = getattr(settings, "TASKS", {}).get("default", {}).get("BACKEND")
    if backend != "django_tasks_db.DatabaseBackend":
        return [
            Error(
                "The default task backend must be django_tasks_db.DatabaseBackend.",
                hint="Pacte enqueues jobs inside database transactions (docs/adr/0002-jobs-and-outbox.md).",
                id="pacte.E101",
            )
        ]
    return []
