"""The matrix's registry (every registry's ``PAGES`` and ``API``) and the routes it must classify.

Routes are discovered from the URL conf (``get_resolver()``, walked recursively with namespaces) and
operations from the OpenAPI document; ``classification`` says where each is classified (a page, the
Django admin group, the API) or None when it is nowhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

from pacte.config.api import api
from tests.matrix import APP_REGISTRIES
from tests.matrix.framework import ApiSpec, Outcome, PageSpec, Redirect

PAGES: dict[str, PageSpec] = {}
API: dict[str, ApiSpec] = {}
for _registry in APP_REGISTRIES:
    assert not set(_registry.PAGES) & set(PAGES), f"{_registry.__name__} repeats a page"
    assert not set(_registry.API) & set(API), f"{_registry.__name__} repeats an operation"
    PAGES.update(_registry.PAGES)
    API.update(_registry.API)

#: The Django admin is one group: operators only (``is_staff``); no membership gives access to it.
ADMIN_NAMESPACE = "admin"
ADMIN_ACTORS = ("anonymous", "admin", "client_user")
ADMIN_URL_ARGS = {"object_id": "1", "content_type_id": "1", "app_label": "audit", "url": "nothing/"}
#: Exceptions to "redirect to the admin's login": its login form itself, and logout (back to the index).
ADMIN_PUBLIC: dict[str, Outcome] = {"admin:login": 200, "admin:logout": Redirect("admin:index")}


# Route discovery ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    key: str  # "namespace:name", or "namespace:<pattern>" for an unnamed pattern
    path: str  # the full pattern, for messages
    pattern: URLPattern
    namespace: str


def _walk(resolver: URLResolver, prefix: str = "", namespaces: tuple[str, ...] = ()) -> Iterator[Route]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = (*namespaces, entry.namespace) if entry.namespace else namespaces
            yield from _walk(entry, prefix + str(entry.pattern), inner)
        else:
            name = entry.name or f"<{prefix}{entry.pattern}>"
            key = ":".join((*namespaces, name))
            yield Route(key=key, path=prefix + str(entry.pattern), pattern=entry, namespace=":".join(namespaces))


def discover_routes() -> list[Route]:
    return list(_walk(get_resolver()))


def discover_operations() -> list[str]:
    schema = api.get_openapi_schema()
    return [f"{method.upper()} {path}" for path, item in schema["paths"].items() for method in item]


def _openapi_path(route_path: str) -> str:
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route_path)


ROUTES = discover_routes()
OPERATIONS = discover_operations()
OPERATION_PATHS = {operation.split(" ", 1)[1] for operation in OPERATIONS}


def classification(route: Route) -> str | None:
    """Where a route is classified: ``PAGES``, the admin group, the API registry, or nowhere (None)."""
    if route.key in PAGES:
        return "pages"
    if route.namespace == ADMIN_NAMESPACE:
        return "admin"
    if route.namespace == "api" and _openapi_path(route.path) in OPERATION_PATHS:
        path = _openapi_path(route.path)
        operations = [op for op in OPERATIONS if op.split(" ", 1)[1] == path]
        return "api" if all(op in API for op in operations) else None
    return None
