from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from pacte.tenancy.selectors import memberships_of_user

SESSION_KEY = "pacte_membership_id"


class ActorMiddleware:
    """Resolves ``request.actor``: the membership the logged-in user chose (or their only one)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.actor = None  # type: ignore[attr-defined]
        if request.user.is_authenticated:
            memberships = memberships_of_user(user_id=request.user.pk)
            chosen = request.session.get(SESSION_KEY)
            actor = memberships.filter(pk=chosen).first() if chosen else None
            if actor is None:
                only = list(memberships[:2])
                if len(only) == 1:
                    actor = only[0]
                    request.session[SESSION_KEY] = actor.pk
            request.actor = actor  # type: ignore[attr-defined]
        return self.get_response(request)
