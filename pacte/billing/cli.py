"""``pacte billing run``, ``pacte invoice pdf`` and ``pacte invoice export``: billing from the command line."""

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


class ProviderNotFoundError(Exception):
    pass


def _find_provider(value: str | None) -> Any:
    """The active provider ``value`` (id or exact name), or the only one; ``ProviderNotFoundError`` otherwise."""
    from pacte.tenancy.models import Provider

    providers = Provider.objects.filter(archived_at__isnull=True)
    if value:
        found = providers.filter(pk=int(value)).first() if value.isdigit() else providers.filter(name=value).first()
        if found is None:
            raise ProviderNotFoundError(f"no active provider “{value}”")
        return found
    count = providers.count()
    if count != 1:
        raise ProviderNotFoundError(
            "several providers: say which with --provider ID" if count else "no active provider"
        )
    return providers.get()


def _provider(value: str | None) -> Any:
    try:
        return _find_provider(value)
    except ProviderNotFoundError as error:
        raise SystemExit(f"pacte: {error}") from error


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
    from pacte.billing.rendering import invoice_render_once
    from pacte.billing.selectors import invoice_by_number
    from pacte.documents.services import document_content

    provider = _provider(args.provider)
    invoice = invoice_by_number(provider_id=provider.pk, number=args.number)
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


def cmd_invoice_export(args: argparse.Namespace) -> int:
    """Export the issued invoices and credit notes of a range into a folder (PDF, XML, index.csv)."""
    from pacte.billing.export import ExportError, invoice_export, parse_day

    try:
        provider = _find_provider(args.provider)
        since = parse_day(args.since, "--since")
        until = parse_day(args.until, "--until")
        result = invoice_export(provider=provider, to=Path(args.to), since=since, until=until, kind=args.kind or "")
    except (ProviderNotFoundError, ExportError) as error:
        print(f"pacte invoice export: {error}", file=sys.stderr)
        return 2
    except OSError as error:  # the disk filled up, a file vanished while being written…
        print(f"pacte invoice export: {args.to}: {error}", file=sys.stderr)
        return 2
    for message in result.errors:
        print(f"pacte invoice export: {message}", file=sys.stderr)
    print(
        f"pacte invoice export: {result.documents} documents → {result.directory}: "
        f"{len(result.written)} files written, {len(result.present)} already there, "
        f"{len(result.errors)} errors; index.csv {'written' if result.index_written else 'unchanged'}"
        + (f"; {len(result.stale_removed)} stale temporary files removed" if result.stale_removed else ""),
        flush=True,
    )
    return 0 if result.ok else 2


def register(sub: Any, setup: Any) -> None:
    """Add ``billing run`` and ``invoice pdf``/``export`` to the ``pacte`` command (``setup`` configures Django)."""

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
    export = invoice_sub.add_parser(
        "export",
        help="write the issued invoices and credit notes of a range to a folder: PDF, XML and index.csv",
        description="For each document issued in the range: NUMBER.pdf (the stored Factur-X PDF) and NUMBER.xml "
        "(its CII XML), a '/' in a number becoming '_' in the file name; index.csv lists them (UTF-8 with BOM, "
        "';', decimal comma). Safe to run again: files already there with the same SHA-256 are kept; a file "
        "there with other content is reported and never overwritten (exit status 2).",
    )
    export.add_argument("--to", required=True, metavar="DIR", help="the folder (created if needed)")
    export.add_argument("--since", metavar="YYYY-MM-DD", help="first issue date (inclusive)")
    export.add_argument("--until", metavar="YYYY-MM-DD", help="last issue date (inclusive)")
    export.add_argument("--kind", choices=["invoice", "credit_note"], help="only invoices, or only credit notes")
    export.add_argument("--provider", help="the provider's id or name (needed when there are several)")
    export.set_defaults(func=_with_django(cmd_invoice_export))
