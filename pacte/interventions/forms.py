"""Forms of the intervention sheet pages: the list's filters, a new sheet, and each block of the sheet page.

Forms parse and offer only what the actor may choose (scoped querysets built by the views); the
services decide. Times are typed in the site's local time (``datetime-local`` inputs) and become
aware instants with :class:`LocalDateTimeField`, which knows the zone (daylight saving included: a
time that does not exist or happens twice on the night of a clock change is refused with a clear error).
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pacte.assets.models import Asset
from pacte.contracts.models import Contract
from pacte.interventions.models import BackupCheck, Mode, Nature, Outcome, Result, SheetStatus
from pacte.tenancy.models import Client, Membership, Site

DEFAULT_TIME_ZONE = "Europe/Paris"
LOCAL_INPUT_FORMAT = "%Y-%m-%dT%H:%M"


def person_name(membership: Membership) -> str:
    return membership.user.get_full_name() or membership.user.email


def _field(form: forms.Form, name: str) -> Any:
    """A field of ``form`` (typed loosely: its ``choices`` and ``queryset`` are set per request)."""
    return form.fields[name]


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return person_name(obj)


class PeopleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return person_name(obj)


class AssetChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        extra = obj.serial or obj.hostname
        return f"{obj.name} ({extra})" if extra and extra != obj.name else obj.name


class AssetsChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        extra = obj.serial or obj.hostname
        return f"{obj.name} ({extra})" if extra and extra != obj.name else obj.name


class ContractChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.reference} — {obj.title}" if obj.reference else obj.title


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format=LOCAL_INPUT_FORMAT)


class LocalDateTimeField(forms.DateTimeField):
    """A wall-clock time in ``time_zone`` (set by the form) → an aware instant; shown back in that zone."""

    widget = LocalDateTimeInput
    time_zone = DEFAULT_TIME_ZONE
    default_error_messages = {
        "invalid": _("Enter a date and time, e.g. 2026-03-14 09:30."),
    }

    def to_python(self, value: Any) -> datetime.datetime | None:
        zone = ZoneInfo(self.time_zone)
        if isinstance(value, datetime.datetime) and timezone.is_aware(value):
            return value
        with timezone.override(zone):
            try:
                return super().to_python(value)
            except forms.ValidationError as error:
                if getattr(error, "code", "") == "ambiguous_timezone":
                    raise forms.ValidationError(
                        _(
                            "%(time)s does not exist or happens twice in %(zone)s (clock change night): "
                            "enter the time an hour earlier or later."
                        ),
                        code="ambiguous_timezone",
                        params={"time": value, "zone": self.time_zone},
                    ) from error
                raise

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, datetime.datetime) and timezone.is_aware(value):
            return value.astimezone(ZoneInfo(self.time_zone)).replace(tzinfo=None)
        return value


def _set_zone(form: forms.Form, time_zone: str) -> None:
    for field in form.fields.values():
        if isinstance(field, LocalDateTimeField):
            field.time_zone = time_zone or DEFAULT_TIME_ZONE


def _int(value: Any) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**62 else None


# The list --------------------------------------------------------------------------------------------


class SheetFilterForm(forms.Form):
    """The list's filters, from the query string; a value that is not one of the choices is ignored."""

    status = forms.ChoiceField(required=False)
    client = forms.ModelChoiceField(queryset=Client.objects.none(), required=False, empty_label=_("All clients"))
    technician = forms.ChoiceField(required=False)
    date_from = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    q = forms.CharField(required=False, max_length=200)

    def __init__(self, data: Any, *, clients: QuerySet[Client], technicians: list[Membership]) -> None:
        super().__init__(data)
        _field(self, "status").choices = [("", _("All statuses")), ("open", _("Not signed yet")), *SheetStatus.choices]
        _field(self, "client").queryset = clients
        _field(self, "technician").choices = [
            ("", _("Any technician")),
            ("me", _("Mine")),
            *((str(m.pk), person_name(m)) for m in technicians),
        ]
        labels = {
            "status": _("Status"),
            "client": _("Client"),
            "technician": _("Technician"),
            "date_from": _("From"),
            "date_to": _("To"),
        }
        for name, label in labels.items():
            self.fields[name].widget.attrs["aria-label"] = label

    def value(self, name: str) -> Any:
        if not hasattr(self, "cleaned_data"):
            self.is_valid()
        return self.cleaned_data.get(name) or ""

    def selector_kwargs(self, actor: Membership) -> dict[str, Any]:
        technician = self.value("technician")
        client = self.value("client")
        return {
            "status": self.value("status"),
            "client_id": client.pk if client else None,
            "technician_id": actor.pk if technician == "me" else (int(technician) if technician else None),
            "search": self.value("q"),
            "date_from": self.value("date_from") or None,
            "date_to": self.value("date_to") or None,
        }

    @property
    def filtered(self) -> bool:
        return any(self.value(name) for name in ("status", "client", "technician", "date_from", "date_to", "q"))


# A new sheet -------------------------------------------------------------------------------------------


class SheetCreateForm(forms.Form):
    """Client first; its sites, contracts in force and equipment follow it (reload or htmx)."""

    client = forms.ModelChoiceField(
        label=_("Client"), queryset=Client.objects.none(), empty_label=_("Choose a client…")
    )
    ticket = forms.IntegerField(required=False, widget=forms.HiddenInput)
    title = forms.CharField(label=_("Title"), max_length=200)
    mode = forms.ChoiceField(label=_("Mode"), choices=Mode.choices, initial=Mode.ON_SITE)
    site = forms.ModelChoiceField(
        label=_("Site"), queryset=Site.objects.none(), required=False, empty_label=_("No particular site")
    )
    contract = ContractChoiceField(
        label=_("Contract"), queryset=Contract.objects.none(), required=False, empty_label=_("No contract (billable)")
    )
    assets = AssetsChoiceField(
        label=_("Equipment"),
        queryset=Asset.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    technicians = PeopleChoiceField(
        label=_("Technicians"),
        queryset=Membership.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    planned_start = LocalDateTimeField(label=_("Planned start"), required=False)
    planned_end = LocalDateTimeField(label=_("Planned end"), required=False)

    def __init__(
        self,
        data: Any = None,
        *,
        clients: QuerySet[Client],
        sites: QuerySet[Site],
        contracts: QuerySet[Contract],
        assets: QuerySet[Asset],
        technicians: QuerySet[Membership],
        time_zone: str,
        initial: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(data, initial=initial)
        _field(self, "client").queryset = clients
        _field(self, "site").queryset = sites
        _field(self, "contract").queryset = contracts
        _field(self, "assets").queryset = assets
        _field(self, "technicians").queryset = technicians
        self.fields["client"].widget.attrs.update({"data-reload": "client"})
        self.fields["planned_start"].help_text = _("Local time of the site (%(zone)s).") % {"zone": time_zone}
        _set_zone(self, time_zone)


# The sheet page's blocks ---------------------------------------------------------------------------------


class DetailsForm(forms.Form):
    """Title, site, equipment and technicians (sheet_update)."""

    title = forms.CharField(label=_("Title"), max_length=200)
    site = forms.ModelChoiceField(
        label=_("Site"), queryset=Site.objects.none(), required=False, empty_label=_("No particular site")
    )
    assets = AssetsChoiceField(
        label=_("Equipment"), queryset=Asset.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    technicians = PeopleChoiceField(
        label=_("Technicians"), queryset=Membership.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(
        self,
        data: Any = None,
        *,
        sites: QuerySet[Site],
        assets: QuerySet[Asset],
        technicians: QuerySet[Membership],
        initial: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(data, initial=initial)
        _field(self, "site").queryset = sites
        _field(self, "assets").queryset = assets
        _field(self, "technicians").queryset = technicians


class WorkForm(forms.Form):
    """What was found and done (sheet_update)."""

    diagnosis = forms.CharField(
        label=_("Diagnosis"), required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 3})
    )
    actions = forms.CharField(
        label=_("Actions taken"), required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 4})
    )
    result = forms.ChoiceField(label=_("Result"), required=False, choices=[("", "—"), *Result.choices])
    recommendations = forms.CharField(
        label=_("Advice and recommendations"),
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    follow_up_needed = forms.BooleanField(label=_("Follow-up needed"), required=False)
    follow_up_notes = forms.CharField(
        label=_("Follow-up"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )


class TravelForm(forms.Form):
    travel_minutes = forms.IntegerField(
        label=_("Travel time (minutes)"),
        required=False,
        min_value=0,
        max_value=24 * 60,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    travel_km = forms.DecimalField(
        label=_("Distance (km)"),
        required=False,
        min_value=Decimal(0),
        max_digits=7,
        decimal_places=1,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.1"}),
    )
    travel_zone = forms.ChoiceField(label=_("Travel zone"), required=False)

    def __init__(self, data: Any = None, *, zones: list[tuple[str, str]], initial: dict[str, Any] | None = None):
        super().__init__(data, initial=initial)
        _field(self, "travel_zone").choices = [("", "—"), *zones]


class WorkshopForm(forms.Form):
    dropped_off_at = LocalDateTimeField(label=_("Dropped off at"), required=False)
    dropped_off_by = forms.CharField(label=_("Dropped off by"), required=False, max_length=150)
    drop_off_condition = forms.CharField(
        label=_("Condition and accessories at drop-off"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    returned_at = LocalDateTimeField(label=_("Returned at"), required=False)
    returned_to = forms.CharField(label=_("Returned to"), required=False, max_length=150)

    def __init__(self, data: Any = None, *, time_zone: str, initial: dict[str, Any] | None = None) -> None:
        super().__init__(data, initial=initial)
        _set_zone(self, time_zone)


class BackupForm(forms.Form):
    check = forms.ChoiceField(
        label=_("Backups before the work"),
        choices=[(value, label) for value, label in BackupCheck.choices if value != BackupCheck.PENDING],
        widget=forms.RadioSelect,
    )
    confirmed_by = forms.CharField(
        label=_("Name of the person confirming"),
        required=False,
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )


class TimeEntryForm(forms.Form):
    """One technician's time, typed in the site's local time."""

    started_at = LocalDateTimeField(label=_("Start"))
    ended_at = LocalDateTimeField(label=_("End"))
    technician = PersonChoiceField(label=_("Technician"), queryset=Membership.objects.none(), empty_label=None)
    nature = forms.ChoiceField(label=_("Nature"), choices=Nature.choices, initial=Nature.LABOUR)
    description = forms.CharField(label=_("Description"), required=False, max_length=500)

    def __init__(
        self,
        data: Any = None,
        *,
        technicians: QuerySet[Membership],
        time_zone: str,
        initial: dict[str, Any] | None = None,
        prefix: str | None = None,
    ) -> None:
        super().__init__(data, initial=initial, prefix=prefix)
        _field(self, "technician").queryset = technicians
        _set_zone(self, time_zone)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("started_at"), data.get("ended_at")
        if start is not None and end is not None and end <= start:
            self.add_error("ended_at", _("The end must be after the start."))
        return data


class PartForm(forms.Form):
    description = forms.CharField(label=_("Part"), max_length=200)
    quantity = forms.DecimalField(
        label=_("Quantity"),
        max_digits=9,
        decimal_places=2,
        initial=1,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "any"}),
    )
    unit_price = forms.DecimalField(
        label=_("Unit price excl. VAT"),
        required=False,
        max_digits=12,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}),
    )
    serial_out = forms.CharField(label=_("Serial out"), required=False, max_length=100)
    serial_in = forms.CharField(label=_("Serial in"), required=False, max_length=100)
    asset = AssetChoiceField(
        label=_("Equipment"), queryset=Asset.objects.none(), required=False, empty_label=_("No particular equipment")
    )

    def __init__(self, data: Any = None, *, assets: QuerySet[Asset]) -> None:
        super().__init__(data)
        _field(self, "asset").queryset = assets


class ChecklistAddForm(forms.Form):
    label = forms.CharField(label=_("Check"), max_length=200)
    asset = AssetChoiceField(
        label=_("Equipment"), queryset=Asset.objects.none(), required=False, empty_label=_("The whole sheet")
    )

    def __init__(self, data: Any = None, *, assets: QuerySet[Asset]) -> None:
        super().__init__(data)
        _field(self, "asset").queryset = assets


class ChecklistSetForm(forms.Form):
    outcome = forms.ChoiceField(choices=Outcome.choices)
    note = forms.CharField(required=False, max_length=500)


class PatchForm(forms.Form):
    asset = AssetChoiceField(label=_("Equipment"), queryset=Asset.objects.none(), empty_label=None)
    reference = forms.CharField(label=_("Reference"), max_length=100, help_text=_("e.g. KB5031356, 22.04.3"))
    title = forms.CharField(label=_("Title"), required=False, max_length=200)

    def __init__(self, data: Any = None, *, assets: QuerySet[Asset]) -> None:
        super().__init__(data)
        _field(self, "asset").queryset = assets


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason for cancelling"), max_length=300)


def ticket_id(value: Any) -> int | None:
    """A ticket id from a query string or a hidden field, or ``None``."""
    return _int(value)
