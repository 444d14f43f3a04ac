"""The daily contract alerts: deadlines e-mailed to the provider's managers, and the L215-1 reminder letter.

``contracts_alerts`` (the ``contracts.alerts`` periodic job, 06:30 Paris time, after the 00:20 roll) looks
at every *active* contract (a contract under notice has no renewal to refuse any more) and:

1. **Deadlines** — the current term's last day, the last day to refuse the renewal (tacit renewal) and,
   when the terms have a price revision clause, the next revision date not revised yet. For each
   deadline and each lead time of the provider's settings (``ContractSettings.lead_days()``, 90/30/7 days
   by default), the managers (active provider admins and managers) get one e-mail when today is in
   [deadline − lead, deadline]. **Only the most imminent lead time fires**: a job that starts late (or a
   contract activated 20 days before a deadline) sends the 30-day alert only, not 90 and 30 the same day;
   the lead times it passed over are listed in that alert's ``detail["skipped_leads"]`` and never sent
   later. The ``ContractAlert`` row (unique per contract, kind, deadline, lead time) is the "sent once"
   key, written in the same transaction as the ``mail_send`` enqueue: however often the job runs, each
   alert goes once; a failed transaction sends nothing and is retried the next run. A deadline on a
   Saturday, Sunday or public holiday (the provider's holidays) does not move: the e-mail says so.
   ``alerts_enabled`` off: no deadline e-mail (the reminder letter below is a legal duty: it still goes).
2. **L215-1 reminder** — for a client not acting as a professional (``Client.is_professional`` False) with
   a tacit renewal: when today is in the reminder window (3 months to 1 month before the refusal
   deadline) and ``Contract.reminder_sent_on`` is empty (it is reset at each renewal), the reminder letter
   (French PDF, the refusal deadline shown in a box) is e-mailed to the client (its managers, else its
   main contact), ``reminder_sent_on`` set, audited. Once per term (also keyed by a ``ContractAlert`` row
   of kind ``reminder_letter``, lead 0). A client with no e-mail address at all: the letter is stored, the
   provider's managers get it to post, and ``reminder_sent_on`` stays empty (not sent until posted).
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pacte.audit.services import audit_record
from pacte.contracts import dates, lifecycle
from pacte.contracts import revision as rules
from pacte.contracts.models import (
    DEFAULT_LEAD_DAYS,
    AlertKind,
    Contract,
    ContractAlert,
    ContractSettings,
    ContractStatus,
    Revision,
)
from pacte.contracts.revisions import client_letter_recipients, letter_pdf, provider_reply_address, revision_clause
from pacte.documents import storage as document_storage
from pacte.documents.models import Document
from pacte.mail.domain import Recipient
from pacte.mail.services import Attachment, mail_send, recipient_for_user
from pacte.sla.calendars import CalendarError, HolidayRegion
from pacte.tenancy.models import Membership, Provider, Role
from pacte.tenancy.permissions import MANAGERS, require

logger = logging.getLogger("pacte.contracts")

ALERT_MAIL = "mail/contracts/deadline_alert"
REMINDER_MAIL = "mail/contracts/renewal_reminder"
REMINDER_TO_POST_MAIL = "mail/contracts/renewal_reminder_to_post"
REMINDER_TEMPLATE = "contracts/letters/renewal_reminder.html"
MAX_LEAD_DAYS = 366
MAX_LEAD_TIMES = 5


# Settings ----------------------------------------------------------------------------------------


def contract_settings_of(provider: Provider | int) -> ContractSettings:
    """The provider's settings (an unsaved default row when it never changed them)."""
    provider_id = provider if isinstance(provider, int) else provider.pk
    found = ContractSettings.objects.filter(provider_id=provider_id).first()
    return found or ContractSettings(provider_id=provider_id, alert_lead_days=list(DEFAULT_LEAD_DAYS))


def can_manage_contract_settings(actor: Membership) -> bool:
    return actor.role == Role.PROVIDER_ADMIN


@transaction.atomic
def contract_settings_update(*, actor: Membership, lead_days: Iterable[int], alerts_enabled: bool) -> ContractSettings:
    """The lead times (days before each deadline) of the managers' alerts, and whether they are sent."""
    require(can_manage_contract_settings(actor))
    days = sorted({int(day) for day in lead_days}, reverse=True)
    if not days:
        raise ValidationError({"lead_days": _("Give at least one lead time.")})
    if len(days) > MAX_LEAD_TIMES or not all(1 <= day <= MAX_LEAD_DAYS for day in days):
        raise ValidationError(
            {
                "lead_days": _("Up to %(count)s lead times, each from 1 to %(max)s days.")
                % {"count": MAX_LEAD_TIMES, "max": MAX_LEAD_DAYS}
            }
        )
    row = ContractSettings.objects.select_for_update().filter(provider_id=actor.provider_id).first()
    before: dict[str, Any] = {"lead_days": None, "alerts_enabled": None}
    if row is None:
        row = ContractSettings(provider=actor.provider)
    else:
        before = {"lead_days": row.lead_days(), "alerts_enabled": row.alerts_enabled}
    row.alert_lead_days, row.alerts_enabled = days, alerts_enabled
    row.full_clean()
    row.save()
    after = {"lead_days": days, "alerts_enabled": alerts_enabled}
    if before != after:
        changed = [key for key in after if before[key] != after[key]]
        audit_record(
            actor=actor,
            action="contract_settings.update",
            instance=row,
            provider=actor.provider,
            before={key: before[key] for key in changed},
            after={key: after[key] for key in changed},
        )
    return row


# Which lead time fires ---------------------------------------------------------------------------


def lead_to_send(deadline: datetime.date, today: datetime.date, leads: Iterable[int]) -> tuple[int, list[int]] | None:
    """(the lead time whose alert is due today, the longer ones passed over), or None.

    Today must be in [deadline − lead, deadline] for some lead; the smallest such lead is the one due.
    90/30/7 days, 25 days left → (30, [90]); 95 days left → None; the deadline passed → None.
    """
    days_left = (deadline - today).days
    if days_left < 0:
        return None
    open_leads = sorted(lead for lead in set(leads) if days_left <= lead)
    if not open_leads:
        return None
    return open_leads[0], sorted(open_leads[1:], reverse=True)


def provider_holidays(provider: Provider, years: Iterable[int]) -> frozenset[datetime.date]:
    """The provider's public holidays for ``years`` (mainland France, or its subdivision)."""
    try:
        region = HolidayRegion(country=provider.country or "FR", subdiv=provider.holiday_subdivision or None)
        return frozenset(day for year in set(years) for day in region.holidays(year))
    except CalendarError:
        logger.warning("Unknown holiday region for provider %s: weekends only.", provider.pk)
        return frozenset()


def provider_manager_recipients(provider_id: int) -> list[Recipient]:
    memberships = Membership.objects.filter(
        provider_id=provider_id, client__isnull=True, role__in=MANAGERS, is_active=True, user__is_active=True
    ).select_related("user")
    unique: dict[str, Recipient] = {}
    for member in memberships.order_by("id"):
        if member.user.email:
            unique.setdefault(member.user.email.lower(), recipient_for_user(member.user))
    return list(unique.values())


# The job -----------------------------------------------------------------------------------------


def _deadlines_of(
    contract: Contract, today: datetime.date
) -> tuple[dates.Deadlines | None, list[tuple[str, datetime.date]]]:
    """The contract's deadlines (pure domain) and the list (kind, date) of those to alert about."""
    found = lifecycle.contract_deadlines(contract)
    items: list[tuple[str, datetime.date]] = []
    if found is not None:
        if found.term_last_day is not None:
            items.append((AlertKind.TERM_END, found.term_last_day))
        if found.refusal_deadline is not None:
            items.append((AlertKind.REFUSAL_DEADLINE, found.refusal_deadline))
    version = lifecycle.current_version(contract, today)
    clause = version.terms.price_revision if version is not None else None
    if clause is not None:
        due = rules.next_revision_date(
            contract.start_date, revision_clause(clause), after=today - datetime.timedelta(days=1)
        )
        revised = Revision.objects.filter(contract_id=contract.pk, revision_date=due).exists()
        if not revised and (contract.end_date is None or due <= contract.end_date):
            items.append((AlertKind.REVISION, due))
    return found, items


def _day_warning(day: datetime.date, holidays: frozenset[datetime.date]) -> str:
    if day in holidays:
        return "holiday"
    if day.weekday() >= 5:
        return "weekend"
    return ""


def _deadline_alert(
    contract: Contract,
    kind: str,
    deadline: datetime.date,
    today: datetime.date,
    leads: list[int],
    holidays: frozenset[datetime.date],
) -> bool:
    due = lead_to_send(deadline, today, leads)
    if due is None:
        return False
    lead, passed_over = due
    if ContractAlert.objects.filter(contract=contract, kind=kind, deadline=deadline, lead_days=lead).exists():
        return False
    warning = _day_warning(deadline, holidays)
    try:
        with transaction.atomic():
            alert = ContractAlert.objects.create(
                provider_id=contract.provider_id,
                contract=contract,
                kind=kind,
                deadline=deadline,
                lead_days=lead,
                detail={"days_left": (deadline - today).days, "skipped_leads": passed_over, "warning": warning},
            )
    except IntegrityError:  # another worker sent it a moment ago
        return False
    recipients = provider_manager_recipients(contract.provider_id)
    if not recipients:
        alert.detail = {**alert.detail, "recipients": 0}
        alert.save(update_fields=["detail"])
        return True
    mail_send(
        template=ALERT_MAIL,
        context={
            "reference": contract.reference,
            "title": contract.title,
            "client_name": contract.client.name,
            "kind": kind,
            "deadline": deadline,
            "days_left": (deadline - today).days,
            "warning": warning,
        },
        recipients=recipients,
        provider=contract.provider,
        key=f"contract-alert:{alert.pk}",
        thread=f"contract:{contract.pk}",
    )
    return True


def _reminder_context(contract: Contract, deadlines: dates.Deadlines) -> dict[str, Any]:
    provider = contract.provider
    assert deadlines.refusal_deadline is not None and deadlines.term_last_day is not None
    version = lifecycle.current_version(contract)
    assert version is not None
    renewal = version.terms.renewal
    address = ", ".join(part for part in (provider.address, f"{provider.postal_code} {provider.city}".strip()) if part)
    return {
        "letter_title": f"Information sur la reconduction — contrat {contract.reference}",
        "provider": provider,
        "client": contract.client,
        "contract": contract,
        "today": timezone.localdate().strftime("%d/%m/%Y"),
        "refusal_deadline": deadlines.refusal_deadline.strftime("%d/%m/%Y"),
        "refusal_weekday": _weekday_fr(deadlines.refusal_deadline),
        "term_end": deadlines.term_last_day.strftime("%d/%m/%Y"),
        "renewal_start": (deadlines.term_last_day + datetime.timedelta(days=1)).strftime("%d/%m/%Y"),
        "renewal_term": (
            f"pour une nouvelle période de {renewal.renewal_term_months} mois"
            if renewal.renewal_term_months
            else "pour une durée indéterminée (article 1215 du Code civil)"
        ),
        "notice": (
            f"{renewal.notice_months} mois"
            if renewal.notice_months
            else (f"{renewal.notice_days} jours" if renewal.notice_days else "aucun préavis")
        ),
        "provider_address": address,
        "provider_email": provider_reply_address(provider),
    }


WEEKDAYS_FR = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


def _weekday_fr(day: datetime.date) -> str:
    return WEEKDAYS_FR[day.weekday()]


def _reminder_letter(contract: Contract, deadlines: dates.Deadlines, today: datetime.date) -> bool:
    """The L215-1 reminder of this term, once: letter, e-mail to the client, ``reminder_sent_on``, audit."""
    deadline = deadlines.refusal_deadline
    window = deadlines.reminder_window
    if deadline is None or window is None or contract.reminder_sent_on is not None:
        return False
    if not window[0] <= today <= window[1]:
        return False
    key = {"contract": contract, "kind": AlertKind.REMINDER_LETTER, "deadline": deadline, "lead_days": 0}
    if ContractAlert.objects.filter(**key).exists():
        return False
    try:
        with transaction.atomic():
            alert = ContractAlert.objects.create(provider_id=contract.provider_id, **key)
    except IntegrityError:
        return False
    letter = letter_pdf(
        actor=None,
        provider=contract.provider,
        template_name=REMINDER_TEMPLATE,
        context=_reminder_context(contract, deadlines),
        title=f"Information sur la reconduction — contrat {contract.reference}",
        filename=f"reconduction-{contract.reference}-{deadline:%Y-%m-%d}",
        client=contract.client,
        source=contract,
    )
    attachment = Attachment(letter.filename, letter.content_type, content=document_storage.read(letter.storage_name))
    context = {
        "reference": contract.reference,
        "title": contract.title,
        "client_name": contract.client.name,
        "provider_name": contract.provider.legal_name or contract.provider.name,
        "refusal_deadline": deadline,
        "term_end": deadlines.term_last_day,
    }
    recipients = client_letter_recipients(contract.client)
    if recipients:
        mail_send(
            template=REMINDER_MAIL,
            context=context,
            recipients=recipients,
            provider=contract.provider,
            key=f"contract-reminder:{contract.pk}:{deadline.isoformat()}",
            thread=f"contract:{contract.pk}",
            attachments=[attachment],
        )
        contract.reminder_sent_on = today
        contract.save(update_fields=["reminder_sent_on", "updated_at"])
    else:
        managers = provider_manager_recipients(contract.provider_id)
        if managers:
            mail_send(
                template=REMINDER_TO_POST_MAIL,
                context=context,
                recipients=managers,
                provider=contract.provider,
                key=f"contract-reminder-to-post:{contract.pk}:{deadline.isoformat()}",
                thread=f"contract:{contract.pk}",
                attachments=[attachment],
            )
    alert.detail = {"document": letter.pk, "mailed_to": [recipient.email for recipient in recipients]}
    alert.save(update_fields=["detail"])
    _audit_reminder(contract, letter, recipients, deadline)
    return True


def _audit_reminder(contract: Contract, letter: Document, recipients: list[Recipient], deadline: datetime.date) -> None:
    audit_record(
        actor=None,
        action="contract.reminder_letter",
        instance=contract,
        provider=contract.provider,
        before={"reminder_sent_on": None},
        after={
            "reminder_sent_on": contract.reminder_sent_on,
            "refusal_deadline": deadline,
            "letter": letter.pk,
            "sealed": letter.is_sealed,
            "mailed_to": [recipient.email for recipient in recipients],
        },
    )


def _alert_one(contract: Contract, today: datetime.date, settings: ContractSettings) -> dict[str, int]:
    found, items = _deadlines_of(contract, today)
    sent = {"alerts": 0, "reminders": 0}
    if settings.alerts_enabled and items:
        holidays = provider_holidays(contract.provider, {day.year for _kind, day in items})
        leads = settings.lead_days()
        for kind, deadline in items:
            sent["alerts"] += _deadline_alert(contract, kind, deadline, today, leads, holidays)
    if found is not None and _reminder_letter(contract, found, today):
        sent["reminders"] += 1
    return sent


def contracts_alerts(*, today: datetime.date | None = None, provider_id: int | None = None) -> dict[str, int]:
    """The daily job: e-mail each due alert once and send each due L215-1 reminder once (see the module).

    One transaction per contract (its row locked): a contract that fails is logged, counted in
    ``failed`` and tried again at the next run; the others go on.
    """
    today = today or timezone.localdate()
    queryset = Contract.objects.filter(status=ContractStatus.ACTIVE)
    if provider_id is not None:
        queryset = queryset.filter(provider_id=provider_id)
    report = {"contracts": 0, "alerts": 0, "reminders": 0, "failed": 0}
    settings: dict[int, ContractSettings] = {}
    for pk, owner in queryset.order_by("pk").values_list("pk", "provider_id"):
        if owner not in settings:
            settings[owner] = contract_settings_of(owner)
        try:
            with transaction.atomic():
                contract = Contract.objects.select_for_update().select_related("provider", "client").get(pk=pk)
                if contract.status != ContractStatus.ACTIVE:
                    continue
                sent = _alert_one(contract, today, settings[owner])
        except Exception:
            logger.exception("Contract alerts failed for contract %s", pk)
            report["failed"] += 1
            continue
        report["contracts"] += 1
        report["alerts"] += sent["alerts"]
        report["reminders"] += sent["reminders"]
    return report
