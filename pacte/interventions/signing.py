"""Signing an intervention sheet: on the technician's device, or remotely through a one-time portal link.

``sheet_sign`` is idempotent: the sheet row is locked, and a sheet already signed is returned as it
is (a double tap, a retry, a second device change nothing: no second PDF, evidence or event). The
first signature, in one transaction: the signer and the signature image on the sheet, the sealed
PDF (with the image and its evidence), the signature evidence, one ``intervention.sheet_signed``
event in the outbox, the preventive visit refreshed, the audit trail. If anything fails (no seal
certificate, a bad image, a missing field), nothing is written.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import secrets
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from pacte.audit.services import audit_record
from pacte.core.errors import ConflictError
from pacte.documents.models import DocumentKind
from pacte.documents.services import document_create_pdf, signature_record
from pacte.events.services import event_publish
from pacte.interventions import services, sheet_pdf
from pacte.interventions.models import Intervention, SheetStatus
from pacte.interventions.permissions import can_work_interventions
from pacte.tenancy.models import Membership, Role

EVENT_KIND = "intervention.sheet_signed"
CONSENT_TEXT = gettext_noop("I confirm the work described on this sheet was carried out.")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MAX_PNG_BYTES = 300 * 1024
MAX_WIDTH = 3000
MAX_HEIGHT = 1500
NAME_MAX = 150
REASON_MAX = 2000
REMOTE_SIGN_DAYS = 14
REMOTE_SIGN_MAIL = "mail/interventions/sign_request"


@dataclass(frozen=True)
class SignOutcome:
    sheet: Intervention
    already_signed: bool


def consent_text(language: str | None = None) -> str:
    """The sentence the signer confirms, in ``language`` (the active one by default)."""
    with translation.override(language or translation.get_language() or settings.LANGUAGE_CODE):
        return _(CONSENT_TEXT)


# The signature image --------------------------------------------------------------------------------


def _png_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a structurally whole PNG: every chunk's CRC right, IHDR first, IEND last; else None.

    Checked by hand because WeasyPrint, once imported, makes Pillow accept truncated images.
    """
    import struct
    import zlib

    position = len(PNG_MAGIC)
    size: tuple[int, int] | None = None
    while position + 12 <= len(data):
        length, kind = struct.unpack(">I4s", data[position : position + 8])
        end = position + 12 + length
        if end > len(data):
            return None
        body = data[position + 8 : position + 8 + length]
        (crc,) = struct.unpack(">I", data[end - 4 : end])
        if zlib.crc32(kind + body) & 0xFFFFFFFF != crc:
            return None
        if size is None:
            if kind != b"IHDR" or length != 13:
                return None
            size = struct.unpack(">II", body[:8])
        if kind == b"IEND":
            return size if end == len(data) else None
        position = end
    return None


def signature_png_error(data: bytes) -> str:
    """Why ``data`` is not an acceptable signature image, or "" when it is.

    A real PNG (magic bytes, and Pillow decodes it), at most 300 KB and 3000 × 1500 px, with ink
    on it: some pixel that is neither transparent nor white.
    """
    from PIL import Image, ImageChops, UnidentifiedImageError

    if not data:
        return _("Sign in the box before submitting.")
    if len(data) > MAX_PNG_BYTES:
        return _("The signature image is too large (at most 300 KB).")
    if not data.startswith(PNG_MAGIC):
        return _("The signature must be a PNG image.")
    size = _png_size(data)
    if size is None:
        return _("The signature image cannot be read: sign again.")
    if size[0] > MAX_WIDTH or size[1] > MAX_HEIGHT:
        return _("The signature image is too large (at most 3000 × 1500 pixels).")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.format != "PNG":
                    return _("The signature must be a PNG image.")
                width, height = image.size
                if width > MAX_WIDTH or height > MAX_HEIGHT:
                    return _("The signature image is too large (at most 3000 × 1500 pixels).")
                if width < 1 or height < 1:
                    return _("The signature image is empty.")
                image.load()
                rgba = image.convert("RGBA")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError, Warning):
        return _("The signature image cannot be read: sign again.")
    opaque = rgba.getchannel("A").point(lambda alpha: 255 if alpha > 24 else 0)
    dark = rgba.convert("RGB").convert("L").point(lambda level: 255 if level < 235 else 0)
    if ImageChops.multiply(opaque, dark).getbbox() is None:
        return _("The signature box is empty: sign in the box before submitting.")
    return ""


def signature_png_from_data_url(value: str) -> bytes:
    """The PNG bytes of a ``data:image/png;base64,…`` URL (what the signature pad posts); ValidationError else."""
    import base64
    import binascii

    value = (value or "").strip()
    if not value:
        raise ValidationError({"signature": _("Sign in the box before submitting.")})
    header, _comma, body = value.partition(",")
    if not _comma or header.lower() != "data:image/png;base64":
        raise ValidationError({"signature": _("The signature must be a PNG image.")})
    if len(body) > (MAX_PNG_BYTES * 4) // 3 + 8:
        raise ValidationError({"signature": _("The signature image is too large (at most 300 KB).")})
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError) as error:
        raise ValidationError({"signature": _("The signature image cannot be read: sign again.")}) from error


# Signing --------------------------------------------------------------------------------------------


def _clean_name(value: str) -> str:
    return " ".join((value or "").split())


def _event_payload(sheet: Intervention) -> dict[str, Any]:
    entries = sheet.time_entries.order_by("started_at", "id")
    return {
        "sheet_id": sheet.pk,
        "reference": sheet.reference,
        "contract_id": sheet.contract_id,
        "client_id": sheet.client_id,
        "provider_id": sheet.provider_id,
        "ticket_id": sheet.ticket_id,
        "visit_id": sheet.visit_id,
        "corrects_id": sheet.corrects_id,
        "mode": sheet.mode,
        "signed_at": sheet.signed_at,
        "checked_in_at": sheet.checked_in_at,
        "checked_out_at": sheet.checked_out_at,
        "time_entries": [
            {
                "id": entry.pk,
                "technician_id": entry.technician_id,
                "nature": entry.nature,
                "started_at": entry.started_at,
                "ended_at": entry.ended_at,
                "minutes": entry.minutes,
                "minutes_in_hours": entry.minutes_in_hours,
                "minutes_after_hours": entry.minutes_after_hours,
                "minutes_weekend": entry.minutes_weekend,
                "description": entry.description,
            }
            for entry in entries
        ],
        "parts": [
            {
                "id": part.pk,
                "description": part.description,
                "quantity": part.quantity,
                "unit_price": part.unit_price,
                "serial_out": part.serial_out,
                "serial_in": part.serial_in,
                "asset_id": part.asset_id,
            }
            for part in sheet.parts.order_by("id")
        ],
        "travel": {"minutes": sheet.travel_minutes, "km": sheet.travel_km, "zone": sheet.travel_zone},
    }


def _check_signer(actor: Membership, sheet: Intervention, client_membership: Membership | None) -> None:
    if sheet.provider_id != actor.provider_id:
        raise Http404
    if client_membership is None:
        if not can_work_interventions(actor):
            raise PermissionDenied
        return
    if (
        client_membership.pk != actor.pk
        or not actor.is_client_side
        or not actor.is_active
        or actor.client_id != sheet.client_id
    ):
        raise Http404


def sheet_sign(
    *,
    actor: Membership,
    sheet: Intervention,
    signer_name: str,
    signer_role: str,
    signature_png: bytes,
    client_membership: Membership | None = None,
) -> SignOutcome:
    """The client's representative signs the sheet (idempotent: a signed sheet is returned unchanged).

    ``actor`` is the technician whose device collects the signature, or, with ``client_membership``
    (the same membership), the client's user signing through the portal. Raises ``ValidationError``
    (missing fields, no name, a bad image), ``ConflictError`` (cancelled; no usable seal certificate).
    """
    _check_signer(actor, sheet, client_membership)
    with transaction.atomic():
        locked = Intervention.objects.select_for_update().get(pk=sheet.pk)
        if locked.status == SheetStatus.SIGNED:
            return SignOutcome(sheet=locked, already_signed=True)
        if locked.status == SheetStatus.CANCELLED:
            raise ConflictError(_("This sheet is cancelled: it cannot be signed."))
        missing = services.sheet_missing_fields(locked)
        if missing:
            raise ValidationError(missing)
        errors: dict[str, str] = {}
        signer_name = _clean_name(signer_name)
        signer_role = _clean_name(signer_role)
        if client_membership is not None and not signer_name:
            signer_name = _clean_name(client_membership.user.full_name or client_membership.user.email)
        if not signer_name:
            errors["signer_name"] = _("Enter the signer's name.")
        elif len(signer_name) > NAME_MAX:
            errors["signer_name"] = _("The name is too long (at most 150 characters).")
        if len(signer_role) > NAME_MAX:
            errors["signer_role"] = _("The role is too long (at most 150 characters).")
        image_problem = signature_png_error(bytes(signature_png or b""))
        if image_problem:
            errors["signature"] = image_problem
        if errors:
            raise ValidationError(errors)
        return SignOutcome(
            sheet=_sign(actor, locked, signer_name, signer_role, bytes(signature_png), client_membership),
            already_signed=False,
        )


def _sign(
    actor: Membership,
    sheet: Intervention,
    signer_name: str,
    signer_role: str,
    signature_png: bytes,
    client_membership: Membership | None,
) -> Intervention:
    """The signature's writes, inside ``sheet_sign``'s transaction (the sheet row is locked)."""
    language = sheet_pdf.DOCUMENT_LANGUAGE
    signer_language = client_membership.user.language if client_membership is not None else None
    sheet.status = SheetStatus.SIGNED
    sheet.signed_at = timezone.now()
    sheet.signer_name = signer_name
    sheet.signer_role = signer_role
    sheet.signature_png = signature_png
    sheet.signature_sha256 = hashlib.sha256(signature_png).hexdigest()
    sheet.save(
        update_fields=[
            "status", "signed_at", "signer_name", "signer_role", "signature_png", "signature_sha256", "updated_at",
        ]
    )  # fmt: skip
    canonical = sheet_pdf.sheet_canonical_json(sheet)
    content_sha256 = sheet_pdf.sha256_hex(canonical)
    with translation.override(language):
        context = sheet_pdf.sheet_document_context(
            sheet, content_sha256=content_sha256, consent_text=consent_text(language)
        )
    document = document_create_pdf(
        actor=actor,
        template_name=sheet_pdf.TEMPLATE,
        context=context,
        title=sheet_pdf.sheet_title(sheet, language),
        filename=f"{sheet.reference}.pdf",
        kind=DocumentKind.INTERVENTION_SHEET,
        client=sheet.client,
        source=sheet,
        attachments=[sheet_pdf.canonical_attachment(canonical)],
        seal=True,
        language=language,
    )
    evidence = signature_record(
        actor=actor,
        document=document,
        document_sha256=document.sha256,
        consent_text=consent_text(signer_language),
        signer_membership=client_membership,
        signer_name=signer_name,
    )
    sheet.document = document
    sheet.evidence = evidence
    sheet.save(update_fields=["document", "evidence", "updated_at"])
    event_publish(
        kind=EVENT_KIND,
        key=f"{EVENT_KIND}:{sheet.pk}",
        provider=sheet.provider,
        payload=_event_payload(sheet),
    )
    if sheet.visit_id is not None:
        from pacte.interventions.preventive import visit_refresh

        visit_refresh(sheet.visit)  # type: ignore[arg-type]
    audit_record(
        actor=actor,
        action="intervention.sign",
        instance=sheet,
        provider=sheet.provider,
        after={
            "reference": sheet.reference,
            "signer_name": signer_name,
            "signer_role": signer_role,
            "signer_membership": client_membership.pk if client_membership is not None else None,
            "signature_sha256": sheet.signature_sha256,
            "content_sha256": content_sha256,
            "document": document.pk,
            "document_sha256": document.sha256,
            "remote": client_membership is not None,
        },
    )
    return sheet


# Remote signature -----------------------------------------------------------------------------------


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def remote_sign_url(token: str) -> str:
    path = reverse("portal:intervention_remote_sign", args=[token])
    return f"{settings.PACTE_BASE_URL.rstrip('/')}{path}"


def _remote_recipients(sheet: Intervention, recipients: Sequence[Membership] | None) -> list[Any]:
    """Mail recipients: the given client members, else the client's managers and the ticket's requester."""
    from pacte.mail.services import recipient_for_contact, recipient_for_user

    if recipients is not None:
        members = list(recipients)
        for member in members:
            if member.provider_id != sheet.provider_id or member.client_id != sheet.client_id or not member.is_active:
                raise ValidationError({"recipients": _("Only the client's own users can be asked to sign.")})
    else:
        members = list(
            Membership.objects.filter(
                provider_id=sheet.provider_id, client_id=sheet.client_id, role=Role.CLIENT_MANAGER, is_active=True
            ).select_related("user")
        )
    found: dict[str, Any] = {}
    for member in members:
        if member.user.email and member.user.is_active:
            found.setdefault(member.user.email.lower(), recipient_for_user(member.user))
    if recipients is None and sheet.ticket_id is not None:
        requester = sheet.ticket.requester  # type: ignore[union-attr]
        if requester is not None and requester.email:
            found.setdefault(requester.email.lower(), recipient_for_contact(requester))
    return list(found.values())


@transaction.atomic
def remote_sign_request(
    *, actor: Membership, sheet: Intervention, reason: str, recipients: Sequence[Membership] | None = None
) -> Intervention:
    """Nobody could sign on site: record why and mail the client a one-time link to sign in the portal.

    A new request replaces the previous link (only the token's SHA-256 is stored; it expires after
    14 days). Returns the sheet; the raw token only ever leaves in the e-mail.
    """
    services.require_worker(actor)
    if sheet.provider_id != actor.provider_id:
        raise Http404
    locked = services.sheet_for_update(sheet)
    reason = (reason or "").strip()
    errors: dict[str, str] = {}
    if not reason:
        errors["reason"] = _("Say why nobody could sign on site.")
    elif len(reason) > REASON_MAX:
        errors["reason"] = _("The reason is too long (at most 2000 characters).")
    if errors:
        raise ValidationError(errors)
    missing = services.sheet_missing_fields(locked)
    if missing:
        raise ValidationError(missing)
    people = _remote_recipients(locked, recipients)
    if not people:
        raise ValidationError(
            {"recipients": _("Nobody at the client can receive the link: add a client manager with an e-mail address.")}
        )
    token = secrets.token_urlsafe(32)
    locked.no_signature_reason = reason
    locked.remote_sign_token_hash = token_hash(token)
    locked.remote_sign_expires_at = timezone.now() + datetime.timedelta(days=REMOTE_SIGN_DAYS)
    locked.save(update_fields=["no_signature_reason", "remote_sign_token_hash", "remote_sign_expires_at", "updated_at"])
    from pacte.mail.services import mail_send

    mail_send(
        template=REMOTE_SIGN_MAIL,
        context={
            "reference": locked.reference,
            "title": locked.title,
            "client": locked.client.name,
            "provider": locked.provider.legal_name or locked.provider.name,
            "reason": reason,
            "url": remote_sign_url(token),
            "expires_on": timezone.localtime(locked.remote_sign_expires_at).date(),
        },
        recipients=people,
        provider=locked.provider,
        key=f"intervention.remote_sign:{locked.pk}:{locked.remote_sign_token_hash[:32]}",
        sensitive=True,
    )
    audit_record(
        actor=actor,
        action="intervention.remote_sign_request",
        instance=locked,
        provider=locked.provider,
        after={
            "reference": locked.reference,
            "reason": reason,
            "recipients": len(people),
            "expires_at": locked.remote_sign_expires_at,
        },
    )
    return locked


class RemoteLinkState:
    OPEN = "open"
    EXPIRED = "expired"
    USED = "used"
    CANCELLED = "cancelled"
    NONE = "none"  # no remote signature was requested


LINK_EXPIRED = gettext_noop("This signature link has expired: ask the provider for a new one.")
REQUEST_EXPIRED = gettext_noop("This signature request has expired: ask the provider for a new one.")


def remote_sign_state(sheet: Intervention, now: datetime.datetime | None = None) -> str:
    """Where the sheet's remote signature stands: open (pending, not expired), expired, used, cancelled, none."""
    if sheet.status == SheetStatus.SIGNED:
        return RemoteLinkState.USED
    if sheet.status == SheetStatus.CANCELLED:
        return RemoteLinkState.CANCELLED
    if not sheet.remote_sign_token_hash:
        return RemoteLinkState.NONE
    if sheet.remote_sign_expires_at is None or sheet.remote_sign_expires_at <= (now or timezone.now()):
        return RemoteLinkState.EXPIRED
    return RemoteLinkState.OPEN


def _client_sheet(actor: Membership, **lookup: Any) -> Intervention:
    """The sheet of the actor's own company matching ``lookup``, for a client user; anything else 404."""
    if not actor.is_client_side:
        raise Http404
    sheet = (
        Intervention.objects.filter(provider_id=actor.provider_id, client_id=actor.client_id or 0, **lookup)
        .select_related("provider", "client", "site", "contract", "ticket", "document")
        .first()
    )
    if sheet is None:
        raise Http404
    return sheet


def remote_sign_lookup(*, actor: Membership, token: str) -> tuple[Intervention, str]:
    """The sheet a remote-signature link names, for a client user of its company, and the link's state.

    Unknown tokens, replaced links and another company's sheet are all 404.
    """
    if not token or len(token) > 200:
        raise Http404
    sheet = _client_sheet(actor, remote_sign_token_hash=token_hash(token))
    return sheet, remote_sign_state(sheet)


def remote_sign_sheet_lookup(*, actor: Membership, pk: int) -> tuple[Intervention, str]:
    """One of the company's sheets by id, for a client user, and the state of its remote signature request.

    The portal's own signature page (for whoever lost the e-mail): the same people as the link, the
    same request (pending and not expired). Another company's sheet, or a cancelled one, is a 404.
    """
    sheet = _client_sheet(actor, pk=pk)
    if sheet.status == SheetStatus.CANCELLED:
        raise Http404
    return sheet, remote_sign_state(sheet)


def _remote_sign(
    actor: Membership,
    sheet: Intervention,
    state: str,
    *,
    expected_hash: str | None,
    expired_message: str,
    signer_role: str,
    signature_png: bytes,
) -> SignOutcome:
    """Sign ``sheet`` for the client user while its remote request is pending (``expected_hash``: that link's)."""
    if state == RemoteLinkState.USED:
        return SignOutcome(sheet=sheet, already_signed=True)
    if state == RemoteLinkState.EXPIRED:
        raise ConflictError(_(expired_message))
    if state == RemoteLinkState.CANCELLED:
        raise ConflictError(_("This sheet is cancelled: it cannot be signed."))
    if state == RemoteLinkState.NONE:
        raise ConflictError(_("No remote signature was requested for this sheet."))
    with transaction.atomic():
        locked = Intervention.objects.select_for_update().get(pk=sheet.pk)
        if expected_hash is not None and locked.remote_sign_token_hash != expected_hash:  # replaced meanwhile
            raise Http404
        if locked.status != SheetStatus.SIGNED:
            current = remote_sign_state(locked)
            if current == RemoteLinkState.NONE:
                raise ConflictError(_("No remote signature was requested for this sheet."))
            if current == RemoteLinkState.EXPIRED:
                raise ConflictError(_(expired_message))
        return sheet_sign(
            actor=actor,
            sheet=locked,
            signer_name=actor.user.full_name or actor.user.email,
            signer_role=signer_role,
            signature_png=signature_png,
            client_membership=actor,
        )


def remote_sign_complete(*, actor: Membership, token: str, signer_role: str, signature_png: bytes) -> SignOutcome:
    """The client's user signs through the one-time link (once: a used link changes nothing)."""
    sheet, state = remote_sign_lookup(actor=actor, token=token)
    return _remote_sign(
        actor,
        sheet,
        state,
        expected_hash=token_hash(token),
        expired_message=LINK_EXPIRED,
        signer_role=signer_role,
        signature_png=signature_png,
    )


def remote_sign_complete_by_sheet(
    *, actor: Membership, sheet: Intervention, signer_role: str, signature_png: bytes
) -> SignOutcome:
    """The client's user signs a sheet awaiting a remote signature from the portal, without the link.

    The same people and the same pending request as the link: signing here uses it up (the link then
    shows the signed sheet and cannot sign again); a sheet already signed is returned unchanged.
    """
    sheet, state = remote_sign_sheet_lookup(actor=actor, pk=sheet.pk)
    return _remote_sign(
        actor,
        sheet,
        state,
        expected_hash=None,
        expired_message=REQUEST_EXPIRED,
        signer_role=signer_role,
        signature_png=signature_png,
    )
