from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pacte.billing import domain
from pacte.billing.models import Invoice
from pacte.tenancy.models import Client, Membership


def previous_month() -> str:
    first = timezone.localdate().replace(day=1)
    return (first - datetime.timedelta(days=1)).strftime("%Y-%m")


class RunForm(forms.Form):
    month = forms.CharField(
        label=_("Billing month"),
        max_length=7,
        help_text=_("YYYY-MM, e.g. 2026-10."),
        widget=forms.TextInput(attrs={"type": "month"}),
    )
    client = forms.ModelChoiceField(
        label=_("Client"), queryset=Client.objects.none(), required=False, empty_label=_("All clients")
    )
    issue = forms.BooleanField(
        label=_("Issue the invoices at once (otherwise: drafts to preview)"), required=False, initial=False
    )

    def __init__(self, *args: Any, actor: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = Client.objects.filter(  # type: ignore[attr-defined]
            provider_id=actor.provider_id, archived_at__isnull=True
        ).order_by("name")
        self.initial.setdefault("month", previous_month())

    def clean_month(self) -> str:
        month = str(self.cleaned_data["month"]).strip()
        try:
            domain.month_bounds(month)
        except domain.BillingError as error:
            raise forms.ValidationError(_("Write the month as YYYY-MM, e.g. 2026-10.")) from error
        return month


class CreditNoteForm(forms.Form):
    """One amount field per line of the invoice (what to give back, excl. VAT) and the reason."""

    reason = forms.CharField(label=_("Reason"), max_length=300, widget=forms.TextInput())

    def __init__(self, *args: Any, invoice: Invoice, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.invoice_lines = list(invoice.lines.all())
        for line in self.invoice_lines:
            self.fields[f"line_{line.pk}"] = forms.DecimalField(
                label=f"{line.position}. {line.description}",
                required=False,
                min_value=Decimal("0"),
                max_value=max(line.amount, Decimal("0")),
                decimal_places=2,
                max_digits=14,
                initial=line.amount,
            )

    def amounts(self) -> dict[int, Decimal]:
        return {
            line.pk: self.cleaned_data.get(f"line_{line.pk}") or Decimal("0")
            for line in self.invoice_lines
            if self.cleaned_data.get(f"line_{line.pk}")
        }

    def line_fields(self) -> list[tuple[Any, Any]]:
        return [(line, self[f"line_{line.pk}"]) for line in self.invoice_lines]
