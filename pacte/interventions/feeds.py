"""iCalendar feeds behind secret URLs: a technician's planning, a client's preventive visits.

A feed's URL carries a random token (``secrets.token_urlsafe(32)``) shown once when the feed is
created; only its SHA-256 is stored, so a lost URL is revoked and replaced, never shown again.
An unknown or revoked token is a 404, as is a technician's feed once their access is deactivated.

- A technician manages their own feed; a manager (admin, manager) creates and revokes feeds for
  any technician of the provider and for a client (that client's preventive visits).
- A client's manager creates, sees and revokes, in the portal, their own company's client feeds made
  in the portal (by any manager of that company; not the provider's). Such a feed stops (404) once
  the manager who made it no longer manages the company (deactivated, or made a plain user).
- A technician's feed: the sheets they are on, planned from 30 days ago to a year ahead
  (cancelled ones too, as ``STATUS:CANCELLED``, so calendars drop them).
- A client's feed: its planned preventive visits (sheets with a ``visit``) and, for the preventive
  visits not planned yet, an all-day event over their due window. No internal notes: the title,
  the mode, the place and the technicians' names only.

Each sheet is one VEVENT with a stable UID (``intervention-<pk>@<host>``), its start and end in the
time zone of its place (with the VTIMEZONE that icalendar builds), SEQUENCE and LAST-MODIFIED from
the sheet's last change.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import icalendar
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from pacte.audit.services import audit_record
from pacte.interventions.models import (
    CalendarFeed,
    FeedKind,
    Intervention,
    Mode,
    PreventiveVisit,
    SheetStatus,
    VisitStatus,
)
from pacte.interventions.permissions import can_manage_interventions, is_staff
from pacte.interventions.planning import person, sheet_zone
from pacte.tenancy.models import PROVIDER_ROLES, Client, Membership, Role

PAST = datetime.timedelta(days=30)
AHEAD = datetime.timedelta(days=365)
#: ``last_used_at`` is written at most this often (a calendar polls every few minutes).
TOUCH_EVERY = datetime.timedelta(minutes=1)
LABEL_MAX = 100


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def feed_url(token: str) -> str:
    return settings.PACTE_BASE_URL.rstrip("/") + reverse("interventions:feed_ics", args=[token])


# Reads -------------------------------------------------------------------------------------------


def is_client_manager(actor: Membership) -> bool:
    """A client's active manager: manages their company's feeds in the portal."""
    return actor.role == Role.CLIENT_MANAGER and actor.is_active and actor.client_id is not None


def feed_list(*, actor: Membership) -> QuerySet[CalendarFeed]:
    """Managers: every feed of the provider; a technician: their own; a client's manager: their company's
    portal feeds. Revoked ones included (shown so). Anyone else: ``PermissionDenied``."""
    feeds = CalendarFeed.objects.filter(provider_id=actor.provider_id).select_related(
        "technician__user", "client", "created_by__user"
    )
    if is_client_manager(actor):
        company = actor.client_id or 0
        feeds = feeds.filter(kind=FeedKind.CLIENT, client_id=company, created_by__client_id=company)
    elif not is_staff(actor):
        raise PermissionDenied
    elif not can_manage_interventions(actor):
        feeds = feeds.filter(kind=FeedKind.TECHNICIAN, technician=actor)
    return feeds.order_by("revoked_at", "-created_at", "-id")


def feed_get(*, actor: Membership, pk: int) -> CalendarFeed:
    try:
        return feed_list(actor=actor).get(pk=pk)
    except CalendarFeed.DoesNotExist as error:
        raise Http404 from error


def feed_by_token(token: str) -> CalendarFeed:
    """The live feed of ``token``, else ``Http404`` (unknown, revoked, or its technician deactivated)."""
    if not token or len(token) > 200:
        raise Http404
    feed = (
        CalendarFeed.objects.filter(token_hash=token_hash(token), revoked_at__isnull=True)
        .select_related("provider", "technician", "client", "created_by")
        .first()
    )
    if feed is None or feed.provider.archived_at is not None:
        raise Http404
    if feed.kind == FeedKind.TECHNICIAN and (feed.technician is None or not feed.technician.is_active):
        raise Http404
    if feed.kind == FeedKind.CLIENT and (feed.client is None or feed.client.archived_at is not None):
        raise Http404
    maker = feed.created_by
    if (
        maker is not None
        and maker.is_client_side
        and not (is_client_manager(maker) and maker.client_id == feed.client_id)
    ):
        raise Http404
    return feed


def feed_touch(feed: CalendarFeed, now: datetime.datetime | None = None) -> None:
    """Record the feed's use, at most once a minute (one UPDATE that matches nothing in between)."""
    now = now or timezone.now()
    CalendarFeed.objects.filter(pk=feed.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - TOUCH_EVERY)
    ).update(last_used_at=now)


# Writes ------------------------------------------------------------------------------------------


@transaction.atomic
def feed_create(
    *,
    actor: Membership,
    kind: str,
    technician: Membership | None = None,
    client: Client | None = None,
    label: str = "",
) -> tuple[CalendarFeed, str]:
    """A new feed and its token (returned once, never stored).

    A technician's feed defaults to the actor's; a client's manager makes their own company's client feed.
    """
    portal = is_client_manager(actor)
    if not is_staff(actor) and not portal:
        raise PermissionDenied
    label = " ".join((label or "").split())
    errors: dict[str, str] = {}
    if len(label) > LABEL_MAX:
        errors["label"] = _("The label is too long (at most 100 characters).")
    if kind == FeedKind.TECHNICIAN:
        if portal:
            raise PermissionDenied
        technician = technician or actor
        client = None
        if technician.pk != actor.pk and not can_manage_interventions(actor):
            raise PermissionDenied
        if (
            technician.provider_id != actor.provider_id
            or technician.role not in PROVIDER_ROLES
            or not technician.is_active
        ):
            errors["technician"] = _("Choose one of the provider's active technicians.")
    elif kind == FeedKind.CLIENT:
        if portal:
            client = client or actor.client
            if client is None or client.pk != actor.client_id:
                raise PermissionDenied
        elif not can_manage_interventions(actor):
            raise PermissionDenied
        technician = None
        if client is None:
            errors["client"] = _("Choose the client.")
        elif client.provider_id != actor.provider_id:
            errors["client"] = _("Choose one of your clients.")
        elif client.archived_at is not None:
            errors["client"] = _("This client is archived.")
    else:
        errors["kind"] = _("A feed is a technician's planning or a client's preventive visits.")
    if errors:
        raise ValidationError(errors)
    token = secrets.token_urlsafe(32)
    feed = CalendarFeed.objects.create(
        provider_id=actor.provider_id,
        kind=kind,
        technician=technician,
        client=client,
        label=label,
        token_hash=token_hash(token),
        created_by=actor,
    )
    audit_record(
        actor=actor,
        action="intervention.feed_create",
        instance=feed,
        provider=actor.provider,
        after={"kind": kind, "technician": getattr(technician, "pk", None), "client": getattr(client, "pk", None)},
    )
    return feed, token


@transaction.atomic
def feed_revoke(*, actor: Membership, feed: CalendarFeed) -> CalendarFeed:
    """Revoke the feed: its URL answers 404 from now on. Revoking twice changes nothing.

    Only a feed the actor sees in ``feed_list`` (a manager: any; a technician, a client's manager: theirs).
    """
    if not feed_list(actor=actor).filter(pk=feed.pk).exists():
        raise PermissionDenied
    locked = CalendarFeed.objects.select_for_update().get(pk=feed.pk)
    if locked.revoked_at is not None:
        return locked
    locked.revoked_at = timezone.now()
    locked.save(update_fields=["revoked_at"])
    audit_record(
        actor=actor,
        action="intervention.feed_revoke",
        instance=locked,
        provider=actor.provider,
        after={"revoked": True},
    )
    return locked


# The calendar ------------------------------------------------------------------------------------


def _host() -> str:
    return urlsplit(settings.PACTE_BASE_URL).hostname or "pacte.localhost"


def _address(sheet: Intervention) -> str:
    site = sheet.site
    if site is None:
        return ""
    place = " ".join(part for part in (site.postal_code, site.city) if part)
    return ", ".join(part for part in (site.name, site.address, place) if part)


def _sequence(sheet: Intervention) -> int:
    """Grows with every change of the sheet (seconds between its creation and its last change)."""
    return max(0, int((sheet.updated_at - sheet.created_at).total_seconds()))


def _sheet_event(sheet: Intervention, *, host: str, now: datetime.datetime, for_client: bool) -> icalendar.Event:
    assert sheet.planned_start is not None and sheet.planned_end is not None
    zone = ZoneInfo(sheet_zone(sheet))
    event = icalendar.Event()
    event.add("uid", f"intervention-{sheet.pk}@{host}")
    event.add("dtstamp", now)
    event.add("dtstart", sheet.planned_start.astimezone(zone))
    event.add("dtend", sheet.planned_end.astimezone(zone))
    event.add("summary", f"{sheet.reference} · {sheet.client.name}")
    address = _address(sheet)
    if address:
        event.add("location", address)
    technicians = ", ".join(person(member) for member in sheet.technicians.all())
    lines = [sheet.title, _("Mode: %(mode)s") % {"mode": Mode(sheet.mode).label}]
    if technicians:
        lines.append(_("Technicians: %(names)s") % {"names": technicians})
    if not for_client:
        if sheet.ticket is not None:
            lines.append(_("Ticket: %(reference)s") % {"reference": sheet.ticket.reference})
        lines.append(settings.PACTE_BASE_URL.rstrip("/") + sheet.get_absolute_url())
    event.add("description", "\n".join(lines))
    event.add("status", "CANCELLED" if sheet.status == SheetStatus.CANCELLED else "CONFIRMED")
    event.add("sequence", _sequence(sheet))
    event.add("last-modified", sheet.updated_at.astimezone(datetime.UTC))
    return event


def _visit_event(visit: PreventiveVisit, *, host: str, now: datetime.datetime) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", f"preventive-visit-{visit.pk}@{host}")
    event.add("dtstamp", now)
    event.add("dtstart", visit.due_from)
    event.add("dtend", visit.due_until + datetime.timedelta(days=1))
    event.add("summary", _("Preventive visit to plan: %(plan)s") % {"plan": visit.plan.name})
    event.add(
        "description",
        _("Visit %(sequence)s of the contract year, due between %(start)s and %(end)s.")
        % {
            "sequence": visit.sequence,
            "start": visit.due_from.strftime("%d/%m/%Y"),
            "end": visit.due_until.strftime("%d/%m/%Y"),
        },
    )
    event.add("transp", "TRANSPARENT")
    event.add("status", "TENTATIVE")
    event.add("last-modified", visit.updated_at.astimezone(datetime.UTC))
    return event


def _sheet_query(feed: CalendarFeed) -> QuerySet[Intervention]:
    return Intervention.objects.filter(provider_id=feed.provider_id, planned_start__isnull=False).select_related(
        "client", "site__client", "ticket"
    )


def feed_sheets(feed: CalendarFeed, now: datetime.datetime) -> list[Intervention]:
    """The sheets a feed lists (see the module's docstring)."""
    sheets = _sheet_query(feed).prefetch_related(
        Prefetch("technicians", queryset=Membership.objects.select_related("user").order_by("id"))
    )
    if feed.kind == FeedKind.TECHNICIAN:
        sheets = sheets.filter(
            technicians=feed.technician_id, planned_start__gte=now - PAST, planned_start__lte=now + AHEAD
        )
    else:
        client_id = feed.client_id
        if client_id is None:
            return []
        sheets = sheets.filter(client_id=client_id, visit__isnull=False).filter(
            Q(planned_start__gte=now - PAST * 12) & Q(planned_start__lte=now + AHEAD)
        )
    return list(sheets.order_by("planned_start", "id"))


def feed_unplanned_visits(feed: CalendarFeed, now: datetime.datetime) -> list[PreventiveVisit]:
    """A client feed's preventive visits due or late with no live sheet planned for them."""
    client_id = feed.client_id
    if feed.kind != FeedKind.CLIENT or client_id is None:
        return []
    today = now.date()
    planned = Intervention.objects.filter(
        provider_id=feed.provider_id, client_id=client_id, visit_id__isnull=False, planned_start__isnull=False
    ).exclude(status=SheetStatus.CANCELLED)
    return list(
        PreventiveVisit.objects.filter(
            provider_id=feed.provider_id,
            client_id=client_id,
            status__in=[VisitStatus.DUE, VisitStatus.LATE],
            due_until__gte=today - PAST,
            due_from__lte=today + AHEAD,
        )
        .exclude(pk__in=planned.values("visit_id"))
        .select_related("plan")
        .order_by("due_from", "id")
    )


def feed_calendar(feed: CalendarFeed, *, now: datetime.datetime | None = None) -> bytes:
    """The feed as an iCalendar document (UTF-8)."""
    now = now or timezone.now()
    host = _host()
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Pacte//Interventions//FR")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    if feed.kind == FeedKind.TECHNICIAN:
        assert feed.technician is not None
        name = _("Planning of %(name)s") % {"name": person(feed.technician)}
    else:
        assert feed.client is not None
        name = _("Preventive visits: %(client)s") % {"client": feed.client.name}
    calendar.add("x-wr-calname", name)
    for sheet in feed_sheets(feed, now):
        calendar.add_component(_sheet_event(sheet, host=host, now=now, for_client=feed.kind == FeedKind.CLIENT))
    for visit in feed_unplanned_visits(feed, now):
        calendar.add_component(_visit_event(visit, host=host, now=now))
    first = (now - PAST * 13).date().replace(month=1, day=1)
    last = (now + AHEAD * 2).date()
    calendar.add_missing_timezones(first_date=first, last_date=last)
    return calendar.to_ical()
