"""The demo's billing chapter: the last three months billed as the product would have billed them.

Run after the contracts, tickets and interventions chapters (their signed sheets are in the ledger):
``pacte manage load_demo_billing``, by ``pacte demo``. The story, oldest month first (numbers are never
back-dated, so months are issued in order):

- the migration project's first milestone is accepted on its expected day (a *milestone* line), and
  the Metz SME's per-task contract records two workstations and a printer installed last month (task
  lines reading *quantity × unit price*);
- each month is billed and issued on the **first working day of the next month**; a month over has its
  SLA service credits proposed by the run: the Metz ERP outage breached the 4-hour restoration target
  (``Premium 4h``: 5 % of the month's fee per breached P1, at most 20 %), the manager approves the credit
  and the month's draft is computed again, so it carries the **negative service credit line**;
- one invoice of the oldest month is paid by transfer; the others are left unpaid, so the overdue list,
  the late-payment penalties and the **reminders** have something to show: the nightly reminder job is
  replayed for each day since the first due date, as the worker would have run it (each step once per
  invoice), so the oldest invoices have had their friendly, then firm reminder, and a formal notice once
  30 days late;
- a credit note gives 50 € back on the latest invoice (a commercial gesture);
- every issued invoice and credit note is e-mailed to its client with its PDF, as the render job does
  (queued: the demo's worker writes them under var/mail/, never to a real address); the Metz client's
  accountant is its *billing contact*, so its invoices go to her, the others' to their managers.

Every demo invoice passes the Factur-X validation (it is issued through the same service), and its
PDF/A-3 is rendered here, so the pages and ``pacte invoice pdf`` have it at once. Does nothing twice.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from pacte.billing import runs
from pacte.billing.models import Invoice, InvoiceKind, InvoiceStatus, LineKind, Reminder
from pacte.billing.rendering import invoice_render_once
from pacte.billing.sending import invoice_send_on_issue
from pacte.contracts.dates import add_months
from pacte.contracts.models import Contract
from pacte.tenancy.models import Membership, Provider, Role

#: How many months before the current one the demo bills (three: one of them starts a quarter, and the
#: oldest one's invoices are always overdue, whatever the day the demo is loaded).
MONTHS = 3
#: Days after its issue the paid invoice is paid.
PAID_AFTER_DAYS = 20


def _months_before(today: datetime.date, count: int) -> list[datetime.date]:
    """The first days of the ``count`` months before ``today``'s, oldest first."""
    first = today.replace(day=1)
    return [add_months(first, -offset) for offset in range(count, 0, -1)]


def first_working_day(first: datetime.date) -> datetime.date:
    """The first day of ``first``'s month that is neither a weekend nor a French public holiday."""
    from pacte.sla.calendars import HolidayRegion

    holidays = set(HolidayRegion("FR").holidays(first.year))
    day = first
    while day.weekday() >= 5 or day in holidays:
        day += datetime.timedelta(days=1)
    return day


def _post_pending_work(provider: Provider) -> None:
    """Post the signed sheets and ticket time to the ledger now (the worker would, a moment later; its
    deliveries then find the keys posted), so the months bill all their work."""
    import datetime as dt

    from pacte.events.models import Event
    from pacte.ledger import posting

    for event in Event.objects.filter(provider=provider, kind="intervention.sheet_signed").order_by("pk"):
        posting.sheet_signed(event)
    posting.ticket_time_post_due(now=timezone.now() + dt.timedelta(hours=1))


def _accept_due_milestones(manager: Membership, provider: Provider, today: datetime.date) -> None:
    """The milestones expected by now (each contract's first one not accepted), accepted on their day."""
    from pacte.contracts.terms import Milestones
    from pacte.ledger import orders

    for contract in Contract.objects.filter(provider=provider, status="active").order_by("pk"):
        terms = orders.terms_on(contract, today)
        if terms is None or not isinstance(terms.billing_model, Milestones):
            continue
        for row in orders.milestone_list(actor=manager, contract=contract, at=today):
            if row.accepted is not None or row.expected_on is None or row.expected_on > today:
                continue
            day = max(row.expected_on, contract.start_date)
            orders.milestone_accept(actor=manager, contract=contract, accepted_on=day, label=row.label)
            break


#: The catalogue tasks the demo records: (code, quantity, day of the month), in the most recent billed month.
DEMO_TASKS = (("POSTE", 2, 6), ("IMPR", 1, 12))


def _record_demo_tasks(manager: Membership, provider: Provider, month: datetime.date) -> None:
    """A per-task contract's work of ``month``: two workstations, then a printer (``quantity × price`` lines)."""
    from pacte.contracts.terms import PerTask
    from pacte.ledger import orders

    for contract in Contract.objects.filter(provider=provider, status="active").order_by("pk"):
        terms = orders.terms_on(contract, month)
        if terms is None or not isinstance(terms.billing_model, PerTask):
            continue
        codes = {task.code for task in terms.billing_model.catalogue}
        for code, quantity, day in DEMO_TASKS:
            if code in codes:
                orders.task_record(
                    actor=manager,
                    contract=contract,
                    code=code,
                    performed_on=month.replace(day=day),
                    quantity=quantity,
                    token=f"demo-{contract.pk}-{code}-{month:%Y%m}",
                )


def _approve_credits(manager: Membership, provider: Provider, first: datetime.date) -> bool:
    """Approve the month's proposed service credits whose contract's draft can carry them (stays positive)."""
    from pacte.billing.models_credits import CreditStatus, ServiceCredit
    from pacte.billing.service_credits import credit_approve

    approved = False
    for credit in ServiceCredit.objects.filter(provider=provider, month=first, status=CreditStatus.PROPOSED):
        draft = Invoice.objects.filter(
            contract_id=credit.contract_id, billing_period=first, kind=InvoiceKind.INVOICE, status=InvoiceStatus.DRAFT
        ).first()
        if draft is not None and draft.total_net >= credit.amount:
            credit_approve(manager, credit)
            approved = True
    return approved


def _replay_reminders(provider: Provider, today: datetime.date) -> None:
    """The nightly reminder job, once for each day from the first due date to ``today`` (idempotent)."""
    from pacte.billing.reminders import reminders_send

    due = (
        Invoice.objects.filter(provider=provider, status=InvoiceStatus.ISSUED, kind=InvoiceKind.INVOICE)
        .exclude(due_date=None)
        .order_by("due_date")
        .values_list("due_date", flat=True)
        .first()
    )
    day = due + datetime.timedelta(days=1) if due is not None else today + datetime.timedelta(days=1)
    while day <= today:
        last = Reminder.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        reminders_send(today=day, provider_id=provider.pk)
        # dated as the nightly job would have sent them (06:00 that day), not all at the demo's load
        sent = timezone.make_aware(datetime.datetime.combine(day, datetime.time(6, 0)))
        Reminder.objects.filter(pk__gt=last, invoice__provider=provider).update(sent_at=min(sent, timezone.now()))
        day += datetime.timedelta(days=1)


def demo_billing(provider: Provider, *, today: datetime.date | None = None) -> list[Invoice]:
    """Bill and issue the months before ``today``; credits, a payment, reminders, a credit note. Once."""
    if Invoice.objects.filter(provider=provider).exists():
        return []
    from pacte.billing.payments import payment_record
    from pacte.billing.services import credit_note_create, invoices_issue

    today = today or timezone.localdate()
    _post_pending_work(provider)
    manager = Membership.objects.filter(provider=provider, role=Role.PROVIDER_MANAGER, client=None).first()
    if manager is None:
        return []
    _accept_due_milestones(manager, provider, today)
    _billing_contact(manager, provider)
    months = _months_before(today, MONTHS)
    _record_demo_tasks(manager, provider, months[-1])
    for first in months:
        issue_on = min(first_working_day(add_months(first, 1)), today)
        run = runs.run_create(actor=manager, provider=provider, month=first.strftime("%Y-%m"))
        run = runs.run_draft(run)
        if _approve_credits(manager, provider, first):
            run = runs.run_draft(run)  # the approved credits are lines of the month's drafts now
        runs.run_issue(run, actor=manager, issue_date=issue_on, render=False)
    issued = list(
        Invoice.objects.filter(provider=provider, status=InvoiceStatus.ISSUED, kind=InvoiceKind.INVOICE).order_by(
            "sequence"
        )
    )
    if issued:
        first_invoice = issued[0]
        assert first_invoice.issue_date is not None
        payment_record(
            actor=manager,
            invoice=first_invoice,
            received_on=min(first_invoice.issue_date + datetime.timedelta(days=PAID_AFTER_DAYS), today),
            amount=first_invoice.total_gross,
            method="transfer",
            reference=f"VIR SEPA {first_invoice.number}",
        )
    # The gesture is on the latest invoice of a contract with a monthly fee (the mailbox it is about).
    fees = [invoice for invoice in issued[1:] if invoice.lines.filter(kind=LineKind.FEE, amount__gt=50).exists()]
    if fees:
        invoice = fees[-1]
        line = invoice.lines.filter(kind=LineKind.FEE).order_by("-amount").first()
        if line is not None:
            note = credit_note_create(
                actor=manager,
                invoice=invoice,
                lines={line.pk: Decimal("50.00")},
                reason="Geste commercial : indisponibilité de la messagerie du 3 au 4",
            )
            invoices_issue(actor=manager, provider=provider, invoice_ids=[note.pk], render=False)
    created = list(Invoice.objects.filter(provider=provider, status=InvoiceStatus.ISSUED).order_by("kind", "sequence"))
    for invoice in created:  # what the render job does: the PDF, then the e-mail to the client
        invoice_render_once(invoice.pk)
        invoice_send_on_issue(invoice.pk)
        _date_invoice_mail(invoice)
    _replay_reminders(provider, today)  # after the invoices' e-mails: each reminder answers its invoice's
    return [invoice for invoice in created if invoice.kind in (InvoiceKind.INVOICE, InvoiceKind.CREDIT_NOTE)]


#: The demo's billing contact: the Metz client's accounts department gets its invoices, not its manager.
BILLING_CONTACT = {
    "first_name": "Nathalie",
    "last_name": "Roth",
    "email": "comptabilite@mosellane-meca.test",
    "job_title": "Comptable",
}


def _billing_contact(manager: Membership, provider: Provider) -> None:
    """The Metz client's accountant, marked « Contact facturation » (its invoices go to her)."""
    from pacte.tenancy.models import Client, Contact
    from pacte.tenancy.services import contact_create

    client = Client.objects.filter(provider=provider, siren="798765434").first()
    if client is None or Contact.objects.filter(client=client, billing_contact=True).exists():
        return
    contact_create(actor=manager, client=client, billing_contact=True, **BILLING_CONTACT)


def _date_invoice_mail(invoice: Invoice) -> None:
    """Date the invoice's e-mail as the worker would have queued it: at 08:00 on its issue date."""
    from pacte.billing.sending import invoice_messages

    if invoice.issue_date is None:
        return
    queued = timezone.make_aware(datetime.datetime.combine(invoice.issue_date, datetime.time(8, 0)))
    invoice_messages(invoice).update(created_at=min(queued, timezone.now()))
