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
