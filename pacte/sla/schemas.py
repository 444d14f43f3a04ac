from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import BeforeValidator

from pacte.core.api import InputSchema
from pacte.sla.models import MAX_TARGET_SECONDS
from pacte.tenancy.schemas import Subdivision

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
PriorityName = Literal["P1", "P2", "P3", "P4"]
TargetKindName = Literal["response", "intervention", "restoration", "resolution"]
BasisName = Literal["business", "calendar"]
ExceptionKindName = Literal["closed", "partial", "extra"]
Convention = Literal["stay", "next_open"]

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,6})?([Zz]|[+-]\d{2}:\d{2})")


def _date(value: Any) -> date:
    """A JSON ``YYYY-MM-DD`` string, nothing else (the input schemas are strict)."""
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise ValueError("Enter a date as YYYY-MM-DD.")
    return date.fromisoformat(value)


def _instant(value: Any) -> datetime:
    """An RFC 3339 instant with its offset (``2026-03-27T16:30:00Z``), nothing else."""
    if not isinstance(value, str) or not _INSTANT.fullmatch(value):
        raise ValueError("Enter an instant as 2026-03-27T16:30:00Z (with Z or an offset).")
    parsed = datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    if not 1900 <= parsed.year <= 2999:
        raise ValueError("Enter an instant between the years 1900 and 2999.")
    return parsed


InDate = Annotated[date, BeforeValidator(_date), Field(strict=False, json_schema_extra={"format": "date"})]
InInstant = Annotated[datetime, BeforeValidator(_instant), Field(strict=False)]
Clock = Annotated[str, Field(pattern=r"^([01]\d|2[0-4]):[0-5]\d$", description="HH:MM; 24:00 only as an end")]
WindowIn = Annotated[list[Clock], Field(min_length=2, max_length=2, description='["08:00", "12:00"]')]
Windows = Annotated[list[WindowIn], Field(max_length=12)]
Id = Annotated[int, Field(ge=1, le=2**62)]


class WeekIn(InputSchema):
    """The windows of each weekday; a day left out is closed. An end before the start runs into the next day."""

    mon: Windows = Field(default_factory=list)
    tue: Windows = Field(default_factory=list)
    wed: Windows = Field(default_factory=list)
    thu: Windows = Field(default_factory=list)
    fri: Windows = Field(default_factory=list)
    sat: Windows = Field(default_factory=list)
    sun: Windows = Field(default_factory=list)


class ExceptionIn(InputSchema):
    day: InDate
    kind: ExceptionKindName
    windows: Windows = Field(default_factory=list, description="None for a closure; at least one otherwise.")
    label: str = Field("", max_length=100)


class ExceptionOut(Schema):
    id: int
    day: date
    kind: ExceptionKindName
    windows: list[list[str]]
    label: str


class CalendarOut(Schema):
    id: int
    name: str
    description: str
    time_zone: str
    holiday_country: str
    holiday_subdivision: str
    holidays_close: bool
    provider_closures_apply: bool
    week: dict[Weekday, list[list[str]]]
    exceptions: list[ExceptionOut]
    version: int = Field(..., description="Goes up whenever what the calendar computes changes.")
    archived_at: datetime | None
    created_at: datetime
    updated_at: datetime


class CalendarIn(InputSchema):
    name: str = Field(..., min_length=1, max_length=100)
    description: str = Field("", max_length=300)
    time_zone: str = Field("Europe/Paris", min_length=1, max_length=64)
    holiday_subdivision: Subdivision = ""
    holidays_close: bool = True
    provider_closures_apply: bool = True
    week: WeekIn
    exceptions: list[ExceptionIn] = Field(default_factory=list, max_length=400)


class CalendarPatch(InputSchema):
    name: str | None = Field(None, min_length=1, max_length=100)
    description: str | None = Field(None, max_length=300)
    time_zone: str | None = Field(None, min_length=1, max_length=64)
    holiday_subdivision: Subdivision | None = None
    holidays_close: bool | None = None
    provider_closures_apply: bool | None = None
    week: WeekIn | None = None
    exceptions: list[ExceptionIn] | None = Field(None, max_length=400, description="Replaces every exception.")


class TargetIn(InputSchema):
    priority: PriorityName
    kind: TargetKindName
    seconds: int | None = Field(None, ge=0, le=MAX_TARGET_SECONDS, description="Null: no target.")
    basis: BasisName = "business"


class TargetOut(Schema):
    priority: PriorityName
    kind: TargetKindName
    seconds: int | None
    basis: BasisName


Percent = Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2, strict=False)]
CreditGrid = Annotated[
    dict[PriorityName, Percent],
    Field(description='Percent of the month\'s fee per breached restoration target, per priority: {"P1": "5.00"}.'),
]


class ServiceLevelOut(Schema):
    id: int
    name: str
    description: str
    calendar_id: int
    warning_percent: int
    credit_grid: dict[str, Decimal]
    credit_cap_percent: Decimal
    availability_target: Decimal | None
    availability_step: Decimal
    availability_credit_percent: Decimal
    version: int
    targets: list[TargetOut]
    archived_at: datetime | None
    created_at: datetime
    updated_at: datetime


class ServiceLevelIn(InputSchema):
    name: str = Field(..., min_length=1, max_length=100)
    description: str = Field("", max_length=300)
    calendar_id: Id
    warning_percent: int = Field(75, ge=1, le=99)
    targets: list[TargetIn] = Field(default_factory=list, max_length=16, description="Cells left out: no target.")
    credit_grid: CreditGrid = Field(default_factory=dict)
    credit_cap_percent: Percent = Decimal("100.00")
    availability_target: Percent | None = Field(None, description="Guaranteed availability; null: none.")
    availability_step: Percent = Field(Decimal("0.10"), description="Points per started step below the target.")
    availability_credit_percent: Percent = Field(Decimal(0), description="Percent of the fee per started step.")


class ServiceLevelPatch(InputSchema):
    name: str | None = Field(None, min_length=1, max_length=100)
    description: str | None = Field(None, max_length=300)
    calendar_id: Id | None = None
    warning_percent: int | None = Field(None, ge=1, le=99)
    targets: list[TargetIn] | None = Field(None, max_length=16, description="Sets the cells given; the others stay.")
    credit_grid: CreditGrid | None = None
    credit_cap_percent: Percent | None = None
    availability_target: Percent | None = Field(None, description="null: no guaranteed availability.")
    availability_step: Percent | None = None
    availability_credit_percent: Percent | None = None


class SimulateIn(InputSchema):
    calendar_id: Id
    start: InInstant
    seconds: int = Field(..., ge=0, le=MAX_TARGET_SECONDS, description="Business seconds to add.")
    at_close: Convention = "stay"


class ReasonOut(Schema):
    kind: Literal["night", "break", "weekly_closed", "holiday", "exception"]
    first_day: date
    last_day: date
    label: str


class ClosedPeriodOut(Schema):
    start: datetime
    end: datetime
    reasons: list[ReasonOut]


class SimulateOut(Schema):
    calendar_id: int
    calendar_version: int
    start: datetime
    seconds: int
    at_close: Convention
    due: datetime
    closed_periods: list[ClosedPeriodOut]
    truncated: bool = Field(..., description="More closed periods than listed (the first 200 are).")
