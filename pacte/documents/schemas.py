from __future__ import annotations

from datetime import datetime
from typing import Literal

from ninja import Field, Schema


class DocumentOut(Schema):
    id: int
    kind: str
    title: str
    filename: str
    content_type: str
    size: int
    sha256: str
    is_sealed: bool
    client_id: int | None
    created_at: datetime


class SignatureCheckOut(Schema):
    field_name: str
    signer: str = Field(..., description="Subject of the signing certificate.")
    signed_at: datetime | None = Field(..., description="Signing time as the signer reports it.")
    by_provider: bool = Field(..., description="Signed with one of the provider's seal certificates.")
    intact: bool = Field(..., description="The signed bytes are unchanged.")
    valid: bool = Field(..., description="The cryptographic signature is sound.")
    trusted: bool = Field(..., description="The certificate chains to the provider's certificate.")
    covers_whole_file: bool = Field(..., description="Nothing was added to the file after this signature.")


class VerificationOut(Schema):
    status: Literal["authentic", "modified", "unknown"] = Field(
        ...,
        description=(
            "`authentic`: exactly a stored document of the provider, or intact under its seal; "
            "`modified`: names one of its documents or carries its seal, but is not intact; "
            "`unknown`: nothing links the file to the provider."
        ),
    )
    intact: bool | None = Field(..., description="Null for an unknown file.")
    sha256: str = Field(..., description="SHA-256 of the uploaded file.")
    size: int
    readable: bool = Field(..., description="False when the file starts like a PDF but cannot be parsed.")
    document: DocumentOut | None = Field(..., description="The stored document the file is, or claims to be.")
    signatures: list[SignatureCheckOut]
