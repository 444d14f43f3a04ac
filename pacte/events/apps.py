from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "pacte.events"
    label = "events"
    verbose_name = _("Events")

    def ready(self) -> None:
        from django.utils.module_loading import autodiscover_modules

        # Every app's handlers.py registers its event handlers (pacte.events.registry.event_handler).
        autodiscover_modules("handlers")
