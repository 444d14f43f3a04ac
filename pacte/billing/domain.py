"""Billing rules without the database: periods, rounding, VAT per rate, due dates, numbers, accounts.

Rounding (DOMAIN.md, EN 16931 BR-CO-10 and BR-CO-17): each line is rounded to the cent, lines are
summed per VAT rate, the VAT of each rate is computed on that rate's sum and rounded, then the grand
total is the sum of the bases and the VATs.
"""

from __future__ import annotations

import calendar
import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import gettext as _

from pacte.billing.invoice_data import VatBreakdown

CENT = Decimal("0.01")
STANDARD_VAT = Decimal("20.00")
#: Guadeloupe, Martinique and La Réunion: 8.5 % (CGI art. 296). Guyane and Mayotte: no VAT (not handled here).
OVERSEAS_VAT = Decimal("8.50")
OVERSEAS_VAT_POSTCODES = ("971", "972", "974")
NUMBER = re.compile(r"^[A-Za-z0-9+\-_/]{1,35}\Z")
PERIOD = re.compile(r"^(\d{4})-(\d{2})\Z")

#: Revenue accounts (French chart of accounts, PCG) per line kind; the accountant can remap them in the export.
ACCOUNT_CODES = {
    "fee": "706100",
    "overage": "706200",
    "work": "706300",
    "travel": "708500",
    "parts": "707000",
    "block": "706400",
    "task": "706300",
    "milestone": "706500",
    "service_credit": "709000",
    "adjustment": "709000",
    "credit": "709000",
}
CLIENT_ACCOUNT = "411000"
VAT_ACCOUNT = "445710"


class BillingError(ValueError):
    """Bad billing input (a period, a number, an amount): the message says what to fix."""


def cents(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def month_bounds(text: str) -> tuple[datetime.date, datetime.date]:
    """``"2026-10"`` → (1 Oct 2026, 31 Oct 2026); anything else is a ``BillingError``."""
    match = PERIOD.match(text.strip())
    if match is None:
        raise BillingError(_("“%(text)s” is not a billing month: write it as YYYY-MM, e.g. 2026-10.") % {"text": text})
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12 or year < 2000:
        raise BillingError(_("“%(text)s” is not a billing month: the month goes from 01 to 12.") % {"text": text})
    return datetime.date(year, month, 1), datetime.date(year, month, calendar.monthrange(year, month)[1])


def line_amount(quantity: Decimal, unit_price: Decimal) -> Decimal:
    return cents(Decimal(quantity) * Decimal(unit_price))


@dataclass(frozen=True)
class Totals:
    net: Decimal
    vat: Decimal
    gross: Decimal
    breakdown: tuple[VatBreakdown, ...]


def totals(lines: Iterable[tuple[Decimal, Decimal]]) -> Totals:
    """(amount excl. VAT, VAT rate %) per line → the VAT per rate and the totals (BR-CO-17)."""
    bases: dict[Decimal, Decimal] = {}
    for amount, rate in lines:
        rate = Decimal(rate).quantize(CENT)
        bases[rate] = bases.get(rate, Decimal("0.00")) + cents(amount)
    breakdown = tuple(
        VatBreakdown(rate=rate, category="S", basis=basis, amount=cents(basis * rate / 100))
        for rate, basis in sorted(bases.items(), reverse=True)
    )
    net = sum((item.basis for item in breakdown), Decimal("0.00"))
    vat = sum((item.amount for item in breakdown), Decimal("0.00"))
    return Totals(net=net, vat=vat, gross=net + vat, breakdown=breakdown)


def vat_rate_for(postal_code: str, country: str = "FR") -> Decimal:
    """The VAT rate of IT services for a client in France: 20 %, 8.5 % in Guadeloupe, Martinique, La Réunion."""
    if country == "FR" and postal_code.strip().startswith(OVERSEAS_VAT_POSTCODES):
        return OVERSEAS_VAT
    return STANDARD_VAT


def due_date(issue: datetime.date, *, days: int, end_of_month: bool = False) -> datetime.date:
    """L441-10: ``days`` after issue, or — "45 jours fin de mois" — ``days`` after issue, then the month's end.

    15 Jan 2026 + 60 days → 16 Mar 2026; 15 Jan 2026 + 45 days end of month → 1 Mar → 31 Mar 2026;
    10 Jan 2026 + 45 days end of month → 24 Feb → 28 Feb 2026.
    """
    day = issue + datetime.timedelta(days=days)
    if end_of_month:
        day = day.replace(day=calendar.monthrange(day.year, day.month)[1])
    return day


def number_check(number: str) -> str:
    if not NUMBER.match(number):
        raise BillingError(
            f"“{number}” is not a valid invoice number: at most 35 letters, digits and + - _ / (no space, no dot)."
        )
    return number


def decimal_or_error(text: str, *, what: str) -> Decimal:
    try:
        value = Decimal(text.strip().replace("\u202f", "").replace("\xa0", "").replace(" ", "").replace(",", "."))
    except (InvalidOperation, AttributeError) as error:
        raise BillingError(f"{what}: “{text}” is not an amount.") from error
    if not value.is_finite():
        raise BillingError(f"{what}: “{text}” is not an amount.")
    return value
