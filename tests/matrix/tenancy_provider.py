"""The provider's legal identity (``/company/``, ``/api/v1/provider``) in the tenant-isolation matrix.

The page and the API act on the actor's own provider, never on one named in the URL: A's managers
edit A's identity, B's admin B's (a success outside A's scope). A technician gets 403 (the API lets
it read), client roles 404 on the page and 403 on the API. The logo (``/company/logo/``) follows the
page; A's provider has one and B's none, so B's admin gets a 404, never A's logo. What the edits check
is tested in ``pacte/tenancy/tests/test_provider_identity.py``, the logo in ``test_provider_logo.py``.
"""

from __future__ import annotations

import io
from typing import Any

from PIL import Image

from pacte.tenancy.services import provider_update
from tests.matrix.framework import A_PROVIDER, ApiSpec, Call, PageSpec, Redirect, api_call, provider_page

SAVED = Redirect("tenancy:provider_identity")


def _identity_form(world: Any) -> dict[str, Any]:
    return {
        "name": "Renamed provider",
        "country": "FR",
        "invoice_prefix": "FA",
        "credit_note_prefix": "AV",
        "late_penalty_text": "Pas d'escompte pour paiement anticipé.",
    }


PAGES: dict[str, PageSpec] = {
    "tenancy:provider_identity": PageSpec(
        get=Call(provider_page(managers=200, technician=403, other_admin=200)),
        post=Call(
            provider_page(managers=SAVED, technician=403, other_admin=SAVED),
            data=_identity_form,
            audits=1,
        ),
    ),
    "tenancy:provider_logo": PageSpec(
        get=Call(provider_page(managers=200, technician=403, other_admin=404)),
        post=Call(provider_page(provider=405, other_admin=405)),
    ),
}

API: dict[str, ApiSpec] = {
    "GET /api/v1/provider": ApiSpec(api_call(provider=200, other_admin=200, client_side=403)),
    "PATCH /api/v1/provider": ApiSpec(
        api_call(
            managers=200,
            technician=403,
            client_side=403,
            other_admin=200,
            data=lambda world: {"legal_form": "SARL"},
            audits=1,
        )
    ),
}


def build(tenant: Any, provider_word: str, client_word: str) -> dict[str, int]:
    """A's provider gets a logo, B's none; no ids: the page and the API read the actor's own provider."""
    if provider_word == A_PROVIDER:
        buffer = io.BytesIO()
        Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, format="PNG")
        provider_update(actor=tenant.admin, logo=buffer.getvalue())
    return {}
