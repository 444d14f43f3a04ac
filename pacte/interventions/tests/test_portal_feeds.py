"""The portal's calendar feed: a client's manager subscribes to their company's preventive visits.

Created from the portal (its address shown once), listing the company's preventive visits only,
revocable there (its address then answers 404); client users and outsiders are refused.
"""

from __future__ import annotations

import datetime

import icalendar
import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from pacte.audit.models import AuditEvent
from pacte.interventions import feeds
from pacte.interventions.models import CalendarFeed, FeedKind, PreventivePlan, PreventiveVisit
from pacte.interventions.tests.helpers import sheet
from pacte.servicedesk.tests.helpers import contract_in_force
from pacte.tenancy.models import Role

pytestmark = pytest.mark.django_db

PAGE = "portal:calendar_feed"


def events_of(body: bytes) -> dict[str, icalendar.Event]:
    return {str(event["uid"]): event for event in icalendar.Calendar.from_ical(body).walk("VEVENT")}


def visit(tenant, contract, plan, number: int, *, client=None) -> PreventiveVisit:
    today = timezone.localdate()
    return PreventiveVisit.objects.create(
        provider=tenant.provider,
        client=client or tenant.client,
        contract=contract,
        plan=plan,
        year_start=today - datetime.timedelta(days=60),
        year_end=today + datetime.timedelta(days=300),
        sequence=number,
        due_from=today + datetime.timedelta(days=10 * number),
        due_until=today + datetime.timedelta(days=10 * number + 20),
    )


def preventive(tenant, *, client=None, name: str = "Trimestriel") -> tuple[PreventiveVisit, PreventiveVisit, object]:
    """A planned preventive visit (its sheet) and a visit still to plan, of ``client`` (the tenant's by default)."""
    contract = contract_in_force(tenant, client=client, title=f"Contrat {name}")
    plan = PreventivePlan.objects.create(provider=tenant.provider, contract=contract, name=name)
    planned, unplanned = (
        visit(tenant, contract, plan, 1, client=client),
        visit(tenant, contract, plan, 2, client=client),
    )
    start = timezone.now() + datetime.timedelta(days=12)
    place = {} if client is None else {"client": client, "site": None}
    planned_sheet = sheet(
        tenant,
        contract=contract,
        visit=planned,
        planned_start=start,
        planned_end=start + datetime.timedelta(hours=2),
        title=f"Visite préventive {name}",
        **place,
    )
    return planned, unplanned, planned_sheet


def create_on_the_page(login, member, label: str = "Outlook accueil") -> tuple[CalendarFeed, str]:
    response = login(member).post(reverse(PAGE), {"label": label})
    assert response.status_code == 200
    url = response.context["new_url"]
    feed = CalendarFeed.objects.get(created_by=member, label=label)
    return feed, url


def test_a_client_manager_creates_the_companys_feed_and_sees_its_address_once(tenant, login):
    http = login(tenant.client_manager)
    preventive_page = http.get(reverse("portal:preventive")).content.decode()
    assert 'id="calendar-feed-link"' in preventive_page and reverse(PAGE) in preventive_page
    empty = http.get(reverse(PAGE))
    assert empty.status_code == 200 and 'id="feed-create"' in empty.content.decode()
    assert not empty.context["feeds"]

    response = http.post(reverse(PAGE), {"label": "  Outlook   accueil "})
    html = response.content.decode()
    assert response.status_code == 200 and 'id="new-feed-url"' in html
    feed = CalendarFeed.objects.get()
    assert (feed.kind, feed.client_id, feed.technician_id) == (FeedKind.CLIENT, tenant.client.pk, None)
    assert (feed.created_by_id, feed.label, feed.revoked_at) == (tenant.client_manager.pk, "Outlook accueil", None)
    url = response.context["new_url"]
    token = url.rsplit("/", 1)[-1].removesuffix(".ics")
    assert url in html and feed.token_hash == feeds.token_hash(token)
    assert AuditEvent.objects.filter(action="intervention.feed_create").count() == 1

    again = http.get(reverse(PAGE)).content.decode()  # shown once: the list never shows the address again
    assert token not in again and f'id="feed-{feed.pk}"' in again and "Outlook accueil" in again

    too_long = http.post(reverse(PAGE), {"label": "x" * 101})
    assert too_long.status_code == 422 and CalendarFeed.objects.count() == 1


def test_the_feed_lists_the_companys_preventive_visits_and_nothing_of_another_client(
    tenant, other_tenant, login, client
):
    planned, unplanned, planned_sheet = preventive(tenant)
    repair = sheet(
        tenant,
        planned_start=timezone.now() + datetime.timedelta(days=5),
        planned_end=timezone.now() + datetime.timedelta(days=5, hours=1),
        title="Dépannage imprimante",
    )
    _o_planned, o_unplanned, o_sheet = preventive(tenant, client=tenant.other_client, name="Mensuel voisin")
    _b_planned, b_unplanned, b_sheet = preventive(other_tenant, name="Semestriel autre")
    _feed, url = create_on_the_page(login, tenant.client_manager)

    response = client.get(url)  # the calendar application: no login, the token is the key
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    body = response.content
    events = events_of(body)
    host = "127.0.0.1"
    assert f"intervention-{planned_sheet.pk}@{host}" in events
    assert f"preventive-visit-{unplanned.pk}@{host}" in events
    assert f"preventive-visit-{planned.pk}@{host}" not in events  # planned: its sheet stands for it
    assert f"intervention-{repair.pk}@{host}" not in events  # not a preventive visit
    for foreign in (f"intervention-{o_sheet.pk}@{host}", f"preventive-visit-{o_unplanned.pk}@{host}"):
        assert foreign not in events
    for foreign in (f"intervention-{b_sheet.pk}@{host}", f"preventive-visit-{b_unplanned.pk}@{host}"):
        assert foreign not in events
    assert len(events) == 2
    for word in (b"Mensuel voisin", b"Semestriel autre", b"imprimante", tenant.other_client.name.encode()):
        assert word not in body


def test_revoking_on_the_page_makes_the_address_404(tenant, login, client):
    feed, url = create_on_the_page(login, tenant.client_manager)
    assert client.get(url).status_code == 200
    revoke = reverse("portal:calendar_feed_revoke", args=[feed.pk])
    # Another client's manager: not theirs.
    assert login(tenant.other_client_manager).post(revoke).status_code == 404
    assert client.get(url).status_code == 200

    http = login(tenant.client_manager)
    response = http.post(revoke)
    assert response.status_code == 302 and response["Location"] == reverse(PAGE)
    assert client.get(url).status_code == 404
    assert CalendarFeed.objects.get(pk=feed.pk).revoked_at is not None
    page = http.get(reverse(PAGE)).content.decode()
    assert f'id="feed-{feed.pk}"' in page and f'id="revoke-{feed.pk}"' not in page
    assert http.post(revoke).status_code == 302  # twice: nothing more
    assert AuditEvent.objects.filter(action="intervention.feed_revoke").count() == 1


def test_the_providers_client_feed_is_not_the_portals(tenant, login):
    providers, _token = feeds.feed_create(actor=tenant.manager, kind=FeedKind.CLIENT, client=tenant.client)
    http = login(tenant.client_manager)
    assert f'id="feed-{providers.pk}"' not in http.get(reverse(PAGE)).content.decode()
    assert http.post(reverse("portal:calendar_feed_revoke", args=[providers.pk])).status_code == 404
    with pytest.raises(PermissionDenied):
        feeds.feed_revoke(actor=tenant.client_manager, feed=providers)
    assert CalendarFeed.objects.get(pk=providers.pk).revoked_at is None
    # The provider's managers see (and may revoke) the portal's feeds.
    portal_feed, _url = create_on_the_page(login, tenant.client_manager)
    assert portal_feed in feeds.feed_list(actor=tenant.manager)


def test_a_client_user_and_outsiders_are_refused(tenant, other_tenant, login):
    feed, _url = create_on_the_page(login, tenant.client_manager)
    user = login(tenant.client_user)
    assert user.get(reverse(PAGE)).status_code == 403
    assert user.post(reverse(PAGE), {"label": "Moi"}).status_code == 403
    assert user.post(reverse("portal:calendar_feed_revoke", args=[feed.pk])).status_code == 403
    assert 'id="calendar-feed-link"' not in user.get(reverse("portal:preventive")).content.decode()
    for provider_role in (tenant.manager, tenant.technician):
        assert login(provider_role).get(reverse(PAGE)).status_code == 404
    assert (
        login(other_tenant.client_manager).post(reverse("portal:calendar_feed_revoke", args=[feed.pk])).status_code
        == 404
    )
    with pytest.raises(PermissionDenied):
        feeds.feed_create(actor=tenant.client_user, kind=FeedKind.CLIENT, client=tenant.client)
    with pytest.raises(PermissionDenied):
        feeds.feed_create(actor=tenant.client_manager, kind=FeedKind.CLIENT, client=tenant.other_client)
    with pytest.raises(PermissionDenied):
        feeds.feed_create(actor=tenant.client_manager, kind=FeedKind.TECHNICIAN)
    assert CalendarFeed.objects.count() == 1 and CalendarFeed.objects.get().revoked_at is None


@pytest.mark.parametrize("change", ["deactivated", "demoted"])
def test_the_feed_stops_when_its_maker_no_longer_manages_the_company(tenant, login, client, change):
    _feed, url = create_on_the_page(login, tenant.client_manager)
    assert client.get(url).status_code == 200
    if change == "deactivated":
        tenant.client_manager.is_active = False
    else:
        tenant.client_manager.role = Role.CLIENT_USER
    tenant.client_manager.save()
    assert client.get(url).status_code == 404
