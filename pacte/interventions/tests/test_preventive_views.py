"""Preventive maintenance pages (back office and portal) and API: who sees what, forms, the client's view."""

from __future__ import annotations

import datetime
import json
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from pacte.interventions import preventive, preventive_selectors
from pacte.interventions.models import Intervention, PreventivePlan, PreventiveVisit, SheetStatus, VisitStatus
from pacte.interventions.tests import helpers
from pacte.interventions.tests.helpers import asset, contract_in_force

PARIS = ZoneInfo("Europe/Paris")


def _contract(tenant: Any, **terms: Any) -> Any:
    return contract_in_force(tenant, start=timezone.localdate() - datetime.timedelta(days=30), months=24, **terms)


def _plan(tenant: Any, contract: Any = None, **kwargs: Any) -> PreventivePlan:
    kwargs.setdefault("name", "Maintenance trimestrielle")
    kwargs.setdefault("visits_per_year", 4)
    return preventive.plan_create(actor=tenant.manager, contract=contract or _contract(tenant), **kwargs)


def _year_with_three_done_one_missed(tenant: Any) -> PreventivePlan:
    """A plan whose first contract year ended with 3 visits signed: the 4th is missed."""
    start = timezone.localdate() - datetime.timedelta(days=400)
    contract = contract_in_force(tenant, start=start, months=24)
    plan = preventive.plan_create(actor=tenant.manager, contract=contract, name="Trimestrielle", visits_per_year=4)
    # Recorded when the contract started (a plan tracks the contract years from the one it was recorded in).
    PreventivePlan.objects.filter(pk=plan.pk).update(
        created_at=datetime.datetime.combine(start, datetime.time(9), tzinfo=datetime.UTC)
    )
    preventive.visits_generate(plan=plan)
    first_year = PreventiveVisit.objects.filter(plan=plan, year_start=start).order_by("sequence")
    for number, visit in enumerate(list(first_year)[:3], start=1):
        Intervention.objects.create(
            provider=tenant.provider,
            client=tenant.client,
            contract=contract,
            visit=visit,
            reference=f"INT-TEST-{number:05d}",
            title=f"Visite {number}",
            status=SheetStatus.SIGNED,
            signed_at=datetime.datetime.combine(visit.due_from, datetime.time(10), tzinfo=datetime.UTC),
            signer_name="M. Client",
        )
    preventive.visits_generate()
    return plan


# Provider pages ------------------------------------------------------------------------------------


def test_plan_list_shows_this_years_quota_with_bounded_queries(tenant, login, django_assert_max_num_queries) -> None:
    _year_with_three_done_one_missed(tenant)
    for number in range(4):
        _plan(tenant, name=f"Plan {number}")
    http = login(tenant.technician)
    with django_assert_max_num_queries(14):
        response = http.get(reverse("interventions:plan_list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Trimestrielle" in html and "Plan 3" in html
    assert 'data-testid="new-plan"' not in html  # technicians do not create plans


def test_plan_detail_lists_visits_and_schedules_one(tenant, login) -> None:
    server = asset(tenant, "SN-SRV-1")
    plan = _plan(tenant)
    visit = plan.visits.order_by("sequence").first()
    http = login(tenant.technician)
    html = http.get(reverse("interventions:plan_detail", args=[plan.pk])).content.decode()
    assert f'data-testid="schedule-{visit.sequence}"' in html and "SN-SRV-1" in html
    day = max(visit.due_from, timezone.localdate()) + datetime.timedelta(days=1)
    prefix = f"v{visit.pk}"
    data = {
        f"{prefix}-day": day.isoformat(),
        f"{prefix}-time": "09:30",
        f"{prefix}-technicians": [tenant.technician.pk],
    }
    response = http.post(reverse("interventions:visit_schedule", args=[visit.pk]), data)
    assert response.status_code == 302
    sheet = Intervention.objects.get(visit=visit)
    assert sheet.planned_start == datetime.datetime.combine(day, datetime.time(9, 30), tzinfo=PARIS)
    assert sheet.planned_end - sheet.planned_start == datetime.timedelta(minutes=plan.duration_minutes)
    assert list(sheet.assets.all()) == [server]
    assert sheet.checklist.count() == len(plan.checklist)
    visit.refresh_from_db()
    assert visit.status == VisitStatus.PLANNED
    # A second time: 409, nothing more.
    response = http.post(reverse("interventions:visit_schedule", args=[visit.pk]), data)
    assert response.status_code == 409
    assert Intervention.objects.filter(visit=visit).count() == 1


def test_schedule_outside_the_contract_is_a_form_error(tenant, login) -> None:
    contract = _contract(tenant)
    plan = _plan(tenant, contract)
    visit = plan.visits.order_by("sequence").first()
    prefix = f"v{visit.pk}"
    day = contract.start_date - datetime.timedelta(days=3)
    response = login(tenant.manager).post(
        reverse("interventions:visit_schedule", args=[visit.pk]),
        {f"{prefix}-day": day.isoformat(), f"{prefix}-time": "09:00"},
    )
    assert response.status_code == 422
    assert 'data-field="day"' in response.content.decode()
    assert not Intervention.objects.exists()


def test_schedule_over_a_busy_technician_offers_to_plan_anyway(tenant, login) -> None:
    contract = _contract(tenant)
    plan = _plan(tenant, contract)
    visit = plan.visits.order_by("sequence").first()
    prefix = f"v{visit.pk}"
    day = max(visit.due_from, timezone.localdate()) + datetime.timedelta(days=1)
    paris = ZoneInfo("Europe/Paris")
    busy = helpers.sheet(
        tenant,
        contract=contract,
        planned_start=datetime.datetime.combine(day, datetime.time(10), tzinfo=paris),
        planned_end=datetime.datetime.combine(day, datetime.time(11), tzinfo=paris),
    )
    data = {
        f"{prefix}-day": day.isoformat(),
        f"{prefix}-time": "09:00",
        f"{prefix}-technicians": [tenant.technician.pk],
    }
    http = login(tenant.manager)
    refused = http.post(reverse("interventions:visit_schedule", args=[visit.pk]), data)
    html = refused.content.decode()
    assert refused.status_code == 422 and busy.reference in html and f'name="{prefix}-allow_conflict"' in html
    assert not Intervention.objects.filter(visit=visit).exists()
    planned = http.post(
        reverse("interventions:visit_schedule", args=[visit.pk]), {**data, f"{prefix}-allow_conflict": "on"}
    )
    assert planned.status_code == 302 and Intervention.objects.filter(visit=visit).count() == 1


def test_plan_create_page_for_managers(tenant, login) -> None:
    contract = _contract(tenant)
    http = login(tenant.manager)
    page = http.get(reverse("interventions:plan_create") + f"?contract={contract.pk}")
    assert page.status_code == 200 and "os_updates" in page.content.decode()
    data = {
        "contract": contract.pk,
        "name": "Mensuelle à distance",
        "visits_per_year": 12,
        "mode": "remote",
        "duration_minutes": 60,
        "checklist": "os_updates: Mises à jour\nantivirus: Antivirus",
    }
    response = http.post(reverse("interventions:plan_create") + f"?contract={contract.pk}", data)
    assert response.status_code == 302
    plan = PreventivePlan.objects.get()
    assert plan.checklist == [
        {"code": "os_updates", "label": "Mises à jour"},
        {"code": "antivirus", "label": "Antivirus"},
    ]
    assert plan.visits.count() == 12
    # Bad input: the page again with the error, nothing saved.
    bad = http.post(reverse("interventions:plan_create"), {**data, "checklist": "Bad Code: x"})
    assert bad.status_code == 422 and 'data-field="checklist"' in bad.content.decode()
    assert PreventivePlan.objects.count() == 1
    # The technician may not.
    assert login(tenant.technician).get(reverse("interventions:plan_create")).status_code == 403


def test_plan_update_mode_not_allowed_by_contract(tenant, login) -> None:
    plan = _plan(tenant, _contract(tenant, intervention_modes=["on_site"]))
    response = login(tenant.manager).post(
        reverse("interventions:plan_update", args=[plan.pk]),
        {"name": plan.name, "visits_per_year": 4, "mode": "remote", "duration_minutes": 60, "checklist": "a: A"},
    )
    assert response.status_code == 422 and 'data-field="mode"' in response.content.decode()
    plan.refresh_from_db()
    assert plan.mode == "on_site"


def test_foreign_and_client_roles_get_404(tenant, other_tenant, login) -> None:
    plan = _plan(tenant)
    visit = plan.visits.first()
    urls = [
        reverse("interventions:plan_detail", args=[plan.pk]),
        reverse("interventions:plan_update", args=[plan.pk]),
    ]
    for url in urls:
        assert login(other_tenant.manager).get(url).status_code == 404
        assert login(tenant.client_manager).get(url).status_code == 404
    assert login(tenant.client_manager).get(reverse("interventions:plan_list")).status_code == 404
    assert login(other_tenant.manager).post(reverse("interventions:plan_archive", args=[plan.pk])).status_code == 404
    assert (
        login(other_tenant.technician).post(reverse("interventions:visit_schedule", args=[visit.pk])).status_code == 404
    )
    assert PreventivePlan.objects.get(pk=plan.pk).archived_at is None
    # The portal's page is not the provider's.
    assert login(tenant.manager).get(reverse("portal:preventive")).status_code == 404


def test_contract_page_shows_its_plans(tenant, login) -> None:
    plan = _plan(tenant)
    html = login(tenant.manager).get(reverse("contracts:contract_detail", args=[plan.contract_id])).content.decode()
    assert 'data-testid="contract-preventive"' in html and plan.name in html
    assert reverse("interventions:plan_create") + f"?contract={plan.contract_id}" in html


# Portal ----------------------------------------------------------------------------------------------


def test_portal_shows_the_missed_visit_to_the_client(tenant, login, django_assert_max_num_queries) -> None:
    """Done-when #2: with 3 done at the year's end, 1 is flagged missed and shows in the client's view."""
    plan = _year_with_three_done_one_missed(tenant)
    statuses = sorted(plan.visits.filter(year_start=plan.contract.start_date).values_list("status", flat=True))
    assert statuses == ["done", "done", "done", "missed"]
    http = login(tenant.client_manager)
    with django_assert_max_num_queries(12):
        response = http.get(reverse("portal:preventive"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-status="missed"' in html and "INT-TEST-00001" in html
    assert "visit-missed" in html
    # Both years: the previous one (3 of 4, 1 missed) and the current one.
    assert f'data-testid="year-{plan.contract.start_date:%Y-%m-%d}"' in html
    previous = preventive_selectors.plan_quota(plan, year_start=plan.contract.start_date)
    assert (previous.done, previous.missed) == (3, 1)
    # The home page links to it; the client user sees it too; the other client sees none of it.
    assert reverse("portal:preventive") in http.get(reverse("portal:home")).content.decode()
    assert "INT-TEST-00001" in login(tenant.client_user).get(reverse("portal:preventive")).content.decode()
    other = login(tenant.other_client_manager).get(reverse("portal:preventive")).content.decode()
    assert "INT-TEST-00001" not in other and plan.name not in other


def test_portal_hides_cancelled_sheets(tenant, login) -> None:
    plan = _plan(tenant)
    visit = plan.visits.order_by("sequence").first()
    Intervention.objects.create(
        provider=tenant.provider,
        client=tenant.client,
        contract=plan.contract,
        visit=visit,
        reference="INT-CANCELLED",
        title="Annulée",
        status=SheetStatus.CANCELLED,
    )
    html = login(tenant.client_manager).get(reverse("portal:preventive")).content.decode()
    assert plan.name in html and "INT-CANCELLED" not in html


# API ---------------------------------------------------------------------------------------------------


def _api(client: Any, token: str, method: str, path: str, body: Any = None) -> Any:
    kwargs: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    if body is not None:
        kwargs.update(data=json.dumps(body), content_type="application/json")
    return getattr(client, method)(path, **kwargs)


def test_api_plans_and_visits(tenant, other_tenant, api_token, client) -> None:
    contract = _contract(tenant, intervention_modes=["on_site"])
    server = asset(tenant, "SN-API")
    manager = api_token(tenant.manager)
    body = {"contract_id": contract.pk, "name": "API", "visits_per_year": 2, "asset_ids": [server.pk]}
    created = _api(client, manager, "post", "/api/v1/preventive/plans", body)
    assert created.status_code == 201, created.content
    plan = created.json()
    assert plan["asset_ids"] == [server.pk] and plan["current_year"]["promised"] == 2
    assert [item["code"] for item in plan["checklist"]][0] == "os_updates"
    # Technicians and clients may not create; a foreign contract is a 422; a mode the contract refuses too.
    assert _api(client, api_token(tenant.technician), "post", "/api/v1/preventive/plans", body).status_code == 403
    assert _api(client, api_token(tenant.client_manager), "post", "/api/v1/preventive/plans", body).status_code == 403
    assert _api(client, api_token(other_tenant.manager), "post", "/api/v1/preventive/plans", body).status_code == 422
    refused = _api(
        client, manager, "post", "/api/v1/preventive/plans", {**body, "mode": "remote", "visits_per_year": 1}
    )
    assert refused.status_code == 422 and "mode" in refused.content.decode()
    visits_path = f"/api/v1/preventive/plans/{plan['id']}/visits"
    visits = _api(client, api_token(tenant.technician), "get", visits_path)
    assert visits.status_code == 200 and [visit["sequence"] for visit in visits.json()] == [1, 2]
    assert _api(client, api_token(tenant.client_user), "get", visits_path).status_code == 200
    assert _api(client, api_token(tenant.other_client_manager), "get", visits_path).status_code == 404
    assert _api(client, api_token(other_tenant.admin), "get", visits_path).status_code == 404
    listed = _api(client, api_token(tenant.client_manager), "get", "/api/v1/preventive/plans").json()
    assert [item["id"] for item in listed["items"]] == [plan["id"]]
    assert _api(client, api_token(other_tenant.admin), "get", "/api/v1/preventive/plans").json()["items"] == []


@pytest.mark.parametrize("role", ["manager", "technician"])
def test_visit_list_page(tenant, login, role) -> None:
    plan = _plan(tenant)
    html = login(getattr(tenant, role)).get(reverse("interventions:visit_list")).content.decode()
    assert plan.name in html
