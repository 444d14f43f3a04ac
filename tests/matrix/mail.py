"""Outgoing e-mail (the message list, a message, its retry) in the tenant-isolation matrix.

See ``tests/matrix/__init__.py``. The provider's administrators only (its managers and
technicians: 403); A has a failed message for the retry page.
"""

from __future__ import annotations

from pacte.mail.domain import Recipient
from pacte.mail.models import MessageStatus, OutboundMessage
from pacte.mail.services import mail_send
from tests.fixtures import Tenant
from tests.matrix.framework import ApiSpec, Call, PageSpec, Redirect, provider_page

PAGES: dict[str, PageSpec] = {
    # Outgoing e-mail: the provider's administrators only (its managers and technicians: 403)
    "mail:message_list": PageSpec(
        get=Call(provider_page(admin=200, manager=403, technician=403, other_admin=200)),
        post=Call(provider_page(admin=405, manager=403, technician=403, other_admin=405)),
    ),
    "mail:message_detail": PageSpec(
        kwargs={"pk": "mail_message"},
        get=Call(provider_page(admin=200, manager=403, technician=403, other_admin=404)),
        post=Call(provider_page(admin=405, manager=403, technician=403, other_admin=405)),
    ),
    "mail:message_retry": PageSpec(
        kwargs={"pk": "mail_message"},
        get=Call(provider_page(admin=405, manager=403, technician=403, other_admin=405)),
        post=Call(
            provider_page(
                admin=Redirect("mail:message_detail", ("mail_message",)), manager=403, technician=403, other_admin=404
            ),
            audits=1,
        ),
    ),
}

API: dict[str, ApiSpec] = {}


def _mail(tenant: Tenant) -> dict[str, int]:
    """A failed e-mail sent in the tenant's name (what the retry page acts on)."""
    (message,) = mail_send(
        template="mail/email/welcome",
        context={"name": "Jeanne", "provider_name": tenant.provider.name, "login_url": "https://pacte.example.fr/"},
        recipients=[Recipient("jeanne@client.test")],
        provider=tenant.provider,
    )
    OutboundMessage.objects.filter(pk=message.pk).update(status=MessageStatus.FAILED, last_error="550 5.1.1 Refused")
    return {"mail_message": message.pk}


def build(tenant: Tenant, provider_word: str, client_word: str) -> dict[str, int]:
    return _mail(tenant)
