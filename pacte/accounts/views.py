"""Login, membership switcher, profile and API tokens."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views import View

from pacte.accounts import services
from pacte.accounts.forms import ApiTokenForm, LoginForm, PasswordResetForm, ProfileForm
from pacte.accounts.models import ApiToken, TokenScope
from pacte.core.views import ActorRequiredMixin
from pacte.tenancy.middleware import SESSION_KEY
from pacte.tenancy.selectors import memberships_of_user


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset.html"
    form_class = PasswordResetForm
    email_template_name = "accounts/email/password_reset.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:profile")

    def form_valid(self, form: Any) -> HttpResponse:
        messages.success(self.request, _("Your password has been changed."))
        return super().form_valid(form)


class MembershipSwitchView(LoginRequiredMixin, View):
    """Choose which membership to act as (a user may work for several providers or clients)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        memberships = list(memberships_of_user(user_id=int(request.user.pk or 0)))
        return render(request, "accounts/switch.html", {"memberships": memberships})

    def post(self, request: HttpRequest) -> HttpResponse:
        try:
            membership_id = int(request.POST.get("membership", ""))
        except ValueError:
            membership_id = 0
        membership = get_object_or_404(memberships_of_user(user_id=int(request.user.pk or 0)), pk=membership_id)
        request.session[SESSION_KEY] = membership.pk
        return redirect("home")


class ProfileView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        form = ProfileForm(initial={"full_name": user.full_name, "language": user.language})  # type: ignore[union-attr]
        return render(request, "accounts/profile.html", {"form": form})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ProfileForm(request.POST)
        if form.is_valid():
            try:
                services.user_update_profile(
                    user=request.user,  # type: ignore[arg-type]
                    actor=getattr(request, "actor", None),
                    full_name=form.cleaned_data["full_name"],
                    language=form.cleaned_data["language"],
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Your profile has been saved."))
                response = redirect("accounts:profile")
                response.set_cookie("django_language", form.cleaned_data["language"], samesite="Lax")
                return response
        return render(request, "accounts/profile.html", {"form": form}, status=422)


class ApiTokenListView(ActorRequiredMixin, View):
    """The user's tokens for the membership they act as; a new secret is shown once."""

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._render(request, self._form())

    def post(self, request: HttpRequest) -> HttpResponse:
        form = self._form(request.POST)
        if form.is_valid():
            try:
                token, secret = services.api_token_create(
                    actor=self.actor,
                    name=form.cleaned_data["name"],
                    scope=form.cleaned_data.get("scope") or TokenScope.FULL,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                return self._render(request, self._form(), new_secret=secret, new_token=token)
        return self._render(request, form, status=422)

    def _form(self, data: Any = None) -> ApiTokenForm:
        """Only a provider-side member chooses a scope (alerts are posted by the provider's monitoring)."""
        return ApiTokenForm(data, provider_side=self.actor.is_provider_side)

    def _render(self, request: HttpRequest, form: ApiTokenForm, status: int = 200, **extra: Any) -> HttpResponse:
        tokens = ApiToken.objects.filter(membership=self.actor).order_by("-created_at")
        return render(request, "accounts/tokens.html", {"form": form, "tokens": tokens, **extra}, status=status)


class ApiTokenRevokeView(ActorRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponseBase:
        token = get_object_or_404(ApiToken, pk=pk, membership=self.actor)
        services.api_token_revoke(actor=self.actor, token=token)
        messages.success(request, _("The token has been revoked."))
        return redirect("accounts:tokens")
