"""The intervention sheets API: scoped reads, provider-only writes, 409 on a locked sheet, 422 on bad input."""

from __future__ import annotations

import datetime
import json
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from pacte.interventions import services
from pacte.interventions.models import Intervention, Mode, Part, SheetStatus, TimeEntry
from pacte.interventions.tests import helpers

PARIS = ZoneInfo("Europe/Paris")
pytestmark = pytest.mark.django_db


class Api:
    def __init__(self, token: str) -> None:
        self.http = HttpClient()
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, path: str, **params: Any) -> Any:
        return self.http.get(f"/api/v1{path}", params, headers=self.headers)

    def send(self, method: str, path: str, data: dict[str, Any] | None = None) -> Any:
        return self.http.generic(
            method, f"/api/v1{path}", json.dumps(data or {}), content_type="application/json", headers=self.headers
        )

    def post(self, path: str, data: dict[str, Any] | None = None) -> Any:
        return self.send("POST", path, data)


@pytest.fixture
def as_tech(tenant, api_token) -> Api:
    return Api(api_token(tenant.technician))


def fields(response: Any) -> set[str]:
    return {error["field"] for error in response.json()["errors"]}


def iso(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> str:
    return datetime.datetime(year, month, day, hour, minute, tzinfo=PARIS).isoformat()


def test_the_technicians_day_through_the_api(tenant, as_tech):
    response = as_tech.post(
        "/interventions",
        {"client_id": tenant.client.pk, "title": "Poste lent", "mode": "remote", "site_id": tenant.site.pk},
    )
    assert response.status_code == 201, response.content
    sheet = response.json()
    assert sheet["reference"].startswith("INT-") and sheet["status"] == "planned"
    assert set(sheet["missing"]) >= {"actions", "result", "checked_in_at", "time_entries"}
    path = f"/interventions/{sheet['id']}"
    # Check-out before check-in: 422 on checked_out_at.
    response = as_tech.post(f"{path}/check-out", {})
    assert response.status_code == 422 and fields(response) == {"checked_out_at"}
    start = timezone.now() - datetime.timedelta(hours=2)
    assert as_tech.post(f"{path}/check-in", {"at": start.isoformat()}).json()["status"] == "in_progress"
    response = as_tech.post(
        f"{path}/time-entries",
        {"started_at": start.isoformat(), "ended_at": (start + datetime.timedelta(hours=1)).isoformat()},
    )
    assert response.status_code == 201, response.content
    assert response.json()["technician_id"] == tenant.technician.pk and response.json()["minutes"] == 60
    response = as_tech.post(f"{path}/parts", {"description": "Barrette 8 Go", "quantity": "2", "unit_price": "35.50"})
    assert response.status_code == 201 and response.json()["quantity"] == "2.00"
    response = as_tech.send("PATCH", path, {"actions": "Mémoire ajoutée", "result": "resolved", "travel_minutes": 0})
    assert response.status_code == 200, response.content
    as_tech.post(f"{path}/check-out", {"at": (start + datetime.timedelta(hours=1)).isoformat()})
    response = as_tech.post(f"{path}/mark-done")
    assert response.status_code == 200, response.content
    detail = as_tech.get(path).json()
    assert detail["status"] == "done" and detail["missing"] == {}
    assert [p["description"] for p in detail["parts"]] == ["Barrette 8 Go"]
    assert len(detail["time_entries"]) == 1 and detail["checklist"] == [] and detail["patches"] == []


def test_bad_input_is_a_422_and_nothing_is_saved(tenant, as_tech):
    sheet = helpers.sheet(tenant, mode=Mode.REMOTE)
    path = f"/interventions/{sheet.pk}"
    for data, field in [
        ({"description": "Disque", "quantity": "-1"}, "quantity"),
        ({"description": "Disque", "quantity": 0}, "quantity"),
        ({"description": "", "quantity": 1}, "description"),
        ({"description": "Disque", "quantity": 1, "asset_id": 999999}, "asset_id"),
    ]:
        response = as_tech.post(f"{path}/parts", data)
        assert response.status_code == 422, data
        assert field in fields(response) or field in response.content.decode()
    assert not Part.objects.exists()
    services.time_entry_add(
        actor=tenant.technician,
        technician=tenant.technician,
        started_at=datetime.datetime(2026, 3, 3, 9, tzinfo=PARIS),
        ended_at=datetime.datetime(2026, 3, 3, 11, tzinfo=PARIS),
        sheet=sheet,
    )
    response = as_tech.post(
        f"{path}/time-entries", {"started_at": iso(2026, 3, 3, 10), "ended_at": iso(2026, 3, 3, 12)}
    )
    assert response.status_code == 422 and sheet.reference in response.content.decode()
    response = as_tech.post(f"{path}/time-entries", {"started_at": iso(2026, 3, 3, 10), "ended_at": "tomorrow"})
    assert response.status_code == 422
    response = as_tech.post("/interventions", {"client_id": tenant.client.pk, "title": "x", "mode": "teleport"})
    assert response.status_code == 422
    response = as_tech.post(f"{path}/cancel", {"reason": ""})
    assert response.status_code == 422
    assert TimeEntry.objects.count() == 1
    assert Intervention.objects.get(pk=sheet.pk).status == SheetStatus.PLANNED


def test_a_signed_sheet_is_a_409_and_unchanged(tenant, as_tech):
    sheet = helpers.sheet(tenant, mode=Mode.REMOTE)
    Intervention.objects.filter(pk=sheet.pk).update(status=SheetStatus.SIGNED, signed_at=timezone.now())
    path = f"/interventions/{sheet.pk}"
    for method, suffix, data in [
        ("PATCH", "", {"diagnosis": "Changé"}),
        ("POST", "/check-in", {}),
        ("POST", "/cancel", {"reason": "Erreur"}),
        ("POST", "/parts", {"description": "Câble", "quantity": 1}),
        ("POST", "/backup", {"check": "provider_option"}),
    ]:
        response = as_tech.send(method, path + suffix, data)
        assert response.status_code == 409, (suffix, response.content)
    sheet.refresh_from_db()
    assert sheet.diagnosis == "" and sheet.checked_in_at is None and not Part.objects.exists()


def test_client_tokens_read_their_company_only(tenant, other_tenant, api_token):
    mine = helpers.sheet(tenant)
    services.sheet_cancel(actor=tenant.manager, sheet=helpers.sheet(tenant), reason="Doublon")
    other = helpers.sheet(tenant, client=tenant.other_client, site=None)
    as_client = Api(api_token(tenant.client_manager))
    assert [s["id"] for s in as_client.get("/interventions").json()["items"]] == [mine.pk]
    assert as_client.get(f"/interventions/{mine.pk}").status_code == 200
    assert as_client.get(f"/interventions/{other.pk}").status_code == 404
    assert as_client.post(f"/interventions/{mine.pk}/check-in", {}).status_code == 403
    assert as_client.post(f"/interventions/{other.pk}/check-in", {}).status_code == 404
    assert as_client.send("PATCH", f"/interventions/{mine.pk}", {"diagnosis": "x"}).status_code == 403
    assert as_client.post("/interventions", {"client_id": tenant.client.pk, "title": "x"}).status_code == 403
    as_b = Api(api_token(other_tenant.admin))
    assert as_b.get(f"/interventions/{mine.pk}").status_code == 404
    assert as_b.get("/interventions", client_id=tenant.client.pk).json()["items"] == []
    mine.refresh_from_db()
    assert mine.status == SheetStatus.PLANNED


def test_list_filters_and_pages(tenant, as_tech):
    sheets = [helpers.sheet(tenant, title=f"Intervention {n}") for n in range(5)]
    services.sheet_check_in(actor=tenant.technician, sheet=sheets[0])
    page = as_tech.get("/interventions", limit=2).json()
    assert len(page["items"]) == 2 and page["next_cursor"]
    rest = as_tech.get("/interventions", limit=10, cursor=page["next_cursor"]).json()
    assert {s["id"] for s in page["items"] + rest["items"]} == {s.pk for s in sheets}
    assert [s["id"] for s in as_tech.get("/interventions", status="in_progress").json()["items"]] == [sheets[0].pk]
    assert as_tech.get("/interventions", status="nonsense").status_code == 422
    assert as_tech.get("/interventions", q=sheets[3].reference).json()["items"][0]["id"] == sheets[3].pk
    today = timezone.localdate().isoformat()
    assert len(as_tech.get("/interventions", date_from=today, date_to=today).json()["items"]) == 5
    assert as_tech.get("/interventions", date_from="yesterday").status_code == 422


def test_time_on_a_ticket_and_deleting_entries_and_parts(tenant, as_tech, api_token):
    ticket = helpers.ticket(tenant, actor=tenant.client_user)
    path = f"/tickets/{ticket.pk}/time-entries"
    response = as_tech.post(path, {"started_at": iso(2026, 3, 3, 17), "ended_at": iso(2026, 3, 3, 19)})
    assert response.status_code == 201, response.content
    entry = response.json()
    # No contract: the business default (Mon–Fri 8–18).
    assert (entry["minutes_in_hours"], entry["minutes_after_hours"], entry["minutes_weekend"]) == (60, 60, 0)
    assert [e["id"] for e in Api(api_token(tenant.client_user)).get(path).json()] == [entry["id"]]
    assert (
        Api(api_token(tenant.client_user))
        .post(path, {"started_at": iso(2026, 3, 4, 9), "ended_at": iso(2026, 3, 4, 10)})
        .status_code
        == 403
    )
    assert Api(api_token(tenant.other_client_manager)).get(path).status_code == 404

    sheet = helpers.sheet(tenant, mode=Mode.REMOTE)
    other = helpers.sheet(tenant, mode=Mode.REMOTE)
    part = services.part_add(actor=tenant.technician, sheet=sheet, description="Câble", quantity=1)
    sheet_entry = services.time_entry_add(
        actor=tenant.technician,
        technician=tenant.technician,
        started_at=datetime.datetime(2026, 3, 5, 9, tzinfo=PARIS),
        ended_at=datetime.datetime(2026, 3, 5, 10, tzinfo=PARIS),
        sheet=sheet,
    )
    # Named through another sheet: 404.
    assert as_tech.send("DELETE", f"/interventions/{other.pk}/parts/{part.pk}").status_code == 404
    assert as_tech.send("DELETE", f"/interventions/{other.pk}/time-entries/{sheet_entry.pk}").status_code == 404
    assert as_tech.send("DELETE", f"/interventions/{sheet.pk}/parts/{part.pk}").status_code == 204
    assert as_tech.send("DELETE", f"/interventions/{sheet.pk}/time-entries/{sheet_entry.pk}").status_code == 204
    assert not Part.objects.exists() and not TimeEntry.objects.filter(intervention=sheet).exists()


def test_backup_through_the_api(tenant, as_tech):
    contract = helpers.covered_contract(tenant)
    sheet = helpers.sheet(tenant, contract=contract)
    path = f"/interventions/{sheet.pk}"
    assert as_tech.get(path).json()["backup_blocking"] is True
    response = as_tech.post(f"{path}/parts", {"description": "Disque", "quantity": 1})
    assert response.status_code == 422 and fields(response) == {"backup_check"}
    response = as_tech.post(f"{path}/backup", {"check": "client_confirmed"})
    assert response.status_code == 422 and fields(response) == {"confirmed_by"}
    response = as_tech.post(f"{path}/backup", {"check": "client_confirmed", "confirmed_by": "Mme Durand"})
    assert response.status_code == 200 and response.json()["backup_confirmed_by"] == "Mme Durand"
    assert as_tech.post(f"{path}/parts", {"description": "Disque", "quantity": 1}).status_code == 201


def test_the_list_is_a_bounded_number_of_queries(tenant, as_tech, django_assert_max_num_queries):
    for _ in range(3):
        helpers.sheet(tenant, technicians=[tenant.technician, tenant.manager])
    with django_assert_max_num_queries(12) as few:
        assert len(as_tech.get("/interventions").json()["items"]) == 3
    for _ in range(15):
        helpers.sheet(tenant, technicians=[tenant.technician, tenant.manager])
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(as_tech.get("/interventions").json()["items"]) == 18
