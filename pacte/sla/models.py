"""Business calendars, their exceptions, provider-wide closures, and service levels with their targets.

Every row is provider-owned. A calendar's ``week`` is stored as the JSON of the ``pacte sla due``
grammar (``{"mon": [["08:00", "12:00"], ["13:30", "18:00"]], …, "sun": []}``) and validated by the
pure engine (:mod:`pacte.sla.calendars`). ``version`` goes up whenever what a calendar or a service
level computes changes, so that stored due instants can be recomputed.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from pacte.core.models import ArchivableModel, TimeStampedModel
from pacte.sla import calendars
from pacte.sla.clock import Basis, Priority, TargetKind
from pacte.tenancy.models import SUBDIVISION_CHOICES, Provider, validate_time_zone

WEEKDAY_LABELS = (
    ("mon", pgettext_lazy("weekday", "Monday")),
    ("tue", pgettext_lazy("weekday", "Tuesday")),
    ("wed", pgettext_lazy("weekday", "Wednesday")),
    ("thu", pgettext_lazy("weekday", "Thursday")),
    ("fri", pgettext_lazy("weekday", "Friday")),
    ("sat", pgettext_lazy("weekday", "Saturday")),
    ("sun", pgettext_lazy("weekday", "Sunday")),
)
MAX_CLOSURE_DAYS = 366
MAX_TARGET_SECONDS = 10 * 366 * 86_400  # ten years
HUNDRED = Decimal("100.00")


def empty_week() -> dict[str, list[list[str]]]:
    return {day: [] for day in calendars.WEEKDAYS}


def week_error(week: Any) -> str | None:
    """Why ``week`` is not a valid week of windows (``None`` when it is)."""
    if not isinstance(week, dict) or set(week) != set(calendars.WEEKDAYS):
        return str(_("A week lists the windows of each of the seven days."))
    for windows in week.values():
        if not isinstance(windows, list):
            return str(_("A week lists the windows of each of the seven days."))
        for window in windows:
            if not (isinstance(window, list | tuple) and len(window) == 2 and all(isinstance(x, str) for x in window)):
                return str(_("A window is a start and an end (HH:MM)."))
    try:
        calendars.Calendar.weekly("UTC", {day: [tuple(w) for w in ws] for day, ws in week.items()})
    except calendars.CalendarError as error:
        return str(error)
    return None


def windows_error(windows: Any) -> str | None:
    if not isinstance(windows, list) or not all(
        isinstance(w, list | tuple) and len(w) == 2 and all(isinstance(x, str) for x in w) for w in windows
    ):
        return str(_("A window is a start and an end (HH:MM)."))
    try:
        for start, end in windows:
            calendars.Window.parse(start, end)
    except calendars.CalendarError as error:
        return str(error)
    return None


class TimeBasis(models.TextChoices):
    BUSINESS = Basis.BUSINESS.value, _("business time")
    CALENDAR = Basis.CALENDAR.value, _("calendar time (24×7)")


class PriorityChoice(models.TextChoices):
    P1 = Priority.P1.value, _("P1 — critical")
    P2 = Priority.P2.value, _("P2 — high")
    P3 = Priority.P3.value, _("P3 — normal")
    P4 = Priority.P4.value, _("P4 — low")


class TargetKindChoice(models.TextChoices):
    RESPONSE = TargetKind.RESPONSE.value, _("response")
    INTERVENTION = TargetKind.INTERVENTION.value, _("intervention (GTI)")
    RESTORATION = TargetKind.RESTORATION.value, _("restoration (GTR)")
    RESOLUTION = TargetKind.RESOLUTION.value, _("resolution")


class ExceptionKindChoice(models.TextChoices):
    CLOSED = calendars.ExceptionKind.CLOSED.value, _("closed all day")
    PARTIAL = calendars.ExceptionKind.PARTIAL.value, _("partial day")
    EXTRA = calendars.ExceptionKind.EXTRA.value, _("extra opening")


class BusinessCalendar(ArchivableModel):
    """A provider's named business calendar: weekly windows, time zone, public holidays and exceptions."""

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    description = models.CharField(_("description"), max_length=300, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Paris", validators=[validate_time_zone])
    holiday_country = models.CharField(
        _("public holidays of"), max_length=2, default="FR", choices=[("FR", _("France"))]
    )
    holiday_subdivision = models.CharField(
        _("holiday region"), max_length=4, blank=True, default="", choices=SUBDIVISION_CHOICES
    )
    holidays_close = models.BooleanField(
        _("closed on public holidays"), default=True, help_text=_("Untick for a service that runs on holidays.")
    )
    provider_closures_apply = models.BooleanField(
        _("provider-wide closures apply"),
        default=True,
        help_text=_("Untick for an on-call calendar that stays open when the office closes."),
    )
    week = models.JSONField(_("weekly windows"), default=empty_week)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        constraints = [
            models.UniqueConstraint(fields=["provider", "name"], name="sla_calendar_name_unique_per_provider"),
            models.CheckConstraint(condition=Q(version__gte=1), name="sla_calendar_version_positive"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("sla:calendar_detail", args=[self.pk])

    def clean(self) -> None:
        super().clean()
        error = week_error(self.week)
        if error:
            raise ValidationError({"week": error})

    def windows(self) -> dict[str, list[tuple[str, str]]]:
        return {day: [(w[0], w[1]) for w in self.week.get(day, [])] for day in calendars.WEEKDAYS}


class CalendarException(TimeStampedModel):
    """A date on which one calendar closes, opens only some windows, or opens more."""

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+")
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="exceptions")
    day = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=10, choices=ExceptionKindChoice.choices)
    windows = models.JSONField(_("windows"), default=list, blank=True)
    label = models.CharField(_("label"), max_length=100, blank=True)

    class Meta:
        ordering = ["day", "id"]
        verbose_name = _("calendar exception")
        verbose_name_plural = _("calendar exceptions")
        constraints = [
            models.UniqueConstraint(fields=["calendar", "day"], name="sla_exception_one_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day.isoformat()} {self.get_kind_display()}"

    def clean(self) -> None:
        super().clean()
        error = windows_error(self.windows)
        if error:
            raise ValidationError({"windows": error})
        if self.kind == ExceptionKindChoice.CLOSED and self.windows:
            raise ValidationError({"windows": _("A closure has no windows.")})
        if self.kind in (ExceptionKindChoice.PARTIAL, ExceptionKindChoice.EXTRA) and not self.windows:
            raise ValidationError({"windows": _("Give at least one window.")})

    def to_domain(self) -> calendars.DayException:
        windows = tuple(calendars.Window.parse(a, b) for a, b in self.windows)
        return calendars.DayException(self.day, calendars.ExceptionKind(self.kind), windows, self.label)


class ProviderClosure(TimeStampedModel):
    """Days on which the provider closes (its end-of-year closure): they close every calendar on top."""

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+")
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("to (inclusive)"))
    label = models.CharField(_("label"), max_length=100)

    class Meta:
        ordering = ["start_date", "id"]
        verbose_name = _("provider closure")
        verbose_name_plural = _("provider closures")
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gte=F("start_date")), name="sla_closure_ends_after_start"),
        ]

    def __str__(self) -> str:
        return self.label

    def clean(self) -> None:
        super().clean()
        if self.start_date and self.end_date:
            if self.end_date < self.start_date:
                raise ValidationError({"end_date": _("The closure ends before it starts.")})
            if (self.end_date - self.start_date).days >= MAX_CLOSURE_DAYS:
                raise ValidationError({"end_date": _("A closure lasts at most a year.")})

    def days(self) -> list[date]:
        return [date.fromordinal(o) for o in range(self.start_date.toordinal(), self.end_date.toordinal() + 1)]


class ServiceLevel(ArchivableModel):
    """A service level ("Premium 4h"): its coverage calendar and, per priority, four targets."""

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    description = models.CharField(_("description"), max_length=300, blank=True)
    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.PROTECT, related_name="service_levels", verbose_name=_("coverage calendar")
    )
    warning_percent = models.PositiveSmallIntegerField(
        _("warning threshold (%)"),
        default=75,
        validators=[MinValueValidator(1), MaxValueValidator(99)],
        help_text=_("A target turns to warning once this share of its time is used."),
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    # Service credits (docs/billing.md, "SLA service credits"): what a broken promise gives back.
    credit_grid = models.JSONField(
        _("penalty grid"),
        default=dict,
        blank=True,
        help_text=_("Percent of the month's fee credited per breached restoration target, per priority."),
    )
    credit_cap_percent = models.DecimalField(
        _("service credits cap (%)"),
        max_digits=5,
        decimal_places=2,
        default=HUNDRED,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(HUNDRED)],
        help_text=_("A month's service credits never exceed this share of its fee."),
    )
    availability_target = models.DecimalField(
        _("guaranteed availability (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(HUNDRED)],
        help_text=_("Share of the coverage hours of a month the covered services are up; empty: none guaranteed."),
    )
    availability_step = models.DecimalField(
        _("availability step (points)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0.10"),
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(HUNDRED)],
        help_text=_("Each started step below the guaranteed availability credits the percentage below."),
    )
    availability_credit_percent = models.DecimalField(
        _("credit per started step (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(HUNDRED)],
    )

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("service level")
        verbose_name_plural = _("service levels")
        constraints = [
            models.UniqueConstraint(fields=["provider", "name"], name="sla_service_level_name_unique_per_provider"),
            models.CheckConstraint(
                condition=Q(warning_percent__gte=1, warning_percent__lte=99), name="sla_warning_percent_range"
            ),
            models.CheckConstraint(
                condition=Q(credit_cap_percent__gte=0, credit_cap_percent__lte=100), name="sla_credit_cap_range"
            ),
            models.CheckConstraint(
                condition=Q(availability_target__isnull=True)
                | Q(availability_target__gt=0, availability_target__lte=100),
                name="sla_availability_target_range",
            ),
            models.CheckConstraint(
                condition=Q(availability_step__gt=0, availability_credit_percent__gte=0),
                name="sla_availability_credit_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("sla:service_level_detail", args=[self.pk])

    def clean(self) -> None:
        super().clean()
        if (
            self.calendar_id is not None
            and self.provider_id is not None
            and self.calendar.provider_id != self.provider_id
        ):
            raise ValidationError({"calendar": _("Unknown calendar.")})
        error = credit_grid_error(self.credit_grid)
        if error:
            raise ValidationError({"credit_grid": error})
        self.credit_grid = normalise_credit_grid(self.credit_grid)
        if self.availability_target is None and (self.availability_credit_percent or 0) > 0:
            raise ValidationError(
                {"availability_target": _("Give the guaranteed availability below which the credit applies.")}
            )

    def credit_percent(self, priority: str) -> Decimal:
        """Percent of the month's fee per breached restoration target of ``priority`` (0 when none)."""
        return decimal_or_none((self.credit_grid or {}).get(priority, 0)) or Decimal(0)

    @property
    def has_credits(self) -> bool:
        grid = any(self.credit_percent(p) > 0 for p in PriorityChoice.values)
        availability = self.availability_target is not None and self.availability_credit_percent > 0
        return grid or availability


def credit_grid_error(grid: Any) -> str | None:
    """Why ``grid`` is not a valid penalty grid (``None`` when it is).

    A grid maps a priority (``"P1"``…``"P4"``) to the percent of the month's fee credited per breached
    restoration target (GTR) of that priority: ``{"P1": "5.00", "P2": "2.00"}``; a priority left out
    credits nothing.
    """
    if not isinstance(grid, dict):
        return str(_("The penalty grid maps a priority (P1 to P4) to a percentage."))
    for priority, value in grid.items():
        if priority not in PriorityChoice.values:
            return str(_("“%(priority)s” is not a priority (P1 to P4).") % {"priority": priority})
        percent = decimal_or_none(value)
        if percent is None or percent != percent.quantize(Decimal("0.01")):
            return str(
                _("%(priority)s: enter a percentage with at most two decimals, such as 5 or 2.50.")
                % {"priority": priority}
            )
        if not Decimal(0) <= percent <= HUNDRED:
            return str(_("%(priority)s: a percentage between 0 and 100.") % {"priority": priority})
    return None


def decimal_or_none(value: Any) -> Decimal | None:
    """A finite ``Decimal`` from a number or a string (``"5"``, ``"2.5"``, ``"2,5"``), else ``None``."""
    if isinstance(value, bool) or not isinstance(value, int | str | Decimal | float):
        return None
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def normalise_credit_grid(grid: dict[str, Any]) -> dict[str, str]:
    """A valid grid with its percentages as ``"5.00"`` strings, sorted by priority, zeros left out."""
    out = {}
    for priority in sorted(grid):
        percent = decimal_or_none(grid[priority])
        if percent is not None and percent > 0:
            out[priority] = str(percent.quantize(Decimal("0.01")))
    return out


class ServiceLevelTarget(models.Model):
    """One cell of a service level's grid: a priority × a kind of target; no ``seconds``: no target."""

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+")
    service_level = models.ForeignKey(ServiceLevel, on_delete=models.CASCADE, related_name="targets")
    priority = models.CharField(_("priority"), max_length=2, choices=PriorityChoice.choices)
    kind = models.CharField(_("target"), max_length=12, choices=TargetKindChoice.choices)
    seconds = models.PositiveIntegerField(
        _("duration (seconds)"), null=True, blank=True, validators=[MaxValueValidator(MAX_TARGET_SECONDS)]
    )
    basis = models.CharField(_("counted in"), max_length=8, choices=TimeBasis.choices, default=TimeBasis.BUSINESS)

    class Meta:
        ordering = ["priority", "id"]
        verbose_name = _("service level target")
        verbose_name_plural = _("service level targets")
        constraints = [
            models.UniqueConstraint(fields=["service_level", "priority", "kind"], name="sla_target_one_per_cell"),
        ]

    def __str__(self) -> str:
        return f"{self.priority} {self.kind}"
