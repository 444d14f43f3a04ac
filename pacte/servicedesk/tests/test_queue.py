"""The queue: its SQL query count does not grow with the rows, keyset pages have no duplicate and no gap,
and the time left is business time on each ticket's own calendar."""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from pacte.servicedesk import clock, services, settings_services
from pacte.servicedesk.models import Coverage, SlaState, Ticket
from pacte.servicedesk.tests import helpers
from pacte.servicedesk.views import PAGE_SIZE, cursor_decode, cursor_encode, queue_rows
from tests.factories import ContactFactory, SiteFactory

pytestmark = pytest.mark.django_db


def _match(pattern: str, text: str, flags: int = 0) -> re.Match[str]:
    found = re.search(pattern, text, flags)
    assert found is not None, f"{pattern!r} is not in the page"
    return found


ROW = re.compile(r'data-testid="ticket-(T-\d{4}-\d{5})"')


def _open_tickets(tenant, count: int, start: int, *, team, site) -> None:
    """Covered tickets with a service level, mixing sites, requesters, technicians and a team."""
    requester = ContactFactory(client=tenant.client, provider=tenant.provider)
    for number in range(start, start + count):
        ticket = helpers.ticket(
            tenant,
            title=f"Incident {number}",
            site=site if number % 2 else tenant.site,
            requester=requester if number % 3 else None,
            impact="high" if number % 4 == 0 else "medium",
        )
        if number % 2:
            services.ticket_assign(actor=tenant.manager, ticket=ticket, assignee=tenant.technician, team=team)


def test_the_queue_query_count_does_not_grow_with_the_rows(tenant, login):
    level = helpers.service_level(tenant)
    second_site = SiteFactory(client=tenant.client, provider=tenant.provider, time_zone="America/Martinique")
    helpers.contract_in_force(tenant, service_level=level.pk)
    team = settings_services.team_create(actor=tenant.manager, name="Support", members=[tenant.technician])
    settings_services.saved_view_create(actor=tenant.technician, name="Mes P1", query="priority=P1")
    http = login(tenant.technician)
    url = reverse("servicedesk:ticket_list")

    def measure() -> tuple[int, list[str]]:
        with CaptureQueriesContext(connection) as queries:
            response = http.get(url)
        assert response.status_code == 200
        return len(queries), ROW.findall(response.content.decode())

    _open_tickets(tenant, 5, 0, team=team, site=second_site)
    few, rows = measure()
    assert len(rows) == 5
    _open_tickets(tenant, 50, 5, team=team, site=second_site)
    many, rows = measure()
    assert len(rows) == PAGE_SIZE == 50
    assert many == few, f"5 rows: {few} queries, 50 rows: {many}"
    assert many <= 16, many
    # The rows do show a business time left, on both calendars.
    html = http.get(url).content.decode()
    assert html.count('data-sla="on_track"') + html.count('data-sla="at_risk"') >= 30


def _bulk_tickets(tenant, count: int) -> list[Ticket]:
    """Rows written straight to the table (the pages only read them): ties on the sort keys, and no due instant."""
    now = timezone.now().replace(microsecond=0)
    rows = []
    for number in range(count):
        due = None if number % 7 == 0 else now + datetime.timedelta(hours=number % 5)
        rows.append(
            Ticket(
                provider=tenant.provider,
                client=tenant.client,
                reference=f"T-2030-{number + 1:05d}",
                title=f"Ticket {number}",
                opened_at=now,
                last_activity_at=now - datetime.timedelta(minutes=number % 4),
                next_due=due,
                sla_state=SlaState.ON_TRACK if due else SlaState.NONE,
                coverage=Coverage.NO_CONTRACT,
            )
        )
    Ticket.objects.bulk_create(rows)
    return list(Ticket.objects.filter(provider=tenant.provider))


def _walk(http, query: dict[str, str]) -> list[str]:
    seen: list[str] = []
    url = reverse("servicedesk:ticket_list")
    params = dict(query)
    for _page in range(10):
        html = http.get(url, params).content.decode()
        seen += ROW.findall(html)
        found = re.search(r'href="\?([^"]*)" rel="next"', html)
        if not found:
            return seen
        cursor = _match(r"cursor=([\w-]+)", found.group(1)).group(1)
        params = {**query, "cursor": cursor}
    raise AssertionError("too many pages")


@pytest.mark.parametrize("sort", ["due", "recent"])
def test_keyset_pages_have_no_duplicate_and_no_gap(tenant, login, sort):
    tickets = _bulk_tickets(tenant, 130)
    far = timezone.now() + datetime.timedelta(days=3650)
    if sort == "due":
        expected = sorted(tickets, key=lambda t: (t.next_due is None, t.next_due or far, t.pk))
    else:
        expected = sorted(tickets, key=lambda t: (-t.last_activity_at.timestamp(), -t.pk))
    seen = _walk(login(tenant.technician), {"sort": sort} if sort != "due" else {})
    assert len(seen) == len(set(seen)) == 130
    assert seen == [t.reference for t in expected]


def test_a_cursor_from_elsewhere_is_ignored(tenant, login):
    _bulk_tickets(tenant, 3)
    http = login(tenant.technician)
    for cursor in ("garbage", "eyJ4IjoxfQ", "W10", "a" * 500):
        response = http.get(reverse("servicedesk:ticket_list"), {"cursor": cursor})
        assert response.status_code == 200
        assert len(ROW.findall(response.content.decode())) == 3
    ticket = Ticket.objects.get(reference="T-2030-00001")
    assert cursor_decode(cursor_encode("due", ticket), "recent") is None  # another sort's cursor
    decoded = cursor_decode(cursor_encode("due", ticket), "due")
    assert decoded is not None and decoded.pk == ticket.pk


def test_time_left_is_the_same_as_the_clock_module(tenant):
    level = helpers.service_level(tenant)
    helpers.contract_in_force(tenant, service_level=level.pk)
    ticket = helpers.ticket(tenant, site=tenant.site, impact="high", urgency="high")
    ticket = Ticket.objects.select_related("client", "site").get(pk=ticket.pk)
    assert ticket.next_due is not None
    now = ticket.opened_at + datetime.timedelta(minutes=10)
    (row,) = queue_rows([ticket], actor=tenant.technician, now=now)
    assert row.seconds == clock.remaining_seconds(ticket, now=now)
    later = ticket.next_due + datetime.timedelta(minutes=5)
    (row,) = queue_rows([ticket], actor=tenant.technician, now=later)
    assert row.seconds == -300 and row.state == SlaState.BREACHED
