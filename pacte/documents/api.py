"""REST endpoint of the documents service: verify a PDF."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from pacte.core.api import ERRORS, ErrorOut, request_actor, uploaded_file
from pacte.documents.permissions import can_verify_documents
from pacte.documents.schemas import VerificationOut
from pacte.documents.verification import document_verify
from pacte.tenancy.permissions import require

router = Router(tags=["documents"])

#: The body is read by the operation itself (not declared as a ninja ``File``) so that its size is
#: checked from ``Content-Length`` before any byte is read; the OpenAPI document describes it here.
UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary", "description": "The PDF."}},
                }
            }
        },
    }
}


@router.post(
    "/documents/verify",
    response={200: VerificationOut, **ERRORS, 413: ErrorOut},
    summary="Verify a PDF",
    description=(
        "Upload a PDF (multipart field `file`, at most `PACTE_UPLOAD_MAX_MB`, 20 MB by default): is it a "
        "document the provider issued or sealed, which one, when, and is it intact? The SHA-256 of the whole "
        "file is compared with the stored documents, and every embedded PAdES signature is validated with "
        "the provider's seal certificates as trust roots. 413: the body is too large (refused before it is "
        "read); 422: no file, or the file is not a PDF. Provider roles only."
    ),
    openapi_extra=UPLOAD_BODY,
)
def document_verify_api(request: HttpRequest) -> dict[str, Any]:
    actor = request_actor(request)
    require(can_verify_documents(actor))
    content = uploaded_file(request, "file", what="the PDF")
    result = document_verify(actor=actor, content=content)
    return {
        "status": str(result.status),
        "intact": result.intact,
        "sha256": result.sha256,
        "size": result.size,
        "readable": result.readable,
        "document": result.document,
        "signatures": result.signatures,
    }
