"""The client portal's signature pages: the signed sheet's PDF and the remote signature through a one-time link.

Client roles only (provider roles get 404). The PDF is their own company's sheet's (``selectors.sheet_get``
scopes it). The link ``/portal/interventions/sign/<token>/`` is mailed to the client when nobody could
sign on site: an unknown or replaced token, or another company's sheet, is a 404; an expired link
says so (410); a used one shows the signed sheet and changes nothing.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pacte.documents.errors import SealCertificateError
from pacte.interventions import selectors, signing
from pacte.interventions.models import Intervention, SheetStatus
from pacte.interventions.portal_views import PortalPage
from pacte.interventions.views_sign import sign_page_context, stored_pdf_response
from pacte.servicedesk.views import add_service_errors

TEMPLATE = "interventions/portal/remote_sign.html"


class RemoteSignForm(forms.Form):
    signer_role = forms.CharField(label=gettext_lazy("Your role"), max_length=signing.NAME_MAX, required=False)
    signature = forms.CharField(
        widget=forms.HiddenInput,
        max_length=(signing.MAX_PNG_BYTES * 4) // 3 + 64,
        error_messages={
            "required": gettext_lazy("Sign in the box before submitting."),
            "max_length": gettext_lazy("The signature image is too large (at most 300 KB)."),
        },
    )


class InterventionPdfView(PortalPage):
    """The company's signed, sealed sheet, as stored (404 for another company's or an unsigned sheet)."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        sheet = selectors.sheet_get(actor=self.actor, pk=pk)
        return stored_pdf_response(sheet.document if sheet.status == SheetStatus.SIGNED else None)


class RemoteSignView(PortalPage):
    def _page(
        self,
        request: HttpRequest,
        sheet: Intervention,
        state: str,
        *,
        form: RemoteSignForm | None = None,
        error: str = "",
        status: int = 200,
    ) -> HttpResponse:
        context = {
            **sign_page_context(sheet),
            "state": state,
            "form": form or RemoteSignForm(),
            "error": error,
            "signer": self.actor.user.full_name or self.actor.user.email,
        }
        if state in (signing.RemoteLinkState.EXPIRED, signing.RemoteLinkState.CANCELLED) and status == 200:
            status = 410
        return render(request, TEMPLATE, context, status=status)

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        sheet, state = signing.remote_sign_lookup(actor=self.actor, token=token)
        return self._page(request, sheet, state)

    def post(self, request: HttpRequest, token: str) -> HttpResponseBase:
        sheet, state = signing.remote_sign_lookup(actor=self.actor, token=token)
        if state != signing.RemoteLinkState.OPEN:
            return self._page(request, sheet, state)
        form = RemoteSignForm(request.POST)
        if not form.is_valid():
            return self._page(request, sheet, state, form=form, status=422)
        try:
            image = signing.signature_png_from_data_url(form.cleaned_data["signature"])
            signing.remote_sign_complete(
                actor=self.actor, token=token, signer_role=form.cleaned_data["signer_role"], signature_png=image
            )
        except ValidationError as error:
            add_service_errors(form, error)
            sheet, state = signing.remote_sign_lookup(actor=self.actor, token=token)
            return self._page(request, sheet, state, form=form, status=422)
        except SealCertificateError:
            error_text = _(
                "The sheet could not be sealed, so nothing was signed: try again later or contact the provider."
            )
            return self._page(request, sheet, state, form=form, error=error_text, status=409)
        messages.success(request, _("Thank you: the sheet is signed. The signed PDF is below."))
        return redirect("portal:intervention_remote_sign", token=token)
