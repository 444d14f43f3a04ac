"""The preventive maintenance jobs: generate each contract year's visits, flag late and missed ones."""

from __future__ import annotations

from django_tasks import task

from pacte.interventions import preventive
from pacte.jobs.domain import nightly
from pacte.jobs.registry import periodic


@periodic(nightly("03:10"), name="interventions.preventive_visits")
@task()
def preventive_visits() -> dict[str, int]:
    """Create the visits of every active plan's started contract years (idempotent) and refresh the
    open visits' statuses (due → late → missed): ``{"created", "removed", "moved", "refreshed"}``."""
    return preventive.visits_generate_all().as_dict()
