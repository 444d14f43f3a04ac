"""The SLA settings (calendars, provider closures, service levels) in the tenant-isolation matrix.

See ``tests/matrix/__init__.py``. Provider side only: every provider role reads, its managers
write (a technician: 403); client roles get 404 on the pages and the API.
"""

from __future__ import annotations

import datetime
from typing import Any

from pacte.sla import services as sla_services
from tests.fixtures import Tenant
from tests.matrix.framework import ApiSpec, Call, PageSpec, Redirect, World, api_call, provider_page

SLA_WEEK = {day: [["08:00", "12:00"], ["13:30", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}


def calendar_form(world: World) -> dict[str, Any]:
    return {
        "name": "New calendar",
        "time_zone": "Europe/Paris",
        "holiday_subdivision": "",
        "holidays_close": "on",
        "mon_start": ["08:00", "13:30"],
        "mon_end": ["12:00", "18:00"],
    }


def service_level_form(world: World) -> dict[str, Any]:
    data: dict[str, Any] = {"name": "New level", "calendar": world.ref("calendar"), "warning_percent": "75"}
    for priority in ("P1", "P2", "P3", "P4"):
        for kind in ("response", "intervention", "restoration", "resolution"):
            data[f"target_{priority}_{kind}"] = "4" if priority == "P1" else ""
            data[f"basis_{priority}_{kind}"] = "business"
    return data


SLA_READ: dict[str, Any] = {"provider": 200, "client_side": 404, "other_admin": 404}
SLA_WRITE: dict[str, Any] = {"managers": 200, "technician": 403, "client_side": 404, "other_admin": 404}


PAGES: dict[str, PageSpec] = {
    # Back office: SLA settings (calendars, provider closures, service levels): provider side only
    "sla:service_level_list": PageSpec(
        get=Call(provider_page(provider=200, other_admin=200)),
        post=Call(provider_page(provider=405, other_admin=405)),
    ),
    "sla:service_level_create": PageSpec(
        get=Call(provider_page(managers=200, technician=403, other_admin=200)),
        # B's admin cannot name A's calendar: the form's choices are B's calendars (422).
        post=Call(
            provider_page(managers=Redirect("sla:service_level_list", exact=False), technician=403, other_admin=422),
            data=service_level_form,
            audits=1,
        ),
    ),
    "sla:service_level_detail": PageSpec(
        kwargs={"pk": "service_level"},
        get=Call(provider_page(provider=200, other_admin=404)),
        post=Call(provider_page(provider=405, other_admin=405)),
    ),
    "sla:service_level_update": PageSpec(
        kwargs={"pk": "service_level"},
        get=Call(provider_page(managers=200, technician=403, other_admin=404)),
        post=Call(
            provider_page(
                managers=Redirect("sla:service_level_detail", ("service_level",)), technician=403, other_admin=404
            ),
            data=service_level_form,
            audits=1,
        ),
    ),
    "sla:service_level_archive": PageSpec(
        kwargs={"pk": "service_level"},
        get=Call(provider_page(provider=405, other_admin=405)),
        post=Call(
            provider_page(managers=Redirect("sla:service_level_list"), technician=403, other_admin=404), audits=1
        ),
    ),
    "sla:calendar_list": PageSpec(
        get=Call(provider_page(provider=200, other_admin=200)),
        post=Call(provider_page(provider=405, other_admin=405)),
    ),
    "sla:calendar_create": PageSpec(
        get=Call(provider_page(managers=200, technician=403, other_admin=200)),
        post=Call(
            provider_page(
                managers=Redirect("sla:calendar_list", exact=False),
                technician=403,
                other_admin=Redirect("sla:calendar_list", exact=False),
            ),
            data=calendar_form,
            audits=1,
        ),
    ),
    "sla:holiday_preview": PageSpec(
        get=Call(provider_page(provider=200, other_admin=200)),
        post=Call(provider_page(provider=405, other_admin=405)),
    ),
    "sla:calendar_detail": PageSpec(
        kwargs={"pk": "calendar"},
        get=Call(provider_page(provider=200, other_admin=404)),
        post=Call(provider_page(provider=405, other_admin=405)),
    ),
    "sla:calendar_update": PageSpec(
        kwargs={"pk": "calendar"},
        get=Call(provider_page(managers=200, technician=403, other_admin=404)),
        post=Call(
            provider_page(managers=Redirect("sla:calendar_detail", ("calendar",)), technician=403, other_admin=404),
            data=calendar_form,
            audits=1,
        ),
    ),
    "sla:calendar_archive": PageSpec(
        kwargs={"pk": "spare_calendar"},
        get=Call(provider_page(provider=405, other_admin=405)),
        post=Call(provider_page(managers=Redirect("sla:calendar_list"), technician=403, other_admin=404), audits=1),
    ),
    "sla:calendar_simulate": PageSpec(
        kwargs={"pk": "calendar"},
        get=Call(provider_page(provider=200, other_admin=404)),
        post=Call(provider_page(provider=405, other_admin=405)),
    ),
    "sla:calendar_exception_create": PageSpec(
        kwargs={"pk": "calendar"},
        get=Call(provider_page(provider=405, other_admin=405)),
        post=Call(
            provider_page(
                managers=Redirect("sla:calendar_detail", ("calendar",), exact=False), technician=403, other_admin=404
            ),
            data=lambda world: {"day": "2027-02-01", "kind": "closed", "label": "Inventory"},
            audits=1,
        ),
    ),
    "sla:calendar_exception_delete": PageSpec(
        kwargs={"pk": "calendar", "exception_pk": "calendar_exception"},
        get=Call(provider_page(provider=405, other_admin=405)),
        post=Call(
            provider_page(
                managers=Redirect("sla:calendar_detail", ("calendar",), exact=False), technician=403, other_admin=404
            ),
            audits=1,
        ),
    ),
    "sla:closure_list": PageSpec(
        get=Call(provider_page(provider=200, other_admin=200)),
        post=Call(provider_page(provider=405, other_admin=405)),
    ),
    "sla:closure_create": PageSpec(
        get=Call(provider_page(provider=405, other_admin=405)),
        post=Call(
            provider_page(
                managers=Redirect("sla:closure_list"), technician=403, other_admin=Redirect("sla:closure_list")
            ),
            data=lambda world: {"label": "Inventory", "start_date": "2027-02-01", "end_date": "2027-02-02"},
            audits=1,
        ),
    ),
    "sla:closure_delete": PageSpec(
        kwargs={"pk": "closure"},
        get=Call(provider_page(provider=405, other_admin=405)),
        post=Call(provider_page(managers=Redirect("sla:closure_list"), technician=403, other_admin=404), audits=1),
    ),
}

API: dict[str, ApiSpec] = {
    # SLA settings: provider side reads, managers write; client roles see none of it.
    "GET /api/v1/sla/calendars": ApiSpec(api_call(members=200)),
    "POST /api/v1/sla/calendars": ApiSpec(
        api_call(
            members=403,
            managers=201,
            other_admin=201,
            data=lambda world: {"name": "New calendar", "week": {"mon": [["08:00", "18:00"]]}},
            audits=1,
        )
    ),
    "GET /api/v1/sla/calendars/{calendar_id}": ApiSpec(api_call(**SLA_READ), {"calendar_id": "calendar"}),
    "PATCH /api/v1/sla/calendars/{calendar_id}": ApiSpec(
        api_call(**SLA_WRITE, data=lambda world: {"description": "Updated"}, audits=1), {"calendar_id": "calendar"}
    ),
    "POST /api/v1/sla/calendars/{calendar_id}/archive": ApiSpec(
        api_call(**SLA_WRITE, audits=1), {"calendar_id": "spare_calendar"}
    ),
    "GET /api/v1/sla/service-levels": ApiSpec(api_call(members=200)),
    # The role is checked before the calendar is looked up; B's admin cannot name A's calendar (422).
    "POST /api/v1/sla/service-levels": ApiSpec(
        api_call(
            members=403,
            managers=201,
            other_admin=422,
            data=lambda world: {"name": "New level", "calendar_id": world.ref("calendar")},
            audits=1,
        )
    ),
    "GET /api/v1/sla/service-levels/{service_level_id}": ApiSpec(
        api_call(**SLA_READ), {"service_level_id": "service_level"}
    ),
    "PATCH /api/v1/sla/service-levels/{service_level_id}": ApiSpec(
        api_call(**SLA_WRITE, data=lambda world: {"description": "Updated"}, audits=1),
        {"service_level_id": "service_level"},
    ),
    "POST /api/v1/sla/service-levels/{service_level_id}/archive": ApiSpec(
        api_call(**SLA_WRITE, audits=1), {"service_level_id": "service_level"}
    ),
    # A read (it writes nothing) sent as POST: provider roles; client roles 403; B names A's calendar: 422.
    "POST /api/v1/sla/simulate": ApiSpec(
        api_call(
            provider=200,
            client_side=403,
            other_admin=422,
            data=lambda world: {"calendar_id": world.ref("calendar"), "start": "2026-05-13T15:00:00Z", "seconds": 3600},
            audits=0,
        )
    ),
}


def _sla_settings(tenant: Tenant, word: str) -> dict[str, int]:
    """A tenant's calendars (one used by a service level, one spare), an exception, a closure, a service level."""
    actor = tenant.manager
    calendar = sla_services.calendar_create(actor=actor, name=f"Calendrier {word.title()}", week=SLA_WEEK)
    spare = sla_services.calendar_create(actor=actor, name=f"Calendrier {word.title()} 2", week=SLA_WEEK)
    exception = sla_services.calendar_exception_add(
        actor=actor, calendar=calendar, day=datetime.date(2026, 8, 14), kind="closed", label=f"Pont {word.title()}"
    )
    closure = sla_services.provider_closure_add(
        actor=actor,
        start_date=datetime.date(2026, 12, 24),
        end_date=datetime.date(2026, 12, 31),
        label=f"Fermeture {word.title()}",
    )
    level = sla_services.service_level_create(
        actor=actor,
        name=f"Niveau {word.title()}",
        calendar=calendar,
        targets=[{"priority": "P1", "kind": "response", "seconds": 3600}],
    )
    return {
        "calendar": calendar.pk,
        "spare_calendar": spare.pk,
        "calendar_exception": exception.pk,
        "closure": closure.pk,
        "service_level": level.pk,
    }


def build(tenant: Tenant, provider_word: str, client_word: str) -> dict[str, int]:
    return _sla_settings(tenant, provider_word)
