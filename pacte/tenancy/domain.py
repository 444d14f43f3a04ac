"""Pure rules for French company identifiers, time zones and holiday subdivisions (no ORM)."""

from __future__ import annotations

import zoneinfo
from functools import lru_cache

from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret
from stdnum.fr import tva as stdnum_tva

#: Holiday subdivisions offered for France (``holidays.France(subdiv=…)``); "" is mainland.
HOLIDAY_SUBDIVISIONS: tuple[tuple[str, str], ...] = (
    ("", "France métropolitaine"),
    ("57", "Moselle (Alsace-Moselle)"),
    ("6AE", "Alsace (Bas-Rhin, Haut-Rhin)"),
    ("971", "Guadeloupe"),
    ("972", "Martinique"),
    ("973", "Guyane"),
    ("974", "La Réunion"),
    ("976", "Mayotte"),
    ("BL", "Saint-Barthélemy"),
    ("MF", "Saint-Martin"),
    ("PM", "Saint-Pierre-et-Miquelon"),
    ("NC", "Nouvelle-Calédonie"),
    ("PF", "Polynésie française"),
    ("WF", "Wallis-et-Futuna"),
)
HOLIDAY_SUBDIVISION_CODES = frozenset(code for code, _label in HOLIDAY_SUBDIVISIONS)


class IdentifierError(ValueError):
    """A company identifier that is not valid; the message is for the user (French and English keys)."""


def siren_is_valid(value: str) -> bool:
    """9 digits with a valid Luhn checksum."""
    return bool(stdnum_siren.is_valid(value)) and len(value) == 9 and value.isdigit()


def siret_is_valid(value: str) -> bool:
    """14 digits, Luhn over the 14 digits (La Poste's exception is handled by python-stdnum)."""
    return bool(stdnum_siret.is_valid(value)) and len(value) == 14 and value.isdigit()


def vat_key(siren: str) -> str:
    """The two-digit key of a French VAT number: (12 + 3 × (SIREN mod 97)) mod 97."""
    return f"{(12 + 3 * (int(siren) % 97)) % 97:02d}"


def vat_number_for(siren: str) -> str:
    """``FR`` + key + SIREN, e.g. 732829320 → FR44732829320."""
    return f"FR{vat_key(siren)}{siren}"


def vat_is_valid(value: str) -> bool:
    return value.startswith("FR") and bool(stdnum_tva.is_valid(value))


def vat_matches_siren(vat: str, siren: str) -> bool:
    """A French VAT number of the numeric form must end with the SIREN and carry its key."""
    if not vat.startswith("FR") or not siren:
        return True
    return vat == vat_number_for(siren)


def siret_matches_siren(siret: str, siren: str) -> bool:
    return not siren or siret[:9] == siren


@lru_cache(maxsize=1)
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def time_zone_is_valid(name: str) -> bool:
    return name in _time_zones()
