"""Pure rules for French company identifiers, time zones, holiday subdivisions and the invoicing identity (no ORM)."""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Protocol, get_type_hints

from django.utils.translation import gettext as _
from stdnum import iban as stdnum_iban
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


# Invoicing identity (the provider's legal mentions, its numbering prefixes) ---------------------

#: DOMAIN.md, e-invoicing rule on invoice numbers (BR-FR-01/02): 35 characters at most from this set.
INVOICE_NUMBER_PATTERN = re.compile(r"^[A-Za-z0-9+\-_/]{1,35}$")
#: Longest prefix a numbering series stores (``billing.Series.prefix``).
NUMBER_PREFIX_MAX_LENGTH = 12
DEFAULT_INVOICE_PREFIX = "FA"
DEFAULT_CREDIT_NOTE_PREFIX = "AV"
#: BT-34 (BR-FR-23): letters, digits, "-", "_" and "." only; scheme 0225 = the SIREN, then "_" and a suffix.
EINVOICING_ADDRESS_PATTERN = re.compile(r"^[A-Za-z0-9\-_.]{1,100}$")
EINVOICING_SCHEME = "0225"
BIC_PATTERN = re.compile(r"^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}(?:[A-Z0-9]{3})?$")
LOGO_MAX_BYTES = 1024 * 1024
#: Logo formats accepted (sniffed from the bytes, never from the name): the PDF renderer draws both.
LOGO_TYPES: dict[str, str] = {"image/png": ".png", "image/jpeg": ".jpg"}
#: Legal forms of a person trading in their own name: no share capital to print.
INDIVIDUAL_LEGAL_FORMS = frozenset({"EI", "EIRL", "ENTREPRISE INDIVIDUELLE", "MICRO-ENTREPRISE", "AUTO-ENTREPRENEUR"})


def number_prefix_is_valid(prefix: str) -> bool:
    """``<prefix>-<year>-<000001>`` is a valid e-invoice number (DOMAIN.md) and the prefix fits a series."""
    return (
        0 < len(prefix) <= NUMBER_PREFIX_MAX_LENGTH
        and INVOICE_NUMBER_PATTERN.match(f"{prefix}-2026-000001") is not None
    )


def number_prefixes_differ(invoice_prefix: str, credit_note_prefix: str) -> bool:
    """Two series told apart in a bank label too (matching ignores case): ``FA`` and ``fa`` are the same."""
    return invoice_prefix.upper() != credit_note_prefix.upper()


def iban_compact(value: str) -> str:
    return "".join(value.split()).upper()


def iban_is_valid(value: str) -> bool:
    """Country format and the ISO 7064 mod-97 check (``FR76 3000 6000 0112 3456 7890 189``)."""
    return bool(stdnum_iban.is_valid(iban_compact(value)))


def bic_is_valid(value: str) -> bool:
    """8 or 11 characters: bank (4 letters), country (2 letters), location (2), branch (3, optional)."""
    return BIC_PATTERN.match(iban_compact(value)) is not None


def einvoicing_address_compact(value: str) -> str:
    """Without the ``0225:`` scheme a user may type before it (what the invoice carries as BT-34)."""
    value = value.strip()
    if value.startswith(f"{EINVOICING_SCHEME}:"):
        return value[len(EINVOICING_SCHEME) + 1 :]
    return value


def einvoicing_address_matches_siren(address: str, siren: str) -> bool:
    """Scheme 0225 (the French directory): the SIREN alone, or the SIREN, ``_`` and a suffix (SIRET, routing code)."""
    value = einvoicing_address_compact(address)
    if not value or not siren:
        return not value
    return value == siren or value.startswith(f"{siren}_")


def einvoicing_address_is_well_formed(address: str) -> bool:
    value = einvoicing_address_compact(address)
    return not value or EINVOICING_ADDRESS_PATTERN.match(value) is not None


class LegalIdentity(Protocol):
    """What the checklist reads (a ``Provider`` fits; so does any object with these attributes)."""

    name: str
    legal_name: str
    legal_form: str
    share_capital: Decimal | None
    rcs_city: str
    siren: str
    siret: str
    vat_number: str
    address: str
    postal_code: str
    city: str
    country: str
    einvoicing_address: str
    iban: str


class ProviderIdentity(LegalIdentity, Protocol):
    """The provider's whole invoicing identity, in form order: its legal mentions, how to pay it, its
    numbering prefixes, whether its invoices are e-mailed when issued. The one declaration of these
    fields: the form, the service and the API's ``ProviderOut`` take their names (and the API its types)
    from here."""

    bic: str
    late_penalty_text: str
    invoice_prefix: str
    credit_note_prefix: str
    invoice_email_on_issue: bool


#: The fields a provider's managers edit on the company page (and ``PATCH /provider``), in form order.
PROVIDER_IDENTITY_FIELDS: tuple[str, ...] = tuple(get_type_hints(ProviderIdentity))


@dataclass(frozen=True)
class IdentityGap:
    """A mention the provider's invoices miss: the form field to fill, why, and the rules a run reports."""

    field: str
    message: str
    rules: tuple[str, ...] = ()


def invoice_identity_gaps(identity: LegalIdentity) -> list[IdentityGap]:
    """The seller's mandatory mentions (DOMAIN.md, CGI ann. II art. 242 nonies A, C. com. L441-9 and
    R123-237/238) and the e-invoicing rules they feed, that ``identity`` does not fulfil yet, in form order.

    An empty list: nothing on the seller's side will make an invoice fail validation.
    """
    gaps: list[IdentityGap] = []
    legal_form = identity.legal_form.strip()
    if not legal_form:
        gaps.append(IdentityGap("legal_form", str(_("The legal form (SAS, SARL…) is not given."))))
    elif identity.share_capital is None and legal_form.upper() not in INDIVIDUAL_LEGAL_FORMS:
        gaps.append(IdentityGap("share_capital", str(_("The share capital of the company is not given."))))
    if not identity.rcs_city.strip():
        gaps.append(IdentityGap("rcs_city", str(_("The city of the trade register (RCS) is not given."))))
    if not identity.siren:
        gaps.append(IdentityGap("siren", str(_("The SIREN is not given.")), ("BR-FR-10", "BR-FR-13")))
    elif not siren_is_valid(identity.siren):
        gaps.append(IdentityGap("siren", str(_("The SIREN is not valid.")), ("BR-FR-10",)))
    if identity.siret and identity.siren and not siret_matches_siren(identity.siret, identity.siren):
        gaps.append(IdentityGap("siret", str(_("The SIRET does not start with the SIREN.")), ("BR-FR-09",)))
    if not identity.vat_number:
        gaps.append(IdentityGap("vat_number", str(_("The VAT number is not given.")), ("BR-S-02",)))
    elif not vat_is_valid(identity.vat_number) or not vat_matches_siren(identity.vat_number, identity.siren):
        gaps.append(IdentityGap("vat_number", str(_("The VAT number is not valid or does not match the SIREN."))))
    if not (identity.address.strip() and identity.postal_code.strip() and identity.city.strip()):
        gaps.append(IdentityGap("address", str(_("The address (street, postal code and city) is incomplete.")), ()))
    if not identity.country.strip():
        gaps.append(IdentityGap("country", str(_("The country is not given.")), ("BR-09",)))
    address = identity.einvoicing_address
    if address and not einvoicing_address_is_well_formed(address):
        message = _("The e-invoicing address may only hold letters, digits and the signs - _ .")
        gaps.append(IdentityGap("einvoicing_address", str(message), ("BR-FR-23",)))
    elif address and not einvoicing_address_matches_siren(address, identity.siren):
        message = _("The e-invoicing address must be the SIREN, or the SIREN followed by “_” and a suffix.")
        gaps.append(IdentityGap("einvoicing_address", str(message)))
    if not identity.iban:
        gaps.append(IdentityGap("iban", str(_("No IBAN: the invoices do not say where to pay by transfer."))))
    elif not iban_is_valid(identity.iban):
        gaps.append(IdentityGap("iban", str(_("The IBAN is not valid."))))
    return gaps
