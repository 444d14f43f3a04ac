"""Errors of the documents service, each with a message a person can act on."""

from __future__ import annotations

from pacte.core.errors import ConflictError


class DocumentRenderError(Exception):
    """A document template cannot be rendered (unknown template, a variable the data does not provide).

    A bug of the calling app, never of the user: nothing is stored, the message names what is missing.
    """


class SealCertificateError(ConflictError):
    """The provider's seal certificate cannot be used (missing, unreadable, wrong password, expired).

    A ``ConflictError``: pages show the message on the 409 page, the API answers 409 with it.
    """


class StoredFileError(ConflictError):
    """A stored file is missing or no longer matches its SHA-256."""
