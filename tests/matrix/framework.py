"""The vocabulary of the tenant-isolation matrix (``tests/test_tenant_matrix.py``).

Actors, the marker words hidden from each of them, the expected outcomes (``expect`` and its
shorthands), the request shapes (``Call``), the registry entries (``PageSpec``, ``ApiSpec``) and the
``World`` they name objects in. The registries of ``tests/matrix/<app>.py`` import it; the checks
are in ``tests/matrix/checks.py``, the world's building in ``tests/matrix/world.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.urls import reverse

from pacte.accounts.models import ApiToken
from pacte.tenancy.models import Contact, Membership
from tests.fixtures import Tenant

# Actors ------------------------------------------------------------------------------------------

ACTORS = (
    "anonymous",
    "admin",
    "manager",
    "technician",
    "client_manager",
    "client_user",
    "other_client_manager",
    "other_admin",
)
GROUPS: dict[str, tuple[str, ...]] = {
    "everyone": ACTORS,
    "members": ACTORS[1:],
    "provider": ("admin", "manager", "technician"),
    "managers": ("admin", "manager"),
    "client_side": ("client_manager", "client_user", "other_client_manager"),
}

# Marker words written into every row's names and e-mails (``world.py``), and who must never see them.
A_PROVIDER, A_CLIENT, A_OTHER_CLIENT = "alpaga", "quokka", "narval"
B_PROVIDER, B_CLIENT, B_OTHER_CLIENT = "bison", "castor", "dugong"
B_ALL = (B_PROVIDER, B_CLIENT, B_OTHER_CLIENT)
HIDDEN: dict[str, tuple[str, ...]] = {
    "anonymous": (A_PROVIDER, A_CLIENT, A_OTHER_CLIENT, *B_ALL),
    "admin": B_ALL,
    "manager": B_ALL,
    "technician": B_ALL,
    "client_manager": (A_OTHER_CLIENT, *B_ALL),
    "client_user": (A_OTHER_CLIENT, *B_ALL),
    "other_client_manager": (A_CLIENT, *B_ALL),
    "other_admin": (A_PROVIDER, A_CLIENT, A_OTHER_CLIENT),
}
#: The other client's marker word of each tenant, by its client's (what a registry's ``build`` is given).
OTHER_CLIENT_WORD = {A_CLIENT: A_OTHER_CLIENT, B_CLIENT: B_OTHER_CLIENT}


# Expected outcomes -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Redirect:
    """A 302 to ``target`` (a URL name; ``args`` are object keys). ``exact`` compares the whole path."""

    target: str
    args: tuple[str, ...] = ()
    exact: bool = True
    query: str = ""

    def location(self, world: World) -> str:
        return reverse(self.target, args=[world.ref(arg) for arg in self.args]) + self.query

    def __str__(self) -> str:
        return f"302→{self.target}"


LOGIN = Redirect("accounts:login", query="?next=", exact=False)
ADMIN_LOGIN = Redirect("admin:login", query="?next=", exact=False)
Outcome = int | Redirect


def expect(**outcomes: Outcome) -> dict[str, Outcome]:
    """One outcome per actor, given by actor or by group (later keys override earlier ones)."""
    result: dict[str, Outcome] = {}
    for key, outcome in outcomes.items():
        for actor in GROUPS.get(key, (key,)):
            assert actor in ACTORS, f"unknown actor {actor!r}"
            result[actor] = outcome
    missing = [actor for actor in ACTORS if actor not in result]
    assert not missing, f"no outcome for {missing}"
    return result


def is_refusal(outcome: Outcome) -> bool:
    if isinstance(outcome, Redirect):
        return outcome.target in ("accounts:login", "admin:login", "admin:index")
    return outcome >= 400


@dataclass(frozen=True)
class Lit:
    """A literal URL argument (not an object key)."""

    value: str


@dataclass(frozen=True)
class Call:
    """One request shape: expected outcome per actor, request data, audit events on success."""

    outcomes: dict[str, Outcome]
    data: Callable[[World], dict[str, Any]] | None = None
    #: Audit events a successful request records; 0: it must change no row at all. Required on every
    #: write that may succeed (``test_every_write_declares_its_audit_events``).
    audits: int | None = None


@dataclass(frozen=True)
class PageSpec:
    kwargs: dict[str, str | Lit] = field(default_factory=dict)
    get: Call | None = None
    post: Call | None = None


@dataclass(frozen=True)
class ApiSpec:
    call: Call
    path: dict[str, str] = field(default_factory=dict)


def provider_page(**outcomes: Outcome) -> dict[str, Outcome]:
    """A back-office page: anonymous → login, client-side roles → 404 (the page does not exist for them)."""
    return expect(anonymous=LOGIN, client_side=404, **outcomes)


def portal_page(**outcomes: Outcome) -> dict[str, Outcome]:
    """A portal page: anonymous → login, provider-side roles (A's and B's) → 404."""
    return expect(anonymous=LOGIN, provider=404, other_admin=404, **outcomes)


def logged_in(**outcomes: Outcome) -> dict[str, Outcome]:
    return expect(anonymous=LOGIN, **outcomes)


# The API's entries: "METHOD /path" as in the OpenAPI document ---------------------------------------


def api_call(
    audits: int | None = None, data: Callable[[World], dict[str, Any]] | None = None, **outcomes: Outcome
) -> Call:
    return Call(expect(anonymous=401, **outcomes), data=data, audits=audits)


#: A record of A's client (its row, site, contact, asset): A's provider roles and the client's roles read it.
CLIENT_RECORD_READ: dict[str, Any] = {"provider": 200, "client_manager": 200, "client_user": 200}
FOREIGN: dict[str, Any] = {"other_client_manager": 404, "other_admin": 404}


# The world: A and B, with marker words in every name ---------------------------------------------


@dataclass
class World:
    a: Tenant
    b: Tenant
    contact: Contact  # A's client's contact
    admin_token: ApiToken  # a token of A's admin (for the revoke page)
    extra: dict[str, int] = field(default_factory=dict)  # A's objects built by the registries (``build``)

    def member(self, actor: str) -> Membership | None:
        if actor == "anonymous":
            return None
        if actor == "other_admin":
            return self.b.admin
        return self.a.member(actor)

    def ref(self, key: str) -> int:
        refs = {
            "client": self.a.client.pk,
            "site": self.a.site.pk,
            "contact": self.contact.pk,
            "client_user_membership": self.a.client_user.pk,
            "admin_token": self.admin_token.pk,
            **self.extra,
        }
        return refs[key]
