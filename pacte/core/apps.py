from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "pacte.core"
    label = "core"

    def ready(self) -> None:
        from pacte.core import checks  # noqa: F401  (registers the deploy checks)
