"""Stored documents (the verification page, the download) in the tenant-isolation matrix.

See ``tests/matrix/__init__.py``. A's client has a stored document: A's provider roles and its
client's roles download it; the other client's manager and B's admin get 404.
"""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from pacte.documents import storage as document_storage
from pacte.documents.models import Document
from pacte.documents.services import document_store
from tests.fixtures import Tenant
from tests.matrix.framework import ApiSpec, Call, PageSpec, World, api_call, logged_in, provider_page


def verify_form(world: World) -> dict[str, Any]:
    """A's client's stored document, uploaded for verification (A's roles see it named; B's see it unknown)."""
    document = Document.objects.get(pk=world.ref("document"))
    content = document_storage.read(document.storage_name)
    return {"file": SimpleUploadedFile("document.pdf", content, content_type="application/pdf")}


PAGES: dict[str, PageSpec] = {
    # Documents: the verification page (provider side) and the download (both sides, scoped)
    "documents:verify": PageSpec(
        get=Call(provider_page(provider=200, other_admin=200)),
        post=Call(provider_page(provider=200, other_admin=200), data=verify_form, audits=0),  # a read
    ),
    "documents:download": PageSpec(
        kwargs={"pk": "document"},
        get=Call(
            logged_in(provider=200, client_manager=200, client_user=200, other_client_manager=404, other_admin=404)
        ),
        post=Call(logged_in(members=405)),
    ),
}

API: dict[str, ApiSpec] = {
    # Verification reads a multipart upload; the matrix sends JSON, so there is no ``file``: 422.
    "POST /api/v1/documents/verify": ApiSpec(api_call(members=403, provider=422, other_admin=422)),
}


def _documents(tenant: Tenant) -> dict[str, int]:
    """A stored document of the tenant's client (its bytes carry no marker word)."""
    document = document_store(
        actor=tenant.manager,
        content=b"%PDF-1.4\n%%EOF\n",
        title="Contrat",
        filename="contrat",
        content_type="application/pdf",
        client=tenant.client,
    )
    return {"document": document.pk}


def build(tenant: Tenant, provider_word: str, client_word: str) -> dict[str, int]:
    return _documents(tenant)
