"""``pacte files prune``: remove the stored files no database row references (``pacte.documents.files``)."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def _size(count: int) -> str:
    value = float(count)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{count} bytes" if unit == "bytes" else f"{value:.1f} {unit} ({count} bytes)"
        value /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


def cmd_files_prune(args: argparse.Namespace) -> int:
    """List and remove the orphan files of the managed folders (``--dry-run``: list only)."""
    from django.utils import timezone

    from pacte.documents.files import stored_files_prune

    try:
        report = stored_files_prune(now=timezone.now(), older_than_hours=args.older_than, dry_run=args.dry_run)
    except ValueError as error:
        print(f"pacte files prune: {error}", file=sys.stderr)
        return 2
    verb, outcome = ("would remove", "to remove") if report.dry_run else ("removed", "removed")
    for stored in report.removed:
        print(f"pacte files prune: {verb} {stored.name} ({stored.size} bytes)")
    for message in report.errors:
        print(f"pacte files prune: {message}", file=sys.stderr)
    print(
        f"pacte files prune: {report.scanned} files scanned; {len(report.removed)} unreferenced files {outcome} "
        f"({_size(report.removed_bytes)}); kept {report.referenced} referenced, {report.young} changed in the "
        f"last {args.older_than:g} h; {len(report.errors)} errors",
        flush=True,
    )
    return 2 if report.errors else 0


def register(sub: Any, setup: Any) -> None:
    """Add ``files prune`` to the ``pacte`` command (``setup`` configures Django)."""
    from pacte.documents.files import DEFAULT_AGE_HOURS, MIN_AGE_HOURS

    def run(args: argparse.Namespace) -> int:
        setup()
        return cmd_files_prune(args)

    files = sub.add_parser("files", help="stored files: documents, attachments, logos")
    files_sub = files.add_subparsers(dest="files_command", required=True)
    prune = files_sub.add_parser(
        "prune",
        help="remove the stored files no database row references (left by a transaction that rolled back)",
        description="Scans the managed folders under MEDIA_ROOT (documents/, logos/) and removes each file that "
        "no row references and that nobody changed for --older-than hours. A referenced file is never removed. "
        "The worker runs it every night. Exit status: 0 done, 2 bad argument or a file that could not be removed.",
    )
    prune.add_argument("--dry-run", action="store_true", help="list what would be removed, remove nothing")
    prune.add_argument(
        "--older-than",
        type=float,
        default=DEFAULT_AGE_HOURS,
        metavar="HOURS",
        help=f"only files unchanged for that long (default {DEFAULT_AGE_HOURS}, at least {MIN_AGE_HOURS})",
    )
    prune.set_defaults(func=run)
