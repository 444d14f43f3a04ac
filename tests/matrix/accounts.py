"""The public pages, the account pages and the API's own pages in the tenant-isolation matrix.

See ``tests/matrix/__init__.py``. These act on the actor's own session, profile and tokens; two name
an object of A: ``accounts:token_revoke`` (A's admin's token) and ``accounts:switch`` (A's admin's
membership), 404 to every other member. The API's operations are in the other modules' ``API``.
"""

from __future__ import annotations

from tests.fixtures import Tenant
from tests.matrix.framework import ApiSpec, Call, Lit, PageSpec, Redirect, expect, logged_in

PAGES: dict[str, PageSpec] = {
    # Public and account pages
    "home": PageSpec(
        get=Call(
            expect(
                anonymous=Redirect("accounts:login"),
                provider=Redirect("tenancy:client_list"),
                other_admin=Redirect("tenancy:client_list"),
                client_side=Redirect("portal:home"),
            )
        ),
        post=Call(
            expect(
                anonymous=Redirect("accounts:login"),
                provider=Redirect("tenancy:client_list"),
                other_admin=Redirect("tenancy:client_list"),
                client_side=Redirect("portal:home"),
            ),
            audits=0,
        ),
    ),
    "set_language": PageSpec(
        get=Call(expect(everyone=Redirect("home"))),
        post=Call(expect(everyone=Redirect("home")), data=lambda world: {"language": "en"}, audits=0),
    ),
    "accounts:login": PageSpec(
        get=Call(expect(anonymous=200, members=Redirect("home"))),
        post=Call(
            expect(anonymous=200, members=Redirect("home")),
            data=lambda world: {"username": "nobody@example.test", "password": "wrong"},
            audits=0,
        ),
    ),
    "accounts:logout": PageSpec(
        get=Call(expect(everyone=405)),
        post=Call(expect(everyone=Redirect("accounts:login")), audits=0),
    ),
    "accounts:password_reset": PageSpec(
        get=Call(expect(everyone=200)),
        post=Call(
            expect(everyone=Redirect("accounts:password_reset_done")),
            data=lambda world: {"email": "nobody@example.test"},
            audits=0,
        ),
    ),
    "accounts:password_reset_done": PageSpec(get=Call(expect(everyone=200)), post=Call(expect(everyone=405))),
    "accounts:password_reset_confirm": PageSpec(
        kwargs={"uidb64": Lit("MQ"), "token": Lit("bad-token")},
        get=Call(expect(everyone=200)),
        post=Call(expect(everyone=200), data=lambda world: {"new_password1": "x", "new_password2": "x"}, audits=0),
    ),
    "accounts:password_reset_complete": PageSpec(get=Call(expect(everyone=200)), post=Call(expect(everyone=405))),
    "accounts:password_change": PageSpec(
        get=Call(logged_in(members=200)),
        post=Call(logged_in(members=200), data=lambda world: {"old_password": "wrong"}, audits=0),
    ),
    "accounts:switch": PageSpec(
        get=Call(logged_in(members=200)),
        # Switching into someone else's membership: 404 (it is not one of yours).
        post=Call(
            logged_in(members=404, admin=Redirect("home")),
            data=lambda world: {"membership": world.a.admin.pk},
            audits=0,
        ),
    ),
    "accounts:profile": PageSpec(
        get=Call(logged_in(members=200)),
        post=Call(
            logged_in(members=Redirect("accounts:profile")),
            data=lambda world: {"full_name": "Renamed Person", "language": "fr"},
            audits=1,
        ),
    ),
    "accounts:tokens": PageSpec(
        get=Call(logged_in(members=200)),
        post=Call(logged_in(members=200), data=lambda world: {"name": "CI"}, audits=1),
    ),
    "accounts:token_revoke": PageSpec(
        kwargs={"pk": "admin_token"},
        get=Call(logged_in(members=405)),
        post=Call(logged_in(members=404, admin=Redirect("accounts:tokens")), audits=1),
    ),
    # The API's own pages (operations are in ``API``)
    # The OpenAPI document and its viewer are public and read-only (ninja answers any method).
    "api:openapi-json": PageSpec(get=Call(expect(everyone=200)), post=Call(expect(everyone=200), audits=0)),
    "api:openapi-view": PageSpec(get=Call(expect(everyone=200)), post=Call(expect(everyone=200), audits=0)),
    "api:api-root": PageSpec(get=Call(expect(everyone=404)), post=Call(expect(everyone=404))),
}

API: dict[str, ApiSpec] = {}


def build(tenant: Tenant, provider_word: str, client_word: str) -> dict[str, int]:
    return {}
