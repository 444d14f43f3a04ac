"""SLA warnings and breaches: the periodic job that notices them, records each once and tells staff.

Every minute (``tasks.sla_check``) the job takes the tickets whose ``next_warning`` has come (the
index the clock refresh keeps: the first warning or breach instant not yet noticed), each in its own
transaction under the ticket's row lock, and:

1. folds the ticket's clock as of now (``pacte.sla.clock.ticket_clock``);
2. for each target **breached** and not yet noticed (running past its due instant, or stopped late:
   a first response 25 min after the due instant is recorded too), and each target still **running**
   past its warning instant and not yet warned, creates the ``SlaNotice`` (unique per ticket, target
   and kind) with its cause: the target, the priority and service level in force, how late (or how
   much is left), the time paused and why, a re-targeting; a target already breached gets no warning;
3. adds an ``sla_warning`` / ``sla_breach`` line to the timeline, at the instant it happened;
4. e-mails the staff once (the technician in charge, else the provider's admins and managers), each
   in their language, with an idempotency key per notice — and only while the ticket is open: a
   breach found on a resolved ticket (resolved between two runs) is recorded, not mailed;
5. stores the refreshed SLA columns (``clock.ticket_sla_refresh``), which moves ``next_warning`` to
   the next instant to look at (or clears it).

Running the job twice notices nothing twice: the notices exist, and ``next_warning`` moved on.
Resolved and closed tickets are looked at too when their ``next_warning`` has come (their stored
breach instant was not yet noticed), so an outcome decided between two runs is never lost.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import formats, timezone, translation
from django.utils.functional import lazy
from django.utils.translation import gettext as _

from pacte.mail.domain import Recipient
from pacte.mail.services import mail_send, recipient_for_user
from pacte.servicedesk import notify
from pacte.servicedesk.clock import JUST_AFTER, NO_LEVEL, clock_events, notices_of, terms_for, ticket_sla_refresh
from pacte.servicedesk.models import (
    CLOCK_KINDS,
    EventKind,
    SlaNotice,
    SlaNoticeKind,
    Ticket,
    TicketStatus,
)
from pacte.servicedesk.services import event_add
from pacte.sla import clock as sla_clock
from pacte.sla.models import ServiceLevel, TargetKindChoice
from pacte.tenancy.models import Membership
from pacte.tenancy.permissions import MANAGERS

logger = logging.getLogger("pacte.servicedesk")

TEMPLATE = "mail/servicedesk/sla_notice"
BATCH = 500  # tickets per run (the oldest first); the next run, a minute later, takes the rest


@dataclass
class CheckReport:
    tickets: int = 0
    warnings: int = 0
    breaches: int = 0
    mails: int = 0
    failed: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "tickets": self.tickets,
            "warnings": self.warnings,
            "breaches": self.breaches,
            "mails": self.mails,
            "failed": self.failed,
        }


# The cause -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cause:
    """What made a target warn or breach, in facts; :func:`cause_text` says it in the active language."""

    kind: str  # SlaNoticeKind
    target: str  # TargetKind
    target_seconds: int
    calendar_time: bool  # 24×7 rather than business hours
    priority: str
    service_level: str  # its name
    late_seconds: int = 0  # breach: counted time past the target
    left_seconds: int = 0  # warning: counted time left
    percent: int = 0  # warning: the threshold crossed
    stopped: bool = False  # breach: the target stopped late (met late) rather than still running
    opened_priority: str = ""  # the priority at the opening, when it changed since
    paused: Mapping[str, int] = field(default_factory=dict)  # reason → counted seconds

    def as_data(self) -> dict[str, object]:
        return {
            "target": self.target,
            "target_seconds": self.target_seconds,
            "priority": self.priority,
            "service_level": self.service_level,
            "late_seconds": self.late_seconds,
            "left_seconds": self.left_seconds,
            "stopped": self.stopped,
            "paused_seconds": dict(self.paused),
        }


def duration_text(seconds: int) -> str:
    """``1 h``, ``25 min``, ``2 h 5 min``, ``< 1 min`` (in the active language)."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return _("< 1 min")
    hours, minutes = seconds // 3600, seconds % 3600 // 60
    if not hours:
        return _("%(minutes)d min") % {"minutes": minutes}
    if not minutes:
        return _("%(hours)d h") % {"hours": hours}
    return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}


def _reason_label(reason: str) -> str:
    labels = {
        sla_clock.PauseReason.WAITING_CLIENT: _("waiting on the client"),
        sla_clock.PauseReason.WAITING_THIRD_PARTY: _("waiting on a third party"),
        sla_clock.PauseReason.PLANNED: _("planned with the client"),
    }
    return labels.get(sla_clock.PauseReason(reason), reason)


def target_label(target: str) -> str:
    return str(TargetKindChoice(target).label)


def cause_text(cause: Cause) -> str:
    """E.g. "response target of 1 h (P1, Standard) exceeded by 25 min; paused 2 h waiting on the client"."""
    terms = (_("%(priority)s, %(level)s, 24×7") if cause.calendar_time else _("%(priority)s, %(level)s")) % {
        "priority": cause.priority,
        "level": cause.service_level,
    }
    values = {
        "target": target_label(cause.target),
        "duration": duration_text(cause.target_seconds),
        "terms": terms,
        "late": duration_text(cause.late_seconds),
        "left": duration_text(cause.left_seconds),
        "percent": cause.percent,
    }
    if cause.kind == SlaNoticeKind.WARNING:
        text = _("%(target)s target of %(duration)s (%(terms)s): past %(percent)s %%, %(left)s left") % values
    elif cause.stopped:
        text = _("%(target)s target of %(duration)s (%(terms)s) met %(late)s late") % values
    elif cause.late_seconds >= 60:
        text = _("%(target)s target of %(duration)s (%(terms)s) exceeded by %(late)s") % values
    else:
        text = _("%(target)s target of %(duration)s (%(terms)s) exceeded") % values
    parts = [text]
    if cause.opened_priority and cause.opened_priority != cause.priority:
        parts.append(_("priority changed from %(old)s, counted from the opening") % {"old": cause.opened_priority})
    paused = [
        _("paused %(duration)s %(reason)s") % {"duration": duration_text(s), "reason": _reason_label(r)}
        for r, s in cause.paused.items()
        if s > 0
    ]
    parts.append(", ".join(paused) if paused else _("not paused"))
    return "; ".join(parts)


_lazy_text = lazy(cause_text, str)


def _stored(cause: Cause) -> str:
    """The cause in the install's language (``SlaNotice.cause``, the timeline's data)."""
    with translation.override(settings.LANGUAGE_CODE):
        return cause_text(cause)[:300]


# Noticing -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Found:
    """A warning or breach to record: the outcome it is about and its cause."""

    kind: str
    outcome: sla_clock.TargetOutcome
    at: datetime.datetime
    cause: Cause


def _level_names(keys: set[str]) -> dict[str, str]:
    ids = [int(key) for key in keys if key != NO_LEVEL]
    return {str(pk): name for pk, name in ServiceLevel.objects.filter(pk__in=ids).values_list("pk", "name")}


def _cause(
    kind: str,
    outcome: sla_clock.TargetOutcome,
    opened_priority: str,
    terms: Mapping[str, sla_clock.ServiceLevelTerms],
    names: Mapping[str, str],
) -> Cause:
    late = left = percent = 0
    if kind == SlaNoticeKind.BREACH:
        late = max(0, outcome.elapsed_seconds - outcome.target_seconds)
    else:
        left = max(0, outcome.target_seconds - outcome.elapsed_seconds)
        percent = terms[outcome.service_level].warning_percent
    return Cause(
        kind=kind,
        target=outcome.kind.value,
        target_seconds=outcome.target_seconds,
        calendar_time=outcome.basis is sla_clock.Basis.CALENDAR,
        priority=outcome.priority.value,
        service_level=names.get(outcome.service_level, outcome.service_level),
        late_seconds=late,
        left_seconds=left,
        percent=percent,
        stopped=outcome.stopped_at is not None,
        opened_priority=opened_priority if opened_priority != outcome.priority.value else "",
        paused={reason.value: seconds for reason, seconds in outcome.paused_seconds.items()},
    )


def notices_due(ticket: Ticket, *, now: datetime.datetime) -> list[Found]:
    """The warnings and breaches of ``ticket`` that have come by ``now`` and are not yet recorded."""
    events = clock_events(ticket.events.filter(kind__in=CLOCK_KINDS))
    levels = {e.service_level for e in events if e.service_level is not None}
    terms = terms_for(ticket, levels)
    result = sla_clock.ticket_clock(events, now=now, terms=terms)
    opened = next(e for e in events if e.kind is sla_clock.EventKind.OPENED)
    recorded = notices_of(ticket)
    names = _level_names(levels)
    found = []
    for target, outcome in result.targets.items():
        if outcome.state is sla_clock.TargetState.BREACHED:
            if (target.value, SlaNoticeKind.BREACH) not in recorded:
                at = outcome.breached_at or result.as_of
                cause = _cause(SlaNoticeKind.BREACH, outcome, opened.priority or "", terms, names)
                found.append(Found(SlaNoticeKind.BREACH, outcome, at, cause))
        elif (
            outcome.state is sla_clock.TargetState.RUNNING
            and outcome.warning_at is not None
            and outcome.warning_at <= now
            and (target.value, SlaNoticeKind.WARNING) not in recorded
        ):
            found.append(
                Found(
                    SlaNoticeKind.WARNING,
                    outcome,
                    outcome.warning_at,
                    _cause(SlaNoticeKind.WARNING, outcome, opened.priority or "", terms, names),
                )
            )
    return found


def staff_recipients(ticket: Ticket) -> list[Recipient]:
    """The technician in charge, else the provider's admins and managers (active, with an address)."""
    assignee = ticket.assignee
    if assignee is not None and assignee.is_active and assignee.user.is_active and assignee.user.email:
        return [recipient_for_user(assignee.user)]
    managers = Membership.objects.filter(
        provider_id=ticket.provider_id, client__isnull=True, role__in=MANAGERS, is_active=True, user__is_active=True
    ).select_related("user")
    unique: dict[str, Recipient] = {}
    for member in managers.order_by("id"):
        if member.user.email:
            unique.setdefault(member.user.email.lower(), recipient_for_user(member.user))
    return list(unique.values())


def _local(at: datetime.datetime | None, zone: str) -> str:
    if at is None:
        return ""
    return formats.date_format(at.astimezone(ZoneInfo(zone)).replace(tzinfo=None), "DATETIME_FORMAT")


_lazy_local = lazy(_local, str)


def _mail(ticket: Ticket, notice: SlaNotice, found: Found, zone: str) -> int:
    recipients = staff_recipients(ticket)
    if not recipients:
        return 0
    context = {
        "reference": ticket.reference,
        "title": ticket.title,
        "client_name": ticket.client.name,
        "staff_url": notify._staff_url(ticket),
        "kind": found.kind,
        "target": lazy(target_label, str)(found.outcome.kind.value),
        "cause": _lazy_text(found.cause),
        "due": _lazy_local(found.outcome.due, zone),
        "at": _lazy_local(found.at, zone),
        "time_zone": zone,
        "priority": found.outcome.priority.value,
    }
    sent = mail_send(
        template=TEMPLATE,
        context=context,
        recipients=recipients,
        provider=ticket.provider,
        key=f"sla-notice:{notice.pk}",
        thread=f"{notify.thread_of(ticket)}:staff",
    )
    return len(sent)


def _zone(ticket: Ticket) -> str:
    if ticket.site is not None:
        return ticket.site.effective_time_zone
    return ticket.client.time_zone or settings.TIME_ZONE


def ticket_check(ticket: Ticket, *, now: datetime.datetime, report: CheckReport) -> None:
    """Record, log and mail what has come for one ticket (the caller holds its row lock), then refresh it."""
    zone = _zone(ticket)
    for found in notices_due(ticket, now=now + JUST_AFTER):  # the instant the refresh below reads
        notice = SlaNotice.objects.create(
            ticket=ticket,
            target=found.outcome.kind.value,
            kind=found.kind,
            at=found.at,
            due=found.outcome.due,
            priority=found.outcome.priority.value,
            cause=_stored(found.cause),
        )
        event_add(
            ticket,
            EventKind.SLA_BREACH if found.kind == SlaNoticeKind.BREACH else EventKind.SLA_WARNING,
            actor=None,
            at=min(found.at, now),
            data={
                **found.cause.as_data(),
                "due": found.outcome.due.isoformat() if found.outcome.due is not None else None,
                "cause": notice.cause,
            },
        )
        if found.kind == SlaNoticeKind.BREACH:
            report.breaches += 1
        else:
            report.warnings += 1
        if ticket.status not in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
            report.mails += _mail(ticket, notice, found, zone)
    ticket_sla_refresh(ticket, now=now)


def _locked(pk: int) -> Ticket | None:
    return (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("provider", "client", "site__client", "service_level__calendar", "assignee__user")
        .filter(pk=pk)
        .first()
    )


def sla_check(*, now: datetime.datetime | None = None, limit: int = BATCH) -> dict[str, int]:
    """The periodic job: notice the warnings and breaches that have come (see the module's docstring)."""
    now = now or timezone.now()
    report = CheckReport()
    due = Ticket.objects.filter(next_warning__lte=now).order_by("next_warning", "pk")
    for pk in list(due.values_list("pk", flat=True)[:limit]):
        try:
            with transaction.atomic():
                ticket = _locked(pk)
                if ticket is None or ticket.next_warning is None or ticket.next_warning > now:
                    continue  # refreshed meanwhile
                ticket_check(ticket, now=now, report=report)
                report.tickets += 1
        except sla_clock.ClockError:
            logger.exception("Ticket %s: its SLA log cannot be folded; it is left out of the SLA job.", pk)
            Ticket.objects.filter(pk=pk).update(next_warning=None)
            report.failed += 1
        except Exception:
            logger.exception("Ticket %s: the SLA job failed on it; it is tried again at the next run.", pk)
            report.failed += 1
    return report.as_dict()
