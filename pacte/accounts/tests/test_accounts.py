"""Login, membership switcher, password reset, profile language and API tokens."""

import re
from email.header import decode_header, make_header
from email.utils import parseaddr

import pytest
from django.core import mail
from django.urls import reverse

from pacte.accounts.models import ApiToken
from pacte.accounts.services import api_token_authenticate, api_token_create, api_token_revoke, token_hash
from pacte.tenancy.models import Role
from tests.factories import PASSWORD, MembershipFactory


def test_password_is_hashed_with_argon2(settings, tenant):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    user = tenant.admin.user
    user.set_password("un-mot-de-passe-solide")
    assert user.password.startswith("argon2$")


def test_login_with_one_membership_acts_as_it(client, tenant):
    response = client.post(
        reverse("accounts:login"), {"username": tenant.manager.user.email, "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("tenancy:client_list")
    assert response.context["actor"] == tenant.manager


def test_login_is_case_insensitive_on_email(client, tenant):
    response = client.post(
        reverse("accounts:login"), {"username": tenant.manager.user.email.upper(), "password": PASSWORD}
    )
    assert response.status_code == 302


def test_wrong_password_is_refused(client, tenant):
    response = client.post(reverse("accounts:login"), {"username": tenant.manager.user.email, "password": "nope"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_user_with_several_memberships_chooses_one(client, tenant, other_tenant):
    user = tenant.technician.user
    second = MembershipFactory(user=user, provider=other_tenant.provider, role=Role.PROVIDER_MANAGER)
    client.post(reverse("accounts:login"), {"username": user.email, "password": PASSWORD})
    response = client.get(reverse("home"))
    assert response.url == reverse("accounts:switch")
    page = client.get(reverse("accounts:switch"))
    assert other_tenant.provider.name in page.content.decode()
    client.post(reverse("accounts:switch"), {"membership": second.pk})
    response = client.get(reverse("tenancy:client_list"))
    assert other_tenant.client.name in response.content.decode()
    assert tenant.client.name not in response.content.decode()


def test_switching_to_a_foreign_membership_is_a_404(client, tenant, other_tenant):
    client.force_login(tenant.technician.user)
    response = client.post(reverse("accounts:switch"), {"membership": other_tenant.admin.pk})
    assert response.status_code == 404


def test_inactive_membership_cannot_act(login, tenant):
    http = login(tenant.technician)
    tenant.technician.is_active = False
    tenant.technician.save()
    response = http.get(reverse("tenancy:client_list"))
    assert response.status_code == 302
    assert response.url == reverse("accounts:switch")


def test_password_reset_sends_a_working_link(client, tenant, run_jobs):
    """The e-mail goes through the outbox: queued by the request, sent by the worker, body erased after."""
    from pacte.mail.models import MessageStatus, OutboundMessage
    from pacte.mail.services import ERASED

    user = tenant.client_user.user
    user.full_name = "Laurence-Arnaude Labbé"  # a non-ASCII display name, as French names often are
    user.save(update_fields=["full_name"])
    email = user.email
    response = client.post(reverse("accounts:password_reset"), {"email": email})
    assert response.status_code == 302
    queued = OutboundMessage.objects.get()
    assert (queued.status, queued.provider, queued.language) == (MessageStatus.QUEUED, None, "fr")
    # The recipient is stored as a header value: a non-ASCII name is RFC 2047-encoded.
    [recipient] = queued.to
    name, address = parseaddr(recipient)
    assert (str(make_header(decode_header(name))), address) == ("Laurence-Arnaude Labbé", email)
    assert mail.outbox == []
    run_jobs()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject.startswith("Pacte") and "choisissez votre mot de passe" in mail.outbox[0].subject
    assert mail.outbox[0].extra_headers["Message-ID"] == queued.message_id
    assert len(mail.outbox[0].alternatives) == 1  # text and HTML parts
    queued.refresh_from_db()
    assert (queued.status, queued.body_text) == (MessageStatus.SENT, ERASED)
    link = re.search(r"https?://[^/]+(/accounts/password/reset/\S+)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    new_password = "un-nouveau-mot-de-passe-2026"
    done = client.post(form_page.redirect_chain[-1][0], {"new_password1": new_password, "new_password2": new_password})
    assert done.status_code == 302
    assert client.login(username=email, password=new_password)


def test_password_reset_for_unknown_email_sends_nothing_and_says_the_same(client, db, run_jobs):
    from pacte.mail.models import OutboundMessage

    response = client.post(reverse("accounts:password_reset"), {"email": "personne@nulle.part"})
    assert response.status_code == 302
    run_jobs()
    assert mail.outbox == []
    assert OutboundMessage.objects.count() == 0


def test_password_reset_mail_is_in_the_users_language(client, tenant, run_jobs):
    user = tenant.client_user.user
    user.language = "en"
    user.save()
    client.post(reverse("accounts:password_reset"), {"email": user.email})
    run_jobs()
    assert mail.outbox[0].subject == "Pacte: choose your password"
    assert "Someone asked to choose a new password" in mail.outbox[0].body


def test_profile_language_switches_the_ui(login, tenant):
    http = login(tenant.manager)
    response = http.post(reverse("accounts:profile"), {"full_name": "Marc G.", "language": "en"}, follow=True)
    assert response.status_code == 200
    assert response.headers["Content-Language"] == "en"
    tenant.manager.user.refresh_from_db()
    assert tenant.manager.user.language == "en"


def test_api_token_is_shown_once_and_stored_hashed(tenant):
    token, secret = api_token_create(actor=tenant.admin, name="Supervision")
    stored = ApiToken.objects.get(pk=token.pk)
    assert secret not in {stored.key_hash, stored.prefix}
    assert stored.key_hash == token_hash(secret)
    assert api_token_authenticate(secret=secret) == tenant.admin
    assert ApiToken.objects.get(pk=token.pk).last_used_at is not None


def test_revoked_token_no_longer_authenticates(tenant):
    token, secret = api_token_create(actor=tenant.admin, name="Temporaire")
    api_token_revoke(actor=tenant.admin, token=token)
    assert api_token_authenticate(secret=secret) is None


@pytest.mark.parametrize("secret", ["", "pacte_", "pacte_wrong", "x" * 500, "Bearer pacte_x"])
def test_garbage_tokens_do_not_authenticate(tenant, secret):
    assert api_token_authenticate(secret=secret) is None


def test_tokens_page_creates_and_revokes(login, tenant):
    http = login(tenant.technician)
    response = http.post(reverse("accounts:tokens"), {"name": "Mon script"})
    secret = re.search(r"(pacte_[A-Za-z0-9_\-]+)", response.content.decode()).group(1)
    assert api_token_authenticate(secret=secret) == tenant.technician
    token = ApiToken.objects.get(membership=tenant.technician)
    http.post(reverse("accounts:token_revoke", args=[token.pk]))
    assert api_token_authenticate(secret=secret) is None


def test_cannot_revoke_someone_elses_token(login, tenant):
    token, secret = api_token_create(actor=tenant.admin, name="Admin")
    response = login(tenant.technician).post(reverse("accounts:token_revoke", args=[token.pk]))
    assert response.status_code == 404
    assert api_token_authenticate(secret=secret) == tenant.admin
