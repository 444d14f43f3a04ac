"""The SLA job, through the real worker: a warning, then a breach, each recorded once with its cause, on the
timeline, and e-mailed once to the technician in charge (else the managers) in their language; a target met
late is recorded too; running the job again sends nothing new."""

from __future__ import annotations

import datetime
from datetime import UTC, timedelta
from email.utils import parseaddr

import pytest
import time_machine

from pacte.mail.models import OutboundMessage
from pacte.servicedesk import messaging, services, sla_jobs
from pacte.servicedesk.models import EventKind, SlaNotice, SlaState, Ticket, TicketEvent, TicketStatus
from pacte.servicedesk.tasks import sla_check
from pacte.servicedesk.tests import helpers

pytestmark = pytest.mark.django_db

MONDAY_9 = datetime.datetime(2026, 3, 9, 8, 0, tzinfo=UTC)  # 09:00 Paris: P1 response due at 10:00, warned at 09:45


def emails(mail: OutboundMessage) -> list[str]:
    return [parseaddr(address)[1] for address in mail.to]


def sla_mail():
    return OutboundMessage.objects.filter(template=sla_jobs.TEMPLATE).order_by("id")


@pytest.fixture
def p1_ticket(tenant):
    level = helpers.service_level(tenant)
    helpers.contract_in_force(tenant, service_level=level.pk, start=datetime.date(2026, 1, 1))
    with time_machine.travel(MONDAY_9, tick=False):
        ticket = helpers.ticket(tenant, title="Serveur de fichiers arrêté", impact="high", urgency="high")
        services.ticket_assign(actor=tenant.manager, ticket=ticket, assignee=tenant.technician)
    ticket.refresh_from_db()
    assert (ticket.priority, ticket.response_due) == ("P1", MONDAY_9 + timedelta(hours=1))
    assert ticket.next_warning == MONDAY_9 + timedelta(minutes=45)
    return ticket


def test_a_warning_then_a_breach_each_recorded_and_mailed_once(tenant, p1_ticket, run_jobs):
    tenant.technician.user.language = "en"
    tenant.technician.user.save()
    with time_machine.travel(MONDAY_9 + timedelta(minutes=40), tick=False):
        run_jobs()
        assert not SlaNotice.objects.exists()  # not yet
    with time_machine.travel(MONDAY_9 + timedelta(minutes=50), tick=False):
        run_jobs()
        warning = SlaNotice.objects.get()
        assert (warning.target, warning.kind, warning.at) == ("response", "warning", MONDAY_9 + timedelta(minutes=45))
        assert warning.due == MONDAY_9 + timedelta(hours=1)
        assert "1 h" in warning.cause and "P1" in warning.cause and "Standard" in warning.cause
        [mail] = sla_mail()
        assert emails(mail) == [tenant.technician.user.email] and mail.language == "en"
        assert p1_ticket.reference in mail.subject and "SLA at risk (response)" in mail.subject
        assert "response target of 1 h (P1, Standard): past 75 %, 10 min left; not paused" in mail.body_text
        p1_ticket.refresh_from_db()
        assert p1_ticket.sla_state == SlaState.AT_RISK
        assert p1_ticket.next_warning == MONDAY_9 + timedelta(hours=1)  # the breach is the next instant to look at
        sla_check.enqueue()  # the job again, at the same instant: nothing new
        run_jobs()
        assert SlaNotice.objects.count() == 1 and sla_mail().count() == 1
    with time_machine.travel(MONDAY_9 + timedelta(minutes=85), tick=False):
        run_jobs()
        breach = SlaNotice.objects.get(kind="breach")
        assert (breach.target, breach.at) == ("response", MONDAY_9 + timedelta(hours=1))
        assert "(P1, Standard)" in breach.cause and "25 min" in breach.cause
        assert sla_mail().count() == 2
        last = sla_mail().last()
        assert "SLA breached (response)" in last.subject
        assert "response target of 1 h (P1, Standard) exceeded by 25 min; not paused" in last.body_text
        timeline = list(TicketEvent.objects.filter(ticket=p1_ticket, kind__in=["sla_warning", "sla_breach"]))
        assert [(e.kind, e.at) for e in timeline] == [
            (EventKind.SLA_WARNING, MONDAY_9 + timedelta(minutes=45)),
            (EventKind.SLA_BREACH, MONDAY_9 + timedelta(hours=1)),
        ]
        assert timeline[1].data["late_seconds"] == 25 * 60 and timeline[1].data["target"] == "response"
        p1_ticket.refresh_from_db()
        assert p1_ticket.sla_state == SlaState.BREACHED
        assert p1_ticket.next_warning == MONDAY_9 + timedelta(hours=3)  # restoration: 75 % of 4 h, 12:00 Paris
        sla_check.enqueue()
        run_jobs()
        assert SlaNotice.objects.count() == 2 and sla_mail().count() == 2
        assert OutboundMessage.objects.filter(template=sla_jobs.TEMPLATE, status="sent").count() == 2


def test_unassigned_the_managers_are_told_each_in_their_language(tenant, run_jobs):
    level = helpers.service_level(tenant)
    helpers.contract_in_force(tenant, service_level=level.pk, start=datetime.date(2026, 1, 1))
    tenant.admin.user.language = "en"
    tenant.admin.user.save()
    with time_machine.travel(MONDAY_9, tick=False):
        ticket = helpers.ticket(tenant, impact="high", urgency="high")
    with time_machine.travel(MONDAY_9 + timedelta(hours=2), tick=False):
        run_jobs()
    assert ticket.assignee is None
    mails = list(sla_mail())
    assert {m.language for m in mails} == {"fr", "en"}
    assert sorted(a for m in mails for a in emails(m)) == sorted([tenant.admin.user.email, tenant.manager.user.email])
    assert tenant.technician.user.email not in [a for m in mails for a in emails(m)]
    assert SlaNotice.objects.filter(ticket=ticket).values_list("target", "kind").get() == ("response", "breach")


def test_a_response_met_late_after_a_pause_is_recorded_with_its_cause(tenant, p1_ticket, run_jobs):
    tenant.technician.user.language = "en"
    tenant.technician.user.save()
    with time_machine.travel(MONDAY_9 + timedelta(minutes=10), tick=False) as traveller:
        services.ticket_status_set(actor=tenant.technician, ticket=p1_ticket, status=TicketStatus.WAITING_CLIENT)
        traveller.shift(timedelta(hours=2))  # 11:10 Paris
        services.ticket_status_set(actor=tenant.technician, ticket=p1_ticket, status=TicketStatus.IN_PROGRESS)
        p1_ticket.refresh_from_db()
        assert p1_ticket.response_due == MONDAY_9 + timedelta(hours=3)  # pushed by the 2 business hours paused
        traveller.shift(timedelta(hours=3, minutes=15))  # 14:25 Paris (12:00–14:00 is closed)
        messaging.message_add(actor=tenant.technician, ticket=p1_ticket, body="Nous intervenons.")
        p1_ticket.refresh_from_db()
        assert p1_ticket.first_response_at == MONDAY_9 + timedelta(hours=5, minutes=25)
        assert p1_ticket.next_warning == MONDAY_9 + timedelta(hours=3)  # the breach, not yet noticed
        run_jobs()
    breach = SlaNotice.objects.get(target="response", kind="breach")
    assert breach.at == MONDAY_9 + timedelta(hours=3)  # it was due at 12:00 Paris
    data = TicketEvent.objects.get(ticket=p1_ticket, kind="sla_breach").data
    assert data["stopped"] is True and data["paused_seconds"] == {"waiting_client": 2 * 3600}
    assert data["late_seconds"] == 25 * 60
    assert SlaNotice.objects.count() == 1  # restoration (4 h) has 1 h 25 counted: not yet at 75 %
    [mail] = sla_mail()
    assert "response target of 1 h (P1, Standard) met 25 min late; paused 2 h waiting on the client" in mail.body_text


def test_a_breach_found_after_resolution_is_recorded_but_not_mailed(tenant, p1_ticket):
    with time_machine.travel(MONDAY_9 + timedelta(hours=3), tick=False):
        services.ticket_status_set(actor=tenant.technician, ticket=p1_ticket, status=TicketStatus.RESOLVED)
        p1_ticket.refresh_from_db()
        assert p1_ticket.next_warning == MONDAY_9 + timedelta(hours=1)  # the response breach, not yet noticed
        report = sla_jobs.sla_check()
    assert report["breaches"] == 1 and report["mails"] == 0
    assert SlaNotice.objects.filter(ticket=p1_ticket, kind="breach").count() == 1
    assert not sla_mail().exists()
    p1_ticket.refresh_from_db()
    assert p1_ticket.next_warning is None


def test_the_job_is_bounded_in_queries_per_ticket(tenant, django_assert_max_num_queries):
    level = helpers.service_level(tenant)
    helpers.contract_in_force(tenant, service_level=level.pk, start=datetime.date(2026, 1, 1))
    with time_machine.travel(MONDAY_9, tick=False):
        for i in range(5):
            helpers.ticket(tenant, title=f"Panne {i}", impact="high", urgency="high")
    with time_machine.travel(MONDAY_9 + timedelta(hours=2), tick=False):
        with django_assert_max_num_queries(5 * 45):
            report = sla_jobs.sla_check()
    assert report["tickets"] == 5 and report["breaches"] == 5
    assert Ticket.objects.filter(sla_state=SlaState.BREACHED).count() == 5
