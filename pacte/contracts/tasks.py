"""The contracts' periodic jobs: the daily roll (renewals, expiries, exits) and the deadline alerts (``alerts.py``)."""

from __future__ import annotations

from django_tasks import task

from pacte.contracts import alerts, lifecycle
from pacte.jobs.domain import nightly
from pacte.jobs.registry import periodic


@periodic(nightly("00:20"))
@task()
def contracts_roll() -> dict[str, int]:
    """Renew tacitly, expire express renewals not done, move ended contracts into their exit."""
    return lifecycle.contracts_roll()


@periodic(nightly("06:30"))
@task()
def contracts_alerts() -> dict[str, int]:
    """E-mail the managers ahead of each deadline (once per lead time) and send the L215-1 reminder letters."""
    return alerts.contracts_alerts()
