from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from pacte.audit.context import RequestContext, reset_request_context, set_request_context


class RequestContextMiddleware:
    """Makes the client's IP and user agent available to audit writes for this request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = set_request_context(
            RequestContext(
                ip=request.META.get("REMOTE_ADDR") or None,
                user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
            )
        )
        try:
            return self.get_response(request)
        finally:
            reset_request_context(token)
