"""Small text helpers shared by forms, services and the API."""

from __future__ import annotations

import re

_SPACES = re.compile(r"[\s.\-]+")


def compact_identifier(value: str | None) -> str:
    """Strip spaces, dots and dashes from a typed identifier (SIREN, SIRET, VAT, IBAN)."""
    if not value:
        return ""
    return _SPACES.sub("", value).upper()
