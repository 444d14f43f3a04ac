"""Writes on users and API tokens."""

from __future__ import annotations

import hashlib
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pacte.accounts.models import ApiToken, Language, TokenScope, User
from pacte.audit.services import audit_changes, audit_record, snapshot
from pacte.tenancy.models import Membership

TOKEN_PREFIX = "pacte_"  # noqa: S105 - a public marker, not a secret


def token_hash(secret: str) -> str:
    """Tokens carry 256 bits of randomness, so a plain SHA-256 is a safe one-way store."""
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, actor: Membership, name: str, scope: str = TokenScope.FULL) -> tuple[ApiToken, str]:
    """Create a token acting as ``actor``; returns the secret, which is never shown again.

    An ``alerts`` token can only post monitoring alerts: the secret a monitoring tool holds opens nothing else.
    """
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the token a name.")})
    if scope not in TokenScope.values:
        raise ValidationError({"scope": _("Unknown scope.")})
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        membership=actor,
        name=name,
        prefix=secret[: len(TOKEN_PREFIX) + 6],
        key_hash=token_hash(secret),
        scope=scope,
    )
    token.full_clean()
    token.save()
    audit_record(actor=actor, action="api_token.create", instance=token, provider=actor.provider, after={"name": name})
    return token, secret


@transaction.atomic
def api_token_revoke(*, actor: Membership, token: ApiToken) -> ApiToken:
    if token.membership.user_id != actor.user_id:
        raise ValidationError({"detail": _("Unknown token.")})
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(actor=actor, action="api_token.revoke", instance=token, provider=actor.provider, after={})
    return token


def api_token_authenticate(*, secret: str) -> Membership | None:
    """The membership a full-scope bearer secret acts as, or None."""
    token = api_token_lookup(secret=secret)
    return token.membership if token is not None and token.scope == TokenScope.FULL else None


def api_token_lookup(*, secret: str) -> ApiToken | None:
    """The active token of a bearer secret, or None; records the last use (at most once a minute)."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 100:
        return None
    token = (
        ApiToken.objects.select_related("membership__provider", "membership__client", "membership__user")
        .filter(
            key_hash=token_hash(secret),
            revoked_at__isnull=True,
            membership__is_active=True,
            membership__user__is_active=True,
            membership__provider__archived_at__isnull=True,
        )
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


@transaction.atomic
def user_update_profile(*, user: User, actor: Membership | None, full_name: str, language: str) -> User:
    if language not in Language.values:
        raise ValidationError({"language": _("Choose French or English.")})
    before = snapshot(user, ["full_name", "language"])
    user.full_name = full_name.strip()
    user.language = language
    user.full_clean(exclude=["password"])
    user.save(update_fields=["full_name", "language"])
    provider = actor.provider if actor else None
    audit_changes(actor=actor, action="user.update", instance=user, provider=provider, before=before)
    return user
