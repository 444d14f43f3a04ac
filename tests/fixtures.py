"""Shared fixtures, loaded for the whole suite by the root conftest.py.

Two tenants with every role, a logged-in client per role, API tokens; the CI skip-is-failure hook.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.test import Client as HttpClient

from pacte.tenancy.models import Client, Membership, Provider, Role, Site
from tests.factories import ClientFactory, ContactFactory, MembershipFactory, ProviderFactory, SiteFactory

REQUIRE_ALL = os.environ.get("PACTE_REQUIRE_ALL") == "1"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Under PACTE_REQUIRE_ALL=1 (CI), a skipped test is a failure: nothing may silently not run."""
    outcome = yield
    report = outcome.get_result()
    if REQUIRE_ALL and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"Skipped under PACTE_REQUIRE_ALL=1: {reason}"


def pytest_collection_modifyitems(config, items):
    """``postgres_only`` tests are deselected (not skipped) when the suite runs on SQLite.

    They prove what only PostgreSQL's row locks can (e.g. SKIP LOCKED between workers); the
    PostgreSQL pass of ``make test`` runs them. Deselected, they do not trip PACTE_REQUIRE_ALL.
    """
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        return
    kept = [item for item in items if item.get_closest_marker("postgres_only") is None]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[item for item in items if item not in kept])
        items[:] = kept


@pytest.fixture
def run_jobs(db):
    """``run_jobs()`` → run every ready job in this process, as ``pacte worker --once`` does; returns its report.

    Jobs run inside the test's transaction (no heartbeat thread): enqueued rows are visible to it.
    """
    from pacte.jobs.worker import Worker

    def _run():
        return Worker(once=True, heartbeat=False).run()

    return _run


@dataclass
class Tenant:
    """A provider with one client (and a second client), a site, a contact and every role."""

    provider: Provider
    client: Client
    other_client: Client
    site: Site
    admin: Membership
    manager: Membership
    technician: Membership
    client_manager: Membership
    client_user: Membership
    other_client_manager: Membership

    def member(self, role: str) -> Membership:
        return getattr(self, role)


def make_tenant(label: str) -> Tenant:
    provider = ProviderFactory(name=f"Prestataire {label}")
    client = ClientFactory(provider=provider, name=f"Client {label}")
    other_client = ClientFactory(provider=provider, name=f"Autre client {label}")
    site = SiteFactory(client=client, provider=provider)
    ContactFactory(client=client, provider=provider)
    ContactFactory(client=other_client, provider=provider)
    SiteFactory(client=other_client, provider=provider)

    def member(role: str, on: Client | None = None) -> Membership:
        return MembershipFactory(provider=provider, client=on, role=role)

    return Tenant(
        provider=provider,
        client=client,
        other_client=other_client,
        site=site,
        admin=member(Role.PROVIDER_ADMIN),
        manager=member(Role.PROVIDER_MANAGER),
        technician=member(Role.TECHNICIAN),
        client_manager=member(Role.CLIENT_MANAGER, client),
        client_user=member(Role.CLIENT_USER, client),
        other_client_manager=member(Role.CLIENT_MANAGER, other_client),
    )


@pytest.fixture
def tenant(db) -> Tenant:
    return make_tenant("A")


@pytest.fixture
def other_tenant(db) -> Tenant:
    return make_tenant("B")


@pytest.fixture
def login():
    """``login(membership)`` → a Django test client logged in and acting as that membership."""

    def _login(membership: Membership) -> HttpClient:
        http = HttpClient()
        http.force_login(membership.user)
        session = http.session
        session["pacte_membership_id"] = membership.pk
        session.save()
        return http

    return _login


@pytest.fixture
def api_token():
    """``api_token(membership)`` → the secret of a fresh API token acting as that membership."""
    from pacte.accounts.services import api_token_create

    def _token(membership: Membership) -> str:
        _token_row, secret = api_token_create(actor=membership, name="test")
        return secret

    return _token


def pytest_configure(config):
    """Compile the .po catalogues before any test runs (the .mo files are not committed).

    Under xdist only the controller compiles (before it starts the workers), so workers never race
    on the same .mo file; a plain run compiles in its only process.
    """
    if hasattr(config, "workerinput"):
        return
    from django.core.management import call_command

    call_command("compile_translations", verbosity=0)


# Seal certificates (documents) -------------------------------------------------------------------


@dataclass(frozen=True)
class SealFiles:
    """Self-signed PKCS#12 seal certificates made for the test session (all with ``password``)."""

    valid: Path
    other: Path  # another valid certificate: not the provider's
    expired: Path
    password: str


@pytest.fixture(scope="session")
def seal_files(tmp_path_factory) -> SealFiles:
    from pacte.documents.sealing import self_signed_p12_create

    directory = tmp_path_factory.mktemp("seals")
    now = datetime.datetime.now(datetime.UTC)
    day = datetime.timedelta(days=1)
    password = "seal-test-password"
    spans = {
        "valid": (now - day, now + 365 * day),
        "other": (now - day, now + 365 * day),
        "expired": (now - 30 * day, now - day),
    }
    for name, (valid_from, valid_until) in spans.items():
        self_signed_p12_create(
            directory / f"{name}.p12",
            password=password,
            common_name=f"Cachet de test ({name})",
            organization="Prestataire de test",
            valid_from=valid_from,
            valid_until=valid_until,
        )
    return SealFiles(
        valid=directory / "valid.p12",
        other=directory / "other.p12",
        expired=directory / "expired.p12",
        password=password,
    )


@pytest.fixture
def seal(settings, seal_files) -> SealFiles:
    """The install's seal certificate configured (PACTE_SEAL_P12 / PACTE_SEAL_PASSWORD) for one test."""
    settings.PACTE_SEAL_P12 = str(seal_files.valid)
    settings.PACTE_SEAL_PASSWORD = seal_files.password
    settings.PACTE_SEAL_PROVIDERS = {}
    return seal_files
