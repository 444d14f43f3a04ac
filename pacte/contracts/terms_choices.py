"""The contract terms' choices and messages as the pages show them (the terms form, the terms display).

``TERMS_MESSAGES`` maps ``terms.py``'s own validation messages (English, raised by its validators) to
the form field they are about and their translation; ``TOP_FIELDS`` / ``NESTED_FIELDS`` say where
pydantic's errors on a key of the terms land in the form.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

CONTRACT_TYPE_CHOICES = [
    ("maintenance", _("Maintenance")),
    ("assistance", _("Assistance")),
    ("prestation", _("Service project")),
]
BILLING_CHOICES = [
    ("fixed_fee", _("Fixed fee")),
    ("unlimited", _("Unlimited within scope")),
    ("time_and_materials", _("Time and materials")),
    ("prepaid_credits", _("Prepaid time credits")),
    ("per_task", _("Per-task catalogue")),
    ("milestones", _("Project milestones")),
]
PERIOD_CHOICES = [("month", _("per month")), ("quarter", _("per quarter")), ("year", _("per year"))]
BILLED_CHOICES = [("in_advance", _("in advance")), ("in_arrears", _("in arrears"))]
INCLUDED_UNIT_CHOICES = [
    ("hours", _("hours")),
    ("interventions", _("interventions")),
    ("none", _("nothing included")),
]
OVERAGE_POLICY_CHOICES = [
    ("allow", _("Allow and bill")),
    ("warn", _("Warn, then bill")),
    ("block", _("Block until agreed")),
]
ROLLOVER_CHOICES = [
    ("none", _("Lost when the block expires")),
    ("next_block", _("Carried over to the next block")),
    ("capped", _("Carried over, up to a cap")),
]
MODE_CHOICES = [("remote", _("Remote")), ("on_site", _("On site")), ("workshop", _("In the workshop"))]
BACKUP_CHOICES = [
    ("client", _("The client makes its own backups")),
    ("provider_option", _("The provider makes them (option)")),
]
OUT_OF_SCOPE_CHOICES = [
    ("quote_required", _("A quote is required")),
    ("time_and_materials_up_to", _("Time and materials, up to a number of hours")),
    ("refuse", _("Refused")),
]
FORMULA_CHOICES = [("ratio", "P1 = P0 × S1/S0"), ("mixed", "P1 = P0 × (a + b × S1/S0)")]
EARLY_TERMINATION_CHOICES = [
    ("remaining_fees", _("The fees remaining until the end of the term")),
    ("percentage_of_remaining", _("A percentage of the remaining fees")),
    ("none", _("No indemnity")),
]
RENEWAL_CHOICES = [
    ("tacit", _("Tacit renewal")),
    ("express", _("Express renewal")),
    ("none", _("No renewal")),
]
TRAVEL_CHOICES = [("none", _("No travel fee")), ("zones", _("A flat fee per zone")), ("per_km", _("Per kilometre"))]
MONTH_CHOICES = [("", "—")] + [(str(number), str(number)) for number in range(1, 13)]

#: terms.py's own messages (English, raised by its validators) → (the field they are about, translated).
TERMS_MESSAGES: dict[str, tuple[str | None, Any]] = {
    "An included quantity needs a unit (hours or interventions).": (
        "ff_included_unit",
        _("An included quantity needs a unit (hours or interventions)."),
    ),
    "An included volume needs an overage rate for the work beyond it.": (
        "ff_overage_rate",
        _("An included volume needs an overage rate for the work beyond it."),
    ),
    "A capped rollover needs its cap, and only a capped rollover has one.": (
        "pc_rollover_cap",
        _("A capped rollover needs its cap."),
    ),
    "Each catalogue task needs its own code.": (None, _("Each catalogue task needs its own code.")),
    "Travel is billed by zone or per kilometre, not both.": (
        "travel_mode",
        _("Travel is billed by zone or per kilometre, not both."),
    ),
    "'Time and materials up to' needs its number of hours, and only that rule has one.": (
        "out_of_scope_hours",
        _("Give the number of hours of time and materials allowed."),
    ),
    "Payment terms end of month may not exceed 45 days (Code de commerce L441-10).": (
        "payment_days",
        _("Payment terms end of month may not exceed 45 days (Code de commerce L441-10)."),
    ),
    "The index variation period may not be longer than the period between revisions "
    "(Code monétaire et financier L112-1).": (
        "rev_index_period_months",
        _(
            "The index variation period may not be longer than the period between revisions "
            "(Code monétaire et financier L112-1)."
        ),
    ),
    "The floor of the revision is above its cap.": ("rev_cap", _("The floor of the revision is above its cap.")),
    "A fixed part belongs to the mixed formula only.": (
        "rev_fixed_part",
        _("A fixed part belongs to the mixed formula only."),
    ),
    "A percentage of the remaining fees needs its percentage, and only that rule has one.": (
        "et_percentage",
        _("Give the percentage of the remaining fees."),
    ),
    "Give the notice in months or in days, not both.": (
        "notice_days",
        _("Give the notice in months or in days, not both."),
    ),
    "Each clause needs its own key.": (None, _("Each clause needs its own key.")),
    "A value is listed twice.": (None, _("A value is listed twice.")),
}

#: Where a top-level key of the terms lands in the form when pydantic complains about it as a whole.
TOP_FIELDS = {
    "backup_duty": "backup_party",
    "out_of_scope_rule": "out_of_scope_kind",
    "billing_model": "billing_kind",
    "multipliers": "mult_after_hours",
    "travel": "travel_mode",
    "alert_thresholds": "alert_thresholds",
    "payment_terms": "payment_days",
    "price_revision": "revision_enabled",
    "early_termination": "et_rule",
    "renewal": "renewal_kind",
    "clauses": None,
}
NESTED_FIELDS = {
    ("backup_duty", "party"): "backup_party",
    ("backup_duty", "blocking"): "backup_blocking",
    ("out_of_scope_rule", "kind"): "out_of_scope_kind",
    ("out_of_scope_rule", "hours"): "out_of_scope_hours",
    ("travel", "per_km_rate"): "travel_per_km_rate",
    ("travel", "zones"): "travel_mode",
    ("payment_terms", "days"): "payment_days",
    ("payment_terms", "end_of_month"): "payment_end_of_month",
    ("early_termination", "rule"): "et_rule",
    ("early_termination", "percentage"): "et_percentage",
    ("renewal", "kind"): "renewal_kind",
    ("renewal", "renewal_term_months"): "renewal_term_months",
    ("renewal", "notice_months"): "notice_months",
    ("renewal", "notice_days"): "notice_days",
}
