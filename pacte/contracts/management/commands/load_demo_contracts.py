from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from pacte.contracts.demo import demo_contracts
from pacte.demo import PROVIDER_NAME
from pacte.tenancy.models import Provider


class Command(BaseCommand):
    help = (
        "Demo only: the contracts chapter (catalogue, templates, index values, one signed contract of each "
        "type). Needs the demo seal certificate: run by `pacte demo` after seal_demo. Does nothing twice."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        provider = Provider.objects.filter(name=PROVIDER_NAME).order_by("id").first()
        if provider is None:
            raise CommandError("The demo provider does not exist: run `pacte manage load_demo` first.")
        created = demo_contracts(provider, today=timezone.localdate())
        if created:
            self.stdout.write(f"Demo contracts created: {', '.join(c.reference for c in created)}.")
        else:
            self.stdout.write("Demo contracts already loaded.")
