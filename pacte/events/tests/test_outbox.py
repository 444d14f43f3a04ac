"""The transactional outbox: publish in the producer's transaction, deliver at least once to every
handler, make effects happen once, retry with back-off, and keep failures visible as dead letters."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client as HttpClient
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from pacte.audit.models import AuditEvent
from pacte.audit.services import audit_record
from pacte.events import registry
from pacte.events.models import Delivery, DeliveryStatus, Event, HandledKey
from pacte.events.services import deliveries_retry, event_publish, handler_once
from pacte.jobs import registry as job_registry
from pacte.jobs.domain import CadenceKind
from pacte.jobs.models import JobRun, RunOutcome

pytestmark = pytest.mark.django_db

CALLS: list[str] = []
FAILURES = {"remaining": 0}


def record_effect(event: Event) -> None:
    """The kind of handler the apps write: its effect guarded by a unique key."""
    CALLS.append(event.key)
    if not handler_once(f"test.effect:{event.key}"):
        return
    audit_record(actor=None, action="test.effect", instance=event, provider=None, after=event.payload)


def count_only(event: Event) -> None:
    CALLS.append(f"count:{event.key}")


def flaky(event: Event) -> None:
    """Writes its effect, then fails while failures remain: the write must roll back each time."""
    audit_record(actor=None, action="test.flaky", instance=event, provider=None)
    if FAILURES["remaining"] > 0:
        FAILURES["remaining"] -= 1
        raise ConnectionError("the ledger is unavailable")


@pytest.fixture(autouse=True)
def _no_app_periodic_jobs(monkeypatch):
    """These tests count the jobs a worker runs: the apps' every-minute jobs (mail poll, SLA check) stay out."""
    kept = {name: spec for name, spec in job_registry._PERIODIC.items() if spec.cadence.kind != CadenceKind.EVERY}
    monkeypatch.setattr(job_registry, "_PERIODIC", kept)


@pytest.fixture(autouse=True)
def handlers():
    CALLS.clear()
    FAILURES["remaining"] = 0
    registry.event_handler("test.fact", name="test.record_effect")(record_effect)
    registry.event_handler("test.fact", name="test.count_only")(count_only)
    registry.event_handler("test.flaky", name="test.flaky")(flaky)
    yield
    for name in ("test.record_effect", "test.count_only", "test.flaky"):
        registry.handler_unregister(name)


def effects() -> int:
    return AuditEvent.objects.filter(action="test.effect").count()


def test_an_event_is_delivered_to_every_handler_of_its_kind(run_jobs):
    with transaction.atomic():
        event = event_publish(kind="test.fact", payload={"sheet": 42, "on": dt.date(2026, 3, 16)}, key="fact:42")
    assert event.payload == {"sheet": 42, "on": "2026-03-16"}
    assert set(event.deliveries.values_list("handler", flat=True)) == {"test.record_effect", "test.count_only"}
    report = run_jobs()
    assert (report.ran, report.failed) == (2, 0)
    assert sorted(CALLS) == ["count:fact:42", "fact:42"]
    assert effects() == 1
    assert set(Delivery.objects.values_list("status", "attempts")) == {(DeliveryStatus.DONE, 1)}


def test_an_event_published_in_a_rolled_back_transaction_is_never_delivered(run_jobs):
    with pytest.raises(RuntimeError), transaction.atomic():
        event_publish(kind="test.fact", payload={"sheet": 7}, key="fact:7")
        raise RuntimeError("the signature could not be saved")
    assert Event.objects.count() == Delivery.objects.count() == DBTaskResult.objects.count() == 0
    assert run_jobs().ran == 0
    assert CALLS == []
    assert effects() == 0


def test_publishing_the_same_key_twice_is_a_no_op(run_jobs):
    first = event_publish(kind="test.fact", payload={"n": 1}, key="fact:1")
    again = event_publish(kind="test.fact", payload={"n": 2}, key="fact:1")
    assert again.pk == first.pk and again.payload == {"n": 1}
    assert Delivery.objects.count() == 2
    run_jobs()
    assert effects() == 1
    with pytest.raises(ValueError, match="already used"):
        event_publish(kind="test.other", payload={}, key="fact:1")


def test_a_handler_delivered_twice_creates_its_effect_once(run_jobs):
    event_publish(kind="test.fact", payload={"sheet": 9}, key="fact:9")
    run_jobs()
    delivery = Delivery.objects.get(handler="test.record_effect")
    # The same job again (a worker killed after the commit, before the job was marked done):
    from pacte.events.tasks import deliver_event

    deliver_event.enqueue(delivery.pk)
    run_jobs()
    assert effects() == 1
    # The "delivered" mark lost (at-least-once delivery): the handler runs again, the effect does not.
    Delivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.PENDING)
    deliver_event.enqueue(delivery.pk)
    run_jobs()
    assert CALLS.count("fact:9") == 2
    assert effects() == 1
    assert HandledKey.objects.filter(key="test.effect:fact:9").count() == 1


@pytest.mark.django_db(transaction=True)
def test_handler_once_needs_the_handler_transaction():
    with pytest.raises(RuntimeError):
        handler_once("outside")


@override_settings(PACTE_EVENTS_RETRY_SECONDS=30)
def test_a_failing_handler_is_retried_with_back_off_and_its_writes_rolled_back(run_jobs):
    FAILURES["remaining"] = 1
    before = timezone.now()
    event_publish(kind="test.flaky", payload={}, key="flaky:1")
    report = run_jobs()
    assert (report.ran, report.failed) == (1, 1)
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 1)
    assert "ConnectionError: the ledger is unavailable" in delivery.last_error
    assert before + dt.timedelta(seconds=30) <= delivery.next_attempt_at <= timezone.now() + dt.timedelta(seconds=30)
    assert AuditEvent.objects.filter(action="test.flaky").count() == 0  # rolled back with the failure
    assert JobRun.objects.get().outcome == RunOutcome.FAILED
    retry = DBTaskResult.objects.get(status=TaskResultStatus.READY)
    assert retry.run_after == delivery.next_attempt_at  # not before its time
    assert run_jobs().ran == 0
    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now())  # …time passes
    run_jobs()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DONE, 2)
    assert AuditEvent.objects.filter(action="test.flaky").count() == 1


@override_settings(PACTE_EVENTS_RETRY_SECONDS=0, PACTE_EVENTS_MAX_ATTEMPTS=3)
def test_after_n_failures_a_delivery_is_dead_and_can_be_retried_from_the_dead_letters(run_jobs):
    FAILURES["remaining"] = 99
    event_publish(kind="test.flaky", payload={}, key="flaky:2")
    report = run_jobs()
    assert (report.ran, report.failed) == (3, 3)
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DEAD, 3)
    assert run_jobs().ran == 0  # dead: no more attempts

    operator = get_user_model().objects.create_superuser("ops@example.test", "ops-password-2026")
    http = HttpClient()
    http.force_login(operator)
    page = http.get(reverse("admin:events_delivery_changelist") + "?dead=1")
    assert page.status_code == 200
    assert "ConnectionError: the ledger is unavailable" in page.content.decode()

    FAILURES["remaining"] = 0  # the cause is fixed
    response = http.post(
        reverse("admin:events_delivery_changelist"),
        {"action": "retry", "_selected_action": [delivery.pk]},
    )
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 0)
    assert AuditEvent.objects.filter(action="event.delivery.retry").count() == 1
    run_jobs()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DONE
    assert deliveries_retry(deliveries=[delivery]) == 0  # only dead ones


def test_a_delivery_for_a_removed_handler_fails_visibly(run_jobs):
    event_publish(kind="test.fact", payload={}, key="fact:gone")
    registry.handler_unregister("test.count_only")
    run_jobs()
    delivery = Delivery.objects.get(handler="test.count_only")
    assert delivery.status == DeliveryStatus.PENDING
    assert "no handler named 'test.count_only'" in delivery.last_error
