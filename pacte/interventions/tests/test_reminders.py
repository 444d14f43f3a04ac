"""Reminders before a planned on-site visit: sent once ~24 h ahead, to the right people, saying the right
things (the backup duty), again after a move, never twice for one planned start."""

from __future__ import annotations

import datetime
from email.utils import getaddresses

from django.utils import timezone, translation
from django.utils.translation import gettext

from pacte.interventions import planning, reminder_jobs
from pacte.interventions.models import Intervention, Mode, SheetStatus
from pacte.interventions.tests.helpers import covered_contract, sheet, ticket
from pacte.jobs.registry import periodic_jobs
from pacte.mail.models import OutboundMessage
from tests.factories import ContactFactory

BACKUP = (
    "Please make sure your backups are done before the visit: under your contract, backing up your data "
    "before any on-site work is your responsibility. The technician will ask you to confirm it before starting."
)


def in_hours(hours: float) -> dict[str, datetime.datetime]:
    start = timezone.now() + datetime.timedelta(hours=hours)
    return {"planned_start": start, "planned_end": start + datetime.timedelta(hours=2)}


def reminders() -> list[OutboundMessage]:
    return list(OutboundMessage.objects.filter(template=reminder_jobs.TEMPLATE).order_by("id"))


def addresses(message: OutboundMessage) -> list[str]:
    return [address for _name, address in getaddresses(message.to)]


def site_contact(tenant, email: str = "accueil@client.test"):
    return ContactFactory(client=tenant.client, provider=tenant.provider, site=tenant.site, email=email)


def test_the_job_is_registered_every_15_minutes():
    spec = next(spec for spec in periodic_jobs() if spec.name == "interventions.visit_reminders")
    assert spec.cadence.describe() == "every 15 min"


def test_a_visit_within_24_hours_is_reminded_once_to_the_sites_contact_with_the_backup_duty(tenant):
    contract = covered_contract(tenant)  # the default terms: the client backs up, blocking
    site_contact(tenant)
    visit = sheet(tenant, contract=contract, **in_hours(20))
    now = timezone.now()

    report = reminder_jobs.reminders_send(now=now)
    again = reminder_jobs.reminders_send(now=now + datetime.timedelta(minutes=15))

    assert report["sent"] == 1 and again["sent"] == 0
    (message,) = reminders()
    assert addresses(message) == ["accueil@client.test"]
    assert message.key == reminder_jobs.reminder_key(visit)
    with translation.override(message.language):
        assert gettext(BACKUP) in message.body_text
    assert visit.reference in message.subject
    local = timezone.localtime(visit.planned_start, timezone=planning.provider_zone(tenant.manager))
    assert local.strftime("%H:%M") in message.body_text
    assert visit.title in message.body_text
    visit.refresh_from_db()
    assert visit.reminder_sent_at == now


def test_no_backup_paragraph_when_the_provider_backs_up(tenant):
    contract = covered_contract(tenant, backup_duty={"party": "provider_option", "blocking": False})
    site_contact(tenant)
    sheet(tenant, contract=contract, **in_hours(10))
    reminder_jobs.reminders_send()
    (message,) = reminders()
    with translation.override(message.language):
        assert gettext(BACKUP) not in message.body_text


def test_too_early_remote_done_or_past_visits_get_no_reminder(tenant):
    contract = covered_contract(tenant)
    site_contact(tenant)
    later = sheet(tenant, contract=contract, **in_hours(30))
    sheet(tenant, contract=contract, mode=Mode.REMOTE, **in_hours(5))
    started = sheet(tenant, contract=contract, **in_hours(5))
    Intervention.objects.filter(pk=started.pk).update(status=SheetStatus.IN_PROGRESS)
    sheet(tenant, contract=contract, **in_hours(-1))

    assert reminder_jobs.reminders_send()["sent"] == 0
    assert reminders() == []
    # Six hours later the first one is within 24 hours.
    assert reminder_jobs.reminders_send(now=timezone.now() + datetime.timedelta(hours=7))["sent"] == 1
    assert reminders()[0].key == reminder_jobs.reminder_key(later)


def test_a_moved_visit_gets_a_new_reminder_and_a_rerun_never_a_duplicate(tenant):
    contract = covered_contract(tenant)
    site_contact(tenant)
    visit = sheet(tenant, contract=contract, **in_hours(12))
    reminder_jobs.reminders_send()
    first_key = reminders()[0].key

    # Two workers on the same sheet: the second finds it already reminded.
    Intervention.objects.filter(pk=visit.pk).update(reminder_sent_at=None)
    assert reminder_jobs.reminder_send_one(visit.pk, now=timezone.now()) == "sent"
    assert len(reminders()) == 1  # the mail's key: same planned start, same message
    assert reminder_jobs.reminder_send_one(visit.pk, now=timezone.now()) == "skipped"

    moved = in_hours(15)
    planning.sheet_plan(actor=tenant.manager, sheet=visit, start=moved["planned_start"], end=moved["planned_end"])
    reminder_jobs.reminders_send()
    keys = [message.key for message in reminders()]
    assert len(keys) == 2 and keys[0] == first_key and keys[1] != first_key


def test_the_requester_of_the_ticket_is_told_first_else_the_client_managers(tenant):
    contract = covered_contract(tenant)
    site_contact(tenant)
    requester = ContactFactory(client=tenant.client, provider=tenant.provider, email="demandeur@client.test")
    call = ticket(tenant, requester=requester)
    sheet(tenant, ticket=call, **in_hours(6))
    reminder_jobs.reminders_send()
    assert addresses(reminders()[0]) == ["demandeur@client.test"]

    OutboundMessage.objects.all().delete()
    other_site = sheet(tenant, contract=contract, site=None, **in_hours(7))
    reminder_jobs.reminders_send()
    (message,) = reminders()
    assert addresses(message) == [tenant.client_manager.user.email]
    other_site.refresh_from_db()
    assert other_site.reminder_sent_at is not None


def test_with_nobody_to_tell_the_sheet_is_marked_and_not_looked_at_again(tenant):
    tenant.client_manager.is_active = False
    tenant.client_manager.save()
    visit = sheet(tenant, site=None, **in_hours(3))
    assert reminder_jobs.reminders_send()["nobody"] == 1
    assert reminder_jobs.reminders_send() == {"sent": 0, "nobody": 0, "skipped": 0, "failed": 0}
    visit.refresh_from_db()
    assert visit.reminder_sent_at is not None
    assert reminders() == []


def test_the_periodic_task_runs_through_the_worker(tenant, run_jobs):
    from pacte.interventions.tasks import reminder_jobs as registered

    contract = covered_contract(tenant)
    site_contact(tenant)
    sheet(tenant, contract=contract, **in_hours(4))
    result = registered.visit_reminders.enqueue()
    run_jobs()
    assert len(reminders()) == 1
    assert result.id
