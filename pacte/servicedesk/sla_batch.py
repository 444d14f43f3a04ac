"""The SLA clock of a batch of tickets, vectorised: the same fold as ``pacte.sla.clock`` over numpy arrays.

:func:`batch_columns` takes the clock events of many tickets on one service level and one calendar
assembly (as :class:`EventRows` columns) and returns what ``clock.sla_values`` would store for each
(due instants, next due, next look, state, pause reason), as ``ticket_clock`` + ``sla_values`` would
compute them one by one. It runs the fold's state machine on arrays: events ordered by (instant at
the opening at the earliest, sequence); resolved periods (resolving when resolved or reopening when
not changes nothing); pauses (ignored while resolved, ended by resolving, a new reason ending one
pause and beginning the next); segments of terms (a re-targeting that changes the priority); stops
(the first stop event, or the first resolution; resolution: the resolved period still open). Then,
per target kind and segment, the due instants of the whole batch are calls to
``SlaEngine.add_business_seconds_many`` with ``BatchPauses`` (the pauses clipped to the target's stop,
and for resolution the resolved periods), and the breach instant is the first live instant past a
segment's due one, as in the fold. Instants are kept in microseconds so that every comparison is the
fold's (whole-second due instants against microsecond event instants).

Left to the per-ticket fold (``fast = False``): a log that changes service level (several terms to
assemble) or is closed, more than ``MAX_SEGMENTS`` re-targetings, and logs the fold refuses (no or
several openings, duplicate sequence numbers, an opening after now, an opening naming another level).
``tests/test_recompute.py`` checks on random logs (hypothesis) that both give the same columns.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from pacte.servicedesk.clock import NO_LEVEL, sla_values
from pacte.servicedesk.models import SlaState
from pacte.sla import clock as sla_clock
from pacte.sla.calendars import CALENDAR_TIME
from pacte.sla.domain import BatchPauses, engine_for

I64 = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]

US = 1_000_000
NULL = -(2**62)  # "no instant" in the int64 columns
FAR = 2**62  # "never" (a target not stopped)
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
_MICRO = datetime.timedelta(microseconds=1)

KINDS: tuple[str, ...] = (
    "opened",
    "first_response",
    "intervention_started",
    "restored",
    "resolved",
    "reopened",
    "paused",
    "resumed",
    "priority_changed",
    "service_level_changed",
    "closed",
)
KIND_CODE = {kind: code for code, kind in enumerate(KINDS)}
OPENED, RESOLVED, REOPENED = KIND_CODE["opened"], KIND_CODE["resolved"], KIND_CODE["reopened"]
PAUSED, RESUMED, RETARGET = KIND_CODE["paused"], KIND_CODE["resumed"], KIND_CODE["priority_changed"]
#: Kinds the vectorised path leaves to the per-ticket fold.
TO_FOLD = np.array([KIND_CODE["service_level_changed"], KIND_CODE["closed"]])
#: The stop event of each of the first three targets (``resolved`` stops them all, and resolution).
STOPS = (KIND_CODE["first_response"], KIND_CODE["intervention_started"], KIND_CODE["restored"])
MAX_SEGMENTS = 6  # more re-targetings than this: the per-ticket fold
PRIORITIES = tuple(sla_clock.Priority)
TARGETS = tuple(sla_clock.TargetKind)
STATES: tuple[str, ...] = tuple(SlaState.values)
REASONS: tuple[str, ...] = ("", *(r.value for r in sla_clock.PauseReason))
NO_LEVEL_CODE = -2  # an event naming no service level ("none")
DUE_COLUMNS = ("response_due", "intervention_due", "restoration_due", "resolution_due")
FIELDS = ("owner", "seq", "at_us", "kind", "priority", "level", "reason")


def to_us(at: datetime.datetime | None) -> int:
    return NULL if at is None else (at - _EPOCH) // _MICRO


def from_us(value: int) -> datetime.datetime | None:
    return None if value == NULL else _EPOCH + datetime.timedelta(microseconds=int(value))


# The vectorised fold (pure: no ORM) ----------------------------------------------------------------


@dataclass(frozen=True)
class EventRows:
    """Clock events of many tickets as columns; ``owner`` is the ticket's index in the batch.

    ``priority``: index in ``PRIORITIES`` (openings and re-targetings, else -1); ``level``: the service
    level id an opening or a change names (``NO_LEVEL_CODE`` for none, else -1); ``reason``: index in
    ``REASONS`` (pauses, else 0)."""

    owner: I64
    seq: I64
    at_us: I64
    kind: I64
    priority: I64
    level: I64
    reason: I64

    @classmethod
    def from_tuples(cls, rows: Sequence[tuple[int, ...]]) -> EventRows:
        arr = np.array(rows, dtype=np.int64).reshape(-1, len(FIELDS))
        return cls(*(np.ascontiguousarray(arr[:, i]) for i in range(len(FIELDS))))

    def take(self, index: npt.NDArray[Any]) -> EventRows:
        return EventRows(*(getattr(self, name)[index] for name in FIELDS))

    def events(self, index: Iterable[int]) -> list[sla_clock.Event]:
        """Rows as the engine's events (for the per-ticket fold)."""
        out = []
        for i in index:
            p, lv, r = int(self.priority[i]), int(self.level[i]), int(self.reason[i])
            out.append(
                sla_clock.Event(
                    at=_EPOCH + datetime.timedelta(microseconds=int(self.at_us[i])),
                    seq=int(self.seq[i]),
                    kind=sla_clock.EventKind(KINDS[int(self.kind[i])]),
                    reason=sla_clock.PauseReason(REASONS[r]) if r > 0 else None,
                    priority=PRIORITIES[p] if p >= 0 else None,
                    service_level=NO_LEVEL if lv == NO_LEVEL_CODE else str(lv) if lv >= 0 else None,
                )
            )
        return out


def event_row(owner: int, event: sla_clock.Event) -> tuple[int, ...]:
    """One engine event as a row of :class:`EventRows` (the tests' and SQLite's way in)."""
    level = -1
    if event.service_level is not None:
        level = int(event.service_level) if event.service_level.isdigit() else NO_LEVEL_CODE
    priority = PRIORITIES.index(event.priority) if event.priority is not None else -1
    reason = REASONS.index(event.reason.value) if event.reason is not None else 0
    return (owner, event.seq, to_us(event.at), KIND_CODE[event.kind.value], priority, level, reason)


@dataclass
class Columns:
    """The stored SLA columns of a batch as int64 microseconds / codes; ``fast`` marks the rows computed."""

    fast: Bools
    due: I64  # (n, 4): response, intervention, restoration, resolution
    next_due: I64
    next_warning: I64
    state: I64  # index in STATES
    reason: I64  # index in REASONS (the open pause's)


def _code(state: str) -> int:
    return STATES.index(state)


def _starts(o: I64) -> Bools:
    """For rows sorted by owner: the first row of each owner."""
    first = np.ones(len(o), dtype=bool)
    first[1:] = o[1:] != o[:-1]
    return first


def _rank(o: I64) -> I64:
    """For rows sorted by owner: each row's rank within its owner."""
    idx = np.arange(len(o))
    return idx - np.maximum.accumulate(np.where(_starts(o), idx, 0)) if len(o) else idx


def _simple_tickets(n: int, rows: EventRows, level_id: I64) -> tuple[Bools, I64, I64]:
    """Tickets with one opening naming their ``level_id`` with a known priority, and unique sequence numbers."""
    opened = rows.kind == OPENED
    count = np.bincount(rows.owner[opened], minlength=n)
    t0 = np.zeros(n, np.int64)
    priority = np.full(n, -1, np.int64)
    level = np.full(n, -3, np.int64)
    t0[rows.owner[opened]] = rows.at_us[opened]
    priority[rows.owner[opened]] = rows.priority[opened]
    level[rows.owner[opened]] = rows.level[opened]
    ok = (count == 1) & (priority >= 0) & (level == level_id)
    order = np.lexsort((rows.seq, rows.owner))
    o, s = rows.owner[order], rows.seq[order]
    dup = (o[1:] == o[:-1]) & (s[1:] == s[:-1])
    ok[o[1:][dup]] = False
    return ok, t0, priority


def _toggles(o: I64, starts: Bools) -> Bools:
    """Of toggle rows sorted per owner (``starts``: those that open a period), the ones that change the
    state: repeating the previous row's kind, or closing first, changes nothing."""
    changed = np.ones(len(o), dtype=bool)
    changed[1:] = starts[1:] != starts[:-1]
    first = _starts(o)
    return (first | changed) & ~(first & ~starts)


def _periods(n: int, o: I64, at: I64, starts: Bools) -> tuple[I64, I64, I64, I64]:
    """From kept toggle rows (alternating, opening first): the closed periods (owner, start, end) and, per
    owner, the index of the row opening a period still open (-1: none)."""
    opening = np.flatnonzero(starts)
    follow = np.minimum(opening + 1, max(len(o) - 1, 0))
    paired = (opening + 1 < len(o)) & (o[follow] == o[opening])
    still = np.full(n, -1, np.int64)
    still[o[opening[~paired]]] = opening[~paired]
    closed = opening[paired]
    return o[closed], at[closed], at[closed + 1], still


@dataclass
class _Log:
    """Each ticket's log folded, vectorised: per ticket, or per period (owner first)."""

    n: int
    t0: I64
    seg_start: I64  # (n, width): FAR past the ticket's segments
    seg_prio: I64  # (n, width): -1 past them
    end: I64  # (n, 4): each target's stop instant, or now when running
    stopped: Bools  # (n, 4)
    stop_seg: I64  # (n, 4): the segment in force at the stop (the last one when running)
    pauses: tuple[I64, I64, I64]  # closed pauses: owner, start, end
    open_pause: I64  # start of the pause still open (FAR: none)
    open_reason: I64
    gaps: tuple[I64, I64, I64, I64]  # closed resolved periods: owner, start, end, rank within the owner


def _fold_log(rows: EventRows, t0: I64, prio0: I64, now_us: int, fast: Bools) -> _Log:
    """The state machine of ``pacte.sla.clock`` over every ticket's ordered events at once."""
    n = len(t0)
    known = rows.take(np.flatnonzero((rows.kind != OPENED) & (rows.at_us <= now_us)))
    fast[known.owner[np.isin(known.kind, TO_FOLD)]] = False
    fast[known.owner[(known.kind == RETARGET) & (known.priority < 0)]] = False
    at = np.maximum(known.at_us, t0[known.owner])  # an event before the opening counts at the opening
    order = np.lexsort((known.seq, at, known.owner))
    o, at, kind = known.owner[order], at[order], known.kind[order]
    prio, reason = known.priority[order], known.reason[order]
    m = len(o)
    pos = np.arange(m)
    first_of = np.maximum.accumulate(np.where(_starts(o), pos, 0)) if m else pos
    # Resolved periods: resolving when resolved, or reopening when not, changes nothing.
    rs = np.flatnonzero((kind == RESOLVED) | (kind == REOPENED))
    kept_rs = rs[_toggles(o[rs], kind[rs] == RESOLVED)]
    go, ga, gb, resolved_now = _periods(n, o[kept_rs], at[kept_rs], kind[kept_rs] == RESOLVED)
    last = np.maximum.accumulate(np.where(np.isin(pos, kept_rs), pos, -1)) if m else pos
    before = np.concatenate([[-1], last[:-1]]).astype(np.int64) if m else pos
    resolved_before = (before >= first_of) & (kind[np.maximum(before, 0)] == RESOLVED) if m else before > 0
    # Pauses: a pause while resolved changes nothing; resolving ends the pause; a new reason goes on pausing.
    pr = np.flatnonzero(((kind == PAUSED) & ~resolved_before) | (kind == RESUMED) | (kind == RESOLVED))
    kept_pr = pr[_toggles(o[pr], kind[pr] == PAUSED)]
    po, ps, pe, paused_now = _periods(n, o[kept_pr], at[kept_pr], kind[kept_pr] == PAUSED)
    open_pause = np.full(n, FAR, np.int64)
    open_reason = np.zeros(n, np.int64)
    has = paused_now >= 0
    run_start = np.full(n, FAR, np.int64)
    run_start[has] = kept_pr[paused_now[has]]
    # The pause still open begins at the last change of reason in its run (a pause with the same reason
    # changes nothing; another reason ends the pause and begins a new one): before it, a closed pause.
    applied = pr[kind[pr] == PAUSED]
    switch = _starts(o[applied]) | (reason[applied] != np.roll(reason[applied], 1))
    begins = applied[(switch | (applied == run_start[o[applied]])) & (applied >= run_start[o[applied]])]
    last_begin = np.full(n, -1, np.int64)
    np.maximum.at(last_begin, o[begins], begins)
    open_pause[has] = at[last_begin[has]]
    split = has & (last_begin > run_start)
    po = np.concatenate([po, np.flatnonzero(split)])
    ps = np.concatenate([ps, at[run_start[split]]])
    pe = np.concatenate([pe, open_pause[split]])
    last_pause = np.full(n, -1, np.int64)
    np.maximum.at(last_pause, o[applied], applied)
    open_reason[has] = reason[last_pause[has]]
    # Segments: a re-targeting that changes the priority starts one (the terms run from the opening).
    rt = np.flatnonzero(kind == RETARGET)
    previous = np.where(_starts(o[rt]), prio0[o[rt]], np.roll(prio[rt], 1))
    kept_rt = rt[prio[rt] != previous]
    nseg = 1 + np.bincount(o[kept_rt], minlength=n)
    fast &= nseg <= MAX_SEGMENTS
    width = int(min(nseg.max(initial=1), MAX_SEGMENTS))
    seg_start = np.full((n, width), FAR, np.int64)
    seg_prio = np.full((n, width), -1, np.int64)
    seg_start[:, 0], seg_prio[:, 0] = t0, prio0
    rank = 1 + _rank(o[kept_rt])
    fits = rank < width
    seg_start[o[kept_rt][fits], rank[fits]] = at[kept_rt][fits]
    seg_prio[o[kept_rt][fits], rank[fits]] = prio[kept_rt][fits]
    # Stops: the first stop event or resolution; resolution: the resolved period still open.
    stop = np.full((n, 4), FAR, np.int64)
    for k, stop_kind in enumerate(STOPS):
        hit = np.flatnonzero((kind == stop_kind) | (kind == RESOLVED))
        np.minimum.at(stop[:, k], o[hit], hit)
    stop[resolved_now >= 0, 3] = kept_rs[resolved_now[resolved_now >= 0]]
    stopped = stop < FAR
    row = np.where(stopped, stop, 0)
    end = np.where(stopped, at[row] if m else 0, now_us)
    before_stop = np.searchsorted(kept_rt, row) - np.searchsorted(kept_rt, first_of[row] if m else row)
    stop_seg = np.where(stopped, before_stop, (nseg - 1)[:, None])
    return _Log(
        n,
        t0,
        seg_start,
        seg_prio,
        end,
        stopped,
        stop_seg,
        (po, ps, pe),
        open_pause,
        open_reason,
        (go, ga, gb, _rank(go)),
    )


@dataclass
class _Grid:
    """The targets of every ticket's terms as arrays, by terms group ``g``: ``secs[g, k, p]`` (-1: none),
    ``calendar_time[g, k, p]``, ``percent[g]``; ``group[i]`` is ticket i's."""

    secs: I64
    calendar_time: Bools
    percent: I64
    group: I64
    calendars: list[Any]

    @classmethod
    def of(cls, terms: Sequence[sla_clock.ServiceLevelTerms], group: I64) -> _Grid:
        shape = (len(terms), len(TARGETS), len(PRIORITIES))
        secs = np.full(shape, -1, np.int64)
        calendar_time = np.zeros(shape, dtype=bool)
        for g, one in enumerate(terms):
            for k, kind in enumerate(TARGETS):
                for p, priority in enumerate(PRIORITIES):
                    target = one.target(priority, kind)
                    if target is not None:
                        secs[g, k, p] = target.seconds
                        calendar_time[g, k, p] = target.basis is sla_clock.Basis.CALENDAR
        percent = np.array([one.warning_percent for one in terms], np.int64)
        return cls(secs, calendar_time, percent, group, [one.calendar for one in terms])

    def seconds(self, k: int, prio: I64) -> I64:
        """Per ticket, target ``k``'s seconds under priority ``prio`` (-1: none)."""
        return self.secs[self.group, k, np.maximum(prio, 0)]


def _excluded(k: int, log: _Log) -> tuple[tuple[I64, I64, I64], Bools]:
    """What does not count for target ``k`` (owner, start, end in seconds): its pauses before its stop, and for
    resolution the resolved periods (those also leave its live time); the mask of those periods."""
    end = log.end[:, k]
    po, ps, pe = log.pauses
    counted = ps < end[po]  # a pause from the stop on does not count
    owner, start, stop = po[counted], ps[counted], np.minimum(pe[counted], end[po[counted]])
    go, ga, gb, _rank_g = log.gaps
    live_gaps = (ga < end[go]) if k == 3 else np.zeros(len(go), dtype=bool)
    if live_gaps.any():
        owner = np.concatenate([owner, go[live_gaps]])
        start = np.concatenate([start, ga[live_gaps]])
        stop = np.concatenate([stop, gb[live_gaps]])
    return (owner, start // US, stop // US), live_gaps


def _defined(k: int, j: int, log: _Log, grid: _Grid, fast: Bools) -> Bools:
    prio = log.seg_prio[:, j]
    return fast & (prio >= 0) & (j <= log.stop_seg[:, k]) & (grid.seconds(k, prio) >= 0)


def _instants(log: _Log, grid: _Grid, fast: Bools, excluded: list[tuple[I64, I64, I64]]) -> tuple[I64, I64]:
    """Due and warning instants (µs) of every target under every segment's terms: one engine call per
    calendar (each group's for business time, one for calendar time)."""
    n, width = log.n, log.seg_start.shape[1]
    due = np.full((4, n, width), NULL, np.int64)
    warn = np.full((4, n, width), NULL, np.int64)
    t0_s = log.t0 // US
    # Every (target, segment, due|warning) of every ticket is an entry; entries are split by engine.
    blocks, owners, p_start, p_end, tickets, secs, engine = [], [], [], [], [], [], []
    size = 0
    for k in range(4):
        ex_o, ex_s, ex_e = excluded[k]
        for j in range(width):
            prio = np.maximum(log.seg_prio[:, j], 0)
            sel = np.flatnonzero(_defined(k, j, log, grid, fast))
            if not len(sel):
                continue
            target = grid.seconds(k, prio)[sel]
            calendar_time = grid.calendar_time[grid.group[sel], k, prio[sel]]
            for is_warning, seconds in enumerate((target, target * grid.percent[grid.group[sel]] // 100)):
                remap = np.full(n, -1, np.int64)
                remap[sel] = size + np.arange(len(sel))
                mine = remap[ex_o] >= 0
                blocks.append((k, j, is_warning, sel, size))
                owners.append(remap[ex_o[mine]])
                p_start.append(ex_s[mine])
                p_end.append(ex_e[mine])
                tickets.append(sel)
                secs.append(seconds)
                engine.append(np.where(calendar_time, len(grid.calendars), grid.group[sel]))
                size += len(sel)
    if not blocks:
        return due, warn
    ticket, seconds, engine_of = np.concatenate(tickets), np.concatenate(secs), np.concatenate(engine)
    owner, pause_start, pause_end = np.concatenate(owners), np.concatenate(p_start), np.concatenate(p_end)
    found = np.zeros(size, np.int64)
    for e in np.unique(engine_of).tolist():
        entries = np.flatnonzero(engine_of == e)
        remap = np.full(size, -1, np.int64)
        remap[entries] = np.arange(len(entries))
        mine = remap[owner] >= 0
        calendar = CALENDAR_TIME if e == len(grid.calendars) else grid.calendars[e]
        pauses = BatchPauses(remap[owner[mine]], pause_start[mine], pause_end[mine])
        starts: I64 = t0_s[ticket[entries]]
        found[entries] = engine_for(calendar).add_business_seconds_many(starts, seconds[entries], pauses=pauses)
    for k, j, is_warning, sel, offset in blocks:
        (warn if is_warning else due)[k, sel, j] = found[offset : offset + len(sel)] * US
    return due, warn


def _target(
    k: int, log: _Log, grid: _Grid, fast: Bools, seg_due: I64, seg_warn: I64, live_gaps: Bools
) -> tuple[Bools, I64, I64, I64, I64]:
    """One target kind for every ticket: (has an outcome, due, warning, breach instant, state code)."""
    n, width = log.n, log.seg_start.shape[1]
    end, stop_seg = log.end[:, k], log.stop_seg[:, k]
    go, ga, gb, grank = log.gaps
    open_k = np.where(log.open_pause < end, log.open_pause, FAR)
    breach_at = np.full(n, FAR, np.int64)
    last_defined = np.full(n, -1, np.int64)
    for j in range(width):
        defined = _defined(k, j, log, grid, fast)
        last_defined = np.where(defined, j, last_defined)
        seg_end = log.seg_start[:, j + 1] if j + 1 < width else np.full(n, FAR, np.int64)
        seg_end = np.where(j < stop_seg, seg_end, FAR)
        check = defined & (seg_end > log.seg_start[:, j]) & (seg_due[:, j] <= open_k) & (breach_at == FAR)
        x = np.where(check, np.maximum(seg_due[:, j], log.seg_start[:, j]), FAR)
        if live_gaps.any():  # the first live instant from x on: after any resolved period it falls in
            for r in range(int(grank[live_gaps].max()) + 1):
                g = np.flatnonzero(live_gaps & (grank == r))
                inside = (ga[g] <= x[go[g]]) & (x[go[g]] < gb[g])
                x[go[g][inside]] = gb[g][inside]
        late = check & (x < end) & (x < seg_end)
        breach_at = np.where(late, x, breach_at)
    breached = breach_at < FAR
    last = np.minimum(stop_seg, width - 1)
    prio_last = log.seg_prio[np.arange(n), last]
    final_defined = (stop_seg < width) & (prio_last >= 0) & (grid.seconds(k, prio_last) >= 0)
    final = np.where(final_defined, stop_seg, np.where(breached, last_defined, -1))
    has = fast & (final >= 0)
    rows = np.flatnonzero(has)
    due = np.full(n, NULL, np.int64)
    warn = np.full(n, NULL, np.int64)
    due[rows] = seg_due[rows, final[rows]]
    warn[rows] = seg_warn[rows, final[rows]]
    hidden = has & (open_k < due)  # an open pause began before the due instant: not known yet
    due[hidden] = NULL
    warn[hidden] = NULL
    state = np.full(n, _code(SlaState.ON_TRACK), np.int64)  # running
    state[due == NULL] = _code(SlaState.PAUSED)
    state[log.stopped[:, k]] = _code(SlaState.MET)
    state[breached] = _code(SlaState.BREACHED)
    return has, due, warn, np.where(breached, breach_at, NULL), state


def batch_columns(
    n: int,
    rows: EventRows,
    *,
    level_id: int | I64,
    terms: sla_clock.ServiceLevelTerms | Sequence[sla_clock.ServiceLevelTerms],
    group: I64 | None = None,
    now: datetime.datetime,
    noticed: npt.NDArray[np.bool_] | None = None,
) -> Columns:
    """The SLA columns of ``n`` tickets as of ``now``: ticket i runs on ``terms[group[i]]`` of service level
    ``level_id[i]`` (one ``terms`` and one ``level_id`` for all: no ``group``).

    ``noticed[i, k, 0|1]``: ticket i's target k already has its warning / breach notice. Rows the
    vectorised path leaves to the fold (see the module's docstring) get ``fast = False``.
    """
    now_us = to_us(now)
    if isinstance(terms, sla_clock.ServiceLevelTerms):
        terms, group = [terms], np.zeros(n, np.int64)
    assert group is not None
    levels = np.broadcast_to(np.asarray(level_id, np.int64), (n,))
    noticed = np.zeros((n, 4, 2), dtype=bool) if noticed is None else noticed
    fast, t0, prio0 = _simple_tickets(n, rows, levels)
    fast &= t0 <= now_us
    log = _fold_log(rows, t0, np.maximum(prio0, 0), now_us, fast)
    has = np.zeros((n, 4), dtype=bool)
    due, warn, breach_at = (np.full((n, 4), NULL, np.int64) for _ in range(3))
    state = np.zeros((n, 4), np.int64)
    grid = _Grid.of(terms, group)
    excluded, live_gaps = zip(*(_excluded(k, log) for k in range(4)), strict=True)
    seg_due, seg_warn = _instants(log, grid, fast, list(excluded))
    for k in range(4):
        has[:, k], due[:, k], warn[:, k], breach_at[:, k], state[:, k] = _target(
            k, log, grid, fast, seg_due[k], seg_warn[k], live_gaps[k]
        )
    running = has & (state == _code(SlaState.ON_TRACK))
    breached = has & (state == _code(SlaState.BREACHED))
    paused = has & (state == _code(SlaState.PAUSED))
    next_due = np.where(running, due, FAR).min(axis=1)
    look = np.minimum.reduce(
        [
            np.where(running & ~noticed[:, :, 0], warn, FAR),
            np.where(running & ~noticed[:, :, 1], due, FAR),
            np.where(breached & ~noticed[:, :, 1], breach_at, FAR),
        ]
    ).min(axis=1)
    ticket_paused = log.open_pause < FAR
    any_running = running.any(axis=1)
    at_risk = (running & (warn <= now_us)).any(axis=1)
    code = np.full(n, _code(SlaState.MET), np.int64)
    code[ticket_paused] = _code(SlaState.PAUSED)
    code[any_running] = _code(SlaState.ON_TRACK)
    code[any_running & at_risk] = _code(SlaState.AT_RISK)
    code[paused.any(axis=1) & ~any_running] = _code(SlaState.PAUSED)
    code[breached.any(axis=1)] = _code(SlaState.BREACHED)
    code[~has.any(axis=1)] = _code(SlaState.NONE)
    return Columns(
        fast=fast,
        due=np.where(has, due, NULL),
        next_due=np.where(next_due == FAR, NULL, next_due),
        next_warning=np.where(look == FAR, NULL, look),
        state=code,
        reason=np.where(ticket_paused, log.open_reason, 0),
    )


def fold_values(
    events: Iterable[sla_clock.Event],
    *,
    terms: Mapping[str, sla_clock.ServiceLevelTerms],
    now: datetime.datetime,
    notices: set[tuple[str, str]],
    versions: str,
) -> dict[str, Any]:
    """The per-ticket way: the fold, then the stored columns (what ``ticket_sla_refresh`` writes)."""
    result = sla_clock.ticket_clock(events, now=now, terms=terms)
    return sla_values(result, now=now, notices=notices, versions=versions)
