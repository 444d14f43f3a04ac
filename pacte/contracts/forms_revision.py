"""Forms of the index table, its CSV import, the alert settings and the price revision."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from pacte.contracts import indexes
from pacte.contracts.alerts import MAX_LEAD_DAYS, MAX_LEAD_TIMES
from pacte.contracts.models import IndexSeries

MONTH_FORMATS = ["%Y-%m", "%m/%Y", "%Y-%m-%d", "%d/%m/%Y"]


class MonthField(forms.DateField):
    """A month (``<input type="month">`` sends ``2026-10``; ``10/2026`` typed by hand works too)."""

    widget = forms.DateInput(attrs={"type": "month"}, format="%Y-%m")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(input_formats=MONTH_FORMATS, **kwargs)

    def to_python(self, value: Any) -> datetime.date | None:
        day = super().to_python(value)
        return day.replace(day=1) if day is not None else None


class IndexValueForm(forms.Form):
    index_code = forms.CharField(
        label=_("Index"), max_length=30, initial="SYNTEC", help_text=_("SYNTEC unless the clause names another index.")
    )
    month = MonthField(label=_("Month"))
    series = forms.ChoiceField(label=_("Series"), choices=IndexSeries.choices, initial=IndexSeries.CURRENT)
    value = forms.CharField(label=_("Value"), max_length=20, help_text=_("As published, e.g. 306.5 or 306,5."))
    published_on = forms.DateField(
        label=_("Published on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(self, *args: Any, instance: Any = None, **kwargs: Any) -> None:
        if instance is not None and not args and "initial" not in kwargs:
            kwargs["initial"] = {
                "index_code": instance.index_code,
                "month": instance.month,
                "series": instance.series,
                "value": f"{instance.value.normalize():f}",
                "published_on": instance.published_on,
            }
        super().__init__(*args, **kwargs)

    def clean_index_code(self) -> str:
        return indexes.index_code_normalise(self.cleaned_data["index_code"])

    def clean_value(self) -> Decimal:
        value = indexes.parse_decimal(self.cleaned_data["value"])
        message = indexes.value_error(value)
        if message or value is None:
            raise ValidationError(message)
        return value


class IndexImportForm(forms.Form):
    index_code = forms.CharField(label=_("Index"), max_length=30, initial="SYNTEC")
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "One line per month: month;value;published on[;series] — e.g. 10/2026;306,0;20/11/2026. "
            "A header line is optional."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv,text/plain"}),
    )

    def clean_index_code(self) -> str:
        code = indexes.index_code_normalise(self.cleaned_data["index_code"])
        if not indexes.INDEX_CODE.fullmatch(code):
            raise ValidationError(_("An index code is 1 to 30 capital letters, digits, '-' or '_' (e.g. SYNTEC)."))
        return code

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size is not None and upload.size > indexes.MAX_IMPORT_BYTES:
            raise ValidationError(_("The file is too large: at most 512 KB."))
        return upload


class ContractSettingsForm(forms.Form):
    lead_days = forms.CharField(
        label=_("Alert lead times (days)"),
        max_length=60,
        help_text=_("Days before each deadline when the managers get an e-mail, separated by commas: 90, 30, 7."),
    )
    alerts_enabled = forms.BooleanField(label=_("Send the deadline alerts"), required=False)

    def clean_lead_days(self) -> list[int]:
        parts = [part for part in re.split(r"[\s,;]+", self.cleaned_data["lead_days"]) if part]
        if not parts or not all(part.isdigit() for part in parts):
            raise ValidationError(_("Enter whole numbers of days, separated by commas."))
        days = sorted({int(part) for part in parts}, reverse=True)
        if len(days) > MAX_LEAD_TIMES or not all(1 <= day <= MAX_LEAD_DAYS for day in days):
            raise ValidationError(
                _("Up to %(count)s lead times, each from 1 to %(max)s days.")
                % {"count": MAX_LEAD_TIMES, "max": MAX_LEAD_DAYS}
            )
        return days


class RevisionDateForm(forms.Form):
    revision_date = forms.DateField(
        label=_("Revision date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("A date of the clause's schedule; the new prices apply from that day."),
    )


class RevisionConfirmForm(RevisionDateForm):
    token = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)
