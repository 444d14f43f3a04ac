from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from pacte.accounts.models import Language


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
    name = forms.CharField(label=_("Token name"), max_length=100)
