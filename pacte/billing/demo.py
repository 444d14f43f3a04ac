"""The demo's billing chapter: the last two months billed and issued, one invoice paid, one partly credited.

Run after the contracts, tickets and interventions chapters (their signed sheets are in the ledger):
``pacte manage load_demo_billing``, by ``pacte demo``. Every demo invoice passes the Factur-X validation
(it is issued through the same service), and its PDF/A-3 is rendered here, so the pages and
``pacte invoice pdf`` have it at once. Does nothing twice.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from pacte.billing import runs
from pacte.billing.models import Invoice, InvoiceKind, InvoiceStatus
from pacte.billing.rendering import invoice_render_once
from pacte.tenancy.models import Membership, Provider, Role


def _months_before(today: datetime.date, count: int) -> list[str]:
    first = today.replace(day=1)
    months = []
    for _ in range(count):
        first = (first - datetime.timedelta(days=1)).replace(day=1)
        months.append(first.strftime("%Y-%m"))
    return list(reversed(months))


def _post_pending_work(provider: Provider) -> None:
    """Post the signed sheets and ticket time to the ledger now (the worker would, a moment later; its
    deliveries then find the keys posted), so the months bill all their work."""
    import datetime as dt

    from pacte.events.models import Event
    from pacte.ledger import posting

    for event in Event.objects.filter(provider=provider, kind="intervention.sheet_signed").order_by("pk"):
        posting.sheet_signed(event)
    posting.ticket_time_post_due(now=timezone.now() + dt.timedelta(hours=1))


def demo_billing(provider: Provider, *, today: datetime.date | None = None) -> list[Invoice]:
    """Bill and issue the two months before ``today``; record a payment and a credit note. Once."""
    if Invoice.objects.filter(provider=provider).exists():
        return []
    from pacte.billing.payments import payment_record
    from pacte.billing.services import credit_note_create, invoices_issue

    today = today or timezone.localdate()
    _post_pending_work(provider)
    manager = Membership.objects.filter(provider=provider, role=Role.PROVIDER_MANAGER, client=None).first()
    if manager is None:
        return []
    for month in _months_before(today, 2):
        run = runs.run_create(actor=manager, provider=provider, month=month)
        runs.run_execute(run, actor=manager, issue=True, render=False)
    issued = list(Invoice.objects.filter(provider=provider, status=InvoiceStatus.ISSUED).order_by("sequence"))
    if issued:
        first = issued[0]
        payment_record(
            actor=manager,
            invoice=first,
            received_on=first.issue_date or today,
            amount=first.total_gross,
            method="transfer",
            reference=f"VIR SEPA {first.number}",
        )
    if len(issued) > 1:
        invoice = issued[-1]
        line = invoice.lines.order_by("-amount").first()
        if line is not None and line.amount > Decimal("50"):
            note = credit_note_create(
                actor=manager,
                invoice=invoice,
                lines={line.pk: Decimal("50.00")},
                reason="Geste commercial : indisponibilité de la messagerie du 3 au 4",
            )
            invoices_issue(actor=manager, provider=provider, invoice_ids=[note.pk], render=False)
    created = list(Invoice.objects.filter(provider=provider, status=InvoiceStatus.ISSUED).order_by("kind", "sequence"))
    for invoice in created:
        invoice_render_once(invoice.pk)
    return [invoice for invoice in created if invoice.kind in (InvoiceKind.INVOICE, InvoiceKind.CREDIT_NOTE)]
