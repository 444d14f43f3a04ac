from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def money(value: Decimal | None) -> str:
    """An amount in euros, to the cent, grouped as the language groups it: « 1 113,75 € », "1,113.75 €"."""
    if value is None or value == "":
        return "—"
    return number_format(Decimal(value), decimal_pos=2, use_l10n=True, force_grouping=True) + "\u00a0€"


@register.filter
def signed_money(value: Decimal | None) -> str:
    if value is None:
        return "—"
    text = money(value)
    return ("+" + text) if Decimal(value) > 0 else text


@register.filter
def qty(value: Decimal | None) -> str:
    """A line quantity without trailing zeros: 1, 2,25, 0,5."""
    if value is None:
        return ""
    normal = Decimal(value).normalize()
    exponent = normal.as_tuple().exponent
    places = max(0, -exponent) if isinstance(exponent, int) else 0
    return number_format(normal, decimal_pos=places, use_l10n=True, force_grouping=True)


@register.filter
def percent(value: Decimal | str | None) -> str:
    """A percentage without trailing zeros, as the language writes it: « 5 % », « 2,5 % », "2.5 %"."""
    if value is None or value == "":
        return "—"
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        return str(value)
    if not number.is_finite():
        return str(value)
    return qty(number) + "\u00a0%"
