"""The ``pacte`` command for operators: demo, serve, manage, provider create, sla due, mail ingest/poll, worker,
billing run, invoice pdf."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

DEMO_LOGINS = """
Pacte demo — http://{host}:{port}/   (password for every account: demo-pacte-2026)
  admin@demo.pacte.test          provider admin
  manager@demo.pacte.test        provider manager
  tech@demo.pacte.test           technician
  manager@lyon.demo.pacte.test   client manager (Lyon accounting firm)
  user@lyon.demo.pacte.test      client user (Lyon accounting firm)
  manager@metz.demo.pacte.test   client manager (Metz industrial SME)
  manager@asso.demo.pacte.test   client manager (association, not a professional client)
"""


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pacte.config.settings")
    import django

    django.setup()


def _manage(*args: str, **options: Any) -> None:
    from django.core.management import call_command

    call_command(*args, **options)


def cmd_manage(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pacte.config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["pacte manage", *argv])
    return 0


def _gunicorn(host: str, port: int, workers: int) -> int:
    args = [
        sys.executable,
        "-m",
        "gunicorn",
        "pacte.config.wsgi:application",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "--access-logfile",
        "-",
        "--timeout",
        "60",
    ]
    return subprocess.call(args)


def cmd_demo(args: argparse.Namespace) -> int:
    """Migrate the embedded database, load the demo story once, and serve it on plain http."""
    os.environ.setdefault("PACTE_HTTPS", "0")
    os.environ.setdefault("PACTE_EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
    os.environ["PACTE_DEMO"] = "1"
    _setup_django()
    from django.conf import settings

    Path(settings.VAR_DIR).mkdir(parents=True, exist_ok=True)
    _manage("migrate", "--no-input", verbosity=0)
    _manage("load_demo", "--if-empty")
    _manage("seal_demo")  # the demo seal certificate (var/seals/) and a sealed sample document, once
    _manage("load_demo_contracts")  # contracts signed and sealed with that certificate, once
    _manage("load_demo_tickets")  # a few weeks of tickets with their e-mails, once
    _manage("load_demo_interventions")  # preventive visits, signed sheets, planned visits, once
    _manage("load_demo_billing")  # the last two months invoiced (Factur-X), a payment, a credit note, once
    _manage("compile_translations", verbosity=0)
    _manage("collectstatic", "--no-input", verbosity=0)
    if args.no_serve:
        return 0
    print(DEMO_LOGINS.format(host=args.host, port=args.port), flush=True)
    # One background worker beside the web server: it sends the demo's mail (into var/mail/) and
    # runs the periodic jobs. It inherits PACTE_DEMO=1, so it never sends real e-mail.
    worker = subprocess.Popen([sys.executable, "-m", "pacte.cli", "worker"])
    try:
        return _gunicorn(args.host, args.port, args.workers)
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()


def production_problems() -> list[str]:
    """Why ``pacte serve`` refuses to start, if it does."""
    from django.conf import settings

    problems = []
    if settings.SECRET_KEY == settings.DEMO_SECRET_KEY or len(settings.SECRET_KEY) < 50:
        problems.append("PACTE_SECRET_KEY must be set to a random value of at least 50 characters.")
    if settings.DEBUG:
        problems.append("PACTE_DEBUG must be off in production.")
    return problems


def cmd_serve(args: argparse.Namespace) -> int:
    _setup_django()
    problems = production_problems()
    if problems:
        for problem in problems:
            print(f"pacte serve: {problem}", file=sys.stderr)
        return 2
    if not args.skip_migrate:
        _manage("migrate", "--no-input", verbosity=0)
    _manage("compile_translations", verbosity=0)
    _manage("collectstatic", "--no-input", verbosity=0)
    return _gunicorn(args.host, args.port, args.workers)


def cmd_provider_create(args: argparse.Namespace) -> int:
    _setup_django()
    from django.core.exceptions import ValidationError
    from django.db import transaction

    from pacte.accounts.models import User
    from pacte.tenancy.models import Role
    from pacte.tenancy.services import membership_bootstrap, provider_create

    try:
        with transaction.atomic():
            provider = provider_create(name=args.name, siren=args.siren or "")
            user = User.objects.filter(email__iexact=args.admin_email).first()
            if user is None:
                user = User.objects.create_user(args.admin_email, args.admin_password or None)
            membership_bootstrap(user=user, provider=provider, role=Role.PROVIDER_ADMIN)
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            print(f"pacte provider create: {field}: {' '.join(messages)}", file=sys.stderr)
        return 2
    print(f"Provider {provider.pk} “{provider.name}” created; admin: {user.email}")
    return 0


def cmd_sla_due(args: argparse.Namespace) -> int:
    """Due instants for a JSON-lines file (pure computation: no database, no Django set-up)."""
    from pacte.sla.due import run

    return run(args.input, args.output, stdin=sys.stdin.buffer, stdout=sys.stdout, stderr=sys.stderr)


def cmd_worker(args: argparse.Namespace) -> int:
    """Run background jobs: a worker loop plus the periodic scheduler (``--once``: drain and exit)."""
    _setup_django()
    from pacte.jobs.worker import Worker

    worker = Worker(once=args.once, interval=args.interval)
    if not args.once:
        worker.install_signal_handlers()
    report = worker.run()
    if args.once:
        print(f"pacte worker: {report}", flush=True)
    return 0


def cmd_mail_ingest(args: argparse.Namespace) -> int:
    """Read one RFC 822 message on standard input (a mail server's pipe) and ingest it for a provider.

    Exit status (sysexits, as an MTA expects): 0 ingested or already known, 67 unknown provider,
    65 empty input, 75 temporary failure (the database is unavailable: the MTA keeps the mail and retries).
    """
    _setup_django()
    from django.db import DatabaseError

    from pacte.servicedesk.inbound.ingest import mail_ingest
    from pacte.tenancy.models import Provider

    raw = sys.stdin.buffer.read(args.max_bytes + 1)
    if not raw.strip():
        print("pacte mail ingest: empty message on standard input", file=sys.stderr)
        return 65
    if len(raw) > args.max_bytes:
        print(f"pacte mail ingest: message larger than {args.max_bytes} bytes", file=sys.stderr)
        return 65
    try:
        provider = Provider.objects.filter(pk=args.provider, archived_at__isnull=True).first()
        if provider is None:
            print(f"pacte mail ingest: no active provider {args.provider}", file=sys.stderr)
            return 67
        result = mail_ingest(provider=provider, raw=raw, source="pipe")
    except DatabaseError as error:
        print(f"pacte mail ingest: temporary failure ({type(error).__name__}); try again later", file=sys.stderr)
        return 75
    print(f"pacte mail ingest: {result.status} (ticket {result.ticket_id or '-'})", flush=True)
    return 0


def cmd_mail_poll(args: argparse.Namespace) -> int:
    """Fetch every mailbox once (what the worker does every minute)."""
    _setup_django()
    from pacte.servicedesk.inbound.poll import mailboxes_poll

    print(f"pacte mail poll: {mailboxes_poll()}", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["manage"]:
        return cmd_manage(argv[1:])
    parser = argparse.ArgumentParser(prog="pacte", description="Pacte: IT assistance contracts run end to end.")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="set up the embedded demo and serve it on http://127.0.0.1:8000")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8000)
    demo.add_argument("--workers", type=int, default=2)
    demo.add_argument("--no-serve", action="store_true", help="prepare the demo and exit")
    demo.set_defaults(func=cmd_demo)

    serve = sub.add_parser("serve", help="serve Pacte with production settings (gunicorn + whitenoise)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=3)
    serve.add_argument("--skip-migrate", action="store_true")
    serve.set_defaults(func=cmd_serve)

    sub.add_parser("manage", help="Django management commands: pacte manage <command> …")

    provider = sub.add_parser("provider", help="manage providers (tenants)")
    provider_sub = provider.add_subparsers(dest="provider_command", required=True)
    create = provider_sub.add_parser("create", help="create a provider and its first admin")
    create.add_argument("name")
    create.add_argument("--admin-email", required=True)
    create.add_argument("--admin-password", default="", help="omit to send a password-reset link later")
    create.add_argument("--siren", default="")
    create.set_defaults(func=cmd_provider_create)

    sla = sub.add_parser("sla", help="business calendars and SLA due instants")
    sla_sub = sla.add_subparsers(dest="sla_command", required=True)
    due = sla_sub.add_parser(
        "due",
        help="due instants for JSON lines (one object per line; see pacte/sla/due.py for the grammar)",
        description="Reads one JSON object per line and writes one result per line, in the same order. "
        "Exit status: 0 once the input could be read (bad lines give error lines), 2 otherwise.",
    )
    due.add_argument("--input", required=True, metavar="FILE.jsonl", help="input file (- for standard input)")
    due.add_argument("--output", metavar="FILE.jsonl", help="output file (default: standard output)")
    due.set_defaults(func=cmd_sla_due)

    mail = sub.add_parser("mail", help="support e-mail in: a mail server's pipe, mailbox polling")
    mail_sub = mail.add_subparsers(dest="mail_command", required=True)
    ingest = mail_sub.add_parser(
        "ingest",
        help="ingest one RFC 822 message read on standard input (for a mail server's pipe)",
        description="Opens a ticket or adds a message, exactly once per Message-ID and provider. "
        "Exit status: 0 done (or already received), 65 bad input, 67 unknown provider, 75 try again later.",
    )
    ingest.add_argument("--provider", type=int, required=True, help="the receiving provider's id")
    ingest.add_argument("--max-bytes", type=int, default=40 * 1024 * 1024, help="largest message accepted")
    ingest.set_defaults(func=cmd_mail_ingest)
    poll = mail_sub.add_parser("poll", help="fetch every provider's mailboxes once (IMAP, Maildir)")
    poll.set_defaults(func=cmd_mail_poll)

    worker = sub.add_parser(
        "worker",
        help="run background jobs, periodic jobs, event deliveries and outgoing mail",
        description="Runs until stopped (SIGTERM finishes the current job first). Start several on as many "
        "machines as needed with PostgreSQL; one is enough with SQLite.",
    )
    worker.add_argument(
        "--once", action="store_true", help="enqueue the periodic jobs that are due, run every ready job, then exit"
    )
    worker.add_argument(
        "--interval", type=float, default=1.0, help="seconds between polls when the queue is empty (default 1)"
    )
    worker.set_defaults(func=cmd_worker)

    from pacte.billing.cli import register as billing_register

    billing_register(sub, _setup_django)
    from pacte.documents.cli import register as files_register

    files_register(sub, _setup_django)

    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
