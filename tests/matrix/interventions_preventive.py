"""Interventions, preventive part, in the tenant-isolation matrix (see ``tests/matrix/__init__.py``).

A's client has a contract in force with a quarterly preventive plan (its visits generated). Every
back-office page is for provider roles (client roles: 404); creating, changing and archiving a plan
is for admins and managers (technician: 403); planning a visit is for every provider role (a sheet
with the plan's checklist: two audit events, the sheet's and the visit's). B's admin gets 404 on A's
plan and visit, 422 when it names A's contract. The portal page is for both client roles, each
seeing its own company's plans. What bad input does is tested in ``pacte/interventions/tests``.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

from pacte.interventions import preventive
from pacte.interventions.models import PreventiveVisit
from pacte.servicedesk.tests.helpers import contract_in_force
from tests.matrix.framework import ApiSpec, Call, PageSpec, Redirect, api_call, portal_page, provider_page

PLAN: dict[str, Any] = {"pk": "pv_plan"}
LIST = Redirect("interventions:plan_list", exact=False)


def _plan_form(world: Any) -> dict[str, Any]:
    return {
        "contract": world.ref("pv_contract"),
        "name": "New plan",
        "visits_per_year": 2,
        "mode": "on_site",
        "duration_minutes": 90,
        "checklist": "os_updates: Updates\nbackup_check: Backups",
    }


def _schedule_form(world: Any) -> dict[str, Any]:
    visit = PreventiveVisit.objects.get(pk=world.ref("pv_visit"))
    day = max(visit.due_from, timezone.localdate() + datetime.timedelta(days=1))
    return {f"v{visit.pk}-day": day.isoformat(), f"v{visit.pk}-time": "09:00"}


def _manager_page(managers: Any, other_admin: Any, data: Any = None, audits: int | None = None) -> Call:
    return Call(provider_page(managers=managers, technician=403, other_admin=other_admin), data=data, audits=audits)


PAGES: dict[str, PageSpec] = {
    "interventions:plan_list": PageSpec(
        get=Call(provider_page(provider=200, other_admin=200)), post=Call(provider_page(provider=405, other_admin=405))
    ),
    "interventions:visit_list": PageSpec(
        get=Call(provider_page(provider=200, other_admin=200)), post=Call(provider_page(provider=405, other_admin=405))
    ),
    # B's admin cannot name A's contract: 422 on the field, nothing saved.
    "interventions:plan_create": PageSpec(
        get=_manager_page(200, 200),
        post=_manager_page(LIST, 422, data=_plan_form, audits=1),
    ),
    "interventions:plan_detail": PageSpec(
        kwargs=PLAN,
        get=Call(provider_page(provider=200, other_admin=404)),
        post=Call(provider_page(provider=405, other_admin=405)),
    ),
    "interventions:plan_update": PageSpec(
        kwargs=PLAN,
        get=_manager_page(200, 404),
        post=_manager_page(Redirect("interventions:plan_detail", ("pv_plan",)), 404, data=_plan_form, audits=1),
    ),
    "interventions:plan_archive": PageSpec(
        kwargs=PLAN,
        get=_manager_page(405, 405),
        post=_manager_page(Redirect("interventions:plan_list"), 404, audits=1),
    ),
    # Planning a visit: the sheet (intervention.create) and the visit's event.
    "interventions:visit_schedule": PageSpec(
        kwargs={"pk": "pv_visit"},
        get=Call(provider_page(provider=405, other_admin=405)),
        post=Call(
            provider_page(provider=Redirect("interventions:plan_detail", ("pv_plan",), exact=False), other_admin=404),
            data=_schedule_form,
            audits=2,
        ),
    ),
    "portal:preventive": PageSpec(get=Call(portal_page(client_side=200)), post=Call(portal_page(client_side=405))),
}

#: A's client's plan: A's provider roles and A's client roles see it; the other client and B do not.
PLAN_READ: dict[str, Any] = {
    "provider": 200,
    "client_manager": 200,
    "client_user": 200,
    "other_client_manager": 404,
    "other_admin": 404,
}

API: dict[str, ApiSpec] = {
    "GET /api/v1/preventive/plans": ApiSpec(api_call(members=200)),
    # Admins and managers; B's admin names A's contract: 422 on contract_id.
    "POST /api/v1/preventive/plans": ApiSpec(
        api_call(
            managers=201,
            technician=403,
            client_side=403,
            other_admin=422,
            data=lambda world: {"contract_id": world.ref("pv_contract"), "name": "New plan", "visits_per_year": 2},
            audits=1,
        )
    ),
    "GET /api/v1/preventive/plans/{plan_id}/visits": ApiSpec(api_call(**PLAN_READ), {"plan_id": "pv_plan"}),
}


def build(tenant: Any, provider_word: str, client_word: str) -> dict[str, int]:
    """A contract in force for the tenant's client and its quarterly plan (visits generated)."""
    contract = contract_in_force(
        tenant,
        start=timezone.localdate() - datetime.timedelta(days=30),
        months=24,
        title=f"Maintenance {client_word.title()}",
    )
    plan = preventive.plan_create(
        actor=tenant.manager, contract=contract, name=f"Préventif {client_word.title()}", visits_per_year=4
    )
    visit = plan.visits.order_by("year_start", "sequence").first()
    assert visit is not None
    return {"pv_contract": contract.pk, "pv_plan": plan.pk, "pv_visit": visit.pk}
