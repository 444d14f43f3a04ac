"""Calendar feeds: secret token URLs (hash only), revocation, the iCalendar content across DST changes,
scoping (a feed never lists another provider's or another technician's sheets), the feeds page."""

from __future__ import annotations

import datetime
import hashlib
from zoneinfo import ZoneInfo

import icalendar
import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from pacte.audit.models import AuditEvent
from pacte.interventions import feeds
from pacte.interventions.models import (
    CalendarFeed,
    FeedKind,
    Intervention,
    PreventivePlan,
    PreventiveVisit,
    SheetStatus,
)
from pacte.interventions.tests.helpers import sheet
from pacte.servicedesk.tests.helpers import contract_in_force
from pacte.tenancy.models import Role
from tests.factories import MembershipFactory

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime.datetime(2026, 10, 1, 12, 0, tzinfo=datetime.UTC)


def paris(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, tzinfo=PARIS)


def slot(start: datetime.datetime, hours: int = 2) -> dict[str, datetime.datetime]:
    return {"planned_start": start, "planned_end": start + datetime.timedelta(hours=hours)}


def parse(body: bytes) -> tuple[icalendar.Calendar, dict[str, icalendar.Event]]:
    calendar = icalendar.Calendar.from_ical(body)
    return calendar, {str(event["uid"]): event for event in calendar.walk("VEVENT")}


def uid(sheet_: Intervention) -> str:
    return f"intervention-{sheet_.pk}@127.0.0.1"


# The calendar ---------------------------------------------------------------------------------------


def test_a_technician_feed_places_visits_right_in_paris_across_both_dst_changes(tenant, client):
    before_autumn = sheet(tenant, **slot(paris(2026, 10, 23, 9)))  # CEST, UTC+2
    after_autumn = sheet(tenant, **slot(paris(2026, 10, 26, 9)))  # CET, UTC+1
    before_spring = sheet(tenant, **slot(paris(2027, 3, 26, 9)))  # CET
    after_spring = sheet(tenant, **slot(paris(2027, 3, 29, 9)))  # CEST
    _feed, token = feeds.feed_create(actor=tenant.technician, kind=FeedKind.TECHNICIAN)

    with time_machine.travel(NOW, tick=False):  # the feed runs from 30 days ago to a year ahead
        response = client.get(reverse("interventions:feed_ics", args=[token]))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar, events = parse(response.content)
    expected_utc = {
        before_autumn: datetime.datetime(2026, 10, 23, 7, 0, tzinfo=datetime.UTC),
        after_autumn: datetime.datetime(2026, 10, 26, 8, 0, tzinfo=datetime.UTC),
        before_spring: datetime.datetime(2027, 3, 26, 8, 0, tzinfo=datetime.UTC),
        after_spring: datetime.datetime(2027, 3, 29, 7, 0, tzinfo=datetime.UTC),
    }
    for visit, instant in expected_utc.items():
        event = events[uid(visit)]
        start = event.decoded("dtstart")
        assert start.astimezone(datetime.UTC) == instant
        assert (start.hour, start.minute) == (9, 0)  # 09:00 local either side of the change
        assert event["dtstart"].params["TZID"] == "Europe/Paris"
        assert event.decoded("dtend") - start == datetime.timedelta(hours=2)
        assert str(event["status"]) == "CONFIRMED"
        assert str(event["summary"]) == f"{visit.reference} · {tenant.client.name}"
    (vtimezone,) = calendar.walk("VTIMEZONE")
    assert str(vtimezone["tzid"]) == "Europe/Paris"
    # The feed's own VTIMEZONE, read by icalendar alone, gives the same instants.
    raw = response.content.decode()
    assert "DTSTART;TZID=Europe/Paris:20261026T090000" in raw
    assert "TZOFFSETTO:+0100" in raw and "TZOFFSETTO:+0200" in raw


def test_the_feed_content_uid_location_sequence_and_cancelled_sheets(tenant, client):
    tenant.site.address, tenant.site.postal_code, tenant.site.city = "3 place Stanislas", "54000", "Nancy"
    tenant.site.save()
    visit = sheet(tenant, **slot(timezone.now() + datetime.timedelta(days=5)))
    cancelled = sheet(tenant, **slot(timezone.now() + datetime.timedelta(days=6)))
    Intervention.objects.filter(pk=cancelled.pk).update(status=SheetStatus.CANCELLED)
    _feed, token = feeds.feed_create(actor=tenant.technician, kind=FeedKind.TECHNICIAN)
    url = reverse("interventions:feed_ics", args=[token])

    _calendar, events = parse(client.get(url).content)
    event = events[uid(visit)]
    assert "3 place Stanislas" in str(event["location"]) and "Nancy" in str(event["location"])
    assert visit.title in str(event["description"])
    assert str(events[uid(cancelled)]["status"]) == "CANCELLED"
    first_sequence = int(event["sequence"])

    Intervention.objects.filter(pk=visit.pk).update(updated_at=timezone.now() + datetime.timedelta(minutes=5))
    _calendar, again = parse(client.get(url).content)
    assert int(again[uid(visit)]["sequence"]) > first_sequence
    assert set(again) == set(events)  # UIDs are stable


def test_a_technician_feed_lists_only_their_sheets_of_their_provider_in_the_window(tenant, other_tenant, client):
    colleague = MembershipFactory(provider=tenant.provider, role=Role.TECHNICIAN)
    now = timezone.now()
    mine = sheet(tenant, **slot(now + datetime.timedelta(days=2)))
    recent = sheet(tenant, **slot(now - datetime.timedelta(days=20)))
    old = sheet(tenant, **slot(now - datetime.timedelta(days=40)))
    far = sheet(tenant, **slot(now + datetime.timedelta(days=400)))
    unplanned = sheet(tenant)
    theirs = sheet(tenant, technicians=[colleague], **slot(now + datetime.timedelta(days=2)))
    foreign = sheet(other_tenant, **slot(now + datetime.timedelta(days=2)))
    _feed, token = feeds.feed_create(actor=other_tenant.technician, kind=FeedKind.TECHNICIAN)
    _mine_feed, my_token = feeds.feed_create(actor=tenant.technician, kind=FeedKind.TECHNICIAN)

    _calendar, events = parse(client.get(reverse("interventions:feed_ics", args=[my_token])).content)
    assert set(events) == {uid(mine), uid(recent)}
    for hidden in (old, far, unplanned, theirs, foreign):
        assert uid(hidden) not in events

    _calendar, foreign_events = parse(client.get(reverse("interventions:feed_ics", args=[token])).content)
    assert set(foreign_events) == {uid(foreign)}
    assert tenant.client.name not in client.get(reverse("interventions:feed_ics", args=[token])).content.decode()


def test_a_client_feed_lists_its_preventive_visits_without_internal_notes(tenant, client):
    contract = contract_in_force(tenant, start=datetime.date(2026, 1, 1))
    plan = PreventivePlan.objects.create(provider=tenant.provider, contract=contract, name="Trimestriel")
    visits = [
        PreventiveVisit.objects.create(
            provider=tenant.provider,
            client=tenant.client,
            contract=contract,
            plan=plan,
            year_start=datetime.date(2026, 1, 1),
            year_end=datetime.date(2026, 12, 31),
            sequence=number,
            due_from=datetime.date(2026, 3 * number - 2, 1),
            due_until=datetime.date(2026, 3 * number, 28),
        )
        for number in (1, 2, 3, 4)
    ]
    start = timezone.now() + datetime.timedelta(days=3)
    planned = sheet(tenant, contract=contract, visit=visits[3], **slot(start))
    Intervention.objects.filter(pk=planned.pk).update(follow_up_notes="Client difficile, secret interne")
    repair = sheet(tenant, contract=contract, **slot(start + datetime.timedelta(days=1)))
    other_client = sheet(tenant, client=tenant.other_client, site=None, **slot(start))
    feed, token = feeds.feed_create(actor=tenant.manager, kind=FeedKind.CLIENT, client=tenant.client)
    assert feed.technician is None

    body = client.get(reverse("interventions:feed_ics", args=[token])).content
    _calendar, events = parse(body)

    assert uid(planned) in events
    assert uid(repair) not in events and uid(other_client) not in events
    assert b"secret interne" not in body
    assert planned.get_absolute_url().encode() not in body  # no back-office link
    assert f"preventive-visit-{visits[3].pk}@127.0.0.1" not in events  # planned: its sheet stands for it
    assert f"preventive-visit-{visits[0].pk}@127.0.0.1" not in events  # long past


def test_a_client_feed_shows_an_unplanned_due_visit_as_an_all_day_window(tenant, client):
    contract = contract_in_force(tenant, start=datetime.date(2026, 1, 1), months=24)
    plan = PreventivePlan.objects.create(provider=tenant.provider, contract=contract, name="Trimestriel")
    due = PreventiveVisit.objects.create(
        provider=tenant.provider,
        client=tenant.client,
        contract=contract,
        plan=plan,
        year_start=datetime.date(2027, 1, 1),
        year_end=datetime.date(2027, 12, 31),
        sequence=1,
        due_from=datetime.date(2027, 1, 1),
        due_until=datetime.date(2027, 3, 31),
    )
    _feed, token = feeds.feed_create(actor=tenant.manager, kind=FeedKind.CLIENT, client=tenant.client)

    _calendar, events = parse(client.get(reverse("interventions:feed_ics", args=[token])).content)

    event = events[f"preventive-visit-{due.pk}@127.0.0.1"]
    assert event.decoded("dtstart") == datetime.date(2027, 1, 1)
    assert event.decoded("dtend") == datetime.date(2027, 4, 1)  # exclusive end: the window's last day included
    assert "Trimestriel" in str(event["summary"])


# Tokens, revocation, last use ------------------------------------------------------------------------


def test_only_the_hash_is_stored_and_revoked_or_unknown_tokens_are_404(tenant, client):
    feed, token = feeds.feed_create(actor=tenant.technician, kind=FeedKind.TECHNICIAN, label="Téléphone")
    assert len(token) >= 43
    stored = CalendarFeed.objects.get(pk=feed.pk)
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in {str(value) for value in CalendarFeed.objects.values_list().get(pk=feed.pk)}
    url = reverse("interventions:feed_ics", args=[token])
    assert client.get(url).status_code == 200
    forged = ("y" if token[0] == "x" else "x") + token[1:]  # one character off, never the token itself
    assert client.get(reverse("interventions:feed_ics", args=[forged])).status_code == 404
    assert client.post(url).status_code == 405

    feeds.feed_revoke(actor=tenant.technician, feed=feed)
    assert client.get(url).status_code == 404
    feeds.feed_revoke(actor=tenant.technician, feed=feed)  # twice: nothing more
    assert AuditEvent.objects.filter(action="intervention.feed_revoke").count() == 1


def test_a_deactivated_technicians_feed_stops(tenant, client):
    _feed, token = feeds.feed_create(actor=tenant.technician, kind=FeedKind.TECHNICIAN)
    tenant.technician.is_active = False
    tenant.technician.save()
    assert client.get(reverse("interventions:feed_ics", args=[token])).status_code == 404


def test_last_used_at_is_written_at_most_once_a_minute(tenant):
    feed, _token = feeds.feed_create(actor=tenant.technician, kind=FeedKind.TECHNICIAN)
    feeds.feed_touch(feed, NOW)
    feeds.feed_touch(feed, NOW + datetime.timedelta(seconds=30))
    feed.refresh_from_db()
    assert feed.last_used_at == NOW
    feeds.feed_touch(feed, NOW + datetime.timedelta(seconds=61))
    feed.refresh_from_db()
    assert feed.last_used_at == NOW + datetime.timedelta(seconds=61)


def test_who_may_create_and_revoke_which_feed(tenant, other_tenant):
    colleague = MembershipFactory(provider=tenant.provider, role=Role.TECHNICIAN)
    with pytest.raises(PermissionDenied):
        feeds.feed_create(actor=tenant.technician, kind=FeedKind.TECHNICIAN, technician=colleague)
    with pytest.raises(PermissionDenied):
        feeds.feed_create(actor=tenant.technician, kind=FeedKind.CLIENT, client=tenant.client)
    with pytest.raises(PermissionDenied):
        feeds.feed_create(actor=tenant.client_manager, kind=FeedKind.TECHNICIAN)
    with pytest.raises(ValidationError) as caught:
        feeds.feed_create(actor=tenant.manager, kind=FeedKind.CLIENT, client=other_tenant.client)
    assert "client" in caught.value.error_dict
    with pytest.raises(ValidationError):
        feeds.feed_create(actor=tenant.manager, kind=FeedKind.TECHNICIAN, technician=other_tenant.technician)
    with pytest.raises(ValidationError):
        feeds.feed_create(actor=tenant.manager, kind=FeedKind.TECHNICIAN, technician=tenant.client_manager)
    assert not CalendarFeed.objects.exists()

    colleagues_feed, _token = feeds.feed_create(actor=tenant.manager, kind=FeedKind.TECHNICIAN, technician=colleague)
    with pytest.raises(PermissionDenied):
        feeds.feed_revoke(actor=tenant.technician, feed=colleagues_feed)
    with pytest.raises(PermissionDenied):
        feeds.feed_revoke(actor=other_tenant.admin, feed=colleagues_feed)
    feeds.feed_revoke(actor=tenant.manager, feed=colleagues_feed)
    assert CalendarFeed.objects.get(pk=colleagues_feed.pk).revoked_at is not None


# The feeds page ---------------------------------------------------------------------------------------


def test_a_technician_creates_and_revokes_their_feed_on_the_page_and_sees_the_url_once(tenant, login, client):
    http = login(tenant.technician)
    page = reverse("interventions:feed_list")
    assert http.get(page).status_code == 200

    created = http.post(page, {"kind": "technician", "label": "Mon téléphone"})
    assert created.status_code == 200
    url = created.context["new_url"]
    assert url.startswith("http://127.0.0.1:8000/interventions/feeds/") and url.endswith(".ics")
    assert b'id="new-feed-url"' in created.content
    feed = CalendarFeed.objects.get()
    assert feed.technician == tenant.technician and feed.label == "Mon téléphone"
    listed = http.get(page)
    assert url.encode() not in listed.content  # shown once only
    assert client.get(url.removeprefix("http://127.0.0.1:8000")).status_code == 200

    revoked = http.post(reverse("interventions:feed_revoke", args=[feed.pk]))
    assert revoked.status_code == 302
    assert client.get(url.removeprefix("http://127.0.0.1:8000")).status_code == 404


def test_a_manager_makes_a_client_feed_and_a_technician_sees_only_their_own(tenant, login):
    managers_page = login(tenant.manager)
    response = managers_page.post(
        reverse("interventions:feed_list"), {"kind": "client", "client": tenant.client.pk, "label": ""}
    )
    assert response.status_code == 200
    client_feed = CalendarFeed.objects.get(kind=FeedKind.CLIENT)
    assert client_feed.client == tenant.client
    bad = managers_page.post(reverse("interventions:feed_list"), {"kind": "client", "label": ""})
    assert bad.status_code == 422
    assert CalendarFeed.objects.count() == 1

    technician = login(tenant.technician)
    assert f'id="feed-{client_feed.pk}"'.encode() not in technician.get(reverse("interventions:feed_list")).content
    assert technician.post(reverse("interventions:feed_revoke", args=[client_feed.pk])).status_code == 404
    assert (
        technician.post(reverse("interventions:feed_list"), {"kind": "client", "client": tenant.client.pk}).status_code
        == 403
    )


@pytest.mark.parametrize("role", ["client_manager", "client_user", "other_client_manager"])
def test_client_roles_have_no_feeds_page(tenant, login, role):
    http = login(tenant.member(role))
    assert http.get(reverse("interventions:feed_list")).status_code == 404
    assert http.post(reverse("interventions:feed_list"), {"kind": "technician"}).status_code == 404
    assert not CalendarFeed.objects.exists()
