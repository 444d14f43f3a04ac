"""Reminders to the client before a planned on-site visit (a periodic job, idempotent).

Every 15 minutes the job takes the on-site sheets still planned whose visit starts within the next
24 hours and whose reminder is not sent (``reminder_sent_at`` empty; moving a visit clears it), each
in its own transaction under the sheet's row lock, and e-mails the client once:

- who: the ticket's requester when the sheet comes from a ticket (the person who asked); else the
  contacts of the visited site; else the client's managers (their portal accounts). Contacts without
  an e-mail address or archived, and deactivated accounts, get nothing; with nobody to tell, the
  sheet is marked anyway (the job does not look at it again);
- what it says: when (in the site's time zone), who comes, where, what for, and — when the contract
  puts the backup duty on the client — to make sure the backups are done before the visit;
- idempotency: the mail's key holds the sheet and its planned start, so a second run, or a second
  worker racing on the same sheet, sends nothing twice, and a moved visit gets a new reminder.
"""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django_tasks import task

from pacte.contracts.selectors import contract_terms_at
from pacte.interventions.models import Intervention, Mode, SheetStatus
from pacte.interventions.planning import person, sheet_zone
from pacte.jobs.domain import every
from pacte.jobs.registry import periodic
from pacte.mail.domain import Recipient
from pacte.mail.services import mail_send, recipient_for_contact, recipient_for_user
from pacte.tenancy.models import Contact, Membership, Role

logger = logging.getLogger("pacte.interventions")

TEMPLATE = "mail/interventions/visit_reminder"
#: How long before the visit the reminder goes.
AHEAD = datetime.timedelta(hours=24)
BATCH = 200


def reminder_key(sheet: Intervention) -> str:
    assert sheet.planned_start is not None
    return f"intervention:{sheet.pk}:reminder:{sheet.planned_start.astimezone(datetime.UTC).isoformat()}"


def _contacts(contacts: list[Contact]) -> list[Recipient]:
    return [
        recipient_for_contact(contact)
        for contact in contacts
        if contact.email and contact.archived_at is None and "@" in contact.email
    ]


def reminder_recipients(sheet: Intervention) -> list[Recipient]:
    """The requester of the sheet's ticket; else the site's contacts; else the client's managers."""
    if sheet.ticket is not None and sheet.ticket.requester is not None:
        found = _contacts([sheet.ticket.requester])
        if found:
            return found
    if sheet.site is not None:
        found = _contacts(list(Contact.objects.filter(site=sheet.site, client=sheet.client).select_related("user")))
        if found:
            return found
    managers = Membership.objects.filter(
        provider_id=sheet.provider_id, client_id=sheet.client_id, role=Role.CLIENT_MANAGER, is_active=True
    ).select_related("user")
    return [recipient_for_user(member.user) for member in managers if member.user.email and member.user.is_active]


def _client_backs_up(sheet: Intervention) -> bool:
    """True when the contract puts the backup duty on the client (or the sheet requires the backup check)."""
    if sheet.backup_blocking:
        return True
    if sheet.contract is None or sheet.planned_start is None:
        return False
    version = contract_terms_at(sheet.contract, sheet.planned_start.date())
    return version is not None and version.terms.backup_duty.party == "client"


def _address(sheet: Intervention) -> str:
    site = sheet.site
    if site is None:
        return ""
    place = " ".join(part for part in (site.postal_code, site.city) if part)
    return ", ".join(part for part in (site.name, site.address, place) if part)


def _context(sheet: Intervention) -> dict[str, object]:
    return {
        "reference": sheet.reference,
        "title": sheet.title,
        "client_name": sheet.client.name,
        "provider_name": sheet.provider.name,
        "start": sheet.planned_start,
        "end": sheet.planned_end,
        "time_zone": sheet_zone(sheet),
        "technicians": ", ".join(person(member) for member in sheet.technicians.all()),
        "address": _address(sheet),
        "backup_duty": _client_backs_up(sheet),
        "portal_url": settings.PACTE_BASE_URL.rstrip("/") + "/portal/",
    }


def _due(now: datetime.datetime) -> QuerySet[Intervention]:
    return Intervention.objects.filter(
        status=SheetStatus.PLANNED,
        mode=Mode.ON_SITE,
        reminder_sent_at__isnull=True,
        planned_start__gt=now,
        planned_start__lte=now + AHEAD,
    )


def reminder_send_one(sheet_id: int, *, now: datetime.datetime) -> str:
    """Remind the client of one visit, under the sheet's row lock: ``sent``, ``nobody`` (no one to tell)
    or ``skipped`` (already reminded, moved or started meanwhile)."""
    with transaction.atomic():
        sheet = (
            _due(now)
            .select_for_update(of=("self",))
            .select_related("provider", "client", "site__client", "contract", "ticket__requester__user")
            .prefetch_related(Prefetch("technicians", queryset=Membership.objects.select_related("user")))
            .filter(pk=sheet_id)
            .first()
        )
        if sheet is None:  # another worker sent it, or the visit moved or started meanwhile
            return "skipped"
        recipients = reminder_recipients(sheet)
        if recipients:
            mail_send(
                template=TEMPLATE,
                context=_context(sheet),
                recipients=recipients,
                provider=sheet.provider,
                key=reminder_key(sheet),
            )
        Intervention.objects.filter(pk=sheet.pk).update(reminder_sent_at=now)
        return "sent" if recipients else "nobody"


def reminders_send(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Send the reminders due at ``now``: how many ``sent``, ``nobody`` (no one to tell), ``skipped``, ``failed``."""
    now = now or timezone.now()
    report = {"sent": 0, "nobody": 0, "skipped": 0, "failed": 0}
    for sheet_id in list(_due(now).order_by("planned_start", "id").values_list("pk", flat=True)[:BATCH]):
        try:
            report[reminder_send_one(sheet_id, now=now)] += 1
        except Exception:  # one sheet's failure never stops the others; the next run retries it
            logger.exception("Visit reminder failed for sheet %s", sheet_id)
            report["failed"] += 1
    return report


@periodic(every(15), name="interventions.visit_reminders")
@task()
def visit_reminders() -> dict[str, int]:
    """Remind clients of the on-site visits of the next 24 hours (once per planned start)."""
    return reminders_send(now=timezone.now())
