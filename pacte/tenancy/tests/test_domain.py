"""French identifiers: figures from DOMAIN.md."""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import luhn

from pacte.tenancy import domain


@pytest.mark.parametrize(
    ("siren", "valid"),
    [("732829320", True), ("404833048", True), ("732829321", False), ("12345678", False), ("73282932a", False)],
)
def test_siren(siren, valid):
    assert domain.siren_is_valid(siren) is valid


@pytest.mark.parametrize(
    ("siret", "valid"), [("73282932000074", True), ("73282932000075", False), ("7328293200007", False)]
)
def test_siret(siret, valid):
    assert domain.siret_is_valid(siret) is valid


@pytest.mark.parametrize(("siren", "vat"), [("732829320", "FR44732829320"), ("404833048", "FR83404833048")])
def test_vat_number_from_siren(siren, vat):
    assert domain.vat_number_for(siren) == vat
    assert domain.vat_is_valid(vat)
    assert domain.vat_matches_siren(vat, siren)


def test_vat_with_wrong_key_does_not_match():
    assert not domain.vat_matches_siren("FR45732829320", "732829320")
    assert not domain.vat_matches_siren("FR83404833048", "732829320")


@given(st.integers(min_value=0, max_value=99_999_999))
def test_every_luhn_siren_gets_a_consistent_vat_number(base):
    siren = f"{base:08d}" + luhn.calc_check_digit(f"{base:08d}")
    vat = domain.vat_number_for(siren)
    assert domain.vat_is_valid(vat)
    assert domain.vat_matches_siren(vat, siren)


@pytest.mark.parametrize(("zone", "valid"), [("Europe/Paris", True), ("Indian/Reunion", True), ("Mars/Olympus", False)])
def test_time_zone(zone, valid):
    assert domain.time_zone_is_valid(zone) is valid
