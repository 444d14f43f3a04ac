"""The interface is French first and English second, and the French catalogue is complete."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client as HttpClient
from django.test import override_settings
from django.urls import reverse

from tests.factories import PASSWORD, MembershipFactory
from tests.fixtures import Tenant

PACKAGE_DIR = Path(settings.BASE_DIR)
LOCALE_DIR = PACKAGE_DIR / "locale"
MAKEMESSAGES = "cd pacte && ../.venv/bin/python ../manage.py makemessages -l fr -l en --no-obsolete"
NBSP = "\u00a0"  # French typography: a no-break space before « : ? ! ; » and inside « »
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w*\}")

SIREN_ERROR_FR = f"Saisissez un SIREN valide{NBSP}: 9 chiffres avec une clé de contrôle correcte."
SIREN_ERROR_EN = "Enter a valid SIREN: 9 digits with a valid check digit."


def _key(entry: polib.POEntry) -> tuple[str | None, str]:
    return (entry.msgctxt, entry.msgid)


def _translations(entry: polib.POEntry) -> list[str]:
    if entry.msgid_plural:
        return [entry.msgstr_plural[index] for index in sorted(entry.msgstr_plural)]
    return [entry.msgstr]


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory) -> dict[str, polib.POFile]:
    """Run makemessages, as a developer would, on a throw-away copy of the package."""
    for tool in ("xgettext", "msgmerge", "msguniq"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} (GNU gettext) is not installed: cannot extract the messages")
    copy = tmp_path_factory.mktemp("i18n") / "pacte"
    shutil.copytree(PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo", "vendor"))
    with override_settings(LOCALE_PATHS=[copy / "locale"]), pytest.MonkeyPatch.context() as patch:
        patch.chdir(copy)
        call_command("makemessages", locale=["fr", "en"], no_obsolete=True, verbosity=0)
    return {lang: polib.pofile(str(copy / "locale" / lang / "LC_MESSAGES" / "django.po")) for lang in ("fr", "en")}


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_committed_catalogue_is_current(regenerated, lang):
    """Every msgid of the code is in the committed .po file, and no message the code dropped lingers."""
    committed = polib.pofile(str(LOCALE_DIR / lang / "LC_MESSAGES" / "django.po"))
    expected = {_key(entry) for entry in regenerated[lang]}
    present = {_key(entry) for entry in committed}
    assert not expected - present, f"messages missing from {lang}/django.po; run `{MAKEMESSAGES}`"
    assert not present - expected, f"messages no longer in the code linger in {lang}/django.po; run `{MAKEMESSAGES}`"
    assert not committed.obsolete_entries(), f"obsolete (#~) entries in {lang}/django.po"


def test_french_catalogue_is_complete(regenerated):
    """Every message has a French translation (every plural form too), none is fuzzy."""
    french = regenerated["fr"]
    assert french.metadata.get("Language") == "fr"
    assert french.metadata.get("Plural-Forms") == "nplurals=2; plural=(n > 1);"
    assert not french.metadata_is_fuzzy, "the header of fr/django.po is marked fuzzy"
    untranslated = [entry.msgid for entry in french if not all(_translations(entry))]
    fuzzy = [entry.msgid for entry in french if "fuzzy" in entry.flags]
    assert not untranslated, f"untranslated in fr/django.po after `{MAKEMESSAGES}`: {untranslated}"
    assert not fuzzy, f"fuzzy entries in fr/django.po (check, then remove the flag): {fuzzy}"


def test_french_translations_keep_their_placeholders():
    """A translation that loses or renames ``%(name)s`` would crash or mislead at render time."""
    french = polib.pofile(str(LOCALE_DIR / "fr" / "LC_MESSAGES" / "django.po"))
    wrong = []
    for entry in french.translated_entries():
        sources = [entry.msgid] + [entry.msgid_plural] * (len(_translations(entry)) - 1)
        for source, translation in zip(sources, _translations(entry), strict=True):
            if sorted(PLACEHOLDER.findall(source)) != sorted(PLACEHOLDER.findall(translation)):
                wrong.append((entry.msgid, translation))
    assert not wrong


def test_english_catalogue_has_no_fuzzy_entry():
    english = polib.pofile(str(LOCALE_DIR / "en" / "LC_MESSAGES" / "django.po"))
    assert english.metadata.get("Language") == "en"
    assert not english.metadata_is_fuzzy
    assert not [entry.msgid for entry in english if "fuzzy" in entry.flags]


# The pages ---------------------------------------------------------------------------------------


def _page(response) -> str:
    assert response.status_code in (200, 422), response.status_code
    return response.content.decode()


def test_login_page_is_french_by_default(client, db):
    """French even when the browser asks for English: Accept-Language is deliberately ignored."""
    html = _page(client.get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9"))
    assert '<html lang="fr"' in html
    assert "<title>Connexion · Pacte</title>" in html
    assert "<h1>Connexion</h1>" in html
    assert ">Se connecter</button>" in html
    assert "Adresse e-mail" in html
    assert "Mot de passe" in html
    assert f"Mot de passe oublié{NBSP}?" in html
    assert "Forgot your password?" not in html


def test_login_page_turns_english_with_the_language_switch(client, db):
    login_url = reverse("accounts:login")
    html = _page(client.get(login_url))
    assert 'name="language" value="en"' in html  # the switch offered on the French page
    response = client.post(reverse("set_language"), {"language": "en", "next": login_url})
    assert response.status_code == 302
    assert response.url == login_url
    html = _page(client.get(login_url))
    assert '<html lang="en"' in html
    assert "<title>Log in · Pacte</title>" in html
    assert ">Log in</button>" in html
    assert "Forgot your password?" in html
    assert 'name="language" value="fr"' in html  # and the way back
    client.post(reverse("set_language"), {"language": "fr", "next": login_url})
    assert "<h1>Connexion</h1>" in _page(client.get(login_url))


def test_wrong_password_message_is_french(client, tenant: Tenant):
    response = client.post(
        reverse("accounts:login"), {"username": tenant.manager.user.email, "password": "not-the-password"}
    )
    html = _page(response)
    assert "Adresse e-mail ou mot de passe incorrect." in html


@pytest.mark.parametrize(
    ("language", "expected", "unexpected"),
    [
        ("en", ["New client", "Name, SIREN or city", "Users and roles", "Log out"], ["Nouveau client"]),
        ("fr", ["Nouveau client", "Nom, SIREN ou ville", "Rôles et utilisateurs", "Se déconnecter"], ["New client"]),
    ],
)
def test_user_language_applies_after_logging_in(db, language, expected, unexpected):
    """The user's own ``language`` wins over the default, whatever the cookie says."""
    membership = MembershipFactory(role="provider_admin", user__language=language)
    http = HttpClient()
    http.cookies[settings.LANGUAGE_COOKIE_NAME] = "en" if language == "fr" else "fr"
    response = http.post(
        reverse("accounts:login"), {"username": membership.user.email, "password": PASSWORD}, follow=True
    )
    html = _page(response)
    assert response.redirect_chain[-1][0] == reverse("tenancy:client_list")
    assert f'<html lang="{language}"' in html
    for text in expected:
        assert text in html
    for text in unexpected:
        assert text not in html


def test_client_form_error_is_french(tenant: Tenant, login):
    response = login(tenant.manager).post(
        reverse("tenancy:client_create"),
        {
            "name": "Société Test",
            "is_professional": "on",
            "siren": "123456789",
            "country": "FR",
            "time_zone": "Europe/Paris",
        },
    )
    html = _page(response)
    assert response.status_code == 422
    assert f'<small class="field-error" data-field="siren" role="alert">{SIREN_ERROR_FR}</small>' in html
    assert SIREN_ERROR_EN not in html
    assert "<h1>Nouveau client</h1>" in html


def test_client_form_error_is_english_for_an_english_user(tenant: Tenant, login):
    tenant.manager.user.language = "en"
    tenant.manager.user.save()
    response = login(tenant.manager).post(
        reverse("tenancy:client_create"),
        {
            "name": "Test Ltd",
            "is_professional": "on",
            "siren": "123456789",
            "country": "FR",
            "time_zone": "Europe/Paris",
        },
    )
    html = _page(response)
    assert response.status_code == 422
    assert SIREN_ERROR_EN in html
