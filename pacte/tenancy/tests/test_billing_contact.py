"""Billing contacts (« Contact facturation ») and the provider's « send invoices by e-mail » switch: set on the
contact forms (back office and portal), the company page and the API; who receives the invoices and the
reminders (``billing.reminders.billing_recipients``)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from pacte.billing.reminders import billing_recipients
from pacte.tenancy.models import Contact, Membership, Provider
from pacte.tenancy.tests.test_provider_identity import VALID
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


def emails(client) -> list[str]:
    return [recipient.email for recipient in billing_recipients(client)]


def test_recipients_are_the_billing_contacts_else_the_managers_else_the_contacts(tenant):
    client = tenant.client
    manager_email = tenant.client_manager.user.email
    plain = list(Contact.objects.filter(client=client).exclude(email="").order_by("id").values_list("email", flat=True))
    assert plain and emails(client) == [manager_email]  # no billing contact: the managers
    ContactFactory(client=client, provider=tenant.provider, email="compta@client.test", billing_contact=True)
    ContactFactory(client=client, provider=tenant.provider, email="daf@client.test", billing_contact=True)
    # Neither an archived billing contact nor one without an address counts.
    ContactFactory(client=client, provider=tenant.provider, email="", billing_contact=True)
    ContactFactory(client=client, provider=tenant.provider, email="parti@client.test", billing_contact=True)
    Contact.objects.filter(email="parti@client.test").update(archived_at="2026-01-01T00:00:00Z")
    ContactFactory(
        client=tenant.other_client, provider=tenant.provider, email="autre@client.test", billing_contact=True
    )
    assert emails(client) == ["compta@client.test", "daf@client.test"]  # only them, the managers left out
    Contact.objects.filter(client=client, billing_contact=True).update(billing_contact=False)
    Membership.objects.filter(client=client).update(is_active=False)
    assert emails(client) == [*plain, "compta@client.test", "daf@client.test"]  # the contacts with an address


def test_a_contact_is_marked_billing_contact_on_the_form_and_the_client_page_shows_it(login, tenant):
    http = login(tenant.manager)
    form = http.get(reverse("tenancy:contact_create", args=[tenant.client.pk])).content.decode()
    assert 'name="billing_contact"' in form
    response = http.post(
        reverse("tenancy:contact_create", args=[tenant.client.pk]),
        {"last_name": "Roth", "first_name": "Nathalie", "email": "compta@client.test", "billing_contact": "on"},
    )
    assert response.status_code == 302
    contact = Contact.objects.get(email="compta@client.test")
    assert contact.billing_contact is True
    page = http.get(reverse("tenancy:client_detail", args=[tenant.client.pk])).content.decode()
    assert f'data-testid="billing-contact-{contact.pk}"' in page
    assert page.count('data-testid="billing-contact-') == 1
    # Unticked on the edit form: no longer a billing contact.
    http.post(reverse("tenancy:contact_update", args=[contact.pk]), {"last_name": "Roth", "email": contact.email})
    contact.refresh_from_db()
    assert contact.billing_contact is False


def test_the_clients_manager_marks_one_in_the_portal(login, tenant):
    http = login(tenant.client_manager)
    response = http.post(
        reverse("portal:contact_create"),
        {"last_name": "Compta", "email": "factures@client.test", "billing_contact": "on"},
    )
    assert response.status_code == 302
    contact = Contact.objects.get(email="factures@client.test")
    assert contact.billing_contact is True and contact.client_id == tenant.client.pk
    page = http.get(reverse("portal:company")).content.decode()
    assert f'data-testid="billing-contact-{contact.pk}"' in page


def test_the_api_reads_and_writes_the_flag(client, tenant, api_token):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {api_token(tenant.manager)}"}
    created = client.post(
        "/api/v1/contacts",
        {"client_id": tenant.client.pk, "last_name": "Roth", "email": "compta@client.test", "billing_contact": True},
        content_type="application/json",
        **headers,
    )
    assert created.status_code == 201, created.content
    assert created.json()["billing_contact"] is True
    pk = created.json()["id"]
    patched = client.patch(
        f"/api/v1/contacts/{pk}", {"billing_contact": False}, content_type="application/json", **headers
    )
    assert patched.status_code == 200 and patched.json()["billing_contact"] is False
    assert Contact.objects.get(pk=pk).billing_contact is False
    other = client.post(
        "/api/v1/contacts",
        {"client_id": tenant.client.pk, "last_name": "Sans"},
        content_type="application/json",
        **headers,
    )
    assert other.json()["billing_contact"] is False  # off by default


def test_the_company_page_and_the_api_switch_invoice_emails(login, tenant, api_token, client):
    assert Provider.objects.get(pk=tenant.provider.pk).invoice_email_on_issue is True  # on by default
    http = login(tenant.manager)
    form = http.get("/company/").context["form"]
    assert form["invoice_email_on_issue"].value() is True and 'name="invoice_email_on_issue"' in str(form)
    response = http.post("/company/", VALID)  # the box unticked
    assert response.status_code == 302, response.content
    assert Provider.objects.get(pk=tenant.provider.pk).invoice_email_on_issue is False
    headers = {"HTTP_AUTHORIZATION": f"Bearer {api_token(tenant.manager)}"}
    assert client.get("/api/v1/provider", **headers).json()["invoice_email_on_issue"] is False
    patched = client.patch(
        "/api/v1/provider", {"invoice_email_on_issue": True}, content_type="application/json", **headers
    )
    assert patched.status_code == 200 and patched.json()["invoice_email_on_issue"] is True
    assert Provider.objects.get(pk=tenant.provider.pk).invoice_email_on_issue is True
