"""The late-payment wording's default in French typography, written once (``tenancy.models``) and shared
with the Factur-X AAB note; providers still holding the old default get the new one (reversibly)."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from pacte.billing import facturx
from pacte.billing.tests.test_facturx import consumer_invoice, worked_example, xpath
from pacte.tenancy.models import DEFAULT_LATE_PENALTY_TEXT, NO_EARLY_PAYMENT_DISCOUNT_TEXT, Provider
from tests.factories import ProviderFactory

migration = importlib.import_module("pacte.tenancy.migrations.0003_late_penalty_text_typography")


def test_the_default_wording_has_french_typography():
    assert DEFAULT_LATE_PENALTY_TEXT == (
        "Pas d’escompte pour paiement anticipé. Pénalités de retard\u00a0: taux BCE majoré de 10\u00a0points. "
        "Indemnité forfaitaire pour frais de recouvrement\u00a0: 40\u00a0€."
    )
    assert "'" not in DEFAULT_LATE_PENALTY_TEXT and " :" not in DEFAULT_LATE_PENALTY_TEXT
    assert DEFAULT_LATE_PENALTY_TEXT.startswith(NO_EARLY_PAYMENT_DISCOUNT_TEXT)
    assert Provider._meta.get_field("late_penalty_text").default == DEFAULT_LATE_PENALTY_TEXT


@pytest.mark.parametrize("example", [worked_example, consumer_invoice])
def test_the_factur_x_aab_note_is_the_same_sentence_and_still_validates(example):
    xml = facturx.cii_xml(example())
    notes = dict(
        zip(xpath(xml, "//ram:IncludedNote/ram:SubjectCode"), xpath(xml, "//ram:IncludedNote/ram:Content"), strict=True)
    )
    assert notes["AAB"] == "Pas d’escompte pour paiement anticipé." == NO_EARLY_PAYMENT_DISCOUNT_TEXT
    report = facturx.validate(xml)
    assert report.ok, report.summary()


@pytest.mark.django_db
def test_providers_with_the_old_default_get_the_new_one_and_back():
    untouched = ProviderFactory(late_penalty_text=migration.OLD_DEFAULT)
    edited = ProviderFactory(late_penalty_text="Pénalités : 3 fois le taux légal.")
    empty = ProviderFactory(late_penalty_text="")
    assert migration.NEW_DEFAULT == DEFAULT_LATE_PENALTY_TEXT

    migration.forwards(apps, None)
    texts = dict(Provider.objects.values_list("pk", "late_penalty_text"))
    assert texts[untouched.pk] == DEFAULT_LATE_PENALTY_TEXT
    assert (texts[edited.pk], texts[empty.pk]) == ("Pénalités : 3 fois le taux légal.", "")

    migration.backwards(apps, None)
    texts = dict(Provider.objects.values_list("pk", "late_penalty_text"))
    assert texts[untouched.pk] == migration.OLD_DEFAULT
    assert (texts[edited.pk], texts[empty.pk]) == ("Pénalités : 3 fois le taux légal.", "")
