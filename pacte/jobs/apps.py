from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    name = "pacte.jobs"
    label = "jobs"
    verbose_name = _("Background jobs")

    def ready(self) -> None:
        from django.utils.module_loading import autodiscover_modules

        from pacte.jobs import checks  # noqa: F401  (registers the task-backend check)

        # Every app's tasks.py defines its jobs and registers its periodic ones (pacte.jobs.registry).
        autodiscover_modules("tasks")
