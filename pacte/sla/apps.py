from django.apps import AppConfig


class SlaConfig(AppConfig):
    # No translated verbose_name yet: a new msgid would need the .po catalogues (the models slice adds it).
    name = "pacte.sla"
    label = "sla"
