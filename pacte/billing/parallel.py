"""A billing run's chunks spread over processes, on PostgreSQL.

A run's chunks are independent transactions (``drafting.draft_chunk``, ``services.invoices_issue``), so
on PostgreSQL — where writers lock rows, not the database — they can run side by side: ``fan_out``
forks ``workers()`` processes, gives chunk *i* to process *i* mod *n* (each takes its chunks in order)
and passes what they report (progress, refused drafts) back to the parent, which keeps the run's row
and the progress bar up to date.

Numbers stay those of a serial run: ``Turn`` lets the chunks prepare their invoices (lock the drafts,
freeze their data, validate them) at the same time, but take the numbering series one after the other,
in the chunks' order — chunk *i* waits until chunk *i − 1* has committed. So the numbers follow the
drafts' order, without gap, exactly as one process would give them.

Crash safety is unchanged: each process asks the kernel to kill it when its parent dies
(``PR_SET_PDEATHSIG``), so a killed run leaves no orphan writing behind; what it had not committed rolls
back, and running again finishes the month. Used only where it is safe and useful: PostgreSQL, Linux,
more than one worker (``PACTE_BILLING_WORKERS``, default the number of CPUs up to 4), more than one chunk,
and not inside a caller's transaction (a child could not see its uncommitted rows — tests run serial).
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import queue
import signal
import sys
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection, connections

logger = logging.getLogger("pacte.billing")

FAILED = -1
Send = Callable[[Any], None]
Work = Callable[[int, Any, Send], None]


def workers() -> int:
    """How many processes a run may use (``PACTE_BILLING_WORKERS``; 0 or unset: the CPUs, at most 4)."""
    configured = int(os.environ.get("PACTE_BILLING_WORKERS", "0") or 0)
    return max(1, configured or min(4, os.cpu_count() or 1))


def enabled(chunks: int) -> bool:
    """Whether ``chunks`` chunks are worth — and safe — spreading over processes."""
    return (
        chunks > 1
        and workers() > 1
        and sys.platform == "linux"
        and connection.vendor == "postgresql"
        and not connection.in_atomic_block
    )


class Aborted(RuntimeError):
    """Another chunk failed: this one gives up before taking a number."""


class Turn:
    """Chunks take the numbering series in their order: ``wait(i)`` until chunk ``i − 1`` is ``done``."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("fork")
        self.value = context.Value("i", 0, lock=False)
        self.condition = context.Condition()

    def wait(self, index: int) -> None:
        with self.condition:
            self.condition.wait_for(lambda: self.value.value in (index, FAILED))
            if self.value.value == FAILED:
                raise Aborted("another chunk of the run failed")

    def done(self, index: int) -> None:
        with self.condition:
            if self.value.value != FAILED:
                self.value.value = index + 1
            self.condition.notify_all()

    def fail(self) -> None:
        with self.condition:
            self.value.value = FAILED
            self.condition.notify_all()


def _die_with_parent(parent: int) -> None:
    """Ask Linux to kill this process when its parent dies (a killed run leaves no orphan)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - Linux always has it
        logger.warning("billing worker: PR_SET_PDEATHSIG unavailable")
    if os.getppid() != parent:  # the parent died before the request
        os._exit(1)


def _child(
    slot: int, count: int, parent: int, jobs: Sequence[Any], work: Work, messages: Any, turn: Turn | None
) -> None:
    _die_with_parent(parent)
    try:
        for index in range(slot, len(jobs), count):
            work(index, jobs[index], lambda message: messages.put(("message", message)))
        messages.put(("done", slot))
    except BaseException as error:  # noqa: BLE001  (reported to the parent, which raises)
        if turn is not None:
            turn.fail()
        if not isinstance(error, Aborted):
            logger.exception("billing worker %s failed", slot)
        messages.put(("error", f"{type(error).__name__}: {error}"))
    finally:
        connections.close_all()


def fan_out(jobs: Sequence[Any], work: Work, *, on_message: Callable[[Any], None], turn: Turn | None = None) -> None:
    """Run ``work(index, job, send)`` for every job in forked processes; ``send``-ed messages reach
    ``on_message`` here. Raises ``RuntimeError`` when a process fails (the others stop at their next turn)."""
    count = min(workers(), len(jobs))
    context = multiprocessing.get_context("fork")
    messages = context.Queue()
    connections.close_all()  # a child must open its own connection, never share this one
    parent = os.getpid()
    processes = [
        context.Process(target=_child, args=(slot, count, parent, jobs, work, messages, turn), daemon=True)
        for slot in range(count)
    ]
    for process in processes:
        process.start()
    finished, errors = 0, []
    try:
        while finished < count:
            try:
                kind, payload = messages.get(timeout=1)
            except queue.Empty:
                dead = [process for process in processes if process.exitcode not in (None, 0)]
                if dead and messages.empty():
                    errors.append(f"a billing worker died (exit code {dead[0].exitcode})")
                    if turn is not None:
                        turn.fail()
                    break
                continue
            if kind == "message":
                on_message(payload)
            else:
                finished += 1
                if kind == "error":
                    errors.append(payload)
    finally:
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():  # pragma: no cover - a stuck worker
                process.kill()
        messages.close()
    if errors:
        real = [error for error in errors if not error.startswith("Aborted")] or errors
        raise RuntimeError(f"billing run: {real[0]}")
