"""The SLA settings pages: the grid editor, the holiday preview, exceptions, closures, service levels, simulation."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from pacte.audit.models import AuditEvent
from pacte.sla import services
from pacte.sla.models import BusinessCalendar, CalendarException, ProviderClosure, ServiceLevel, ServiceLevelTarget
from tests.factories import OFFICE_WEEK

NBSP = "\u00a0"


@pytest.fixture
def calendar(tenant):
    return services.calendar_create(actor=tenant.manager, name="Heures ouvrées", week=OFFICE_WEEK)


def grid_post(**overrides):
    data = {
        "name": "Bureau de Metz",
        "description": "",
        "time_zone": "Europe/Paris",
        "holiday_subdivision": "57",
        "holidays_close": "on",
        "provider_closures_apply": "on",
    }
    for day in ("mon", "tue", "wed", "thu", "fri"):
        data[f"{day}_start"] = ["08:00", "13:30", ""]
        data[f"{day}_end"] = ["12:00", "18:00", ""]
    data.update(overrides)
    return data


def test_pages_are_for_the_provider_side(tenant, login, calendar):
    urls = [
        reverse("sla:calendar_list"),
        reverse("sla:calendar_detail", args=[calendar.pk]),
        reverse("sla:service_level_list"),
    ]
    for role in ("admin", "manager", "technician"):
        http = login(tenant.member(role))
        for url in urls:
            assert http.get(url).status_code == 200, (role, url)
    for role in ("client_manager", "client_user"):
        http = login(tenant.member(role))
        for url in urls:
            assert http.get(url).status_code == 404, (role, url)


def test_a_technician_reads_but_does_not_edit(tenant, login, calendar):
    http = login(tenant.technician)
    html = http.get(reverse("sla:calendar_detail", args=[calendar.pk])).content.decode()
    assert "Heures ouvrées" in html
    assert reverse("sla:calendar_update", args=[calendar.pk]) not in html
    assert http.get(reverse("sla:calendar_update", args=[calendar.pk])).status_code == 403
    assert http.get(reverse("sla:calendar_create")).status_code == 403
    assert http.post(reverse("sla:calendar_create"), grid_post()).status_code == 403
    assert BusinessCalendar.objects.count() == 1


def test_the_grid_editor_creates_a_calendar_with_several_windows_a_day(tenant, login):
    http = login(tenant.manager)
    page = http.get(reverse("sla:calendar_create")).content.decode()
    assert "<h1>Nouveau calendrier</h1>" in page
    assert 'data-day="sun"' in page
    response = http.post(reverse("sla:calendar_create"), grid_post(sat_start=["09:00"], sat_end=["12:00"]))
    calendar = BusinessCalendar.objects.get(name="Bureau de Metz")
    assert response.status_code == 302
    assert response.url == reverse("sla:calendar_detail", args=[calendar.pk])
    assert calendar.week["mon"] == [["08:00", "12:00"], ["13:30", "18:00"]]
    assert calendar.week["sat"] == [["09:00", "12:00"]]
    assert calendar.week["sun"] == []
    assert calendar.holiday_subdivision == "57"
    detail = http.get(response.url).content.decode()
    assert "08:00–12:00, 13:30–18:00" in detail
    assert "Vendredi saint" in detail  # the Moselle holiday the calendar skips


def test_a_bad_window_stays_in_the_grid_with_its_error(tenant, login):
    http = login(tenant.manager)
    response = http.post(reverse("sla:calendar_create"), grid_post(tue_start=["08:00"], tue_end=["08:00"]))
    assert response.status_code == 422
    html = response.content.decode()
    assert f"Mardi{NBSP}: «{NBSP}08:00–08:00{NBSP}» n’est pas une plage valide" in html
    assert 'name="tue_start" value="08:00"' in html
    assert not BusinessCalendar.objects.exists()


def test_the_holiday_preview_follows_the_edited_region_and_week(tenant, login):
    http = login(tenant.technician)
    params = {"holiday_subdivision": "974", "holidays_close": "on", "year": "2026"}
    params.update({f"{d}_start": "08:00" for d in ("mon", "tue", "wed", "thu", "fri")})
    params.update({f"{d}_end": "18:00" for d in ("mon", "tue", "wed", "thu", "fri")})
    html = http.get(reverse("sla:holiday_preview"), params).content.decode()
    assert "12 jours fériés en 2026" in html
    assert "Abolition de l" in html  # Réunion, Sunday 20 December 2026
    assert html.count("<mark>sauté</mark>") == 9  # the three others fall on a weekend
    open_anyway = http.get(reverse("sla:holiday_preview"), {**params, "holidays_close": ""}).content.decode()
    assert "<mark>sauté</mark>" not in open_anyway
    assert "reste ouvert" in open_anyway


def test_simulate_lists_each_closed_period_and_why(tenant, login, calendar):
    http = login(tenant.technician)
    response = http.get(
        reverse("sla:calendar_simulate", args=[calendar.pk]),
        {"start": "2026-05-13T17:00", "duration": "4", "convention": "stay"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>" not in html  # the htmx partial
    # Wednesday 17:00 + 4 business hours: 1 h on Wednesday, Ascension Thursday, 3 h on Friday.
    assert 'data-testid="due">vendredi 15 mai 2026, 11:00</output>' in html
    assert f"jour férié «{NBSP}Ascension{NBSP}»" in html
    bad = http.get(reverse("sla:calendar_simulate", args=[calendar.pk]), {"start": "demain", "duration": "x"})
    assert bad.status_code == 422


def test_exceptions_are_added_and_removed_from_the_detail_page(tenant, login, calendar):
    http = login(tenant.manager)
    url = reverse("sla:calendar_exception_create", args=[calendar.pk])
    response = http.post(
        url,
        {
            "day": "2026-12-24",
            "kind": "partial",
            "label": "Veille de Noël",
            "window_start": ["08:00", ""],
            "window_end": ["12:00", ""],
        },
    )
    assert response.status_code == 302
    exception = CalendarException.objects.get()
    assert (exception.day, exception.kind, exception.windows) == (date(2026, 12, 24), "partial", [["08:00", "12:00"]])
    again = http.post(url, {"day": "2026-12-24", "kind": "closed"})
    assert again.status_code == 422
    assert "Ce calendrier a déjà une exception à cette date." in again.content.decode()
    response = http.post(reverse("sla:calendar_exception_delete", args=[calendar.pk, exception.pk]))
    assert response.status_code == 302
    assert not CalendarException.objects.exists()


def test_provider_closures_page(tenant, login):
    http = login(tenant.admin)
    response = http.post(
        reverse("sla:closure_create"),
        {"label": "Fermeture annuelle", "start_date": "2026-12-24", "end_date": "2027-01-01"},
    )
    assert response.status_code == 302
    closure = ProviderClosure.objects.get()
    assert "Fermeture annuelle" in http.get(reverse("sla:closure_list")).content.decode()
    bad = http.post(reverse("sla:closure_create"), {"label": "x", "start_date": "2026-12-24", "end_date": "2026-12-01"})
    assert bad.status_code == 422
    assert http.post(reverse("sla:closure_delete", args=[closure.pk])).status_code == 302
    assert not ProviderClosure.objects.exists()


def test_the_service_level_grid(tenant, login, calendar):
    http = login(tenant.manager)
    data = {"name": "Premium 4h", "description": "", "calendar": calendar.pk, "warning_percent": "75"}
    for priority in ("P1", "P2", "P3", "P4"):
        for kind in ("response", "intervention", "restoration", "resolution"):
            data[f"target_{priority}_{kind}"] = ""
            data[f"basis_{priority}_{kind}"] = "business"
    data.update({"target_P1_response": "0:30", "target_P1_restoration": "4", "basis_P1_restoration": "calendar"})
    response = http.post(reverse("sla:service_level_create"), {**data, "target_P2_response": "4h75"})
    assert response.status_code == 422
    assert not ServiceLevel.objects.exists()
    response = http.post(reverse("sla:service_level_create"), data)
    level = ServiceLevel.objects.get()
    assert response.url == reverse("sla:service_level_detail", args=[level.pk])
    cell = ServiceLevelTarget.objects.get(service_level=level, priority="P1", kind="restoration")
    assert (cell.seconds, cell.basis) == (4 * 3600, "calendar")
    html = http.get(response.url).content.decode()
    assert "30 min" in html and f"4{NBSP}h" in html and "24×7" in html
    edit = http.get(reverse("sla:service_level_update", args=[level.pk])).content.decode()
    assert 'name="target_P1_response" value="0:30"' in edit
    assert AuditEvent.objects.filter(action="sla_service_level.create").count() == 1


def test_navigation_has_the_service_levels_entry_for_the_provider_side(tenant, login):
    html = login(tenant.technician).get(reverse("sla:service_level_list")).content.decode()
    assert f'<a href="{reverse("sla:service_level_list")}" aria-current="page">Niveaux de service</a>' in html


def test_the_holiday_preview_shows_the_exceptions_that_decide_a_holiday(tenant, login, calendar):
    services.provider_closure_add(
        actor=tenant.manager, start_date=date(2026, 12, 24), end_date=date(2026, 12, 31), label="Fermeture annuelle"
    )
    services.calendar_exception_add(actor=tenant.manager, calendar=calendar, day=date(2026, 5, 1), kind="closed")
    params = {"year": "2026", "holidays_close": "on", "calendar": calendar.pk, "mon_start": "08:00", "mon_end": "18:00"}
    params |= {
        f"{d}_{edge}": value
        for d in ("tue", "wed", "thu", "fri")
        for edge, value in (("start", "08:00"), ("end", "18:00"))
    }
    http = login(tenant.manager)
    with_closures = http.get(
        reverse("sla:holiday_preview"), {**params, "provider_closures_apply": "on"}
    ).content.decode()
    assert f"Noël\n<small>exception «{NBSP}Fermeture annuelle{NBSP}»</small>" in with_closures
    assert "Fête du Travail\n<small>exception</small>" in with_closures  # the calendar's own closure, no label
    without = http.get(reverse("sla:holiday_preview"), params).content.decode()
    assert "Noël\n<mark>sauté</mark>" in without
