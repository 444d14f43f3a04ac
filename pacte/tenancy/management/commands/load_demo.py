from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from pacte.demo import demo_is_loaded, load_demo


class Command(BaseCommand):
    help = "Load Pacte's demo story (provider, clients, sites, contacts, the six demo accounts)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--if-empty", action="store_true", help="do nothing if the demo is already there")

    def handle(self, *args: Any, **options: Any) -> None:
        if demo_is_loaded():
            if options["if_empty"]:
                self.stdout.write("Demo data already loaded.")
                return
            self.stderr.write("Demo data already loaded; use a fresh database.")
            raise SystemExit(1)
        load_demo(today=timezone.localdate())
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
