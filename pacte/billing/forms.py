from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from pacte.billing import domain
from pacte.billing.models import Invoice
from pacte.contracts.dates import add_months
from pacte.tenancy.models import Client, Membership

#: How many months before the current one a month choice offers (a month outside is kept when chosen).
MONTHS_BACK = 24


def previous_month() -> str:
    first = timezone.localdate().replace(day=1)
    return (first - datetime.timedelta(days=1)).strftime("%Y-%m")


def month_or_none(text: object) -> datetime.date | None:
    """``"2026-10"`` → 1 Oct 2026; anything else → ``None``."""
    try:
        return domain.month_bounds(str(text or ""))[0]
    except domain.BillingError:
        return None


def month_label(month: datetime.date) -> str:
    """« novembre 2026 », "November 2026": the month in the active language."""
    return date_format(month, "F Y")


def month_choices(
    *, selected: object = "", back: int = MONTHS_BACK, today: datetime.date | None = None
) -> list[tuple[str, str]]:
    """``(YYYY-MM, « novembre 2026 »)`` from the current month back ``back`` months, newest first; a valid
    ``selected`` month outside that range is added, so a chosen month always shows as chosen."""
    first = (today or timezone.localdate()).replace(day=1)
    months = {add_months(first, -index) for index in range(back + 1)}
    chosen = month_or_none(selected)
    if chosen is not None:
        months.add(chosen)
    return [(month.strftime("%Y-%m"), month_label(month)) for month in sorted(months, reverse=True)]


class MonthSelect(forms.Select):
    """A month chosen in a list labelled in the page's language (« novembre 2026 ») that submits ``YYYY-MM``.

    Browsers label ``<input type="month">`` in their own language whatever the page's, and Firefox and
    Safari show a plain text box: a list reads the same everywhere. The choices are made when the
    form renders (the current month moves; the labels follow the active language)."""

    def optgroups(self, name: str, value: list[str], attrs: dict[str, Any] | None = None) -> list[Any]:
        self.choices = month_choices(selected=value[0] if value else "")
        return super().optgroups(name, value, attrs)

    def format_value(self, value: Any) -> Any:
        if isinstance(value, datetime.date):
            value = value.strftime("%Y-%m")
        return super().format_value(value)


def month_error() -> forms.ValidationError:
    return forms.ValidationError(_("Choose a month in the list (YYYY-MM, e.g. 2026-10)."), code="month")


class RunForm(forms.Form):
    month = forms.CharField(label=_("Billing month"), max_length=7, widget=MonthSelect)
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
            raise month_error() from error
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
