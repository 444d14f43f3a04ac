"""Issued invoices and credit notes e-mailed to the client with their PDF: once on issue (the render job),
again by hand (the invoice page, the API). The mail queue is the database's; ``run_jobs`` delivers it to
Django's test outbox.

The e-mails' wording is checked in English (the recipient's language: the client's manager reads English
here); the pages' new wording too (the manager's language), the rest of the page in French."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.urls import reverse

from pacte.accounts.models import User
from pacte.audit.models import AuditEvent
from pacte.billing import reminders
from pacte.billing.models import Invoice
from pacte.billing.selectors import readable_address
from pacte.billing.tasks import invoice_render
from pacte.billing.tests.test_payments import DUE, credit, draft, issued
from pacte.documents.services import document_content
from pacte.mail.models import MessageStatus, OutboundAttachment, OutboundMessage
from pacte.tenancy.models import Contact, Membership, Provider

pytestmark = pytest.mark.django_db


@pytest.fixture
def billing_tenant(tenant):
    from pacte.billing.tests.helpers import legal_identity

    tenant = legal_identity(tenant)
    User.objects.filter(pk=tenant.client_manager.user_id).update(language="en")
    User.objects.filter(pk=tenant.manager.user_id).update(language="en")
    return tenant


def rendered(tenant, invoice: Invoice | None = None) -> Invoice:
    """An issued invoice (FA-2026-000001, 1 336.50 €, due 14 Feb 2026) through the render job, as the worker runs it."""
    invoice = invoice or issued(tenant)
    invoice_render.call(invoice.pk)
    invoice.refresh_from_db()
    return invoice


def no_contact_address(tenant) -> None:
    """The client has no billing address left: its managers gone, its contacts without an e-mail."""
    Membership.objects.filter(client=tenant.client).update(is_active=False)
    Contact.objects.filter(client=tenant.client).update(email="")


def test_the_render_job_emails_the_pdf_once_to_the_client(billing_tenant, run_jobs):
    tenant = billing_tenant
    invoice = rendered(tenant)
    (message,) = OutboundMessage.objects.all()
    assert message.key == f"billing-invoice:{invoice.pk}" and message.thread == f"invoice:{invoice.pk}"
    # the header may be RFC 2047-encoded (a name with accents): compare the address as read
    assert [readable_address(address) for address in message.to] == [
        f"{tenant.client_manager.user.full_name} <{tenant.client_manager.user.email}>"
    ]
    assert message.subject == f"Invoice FA-2026-000001 — {tenant.provider.name} SAS"
    text = message.body_text
    assert "invoice FA-2026-000001 of 01/15/2026: 1,336.50\xa0€ incl. VAT" in text
    assert "Due date: 02/14/2026." in text
    assert "IBAN FR7630006000011234567890189 (BIC AGRIFRPP), with the payment reference FA-2026-000001" in text
    (attachment,) = OutboundAttachment.objects.filter(message=message)
    assert invoice.document is not None
    assert (attachment.filename, attachment.content_type) == ("FA-2026-000001.pdf", "application/pdf")
    assert attachment.sha256 == invoice.document.sha256

    run_jobs()
    (email,) = mail.outbox
    ((filename, content, content_type),) = email.attachments
    assert filename == "FA-2026-000001.pdf" and content_type == "application/pdf"
    assert content == document_content(invoice.document)  # the stored Factur-X, byte for byte
    assert OutboundMessage.objects.get().status == MessageStatus.SENT

    # A render run again (a retry, a lost worker's job re-queued) sends nothing more.
    invoice_render.call(invoice.pk)
    run_jobs()
    assert OutboundMessage.objects.count() == 1 and len(mail.outbox) == 1


def test_a_credit_note_is_sent_as_one_to_deduct_from_its_invoice(billing_tenant, login):
    tenant = billing_tenant
    invoice = issued(tenant)
    note = rendered(tenant, credit(tenant, invoice))
    message = OutboundMessage.objects.get(key=f"billing-invoice:{note.pk}")
    assert message.subject == f"Credit note {note.number} — {tenant.provider.name} SAS"
    assert (note.number or "").startswith("AV-")
    assert f"credit note {note.number} of 01/15/2026: 1,336.50\xa0€ incl. VAT, to be deducted from invoice " in (
        message.body_text
    )
    assert "FA-2026-000001." in message.body_text
    assert "IBAN" not in message.body_text and "Due date" not in message.body_text
    page = login(tenant.manager).get(reverse("billing:invoice_detail", args=[note.pk])).content.decode()
    assert "Mentions printed on the credit note" in page and "Mentions printed on the invoice" not in page


def test_nothing_is_sent_when_the_provider_turned_it_off(billing_tenant, login):
    tenant = billing_tenant
    Provider.objects.filter(pk=tenant.provider.pk).update(invoice_email_on_issue=False)
    invoice = rendered(tenant)
    assert invoice.document is not None and not OutboundMessage.objects.exists()
    page = login(tenant.manager).get(reverse("billing:invoice_detail", args=[invoice.pk])).content.decode()
    assert 'id="not-sent"' in page and "turned off on the Company page" in page
    assert 'id="send-invoice"' in page  # it can still be sent by hand


def test_sent_again_by_hand_a_new_copy_each_time_audited(billing_tenant, login, run_jobs):
    tenant = billing_tenant
    invoice = rendered(tenant)
    http = login(tenant.manager)
    url = reverse("billing:invoice_send", args=[invoice.pk])
    detail = reverse("billing:invoice_detail", args=[invoice.pk])
    assert http.get(url).status_code == 405
    for _copy in range(2):
        response = http.post(url)
        assert response.status_code == 302 and response["Location"] == detail
    keys = list(OutboundMessage.objects.order_by("id").values_list("key", flat=True))
    assert keys == [
        f"billing-invoice:{invoice.pk}",
        f"billing-invoice:{invoice.pk}:2",
        f"billing-invoice:{invoice.pk}:3",
    ]
    events = AuditEvent.objects.filter(action="invoice.send", object_id=str(invoice.pk)).order_by("id")
    assert [(event.after or {}).get("key") for event in events] == keys[1:]
    assert all(event.actor_membership_id == tenant.manager.pk for event in events)
    # Every copy continues the invoice's conversation.
    first, second, third = OutboundMessage.objects.order_by("id")
    assert second.in_reply_to == first.message_id and third.in_reply_to == second.message_id
    assert all(message.attachments.count() == 1 for message in (second, third))
    run_jobs()
    assert len(mail.outbox) == 3
    page = http.get(detail).content.decode()
    assert [sent.number for sent in sending_rows(invoice)] == [1, 2, 3]
    assert page.count('data-mail-status="sent"') == 3 and 'data-testid="sending-3"' in page


def test_the_confirmation_names_an_accented_recipient_as_written(billing_tenant, login):
    """The queued header is RFC 2047-encoded (« =?utf-8?q?… »): the message shown to the user is not."""
    tenant = billing_tenant
    user = tenant.client_manager.user
    type(user).objects.filter(pk=user.pk).update(full_name="Hélène Bérégovoy")
    invoice = rendered(tenant)
    response = login(tenant.manager).post(reverse("billing:invoice_send", args=[invoice.pk]), follow=True)
    page = response.content.decode()
    assert f"Hélène Bérégovoy &lt;{user.email}&gt;" in page and "=?utf-8?" not in page


def sending_rows(invoice: Invoice):
    from pacte.billing.selectors import invoice_sendings

    return invoice_sendings(invoice)


def test_the_first_copy_sent_by_hand_takes_the_key_of_the_one_sent_on_issue(billing_tenant, login):
    """Sent by hand before the worker made the PDF: rendered now, and the job later sends no second copy."""
    tenant = billing_tenant
    invoice = issued(tenant)
    response = login(tenant.manager).post(reverse("billing:invoice_send", args=[invoice.pk]))
    assert response.status_code == 302
    invoice.refresh_from_db()
    assert invoice.document_id is not None
    invoice_render.call(invoice.pk)
    assert list(OutboundMessage.objects.values_list("key", flat=True)) == [f"billing-invoice:{invoice.pk}"]


def test_a_draft_is_not_sent_and_a_foreign_invoice_is_a_404(billing_tenant, other_tenant, login):
    tenant = billing_tenant
    pending = draft(tenant)
    http = login(tenant.manager)
    response = http.post(reverse("billing:invoice_send", args=[pending.pk]), follow=True)
    assert response.status_code == 200
    assert "A draft is not sent to the client: issue it first." in response.content.decode()
    assert not OutboundMessage.objects.exists() and not AuditEvent.objects.filter(action="invoice.send").exists()
    foreign = issued(legal_identity_of(other_tenant))
    assert http.post(reverse("billing:invoice_send", args=[foreign.pk])).status_code == 404
    assert login(tenant.technician).post(reverse("billing:invoice_send", args=[pending.pk])).status_code == 403
    assert not OutboundMessage.objects.exists()


def legal_identity_of(tenant):
    from pacte.billing.tests.helpers import legal_identity

    return legal_identity(tenant, seller_siren="552100554")


def test_without_any_address_nothing_is_sent_and_the_page_says_so(billing_tenant, login):
    tenant = billing_tenant
    no_contact_address(tenant)
    invoice = rendered(tenant)
    assert not OutboundMessage.objects.exists()
    http = login(tenant.manager)
    page = http.get(reverse("billing:invoice_detail", args=[invoice.pk])).content.decode()
    assert 'id="no-recipient"' in page and "no billing contact, no manager and no contact" in page
    assert 'id="send-invoice"' not in page
    response = http.post(reverse("billing:invoice_send", args=[invoice.pk]), follow=True)
    assert "Nothing sent: the client has no billing contact" in response.content.decode()
    assert not OutboundMessage.objects.exists()


def test_the_invoice_mail_goes_to_the_billing_contacts_and_the_reminders_follow_in_its_thread(billing_tenant):
    tenant = billing_tenant
    contact = Contact.objects.filter(client=tenant.client).first()
    assert contact is not None
    Contact.objects.filter(pk=contact.pk).update(billing_contact=True, email="compta@client.test")
    rendered(tenant)
    (message,) = OutboundMessage.objects.all()
    assert message.to == [f"{contact} <compta@client.test>"]
    assert message.language == "fr"  # a contact without an account reads French
    assert reminders.reminders_send(today=DUE + datetime.timedelta(days=1)).sent == 1
    reminder = OutboundMessage.objects.get(key__startswith="billing-reminder:")
    assert reminder.to == message.to and reminder.in_reply_to == message.message_id


def test_the_invoice_page_shows_the_sending_and_caps_its_queries(billing_tenant, login, django_assert_max_num_queries):
    tenant = billing_tenant
    User.objects.filter(pk=tenant.client_manager.user_id).update(full_name="Hélène Martin")
    invoice = rendered(tenant)
    http = login(tenant.manager)
    http.post(reverse("billing:invoice_send", args=[invoice.pk]))
    assert OutboundMessage.objects.filter(to__icontains="=?utf-8?").count() == 2  # the name encoded for SMTP
    with django_assert_max_num_queries(18):
        response = http.get(reverse("billing:invoice_detail", args=[invoice.pk]))
    page = response.content.decode()
    assert 'id="sending"' in page and "Sending to the client" in page
    assert 'data-testid="sending-1"' in page and 'data-testid="sending-2"' in page
    assert page.count('data-mail-status="queued"') == 2
    address = f"Hélène Martin &lt;{tenant.client_manager.user.email}&gt;"  # decoded for the page
    assert page.count(address) == 4  # the confirmation of the copy sent, two copies, where the next one goes
    assert "=?utf-8?" not in page
    assert 'id="send-invoice"' in page and "Send again" in page


def test_the_api_sends_a_copy_and_refuses_a_draft(billing_tenant, api_token, client):
    tenant = billing_tenant
    invoice = rendered(tenant)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {api_token(tenant.manager)}"}
    response = client.post(f"/api/v1/invoices/{invoice.pk}/send", **headers)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"] == 2 and body["mail_status"] == "queued"
    assert body["recipients"] == [f"{tenant.client_manager.user.full_name} <{tenant.client_manager.user.email}>"]
    assert OutboundMessage.objects.filter(key=f"billing-invoice:{invoice.pk}:2").exists()
    pending = draft(tenant)
    refused = client.post(f"/api/v1/invoices/{pending.pk}/send", **headers)
    assert refused.status_code == 409 and "émettez-le d’abord" in refused.json()["detail"]
    assert OutboundMessage.objects.count() == 2
