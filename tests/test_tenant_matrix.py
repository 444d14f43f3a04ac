"""The tenant-isolation matrix: every URL pattern and every API operation, as every kind of actor.

Routes are discovered from the URL conf (``get_resolver()``, walked recursively with namespaces) and
from the OpenAPI document; each one must have an entry in a registry's ``PAGES`` / ``API`` (one module
per app under ``tests/matrix/``, listed in ``APP_REGISTRIES``) or belong to the Django admin group,
otherwise ``test_every_route_is_classified`` fails and so does every parametrized case of the new
route. Each entry says, for each actor, what the response must be.

Actors (A and B are two tenants built by ``make_tenant`` of ``tests/fixtures.py``, the builder of the
``tenant`` / ``other_tenant`` fixtures):

- ``anonymous``: nobody logged in / no token;
- ``admin``, ``manager``, ``technician``: A's provider roles;
- ``client_manager``, ``client_user``: roles at A's client (the owner of the objects in the URLs);
- ``other_client_manager``: the manager of A's *other* client (same provider, another client);
- ``other_admin``: B's provider admin (another tenant).

The vocabulary of the entries is ``tests/matrix/framework.py``; the world is built by
``tests/matrix/world.py``; the checks of every case are ``tests/matrix/checks.py``.

Object ids in URLs are always A's objects (A's client, its site, contact, client-user membership).
Besides the status, every case checks that:

- no response shows data the actor may not see: A's and B's rows carry marker words
  (``alpaga`` A's provider, ``quokka`` A's client, ``narval`` A's other client, ``bison``/``castor``/
  ``dugong`` for B) and a response body must not contain the markers hidden from that actor;
- nothing outside the actor's scope changed, even when the request succeeded;
- a refused request (4xx or a redirect to a login page) and every GET changed nothing at all and
  wrote no audit event; a successful write wrote the expected number of audit events.
"""

from __future__ import annotations

import datetime
import json
import re
import sys
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from django.test import Client as HttpClient
from django.urls import reverse

from pacte.assets import services as asset_services
from pacte.assets.models import Asset
from pacte.contracts.models import Contract, ContractTemplate, IndexValue, Revision, ServiceCategory
from pacte.tenancy.models import Client, Contact, Membership, Role, Site
from tests.factories import ClientFactory, ContactFactory, MembershipFactory, SiteFactory
from tests.fixtures import Tenant
from tests.matrix.checks import fast, http_for, run_case
from tests.matrix.contracts_portal import active_contract
from tests.matrix.framework import A_CLIENT, ACTORS, ADMIN_LOGIN, Call, Lit, PageSpec, World, expect, is_refusal
from tests.matrix.registry import (
    ADMIN_ACTORS,
    ADMIN_NAMESPACE,
    ADMIN_PUBLIC,
    ADMIN_URL_ARGS,
    API,
    OPERATIONS,
    PAGES,
    ROUTES,
    Route,
    classification,
)
from tests.matrix.world import build_world


@pytest.fixture(scope="module")
def shared_world(django_db_setup, django_db_blocker) -> Iterator[World]:
    """A and B (the ``tenant`` / ``other_tenant`` data, from the same ``make_tenant``), built once per module.

    ~1,000 cases each rebuilding two tenants would take minutes; instead the world lives in a
    transaction opened here and rolled back at the end of the module, and each test runs in a
    savepoint of it (pytest-django's ``db``), so every test starts from exactly this state.
    """
    outer = transaction.atomic()
    with django_db_blocker.unblock():
        outer.__enter__()
        try:
            world = build_world()
        except BaseException:
            outer.__exit__(*sys.exc_info())
            raise
    try:
        yield world
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def world(shared_world: World, db: None) -> World:
    return shared_world


# Classification -----------------------------------------------------------------------------------


def test_every_route_is_classified() -> None:
    """A new URL pattern or API operation without an entry in the registry fails the build."""
    unclassified = [f"{route.key} ({route.path})" for route in ROUTES if classification(route) is None]
    unclassified += [op for op in OPERATIONS if op not in API]
    assert unclassified == [], "Add these routes to PAGES / API of a registry in tests/matrix/"


def test_registry_has_no_stale_entries() -> None:
    keys = {route.key for route in ROUTES}
    assert sorted(set(PAGES) - keys) == []
    assert sorted(set(API) - set(OPERATIONS)) == []


def test_every_write_declares_its_audit_events() -> None:
    """A POST/PATCH that may succeed says what it writes to the audit trail (0: nothing at all)."""
    calls = [(f"POST {key}", spec.post) for key, spec in PAGES.items() if spec.post is not None]
    calls += [(key, spec.call) for key, spec in API.items() if not key.startswith("GET ")]
    undeclared = [
        name
        for name, call in calls
        if call.audits is None and not all(is_refusal(outcome) for outcome in call.outcomes.values())
    ]
    assert undeclared == []


def test_discovery_sees_the_whole_url_conf() -> None:
    """The walk goes through every include and namespace (guards the discovery itself)."""
    kinds = {classification(route) for route in ROUTES}
    assert kinds >= {"pages", "admin", "api"}  # (None, unclassified, is test_every_route_is_classified's)
    assert {"home", "set_language", "accounts:login", "portal:users", "tenancy:user_archive", "api:client_list"} <= {
        route.key for route in ROUTES
    }
    assert len(OPERATIONS) >= 20


# The cases: every route and operation, as every actor ---------------------------------------------


def _page_cases() -> Iterator[Any]:
    for route in ROUTES:
        if route.namespace == ADMIN_NAMESPACE or (route.namespace == "api" and route.key not in PAGES):
            continue
        for method in ("GET", "POST"):
            for actor in ACTORS:
                yield pytest.param(route.key, method, actor, id=f"{route.key}-{method}-{actor}")


def _admin_cases() -> Iterator[Any]:
    for route in ROUTES:
        if route.namespace == ADMIN_NAMESPACE:
            for actor in ADMIN_ACTORS:
                yield pytest.param(route, actor, id=f"{route.key}-{actor}")


def _api_cases() -> Iterator[Any]:
    for operation in OPERATIONS:
        for actor in ACTORS:
            yield pytest.param(operation, actor, id=f"{operation}-{actor}")


def _page_url(route_key: str, spec: PageSpec, world: World) -> str:
    kwargs = {name: value.value if isinstance(value, Lit) else world.ref(value) for name, value in spec.kwargs.items()}
    return reverse(route_key, kwargs=kwargs)


@pytest.mark.parametrize(("route_key", "method", "actor"), list(_page_cases()))
def test_page(route_key: str, method: str, actor: str, world: World, login) -> None:
    spec = PAGES.get(route_key)
    if spec is None:
        pytest.fail(f"{route_key} is not classified in PAGES")
    call = spec.get if method == "GET" else spec.post
    assert call is not None, f"{route_key}: no {method} entry"
    url = _page_url(route_key, spec, world)
    http = http_for(world, actor, login)

    def send(data: dict[str, Any] | None) -> Any:
        if method == "GET":
            return http.get(url)
        return http.post(url, data or {})

    run_case(world, actor, call, f"{method} {url}", send, is_read=method == "GET")


def _admin_url(route: Route) -> str:
    pattern = route.pattern.pattern
    names = list(getattr(pattern, "converters", {}) or pattern.regex.groupindex)
    missing = [name for name in names if name not in ADMIN_URL_ARGS]
    assert missing == [], f"{route.key}: give ADMIN_URL_ARGS a value for {missing}"
    kwargs = {name: ADMIN_URL_ARGS[name] for name in names}
    if route.pattern.name:
        return reverse(route.key, kwargs=kwargs)
    path = "/" + route.path
    for name, value in kwargs.items():
        path = re.sub(rf"<(?:\w+:)?{name}>|\(\?P<{name}>[^)]*\)", value, path)
    return path.replace("^", "").replace("$", "")


@pytest.mark.parametrize(("route", "actor"), list(_admin_cases()))
def test_admin(route: Route, actor: str, world: World, login) -> None:
    """The Django admin: operators only. No membership, however high, opens it."""
    url = _admin_url(route)
    expected = ADMIN_PUBLIC.get(route.key, ADMIN_LOGIN)
    http = http_for(world, actor, login)
    run_case(world, actor, Call(expect(everyone=expected)), f"GET {url}", lambda data: http.get(url), is_read=True)


@pytest.mark.parametrize(("operation", "actor"), list(_api_cases()))
def test_api(operation: str, actor: str, world: World, api_token) -> None:
    spec = API.get(operation)
    if spec is None:
        pytest.fail(f"{operation} is not classified in API")
    method, path = operation.split(" ", 1)
    url = path.format(**{name: world.ref(key) for name, key in spec.path.items()})
    member = world.member(actor)
    headers = {"Authorization": f"Bearer {api_token(member)}"} if member is not None else {}
    http = fast(HttpClient())

    def send(data: dict[str, Any] | None) -> Any:
        body = json.dumps(data) if data is not None else ""
        return http.generic(method, url, body, content_type="application/json", headers=headers)

    response = run_case(world, actor, spec.call, operation, send, is_read=method == "GET")
    if response.status_code >= 400:  # (a success may be a file download, not JSON)
        payload = response.json()
        assert set(payload) == {"detail", "errors"}, payload
    if response.status_code == 401:
        assert response["WWW-Authenticate"] == "Bearer"


# Lists, searches and counts as another tenant ------------------------------------------------------


def _api_ids(http: HttpClient, token: str, path: str, **params: Any) -> list[int]:
    """Every id of a list endpoint, following the cursor to the end."""
    ids: list[int] = []
    query: dict[str, Any] = {"limit": 200, **params}
    while True:
        response = http.get(path, query, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200, response.content
        page = response.json()
        ids += [item["id"] for item in page["items"]]
        if not page["next_cursor"]:
            return ids
        query["cursor"] = page["next_cursor"]


def _ids_of(tenant: Tenant) -> dict[str, set[int]]:
    provider = tenant.provider.pk
    return {
        "/api/v1/clients": set(Client.objects.filter(provider_id=provider).values_list("pk", flat=True)),
        "/api/v1/sites": set(Site.objects.filter(provider_id=provider).values_list("pk", flat=True)),
        "/api/v1/contacts": set(Contact.objects.filter(provider_id=provider).values_list("pk", flat=True)),
        "/api/v1/memberships": set(Membership.objects.filter(provider_id=provider).values_list("pk", flat=True)),
        "/api/v1/assets": set(Asset.objects.filter(provider_id=provider).values_list("pk", flat=True)),
        "/api/v1/index-values": set(IndexValue.objects.filter(provider_id=provider).values_list("pk", flat=True)),
        "/api/v1/contracts": set(Contract.objects.filter(provider_id=provider).values_list("pk", flat=True)),
        "/api/v1/service-categories": set(
            ServiceCategory.objects.filter(provider_id=provider, archived_at__isnull=True).values_list("pk", flat=True)
        ),
        "/api/v1/contract-templates": set(
            ContractTemplate.objects.filter(provider_id=provider, archived_at__isnull=True).values_list("pk", flat=True)
        ),
    }


@pytest.mark.parametrize("path", ["/api/v1/clients", "/api/v1/sites", "/api/v1/contacts", "/api/v1/memberships"])
def test_api_lists_as_another_provider_contain_only_its_own_rows(path, world, api_token) -> None:
    http = fast(HttpClient())
    ids_a, ids_b = _ids_of(world.a)[path], _ids_of(world.b)[path]
    assert ids_a and ids_b
    assert set(_api_ids(http, api_token(world.b.admin), path)) == ids_b
    assert set(_api_ids(http, api_token(world.a.admin), path)) == ids_a


def test_api_searches_as_another_provider_find_nothing_of_a(world, api_token) -> None:
    http = fast(HttpClient())
    token_a, token_b = api_token(world.a.admin), api_token(world.b.admin)
    name, siren, contact = world.a.client.name, world.a.client.siren, world.contact.last_name
    assert _api_ids(http, token_a, "/api/v1/clients", search=name) == [world.a.client.pk]
    assert _api_ids(http, token_b, "/api/v1/clients", search=name) == []
    assert _api_ids(http, token_b, "/api/v1/clients", search=siren) == []
    assert _api_ids(http, token_b, "/api/v1/clients", search=name, include_archived="true") == []
    assert _api_ids(http, token_a, "/api/v1/contacts", search=contact) == [world.contact.pk]
    assert _api_ids(http, token_b, "/api/v1/contacts", search=contact) == []
    # Filtering on A's client id gives nothing, not a hint that it exists.
    assert _api_ids(http, token_b, "/api/v1/sites", client_id=world.a.client.pk) == []
    assert _api_ids(http, token_b, "/api/v1/contacts", client_id=world.a.client.pk) == []


def test_api_lists_as_another_client_contain_only_its_company(world, api_token) -> None:
    http = fast(HttpClient())
    token = api_token(world.a.other_client_manager)
    other = world.a.other_client
    assert _api_ids(http, token, "/api/v1/clients") == [other.pk]
    assert set(_api_ids(http, token, "/api/v1/sites")) == set(
        Site.objects.filter(client=other).values_list("pk", flat=True)
    )
    assert set(_api_ids(http, token, "/api/v1/contacts")) == set(
        Contact.objects.filter(client=other).values_list("pk", flat=True)
    )
    assert _api_ids(http, token, "/api/v1/memberships") == [world.a.other_client_manager.pk]
    assert _api_ids(http, token, "/api/v1/sites", client_id=world.a.client.pk) == []


def test_ui_client_list_search_and_count_as_another_provider(world, login) -> None:
    name = world.a.client.name
    as_a, as_b = fast(login(world.a.admin)), fast(login(world.b.admin))
    response = as_a.get(reverse("tenancy:client_list"), {"q": name})
    assert [client.pk for client in response.context["page"].object_list] == [world.a.client.pk]
    for params in ({"q": name}, {"q": name, "archived": "1"}, {"q": world.a.client.siren}):
        response = as_b.get(reverse("tenancy:client_list"), params)
        assert response.status_code == 200
        assert list(response.context["page"].object_list) == []
        assert response.context["page"].paginator.count == 0
        # The only trace of the name is the search box echoing what B typed.
        assert response.content.decode().lower().count(A_CLIENT) == params["q"].lower().count(A_CLIENT)
    response = as_b.get(reverse("tenancy:client_list"))
    assert response.context["page"].paginator.count == Client.objects.filter(provider=world.b.provider).count() == 2
    # The htmx partial (the live search) is scoped the same way.
    response = as_b.get(reverse("tenancy:client_list"), {"q": name}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert A_CLIENT not in response.content.decode().lower()
    assert 'data-testid="client-table"' in response.content.decode()


# Query counts: a fixed cap, whatever the number of rows --------------------------------------------

ROWS = 30


def _grow(tenant: Tenant) -> None:
    """ROWS more clients, each with a site, a contact and a client user."""
    for number in range(ROWS):
        client = ClientFactory(provider=tenant.provider, name=f"Extra client {number}")
        SiteFactory(client=client, provider=tenant.provider)
        ContactFactory(client=client, provider=tenant.provider)
        MembershipFactory(provider=tenant.provider, client=client, role=Role.CLIENT_USER)
    for number in range(ROWS):
        site = SiteFactory(client=tenant.client, provider=tenant.provider, name=f"Extra site {number}")
        ContactFactory(client=tenant.client, provider=tenant.provider, site=site)
        MembershipFactory(provider=tenant.provider, client=tenant.client, role=Role.CLIENT_USER)
    for number in range(ROWS):
        asset_services.asset_create(
            actor=tenant.manager, client=tenant.client, name=f"Extra asset {number}", site=tenant.site
        )
    _grow_revisions(tenant)
    _grow_contracts(tenant)
    _grow_catalogue(tenant)


def _grow_contracts(tenant: Tenant) -> None:
    """ROWS more active contracts of the tenant's client (rows only: no documents)."""
    for number in range(ROWS):
        active_contract(tenant, datetime.date(2027, 1, 1), f"{100 + number}.00")


def _grow_catalogue(tenant: Tenant) -> None:
    """ROWS more service categories and contract templates (rows only)."""
    ServiceCategory.objects.bulk_create(
        ServiceCategory(provider=tenant.provider, code=f"extra-{number}", name=f"Extra category {number}")
        for number in range(ROWS)
    )
    terms = {"contract_type": "assistance", "billing_model": {"kind": "time_and_materials", "labour_rate": "80.00"}}
    ContractTemplate.objects.bulk_create(
        ContractTemplate(
            provider=tenant.provider, name=f"Extra template {number}", contract_type="assistance", default_terms=terms
        )
        for number in range(ROWS)
    )


def _grow_revisions(tenant: Tenant) -> None:
    """ROWS more index values, and ROWS more revisions of the tenant's revised contract (rows only)."""
    IndexValue.objects.bulk_create(
        IndexValue(
            provider=tenant.provider,
            month=datetime.date(2000 + number // 12, number % 12 + 1, 1),
            value=Decimal("100.0"),
            published_on=datetime.date(2000 + number // 12, number % 12 + 1, 20),
        )
        for number in range(ROWS)
    )
    revision = Revision.objects.filter(provider=tenant.provider).first()
    if revision is None:
        return
    Revision.objects.bulk_create(
        Revision(
            provider=tenant.provider,
            client=revision.client,
            contract=revision.contract,
            revision_date=datetime.date(2040 + number, 1, 1),
            s0_month=datetime.date(2000, 1, 1),
            s0=Decimal(100),
            s1_month=datetime.date(2000, 2, 1),
            s1=Decimal(100),
            coefficient=Decimal(1),
        )
        for number in range(ROWS)
    )


#: Caps: what the page needs today (session, user, actor, the rows, at most a related list per
#: section) plus 2 of headroom. One query per row would blow them at once with ROWS more rows.
PAGE_CAPS = [  # actor, page, URL kwargs, the context list that grows, query cap
    ("admin", "tenancy:client_list", {}, "page", 7),
    ("admin", "tenancy:client_detail", {"pk": "client"}, "sites", 10),  # + the contracts and assets sections
    ("admin", "tenancy:client_detail", {"pk": "client"}, "contacts", 10),  # + the contracts and assets sections
    ("admin", "tenancy:user_list", {}, "memberships", 6),
    ("client_manager", "portal:company", {}, "contacts", 8),
    ("client_manager", "portal:users", {}, "memberships", 6),
    ("admin", "assets:asset_list", {}, "page", 9),
    ("client_manager", "portal:asset_list", {}, "page", 9),
    ("admin", "contracts:index_list", {}, "page", 9),
    ("admin", "contracts:revision_list", {"pk": "revision_contract"}, "revision_list", 9),
    ("client_manager", "portal:contract_list", {}, "rows", 8),
    ("admin", "contracts:contract_list", {}, "page", 9),
    ("admin", "contracts:category_list", {}, "categories", 6),
    ("admin", "contracts:template_list", {}, "templates", 6),
]
#: An API list: the token lookup and the page itself (+2).
API_CAPS = [
    ("/api/v1/clients", 4),
    ("/api/v1/sites", 4),
    ("/api/v1/contacts", 4),
    ("/api/v1/memberships", 4),
    ("/api/v1/assets", 4),
    ("/api/v1/index-values", 4),
    ("/api/v1/contracts", 4),
    ("/api/v1/service-categories", 4),
    ("/api/v1/contract-templates", 4),
]


@pytest.mark.parametrize("grow", [False, True], ids=["few-rows", f"{ROWS}-more-rows"])
@pytest.mark.parametrize(
    ("actor", "name", "kwargs", "listing", "cap"), PAGE_CAPS, ids=[f"{row[1]}-{row[3]}" for row in PAGE_CAPS]
)
def test_list_page_query_cap(
    actor, name, kwargs, listing, cap, grow, world, login, django_assert_max_num_queries
) -> None:
    if grow:
        _grow(world.a)
    http = fast(login(world.member(actor)))
    url = reverse(name, kwargs={key: world.ref(value) for key, value in kwargs.items()})
    http.get(url)  # warm up (session, caches) so the count is the steady state
    with django_assert_max_num_queries(cap):
        response = http.get(url)
    assert response.status_code == 200
    listed = response.context[listing]
    rows = listed.paginator.count if hasattr(listed, "paginator") else len(listed)
    assert rows >= (ROWS if grow else 1)


@pytest.mark.parametrize("grow", [False, True], ids=["few-rows", f"{ROWS}-more-rows"])
@pytest.mark.parametrize(("path", "cap"), API_CAPS, ids=[row[0] for row in API_CAPS])
def test_list_api_query_cap(path, cap, grow, world, api_token, django_assert_max_num_queries) -> None:
    if grow:
        _grow(world.a)
    token = api_token(world.a.admin)
    http = fast(HttpClient())
    http.get(path, headers={"Authorization": f"Bearer {token}"})  # records the token's first use
    with django_assert_max_num_queries(cap):
        response = http.get(path, {"limit": 200}, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert len(response.json()["items"]) == len(_ids_of(world.a)[path]) >= (ROWS if grow else 2)
