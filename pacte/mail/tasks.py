"""The mail job: send one queued message."""

from __future__ import annotations

from django_tasks import task

from pacte.mail import services


@task()
def deliver_message(message_id: int) -> str:
    return services.message_deliver(message_id=message_id)
