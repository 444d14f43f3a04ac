"""Forms of the SLA settings pages: the weekly grid, exceptions, closures, the service-level grid, simulation."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from pacte.sla import calendars
from pacte.sla.clock import Priority, TargetKind
from pacte.sla.models import (
    HUNDRED,
    MAX_TARGET_SECONDS,
    WEEKDAY_LABELS,
    BusinessCalendar,
    ExceptionKindChoice,
    ProviderClosure,
    ServiceLevel,
    TargetKindChoice,
    TimeBasis,
    decimal_or_none,
)

_DURATION = re.compile(
    r"^\s*(?:(?P<h>\d{1,6})\s*(?:h|:)\s*(?P<m>\d{1,2})?\s*(?:min)?|(?P<hours>\d{1,6}(?:[.,]\d{1,2})?)\s*h?|(?P<min>\d{1,7})\s*min)\s*$",
    re.IGNORECASE,
)


def parse_duration(text: str) -> int | None:
    """``"4"``, ``"4 h"``, ``"1,5"``, ``"4:30"``, ``"4h30"``, ``"45 min"`` → seconds; empty → ``None``."""
    if not text or not text.strip():
        return None
    match = _DURATION.match(text)
    if not match:
        raise ValidationError(_("Enter a duration such as 4, 4:30, 4h30 or 45 min."), code="duration")
    if match["min"] is not None:
        seconds = int(match["min"]) * 60
    elif match["hours"] is not None:
        seconds = round(float(match["hours"].replace(",", ".")) * 3600)
    else:
        minutes = int(match["m"] or 0)
        if minutes > 59:
            raise ValidationError(_("Enter minutes between 0 and 59."), code="duration")
        seconds = int(match["h"]) * 3600 + minutes * 60
    if seconds > MAX_TARGET_SECONDS:
        raise ValidationError(_("A target lasts at most ten years."), code="duration")
    return seconds


def format_duration(seconds: int | None) -> str:
    """The inverse of :func:`parse_duration` for display in a form: ``"4:30"``, ``"0:15"``, ``"40"``."""
    if seconds is None:
        return ""
    hours, rest = divmod(seconds // 60, 60)
    return f"{hours}:{rest:02d}" if rest else str(hours)


def _windows_from(data: Any, prefix: str) -> list[list[str]]:
    """``<prefix>_start`` / ``<prefix>_end`` inputs (repeated, one per window) → ``[[start, end], …]``."""
    starts, ends = data.getlist(f"{prefix}_start"), data.getlist(f"{prefix}_end")
    windows = []
    for start, end in zip(starts, ends, strict=False):
        start, end = (start or "").strip(), (end or "").strip()
        if start or end:
            windows.append([start, end])
    return windows


def check_windows(windows: list[list[str]], label: str) -> None:
    for start, end in windows:
        try:
            calendars.Window.parse(start, end)
        except calendars.CalendarError:
            raise ValidationError(
                _("%(day)s: “%(start)s–%(end)s” is not a valid window (HH:MM, and the end differs from the start)."),
                code="window",
                params={"day": label, "start": start or "?", "end": end or "?"},
            ) from None


class CalendarForm(forms.ModelForm):
    """The calendar's fields, and its week from the grid's repeated ``<day>_start`` / ``<day>_end`` inputs."""

    class Meta:
        model = BusinessCalendar
        fields = [
            "name",
            "description",
            "time_zone",
            "holiday_subdivision",
            "holidays_close",
            "provider_closures_apply",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.week: dict[str, list[list[str]]] = dict(self.instance.week or {}) if self.instance.pk else {}

    def grid(self) -> list[tuple[str, str, list[list[str]]]]:
        """(day, label, windows) for the template: what was posted, or what is stored."""
        source = self.week if self.is_bound else (self.instance.week or {})
        return [(day, str(label), list(source.get(day, []))) for day, label in WEEKDAY_LABELS]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        week = {day: _windows_from(self.data, day) for day, _label in WEEKDAY_LABELS}
        self.week = week
        errors = []
        for day, label in WEEKDAY_LABELS:
            try:
                check_windows(week[day], str(label))
            except ValidationError as error:
                errors.append(error)
        if errors:
            raise ValidationError(errors)
        cleaned["week"] = week
        return cleaned


class CalendarExceptionForm(forms.Form):
    day = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(label=_("Kind"), choices=ExceptionKindChoice.choices)
    label = forms.CharField(label=_("Label"), max_length=100, required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        windows = _windows_from(self.data, "window")
        check_windows(windows, str(_("Windows")))
        cleaned["windows"] = windows
        return cleaned


class ProviderClosureForm(forms.ModelForm):
    class Meta:
        model = ProviderClosure
        fields = ["label", "start_date", "end_date"]
        widgets = {
            "start_date": forms.DateInput(attrs={"type": "date"}),
            "end_date": forms.DateInput(attrs={"type": "date"}),
        }


GRID = [(priority, kind) for priority in Priority for kind in TargetKind]
#: The service-credit terms of a service level besides its grid: (field, label, value when left empty).
CREDIT_TERMS: list[tuple[str, Any, Decimal | None]] = [
    ("credit_cap_percent", _("Cap of a month's credits (% of the fee)"), HUNDRED),
    ("availability_target", _("Guaranteed availability (%)"), None),
    ("availability_step", _("Availability step (points)"), Decimal("0.10")),
    ("availability_credit_percent", _("Credit per started step (% of the fee)"), Decimal(0)),
]


def _percent(text: str) -> Decimal | None:
    """``"5"``, ``"2,5"``, ``"99.50"`` → a percentage between 0 and 100 with at most two decimals, else ``None``."""
    percent = decimal_or_none(text.replace("%", "").replace("\u202f", "").replace("\xa0", "").strip())
    if percent is None or not Decimal(0) <= percent <= HUNDRED or percent != percent.quantize(Decimal("0.01")):
        return None
    return percent.quantize(Decimal("0.01"))


class ServiceLevelForm(forms.ModelForm):
    """The service level and its grid: one duration and one basis per priority × target."""

    class Meta:
        model = ServiceLevel
        fields = ["name", "description", "calendar", "warning_percent"]

    def __init__(self, *args: Any, calendars_: QuerySet[BusinessCalendar], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["calendar"].queryset = calendars_  # type: ignore[attr-defined]
        cells = {(t.priority, t.kind): t for t in self.instance.targets.all()} if self.instance.pk else {}
        for priority, kind in GRID:
            cell = cells.get((priority.value, kind.value))
            name = f"{priority.value}_{kind.value}"
            self.fields[f"target_{name}"] = forms.CharField(
                label=f"{priority.value} · {TargetKindChoice(kind.value).label}",
                required=False,
                max_length=20,
                initial=format_duration(cell.seconds if cell else None),
                widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "—", "size": 6}),
            )
            self.fields[f"basis_{name}"] = forms.ChoiceField(
                label=_("counted in"),
                choices=TimeBasis.choices,
                initial=cell.basis if cell else TimeBasis.BUSINESS,
            )
        self._credit_fields()

    def _credit_fields(self) -> None:
        """The penalty grid (one percentage per priority) and the availability terms: all optional."""
        grid = dict(self.instance.credit_grid or {}) if self.instance.pk else {}
        for priority in Priority:
            self.fields[f"credit_{priority.value}"] = forms.CharField(
                label=_("%(priority)s: credit per breached restoration target (%%)") % {"priority": priority.value},
                required=False,
                max_length=10,
                initial=grid.get(priority.value, ""),
                widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "0", "size": 6}),
            )
        instance = self.instance
        for name, label, default in CREDIT_TERMS:
            value = getattr(instance, name) if instance.pk else default
            self.fields[name] = forms.CharField(
                label=label,
                required=False,
                max_length=10,
                initial="" if value is None else str(value),
                widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 8}),
            )
        self.fields["credit_cap_percent"].help_text = _("A month's service credits never exceed this share of its fee.")
        self.fields["availability_target"].help_text = _("Empty: no guaranteed availability.")

    def credit_rows(self) -> list[forms.BoundField]:
        return [self[f"credit_{priority.value}"] for priority in Priority]

    def credit_term_fields(self) -> list[forms.BoundField]:
        return [self[name] for name, _label, _default in CREDIT_TERMS]

    def _clean_credits(self, cleaned: dict[str, Any]) -> None:
        grid: dict[str, str] = {}
        for priority in Priority:
            name = f"credit_{priority.value}"
            text = (cleaned.get(name) or "").strip()
            if not text:
                continue
            percent = _percent(text)
            if percent is None:
                self.add_error(name, _("Enter a percentage between 0 and 100, such as 5 or 2,50."))
            elif percent > 0:
                grid[priority.value] = str(percent)
        cleaned["credit_grid"] = grid
        for name, _label, default in CREDIT_TERMS:
            text = (cleaned.get(name) or "").strip()
            if not text:
                cleaned[name] = default
                continue
            percent = _percent(text)
            if percent is None:
                self.add_error(name, _("Enter a percentage between 0 and 100, such as 5 or 2,50."))
            else:
                cleaned[name] = percent

    def grid_rows(self) -> list[tuple[str, list[tuple[forms.BoundField, forms.BoundField]]]]:
        rows = []
        for priority in Priority:
            cells = [
                (self[f"target_{priority.value}_{k.value}"], self[f"basis_{priority.value}_{k.value}"])
                for k in TargetKind
            ]
            rows.append((priority.value, cells))
        return rows

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        targets = []
        for priority, kind in GRID:
            name = f"{priority.value}_{kind.value}"
            try:
                seconds = parse_duration(cleaned.get(f"target_{name}", ""))
            except ValidationError as error:
                self.add_error(f"target_{name}", error)
                continue
            targets.append(
                {
                    "priority": priority.value,
                    "kind": kind.value,
                    "seconds": seconds,
                    "basis": cleaned.get(f"basis_{name}", TimeBasis.BUSINESS),
                }
            )
        cleaned["targets"] = targets
        self._clean_credits(cleaned)
        return cleaned

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        names = ("name", "description", "calendar", "warning_percent", "targets", "credit_grid")
        return {name: data[name] for name in (*names, *(term for term, _label, _default in CREDIT_TERMS))}


class SimulateForm(forms.Form):
    """The start is a wall-clock time of the calendar's zone (read by the engine's DST rule, not Django's)."""

    start = forms.CharField(
        label=_("Start (local time)"), max_length=19, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    duration = forms.CharField(label=_("Target (business hours)"), max_length=20, help_text=_("4, 4:30 or 45 min"))
    convention = forms.ChoiceField(
        label=_("A due instant at closing time"),
        choices=[("stay", _("stays at closing time")), ("next_open", _("moves to the next opening"))],
        initial="stay",
    )

    def clean_start(self) -> datetime:
        text = self.cleaned_data["start"].strip()
        for pattern in ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"):
            try:
                parsed = datetime.strptime(text, pattern)  # noqa: DTZ007 - a wall-clock time of the calendar's zone
            except ValueError:
                continue
            if not 1900 <= parsed.year <= 2999:
                break
            return parsed
        raise ValidationError(_("Enter a date and a time."), code="start")

    def clean_duration(self) -> int:
        seconds = parse_duration(self.cleaned_data["duration"])
        if seconds is None:
            raise ValidationError(_("Enter a duration such as 4, 4:30, 4h30 or 45 min."), code="duration")
        return seconds
