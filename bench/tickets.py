"""Service desk benchmark at a million open tickets (PostgreSQL): the SLA batch recompute and the queue.

Run: ``.venv/bin/python bench/tickets.py [--tickets 1000000] [--database pacte_bench] [--rebuild]``.

Builds (once; reused while it holds ``--tickets`` tickets) a dedicated database with 3 providers, their
calendars and service levels (business hours, extended hours, 24×7 targets), 90 clients with sites in
three calendar assemblies (Paris, Alsace-Moselle holidays, La Réunion), and ``--tickets`` open tickets
with realistic event logs (opening, assignment, first response, closed pauses with reason switches,
open pauses for waiting tickets, re-targetings, restorations, resolve + reopen), loaded with ``COPY``
(not the ORM). The initial SLA columns are computed by the batch recompute itself. Then:

(a) **recompute**: a provider-wide closure is added (through ``sla.services``) for every provider, so
    every open ticket is stale; ``servicedesk.recompute.recompute_stale`` is timed over all of them, and
    a sample is checked against the per-ticket fold. The **naive peer** (``clock.ticket_sla_refresh``
    per ticket: read its events, build its terms, fold, save) is timed on a random sample and
    **extrapolated** to the full count (stated as such in the output).
(b) **queue**: ``selectors.ticket_list`` as the queue page runs it (open tickets, ordered by next due
    instant, no due last, then id — ``views.keyset_order`` — first page of 50 rows with what a row
    shows), plain, filtered (one technician's tickets) and with a full-text search, each ``--runs``
    times: p50 / p95 / max, and ``EXPLAIN`` to list the indexes used.

Prints a table with the "Done when" goals (recompute ≤ 30 s; queue p95 < 100 ms) and writes
``var/bench/tickets.json``. Not a test: nothing here fails on a timing; it exits 1 if the batch path
disagrees with the fold on the sample. Figures depend on the machine and its load (the reference
machine has 2 cores, shared): compare runs on the same machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import platform
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GOALS = {"recompute_s": ("<=", 30.0), "queue_p95_ms": ("<", 100.0)}
PG = "postgres://postgres@127.0.0.1:5432"
OPEN_MIX = {  # status → share of open tickets
    "new": 0.12,
    "assigned": 0.18,
    "in_progress": 0.38,
    "waiting_client": 0.10,
    "waiting_third_party": 0.05,
    "planned": 0.05,
    "restored": 0.06,
    "reopened": 0.06,
}
PAUSE_OF = {"waiting_client": "waiting_client", "waiting_third_party": "waiting_third_party", "planned": "planned"}
REASONS = ("waiting_client", "waiting_third_party", "planned")
IMPACT_URGENCY = {"P1": ("high", "high"), "P2": ("high", "medium"), "P3": ("medium", "medium"), "P4": ("low", "low")}
WORDS = (
    "imprimante réseau messagerie serveur sauvegarde vpn wifi poste lenteur licence outlook teams disque "
    "pare-feu commutateur onduleur téléphonie badge scanner écran clavier session mot-de-passe partage "
    "fichier droits impression caméra visioconférence antivirus mise-à-jour certificat domaine routeur"
).split()
SENTENCES = (
    "L'utilisateur signale que {a} ne fonctionne plus depuis ce matin après {b}.",
    "Depuis la coupure de {a}, le service {b} est très lent pour tout le site.",
    "Merci de vérifier {a} : message d'erreur au démarrage, {b} inaccessible.",
)
MINUTE, HOUR, DAY = 60 * 10**6, 3600 * 10**6, 86_400 * 10**6


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--database", default="pacte_bench")
    parser.add_argument("--rebuild", action="store_true", help="drop and load the database again")
    parser.add_argument("--runs", type=int, default=200, help="queue queries per variant")
    parser.add_argument("--sample", type=int, default=1000, help="tickets for the naive peer and the check")
    parser.add_argument("--batch", type=int, default=None, help="recompute batch size (default: the module's)")
    parser.add_argument("--output", type=Path, default=ROOT / "var" / "bench" / "tickets.json")
    parser.add_argument("--seed", type=int, default=20260315)
    parser.add_argument(
        "--experiments",
        action="store_true",
        help="also measure schema changes for the lead (each undone): the write without the full-text index, "
        "and the queue with a partial index on (provider_id, next_due, id) for open tickets",
    )
    return parser.parse_args()


def _database(name: str, tickets: int, rebuild: bool) -> bool:
    """Create the database (dropped first when rebuilding or when it holds another count); True if reused."""
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    have = -1
    if exists and not rebuild:
        with psycopg.connect(f"{PG}/{name}", autocommit=True) as conn:
            table = conn.execute("SELECT to_regclass('servicedesk_ticket')").fetchone()
            if table and table[0]:
                row = conn.execute("SELECT count(*) FROM servicedesk_ticket").fetchone()
                have = int(row[0]) if row else -1
    if have == tickets:
        return True
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        if exists:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return False


def _setup_django(name: str) -> None:
    os.environ["DATABASE_URL"] = f"{PG}/{name}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pacte.config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


# Loading -------------------------------------------------------------------------------------------


def _settings() -> dict[str, Any]:
    """Providers, people, calendars, service levels, clients and sites (through the ORM and services)."""
    from pacte.accounts.models import User
    from pacte.sla import services as sla
    from pacte.tenancy.models import Client, Membership, Provider, Role, Site

    office = {d: [["08:00", "12:00"], ["14:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
    extended = {d: [["07:00", "20:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat")}
    world: dict[str, Any] = {"providers": [], "levels": [], "clients": [], "sites": [], "techs": [], "managers": []}
    for p in range(3):
        provider = Provider.objects.create(name=f"Bench prestataire {p + 1}")
        people = []
        for role, count in ((Role.PROVIDER_ADMIN, 1), (Role.PROVIDER_MANAGER, 1), (Role.TECHNICIAN, 20)):
            for k in range(count):
                user = User.objects.create(email=f"bench-{p}-{role}-{k}@example.test", full_name=f"{role} {k}")
                people.append(Membership.objects.create(user=user, provider=provider, role=role))
        manager = people[1]
        business = sla.calendar_create(actor=manager, name="Heures ouvrées", week=office)
        wide = sla.calendar_create(actor=manager, name="Étendu", week=extended)

        def grid(scale: float, *, calendar_time: bool = False, h: int = 3600) -> list[dict[str, Any]]:
            cells = []
            for prio, base in (("P1", 1), ("P2", 2), ("P3", 4), ("P4", 8)):
                for kind, factor in (("response", 1), ("intervention", 2), ("restoration", 4), ("resolution", 8)):
                    if prio == "P4" and kind == "intervention":
                        continue
                    cell = {"priority": prio, "kind": kind, "seconds": int(base * factor * scale * h)}
                    if calendar_time and kind == "restoration":
                        cell["basis"] = "calendar"
                    cells.append(cell)
            return cells

        levels = [
            sla.service_level_create(actor=manager, name="Standard", calendar=business, targets=grid(1)),
            sla.service_level_create(actor=manager, name="Premium", calendar=wide, targets=grid(0.5)),
            sla.service_level_create(
                actor=manager, name="Critique 24×7", calendar=business, targets=grid(0.5, calendar_time=True)
            ),
        ]
        clients, sites = [], []
        for c in range(30):
            zone, subdivision = (
                ("Indian/Reunion", "974") if c % 10 == 9 else ("Europe/Paris", "57" if c % 5 == 4 else "")
            )
            client = Client.objects.create(
                provider=provider, name=f"Client {p + 1}-{c + 1}", time_zone=zone, holiday_subdivision=subdivision
            )
            clients.append(client.pk)
            sites.append(
                [Site.objects.create(provider=provider, client=client, name=f"Site {s + 1}").pk for s in range(2)]
            )
        world["providers"].append(provider.pk)
        world["levels"].append([level.pk for level in levels])
        world["clients"].append(clients)
        world["sites"].append(sites)
        world["techs"].append([m.pk for m in people[2:]])
        world["managers"].append(manager.pk)
    return world


def _text(rng: np.random.Generator, n: int) -> tuple[list[str], list[str]]:
    words = np.array(WORDS, dtype=object)
    a, b, c, s = (rng.integers(0, len(WORDS), n) for _ in range(4))
    host = rng.integers(1, 5000, n)
    titles = [f"{x.capitalize()} {y} hors service" for x, y in zip(words[a], words[b], strict=True)]
    bodies = [
        SENTENCES[k % 3].format(a=x, b=y) + f" Poste concerné : pc-{h:05d}."
        for k, x, y, h in zip(s.tolist(), words[b], words[c], host.tolist(), strict=True)
    ]
    return titles, bodies


def _iso(us: np.ndarray) -> list[str]:
    return [f"{s}+00" for s in np.datetime_as_string(us.astype("datetime64[us]"), unit="us").tolist()]


def _logs(
    rng: np.random.Generator, t0: np.ndarray, status: np.ndarray, prio0: np.ndarray, now_us: int
) -> dict[str, Any]:
    """The event rows of every ticket, vectorised: one block per kind of fact, then sorted per ticket."""
    n = len(t0)
    latest = now_us - 10**6
    blocks: list[tuple[np.ndarray, np.ndarray, str, np.ndarray | str, int]] = []  # ticket, at, kind, data, rank

    def at(idx: np.ndarray, lo: int, hi: int, base: np.ndarray | None = None) -> np.ndarray:
        start = t0[idx] if base is None else base
        return np.minimum(start + rng.integers(lo, hi, len(idx)), latest)

    everyone = np.arange(n)
    blocks.append((everyone, t0.copy(), "opened", "opened", 0))
    worked = np.flatnonzero(status != "new")
    assigned_at = at(worked, MINUTE, 30 * MINUTE)
    blocks.append((worked, assigned_at, "assigned", '{"assignee": "Technicien"}', 1))
    blocks.append((worked, assigned_at, "status", '{"from": "new", "to": "assigned"}', 2))
    answered = worked[rng.random(len(worked)) < 0.75]
    fr_at = at(answered, 5 * MINUTE, 8 * HOUR)
    blocks.append((answered, fr_at, "message", '{"author": "Technicien"}', 3))
    blocks.append((answered, fr_at, "first_response", "{}", 4))
    waiting = np.isin(status, list(PAUSE_OF))
    paused = np.flatnonzero(~waiting & (rng.random(n) < 0.25))
    p_at = at(paused, 10 * MINUTE, 2 * DAY)
    r_at = np.minimum(p_at + rng.integers(30 * MINUTE, DAY, len(paused)), latest)
    reason = rng.integers(0, 3, len(paused))
    reasons = np.array([f'{{"reason": "{r}"}}' for r in REASONS], dtype=object)
    blocks.append((paused, p_at, "paused", reasons[reason], 5))
    switch = rng.random(len(paused)) < 0.2
    blocks.append((paused[switch], (p_at[switch] + r_at[switch]) // 2, "paused", reasons[(reason[switch] + 1) % 3], 6))
    blocks.append((paused, r_at, "resumed", "{}", 7))
    blocks.append((paused, r_at, "status", '{"from": "waiting_client", "to": "in_progress"}', 8))
    retarget = np.flatnonzero(rng.random(n) < 0.06)
    new_prio = (prio0[retarget] + rng.integers(1, 4, len(retarget))) % 4
    blocks.append((retarget, at(retarget, 5 * MINUTE, DAY), "priority_changed", "prio", 9))
    restored = np.flatnonzero(status == "restored")
    blocks.append((restored, at(restored, HOUR, 3 * DAY), "restored", "{}", 10))
    reopened = np.flatnonzero(status == "reopened")
    resolved_at = at(reopened, HOUR, 2 * DAY)
    blocks.append((reopened, resolved_at, "resolved", "{}", 11))
    blocks.append((reopened, at(reopened, HOUR, DAY, resolved_at), "reopened", "{}", 12))
    still = np.flatnonzero(waiting)
    blocks.append((still, at(still, 10 * MINUTE, 3 * DAY), "paused", "open", 13))

    ticket = np.concatenate([b[0] for b in blocks])
    when = np.concatenate([b[1] for b in blocks])
    rank = np.concatenate([np.full(len(b[0]), b[4]) for b in blocks])
    kind = np.concatenate([np.full(len(b[0]), b[2], dtype=object) for b in blocks])
    data = np.concatenate(
        [b[3] if isinstance(b[3], np.ndarray) else np.full(len(b[0]), b[3], dtype=object) for b in blocks]
    )
    final_prio = prio0.copy()
    final_prio[retarget] = new_prio
    order = np.lexsort((rank, when, ticket))
    ticket, when, kind, data, rank = ticket[order], when[order], kind[order], data[order], rank[order]
    first = np.ones(len(ticket), dtype=bool)
    first[1:] = ticket[1:] != ticket[:-1]
    pos = np.arange(len(ticket))
    seq = pos - np.maximum.accumulate(np.where(first, pos, 0)) + 1
    return {
        "ticket": ticket,
        "at": when,
        "seq": seq,
        "kind": kind,
        "data": data,
        "final_prio": final_prio,
        "retarget": (retarget, new_prio),
        "fr": (answered, fr_at),
    }


def _load(n: int, seed: int, now: dt.datetime) -> dict[str, Any]:
    from django.db import connection

    from pacte.servicedesk.models import Ticket, TicketEvent

    started = time.perf_counter()
    world = _settings()
    rng = np.random.default_rng(seed)
    now_us = int(now.timestamp()) * 10**6
    prov = rng.choice(3, n, p=[0.5, 0.3, 0.2])
    client_idx = rng.integers(0, 30, n)
    clients = np.array(world["clients"])[prov, client_idx]
    sites = np.array(world["sites"])[prov, client_idx, rng.integers(0, 2, n)]
    site = np.where(rng.random(n) < 0.7, sites, -1)
    level = np.array(world["levels"])[prov, rng.choice(3, n, p=[0.6, 0.3, 0.1])]
    prio0 = rng.choice(4, n, p=[0.05, 0.15, 0.6, 0.2])
    status = rng.choice(np.array(list(OPEN_MIX), dtype=object), n, p=list(OPEN_MIX.values()))
    t0 = now_us - rng.integers(MINUTE, 14 * DAY, n)
    logs = _logs(rng, t0, status, prio0, now_us)
    techs = np.array(world["techs"])[prov, rng.integers(0, 20, n)]
    assignee = np.where(status != "new", techs, -1)
    titles, bodies = _text(rng, n)
    prios = np.array(["P1", "P2", "P3", "P4"], dtype=object)

    # Event data that depends on the ticket: the opening's terms, the new priority of a re-targeting.
    ev_t = logs["ticket"]
    data = logs["data"]
    opening = logs["kind"] == "opened"
    data[opening] = [
        f'{{"priority": "{p}", "service_level": "{lv}"}}'
        for p, lv in zip(prios[prio0[ev_t[opening]]], level[ev_t[opening]].tolist(), strict=True)
    ]
    retarget, new_prio = logs["retarget"]
    prio_of = np.full(n, -1)
    prio_of[retarget] = new_prio
    change = data == "prio"
    data[change] = [f'{{"priority": "{p}"}}' for p in prios[prio_of[ev_t[change]]]]
    still = data == "open"
    data[still] = [f'{{"reason": "{PAUSE_OF[s]}"}}' for s in status[ev_t[still]]]
    last = np.zeros(n, np.int64)
    np.maximum.at(last, ev_t, logs["at"])
    fr = np.full(n, -1, np.int64)
    fr[logs["fr"][0]] = logs["fr"][1]
    generated = time.perf_counter() - started

    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")  # no FK triggers while loading (consistent data)
        cursor.execute("SET maintenance_work_mem = '256MB'")
        dropped = []
        for table in (Ticket._meta.db_table, TicketEvent._meta.db_table):
            cursor.execute(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = %s AND NOT EXISTS "
                "(SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
                [table],
            )
            for name, definition in cursor.fetchall():
                cursor.execute(f'DROP INDEX "{name}"')
                dropped.append(definition)
        columns = (
            "id, created_at, updated_at, provider_id, client_id, site_id, reference, title, description, impact, "
            "urgency, priority, status, channel, assignee_id, coverage, coverage_note, billing, service_level_id, "
            "sla_state, sla_paused_reason, sla_versions, opened_at, first_response_at, last_activity_at, "
            "alert_source, alert_key, search_text"
        )
        t0_iso, last_iso, fr_iso = _iso(t0), _iso(last), _iso(np.maximum(fr, 0))
        providers = np.array(world["providers"])[prov].tolist()
        with cursor.cursor.copy(f"COPY {Ticket._meta.db_table} ({columns}) FROM STDIN") as copy:
            step = 100_000
            for lo in range(0, n, step):
                lines = []
                for i in range(lo, min(n, lo + step)):
                    p = prios[logs["final_prio"][i]]
                    impact, urgency = IMPACT_URGENCY[p]
                    ref = f"T-2026-{i + 1:07d}"
                    lines.append(
                        f"{i + 1}\t{t0_iso[i]}\t{last_iso[i]}\t{providers[i]}\t{clients[i]}\t"
                        f"{site[i] if site[i] > 0 else chr(92) + 'N'}\t{ref}\t{titles[i]}\t<p>{bodies[i]}</p>\t"
                        f"{impact}\t{urgency}\t{p}\t{status[i]}\tportal\t"
                        f"{assignee[i] if assignee[i] > 0 else chr(92) + 'N'}\tcovered\t\tincluded\t{level[i]}\t"
                        f"none\t\t\t{t0_iso[i]}\t{fr_iso[i] if fr[i] > 0 else chr(92) + 'N'}\t{last_iso[i]}\t\t\t"
                        f"{ref}\n{titles[i]}\n{bodies[i]}".replace("\n", "\\n")
                        + "\n"
                    )
                copy.write("".join(lines))
        del lines
        at_iso = _iso(logs["at"])
        with cursor.cursor.copy(
            f"COPY {TicketEvent._meta.db_table} (ticket_id, seq, at, kind, data) FROM STDIN"
        ) as copy:
            step = 500_000
            total = len(ev_t)
            for lo in range(0, total, step):
                hi = min(total, lo + step)
                rows = zip(
                    (ev_t[lo:hi] + 1).tolist(),
                    logs["seq"][lo:hi].tolist(),
                    at_iso[lo:hi],
                    logs["kind"][lo:hi].tolist(),
                    data[lo:hi].tolist(),
                    strict=True,
                )
                copy.write("".join(f"{a}\t{b}\t{c}\t{d}\t{e}\n" for a, b, c, d, e in rows))
        loaded = time.perf_counter() - started - generated
        for definition in dropped:
            cursor.execute(definition)
        cursor.execute("SET session_replication_role = DEFAULT")
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{Ticket._meta.db_table}', 'id'), {n})"  # noqa: S608
        )
    indexed = time.perf_counter() - started - generated - loaded
    _vacuum()
    return {
        "tickets": n,
        "events": int(len(ev_t)),
        "generate_s": round(generated, 1),
        "copy_s": round(loaded, 1),
        "indexes_s": round(indexed, 1),
        "indexes_rebuilt": len(dropped),
    }


def _vacuum() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for table in ("servicedesk_ticket", "servicedesk_ticketevent", "servicedesk_slanotice"):
            cursor.execute(f"VACUUM ANALYZE {table}")


# (a) The recompute -------------------------------------------------------------------------------------


def _next_business_day(now: dt.datetime, skip: int = 0) -> dt.date:
    day = now.date()
    for _ in range(skip + 1):
        day += dt.timedelta(days=1)
        while day.weekday() >= 5:
            day += dt.timedelta(days=1)
    return day


def _stale_everything(now: dt.datetime, day: dt.date | None = None) -> int:
    """A provider-wide closure (on the next business day unless ``day``), for every provider, replacing the
    previous one: every open ticket is stale."""
    from pacte.sla import services as sla
    from pacte.sla.models import ProviderClosure
    from pacte.tenancy.models import Membership, Provider, Role

    day = day or _next_business_day(now)
    for provider in Provider.objects.filter(name__startswith="Bench "):
        manager = Membership.objects.filter(provider=provider, role=Role.PROVIDER_MANAGER).first()
        assert manager is not None
        for closure in ProviderClosure.objects.filter(provider=provider):
            sla.provider_closure_remove(actor=manager, closure=closure)
        sla.provider_closure_add(actor=manager, start_date=day, end_date=day, label="Fermeture (bench)")
    from pacte.servicedesk import recompute

    return recompute.stale_tickets(recompute.current_versions()).count()


def _check(sample: list[int], now: dt.datetime) -> list[int]:
    """Tickets whose stored columns differ from the per-ticket fold at the recompute's instant."""
    from pacte.servicedesk.clock import SLA_FIELDS, notices_of, sla_values, ticket_clock, versions_of
    from pacte.servicedesk.models import Ticket

    wrong = []
    for ticket in Ticket.objects.filter(pk__in=sample).select_related(
        "site__client", "client", "service_level__calendar"
    ):
        expected = sla_values(
            ticket_clock(ticket, now=now),
            now=now,
            notices=notices_of(ticket),
            versions=versions_of(ticket.service_level),
        )
        if {name: getattr(ticket, name) for name in SLA_FIELDS} != expected:
            wrong.append(ticket.pk)
    return wrong


def _naive(sample: list[int], now: dt.datetime) -> float:
    """The peer's way: one ticket at a time, through ``ticket_sla_refresh`` (fold + save); seconds per ticket."""
    from django.db import transaction

    from pacte.servicedesk.clock import ticket_sla_refresh
    from pacte.servicedesk.models import Ticket

    started = time.perf_counter()
    for pk in sample:
        with transaction.atomic():
            ticket = (
                Ticket.objects.select_for_update(of=("self",))
                .select_related("site__client", "client", "service_level__calendar")
                .get(pk=pk)
            )
            ticket_sla_refresh(ticket, now=now)
    return (time.perf_counter() - started) / len(sample)


def bench_recompute(args: argparse.Namespace, n: int, rng: np.random.Generator) -> dict[str, Any]:
    from django.utils import timezone

    from pacte.servicedesk import recompute

    stale = _stale_everything(timezone.now())
    now = timezone.now()
    gc.collect()
    kwargs = {"batch_size": args.batch} if args.batch else {}
    report = recompute.recompute_stale(now=now, **kwargs)
    sample = sorted(rng.choice(np.arange(1, n + 1), size=min(args.sample, n), replace=False).tolist())
    wrong = _check(sample, now)
    per_ticket = _naive(sample[: max(1, len(sample) // 2)], timezone.now())
    return {
        "stale_tickets": stale,
        "batch_size": args.batch or recompute.BATCH,
        "report": report.as_dict(),
        "phases_s": {k: round(v, 2) for k, v in report.timings.items()},
        "recompute_s": round(report.seconds, 2),
        "tickets_per_s": round(report.tickets / report.seconds),
        "checked_against_fold": len(sample),
        "mismatches": len(wrong),
        "first_mismatches": wrong[:5],
        "naive_peer": {
            "method": "clock.ticket_sla_refresh per ticket (read events, build terms, fold, save), "
            f"measured on {max(1, len(sample) // 2)} random tickets and extrapolated",
            "ms_per_ticket": round(per_ticket * 1e3, 2),
            "extrapolated_s": round(per_ticket * stale),
            "over_batch": round(per_ticket * stale / report.seconds, 1),
        },
    }


# (b) The queue -----------------------------------------------------------------------------------------


def _queue(actor: Any, *, page: bool = True, **filters: Any) -> Any:
    """The queue page's query (``views.keyset_order``: next due, none last, then id), first page of 50."""
    from django.db.models import F

    from pacte.servicedesk.selectors import TicketFilters, ticket_list

    queryset = ticket_list(actor=actor, filters=TicketFilters(status="open", **filters))
    return queryset.order_by(F("next_due").asc(nulls_last=True), "id")[:50] if page else queryset


def _plan(queryset: Any) -> tuple[list[str], str]:
    from django.db import connection

    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    return sorted(
        set(re.findall(r"(?:Index Scan|Index Only Scan|Bitmap Index Scan)(?: Backward)? (?:using|on) (\w+)", plan))
    ), plan


def _time(make: Any, runs: int) -> dict[str, Any]:
    for _ in range(5):
        list(make())
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        rows = list(make())
        times.append((time.perf_counter() - started) * 1e3)
    times.sort()
    return {
        "rows": len(rows),
        "p50_ms": round(statistics.median(times), 2),
        "p95_ms": round(times[int(0.95 * (len(times) - 1))], 2),
        "max_ms": round(times[-1], 2),
    }


QUEUE_INDEX = (
    "CREATE INDEX bench_open_queue_idx ON servicedesk_ticket (provider_id, next_due, id) "
    "WHERE status IN ('new', 'assigned', 'in_progress', 'waiting_client', 'waiting_third_party', 'planned', "
    "'restored', 'reopened')"
)


def bench_experiments(args: argparse.Namespace) -> dict[str, Any]:
    """Schema changes only the lead may make (migrations), measured here and undone."""
    from django.db import connection, transaction
    from django.utils import timezone

    from pacte.servicedesk import recompute

    out: dict[str, Any] = {}
    _stale_everything(timezone.now())
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DROP INDEX servicedesk_ticket_search_fts")
        report = recompute.recompute_stale(now=timezone.now(), **({"batch_size": args.batch} if args.batch else {}))
        out["recompute_without_fulltext_index"] = {
            "recompute_s": round(report.seconds, 2),
            "phases_s": {k: round(v, 2) for k, v in report.timings.items()},
            "note": "the GIN index on to_tsvector(search_text) dropped inside a transaction, rolled back after",
        }
        transaction.set_rollback(True)
    recompute.recompute_stale(now=timezone.now())  # the rolled-back run left the tickets stale
    _vacuum()
    with connection.cursor() as cursor:
        cursor.execute(QUEUE_INDEX)
        cursor.execute("ANALYZE servicedesk_ticket")
    try:
        out["queue_with_partial_index"] = {
            name: {k: v for k, v in figures.items() if k != "plan"}
            for name, figures in bench_queue(args).items()
            if isinstance(figures, dict)
        }
        out["queue_with_partial_index"]["index"] = QUEUE_INDEX
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP INDEX IF EXISTS bench_open_queue_idx")
    return out


TUNED = (
    "DROP INDEX IF EXISTS servicedesk_ticket_search_fts",  # as if the full-text search had a table of its own
    *(
        f"DROP INDEX IF EXISTS servicedesk_ticket_{name}"
        for name in (
            "assignee_id_6007ac31",
            "category_id_d27d19af",
            "client_id_0735aec1",
            "contract_id_900b5ccf",
            "created_by_id_edf128b2",
            "provider_id_45d59947",
            "requester_id_451a8967",
            "service_level_id_6a0eb18a",
            "site_id_cf2da11f",
            "team_id_458ecdfa",
        )
    ),  # single-column foreign-key indexes, mostly covered by the composite ones
    "ALTER TABLE servicedesk_ticket SET (fillfactor = 80)",  # room for HOT updates
    "VACUUM FULL servicedesk_ticket",
)


def bench_tuned_schema(args: argparse.Namespace) -> dict[str, Any]:
    """The recompute on a copy of the database whose ticket table is tuned (``TUNED``): a change that moves
    the versions only (due instants unchanged), then a real one (a closed day the day after next)."""
    import psycopg
    from django.db import connection
    from django.db.models import F
    from django.utils import timezone

    from pacte.servicedesk import recompute
    from pacte.sla.models import ServiceLevel

    copy = f"{args.database}_tuned"
    connection.close()
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{copy}"')
        conn.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{args.database}"')
    connection.settings_dict["NAME"] = copy
    out: dict[str, Any] = {"changes": list(TUNED)}
    try:
        with connection.cursor() as cursor:
            for statement in TUNED:
                cursor.execute(statement)
        kwargs = {"batch_size": args.batch} if args.batch else {}
        for label in ("versions only", "versions only, again", "a closed day the day after next"):
            if label.startswith("a closed day"):
                _stale_everything(timezone.now(), day=_next_business_day(timezone.now(), skip=1))
            else:
                ServiceLevel.objects.update(version=F("version") + 1)
            _vacuum()
            report = recompute.recompute_stale(now=timezone.now(), **kwargs)
            out[label] = {
                "recompute_s": round(report.seconds, 2),
                "phases_s": {k: round(v, 2) for k, v in report.timings.items()},
            }
    finally:
        connection.close()
        connection.settings_dict["NAME"] = args.database
        with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')
    return out


def bench_queue(args: argparse.Namespace) -> dict[str, Any]:
    from pacte.servicedesk.models import Ticket
    from pacte.tenancy.models import Membership, Provider, Role

    provider = Provider.objects.filter(name="Bench prestataire 1").get()
    actor = Membership.objects.filter(provider=provider, role=Role.PROVIDER_MANAGER).select_related("user").get()
    tech = Membership.objects.filter(provider=provider, role=Role.TECHNICIAN).order_by("id").first()
    assert tech is not None
    variants: dict[str, dict[str, Any]] = {
        "default": {},
        "filtered (one technician)": {"assignee_id": tech.pk},
        "search (onduleur)": {"search": "onduleur"},
    }
    out: dict[str, Any] = {
        "actor": "provider manager of the largest provider",
        "provider_open_tickets": Ticket.objects.filter(provider=provider).count(),
    }
    for name, filters in variants.items():
        indexes, plan = _plan(_queue(actor, **filters))
        out[name] = {**_time(lambda f=filters: _queue(actor, **f), args.runs), "indexes": indexes, "plan": plan}
        if "search" in filters:
            out[name]["sql"] = str(_queue(actor, **filters).query)
            out[name]["matches"] = _queue(actor, page=False, **filters).count()
    return out


# Output ------------------------------------------------------------------------------------------------


def _verdict(value: float, goal: tuple[str, float]) -> bool:
    op, bound = goal
    return value <= bound if op == "<=" else value < bound


def main() -> int:
    args = _args()
    reused = _database(args.database, args.tickets, args.rebuild)
    _setup_django(args.database)
    from django.utils import timezone

    from pacte.servicedesk import recompute

    rng = np.random.default_rng(args.seed + 1)
    load: dict[str, Any] = {"reused": True, "tickets": args.tickets}
    if not reused:
        now = timezone.now().replace(microsecond=0)
        load = _load(args.tickets, args.seed, now)
        started = time.perf_counter()
        first = recompute.recompute_stale(now=timezone.now())
        load["initial_fill_s"] = round(time.perf_counter() - started, 1)
        load["initial_fill"] = first.as_dict()
        _vacuum()
    n = args.tickets
    results: dict[str, Any] = {"load": load}
    results["recompute"] = bench_recompute(args, n, rng)
    _vacuum()
    results["queue"] = bench_queue(args)
    if args.experiments:
        results["experiments"] = bench_experiments(args)
        results["experiments"]["tuned_schema"] = bench_tuned_schema(args)
    rec = results["recompute"]
    queue_p95 = max(v["p95_ms"] for v in results["queue"].values() if isinstance(v, dict))
    results["done_when"] = [
        {
            "figure": "recompute_s",
            "value": rec["recompute_s"],
            "goal": "<= 30",
            "met": _verdict(rec["recompute_s"], GOALS["recompute_s"]),
        },
        {
            "figure": "queue_p95_ms (worst variant)",
            "value": queue_p95,
            "goal": "< 100",
            "met": _verdict(queue_p95, GOALS["queue_p95_ms"]),
        },
    ]
    results["machine"] = {"python": platform.python_version(), "numpy": np.__version__, "cpus": os.cpu_count()}
    results["run_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")

    print(f"Service desk benchmark — {n:,} open tickets, database {args.database}")
    if not load.get("reused"):
        print(
            f"  load: {load['events']:,} events; generated {load['generate_s']} s, COPY {load['copy_s']} s, "
            f"indexes {load['indexes_s']} s; initial SLA fill (batch recompute) {load['initial_fill_s']} s"
        )
    r = rec["report"]
    print(
        f"  (a) recompute of {rec['stale_tickets']:,} stale tickets: {rec['recompute_s']} s "
        f"({rec['tickets_per_s']:,}/s; {r['vectorised']:,} vectorised, {r['folded']:,} folded, {r['errors']} errors, "
        f"{r['batches']} batches of {rec['batch_size']:,})"
    )
    print("      phases: " + ", ".join(f"{k} {v} s" for k, v in rec["phases_s"].items()))
    checked = f"{rec['checked_against_fold']} tickets, {rec['mismatches']} mismatches"
    print(f"      checked against the per-ticket fold: {checked}")
    peer = rec["naive_peer"]
    print(
        f"      naive peer ({peer['method']}): {peer['ms_per_ticket']} ms/ticket → "
        f"{peer['extrapolated_s']:,} s extrapolated, {peer['over_batch']}× the batch"
    )
    size = results["queue"]["provider_open_tickets"]
    print(f"  (b) queue, first page of 50 ({args.runs} runs each; {size:,} tickets of the provider):")
    for name, v in results["queue"].items():
        if isinstance(v, dict):
            times = f"p50 {v['p50_ms']:>7} ms  p95 {v['p95_ms']:>7} ms  max {v['max_ms']:>7} ms"
            print(f"      {name:<28} {times}  indexes: {', '.join(v['indexes']) or 'none'}")
    if "experiments" in results:
        exp = results["experiments"]
        bare = exp["recompute_without_fulltext_index"]
        print(f"  experiments (undone): recompute without the full-text GIN index {bare['recompute_s']} s")
        print("      phases: " + ", ".join(f"{k} {v} s" for k, v in bare["phases_s"].items()))
        for label, run in exp["tuned_schema"].items():
            if isinstance(run, dict):
                phases = ", ".join(f"{k} {v} s" for k, v in run["phases_s"].items())
                print(f"      tuned ticket table, {label}: {run['recompute_s']} s ({phases})")
        for name, v in exp["queue_with_partial_index"].items():
            if isinstance(v, dict):
                times = f"p50 {v['p50_ms']:>7} ms  p95 {v['p95_ms']:>7} ms"
                print(f"      with the partial queue index, {name:<28} {times}  indexes: {', '.join(v['indexes'])}")
    print("  done when:")
    for row in results["done_when"]:
        print(f"    {row['figure']:<30} {row['value']:>10}  goal {row['goal']:<6} {'yes' if row['met'] else 'NO'}")
    print(f"written: {args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output}")
    return 1 if rec["mismatches"] else 0


if __name__ == "__main__":
    sys.exit(main())
