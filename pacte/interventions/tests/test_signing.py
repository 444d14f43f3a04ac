"""Signing an intervention sheet: the sealed PDF, its evidence, one outbox event, the lock, and every refusal.

Signing is idempotent (a second signature changes nothing) and all-or-nothing (a bad image, a
missing field or a missing seal certificate leave no document, no evidence, no event).
"""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import re
import threading

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone, translation

from pacte.audit.models import AuditEvent
from pacte.core.errors import ConflictError
from pacte.documents import storage
from pacte.documents.models import Document, DocumentKind, SignatureEvidence
from pacte.documents.sealing import pdf_signatures_check
from pacte.documents.verification import _trusted_certificates
from pacte.events.models import Event
from pacte.interventions import services, sheet_pdf, signing
from pacte.interventions.models import Intervention, SheetStatus
from pacte.interventions.tests import helpers
from pacte.mail.models import OutboundMessage

pytestmark = pytest.mark.django_db

CONSENT_FR = "Je confirme que les travaux décrits sur cette fiche ont été réalisés."


@pytest.fixture(autouse=True)
def _english():
    """The services' messages are checked in their English source text (the catalogue is French first)."""
    with translation.override("en"):
        yield


# Builders ---------------------------------------------------------------------------------------------


def signature_png(width: int = 600, height: int = 200, *, ink: bool = True, background=(0, 0, 0, 0)) -> bytes:
    """A signature as the pad draws it: a dark stroke on a transparent canvas."""
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (width, height), background)
    if ink:
        draw = ImageDraw.Draw(image)
        draw.line(
            [(20, height - 40), (width // 3, 30), (width // 2, height - 50), (width - 30, 40)],
            fill=(20, 30, 60, 255),
            width=5,
        )
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def ready_sheet(tenant, *, contract=None, checklist: bool = False, **kwargs) -> Intervention:
    """A sheet whose work is done (checked in and out, backup confirmed, time and a part logged): ready to sign."""
    technician = tenant.technician
    number = Intervention.objects.count() + 1
    disk = helpers.asset(tenant, f"SRV-{number:03d}")
    start = timezone.now() - datetime.timedelta(hours=3 * number)  # one technician: entries never overlap
    sheet = helpers.sheet(tenant, contract=contract, assets=[disk], **kwargs)
    services.sheet_check_in(actor=technician, sheet=sheet, at=start)
    services.backup_confirm(actor=technician, sheet=sheet, check="client_confirmed", confirmed_by="Mme Martin")
    services.time_entry_add(
        actor=technician,
        technician=technician,
        sheet=sheet,
        started_at=start,
        ended_at=start + datetime.timedelta(minutes=95),
        description="Remplacement du disque et reconstruction du RAID",
    )
    services.part_add(
        actor=technician,
        sheet=sheet,
        description="Disque SSD 1 To",
        quantity="1",
        unit_price="129.00",
        serial_out="WD-OLD-123",
        serial_in="SS-NEW-456",
        asset=disk,
    )
    if checklist:
        item = services.checklist_add(actor=technician, sheet=sheet, label="Santé des disques", asset=disk)
        services.checklist_set(actor=technician, item=item, outcome="ok", note="SMART correct")
        services.patch_add(
            actor=technician, sheet=sheet, asset=disk, reference="KB5031356", title="Cumulatif", installed_at=start
        )
    services.sheet_update(
        actor=technician,
        sheet=sheet,
        diagnosis="Disque 2 du RAID 1 en panne (erreurs SMART).",
        actions="Disque remplacé à chaud, RAID reconstruit, contrôle des sauvegardes.",
        result="resolved",
        recommendations="Prévoir le remplacement du second disque sous six mois.",
    )
    services.sheet_check_out(actor=technician, sheet=sheet, at=start + datetime.timedelta(minutes=120))
    return services.sheet_mark_done(actor=technician, sheet=sheet)


def counts() -> tuple[int, int, int]:
    return Document.objects.count(), SignatureEvidence.objects.count(), Event.objects.count()


def sign(tenant, sheet, **overrides) -> signing.SignOutcome:
    arguments = {
        "actor": tenant.technician,
        "sheet": sheet,
        "signer_name": "Claire Martin",
        "signer_role": "Gérante",
        "signature_png": signature_png(),
        **overrides,
    }
    return signing.sheet_sign(**arguments)


def trusted_checks(tenant, content: bytes):
    return pdf_signatures_check(content, trusted=_trusted_certificates(tenant.provider.pk), moment=None)


# Signing ------------------------------------------------------------------------------------------------


def test_signing_seals_the_pdf_records_evidence_and_publishes_one_event(tenant, seal):
    contract = helpers.covered_contract(tenant)
    sheet = ready_sheet(tenant, contract=contract, checklist=True)
    image = signature_png()
    outcome = sign(tenant, sheet, signature_png=image, signer_name="  Claire   Martin ")
    assert not outcome.already_signed
    signed = Intervention.objects.get(pk=sheet.pk)
    assert signed.status == SheetStatus.SIGNED and signed.signed_at is not None and signed.is_locked
    assert (signed.signer_name, signed.signer_role) == ("Claire Martin", "Gérante")
    assert bytes(signed.signature_png) == image
    assert signed.signature_sha256 == hashlib.sha256(image).hexdigest()

    document = signed.document
    assert document is not None and document.is_sealed and document.kind == DocumentKind.INTERVENTION_SHEET
    assert document.client_id == tenant.client.pk and document.filename == f"{sheet.reference}.pdf"
    assert (document.source_type, document.source_id) == ("interventions.intervention", str(sheet.pk))
    content = storage.read(document.storage_name)
    (check,) = trusted_checks(tenant, content)
    assert check.intact and check.valid and check.trusted and check.by_provider and check.covers_whole_file

    evidence = signed.evidence
    assert evidence is not None and evidence.document_id == document.pk
    assert evidence.document_sha256 == document.sha256
    assert evidence.signer_name == "Claire Martin" and evidence.signer_membership is None
    assert evidence.recorded_by_id == tenant.technician.pk
    assert evidence.consent_text == signing.consent_text(translation.get_language())  # the signer's language
    assert evidence.consent_text in (CONSENT_FR, signing.CONSENT_TEXT)  # (before the catalogue is compiled)

    (event,) = Event.objects.filter(kind="intervention.sheet_signed")
    assert event.key == f"intervention.sheet_signed:{sheet.pk}" and event.provider_id == tenant.provider.pk
    payload = event.payload
    assert payload["sheet_id"] == sheet.pk and payload["reference"] == sheet.reference
    assert payload["contract_id"] == contract.pk and payload["client_id"] == tenant.client.pk
    assert payload["provider_id"] == tenant.provider.pk and payload["mode"] == "on_site"
    assert payload["ticket_id"] is None and payload["visit_id"] is None and payload["corrects_id"] is None
    (entry,) = payload["time_entries"]
    stored = signed.time_entries.get()
    assert entry["id"] == stored.pk and entry["technician_id"] == tenant.technician.pk
    assert entry["minutes"] == 95 and entry["nature"] == "labour"
    assert entry["started_at"].startswith(stored.started_at.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M"))
    assert entry["minutes_in_hours"] + entry["minutes_after_hours"] + entry["minutes_weekend"] == 95
    (part,) = payload["parts"]
    assert part["description"] == "Disque SSD 1 To" and part["quantity"] == "1.00" and part["unit_price"] == "129.00"
    assert part["serial_out"] == "WD-OLD-123" and part["serial_in"] == "SS-NEW-456"
    assert payload["travel"] == {"minutes": None, "km": None, "zone": ""}
    assert payload["checked_in_at"] and payload["checked_out_at"] and payload["signed_at"]

    audit = AuditEvent.objects.get(action="intervention.sign")
    assert audit.after["document"] == document.pk and audit.after["signature_sha256"] == signed.signature_sha256
    canonical = sheet_pdf.sheet_canonical_json(signed)
    assert audit.after["content_sha256"] == hashlib.sha256(canonical).hexdigest()
    assert json.loads(canonical)["parts"][0]["serial_in"] == "SS-NEW-456"


def test_the_pdf_embeds_the_canonical_content_it_fingerprints(tenant, seal):
    from pyhanko.pdf_utils.reader import PdfFileReader

    sheet = ready_sheet(tenant)
    signed = sign(tenant, sheet).sheet
    content = storage.read(signed.document.storage_name)
    reader = PdfFileReader(io.BytesIO(content), strict=False)
    names = reader.root["/Names"]["/EmbeddedFiles"]["/Names"]
    assert names[0] == sheet_pdf.CANONICAL_NAME
    embedded = names[1].get_object()["/EF"]["/F"].get_object().data
    assert embedded == sheet_pdf.sheet_canonical_json(signed)
    fingerprint = hashlib.sha256(embedded).hexdigest()
    assert AuditEvent.objects.get(action="intervention.sign").after["content_sha256"] == fingerprint


def test_a_signed_sheet_is_locked(tenant, seal):
    sheet = ready_sheet(tenant)
    signed = sign(tenant, sheet).sheet
    before = Intervention.objects.filter(pk=sheet.pk).values().get()
    with pytest.raises(ConflictError):
        services.sheet_update(actor=tenant.technician, sheet=signed, actions="Réécrit après coup")
    with pytest.raises(ConflictError):
        services.part_add(actor=tenant.technician, sheet=signed, description="Câble", quantity="1")
    with pytest.raises(ConflictError):
        services.sheet_cancel(actor=tenant.manager, sheet=signed, reason="Erreur")
    assert Intervention.objects.filter(pk=sheet.pk).values().get() == before
    assert signed.parts.count() == 1


def test_signing_twice_changes_nothing(tenant, seal):
    sheet = ready_sheet(tenant)
    first = sign(tenant, sheet).sheet
    snapshot = counts()
    audits = AuditEvent.objects.count()
    again = sign(tenant, sheet, signer_name="Quelqu'un d'autre", signature_png=signature_png(300, 100))
    assert again.already_signed
    assert again.sheet.document_id == first.document_id and again.sheet.evidence_id == first.evidence_id
    assert again.sheet.signer_name == "Claire Martin"
    assert counts() == snapshot == (1, 1, 1)
    assert AuditEvent.objects.count() == audits
    # Even a broken second attempt is just "already signed": the first signature stands.
    assert sign(tenant, sheet, signature_png=b"junk", signer_name="").already_signed


def _not_png() -> bytes:
    return b"%PDF-1.4 not an image at all"


def _jpeg_renamed() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (300, 100), (0, 0, 0)).save(out, format="JPEG")
    return out.getvalue()


def _huge_pixels() -> bytes:
    return signature_png(3001, 200)


def _huge_bytes() -> bytes:
    import os

    from PIL import Image

    image = Image.frombytes("RGBA", (600, 200), os.urandom(600 * 200 * 4))
    out = io.BytesIO()
    image.save(out, format="PNG")
    assert len(out.getvalue()) > signing.MAX_PNG_BYTES
    return out.getvalue()


def _blank() -> bytes:
    return signature_png(ink=False)


def _white() -> bytes:
    return signature_png(ink=False, background=(255, 255, 255, 255))


def _truncated() -> bytes:
    return signature_png()[:200]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (_not_png, "PNG"),
        (_jpeg_renamed, "PNG"),
        (_huge_pixels, "3000"),
        (_huge_bytes, "300 KB"),
        (_blank, "empty"),
        (_white, "empty"),
        (_truncated, "cannot be read"),
        (lambda: b"", "Sign in the box"),
    ],
    ids=["not-an-image", "jpeg-renamed", "huge-pixels", "huge-bytes", "blank", "white", "truncated", "nothing"],
)
def test_a_bad_signature_image_is_refused_and_nothing_is_saved(tenant, seal, make, message):
    sheet = ready_sheet(tenant)
    before = Intervention.objects.filter(pk=sheet.pk).values().get()
    with pytest.raises(ValidationError) as error:
        sign(tenant, sheet, signature_png=make())
    assert list(error.value.message_dict) == ["signature"]
    assert message in error.value.message_dict["signature"][0]
    assert Intervention.objects.filter(pk=sheet.pk).values().get() == before
    assert counts() == (0, 0, 0)


def test_a_pixel_bomb_is_refused_without_decoding_it(tenant, seal):
    """A tiny PNG file claiming 30000 × 30000 px: refused on its header."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 30000, 30000, 8, 6, 0, 0, 0)
    bomb = (
        signing.PNG_MAGIC + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 1000)) + chunk(b"IEND", b"")
    )
    assert "3000" in signing.signature_png_error(bomb)


def test_missing_fields_and_name_are_refused(tenant, seal):
    sheet = helpers.sheet(tenant)
    services.sheet_check_in(actor=tenant.technician, sheet=sheet)
    with pytest.raises(ValidationError) as error:
        sign(tenant, sheet)
    assert {"actions", "result", "checked_out_at", "time_entries"} <= set(error.value.message_dict)
    ready = ready_sheet(tenant)
    with pytest.raises(ValidationError) as error:
        sign(tenant, ready, signer_name="   ", signer_role="x" * 151)
    assert set(error.value.message_dict) == {"signer_name", "signer_role"}
    assert counts() == (0, 0, 0)
    assert Intervention.objects.get(pk=ready.pk).status == SheetStatus.DONE


def test_without_a_seal_certificate_nothing_is_signed(tenant, settings):
    settings.PACTE_SEAL_P12 = ""
    settings.PACTE_SEAL_PROVIDERS = {}
    sheet = ready_sheet(tenant)
    before = Intervention.objects.filter(pk=sheet.pk).values().get()
    with pytest.raises(ConflictError) as error:
        sign(tenant, sheet)
    assert "PACTE_SEAL_P12" in error.value.message
    assert Intervention.objects.filter(pk=sheet.pk).values().get() == before
    assert counts() == (0, 0, 0)
    assert not AuditEvent.objects.filter(action__in=["intervention.sign", "document.create"]).exists()


def test_a_cancelled_sheet_or_another_providers_cannot_be_signed(tenant, other_tenant, seal):
    sheet = ready_sheet(tenant)
    services.sheet_cancel(actor=tenant.manager, sheet=sheet, reason="Client absent")
    with pytest.raises(ConflictError):
        sign(tenant, sheet)
    foreign = ready_sheet(other_tenant)
    with pytest.raises(Http404):
        sign(tenant, foreign)
    with pytest.raises(Http404):  # a client user signing on site is not how it works
        sign(tenant, ready_sheet(tenant), actor=tenant.client_manager, client_membership=tenant.other_client_manager)
    assert counts() == (0, 0, 0)


def test_signing_a_preventive_visit_sheet_refreshes_the_visit(tenant, seal):
    from pacte.interventions.models import PreventivePlan, PreventiveVisit, VisitStatus

    contract = helpers.covered_contract(tenant)
    plan = PreventivePlan.objects.create(provider=tenant.provider, contract=contract, name="Trimestriel")
    today = timezone.localdate()
    visit = PreventiveVisit.objects.create(
        provider=tenant.provider,
        client=tenant.client,
        contract=contract,
        plan=plan,
        year_start=contract.start_date,
        year_end=contract.start_date + datetime.timedelta(days=364),
        sequence=1,
        due_from=today - datetime.timedelta(days=10),
        due_until=today + datetime.timedelta(days=30),
    )
    sheet = ready_sheet(tenant, contract=contract, visit=visit)
    signed = sign(tenant, sheet).sheet
    assert Event.objects.get().payload["visit_id"] == visit.pk
    visit.refresh_from_db()
    assert visit.status == VisitStatus.DONE and visit.done_at is not None
    assert signed.status == SheetStatus.SIGNED


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_devices_signing_at_once_sign_once(tenant, seal):
    """The row lock on PostgreSQL: the second submission waits, then finds the sheet signed."""
    from django.db import connection

    sheet = ready_sheet(tenant)
    barrier = threading.Barrier(2)
    outcomes: list[bool] = []
    errors: list[BaseException] = []

    def submit(name: str) -> None:
        try:
            barrier.wait(timeout=10)
            outcome = sign(tenant, Intervention.objects.get(pk=sheet.pk), signer_name=name)
            outcomes.append(outcome.already_signed)
        except BaseException as error:  # noqa: BLE001  (reported below)
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(name,)) for name in ("Claire Martin", "Paul Martin")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert sorted(outcomes) == [False, True]
    assert counts() == (1, 1, 1)
    assert Intervention.objects.get(pk=sheet.pk).signer_name in {"Claire Martin", "Paul Martin"}


# Remote signature -------------------------------------------------------------------------------------


def _link_token() -> str:
    message = OutboundMessage.objects.filter(template=signing.REMOTE_SIGN_MAIL).order_by("-id").first()
    assert message is not None
    match = re.search(r"/portal/interventions/sign/([A-Za-z0-9_-]+)/", message.body_text)
    assert match is not None, message.body_text
    return match.group(1)


def test_a_remote_request_mails_a_one_time_link_and_stores_only_its_hash(tenant, seal):
    ticket = helpers.ticket(tenant)
    sheet = ready_sheet(tenant, ticket=ticket)
    requested = signing.remote_sign_request(actor=tenant.technician, sheet=sheet, reason="Gérante absente")
    assert requested.no_signature_reason == "Gérante absente"
    token = _link_token()
    assert requested.remote_sign_token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in json.dumps(list(Intervention.objects.filter(pk=sheet.pk).values()), default=str)
    assert not AuditEvent.objects.filter(after__icontains=token).exists()
    expires = requested.remote_sign_expires_at - timezone.now()
    assert datetime.timedelta(days=13, hours=23) < expires <= datetime.timedelta(days=14)
    message = OutboundMessage.objects.get(template=signing.REMOTE_SIGN_MAIL)
    assert any(tenant.client_manager.user.email in address for address in message.to)
    assert sheet.reference in message.subject and "Gérante absente" in message.body_text
    assert message.key.startswith(f"intervention.remote_sign:{sheet.pk}:")

    outcome = signing.remote_sign_complete(
        actor=tenant.client_manager, token=token, signer_role="Gérante", signature_png=signature_png()
    )
    assert not outcome.already_signed
    signed = Intervention.objects.get(pk=sheet.pk)
    assert signed.status == SheetStatus.SIGNED and signed.signer_role == "Gérante"
    assert signed.signer_name == (tenant.client_manager.user.full_name or tenant.client_manager.user.email)
    evidence = signed.evidence
    assert (
        evidence.signer_membership_id == tenant.client_manager.pk
        and evidence.recorded_by_id == tenant.client_manager.pk
    )
    (check,) = trusted_checks(tenant, storage.read(signed.document.storage_name))
    assert check.valid and check.trusted and check.intact

    # The link works once: used again, nothing changes.
    snapshot = counts()
    again = signing.remote_sign_complete(
        actor=tenant.client_manager, token=token, signer_role="Autre", signature_png=signature_png()
    )
    assert again.already_signed and counts() == snapshot
    assert signing.remote_sign_lookup(actor=tenant.client_manager, token=token)[1] == signing.RemoteLinkState.USED


def test_a_new_request_kills_the_old_link_and_links_expire(tenant, seal):
    sheet = ready_sheet(tenant)
    signing.remote_sign_request(actor=tenant.technician, sheet=sheet, reason="Personne sur place")
    old = _link_token()
    signing.remote_sign_request(actor=tenant.technician, sheet=sheet, reason="Toujours personne")
    new = _link_token()
    assert old != new and OutboundMessage.objects.filter(template=signing.REMOTE_SIGN_MAIL).count() == 2
    with pytest.raises(Http404):
        signing.remote_sign_complete(
            actor=tenant.client_manager, token=old, signer_role="", signature_png=signature_png()
        )
    Intervention.objects.filter(pk=sheet.pk).update(
        remote_sign_expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    assert signing.remote_sign_lookup(actor=tenant.client_manager, token=new)[1] == signing.RemoteLinkState.EXPIRED
    with pytest.raises(ConflictError) as error:
        signing.remote_sign_complete(
            actor=tenant.client_manager, token=new, signer_role="", signature_png=signature_png()
        )
    assert "expired" in error.value.message
    assert counts() == (0, 0, 0)


def test_a_remote_link_is_only_for_the_sheets_client(tenant, other_tenant, seal):
    sheet = ready_sheet(tenant)
    signing.remote_sign_request(actor=tenant.technician, sheet=sheet, reason="Absent")
    token = _link_token()
    for outsider in (tenant.other_client_manager, other_tenant.client_manager, tenant.technician, tenant.manager):
        with pytest.raises(Http404):
            signing.remote_sign_complete(actor=outsider, token=token, signer_role="", signature_png=signature_png())
    with pytest.raises(Http404):
        signing.remote_sign_lookup(actor=tenant.client_manager, token="not-a-token")
    # A client user of the right company may sign (the requester of a ticket often is one).
    outcome = signing.remote_sign_complete(
        actor=tenant.client_user, token=token, signer_role="Comptable", signature_png=signature_png()
    )
    assert not outcome.already_signed and outcome.sheet.evidence.signer_membership_id == tenant.client_user.pk


def test_a_remote_request_needs_a_reason_a_complete_sheet_and_someone_to_mail(tenant, seal):
    sheet = ready_sheet(tenant)
    with pytest.raises(ValidationError) as error:
        signing.remote_sign_request(actor=tenant.technician, sheet=sheet, reason="  ")
    assert set(error.value.message_dict) == {"reason"}
    unfinished = helpers.sheet(tenant)
    with pytest.raises(ValidationError) as error:
        signing.remote_sign_request(actor=tenant.technician, sheet=unfinished, reason="Absent")
    assert "actions" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        signing.remote_sign_request(
            actor=tenant.technician, sheet=sheet, reason="Absent", recipients=[tenant.other_client_manager]
        )
    assert set(error.value.message_dict) == {"recipients"}
    tenant.client_manager.is_active = False
    tenant.client_manager.save()
    with pytest.raises(ValidationError) as error:
        signing.remote_sign_request(actor=tenant.technician, sheet=sheet, reason="Absent")
    assert set(error.value.message_dict) == {"recipients"}
    with pytest.raises(Exception) as refused:
        signing.remote_sign_request(actor=tenant.client_user, sheet=sheet, reason="Absent")
    assert refused.type.__name__ == "PermissionDenied"
    assert Intervention.objects.get(pk=sheet.pk).remote_sign_token_hash == ""
    assert not OutboundMessage.objects.filter(template=signing.REMOTE_SIGN_MAIL).exists()
