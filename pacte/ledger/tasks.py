"""The ledger's jobs (autodiscovered): posting ticket time, closing periods, expiring blocks."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

from django.utils import timezone
from django_tasks import task

from pacte.jobs.domain import every, nightly
from pacte.jobs.registry import periodic


@periodic(every(15), name="ledger.post_ticket_time")
@task()
def post_ticket_time() -> dict[str, int]:
    """Post the ticket time entries at least 15 minutes old not posted yet (``posting.ticket_time_post_due``)."""
    from pacte.ledger import posting

    return posting.ticket_time_post_due(now=timezone.now())


# Periods and prepaid blocks (allowances, closes, expiries, threshold alerts) ---------------------


def _today() -> datetime.date:
    """Today in Paris, where the nightly jobs run (periods are days of the calendar)."""
    return timezone.now().astimezone(ZoneInfo("Europe/Paris")).date()


@periodic(nightly("01:30"), name="ledger.periods")
@task()
def ledger_periods() -> dict[str, int]:
    """Post the allowances of the periods begun and close the periods ended, for every contract (idempotent)."""
    from pacte.ledger.periods import periods_run

    return periods_run(_today())


@periodic(nightly("01:40"), name="ledger.blocks_expire")
@task()
def ledger_blocks_expire() -> dict[str, int]:
    """Expire or roll over the prepaid blocks whose validity ended (idempotent)."""
    from pacte.ledger.blocks import blocks_expire_all

    return blocks_expire_all(_today())
