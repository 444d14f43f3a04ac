from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from pacte.demo import PROVIDER_NAME
from pacte.servicedesk.demo import demo_tickets
from pacte.tenancy.models import Provider


class Command(BaseCommand):
    help = (
        "Demo only: the service desk chapter (a few weeks of tickets for each client, with their e-mails). "
        "Run by `pacte demo` after load_demo_contracts. Does nothing twice."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        provider = Provider.objects.filter(name=PROVIDER_NAME).order_by("id").first()
        if provider is None:
            raise CommandError("The demo provider does not exist: run `pacte manage load_demo` first.")
        created = demo_tickets(provider)
        if created:
            self.stdout.write(f"Demo tickets created: {', '.join(t.reference for t in created)}.")
        else:
            self.stdout.write("Demo tickets already loaded.")
