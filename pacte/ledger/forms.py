"""The manual adjustment form (the service validates the figures; the form only collects them)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from pacte.ledger.models import Unit


class AdjustmentForm(forms.Form):
    unit = forms.ChoiceField(label=_("Account"))
    quantity = forms.CharField(
        label=_("Quantity"),
        max_length=30,
        help_text=_("Signed, in the account's unit: positive gives to the client, negative takes (e.g. 1.5 or -2)."),
    )
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, units: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = dict(Unit.choices)
        unit_field = self.fields["unit"]
        assert isinstance(unit_field, forms.ChoiceField)
        unit_field.choices = [(unit, labels[unit]) for unit in units]


DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class TaskRecordForm(forms.Form):
    """A performed catalogue task (the service checks the price, the day and the ticket against the contract)."""

    code = forms.ChoiceField(label=_("Task"))
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=999, initial=1)
    performed_on = forms.DateField(label=_("Performed on"), widget=DATE_INPUT)
    ticket = forms.ChoiceField(label=_("Ticket"), required=False)
    note = forms.CharField(label=_("Note"), required=False, max_length=300)
    #: Idempotency: the same form submitted twice records one task.
    token = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(
        self, *args: Any, catalogue: list[tuple[str, str]], tickets: list[tuple[int, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        code_field = self.fields["code"]
        assert isinstance(code_field, forms.ChoiceField)
        code_field.choices = catalogue
        ticket_field = self.fields["ticket"]
        assert isinstance(ticket_field, forms.ChoiceField)
        ticket_field.choices = [("", "—"), *((str(pk), label) for pk, label in tickets)]


class MilestoneAcceptForm(forms.Form):
    accepted_on = forms.DateField(label=_("Accepted on"), widget=DATE_INPUT)
    note = forms.CharField(label=_("Note"), required=False, max_length=300)
