from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from pacte.demo import PROVIDER_NAME
from pacte.interventions.demo import demo_interventions
from pacte.tenancy.models import Provider


class Command(BaseCommand):
    help = (
        "Demo only: the interventions chapter (a quarterly preventive plan, signed sheets, a workshop repair, "
        "remote sessions, planned visits). Run by `pacte demo` after load_demo_tickets. Does nothing twice."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        provider = Provider.objects.filter(name=PROVIDER_NAME).order_by("id").first()
        if provider is None:
            raise CommandError("The demo provider does not exist: run `pacte manage load_demo` first.")
        created = demo_interventions(provider)
        if created:
            self.stdout.write(f"Demo intervention sheets created: {', '.join(s.reference for s in created)}.")
        else:
            self.stdout.write("Demo interventions already loaded.")
