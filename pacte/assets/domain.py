"""Pure rules about a client's equipment: the warranty state, normalised identifiers, field sizes (no ORM, no clock)."""

from __future__ import annotations

import datetime
import re
import unicodedata
from enum import StrEnum

#: A warranty ending within this many days is "expiring" (the default of the lists and badges).
EXPIRING_WITHIN_DAYS = 60

#: Field sizes shared by the model, the import and the API schemas.
NAME_MAX = 150
MAKE_MAX = 100
MODEL_MAX = 100
SERIAL_MAX = 100
HOSTNAME_MAX = 253  # a fully qualified DNS name
USER_NAME_MAX = 150
OPERATING_SYSTEM_MAX = 100
NOTES_MAX = 5000


class WarrantyState(StrEnum):
    EXPIRED = "expired"
    EXPIRING = "expiring"
    VALID = "valid"
    UNKNOWN = "unknown"


def warranty_state(
    warranty_end: datetime.date | None, today: datetime.date, *, within_days: int = EXPIRING_WITHIN_DAYS
) -> WarrantyState:
    """Expired after its last day; expiring from today until ``within_days`` days from now; else valid.

    The end date is the last day covered: a warranty ending today is still running (expiring).
    No end date: unknown.
    """
    if within_days < 0:
        raise ValueError("within_days must not be negative")
    if warranty_end is None:
        return WarrantyState.UNKNOWN
    if warranty_end < today:
        return WarrantyState.EXPIRED
    if warranty_end <= expiring_until(today, within_days=within_days):
        return WarrantyState.EXPIRING
    return WarrantyState.VALID


def expiring_until(today: datetime.date, *, within_days: int = EXPIRING_WITHIN_DAYS) -> datetime.date:
    """The last warranty end that still counts as expiring (the selectors filter on it)."""
    return today + datetime.timedelta(days=within_days)


_SPACES = re.compile(r"\s+")


def normalise_serial(value: str | None) -> str:
    """Serial numbers compare without case or surrounding spaces: stored trimmed, in capitals."""
    if not value:
        return ""
    return _SPACES.sub(" ", value).strip().upper()


def normalise_hostname(value: str | None) -> str:
    """Host names are case-insensitive (DNS): stored trimmed, in lower case, without a trailing dot."""
    if not value:
        return ""
    return value.strip().lower().rstrip(".")


def fold(value: str | None) -> str:
    """A text for loose matching: no accents, no case, single spaces, typographic apostrophes made plain."""
    if not value:
        return ""
    text = unicodedata.normalize("NFKD", value.replace("’", "'").replace("‘", "'"))
    text = "".join(char for char in text if not unicodedata.combining(char))
    return _SPACES.sub(" ", text).strip().casefold()
