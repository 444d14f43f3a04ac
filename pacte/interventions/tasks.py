"""The interventions app's jobs live beside what they do; importing them here registers them (autodiscovery)."""

from pacte.interventions import preventive_jobs, reminder_jobs  # noqa: F401
