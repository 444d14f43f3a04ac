"""Writing the audit trail. Every service calls ``audit_record`` explicitly after a change."""

from __future__ import annotations

import datetime
import decimal
from typing import TYPE_CHECKING, Any

from django.db import models
from django.utils import timezone

from pacte.audit.context import current_request_context
from pacte.audit.models import AuditEvent

if TYPE_CHECKING:
    from pacte.tenancy.models import Membership, Provider

#: Field names never written to the audit trail in clear.
SECRET_FIELDS = frozenset({"password", "key_hash", "iban"})


def _plain(value: Any) -> Any:
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def snapshot(instance: models.Model, fields: list[str] | None = None) -> dict[str, Any]:
    """The concrete field values of ``instance`` as JSON-safe data (secrets masked)."""
    data: dict[str, Any] = {}
    for field in instance._meta.concrete_fields:
        if fields is not None and field.name not in fields:
            continue
        if field.name in {"created_at", "updated_at"}:
            continue
        value = getattr(instance, field.attname)
        data[field.name] = "***" if field.name in SECRET_FIELDS and value else _plain(value)
    return data


def changed(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the keys whose values differ."""
    keys = [key for key in after if before.get(key) != after.get(key)]
    return {key: before.get(key) for key in keys}, {key: after[key] for key in keys}


def audit_record(
    *,
    actor: Membership | None,
    action: str,
    instance: models.Model,
    provider: Provider | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event for ``instance``; IP and user agent come from the request context."""
    context = current_request_context()
    event = AuditEvent(
        provider=provider,
        actor_user=actor.user if actor is not None else None,
        actor_membership=actor,
        action=action,
        object_type=instance._meta.label_lower,
        object_id=str(instance.pk or ""),
        object_repr=str(instance)[:200],
        before=_plain(before) if before is not None else None,
        after=_plain(after) if after is not None else None,
        ip=context.ip,
        user_agent=context.user_agent,
    )
    event.save()
    return event


def audit_changes(
    *,
    actor: Membership | None,
    action: str,
    instance: models.Model,
    provider: Provider | None,
    before: dict[str, Any],
) -> AuditEvent | None:
    """Audit an update: only the fields that differ from ``before`` (a ``snapshot``); nothing if none did."""
    old, new = changed(before, snapshot(instance, list(before)))
    if not new:
        return None
    return audit_record(actor=actor, action=action, instance=instance, provider=provider, before=old, after=new)


def archive_once(*, actor: Membership, instance: models.Model, action: str) -> bool:
    """Set ``archived_at`` and audit it, once: archiving an archived row changes nothing (idempotent).

    The caller checks the permission and locks the row (``select_for_update``) first.
    """
    if getattr(instance, "archived_at", None) is not None:
        return False
    archived_at = timezone.now()
    instance.archived_at = archived_at  # type: ignore[attr-defined]
    instance.save(update_fields=["archived_at", "updated_at"])
    audit_record(
        actor=actor,
        action=action,
        instance=instance,
        provider=actor.provider,
        after={"archived_at": archived_at.isoformat()},
    )
    return True
