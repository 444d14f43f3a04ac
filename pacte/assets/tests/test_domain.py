"""The pure rules: warranty state, normalised serial numbers and host names, loose matching."""

from __future__ import annotations

import datetime

import pytest

from pacte.assets.domain import (
    WarrantyState,
    expiring_until,
    fold,
    normalise_hostname,
    normalise_serial,
    warranty_state,
)

TODAY = datetime.date(2026, 3, 16)


def days(n: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=n)


@pytest.mark.parametrize(
    ("end", "state"),
    [
        (None, WarrantyState.UNKNOWN),
        (days(-400), WarrantyState.EXPIRED),
        (days(-1), WarrantyState.EXPIRED),  # yesterday was the last day covered
        (days(0), WarrantyState.EXPIRING),  # today is still covered
        (days(1), WarrantyState.EXPIRING),
        (days(60), WarrantyState.EXPIRING),  # the 60th day counts
        (days(61), WarrantyState.VALID),
        (days(3 * 365), WarrantyState.VALID),
    ],
)
def test_warranty_state_with_the_default_window(end, state):
    assert warranty_state(end, TODAY) is state


def test_warranty_window_can_be_changed():
    assert warranty_state(days(20), TODAY, within_days=30) is WarrantyState.EXPIRING
    assert warranty_state(days(31), TODAY, within_days=30) is WarrantyState.VALID
    assert warranty_state(days(0), TODAY, within_days=0) is WarrantyState.EXPIRING
    assert warranty_state(days(1), TODAY, within_days=0) is WarrantyState.VALID
    with pytest.raises(ValueError):
        warranty_state(days(1), TODAY, within_days=-1)


def test_expiring_until_is_the_last_expiring_day():
    assert expiring_until(TODAY) == datetime.date(2026, 5, 15)
    assert warranty_state(expiring_until(TODAY), TODAY) is WarrantyState.EXPIRING
    assert warranty_state(expiring_until(TODAY) + datetime.timedelta(days=1), TODAY) is WarrantyState.VALID


def test_warranty_state_values_are_the_api_words():
    assert [state.value for state in WarrantyState] == ["expired", "expiring", "valid", "unknown"]


@pytest.mark.parametrize(
    ("raw", "serial"),
    [(" abc 123 ", "ABC 123"), ("cz\tj0123", "CZ J0123"), ("", ""), (None, ""), ("  ", "")],
)
def test_serial_numbers_are_trimmed_and_in_capitals(raw, serial):
    assert normalise_serial(raw) == serial


@pytest.mark.parametrize(
    ("raw", "hostname"),
    [(" SRV-Fichiers.Cabinet.LOCAL. ", "srv-fichiers.cabinet.local"), ("PC-ACCUEIL", "pc-accueil"), (None, "")],
)
def test_host_names_are_trimmed_and_in_lower_case(raw, hostname):
    assert normalise_hostname(raw) == hostname


def test_fold_ignores_accents_case_spaces_and_curly_apostrophes():
    assert fold("  Siège —  Perrache ") == "siege — perrache"
    assert fold("Nom d’hôte") == "nom d'hote"
    assert fold("DÉPÔT de Woippy") == fold("depot de woippy")
    assert fold(None) == ""
