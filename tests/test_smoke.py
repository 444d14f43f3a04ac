import pytest
from django.urls import reverse


def test_login_page_is_french(client, db):
    response = client.get(reverse("accounts:login"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Connexion</h1>" in html  # Pacte's own catalogue (msgctxt "page title"), not Django admin's
    assert ">Se connecter</button>" in html


@pytest.mark.parametrize("role", ["admin", "manager", "technician"])
def test_provider_roles_see_client_list(tenant, login, role):
    response = login(tenant.member(role)).get(reverse("tenancy:client_list"))
    assert response.status_code == 200
    assert tenant.client.name in response.content.decode()
