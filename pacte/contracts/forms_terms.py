"""The terms form: every value of ``ContractTerms`` as grouped, typed fields, and back.

``TermsForm`` flattens the terms into plain fields (``ff_fee`` for the fixed fee, ``rev_cap`` for the
revision's cap…) plus repeated, indexed rows (``task-3-price``, ``milestone-0-label``, ``zone-1-fee``,
``clause-2-text``) that the page adds and removes. ``clean()`` rebuilds the terms as the JSON dict the
services take, validates it with ``ContractTerms`` and lands each of pydantic's errors next to the field
(or row) it is about, in the user's language. Percentages are shown as percentages (80 for 0.80).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from pydantic import ValidationError as PydanticValidationError

from pacte.contracts.terms import ContractTerms
from pacte.contracts.terms_choices import (
    BACKUP_CHOICES,
    BILLED_CHOICES,
    BILLING_CHOICES,
    CONTRACT_TYPE_CHOICES,
    EARLY_TERMINATION_CHOICES,
    FORMULA_CHOICES,
    INCLUDED_UNIT_CHOICES,
    MODE_CHOICES,
    MONTH_CHOICES,
    NESTED_FIELDS,
    OUT_OF_SCOPE_CHOICES,
    OVERAGE_POLICY_CHOICES,
    PERIOD_CHOICES,
    RENEWAL_CHOICES,
    ROLLOVER_CHOICES,
    TERMS_MESSAGES,
    TOP_FIELDS,
    TRAVEL_CHOICES,
)

#: The repeated rows: name → its columns.
ROWS: dict[str, tuple[str, ...]] = {
    "task": ("code", "label", "price"),
    "milestone": ("label", "amount", "expected_on"),
    "zone": ("code", "label", "fee"),
    "clause": ("key", "title", "text", "optional"),
}
MAX_ROWS = 200
_ROW_KEY = re.compile(r"^(task|milestone|zone|clause)-(\d{1,4})-(\w+)$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
BILLING_PREFIX = {
    "fixed_fee": "ff",
    "unlimited": "ul",
    "time_and_materials": "tm",
    "prepaid_credits": "pc",
}
BILLING_ROWS = {"per_task": ("task", "catalogue"), "milestones": ("milestone", "milestones")}


def _money(label: Any, **kwargs: Any) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=False,
        min_value=Decimal(0),
        max_digits=12,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
        **kwargs,
    )


def _percent(label: Any, *, minimum: int = 0, maximum: int = 100, **kwargs: Any) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=False,
        min_value=Decimal(minimum),
        max_value=Decimal(maximum),
        max_digits=5,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
        **kwargs,
    )


def _int(label: Any, minimum: int, maximum: int, *, required: bool = False, **kwargs: Any) -> forms.IntegerField:
    return forms.IntegerField(label=label, required=required, min_value=minimum, max_value=maximum, **kwargs)


def _text(value: Decimal | None) -> str | None:
    """A Decimal as the plain string the terms store (never an exponent: ``1E+2`` → ``100``)."""
    return None if value is None else format(value, "f")


def _fraction(percent: Decimal | None, places: str = "0.0001") -> str | None:
    if percent is None:
        return None
    return format((percent / 100).quantize(Decimal(places)), "f")


def _as_percent(fraction: Any) -> Decimal | None:
    if fraction is None:
        return None
    return (Decimal(str(fraction)) * 100).normalize() + Decimal(0)


def _plain_percent(value: Decimal | None) -> str:
    if value is None:
        return ""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


class TermsForm(forms.Form):
    """Every term of a contract version, as fields. ``mode``: ``contract``, ``template`` or ``amendment``.

    ``contract`` shows the client's sites and assets; ``template`` leaves them out and marks clauses
    optional; ``amendment`` keeps the contract's type (an amendment cannot change it).
    """

    # Scope and service
    contract_type = forms.ChoiceField(label=_("Contract type"), choices=CONTRACT_TYPE_CHOICES)
    sites = forms.MultipleChoiceField(
        label=_("Sites in scope"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: no site is named (the contract covers the client as a whole)."),
    )
    assets = forms.MultipleChoiceField(
        label=_("Assets in scope"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every asset of the sites in scope."),
    )
    covered_categories = forms.MultipleChoiceField(
        label=_("Covered service categories"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Anything else is out of scope."),
    )
    out_of_scope = forms.CharField(
        label=_("Out of scope"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    intervention_modes = forms.MultipleChoiceField(
        label=_("Interventions allowed"), choices=MODE_CHOICES, widget=forms.CheckboxSelectMultiple
    )
    service_level = forms.ChoiceField(label=_("Service level"), required=False)
    backup_party = forms.ChoiceField(label=_("Backups before an intervention"), choices=BACKUP_CHOICES)
    backup_blocking = forms.BooleanField(
        label=_("On-site work waits for the client's confirmation that its backups are done"), required=False
    )
    out_of_scope_kind = forms.ChoiceField(label=_("Work out of scope"), choices=OUT_OF_SCOPE_CHOICES)
    out_of_scope_hours = forms.DecimalField(
        label=_("Hours of time and materials allowed"),
        required=False,
        min_value=Decimal("0.01"),
        max_digits=5,
        decimal_places=2,
    )
    # Billing model
    billing_kind = forms.ChoiceField(label=_("Billing model"), choices=BILLING_CHOICES)
    ff_fee = _money(_("Fee (excl. VAT)"))
    ff_period = forms.ChoiceField(label=_("Period"), choices=PERIOD_CHOICES, required=False)
    ff_billed = forms.ChoiceField(label=_("Billed"), choices=BILLED_CHOICES, required=False)
    ff_included_quantity = forms.DecimalField(
        label=_("Included quantity per period"), required=False, min_value=Decimal(0), max_digits=8, decimal_places=2
    )
    ff_included_unit = forms.ChoiceField(label=_("Unit"), choices=INCLUDED_UNIT_CHOICES, required=False)
    ff_overage_rate = _money(_("Rate beyond the included quantity (per unit, excl. VAT)"))
    ff_overage_policy = forms.ChoiceField(
        label=_("Beyond the included quantity"), choices=OVERAGE_POLICY_CHOICES, required=False
    )
    ul_fee = _money(_("Fee (excl. VAT)"))
    ul_period = forms.ChoiceField(label=_("Period"), choices=PERIOD_CHOICES, required=False)
    ul_billed = forms.ChoiceField(label=_("Billed"), choices=BILLED_CHOICES, required=False)
    tm_labour_rate = _money(_("Labour rate (per hour, excl. VAT)"))
    tm_travel_rate = _money(_("Travel time rate (per hour, excl. VAT)"))
    pc_block_quantity = forms.DecimalField(
        label=_("Hours per block"), required=False, min_value=Decimal("0.01"), max_digits=8, decimal_places=2
    )
    pc_block_price = _money(_("Price of a block (excl. VAT)"))
    pc_validity_months = _int(_("Validity (months)"), 1, 60)
    pc_rollover = forms.ChoiceField(label=_("Hours left at expiry"), choices=ROLLOVER_CHOICES, required=False)
    pc_rollover_cap = forms.DecimalField(
        label=_("Most hours carried over"), required=False, min_value=Decimal(0), max_digits=8, decimal_places=2
    )
    # Rules common to every model
    rounding_unit_minutes = _int(_("Each time entry rounded up to (minutes)"), 1, 240, required=True)
    minimum_minutes_per_intervention = _int(_("Minimum per intervention (minutes)"), 0, 480, required=True)
    mult_after_hours = forms.DecimalField(
        label=_("Outside the coverage hours"), min_value=Decimal("0.5"), max_value=Decimal(5), decimal_places=2
    )
    mult_weekend_or_holiday = forms.DecimalField(
        label=_("Weekends and holidays"), min_value=Decimal("0.5"), max_value=Decimal(5), decimal_places=2
    )
    mult_on_site = forms.DecimalField(
        label=_("On site"), min_value=Decimal("0.5"), max_value=Decimal(5), decimal_places=2
    )
    travel_mode = forms.ChoiceField(label=_("Travel"), choices=TRAVEL_CHOICES)
    travel_per_km_rate = _money(_("Rate per kilometre (excl. VAT)"))
    alert_thresholds = forms.CharField(
        label=_("Consumption alerts (% of the included quantity or of a block)"),
        required=False,
        max_length=40,
        help_text=_("For example 80, 100"),
    )
    payment_days = _int(_("Payment within (days)"), 0, 60, required=True)
    payment_end_of_month = forms.BooleanField(label=_("End of month"), required=False)
    # Price revision
    revision_enabled = forms.BooleanField(label=_("The prices are revised with an index"), required=False)
    rev_index_code = forms.CharField(label=_("Index"), required=False, max_length=30)
    rev_reference_month = forms.CharField(
        label=_("Reference month (S0)"),
        required=False,
        max_length=7,
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "AAAA-MM"}),
    )
    rev_formula = forms.ChoiceField(label=_("Formula"), choices=FORMULA_CHOICES, required=False)
    rev_fixed_part = forms.DecimalField(
        label=_("Fixed part a (between 0 and 1)"),
        required=False,
        min_value=Decimal(0),
        max_value=Decimal("0.9999"),
        decimal_places=4,
    )
    rev_floor = _percent(_("Floor (%)"), minimum=-100, help_text=_("For example 0: prices never go down."))
    rev_cap = _percent(_("Cap (%)"), help_text=_("For example 2: at most +2 % per revision."))
    rev_revision_period_months = _int(_("Months between revisions"), 1, 60)
    rev_index_period_months = _int(_("Index variation period (months)"), 1, 60)
    rev_revision_month = forms.ChoiceField(label=_("Revision month"), choices=MONTH_CHOICES, required=False)
    rev_decimals = _int(_("Decimals of the revised prices"), 0, 4)
    rev_linking_coefficient = forms.DecimalField(
        label=_("Linking coefficient (old series)"),
        required=False,
        min_value=Decimal("0.000001"),
        max_digits=8,
        decimal_places=6,
    )
    # Early termination, renewal, legal clauses
    et_rule = forms.ChoiceField(label=_("Early-termination indemnity"), choices=EARLY_TERMINATION_CHOICES)
    et_percentage = _percent(_("Percentage of the remaining fees"))
    renewal_kind = forms.ChoiceField(label=_("Renewal"), choices=RENEWAL_CHOICES)
    renewal_term_months = _int(
        _("Renewal term (months)"),
        1,
        60,
        help_text=_("Empty: a tacit renewal gives a contract of indefinite duration (Code civil 1214–1215)."),
    )
    notice_months = _int(_("Notice (months)"), 0, 24)
    notice_days = _int(_("or notice (days)"), 0, 365)
    liability_cap = _money(_("Liability cap (excl. VAT)"), help_text=_("Empty: no cap (never in case of gross fault)."))
    confidentiality = forms.BooleanField(label=_("Confidentiality clause"), required=False)
    gdpr_processor_annex = forms.BooleanField(label=_("GDPR processor annex (art. 28)"), required=False)

    FIELDSETS: dict[str, tuple[str, ...]] = {
        "fixed_fee": (
            "ff_fee",
            "ff_period",
            "ff_billed",
            "ff_included_quantity",
            "ff_included_unit",
            "ff_overage_rate",
            "ff_overage_policy",
        ),
        "unlimited": ("ul_fee", "ul_period", "ul_billed"),
        "time_and_materials": ("tm_labour_rate", "tm_travel_rate"),
        "prepaid_credits": (
            "pc_block_quantity",
            "pc_block_price",
            "pc_validity_months",
            "pc_rollover",
            "pc_rollover_cap",
        ),
    }

    def __init__(
        self,
        data: Any = None,
        *,
        terms: ContractTerms | dict[str, Any] | None = None,
        mode: str = "contract",
        sites: list[tuple[str, str]] | None = None,
        assets: list[tuple[str, str]] | None = None,
        categories: list[tuple[str, str]] | None = None,
        service_levels: list[tuple[str, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        parsed = ContractTerms.model_validate(terms) if isinstance(terms, dict) else terms
        initial = {**(terms_initial(parsed) if parsed else DEFAULT_INITIAL), **kwargs.pop("initial", {})}
        super().__init__(data, initial=initial, **kwargs)
        self.mode = mode
        self.initial_terms = parsed
        self.terms: dict[str, Any] | None = None
        self.row_errors: dict[str, dict[int, list[str]]] = {name: {} for name in ROWS}
        if mode == "contract":
            self.fields["sites"].choices = sites or []  # type: ignore[attr-defined]
            self.fields["assets"].choices = assets or []  # type: ignore[attr-defined]
        else:
            del self.fields["sites"], self.fields["assets"]
        if mode == "amendment":
            self.fields["contract_type"].disabled = True
        self.fields["covered_categories"].choices = categories or []  # type: ignore[attr-defined]
        self.fields["service_level"].choices = [("", _("— none —")), *(service_levels or [])]  # type: ignore[attr-defined]

    # Rows ---------------------------------------------------------------------------------------

    def posted_rows(self, name: str) -> list[dict[str, str]]:
        """The rows of ``name`` sent by the page, in their order, empty ones left out."""
        columns = ROWS[name]
        indices: set[int] = set()
        for key in self.data:
            match = _ROW_KEY.match(key)
            if match and match.group(1) == name:
                indices.add(int(match.group(2)))
        rows = []
        for index in sorted(indices)[:MAX_ROWS]:
            row = {column: str(self.data.get(f"{name}-{index}-{column}", "")).strip() for column in columns}
            if any(value for column, value in row.items() if column != "optional"):
                rows.append(row)
        return rows

    def rows(self, name: str) -> list[dict[str, Any]]:
        """What the page shows for ``name``: the rows posted (with their errors) or those of the terms."""
        source = self.posted_rows(name) if self.is_bound else initial_rows(self.initial_terms, name, self.initial)
        errors = self.row_errors.get(name, {})
        return [{"index": index, **row, "errors": errors.get(index, [])} for index, row in enumerate(source)]

    @property
    def task_rows(self) -> list[dict[str, Any]]:
        return self.rows("task")

    @property
    def milestone_rows(self) -> list[dict[str, Any]]:
        return self.rows("milestone")

    @property
    def zone_rows(self) -> list[dict[str, Any]]:
        return self.rows("zone")

    @property
    def clause_rows(self) -> list[dict[str, Any]]:
        return self.rows("clause")

    def _row_error(self, name: str, index: int, message: Any) -> None:
        self.row_errors[name].setdefault(index, []).append(str(message))

    # Cleaning -----------------------------------------------------------------------------------

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        data = self._terms_dict(cleaned)
        if any(self.row_errors.values()):
            self.add_error(None, _("Some lines have errors: see below."))
        if self.errors:
            return cleaned
        try:
            self.terms = ContractTerms.model_validate(data).model_dump(mode="json")
        except PydanticValidationError as error:
            self._add_pydantic_errors(error)
        return cleaned

    def _terms_dict(self, cleaned: dict[str, Any]) -> dict[str, Any]:
        kind = cleaned["billing_kind"]
        out_of_scope: dict[str, Any] = {"kind": cleaned["out_of_scope_kind"]}
        if cleaned["out_of_scope_kind"] == "time_and_materials_up_to":
            out_of_scope["hours"] = _text(cleaned.get("out_of_scope_hours"))
        data: dict[str, Any] = {
            "contract_type": cleaned["contract_type"]
            if self.mode != "amendment" or self.initial_terms is None
            else self.initial_terms.contract_type,
            "sites": [int(pk) for pk in cleaned.get("sites", [])],
            "assets": [int(pk) for pk in cleaned.get("assets", [])],
            "covered_categories": list(cleaned.get("covered_categories", [])),
            "out_of_scope": cleaned.get("out_of_scope", "").strip(),
            "intervention_modes": list(cleaned["intervention_modes"]),
            "service_level": int(cleaned["service_level"]) if cleaned.get("service_level") else None,
            "backup_duty": {"party": cleaned["backup_party"], "blocking": bool(cleaned.get("backup_blocking"))},
            "out_of_scope_rule": out_of_scope,
            "billing_model": self._billing(kind, cleaned),
            "rounding_unit_minutes": cleaned["rounding_unit_minutes"],
            "minimum_minutes_per_intervention": cleaned["minimum_minutes_per_intervention"],
            "multipliers": {
                "after_hours": _text(cleaned["mult_after_hours"]),
                "weekend_or_holiday": _text(cleaned["mult_weekend_or_holiday"]),
                "on_site": _text(cleaned["mult_on_site"]),
            },
            "travel": self._travel(cleaned),
            "alert_thresholds": self._thresholds(cleaned.get("alert_thresholds", "")),
            "payment_terms": {
                "days": cleaned["payment_days"],
                "end_of_month": bool(cleaned.get("payment_end_of_month")),
            },
            "price_revision": self._revision(cleaned) if cleaned.get("revision_enabled") else None,
            "early_termination": {
                "rule": cleaned["et_rule"],
                "percentage": _text(cleaned.get("et_percentage"))
                if cleaned["et_rule"] == "percentage_of_remaining"
                else None,
            },
            "renewal": {
                "kind": cleaned["renewal_kind"],
                "renewal_term_months": cleaned.get("renewal_term_months")
                if cleaned["renewal_kind"] != "none"
                else None,
                "notice_months": cleaned.get("notice_months") or 0,
                "notice_days": cleaned.get("notice_days") or 0,
            },
            "liability_cap": _text(cleaned.get("liability_cap")),
            "confidentiality": bool(cleaned.get("confidentiality")),
            "gdpr_processor_annex": bool(cleaned.get("gdpr_processor_annex")),
            "clauses": self._clauses(),
        }
        if self.mode == "template" or "sites" not in self.fields:
            data["sites"], data["assets"] = [], []
        if self.initial_terms is not None:
            # The same choices as before keep their stored order (no spurious "what changed").
            for key in ("sites", "assets", "covered_categories", "intervention_modes"):
                before = list(getattr(self.initial_terms, key))
                if set(data[key]) == set(before) and len(data[key]) == len(before):
                    data[key] = before
        if not data["alert_thresholds"] and "alert_thresholds" not in self.errors:
            data["alert_thresholds"] = []
        return data

    def _billing(self, kind: str, cleaned: dict[str, Any]) -> dict[str, Any]:
        if kind in BILLING_ROWS:
            row_name, key = BILLING_ROWS[kind]
            rows = self._task_rows() if kind == "per_task" else self._milestone_rows()
            if not rows and not self.row_errors[row_name]:
                message = _("Add at least one task.") if kind == "per_task" else _("Add at least one milestone.")
                self.add_error(None, message)
            return {"kind": kind, key: rows}
        prefix = BILLING_PREFIX[kind]
        model: dict[str, Any] = {"kind": kind}
        for name in self.FIELDSETS[kind]:
            value = cleaned.get(name)
            field = name.removeprefix(f"{prefix}_")
            if isinstance(value, Decimal):
                model[field] = _text(value)
            elif value not in (None, ""):
                model[field] = value
        if kind == "fixed_fee" and model.get("included_unit") == "none":
            model.pop("overage_rate", None)
            model["included_quantity"] = "0"
        if kind == "prepaid_credits" and model.get("rollover") != "capped":
            model.pop("rollover_cap", None)
        for name in self.FIELDSETS[kind]:
            field = name.removeprefix(f"{prefix}_")
            required = {"fee", "labour_rate", "block_quantity", "block_price"}
            if field in required and field not in model:
                self.add_error(name, _("This field is required."))
        return model

    def _decimal(self, name: str, index: int, text: str, label: Any) -> str | None:
        if not text:
            return None
        try:
            value = Decimal(text.replace(",", ".").replace(" ", "").replace("\u00a0", ""))
        except InvalidOperation:
            value = None
        if value is None or not value.is_finite() or value < 0 or value != value.quantize(Decimal("0.01")):
            self._row_error(name, index, _("%(label)s: enter an amount such as 180.00.") % {"label": label})
            return None
        return _text(value.quantize(Decimal("0.01")))

    def _task_rows(self) -> list[dict[str, Any]]:
        rows = []
        for index, row in enumerate(self.posted_rows("task")):
            price = self._decimal("task", index, row["price"], _("Price"))
            if not row["code"] or not row["label"] or (price is None and not row["price"]):
                self._row_error("task", index, _("Each task needs a code, a label and a price."))
            rows.append({"code": row["code"], "label": row["label"], "price": price})
        return rows

    def _milestone_rows(self) -> list[dict[str, Any]]:
        rows = []
        for index, row in enumerate(self.posted_rows("milestone")):
            amount = self._decimal("milestone", index, row["amount"], _("Amount"))
            expected: str | None = None
            if row["expected_on"]:
                try:
                    expected = datetime.date.fromisoformat(row["expected_on"]).isoformat()
                except ValueError:
                    self._row_error("milestone", index, _("Enter a valid date."))
            if not row["label"] or (amount is None and not row["amount"]):
                self._row_error("milestone", index, _("Each milestone needs a label and an amount."))
            rows.append({"label": row["label"], "amount": amount, "expected_on": expected})
        return rows

    def _travel(self, cleaned: dict[str, Any]) -> dict[str, Any]:
        mode = cleaned["travel_mode"]
        if mode == "per_km":
            if cleaned.get("travel_per_km_rate") is None:
                self.add_error("travel_per_km_rate", _("This field is required."))
            return {"zones": [], "per_km_rate": _text(cleaned.get("travel_per_km_rate"))}
        if mode == "zones":
            zones = []
            for index, row in enumerate(self.posted_rows("zone")):
                fee = self._decimal("zone", index, row["fee"], _("Fee"))
                if not row["code"] or not row["label"] or (fee is None and not row["fee"]):
                    self._row_error("zone", index, _("Each zone needs a code, a label and a fee."))
                zones.append({"code": row["code"], "label": row["label"], "fee": fee})
            if not zones:
                self.add_error("travel_mode", _("Add at least one zone, or choose another way to bill travel."))
            return {"zones": zones, "per_km_rate": None}
        return {"zones": [], "per_km_rate": None}

    def _thresholds(self, text: str) -> list[str]:
        values = []
        for part in re.split(r"[;,\s]+", text.strip()):
            if not part:
                continue
            try:
                percent = Decimal(part.rstrip("%"))
            except InvalidOperation:
                percent = Decimal(-1)
            if not percent.is_finite() or not 0 < percent <= 200:
                self.add_error("alert_thresholds", _("Enter percentages between 1 and 200, such as 80, 100."))
                return []
            fraction = _fraction(percent, "0.01")
            if fraction is not None:
                values.append(fraction)
        return values

    def _revision(self, cleaned: dict[str, Any]) -> dict[str, Any]:
        text = (cleaned.get("rev_reference_month") or "").strip()
        match = _MONTH.match(text)
        reference: str | None = None
        if match and 1 <= int(match.group(2)) <= 12 and int(match.group(1)) >= 1900:
            reference = f"{match.group(1)}-{match.group(2)}-01"
        else:
            self.add_error("rev_reference_month", _("Enter a month such as 2026-01."))
        formula = cleaned.get("rev_formula") or "ratio"
        data: dict[str, Any] = {
            "index_code": (cleaned.get("rev_index_code") or "SYNTEC").strip().upper(),
            "reference_month": reference,
            "formula": formula,
            "fixed_part": _text(cleaned.get("rev_fixed_part")) if formula == "mixed" else "0",
            "floor": _fraction(cleaned.get("rev_floor")),
            "cap": _fraction(cleaned.get("rev_cap")),
            "revision_period_months": cleaned.get("rev_revision_period_months") or 12,
            "index_period_months": cleaned.get("rev_index_period_months") or 12,
            "revision_month": int(cleaned["rev_revision_month"]) if cleaned.get("rev_revision_month") else None,
            "decimals": cleaned["rev_decimals"] if cleaned.get("rev_decimals") is not None else 2,
            "linking_coefficient": _text(cleaned.get("rev_linking_coefficient")),
        }
        if formula == "mixed" and cleaned.get("rev_fixed_part") is None:
            self.add_error("rev_fixed_part", _("The mixed formula needs its fixed part."))
        return data

    def _clauses(self) -> list[dict[str, Any]]:
        clauses = []
        for index, row in enumerate(self.posted_rows("clause")):
            key = row["key"].lower()
            if not re.fullmatch(r"[a-z0-9_]{1,40}", key) or not row["title"]:
                self._row_error(
                    "clause",
                    index,
                    _("Each clause needs a key (lower-case letters, digits and _) and a title."),
                )
            clauses.append({"key": key, "title": row["title"], "text": row["text"]})
        return clauses

    def optional_clauses(self) -> list[str]:
        """Keys of the clauses ticked optional (template mode)."""
        return [row["key"].lower() for row in self.posted_rows("clause") if row.get("optional")]

    def _add_pydantic_errors(self, error: PydanticValidationError) -> None:
        for item in error.errors():
            loc = tuple(item["loc"])
            raw = str(item.get("ctx", {}).get("error", "")) if item["type"] == "value_error" else ""
            field, message = TERMS_MESSAGES.get(raw, (None, None))
            if message is None:
                message = _("%(where)s: %(message)s") % {"where": ".".join(str(p) for p in loc), "message": item["msg"]}
            if field is None:
                field = self._field_for(loc)
            row = self._row_for(loc)
            if row is not None:
                self._row_error(row[0], row[1], message)
                if not self.non_field_errors():
                    self.add_error(None, _("Some lines have errors: see below."))
            elif field in self.fields and field not in self.errors:
                self.add_error(field, message)
            elif field not in self.fields:
                self.add_error(None, message)

    def _field_for(self, loc: tuple[Any, ...]) -> str | None:
        if not loc:
            return None
        top = str(loc[0])
        if top == "billing_model" and len(loc) >= 3 and loc[1] in BILLING_PREFIX:
            return f"{BILLING_PREFIX[str(loc[1])]}_{loc[2]}"
        if top == "multipliers" and len(loc) >= 2:
            return f"mult_{loc[1]}"
        if top == "price_revision" and len(loc) >= 2:
            return f"rev_{loc[1]}"
        if len(loc) >= 2 and (top, str(loc[1])) in NESTED_FIELDS:
            return NESTED_FIELDS[(top, str(loc[1]))]
        if top in TOP_FIELDS:
            return TOP_FIELDS[top]
        return top if top in self.fields else None

    @staticmethod
    def _row_for(loc: tuple[Any, ...]) -> tuple[str, int] | None:
        if len(loc) >= 4 and loc[0] == "billing_model" and isinstance(loc[3], int):
            return ("task" if loc[1] == "per_task" else "milestone", loc[3])
        if len(loc) >= 3 and loc[0] == "travel" and loc[1] == "zones" and isinstance(loc[2], int):
            return ("zone", loc[2])
        if len(loc) >= 2 and loc[0] == "clauses" and isinstance(loc[1], int):
            return ("clause", loc[1])
        return None


def terms_initial(terms: ContractTerms) -> dict[str, Any]:
    """The form's initial values for ``terms`` (rows apart: see :func:`initial_rows`)."""
    model = terms.billing_model
    initial: dict[str, Any] = {
        "contract_type": terms.contract_type,
        "sites": [str(pk) for pk in terms.sites],
        "assets": [str(pk) for pk in terms.assets],
        "covered_categories": list(terms.covered_categories),
        "out_of_scope": terms.out_of_scope,
        "intervention_modes": list(terms.intervention_modes),
        "service_level": str(terms.service_level) if terms.service_level else "",
        "backup_party": terms.backup_duty.party,
        "backup_blocking": terms.backup_duty.blocking,
        "out_of_scope_kind": terms.out_of_scope_rule.kind,
        "out_of_scope_hours": terms.out_of_scope_rule.hours,
        "billing_kind": model.kind,
        "rounding_unit_minutes": terms.rounding_unit_minutes,
        "minimum_minutes_per_intervention": terms.minimum_minutes_per_intervention,
        "mult_after_hours": terms.multipliers.after_hours,
        "mult_weekend_or_holiday": terms.multipliers.weekend_or_holiday,
        "mult_on_site": terms.multipliers.on_site,
        "travel_mode": "zones"
        if terms.travel.zones
        else ("per_km" if terms.travel.per_km_rate is not None else "none"),
        "travel_per_km_rate": terms.travel.per_km_rate,
        "alert_thresholds": ", ".join(_plain_percent(_as_percent(value)) for value in terms.alert_thresholds),
        "payment_days": terms.payment_terms.days,
        "payment_end_of_month": terms.payment_terms.end_of_month,
        "revision_enabled": terms.price_revision is not None,
        "et_rule": terms.early_termination.rule,
        "et_percentage": terms.early_termination.percentage,
        "renewal_kind": terms.renewal.kind,
        "renewal_term_months": terms.renewal.renewal_term_months,
        "notice_months": terms.renewal.notice_months,
        "notice_days": terms.renewal.notice_days,
        "liability_cap": terms.liability_cap,
        "confidentiality": terms.confidentiality,
        "gdpr_processor_annex": terms.gdpr_processor_annex,
    }
    prefix = BILLING_PREFIX.get(model.kind)
    if prefix:
        for name, value in model.model_dump().items():
            if name != "kind":
                initial[f"{prefix}_{name}"] = value
    for prefix in ("ff", "ul"):
        initial.setdefault(f"{prefix}_period", "month")
        initial.setdefault(f"{prefix}_billed", "in_advance")
    initial.setdefault("ff_included_unit", "hours")
    initial.setdefault("ff_overage_policy", "warn")
    initial.setdefault("pc_validity_months", 12)
    initial.setdefault("pc_rollover", "none")
    revision = terms.price_revision
    if revision is not None:
        initial.update(
            {
                "rev_index_code": revision.index_code,
                "rev_reference_month": revision.reference_month.strftime("%Y-%m"),
                "rev_formula": revision.formula,
                "rev_fixed_part": revision.fixed_part if revision.formula == "mixed" else None,
                "rev_floor": _as_percent(revision.floor),
                "rev_cap": _as_percent(revision.cap),
                "rev_revision_period_months": revision.revision_period_months,
                "rev_index_period_months": revision.index_period_months,
                "rev_revision_month": str(revision.revision_month or ""),
                "rev_decimals": revision.decimals,
                "rev_linking_coefficient": revision.linking_coefficient,
            }
        )
    else:
        initial.update(REVISION_DEFAULTS)
    return initial


REVISION_DEFAULTS: dict[str, Any] = {
    "rev_index_code": "SYNTEC",
    "rev_formula": "ratio",
    "rev_revision_period_months": 12,
    "rev_index_period_months": 12,
    "rev_decimals": 2,
}

#: A blank form (no terms yet): TERMS.md's defaults.
DEFAULT_INITIAL: dict[str, Any] = terms_initial(
    ContractTerms.model_validate(
        {"contract_type": "assistance", "billing_model": {"kind": "time_and_materials", "labour_rate": "0"}}
    )
) | {"tm_labour_rate": None, "billing_kind": "fixed_fee"}


def initial_rows(terms: ContractTerms | None, name: str, initial: Mapping[str, Any]) -> list[dict[str, str]]:
    """The rows of ``name`` in ``terms`` as the page's strings."""
    if terms is None:
        return []
    model = terms.billing_model
    if name == "task":
        catalogue = getattr(model, "catalogue", [])
        return [{"code": t.code, "label": t.label, "price": _text(t.price) or ""} for t in catalogue]
    if name == "milestone":
        milestones = getattr(model, "milestones", [])
        return [
            {
                "label": m.label,
                "amount": _text(m.amount) or "",
                "expected_on": m.expected_on.isoformat() if m.expected_on else "",
            }
            for m in milestones
        ]
    if name == "zone":
        return [{"code": z.code, "label": z.label, "fee": _text(z.fee) or ""} for z in terms.travel.zones]
    optional = set(initial.get("optional_clauses") or [])
    return [
        {"key": c.key, "title": c.title, "text": c.text, "optional": "on" if c.key in optional else ""}
        for c in terms.clauses
    ]
