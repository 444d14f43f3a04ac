"""Forms of the provider's service desk pages: queue filters, logging a call, the ticket page's actions, settings.

Forms parse and offer only what the actor may choose (scoped querysets); the services decide.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from pacte.assets.models import Asset
from pacte.contracts.models import ServiceCategory
from pacte.servicedesk.models import Channel, Coverage, Level, SlaState, Team, Ticket, TicketStatus, UnknownSender
from pacte.servicedesk.priority import DEFAULT_MATRIX, LEVELS
from pacte.servicedesk.selectors import TicketFilters
from pacte.tenancy.models import Client, Contact, Membership, Site

PRIORITIES = (("P1", "P1"), ("P2", "P2"), ("P3", "P3"), ("P4", "P4"))
FORMATS = (("text", _("Plain text")), ("markdown", _("Markdown")))
#: Coverage filter value for "hors contrat": out of scope or no contract at all.
OUTSIDE = "outside"
#: The channels a technician logs a call from.
CALL_CHANNELS = (Channel.PHONE, Channel.EMAIL, Channel.DESK, Channel.PORTAL)
SORTS = (("due", _("Next due first")), ("recent", _("Most recent activity")))


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return person_name(obj)


class PeopleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return person_name(obj)


class AssetChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        extra = obj.serial or obj.hostname
        return f"{obj.name} ({extra})" if extra and extra != obj.name else obj.name


def _field(form: forms.Form, name: str) -> Any:
    """A field of ``form`` (typed loosely: its ``choices`` and ``queryset`` are set per request)."""
    return form.fields[name]


def person_name(membership: Membership) -> str:
    return membership.user.get_full_name() or membership.user.email


# The queue --------------------------------------------------------------------------------------


class QueueFilterForm(forms.Form):
    """The queue's filters, from the query string. A value that is not one of the choices is ignored."""

    status = forms.ChoiceField(required=False)
    priority = forms.ChoiceField(required=False, choices=(("", _("Any priority")), *PRIORITIES))
    client = forms.ModelChoiceField(queryset=Client.objects.none(), required=False, empty_label=_("All clients"))
    technician = forms.ChoiceField(required=False)
    team = forms.ModelChoiceField(queryset=Team.objects.none(), required=False, empty_label=_("All teams"))
    sla = forms.ChoiceField(required=False)
    coverage = forms.ChoiceField(required=False)
    q = forms.CharField(required=False, max_length=200)
    sort = forms.ChoiceField(required=False, choices=SORTS)

    def __init__(
        self,
        data: Any,
        *,
        clients: QuerySet[Client],
        technicians: list[Membership],
        teams: QuerySet[Team],
    ) -> None:
        super().__init__(data)
        _field(self, "status").choices = [
            ("open", _("Open tickets")),
            ("all", _("All statuses")),
            *TicketStatus.choices,
        ]
        _field(self, "client").queryset = clients
        self.fields["client"].widget.attrs["aria-label"] = _("Client")
        self.fields["team"].widget.attrs["aria-label"] = _("Team")
        _field(self, "technician").choices = [
            ("", _("Any technician")),
            ("me", _("Assigned to me")),
            ("none", _("Unassigned")),
            *((str(m.pk), person_name(m)) for m in technicians),
        ]
        _field(self, "team").queryset = teams
        _field(self, "sla").choices = [
            ("", _("Any SLA state")),
            ("risk", _("At risk or breached")),
            *((value, label) for value, label in SlaState.choices if value != SlaState.NONE),
            (SlaState.NONE.value, _("No SLA")),
        ]
        _field(self, "coverage").choices = [("", _("Any coverage")), (OUTSIDE, _("Out of contract")), *Coverage.choices]

    def value(self, name: str) -> Any:
        """The valid value of a filter (ignored, i.e. empty, when it was not one of the choices)."""
        if not hasattr(self, "cleaned_data"):
            self.is_valid()
        return self.cleaned_data.get(name) or ""

    @property
    def status_value(self) -> str:
        raw = self.data.get("status") if self.data is not None else None
        if raw is None:
            return "open"  # the default view: what is still to be done
        return self.value("status") or "open"

    @property
    def sort_value(self) -> str:
        return self.value("sort") or "due"

    def filters(self, actor: Membership) -> TicketFilters:
        status = self.status_value
        technician = self.value("technician")
        assignee_id: int | None = None
        if technician == "me":
            assignee_id = actor.pk
        elif technician == "none":
            assignee_id = 0
        elif technician:
            assignee_id = int(technician)
        client = self.value("client")
        team = self.value("team")
        coverage = self.value("coverage")
        return TicketFilters(
            status="" if status == "all" else status,
            priority=self.value("priority"),
            client_id=client.pk if client else None,
            assignee_id=assignee_id,
            team_id=team.pk if team else None,
            sla=self.value("sla"),
            coverage="" if coverage == OUTSIDE else coverage,
            search=self.value("q"),
        )

    @property
    def outside_contract(self) -> bool:
        return self.value("coverage") == OUTSIDE

    @property
    def filtered(self) -> bool:
        names = ("priority", "client", "technician", "team", "sla", "coverage", "q")
        return any(self.value(name) for name in names) or self.status_value != "open"


class BulkForm(forms.Form):
    """Rows ticked in the queue, and one change for all of them."""

    ids = forms.TypedMultipleChoiceField(
        coerce=int, required=True, error_messages={"required": _("Tick at least one ticket.")}
    )
    assignee = forms.ChoiceField(required=False)
    status = forms.ChoiceField(required=False)
    next = forms.CharField(required=False, max_length=2000)

    def __init__(self, data: Any, *, technicians: list[Membership]) -> None:
        super().__init__(data)
        ids = data.getlist("ids") if hasattr(data, "getlist") else data.get("ids", [])
        _field(self, "ids").choices = [(value, value) for value in ids[:500]]
        _field(self, "assignee").choices = [
            ("", _("Keep the technician")),
            ("none", _("Nobody (unassign)")),
            *((str(m.pk), person_name(m)) for m in technicians),
        ]
        _field(self, "status").choices = [("", _("Keep the status")), *TicketStatus.choices]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("assignee") and not data.get("status"):
            raise forms.ValidationError(_("Choose a technician or a status to apply."))
        return data


class SavedViewForm(forms.Form):
    name = forms.CharField(label=_("Name of the view"), max_length=80)
    query = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)


# Logging a call ------------------------------------------------------------------------------------


class TicketCreateForm(forms.Form):
    """The phone-call form: the client first; its contacts, sites and equipment follow it."""

    client = forms.ModelChoiceField(
        label=_("Client"), queryset=Client.objects.none(), empty_label=_("Choose a client…")
    )
    requester = forms.ModelChoiceField(
        label=_("Requester"), queryset=Contact.objects.none(), required=False, empty_label=_("Nobody in particular")
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, max_length=100_000, widget=forms.Textarea(attrs={"rows": 5})
    )
    description_format = forms.ChoiceField(
        label=_("Format"), choices=FORMATS, initial="text", widget=forms.RadioSelect, required=False
    )
    site = forms.ModelChoiceField(
        label=_("Site"), queryset=Site.objects.none(), required=False, empty_label=_("No site")
    )
    assets = AssetChoiceField(label=_("Equipment"), queryset=Asset.objects.none(), required=False)
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=ServiceCategory.objects.none(), required=False, empty_label=_("No category")
    )
    impact = forms.ChoiceField(label=_("Impact"), choices=Level.choices, initial=Level.MEDIUM)
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Level.choices, initial=Level.MEDIUM)
    channel = forms.ChoiceField(
        label=_("Channel"), choices=[(c.value, c.label) for c in CALL_CHANNELS], initial=Channel.PHONE
    )

    def __init__(
        self,
        data: Any = None,
        *,
        clients: QuerySet[Client],
        contacts: QuerySet[Contact],
        sites: QuerySet[Site],
        assets: QuerySet[Asset],
        categories: QuerySet[ServiceCategory],
        initial: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(data, initial=initial)
        _field(self, "client").queryset = clients
        _field(self, "requester").queryset = contacts
        _field(self, "site").queryset = sites
        _field(self, "assets").queryset = assets
        _field(self, "category").queryset = categories
        chosen = (initial or {}).get("client") or (data or {}).get("client")
        focus = "title" if chosen else "client"
        self.fields[focus].widget.attrs["autofocus"] = True
        self.fields["title"].widget.attrs.update(
            {"placeholder": _("What the caller reports, in a few words"), "autocomplete": "off"}
        )
        self.fields["assets"].widget.attrs["size"] = 4


# The ticket page -------------------------------------------------------------------------------------


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Message"), required=False, max_length=100_000, widget=forms.Textarea(attrs={"rows": 5})
    )
    body_format = forms.ChoiceField(label=_("Format"), choices=FORMATS, initial="text", widget=forms.RadioSelect)
    visibility = forms.ChoiceField(
        label=_("Send as"),
        choices=(("public", _("Reply to the client")), ("internal", _("Internal note"))),
        initial="public",
        widget=forms.RadioSelect,
    )


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"))
    comment = forms.CharField(label=_("Comment"), required=False, max_length=500)

    def __init__(self, data: Any = None, *, allowed: list[tuple[str, str]]) -> None:
        super().__init__(data)
        _field(self, "status").choices = allowed
        self.fields["status"].error_messages["invalid_choice"] = _("This ticket cannot move to that status now.")


class AssignForm(forms.Form):
    assignee = PersonChoiceField(
        label=_("Technician"), queryset=Membership.objects.none(), required=False, empty_label=_("Nobody")
    )
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.none(), required=False, empty_label=_("No team")
    )

    def __init__(
        self, data: Any = None, *, technicians: QuerySet[Membership], teams: QuerySet[Team], ticket: Ticket
    ) -> None:
        super().__init__(data, initial={"assignee": ticket.assignee_id, "team": ticket.team_id})
        _field(self, "assignee").queryset = technicians
        _field(self, "team").queryset = teams


class TicketUpdateForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    requester = forms.ModelChoiceField(
        label=_("Requester"), queryset=Contact.objects.none(), required=False, empty_label=_("Nobody in particular")
    )
    site = forms.ModelChoiceField(
        label=_("Site"), queryset=Site.objects.none(), required=False, empty_label=_("No site")
    )
    assets = AssetChoiceField(label=_("Equipment"), queryset=Asset.objects.none(), required=False)
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=ServiceCategory.objects.none(), required=False, empty_label=_("No category")
    )
    impact = forms.ChoiceField(label=_("Impact"), choices=Level.choices)
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Level.choices)

    def __init__(
        self,
        data: Any = None,
        *,
        ticket: Ticket,
        contacts: QuerySet[Contact],
        sites: QuerySet[Site],
        assets: QuerySet[Asset],
        categories: QuerySet[ServiceCategory],
    ) -> None:
        initial = {
            "title": ticket.title,
            "requester": ticket.requester_id,
            "site": ticket.site_id,
            "assets": [a.pk for a in ticket.assets.all()],
            "category": ticket.category_id,
            "impact": ticket.impact,
            "urgency": ticket.urgency,
        }
        super().__init__(data, initial=initial)
        _field(self, "requester").queryset = contacts
        _field(self, "site").queryset = sites
        _field(self, "assets").queryset = assets
        _field(self, "category").queryset = categories
        self.fields["assets"].widget.attrs["size"] = 5


class QuoteForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Amount excl. VAT (€)"),
        max_digits=10,
        decimal_places=2,
        min_value=Decimal("0.01"),
        localize=True,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "180,00"}),
    )
    description = forms.CharField(label=_("Work quoted"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))


# Settings -------------------------------------------------------------------------------------------


class DeskSettingsForm(forms.Form):
    """The impact × urgency grid (one select per cell), the unknown-sender policy, the support address."""

    unknown_sender = forms.ChoiceField(
        label=_("E-mail from unknown senders"), choices=UnknownSender.choices, widget=forms.RadioSelect
    )
    inbound_address = forms.EmailField(
        label=_("Support address"),
        required=False,
        max_length=254,
        error_messages={"invalid": _("Enter a valid e-mail address.")},
        help_text=_("Where clients write to open a ticket by e-mail."),
    )

    def __init__(self, data: Any = None, *, matrix: dict[str, str], unknown_sender: str, inbound_address: str) -> None:
        initial: dict[str, Any] = {"unknown_sender": unknown_sender, "inbound_address": inbound_address}
        for key, default in DEFAULT_MATRIX.items():
            initial[self.cell_name(key)] = matrix.get(key) or default
        super().__init__(data, initial=initial)
        for impact in LEVELS:
            for urgency in LEVELS:
                key = f"{impact}:{urgency}"
                self.fields[self.cell_name(key)] = forms.ChoiceField(
                    label=_("Impact %(impact)s, urgency %(urgency)s")
                    % {"impact": Level(impact).label, "urgency": Level(urgency).label},
                    choices=PRIORITIES,
                    error_messages={"invalid_choice": _("Each cell of the matrix is P1, P2, P3 or P4.")},
                )

    @staticmethod
    def cell_name(key: str) -> str:
        return "cell_" + key.replace(":", "_")

    def matrix(self) -> dict[str, str]:
        return {key: self.cleaned_data[self.cell_name(key)] for key in DEFAULT_MATRIX}

    def grid(self) -> list[tuple[Any, list[forms.BoundField]]]:
        """Rows of the grid (impact) with their cells (urgency), for the template."""
        return [
            (Level(impact).label, [self[self.cell_name(f"{impact}:{urgency}")] for urgency in LEVELS])
            for impact in LEVELS
        ]


class TeamForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    members = PeopleChoiceField(
        label=_("Members"), queryset=Membership.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(
        self,
        data: Any = None,
        *,
        technicians: QuerySet[Membership],
        team: Team | None = None,
        prefix: str | None = None,
    ) -> None:
        initial = {"name": team.name, "members": [m.pk for m in team.members.all()]} if team is not None else None
        super().__init__(data, initial=initial, prefix=prefix)
        _field(self, "members").queryset = technicians
