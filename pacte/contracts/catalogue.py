"""The provider's service catalogue and contract templates: create, update, archive. Validated, atomic, audited."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from pacte.audit.services import archive_once, audit_changes, audit_record, snapshot
from pacte.contracts import dates
from pacte.contracts.models import ContractTemplate, ServiceCategory
from pacte.contracts.permissions import can_manage_contracts
from pacte.contracts.services import MAX_DURATION_MONTHS, terms_parse
from pacte.contracts.terms import ContractTerms
from pacte.core.services import apply_fields, ensure_not_archived
from pacte.tenancy.models import Membership
from pacte.tenancy.permissions import require

CATEGORY_FIELDS = ("name", "description")
TEMPLATE_FIELDS = ("name", "description", "duration_months", "default_terms", "optional_clauses")


def _save(instance: ServiceCategory | ContractTemplate, field: str) -> None:
    """``full_clean`` then save; a duplicate (checked first, or a concurrent insert) is an error on ``field``."""
    model = type(instance)
    value = getattr(instance, field)
    duplicate = model.objects.filter(provider_id=instance.provider_id, **{field: value}).exclude(pk=instance.pk)
    message = _("This code is already used.") if field == "code" else _("This name is already used.")
    if duplicate.exists():
        raise ValidationError({field: message})
    instance.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as error:
        raise ValidationError({field: message}) from error


# Service categories -------------------------------------------------------------------------------


@transaction.atomic
def category_create(*, actor: Membership, code: str, name: str, description: str = "") -> ServiceCategory:
    """A new entry of the catalogue; its ``code`` is what contract terms name and never changes."""
    require(can_manage_contracts(actor))
    category = ServiceCategory(
        provider_id=actor.provider_id, code=code.strip().lower(), name=name.strip(), description=description.strip()
    )
    _save(category, "code")
    audit_record(
        actor=actor,
        action="contracts_category.create",
        instance=category,
        provider=actor.provider,
        after=snapshot(category),
    )
    return category


@transaction.atomic
def category_update(*, actor: Membership, category: ServiceCategory, **fields: Any) -> ServiceCategory:
    """Rename or describe a category (its code stays: contracts refer to it)."""
    require(can_manage_contracts(actor))
    category = ServiceCategory.objects.select_for_update().get(pk=category.pk, provider_id=actor.provider_id)
    ensure_not_archived(category)
    before = snapshot(category)
    apply_fields(category, {key: str(value).strip() for key, value in fields.items()}, CATEGORY_FIELDS)
    _save(category, "code")
    audit_changes(
        actor=actor, action="contracts_category.update", instance=category, provider=actor.provider, before=before
    )
    return category


@transaction.atomic
def category_archive(*, actor: Membership, category: ServiceCategory) -> ServiceCategory:
    """Hide a category from new contracts (contracts that cover it keep it)."""
    require(can_manage_contracts(actor))
    category = ServiceCategory.objects.select_for_update().get(pk=category.pk, provider_id=actor.provider_id)
    archive_once(actor=actor, instance=category, action="contracts_category.archive")
    return category


# Contract templates -------------------------------------------------------------------------------


def _check_template_terms(actor: Membership, terms: ContractTerms) -> None:
    """A template names no client's sites or assets; its service level and categories are the provider's."""
    from pacte.sla.models import ServiceLevel

    errors: dict[str, str] = {}
    if terms.sites or terms.assets:
        errors["terms"] = _("A template names no sites or assets: they belong to each client's contract.")
    if (
        terms.service_level is not None
        and not ServiceLevel.objects.filter(provider_id=actor.provider_id, pk=terms.service_level).exists()
    ):
        errors["service_level"] = _("This service level is not one of yours.")
    if terms.covered_categories:
        known = set(
            ServiceCategory.objects.filter(
                provider_id=actor.provider_id, code__in=terms.covered_categories
            ).values_list("code", flat=True)
        )
        if set(terms.covered_categories) - known:
            errors["covered_categories"] = _("A covered category is not in your service catalogue.")
    if errors:
        raise ValidationError(errors)


def _check_template(actor: Membership, template: ContractTemplate) -> ContractTerms:
    terms = terms_parse(template.default_terms)
    _check_template_terms(actor, terms)
    errors: dict[str, str] = {}
    months = template.duration_months
    if months is not None and not 1 <= months <= MAX_DURATION_MONTHS:
        errors["duration_months"] = _("The duration must be between 1 and %(max)s months, or indefinite.") % {
            "max": MAX_DURATION_MONTHS
        }
    elif months is not None and terms.renewal.kind != "none":
        # The month rule does not depend on the start: any first of a month tells whether the notice fits.
        notice = dates.Notice(months=terms.renewal.notice_months, days=terms.renewal.notice_days)
        start = datetime.date(2001, 1, 1)
        if notice.subtract_from(dates.term_last_day(start, months)) < start:
            errors["terms"] = _("The notice is longer than the term: nobody could ever refuse the renewal in time.")
    if months is None and terms.renewal.kind == "express":
        errors["duration_months"] = _("An indefinite contract has no renewal to decide.")
    keys = [clause.key for clause in terms.clauses]
    optional = list(template.optional_clauses or [])
    if not isinstance(template.optional_clauses, list) or any(key not in keys for key in optional):
        errors["optional_clauses"] = _("An optional clause must be one of the template's clauses.")
    if errors:
        raise ValidationError(errors)
    template.optional_clauses = [key for key in keys if key in optional]
    template.default_terms = terms.model_dump(mode="json")
    template.contract_type = terms.contract_type
    return terms


@transaction.atomic
def template_create(
    *,
    actor: Membership,
    name: str,
    default_terms: dict[str, Any] | ContractTerms,
    description: str = "",
    duration_months: int | None = None,
    optional_clauses: Iterable[str] = (),
    contract_type: str | None = None,
) -> ContractTemplate:
    """A model contract: default terms (no client-specific values), clause texts and its option set.

    ``contract_type``, when given, must be the terms' own (the template's type is always the terms').
    """
    require(can_manage_contracts(actor))
    terms = default_terms.model_dump(mode="json") if isinstance(default_terms, ContractTerms) else default_terms
    if contract_type is not None and contract_type != terms.get("contract_type"):
        raise ValidationError({"contract_type": _("The template's type is the one of its terms.")})
    template = ContractTemplate(
        provider_id=actor.provider_id,
        name=name.strip(),
        description=description.strip(),
        duration_months=duration_months,
        default_terms=terms,
        optional_clauses=list(optional_clauses),
    )
    _check_template(actor, template)
    _save(template, "name")
    audit_record(
        actor=actor,
        action="contracts_template.create",
        instance=template,
        provider=actor.provider,
        after=snapshot(template),
    )
    return template


@transaction.atomic
def template_update(*, actor: Membership, template: ContractTemplate, **fields: Any) -> ContractTemplate:
    """Change a template; contracts drafted from it before keep their own copy of the terms."""
    require(can_manage_contracts(actor))
    template = ContractTemplate.objects.select_for_update().get(pk=template.pk, provider_id=actor.provider_id)
    ensure_not_archived(template)
    before = snapshot(template)
    if isinstance(fields.get("default_terms"), ContractTerms):
        fields["default_terms"] = fields["default_terms"].model_dump(mode="json")
    for key in ("name", "description"):
        if key in fields:
            fields[key] = str(fields[key]).strip()
    if "optional_clauses" in fields:
        fields["optional_clauses"] = list(fields["optional_clauses"])
    apply_fields(template, fields, TEMPLATE_FIELDS)
    _check_template(actor, template)
    _save(template, "name")
    audit_changes(
        actor=actor, action="contracts_template.update", instance=template, provider=actor.provider, before=before
    )
    return template


@transaction.atomic
def template_archive(*, actor: Membership, template: ContractTemplate) -> ContractTemplate:
    """Hide a template from new drafts (contracts drafted from it are not affected)."""
    require(can_manage_contracts(actor))
    template = ContractTemplate.objects.select_for_update().get(pk=template.pk, provider_id=actor.provider_id)
    archive_once(actor=actor, instance=template, action="contracts_template.archive")
    return template
