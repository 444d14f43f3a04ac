"""Pages of the documents service: the permission-checked download and the verification page."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from pacte.core.views import ActorRequiredMixin
from pacte.documents import selectors, storage, uploads
from pacte.documents.errors import StoredFileError
from pacte.documents.forms import VerifyForm
from pacte.documents.verification import Verification, document_verify


class DocumentDownloadView(ActorRequiredMixin, View):
    """A stored document, as an attachment, to whoever may see it (both sides; anything else is 404).

    Provider roles get their provider's documents, client roles only their own company's.
    """

    def get(self, request: HttpRequest, pk: int) -> HttpResponseBase:
        document = selectors.document_get(actor=self.actor, pk=pk)
        try:
            handle = storage.path_of(document.storage_name).open("rb")
        except OSError as error:
            raise StoredFileError(_("The stored file of this document is missing.")) from error
        response = FileResponse(
            handle, as_attachment=True, filename=document.filename, content_type=document.content_type
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response


@method_decorator(csrf_exempt, name="dispatch")  # checked in ``post`` once the size is known to be acceptable
class DocumentVerifyView(ActorRequiredMixin, View):
    """Upload a PDF: is it one of the provider's documents, which one, and is it intact?

    The size of the body is checked from its ``Content-Length`` before anything reads it (the CSRF
    check reads the form, so it runs just after): a 200 MB upload is refused at once with a message.
    """

    side = "provider"
    template_name = "documents/verify.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._page(request, VerifyForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        try:
            uploads.check_request_size(request)
        except uploads.UploadTooLargeError as error:
            return self._page(request, VerifyForm(), error=str(error), status=413)
        return csrf_protect(self._verify)(request)

    def _verify(self, request: HttpRequest) -> HttpResponse:
        try:
            form = VerifyForm(request.POST, request.FILES)
            valid = form.is_valid()
        except MultiPartParserError:
            return self._page(request, VerifyForm(), error=_("The upload could not be read: try again."), status=400)
        if not valid:
            return self._page(request, form, status=422)
        upload = form.cleaned_data["file"]
        try:
            result = document_verify(actor=self.actor, content=b"".join(upload.chunks()))
        except ValidationError as error:
            form.add_error("file", error.message_dict.get("file", error.messages))
            return self._page(request, form, status=422)
        return self._page(request, VerifyForm(), result=result, uploaded_name=upload.name)

    def _page(
        self,
        request: HttpRequest,
        form: VerifyForm,
        *,
        result: Verification | None = None,
        uploaded_name: str = "",
        error: str = "",
        status: int = 200,
    ) -> HttpResponse:
        context: dict[str, Any] = {
            "form": form,
            "result": result,
            "uploaded_name": uploaded_name,
            "error": error,
            "max_size_mb": f"{uploads.upload_limit() / (1024 * 1024):g}",
            "provider": self.actor.provider,
        }
        return render(request, self.template_name, context, status=status)
