"""Domain errors raised by services; the web and API layers map them to responses.

- ``django.core.exceptions.ValidationError`` → 422 (API) / form errors (UI)
- ``django.core.exceptions.PermissionDenied`` → 403 (an object of the actor's own scope)
- ``django.http.Http404`` → 404 (unknown *or foreign*)
- ``ConflictError`` → 409 (a state conflict)
"""


class ConflictError(Exception):
    """The object's state forbids the change (e.g. an archived client edited)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
