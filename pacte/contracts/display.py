"""The terms as people read them: labelled sections, values in words, and what changed between versions."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pacte.contracts import dates, lifecycle
from pacte.contracts.models import Contract, ContractStatus
from pacte.contracts.terms import (
    ContractTerms,
    FixedFee,
    Milestones,
    PerTask,
    PrepaidCredits,
    TimeAndMaterials,
    Unlimited,
)
from pacte.contracts.terms_choices import (
    BACKUP_CHOICES,
    BILLED_CHOICES,
    BILLING_CHOICES,
    CONTRACT_TYPE_CHOICES,
    EARLY_TERMINATION_CHOICES,
    INCLUDED_UNIT_CHOICES,
    MODE_CHOICES,
    OUT_OF_SCOPE_CHOICES,
    OVERAGE_POLICY_CHOICES,
    PERIOD_CHOICES,
    RENEWAL_CHOICES,
    ROLLOVER_CHOICES,
)
from pacte.sla.calendars import CalendarError, HolidayRegion
from pacte.tenancy.models import Client

Row = tuple[str, str]

#: Deadline warnings (``dates.deadlines``) and notice reasons (``dates.notice_effect``), in words.
WARNINGS = {
    "refusal_deadline_not_working_day": gettext_lazy(
        "This day is a weekend day or a public holiday: the deadline does not move, act before it."
    ),
    "refusal_deadline_before_term_start": gettext_lazy(
        "The notice is as long as the term: the renewal could only be refused before the term began."
    ),
}
NOTICE_REASONS = {
    "l215_free_termination": gettext_lazy("Free termination (Code de la consommation L215-1: reminder not sent)"),
    "indefinite_term_notice": gettext_lazy("Indefinite term: ends after the notice"),
    "term_end_no_renewal": gettext_lazy("Ends at the end of the term (no renewal)"),
    "term_end_express_renewal": gettext_lazy("Ends at the end of the term (not renewed)"),
    "before_refusal_deadline": gettext_lazy("Received before the refusal deadline: ends at the end of the term"),
    "late_renewed_fixed_term": gettext_lazy("Late: the contract renewed and ends at the end of the new term"),
    "late_renewed_indefinite_term": gettext_lazy("Late: the contract renewed; it ends after the notice"),
    "early_termination": gettext_lazy("Early termination at the requested date"),
}
JUDGE_NOTICE = gettext_lazy("revisable by the judge (art. 1231-5 of the Code civil)")

#: Labels of the terms' dotted paths (for "what changed").
PATH_LABELS = {
    "contract_type": gettext_lazy("Contract type"),
    "sites": gettext_lazy("Sites in scope"),
    "assets": gettext_lazy("Assets in scope"),
    "covered_categories": gettext_lazy("Covered service categories"),
    "out_of_scope": gettext_lazy("Out of scope"),
    "intervention_modes": gettext_lazy("Interventions allowed"),
    "service_level": gettext_lazy("Service level"),
    "backup_duty.party": gettext_lazy("Backups before an intervention"),
    "backup_duty.blocking": gettext_lazy("On-site work waits for the backups"),
    "out_of_scope_rule.kind": gettext_lazy("Work out of scope"),
    "out_of_scope_rule.hours": gettext_lazy("Hours of time and materials allowed"),
    "billing_model.kind": gettext_lazy("Billing model"),
    "billing_model.fee": gettext_lazy("Fee (excl. VAT)"),
    "billing_model.period": gettext_lazy("Period"),
    "billing_model.billed": gettext_lazy("Billed"),
    "billing_model.included_quantity": gettext_lazy("Included quantity per period"),
    "billing_model.included_unit": gettext_lazy("Unit"),
    "billing_model.overage_rate": gettext_lazy("Rate beyond the included quantity (per unit, excl. VAT)"),
    "billing_model.overage_policy": gettext_lazy("Beyond the included quantity"),
    "billing_model.labour_rate": gettext_lazy("Labour rate (per hour, excl. VAT)"),
    "billing_model.travel_rate": gettext_lazy("Travel time rate (per hour, excl. VAT)"),
    "billing_model.block_quantity": gettext_lazy("Hours per block"),
    "billing_model.block_price": gettext_lazy("Price of a block (excl. VAT)"),
    "billing_model.validity_months": gettext_lazy("Validity (months)"),
    "billing_model.rollover": gettext_lazy("Hours left at expiry"),
    "billing_model.rollover_cap": gettext_lazy("Most hours carried over"),
    "billing_model.catalogue": gettext_lazy("Task catalogue"),
    "billing_model.milestones": gettext_lazy("Milestones"),
    "rounding_unit_minutes": gettext_lazy("Each time entry rounded up to (minutes)"),
    "minimum_minutes_per_intervention": gettext_lazy("Minimum per intervention (minutes)"),
    "multipliers.after_hours": gettext_lazy("Multiplier outside the coverage hours"),
    "multipliers.weekend_or_holiday": gettext_lazy("Multiplier on weekends and holidays"),
    "multipliers.on_site": gettext_lazy("Multiplier on site"),
    "travel.zones": gettext_lazy("Travel zones"),
    "travel.per_km_rate": gettext_lazy("Rate per kilometre (excl. VAT)"),
    "alert_thresholds": gettext_lazy("Consumption alerts"),
    "payment_terms.days": gettext_lazy("Payment within (days)"),
    "payment_terms.end_of_month": gettext_lazy("End of month"),
    "price_revision": gettext_lazy("Price revision"),
    "early_termination.rule": gettext_lazy("Early-termination indemnity"),
    "early_termination.percentage": gettext_lazy("Percentage of the remaining fees"),
    "renewal.kind": gettext_lazy("Renewal"),
    "renewal.renewal_term_months": gettext_lazy("Renewal term (months)"),
    "renewal.notice_months": gettext_lazy("Notice (months)"),
    "renewal.notice_days": gettext_lazy("Notice (days)"),
    "liability_cap": gettext_lazy("Liability cap (excl. VAT)"),
    "confidentiality": gettext_lazy("Confidentiality clause"),
    "gdpr_processor_annex": gettext_lazy("GDPR processor annex (art. 28)"),
    "clauses": gettext_lazy("Clauses"),
}


def label_of(choices: list[tuple[str, Any]], value: str) -> str:
    return str(dict(choices).get(value, value))


def money(value: Decimal | str | None) -> str:
    if value is None:
        return "—"
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    return f"{formats.number_format(amount, 2, use_l10n=True, force_grouping=True)}\u00a0€"


def number(value: Decimal | int | str | None) -> str:
    if value is None:
        return "—"
    amount = Decimal(str(value))
    text = format(amount.normalize() + Decimal(0), "f")
    places = len(text.split(".")[1]) if "." in text else 0
    return formats.number_format(amount, places, use_l10n=True)


def percent(fraction: Decimal | None) -> str:
    if fraction is None:
        return "—"
    return f"{number(Decimal(str(fraction)) * 100)}\u00a0%"


def day(value: datetime.date | None) -> str:
    return formats.date_format(value, "SHORT_DATE_FORMAT") if value else "—"


def yes_no(value: bool) -> str:
    return _("yes") if value else _("no")


def _names(ids: list[int] | list[str], names: Mapping[Any, str]) -> str:
    return ", ".join(names.get(item, str(item)) for item in ids)


def _billing_rows(model: Any) -> list[Row]:
    rows: list[Row] = [(_("Billing model"), label_of(BILLING_CHOICES, model.kind))]
    if isinstance(model, FixedFee | Unlimited):
        period, billed = label_of(PERIOD_CHOICES, model.period), label_of(BILLED_CHOICES, model.billed)
        rows.append((_("Fee (excl. VAT)"), f"{money(model.fee)} {period}, {billed}"))
    if isinstance(model, FixedFee):
        if model.included_unit != "none" and model.included_quantity:
            unit = label_of(INCLUDED_UNIT_CHOICES, model.included_unit)
            rows.append((_("Included per period"), f"{number(model.included_quantity)} {unit}"))
            rows.append((_("Rate beyond the included quantity (per unit, excl. VAT)"), money(model.overage_rate)))
            rows.append((_("Beyond the included quantity"), label_of(OVERAGE_POLICY_CHOICES, model.overage_policy)))
        else:
            rows.append((_("Included per period"), _("nothing included")))
    if isinstance(model, Unlimited):
        rows.append((_("Included"), _("Everything in scope, within the coverage hours")))
    if isinstance(model, TimeAndMaterials):
        rows.append((_("Labour rate (per hour, excl. VAT)"), money(model.labour_rate)))
        rows.append((_("Travel time rate (per hour, excl. VAT)"), money(model.travel_rate)))
    if isinstance(model, PrepaidCredits):
        rows.append((_("Block"), f"{number(model.block_quantity)} h — {money(model.block_price)}"))
        rows.append((_("Validity (months)"), str(model.validity_months)))
        rollover = label_of(ROLLOVER_CHOICES, model.rollover)
        if model.rollover == "capped":
            rollover = f"{rollover} ({number(model.rollover_cap)} h)"
        rows.append((_("Hours left at expiry"), rollover))
    if isinstance(model, PerTask):
        for task in model.catalogue:
            rows.append((f"{task.label} ({task.code})", money(task.price)))
    if isinstance(model, Milestones):
        for milestone in model.milestones:
            expected = f" — {day(milestone.expected_on)}" if milestone.expected_on else ""
            rows.append((milestone.label, f"{money(milestone.amount)}{expected}"))
    return rows


def terms_sections(
    terms: ContractTerms,
    *,
    sites: Mapping[int, str] | None = None,
    assets: Mapping[int, str] | None = None,
    categories: Mapping[str, str] | None = None,
    service_levels: Mapping[int, str] | None = None,
) -> list[tuple[str, list[Row]]]:
    """The terms in labelled sections of (label, value) rows, for the detail page."""
    sites, assets, categories, service_levels = sites or {}, assets or {}, categories or {}, service_levels or {}
    backup = label_of(BACKUP_CHOICES, terms.backup_duty.party)
    if terms.backup_duty.party == "client" and terms.backup_duty.blocking:
        confirmed = _("confirmed before on-site work")
        backup = f"{backup} ({confirmed})"
    out_rule = label_of(OUT_OF_SCOPE_CHOICES, terms.out_of_scope_rule.kind)
    if terms.out_of_scope_rule.hours is not None:
        out_rule = f"{out_rule} ({number(terms.out_of_scope_rule.hours)} h)"
    scope: list[Row] = [
        (_("Contract type"), label_of(CONTRACT_TYPE_CHOICES, terms.contract_type)),
        (_("Sites in scope"), _names(terms.sites, sites) or _("the client as a whole")),
        (_("Assets in scope"), _names(terms.assets, assets) or _("every asset of the sites in scope")),
        (_("Covered service categories"), _names(terms.covered_categories, categories) or "—"),
        (_("Out of scope"), terms.out_of_scope or "—"),
        (_("Interventions allowed"), ", ".join(label_of(MODE_CHOICES, mode) for mode in terms.intervention_modes)),
        (
            _("Service level"),
            service_levels.get(terms.service_level, str(terms.service_level)) if terms.service_level else "—",
        ),
        (_("Backups before an intervention"), backup),
        (_("Work out of scope"), out_rule),
    ]
    travel = _("none")
    if terms.travel.zones:
        travel = "; ".join(f"{zone.label} ({zone.code}): {money(zone.fee)}" for zone in terms.travel.zones)
    elif terms.travel.per_km_rate is not None:
        travel = f"{money(terms.travel.per_km_rate)} / km"
    payment = _("%(days)s days") % {"days": terms.payment_terms.days}
    if terms.payment_terms.end_of_month:
        payment = _("%(days)s days end of month") % {"days": terms.payment_terms.days}
    multipliers = terms.multipliers
    common: list[Row] = [
        (_("Each time entry rounded up to (minutes)"), str(terms.rounding_unit_minutes)),
        (_("Minimum per intervention (minutes)"), str(terms.minimum_minutes_per_intervention)),
        (
            _("Multipliers"),
            _("outside the coverage hours × %(a)s, weekends and holidays × %(b)s, on site × %(c)s")
            % {
                "a": number(multipliers.after_hours),
                "b": number(multipliers.weekend_or_holiday),
                "c": number(multipliers.on_site),
            },
        ),
        (_("Travel"), travel),
        (_("Consumption alerts"), ", ".join(percent(value) for value in terms.alert_thresholds) or "—"),
        (_("Payment terms"), payment),
    ]
    revision_rows: list[Row] = []
    revision = terms.price_revision
    if revision is not None:
        formula = "P1 = P0 × S1/S0"
        if revision.formula == "mixed":
            formula = f"P1 = P0 × ({number(revision.fixed_part)} + {number(1 - revision.fixed_part)} × S1/S0)"
        revision_rows = [
            (_("Index"), revision.index_code),
            (_("Reference month (S0)"), formats.date_format(revision.reference_month, "YEAR_MONTH_FORMAT")),
            (_("Formula"), formula),
            (_("Floor (%)"), percent(revision.floor)),
            (_("Cap (%)"), percent(revision.cap)),
            (_("Months between revisions"), str(revision.revision_period_months)),
            (_("Index variation period (months)"), str(revision.index_period_months)),
        ]
        if revision.linking_coefficient is not None:
            revision_rows.append((_("Linking coefficient (old series)"), number(revision.linking_coefficient)))
    renewal = terms.renewal
    notice = (
        _("%(n)s months") % {"n": renewal.notice_months}
        if renewal.notice_months
        else _("%(n)s days") % {"n": renewal.notice_days}
    )
    renewal_rows: list[Row] = [(_("Renewal"), label_of(RENEWAL_CHOICES, renewal.kind))]
    if renewal.kind != "none":
        term = (
            _("%(n)s months") % {"n": renewal.renewal_term_months}
            if renewal.renewal_term_months
            else _("indefinite duration")
        )
        renewal_rows += [(_("Renewal term"), term), (_("Notice"), notice)]
    early = label_of(EARLY_TERMINATION_CHOICES, terms.early_termination.rule)
    if terms.early_termination.percentage is not None:
        early = f"{early}: {number(terms.early_termination.percentage)}\u00a0%"
    legal: list[Row] = [
        (_("Early-termination indemnity"), early),
        (_("Liability cap (excl. VAT)"), money(terms.liability_cap) if terms.liability_cap is not None else _("none")),
        (_("Confidentiality clause"), yes_no(terms.confidentiality)),
        (_("GDPR processor annex (art. 28)"), yes_no(terms.gdpr_processor_annex)),
    ]
    sections = [
        (_("Scope and service"), scope),
        (_("Billing"), _billing_rows(terms.billing_model)),
        (_("Rules common to every model"), common),
    ]
    if revision_rows:
        sections.append((_("Price revision"), revision_rows))
    sections += [(_("Renewal and notice"), renewal_rows), (_("Legal clauses"), legal)]
    return sections


def _value(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return yes_no(value)
    if isinstance(value, list):
        return ", ".join(_value(item) for item in value) or "—"
    if isinstance(value, dict):
        if {"key", "title"} <= set(value):
            return str(value["title"])
        if "label" in value:
            return str(value["label"])
        return ", ".join(f"{key}: {_value(item)}" for key, item in value.items())
    return str(value)


def change_rows(changes: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """A version's ``changes`` (dotted path → [before, after]) as (label, before, after) for people."""
    rows = []
    for path, pair in sorted(changes.items()):
        before, after = (pair[0], pair[1]) if isinstance(pair, list | tuple) and len(pair) == 2 else (None, pair)
        if path == "clauses" and isinstance(before, list) and isinstance(after, list):
            rows.extend(_clause_changes(before, after))
            continue
        label = PATH_LABELS.get(path) or PATH_LABELS.get(path.split(".")[0]) or path
        rows.append((str(label), _value(before), _value(after)))
    return rows


def _clause_changes(before: list[Any], after: list[Any]) -> list[tuple[str, str, str]]:
    old = {item.get("key"): item for item in before if isinstance(item, dict)}
    new = {item.get("key"): item for item in after if isinstance(item, dict)}
    rows = []
    for key in [*old, *(key for key in new if key not in old)]:
        a, b = old.get(key), new.get(key)
        if a == b:
            continue
        title = str((b or a or {}).get("title", key))
        label = _("Clause “%(title)s”") % {"title": title}
        rows.append((label, (a or {}).get("text", "—") or "—", (b or {}).get("text", "—") or "—"))
    return rows


# Deadlines ------------------------------------------------------------------------------------------


def non_working_days(client: Client, years: Iterable[int]) -> frozenset[datetime.date]:
    """The public holidays of the client's region in ``years`` (weekends are the domain's)."""
    try:
        region = HolidayRegion("FR", client.holiday_subdivision or None)
    except CalendarError:
        region = HolidayRegion("FR")
    days: set[datetime.date] = set()
    for year in set(years):
        days |= set(region.holidays(year))
    return frozenset(days)


def contract_deadlines(contract: Contract) -> dates.Deadlines | None:
    """``lifecycle.contract_deadlines`` with the client's public holidays (for the weekend/holiday warning)."""
    years = {contract.term_end.year - 1, contract.term_end.year} if contract.term_end else set()
    return lifecycle.contract_deadlines(contract, non_working_days=non_working_days(contract.client, years))


def next_deadline(
    contract: Contract, deadlines: dates.Deadlines | None, today: datetime.date
) -> tuple[datetime.date, str] | None:
    """The next date to act on: the reminder window, the refusal deadline, the term's end, the last day."""
    candidates: list[tuple[datetime.date, str]] = []
    if deadlines is not None:
        if deadlines.reminder_window and contract.reminder_sent_on is None:
            first, last = deadlines.reminder_window
            candidates.append((first if first >= today else last, _("Renewal reminder (L215-1)")))
        if deadlines.refusal_deadline:
            candidates.append((deadlines.refusal_deadline, _("Last day to refuse renewal")))
        if deadlines.term_last_day:
            candidates.append((deadlines.term_last_day, _("End of the current term")))
    if contract.status == ContractStatus.NOTICE_GIVEN and contract.end_date:
        candidates.append((contract.end_date, _("Last day of the contract")))
    upcoming = sorted(item for item in candidates if item[0] >= today)
    return upcoming[0] if upcoming else None
