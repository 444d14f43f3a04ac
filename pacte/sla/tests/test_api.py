"""The SLA API: calendars and service levels (list, get, create, patch, archive) and POST simulate."""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.test import Client as HttpClient

from pacte.audit.models import AuditEvent
from pacte.sla import services
from pacte.sla.models import BusinessCalendar, ServiceLevel
from tests.factories import OFFICE_WEEK

H = 3600


@pytest.fixture
def call(api_token):
    def _call(membership, method, path, body=None, **params):
        http = HttpClient()
        headers = {"Authorization": f"Bearer {api_token(membership)}"}
        if method == "GET":
            return http.get(f"/api/v1{path}", params, headers=headers)
        data = json.dumps(body) if body is not None else ""
        return http.generic(method, f"/api/v1{path}", data, content_type="application/json", headers=headers)

    return _call


@pytest.fixture
def calendar(tenant):
    return services.calendar_create(actor=tenant.manager, name="Heures ouvrées", week=OFFICE_WEEK)


NEW_CALENDAR = {
    "name": "Astreinte de nuit",
    "time_zone": "Europe/Paris",
    "holiday_subdivision": "57",
    "week": {"mon": [["22:00", "06:00"]], "sat": [["09:00", "12:00"], ["14:00", "24:00"]]},
    "exceptions": [{"day": "2026-12-24", "kind": "partial", "windows": [["22:00", "24:00"]], "label": "Réveillon"}],
}


def test_create_get_patch_and_archive_a_calendar(tenant, call):
    response = call(tenant.manager, "POST", "/sla/calendars", NEW_CALENDAR)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["week"] == {
        "mon": [["22:00", "06:00"]],
        "tue": [],
        "wed": [],
        "thu": [],
        "fri": [],
        "sat": [["09:00", "12:00"], ["14:00", "24:00"]],
        "sun": [],
    }
    assert [(e["day"], e["kind"], e["windows"], e["label"]) for e in body["exceptions"]] == [
        ("2026-12-24", "partial", [["22:00", "24:00"]], "Réveillon")
    ]
    assert (body["version"], body["holiday_subdivision"], body["holidays_close"]) == (1, "57", True)
    calendar_id = body["id"]
    assert call(tenant.technician, "GET", f"/sla/calendars/{calendar_id}").json() == body
    patched = call(tenant.manager, "PATCH", f"/sla/calendars/{calendar_id}", {"week": {"sun": [["00:00", "24:00"]]}})
    assert patched.status_code == 200
    assert patched.json()["week"]["mon"] == [] and patched.json()["week"]["sun"] == [["00:00", "24:00"]]
    assert patched.json()["version"] == 2
    assert patched.json()["exceptions"] == body["exceptions"]  # not given: unchanged
    cleared = call(tenant.manager, "PATCH", f"/sla/calendars/{calendar_id}", {"exceptions": []})
    assert (cleared.json()["exceptions"], cleared.json()["version"]) == ([], 3)
    archived = call(tenant.manager, "POST", f"/sla/calendars/{calendar_id}/archive")
    assert archived.status_code == 200 and archived.json()["archived_at"] is not None
    assert call(tenant.manager, "PATCH", f"/sla/calendars/{calendar_id}", {"name": "x"}).status_code == 409
    assert list(
        AuditEvent.objects.filter(action__startswith="sla_").order_by("id").values_list("action", flat=True)
    ) == [
        "sla_calendar.create",
        "sla_calendar.update",
        "sla_calendar.update",
        "sla_calendar.archive",
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**NEW_CALENDAR, "week": {"mon": [["24:00", "06:00"]]}}, "week"),
        ({**NEW_CALENDAR, "week": {"mon": [["08:00", "08:00"]]}}, "week"),
        ({**NEW_CALENDAR, "week": {"mon": [["8:00", "18:00"]]}}, "week.mon.0.0"),
        ({**NEW_CALENDAR, "week": {"monday": []}}, "week.monday"),
        ({**NEW_CALENDAR, "time_zone": "Mars/Olympus"}, "time_zone"),
        ({**NEW_CALENDAR, "exceptions": [{"day": "24/12/2026", "kind": "closed"}]}, "exceptions.0.day"),
        ({**NEW_CALENDAR, "exceptions": [{"day": "2026-12-24", "kind": "extra"}]}, "exceptions.0.windows"),
        ({**NEW_CALENDAR, "holidays_close": "yes"}, "holidays_close"),
    ],
)
def test_calendar_validation_is_422_on_the_field(tenant, call, body, field):
    response = call(tenant.manager, "POST", "/sla/calendars", body)
    assert response.status_code == 422, response.json()
    assert field in [error["field"] for error in response.json()["errors"]]
    assert not BusinessCalendar.objects.exists()


def test_roles_and_tenants(tenant, other_tenant, call, calendar):
    assert call(tenant.technician, "POST", "/sla/calendars", NEW_CALENDAR).status_code == 403
    assert call(tenant.technician, "GET", "/sla/calendars").json()["items"][0]["id"] == calendar.pk
    assert call(tenant.client_manager, "GET", "/sla/calendars").json() == {"items": [], "next_cursor": None}
    assert call(tenant.client_manager, "GET", f"/sla/calendars/{calendar.pk}").status_code == 404
    assert call(other_tenant.admin, "GET", f"/sla/calendars/{calendar.pk}").status_code == 404
    assert call(other_tenant.admin, "PATCH", f"/sla/calendars/{calendar.pk}", {"name": "x"}).status_code == 404
    body = {"name": "Volé", "calendar_id": calendar.pk}
    response = call(other_tenant.admin, "POST", "/sla/service-levels", body)
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "calendar_id", "message": "Unknown calendar."}]
    assert not ServiceLevel.objects.exists()


def test_service_levels_grid_over_the_api(tenant, call, calendar):
    body = {
        "name": "Premium 4h",
        "calendar_id": calendar.pk,
        "warning_percent": 80,
        "targets": [
            {"priority": "P1", "kind": "restoration", "seconds": 4 * H, "basis": "calendar"},
            {"priority": "P1", "kind": "response", "seconds": 1800},
        ],
    }
    response = call(tenant.manager, "POST", "/sla/service-levels", body)
    assert response.status_code == 201, response.json()
    level = response.json()
    assert len(level["targets"]) == 16
    assert level["targets"][:4] == [
        {"priority": "P1", "kind": "response", "seconds": 1800, "basis": "business"},
        {"priority": "P1", "kind": "intervention", "seconds": None, "basis": "business"},
        {"priority": "P1", "kind": "restoration", "seconds": 14400, "basis": "calendar"},
        {"priority": "P1", "kind": "resolution", "seconds": None, "basis": "business"},
    ]
    patch = {"targets": [{"priority": "P4", "kind": "resolution", "seconds": 100 * H}], "warning_percent": 75}
    patched = call(tenant.manager, "PATCH", f"/sla/service-levels/{level['id']}", patch).json()
    assert patched["version"] == 2 and patched["warning_percent"] == 75
    assert patched["targets"][-1] == {"priority": "P4", "kind": "resolution", "seconds": 360000, "basis": "business"}
    twice = {"targets": [{"priority": "P1", "kind": "response"}, {"priority": "P1", "kind": "response"}]}
    assert call(tenant.manager, "PATCH", f"/sla/service-levels/{level['id']}", twice).status_code == 422
    # A used calendar cannot be archived; the service level can.
    assert call(tenant.manager, "POST", f"/sla/calendars/{calendar.pk}/archive").status_code == 409
    archived = call(tenant.manager, "POST", f"/sla/service-levels/{level['id']}/archive").json()
    assert archived["archived_at"] is not None
    assert call(tenant.manager, "GET", "/sla/service-levels").json()["items"] == []
    listed = call(tenant.manager, "GET", "/sla/service-levels", include_archived="true").json()["items"]
    assert [item["id"] for item in listed] == [level["id"]]


def test_simulate(tenant, call, calendar):
    services.calendar_exception_add(
        actor=tenant.manager, calendar=calendar, day=date(2026, 5, 15), kind="closed", label="Pont"
    )
    body = {"calendar_id": calendar.pk, "start": "2026-05-13T15:00:00Z", "seconds": 4 * H}
    response = call(tenant.technician, "POST", "/sla/simulate", body)
    assert response.status_code == 200, response.json()
    result = response.json()
    # Wednesday 17:00 + 4 h: 1 h, Ascension, the bridge, the weekend, Monday 08:00–11:00.
    assert result["due"] == "2026-05-18T09:00:00Z"
    assert result["calendar_version"] == 2
    assert result["closed_periods"] == [
        {
            "start": "2026-05-13T16:00:00Z",
            "end": "2026-05-18T06:00:00Z",
            "reasons": [
                {"kind": "night", "first_day": "2026-05-13", "last_day": "2026-05-13", "label": ""},
                {"kind": "holiday", "first_day": "2026-05-14", "last_day": "2026-05-14", "label": "Ascension"},
                {"kind": "exception", "first_day": "2026-05-15", "last_day": "2026-05-15", "label": "Pont"},
                {"kind": "weekly_closed", "first_day": "2026-05-16", "last_day": "2026-05-17", "label": ""},
                {"kind": "night", "first_day": "2026-05-18", "last_day": "2026-05-18", "label": ""},
            ],
        }
    ]
    next_open = call(tenant.technician, "POST", "/sla/simulate", {**body, "seconds": 1 * H, "at_close": "next_open"})
    assert next_open.json()["due"] == "2026-05-18T06:00:00Z"
    assert call(tenant.technician, "POST", "/sla/simulate", {**body, "start": "2026-05-13T15:00:00"}).status_code == 422
    assert call(tenant.client_user, "POST", "/sla/simulate", body).status_code == 403
    assert not AuditEvent.objects.filter(action__startswith="sla_simul").exists()


@pytest.mark.parametrize("path", ["/sla/calendars", "/sla/service-levels"])
def test_list_queries_do_not_grow_with_the_rows(tenant, api_token, path, django_assert_max_num_queries):
    """Token lookup, the page, one prefetch (exceptions or targets): the same for 3 rows or 33."""
    for number in range(30):
        calendar = services.calendar_create(actor=tenant.manager, name=f"Calendrier {number}", week=OFFICE_WEEK)
        services.calendar_exception_add(actor=tenant.manager, calendar=calendar, day=date(2026, 8, 14), kind="closed")
        services.service_level_create(actor=tenant.manager, name=f"Niveau {number}", calendar=calendar)
    http, headers = HttpClient(), {"Authorization": f"Bearer {api_token(tenant.manager)}"}
    http.get(f"/api/v1{path}", headers=headers)  # the token's first use is recorded once
    with django_assert_max_num_queries(4):
        response = http.get(f"/api/v1{path}", {"limit": 200}, headers=headers)
    assert len(response.json()["items"]) == 30
