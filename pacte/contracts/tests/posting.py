"""What a browser posts for a form as shown: its initial values and repeated rows (shared by the page tests)."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms

from pacte.contracts.forms_terms import ROWS, TermsForm


def form_data(form: forms.Form, **overrides: Any) -> dict[str, Any]:
    """The fields of an unbound ``form`` as a browser posts them (its initial values and rows), with ``overrides``."""
    data: dict[str, Any] = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if field.disabled or value is None:
            continue
        if isinstance(field, forms.BooleanField):
            if value:
                data[name] = "on"
        elif isinstance(value, list | tuple):
            data[name] = [str(item) for item in value]
        elif isinstance(value, datetime.date):
            data[name] = value.isoformat()
        else:
            data[name] = str(value)
    if isinstance(form, TermsForm):
        for row_name, columns in ROWS.items():
            for index, row in enumerate(form.rows(row_name)):
                for column in columns:
                    if row.get(column):
                        data[f"{row_name}-{index}-{column}"] = row[column]
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}
