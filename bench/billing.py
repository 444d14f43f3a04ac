"""Billing benchmark (PostgreSQL): a month's run over 10 000 contracts and 80 000 time entries.

Run: ``.venv/bin/python bench/billing.py [--contracts 10000] [--entries 80000] [--documents 40]``.

Builds (once; reused while it holds ``--contracts`` contracts) a seed database with one provider, 200
clients and ``--contracts`` signed contracts started on 1 January 2026 — 60 % fixed fee 900.00 € a month
with 10 h included (overage 95 €/h), 20 % unlimited 1 500.00 € a month, 20 % time and materials — and
``--entries`` time entries of October 2026 already posted to the ledger (what the posting job writes:
hours consumed on the fixed fees and unlimited contracts, billable euros on time and materials), loaded
with ``bulk_create``. Each measured run works on a fresh copy of the seed (``CREATE DATABASE … TEMPLATE``).

(a) **Pacte**: ``runs.run_create`` + ``run_draft`` (the ledger's allowances and closes of October, then
    the drafts) + ``run_issue`` (numbers under the series row lock), documents excluded — timed, with
    every SQL statement counted (``connection.execute_wrapper``): the count per chunk of contracts is constant, so
    the total grows with the number of chunks, not of contracts. The same run at a quarter of the size
    shows it.
(b) **Naive peer** (what per-object ORM code does: close each contract's period with ``period_close``,
    draft each contract alone, number each invoice in its own transaction): timed on a sample, then
    **extrapolated** to ``--contracts`` (stated as such).
(c) **Documents**, separately: Factur-X validations (XSD + EN 16931 + BR-FR Schematron) per second and
    PDF/A-3 renderings per second (sealed when a certificate is configured, plain otherwise).

Prints a table with issue 8's goal (≤ 10 s, queries not growing per contract) and writes
``var/bench/billing.json``. Not a test: nothing fails on a timing; it exits 1 if a run's totals differ
from the expected figures (every fixed fee's overage recomputed here independently).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import sys
import time
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG = "postgres://postgres@127.0.0.1:5432"
GOAL_SECONDS = 10.0
MONTH = "2026-10"
START = dt.date(2026, 1, 1)
FIXED, UNLIMITED, TM = "fixed_fee", "unlimited", "time_and_materials"


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contracts", type=int, default=10_000)
    parser.add_argument("--entries", type=int, default=80_000)
    parser.add_argument("--database", default="pacte_bench_billing")
    parser.add_argument("--documents", type=int, default=40, help="PDFs rendered for the documents figure")
    parser.add_argument("--peer-sample", type=int, default=200, help="contracts billed the naive way")
    parser.add_argument("--rebuild", action="store_true", help="load the seed database again")
    parser.add_argument("--seed", type=int, default=2026)
    return parser.parse_args()


def _admin(sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        cursor = conn.execute(sql, params)
        return list(cursor.fetchall()) if cursor.description else []


def _count(database: str, table: str) -> int:
    import psycopg

    if not _admin("SELECT 1 FROM pg_database WHERE datname = %s", (database,)):
        return -1
    with psycopg.connect(f"{PG}/{database}", autocommit=True) as conn:
        found = conn.execute("SELECT to_regclass(%s)", (table,)).fetchone()
        if not found or not found[0]:
            return -1
        row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()  # noqa: S608  (a table name of ours)
        return int(row[0]) if row else -1


def _copy(seed: str, target: str) -> None:
    from django.db import connections

    connections.close_all()
    _admin(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
    _admin(f'CREATE DATABASE "{target}" TEMPLATE "{seed}"')


def _setup_django(database: str) -> None:
    os.environ["DATABASE_URL"] = f"{PG}/{database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pacte.config.settings")
    os.environ.setdefault("PACTE_VAR_DIR", str(ROOT / "var" / "bench" / "billing-var"))
    import django

    django.setup()


def _use(database: str) -> None:
    from django.core.management import call_command
    from django.db import connections

    connections.close_all()
    connections["default"].settings_dict["NAME"] = database
    call_command("migrate", verbosity=0)  # a seed kept from an earlier version gets the new migrations


# Loading -------------------------------------------------------------------------------------------


def _terms(kind: str) -> dict[str, Any]:
    from pacte.contracts.terms import ContractTerms

    model: dict[str, Any] = {
        FIXED: {
            "kind": FIXED,
            "fee": "900.00",
            "period": "month",
            "included_quantity": "10",
            "included_unit": "hours",
            "overage_rate": "95.00",
        },
        UNLIMITED: {"kind": UNLIMITED, "fee": "1500.00", "period": "month"},
        TM: {"kind": TM, "labour_rate": "80.00"},
    }[kind]
    terms = ContractTerms.model_validate(
        {"contract_type": "assistance", "billing_model": model, "rounding_unit_minutes": 15}
    )
    return terms.model_dump(mode="json")


def _load(contracts: int, entries: int, seed: int) -> dict[str, Any]:
    from django.db import transaction
    from django.utils import timezone

    from pacte.contracts.models import Contract, ContractVersion
    from pacte.ledger.models import Account, Movement
    from pacte.ledger.rules import snapshot
    from pacte.tenancy.models import Client, Provider

    rng = random.Random(seed)  # noqa: S311  (reproducible data, not secrets)
    started = time.perf_counter()
    with transaction.atomic():
        provider = Provider.objects.create(
            name="Bench Infogérance",
            legal_name="Bench Infogérance SAS",
            legal_form="SAS",
            siren="812345676",
            siret="81234567600017",
            vat_number="FR19812345676",
            address="12 rue de la République",
            postal_code="69002",
            city="Lyon",
            rcs_city="Lyon",
            iban="FR7630006000011234567890189",
            bic="AGRIFRPPXXX",
        )
        clients = Client.objects.bulk_create(
            [
                Client(
                    provider=provider,
                    name=f"Client {n:03d}",
                    siren=_siren(n),
                    address=f"{n} rue du Commerce",
                    postal_code="69003",
                    city="Lyon",
                )
                for n in range(200)
            ]
        )
        kinds = [FIXED] * 6 + [UNLIMITED] * 2 + [TM] * 2
        plan = [kinds[n % 10] for n in range(contracts)]
        made = Contract.objects.bulk_create(
            [
                Contract(
                    provider=provider,
                    client=clients[n % len(clients)],
                    reference=f"C-2026-{n + 1:05d}",
                    title=f"Assistance {n + 1}",
                    contract_type="assistance",
                    status="active",
                    start_date=START,
                    duration_months=36,
                    term_number=1,
                    term_start=START,
                    term_end=dt.date(2028, 12, 31),
                )
                for n in range(contracts)
            ],
            batch_size=2000,
        )
        terms = {kind: _terms(kind) for kind in (FIXED, UNLIMITED, TM)}
        now = timezone.now()
        ContractVersion.objects.bulk_create(
            [
                ContractVersion(
                    provider=provider,
                    client_id=contract.client_id,
                    contract=contract,
                    number=1,
                    kind="initial",
                    status="signed",
                    effective_from=START,
                    terms_data=terms[plan[n]],
                    signed_at=now,
                )
                for n, contract in enumerate(made)
            ],
            batch_size=2000,
        )
        units = {FIXED: "hours", UNLIMITED: "hours", TM: "euros"}
        accounts = Account.objects.bulk_create(
            [
                Account(provider=provider, client_id=contract.client_id, contract=contract, unit=units[plan[n]])
                for n, contract in enumerate(made)
            ],
            batch_size=2000,
        )
        from pacte.contracts.terms import ContractTerms

        rules = {kind: snapshot(ContractTerms.model_validate(data)) for kind, data in terms.items()}
        movements = []
        expected_hours: dict[int, Decimal] = {}
        for k in range(entries):
            n = rng.randrange(contracts)
            contract, account, kind = made[n], accounts[n], plan[n]
            minutes = rng.choice((15, 30, 45, 60, 90, 120, 180))
            hours = (Decimal(minutes) / 60).quantize(Decimal("0.0001"))
            day = dt.date(2026, 10, rng.randint(1, 31))
            common = {
                "provider": provider,
                "client_id": contract.client_id,
                "contract": contract,
                "account": account,
                "kind": "consumption",
                "service_date": day,
                "source_kind": "time_entry",
                "source_id": str(k + 1),
                "key": f"time_entry:{k + 1}:consumption",
                "rule": rules[kind],
                "description": f"Ticket time {k + 1}",
            }
            if kind == TM:
                amount = (hours * Decimal("80.00")).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
                movements.append(Movement(quantity=-amount, amount=amount, billable=True, **common))
            else:
                movements.append(Movement(quantity=-hours, **common))
                if kind == FIXED:
                    expected_hours[contract.pk] = expected_hours.get(contract.pk, Decimal(0)) + hours
        Movement.objects.bulk_create(movements, batch_size=5000)
    overage = sum(
        ((max(Decimal(0), used - 10) * Decimal("95.00")).quantize(Decimal("0.01")) for used in expected_hours.values()),
        Decimal("0.00"),
    )
    tm = sum((m.amount for m in movements if m.amount is not None), Decimal("0.00"))
    fees = sum((Decimal("900.00") if kind == FIXED else Decimal("1500.00")) for kind in plan if kind != TM)
    return {
        "seconds": round(time.perf_counter() - started, 1),
        "expected_net": str(fees + overage + tm),
        "provider": provider.pk,
    }


def _siren(n: int) -> str:
    from stdnum import luhn

    base = f"{(40000000 + n * 7919) % 100000000:08d}"
    return base + luhn.calc_check_digit(base)


# Measures ------------------------------------------------------------------------------------------


class _Counter:
    """Counts every SQL statement sent (``CaptureQueriesContext`` keeps only the last 9 000), the run's
    worker processes' too: they inherit the wrapper and add to a counter in shared memory."""

    def __init__(self) -> None:
        import multiprocessing

        self.shared = multiprocessing.get_context("fork").Value("q", 0)

    @property
    def count(self) -> int:
        return int(self.shared.value)

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        with self.shared.get_lock():
            self.shared.value += 1
        return execute(sql, params, many, context)


def _pacte_run(provider_id: int) -> dict[str, Any]:
    from django.db import connection

    from pacte.billing import drafting, runs
    from pacte.tenancy.models import Provider

    provider = Provider.objects.get(pk=provider_id)
    phases: dict[str, float] = {}
    queries = _Counter()
    with connection.execute_wrapper(queries):
        started = time.perf_counter()
        run = runs.run_create(actor=None, provider=provider, month=MONTH)
        run = runs.run_draft(run)
        phases["ledger_and_drafts_s"] = time.perf_counter() - started
        middle = time.perf_counter()
        drafted_queries = queries.count
        run = runs.run_issue(run, actor=None, validate=False, render=False)
        phases["numbering_s"] = time.perf_counter() - middle
        total = time.perf_counter() - started
    totals = runs.month_totals(provider.pk, run.period_start)
    chunks = -(-run.total // drafting.chunk_size())
    return {
        "contracts": run.total,
        "invoices": run.issued,
        "seconds": round(total, 2),
        **{key: round(value, 2) for key, value in phases.items()},
        "queries": queries.count,
        "queries_drafting": drafted_queries,
        "chunks": chunks,
        "queries_per_chunk": round(queries.count / max(chunks, 1), 1),
        "queries_per_contract": round(queries.count / max(run.total, 1), 3),
        "total_net": str(totals["net"]),
        "total_gross": str(totals["gross"]),
    }


def _naive(provider_id: int, sample: int) -> dict[str, Any]:
    """Per-object code on ``sample`` contracts: a ledger close, a draft and a numbering transaction each."""
    from django.db import connection

    from pacte.billing import domain, drafting, runs
    from pacte.billing.models import Invoice
    from pacte.billing.services import invoices_issue
    from pacte.contracts.models import Contract
    from pacte.tenancy.models import Provider

    provider = Provider.objects.get(pk=provider_id)
    first, last = domain.month_bounds(MONTH)
    contracts = list(Contract.objects.filter(provider=provider).select_related("client").order_by("pk")[:sample])
    queries = _Counter()
    with connection.execute_wrapper(queries):
        started = time.perf_counter()
        for contract in contracts:
            runs._ledger_closed([contract], first, last, dt.date.today())  # noqa: DTZ011
            drafting.draft_chunk([contract], first=first, last=last)
            invoice = Invoice.objects.filter(contract=contract, billing_period=first).first()
            if invoice is not None:
                invoices_issue(actor=None, provider=provider, invoice_ids=[invoice.pk], validate=False, render=False)
        seconds = time.perf_counter() - started
    return {
        "sample": len(contracts),
        "seconds": round(seconds, 2),
        "queries": queries.count,
        "queries_per_contract": round(queries.count / max(len(contracts), 1), 1),
    }


def _documents(provider_id: int, count: int) -> dict[str, Any]:
    from pacte.billing import facturx
    from pacte.billing.models import Invoice
    from pacte.billing.rendering import invoice_render_once, invoice_xml

    invoices = list(Invoice.objects.filter(provider_id=provider_id, status="issued").order_by("sequence")[:count])
    if not invoices:
        return {}
    facturx.validate(invoice_xml(invoices[0]))  # compiles the rule sets once (about half a second)
    started = time.perf_counter()
    failures = 0
    for invoice in invoices:
        failures += facturx.validate(invoice_xml(invoice)).fatal_count
    validations = time.perf_counter() - started
    started = time.perf_counter()
    for invoice in invoices:
        invoice_render_once(invoice.pk)
    rendering = time.perf_counter() - started
    return {
        "count": len(invoices),
        "validations_per_s": round(len(invoices) / validations, 1),
        "fatal_failures": failures,
        "pdfs_per_s": round(len(invoices) / rendering, 2),
        "sealed": bool(Invoice.objects.filter(pk=invoices[0].pk, document__is_sealed=True).exists()),
    }


def main() -> int:
    args = _args()
    seed_db, run_db = f"{args.database}_seed", args.database
    _setup_django(run_db)
    from django.core.management import call_command

    results: dict[str, Any] = {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
        "contracts": args.contracts,
        "entries": args.entries,
        "month": MONTH,
    }
    scales = {"full": args.contracts, "quarter": max(args.contracts // 4, 1)}
    for label, contracts in scales.items():
        seed = f"{seed_db}_{contracts}"
        entries = args.entries * contracts // args.contracts
        meta_file = ROOT / "var" / "bench" / f"billing-seed-{contracts}.json"
        if args.rebuild or _count(seed, "contracts_contract") != contracts or not meta_file.exists():
            _admin(f'DROP DATABASE IF EXISTS "{seed}" WITH (FORCE)')
            _admin(f'CREATE DATABASE "{seed}"')
            _use(seed)
            call_command("migrate", verbosity=0)
            print(f"loading {contracts} contracts and {entries} time entries into {seed} …", flush=True)
            meta = _load(contracts, entries, args.seed)
            meta_file.parent.mkdir(parents=True, exist_ok=True)
            meta_file.write_text(json.dumps(meta))
            print(f"  loaded in {meta['seconds']} s", flush=True)
        meta = json.loads(meta_file.read_text())
        _copy(seed, run_db)
        _use(run_db)
        measured = _pacte_run(meta["provider"])
        measured["expected_net"] = meta["expected_net"]
        measured["totals_ok"] = measured["total_net"] == meta["expected_net"]
        results[f"pacte_{label}"] = measured
        if label == "full":
            results["documents"] = _documents(meta["provider"], args.documents)
            _copy(seed, run_db)
            _use(run_db)
            peer = _naive(meta["provider"], args.peer_sample)
            peer["extrapolated_s"] = round(peer["seconds"] * contracts / max(peer["sample"], 1), 1)
            results["naive_peer"] = peer
    full, quarter, peer, docs = (
        results["pacte_full"],
        results["pacte_quarter"],
        results["naive_peer"],
        results.get("documents", {}),
    )
    print()
    print(f"Billing run of {MONTH}: {full['contracts']} contracts, {args.entries} time entries (PostgreSQL)")
    print(f"{'':34} {'seconds':>9} {'queries':>9} {'per chunk':>10} {'per contract':>13}")
    for label, row in (("Pacte (ledger + drafts + numbers)", full), ("Pacte, a quarter of the contracts", quarter)):
        print(
            f"{label:34} {row['seconds']:>9} {row['queries']:>9} {row['queries_per_chunk']:>10} "
            f"{row['queries_per_contract']:>13}"
        )
    print(
        f"{'Naive peer (extrapolated)':34} {peer['extrapolated_s']:>9} {'':>9} {'':>10} "
        f"{peer['queries_per_contract']:>13}   (measured on {peer['sample']} contracts: {peer['seconds']} s)"
    )
    print(f"  phases: ledger + drafts {full['ledger_and_drafts_s']} s, numbering {full['numbering_s']} s")
    print(f"  totals excl. VAT {full['total_net']} € (expected {full['expected_net']} €): {full['totals_ok']}")
    if docs:
        print(
            f"Documents: {docs['validations_per_s']} Factur-X validations/s ({docs['fatal_failures']} fatal), "
            f"{docs['pdfs_per_s']} PDF/A-3 renderings/s (sealed: {docs['sealed']}) over {docs['count']} invoices"
        )
    goal_time = full["seconds"] <= GOAL_SECONDS
    goal_queries = abs(full["queries_per_chunk"] - quarter["queries_per_chunk"]) <= 0.25 * full["queries_per_chunk"]
    print(
        f"Goal ≤ {GOAL_SECONDS} s: {'yes' if goal_time else 'NO'}; queries per chunk constant: "
        f"{'yes' if goal_queries else 'NO'}"
    )
    results["goals"] = {"seconds": goal_time, "queries_constant_per_chunk": goal_queries}
    out = ROOT / "var" / "bench" / "billing.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"wrote {out}")
    return 0 if full["totals_ok"] and quarter["totals_ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
