"""How ledger quantities read: euros to the cent, other units with 2 to 4 decimals (no trailing zeros)."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils import formats

register = template.Library()


@register.filter
def quantity(value: Decimal | None, unit: str) -> str:
    """``-154.9000`` euros → ``-154,90``; ``-6.7500`` hours → ``-6,75``; ``0.1250`` → ``0,125``; ``2`` → ``2,00``."""
    if value is None:
        return ""
    value = Decimal(value)
    if unit == "euros":
        places = 2
    else:
        exponent = value.quantize(Decimal("0.0001")).normalize().as_tuple().exponent
        places = min(4, max(2, -exponent if isinstance(exponent, int) else 2))
    return formats.number_format(value, decimal_pos=places, use_l10n=True)
