"""What every case of the tenant-isolation matrix checks, and how it runs one case.

A case sends one request as one actor (``run_case``) and checks: the status or redirect, that the body
shows no marker word hidden from the actor, that no row outside the actor's scope changed (a snapshot
of every tenant table before and after), and that a refusal or a read changed nothing at all while a
successful write recorded the declared audit events. A new tenant-owned model goes in
``SNAPSHOT_TABLES``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.db import connection
from django.db.models import Model
from django.test import Client as HttpClient
from django.test.client import ClientHandler

from pacte.accounts.models import ApiToken, User
from pacte.assets.models import Asset
from pacte.audit.models import AuditEvent
from pacte.billing.models import BillingRun, Invoice, InvoiceLine, Payment, Reminder, Series
from pacte.billing.models_credits import ServiceCredit
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
from pacte.documents.models import Document, SealCertificate, SignatureEvidence
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
from pacte.mail.models import OutboundMessage
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
from pacte.sla.models import BusinessCalendar, CalendarException, ProviderClosure, ServiceLevel, ServiceLevelTarget
from pacte.tenancy.models import Client, Contact, Membership, Provider, Site
from tests.matrix.framework import HIDDEN, Call, Outcome, Redirect, World, is_refusal

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
