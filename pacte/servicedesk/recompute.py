"""Batch recompute of the stored SLA columns when a calendar or a service level changes.

A ticket stores its due instants with the versions they were computed with (``sla_versions`` =
``calendar.version:service_level.version``). When a calendar (its week, zone, holidays, exceptions),
a provider closure it follows, or a service level (targets, warning threshold, calendar) changes, the
versions move and every **open** ticket on an affected service level is *stale*. ``recompute_stale``
(the ``sla_recompute`` task: enqueued on commit by ``pacte.sla.services``, and nightly as a catch-up)
finds them by ``service_level`` and ``sla_versions`` and recomputes them:

* **Batches** of ``BATCH`` tickets in id order, each in its own transaction with its rows locked (a
  clock event on one of them waits for the batch, then refreshes the ticket itself: no lost update).
  A killed run leaves the rest stale; the next run (enqueued again, or the nightly one) takes them.
  Idempotent: a fresh ticket is not selected again. A batch whose versions moved while it ran is not
  written (PostgreSQL: the ``UPDATE`` joins the current versions; SQLite serialises writers), and the
  task enqueued by that change recomputes it.
* **Grouping**: within a batch, tickets are grouped by service level and calendar assembly (time zone
  and holiday region of the site, else the client: ``selectors.ticket_calendar``); a group shares one
  ``ServiceLevelTerms`` (built once per run) and one engine.
* **The split**: the vectorised path (``sla_batch.batch_columns``: the fold's state machine on numpy
  arrays, due instants through ``SlaEngine.add_business_seconds_many``) covers every log but those
  that change service level or are closed (and the malformed ones); those go through the per-ticket
  fold (``pacte.sla.clock.ticket_clock`` + ``clock.sla_values``), fed from the same rows.
* **Reading and writing**: on PostgreSQL the batch's rows and events are read as one packed binary
  value per query; the results are ``COPY``-ed (binary) into a temporary table and applied with one
  ``UPDATE servicedesk_ticket … FROM`` per batch (no row-by-row saves). On SQLite: ``bulk_update``.

Tickets whose log names a second service level are found through their current one only (the one
``sla_versions`` records).
"""

from __future__ import annotations

import datetime
import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from django.db import connection, transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from pacte.servicedesk.clock import NO_LEVEL, SLA_FIELDS, clock_events
from pacte.servicedesk.models import CLOCK_KINDS, OPEN_STATUSES, SlaNotice, SlaNoticeKind, Ticket, TicketEvent
from pacte.servicedesk.sla_batch import (
    DUE_COLUMNS,
    FIELDS,
    I64,
    KIND_CODE,
    NO_LEVEL_CODE,
    NULL,
    PRIORITIES,
    REASONS,
    STATES,
    TARGETS,
    EventRows,
    batch_columns,
    event_row,
    fold_values,
    from_us,
    to_us,
)
from pacte.sla import clock as sla_clock
from pacte.sla.calendars import Calendar
from pacte.sla.models import BusinessCalendar, ServiceLevel
from pacte.sla.selectors import service_level_terms
from pacte.tenancy.models import Client, Site

logger = logging.getLogger("pacte.servicedesk")

BATCH = 10_000


# The database side ---------------------------------------------------------------------------------


@dataclass
class RecomputeReport:
    tickets: int = 0
    vectorised: int = 0
    folded: int = 0
    errors: int = 0
    skipped: int = 0  # versions moved while the batch ran: left stale for the next run
    batches: int = 0
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "tickets": self.tickets,
            "vectorised": self.vectorised,
            "folded": self.folded,
            "errors": self.errors,
            "skipped": self.skipped,
            "batches": self.batches,
            "seconds": round(self.seconds, 3),
        }

    def lap(self, name: str, since: float) -> float:
        now = time.perf_counter()
        self.timings[name] = self.timings.get(name, 0.0) + now - since
        return now


def current_versions(service_level_ids: Iterable[int] | None = None) -> dict[int, tuple[int, int]]:
    """``{service level id: (calendar version, service level version)}``."""
    levels = ServiceLevel.objects.all()
    if service_level_ids is not None:
        levels = levels.filter(pk__in=list(service_level_ids))
    return {pk: (cv, lv) for pk, cv, lv in levels.values_list("pk", "calendar__version", "version")}


def _versions_text(versions: tuple[int, int]) -> str:
    return f"{versions[0]}:{versions[1]}"


def stale_tickets(versions: Mapping[int, tuple[int, int]]) -> Any:
    """The open tickets on these service levels whose stored versions are not the current ones."""
    condition = Q()
    for pk, pair in versions.items():
        condition |= Q(service_level_id=pk) & ~Q(sla_versions=_versions_text(pair))
    if not versions:
        return Ticket.objects.none()
    return Ticket.objects.filter(condition, status__in=OPEN_STATUSES)


class _Terms:
    """Service levels and their terms per calendar assembly (time zone, holiday region), built once per run."""

    def __init__(self) -> None:
        self.versions: dict[int, tuple[int, int]] = {}  # those the cached terms were built with
        self.levels: dict[int, ServiceLevel] = {}
        self.terms: dict[tuple[int, str, str], sla_clock.ServiceLevelTerms] = {}
        # site id, or minus a client's → (time zone, holiday region, a site or None, a client) giving them
        self.places: dict[int, tuple[str, str, Site | None, Client]] = {}
        self.assembly: dict[tuple[str, str], int] = {}
        self.empty = sla_clock.ServiceLevelTerms(calendar=Calendar.always_open(), targets={})

    def follow(self, versions: Mapping[int, tuple[int, int]]) -> None:
        """Forget what was built for a service level whose versions moved."""
        gone = {pk for pk, pair in versions.items() if self.versions.get(pk, pair) != pair}
        for pk in gone:
            self.levels.pop(pk, None)
        self.terms = {key: value for key, value in self.terms.items() if key[0] not in gone}
        self.versions.update(versions)

    def place_keys(self, site_ids: I64, client_ids: I64) -> I64:
        """Per ticket, the place its calendar takes its zone and holidays from (``selectors.ticket_calendar``:
        the site, else the client) as a code: the site's id, or minus the client's. Loaded in two queries."""
        codes = np.where(site_ids >= 0, site_ids, -client_ids)
        missing = [int(code) for code in np.unique(codes) if int(code) not in self.places]
        for site in Site.objects.filter(pk__in=[c for c in missing if c > 0]).select_related("client"):
            zone, subdivision = site.effective_time_zone, site.effective_holiday_subdivision
            self.places[site.pk] = (zone, subdivision, site, site.client)
        for client in Client.objects.filter(pk__in=[-c for c in missing if c < 0]):
            self.places[-client.pk] = (client.time_zone, client.holiday_subdivision, None, client)
        return codes

    def assemblies(self, places: I64) -> I64:
        """Per ticket, an index of its calendar assembly (time zone, holiday region)."""
        unique, inverse = np.unique(places, return_inverse=True)
        found = [self.assembly.setdefault(self.places[int(p)][:2], len(self.assembly)) for p in unique]
        return np.array(found, np.int64)[inverse].reshape(-1)

    def level(self, pk: int) -> ServiceLevel:
        if pk not in self.levels:
            self.levels[pk] = (
                ServiceLevel.objects.select_related("calendar__provider").prefetch_related("targets").get(pk=pk)
            )
        return self.levels[pk]

    def of(self, level_id: int, place: int) -> sla_clock.ServiceLevelTerms:
        zone, subdivision, site, client = self.places[place]
        key = (level_id, zone, subdivision)
        if key not in self.terms:
            self.terms[key] = service_level_terms(service_level=self.level(level_id), site=site, client=client)
        return self.terms[key]

    def mapping(self, level_ids: Iterable[int], place: int) -> dict[str, sla_clock.ServiceLevelTerms]:
        out = {NO_LEVEL: self.empty}
        for pk in level_ids:
            try:
                out[str(pk)] = self.of(pk, place)
            except ServiceLevel.DoesNotExist:
                pass  # the fold says which level is unknown
        return out


@dataclass
class _Locked:
    """The rows of one batch, locked: ids, site, client, service level (int64; site -1 when none)."""

    ids: I64
    site: I64
    client: I64
    level: I64


def _ints(queryset_or_sql: Any, width: int, params: Sequence[Any] = ()) -> I64:
    """Rows of ``width`` integer columns (no NULL) as an (m, width) array, in the query's order of its first
    column. PostgreSQL aggregates them into one binary value: a message per row would cost more than the work."""
    if isinstance(queryset_or_sql, str):
        sql = queryset_or_sql
    else:
        sql, params = queryset_or_sql.query.sql_with_params()
    with connection.cursor() as cursor:
        if _postgres():
            names = ", ".join(f"c{i}" for i in range(width))
            packed = " || ".join(f"int8send(t.c{i}::int8)" for i in range(width))
            packed_sql = f"SELECT string_agg({packed}, ''::bytea ORDER BY t.c0) FROM ({sql}) AS t({names})"  # noqa: S608
            cursor.execute(packed_sql, params)
            data = cursor.fetchone()[0]
            return np.frombuffer(bytes(data or b""), dtype=">i8").astype(np.int64).reshape(-1, width)
        cursor.execute(sql, params)
        return np.array(cursor.fetchall(), dtype=np.int64).reshape(-1, width)


def _lock(lo: int, hi: int, versions: Mapping[int, tuple[int, int]]) -> _Locked:
    rows = (
        stale_tickets(versions)
        .filter(pk__gte=lo, pk__lte=hi)
        .select_for_update()
        .order_by("pk")
        .values_list("pk", Coalesce("site_id", -1), "client_id", "service_level_id")
    )
    arr = _ints(rows, 4)
    return _Locked(*(np.ascontiguousarray(arr[:, i]) for i in range(4)))


def _postgres() -> bool:
    return connection.vendor == "postgresql"


_EVENTS_SQL = """
  SELECT e.ticket_id, e.seq, ('x' || encode(timestamptz_send(e.at), 'hex'))::bit(64)::int8,
    CASE e.kind {kinds} ELSE -1 END,
    CASE WHEN e.kind IN ('opened', 'priority_changed')
         THEN (CASE e.data->>'priority' {priorities} ELSE -1 END) ELSE -1 END,
    CASE WHEN e.kind NOT IN ('opened', 'service_level_changed') THEN -1
         WHEN e.data->>'service_level' ~ '^[0-9]{{1,18}}$' THEN (e.data->>'service_level')::int8
         ELSE {no_level} END,
    CASE WHEN e.kind = 'paused' THEN (CASE e.data->>'reason' {reasons} ELSE 0 END) ELSE 0 END
  FROM servicedesk_ticketevent e
  WHERE e.ticket_id = ANY(%s::int8[]) AND e.kind IN ({clock})
"""
_PG_EPOCH_US = 946_684_800 * 1_000_000
_BINARY_HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"


def _binary_dtype(fields: int) -> np.dtype[Any]:
    """A binary COPY row of ``fields`` non-null int8 columns."""
    return np.dtype(
        [("n", ">i2"), *((name, t) for i in range(fields) for name, t in ((f"l{i}", ">i4"), (f"v{i}", ">i8")))]
    )


def _events_sql() -> str:
    return _EVENTS_SQL.format(
        kinds=" ".join(f"WHEN '{kind}' THEN {code}" for kind, code in KIND_CODE.items()),
        priorities=" ".join(f"WHEN '{p.value}' THEN {i}" for i, p in enumerate(PRIORITIES)),
        reasons=" ".join(f"WHEN '{r}' THEN {i}" for i, r in enumerate(REASONS) if r),
        no_level=NO_LEVEL_CODE,
        clock=", ".join(f"'{kind}'" for kind in sorted(CLOCK_KINDS)),
    )


def _load_events(ids: I64) -> EventRows:
    """The clock events of ``ids`` (sorted), ``owner`` = the index in ``ids``."""
    if _postgres():
        table = _ints(_events_sql(), len(FIELDS), ("{" + ",".join(map(str, ids.tolist())) + "}",))
        cols = [np.ascontiguousarray(table[:, i]) for i in range(len(FIELDS))]
        cols[0] = np.searchsorted(ids, cols[0])
        cols[2] = cols[2] + _PG_EPOCH_US  # timestamptz_send: microseconds since 2000-01-01
        return EventRows(*cols)
    rows: list[tuple[int, ...]] = []
    owner_of: dict[int, int] = {int(pk): i for i, pk in enumerate(ids.tolist())}
    events = TicketEvent.objects.filter(ticket_id__gte=int(ids[0]), ticket_id__lte=int(ids[-1]), kind__in=CLOCK_KINDS)
    for event in events.only("ticket_id", "seq", "at", "kind", "data").order_by():
        owner = owner_of.get(event.ticket_id)
        if owner is not None:
            try:
                rows.extend(event_row(owner, e) for e in clock_events([event]))
            except (sla_clock.ClockError, ValueError):
                rows.append((owner, event.seq, to_us(event.at), KIND_CODE.get(event.kind, -1), -1, -1, 0))
    return EventRows.from_tuples(rows)


def _noticed(ids: I64) -> tuple[npt.NDArray[np.bool_], dict[int, set[tuple[str, str]]]]:
    noticed = np.zeros((len(ids), 4, 2), dtype=bool)
    sets: dict[int, set[tuple[str, str]]] = {}
    target_index = {t.value: i for i, t in enumerate(TARGETS)}
    rows = SlaNotice.objects.filter(ticket_id__gte=int(ids[0]), ticket_id__lte=int(ids[-1]))
    for ticket_id, target, kind in rows.values_list("ticket_id", "target", "kind"):
        i = int(np.searchsorted(ids, ticket_id))
        if i < len(ids) and ids[i] == ticket_id and target in target_index:
            noticed[i, target_index[target], 0 if kind == SlaNoticeKind.WARNING else 1] = True
            sets.setdefault(ticket_id, set()).add((target, kind))
    return noticed, sets


@dataclass
class _Out:
    """The batch's results: ids, and (m, 11) columns — level, cv, lv, 4 dues, next due, next warning,
    state, reason — as int64 (µs instants, NULL for none)."""

    ids: list[I64] = field(default_factory=list)
    cols: list[I64] = field(default_factory=list)

    def add(self, ids: I64, cols: I64) -> None:
        self.ids.append(ids)
        self.cols.append(cols)

    def stacked(self) -> tuple[I64, I64]:
        if not self.ids:
            return np.zeros(0, np.int64), np.zeros((0, 11), np.int64)
        return np.concatenate(self.ids), np.concatenate(self.cols)


@dataclass
class _Batch:
    """One batch being computed: its locked rows, events, notices, places, the current versions."""

    locked: _Locked
    rows: EventRows
    places: I64
    noticed: npt.NDArray[np.bool_]
    sets: dict[int, set[tuple[str, str]]]
    versions: Mapping[int, tuple[int, int]]
    now: datetime.datetime


def _fold_rows(batch: _Batch, index: I64, cache: _Terms, report: RecomputeReport) -> tuple[I64, I64]:
    """The per-ticket fold for the tickets ``index`` of the batch (events from the rows already read)."""
    order = np.argsort(batch.rows.owner, kind="stable")
    owners = batch.rows.owner[order]
    out_ids, out = [], []
    for i in index.tolist():
        pk, level_id = int(batch.locked.ids[i]), int(batch.locked.level[i])
        lo, hi = np.searchsorted(owners, i), np.searchsorted(owners, i, side="right")
        try:
            events = batch.rows.events(order[lo:hi])
            named = {int(e.service_level) for e in events if e.service_level and e.service_level.isdigit()}
            values = fold_values(
                events,
                terms=cache.mapping(named | {level_id}, int(batch.places[i])),
                now=batch.now,
                notices=batch.sets.get(pk, set()),
                versions=_versions_text(batch.versions[level_id]),
            )
        except sla_clock.ClockError:
            logger.warning("Ticket %s: its SLA log cannot be folded; left as it is.", pk)
            report.errors += 1
            continue
        cv, lv = batch.versions[level_id]
        row = [level_id, cv, lv, *(to_us(values[c]) for c in DUE_COLUMNS)]
        row += [to_us(values["next_due"]), to_us(values["next_warning"])]
        row += [STATES.index(str(values["sla_state"])), REASONS.index(str(values["sla_paused_reason"]))]
        out_ids.append(pk)
        out.append(row)
    report.folded += len(out_ids)
    return np.array(out_ids, np.int64), np.array(out, np.int64).reshape(-1, 11)


def _compute(batch: _Batch, cache: _Terms, report: RecomputeReport) -> _Out:
    """The whole batch through the vectorised path (terms grouped by service level and calendar assembly),
    then the rest through the per-ticket fold."""
    locked = batch.locked
    assembly = cache.assemblies(batch.places)
    keys, first, group = np.unique(
        locked.level * (len(cache.assembly) + 1) + assembly, return_index=True, return_inverse=True
    )
    terms = [cache.of(int(locked.level[i]), int(batch.places[i])) for i in first.tolist()]
    cols = batch_columns(
        len(locked.ids),
        batch.rows,
        level_id=locked.level,
        terms=terms,
        group=group.reshape(-1),
        now=batch.now,
        noticed=batch.noticed,
    )
    fast = cols.fast
    versions = np.array([batch.versions[int(level)] for level in locked.level.tolist()], np.int64).reshape(-1, 2)
    table = np.empty((int(fast.sum()), 11), np.int64)
    table[:, 0], table[:, 1], table[:, 2] = locked.level[fast], versions[fast, 0], versions[fast, 1]
    table[:, 3:7] = cols.due[fast]
    table[:, 7], table[:, 8] = cols.next_due[fast], cols.next_warning[fast]
    table[:, 9], table[:, 10] = cols.state[fast], cols.reason[fast]
    out = _Out()
    out.add(locked.ids[fast], table)
    report.vectorised += len(table)
    rest = np.flatnonzero(~fast)
    if len(rest):
        out.add(*_fold_rows(batch, rest, cache, report))
    return out


_TMP = "pacte_sla_recompute"
_TMP_COLUMNS = (
    "id",
    "level_id",
    "cv",
    "lv",
    *DUE_COLUMNS,
    "next_due",
    "next_warning",
    "state",
    "reason",
)


def _instant(column: str) -> str:
    instant = f"TIMESTAMPTZ 'epoch' + tmp.{column} * INTERVAL '1 microsecond'"
    return f"CASE WHEN tmp.{column} = {NULL} THEN NULL ELSE {instant} END"


def _update_sql() -> str:
    states = ", ".join(f"'{s}'" for s in STATES)
    reasons = ", ".join(f"'{r}'" for r in REASONS)
    sets = [f"{c} = {_instant(c)}" for c in (*DUE_COLUMNS, "next_due", "next_warning")]
    sets += [
        f"sla_state = (ARRAY[{states}])[tmp.state + 1]",
        f"sla_paused_reason = (ARRAY[{reasons}])[tmp.reason + 1]",
        "sla_versions = tmp.cv || ':' || tmp.lv",
    ]
    # Table and column names come from the models, values from the temporary table: nothing from outside.
    return (
        f"UPDATE {Ticket._meta.db_table} AS t SET {', '.join(sets)} "  # noqa: S608
        f"FROM {_TMP} AS tmp JOIN {ServiceLevel._meta.db_table} AS l ON l.id = tmp.level_id "
        f"JOIN {BusinessCalendar._meta.db_table} AS c ON c.id = l.calendar_id "
        "WHERE t.id = tmp.id AND l.version = tmp.lv AND c.version = tmp.cv"
    )


def _write_postgres(ids: I64, cols: I64) -> int:
    table = np.empty(len(ids), dtype=_binary_dtype(len(_TMP_COLUMNS)))
    table["n"] = len(_TMP_COLUMNS)
    values = np.column_stack([ids, cols[:, :11]])
    for i in range(len(_TMP_COLUMNS)):
        table[f"l{i}"] = 8
        table[f"v{i}"] = values[:, i]
    payload = _BINARY_HEADER + table.tobytes() + b"\xff\xff"
    with connection.cursor() as cursor:
        columns = ", ".join(f"{c} int8" for c in _TMP_COLUMNS)
        cursor.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {_TMP} ({columns}) ON COMMIT DELETE ROWS")
        cursor.execute(f"TRUNCATE {_TMP}")  # empty at the start of a transaction, but not between two savepoints
        with cursor.cursor.copy(f"COPY {_TMP} ({', '.join(_TMP_COLUMNS)}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.write(payload)
        cursor.execute(f"ANALYZE {_TMP}")
        cursor.execute(_update_sql())
        return int(cursor.rowcount)


def _write_sqlite(ids: I64, cols: I64, versions: Mapping[int, tuple[int, int]]) -> int:
    tickets = []
    for pk, row in zip(ids.tolist(), cols.tolist(), strict=True):
        if versions.get(row[0]) != (row[1], row[2]):
            continue
        ticket = Ticket(pk=pk)
        for name, value in zip(DUE_COLUMNS, row[3:7], strict=True):
            setattr(ticket, name, from_us(value))
        ticket.next_due, ticket.next_warning = from_us(row[7]), from_us(row[8])
        ticket.sla_state, ticket.sla_paused_reason = STATES[row[9]], REASONS[row[10]]
        ticket.sla_versions = f"{row[1]}:{row[2]}"
        tickets.append(ticket)
    Ticket.objects.bulk_update(tickets, SLA_FIELDS, batch_size=500)
    return len(tickets)


def recompute_batch(
    lo: int,
    hi: int,
    *,
    cache: _Terms,
    versions: Mapping[int, tuple[int, int]],
    now: datetime.datetime,
    report: RecomputeReport,
) -> None:
    """Recompute the stale tickets with ids in ``[lo, hi]`` in one transaction (rows locked)."""
    with transaction.atomic():
        started = time.perf_counter()
        fresh = current_versions(versions)  # versions moved since the run began: rebuild those terms
        cache.follow(fresh)
        if not fresh:
            return
        locked = _lock(lo, hi, fresh)
        started = report.lap("lock", started)
        if not len(locked.ids):
            return
        rows = _load_events(locked.ids)
        noticed, sets = _noticed(locked.ids)
        places = cache.place_keys(locked.site, locked.client)
        started = report.lap("read events", started)
        batch = _Batch(locked, rows, places, noticed, sets, fresh, now)
        out_ids, out_cols = _compute(batch, cache, report).stacked()
        started = report.lap("compute", started)
        written = (
            _write_postgres(out_ids, out_cols)
            if _postgres()
            else _write_sqlite(out_ids, out_cols, current_versions(fresh))
        )
        report.lap("write", started)
        report.skipped += len(out_ids) - written
        report.tickets += written
        report.batches += 1


def recompute_stale(
    *, service_level_ids: Sequence[int] | None = None, now: datetime.datetime | None = None, batch_size: int = BATCH
) -> RecomputeReport:
    """Recompute every stale open ticket of these service levels (all of them when ``None``)."""
    started = time.perf_counter()
    now = now or timezone.now()
    report = RecomputeReport()
    versions = current_versions(service_level_ids)
    if not versions:  # no such service level (any more)
        return report
    ids = _ints(stale_tickets(versions).order_by("pk").values_list("pk"), 1)[:, 0]
    report.lap("find stale", started)
    cache = _Terms()
    for start in range(0, len(ids), batch_size):
        chunk = ids[start : start + batch_size]
        recompute_batch(int(chunk[0]), int(chunk[-1]), cache=cache, versions=versions, now=now, report=report)
    report.seconds = time.perf_counter() - started
    return report


def recompute_enqueue(service_level_ids: Iterable[int]) -> None:
    """Enqueue the recompute of these service levels' open tickets once the caller's transaction commits."""
    ids = sorted({int(pk) for pk in service_level_ids})
    if not ids:
        return

    def enqueue() -> None:
        from pacte.servicedesk.tasks import sla_recompute

        sla_recompute.enqueue(service_level_ids=ids)

    transaction.on_commit(enqueue)
