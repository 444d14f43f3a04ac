"""View helpers: every page resolves the actor first; domain errors map to responses."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render

from pacte.core.errors import ConflictError
from pacte.tenancy.models import Membership


class ActorRequiredMixin(LoginRequiredMixin):
    """A logged-in user acting as a membership. ``side`` restricts to provider or client roles.

    A user acting on the wrong side gets 404: the other side's pages do not exist for them.
    """

    side: str | None = None  # "provider", "client" or None (both)
    actor: Membership

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        actor = getattr(request, "actor", None)
        if actor is None:
            return redirect("accounts:switch")
        if self.side == "provider" and not actor.is_provider_side:
            return render(request, "404.html", status=404)
        if self.side == "client" and not actor.is_client_side:
            return render(request, "404.html", status=404)
        self.actor = actor
        try:
            return super().dispatch(request, *args, **kwargs)
        except ConflictError as error:
            return render(request, "409.html", {"message": error.message}, status=409)


def home(request: HttpRequest) -> HttpResponse:
    """Send each role to its start page."""
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    actor = getattr(request, "actor", None)
    if actor is None:
        return redirect("accounts:switch")
    if actor.is_client_side:
        return redirect("portal:home")
    return redirect("tenancy:client_list")


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "403.html", status=403)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "500.html", status=500)


__all__ = ["ActorRequiredMixin", "PermissionDenied", "forbidden", "home", "not_found", "server_error"]


class ServiceFormView(ActorRequiredMixin):
    """GET shows the form; POST validates it and hands ``cleaned_data`` to one service.

    A ``ValidationError`` from the service lands next to its field, and nothing is saved.
    """

    form_class: type[Any]
    template_name: str
    title: Any = ""

    def get_instance(self) -> Any:
        return None

    def get_form_kwargs(self) -> dict[str, Any]:
        return {}

    def perform(self, form: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def success_url(self, result: Any) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def get_context(self) -> dict[str, Any]:
        return {}

    def instance(self) -> Any:
        """``get_instance()`` fetched once per request (it runs a scoped selector)."""
        if not hasattr(self, "_cached_instance"):
            self._cached_instance = self.get_instance()
        return self._cached_instance

    def _form(self, data: Any = None) -> Any:
        kwargs = self.get_form_kwargs()
        instance = self.instance()
        if instance is not None:
            kwargs["instance"] = instance
        return self.form_class(data, **kwargs)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.render_form(request, self._form())

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = self._form(request.POST)
        if form.is_valid():
            try:
                result = self.perform(form)
            except ValidationError as error:
                _add_service_errors(form, error)
            else:
                return redirect(self.success_url(result))
        return self.render_form(request, form, status=422)

    def render_form(self, request: HttpRequest, form: Any, status: int = 200) -> HttpResponse:
        context = {"form": form, "title": self.title, "instance": self.instance(), **self.get_context()}
        return render(request, self.template_name, context, status=status)


def _add_service_errors(form: Any, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)
