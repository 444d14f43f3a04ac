from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from pacte.billing.demo import demo_billing
from pacte.demo import PROVIDER_NAME
from pacte.tenancy.models import Provider


class Command(BaseCommand):
    help = (
        "Demo only: the billing chapter (the last two months billed and issued as Factur-X invoices, a payment, "
        "a credit note). Run by `pacte demo` after load_demo_interventions. Does nothing twice."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        provider = Provider.objects.filter(name=PROVIDER_NAME).order_by("id").first()
        if provider is None:
            raise CommandError("The demo provider does not exist: run `pacte manage load_demo` first.")
        created = demo_billing(provider)
        if created:
            self.stdout.write(f"Demo invoices issued: {', '.join(str(invoice.number) for invoice in created)}.")
        else:
            self.stdout.write("Demo billing already loaded.")
