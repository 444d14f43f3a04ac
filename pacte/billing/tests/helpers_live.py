"""``pacte billing run`` in a child process on the committed "live" database (see test_settings), and
what the crash and multi-process tests compare: two providers built alike, billed two ways."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal

from pacte.billing.models import Invoice
from pacte.jobs.tests.test_workers import LIVE, worker_env

MONTH = "2026-10"


def two_providers(contracts: int) -> tuple[int, int]:
    """Two providers with the same clients, contracts and work (``crash_data``), committed; their ids."""
    built = subprocess.run(
        [sys.executable, "-m", "pacte.billing.tests.crash_data", str(contracts)],
        env=worker_env(),
        capture_output=True,
        check=True,
        timeout=300,
    )
    first, second = json.loads(built.stdout.decode().strip().splitlines()[-1])
    return first, second


def billing_run(provider: int, **env: str) -> subprocess.Popen[bytes]:
    """``pacte billing run --issue --no-render`` of ``MONTH`` for ``provider``, started, its output piped;
    ``env``: settings added to the worker's environment (``PACTE_BILLING_CHUNK``, ``PACTE_BILLING_WORKERS``)."""
    command = [sys.executable, "-m", "pacte.cli", "billing", "run", "--period", MONTH, "--provider", str(provider)]
    return subprocess.Popen(
        [*command, "--issue", "--no-render"],
        env=worker_env(**env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def invoices(provider: int) -> list[tuple[int | None, str, Decimal, Decimal, int]]:
    """The provider's invoices in number order: (sequence, client, total excl. VAT, total incl. VAT, lines)."""
    return [
        (invoice.sequence, invoice.client.name, invoice.total_net, invoice.total_gross, invoice.lines.count())
        for invoice in Invoice.objects.using(LIVE)
        .filter(provider_id=provider)
        .select_related("client")
        .order_by("sequence")
    ]
