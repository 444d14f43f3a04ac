from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from pacte.core.text import compact_identifier
from pacte.tenancy import domain
from pacte.tenancy.models import Client, Contact, Provider, Role, Site


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
        fields = ["first_name", "last_name", "email", "phone", "job_title", "site", "billing_contact"]
        labels = {"billing_contact": _("Billing contact")}

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


class LogoInput(forms.ClearableFileInput):
    """The provider's logo: a thumbnail of the saved one, « Retirer le logo » (the clear checkbox) and
    « Remplacer » (the file input).

    The thumbnail comes from ``tenancy:provider_logo``, the view that checks who asks: media files are
    never served, so Django's link to the file's URL would be a dead link.
    """

    template_name = "tenancy/widgets/logo_input.html"
    initial_text = _("Current logo")  # type: ignore[assignment]  # lazy, as Django's own
    input_text = _("Replace")  # type: ignore[assignment]  # lazy, as Django's own
    clear_checkbox_label = _("Remove the logo")  # type: ignore[assignment]  # lazy, as Django's own
    choose_text = _("Add a logo")
    preview_url = reverse_lazy("tenancy:provider_logo")

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["widget"].update(preview_url=self.preview_url, choose_text=self.choose_text)
        return context


class ProviderIdentityForm(IdentifierCleaningMixin, forms.ModelForm):
    """The legal identity printed on the provider's invoices, and its numbering prefixes."""

    logo = forms.FileField(
        label=_("Logo"),
        required=False,
        widget=LogoInput(attrs={"accept": ",".join(domain.LOGO_TYPES)}),
        help_text=_("PNG or JPEG, 1 MB at most."),
    )

    class Meta:
        model = Provider
        fields = list(domain.PROVIDER_IDENTITY_FIELDS)
        widgets = {"late_penalty_text": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "late_penalty_text": _(
                "Printed in the payment terms of your contracts. Invoices print the legal mentions themselves: "
                "the penalty rate of the half-year and the 40 € recovery indemnity."
            )
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Typed with spaces (``FR76 3000 6000 …``, ``732 829 320``); the model's checks run on the compact value.
        for name in ("siren", "siret", "vat_number", "iban", "bic"):
            self.fields[name].max_length = 50  # type: ignore[attr-defined]
            self.fields[name].widget.attrs["maxlength"] = 50
            self.fields[name].validators = []
        self.fields["logo"].initial = self.instance.logo if self.instance.logo else None

    def clean_iban(self) -> str:
        return domain.iban_compact(self.cleaned_data.get("iban") or "")

    def clean_bic(self) -> str:
        return domain.iban_compact(self.cleaned_data.get("bic") or "")

    def clean_logo(self) -> Any:
        """``None`` (unchanged), ``False`` (removed) or the upload's bytes (checked here, then by the service)."""
        upload = self.cleaned_data.get("logo")
        if not upload:
            return upload
        if upload.size > domain.LOGO_MAX_BYTES:
            raise forms.ValidationError(_("The logo is over 1 MB: export it smaller."))
        return upload.read()
