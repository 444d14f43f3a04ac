"""The interventions app's planning pages and API in the tenant-isolation matrix (see ``tests/matrix/__init__.py``).

A's client has an unplanned sheet (A's technician on it) and A's technician has a calendar feed. The
board, the technician's day and the feeds page are for provider roles (client roles: 404; B's admin
sees its own tenant's); planning names A's sheet (B's admin: 404); a technician revokes their own
feed and a manager anyone's. The public feed URL answers 404 to everyone for an unknown token (what a
real one serves, and its scoping, is tested in ``pacte/interventions/tests/test_feeds.py``).
A's client's manager also has a portal feed of the company's preventive visits: the portal's
calendar page is for client managers (a client user: 403; the other client's manager sees and makes
its own), and only A's client's manager revokes A's (``test_portal_feeds.py`` tests the rest).
"""

from __future__ import annotations

from typing import Any

from pacte.interventions import feeds, services
from pacte.interventions.models import FeedKind
from tests.matrix.framework import (
    ApiSpec,
    Call,
    Lit,
    PageSpec,
    Redirect,
    api_call,
    expect,
    portal_page,
    provider_page,
)

SHEET: dict[str, str | Lit] = {"pk": "planning_sheet"}
#: A page read by provider roles (B's admin reads its own tenant's).
READ = Call(provider_page(provider=200, other_admin=200))
#: A GET-only page, posted to.
GET_ONLY = Call(provider_page(provider=405, other_admin=405))
#: A POST-only page, asked with GET.
POST_ONLY = Call(provider_page(provider=405, other_admin=405))


def _plan_form(world: Any) -> dict[str, Any]:
    return {"start": "2027-02-01T09:00", "end": "2027-02-01T11:00", "technicians": [world.a.technician.pk]}


PAGES: dict[str, PageSpec] = {
    "interventions:board": PageSpec(get=READ, post=GET_ONLY),
    "interventions:my_day": PageSpec(get=READ, post=GET_ONLY),
    "interventions:sheet_plan": PageSpec(
        kwargs=SHEET,
        get=Call(provider_page(provider=200, other_admin=404)),
        post=Call(
            provider_page(provider=Redirect("interventions:board", exact=False), other_admin=404),
            data=_plan_form,
            audits=1,
        ),
    ),
    # Creating a feed (one's own planning) shows its URL once: 200; B's admin makes its own.
    "interventions:feed_list": PageSpec(
        get=READ,
        post=Call(
            provider_page(provider=200, other_admin=200),
            data=lambda world: {"kind": "technician", "label": "Phone"},
            audits=1,
        ),
    ),
    # A's technician's feed: theirs and the managers' to revoke; B's admin does not see it.
    "interventions:feed_revoke": PageSpec(
        kwargs={"pk": "planning_feed"},
        get=POST_ONLY,
        post=Call(provider_page(provider=Redirect("interventions:feed_list"), other_admin=404), audits=1),
    ),
    # The portal's calendar feed: client managers only; creating one shows its address once (200).
    "portal:calendar_feed": PageSpec(
        get=Call(portal_page(client_manager=200, client_user=403, other_client_manager=200)),
        post=Call(
            portal_page(client_manager=200, client_user=403, other_client_manager=200),
            data=lambda world: {"label": "Outlook"},
            audits=1,
        ),
    ),
    "portal:calendar_feed_revoke": PageSpec(
        kwargs={"pk": "portal_feed"},
        get=Call(portal_page(client_side=405)),
        post=Call(
            portal_page(client_manager=Redirect("portal:calendar_feed"), client_user=403, other_client_manager=404),
            audits=1,
        ),
    ),
    # Public (the token is the key): an unknown token is a 404 for everyone, logged in or not.
    "interventions:feed_ics": PageSpec(
        kwargs={"token": Lit("unknown-token-0123456789abcdefghijklmnopqrstuv")},
        get=Call(expect(everyone=404)),
        post=Call(expect(everyone=405)),
    ),
}

API: dict[str, ApiSpec] = {
    # Staff only: client roles 403; B's admin lists its own tenant's.
    "GET /api/v1/planning": ApiSpec(api_call(provider=200, other_admin=200, client_side=403)),
    # A's client's roles see the sheet in the portal (403: not theirs to plan); the other client and B: 404.
    "POST /api/v1/interventions/{sheet_id}/plan": ApiSpec(
        api_call(
            provider=200,
            client_manager=403,
            client_user=403,
            other_client_manager=404,
            other_admin=404,
            data=lambda world: {"start": "2027-02-01T09:00:00+01:00", "end": "2027-02-01T11:00:00+01:00"},
            audits=1,
        ),
        {"sheet_id": "planning_sheet"},
    ),
}


def build(tenant: Any, provider_word: str, client_word: str) -> dict[str, int]:
    """An unplanned sheet of the tenant's client (its technician on it), the technician's feed and the
    client manager's portal feed."""
    sheet = services.sheet_create(
        actor=tenant.technician,
        client=tenant.client,
        title=f"Visite {client_word.title()}",
        site=tenant.site,
        technicians=[tenant.technician],
    )
    feed, _token = feeds.feed_create(
        actor=tenant.technician, kind=FeedKind.TECHNICIAN, label=f"Agenda {provider_word.title()}"
    )
    portal_feed, _token = feeds.feed_create(
        actor=tenant.client_manager, kind=FeedKind.CLIENT, label=f"Agenda {client_word.title()}"
    )
    return {"planning_sheet": sheet.pk, "planning_feed": feed.pk, "portal_feed": portal_feed.pk}
