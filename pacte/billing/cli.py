"""``pacte billing run`` and ``pacte invoice pdf``: billing from the command line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, TextIO

PHASES = {"draft": "Drafts", "issue": "Issue "}
WIDTH = 30


class Bar:
    """A progress bar on ``stream``: redrawn in place on a terminal, one line per step otherwise."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.last: tuple[str, int] | None = None

    def __call__(self, phase: str, done: int, total: int) -> None:
        filled = WIDTH if total == 0 else WIDTH * done // total
        percent = 100 if total == 0 else 100 * done // total
        if not self.tty and self.last == (phase, percent):
            return
        self.last = (phase, percent)
        line = f"{PHASES.get(phase, phase)} [{'#' * filled}{'-' * (WIDTH - filled)}] {done}/{total} {percent:3d}%"
        if self.tty:
            self.stream.write("\r" + line + ("\n" if done >= total else ""))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()


def _provider(value: str | None) -> Any:
    from pacte.tenancy.models import Provider

    providers = Provider.objects.filter(archived_at__isnull=True)
    if value:
        found = providers.filter(pk=int(value)).first() if value.isdigit() else providers.filter(name=value).first()
        if found is None:
            raise SystemExit(f"pacte: no active provider “{value}”")
        return found
    if providers.count() != 1:
        raise SystemExit("pacte: several providers: say which with --provider ID")
    return providers.get()


def _client(provider: Any, value: str | None) -> Any:
    from django.db.models import Q

    from pacte.tenancy.models import Client

    if not value:
        return None
    clients = Client.objects.filter(provider=provider)
    match = Q(siren=value) | Q(name__iexact=value)
    if value.isdigit() and len(value) != 9:
        match = Q(pk=int(value))
    found = list(clients.filter(match)[:2])
    if len(found) != 1:
        raise SystemExit(f"pacte billing run: no single client “{value}” (give its id, SIREN or exact name)")
    return found[0]


def cmd_billing_run(args: argparse.Namespace) -> int:
    from pacte.billing import runs
    from pacte.billing.domain import BillingError

    provider = _provider(args.provider)
    try:
        run = runs.run_create(actor=None, provider=provider, month=args.period, client=_client(provider, args.client))
    except BillingError as error:
        print(f"pacte billing run: {error}", file=sys.stderr)
        return 2
    bar = Bar(sys.stderr)
    run = runs.run_execute(run, actor=None, issue=args.issue, progress=bar, render=not args.no_render)
    totals = runs.month_totals(provider.pk, run.period_start)
    print(
        f"pacte billing run {args.period}: run {run.pk}, {run.total} contracts, {run.drafted} drafts, "
        f"{run.issued} issued; month total {totals['net']} € excl. VAT, {totals['gross']} € incl. VAT",
        flush=True,
    )
    return 0


def cmd_invoice_pdf(args: argparse.Namespace) -> int:
    """Write an issued invoice's stored PDF (rendering it first if the job has not run yet)."""
    from pacte.billing.models import Invoice, InvoiceStatus
    from pacte.billing.rendering import invoice_render_once
    from pacte.documents.services import document_content

    provider = _provider(args.provider)
    invoice = Invoice.objects.filter(provider=provider, number=args.number, status=InvoiceStatus.ISSUED).first()
    if invoice is None:
        print(f"pacte invoice pdf: no issued invoice “{args.number}”", file=sys.stderr)
        return 2
    if invoice.document_id is None:
        invoice_render_once(invoice.pk)
        invoice.refresh_from_db()
    assert invoice.document is not None
    content = document_content(invoice.document)
    output = Path(args.output)
    output.write_bytes(content)
    print(f"pacte invoice pdf: {invoice.number} → {output} ({len(content)} bytes, SHA-256 {invoice.document.sha256})")
    return 0


def register(sub: Any, setup: Any) -> None:
    """Add ``billing run`` and ``invoice pdf`` to the ``pacte`` command (``setup`` configures Django)."""

    def _with_django(command: Any) -> Any:
        def run(args: argparse.Namespace) -> int:
            setup()
            return int(command(args))

        return run

    billing = sub.add_parser("billing", help="billing runs: a month's invoices")
    billing_sub = billing.add_subparsers(dest="billing_command", required=True)
    run = billing_sub.add_parser(
        "run",
        help="compute a month's draft invoices (and issue them with --issue); safe to run again",
        description="Idempotent: run it again, after a crash or not, and it completes the month without "
        "duplicates. Progress goes to standard error, the summary to standard output.",
    )
    run.add_argument("--period", required=True, metavar="YYYY-MM", help="the billing month, e.g. 2026-10")
    run.add_argument("--client", help="only this client (id, SIREN or exact name)")
    run.add_argument("--provider", help="the provider's id or name (needed when there are several)")
    run.add_argument("--issue", action="store_true", help="issue the drafts: numbers, then PDF/Factur-X by the worker")
    run.add_argument("--no-render", action="store_true", help="do not queue the PDF rendering")
    run.set_defaults(func=_with_django(cmd_billing_run))

    invoice = sub.add_parser("invoice", help="issued invoices and credit notes")
    invoice_sub = invoice.add_subparsers(dest="invoice_command", required=True)
    pdf = invoice_sub.add_parser("pdf", help="write an issued invoice's PDF (Factur-X) to a file")
    pdf.add_argument("number", help="the invoice or credit note number, e.g. FA-2026-000001")
    pdf.add_argument("--output", required=True, metavar="FILE.pdf")
    pdf.add_argument("--provider", help="the provider's id or name (needed when there are several)")
    pdf.set_defaults(func=_with_django(cmd_invoice_pdf))
