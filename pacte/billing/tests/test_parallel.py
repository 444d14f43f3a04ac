"""A run spread over processes (PostgreSQL) gives the invoices of a serial run, numbers included, and
leaves no process behind when it is killed."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from pacte.billing import parallel
from pacte.billing.tests.helpers_live import billing_run, invoices, two_providers
from pacte.jobs.tests.test_workers import live_db

CONTRACTS = 30


def _billing_processes(provider: int) -> list[int]:
    """Processes running this provider's ``pacte billing run`` (the run and its forked workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            words = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"billing" in words and b"--provider" in words and str(provider).encode() in words:
            found.append(int(entry.name))
    return found


@pytest.mark.postgres_only  # runs are spread over processes on PostgreSQL only (Linux, as the machine)
@live_db
def test_a_run_over_three_processes_numbers_like_a_serial_run_and_dies_with_its_parent():
    spread, serial = two_providers(CONTRACTS)

    one = billing_run(serial, PACTE_BILLING_WORKERS="1", PACTE_BILLING_CHUNK="3")
    _out, err = one.communicate(timeout=300)
    assert one.returncode == 0, err.decode()

    # Killed while drafting: its workers go with it (PR_SET_PDEATHSIG), nothing keeps writing.
    killed = billing_run(spread, PACTE_BILLING_WORKERS="3", PACTE_BILLING_CHUNK="1")
    assert killed.stderr is not None
    killed.stderr.readline()  # the run has begun
    deadline = time.monotonic() + 30
    while len(_billing_processes(spread)) < 4 and time.monotonic() < deadline:  # the run and its 3 workers
        time.sleep(0.05)
    assert len(_billing_processes(spread)) >= 4, "the run did not fork its workers"
    killed.send_signal(signal.SIGKILL)
    killed.communicate(timeout=60)
    deadline = time.monotonic() + 10
    while _billing_processes(spread) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _billing_processes(spread) == []

    three = billing_run(spread, PACTE_BILLING_WORKERS="3", PACTE_BILLING_CHUNK="3")
    _out, err = three.communicate(timeout=300)
    assert three.returncode == 0, err.decode()
    assert "Issue " in err.decode() and "100%" in err.decode()

    expected, got = invoices(serial), invoices(spread)
    assert len(expected) == CONTRACTS
    assert got == expected  # same numbers for the same clients, same totals
    assert [row[0] for row in got] == list(range(1, CONTRACTS + 1))


def test_chunks_take_their_turn_in_order_whatever_process_runs_them(monkeypatch, tmp_path):
    turn = parallel.Turn()
    order = tmp_path / "order"
    received: list[int] = []

    def work(index: int, job: float, send: parallel.Send) -> None:
        time.sleep(job)  # later chunks finish preparing first
        turn.wait(index)
        with order.open("a") as file:  # what a chunk does in its turn: take the series
            file.write(f"{index}\n")
        turn.done(index)
        send(index)

    monkeypatch.setenv("PACTE_BILLING_WORKERS", "3")
    parallel.fan_out([0.3, 0.2, 0.1, 0.0, 0.05, 0.0], work, on_message=received.append, turn=turn)
    assert order.read_text().split() == ["0", "1", "2", "3", "4", "5"]
    assert sorted(received) == [0, 1, 2, 3, 4, 5]  # every message reached the parent


def test_a_failing_chunk_stops_the_chunks_after_it_before_their_turn(monkeypatch, tmp_path):
    turn = parallel.Turn()
    order = tmp_path / "order"

    def work(index: int, job: int, send: parallel.Send) -> None:
        turn.wait(index)
        if index == 2:
            raise ValueError("chunk 2 cannot be issued")
        with order.open("a") as file:
            file.write(f"{index}\n")
        turn.done(index)

    monkeypatch.setenv("PACTE_BILLING_WORKERS", "2")
    with pytest.raises(RuntimeError, match="chunk 2 cannot be issued"):
        parallel.fan_out(list(range(6)), work, on_message=lambda message: None, turn=turn)
    assert order.read_text().split() == ["0", "1"]
