"""Forms of the client's contract pages in the portal: the signature and the notice."""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

SHA256 = re.compile(r"^[0-9a-f]{64}\Z")


class SignForm(forms.Form):
    """What the signer confirms: the consent ticked, their full name typed, the SHA-256 of the PDF shown."""

    document_sha256 = forms.CharField(widget=forms.HiddenInput, max_length=64)
    consent = forms.BooleanField(
        label=_("I have read the document and I agree to sign it electronically."),
        error_messages={"required": _("Tick the box to confirm that you agree.")},
    )
    signer_name = forms.CharField(
        label=_("Your full name"),
        max_length=150,
        help_text=_("Type your first and last name: they are recorded with your signature."),
        error_messages={"required": _("Type your full name to sign.")},
    )

    def clean_document_sha256(self) -> str:
        value = self.cleaned_data["document_sha256"].strip().lower()
        if not SHA256.match(value):
            raise ValidationError(_("The document shown could not be identified: reload the page."))
        return value

    def clean_signer_name(self) -> str:
        value = " ".join(self.cleaned_data["signer_name"].split())
        if len(value) < 3:
            raise ValidationError(_("Type your full name to sign."))
        return value


class NoticeForm(forms.Form):
    """The client's notice: a confirmation and an optional comment (the date is today, the channel the portal)."""

    confirm = forms.BooleanField(
        label=_("I give notice on behalf of my company; I understand that this cannot be undone here."),
        error_messages={"required": _("Tick the box to confirm the notice.")},
    )
    comment = forms.CharField(
        label=_("Comment (optional)"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
