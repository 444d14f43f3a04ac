from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from pacte.demo import PROVIDER_NAME
from pacte.documents import storage
from pacte.documents.demo import demo_documents_ensure
from pacte.documents.errors import SealCertificateError
from pacte.tenancy.models import Provider


class Command(BaseCommand):
    help = (
        "Demo only: create the self-signed demo seal certificate (if missing) and a sealed sample document "
        "for the demo provider (if missing). Run by `pacte demo`."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        provider = Provider.objects.filter(name=PROVIDER_NAME).order_by("id").first()
        if provider is None:
            raise CommandError("The demo provider does not exist: run `pacte manage load_demo` first.")
        try:
            document, created_certificate, created_document = demo_documents_ensure(provider)
        except SealCertificateError as error:
            raise CommandError(error.message) from error
        if created_certificate:
            self.stdout.write("Demo seal certificate created.")
        state = "created" if created_document else "already there"
        self.stdout.write(f"Sealed sample document {state}: {storage.path_of(document.storage_name)}")
