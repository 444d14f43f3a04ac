"""The tenant-isolation matrix: every URL pattern and every API operation, as every kind of actor.

Routes are discovered from the URL conf (``get_resolver()``, walked recursively with namespaces) and
from the OpenAPI document; each one must have an entry in ``PAGES`` / ``API`` below (or belong to
the Django admin group), otherwise ``test_every_route_is_classified`` fails and so does every
parametrized case of the new route. Each entry says, for each actor, what the response must be.

Actors (A and B are two tenants built by ``make_tenant`` of ``tests/fixtures.py``, the builder of the
``tenant`` / ``other_tenant`` fixtures):

- ``anonymous``: nobody logged in / no token;
- ``admin``, ``manager``, ``technician``: A's provider roles;
- ``client_manager``, ``client_user``: roles at A's client (the owner of the objects in the URLs);
- ``other_client_manager``: the manager of A's *other* client (same provider, another client);
- ``other_admin``: B's provider admin (another tenant).

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
import functools
import json
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.db.models import Model
from django.test import Client as HttpClient
from django.test.client import ClientHandler
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from pacte.accounts.models import ApiToken, User
from pacte.accounts.services import api_token_create
from pacte.assets import services as asset_services
from pacte.assets.models import Asset
from pacte.audit.models import AuditEvent
from pacte.billing.models import BillingRun, Invoice, InvoiceLine, Payment, Reminder, Series
from pacte.billing.models_credits import ServiceCredit
from pacte.config.api import api
from pacte.contracts import catalogue as contract_catalogue
from pacte.contracts import dates as contract_dates
from pacte.contracts import indexes as contract_indexes
from pacte.contracts import lifecycle as contract_lifecycle
from pacte.contracts import revisions as contract_revisions
from pacte.contracts import services as contract_services
from pacte.contracts.forms import AmendmentForm, ContractDraftForm, TemplateForm
from pacte.contracts.models import (
    Contract,
    ContractAlert,
    ContractSettings,
    ContractTemplate,
    ContractVersion,
    ExitItem,
    IndexValue,
    Notice,
    ReferenceSequence,
    Revision,
    ServiceCategory,
)
from pacte.contracts.tests.posting import form_data
from pacte.documents import storage as document_storage
from pacte.documents.models import Document, SealCertificate, SignatureEvidence
from pacte.documents.services import document_store
from pacte.interventions.models import (
    CalendarFeed,
    ChecklistItem,
    Intervention,
    InterventionFile,
    InterventionSequence,
    Part,
    PatchRecord,
    PreventivePlan,
    PreventiveVisit,
    TimeEntry,
)
from pacte.ledger.models import Account as LedgerAccount
from pacte.ledger.models import Movement as LedgerMovement
from pacte.ledger.models import ThresholdAlert
from pacte.mail.domain import Recipient
from pacte.mail.models import MessageStatus, OutboundMessage
from pacte.mail.services import mail_send
from pacte.servicedesk.models import (
    InboundMail,
    Mailbox,
    Quote,
    SavedView,
    ServiceDeskSettings,
    Team,
    Ticket,
    TicketAttachment,
    TicketEvent,
    TicketMessage,
)
from pacte.sla import services as sla_services
from pacte.sla.models import BusinessCalendar, CalendarException, ProviderClosure, ServiceLevel, ServiceLevelTarget
from pacte.tenancy.models import Client, Contact, Membership, Provider, Role, Site
from tests.factories import ClientFactory, ContactFactory, MembershipFactory, SiteFactory
from tests.fixtures import Tenant, make_tenant

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

# Marker words written into every row's names and e-mails (see ``world``), and who must never see them.
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


# Request data (never containing marker words) ----------------------------------------------------

NEW_EMAIL = "new.person@example.test"


def client_form(world: World) -> dict[str, Any]:
    return {"name": "Renamed client", "country": "FR", "time_zone": "Europe/Paris", "is_professional": "on"}


def site_form(world: World) -> dict[str, Any]:
    return {"name": "New site name", "country": "FR"}


def contact_form(world: World) -> dict[str, Any]:
    return {"last_name": "Newcontact", "email": "new.contact@example.test"}


def membership_form_portal(world: World) -> dict[str, Any]:
    return {"email": NEW_EMAIL, "role": Role.CLIENT_USER}


def membership_form(world: World) -> dict[str, Any]:
    return {"email": NEW_EMAIL, "role": Role.CLIENT_USER, "client": world.a.client.pk}


def role_form(world: World) -> dict[str, Any]:
    return {"role": Role.CLIENT_MANAGER}


SLA_WEEK = {day: [["08:00", "12:00"], ["13:30", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}


def calendar_form(world: World) -> dict[str, Any]:
    return {
        "name": "New calendar",
        "time_zone": "Europe/Paris",
        "holiday_subdivision": "",
        "holidays_close": "on",
        "mon_start": ["08:00", "13:30"],
        "mon_end": ["12:00", "18:00"],
    }


def service_level_form(world: World) -> dict[str, Any]:
    data: dict[str, Any] = {"name": "New level", "calendar": world.ref("calendar"), "warning_percent": "75"}
    for priority in ("P1", "P2", "P3", "P4"):
        for kind in ("response", "intervention", "restoration", "resolution"):
            data[f"target_{priority}_{kind}"] = "4" if priority == "P1" else ""
            data[f"basis_{priority}_{kind}"] = "business"
    return data


def verify_form(world: World) -> dict[str, Any]:
    """A's client's stored document, uploaded for verification (A's roles see it named; B's see it unknown)."""
    document = Document.objects.get(pk=world.ref("document"))
    content = document_storage.read(document.storage_name)
    return {"file": SimpleUploadedFile("document.pdf", content, content_type="application/pdf")}


def asset_form(world: World) -> dict[str, Any]:
    return {"client": world.a.client.pk, "name": "New asset", "kind": "laptop"}


def asset_edit_form(world: World) -> dict[str, Any]:
    return {"name": "Renamed asset", "kind": "laptop"}


def asset_import_form(world: World) -> dict[str, Any]:
    """A CSV file for A's client (its preview is a read: the file waits in the session)."""
    content = "nom;numéro de série;type\r\nImported asset;SN-IMPORT-1;portable\r\n".encode()
    return {"client": world.a.client.pk, "file": SimpleUploadedFile("parc.csv", content, content_type="text/csv")}


def index_value_form(world: World) -> dict[str, Any]:
    return {
        "index_code": "SYNTEC",
        "month": "2029-03",
        "series": "current",
        "value": "330,5",
        "published_on": "2029-04-20",
    }


def index_import_form(world: World) -> dict[str, Any]:
    """A CSV of index values (its preview is a read: the file waits in the session)."""
    content = "mois;valeur;publié le\r\n03/2029;330,5;20/04/2029\r\n".encode()
    return {"index_code": "SYNTEC", "file": SimpleUploadedFile("syntec.csv", content, content_type="text/csv")}


def _in_days(days: int) -> str:
    return (datetime.date.today() + datetime.timedelta(days=days)).isoformat()  # noqa: DTZ011


def contract_new_form(world: World) -> dict[str, Any]:
    return {
        "client": world.a.client.pk,
        "template": world.ref("contract_template"),
        "title": "New contract",
        "start_date": "2027-01-01",
    }


def contract_terms_form(world: World) -> dict[str, Any]:
    """The whole terms form of A's draft as shown, retitled."""
    contract = Contract.objects.get(pk=world.ref("contract_draft"))
    initial = {"title": contract.title, "start_date": contract.start_date, "duration_months": contract.duration_months}
    form = ContractDraftForm(terms=contract.versions.get().terms, initial=initial)
    return form_data(form, title="Renamed contract")


def amendment_form(world: World) -> dict[str, Any]:
    contract = Contract.objects.get(pk=world.ref("contract_active"))
    form = AmendmentForm(terms=contract.versions.get(number=1).terms)
    return form_data(form, effective_from=_in_days(60), reason="New fee", ff_fee="1000.00")


def amendment_edit_form(world: World) -> dict[str, Any]:
    version = ContractVersion.objects.get(pk=world.ref("contract_amendment"))
    return form_data(AmendmentForm(terms=version.terms), effective_from=_in_days(45), reason="Changed reason")


def template_new_form(world: World) -> dict[str, Any]:
    return form_data(TemplateForm(), name="New template", ff_fee="500.00")


def template_edit_form(world: World) -> dict[str, Any]:
    template = ContractTemplate.objects.get(pk=world.ref("contract_template"))
    return form_data(TemplateForm(template=template), name="Renamed template")


# The page registry -------------------------------------------------------------------------------

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
    # Back office: clients
    "tenancy:client_list": PageSpec(
        get=Call(provider_page(provider=200, other_admin=200)),
        post=Call(provider_page(provider=405, other_admin=405)),
    ),
    "tenancy:client_create": PageSpec(
        get=Call(provider_page(managers=200, technician=403, other_admin=200)),
        post=Call(
            provider_page(
                managers=Redirect("tenancy:client_list", exact=False),
                technician=403,
                other_admin=Redirect("tenancy:client_list", exact=False),
            ),
            data=client_form,
            audits=1,
        ),
    ),
    "tenancy:client_detail": PageSpec(
        kwargs={"pk": "client"},
        get=Call(provider_page(provider=200, other_admin=404)),
        post=Call(provider_page(provider=405, other_admin=405)),
    ),
    "tenancy:client_update": PageSpec(
        kwargs={"pk": "client"},
        get=Call(provider_page(managers=200, technician=403, other_admin=404)),
        post=Call(
            provider_page(managers=Redirect("tenancy:client_detail", ("client",)), technician=403, other_admin=404),
            data=client_form,
            audits=1,
        ),
    ),
    "tenancy:client_archive": PageSpec(
        kwargs={"pk": "client"},
        get=Call(provider_page(provider=405, other_admin=405)),
        post=Call(provider_page(managers=Redirect("tenancy:client_list"), technician=403, other_admin=404), audits=1),
    ),
    # Back office: sites and contacts of a client
    "tenancy:site_create": PageSpec(
        kwargs={"client_pk": "client"},
        get=Call(provider_page(managers=200, technician=403, other_admin=404)),
        post=Call(
            provider_page(managers=Redirect("tenancy:client_detail", ("client",)), technician=403, other_admin=404),
            data=site_form,
            audits=1,
        ),
    ),
    "tenancy:site_update": PageSpec(
        kwargs={"pk": "site"},
        get=Call(provider_page(managers=200, technician=403, other_admin=404)),
        post=Call(
            provider_page(managers=Redirect("tenancy:client_detail", ("client",)), technician=403, other_admin=404),
            data=site_form,
            audits=1,
        ),
    ),
    "tenancy:site_archive": PageSpec(
        kwargs={"pk": "site"},
        get=Call(provider_page(provider=405, other_admin=405)),
        post=Call(
            provider_page(managers=Redirect("tenancy:client_detail", ("client",)), technician=403, other_admin=404),
            audits=1,
        ),
    ),
    "tenancy:contact_create": PageSpec(
        kwargs={"client_pk": "client"},
        get=Call(provider_page(managers=200, technician=403, other_admin=404)),
        post=Call(
            provider_page(managers=Redirect("tenancy:client_detail", ("client",)), technician=403, other_admin=404),
            data=contact_form,
            audits=1,
        ),
    ),
    "tenancy:contact_update": PageSpec(
        kwargs={"pk": "contact"},
        get=Call(provider_page(managers=200, technician=403, other_admin=404)),
        post=Call(
            provider_page(managers=Redirect("tenancy:client_detail", ("client",)), technician=403, other_admin=404),
            data=contact_form,
            audits=1,
        ),
    ),
    "tenancy:contact_archive": PageSpec(
        kwargs={"pk": "contact"},
        get=Call(provider_page(provider=405, other_admin=405)),
        post=Call(
            provider_page(managers=Redirect("tenancy:client_detail", ("client",)), technician=403, other_admin=404),
            audits=1,
        ),
    ),
    # Back office: users and roles (provider admins only)
    "tenancy:user_list": PageSpec(
        get=Call(provider_page(admin=200, manager=403, technician=403, other_admin=200)),
        post=Call(provider_page(provider=405, other_admin=405)),
    ),
    "tenancy:user_create": PageSpec(
        get=Call(provider_page(admin=200, manager=403, technician=403, other_admin=200)),
        # B's admin cannot even name A's client: the form's choices are B's clients (422).
        post=Call(
            provider_page(admin=Redirect("tenancy:user_list"), manager=403, technician=403, other_admin=422),
            data=membership_form,
            audits=1,
        ),
    ),
    "tenancy:user_update": PageSpec(
        kwargs={"pk": "client_user_membership"},
        get=Call(provider_page(admin=200, manager=403, technician=403, other_admin=404)),
        post=Call(
            provider_page(admin=Redirect("tenancy:user_list"), manager=403, technician=403, other_admin=404),
            data=role_form,
            audits=1,
        ),
    ),
    "tenancy:user_archive": PageSpec(
        kwargs={"pk": "client_user_membership"},
        get=Call(provider_page(provider=405, other_admin=405)),
        post=Call(
            provider_page(admin=Redirect("tenancy:user_list"), manager=403, technician=403, other_admin=404),
            audits=1,
        ),
    ),
    # Client portal
    "portal:home": PageSpec(get=Call(portal_page(client_side=200)), post=Call(portal_page(client_side=405))),
    "portal:company": PageSpec(get=Call(portal_page(client_side=200)), post=Call(portal_page(client_side=405))),
    "portal:site_create": PageSpec(
        get=Call(portal_page(client_manager=200, client_user=403, other_client_manager=200)),
        post=Call(
            portal_page(
                client_manager=Redirect("portal:company"),
                client_user=403,
                other_client_manager=Redirect("portal:company"),
            ),
            data=site_form,
            audits=1,
        ),
    ),
    "portal:site_update": PageSpec(
        kwargs={"pk": "site"},
        get=Call(portal_page(client_manager=200, client_user=403, other_client_manager=404)),
        post=Call(
            portal_page(client_manager=Redirect("portal:company"), client_user=403, other_client_manager=404),
            data=site_form,
            audits=1,
        ),
    ),
    "portal:site_archive": PageSpec(
        kwargs={"pk": "site"},
        get=Call(portal_page(client_side=405)),
        post=Call(
            portal_page(client_manager=Redirect("portal:company"), client_user=403, other_client_manager=404),
            audits=1,
        ),
    ),
    "portal:contact_create": PageSpec(
        get=Call(portal_page(client_manager=200, client_user=403, other_client_manager=200)),
        post=Call(
            portal_page(
                client_manager=Redirect("portal:company"),
                client_user=403,
                other_client_manager=Redirect("portal:company"),
            ),
            data=contact_form,
            audits=1,
        ),
    ),
    "portal:contact_update": PageSpec(
        kwargs={"pk": "contact"},
        get=Call(portal_page(client_manager=200, client_user=403, other_client_manager=404)),
        post=Call(
            portal_page(client_manager=Redirect("portal:company"), client_user=403, other_client_manager=404),
            data=contact_form,
            audits=1,
        ),
    ),
    "portal:contact_archive": PageSpec(
        kwargs={"pk": "contact"},
        get=Call(portal_page(client_side=405)),
        post=Call(
            portal_page(client_manager=Redirect("portal:company"), client_user=403, other_client_manager=404),
            audits=1,
        ),
    ),
    "portal:users": PageSpec(
        get=Call(portal_page(client_manager=200, client_user=403, other_client_manager=200)),
        post=Call(portal_page(client_side=405)),
    ),
    "portal:user_create": PageSpec(
        get=Call(portal_page(client_manager=200, client_user=403, other_client_manager=200)),
        post=Call(
            portal_page(
                client_manager=Redirect("portal:users"),
                client_user=403,
                other_client_manager=Redirect("portal:users"),
            ),
            data=membership_form_portal,
            audits=1,
        ),
    ),
    "portal:user_update": PageSpec(
        kwargs={"pk": "client_user_membership"},
        get=Call(portal_page(client_manager=200, client_user=403, other_client_manager=404)),
        post=Call(
            portal_page(client_manager=Redirect("portal:users"), client_user=403, other_client_manager=404),
            data=role_form,
            audits=1,
        ),
    ),
    "portal:user_archive": PageSpec(
        kwargs={"pk": "client_user_membership"},
        get=Call(portal_page(client_side=405)),
        post=Call(
            portal_page(client_manager=Redirect("portal:users"), client_user=403, other_client_manager=404),
            audits=1,
        ),
    ),
    # Back office: SLA settings (calendars, provider closures, service levels): provider side only
    "sla:service_level_list": PageSpec(
        get=Call(provider_page(provider=200, other_admin=200)),
        post=Call(provider_page(provider=405, other_admin=405)),
    ),
    "sla:service_level_create": PageSpec(
        get=Call(provider_page(managers=200, technician=403, other_admin=200)),
        # B's admin cannot name A's calendar: the form's choices are B's calendars (422).
        post=Call(
            provider_page(managers=Redirect("sla:service_level_list", exact=False), technician=403, other_admin=422),
            data=service_level_form,
            audits=1,
        ),
    ),
    "sla:service_level_detail": PageSpec(
        kwargs={"pk": "service_level"},
        get=Call(provider_page(provider=200, other_admin=404)),
        post=Call(provider_page(provider=405, other_admin=405)),
    ),
    "sla:service_level_update": PageSpec(
        kwargs={"pk": "service_level"},
        get=Call(provider_page(managers=200, technician=403, other_admin=404)),
        post=Call(
            provider_page(
                managers=Redirect("sla:service_level_detail", ("service_level",)), technician=403, other_admin=404
            ),
            data=service_level_form,
            audits=1,
        ),
    ),
    "sla:service_level_archive": PageSpec(
        kwargs={"pk": "service_level"},
        get=Call(provider_page(provider=405, other_admin=405)),
        post=Call(
            provider_page(managers=Redirect("sla:service_level_list"), technician=403, other_admin=404), audits=1
        ),
    ),
    "sla:calendar_list": PageSpec(
        get=Call(provider_page(provider=200, other_admin=200)),
        post=Call(provider_page(provider=405, other_admin=405)),
    ),
    "sla:calendar_create": PageSpec(
        get=Call(provider_page(managers=200, technician=403, other_admin=200)),
        post=Call(
            provider_page(
                managers=Redirect("sla:calendar_list", exact=False),
                technician=403,
                other_admin=Redirect("sla:calendar_list", exact=False),
            ),
            data=calendar_form,
            audits=1,
        ),
    ),
    "sla:holiday_preview": PageSpec(
        get=Call(provider_page(provider=200, other_admin=200)),
        post=Call(provider_page(provider=405, other_admin=405)),
    ),
    "sla:calendar_detail": PageSpec(
        kwargs={"pk": "calendar"},
        get=Call(provider_page(provider=200, other_admin=404)),
        post=Call(provider_page(provider=405, other_admin=405)),
    ),
    "sla:calendar_update": PageSpec(
        kwargs={"pk": "calendar"},
        get=Call(provider_page(managers=200, technician=403, other_admin=404)),
        post=Call(
            provider_page(managers=Redirect("sla:calendar_detail", ("calendar",)), technician=403, other_admin=404),
            data=calendar_form,
            audits=1,
        ),
    ),
    "sla:calendar_archive": PageSpec(
        kwargs={"pk": "spare_calendar"},
        get=Call(provider_page(provider=405, other_admin=405)),
        post=Call(provider_page(managers=Redirect("sla:calendar_list"), technician=403, other_admin=404), audits=1),
    ),
    "sla:calendar_simulate": PageSpec(
        kwargs={"pk": "calendar"},
        get=Call(provider_page(provider=200, other_admin=404)),
        post=Call(provider_page(provider=405, other_admin=405)),
    ),
    "sla:calendar_exception_create": PageSpec(
        kwargs={"pk": "calendar"},
        get=Call(provider_page(provider=405, other_admin=405)),
        post=Call(
            provider_page(
                managers=Redirect("sla:calendar_detail", ("calendar",), exact=False), technician=403, other_admin=404
            ),
            data=lambda world: {"day": "2027-02-01", "kind": "closed", "label": "Inventory"},
            audits=1,
        ),
    ),
    "sla:calendar_exception_delete": PageSpec(
        kwargs={"pk": "calendar", "exception_pk": "calendar_exception"},
        get=Call(provider_page(provider=405, other_admin=405)),
        post=Call(
            provider_page(
                managers=Redirect("sla:calendar_detail", ("calendar",), exact=False), technician=403, other_admin=404
            ),
            audits=1,
        ),
    ),
    "sla:closure_list": PageSpec(
        get=Call(provider_page(provider=200, other_admin=200)),
        post=Call(provider_page(provider=405, other_admin=405)),
    ),
    "sla:closure_create": PageSpec(
        get=Call(provider_page(provider=405, other_admin=405)),
        post=Call(
            provider_page(
                managers=Redirect("sla:closure_list"), technician=403, other_admin=Redirect("sla:closure_list")
            ),
            data=lambda world: {"label": "Inventory", "start_date": "2027-02-01", "end_date": "2027-02-02"},
            audits=1,
        ),
    ),
    "sla:closure_delete": PageSpec(
        kwargs={"pk": "closure"},
        get=Call(provider_page(provider=405, other_admin=405)),
        post=Call(provider_page(managers=Redirect("sla:closure_list"), technician=403, other_admin=404), audits=1),
    ),
    # Documents: the verification page (provider side) and the download (both sides, scoped)
    "documents:verify": PageSpec(
        get=Call(provider_page(provider=200, other_admin=200)),
        post=Call(provider_page(provider=200, other_admin=200), data=verify_form, audits=0),  # a read
    ),
    "documents:download": PageSpec(
        kwargs={"pk": "document"},
        get=Call(
            logged_in(provider=200, client_manager=200, client_user=200, other_client_manager=404, other_admin=404)
        ),
        post=Call(logged_in(members=405)),
    ),
    # Outgoing e-mail: the provider's administrators only (its managers and technicians: 403)
    "mail:message_list": PageSpec(
        get=Call(provider_page(admin=200, manager=403, technician=403, other_admin=200)),
        post=Call(provider_page(admin=405, manager=403, technician=403, other_admin=405)),
    ),
    "mail:message_detail": PageSpec(
        kwargs={"pk": "mail_message"},
        get=Call(provider_page(admin=200, manager=403, technician=403, other_admin=404)),
        post=Call(provider_page(admin=405, manager=403, technician=403, other_admin=405)),
    ),
    # Assets (equipment): every member reads its scope; the provider's managers write and import.
    "assets:asset_list": PageSpec(
        get=Call(provider_page(provider=200, other_admin=200)),
        post=Call(provider_page(provider=405, other_admin=405)),
    ),
    "assets:asset_create": PageSpec(
        get=Call(provider_page(managers=200, technician=403, other_admin=200)),
        # B's admin cannot name A's client: the form's choices are B's clients (422).
        post=Call(
            provider_page(managers=Redirect("assets:asset_list", exact=False), technician=403, other_admin=422),
            data=asset_form,
            audits=1,
        ),
    ),
    "assets:asset_detail": PageSpec(
        kwargs={"pk": "asset"},
        get=Call(provider_page(provider=200, other_admin=404)),
        post=Call(provider_page(provider=405, other_admin=405)),
    ),
    "assets:asset_update": PageSpec(
        kwargs={"pk": "asset"},
        get=Call(provider_page(managers=200, technician=403, other_admin=404)),
        post=Call(
            provider_page(managers=Redirect("assets:asset_detail", ("asset",)), technician=403, other_admin=404),
            data=asset_edit_form,
            audits=1,
        ),
    ),
    "assets:asset_archive": PageSpec(
        kwargs={"pk": "asset"},
        get=Call(provider_page(provider=405, other_admin=405)),
        post=Call(provider_page(managers=Redirect("assets:asset_list"), technician=403, other_admin=404), audits=1),
    ),
    "assets:asset_import": PageSpec(
        get=Call(provider_page(managers=200, technician=403, other_admin=200)),
        # The preview writes nothing (the file waits in the session); B's admin cannot name A's client (422).
        post=Call(provider_page(managers=200, technician=403, other_admin=422), data=asset_import_form, audits=0),
    ),
    "assets:asset_import_confirm": PageSpec(
        get=Call(provider_page(managers=405, technician=403, other_admin=405)),
        # Nothing waits in this session: back to the upload page, nothing written.
        post=Call(
            provider_page(
                managers=Redirect("assets:asset_import"), technician=403, other_admin=Redirect("assets:asset_import")
            ),
            audits=0,
        ),
    ),
    "portal:asset_list": PageSpec(get=Call(portal_page(client_side=200)), post=Call(portal_page(client_side=405))),
    "portal:asset_detail": PageSpec(
        kwargs={"pk": "asset"},
        get=Call(portal_page(client_manager=200, client_user=200, other_client_manager=404)),
        post=Call(portal_page(client_side=405)),
    ),
    # The client's contracts in the portal: its manager only (client users see no contract: 404).
    "portal:contract_list": PageSpec(
        get=Call(portal_page(client_manager=200, client_user=404, other_client_manager=200)),
        post=Call(portal_page(client_manager=405, client_user=404, other_client_manager=405)),
    ),
    "portal:contract_detail": PageSpec(
        kwargs={"pk": "portal_contract"},
        get=Call(portal_page(client_manager=200, client_user=404, other_client_manager=404)),
        post=Call(portal_page(client_manager=405, client_user=404, other_client_manager=405)),
    ),
    "portal:version_sign": PageSpec(
        kwargs={"pk": "portal_amendment"},
        get=Call(portal_page(client_manager=200, client_user=404, other_client_manager=404)),
        # An empty form (no consent, no name): 422 and nothing signed (the signature itself: contracts' tests).
        post=Call(portal_page(client_manager=422, client_user=404, other_client_manager=404), audits=0),
    ),
    "portal:version_pdf": PageSpec(
        kwargs={"pk": "portal_amendment"},
        get=Call(portal_page(client_manager=200, client_user=404, other_client_manager=404)),
        post=Call(portal_page(client_manager=405, client_user=404, other_client_manager=405)),
    ),
    "portal:contract_notice": PageSpec(
        kwargs={"pk": "portal_contract"},
        get=Call(portal_page(client_manager=200, client_user=404, other_client_manager=404)),
        post=Call(
            portal_page(
                client_manager=Redirect("portal:contract_detail", ("portal_contract",)),
                client_user=404,
                other_client_manager=404,
            ),
            data=lambda world: {"confirm": "on"},
            audits=1,
        ),
    ),
    "portal:contract_exit_signoff": PageSpec(
        kwargs={"pk": "portal_contract"},
        get=Call(portal_page(client_manager=405, client_user=404, other_client_manager=405)),
        # The contract is active, not in exit: nothing to sign off (409).
        post=Call(portal_page(client_manager=409, client_user=404, other_client_manager=404)),
    ),
    "mail:message_retry": PageSpec(
        kwargs={"pk": "mail_message"},
        get=Call(provider_page(admin=405, manager=403, technician=403, other_admin=405)),
        post=Call(
            provider_page(
                admin=Redirect("mail:message_detail", ("mail_message",)), manager=403, technician=403, other_admin=404
            ),
            audits=1,
        ),
    ),
    # Contracts: the index table (provider roles read, managers write), alert settings (admins), price revision
    "contracts:index_list": PageSpec(
        get=Call(provider_page(provider=200, other_admin=200)),
        post=Call(provider_page(provider=405, other_admin=405)),
    ),
    "contracts:index_create": PageSpec(
        get=Call(provider_page(managers=200, technician=403, other_admin=200)),
        post=Call(
            provider_page(
                managers=Redirect("contracts:index_list", exact=False),
                technician=403,
                other_admin=Redirect("contracts:index_list", exact=False),
            ),
            data=index_value_form,
            audits=1,
        ),
    ),
    "contracts:index_update": PageSpec(
        kwargs={"pk": "index_value"},
        get=Call(provider_page(managers=200, technician=403, other_admin=404)),
        post=Call(
            provider_page(managers=Redirect("contracts:index_list", exact=False), technician=403, other_admin=404),
            data=index_value_form,
            audits=1,
        ),
    ),
    "contracts:index_delete": PageSpec(
        kwargs={"pk": "index_value"},
        get=Call(provider_page(provider=405, other_admin=405)),
        post=Call(
            provider_page(managers=Redirect("contracts:index_list", exact=False), technician=403, other_admin=404),
            audits=1,
        ),
    ),
    "contracts:index_import": PageSpec(
        get=Call(provider_page(managers=200, technician=403, other_admin=200)),
        post=Call(provider_page(managers=200, technician=403, other_admin=200), data=index_import_form, audits=0),
    ),
    "contracts:index_import_confirm": PageSpec(
        get=Call(provider_page(managers=405, technician=403, other_admin=405)),
        # Nothing waits in this session: back to the upload page, nothing written.
        post=Call(
            provider_page(
                managers=Redirect("contracts:index_import"),
                technician=403,
                other_admin=Redirect("contracts:index_import"),
            ),
            audits=0,
        ),
    ),
    "contracts:settings": PageSpec(
        get=Call(provider_page(admin=200, manager=403, technician=403, other_admin=200)),
        post=Call(
            provider_page(
                admin=Redirect("contracts:settings"),
                manager=403,
                technician=403,
                other_admin=Redirect("contracts:settings"),
            ),
            data=lambda world: {"lead_days": "60, 15", "alerts_enabled": "on"},
            audits=1,
        ),
    ),
    "contracts:revision_list": PageSpec(
        kwargs={"pk": "revision_contract"},
        get=Call(provider_page(provider=200, other_admin=404)),
        post=Call(provider_page(provider=405, other_admin=405)),
    ),
    "contracts:revision_start": PageSpec(
        kwargs={"pk": "revision_contract"},
        get=Call(provider_page(managers=200, technician=403, other_admin=404)),
        # The preview writes nothing.
        post=Call(
            provider_page(managers=200, technician=403, other_admin=404),
            data=lambda world: {"revision_date": "2029-01-01"},
            audits=0,
        ),
    ),
    "contracts:revision_apply": PageSpec(
        kwargs={"pk": "revision_contract"},
        get=Call(provider_page(managers=405, technician=403, other_admin=405)),
        # The revised version, the Revision row, the letter (document.create) and its e-mail.
        post=Call(
            provider_page(
                managers=Redirect("contracts:revision_list", ("revision_contract",), exact=False),
                technician=403,
                other_admin=404,
            ),
            data=lambda world: {"revision_date": "2029-01-01"},
            audits=2,
        ),
    ),
    "contracts:revision_detail": PageSpec(
        kwargs={"pk": "revision_contract", "revision_pk": "revision"},
        get=Call(provider_page(provider=200, other_admin=404)),
        post=Call(provider_page(provider=405, other_admin=405)),
    ),
    # Contracts (provider side): every provider role reads; the provider's managers write.
    "contracts:contract_list": PageSpec(
        get=Call(provider_page(provider=200, other_admin=200)),
        post=Call(provider_page(provider=405, other_admin=405)),
    ),
    "contracts:contract_create": PageSpec(
        get=Call(provider_page(managers=200, technician=403, other_admin=200)),
        # B's admin cannot name A's client nor A's template: the form's choices are B's (422).
        post=Call(
            provider_page(managers=Redirect("contracts:contract_list", exact=False), technician=403, other_admin=422),
            data=contract_new_form,
            audits=1,
        ),
    ),
    "contracts:contract_detail": PageSpec(
        kwargs={"pk": "contract_active"},
        get=Call(provider_page(provider=200, other_admin=404)),
        post=Call(provider_page(provider=405, other_admin=405)),
    ),
    "contracts:contract_update": PageSpec(
        kwargs={"pk": "contract_draft"},
        get=Call(provider_page(managers=200, technician=403, other_admin=404)),
        post=Call(
            provider_page(
                managers=Redirect("contracts:contract_detail", ("contract_draft",)), technician=403, other_admin=404
            ),
            data=contract_terms_form,
            audits=1,
        ),
    ),
    "contracts:contract_send": PageSpec(
        kwargs={"pk": "contract_draft"},
        get=Call(provider_page(provider=405, other_admin=405)),
        # contract.send, its PDF and Word documents, the provider's signature evidence.
        post=Call(
            provider_page(
                managers=Redirect("contracts:contract_detail", ("contract_draft",)), technician=403, other_admin=404
            ),
            audits=4,
        ),
    ),
    "contracts:contract_cancel": PageSpec(
        kwargs={"pk": "contract_draft"},
        get=Call(provider_page(provider=405, other_admin=405)),
        post=Call(
            provider_page(
                managers=Redirect("contracts:contract_detail", ("contract_draft",)), technician=403, other_admin=404
            ),
            audits=1,
        ),
    ),
    "contracts:contract_renew": PageSpec(
        kwargs={"pk": "contract_active"},
        get=Call(provider_page(provider=405, other_admin=405)),
        post=Call(
            provider_page(
                managers=Redirect("contracts:contract_detail", ("contract_active",)), technician=403, other_admin=404
            ),
            audits=1,
        ),
    ),
    "contracts:notice_create": PageSpec(
        kwargs={"pk": "contract_active"},
        get=Call(provider_page(managers=200, technician=403, other_admin=404)),
        post=Call(
            provider_page(
                managers=Redirect("contracts:contract_detail", ("contract_active",), exact=False),
                technician=403,
                other_admin=404,
            ),
            data=lambda world: {"given_by": "client", "received_on": _in_days(0), "channel": "email"},
            audits=1,
        ),
    ),
    "contracts:exit_start": PageSpec(
        kwargs={"pk": "contract_expired"},
        get=Call(provider_page(provider=405, other_admin=405)),
        post=Call(
            provider_page(
                managers=Redirect("contracts:contract_detail", ("contract_expired",), exact=False),
                technician=403,
                other_admin=404,
            ),
            audits=1,
        ),
    ),
    # Mandatory exit items are open: closing is refused (409), nothing written.
    "contracts:contract_close": PageSpec(
        kwargs={"pk": "contract_exit"},
        get=Call(provider_page(provider=405, other_admin=405)),
        post=Call(provider_page(managers=409, technician=403, other_admin=404)),
    ),
    "contracts:amendment_create": PageSpec(
        kwargs={"pk": "contract_active"},
        get=Call(provider_page(managers=200, technician=403, other_admin=404)),
        post=Call(
            provider_page(
                managers=Redirect("contracts:contract_detail", ("contract_active",), exact=False),
                technician=403,
                other_admin=404,
            ),
            data=amendment_form,
            audits=1,
        ),
    ),
    "contracts:amendment_update": PageSpec(
        kwargs={"pk": "contract_amendment"},
        get=Call(provider_page(managers=200, technician=403, other_admin=404)),
        post=Call(
            provider_page(
                managers=Redirect("contracts:contract_detail", ("contract_amended",), exact=False),
                technician=403,
                other_admin=404,
            ),
            data=amendment_edit_form,
            audits=1,
        ),
    ),
    "contracts:amendment_send": PageSpec(
        kwargs={"pk": "contract_amendment"},
        get=Call(provider_page(provider=405, other_admin=405)),
        post=Call(
            provider_page(
                managers=Redirect("contracts:contract_detail", ("contract_amended",), exact=False),
                technician=403,
                other_admin=404,
            ),
            audits=4,
        ),
    ),
    "contracts:amendment_cancel": PageSpec(
        kwargs={"pk": "contract_amendment"},
        get=Call(provider_page(provider=405, other_admin=405)),
        post=Call(
            provider_page(
                managers=Redirect("contracts:contract_detail", ("contract_amended",), exact=False),
                technician=403,
                other_admin=404,
            ),
            audits=1,
        ),
    ),
    "contracts:exit_item_update": PageSpec(
        kwargs={"pk": "exit_item"},
        get=Call(provider_page(managers=200, technician=403, other_admin=404)),
        post=Call(
            provider_page(
                managers=Redirect("contracts:contract_detail", ("contract_exit",), exact=False),
                technician=403,
                other_admin=404,
            ),
            data=lambda world: {"evidence_comment": "Accesses returned.", "owner": ""},
            audits=1,
        ),
    ),
    "contracts:category_list": PageSpec(
        get=Call(provider_page(provider=200, other_admin=200)),
        post=Call(provider_page(provider=405, other_admin=405)),
    ),
    "contracts:category_create": PageSpec(
        get=Call(provider_page(managers=200, technician=403, other_admin=200)),
        post=Call(
            provider_page(
                managers=Redirect("contracts:category_list"),
                technician=403,
                other_admin=Redirect("contracts:category_list"),
            ),
            data=lambda world: {"code": "new-category", "name": "New category"},
            audits=1,
        ),
    ),
    "contracts:category_update": PageSpec(
        kwargs={"pk": "contract_category"},
        get=Call(provider_page(managers=200, technician=403, other_admin=404)),
        post=Call(
            provider_page(managers=Redirect("contracts:category_list"), technician=403, other_admin=404),
            data=lambda world: {"name": "Renamed category"},
            audits=1,
        ),
    ),
    "contracts:category_archive": PageSpec(
        kwargs={"pk": "contract_category"},
        get=Call(provider_page(provider=405, other_admin=405)),
        post=Call(
            provider_page(managers=Redirect("contracts:category_list"), technician=403, other_admin=404), audits=1
        ),
    ),
    "contracts:template_list": PageSpec(
        get=Call(provider_page(provider=200, other_admin=200)),
        post=Call(provider_page(provider=405, other_admin=405)),
    ),
    "contracts:template_create": PageSpec(
        get=Call(provider_page(managers=200, technician=403, other_admin=200)),
        post=Call(
            provider_page(
                managers=Redirect("contracts:template_list", exact=False),
                technician=403,
                other_admin=Redirect("contracts:template_list", exact=False),
            ),
            data=template_new_form,
            audits=1,
        ),
    ),
    "contracts:template_detail": PageSpec(
        kwargs={"pk": "contract_template"},
        get=Call(provider_page(provider=200, other_admin=404)),
        post=Call(provider_page(provider=405, other_admin=405)),
    ),
    "contracts:template_update": PageSpec(
        kwargs={"pk": "contract_template"},
        get=Call(provider_page(managers=200, technician=403, other_admin=404)),
        post=Call(
            provider_page(
                managers=Redirect("contracts:template_detail", ("contract_template",)), technician=403, other_admin=404
            ),
            data=template_edit_form,
            audits=1,
        ),
    ),
    "contracts:template_archive": PageSpec(
        kwargs={"pk": "contract_template"},
        get=Call(provider_page(provider=405, other_admin=405)),
        post=Call(
            provider_page(managers=Redirect("contracts:template_list"), technician=403, other_admin=404), audits=1
        ),
    ),
}

#: The Django admin is one group: operators only (``is_staff``); no membership gives access to it.
ADMIN_NAMESPACE = "admin"
ADMIN_ACTORS = ("anonymous", "admin", "client_user")
ADMIN_URL_ARGS = {"object_id": "1", "content_type_id": "1", "app_label": "audit", "url": "nothing/"}
#: Exceptions to "redirect to the admin's login": its login form itself, and logout (back to the index).
ADMIN_PUBLIC: dict[str, Outcome] = {"admin:login": 200, "admin:logout": Redirect("admin:index")}

# The API registry: "METHOD /path" as in the OpenAPI document ------------------------------------


def api_call(audits: int | None = None, data: Callable[[World], dict[str, Any]] | None = None, **outcomes: Outcome):
    return Call(expect(anonymous=401, **outcomes), data=data, audits=audits)


CLIENT_RECORD_READ = {"provider": 200, "client_manager": 200, "client_user": 200}
FOREIGN = {"other_client_manager": 404, "other_admin": 404}
RECORD_WRITE = {
    "managers": 200,
    "technician": 403,
    "client_manager": 200,
    "client_user": 403,
    "other_client_manager": 404,
    "other_admin": 404,
}
MEMBERSHIP_OBJECT = {
    "admin": 200,
    "manager": 403,
    "technician": 403,
    "client_manager": 200,
    "client_user": 403,
    "other_client_manager": 404,
    "other_admin": 404,
}

SLA_READ = {"provider": 200, "client_side": 404, "other_admin": 404}
SLA_WRITE = {"managers": 200, "technician": 403, "client_side": 404, "other_admin": 404}
CONTRACT_READ = {
    "provider": 200,
    "client_manager": 200,
    "client_user": 404,
    "other_client_manager": 404,
    "other_admin": 404,
}
#: A contract the client's manager sees (not a draft): its role is refused (403); a draft is hidden from it (404).
CONTRACT_WRITE = {
    "managers": 200,
    "technician": 403,
    "client_manager": 403,
    "client_user": 404,
    "other_client_manager": 404,
    "other_admin": 404,
}
DRAFT_WRITE = {"managers": 200, "technician": 403, "client_side": 404, "other_admin": 404}

API: dict[str, ApiSpec] = {
    "GET /api/v1/clients": ApiSpec(api_call(members=200)),
    "POST /api/v1/clients": ApiSpec(
        api_call(members=403, managers=201, other_admin=201, data=lambda world: {"name": "New client"}, audits=1)
    ),
    "GET /api/v1/clients/{client_id}": ApiSpec(api_call(**CLIENT_RECORD_READ, **FOREIGN), {"client_id": "client"}),
    "PATCH /api/v1/clients/{client_id}": ApiSpec(
        api_call(members=403, managers=200, **FOREIGN, data=lambda world: {"city": "Nantes"}, audits=1),
        {"client_id": "client"},
    ),
    "POST /api/v1/clients/{client_id}/archive": ApiSpec(
        api_call(members=403, managers=200, **FOREIGN, audits=1), {"client_id": "client"}
    ),
    "GET /api/v1/sites": ApiSpec(api_call(members=200)),
    # A client named in a body that the actor cannot see is a 422 on ``client_id``.
    "POST /api/v1/sites": ApiSpec(
        api_call(
            members=403,
            managers=201,
            client_manager=201,
            other_client_manager=422,
            other_admin=422,
            data=lambda world: {"client_id": world.a.client.pk, "name": "New site"},
            audits=1,
        )
    ),
    "GET /api/v1/sites/{site_id}": ApiSpec(api_call(**CLIENT_RECORD_READ, **FOREIGN), {"site_id": "site"}),
    "PATCH /api/v1/sites/{site_id}": ApiSpec(
        api_call(**RECORD_WRITE, data=lambda world: {"city": "Nantes"}, audits=1), {"site_id": "site"}
    ),
    "POST /api/v1/sites/{site_id}/archive": ApiSpec(api_call(**RECORD_WRITE, audits=1), {"site_id": "site"}),
    "GET /api/v1/contacts": ApiSpec(api_call(members=200)),
    "POST /api/v1/contacts": ApiSpec(
        api_call(
            members=403,
            managers=201,
            client_manager=201,
            other_client_manager=422,
            other_admin=422,
            data=lambda world: {"client_id": world.a.client.pk, "last_name": "Newcontact"},
            audits=1,
        )
    ),
    "GET /api/v1/contacts/{contact_id}": ApiSpec(api_call(**CLIENT_RECORD_READ, **FOREIGN), {"contact_id": "contact"}),
    "PATCH /api/v1/contacts/{contact_id}": ApiSpec(
        api_call(**RECORD_WRITE, data=lambda world: {"phone": "01 02 03 04 05"}, audits=1), {"contact_id": "contact"}
    ),
    "POST /api/v1/contacts/{contact_id}/archive": ApiSpec(
        api_call(**RECORD_WRITE, audits=1), {"contact_id": "contact"}
    ),
    "GET /api/v1/memberships": ApiSpec(
        api_call(members=403, admin=200, client_manager=200, other_client_manager=200, other_admin=200)
    ),
    "POST /api/v1/memberships": ApiSpec(
        api_call(
            members=403,
            admin=201,
            client_manager=201,
            other_client_manager=422,
            other_admin=422,
            data=lambda world: {"email": NEW_EMAIL, "role": "client_user", "client_id": world.a.client.pk},
            audits=1,
        )
    ),
    "GET /api/v1/memberships/{membership_id}": ApiSpec(
        api_call(**MEMBERSHIP_OBJECT), {"membership_id": "client_user_membership"}
    ),
    "PATCH /api/v1/memberships/{membership_id}": ApiSpec(
        api_call(**MEMBERSHIP_OBJECT, data=lambda world: {"role": "client_manager"}, audits=1),
        {"membership_id": "client_user_membership"},
    ),
    "POST /api/v1/memberships/{membership_id}/archive": ApiSpec(
        api_call(**MEMBERSHIP_OBJECT, audits=1), {"membership_id": "client_user_membership"}
    ),
    # SLA settings: provider side reads, managers write; client roles see none of it.
    "GET /api/v1/sla/calendars": ApiSpec(api_call(members=200)),
    "POST /api/v1/sla/calendars": ApiSpec(
        api_call(
            members=403,
            managers=201,
            other_admin=201,
            data=lambda world: {"name": "New calendar", "week": {"mon": [["08:00", "18:00"]]}},
            audits=1,
        )
    ),
    "GET /api/v1/sla/calendars/{calendar_id}": ApiSpec(api_call(**SLA_READ), {"calendar_id": "calendar"}),
    "PATCH /api/v1/sla/calendars/{calendar_id}": ApiSpec(
        api_call(**SLA_WRITE, data=lambda world: {"description": "Updated"}, audits=1), {"calendar_id": "calendar"}
    ),
    "POST /api/v1/sla/calendars/{calendar_id}/archive": ApiSpec(
        api_call(**SLA_WRITE, audits=1), {"calendar_id": "spare_calendar"}
    ),
    "GET /api/v1/sla/service-levels": ApiSpec(api_call(members=200)),
    # The role is checked before the calendar is looked up; B's admin cannot name A's calendar (422).
    "POST /api/v1/sla/service-levels": ApiSpec(
        api_call(
            members=403,
            managers=201,
            other_admin=422,
            data=lambda world: {"name": "New level", "calendar_id": world.ref("calendar")},
            audits=1,
        )
    ),
    "GET /api/v1/sla/service-levels/{service_level_id}": ApiSpec(
        api_call(**SLA_READ), {"service_level_id": "service_level"}
    ),
    "PATCH /api/v1/sla/service-levels/{service_level_id}": ApiSpec(
        api_call(**SLA_WRITE, data=lambda world: {"description": "Updated"}, audits=1),
        {"service_level_id": "service_level"},
    ),
    "POST /api/v1/sla/service-levels/{service_level_id}/archive": ApiSpec(
        api_call(**SLA_WRITE, audits=1), {"service_level_id": "service_level"}
    ),
    # A read (it writes nothing) sent as POST: provider roles; client roles 403; B names A's calendar: 422.
    "POST /api/v1/sla/simulate": ApiSpec(
        api_call(
            provider=200,
            client_side=403,
            other_admin=422,
            data=lambda world: {"calendar_id": world.ref("calendar"), "start": "2026-05-13T15:00:00Z", "seconds": 3600},
            audits=0,
        )
    ),
    # Verification reads a multipart upload; the matrix sends JSON, so there is no ``file``: 422.
    # Assets: every member reads its scope (client roles: their company's); the provider's managers write.
    "GET /api/v1/assets": ApiSpec(api_call(members=200)),
    "POST /api/v1/assets": ApiSpec(
        api_call(
            members=403,
            managers=201,
            other_admin=422,
            data=lambda world: {"client_id": world.a.client.pk, "name": "New asset", "kind": "laptop"},
            audits=1,
        )
    ),
    "GET /api/v1/assets/{asset_id}": ApiSpec(api_call(**CLIENT_RECORD_READ, **FOREIGN), {"asset_id": "asset"}),
    "PATCH /api/v1/assets/{asset_id}": ApiSpec(
        api_call(members=403, managers=200, **FOREIGN, data=lambda world: {"make": "Dell"}, audits=1),
        {"asset_id": "asset"},
    ),
    "POST /api/v1/assets/{asset_id}/archive": ApiSpec(
        api_call(members=403, managers=200, **FOREIGN, audits=1), {"asset_id": "asset"}
    ),
    "POST /api/v1/documents/verify": ApiSpec(api_call(members=403, provider=422, other_admin=422)),
    # Contracts: the index table and price revision.
    "GET /api/v1/index-values": ApiSpec(api_call(members=200)),
    "POST /api/v1/index-values": ApiSpec(
        api_call(
            members=403,
            managers=201,
            other_admin=201,
            data=lambda world: {"month": "2029-03-01", "value": "330.5", "published_on": "2029-04-20"},
            audits=1,
        )
    ),
    # The CSV comes as a multipart file (or a text/csv body); the matrix sends JSON, so there is none: 422.
    "POST /api/v1/index-values/import": ApiSpec(api_call(members=403, managers=422, other_admin=422)),
    "GET /api/v1/contracts/{contract_id}/revisions": ApiSpec(
        api_call(provider=200, client_manager=200, client_user=404, other_client_manager=404, other_admin=404),
        {"contract_id": "revision_contract"},
    ),
    "POST /api/v1/contracts/{contract_id}/revisions/preview": ApiSpec(
        api_call(
            managers=200,
            technician=403,
            client_manager=403,
            client_user=404,
            other_client_manager=404,
            other_admin=404,
            data=lambda world: {"revision_date": "2029-01-01"},
            audits=0,
        ),
        {"contract_id": "revision_contract"},
    ),
    "POST /api/v1/contracts/{contract_id}/revisions": ApiSpec(
        api_call(
            managers=201,
            technician=403,
            client_manager=403,
            client_user=404,
            other_client_manager=404,
            other_admin=404,
            data=lambda world: {"revision_date": "2029-01-01"},
            audits=2,
        ),
        {"contract_id": "revision_contract"},
    ),
    # Contracts: provider roles read their provider's; a client's manager its company's (never drafts), its users none.
    "GET /api/v1/contracts": ApiSpec(api_call(members=200)),
    "POST /api/v1/contracts": ApiSpec(
        api_call(
            members=403,
            managers=201,
            other_admin=422,
            data=lambda world: {
                "client_id": world.a.client.pk,
                "title": "New contract",
                "start_date": "2027-01-01",
                "duration_months": 12,
                "template_id": world.ref("contract_template"),
            },
            audits=1,
        )
    ),
    "GET /api/v1/contracts/{contract_id}": ApiSpec(api_call(**CONTRACT_READ), {"contract_id": "contract_active"}),
    "PATCH /api/v1/contracts/{contract_id}": ApiSpec(
        api_call(**DRAFT_WRITE, data=lambda world: {"title": "Renamed contract"}, audits=1),
        {"contract_id": "contract_draft"},
    ),
    "POST /api/v1/contracts/{contract_id}/send": ApiSpec(
        api_call(**DRAFT_WRITE, audits=4), {"contract_id": "contract_draft"}
    ),
    "POST /api/v1/contracts/{contract_id}/cancel": ApiSpec(
        api_call(**DRAFT_WRITE, audits=1), {"contract_id": "contract_draft"}
    ),
    "POST /api/v1/contracts/{contract_id}/renew": ApiSpec(
        api_call(**CONTRACT_WRITE, data=lambda world: {}, audits=1), {"contract_id": "contract_active"}
    ),
    # Mandatory exit items are open: 409 for the managers, nothing written.
    "POST /api/v1/contracts/{contract_id}/close": ApiSpec(
        api_call(**{**CONTRACT_WRITE, "managers": 409}), {"contract_id": "contract_exit"}
    ),
    "GET /api/v1/contracts/{contract_id}/versions": ApiSpec(
        api_call(**CONTRACT_READ), {"contract_id": "contract_active"}
    ),
    "GET /api/v1/contracts/{contract_id}/terms": ApiSpec(api_call(**CONTRACT_READ), {"contract_id": "contract_active"}),
    "POST /api/v1/contracts/{contract_id}/amendments": ApiSpec(
        api_call(
            **{**CONTRACT_WRITE, "managers": 201},
            data=lambda world: {"effective_from": _in_days(60), "reason": "New fee"},
            audits=1,
        ),
        {"contract_id": "contract_active"},
    ),
    # The client's manager gives its company's notice (received today, through the portal's channel).
    "POST /api/v1/contracts/{contract_id}/notice": ApiSpec(
        api_call(
            **{**CONTRACT_WRITE, "managers": 201, "client_manager": 201},
            data=lambda world: {"given_by": "client", "received_on": _in_days(0), "channel": "email"},
            audits=1,
        ),
        {"contract_id": "contract_active"},
    ),
    "GET /api/v1/contracts/{contract_id}/exit-items": ApiSpec(
        api_call(**CONTRACT_READ), {"contract_id": "contract_exit"}
    ),
    "PATCH /api/v1/exit-items/{exit_item_id}": ApiSpec(
        api_call(**CONTRACT_WRITE, data=lambda world: {"evidence_comment": "Accesses returned."}, audits=1),
        {"exit_item_id": "exit_item"},
    ),
    "GET /api/v1/service-categories": ApiSpec(api_call(members=200)),
    "POST /api/v1/service-categories": ApiSpec(
        api_call(
            members=403,
            managers=201,
            other_admin=201,
            data=lambda world: {"code": "new-category", "name": "New category"},
            audits=1,
        )
    ),
    "GET /api/v1/contract-templates": ApiSpec(api_call(members=200)),
}

# Per-app registries (``tests/matrix/<part>.py``): each adds its PAGES / API entries here and builds
# A's and B's objects for the world (``build``), so that a new app does not grow this file.
from tests.matrix import APP_REGISTRIES  # noqa: E402

for _registry in APP_REGISTRIES:
    assert not set(_registry.PAGES) & set(PAGES), f"{_registry.__name__} repeats a page"
    assert not set(_registry.API) & set(API), f"{_registry.__name__} repeats an operation"
    PAGES.update(_registry.PAGES)
    API.update(_registry.API)


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


def test_every_route_is_classified() -> None:
    """A new URL pattern or API operation without an entry in the registry fails the build."""
    unclassified = [f"{route.key} ({route.path})" for route in ROUTES if classification(route) is None]
    unclassified += [op for op in OPERATIONS if op not in API]
    assert unclassified == [], "Add these routes to PAGES / API in tests/test_tenant_matrix.py"


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


# The world: A and B, with marker words in every name ---------------------------------------------


@dataclass
class World:
    a: Tenant
    b: Tenant
    contact: Contact  # A's client's contact
    admin_token: ApiToken  # a token of A's admin (for the revoke page)
    sla: dict[str, int] = field(default_factory=dict)  # A's SLA settings rows (calendars, closure, …)
    documents: dict[str, int] = field(default_factory=dict)  # A's stored documents
    mail: dict[str, int] = field(default_factory=dict)  # A's outgoing e-mail
    assets: dict[str, int] = field(default_factory=dict)  # A's clients' assets
    revisions: dict[str, int] = field(default_factory=dict)  # A's revised contract, its revision, an index value
    portal_contracts: dict[str, int] = field(default_factory=dict)  # A's client's contract and its sent amendment
    contract_pages: dict[str, int] = field(default_factory=dict)  # A's contracts in each state, template, category
    extra: dict[str, int] = field(default_factory=dict)  # A's objects built by the per-app registries

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
            **self.sla,
            **self.documents,
            **self.mail,
            **self.assets,
            **self.revisions,
            **self.portal_contracts,
            **self.contract_pages,
            **self.extra,
        }
        return refs[key]


def _mark(tenant: Tenant, provider_word: str, client_word: str, other_word: str) -> None:
    """Write the marker words into every name and e-mail of the tenant."""
    Provider.objects.filter(pk=tenant.provider.pk).update(name=f"Prestataire {provider_word.title()}")
    for client, word in ((tenant.client, client_word), (tenant.other_client, other_word)):
        Client.objects.filter(pk=client.pk).update(name=f"Client {word.title()}")
        for number, site in enumerate(Site.objects.filter(client=client), start=1):
            Site.objects.filter(pk=site.pk).update(name=f"Site {word.title()} {number}")
        for number, contact in enumerate(Contact.objects.filter(client=client), start=1):
            Contact.objects.filter(pk=contact.pk).update(
                last_name=f"{word.title()}contact{number}", email=f"contact{number}.{word}@client.test"
            )
    for role in ("admin", "manager", "technician", "client_manager", "client_user", "other_client_manager"):
        membership = tenant.member(role)
        word = {None: provider_word, tenant.client.pk: client_word}.get(membership.client_id, other_word)
        User.objects.filter(pk=membership.user_id).update(
            email=f"{role}.{word}@example.test", full_name=f"{role.title()} {word.title()}"
        )
    for obj in (tenant.provider, tenant.client, tenant.other_client, tenant.site):
        obj.refresh_from_db()
    for role in ("admin", "manager", "technician", "client_manager", "client_user", "other_client_manager"):
        tenant.member(role).user.refresh_from_db()


def build_world() -> World:
    tenant, other_tenant = make_tenant("A"), make_tenant("B")
    _mark(tenant, A_PROVIDER, A_CLIENT, A_OTHER_CLIENT)
    _mark(other_tenant, B_PROVIDER, B_CLIENT, B_OTHER_CLIENT)
    admin_token, _secret = api_token_create(actor=tenant.admin, name="admin token")
    sla = _sla_settings(tenant, A_PROVIDER)
    _sla_settings(other_tenant, B_PROVIDER)
    world = World(a=tenant, b=other_tenant, contact=Contact.objects.get(client=tenant.client), admin_token=admin_token)
    world.sla = sla
    world.documents = _documents(tenant)
    _documents(other_tenant)
    world.mail = _mail(tenant)
    _mail(other_tenant)
    world.assets = _assets(tenant, A_CLIENT, A_OTHER_CLIENT)
    _assets(other_tenant, B_CLIENT, B_OTHER_CLIENT)
    world.revisions = _revisions(tenant, A_CLIENT)
    _revisions(other_tenant, B_CLIENT)
    world.portal_contracts = _portal_contracts(tenant)
    _portal_contracts(other_tenant)
    world.contract_pages = _contract_pages(tenant, A_PROVIDER, A_CLIENT)
    _contract_pages(other_tenant, B_PROVIDER, B_CLIENT)
    for registry in APP_REGISTRIES:
        world.extra.update(registry.build(tenant, A_PROVIDER, A_CLIENT))
        registry.build(other_tenant, B_PROVIDER, B_CLIENT)
    return world


def _active_contract(tenant: Tenant, start: datetime.date, fee: str) -> Contract:
    """An active 12-month contract of the tenant's client, signed without the ceremony (no seal certificate here)."""
    terms = {
        "contract_type": "assistance",
        "billing_model": {"kind": "fixed_fee", "fee": fee, "period": "month"},
        "renewal": {"kind": "tacit", "notice_months": 2},
    }
    contract = contract_services.contract_create(
        actor=tenant.manager,
        client=tenant.client,
        title="Assistance",
        start_date=start,
        duration_months=12,
        terms=terms,
    )
    contract.versions.update(status="signed", signed_at=datetime.datetime.now(datetime.UTC))
    Contract.objects.filter(pk=contract.pk).update(
        status="active", term_number=1, term_start=start, term_end=contract_dates.term_last_day(start, 12)
    )
    contract.refresh_from_db()
    return contract


def _portal_contracts(tenant: Tenant) -> dict[str, int]:
    """An active contract of the tenant's client with an amendment sent for signature (its PDF and Word rendered)."""
    today = datetime.date.today()  # noqa: DTZ011  (the services' "today" is the server's local date too)
    contract = _active_contract(tenant, today - datetime.timedelta(days=30), "900.00")
    amendment = contract_services.amendment_create(
        actor=tenant.manager,
        contract=contract,
        effective_from=today + datetime.timedelta(days=30),
        reason="Volume",
        terms={
            "contract_type": "assistance",
            "billing_model": {"kind": "fixed_fee", "fee": "1290.00", "period": "month"},
            "renewal": {"kind": "tacit", "notice_months": 2},
        },
    )
    contract_services.amendment_send(actor=tenant.manager, version=amendment)
    return {"portal_contract": contract.pk, "portal_amendment": amendment.pk}


def _signed_contract(tenant: Tenant, start: datetime.date, title: str, renewal: dict[str, Any]) -> Contract:
    """A 12-month contract of the tenant's client, signed without the ceremony (no seal certificate here)."""
    contract = contract_services.contract_create(
        actor=tenant.manager,
        client=tenant.client,
        title=title,
        start_date=start,
        duration_months=12,
        terms={
            "contract_type": "assistance",
            "billing_model": {"kind": "fixed_fee", "fee": "900.00", "included_unit": "none"},
            "renewal": renewal,
        },
    )
    contract.versions.update(status="signed", signed_at=datetime.datetime.now(datetime.UTC))
    Contract.objects.filter(pk=contract.pk).update(
        status="active", term_number=1, term_start=start, term_end=contract_dates.term_last_day(start, 12)
    )
    contract.refresh_from_db()
    return contract


def _contract_pages(tenant: Tenant, provider_word: str, client_word: str) -> dict[str, int]:
    """A category, a template, and contracts of the tenant's client in each state the provider's pages act on."""
    actor, today = tenant.manager, datetime.date.today()  # noqa: DTZ011  (the services' "today" is local too)
    category = contract_catalogue.category_create(
        actor=actor, code=f"cat-{provider_word}", name=f"Catégorie {provider_word.title()}"
    )
    template = contract_catalogue.template_create(
        actor=actor,
        name=f"Modèle {provider_word.title()}",
        duration_months=12,
        default_terms={
            "contract_type": "assistance",
            "billing_model": {"kind": "time_and_materials", "labour_rate": "80"},
        },
    )
    contract_catalogue.category_create(actor=actor, code=f"net-{provider_word}", name=f"Réseau {provider_word.title()}")
    contract_catalogue.template_create(
        actor=actor,
        name=f"Forfait {provider_word.title()}",
        default_terms={"contract_type": "maintenance", "billing_model": {"kind": "unlimited", "fee": "500"}},
    )
    draft = contract_services.contract_create(
        actor=actor,
        client=tenant.client,
        title=f"Brouillon {client_word.title()}",
        start_date=datetime.date(2027, 1, 1),
        duration_months=12,
        terms={"contract_type": "assistance", "billing_model": {"kind": "time_and_materials", "labour_rate": "80"}},
        template=template,
    )
    started = today - datetime.timedelta(days=30)
    active = _signed_contract(
        tenant, started, f"Express {client_word.title()}", {"kind": "express", "notice_months": 0}
    )
    amended = _signed_contract(tenant, started, f"Avenant {client_word.title()}", {"kind": "tacit", "notice_months": 1})
    amendment = contract_services.amendment_create(
        actor=actor, contract=amended, effective_from=today + datetime.timedelta(days=30), reason="Volume"
    )
    old = today - datetime.timedelta(days=400)
    expired = _signed_contract(tenant, old, f"Expiré {client_word.title()}", {"kind": "express", "notice_months": 0})
    Contract.objects.filter(pk=expired.pk).update(status="expired", end_date=expired.term_end)
    ended = _signed_contract(tenant, old, f"Sortie {client_word.title()}", {"kind": "none", "notice_months": 0})
    Contract.objects.filter(pk=ended.pk).update(end_date=ended.term_end)
    ended.refresh_from_db()
    contract_lifecycle.exit_start(contract=ended, actor=None)
    return {
        "contract_category": category.pk,
        "contract_template": template.pk,
        "contract_draft": draft.pk,
        "contract_active": active.pk,
        "contract_amended": amended.pk,
        "contract_amendment": amendment.pk,
        "contract_expired": expired.pk,
        "contract_exit": ended.pk,
        "exit_item": ended.exit_items.order_by("position").first().pk,
    }


def _documents(tenant: Tenant) -> dict[str, int]:
    """A stored document of the tenant's client (its bytes carry no marker word)."""
    document = document_store(
        actor=tenant.manager,
        content=b"%PDF-1.4\n%%EOF\n",
        title="Contrat",
        filename="contrat",
        content_type="application/pdf",
        client=tenant.client,
    )
    return {"document": document.pk}


def _assets(tenant: Tenant, client_word: str, other_word: str) -> dict[str, int]:
    """An asset of the tenant's client (on its site) and one of its other client, with the marker words."""
    asset = asset_services.asset_create(
        actor=tenant.manager,
        client=tenant.client,
        name=f"Poste {client_word.title()}",
        kind="workstation",
        serial=f"SN-{client_word}",
        hostname=f"pc-{client_word}",
        site=tenant.site,
    )
    asset_services.asset_create(
        actor=tenant.manager, client=tenant.other_client, name=f"Poste {other_word.title()}", kind="laptop"
    )
    return {"asset": asset.pk}


def _revisions(tenant: Tenant, client_word: str) -> dict[str, int]:
    """Syntec values, an active contract of the tenant's client with a revision clause, revised on 1 Jan 2028
    (its letter unsealed: no seal certificate here), and an index value no revision used (to edit, delete)."""
    actor = tenant.manager
    for month, value, published in (((2026, 10), "306.0", (2026, 11, 20)), ((2027, 10), "314.5", (2027, 11, 25))):
        contract_indexes.index_value_create(
            actor=actor,
            month=datetime.date(*month, 1),
            value=Decimal(value),
            published_on=datetime.date(*published),
        )
    contract_indexes.index_value_create(
        actor=actor, month=datetime.date(2028, 10, 1), value=Decimal("320.8"), published_on=datetime.date(2028, 11, 20)
    )
    spare = contract_indexes.index_value_create(
        actor=actor, month=datetime.date(2027, 1, 1), value=Decimal("308.0"), published_on=datetime.date(2027, 2, 20)
    )
    contract = contract_services.contract_create(
        actor=actor,
        client=tenant.client,
        title=f"Assistance {client_word.title()}",
        start_date=datetime.date(2027, 1, 1),
        duration_months=12,
        terms={
            "contract_type": "assistance",
            "billing_model": {"kind": "fixed_fee", "fee": "1000.00", "included_unit": "none"},
            "price_revision": {"index_code": "SYNTEC", "reference_month": "2026-10-01"},
        },
    )
    # Signed and active without the signing ceremony (it needs a seal certificate; the contracts' own tests do it).
    contract.versions.update(status="signed", signed_at=datetime.datetime(2026, 12, 1, tzinfo=datetime.UTC))
    contract.status, contract.term_number = "active", 1
    contract.term_start, contract.term_end = datetime.date(2027, 1, 1), datetime.date(2027, 12, 31)
    contract.save()
    revision = contract_revisions.revision_apply(
        actor=actor, contract=contract, revision_date=datetime.date(2028, 1, 1)
    )
    return {"revision_contract": contract.pk, "revision": revision.pk, "index_value": spare.pk}


def _mail(tenant: Tenant) -> dict[str, int]:
    """A failed e-mail sent in the tenant's name (what the retry page acts on)."""
    (message,) = mail_send(
        template="mail/email/welcome",
        context={"name": "Jeanne", "provider_name": tenant.provider.name, "login_url": "https://pacte.example.fr/"},
        recipients=[Recipient("jeanne@client.test")],
        provider=tenant.provider,
    )
    OutboundMessage.objects.filter(pk=message.pk).update(status=MessageStatus.FAILED, last_error="550 5.1.1 Refused")
    return {"mail_message": message.pk}


def _sla_settings(tenant: Tenant, word: str) -> dict[str, int]:
    """A tenant's calendars (one used by a service level, one spare), an exception, a closure, a service level."""
    actor = tenant.manager
    calendar = sla_services.calendar_create(actor=actor, name=f"Calendrier {word.title()}", week=SLA_WEEK)
    spare = sla_services.calendar_create(actor=actor, name=f"Calendrier {word.title()} 2", week=SLA_WEEK)
    exception = sla_services.calendar_exception_add(
        actor=actor, calendar=calendar, day=datetime.date(2026, 8, 14), kind="closed", label=f"Pont {word.title()}"
    )
    closure = sla_services.provider_closure_add(
        actor=actor,
        start_date=datetime.date(2026, 12, 24),
        end_date=datetime.date(2026, 12, 31),
        label=f"Fermeture {word.title()}",
    )
    level = sla_services.service_level_create(
        actor=actor,
        name=f"Niveau {word.title()}",
        calendar=calendar,
        targets=[{"priority": "P1", "kind": "response", "seconds": 3600}],
    )
    return {
        "calendar": calendar.pk,
        "spare_calendar": spare.pk,
        "calendar_exception": exception.pk,
        "closure": closure.pk,
        "service_level": level.pk,
    }


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


# Database snapshots --------------------------------------------------------------------------------

Row = tuple[int | None, int | None, tuple[Any, ...]]  # provider id, client id, column values


#: The scope of a row reached through its ticket (the service desk's events, messages and files).
_TICKET_SCOPE = (
    "(SELECT k.provider_id FROM servicedesk_ticket k WHERE k.id = t.ticket_id), "
    "(SELECT k.client_id FROM servicedesk_ticket k WHERE k.id = t.ticket_id)"
)
_SHEET_SCOPE = (
    "(SELECT i.provider_id FROM interventions_intervention i WHERE i.id = t.intervention_id), "
    "(SELECT i.client_id FROM interventions_intervention i WHERE i.id = t.intervention_id)"
)
#: What a snapshot reads: model, the SQL giving (provider id, client id) of a row, columns left out.
SNAPSHOT_TABLES: list[tuple[type[Model], str, set[str]]] = [
    (Provider, "t.id, NULL", set()),
    (Client, "t.provider_id, t.id", set()),
    (Site, "t.provider_id, t.client_id", set()),
    (Contact, "t.provider_id, t.client_id", set()),
    (Membership, "t.provider_id, t.client_id", set()),
    (
        ApiToken,
        "(SELECT m.provider_id FROM {membership} m WHERE m.id = t.membership_id), "
        "(SELECT m.client_id FROM {membership} m WHERE m.id = t.membership_id)",
        {"last_used_at"},
    ),
    (User, "NULL, NULL", {"last_login"}),
    (BusinessCalendar, "t.provider_id, NULL", set()),
    (CalendarException, "t.provider_id, NULL", set()),
    (ProviderClosure, "t.provider_id, NULL", set()),
    (ServiceLevel, "t.provider_id, NULL", set()),
    (ServiceLevelTarget, "t.provider_id, NULL", set()),
    (Document, "t.provider_id, t.client_id", set()),
    (SealCertificate, "t.provider_id, NULL", set()),
    (SignatureEvidence, "t.provider_id, t.client_id", set()),
    (OutboundMessage, "t.provider_id, NULL", set()),
    (Asset, "t.provider_id, t.client_id", set()),
    (IndexValue, "t.provider_id, NULL", set()),
    (Revision, "t.provider_id, t.client_id", set()),
    (ContractSettings, "t.provider_id, NULL", set()),
    (ContractAlert, "t.provider_id, NULL", set()),
    (Contract, "t.provider_id, t.client_id", set()),
    (ContractVersion, "t.provider_id, t.client_id", set()),
    (Notice, "t.provider_id, t.client_id", set()),
    (ExitItem, "t.provider_id, t.client_id", set()),
    (ServiceCategory, "t.provider_id, NULL", set()),
    (ContractTemplate, "t.provider_id, NULL", set()),
    (ReferenceSequence, "t.provider_id, NULL", set()),
    (Ticket, "t.provider_id, t.client_id", set()),
    (TicketEvent, _TICKET_SCOPE, set()),
    (TicketMessage, _TICKET_SCOPE, set()),
    (TicketAttachment, _TICKET_SCOPE, set()),
    (Quote, "t.provider_id, (SELECT k.client_id FROM servicedesk_ticket k WHERE k.id = t.ticket_id)", set()),
    (Team, "t.provider_id, NULL", set()),
    (ServiceDeskSettings, "t.provider_id, NULL", set()),
    (InboundMail, "t.provider_id, (SELECT k.client_id FROM servicedesk_ticket k WHERE k.id = t.ticket_id)", set()),
    (Mailbox, "t.provider_id, NULL", set()),
    (
        SavedView,
        "(SELECT m.provider_id FROM {membership} m WHERE m.id = t.membership_id), "
        "(SELECT m.client_id FROM {membership} m WHERE m.id = t.membership_id)",
        set(),
    ),
    (Intervention, "t.provider_id, t.client_id", set()),
    (InterventionSequence, "t.provider_id, NULL", set()),
    (TimeEntry, "t.provider_id, t.client_id", set()),
    (Part, _SHEET_SCOPE, set()),
    (ChecklistItem, _SHEET_SCOPE, set()),
    (PatchRecord, _SHEET_SCOPE, set()),
    (InterventionFile, _SHEET_SCOPE, set()),
    (PreventivePlan, "t.provider_id, (SELECT c.client_id FROM contracts_contract c WHERE c.id = t.contract_id)", set()),
    (PreventiveVisit, "t.provider_id, t.client_id", set()),
    (CalendarFeed, "t.provider_id, t.client_id", {"last_used_at"}),
    (LedgerAccount, "t.provider_id, t.client_id", set()),
    (LedgerMovement, "t.provider_id, t.client_id", set()),
    (
        ThresholdAlert,
        "(SELECT a.provider_id FROM ledger_account a WHERE a.id = t.account_id), "
        "(SELECT a.client_id FROM ledger_account a WHERE a.id = t.account_id)",
        set(),
    ),
    (Series, "t.provider_id, NULL", set()),
    (BillingRun, "t.provider_id, t.client_id", set()),
    # Downloading an issued invoice's PDF renders it the first time (its document is then stored).
    (Invoice, "t.provider_id, t.client_id", {"document", "xml_sha256"}),
    (
        InvoiceLine,
        "(SELECT i.provider_id FROM billing_invoice i WHERE i.id = t.invoice_id), "
        "(SELECT i.client_id FROM billing_invoice i WHERE i.id = t.invoice_id)",
        set(),
    ),
    (Payment, "t.provider_id, (SELECT i.client_id FROM billing_invoice i WHERE i.id = t.invoice_id)", set()),
    (ServiceCredit, "t.provider_id, t.client_id", set()),
    (
        Reminder,
        "(SELECT i.provider_id FROM billing_invoice i WHERE i.id = t.invoice_id), "
        "(SELECT i.client_id FROM billing_invoice i WHERE i.id = t.invoice_id)",
        set(),
    ),
]


@functools.cache
def _snapshot_queries() -> list[tuple[str, str]]:
    quote = connection.ops.quote_name
    queries = []
    for model, scope, skipped in SNAPSHOT_TABLES:
        pk = model._meta.pk
        assert pk is not None
        fields = [pk, *(f for f in model._meta.concrete_fields if f.name not in skipped and f is not pk)]
        columns = ", ".join(f"t.{quote(f.column)}" for f in fields)
        scope_sql = scope.format(membership=quote(Membership._meta.db_table))
        table = quote(model._meta.db_table)
        # Identifiers from the models' metadata, no input: not an injection vector.
        queries.append((model._meta.label, f"SELECT {scope_sql}, {columns} FROM {table} t"))  # noqa: S608
    return queries


def snapshot() -> dict[tuple[str, int], Row]:
    """Every tenancy row (minus last-login/last-use stamps), with the scope it belongs to.

    Plain SQL: this runs twice per case, ~2,000 times per run.
    """
    rows: dict[tuple[str, int], Row] = {}
    with connection.cursor() as cursor:
        for label, sql in _snapshot_queries():
            cursor.execute(sql)
            for provider_id, client_id, pk, *values in cursor.fetchall():
                rows[(label, pk)] = (provider_id, client_id, (pk, *values))
    return rows


def protected(world: World, actor: str) -> Callable[[int | None, int | None], bool]:
    """The scope an actor must never change, as a predicate on (provider id, client id)."""
    a, b = world.a.provider.pk, world.b.provider.pk
    if actor == "anonymous":
        return lambda provider_id, client_id: True
    if actor == "other_admin":
        return lambda provider_id, client_id: provider_id == a
    own_client = {"client_manager": world.a.client.pk, "client_user": world.a.client.pk}.get(actor)
    if actor == "other_client_manager":
        own_client = world.a.other_client.pk
    if own_client is None:  # A's provider roles
        return lambda provider_id, client_id: provider_id == b
    return lambda provider_id, client_id: provider_id == b or (provider_id == a and client_id != own_client)


def assert_scope_untouched(before: dict, after: dict, world: World, actor: str) -> None:
    is_protected = protected(world, actor)

    def scoped(rows: dict) -> dict:
        return {key: row for key, row in rows.items() if row[0] is not None and is_protected(row[0], row[1])}

    assert scoped(after) == scoped(before), f"{actor} changed rows outside its scope"


# Running one case ----------------------------------------------------------------------------------


@functools.cache
def _handler() -> ClientHandler:
    """One request handler for the module: each new test client would otherwise load the middleware
    again, and WhiteNoise (``WHITENOISE_USE_FINDERS`` in tests) rescans every static file each time."""
    return ClientHandler(enforce_csrf_checks=False)


def fast(http: HttpClient) -> HttpClient:
    http.handler = _handler()
    return http


def http_for(world: World, actor: str, login: Callable[[Membership], HttpClient]) -> HttpClient:
    member = world.member(actor)
    return fast(HttpClient() if member is None else login(member))


def check_response(response: Any, expected: Outcome, world: World, actor: str, what: str) -> None:
    status = response.status_code
    if isinstance(expected, Redirect):
        assert status == 302, f"{what} as {actor}: expected {expected}, got {status}"
        location = response["Location"]
        wanted = expected.location(world)
        if expected.exact:
            assert location == wanted, f"{what} as {actor}: redirected to {location}, expected {wanted}"
        else:
            assert location.startswith(wanted), f"{what} as {actor}: redirected to {location}, expected {wanted}…"
    else:
        assert status == expected, f"{what} as {actor}: expected {expected}, got {status}"
    raw = b"".join(response.streaming_content) if response.streaming else response.content  # downloads stream
    body = raw.decode(errors="replace").lower()
    leaked = [word for word in HIDDEN[actor] if word in body]
    assert leaked == [], f"{what} as {actor}: the response shows {leaked}"


def run_case(
    world: World,
    actor: str,
    call: Call,
    what: str,
    send: Callable[[dict[str, Any] | None], Any],
    is_read: bool,
) -> Any:
    expected = call.outcomes[actor]
    data = call.data(world) if call.data else None
    before, events_before = snapshot(), AuditEvent.objects.count()
    response = send(data)
    after, events_after = snapshot(), AuditEvent.objects.count()
    check_response(response, expected, world, actor, what)
    assert_scope_untouched(before, after, world, actor)
    if is_read or is_refusal(expected) or call.audits == 0:
        assert after == before, f"{what} as {actor}: a refused request or a read changed the database"
        assert events_after == events_before, f"{what} as {actor}: a refused request or a read wrote audit events"
    else:
        assert call.audits is not None, f"{what}: say how many audit events a success writes"
        assert events_after - events_before == call.audits, f"{what} as {actor}: audit events"
        assert after != before, f"{what} as {actor}: a successful write changed nothing"
    return response


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
        _active_contract(tenant, datetime.date(2027, 1, 1), f"{100 + number}.00")


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
