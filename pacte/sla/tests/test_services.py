"""SLA settings services: permissions, validation, audit, versions; and the calendar a ticket runs on."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from pacte.audit.models import AuditEvent
from pacte.core.errors import ConflictError
from pacte.sla import selectors, services
from pacte.sla.calendars import WEEKDAYS
from pacte.sla.clock import Basis, Priority, TargetKind
from pacte.sla.domain import add_business_seconds
from pacte.sla.models import BusinessCalendar, CalendarException, ProviderClosure, ServiceLevel, ServiceLevelTarget
from tests.factories import OFFICE_WEEK, SiteFactory

H = 3600


def office(tenant, **fields):
    return services.calendar_create(actor=tenant.manager, **{"name": "Heures ouvrées", "week": OFFICE_WEEK, **fields})


def test_calendar_create_normalises_the_week_and_audits(tenant):
    calendar = services.calendar_create(
        actor=tenant.manager,
        name="Bureau",
        week={"fri": [[" 13:30", "18:00 "], ["08:00", "12:00"]], "mon": [["22:00", "06:00"]]},
        holiday_subdivision="57",
    )
    assert calendar.provider == tenant.provider
    assert calendar.version == 1
    assert calendar.week == {
        "mon": [["22:00", "06:00"]],
        "tue": [],
        "wed": [],
        "thu": [],
        "fri": [["08:00", "12:00"], ["13:30", "18:00"]],
        "sat": [],
        "sun": [],
    }
    event = AuditEvent.objects.get(action="sla_calendar.create")
    assert event.actor_membership == tenant.manager
    assert event.after["name"] == "Bureau"
    assert event.after["week"]["fri"] == [["08:00", "12:00"], ["13:30", "18:00"]]


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"week": {"mon": [["8h", "18h"]]}}, "week", "window edge '8h' is not HH:MM or HH:MM:SS"),
        ({"week": {"mon": [["08:00", "08:00"]]}}, "week", "a window's start and end must differ"),
        ({"week": {"monday": []}}, "week", "Une semaine donne les plages horaires de chacun des sept jours."),
        ({"week": {"mon": "08:00-18:00"}}, "week", "Une semaine donne les plages horaires de chacun des sept jours."),
        ({"time_zone": "Europe/Atlantis"}, "time_zone", "n'est pas un fuseau horaire connu"),
        ({"holiday_subdivision": "99"}, "holiday_subdivision", None),
        ({"name": ""}, "name", None),
        ({"colour": "blue"}, "colour", "This field cannot be set here."),
    ],
)
def test_calendar_create_refuses_bad_input_and_writes_nothing(tenant, fields, field, message):
    data = {"name": "Bureau", "week": OFFICE_WEEK, **fields}
    with pytest.raises(ValidationError) as error:
        services.calendar_create(actor=tenant.manager, **data)
    assert field in error.value.message_dict
    if message:
        assert any(message in m for m in error.value.message_dict[field])
    assert not BusinessCalendar.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="sla_").exists()


def test_calendar_names_are_unique_per_provider_only(tenant, other_tenant):
    office(tenant)
    with pytest.raises(ValidationError) as error:
        office(tenant)
    assert error.value.message_dict == {"name": ["Ce nom est déjà utilisé."]}
    assert office(other_tenant).provider == other_tenant.provider


@pytest.mark.parametrize("role", ["technician", "client_manager", "client_user"])
def test_only_provider_managers_write(tenant, role):
    calendar = office(tenant)
    actor = tenant.member(role)
    with pytest.raises(PermissionDenied):
        services.calendar_create(actor=actor, name="X", week=OFFICE_WEEK)
    with pytest.raises(PermissionDenied):
        services.calendar_update(actor=actor, calendar=calendar, name="Y")
    with pytest.raises(PermissionDenied):
        services.provider_closure_add(
            actor=actor, start_date=date(2026, 12, 24), end_date=date(2026, 12, 31), label="Noël"
        )
    assert BusinessCalendar.objects.get().name == "Heures ouvrées"
    assert AuditEvent.objects.filter(action__startswith="sla_").count() == 1


def test_update_bumps_the_version_only_when_the_definition_changes(tenant):
    calendar = office(tenant)
    calendar = services.calendar_update(actor=tenant.manager, calendar=calendar, name="Bureau", description="Lyon")
    assert calendar.version == 1
    calendar = services.calendar_update(actor=tenant.manager, calendar=calendar, holiday_subdivision="57")
    assert calendar.version == 2
    event = AuditEvent.objects.filter(action="sla_calendar.update").latest("id")
    assert event.before == {"holiday_subdivision": "", "version": 1}
    assert event.after == {"holiday_subdivision": "57", "version": 2}
    calendar = services.calendar_update(actor=tenant.manager, calendar=calendar, week=OFFICE_WEEK)
    assert calendar.version == 2  # the same windows
    assert AuditEvent.objects.filter(action="sla_calendar.update").count() == 2


def test_exceptions_add_remove_and_replace(tenant):
    calendar = office(tenant)
    exception = services.calendar_exception_add(
        actor=tenant.manager,
        calendar=calendar,
        day=date(2026, 12, 24),
        kind="partial",
        windows=[["08:00", "12:00"]],
        label="Veille de Noël",
    )
    calendar.refresh_from_db()
    assert calendar.version == 2
    with pytest.raises(ValidationError) as error:
        services.calendar_exception_add(actor=tenant.manager, calendar=calendar, day=date(2026, 12, 24), kind="closed")
    assert error.value.message_dict == {"day": ["Ce calendrier a déjà une exception à cette date."]}
    with pytest.raises(ValidationError) as error:
        services.calendar_exception_add(actor=tenant.manager, calendar=calendar, day=date(2026, 12, 31), kind="extra")
    assert error.value.message_dict == {"windows": ["Indiquez au moins une plage horaire."]}
    with pytest.raises(ValidationError):
        services.calendar_exception_add(
            actor=tenant.manager, calendar=calendar, day=date(2026, 12, 31), kind="closed", windows=[["08:00", "09:00"]]
        )
    services.calendar_exception_remove(actor=tenant.manager, exception=exception)
    calendar.refresh_from_db()
    assert calendar.version == 3
    assert not CalendarException.objects.exists()
    assert list(
        AuditEvent.objects.filter(action__startswith="sla_calendar_exception")
        .order_by("id")
        .values_list("action", flat=True)
    ) == [
        "sla_calendar_exception.create",
        "sla_calendar_exception.delete",
    ]
    calendar = services.calendar_update(
        actor=tenant.manager,
        calendar=calendar,
        exceptions=[
            {"day": date(2026, 8, 14), "kind": "closed", "label": "Pont"},
            {"day": date(2026, 3, 29), "kind": "extra", "windows": [["10:00", "11:00"]]},
        ],
    )
    assert calendar.version == 4
    assert [(e.day, e.kind) for e in calendar.exceptions.order_by("day")] == [
        (date(2026, 3, 29), "extra"),
        (date(2026, 8, 14), "closed"),
    ]
    with pytest.raises(ValidationError) as error:
        services.calendar_update(
            actor=tenant.manager,
            calendar=calendar,
            exceptions=[{"day": date(2026, 8, 14), "kind": "closed"}, {"day": date(2026, 8, 14), "kind": "closed"}],
        )
    assert error.value.message_dict == {"exceptions.1.day": ["Une seule exception par date."]}
    assert calendar.exceptions.count() == 2


def test_archived_calendars_cannot_change_and_a_used_one_cannot_be_archived(tenant):
    calendar = office(tenant)
    level = services.service_level_create(actor=tenant.manager, name="Essentiel", calendar=calendar)
    with pytest.raises(ConflictError):
        services.calendar_archive(actor=tenant.manager, calendar=calendar)
    services.service_level_archive(actor=tenant.manager, service_level=level)
    calendar = services.calendar_archive(actor=tenant.manager, calendar=calendar)
    assert calendar.archived_at is not None
    with pytest.raises(ConflictError):
        services.calendar_update(actor=tenant.manager, calendar=calendar, name="Autre")
    with pytest.raises(ValidationError) as error:
        services.service_level_create(actor=tenant.manager, name="Nouveau", calendar=calendar)
    assert error.value.message_dict == {"calendar": ["Ce calendrier est archivé."]}


def test_provider_closures_bump_the_calendars_that_follow_them(tenant, other_tenant):
    follows, ignores = office(tenant), office(tenant, provider_closures_apply=False, name="Astreinte")
    foreign = office(other_tenant)
    closure = services.provider_closure_add(
        actor=tenant.admin, start_date=date(2026, 12, 24), end_date=date(2027, 1, 1), label="Fermeture annuelle"
    )
    assert [(c.pk, c.version) for c in BusinessCalendar.objects.order_by("pk")] == [
        (follows.pk, 2),
        (ignores.pk, 1),
        (foreign.pk, 1),
    ]
    with pytest.raises(ValidationError) as error:
        services.provider_closure_add(
            actor=tenant.admin, start_date=date(2026, 12, 24), end_date=date(2026, 12, 1), label="À l'envers"
        )
    assert error.value.message_dict == {"end_date": ["La fermeture se termine avant de commencer."]}
    services.provider_closure_remove(actor=tenant.admin, closure=closure)
    assert not ProviderClosure.objects.exists()
    assert BusinessCalendar.objects.get(pk=follows.pk).version == 3


def test_service_level_grid_targets_and_versions(tenant):
    calendar = office(tenant)
    level = services.service_level_create(
        actor=tenant.manager,
        name="Premium 4h",
        calendar=calendar,
        targets=[
            {"priority": "P1", "kind": "response", "seconds": 30 * 60},
            {"priority": "P1", "kind": "restoration", "seconds": 4 * H, "basis": "calendar"},
        ],
    )
    cells = {(t.priority, t.kind): (t.seconds, t.basis) for t in ServiceLevelTarget.objects.filter(service_level=level)}
    assert len(cells) == 16
    assert cells[("P1", "response")] == (1800, "business")
    assert cells[("P1", "restoration")] == (14400, "calendar")
    assert cells[("P4", "resolution")] == (None, "business")
    level = services.service_level_update(
        actor=tenant.manager, service_level=level, targets=[{"priority": "P2", "kind": "response", "seconds": H}]
    )
    assert level.version == 2
    event = AuditEvent.objects.get(action="sla_service_level.update")
    assert event.after["version"] == 2
    assert {"priority": "P2", "kind": "response", "seconds": 3600, "basis": "business"} in event.after["targets"]
    level = services.service_level_update(
        actor=tenant.manager, service_level=level, targets=[{"priority": "P2", "kind": "response", "seconds": H}]
    )
    assert level.version == 2  # nothing changed, nothing recorded
    assert AuditEvent.objects.filter(action="sla_service_level.update").count() == 1
    for bad, key in [
        ({"priority": "P5", "kind": "response", "seconds": 1}, "targets.0"),
        ({"priority": "P1", "kind": "response", "seconds": -1}, "targets.0.seconds"),
        ({"priority": "P1", "kind": "response", "basis": "lunar"}, "targets.0.basis"),
        ({"priority": "P1", "kind": "response", "colour": "red"}, "targets.0.colour"),
    ]:
        with pytest.raises(ValidationError) as error:
            services.service_level_update(actor=tenant.manager, service_level=level, targets=[bad])
        assert key in error.value.message_dict
    assert ServiceLevelTarget.objects.get(service_level=level, priority="P1", kind="response").seconds == 1800


def test_a_service_level_cannot_use_another_providers_calendar(tenant, other_tenant):
    foreign = office(other_tenant)
    with pytest.raises(ValidationError) as error:
        services.service_level_create(actor=tenant.manager, name="Essentiel", calendar=foreign)
    assert error.value.message_dict == {"calendar": ["Calendrier inconnu."]}
    assert not ServiceLevel.objects.exists()


# Selectors -------------------------------------------------------------------------------------


def test_selectors_are_scoped(tenant, other_tenant):
    mine, theirs = office(tenant), office(other_tenant)
    assert list(selectors.calendar_list(actor=tenant.technician)) == [mine]
    assert selectors.calendar_get(actor=tenant.technician, pk=mine.pk) == mine
    for actor in (tenant.client_manager, tenant.client_user):
        assert list(selectors.calendar_list(actor=actor)) == []
        with pytest.raises(Http404):
            selectors.calendar_get(actor=actor, pk=mine.pk)
    with pytest.raises(Http404):
        selectors.calendar_get(actor=tenant.admin, pk=theirs.pk)


def test_ticket_calendar_takes_windows_from_the_service_level_and_zone_and_holidays_from_the_site(tenant):
    calendar = office(tenant, time_zone="Europe/Paris")  # mainland holidays on the calendar itself
    services.calendar_exception_add(
        actor=tenant.manager, calendar=calendar, day=date(2026, 4, 10), kind="closed", label="Inventaire"
    )
    services.provider_closure_add(
        actor=tenant.manager, start_date=date(2026, 4, 8), end_date=date(2026, 4, 8), label="Séminaire"
    )
    level = services.service_level_create(actor=tenant.manager, name="Essentiel", calendar=calendar)
    moselle = SiteFactory(client=tenant.client, provider=tenant.provider, holiday_subdivision="57")
    reunion = SiteFactory(
        client=tenant.client, provider=tenant.provider, time_zone="Indian/Reunion", holiday_subdivision="974"
    )
    inherits = SiteFactory(client=tenant.client, provider=tenant.provider)

    at_moselle = selectors.ticket_calendar(service_level=level, site=moselle)
    assert at_moselle.timezone == "Europe/Paris"
    assert at_moselle.is_holiday(date(2026, 4, 3))  # Good Friday, Alsace-Moselle only
    assert not selectors.ticket_calendar(service_level=level, site=inherits).is_holiday(date(2026, 4, 3))
    at_reunion = selectors.ticket_calendar(service_level=level, site=reunion)
    assert at_reunion.timezone == "Indian/Reunion"
    assert at_reunion.is_holiday(date(2026, 12, 20))
    # Windows are the coverage's; exceptions: the calendar's own and the provider's closure on top.
    assert at_reunion.week == at_moselle.week
    assert {(e.day, e.label) for e in at_moselle.exceptions} == {
        (date(2026, 4, 8), "Séminaire"),
        (date(2026, 4, 10), "Inventaire"),
    }
    # Thursday 2 April 17:00 in Metz + 2 business hours: Friday is Good Friday → Monday 6 is Easter Monday
    # → Tuesday 7 April 09:00.
    due = add_business_seconds(at_moselle, datetime(2026, 4, 2, 15, tzinfo=UTC), 2 * H)
    assert due == datetime(2026, 4, 7, 7, tzinfo=UTC)
    # A client (no site), then nothing: the provider's zone and holidays.
    tenant.client.holiday_subdivision = "974"
    tenant.client.time_zone = "Indian/Reunion"
    assert selectors.ticket_calendar(service_level=level, client=tenant.client).timezone == "Indian/Reunion"
    assert selectors.ticket_calendar(service_level=level).timezone == tenant.provider.time_zone


def test_ticket_calendar_refuses_rows_of_another_provider(tenant, other_tenant):
    level = services.service_level_create(actor=tenant.manager, name="Essentiel", calendar=office(tenant))
    with pytest.raises(ValueError, match="one provider"):
        selectors.ticket_calendar(service_level=level, site=other_tenant.site)


def test_service_level_terms_feed_the_clock(tenant):
    level = services.service_level_create(
        actor=tenant.manager,
        name="Premium 4h",
        calendar=office(tenant),
        warning_percent=80,
        targets=[{"priority": "P1", "kind": "restoration", "seconds": 4 * H, "basis": "calendar"}],
    )
    terms = selectors.service_level_terms(service_level=level, site=tenant.site)
    assert terms.warning_percent == 80
    assert dict(terms.targets) == {
        Priority.P1: {TargetKind.RESTORATION: terms.target(Priority.P1, TargetKind.RESTORATION)}
    }
    target = terms.target(Priority.P1, TargetKind.RESTORATION)
    assert target is not None and (target.seconds, target.basis) == (4 * H, Basis.CALENDAR)
    assert [d for d, ws in zip(WEEKDAYS, terms.calendar.week, strict=True) if ws] == list(WEEKDAYS[:5])


def test_the_demo_story_has_its_calendars_closure_and_service_levels(db):
    from pacte.demo import load_demo

    provider = load_demo(today=date(2026, 3, 16))
    calendars_ = {c.name: c for c in BusinessCalendar.objects.filter(provider=provider)}
    assert sorted(calendars_) == ["Astreinte 24×7", "Heures ouvrées 8h–18h"]
    office = calendars_["Heures ouvrées 8h–18h"]
    assert [(e.day, e.label) for e in office.exceptions.all()] == [(date(2026, 5, 15), "Pont de l'Ascension")]
    assert [(c.start_date, c.end_date, c.label) for c in ProviderClosure.objects.filter(provider=provider)] == [
        (date(2026, 12, 24), date(2027, 1, 1), "Fermeture de fin d'année")
    ]
    levels = {s.name: s for s in ServiceLevel.objects.filter(provider=provider)}
    assert sorted(levels) == ["Essentiel", "Premium 4h"]
    assert levels["Premium 4h"].calendar == calendars_["Astreinte 24×7"]
    essentiel = selectors.service_level_terms(service_level=levels["Essentiel"])
    gti = essentiel.target(Priority.P1, TargetKind.INTERVENTION)
    assert gti is not None and gti.seconds == 8 * H
    # A P1 opened on Wednesday 23 December 2026 at 17:00: the closure, then New Year's Day → Monday 4 January.
    due = add_business_seconds(essentiel.calendar, datetime(2026, 12, 23, 16, tzinfo=UTC), 8 * H)
    assert due == datetime(2027, 1, 4, 15, 30, tzinfo=UTC)
    premium = selectors.service_level_terms(service_level=levels["Premium 4h"])
    assert add_business_seconds(premium.calendar, datetime(2026, 12, 25, 10, tzinfo=UTC), 4 * H) == datetime(
        2026, 12, 25, 14, tzinfo=UTC
    )
