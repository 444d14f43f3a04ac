"""The API tokens page lets the provider's people create a monitoring token (alerts only) and lists each scope;
such a token is refused everywhere (403) but on ``POST /api/v1/alerts``."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from pacte.accounts.models import ApiToken, TokenScope
from pacte.assets.models import Asset

pytestmark = pytest.mark.django_db


def _secret(response) -> str:
    match = re.search(r'data-testid="new-token"><code>([^<]+)</code>', response.content.decode())
    assert match is not None
    return match.group(1)


def test_a_provider_member_creates_an_alerts_token_that_only_posts_alerts(login, tenant):
    http = login(tenant.technician)
    page = http.get(reverse("accounts:tokens"))
    assert 'name="scope"' in page.content.decode()
    response = http.post(reverse("accounts:tokens"), {"name": "Zabbix", "scope": "alerts"})
    assert response.status_code == 200
    secret = _secret(response)
    token = ApiToken.objects.get(membership=tenant.technician)
    assert (token.name, token.scope) == ("Zabbix", TokenScope.ALERTS)
    assert "POST /api/v1/alerts" in response.content.decode()
    listed = http.get(reverse("accounts:tokens")).content.decode()
    assert 'data-scope="alerts"' in listed

    headers = {"Authorization": f"Bearer {secret}"}
    api = HttpClient()
    refused = api.get("/api/v1/tickets", headers=headers)
    assert refused.status_code == 403
    assert refused.json() == {"detail": "This token may only post monitoring alerts.", "errors": []}
    assert api.get("/api/v1/clients", headers=headers).status_code == 403
    server = Asset.objects.create(provider=tenant.provider, client=tenant.client, name="Serveur", hostname="srv-01")
    body = {
        "source": "zabbix",
        "key": "srv-01:ping",
        "severity": "major",
        "title": "Ping perdu",
        "asset": {"hostname": "srv-01"},
    }
    posted = api.post("/api/v1/alerts", json.dumps(body), content_type="application/json", headers=headers)
    assert posted.status_code == 201, posted.json()
    assert posted.json()["action"] == "opened"
    assert server.tickets.count() == 1


def test_the_default_scope_is_full_access(login, tenant):
    http = login(tenant.manager)
    response = http.post(reverse("accounts:tokens"), {"name": "Script"})
    assert response.status_code == 200
    assert ApiToken.objects.get(membership=tenant.manager).scope == TokenScope.FULL
    headers = {"Authorization": f"Bearer {_secret(response)}"}
    assert HttpClient().get("/api/v1/tickets", headers=headers).status_code == 200
    assert 'data-scope="full"' in http.get(reverse("accounts:tokens")).content.decode()


def test_a_client_member_does_not_choose_a_scope(login, tenant):
    http = login(tenant.client_manager)
    assert 'name="scope"' not in http.get(reverse("accounts:tokens")).content.decode()
    # A scope sent anyway is ignored: a client's token has the member's own access, never alerts.
    response = http.post(reverse("accounts:tokens"), {"name": "Script", "scope": "alerts"})
    assert response.status_code == 200
    assert ApiToken.objects.get(membership=tenant.client_manager).scope == TokenScope.FULL


def test_an_unknown_scope_is_a_form_error(login, tenant):
    response = login(tenant.admin).post(reverse("accounts:tokens"), {"name": "Script", "scope": "root"})
    assert response.status_code == 422
    assert ApiToken.objects.filter(membership=tenant.admin).count() == 0
