"""The daily alerts job: deadline e-mails to the provider's managers (once per lead time, the most imminent
only), the L215-1 reminder letter for non-professional clients (once per term), the lead-time settings; and
"running the alerts job twice sends each alert once", through the real job, worker and SMTP server."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from pacte.accounts.models import User
from pacte.audit.models import AuditEvent
from pacte.contracts import alerts, lifecycle, tasks
from pacte.contracts.models import AlertKind, Contract, ContractAlert, ContractSettings
from pacte.contracts.tests import helpers
from pacte.documents import rendering
from pacte.documents.models import Document, DocumentKind
from pacte.mail.models import OutboundMessage
from pacte.mail.services import mail_sender_set
from pacte.mail.tests.test_smtp import SmtpServer, free_port
from pacte.tenancy.models import Client, Contact, Membership

pytestmark = pytest.mark.django_db

D = datetime.date
# A contract from 1 Jan 2027, 12 months, tacit renewal with 2 months' notice: term ends 31 Dec 2027, last day
# to refuse 31 Oct 2027 (a Sunday), L215-1 reminder window 31 Jul – 30 Sep 2027.
TERM_END, REFUSAL = D(2027, 12, 31), D(2027, 10, 31)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


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


def managers_speak_english(tenant) -> None:
    User.objects.filter(pk__in=[tenant.admin.user_id, tenant.manager.user_id]).update(language="en")


def consumer(tenant) -> None:
    Client.objects.filter(pk=tenant.client.pk).update(is_professional=False)
    tenant.client.refresh_from_db()


def contract(tenant, **terms: Any) -> Contract:
    return helpers.active(tenant, **terms)


def run(day: D, **kwargs: Any) -> dict[str, int]:
    return alerts.contracts_alerts(today=day, **kwargs)


def sent(kind: str | None = None) -> list[tuple[str, datetime.date, int]]:
    rows = ContractAlert.objects.all() if kind is None else ContractAlert.objects.filter(kind=kind)
    return sorted(rows.values_list("kind", "deadline", "lead_days"))


# Which lead time fires ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days_left", "expected"),
    [(120, None), (91, None), (90, (90, [])), (31, (90, [])), (30, (30, [90])), (8, (30, [90])), (7, (7, [90, 30]))],
)
def test_the_most_imminent_open_lead_time_fires(days_left, expected):
    deadline = D(2027, 10, 31)
    assert alerts.lead_to_send(deadline, deadline - datetime.timedelta(days=days_left), [7, 90, 30]) == expected


def test_after_the_deadline_nothing_fires():
    assert alerts.lead_to_send(D(2027, 10, 31), D(2027, 11, 1), [90, 30, 7]) is None
    assert alerts.lead_to_send(D(2027, 10, 31), D(2027, 10, 31), [90, 30, 7]) == (7, [90, 30])


# Deadline alerts ---------------------------------------------------------------------------------


def test_each_lead_time_is_sent_once_as_the_deadline_comes(tenant, seal):
    managers_speak_english(tenant)
    subject = contract(tenant)
    assert run(D(2027, 7, 1)) == {"contracts": 1, "alerts": 0, "reminders": 0, "failed": 0}
    assert run(D(2027, 8, 15))["alerts"] == 1  # 77 days before the refusal deadline: the 90-day alert
    assert run(D(2027, 8, 15))["alerts"] == 0
    assert run(D(2027, 8, 16))["alerts"] == 0
    assert sent() == [(AlertKind.REFUSAL_DEADLINE, REFUSAL, 90)]
    assert run(D(2027, 10, 5))["alerts"] == 2  # refusal deadline in 26 days (30) and term end in 87 days (90)
    assert run(D(2027, 10, 25))["alerts"] == 1  # 6 days: the 7-day alert
    assert run(D(2027, 10, 31))["alerts"] == 0
    assert run(D(2027, 11, 1))["alerts"] == 0  # the refusal deadline passed
    assert sent(AlertKind.REFUSAL_DEADLINE) == [
        (AlertKind.REFUSAL_DEADLINE, REFUSAL, 7),
        (AlertKind.REFUSAL_DEADLINE, REFUSAL, 30),
        (AlertKind.REFUSAL_DEADLINE, REFUSAL, 90),
    ]
    messages = OutboundMessage.objects.filter(key__startswith="contract-alert:")
    assert messages.count() == ContractAlert.objects.count() == 4
    first = OutboundMessage.objects.get(key=f"contract-alert:{ContractAlert.objects.order_by('id').first().pk}")
    assert (
        sorted(first.to)
        == sorted(f"{member.user.full_name} <{member.user.email}>" for member in (tenant.admin, tenant.manager))
        or len(first.to) == 2
    )
    assert first.subject == f"{subject.reference}: last day to refuse the renewal on 10/31/2027"
    assert "the last day to refuse the tacit renewal is Oct. 31, 2027, in 77 days" in first.body_text
    assert "Saturday or a Sunday: the deadline does not move" in first.body_text  # 31 Oct 2027 is a Sunday
    assert tenant.technician.user.email not in " ".join(first.to)


def test_a_late_start_sends_only_the_most_imminent_alert(tenant, seal):
    contract(tenant)
    assert run(D(2027, 10, 27))["alerts"] == 2  # refusal deadline in 4 days (7); term end in 65 days (90)
    alert = ContractAlert.objects.get(kind=AlertKind.REFUSAL_DEADLINE)
    assert alert.lead_days == 7 and alert.detail["skipped_leads"] == [90, 30]
    assert alert.detail["warning"] == "weekend"
    assert run(D(2027, 10, 28))["alerts"] == 0


def test_custom_lead_times_and_disabled_alerts(tenant, seal):
    contract(tenant)
    alerts.contract_settings_update(actor=tenant.admin, lead_days=[15], alerts_enabled=True)
    assert run(D(2027, 8, 15))["alerts"] == 0
    assert run(D(2027, 10, 20))["alerts"] == 1
    assert sent() == [(AlertKind.REFUSAL_DEADLINE, REFUSAL, 15)]
    alerts.contract_settings_update(actor=tenant.admin, lead_days=[15], alerts_enabled=False)
    assert run(D(2027, 12, 20))["alerts"] == 0


def test_the_price_revision_date_is_a_deadline_too(tenant, seal):
    contract(tenant, price_revision={"reference_month": "2026-10-01"})
    run(D(2027, 12, 1))
    assert sent(AlertKind.REVISION) == [(AlertKind.REVISION, D(2028, 1, 1), 90)]
    message = OutboundMessage.objects.get(key=f"contract-alert:{ContractAlert.objects.get(kind='revision').pk}")
    assert "price revision due" in message.subject or "révision" in message.subject


def test_contracts_not_active_get_no_alert(tenant, seal):
    subject = contract(tenant)
    Contract.objects.filter(pk=subject.pk).update(status="notice_given")
    assert run(D(2027, 10, 27)) == {"contracts": 0, "alerts": 0, "reminders": 0, "failed": 0}
    draft = helpers.draft(tenant)
    assert draft.status == "draft"
    assert not ContractAlert.objects.exists()


def test_an_alert_is_in_french_for_french_managers(tenant, seal):
    subject = contract(tenant)
    run(D(2027, 8, 15))
    message = OutboundMessage.objects.get()
    assert message.language == "fr"
    # (The mail app folds the subject's white space: the no-break space before ":" becomes a space.)
    assert message.subject == f"{subject.reference} : dernier jour pour refuser la reconduction le 31/10/2027"
    assert "Cette date tombe un samedi ou un dimanche\u00a0: l'échéance n'est pas reportée." in message.body_text


# The L215-1 reminder letter ----------------------------------------------------------------------


def test_the_reminder_letter_goes_to_a_non_professional_client_once_per_term(tenant, seal):
    consumer(tenant)
    subject = contract(tenant, renewal={"kind": "tacit", "renewal_term_months": 12, "notice_months": 2})
    assert run(D(2027, 7, 30))["reminders"] == 0  # the window opens on 31 July
    report = run(D(2027, 8, 10))
    assert report["reminders"] == 1
    subject.refresh_from_db()
    assert subject.reminder_sent_on == D(2027, 8, 10)
    letter = Document.objects.get(kind=DocumentKind.LETTER)
    assert letter.is_sealed and letter.client == tenant.client and letter.title.startswith("Information")
    (message,) = OutboundMessage.objects.filter(key__startswith="contract-reminder:")
    assert tenant.client_manager.user.email in message.to[0]
    assert message.attachments.get().sha256 == letter.sha256
    assert "DATE LIMITE POUR REFUSER LA RECONDUCTION\u00a0: 31 octobre 2027" in message.body_text  # French client
    event = AuditEvent.objects.get(action="contract.reminder_letter")
    assert event.after["reminder_sent_on"] == "2027-08-10" and event.after["letter"] == letter.pk
    assert run(D(2027, 8, 11))["reminders"] == 0
    assert run(D(2027, 9, 30))["reminders"] == 0
    # The renewal opens a new term: its own reminder, once.
    lifecycle.contracts_roll(today=D(2028, 1, 2))
    subject.refresh_from_db()
    assert subject.term_number == 2 and subject.reminder_sent_on is None
    assert run(D(2028, 8, 1))["reminders"] == 1
    assert run(D(2028, 8, 2))["reminders"] == 0
    assert sent(AlertKind.REMINDER_LETTER) == [
        (AlertKind.REMINDER_LETTER, REFUSAL, 0),
        (AlertKind.REMINDER_LETTER, D(2028, 10, 31), 0),
    ]


def test_no_reminder_for_a_professional_client_or_outside_the_window(tenant, seal):
    contract(tenant)
    assert run(D(2027, 8, 10))["reminders"] == 0
    Client.objects.filter(pk=tenant.client.pk).update(is_professional=False)
    assert run(D(2027, 10, 1))["reminders"] == 0  # the window closed on 30 September
    assert run(D(2027, 9, 30))["reminders"] == 1


def test_the_reminder_still_goes_when_deadline_alerts_are_off(tenant, seal):
    consumer(tenant)
    contract(tenant)
    alerts.contract_settings_update(actor=tenant.admin, lead_days=[90, 30, 7], alerts_enabled=False)
    assert run(D(2027, 8, 10)) == {"contracts": 1, "alerts": 0, "reminders": 1, "failed": 0}


def test_a_client_without_e_mail_gets_its_letter_posted_by_the_managers(tenant, seal):
    consumer(tenant)
    subject = contract(tenant)
    Membership.objects.filter(client=tenant.client).update(is_active=False)
    Contact.objects.filter(client=tenant.client).update(email="")
    assert run(D(2027, 8, 10))["reminders"] == 1
    subject.refresh_from_db()
    assert subject.reminder_sent_on is None  # not sent until someone posts it
    (message,) = OutboundMessage.objects.filter(key__startswith="contract-reminder-to-post:")
    assert "Envoyez-lui le courrier joint par la poste" in message.body_text
    assert run(D(2027, 8, 11))["reminders"] == 0


def test_reminder_letter_text(tenant, seal):
    consumer(tenant)
    mail_sender_set(provider=tenant.provider, from_name="Alpaga", from_email="contrats@alpaga.test")
    subject = contract(tenant)
    found = lifecycle.contract_deadlines(subject)
    context = alerts._reminder_context(subject, found)
    html = rendering.html_render(template_name=alerts.REMINDER_TEMPLATE, context=context)
    for text in (
        "Information sur la reconduction de votre contrat",
        "Date limite pour refuser la reconduction",
        "dimanche 31/10/2027",
        "31/12/2027",
        "contrats@alpaga.test",
        "espace client",
        "L215-1",
        "L215-3",
        "pour une durée indéterminée",
    ):
        assert text in html, text


# Settings ----------------------------------------------------------------------------------------


def test_settings_update_is_validated_audited_and_for_admins(tenant):
    assert alerts.contract_settings_of(tenant.provider).lead_days() == [90, 30, 7]
    row = alerts.contract_settings_update(actor=tenant.admin, lead_days=[7, 60, 7], alerts_enabled=True)
    assert row.lead_days() == [60, 7]
    assert AuditEvent.objects.filter(action="contract_settings.update").count() == 1
    alerts.contract_settings_update(actor=tenant.admin, lead_days=[60, 7], alerts_enabled=True)
    assert AuditEvent.objects.filter(action="contract_settings.update").count() == 1  # nothing changed
    for bad in ([], [0], [400], [1, 2, 3, 4, 5, 6]):
        with pytest.raises(ValidationError):
            alerts.contract_settings_update(actor=tenant.admin, lead_days=bad, alerts_enabled=True)
    for actor in (tenant.manager, tenant.technician, tenant.client_manager):
        with pytest.raises(PermissionDenied):
            alerts.contract_settings_update(actor=actor, lead_days=[30], alerts_enabled=True)
    assert ContractSettings.objects.get().lead_days() == [60, 7]


# Running the alerts job twice sends each alert once -----------------------------------------------


def test_running_the_alerts_job_twice_sends_each_alert_once(tenant, seal, inbox, run_jobs):
    """The real periodic job through the worker, its e-mails through a real SMTP server, on 16 Aug 2027:
    the managers' 90-day alert (refusal deadline) and the client's L215-1 reminder letter."""
    consumer(tenant)
    subject = contract(tenant)
    with time_machine.travel(datetime.datetime(2027, 8, 16, 4, 30, tzinfo=datetime.UTC), tick=True):
        for _attempt in range(2):
            tasks.contracts_alerts.enqueue()
            run_jobs()
    assert ContractAlert.objects.filter(contract=subject).count() == 2
    assert OutboundMessage.objects.count() == 2
    assert OutboundMessage.objects.filter(status="sent").count() == 2
    assert len(inbox.messages) == 2
    received = {message["Subject"]: message for message in inbox.messages}
    letter = next(message for message in received.values() if tenant.client_manager.user.email in message["To"])
    (attachment,) = [part for part in letter.iter_attachments()]
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content().startswith(b"%PDF")
    alert = next(message for message in received.values() if tenant.manager.user.email in message["To"])
    assert tenant.admin.user.email in alert["To"]
    subject.refresh_from_db()
    assert subject.reminder_sent_on == D(2027, 8, 16)
