"""The batch recompute: its vectorised path gives exactly the per-ticket fold's columns (hypothesis, on random
logs), and the job recomputes the stale open tickets of a changed calendar or service level — in batches,
idempotently, resumably — with ``bulk_update`` on SQLite and ``COPY`` + one ``UPDATE … FROM`` on PostgreSQL."""

from __future__ import annotations

import datetime
from datetime import UTC, timedelta

import numpy as np
import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pacte.servicedesk import recompute, sla_batch
from pacte.servicedesk.clock import NO_LEVEL, SLA_FIELDS, ticket_clock, versions_of
from pacte.servicedesk.models import SlaNotice, SlaState, Ticket, TicketStatus
from pacte.servicedesk.sla_batch import EventRows, batch_columns, event_row, fold_values, from_us
from pacte.servicedesk.tests import helpers
from pacte.sla import services as sla_services
from pacte.sla.calendars import WEEKDAYS, Calendar, HolidayRegion
from pacte.sla.clock import Basis, Event, EventKind, PauseReason, Priority, ServiceLevelTerms, Target, TargetKind

H = 3600
LEVEL = 7
OFFICE = Calendar.weekly(
    "Europe/Paris",
    {d: [("08:00", "12:00"), ("14:00", "18:00")] for d in WEEKDAYS[:5]},
    holidays=HolidayRegion("FR"),
)
T0 = datetime.datetime(2026, 3, 26, 16, 40, 12, 345678, tzinfo=UTC)  # a Thursday before the spring DST change


NIGHTS = Calendar.weekly(
    "Indian/Reunion", {d: [("20:00", "06:00")] for d in WEEKDAYS}, holidays=HolidayRegion("FR", "974")
)


def _terms(percent: int, calendar: Calendar = OFFICE) -> ServiceLevelTerms:
    targets: dict[Priority, dict[TargetKind, Target]] = {
        Priority.P1: {
            TargetKind.RESPONSE: Target(H),
            TargetKind.RESTORATION: Target(4 * H, Basis.CALENDAR),
            TargetKind.RESOLUTION: Target(8 * H),
        },
        Priority.P2: {TargetKind.RESPONSE: Target(0), TargetKind.INTERVENTION: Target(2 * H)},
        Priority.P3: {TargetKind.RESPONSE: Target(4 * H), TargetKind.RESOLUTION: Target(16 * H)},
        Priority.P4: {},
    }
    return ServiceLevelTerms(calendar, targets, warning_percent=percent)


SIMPLE = [
    EventKind.FIRST_RESPONSE,
    EventKind.INTERVENTION_STARTED,
    EventKind.RESTORED,
    EventKind.PAUSED,
    EventKind.RESUMED,
    EventKind.PAUSED,
    EventKind.RESUMED,
]
ALL = [*SIMPLE, *SIMPLE, *SIMPLE, EventKind.RESOLVED, EventKind.REOPENED, EventKind.PRIORITY_CHANGED, EventKind.CLOSED]
# Mostly within the first business day (where warnings and due instants fall), sometimes days later;
# on whole seconds or a microsecond either side (the fold compares microsecond instants).
micro_offsets = st.one_of(st.integers(-2 * H, 30 * H), st.integers(-2 * H, 9 * 86_400)).flatmap(
    lambda s: st.sampled_from([0, 1, 999_999]).map(lambda us: timedelta(seconds=s, microseconds=us))
)

# "now": often on the Friday morning, where warnings turn into breaches.
nows = st.one_of(
    st.integers(14 * H, 21 * H).map(lambda s: T0 + timedelta(seconds=s, microseconds=1)),
    micro_offsets.map(lambda d: T0 + abs(d)),
)


@st.composite
def logs(draw: st.DrawFn, *, complex_kinds: bool) -> list[Event]:
    used: set[int] = set()

    def seq() -> int:
        value = draw(st.integers(0, 400).filter(lambda s: s not in used))
        used.add(value)
        return value

    opened_at = T0 + timedelta(microseconds=draw(st.integers(0, 10**6)))
    events = [Event.opened(opened_at, seq(), priority=draw(st.sampled_from(Priority)), service_level=str(LEVEL))]
    for _ in range(draw(st.integers(0, 9))):
        kind = draw(st.sampled_from(ALL if complex_kinds else SIMPLE))
        at = opened_at + draw(micro_offsets)
        if kind is EventKind.PAUSED:
            events.append(Event.paused(at, seq(), draw(st.sampled_from(PauseReason))))
        elif kind is EventKind.PRIORITY_CHANGED:
            events.append(Event.priority_changed(at, seq(), draw(st.sampled_from(Priority))))
        else:
            events.append(Event.simple(kind, at, seq()))
    return events


TARGET_INDEX = {t.value: i for i, t in enumerate(TargetKind)}


def _notices(noticed: np.ndarray) -> set[tuple[str, str]]:
    return {
        (target.value, kind)
        for k, target in enumerate(TargetKind)
        for j, kind in enumerate(("warning", "breach"))
        if noticed[k, j]
    }


def _columns_of(cols: sla_batch.Columns, i: int) -> dict[str, object]:
    values: dict[str, object] = {name: from_us(cols.due[i, k]) for k, name in enumerate(sla_batch.DUE_COLUMNS)}
    values["next_due"] = from_us(cols.next_due[i])
    values["next_warning"] = from_us(cols.next_warning[i])
    values["sla_state"] = sla_batch.STATES[cols.state[i]]
    values["sla_paused_reason"] = sla_batch.REASONS[cols.reason[i]]
    return values


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(logs(complex_kinds=True), min_size=1, max_size=6),
    nows,
    st.sampled_from([50, 75, 90]),
    st.data(),
)
def test_the_vectorised_path_equals_the_per_ticket_fold(logs_, now, percent, data):
    # Tickets of one batch on two sets of terms: office hours in Paris, nights in La Réunion (another threshold).
    groups = [_terms(percent), _terms(50, NIGHTS)]
    group = np.array(data.draw(st.lists(st.sampled_from([0, 1]), min_size=len(logs_), max_size=len(logs_))))
    noticed = np.array(data.draw(st.lists(st.booleans(), min_size=8 * len(logs_), max_size=8 * len(logs_))))
    noticed = noticed.reshape(len(logs_), 4, 2)
    rows = EventRows.from_tuples([event_row(i, e) for i, log in enumerate(logs_) for e in log])
    cols = batch_columns(len(logs_), rows, level_id=LEVEL, terms=groups, group=group, now=now, noticed=noticed)
    for i, log in enumerate(logs_):
        if min(e.at for e in log if e.kind is EventKind.OPENED) > now:
            assert not cols.fast[i]
            continue
        terms = groups[group[i]]
        expected = fold_values(
            log,
            terms={str(LEVEL): terms, NO_LEVEL: terms},
            now=now,
            notices=_notices(noticed[i]),
            versions="1:1",
        )
        known = [e for e in log if e.at <= now and e.kind is not EventKind.OPENED]
        vectorised = not any(e.kind is EventKind.CLOSED for e in known)
        assert bool(cols.fast[i]) == vectorised, log
        if vectorised:
            got = _columns_of(cols, i)
            assert got == {k: expected[k] for k in got}, log


@settings(max_examples=100, deadline=None)
@given(st.lists(logs(complex_kinds=True), min_size=1, max_size=4), nows)
def test_only_closing_or_a_service_level_change_leaves_a_ticket_to_the_fold(logs_, now):
    rows = EventRows.from_tuples([event_row(i, e) for i, log in enumerate(logs_) for e in log])
    cols = batch_columns(len(logs_), rows, level_id=LEVEL, terms=_terms(75), now=now)
    for i, log in enumerate(logs_):
        closed = any(e.kind is EventKind.CLOSED and e.at <= now for e in log)
        assert bool(cols.fast[i]) == (log[0].at <= now and not closed)


def test_duplicate_sequences_another_level_no_opening_or_a_level_change_go_to_the_fold():
    opened = Event.opened(T0, 1, priority="P1", service_level=str(LEVEL))
    logs_ = [
        [opened, Event.simple("first_response", T0 + timedelta(hours=1), 1)],  # duplicate seq
        [Event.opened(T0, 1, priority="P1", service_level="8")],  # another level
        [Event.simple("first_response", T0, 2)],  # no opening
        [opened, Event.service_level_changed(T0 + timedelta(hours=1), 2, "8")],
        [
            opened,
            *(Event.priority_changed(T0 + timedelta(minutes=i), 2 + i, "P1P3"[i % 2 * 2 :][:2]) for i in range(8)),
        ],
        [opened, Event.paused(T0, 2, "planned"), Event.simple("resolved", T0, 3), Event.simple("reopened", T0, 4)],
    ]
    rows = EventRows.from_tuples([event_row(i, e) for i, log in enumerate(logs_) for e in log])
    cols = batch_columns(len(logs_), rows, level_id=LEVEL, terms=_terms(75), now=T0 + timedelta(days=1))
    assert cols.fast.tolist() == [False, False, False, False, False, True]


# The job, on the database -----------------------------------------------------------------------------

pytestmark_db = pytest.mark.django_db
FRIDAY = datetime.datetime(2026, 3, 6, 16, 30, tzinfo=UTC)  # 17:30 Paris


def _stored(ticket: Ticket) -> dict[str, object]:
    ticket.refresh_from_db()
    return {name: getattr(ticket, name) for name in SLA_FIELDS}


def _expected(ticket: Ticket, now: datetime.datetime) -> dict[str, object]:
    from pacte.servicedesk.clock import notices_of, sla_values

    ticket = Ticket.objects.select_related("site__client", "client", "service_level__calendar").get(pk=ticket.pk)
    result = ticket_clock(ticket, now=now)
    return sla_values(result, now=now, notices=notices_of(ticket), versions=versions_of(ticket.service_level))


def _open_tickets(tenant, level, count: int) -> list[Ticket]:
    """``count`` covered tickets of various shapes opened on Friday 6 March 2026 and worked on until Tuesday."""
    from pacte.servicedesk import messaging, services

    helpers.contract_in_force(tenant, service_level=level.pk, start=datetime.date(2026, 1, 1))
    tickets = []
    with time_machine.travel(FRIDAY, tick=False) as traveller:
        for i in range(count):
            impact = ("high", "medium")[i % 2]
            tickets.append(helpers.ticket(tenant, title=f"Panne {i}", impact=impact, urgency=impact, site=tenant.site))
        traveller.shift(timedelta(days=3, hours=-7))  # Monday 09:30 Paris
        for i, ticket in enumerate(tickets):
            if i % 3 == 1:
                services.ticket_status_set(actor=tenant.technician, ticket=ticket, status="waiting_client")
        traveller.shift(timedelta(hours=2))
        for i, ticket in enumerate(tickets):
            if i % 3 == 1 and i % 2 == 1:
                services.ticket_status_set(actor=tenant.technician, ticket=ticket, status="in_progress")
            if i % 4 == 0:
                messaging.message_add(actor=tenant.technician, ticket=ticket, body="On regarde.")
            if i % 5 == 3:
                services.ticket_update(actor=tenant.technician, ticket=ticket, impact="low", urgency="low")
    return tickets


@pytest.mark.django_db
def test_a_calendar_change_recomputes_the_open_tickets_like_the_fold(tenant, django_assert_max_num_queries):
    level = helpers.service_level(tenant)
    tickets = _open_tickets(tenant, level, 12)
    from pacte.servicedesk import services

    with time_machine.travel(FRIDAY + timedelta(days=4), tick=False):
        services.ticket_status_set(actor=tenant.technician, ticket=tickets[-1], status="resolved")
        # A log naming a change of service level goes through the per-ticket fold.
        services.event_add(tickets[2], "service_level_changed", actor=None, data={"service_level": str(level.pk)})
        before = {t.pk: _stored(t) for t in tickets}
        # The Tuesday 10 March becomes a closed day: every running due instant after it moves a day later.
        sla_services.calendar_exception_add(
            actor=tenant.manager, calendar=level.calendar, day=datetime.date(2026, 3, 10), kind="closed"
        )
        level.refresh_from_db()
        assert Ticket.objects.filter(pk=tickets[0].pk).exclude(sla_versions=versions_of(level)).exists()
        now = FRIDAY + timedelta(days=4)
        with django_assert_max_num_queries(60):
            report = recompute.recompute_stale(service_level_ids=[level.pk], now=now, batch_size=5)
        assert report.tickets == 11  # the resolved one is not open
        assert (report.vectorised, report.folded, report.errors) == (10, 1, 0)
        for ticket in tickets[:-1]:
            assert _stored(ticket) == _expected(ticket, now), ticket.title
        assert _stored(tickets[-1]) == before[tickets[-1].pk]  # not open: left as it was
        moved = [t for t in tickets[:-1] if _stored(t)["next_due"] != before[t.pk]["next_due"]]
        assert moved, "the closed Tuesday moves some due instants"
        # Idempotent: nothing is stale any more.
        assert recompute.recompute_stale(service_level_ids=[level.pk], now=now).tickets == 0


@pytest.mark.django_db
def test_a_killed_run_leaves_the_rest_stale_and_the_next_run_finishes(tenant, monkeypatch):
    level = helpers.service_level(tenant)
    tickets = _open_tickets(tenant, level, 6)
    now = FRIDAY + timedelta(days=4)
    with time_machine.travel(now, tick=False):
        sla_services.service_level_update(
            actor=tenant.manager, service_level=level, targets=[{"priority": "P3", "kind": "response", "seconds": 7200}]
        )
        calls = {"n": 0}
        real = recompute.recompute_batch

        def dies_on_the_second(*args, **kwargs):
            calls["n"] += 1
            if calls["n"] == 2:
                raise KeyboardInterrupt("killed")
            return real(*args, **kwargs)

        monkeypatch.setattr(recompute, "recompute_batch", dies_on_the_second)
        with pytest.raises(KeyboardInterrupt):
            recompute.recompute_stale(now=now, batch_size=2)
        monkeypatch.setattr(recompute, "recompute_batch", real)
        level.refresh_from_db()
        assert recompute.stale_tickets(recompute.current_versions()).count() == 4
        assert recompute.recompute_stale(now=now, batch_size=2).tickets == 4
        for ticket in tickets:
            assert _stored(ticket) == _expected(ticket, now)


@pytest.mark.django_db
def test_settings_changes_enqueue_the_recompute_which_the_worker_runs(
    tenant, run_jobs, django_capture_on_commit_callbacks
):
    level = helpers.service_level(tenant)
    tickets = _open_tickets(tenant, level, 3)
    now = FRIDAY + timedelta(days=4)
    with time_machine.travel(now, tick=False):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            sla_services.provider_closure_add(
                actor=tenant.manager,
                start_date=datetime.date(2026, 3, 11),
                end_date=datetime.date(2026, 3, 12),
                label="Inventaire",
            )
        assert callbacks, "the closure enqueues the recompute on commit"
        run_jobs()
        for ticket in tickets:
            assert _stored(ticket) == _expected(ticket, now)
            assert _stored(ticket)["sla_versions"] == versions_of(Ticket.objects.get(pk=ticket.pk).service_level)


@pytest.mark.django_db
@pytest.mark.postgres_only
def test_on_postgresql_the_batch_is_copied_and_applied_with_one_update(tenant, django_assert_max_num_queries):
    from django.db import connection

    level = helpers.service_level(tenant)
    tickets = _open_tickets(tenant, level, 10)
    now = FRIDAY + timedelta(days=4)
    with time_machine.travel(now, tick=False):
        sla_services.calendar_update(
            actor=tenant.manager, calendar=level.calendar, week={**helpers.WEEK, "sat": [["09:00", "12:00"]]}
        )
        SlaNotice.objects.create(ticket=tickets[0], target="response", kind="breach", at=now, priority="P1")
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            report = recompute.recompute_stale(now=now)
        updates = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
        assert len(updates) == 1 and "FROM pacte_sla_recompute" in updates[0]
        assert report.tickets == 10 and report.batches == 1
        for ticket in tickets:
            assert _stored(ticket) == _expected(ticket, now)


@pytest.mark.django_db
def test_tickets_without_a_service_level_or_closed_are_left_alone(tenant):
    level = helpers.service_level(tenant)
    with time_machine.travel(FRIDAY, tick=False):
        bare = helpers.ticket(tenant, title="Sans contrat")
    assert bare.service_level is None and bare.sla_state == SlaState.NONE
    helpers.contract_in_force(tenant, service_level=level.pk, start=datetime.date(2026, 1, 1))
    with time_machine.travel(FRIDAY, tick=False):
        closed = helpers.ticket(tenant, title="Couvert")
        from pacte.servicedesk import services

        services.ticket_status_set(actor=tenant.technician, ticket=closed, status=TicketStatus.CLOSED)
        sla_services.service_level_update(actor=tenant.manager, service_level=level, warning_percent=50)
        assert recompute.recompute_stale(now=FRIDAY).tickets == 0


@pytest.mark.django_db
def test_each_kind_of_settings_change_enqueues_the_recompute_of_its_service_levels(
    tenant, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    standard = helpers.service_level(tenant)
    premium = helpers.service_level(tenant, "Premium")
    manager = tenant.manager

    def enqueued(change) -> list[list[int]]:
        DBTaskResult.objects.all().delete()
        with django_capture_on_commit_callbacks(execute=True):
            change()
        rows = DBTaskResult.objects.filter(task_path="pacte.servicedesk.tasks.sla_recompute")
        return [row.args_kwargs["kwargs"]["service_level_ids"] for row in rows]

    calendar = standard.calendar
    assert enqueued(lambda: sla_services.calendar_update(actor=manager, calendar=calendar, week=helpers.WEEK)) == []
    saturday = {**helpers.WEEK, "sat": [["09:00", "12:00"]]}
    assert enqueued(lambda: sla_services.calendar_update(actor=manager, calendar=calendar, week=saturday)) == [
        [standard.pk]
    ]
    day = datetime.date(2026, 5, 4)
    assert enqueued(
        lambda: sla_services.calendar_exception_add(actor=manager, calendar=calendar, day=day, kind="closed")
    ) == [[standard.pk]]
    exception = calendar.exceptions.get()
    assert enqueued(lambda: sla_services.calendar_exception_remove(actor=manager, exception=exception)) == [
        [standard.pk]
    ]
    assert enqueued(
        lambda: sla_services.provider_closure_add(actor=manager, start_date=day, end_date=day, label="Pont")
    ) == [sorted([standard.pk, premium.pk])]
    assert enqueued(
        lambda: sla_services.service_level_update(actor=manager, service_level=premium, warning_percent=60)
    ) == [[premium.pk]]
    assert enqueued(lambda: sla_services.service_level_update(actor=manager, service_level=premium, name="Or")) == []


@pytest.mark.django_db
def test_an_unknown_service_level_recomputes_nothing():
    assert recompute.recompute_stale(service_level_ids=[987654]).tickets == 0
