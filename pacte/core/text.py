"""Small text helpers shared by forms, services and the API."""

from __future__ import annotations

import datetime
import functools
import re

from django.utils import translation
from django.utils.formats import date_format

_SPACES = re.compile(r"[\s.\-]+")


def compact_identifier(value: str | None) -> str:
    """Strip spaces, dots and dashes from a typed identifier (SIREN, SIRET, VAT, IBAN)."""
    if not value:
        return ""
    return _SPACES.sub("", value).upper()


def short_date(day: datetime.date) -> str:
    """``day`` as the active language writes it short (``31/10/2026``), cached: billing formats few dates, often."""
    return _short_date(day, translation.get_language())


@functools.lru_cache(maxsize=4096)
def _short_date(day: datetime.date, language: str | None) -> str:
    return date_format(day, "SHORT_DATE_FORMAT")
