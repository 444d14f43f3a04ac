"""The clock of one ticket (pure fold): exact cases for every rule of ``pacte/sla/clock.py``."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from pacte.sla.calendars import WEEKDAYS, Calendar, HolidayRegion
from pacte.sla.clock import (
    Basis,
    ClockError,
    Event,
    EventKind,
    PauseReason,
    Priority,
    ServiceLevelTerms,
    Target,
    TargetKind,
    TargetState,
    ticket_clock,
)

PARIS = ZoneInfo("Europe/Paris")
H = 3600
OFFICE = Calendar.weekly("Europe/Paris", {d: [("09:00", "18:00")] for d in WEEKDAYS[:5]}, holidays=HolidayRegion("FR"))
EVENINGS = Calendar.weekly("Europe/Paris", {d: [("18:00", "22:00")] for d in WEEKDAYS})
RESPONSE, INTERVENTION, RESTORATION, RESOLUTION = TargetKind

TERMS = {
    "standard": ServiceLevelTerms(
        OFFICE,
        {
            Priority.P1: {RESPONSE: Target(1 * H), RESOLUTION: Target(4 * H), RESTORATION: Target(2 * H, "calendar")},
            Priority.P2: {RESPONSE: Target(2 * H), INTERVENTION: Target(8 * H), RESOLUTION: Target(16 * H)},
            Priority.P3: {RESPONSE: Target(4 * H), RESOLUTION: Target(24 * H)},
        },
    ),
    "evenings": ServiceLevelTerms(EVENINGS, {Priority.P2: {RESPONSE: Target(2 * H), RESOLUTION: Target(6 * H)}}),
}


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


# Monday 16 March 2026, 10:00 in Paris.
T0 = paris(2026, 3, 16, 10)


def opened(priority: str = "P2", level: str = "standard", at: datetime = T0) -> Event:
    return Event.opened(at, 1, priority=priority, service_level=level)


def ev(kind: str, at: datetime, seq: int) -> Event:
    return Event.simple(kind, at, seq)


def clock(*events: Event, now: datetime):
    return ticket_clock(events, now=now, terms=TERMS)


def test_running_targets_from_the_opening_instant() -> None:
    result = clock(opened(), now=paris(2026, 3, 16, 11))
    assert set(result.targets) == {RESPONSE, INTERVENTION, RESOLUTION}  # P2 has no restoration target
    response = result.targets[RESPONSE]
    assert response.state is TargetState.RUNNING
    assert response.due == paris(2026, 3, 16, 12)
    assert response.elapsed_seconds == H
    assert response.paused_seconds == {}
    assert response.breached_at is None
    assert response.warning_at == paris(2026, 3, 16, 11, 30)  # 75 % of 2 h
    # 16 business hours: Monday 10–18 (8 h) then Tuesday 09–17.
    assert result.targets[RESOLUTION].due == paris(2026, 3, 17, 17)
    assert result.targets[INTERVENTION].due == paris(2026, 3, 16, 18)


def test_stops_met_and_breached() -> None:
    result = clock(
        opened(),
        ev("first_response", paris(2026, 3, 16, 13), 2),  # due 12:00: late
        ev("intervention_started", paris(2026, 3, 16, 17), 3),  # due 18:00: in time
        now=paris(2026, 3, 17, 9),
    )
    response = result.targets[RESPONSE]
    assert response.state is TargetState.BREACHED
    assert response.breached_at == paris(2026, 3, 16, 12)
    assert response.stopped_at == paris(2026, 3, 16, 13)
    assert response.elapsed_seconds == 3 * H
    intervention = result.targets[INTERVENTION]
    assert intervention.state is TargetState.MET
    assert intervention.breached_at is None
    assert intervention.elapsed_seconds == 7 * H


def test_met_exactly_at_the_due_instant() -> None:
    result = clock(opened(), ev("first_response", paris(2026, 3, 16, 12), 2), now=paris(2026, 3, 20))
    assert result.targets[RESPONSE].state is TargetState.MET


def test_a_running_target_is_breached_once_now_passes_its_due_instant() -> None:
    at_due = clock(opened(), now=paris(2026, 3, 16, 12))
    assert at_due.targets[RESPONSE].state is TargetState.RUNNING
    after = clock(opened(), now=paris(2026, 3, 16, 12, 0, 1))
    assert after.targets[RESPONSE].state is TargetState.BREACHED
    assert after.targets[RESPONSE].breached_at == paris(2026, 3, 16, 12)


def test_a_pause_stops_every_running_target_and_is_counted_by_reason() -> None:
    result = clock(
        opened(),
        Event.paused(paris(2026, 3, 16, 11), 2, "waiting_client"),
        ev("resumed", paris(2026, 3, 16, 14), 3),
        Event.paused(paris(2026, 3, 17, 9), 4, "waiting_third_party"),
        Event.paused(paris(2026, 3, 17, 10), 5, "planned"),  # switches the reason
        ev("resumed", paris(2026, 3, 17, 11), 6),
        now=paris(2026, 3, 17, 12),
    )
    response = result.targets[RESPONSE]
    # 2 h target, 10:00 → 11:00 counted, paused 11–14, due 15:00: breached at 15:00 (never answered).
    assert response.due == paris(2026, 3, 16, 15)
    assert response.state is TargetState.BREACHED
    assert response.paused_seconds == {
        PauseReason.WAITING_CLIENT: 3 * H,
        PauseReason.WAITING_THIRD_PARTY: H,
        PauseReason.PLANNED: H,
    }
    resolution = result.targets[RESOLUTION]
    # 16 h + 5 h paused: Monday 10–18, Tuesday 9–18, Wednesday 9–13.
    assert resolution.due == paris(2026, 3, 18, 13)
    assert resolution.state is TargetState.RUNNING
    assert resolution.elapsed_seconds == (8 - 3 + 1) * H  # Monday 10–18 less 3 h, Tuesday 11–12
    assert result.paused is None


def test_a_pause_outside_business_hours_pushes_nothing() -> None:
    night = clock(
        opened(),
        Event.paused(paris(2026, 3, 16, 19), 2, "waiting_client"),
        ev("resumed", paris(2026, 3, 17, 8), 3),
        now=paris(2026, 3, 17, 10),
    )
    assert night.targets[RESOLUTION].due == paris(2026, 3, 17, 17)
    assert night.targets[RESOLUTION].paused_seconds == {PauseReason.WAITING_CLIENT: 0}


def test_an_open_pause_hides_the_due_instant() -> None:
    result = clock(
        opened(),
        Event.paused(paris(2026, 3, 16, 11), 2, "waiting_client"),
        now=paris(2026, 3, 18, 10),
    )
    assert result.paused is PauseReason.WAITING_CLIENT
    response = result.targets[RESPONSE]
    assert response.state is TargetState.PAUSED
    assert response.due is None
    assert response.warning_at is None
    assert response.elapsed_seconds == H
    assert response.paused_seconds == {PauseReason.WAITING_CLIENT: 7 * H + 9 * H + H}


def test_an_open_pause_after_the_due_instant_leaves_the_breach() -> None:
    result = clock(
        opened(),
        Event.paused(paris(2026, 3, 16, 13), 2, "waiting_client"),
        now=paris(2026, 3, 16, 15),
    )
    response = result.targets[RESPONSE]
    assert response.state is TargetState.BREACHED
    assert response.due == paris(2026, 3, 16, 12)
    assert response.breached_at == paris(2026, 3, 16, 12)
    assert result.targets[RESOLUTION].state is TargetState.PAUSED


def test_a_priority_change_retargets_from_the_opening_and_keeps_the_pauses() -> None:
    result = clock(
        opened("P3"),
        Event.paused(paris(2026, 3, 16, 10, 30), 2, "waiting_client"),
        ev("resumed", paris(2026, 3, 16, 11), 3),
        Event.priority_changed(paris(2026, 3, 16, 11), 4, "P1"),
        now=paris(2026, 3, 16, 11, 15),
    )
    assert result.priority is Priority.P1
    response = result.targets[RESPONSE]
    # P1: 1 h from 10:00, plus the half-hour pause already accumulated (GLPI #15605).
    assert response.target_seconds == H
    assert response.due == paris(2026, 3, 16, 11, 30)
    assert response.state is TargetState.RUNNING
    assert response.paused_seconds == {PauseReason.WAITING_CLIENT: 30 * 60}
    assert result.targets[RESOLUTION].due == paris(2026, 3, 16, 14, 30)
    assert result.targets[RESTORATION].due == datetime(2026, 3, 16, 11, 30, tzinfo=UTC)  # 2 h of calendar time


def test_a_retarget_that_moves_the_due_instant_into_the_past_breaches_at_the_change() -> None:
    result = clock(
        opened("P3"),
        Event.priority_changed(paris(2026, 3, 16, 12), 2, "P1"),
        now=paris(2026, 3, 16, 12, 30),
    )
    response = result.targets[RESPONSE]
    assert response.due == paris(2026, 3, 16, 11)
    assert response.state is TargetState.BREACHED
    assert response.breached_at == paris(2026, 3, 16, 12)  # not before the terms existed


def test_a_breach_that_happened_stays_when_the_priority_is_lowered() -> None:
    result = clock(
        opened("P2"),
        Event.priority_changed(paris(2026, 3, 16, 13), 2, "P3"),
        now=paris(2026, 3, 16, 13, 30),
    )
    response = result.targets[RESPONSE]
    assert response.due == paris(2026, 3, 16, 14)  # P3: 4 h
    assert response.state is TargetState.BREACHED
    assert response.breached_at == paris(2026, 3, 16, 12)  # P2's 2 h ran out at noon


def test_a_stopped_target_keeps_the_terms_it_stopped_under() -> None:
    result = clock(
        opened("P3"),
        ev("first_response", paris(2026, 3, 16, 12), 2),  # P3: 4 h, met
        Event.priority_changed(paris(2026, 3, 16, 13), 3, "P1"),
        now=paris(2026, 3, 16, 13),
    )
    response = result.targets[RESPONSE]
    assert response.state is TargetState.MET
    assert (response.priority, response.service_level, response.target_seconds) == (Priority.P3, "standard", 4 * H)
    assert response.due == paris(2026, 3, 16, 14)


def test_a_target_that_the_new_priority_does_not_have_is_dropped() -> None:
    result = clock(opened("P2"), Event.priority_changed(paris(2026, 3, 16, 11), 2, "P3"), now=paris(2026, 3, 16, 11))
    assert INTERVENTION not in result.targets


def test_a_service_level_change_retargets_on_its_calendar() -> None:
    result = clock(
        opened("P2"),
        Event.service_level_changed(paris(2026, 3, 16, 11), 2, "evenings"),
        now=paris(2026, 3, 16, 11),
    )
    assert result.service_level == "evenings"
    assert result.targets[RESPONSE].due == paris(2026, 3, 16, 20)
    assert result.targets[RESOLUTION].due == paris(2026, 3, 17, 20)
    assert result.targets[RESOLUTION].elapsed_seconds == 0
    with pytest.raises(ClockError, match="unknown service level 'gold'"):
        clock(opened(), Event.service_level_changed(paris(2026, 3, 16, 11), 2, "gold"), now=paris(2026, 3, 17))


def test_reopening_resumes_resolution_without_counting_the_resolved_period() -> None:
    result = clock(
        opened(),
        ev("first_response", paris(2026, 3, 16, 10, 30), 2),
        ev("resolved", paris(2026, 3, 16, 12), 3),
        ev("reopened", paris(2026, 3, 17, 12), 4),
        now=paris(2026, 3, 17, 13),
    )
    resolution = result.targets[RESOLUTION]
    # 16 h: 2 h before resolving; the resolved period (Mon 12:00 → Tue 12:00) counts as neither; 14 h from Tue 12:00.
    assert resolution.state is TargetState.RUNNING
    assert resolution.due == paris(2026, 3, 18, 17)
    assert resolution.elapsed_seconds == 3 * H
    assert resolution.paused_seconds == {}
    assert result.targets[RESPONSE].state is TargetState.MET
    # Resolving stopped the intervention target (moot) in time; reopening does not restart it.
    assert result.targets[INTERVENTION].state is TargetState.MET
    assert result.targets[INTERVENTION].stopped_at == paris(2026, 3, 16, 12)
    assert not result.resolved


def test_a_resolved_ticket_is_not_paused_and_ends_its_pause() -> None:
    result = clock(
        opened(),
        Event.paused(paris(2026, 3, 16, 11), 2, "waiting_client"),
        ev("resolved", paris(2026, 3, 16, 12), 3),
        Event.paused(paris(2026, 3, 16, 13), 4, "planned"),
        now=paris(2026, 3, 20),
    )
    assert result.resolved
    assert result.paused is None
    resolution = result.targets[RESOLUTION]
    assert resolution.state is TargetState.MET
    assert resolution.stopped_at == paris(2026, 3, 16, 12)
    assert resolution.paused_seconds == {PauseReason.WAITING_CLIENT: H}
    assert resolution.elapsed_seconds == H


def test_closing_freezes_the_outcome() -> None:
    events = [
        opened(),
        ev("first_response", paris(2026, 3, 16, 11), 2),
        ev("closed", paris(2026, 3, 16, 15), 3),
        ev("reopened", paris(2026, 3, 16, 16), 4),
        Event.priority_changed(paris(2026, 3, 16, 16), 5, "P1"),
    ]
    a = ticket_clock(events, now=paris(2026, 3, 16, 17), terms=TERMS)
    b = ticket_clock(events, now=paris(2027, 1, 1), terms=TERMS)
    assert a == b
    assert a.as_of == a.closed_at == paris(2026, 3, 16, 15)
    assert a.priority is Priority.P2
    assert a.targets[RESOLUTION].state is TargetState.MET
    assert a.targets[RESOLUTION].stopped_at == paris(2026, 3, 16, 15)
    assert a.targets[RESOLUTION].elapsed_seconds == 5 * H


def test_calendar_time_targets_count_every_second() -> None:
    result = clock(opened("P1", at=paris(2026, 3, 20, 17)), now=paris(2026, 3, 20, 20))
    restoration = result.targets[RESTORATION]
    assert restoration.basis is Basis.CALENDAR
    assert restoration.due == paris(2026, 3, 20, 19)
    assert restoration.state is TargetState.BREACHED
    assert restoration.elapsed_seconds == 3 * H
    assert result.targets[RESOLUTION].due == paris(2026, 3, 23, 12)  # business: Fri 17–18, Mon 09–12


def test_same_instant_events_follow_their_sequence_numbers() -> None:
    at = paris(2026, 3, 16, 11)
    pause_then_resume = clock(
        opened(), Event.paused(at, 2, "waiting_client"), ev("resumed", at, 3), now=paris(2026, 3, 16, 12)
    )
    resume_then_pause = clock(
        opened(), ev("resumed", at, 2), Event.paused(at, 3, "waiting_client"), now=paris(2026, 3, 16, 12)
    )
    assert pause_then_resume.paused is None
    assert pause_then_resume.targets[RESPONSE].state is TargetState.RUNNING
    assert resume_then_pause.paused is PauseReason.WAITING_CLIENT
    assert resume_then_pause.targets[RESPONSE].state is TargetState.PAUSED


def test_late_and_shuffled_events_give_the_same_result() -> None:
    events = [
        opened(),
        Event.paused(paris(2026, 3, 16, 11), 2, "waiting_client"),
        ev("resumed", paris(2026, 3, 16, 14), 3),
        Event.priority_changed(paris(2026, 3, 16, 15), 4, "P1"),
        ev("first_response", paris(2026, 3, 16, 15), 5),
        ev("resolved", paris(2026, 3, 17, 10), 6),
        ev("reopened", paris(2026, 3, 17, 11), 7),
    ]
    now = paris(2026, 3, 18, 9)
    expected = ticket_clock(events, now=now, terms=TERMS)
    assert ticket_clock(list(reversed(events)), now=now, terms=TERMS) == expected
    assert ticket_clock([events[i] for i in (3, 6, 0, 5, 1, 4, 2)], now=now, terms=TERMS) == expected


def test_events_after_now_are_not_known_yet() -> None:
    events = [opened(), ev("first_response", paris(2026, 3, 16, 11), 2)]
    result = ticket_clock(events, now=paris(2026, 3, 16, 10, 30), terms=TERMS)
    assert result.targets[RESPONSE].state is TargetState.RUNNING
    assert result.targets[RESPONSE].elapsed_seconds == 30 * 60


def test_an_event_dated_before_the_opening_counts_at_the_opening() -> None:
    result = clock(opened(), ev("first_response", paris(2026, 3, 16, 9, 59), 2), now=paris(2026, 3, 16, 12))
    assert result.targets[RESPONSE].stopped_at == T0
    assert result.targets[RESPONSE].elapsed_seconds == 0


@pytest.mark.parametrize(
    ("events", "now", "message"),
    [
        ([], T0, "exactly one opened event, not 0"),
        (
            [opened(), Event.opened(T0, 2, priority="P1", service_level="standard")],
            T0,
            "exactly one opened event, not 2",
        ),
        ([opened(), ev("resolved", T0, 1)], T0, "sequence numbers must be unique"),
        ([opened(level="gold")], T0, "unknown service level 'gold'"),
        ([opened()], paris(2026, 3, 16, 9), "the ticket opens after now"),
        ([opened()], datetime(2026, 3, 16, 12), "naive now"),  # noqa: DTZ001 - the point of the test
    ],
)
def test_logs_that_cannot_be_folded(events: list[Event], now: datetime, message: str) -> None:
    with pytest.raises(ClockError, match=message):
        ticket_clock(events, now=now, terms=TERMS)


def test_events_validate_their_payload() -> None:
    with pytest.raises(ClockError, match="the paused event needs reason"):
        Event(T0, 2, EventKind.PAUSED)
    with pytest.raises(ClockError, match="the opened event needs priority, service_level"):
        Event(T0, 1, EventKind.OPENED)
    with pytest.raises(ClockError, match="naive instant"):
        Event.simple("resolved", datetime(2026, 3, 16, 12), 2)  # noqa: DTZ001
    with pytest.raises(ValueError, match="'P5' is not a valid Priority"):
        Event.priority_changed(T0, 2, "P5")
    with pytest.raises(ClockError, match="whole number of seconds"):
        Target(-1)
