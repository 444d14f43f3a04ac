"""Forms of the provider's contract pages; the terms themselves are in ``forms_terms``."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from pacte.contracts import dates
from pacte.contracts.forms_terms import TermsForm
from pacte.contracts.models import (
    ContractStatus,
    ContractTemplate,
    ContractType,
    NoticeChannel,
    NoticeParty,
    ServiceCategory,
)
from pacte.contracts.services import MAX_DURATION_MONTHS

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
DATE_WIDGET = {"widget": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}


def _duration_field(**kwargs: Any) -> forms.IntegerField:
    return forms.IntegerField(
        label=_("Duration (months)"),
        required=False,
        min_value=1,
        max_value=MAX_DURATION_MONTHS,
        widget=forms.NumberInput(attrs={"list": "duration-choices", "inputmode": "numeric"}),
        **kwargs,
    )


def _within_years(value: datetime.date | None) -> datetime.date | None:
    """Contract dates stay within years 1900–2999 (month arithmetic on year 9999 would overflow)."""
    if value is not None and not 1900 <= value.year <= 2999:
        raise ValidationError(_("Enter a date between the years 1900 and 2999."))
    return value


def _short(day: datetime.date) -> str:
    return formats.date_format(day, "SHORT_DATE_FORMAT")


NOTICE_CODES = {
    "not_positive": _("Enter at least 1 month."),
    "notice_months_and_days": _("Give the notice in months or in days, not both."),
    "notice_not_shorter_than_term": _(
        "The notice is as long as the term or longer: nobody could ever refuse the renewal in time."
    ),
    "notice_not_shorter_than_renewal_term": _(
        "The notice is as long as the renewal term or longer: nobody could ever refuse the next renewal in time."
    ),
    "renewal_term_without_renewal": _("A contract that does not renew has no renewal term."),
}


class CategoryForm(forms.ModelForm):
    class Meta:
        model = ServiceCategory
        fields = ["code", "name", "description"]
        help_texts = {"code": _("Lower-case letters, digits and hyphens; contracts refer to it and it never changes.")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["code"].disabled = True

    def validate_unique(self) -> None:
        """Uniqueness is the service's (per provider, and the provider is not a field here)."""

    def service_data(self) -> dict[str, Any]:
        data = {name: self.cleaned_data[name] for name in ("name", "description")}
        if not self.instance.pk:
            data["code"] = self.cleaned_data["code"]
        return data


class TemplateForm(TermsForm):
    """A contract template: its name and default duration, and its default terms (no client values)."""

    name = forms.CharField(label=_("Name"), max_length=150)
    description = forms.CharField(label=_("Description"), max_length=300, required=False)
    duration_months = _duration_field(help_text=_("12, 24…; empty: indefinite duration."))

    def __init__(self, data: Any = None, *, template: ContractTemplate | None = None, **kwargs: Any) -> None:
        initial = kwargs.pop("initial", {})
        if template is not None:
            initial = {
                "name": template.name,
                "description": template.description,
                "duration_months": template.duration_months,
                "optional_clauses": template.optional_clauses,
                **initial,
            }
            kwargs.setdefault("terms", template.default_terms)
        super().__init__(data, mode="template", initial=initial, **kwargs)

    def service_data(self) -> dict[str, Any]:
        assert self.terms is not None
        return {
            "name": self.cleaned_data["name"],
            "description": self.cleaned_data.get("description", ""),
            "duration_months": self.cleaned_data.get("duration_months"),
            "default_terms": self.terms,
            "optional_clauses": self.optional_clauses(),
        }


class ContractNewForm(forms.Form):
    """A draft in a few clicks: the client, a template and its options, the start, a title."""

    client = forms.ChoiceField(label=_("Client"))
    template = forms.ChoiceField(label=_("Contract template"))
    included_clauses = forms.MultipleChoiceField(
        label=_("Optional clauses to include"), required=False, widget=forms.CheckboxSelectMultiple
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    start_date = forms.DateField(label=_("Start date"), **DATE_WIDGET)  # type: ignore[arg-type]
    duration_months = _duration_field(help_text=_("Empty: the template's duration."))

    def __init__(
        self,
        data: Any = None,
        *,
        clients: list[tuple[str, str]],
        templates: list[ContractTemplate],
        **kwargs: Any,
    ) -> None:
        super().__init__(data, **kwargs)
        self.templates = {str(template.pk): template for template in templates}
        self.fields["client"].choices = [("", "—"), *clients]  # type: ignore[attr-defined]
        self.fields["template"].choices = [  # type: ignore[attr-defined]
            ("", "—"),
            *((str(t.pk), t.name) for t in templates),
        ]
        chosen = self.chosen_template()
        self.fields["included_clauses"].choices = optional_clause_choices(chosen) if chosen else []  # type: ignore[attr-defined]
        if chosen is not None and not self.is_bound:
            self.initial.setdefault("included_clauses", list(chosen.optional_clauses))

    def clean_start_date(self) -> datetime.date | None:
        return _within_years(self.cleaned_data.get("start_date"))

    def chosen_template(self) -> ContractTemplate | None:
        key = (self.data.get("template") if self.is_bound else None) or self.initial.get("template")
        return self.templates.get(str(key or ""))


def optional_clause_choices(template: ContractTemplate) -> list[tuple[str, str]]:
    titles = {clause.key: clause.title for clause in template.terms.clauses}
    return [(key, titles.get(key, key)) for key in template.optional_clauses]


class _ContractDatesMixin(forms.Form):
    """Start, duration or last day of the first term, checked with the notice of the terms."""

    start_date = forms.DateField(label=_("Start date"), **DATE_WIDGET)  # type: ignore[arg-type]
    duration_months = _duration_field(help_text=_("12, 24…; empty with no last day: indefinite duration."))
    end_date = forms.DateField(
        label=_("or last day of the first term"),
        required=False,
        help_text=_("The day before a monthly anniversary of the start."),
        **DATE_WIDGET,  # type: ignore[arg-type]
    )

    def clean_start_date(self) -> datetime.date | None:
        return _within_years(self.cleaned_data.get("start_date"))

    def clean_end_date(self) -> datetime.date | None:
        return _within_years(self.cleaned_data.get("end_date"))

    def check_dates(self, cleaned: dict[str, Any]) -> None:
        start, months, end = cleaned.get("start_date"), cleaned.get("duration_months"), cleaned.get("end_date")
        if start is None or self.has_error("duration_months") or self.has_error("end_date"):
            return
        if end is not None and months is None:
            if end < start:
                self.add_error("end_date", _("The last day is before the start."))
                return
            months = next((m for m in range(1, MAX_DURATION_MONTHS + 1) if dates.term_last_day(start, m) == end), None)
            if months is None:
                self.add_error(
                    "end_date",
                    _("The last day must be the day before a monthly anniversary of the start (e.g. %(example)s).")
                    % {"example": _short(dates.term_last_day(start, 12))},
                )
                return
            cleaned["duration_months"] = months
        kind = cleaned.get("renewal_kind", "none")
        notice_months, notice_days = cleaned.get("notice_months") or 0, cleaned.get("notice_days") or 0
        codes = dates.validate_dates(
            start=start,
            end=end,
            duration_months=months,
            notice_months=notice_months if kind != "none" else 0,
            notice_days=notice_days if kind != "none" else 0,
            renewal_kind=kind,
            renewal_term_months=cleaned.get("renewal_term_months") if kind != "none" else None,
        )
        for field, code in codes.items():
            if code == "end_before_start":
                self.add_error("end_date", _("The last day is before the start."))
            elif code == "end_duration_mismatch":
                assert months is not None
                self.add_error(
                    "end_date",
                    _("%(months)s months from %(start)s end on %(end)s.")
                    % {"months": months, "start": _short(start), "end": _short(dates.term_last_day(start, months))},
                )
            else:
                target = field if field in self.fields else None
                self.add_error(target, NOTICE_CODES.get(code, code))
        if months is None and kind == "express":
            self.add_error("renewal_kind", _("An indefinite contract has no renewal to decide."))


class ContractDraftForm(_ContractDatesMixin, TermsForm):
    """A draft: its title and dates, and every term."""

    title = forms.CharField(label=_("Title"), max_length=200)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        self.check_dates(cleaned)
        return cleaned

    def service_data(self) -> dict[str, Any]:
        return {
            "title": self.cleaned_data["title"],
            "start_date": self.cleaned_data["start_date"],
            "duration_months": self.cleaned_data.get("duration_months"),
            "terms": self.terms,
        }


class AmendmentForm(TermsForm):
    """An amendment: when it takes effect, why, and the terms it sets (pre-filled with those in force)."""

    effective_from = forms.DateField(label=_("Effective from"), **DATE_WIDGET)  # type: ignore[arg-type]
    reason = forms.CharField(label=_("Reason"), max_length=300)

    def __init__(self, data: Any = None, **kwargs: Any) -> None:
        super().__init__(data, mode="amendment", **kwargs)

    def service_data(self) -> dict[str, Any]:
        return {
            "effective_from": self.cleaned_data["effective_from"],
            "reason": self.cleaned_data["reason"],
            "terms": self.terms,
        }


def _check_upload(upload: Any) -> Any:
    if upload is not None and upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
        raise ValidationError(_("The file is larger than 20 MB."))
    return upload


class NoticeForm(forms.Form):
    given_by = forms.ChoiceField(label=_("Given by"), choices=NoticeParty.choices)
    received_on = forms.DateField(label=_("Received on"), **DATE_WIDGET)  # type: ignore[arg-type]
    channel = forms.ChoiceField(label=_("Channel"), choices=NoticeChannel.choices)
    comment = forms.CharField(
        label=_("Comment"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    file = forms.FileField(label=_("Proof (letter, e-mail…)"), required=False)
    requested_end = forms.DateField(
        label=_("Requested last day (early termination)"),
        required=False,
        help_text=_("Empty: the contract ends when the notice rule says. Earlier: the indemnity is computed."),
        **DATE_WIDGET,  # type: ignore[arg-type]
    )

    def clean_file(self) -> Any:
        return _check_upload(self.cleaned_data.get("file"))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        received, requested = cleaned.get("received_on"), cleaned.get("requested_end")
        if received and requested and requested < received:
            self.add_error("requested_end", _("The contract cannot end before the notice is received."))
        return cleaned

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "given_by": data["given_by"],
            "received_on": data["received_on"],
            "channel": data["channel"],
            "comment": data.get("comment", ""),
            "requested_end": data.get("requested_end"),
            "upload": data.get("file"),
        }


class ExitItemForm(forms.Form):
    owner = forms.ChoiceField(label=_("Owner"), required=False)
    due_on = forms.DateField(label=_("Due on"), required=False, **DATE_WIDGET)  # type: ignore[arg-type]
    done_on = forms.DateField(label=_("Done on"), required=False, **DATE_WIDGET)  # type: ignore[arg-type]
    evidence_comment = forms.CharField(
        label=_("Evidence"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    file = forms.FileField(label=_("Evidence file"), required=False)

    def __init__(self, data: Any = None, files: Any = None, *, owners: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(data, files, **kwargs)
        self.fields["owner"].choices = [("", "—"), *owners]  # type: ignore[attr-defined]

    def clean_file(self) -> Any:
        return _check_upload(self.cleaned_data.get("file"))


class RenewForm(forms.Form):
    months = forms.IntegerField(label=_("Renewed for (months)"), required=False, min_value=1, max_value=60)


class ContractFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    client = forms.ChoiceField(label=_("Client"), required=False)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All statuses")), *ContractStatus.choices]
    )
    type = forms.ChoiceField(label=_("Type"), required=False, choices=[("", _("All types")), *ContractType.choices])

    def __init__(self, data: Any = None, *, clients: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self.fields["client"].choices = [("", _("All clients")), *clients]  # type: ignore[attr-defined]

    def filters(self) -> dict[str, Any]:
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {
            "client_id": int(data["client"]) if data.get("client") else None,
            "status": data.get("status") or "",
            "contract_type": data.get("type") or "",
            "search": data.get("q") or "",
        }
