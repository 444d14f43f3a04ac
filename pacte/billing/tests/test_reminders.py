"""Payment reminders: each step once per invoice, through a real local SMTP server."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from pacte.accounts.models import User
from pacte.billing import payments, reminders
from pacte.billing.models import Reminder
from pacte.billing.tests.helpers import legal_identity
from pacte.billing.tests.test_payments import DUE, issued, pay
from pacte.jobs.registry import periodic_jobs
from pacte.mail.models import OutboundMessage
from pacte.mail.tests.test_smtp import SmtpServer, free_port
from pacte.tenancy.models import Contact, Membership

pytestmark = pytest.mark.django_db

D = Decimal


def day(n: int) -> datetime.date:
    return DUE + datetime.timedelta(days=n)


@pytest.fixture
def inbox(settings):
    """A real SMTP server (aiosmtpd) on a free port, Django's SMTP backend pointed at it."""
    server = SmtpServer(free_port())
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", server.port, 5
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    server.start()
    yield server.inbox
    server.stop()


@pytest.fixture
def billing_tenant(tenant):
    tenant = legal_identity(tenant)
    User.objects.filter(pk=tenant.client_manager.user_id).update(language="en")
    return tenant


def bodies(inbox) -> list[tuple[str, str, str]]:
    return [(m["To"], m["Subject"], m.get_body(("plain",)).get_content()) for m in inbox.messages]


def test_three_steps_each_sent_once_to_the_clients_manager(billing_tenant, inbox, run_jobs):
    tenant = billing_tenant
    invoice = issued(tenant)  # FA-2026-000001, 1 336.50 €, due 14 Feb 2026, 12.15 %
    manager_email = tenant.client_manager.user.email
    assert reminders.reminders_send(today=DUE).sent == 0  # due today: not late
    assert reminders.reminders_send(today=day(1)).as_dict() == {"sent": 1, "skipped_no_recipient": 0, "already_sent": 0}
    assert reminders.reminders_send(today=day(1)).sent == 0  # once
    assert reminders.reminders_send(today=day(14)).sent == 0
    run_jobs()
    ((to, subject, text),) = bodies(inbox)
    assert manager_email in to
    assert subject == "[FA-2026-000001] Payment reminder"
    assert "1,336.50" in text and "has not been paid in full" in text and "FR7630006000011234567890189" in text
    assert "penalties" not in text
    assert reminders.reminders_send(today=day(15)).sent == 1
    assert reminders.reminders_send(today=day(30)).sent == 1
    assert reminders.reminders_send(today=day(60)).sent == 0  # every step sent
    run_jobs()
    (_first, (_to, firm_subject, firm), (_to3, notice_subject, notice)) = bodies(inbox)
    assert firm_subject == "[FA-2026-000001] Second payment reminder: invoice overdue"
    # 1 336.50 × 12.15 % × 15 / 365 = 6.6733… → 6.67 €, + 40 €.
    assert "15 days overdue" in firm and "12.15 % a year amount to 6.67" in firm and "40.00" in firm
    assert notice_subject == "[FA-2026-000001] Formal notice to pay"
    # 1 336.50 × 12.15 % × 30 / 365 = 13.35 €.
    assert "FORMAL NOTICE" in notice and "within 8 days" in notice and "13.35" in notice
    rows = list(Reminder.objects.filter(invoice=invoice).values_list("step", "amount_due", "penalty"))
    assert rows == [(1, D("1336.50"), D("0.00")), (2, D("1336.50"), D("46.67")), (3, D("1336.50"), D("53.35"))]
    assert OutboundMessage.objects.filter(key__startswith="billing-reminder:").count() == 3


def test_an_invoice_found_late_gets_only_the_highest_step_and_a_paid_one_nothing(billing_tenant, inbox, run_jobs):
    tenant = billing_tenant
    late = issued(tenant)
    paid = issued(tenant)
    pay(tenant, paid, "1336.50", day(2))
    partly = issued(tenant)
    pay(tenant, partly, "336.50", day(10))
    assert reminders.reminders_send(today=day(40)).sent == 2
    assert sorted(Reminder.objects.values_list("invoice_id", "step")) == [(late.pk, 3), (partly.pk, 3)]
    assert Reminder.objects.get(invoice=partly).amount_due == D("1000.00")
    assert reminders.reminders_send(today=day(41)).sent == 0


def test_a_client_that_is_not_a_professional_is_not_asked_the_indemnity(billing_tenant, inbox, run_jobs):
    tenant = billing_tenant
    issued(tenant, professional=False)
    reminders.reminders_send(today=day(15))
    run_jobs()
    ((_to, _subject, text),) = bodies(inbox)
    # The legal rate (2.62 %): 1 336.50 × 2.62 % × 15 / 365 = 1.4390… → 1.44 €; no 40 €.
    assert "legal rate (2.62 % a year) amounts to 1.44" in text and "40.00" not in text and "L441-10" not in text


def test_without_a_manager_the_clients_contacts_get_it_in_french_and_without_any_address_nothing(
    billing_tenant, inbox, run_jobs
):
    tenant = billing_tenant
    Membership.objects.filter(pk__in=[tenant.client_manager.pk, tenant.other_client_manager.pk]).update(is_active=False)
    issued(tenant)
    contact_emails = set(Contact.objects.filter(client=tenant.client).values_list("email", flat=True))
    assert reminders.reminders_send(today=day(1)).sent == 1
    run_jobs()
    (message,) = inbox.messages
    assert {address.addr_spec for address in message["To"].addresses} == contact_emails
    assert "1\u202f336,50" in message.get_body(("plain",)).get_content().replace("\xa0", "\u202f")  # French figures
    # Another client, no manager and no contact with an e-mail: skipped, the step not recorded.
    Contact.objects.filter(client=tenant.other_client).update(email="")
    other = issued(tenant, client=tenant.other_client)
    report = reminders.reminders_send(today=day(2))
    assert (report.sent, report.skipped_no_recipient) == (0, 1)
    assert not Reminder.objects.filter(invoice=other).exists()


def test_a_step_another_run_just_sent_is_not_sent_twice(billing_tenant, inbox):
    tenant = billing_tenant
    invoice = issued(tenant)
    Reminder.objects.create(invoice=invoice, step=1, amount_due=D("1336.50"))  # the other run's row
    report = reminders.ReminderReport()
    reminders._send(invoice, reminders.STEPS[0], day(1), report)  # as if read before the other run wrote it
    assert (report.sent, report.already_sent) == (0, 1)
    assert not OutboundMessage.objects.exists()


def test_the_nightly_job_is_registered_and_runs(billing_tenant, inbox, run_jobs, monkeypatch):
    from pacte.billing import reminder_jobs

    (spec,) = [spec for spec in periodic_jobs() if spec.name == "billing.reminders"]
    assert spec.task_path == "pacte.billing.reminder_jobs.billing_reminders"
    issued(billing_tenant)
    monkeypatch.setattr(reminder_jobs, "_today", lambda: day(1))
    assert reminder_jobs.billing_reminders.call() == {"sent": 1, "skipped_no_recipient": 0, "already_sent": 0}
    assert payments.payment_state(Reminder.objects.get().invoice, day(1)) == "overdue"
