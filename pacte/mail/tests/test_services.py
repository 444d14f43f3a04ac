"""mail_send's contract without SMTP: idempotency, transactions, templates, and the mail pages' scope."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from pacte.mail import domain
from pacte.mail.domain import Recipient
from pacte.mail.models import MessageStatus, OutboundMessage
from pacte.mail.rendering import MailTemplateError, render_mail
from pacte.mail.services import mail_send

WELCOME = "mail/email/welcome"
CONTEXT = {"name": "Jeanne", "provider_name": "Alpaga", "login_url": "https://pacte.example.fr/"}


def send(provider, **kwargs):
    return mail_send(
        template=WELCOME, context=CONTEXT, recipients=[Recipient("jeanne@client.test")], provider=provider, **kwargs
    )


def test_the_same_key_sends_once(tenant):
    first = send(tenant.provider, key="invoice:12:issued")
    again = send(tenant.provider, key="invoice:12:issued")
    assert [m.pk for m in again] == [m.pk for m in first]
    assert OutboundMessage.objects.count() == DBTaskResult.objects.count() == 1


def test_mail_of_a_rolled_back_transaction_never_exists(tenant, run_jobs):
    with pytest.raises(RuntimeError), transaction.atomic():
        send(tenant.provider)
        raise RuntimeError("the invoice could not be issued")
    assert OutboundMessage.objects.count() == DBTaskResult.objects.count() == 0


def test_a_missing_template_variable_is_an_error_and_stores_nothing(tenant):
    with pytest.raises(MailTemplateError, match="login_url"):
        mail_send(
            template=WELCOME,
            context={"name": "Jeanne", "provider_name": "Alpaga"},
            recipients=[Recipient("jeanne@client.test")],
            provider=tenant.provider,
        )
    with pytest.raises(MailTemplateError, match="does not exist"):
        mail_send(template="mail/email/nothing-here", context={}, recipients=[Recipient("a@b.test")], provider=None)
    assert OutboundMessage.objects.count() == 0


def test_html_part_escapes_what_the_text_part_keeps():
    rendered = render_mail(WELCOME, {**CONTEXT, "name": "<b>Jeanne</b> & Cie"}, "en")
    assert "Hello <b>Jeanne</b> & Cie," in rendered.text
    assert "Hello &lt;b&gt;Jeanne&lt;/b&gt; &amp; Cie," in rendered.html


def test_recipients_are_grouped_by_language_once_each():
    groups = domain.group_by_language(
        [
            Recipient("a@x.test", language="en"),
            Recipient("b@x.test"),
            Recipient("A@x.test"),
            Recipient("c@x.test", language="de"),
        ]
    )
    assert {language: [r.email for r in group] for language, group in groups.items()} == {
        "fr": ["b@x.test", "c@x.test"],
        "en": ["a@x.test"],
    }
    with pytest.raises(ValueError):
        Recipient("not an address")
    with pytest.raises(ValueError):
        Recipient("a@b.test\r\nBcc: victim@x.test")


def test_references_keep_the_root_and_the_latest():
    chain = [f"<{n}@x>" for n in range(15)]
    assert domain.thread_references(chain, "<new@x>") == ["<0@x>", *chain[-8:], "<new@x>"]
    assert domain.thread_references([], "<a@x>") == ["<a@x>"]


def test_the_mail_pages_show_only_the_providers_own_messages_to_its_admin(tenant, other_tenant, login):
    (mine,) = send(tenant.provider, key="mine")
    (theirs,) = send(other_tenant.provider, key="theirs")
    OutboundMessage.objects.filter(pk=theirs.pk).update(subject="Secret of B")
    install_level = mail_send(template=WELCOME, context=CONTEXT, recipients=[Recipient("x@y.test")], provider=None)

    page = login(tenant.admin).get(reverse("mail:message_list"))
    assert page.status_code == 200
    assert [m.pk for m in page.context["page"].object_list] == [mine.pk]
    assert "Secret of B" not in page.content.decode()
    assert login(tenant.admin).get(reverse("mail:message_detail", args=[theirs.pk])).status_code == 404
    assert login(tenant.admin).get(reverse("mail:message_detail", args=[install_level[0].pk])).status_code == 404
    assert login(other_tenant.admin).get(reverse("mail:message_detail", args=[mine.pk])).status_code == 404
    for role in ("manager", "technician"):
        assert login(tenant.member(role)).get(reverse("mail:message_list")).status_code == 403
    assert login(tenant.client_manager).get(reverse("mail:message_list")).status_code == 404
    assert login(tenant.admin).post(reverse("mail:message_retry", args=[mine.pk])).status_code == 409
    assert OutboundMessage.objects.get(pk=mine.pk).status == MessageStatus.QUEUED


def test_the_mail_page_is_in_the_admin_navigation(tenant, login):
    html = login(tenant.admin).get(reverse("tenancy:client_list")).content.decode()
    assert f'href="{reverse("mail:message_list")}"' in html
    html = login(tenant.manager).get(reverse("tenancy:client_list")).content.decode()
    assert f'href="{reverse("mail:message_list")}"' not in html
