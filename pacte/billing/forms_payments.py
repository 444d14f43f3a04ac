"""Forms of the payment pages: a payment typed by hand, a bank statement upload, the export month."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pacte.billing import domain
from pacte.billing.bank_import import MAX_BYTES
from pacte.billing.forms import MonthSelect, month_error, previous_month
from pacte.billing.models import PaymentMethod


class PaymentForm(forms.Form):
    received_on = forms.DateField(
        label=_("Received on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    amount = forms.CharField(
        label=_("Amount (€)"), max_length=30, help_text=_("Incl. VAT, to the cent, e.g. 1 336,50.")
    )
    method = forms.ChoiceField(label=_("Method"), choices=PaymentMethod.choices, initial=PaymentMethod.TRANSFER)
    reference = forms.CharField(
        label=_("Reference"),
        max_length=140,
        required=False,
        help_text=_("The transfer's label, the cheque number…"),
    )

    def __init__(self, *args: Any, due: Decimal | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial.setdefault("received_on", timezone.localdate())
        if due is not None and due > 0:
            self.initial.setdefault("amount", f"{due:.2f}".replace(".", ","))

    def clean_amount(self) -> Decimal:
        try:
            return domain.decimal_or_error(self.cleaned_data["amount"], what=str(_("Amount")))
        except domain.BillingError as error:
            raise forms.ValidationError(_("Write an amount in euros, e.g. 1 336,50.")) from error

    def clean_received_on(self) -> datetime.date:
        day: datetime.date = self.cleaned_data["received_on"]
        if day.year < 2000:
            raise forms.ValidationError(_("Check the year."))
        return day


class BankImportForm(forms.Form):
    file = forms.FileField(
        label=_("Bank statement (CSV)"),
        help_text=_("As your bank exports it: “;” separated, dates dd/mm/yyyy, at most 5 MB."),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size is not None and upload.size > MAX_BYTES:
            raise forms.ValidationError(_("This file is over 5 MB: split the statement into shorter periods."))
        return upload


class AccountingExportForm(forms.Form):
    month = forms.CharField(
        label=_("Month"),
        max_length=7,
        help_text=_("The invoices and credit notes issued that month."),
        widget=MonthSelect,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial.setdefault("month", previous_month())

    def clean_month(self) -> str:
        month = str(self.cleaned_data["month"]).strip()
        try:
            domain.month_bounds(month)
        except domain.BillingError as error:
            raise month_error() from error
        return month
