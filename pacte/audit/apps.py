from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "pacte.audit"
    label = "audit"
    verbose_name = "Audit"
