"""Writes of the service desk's settings pages: the desk settings, teams, and each person's saved queue views.

Same rules as every service: the permission is checked first (managers for the desk's settings and
teams, the person themself for a saved view), the input is validated (``ValidationError`` per
field, nothing saved), one transaction, one audit event per change.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from urllib.parse import parse_qsl, urlencode

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from pacte.audit.services import archive_once, audit_record
from pacte.core.errors import ConflictError
from pacte.servicedesk.models import SavedView, ServiceDeskSettings, Team, UnknownSender
from pacte.servicedesk.permissions import can_manage_desk, can_work_tickets
from pacte.servicedesk.priority import DEFAULT_MATRIX, matrix_error
from pacte.tenancy.models import PROVIDER_ROLES, Membership
from pacte.tenancy.permissions import require

TEAM_NAME_MAX = 100
VIEW_NAME_MAX = 80
VIEW_QUERY_MAX = 1000
#: The query-string keys a saved view keeps (the queue's filters and sort; never a cursor).
VIEW_KEYS = ("status", "priority", "client", "technician", "team", "sla", "coverage", "q", "sort")


# Desk settings ------------------------------------------------------------------------------------


@transaction.atomic
def desk_settings_update(
    *,
    actor: Membership,
    priority_matrix: Mapping[str, str],
    unknown_sender: str,
    inbound_address: str,
) -> ServiceDeskSettings:
    """Save the priority matrix, the unknown-sender policy and the support address (managers only)."""
    require(can_manage_desk(actor))
    errors: dict[str, str] = {}
    matrix = dict(priority_matrix)
    problem = matrix_error(matrix)
    if problem is not None:
        errors["priority_matrix"] = _("Each cell of the matrix is P1, P2, P3 or P4.")
    if unknown_sender not in UnknownSender.values:
        errors["unknown_sender"] = _("Choose what happens to e-mail from unknown senders.")
    address = (inbound_address or "").strip().lower()
    if address:
        try:
            validate_email(address)
        except ValidationError:
            errors["inbound_address"] = _("Enter a valid e-mail address.")
    if errors:
        raise ValidationError(errors)
    # Only the cells that differ from the default are stored: the default may still improve.
    stored = {key: value for key, value in matrix.items() if DEFAULT_MATRIX.get(key) != value}
    settings, created = ServiceDeskSettings.objects.select_for_update().get_or_create(provider_id=actor.provider_id)
    before = {
        "priority_matrix": settings.priority_matrix,
        "unknown_sender": settings.unknown_sender,
        "inbound_address": settings.inbound_address,
    }
    after = {"priority_matrix": stored, "unknown_sender": unknown_sender, "inbound_address": address}
    if before == after and not created:
        return settings
    settings.priority_matrix, settings.unknown_sender, settings.inbound_address = stored, unknown_sender, address
    settings.save()
    audit_record(
        actor=actor,
        action="servicedesk.settings",
        instance=settings,
        provider=actor.provider,
        before={key: value for key, value in before.items() if before[key] != after[key]},
        after={key: value for key, value in after.items() if before[key] != after[key]},
    )
    return settings


# Teams --------------------------------------------------------------------------------------------


def _team_name(actor: Membership, name: str, team: Team | None = None) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": _("Give the team a name.")})
    if len(name) > TEAM_NAME_MAX:
        raise ValidationError({"name": _("The name is too long (at most 100 characters).")})
    taken = Team.objects.filter(provider_id=actor.provider_id, name__iexact=name)
    if team is not None:
        taken = taken.exclude(pk=team.pk)
    if taken.exists():
        raise ValidationError({"name": _("Another team already has this name.")})
    return name


def _team_members(actor: Membership, members: Iterable[Membership]) -> list[Membership]:
    chosen = list(members)
    if any(m.provider_id != actor.provider_id or m.role not in PROVIDER_ROLES or not m.is_active for m in chosen):
        raise ValidationError({"members": _("Members are people of your own team.")})
    return chosen


def _save_team(team: Team) -> None:
    try:
        with transaction.atomic():
            team.save()
    except IntegrityError as error:  # a concurrent team of the same name
        raise ValidationError({"name": _("Another team already has this name.")}) from error


@transaction.atomic
def team_create(*, actor: Membership, name: str, members: Iterable[Membership] = ()) -> Team:
    require(can_manage_desk(actor))
    team = Team(provider_id=actor.provider_id, name=_team_name(actor, name))
    chosen = _team_members(actor, members)
    _save_team(team)
    team.members.set(chosen)
    audit_record(
        actor=actor,
        action="servicedesk.team_create",
        instance=team,
        provider=actor.provider,
        after={"name": team.name, "members": sorted(m.pk for m in chosen)},
    )
    return team


@transaction.atomic
def team_update(*, actor: Membership, team: Team, name: str, members: Iterable[Membership]) -> Team:
    """Rename a team and set its members (an archived team no longer changes)."""
    if team.provider_id != actor.provider_id:
        raise PermissionDenied
    require(can_manage_desk(actor))
    team = Team.objects.select_for_update().get(pk=team.pk)
    if team.archived_at is not None:
        raise ConflictError(_("This team is archived."))
    new_name = _team_name(actor, name, team)
    chosen = _team_members(actor, members)
    before = {"name": team.name, "members": sorted(team.members.values_list("pk", flat=True))}
    after = {"name": new_name, "members": sorted(m.pk for m in chosen)}
    if before == after:
        return team
    team.name = new_name
    _save_team(team)
    team.members.set(chosen)
    audit_record(
        actor=actor,
        action="servicedesk.team_update",
        instance=team,
        provider=actor.provider,
        before={key: value for key, value in before.items() if before[key] != after[key]},
        after={key: value for key, value in after.items() if before[key] != after[key]},
    )
    return team


@transaction.atomic
def team_archive(*, actor: Membership, team: Team) -> Team:
    """Archive a team: it leaves the assignment lists; tickets keep it in their history."""
    if team.provider_id != actor.provider_id:
        raise PermissionDenied
    require(can_manage_desk(actor))
    team = Team.objects.select_for_update().get(pk=team.pk)
    archive_once(actor=actor, instance=team, action="servicedesk.team_archive")
    return team


# Saved views --------------------------------------------------------------------------------------


def clean_view_query(query: str) -> str:
    """Only the queue's filter keys, non-empty, in a stable order (a cursor or anything else is dropped)."""
    pairs = parse_qsl(query or "", keep_blank_values=False)
    kept = [(key, value[:200]) for key, value in pairs if key in VIEW_KEYS and value]
    kept.sort(key=lambda pair: VIEW_KEYS.index(pair[0]))
    return urlencode(kept)


@transaction.atomic
def saved_view_create(*, actor: Membership, name: str, query: str) -> SavedView:
    """Save the queue's current filters under a name, for the acting person only (same name: replaced)."""
    require(can_work_tickets(actor))
    name = " ".join((name or "").split())
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = _("Give the view a name.")
    elif len(name) > VIEW_NAME_MAX:
        errors["name"] = _("The name is too long (at most 80 characters).")
    cleaned = clean_view_query(query)
    if len(cleaned) > VIEW_QUERY_MAX:
        errors["query"] = _("These filters are too long to be saved.")
    if errors:
        raise ValidationError(errors)
    view, created = SavedView.objects.select_for_update().get_or_create(
        membership=actor, name=name, defaults={"query": cleaned}
    )
    if not created:
        if view.query == cleaned:
            return view
        before = view.query
        view.query = cleaned
        view.save(update_fields=["query", "updated_at"])
        audit_record(
            actor=actor,
            action="servicedesk.view_update",
            instance=view,
            provider=actor.provider,
            before={"query": before},
            after={"query": cleaned},
        )
        return view
    audit_record(
        actor=actor,
        action="servicedesk.view_create",
        instance=view,
        provider=actor.provider,
        after={"name": name, "query": cleaned},
    )
    return view


@transaction.atomic
def saved_view_delete(*, actor: Membership, view: SavedView) -> None:
    if view.membership_id != actor.pk:
        raise PermissionDenied
    audit_record(
        actor=actor,
        action="servicedesk.view_delete",
        instance=view,
        provider=actor.provider,
        before={"name": view.name, "query": view.query},
    )
    view.delete()
