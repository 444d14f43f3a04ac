"""Payment reminders: three steps after the due date, each sent once per invoice, by e-mail.

=====  ==================  ===========================================================================
step   when (after due)    what
=====  ==================  ===========================================================================
1      1 day               a friendly reminder: the amount still due, how to pay
2      15 days             a firm reminder, with the late-payment penalty to date
3      30 days             a formal notice (mise en demeure) to pay within 8 days, with the penalty
=====  ==================  ===========================================================================

The nightly job (``reminder_jobs.billing_reminders``) sends, for each issued invoice with something
still due, the *highest* step its days late reached, when neither it nor a later step was sent: an
invoice found 40 days late with no reminder gets the formal notice only (the lower steps are skipped,
not sent late). Each step is a ``Reminder`` row, unique per (invoice, step): the row is written first,
in a savepoint, and a concurrent run that loses the race gets an ``IntegrityError`` and sends
nothing; the e-mail is queued in the same transaction with the idempotency key
``billing-reminder:<invoice>:<step>``, so it is sent once, or not at all if the transaction rolls back.

Recipients (``billing_recipients``, also those of the invoices e-mailed when issued, ``billing.sending``),
the first of these that has an address:

1. the client's *billing contacts* (``Contact.billing_contact``, not archived, with an e-mail);
2. else its managers with an active account and an e-mail;
3. else its contacts (not archived) with an e-mail.

Each reads it in their language (French by default). A client with no address gets nothing, and no
step is recorded: the step is sent once an address exists.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.urls import reverse

from pacte.billing import payments
from pacte.billing.models import Invoice, Reminder
from pacte.mail.domain import Recipient
from pacte.mail.services import mail_send, recipient_for_contact, recipient_for_user
from pacte.tenancy.models import Client, Contact, Membership, Role

TEMPLATE = "billing/payments/mail/reminder"
#: Days after which the formal notice asks for payment.
NOTICE_DAYS = 8


@dataclass(frozen=True)
class Step:
    number: int
    days: int
    name: str


STEPS = (Step(1, 1, "friendly"), Step(2, 15, "firm"), Step(3, 30, "formal_notice"))


def step_due(days_late: int, sent: set[int]) -> Step | None:
    """The step to send for an invoice ``days_late`` days late, given the steps already ``sent``."""
    reached = [step for step in STEPS if days_late >= step.days]
    if not reached:
        return None
    highest = reached[-1]
    if any(number >= highest.number for number in sent):
        return None
    return highest


def billing_recipients(client: Client) -> list[Recipient]:
    """Who receives the client's invoices and reminders (one recipient per address, in this order):
    its billing contacts; else its managers; else its contacts with an e-mail (see the module's docstring)."""
    contacts = (
        Contact.objects.filter(client_id=client.pk, archived_at__isnull=True)
        .exclude(email="")
        .select_related("user")
        .order_by("id")
    )
    found: dict[str, Recipient] = {}
    for contact in contacts.filter(billing_contact=True):
        found.setdefault(contact.email.lower(), recipient_for_contact(contact))
    if found:
        return list(found.values())
    managers = (
        Membership.objects.filter(client_id=client.pk, role=Role.CLIENT_MANAGER, is_active=True, user__is_active=True)
        .exclude(user__email="")
        .select_related("user")
        .order_by("id")
    )
    for member in managers:
        found.setdefault(member.user.email.lower(), recipient_for_user(member.user))
    if not found:
        for contact in contacts:
            found.setdefault(contact.email.lower(), recipient_for_contact(contact))
    return list(found.values())


def reminder_context(invoice: Invoice, step: Step, today: datetime.date) -> dict[str, Any]:
    row = payments.overdue_row(invoice, today)
    provider = invoice.provider
    base = str(getattr(settings, "PACTE_BASE_URL", "")).rstrip("/")
    return {
        "step": step.number,
        "kind": step.name,
        "provider_name": provider.legal_name or provider.name,
        "client_name": invoice.client.name,
        "number": invoice.number,
        "issue_date": invoice.issue_date,
        "due_date": invoice.due_date,
        "total": invoice.total_gross,
        "amount_due": row.due,
        "days_late": row.days_late,
        "professional": invoice.professional,
        "rate": row.penalty.rate,
        "interest": row.penalty.interest,
        "indemnity": row.penalty.indemnity,
        "penalty": row.penalty.total,
        "with_penalty": step.number >= 2 and row.penalty.is_due,
        "notice_days": NOTICE_DAYS,
        "iban": provider.iban,
        "bic": provider.bic,
        "url": base + reverse("portal:invoice_list"),
    }


@dataclass
class ReminderReport:
    sent: int = 0
    skipped_no_recipient: int = 0
    already_sent: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "sent": self.sent,
            "skipped_no_recipient": self.skipped_no_recipient,
            "already_sent": self.already_sent,
        }


def reminders_send(*, today: datetime.date, provider_id: int | None = None) -> ReminderReport:
    """Send every reminder step due on ``today`` (idempotent: run it as often as you like)."""
    from pacte.tenancy.models import Provider

    report = ReminderReport()
    first_step = min(step.days for step in STEPS)
    provider_ids = (
        [provider_id] if provider_id is not None else list(Provider.objects.order_by("pk").values_list("pk", flat=True))
    )
    for pk in provider_ids:
        invoices = (
            payments.unpaid_invoices(pk)
            .filter(due_date__lte=today - datetime.timedelta(days=first_step))
            .select_related("client", "provider")
            .prefetch_related("payments", Prefetch("reminders", queryset=Reminder.objects.only("invoice_id", "step")))
            .order_by("pk")
        )
        for invoice in invoices.iterator(chunk_size=200):
            assert invoice.due_date is not None
            step = step_due((today - invoice.due_date).days, {row.step for row in invoice.reminders.all()})
            if step is None:
                continue
            _send(invoice, step, today, report)
    return report


def _send(invoice: Invoice, step: Step, today: datetime.date, report: ReminderReport) -> None:
    recipients = billing_recipients(invoice.client)
    if not recipients:
        report.skipped_no_recipient += 1
        return
    context = reminder_context(invoice, step, today)
    with transaction.atomic():
        try:
            with transaction.atomic():
                Reminder.objects.create(
                    invoice=invoice,
                    step=step.number,
                    amount_due=context["amount_due"],
                    penalty=context["penalty"] if step.number >= 2 else Decimal("0.00"),
                )
        except IntegrityError:  # another run sent this step at the same moment
            report.already_sent += 1
            return
        mail_send(
            template=TEMPLATE,
            context=context,
            recipients=recipients,
            provider=invoice.provider,
            key=f"billing-reminder:{invoice.pk}:{step.number}",
            thread=f"invoice:{invoice.pk}",
        )
    report.sent += 1
