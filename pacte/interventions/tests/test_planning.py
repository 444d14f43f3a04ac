"""Planning: sheet_plan (slot, technicians, conflicts, contract period, locks), the board, the plan form,
the technician's day, the planning API."""

from __future__ import annotations

import datetime
import json
import re
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from pacte.audit.models import AuditEvent
from pacte.core.errors import ConflictError
from pacte.interventions import planning
from pacte.interventions.models import Intervention, Mode, SheetStatus
from pacte.interventions.tests.helpers import covered_contract, sheet, ticket
from pacte.servicedesk.models import Ticket
from pacte.tenancy.models import Role
from tests import test_browser
from tests.factories import ContactFactory, MembershipFactory

PARIS = ZoneInfo("Europe/Paris")
CLIENT_ROLES = ("client_manager", "client_user", "other_client_manager")
browser = test_browser.browser  # Debian's Chromium through Playwright (the browser tests at the end)


def paris(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, tzinfo=PARIS)


def soon(days: int, hour: int = 9) -> datetime.datetime:
    """A local time ``days`` from today (inside a contract started 30 days ago for 12 months)."""
    day = timezone.localdate() + datetime.timedelta(days=days)
    return datetime.datetime.combine(day, datetime.time(hour, 0), tzinfo=PARIS)


def second_technician(tenant):
    return MembershipFactory(provider=tenant.provider, role=Role.TECHNICIAN)


# sheet_plan -----------------------------------------------------------------------------------------


def test_plan_sets_the_slot_and_technicians_and_is_audited(tenant):
    contract = covered_contract(tenant)
    other = second_technician(tenant)
    visit = sheet(tenant, contract=contract)
    start, end = soon(3), soon(3, 11)

    planned = planning.sheet_plan(actor=tenant.manager, sheet=visit, start=start, end=end, technicians=[other])

    planned.refresh_from_db()
    assert (planned.planned_start, planned.planned_end) == (start, end)
    assert list(planned.technicians.all()) == [other]
    event = AuditEvent.objects.get(action="intervention.plan", object_id=str(visit.pk))
    assert event.after["technicians"] == [other.pk]
    assert event.before["technicians"] == [tenant.technician.pk]


def test_moving_a_visit_clears_its_reminder_and_keeping_the_slot_does_not(tenant):
    contract = covered_contract(tenant)
    visit = sheet(tenant, contract=contract, planned_start=soon(2), planned_end=soon(2, 11))
    sent = timezone.now()
    Intervention.objects.filter(pk=visit.pk).update(reminder_sent_at=sent)

    planning.sheet_plan(actor=tenant.technician, sheet=visit, start=soon(2), end=soon(2, 11), technicians=None)
    visit.refresh_from_db()
    assert visit.reminder_sent_at == sent  # same slot: the reminder stands

    planning.sheet_plan(actor=tenant.technician, sheet=visit, start=soon(4), end=soon(4, 11))
    visit.refresh_from_db()
    assert visit.reminder_sent_at is None
    assert visit.planned_start == soon(4)
    assert list(visit.technicians.all()) == [tenant.technician]  # technicians=None keeps them


def test_an_overlap_is_refused_naming_the_other_sheet_unless_allowed(tenant):
    contract = covered_contract(tenant)
    first = sheet(tenant, contract=contract, planned_start=soon(5), planned_end=soon(5, 12))
    second = sheet(tenant, contract=contract, title="Installation du poste")

    with pytest.raises(ValidationError) as caught:
        planning.sheet_plan(actor=tenant.manager, sheet=second, start=soon(5, 11), end=soon(5, 13))

    (error,) = caught.value.error_dict["planned_start"]
    assert error.code == planning.CONFLICT
    assert first.reference in error.messages[0]
    second.refresh_from_db()
    assert second.planned_start is None  # nothing saved
    assert not AuditEvent.objects.filter(action="intervention.plan").exists()

    planning.sheet_plan(actor=tenant.manager, sheet=second, start=soon(5, 11), end=soon(5, 13), allow_conflict=True)
    second.refresh_from_db()
    assert second.planned_start == soon(5, 11)
    assert AuditEvent.objects.get(action="intervention.plan").after["conflict_accepted"] is True


def test_conflicts_ignore_touching_slots_cancelled_sheets_other_technicians_and_the_sheet_itself(tenant):
    contract = covered_contract(tenant)
    other = second_technician(tenant)
    before = sheet(tenant, contract=contract, planned_start=soon(6, 8), planned_end=soon(6, 10))
    cancelled = sheet(tenant, contract=contract, planned_start=soon(6, 10), planned_end=soon(6, 12))
    Intervention.objects.filter(pk=cancelled.pk).update(status=SheetStatus.CANCELLED)
    sheet(tenant, contract=contract, technicians=[other], planned_start=soon(6, 10), planned_end=soon(6, 12))
    overlapping = sheet(tenant, contract=contract, planned_start=soon(6, 11), planned_end=soon(6, 13))

    found = planning.conflicts(technician=tenant.technician, start=soon(6, 10), end=soon(6, 12))
    assert found == [overlapping]
    assert before not in found
    assert (
        planning.conflicts(
            technician=tenant.technician, start=soon(6, 11), end=soon(6, 12), exclude_sheet_id=overlapping.pk
        )
        == []
    )


def test_a_slot_outside_the_contract_period_is_refused_with_nothing_saved(tenant):
    start = timezone.localdate() + datetime.timedelta(days=20)
    contract = covered_contract(tenant, start=start)
    visit = sheet(tenant, contract=contract)

    with pytest.raises(ValidationError) as caught:
        planning.sheet_plan(actor=tenant.manager, sheet=visit, start=soon(3), end=soon(3, 11))

    assert "planned_start" in caught.value.error_dict
    assert start.strftime("%d/%m/%Y") in caught.value.error_dict["planned_start"][0].messages[0]
    visit.refresh_from_db()
    assert visit.planned_start is None
    assert not AuditEvent.objects.filter(action="intervention.plan").exists()
    planning.sheet_plan(actor=tenant.manager, sheet=visit, start=soon(21), end=soon(21, 11))  # inside: fine


def test_bad_slots_and_technicians_are_refused(tenant, other_tenant):
    visit = sheet(tenant)
    with pytest.raises(ValidationError) as caught:
        planning.sheet_plan(actor=tenant.manager, sheet=visit, start=soon(3, 11), end=soon(3, 9))
    assert "planned_end" in caught.value.error_dict
    with pytest.raises(ValidationError) as caught:
        planning.sheet_plan(actor=tenant.manager, sheet=visit, start=soon(3), end=None)
    assert "planned_end" in caught.value.error_dict
    for stranger in (other_tenant.technician, tenant.client_manager):
        with pytest.raises(ValidationError) as caught:
            planning.sheet_plan(
                actor=tenant.manager, sheet=visit, start=soon(3), end=soon(3, 11), technicians=[stranger]
            )
        assert "technicians" in caught.value.error_dict
    tenant.technician.is_active = False
    tenant.technician.save()
    with pytest.raises(ValidationError):
        planning.sheet_plan(
            actor=tenant.manager, sheet=visit, start=soon(3), end=soon(3, 11), technicians=[tenant.technician]
        )
    visit.refresh_from_db()
    assert visit.planned_start is None


def test_signed_or_cancelled_sheets_are_locked_and_clients_or_strangers_may_not_plan(tenant, other_tenant):
    visit = sheet(tenant)
    Intervention.objects.filter(pk=visit.pk).update(status=SheetStatus.SIGNED, signed_at=timezone.now())
    with pytest.raises(ConflictError):
        planning.sheet_plan(actor=tenant.manager, sheet=visit, start=soon(3), end=soon(3, 11))
    Intervention.objects.filter(pk=visit.pk).update(status=SheetStatus.CANCELLED)
    with pytest.raises(ConflictError):
        planning.sheet_plan(actor=tenant.manager, sheet=visit, start=soon(3), end=soon(3, 11))
    fresh = sheet(tenant)
    with pytest.raises(PermissionDenied):
        planning.sheet_plan(actor=tenant.client_manager, sheet=fresh, start=soon(3), end=soon(3, 11))
    with pytest.raises(PermissionDenied):
        planning.sheet_plan(actor=other_tenant.admin, sheet=fresh, start=soon(3), end=soon(3, 11))
    fresh.refresh_from_db()
    assert fresh.planned_start is None


def test_planning_leaves_a_waiting_ticket_as_it_is(tenant):
    covered_contract(tenant)
    call = ticket(tenant)
    Ticket.objects.filter(pk=call.pk).update(status="waiting_client")
    visit = sheet(tenant, ticket=call)

    planning.sheet_plan(actor=tenant.technician, sheet=visit, start=soon(1), end=soon(1, 10))

    call.refresh_from_db()
    assert call.status == "waiting_client"


# The board --------------------------------------------------------------------------------------------


def test_the_board_shows_the_week_per_technician_with_conflicts_and_unplanned_sheets(tenant, login):
    other = second_technician(tenant)
    monday = paris(2026, 12, 7).date()
    a = sheet(tenant, planned_start=paris(2026, 12, 7, 9), planned_end=paris(2026, 12, 7, 11))
    b = sheet(tenant, planned_start=paris(2026, 12, 7, 10), planned_end=paris(2026, 12, 7, 12), title="Autre")
    c = sheet(tenant, technicians=[other], planned_start=paris(2026, 12, 9, 14), planned_end=paris(2026, 12, 9, 15))
    nobody = sheet(tenant, technicians=[], planned_start=paris(2026, 12, 10, 8), planned_end=paris(2026, 12, 10, 9))
    loose = sheet(tenant, title="À planifier")
    next_week = sheet(tenant, planned_start=paris(2026, 12, 14, 9), planned_end=paris(2026, 12, 14, 10))

    response = login(tenant.manager).get(reverse("interventions:board"), {"week": "2026-W50"})

    assert response.status_code == 200
    body = response.content.decode()
    board = response.context["board"]
    assert board.monday == monday
    assert board.conflicts == 2
    row = next(r for r in board.rows if r.technician == tenant.technician)
    assert [card.sheet for card in row.cells[0].cards] == [a, b]
    assert all(card.conflict for card in row.cells[0].cards)
    assert f'id="card-{a.pk}-{tenant.technician.pk}-20261207"' in body
    assert f'id="card-{c.pk}-{other.pk}-20261209"' in body
    assert f'id="card-{nobody.pk}-none-20261210"' in body
    assert f'id="unplanned-{loose.pk}"' in body
    assert f"card-{next_week.pk}-" not in body
    assert "board-conflict" in body
    assert 'href="?week=2026-W49' in body and 'href="?week=2026-W51' in body


def test_the_board_places_times_right_across_a_dst_change(tenant, login):
    """Week 44 of 2026 holds the change to winter time (Sunday 25 October): local times stay local."""
    friday = sheet(tenant, planned_start=paris(2026, 10, 23, 9), planned_end=paris(2026, 10, 23, 10))
    monday = sheet(tenant, planned_start=paris(2026, 10, 26, 9), planned_end=paris(2026, 10, 26, 10))
    late_sunday = sheet(tenant, planned_start=paris(2026, 11, 1, 23), planned_end=paris(2026, 11, 1, 23, 30))
    assert friday.planned_start.astimezone(datetime.UTC).hour == 7
    assert monday.planned_start.astimezone(datetime.UTC).hour == 8

    http = login(tenant.technician)
    week43 = http.get(reverse("interventions:board"), {"week": "2026-W43"}).content.decode()
    week44 = http.get(reverse("interventions:board"), {"week": "2026-W44"})
    body = week44.content.decode()

    assert f'id="card-{friday.pk}-{tenant.technician.pk}-20261023"' in week43
    row = next(r for r in week44.context["board"].rows if r.technician == tenant.technician)
    assert [card.sheet for card in row.cells[0].cards] == [monday]
    assert [card.sheet for card in row.cells[6].cards] == [late_sunday]  # 23:00 on Sunday, not Monday
    assert 'data-time="09:00" data-duration="60"' in body
    assert "23:00" in body


def test_the_board_query_count_does_not_grow_with_the_sheets(tenant, login, django_assert_max_num_queries):
    http = login(tenant.manager)
    for index in range(25):
        day = paris(2026, 12, 7 + index % 5, 8 + index % 8)
        technicians = [tenant.technician] if index % 3 else [second_technician(tenant)]
        sheet(tenant, technicians=technicians, planned_start=day, planned_end=day + datetime.timedelta(hours=1))
        sheet(tenant, title=f"Sans date {index}")
    with django_assert_max_num_queries(12):
        response = http.get(reverse("interventions:board"), {"week": "2026-W50"})
    assert response.status_code == 200
    assert len(response.context["board"].unplanned) == 25


def test_the_board_filters_one_technician_and_ignores_bad_parameters(tenant, login):
    other = second_technician(tenant)
    mine = sheet(tenant, planned_start=paris(2026, 12, 8), planned_end=paris(2026, 12, 8, 10))
    theirs = sheet(tenant, technicians=[other], planned_start=paris(2026, 12, 8), planned_end=paris(2026, 12, 8, 10))
    http = login(tenant.technician)

    body = http.get(reverse("interventions:board"), {"week": "2026-W50", "technician": other.pk}).content.decode()
    assert f"card-{theirs.pk}-" in body and f"card-{mine.pk}-" not in body

    response = http.get(reverse("interventions:board"), {"week": "nonsense", "technician": "x"})
    assert response.status_code == 200
    today = timezone.localdate()
    assert response.context["board"].monday == today - datetime.timedelta(days=today.weekday())


@pytest.mark.parametrize("role", CLIENT_ROLES)
def test_client_roles_have_no_board_day_or_plan_page(tenant, login, role):
    visit = sheet(tenant)
    http = login(tenant.member(role))
    assert http.get(reverse("interventions:board")).status_code == 404
    assert http.get(reverse("interventions:my_day")).status_code == 404
    assert http.get(reverse("interventions:sheet_plan", args=[visit.pk])).status_code == 404
    assert http.post(reverse("interventions:sheet_plan", args=[visit.pk]), {}).status_code == 404


# The plan form -----------------------------------------------------------------------------------------


def test_the_plan_form_plans_in_local_time_and_asks_before_planning_over_a_conflict(tenant, login):
    contract = covered_contract(tenant)
    day = timezone.localdate() + datetime.timedelta(days=7)
    taken = sheet(tenant, contract=contract, planned_start=soon(7, 9), planned_end=soon(7, 11))
    visit = sheet(tenant, contract=contract)
    http = login(tenant.manager)
    url = reverse("interventions:sheet_plan", args=[visit.pk])
    assert http.get(url).status_code == 200
    data = {"start": f"{day}T10:00", "end": f"{day}T12:00", "technicians": [tenant.technician.pk], "week": ""}

    refused = http.post(url, data)
    assert refused.status_code == 422
    assert b'id="conflict-box"' in refused.content
    assert taken.reference.encode() in refused.content
    visit.refresh_from_db()
    assert visit.planned_start is None

    accepted = http.post(url, {**data, "allow_conflict": "on"})
    assert accepted.status_code == 302
    assert accepted["Location"].startswith(reverse("interventions:board") + "?week=")
    visit.refresh_from_db()
    assert visit.planned_start == soon(7, 10)


def test_drag_and_drop_posts_get_json_answers(tenant, login):
    other = second_technician(tenant)
    contract = covered_contract(tenant)
    day = timezone.localdate() + datetime.timedelta(days=8)
    visit = sheet(tenant, contract=contract, planned_start=soon(8, 9), planned_end=soon(8, 10))
    sheet(tenant, contract=contract, technicians=[other], planned_start=soon(8, 14), planned_end=soon(8, 16))
    http = login(tenant.technician)
    url = reverse("interventions:sheet_plan", args=[visit.pk])
    data = {"start": f"{day}T14:30", "end": f"{day}T15:30", "technicians": [other.pk]}

    conflict = http.post(url, data, headers={"X-Board": "1"})
    assert conflict.status_code == 422
    assert conflict.json()["conflict"] is True

    moved = http.post(url, {**data, "allow_conflict": "on"}, headers={"X-Board": "1"})
    assert moved.json() == {"ok": True, "sheet": visit.pk}
    visit.refresh_from_db()
    assert list(visit.technicians.all()) == [other]
    assert visit.planned_start == soon(8, 14) + datetime.timedelta(minutes=30)


def test_the_plan_form_refuses_a_locked_sheet_with_409_and_a_foreign_one_with_404(tenant, other_tenant, login):
    visit = sheet(tenant)
    Intervention.objects.filter(pk=visit.pk).update(status=SheetStatus.SIGNED, signed_at=timezone.now())
    day = timezone.localdate() + datetime.timedelta(days=2)
    data = {"start": f"{day}T09:00", "end": f"{day}T10:00", "technicians": [tenant.technician.pk]}
    assert login(tenant.manager).post(reverse("interventions:sheet_plan", args=[visit.pk]), data).status_code == 409
    foreign = login(other_tenant.admin)
    assert foreign.get(reverse("interventions:sheet_plan", args=[visit.pk])).status_code == 404
    assert foreign.post(reverse("interventions:sheet_plan", args=[visit.pk]), data).status_code == 404


def test_a_nonexistent_local_time_is_refused(tenant, login):
    visit = sheet(tenant)
    url = reverse("interventions:sheet_plan", args=[visit.pk])
    response = login(tenant.manager).post(
        url, {"start": "2027-03-28T02:30", "end": "2027-03-28T04:00", "technicians": [tenant.technician.pk]}
    )
    assert response.status_code == 422
    visit.refresh_from_db()
    assert visit.planned_start is None


# The technician's day ----------------------------------------------------------------------------------


def test_my_day_lists_the_technicians_sheets_of_the_day_for_a_phone(tenant, login, django_assert_max_num_queries):
    tenant.site.address, tenant.site.postal_code, tenant.site.city = "12 rue des Lilas", "57000", "Metz"
    tenant.site.save()
    ContactFactory(client=tenant.client, provider=tenant.provider, site=tenant.site, phone="03 87 00 00 00")
    other = second_technician(tenant)
    morning = sheet(tenant, planned_start=paris(2026, 12, 8, 9), planned_end=paris(2026, 12, 8, 11))
    remote = sheet(tenant, mode=Mode.REMOTE, planned_start=paris(2026, 12, 8, 14), planned_end=paris(2026, 12, 8, 15))
    checked_in = sheet(tenant, title="Urgence")
    Intervention.objects.filter(pk=checked_in.pk).update(
        status=SheetStatus.IN_PROGRESS, checked_in_at=paris(2026, 12, 8, 16)
    )
    theirs = sheet(tenant, technicians=[other], planned_start=paris(2026, 12, 8, 9), planned_end=paris(2026, 12, 8, 10))
    tomorrow = sheet(tenant, planned_start=paris(2026, 12, 9, 9), planned_end=paris(2026, 12, 9, 10))
    http = login(tenant.technician)

    with django_assert_max_num_queries(12):
        response = http.get(reverse("interventions:my_day"), {"date": "2026-12-08"})

    assert response.status_code == 200
    assert response.context["sheets"] == [morning, remote, checked_in]
    body = response.content.decode()
    for shown in (morning, remote, checked_in):
        assert f'id="open-sheet-{shown.pk}"' in body
        assert reverse("interventions:sheet_detail", args=[shown.pk]) in body
    assert f"open-sheet-{theirs.pk}" not in body and f"open-sheet-{tomorrow.pk}" not in body
    assert "openstreetmap.org/search?query=12%20rue%20des%20Lilas" in body
    assert 'href="tel:0387000000"' in body
    assert 'href="?date=2026-12-07"' in body and 'href="?date=2026-12-09"' in body
    assert "width=device-width" in body


# The API ---------------------------------------------------------------------------------------------


def _api(client, token, method, path, body=None):
    headers = {"Authorization": f"Bearer {token}"}
    if method == "get":
        return client.get(path, body or {}, headers=headers)
    return client.post(path, json.dumps(body or {}), content_type="application/json", headers=headers)


def test_the_planning_api_lists_and_plans(tenant, client, api_token):
    contract = covered_contract(tenant)
    day = timezone.localdate() + datetime.timedelta(days=9)
    busy = sheet(tenant, contract=contract, planned_start=soon(9, 9), planned_end=soon(9, 11))
    visit = sheet(tenant, contract=contract)
    token = api_token(tenant.technician)

    conflict = _api(
        client,
        token,
        "post",
        f"/api/v1/interventions/{visit.pk}/plan",
        {"start": f"{day}T10:00", "end": f"{day}T12:00"},
    )
    assert conflict.status_code == 422
    assert busy.reference in conflict.json()["errors"][0]["message"]
    assert conflict.json()["errors"][0]["field"] == "start"

    planned = _api(
        client,
        token,
        "post",
        f"/api/v1/interventions/{visit.pk}/plan",
        {"start": f"{day}T10:00:00+01:00", "end": f"{day}T12:00:00+01:00", "allow_conflict": True},
    )
    assert planned.status_code == 200, planned.content
    assert planned.json()["technician_ids"] == [tenant.technician.pk]

    listed = _api(client, token, "get", "/api/v1/planning", {"start": f"{day}T00:00", "end": f"{day}T23:59"})
    assert listed.status_code == 200
    rows = {row["id"]: row for row in listed.json()}
    assert set(rows) == {busy.pk, visit.pk}
    assert rows[visit.pk]["conflict"] is True

    bad = _api(client, token, "post", f"/api/v1/interventions/{visit.pk}/plan", {"start": "tomorrow", "end": "x"})
    assert bad.status_code == 422
    too_long = _api(client, token, "get", "/api/v1/planning", {"start": "2026-01-01T00:00", "end": "2026-12-31T00:00"})
    assert too_long.status_code == 422


def test_the_planning_api_refuses_locked_sheets_and_client_roles(tenant, client, api_token):
    visit = sheet(tenant)
    Intervention.objects.filter(pk=visit.pk).update(status=SheetStatus.SIGNED, signed_at=timezone.now())
    body = {"start": "2026-12-15T09:00", "end": "2026-12-15T10:00"}
    path = f"/api/v1/interventions/{visit.pk}/plan"
    assert _api(client, api_token(tenant.manager), "post", path, body).status_code == 409
    assert _api(client, api_token(tenant.client_manager), "post", path, body).status_code == 403
    assert _api(client, api_token(tenant.other_client_manager), "post", path, body).status_code == 404
    listing = {"start": "2026-12-15T00:00", "end": "2026-12-16T00:00"}
    assert _api(client, api_token(tenant.client_manager), "get", "/api/v1/planning", listing).status_code == 403


# In a real browser ------------------------------------------------------------------------------------


def _browser_session(browser, live_server, membership, **options):
    """A browser context logged in as ``membership`` (the session cookie of a Django test client)."""
    from django.test import Client as HttpClient

    http = HttpClient()
    http.force_login(membership.user)
    session = http.session
    session["pacte_membership_id"] = membership.pk
    session.save()
    context = browser.new_context(locale="fr-FR", **options)
    context.set_default_timeout(10_000)
    context.add_cookies([{"name": "sessionid", "value": http.cookies["sessionid"].value, "url": live_server.url}])
    return context


@pytest.mark.browser
def test_drag_and_drop_moves_and_reassigns_a_sheet_and_asks_before_a_conflict(browser, live_server, transactional_db):
    from playwright.sync_api import expect

    from tests.fixtures import make_tenant

    tenant = make_tenant("A")
    other = second_technician(tenant)
    visit = sheet(tenant, planned_start=paris(2026, 12, 7, 9), planned_end=paris(2026, 12, 7, 11))
    busy = sheet(tenant, technicians=[other], planned_start=paris(2026, 12, 9, 10), planned_end=paris(2026, 12, 9, 12))
    loose = sheet(tenant, title="À planifier")
    context = _browser_session(browser, live_server, tenant.manager, viewport={"width": 1400, "height": 900})
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}{reverse('interventions:board')}?week=2026-W50")
        card = page.locator(f"#card-{visit.pk}-{tenant.technician.pk}-20261207")
        expect(card).to_be_visible()
        test_browser._screenshot(page, "planning-board.png")

        # Monday → Tuesday, same technician: moved, the time of day kept.
        card.drag_to(page.locator(f'#row-{tenant.technician.pk} td[data-date="2026-12-08"]'))
        expect(page.locator(f"#card-{visit.pk}-{tenant.technician.pk}-20261208")).to_be_visible()
        visit.refresh_from_db()
        assert visit.planned_start == paris(2026, 12, 8, 9)

        # Onto the other technician's Wednesday, where they are busy from 10:00: "plan anyway?" — yes.
        questions: list[str] = []
        page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.accept()))
        page.locator(f"#card-{visit.pk}-{tenant.technician.pk}-20261208").drag_to(
            page.locator(f'#row-{other.pk} td[data-date="2026-12-09"]')
        )
        expect(page.locator(f"#card-{visit.pk}-{other.pk}-20261209")).to_be_visible()
        assert busy.reference in questions[0]
        expect(page.locator(f"#card-{busy.pk}-{other.pk}-20261209")).to_have_class(re.compile("board-conflict"))
        visit.refresh_from_db()
        assert list(visit.technicians.all()) == [other]
        assert visit.planned_start == paris(2026, 12, 9, 9)

        # An unplanned sheet dragged onto a day: planned at 09:00 for two hours.
        page.locator(f"#unplanned-{loose.pk}").drag_to(
            page.locator(f'#row-{tenant.technician.pk} td[data-date="2026-12-11"]')
        )
        expect(page.locator(f"#card-{loose.pk}-{tenant.technician.pk}-20261211")).to_be_visible()
        loose.refresh_from_db()
        assert (loose.planned_start, loose.planned_end) == (paris(2026, 12, 11, 9), paris(2026, 12, 11, 11))
    finally:
        context.close()


@pytest.mark.browser
def test_my_day_fits_a_phone(browser, live_server, transactional_db):
    from playwright.sync_api import expect

    from tests.fixtures import make_tenant

    tenant = make_tenant("A")
    tenant.site.address, tenant.site.postal_code, tenant.site.city = "12 rue des Lilas", "57000", "Metz"
    tenant.site.save()
    ContactFactory(client=tenant.client, provider=tenant.provider, site=tenant.site, phone="03 87 00 00 00")
    day = timezone.localdate()
    first = sheet(
        tenant,
        planned_start=datetime.datetime.combine(day, datetime.time(9), PARIS),
        planned_end=datetime.datetime.combine(day, datetime.time(11), PARIS),
    )
    sheet(
        tenant,
        mode=Mode.REMOTE,
        title="Contrôle à distance des sauvegardes du serveur de fichiers",
        planned_start=datetime.datetime.combine(day, datetime.time(14), PARIS),
        planned_end=datetime.datetime.combine(day, datetime.time(15), PARIS),
    )
    context = _browser_session(
        browser,
        live_server,
        tenant.technician,
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}{reverse('interventions:my_day')}")
        expect(page.get_by_test_id("day-sheet")).to_have_count(2)
        expect(page.locator(f"#open-sheet-{first.pk}")).to_be_visible()
        expect(page.locator(f"#maps-{first.pk}")).to_have_attribute("href", re.compile("openstreetmap"))
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        test_browser._screenshot(page, "planning-my-day-mobile.png")
        assert overflow <= 0, f"the page scrolls sideways by {overflow}px at 390px"
        width = page.locator(f"#open-sheet-{first.pk}").bounding_box()["width"]
        assert width > 300  # the big button across the phone
        page.locator("#next-day").click()
        expect(page.locator("#day-empty")).to_be_visible()
    finally:
        context.close()


def test_a_sheet_of_a_deactivated_technician_stays_on_the_board(tenant, login):
    leaver = second_technician(tenant)
    visit = sheet(tenant, technicians=[leaver], planned_start=paris(2026, 12, 8), planned_end=paris(2026, 12, 8, 10))
    leaver.is_active = False
    leaver.save()
    body = login(tenant.manager).get(reverse("interventions:board"), {"week": "2026-W50"}).content.decode()
    assert f'id="card-{visit.pk}-none-20261208"' in body
