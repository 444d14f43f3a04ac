"""Forms of the received e-mail pages (filters, accepting a held mail) and of the mailboxes.

The forms offer only what the actor may choose (scoped querysets); the services validate and decide.
The mailbox form never renders a password back (``PasswordInput`` without ``render_value``).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from pacte.servicedesk.mailbox_services import MailboxData
from pacte.servicedesk.models import InboundStatus, Mailbox, MailboxSecurity
from pacte.tenancy.models import Client, Contact

ALL = "all"
KIND_CHOICES = (("imap", "IMAP"), ("maildir", "Maildir"))


def inbox_statuses() -> list[tuple[str, str]]:
    """The status filter's choices: held first (the default), the other statuses, then everything."""
    held = [(InboundStatus.HELD.value, str(InboundStatus.HELD.label))]
    others = [(value, str(label)) for value, label in InboundStatus.choices if value != InboundStatus.HELD]
    return [*held, *others, (ALL, str(_("All e-mail")))]


def inbox_status(value: str | None) -> str:
    """The filter asked for, or "held" when it is absent or not one of the choices."""
    return value if value in {choice for choice, _label in inbox_statuses()} else InboundStatus.HELD


class HeldAcceptForm(forms.Form):
    """Open a ticket from a held mail: the client, then a requester among its contacts or the sender added."""

    client = forms.ModelChoiceField(
        label=_("Client"), queryset=Client.objects.none(), empty_label=_("Choose a client…")
    )
    contact = forms.ModelChoiceField(
        label=_("Requester"), queryset=Contact.objects.none(), required=False, empty_label=_("Nobody in particular")
    )
    add_contact = forms.BooleanField(label=_("Add the sender as a contact of this client"), required=False)
    #: The client proposed from the sender's domain (shown as a hint), if any.
    suggested: Client | None = None

    def __init__(
        self,
        data: Any = None,
        *,
        clients: QuerySet[Client],
        contacts: QuerySet[Contact],
        sender: str = "",
        initial: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(data, initial=initial)
        client_field: Any = self.fields["client"]
        contact_field: Any = self.fields["contact"]
        client_field.queryset = clients
        contact_field.queryset = contacts
        self.fields["client"].error_messages["required"] = _("Choose the client this e-mail is for.")
        self.fields["client"].error_messages["invalid_choice"] = _("Unknown client.")
        self.fields["contact"].error_messages["invalid_choice"] = _("This contact is not one of the client's.")
        if sender:
            self.fields["add_contact"].help_text = _(
                "%(address)s becomes a contact of the client: their next e-mails open tickets directly."
            ) % {"address": sender}


class MailboxForm(forms.Form):
    """A mailbox's settings. The password field is always empty when shown; left empty on edit, it is kept."""

    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=KIND_CHOICES, initial="imap", widget=forms.RadioSelect)
    host = forms.CharField(label=_("IMAP server"), max_length=200, required=False)
    port = forms.IntegerField(
        label=_("Port"),
        required=False,
        min_value=1,
        max_value=65535,
        help_text=_("Empty: 993 with SSL/TLS, 143 otherwise."),
        error_messages={
            "invalid": _("The port is a number between 1 and 65535."),
            "min_value": _("The port is a number between 1 and 65535."),
            "max_value": _("The port is a number between 1 and 65535."),
        },
    )
    security = forms.ChoiceField(
        label=_("Security"), choices=MailboxSecurity.choices, initial=MailboxSecurity.SSL, required=False
    )
    username = forms.CharField(label=_("User name"), max_length=200, required=False)
    password = forms.CharField(
        label=_("Password"),
        max_length=200,
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}, render_value=False),
    )
    folder = forms.CharField(label=_("Folder"), max_length=200, required=False, initial="INBOX")
    path = forms.CharField(
        label=_("Path of the Maildir folder"),
        max_length=500,
        required=False,
        help_text=_("The folder on this server holding new/ and cur/, e.g. /var/mail/support/Maildir."),
    )

    def __init__(self, data: Any = None, *, mailbox: Mailbox | None = None) -> None:
        initial: dict[str, Any] | None = None
        if mailbox is not None:
            initial = {
                "name": mailbox.name,
                "kind": mailbox.kind,
                "host": mailbox.host,
                "port": mailbox.port,
                "security": mailbox.security,
                "username": mailbox.username,
                "folder": mailbox.folder,
                "path": mailbox.path,
            }
        super().__init__(data, initial=initial)
        self.fields["name"].error_messages["required"] = _("Give the mailbox a name.")
        self.fields["kind"].error_messages["invalid_choice"] = _("Choose IMAP or Maildir.")
        self.fields["security"].error_messages["invalid_choice"] = _("Choose SSL/TLS, STARTTLS or none.")
        if mailbox is not None and mailbox.kind == "imap" and mailbox.password:
            self.fields["password"].help_text = _("A password is saved. Leave empty to keep it.")
            self.fields["password"].widget.attrs["placeholder"] = "••••••••"

    def data_for_service(self) -> MailboxData:
        data = self.cleaned_data
        return MailboxData(
            name=data["name"],
            kind=data["kind"],
            host=data["host"],
            port=data["port"],
            security=data["security"] or MailboxSecurity.SSL,
            username=data["username"],
            password=data["password"],
            folder=data["folder"],
            path=data["path"],
        )
