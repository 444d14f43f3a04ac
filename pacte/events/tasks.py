"""The outbox's job: deliver one event to one handler."""

from __future__ import annotations

from django_tasks import task

from pacte.events import services


@task()
def deliver_event(delivery_id: int) -> str:
    return services.delivery_run(delivery_id=delivery_id)
