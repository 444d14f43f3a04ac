"""Done-when #3: a billing run killed (SIGKILL) at random points 20 times, then run again, gives no
duplicate, no gap, and the totals of a clean run.

Two providers get the same clients, contracts and work (``crash_data``, in the committed "live"
database). Provider B is billed once, cleanly, by ``pacte billing run --issue``. Provider A is billed
by the same command killed at a random moment, 20 times over, then once more to the end. Both must
end with the same invoices: same numbers 1..N, same totals per number, every movement on one line.
"""

from __future__ import annotations

import random
import signal
import time

from pacte.billing.models import Invoice, InvoiceLine
from pacte.billing.tests.helpers_live import billing_run, invoices, two_providers
from pacte.jobs.tests.test_workers import LIVE, live_db
from pacte.ledger.models import Movement

CONTRACTS = 36
KILLS = 20
CHUNK = {"PACTE_BILLING_CHUNK": "4"}


@live_db
def test_a_run_killed_twenty_times_ends_like_a_clean_run():
    killed, clean = two_providers(CONTRACTS)

    reference = billing_run(clean, **CHUNK)
    assert reference.stderr is not None
    head = reference.stderr.readline()
    started = time.monotonic()
    out, err = reference.communicate(timeout=300)
    err = head + err
    assert reference.returncode == 0, err.decode()
    duration = time.monotonic() - started  # from the first progress line to the end
    assert "Issue " in err.decode() and "100%" in err.decode()  # the progress bar reached the end

    # Kill until 20 runs have died mid-way, each at a random moment of the time a run takes now (a run has
    # less to do once earlier ones committed part of the month).
    seed = random.randrange(1_000_000)
    chance = random.Random(seed)
    kills, attempts, phases = 0, 0, []
    longest = duration
    while kills < KILLS and attempts < 4 * KILLS:
        attempts += 1
        process = billing_run(killed, **CHUNK)
        assert process.stderr is not None
        first_line = process.stderr.readline()  # Django is up and the run has begun: "Drafts [---…] 0/N"
        begun = time.monotonic()
        time.sleep(chance.uniform(0, max(longest, 0.3)))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
            _out, err = process.communicate(timeout=60)
            progress = [line for line in (first_line + err).decode().splitlines() if "[" in line]
            phases.append(progress[-1].split("[")[0].strip() if progress else "start")
        else:
            process.communicate(timeout=60)
            longest = time.monotonic() - begun
    final = billing_run(killed, **CHUNK)
    out, err = final.communicate(timeout=300)
    assert final.returncode == 0, err.decode()
    assert kills == KILLS, f"only {kills} of {attempts} runs were killed before they finished (seed {seed})"
    print(f"seed {seed}: {kills} kills in {attempts} runs, last phase seen: {phases}")

    expected = invoices(clean)
    got = invoices(killed)
    assert len(expected) == CONTRACTS
    assert got == expected, f"seed {seed}"
    assert [row[0] for row in got] == list(range(1, CONTRACTS + 1))  # 0 gaps, 0 duplicates
    assert not Invoice.objects.using(LIVE).filter(provider_id=killed, status="draft").exists()
    billable = Movement.objects.using(LIVE).filter(provider_id=killed, billable=True, amount__isnull=False)
    lines = InvoiceLine.objects.using(LIVE).filter(invoice__provider_id=killed, movement__isnull=False)
    assert lines.count() == billable.count() == len(set(lines.values_list("movement_id", flat=True)))
