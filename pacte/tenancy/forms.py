from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from pacte.core.text import compact_identifier
from pacte.tenancy.models import Client, Contact, Role, Site


class IdentifierCleaningMixin:
    """Accept identifiers typed with spaces (``732 829 320``) and store them compact."""

    cleaned_data: dict[str, Any]

    def clean_siren(self) -> str:
        return compact_identifier(self.cleaned_data.get("siren"))

    def clean_siret(self) -> str:
        return compact_identifier(self.cleaned_data.get("siret"))

    def clean_vat_number(self) -> str:
        return compact_identifier(self.cleaned_data.get("vat_number"))


class ClientForm(IdentifierCleaningMixin, forms.ModelForm):
    class Meta:
        model = Client
        fields = [
            "name",
            "is_professional",
            "siren",
            "siret",
            "vat_number",
            "address",
            "postal_code",
            "city",
            "country",
            "time_zone",
            "holiday_subdivision",
            "notes",
        ]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Identifiers are typed with spaces; the model's max_length applies after compaction.
        for name in ("siren", "siret", "vat_number"):
            self.fields[name].max_length = 30  # type: ignore[attr-defined]
            self.fields[name].widget.attrs["maxlength"] = 30
            self.fields[name].validators = []


class SiteForm(forms.ModelForm):
    class Meta:
        model = Site
        fields = ["name", "address", "postal_code", "city", "country", "time_zone", "holiday_subdivision"]


class ContactForm(forms.ModelForm):
    class Meta:
        model = Contact
        fields = ["first_name", "last_name", "email", "phone", "job_title", "site"]

    def __init__(self, *args: Any, client: Client, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = Site.objects.filter(client=client, archived_at__isnull=True)  # type: ignore[attr-defined]


class MembershipCreateForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"))
    full_name = forms.CharField(label=_("Full name"), max_length=150, required=False)
    role = forms.ChoiceField(label=_("Role"))
    client = forms.ModelChoiceField(label=_("Client"), queryset=Client.objects.none(), required=False)

    def __init__(self, *args: Any, roles: list[Role], clients: Any, **kwargs: Any) -> None:
        kwargs.pop("instance", None)
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [(role.value, role.label) for role in roles]  # type: ignore[attr-defined]
        if clients is None:
            del self.fields["client"]
        else:
            self.fields["client"].queryset = clients  # type: ignore[attr-defined]


class MembershipRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"))

    def __init__(self, *args: Any, roles: list[Role], **kwargs: Any) -> None:
        instance = kwargs.pop("instance", None)
        if instance is not None and not args:
            kwargs.setdefault("initial", {"role": instance.role})
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [(role.value, role.label) for role in roles]  # type: ignore[attr-defined]
