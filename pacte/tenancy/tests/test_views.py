"""Back-office and portal pages: forms, errors next to fields, search, pagination, role-based actions."""

from django.urls import reverse

from pacte.tenancy.models import Client, Contact, Site
from tests.factories import ClientFactory

VALID = {"name": "Imprimerie Lumière", "country": "FR", "time_zone": "Europe/Paris", "holiday_subdivision": ""}


def test_invalid_siren_error_is_on_the_siren_field_and_nothing_is_saved(login, tenant):
    response = login(tenant.manager).post(reverse("tenancy:client_create"), {**VALID, "siren": "123456789"})
    assert response.status_code == 422
    form = response.context["form"]
    assert list(form.errors) == ["siren"]
    assert 'data-field="siren"' in response.content.decode()
    assert not Client.objects.filter(name="Imprimerie Lumière").exists()


def test_siren_typed_with_spaces_is_accepted(login, tenant):
    response = login(tenant.manager).post(reverse("tenancy:client_create"), {**VALID, "siren": "732 829 320"})
    assert response.status_code == 302
    assert Client.objects.get(name="Imprimerie Lumière").siren == "732829320"


def test_duplicate_siren_error_is_on_the_field(login, tenant):
    response = login(tenant.manager).post(reverse("tenancy:client_create"), {**VALID, "siren": tenant.client.siren})
    assert response.status_code == 422
    assert list(response.context["form"].errors) == ["siren"]


def test_search_and_pagination(login, tenant, django_assert_max_num_queries):
    ClientFactory.create_batch(30, provider=tenant.provider, city="Grenoble")
    http = login(tenant.technician)
    with django_assert_max_num_queries(12):
        page1 = http.get(reverse("tenancy:client_list"))
    assert page1.context["page"].paginator.count == 32
    assert len(page1.context["page"].object_list) == 25
    page2 = http.get(reverse("tenancy:client_list"), {"page": 2})
    assert len(page2.context["page"].object_list) == 7
    found = http.get(reverse("tenancy:client_list"), {"q": tenant.client.siren})
    assert [c.pk for c in found.context["page"].object_list] == [tenant.client.pk]


def test_htmx_search_returns_the_rows_partial(login, tenant):
    response = login(tenant.manager).get(reverse("tenancy:client_list"), {"q": "Autre"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "<html" not in body
    assert tenant.other_client.name in body
    assert tenant.client.name + "<" not in body


def test_technician_sees_no_create_button_and_gets_403(login, tenant):
    http = login(tenant.technician)
    assert reverse("tenancy:client_create") not in http.get(reverse("tenancy:client_list")).content.decode()
    assert http.get(reverse("tenancy:client_create")).status_code == 403
    assert http.post(reverse("tenancy:client_update", args=[tenant.client.pk]), VALID).status_code == 403


def test_archive_hides_from_list_but_keeps_the_row(login, tenant):
    http = login(tenant.manager)
    http.post(reverse("tenancy:client_archive", args=[tenant.client.pk]))
    names = [c.name for c in http.get(reverse("tenancy:client_list")).context["page"].object_list]
    assert tenant.client.name not in names
    archived = http.get(reverse("tenancy:client_list"), {"archived": "1"}).context["page"].object_list
    assert tenant.client.name in [c.name for c in archived]
    assert http.get(reverse("tenancy:client_update", args=[tenant.client.pk])).status_code == 200
    response = http.post(reverse("tenancy:client_update", args=[tenant.client.pk]), {**VALID, "name": "Renommé"})
    assert response.status_code == 409


def test_site_form_rejects_unknown_time_zone(login, tenant):
    response = login(tenant.manager).post(
        reverse("tenancy:site_create", args=[tenant.client.pk]),
        {"name": "Annexe", "country": "FR", "time_zone": "Mars/Base"},
    )
    assert response.status_code == 422
    assert "time_zone" in response.context["form"].errors
    assert not Site.objects.filter(name="Annexe").exists()


def test_client_manager_adds_a_contact_in_the_portal(login, tenant):
    http = login(tenant.client_manager)
    response = http.post(reverse("portal:contact_create"), {"last_name": "Petit", "first_name": "Léa"})
    assert response.status_code == 302
    assert response.url == reverse("portal:company")
    assert Contact.objects.get(last_name="Petit").client == tenant.client


def test_client_user_cannot_add_contacts(login, tenant):
    http = login(tenant.client_user)
    assert http.get(reverse("portal:contact_create")).status_code == 403
    assert http.post(reverse("portal:contact_create"), {"last_name": "Non"}).status_code == 403
    assert not Contact.objects.filter(last_name="Non").exists()


def test_provider_pages_are_404_for_client_side_actors(login, tenant):
    assert login(tenant.client_manager).get(reverse("tenancy:client_list")).status_code == 404


def test_portal_is_404_for_provider_side_actors(login, tenant):
    assert login(tenant.manager).get(reverse("portal:home")).status_code == 404


def test_admin_adds_a_user(login, tenant):
    http = login(tenant.admin)
    response = http.post(
        reverse("tenancy:user_create"),
        {"email": "nouveau@tech.test", "full_name": "Nouveau", "role": "technician", "client": ""},
    )
    assert response.status_code == 302
    listing = http.get(reverse("tenancy:user_list")).content.decode()
    assert "nouveau@tech.test" in listing
