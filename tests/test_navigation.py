"""Each demo account logs in through the login form and sees the navigation of its role (French UI)."""

from __future__ import annotations

import datetime
import re

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from pacte.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, PROVIDER_NAME, load_demo

TODAY = datetime.date(2026, 3, 16)
MAINNAV = re.compile(r'<ul class="mainnav">(.*?)</ul>', re.DOTALL)
LINK = re.compile(r'<a href="([^"]+)"[^>]*>([^<]+)</a>')
ACTING_AS = re.compile(r'<span class="muted" data-testid="acting-as">([^<]+)</span>')

TICKETS = ("Tickets", "/tickets/")
CLIENTS = ("Clients", "/clients/")
CONTRACTS = ("Contrats", "/contracts/")
ASSETS = ("Équipements", "/assets/")
USERS_AND_ROLES = ("Rôles et utilisateurs", "/users/")
COMPANY = ("Société", "/company/")
SERVICE_LEVELS = ("Niveaux de service", "/sla/service-levels/")
EMAILS = ("E-mails", "/mail/")
VERIFY_DOCUMENT = ("Vérifier un document", "/documents/verify/")
INTERVENTIONS = ("Interventions", "/interventions/")
PLANNING = ("Planning", "/interventions/planning/")
PORTAL_INTERVENTIONS = ("Interventions", "/portal/interventions/")
PORTAL_PREVENTIVE = ("Maintenance préventive", "/portal/preventive/")
PORTAL_HOME = ("Accueil", "/portal/")
PORTAL_TICKETS = ("Tickets", "/portal/tickets/")
MY_COMPANY = ("Mon entreprise", "/portal/company/")
PORTAL_USERS = ("Utilisateurs", "/portal/users/")
PORTAL_ASSETS = ("Équipements", "/portal/assets/")
PORTAL_CONTRACTS = ("Contrats", "/portal/contracts/")
BILLING = ("Facturation", "/billing/")
PORTAL_INVOICES = ("Factures", "/portal/invoices/")

# email → (start page, navigation, role label · scope, "New client" button, pages the role may not open)
EXPECTED = {
    "admin@demo.pacte.test": (
        "/clients/",
        [
            TICKETS,
            INTERVENTIONS,
            PLANNING,
            CLIENTS,
            CONTRACTS,
            ASSETS,
            BILLING,
            SERVICE_LEVELS,
            USERS_AND_ROLES,
            COMPANY,
            VERIFY_DOCUMENT,
            EMAILS,
        ],
        f"Administrateur (prestataire) · {PROVIDER_NAME}",
        True,
        ["/portal/"],
    ),
    "manager@demo.pacte.test": (
        "/clients/",
        [
            TICKETS,
            INTERVENTIONS,
            PLANNING,
            CLIENTS,
            CONTRACTS,
            ASSETS,
            BILLING,
            SERVICE_LEVELS,
            COMPANY,
            VERIFY_DOCUMENT,
        ],
        f"Gérant (prestataire) · {PROVIDER_NAME}",
        True,
        ["/users/", "/mail/", "/portal/"],
    ),
    "tech@demo.pacte.test": (
        "/clients/",
        [TICKETS, INTERVENTIONS, PLANNING, CLIENTS, CONTRACTS, ASSETS, SERVICE_LEVELS, VERIFY_DOCUMENT],
        f"Technicien · {PROVIDER_NAME}",
        False,
        [
            "/users/",
            "/clients/new/",
            "/sla/calendars/new/",
            "/assets/new/",
            "/assets/import/",
            "/mail/",
            "/portal/",
            "/billing/",
            "/company/",
        ],
    ),
    "manager@lyon.demo.pacte.test": (
        "/portal/",
        [
            PORTAL_HOME,
            PORTAL_TICKETS,
            PORTAL_INTERVENTIONS,
            PORTAL_PREVENTIVE,
            MY_COMPANY,
            PORTAL_CONTRACTS,
            PORTAL_INVOICES,
            PORTAL_ASSETS,
            PORTAL_USERS,
        ],
        "Responsable (client) · Cabinet Rhône Expertise Comptable",
        None,
        ["/clients/", "/users/", "/sla/service-levels/", "/company/"],
    ),
    "user@lyon.demo.pacte.test": (
        "/portal/",
        [PORTAL_HOME, PORTAL_TICKETS, PORTAL_INTERVENTIONS, PORTAL_PREVENTIVE, MY_COMPANY, PORTAL_ASSETS],
        "Utilisateur (client) · Cabinet Rhône Expertise Comptable",
        None,
        ["/clients/", "/portal/users/", "/assets/", "/portal/contracts/", "/portal/invoices/", "/company/"],
    ),
    "manager@metz.demo.pacte.test": (
        "/portal/",
        [
            PORTAL_HOME,
            PORTAL_TICKETS,
            PORTAL_INTERVENTIONS,
            PORTAL_PREVENTIVE,
            MY_COMPANY,
            PORTAL_CONTRACTS,
            PORTAL_INVOICES,
            PORTAL_ASSETS,
            PORTAL_USERS,
        ],
        "Responsable (client) · Mosellane de Mécanique Industrielle",
        None,
        ["/clients/", "/users/", "/sla/service-levels/", "/company/"],
    ),
}


def test_every_demo_account_is_covered():
    assert sorted(EXPECTED) == sorted(email for email, *_rest in DEMO_ACCOUNTS)


def _navigation(html: str) -> list[tuple[str, str]]:
    match = MAINNAV.search(html)
    assert match, "no main navigation on the page"
    return [(label.strip(), href) for href, label in LINK.findall(match.group(1))]


@pytest.mark.parametrize("email", list(EXPECTED))
def test_demo_account_logs_in_and_sees_its_navigation(db, email):
    start, navigation, acting_as, new_client_button, refused = EXPECTED[email]
    load_demo(today=TODAY)
    http = HttpClient()
    assert "<h1>Connexion</h1>" in http.get(reverse("accounts:login")).content.decode()

    response = http.post(reverse("accounts:login"), {"username": email, "password": DEMO_PASSWORD}, follow=True)

    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == start
    html = response.content.decode()
    assert _navigation(html) == navigation
    assert ACTING_AS.search(html).group(1) == acting_as
    assert "Se déconnecter" in html
    if new_client_button is not None:
        assert ('href="/clients/new/"' in html) is new_client_button
        assert ("Nouveau client" in html) is new_client_button
    else:
        assert "Mon entreprise" in html
    for _label, url in navigation:
        assert http.get(url).status_code == 200, url
    for path in refused:
        assert http.get(path).status_code in (403, 404), path


def test_wrong_password_keeps_the_user_out(db):
    load_demo(today=TODAY)
    http = HttpClient()
    response = http.post(reverse("accounts:login"), {"username": "admin@demo.pacte.test", "password": "wrong-password"})
    assert response.status_code == 200
    assert "Adresse e-mail ou mot de passe incorrect." in response.content.decode()
    assert http.get(reverse("tenancy:client_list")).status_code == 302
