"""The interventions app's sign pages in the tenant-isolation matrix (see ``tests/matrix/__init__.py``).

A's client has a sheet whose work is done (ready to sign, with a remote-signature link open) and a
signed sheet with its stored PDF. The signature posts are sent without a signature (422, nothing
saved): signing for real, remote links and every bad input are tested in
``pacte/interventions/tests/test_signing.py`` and ``test_sign_views.py``. The world has no seal
certificate, so the signed sheet's PDF here is stored unsealed.
"""

from __future__ import annotations

import datetime
import hashlib
from typing import Any

from django.utils import timezone

from pacte.documents.services import document_store
from pacte.interventions import services
from pacte.interventions.models import Intervention, SheetStatus
from tests.matrix.framework import A_PROVIDER, ApiSpec, Call, Lit, PageSpec, portal_page, provider_page

#: The raw token of A's remote-signature link (B's sheet has another one).
A_TOKEN = "matrix-remote-sign-token-of-a-0123456789"
B_TOKEN = "matrix-remote-sign-token-of-b-9876543210"
READY: dict[str, Any] = {"pk": "sg_ready"}
SIGNED: dict[str, Any] = {"pk": "sg_signed"}
NOT_ALLOWED = Call(provider_page(provider=405, other_admin=405))

PAGES: dict[str, PageSpec] = {
    "interventions:sheet_sign": PageSpec(
        kwargs=READY,
        get=Call(provider_page(provider=200, other_admin=404)),
        # No signature drawn: the page again with the error, nothing signed.
        post=Call(
            provider_page(provider=422, other_admin=404),
            data=lambda world: {"signer_name": "Claire", "signer_role": "", "signature": ""},
            audits=0,
        ),
    ),
    "interventions:sheet_remote_sign": PageSpec(
        kwargs=READY,
        get=NOT_ALLOWED,
        # No reason given: 422, no link sent.
        post=Call(provider_page(provider=422, other_admin=404), data=lambda world: {"reason": ""}, audits=0),
    ),
    "interventions:sheet_pdf": PageSpec(
        kwargs=SIGNED,
        get=Call(provider_page(provider=200, other_admin=404)),
        post=NOT_ALLOWED,
    ),
    "interventions:sheet_preview": PageSpec(
        kwargs=READY,
        get=Call(provider_page(provider=200, other_admin=404)),
        post=NOT_ALLOWED,
    ),
    # The company's people only; the other client's manager and every provider role: 404.
    "portal:intervention_pdf": PageSpec(
        kwargs=SIGNED,
        get=Call(portal_page(client_manager=200, client_user=200, other_client_manager=404)),
        post=Call(portal_page(client_side=405)),
    ),
    "portal:intervention_remote_sign": PageSpec(
        kwargs={"token": Lit(A_TOKEN)},
        get=Call(portal_page(client_manager=200, client_user=200, other_client_manager=404)),
        post=Call(
            portal_page(client_manager=422, client_user=422, other_client_manager=404),
            data=lambda world: {"signer_role": "", "signature": ""},
            audits=0,
        ),
    ),
    # The same signature without the link, while A's request is pending: the company's people only.
    "portal:intervention_sign": PageSpec(
        kwargs=READY,
        get=Call(portal_page(client_manager=200, client_user=200, other_client_manager=404)),
        post=Call(
            portal_page(client_manager=422, client_user=422, other_client_manager=404),
            data=lambda world: {"signer_role": "", "signature": ""},
            audits=0,
        ),
    ),
}
API: dict[str, ApiSpec] = {}


def _done_sheet(tenant: Any, title: str, start: datetime.datetime) -> Intervention:
    actor = tenant.technician
    sheet = services.sheet_create(actor=actor, client=tenant.client, title=title, site=tenant.site, technicians=[actor])
    services.sheet_check_in(actor=actor, sheet=sheet, at=start)
    services.backup_confirm(actor=actor, sheet=sheet, check="client_confirmed", confirmed_by="Mme Martin")
    services.time_entry_add(
        actor=actor, technician=actor, started_at=start, ended_at=start + datetime.timedelta(hours=1), sheet=sheet
    )
    services.sheet_update(actor=actor, sheet=sheet, actions="Disque remplacé", result="resolved")
    services.sheet_check_out(actor=actor, sheet=sheet, at=start + datetime.timedelta(hours=1))
    return services.sheet_mark_done(actor=actor, sheet=sheet)


def build(tenant: Any, provider_word: str, client_word: str) -> dict[str, int]:
    """A sheet ready to sign (with an open remote link) and a signed sheet with its stored PDF."""
    now = timezone.now()
    token = A_TOKEN if provider_word == A_PROVIDER else B_TOKEN
    ready = _done_sheet(tenant, f"Réparation {client_word.title()}", now - datetime.timedelta(days=10))
    Intervention.objects.filter(pk=ready.pk).update(
        no_signature_reason="Absent",
        remote_sign_token_hash=hashlib.sha256(token.encode()).hexdigest(),
        remote_sign_expires_at=now + datetime.timedelta(days=14),
    )
    signed = _done_sheet(tenant, f"Dépannage {client_word.title()}", now - datetime.timedelta(days=12))
    document = document_store(
        actor=tenant.technician,
        content=b"%PDF-1.4\n%%EOF\n",
        title="Fiche",
        filename="fiche.pdf",
        content_type="application/pdf",
        client=tenant.client,
        source=signed,
    )
    Intervention.objects.filter(pk=signed.pk).update(
        status=SheetStatus.SIGNED, signed_at=now, signer_name="Claire Martin", document=document
    )
    return {"sg_ready": ready.pk, "sg_signed": signed.pk}
