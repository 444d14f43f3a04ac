"""The client portal's signature pages: the signed sheet's PDF and the remote signature through a one-time link.

Client roles only (provider roles get 404). The PDF is their own company's sheet's (``selectors.sheet_get``
scopes it). The link ``/portal/interventions/sign/<token>/`` is mailed to the client when nobody could
sign on site: an unknown or replaced token, or another company's sheet, is a 404; an expired link
says so (410); a used one shows the signed sheet and changes nothing. ``/portal/interventions/<pk>/sign/``
is the same signature for whoever lost the e-mail, while the request is pending (no request or an
expired one: 409).
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


class _SignPage(PortalPage):
    """The remote signature page: found by the link's token (``RemoteSignView``) or by the sheet's id."""

    by_sheet = False
    url_name = ""
    #: The states shown with an error status (the link's: expired or cancelled, 410 Gone).
    closed_states: tuple[str, ...] = (signing.RemoteLinkState.EXPIRED, signing.RemoteLinkState.CANCELLED)
    closed_status = 410

    def lookup(self, key: str | int) -> tuple[Intervention, str]:
        raise NotImplementedError

    def complete(self, sheet: Intervention, key: str | int, signer_role: str, image: bytes) -> None:
        raise NotImplementedError

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
            "by_sheet": self.by_sheet,
            "form": form or RemoteSignForm(),
            "error": error,
            "signer": self.actor.user.full_name or self.actor.user.email,
        }
        if state in self.closed_states and status == 200:
            status = self.closed_status
        return render(request, TEMPLATE, context, status=status)

    def _get(self, request: HttpRequest, key: str | int) -> HttpResponse:
        sheet, state = self.lookup(key)
        return self._page(request, sheet, state)

    def _post(self, request: HttpRequest, key: str | int) -> HttpResponseBase:
        sheet, state = self.lookup(key)
        if state != signing.RemoteLinkState.OPEN:
            return self._page(request, sheet, state)
        form = RemoteSignForm(request.POST)
        if not form.is_valid():
            return self._page(request, sheet, state, form=form, status=422)
        try:
            image = signing.signature_png_from_data_url(form.cleaned_data["signature"])
            self.complete(sheet, key, form.cleaned_data["signer_role"], image)
        except ValidationError as error:
            add_service_errors(form, error)
            sheet, state = self.lookup(key)
            return self._page(request, sheet, state, form=form, status=422)
        except SealCertificateError:
            error_text = _(
                "The sheet could not be sealed, so nothing was signed: try again later or contact the provider."
            )
            return self._page(request, sheet, state, form=form, error=error_text, status=409)
        messages.success(request, _("Thank you: the sheet is signed. The signed PDF is below."))
        return redirect(self.url_name, key)


class RemoteSignView(_SignPage):
    url_name = "portal:intervention_remote_sign"

    def lookup(self, key: str | int) -> tuple[Intervention, str]:
        return signing.remote_sign_lookup(actor=self.actor, token=str(key))

    def complete(self, sheet: Intervention, key: str | int, signer_role: str, image: bytes) -> None:
        signing.remote_sign_complete(actor=self.actor, token=str(key), signer_role=signer_role, signature_png=image)

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        return self._get(request, token)

    def post(self, request: HttpRequest, token: str) -> HttpResponseBase:
        return self._post(request, token)


class SheetSignView(_SignPage):
    """The same signature, from the portal without the e-mailed link, while the request is pending.

    The client's people (any role of the sheet's company); another company's sheet and provider roles:
    404. No pending request, or an expired one: 409 with a page that says so; a signed sheet shows
    its signed state.
    """

    by_sheet = True
    url_name = "portal:intervention_sign"
    closed_states = (signing.RemoteLinkState.EXPIRED, signing.RemoteLinkState.NONE)
    closed_status = 409

    def lookup(self, key: str | int) -> tuple[Intervention, str]:
        return signing.remote_sign_sheet_lookup(actor=self.actor, pk=int(key))

    def complete(self, sheet: Intervention, key: str | int, signer_role: str, image: bytes) -> None:
        signing.remote_sign_complete_by_sheet(
            actor=self.actor, sheet=sheet, signer_role=signer_role, signature_png=image
        )

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._get(request, pk)

    def post(self, request: HttpRequest, pk: int) -> HttpResponseBase:
        return self._post(request, pk)
