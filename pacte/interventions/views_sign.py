"""The signature pages of the back office: the client signs on the technician's device, the sealed PDF, the draft.

- ``sheet_sign``: the summary the client reads, the consent, name, role and the signature pad; once
  signed, the confirmation with the PDF (posting again shows "already signed" and changes nothing).
  When the sheet is incomplete, the missing fields with links back to the sheet instead of the pad.
- ``sheet_remote_sign``: nobody can sign on site — the reason, and the client gets a one-time link.
- ``sheet_pdf``: the stored, sealed PDF (checked against its SHA-256); ``sheet_preview``: the unsigned
  draft, rendered on the fly, neither stored nor sealed, watermarked.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pacte.core.errors import ConflictError
from pacte.documents import domain, storage
from pacte.documents.errors import SealCertificateError, StoredFileError
from pacte.documents.models import Document
from pacte.interventions import selectors, services, sheet_pdf, signing
from pacte.interventions.models import Intervention, SheetStatus
from pacte.servicedesk.views import ProviderPage, add_service_errors

SIGN_TEMPLATE = "interventions/sign.html"

#: Where each missing field is filled on the sheet page (anchors of its blocks).
FIELD_ANCHORS = {
    "actions": "work",
    "result": "work",
    "diagnosis": "work",
    "checked_in_at": "presence",
    "checked_out_at": "presence",
    "dropped_off_at": "workshop",
    "backup_check": "backup",
    "time_entries": "time",
    "travel_zone": "travel",
}


class SignForm(forms.Form):
    signer_name = forms.CharField(
        label=gettext_lazy("Name of the signer"),
        max_length=signing.NAME_MAX,
        error_messages={"required": gettext_lazy("Enter the signer's name.")},
    )
    signer_role = forms.CharField(label=gettext_lazy("Role"), max_length=signing.NAME_MAX, required=False)
    signature = forms.CharField(
        widget=forms.HiddenInput,
        max_length=(signing.MAX_PNG_BYTES * 4) // 3 + 64,
        error_messages={
            "required": gettext_lazy("Sign in the box before submitting."),
            "max_length": gettext_lazy("The signature image is too large (at most 300 KB)."),
        },
    )


class RemoteSignRequestForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why nobody can sign on site"),
        max_length=signing.REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": gettext_lazy("Say why nobody could sign on site.")},
    )


def sign_page_context(sheet: Intervention) -> dict[str, Any]:
    """What the signature pages show: the sheet's summary, in the reader's language."""
    context = sheet_pdf.sheet_document_context(sheet)
    return {"sheet": sheet, "doc": context["doc"], "consent_text": signing.consent_text()}


def stored_pdf_response(document: Document | None) -> HttpResponse:
    """The stored PDF, inline, after checking its bytes against the SHA-256 recorded when stored."""
    if document is None:
        raise Http404
    try:
        content = storage.read(document.storage_name)
    except OSError as error:
        raise StoredFileError(_("The stored file of this document is missing.")) from error
    if domain.sha256_hex(content) != document.sha256:
        raise StoredFileError(_("The stored file of this document no longer matches its SHA-256."))
    return pdf_response(content, document.filename)


def pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "frame-ancestors 'self'"
    return response


def sign_page(
    request: HttpRequest,
    sheet: Intervention,
    *,
    form: SignForm | None = None,
    remote_form: RemoteSignRequestForm | None = None,
    error: str = "",
    already_signed: bool = False,
    status: int = 200,
) -> HttpResponse:
    missing = {} if sheet.status == SheetStatus.SIGNED else services.sheet_missing_fields(sheet)
    detail = reverse("interventions:sheet_detail", args=[sheet.pk])
    context = {
        **sign_page_context(sheet),
        "form": form or SignForm(),
        "remote_form": remote_form or RemoteSignRequestForm(),
        "missing": [(message, f"{detail}#{FIELD_ANCHORS.get(name, '')}") for name, message in missing.items()],
        "error": error,
        "already_signed": already_signed,
        "signed": sheet.status == SheetStatus.SIGNED,
        "remote_pending": bool(sheet.remote_sign_token_hash and sheet.status != SheetStatus.SIGNED),
    }
    return render(request, SIGN_TEMPLATE, context, status=status)


class SheetSignView(ProviderPage):
    """The client's representative signs on the technician's phone or tablet."""

    def _sheet(self, pk: int) -> Intervention:
        sheet = selectors.sheet_get(actor=self.actor, pk=pk)
        if sheet.status == SheetStatus.CANCELLED:
            raise ConflictError(_("This sheet is cancelled: it cannot be signed."))
        return sheet

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return sign_page(request, self._sheet(pk))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        sheet = selectors.sheet_get(actor=self.actor, pk=pk)
        if sheet.status == SheetStatus.SIGNED:  # a double tap or a re-post: nothing changes
            return sign_page(request, sheet, already_signed=True)
        form = SignForm(request.POST)
        if not form.is_valid():
            return sign_page(request, sheet, form=form, status=422)
        try:
            image = signing.signature_png_from_data_url(form.cleaned_data["signature"])
            outcome = signing.sheet_sign(
                actor=self.actor,
                sheet=sheet,
                signer_name=form.cleaned_data["signer_name"],
                signer_role=form.cleaned_data["signer_role"],
                signature_png=image,
            )
        except ValidationError as error:
            add_service_errors(form, error)
            return sign_page(request, selectors.sheet_get(actor=self.actor, pk=pk), form=form, status=422)
        except SealCertificateError as error:
            message = _("The sheet could not be sealed, so nothing was signed: %(reason)s") % {"reason": error.message}
            return sign_page(request, sheet, form=form, error=message, status=409)
        if outcome.already_signed:
            return sign_page(request, outcome.sheet, already_signed=True)
        messages.success(request, _("The sheet is signed and sealed."))
        return redirect("interventions:sheet_sign", pk=sheet.pk)


class SheetRemoteSignView(ProviderPage):
    """Nobody can sign on site: the technician records why and the client is mailed a one-time link."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponseBase:
        sheet = selectors.sheet_get(actor=self.actor, pk=pk)
        form = RemoteSignRequestForm(request.POST)
        if form.is_valid():
            try:
                signing.remote_sign_request(actor=self.actor, sheet=sheet, reason=form.cleaned_data["reason"])
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("The client was sent a link to sign the sheet in the portal."))
                return redirect("interventions:sheet_detail", pk=sheet.pk)
        return sign_page(request, sheet, remote_form=form, status=422)


class SheetPdfView(ProviderPage):
    """The signed, sealed sheet as stored (404 until it is signed)."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        sheet = selectors.sheet_get(actor=self.actor, pk=pk)
        return stored_pdf_response(sheet.document if sheet.status == SheetStatus.SIGNED else None)


class SheetPreviewView(ProviderPage):
    """The sheet as it stands, as a PDF watermarked "Draft": not stored, not sealed, proves nothing."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponseBase:
        sheet = selectors.sheet_get(actor=self.actor, pk=pk)
        if sheet.status == SheetStatus.SIGNED and sheet.document_id:
            return redirect("interventions:sheet_pdf", pk=sheet.pk)
        content = sheet_pdf.sheet_draft_pdf(sheet)
        return pdf_response(content, f"{sheet.reference}-draft.pdf")
