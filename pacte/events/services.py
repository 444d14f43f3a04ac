"""Publishing events and delivering them: the transactional outbox.

- ``event_publish`` writes the event, one delivery per registered handler, and one queued job per
  delivery, all in the caller's transaction (the job queue is in the same database): a rolled-back
  transaction leaves nothing, a committed one is delivered at least once.
- ``delivery_run`` (the job) runs one handler inside a transaction with its "delivered" mark; a
  failure rolls the handler's writes back, records the error and retries with exponential back-off;
  after ``PACTE_EVENTS_MAX_ATTEMPTS`` failures the delivery is dead (the admin's dead letters, with retry).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import traceback
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone

from pacte.audit.services import audit_record
from pacte.events.models import Delivery, DeliveryStatus, Event, HandledKey
from pacte.events.registry import handler_get, handlers_for
from pacte.jobs.domain import retry_delay

if TYPE_CHECKING:
    from pacte.tenancy.models import Provider

logger = logging.getLogger("pacte.events")

ERROR_LIMIT = 20_000


class UnknownHandlerError(LookupError):
    """A delivery names a handler no longer registered (renamed or removed in the code)."""


def _enqueue(delivery_id: int, run_after: dt.datetime | None = None) -> None:
    from pacte.events.tasks import deliver_event

    task = deliver_event if run_after is None else deliver_event.using(run_after=run_after)
    task.enqueue(delivery_id)


def event_publish(*, kind: str, payload: Mapping[str, Any], key: str, provider: Provider | None = None) -> Event:
    """Record the fact ``kind`` with ``payload`` for delivery to its handlers, inside the caller's transaction.

    ``key`` identifies the fact (e.g. ``sheet-signed:42``): publishing it again is a no-op and
    returns the first event. The payload is JSON (dates, decimals and UUIDs are turned into strings).
    """
    if not kind or not key:
        raise ValueError("an event needs a kind and a key")
    with transaction.atomic():
        existing = Event.objects.filter(key=key).first()
        if existing is not None:
            return _same_fact(existing, kind)
        try:
            with transaction.atomic():
                event = Event.objects.create(kind=kind, key=key, payload=_json(payload), provider=provider)
        except IntegrityError:  # the same key published at the same moment by another transaction
            return _same_fact(Event.objects.get(key=key), kind)
        now = timezone.now()
        for handler in handlers_for(kind):
            delivery = Delivery.objects.create(event=event, handler=handler.name, next_attempt_at=now)
            _enqueue(delivery.pk)
    return event


def _json(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The payload as stored and as handlers see it (dates, decimals, UUIDs as strings)."""
    data: dict[str, Any] = json.loads(json.dumps(dict(payload), cls=DjangoJSONEncoder))
    return data


def _same_fact(event: Event, kind: str) -> Event:
    if event.kind != kind:
        raise ValueError(f"the key {event.key!r} is already used by a {event.kind!r} event")
    return event


def handler_once(key: str) -> bool:
    """Claim ``key`` for the running handler: True the first time, False if it was already claimed.

    Call it inside the handler (it runs in a transaction): the key and the handler's writes commit
    together, so a handler delivered twice creates its effect once::

        if not handler_once(f"ledger.post:{event.key}"):
            return
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("handler_once must run inside the handler's transaction")
    try:
        with transaction.atomic():
            HandledKey.objects.create(key=key[:255])
    except IntegrityError:
        return False
    return True


def delivery_run(*, delivery_id: int) -> str:
    """Deliver one event to one handler (the ``deliver_event`` job). Returns what happened.

    Raises the handler's error after recording it, so the job's run shows it too.
    """
    try:
        with transaction.atomic():
            delivery = Delivery.objects.select_for_update().select_related("event").filter(pk=delivery_id).first()
            if delivery is None or delivery.status != DeliveryStatus.PENDING:
                return "skipped"
            handler = handler_get(delivery.handler)
            if handler is None:
                raise UnknownHandlerError(f"no handler named {delivery.handler!r} is registered")
            handler.func(delivery.event)
            delivery.attempts += 1
            delivery.status = DeliveryStatus.DONE
            delivery.delivered_at = timezone.now()
            delivery.save(update_fields=["attempts", "status", "delivered_at", "updated_at"])
        return "delivered"
    except Exception as error:
        outcome = _delivery_failed(delivery_id=delivery_id, error=error)
        logger.warning("Delivery %s failed (%s): %s", delivery_id, outcome, error)
        raise


def _delivery_failed(*, delivery_id: int, error: BaseException) -> str:
    now = timezone.now()
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().get(pk=delivery_id)
        if delivery.status != DeliveryStatus.PENDING:
            return str(delivery.status)
        delivery.attempts += 1
        delivery.last_error = "".join(traceback.format_exception(error))[-ERROR_LIMIT:]
        if delivery.attempts >= settings.PACTE_EVENTS_MAX_ATTEMPTS:
            delivery.status = DeliveryStatus.DEAD
        else:
            delay = retry_delay(attempt=delivery.attempts, base_seconds=settings.PACTE_EVENTS_RETRY_SECONDS)
            delivery.next_attempt_at = now + delay
            _enqueue(delivery.pk, run_after=delivery.next_attempt_at)
        delivery.save(update_fields=["attempts", "last_error", "status", "next_attempt_at", "updated_at"])
    return "dead" if delivery.status == DeliveryStatus.DEAD else "retry"


def deliveries_retry(*, deliveries: Iterable[Delivery]) -> int:
    """Give dead deliveries a fresh set of attempts (the operator's "retry" on the dead letters)."""
    retried = 0
    now = timezone.now()
    for candidate in deliveries:
        with transaction.atomic():
            delivery = (
                Delivery.objects.select_for_update()
                .select_related("event")
                .filter(pk=candidate.pk, status=DeliveryStatus.DEAD)
                .first()
            )
            if delivery is None:
                continue
            delivery.status = DeliveryStatus.PENDING
            delivery.attempts = 0
            delivery.next_attempt_at = now
            delivery.save(update_fields=["status", "attempts", "next_attempt_at", "updated_at"])
            _enqueue(delivery.pk)
            audit_record(
                actor=None,
                action="event.delivery.retry",
                instance=delivery,
                provider=delivery.event.provider,
                after={"status": DeliveryStatus.PENDING},
            )
            retried += 1
    return retried
