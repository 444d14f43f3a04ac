from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from pacte.assets import importing
from pacte.assets.domain import WarrantyState
from pacte.assets.models import Asset, AssetKind
from pacte.tenancy.models import Client, Contact, Site

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

WARRANTY_FILTERS = (
    ("", _("Any warranty")),
    (WarrantyState.EXPIRED.value, _("Expired")),
    (WarrantyState.EXPIRING.value, _("Expiring within 60 days")),
    (WarrantyState.VALID.value, _("Valid")),
    (WarrantyState.UNKNOWN.value, _("Unknown")),
)


class SiteChoiceField(forms.ModelChoiceField):
    """A site, labelled with its client when the list mixes several clients."""

    def __init__(self, *args: Any, with_client: bool = False, **kwargs: Any) -> None:
        self.with_client = with_client
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.client.name} — {obj.name}" if self.with_client else obj.name


class AssetForm(forms.ModelForm):
    """Create (with the client) or edit (the client is fixed) an asset.

    The site and user choices are the client's when the client is known (editing, or ``?client=``);
    otherwise every site and contact the actor sees, labelled with their client, and the service
    refuses one of another client next to its field.
    """

    class Meta:
        model = Asset
        fields = [
            "client",
            "name",
            "kind",
            "make",
            "model",
            "serial",
            "hostname",
            "site",
            "user_contact",
            "user_name",
            "operating_system",
            "purchase_date",
            "warranty_end",
            "notes",
        ]
        widgets = {
            "notes": forms.Textarea(attrs={"rows": 3}),
            "purchase_date": DATE_INPUT,
            "warranty_end": DATE_INPUT,
        }

    def __init__(
        self,
        *args: Any,
        clients: QuerySet[Client] | None,
        sites: QuerySet[Site],
        contacts: QuerySet[Contact],
        one_client: bool,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if clients is None:
            del self.fields["client"]
        else:
            self.fields["client"].queryset = clients  # type: ignore[attr-defined]
        self.fields["site"] = SiteChoiceField(
            queryset=sites, required=False, label=_("Site"), with_client=not one_client
        )
        self.fields["user_contact"].queryset = contacts  # type: ignore[attr-defined]
        if not one_client:
            self.fields["user_contact"].label_from_instance = (  # type: ignore[attr-defined]
                lambda contact: f"{contact.client.name} — {contact}"
            )
        self.fields["kind"].choices = AssetKind.choices  # type: ignore[attr-defined]


class AssetFilterForm(forms.Form):
    """The list's filters (GET); an unknown value is ignored rather than an error."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    client = forms.ModelChoiceField(label=_("Client"), queryset=Client.objects.none(), required=False)
    site = forms.ModelChoiceField(label=_("Site"), queryset=Site.objects.none(), required=False)
    kind = forms.ChoiceField(label=_("Type"), required=False)
    warranty = forms.ChoiceField(label=_("Warranty"), required=False, choices=WARRANTY_FILTERS)
    archived = forms.BooleanField(label=_("Show archived"), required=False)

    def __init__(self, *args: Any, clients: QuerySet[Client] | None, sites: QuerySet[Site], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if clients is None:
            del self.fields["client"]
        else:
            self.fields["client"].queryset = clients  # type: ignore[attr-defined]
        self.fields["site"].queryset = sites  # type: ignore[attr-defined]
        self.fields["kind"].choices = [("", _("Any type")), *AssetKind.choices]  # type: ignore[attr-defined]

    def filters(self) -> dict[str, Any]:
        """The valid filters, for ``selectors.asset_list``."""
        data = self.cleaned_data if self.is_valid() else {}
        client = data.get("client")
        site = data.get("site")
        return {
            "search": data.get("q") or "",
            "client_id": client.pk if client is not None else None,
            "site_id": site.pk if site is not None else None,
            "kind": data.get("kind") or "",
            "warranty": data.get("warranty") or "",
            "include_archived": bool(data.get("archived")),
        }


class AssetImportForm(forms.Form):
    client = forms.ModelChoiceField(label=_("Client"), queryset=Client.objects.none())
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("UTF-8, “;” or “,” between cells, one header line; at most 2 MB and 5,000 rows."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def __init__(self, *args: Any, clients: QuerySet[Client], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = clients  # type: ignore[attr-defined]

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size is not None and upload.size > importing.MAX_BYTES:
            raise forms.ValidationError(
                _("The file is too large: at most %(size)s MB."), params={"size": importing.MAX_BYTES // (1024 * 1024)}
            )
        return upload
