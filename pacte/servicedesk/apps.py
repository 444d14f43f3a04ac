from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceDeskConfig(AppConfig):
    name = "pacte.servicedesk"
    label = "servicedesk"
    verbose_name = _("Service desk")

    def ready(self) -> None:
        # The mailbox poll registers its periodic job (``tasks`` modules are autodiscovered; this one is not).
        from pacte.servicedesk.inbound import poll  # noqa: F401
