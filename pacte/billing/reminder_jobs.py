"""Billing's nightly payment reminders. Import this module from ``pacte/billing/tasks.py`` (jobs are
autodiscovered from ``<app>/tasks.py``; importing this module there registers the periodic job)."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

from django.utils import timezone
from django_tasks import task

from pacte.jobs.domain import nightly
from pacte.jobs.registry import periodic


def _today() -> datetime.date:
    """Today in Paris, where the nightly jobs run (due dates are days of the calendar)."""
    return timezone.now().astimezone(ZoneInfo("Europe/Paris")).date()


@periodic(nightly("07:00"), name="billing.reminders")
@task()
def billing_reminders() -> dict[str, int]:
    """Send the payment reminder steps due today, each once per invoice (``reminders.reminders_send``)."""
    from pacte.billing.reminders import reminders_send

    return reminders_send(today=_today()).as_dict()
