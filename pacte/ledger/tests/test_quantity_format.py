"""Ledger quantities as the pages show them (French number format)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation

from pacte.ledger.templatetags.ledger_tags import quantity


@pytest.mark.parametrize(
    ("value", "unit", "shown"),
    [
        ("-154.9000", "euros", "-154,90"),
        ("-6.7500", "hours", "-6,75"),
        ("0.1250", "hours", "0,125"),
        ("0.3333", "hours", "0,3333"),
        ("2", "interventions", "2,00"),
        ("-45", "euros", "-45,00"),
    ],
)
def test_quantities_read_per_unit(value, unit, shown):
    with translation.override("fr"):
        assert quantity(Decimal(value), unit) == shown


def test_no_quantity_is_blank():
    assert quantity(None, "hours") == ""
