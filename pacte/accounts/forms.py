from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.forms import PasswordResetForm as DjangoPasswordResetForm
from django.utils.translation import gettext_lazy as _

from pacte.accounts.models import Language, TokenScope


class LoginForm(AuthenticationForm):
    """Django's login form with a message that reads well in French (no "un %(username)s")."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("Incorrect e-mail address or password. The password is case-sensitive."),
    }


class ProfileForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=150, required=False)
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)


class ApiTokenForm(forms.Form):
    """A token's name and, for the provider's people, its scope (a client's token always has full access)."""

    SCOPES = ((TokenScope.FULL, _("Full access")), (TokenScope.ALERTS, _("Monitoring alerts only")))

    name = forms.CharField(label=_("Token name"), max_length=100)
    scope = forms.ChoiceField(
        label=_("Scope"),
        choices=SCOPES,
        initial=TokenScope.FULL,
        required=False,
        help_text=_("A monitoring tool's token: it can only post alerts, nothing else."),
    )

    def __init__(self, *args: Any, provider_side: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not provider_side:
            del self.fields["scope"]

    def clean_scope(self) -> str:
        return self.cleaned_data.get("scope") or TokenScope.FULL


class PasswordResetForm(DjangoPasswordResetForm):
    """Django's reset form, its e-mail sent through the outbox (``mail_send``) in the user's language.

    The message is marked sensitive: its body (the reset link) is erased once it has been sent.
    """

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        from pacte.mail.services import mail_send, recipient_for_user

        user = context["user"]
        mail_send(
            template=email_template_name.removesuffix(".txt"),
            context=context,
            recipients=[recipient_for_user(user)],
            provider=None,
            sensitive=True,
        )
