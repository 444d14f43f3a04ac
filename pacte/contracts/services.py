"""Every write to contracts: drafting, sending, signing, amendments. Validated, atomic, audited.

The lifecycle after activation (renewal, notice, exit, closing) is in ``lifecycle.py``.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from pydantic import ValidationError as PydanticValidationError

from pacte.audit.services import audit_record
from pacte.contracts import dates
from pacte.contracts.models import (
    Contract,
    ContractStatus,
    ContractTemplate,
    ContractVersion,
    ReferenceSequence,
    ServiceCategory,
    VersionKind,
    VersionStatus,
)
from pacte.contracts.permissions import can_manage_contracts, can_sign_for_client
from pacte.contracts.terms import ContractTerms, terms_diff
from pacte.core.errors import ConflictError
from pacte.core.sequences import sequence_next
from pacte.documents.services import document_seal_on_behalf, signature_record
from pacte.tenancy.models import Client, Membership, Provider, Site
from pacte.tenancy.permissions import require

DRAFT_FIELDS = ("title", "start_date", "duration_months")
MAX_DURATION_MONTHS = 120


# Validation ---------------------------------------------------------------------------------------


def terms_parse(data: dict[str, Any] | ContractTerms) -> ContractTerms:
    """``data`` as ``ContractTerms``; pydantic's errors become one ``ValidationError`` keyed ``terms``."""
    if isinstance(data, ContractTerms):
        return data
    try:
        return ContractTerms.model_validate(data)
    except PydanticValidationError as error:
        messages = []
        for item in error.errors():
            where = ".".join(str(part) for part in item["loc"])
            messages.append(f"{where}: {item['msg']}" if where else item["msg"])
        raise ValidationError({"terms": messages}) from error


def terms_check_references(*, provider: Provider, client: Client, terms: ContractTerms) -> None:
    """Sites, assets, service level and categories named by ``terms`` exist and belong to this client/provider."""
    from pacte.sla.models import ServiceLevel

    errors: dict[str, str] = {}
    if terms.sites:
        found = set(
            Site.objects.filter(provider_id=provider.pk, client_id=client.pk, pk__in=terms.sites).values_list(
                "pk", flat=True
            )
        )
        if set(terms.sites) - found:
            errors["sites"] = _("A site in scope is not one of this client's sites.")
    if terms.assets:
        asset_model = apps.get_model("assets", "Asset")
        assets = asset_model.objects.filter(provider_id=provider.pk, client_id=client.pk, pk__in=terms.assets)
        found_assets = dict(assets.values_list("pk", "site_id"))
        if set(terms.assets) - set(found_assets):
            errors["assets"] = _("An asset in scope is not one of this client's assets.")
        elif terms.sites and any(site and site not in terms.sites for site in found_assets.values()):
            errors["assets"] = _("An asset in scope is on a site outside the contract's sites.")
    if (
        terms.service_level is not None
        and not ServiceLevel.objects.filter(provider_id=provider.pk, pk=terms.service_level).exists()
    ):
        errors["service_level"] = _("This service level is not one of yours.")
    if terms.covered_categories:
        known = set(
            ServiceCategory.objects.filter(provider_id=provider.pk, code__in=terms.covered_categories).values_list(
                "code", flat=True
            )
        )
        if set(terms.covered_categories) - known:
            errors["covered_categories"] = _("A covered category is not in your service catalogue.")
    if errors:
        raise ValidationError(errors)


def _check_contract_dates(start_date: datetime.date, duration_months: int | None, terms: ContractTerms) -> None:
    errors: dict[str, str] = {}
    if duration_months is not None and not 1 <= duration_months <= MAX_DURATION_MONTHS:
        errors["duration_months"] = _("The duration must be between 1 and %(max)s months, or indefinite.") % {
            "max": MAX_DURATION_MONTHS
        }
    renewal = terms.renewal
    if duration_months is not None and not errors:
        last_day = dates.term_last_day(start_date, duration_months)
        notice = dates.Notice(months=renewal.notice_months, days=renewal.notice_days)
        if renewal.kind != "none" and notice.subtract_from(last_day) < start_date:
            errors["terms"] = _("The notice is longer than the term: nobody could ever refuse the renewal in time.")
    if duration_months is None and renewal.kind == "express":
        errors["duration_months"] = _("An indefinite contract has no renewal to decide.")
    if terms.price_revision is not None and terms.price_revision.reference_month > start_date.replace(day=1):
        errors["terms"] = _("The price revision's reference month is after the contract's start.")
    if errors:
        raise ValidationError(errors)


def _next_reference(provider: Provider, kind: str, prefix: str, year: int) -> str:
    number = sequence_next(ReferenceSequence, provider=provider, kind=kind, year=year)
    return f"{prefix}-{year}-{number:04d}"


def _client_of(actor: Membership, client: Client) -> Client:
    if client.provider_id != actor.provider_id:
        raise ValidationError({"client": _("This client is not one of yours.")})
    if client.archived_at is not None:
        raise ConflictError(_("This client is archived."))
    return client


# Drafting -----------------------------------------------------------------------------------------


def template_terms_for_client(
    template: ContractTemplate, *, included_clauses: list[str] | None = None
) -> ContractTerms:
    """A template's default terms, leaving out the optional clauses not chosen."""
    terms = template.terms
    if included_clauses is None:
        return terms
    optional = set(template.optional_clauses)
    kept = [clause for clause in terms.clauses if clause.key not in optional or clause.key in included_clauses]
    return terms.model_copy(update={"clauses": kept})


@transaction.atomic
def contract_create(
    *,
    actor: Membership,
    client: Client,
    title: str,
    start_date: datetime.date,
    duration_months: int | None,
    terms: dict[str, Any] | ContractTerms,
    template: ContractTemplate | None = None,
) -> Contract:
    """A draft contract with its first version (effective at the start date)."""
    require(can_manage_contracts(actor))
    client = _client_of(actor, client)
    if template is not None and template.provider_id != actor.provider_id:
        raise ValidationError({"template": _("This template is not one of yours.")})
    parsed = terms_parse(terms)
    if not title.strip():
        raise ValidationError({"title": _("The contract needs a title.")})
    _check_contract_dates(start_date, duration_months, parsed)
    terms_check_references(provider=actor.provider, client=client, terms=parsed)
    contract = Contract(
        provider=actor.provider,
        client=client,
        reference=_next_reference(actor.provider, "contract", "C", start_date.year),
        title=title.strip()[:200],
        contract_type=parsed.contract_type,
        template=template,
        start_date=start_date,
        duration_months=duration_months,
        created_by=actor,
    )
    contract.full_clean()
    contract.save()
    version = ContractVersion(
        provider=actor.provider,
        client=client,
        contract=contract,
        number=1,
        kind=VersionKind.INITIAL,
        effective_from=start_date,
        terms_data=parsed.model_dump(mode="json"),
    )
    version.full_clean()
    version.save()
    audit_record(
        actor=actor,
        action="contract.create",
        instance=contract,
        provider=actor.provider,
        after={
            "reference": contract.reference,
            "client": client.pk,
            "start_date": start_date,
            "duration_months": duration_months,
            "template": template.pk if template else None,
        },
    )
    return contract


def draft_version(contract: Contract) -> ContractVersion:
    return contract.versions.get(number=1)


@transaction.atomic
def contract_update_draft(
    *,
    actor: Membership,
    contract: Contract,
    terms: dict[str, Any] | ContractTerms | None = None,
    **fields: Any,
) -> Contract:
    """Change a draft's title, dates or terms (a sent or signed contract changes only by amendment)."""
    require(can_manage_contracts(actor))
    contract = Contract.objects.select_for_update().get(pk=contract.pk, provider_id=actor.provider_id)
    if contract.status != ContractStatus.DRAFT:
        raise ConflictError(_("Only a draft can be edited; a signed contract changes by amendment."))
    unknown = set(fields) - set(DRAFT_FIELDS)
    if unknown:
        raise ValidationError({name: _("This field cannot be set here.") for name in sorted(unknown)})
    version = draft_version(contract)
    before = {"contract": {name: str(getattr(contract, name)) for name in DRAFT_FIELDS}, "terms": version.terms_data}
    parsed = terms_parse(terms) if terms is not None else version.terms
    for name, value in fields.items():
        setattr(contract, name, value.strip()[:200] if name == "title" else value)
    if not contract.title:
        raise ValidationError({"title": _("The contract needs a title.")})
    _check_contract_dates(contract.start_date, contract.duration_months, parsed)
    terms_check_references(provider=actor.provider, client=contract.client, terms=parsed)
    contract.contract_type = parsed.contract_type
    contract.full_clean()
    contract.save()
    version.terms_data = parsed.model_dump(mode="json")
    version.effective_from = contract.start_date
    version.full_clean()
    version.save()
    after = {"contract": {name: str(getattr(contract, name)) for name in DRAFT_FIELDS}, "terms": version.terms_data}
    changes = terms_diff(before, after)
    if changes:
        audit_record(
            actor=actor,
            action="contract.update",
            instance=contract,
            provider=actor.provider,
            before={key: value[0] for key, value in changes.items()},
            after={key: value[1] for key, value in changes.items()},
        )
    return contract


# Sending and signing ------------------------------------------------------------------------------


def _render_documents(actor: Membership, version: ContractVersion) -> None:
    from pacte.contracts.documents import version_documents_render

    pdf, docx = version_documents_render(actor=actor, version=version)
    version.document = pdf
    version.document_docx = docx


@transaction.atomic
def contract_send(*, actor: Membership, contract: Contract, consent_text: str = "") -> ContractVersion:
    """Freeze the draft, render its PDF and Word files, record the provider's signature, await the client's."""
    require(can_manage_contracts(actor))
    contract = Contract.objects.select_for_update().get(pk=contract.pk, provider_id=actor.provider_id)
    if contract.status != ContractStatus.DRAFT:
        raise ConflictError(_("Only a draft can be sent for signature."))
    version = draft_version(contract)
    terms_check_references(provider=actor.provider, client=contract.client, terms=version.terms)
    _version_send(actor, version, consent_text)
    contract.status = ContractStatus.SENT
    contract.sent_at = timezone.now()
    contract.save(update_fields=["status", "sent_at", "updated_at"])
    audit_record(
        actor=actor,
        action="contract.send",
        instance=contract,
        provider=actor.provider,
        before={"status": ContractStatus.DRAFT},
        after={"status": contract.status, "document_sha256": version.document.sha256 if version.document else None},
    )
    return version


def _version_send(actor: Membership, version: ContractVersion, consent_text: str) -> None:
    _render_documents(actor, version)
    assert version.document is not None
    version.provider_signature = signature_record(
        actor=actor,
        document=version.document,
        document_sha256=version.document.sha256,
        consent_text=consent_text or _("I sign this document on behalf of the provider."),
        signer_membership=actor,
    )
    version.status = VersionStatus.SENT
    version.full_clean()
    version.save()


@transaction.atomic
def version_sign(
    *,
    actor: Membership,
    version: ContractVersion,
    document_sha256: str,
    consent_text: str,
    signer_name: str = "",
) -> ContractVersion:
    """The client's manager signs the exact PDF shown; the provider's certificate then seals it.

    The initial version's signature activates the contract; an amendment's takes effect at its date.
    ``document_sha256`` must be the SHA-256 of the PDF the signer was shown, else nothing is recorded.
    """
    require(can_sign_for_client(actor))
    version = (
        ContractVersion.objects.select_for_update(of=("self",))  # PostgreSQL: no FOR UPDATE on an outer join
        .select_related("contract", "document")
        .get(pk=version.pk, provider_id=actor.provider_id, client_id=actor.client_id or 0)
    )
    contract = Contract.objects.select_for_update().get(pk=version.contract_id)
    if version.status == VersionStatus.SIGNED:
        raise ConflictError(_("This document is already signed."))
    if version.status != VersionStatus.SENT or version.document is None:
        raise ConflictError(_("This document is not awaiting a signature."))
    today = timezone.localdate()
    if version.kind == VersionKind.AMENDMENT:
        if contract.status not in (ContractStatus.ACTIVE, ContractStatus.NOTICE_GIVEN):
            raise ConflictError(_("The contract is not in force: the amendment can no longer be signed."))
        if version.effective_from < today:
            raise ConflictError(
                _("The amendment's effective date has passed: the provider must re-date it before it is signed.")
            )
    elif contract.status != ContractStatus.SENT:
        raise ConflictError(_("This contract is not awaiting a signature."))
    version.client_signature = signature_record(
        actor=actor,
        document=version.document,
        document_sha256=document_sha256,
        consent_text=consent_text,
        signer_membership=actor,
        signer_name=signer_name,
    )
    sealed = document_seal_on_behalf(actor=actor, provider=actor.provider, document=version.document)
    version.sealed_document = sealed
    version.status = VersionStatus.SIGNED
    version.signed_at = timezone.now()
    version.full_clean()
    version.save()
    audit_record(
        actor=actor,
        action="contract.version_sign",
        instance=version,
        provider=actor.provider,
        after={"document_sha256": version.document.sha256, "sealed_sha256": sealed.sha256, "number": version.number},
    )
    if version.kind == VersionKind.INITIAL:
        _activate(actor, contract)
    return version


def _activate(actor: Membership, contract: Contract) -> None:
    term = dates.first_term(contract.start_date, contract.duration_months)
    contract.status = ContractStatus.ACTIVE
    contract.activated_at = timezone.now()
    contract.term_number = term.number
    contract.term_start = term.start
    contract.term_end = term.last_day
    contract.full_clean()
    contract.save()
    audit_record(
        actor=actor,
        action="contract.activate",
        instance=contract,
        provider=contract.provider,
        before={"status": ContractStatus.SENT},
        after={"status": contract.status, "term_start": term.start, "term_end": term.last_day},
    )


@transaction.atomic
def contract_cancel(*, actor: Membership, contract: Contract) -> Contract:
    """A draft or sent contract that will never be signed."""
    require(can_manage_contracts(actor))
    contract = Contract.objects.select_for_update().get(pk=contract.pk, provider_id=actor.provider_id)
    if contract.status not in (ContractStatus.DRAFT, ContractStatus.SENT):
        raise ConflictError(_("Only a contract not yet signed can be cancelled; end a signed one by notice."))
    before = contract.status
    contract.status = ContractStatus.CANCELLED
    contract.save(update_fields=["status", "updated_at"])
    contract.versions.exclude(status=VersionStatus.SIGNED).update(status=VersionStatus.CANCELLED)
    audit_record(
        actor=actor,
        action="contract.cancel",
        instance=contract,
        provider=actor.provider,
        before={"status": before},
        after={"status": contract.status},
    )
    return contract


# Amendments ---------------------------------------------------------------------------------------


def _latest_signed(contract: Contract) -> ContractVersion:
    version = contract.versions.filter(status=VersionStatus.SIGNED).order_by("-effective_from", "-number").first()
    if version is None:
        raise ConflictError(_("This contract has no signed version yet."))
    return version


def _check_amendment(
    contract: Contract, version_number: int | None, effective_from: datetime.date, terms: ContractTerms
) -> None:
    errors: dict[str, str] = {}
    if effective_from < contract.start_date:
        errors["effective_from"] = _("An amendment cannot take effect before the contract starts.")
    elif contract.end_date is not None and effective_from > contract.end_date:
        errors["effective_from"] = _("An amendment cannot take effect after the contract ends.")
    else:
        latest = _latest_signed(contract)
        if effective_from <= latest.effective_from:
            errors["effective_from"] = _(
                "An amendment takes effect after the version in force (effective %(date)s)."
            ) % {"date": latest.effective_from.strftime("%d/%m/%Y")}
    if terms.contract_type != contract.contract_type:
        errors["terms"] = _("An amendment cannot change the contract's type.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def amendment_create(
    *,
    actor: Membership,
    contract: Contract,
    effective_from: datetime.date,
    reason: str,
    terms: dict[str, Any] | ContractTerms | None = None,
) -> ContractVersion:
    """A draft amendment: a new version, by default a copy of the latest signed terms, to edit then send."""
    require(can_manage_contracts(actor))
    contract = Contract.objects.select_for_update().get(pk=contract.pk, provider_id=actor.provider_id)
    if contract.status not in (ContractStatus.ACTIVE, ContractStatus.NOTICE_GIVEN):
        raise ConflictError(_("Only a contract in force can be amended."))
    if contract.versions.filter(status__in=[VersionStatus.DRAFT, VersionStatus.SENT]).exists():
        raise ConflictError(_("An amendment is already being prepared: finish or cancel it first."))
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the contract is amended.")})
    latest = _latest_signed(contract)
    parsed = terms_parse(terms) if terms is not None else latest.terms
    _check_amendment(contract, None, effective_from, parsed)
    terms_check_references(provider=actor.provider, client=contract.client, terms=parsed)
    number = (contract.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    version = ContractVersion(
        provider=actor.provider,
        client=contract.client,
        contract=contract,
        number=number,
        kind=VersionKind.AMENDMENT,
        effective_from=effective_from,
        reason=reason.strip()[:300],
        terms_data=parsed.model_dump(mode="json"),
    )
    version.changes = {key: list(value) for key, value in terms_diff(latest.terms_data, version.terms_data).items()}
    version.full_clean()
    version.save()
    audit_record(
        actor=actor,
        action="contract.amendment_create",
        instance=version,
        provider=actor.provider,
        after={"contract": contract.pk, "number": number, "effective_from": effective_from, "changes": version.changes},
    )
    return version


@transaction.atomic
def amendment_update(
    *,
    actor: Membership,
    version: ContractVersion,
    effective_from: datetime.date | None = None,
    reason: str | None = None,
    terms: dict[str, Any] | ContractTerms | None = None,
) -> ContractVersion:
    """Edit a draft amendment, or re-date one sent but not signed (which puts it back to draft)."""
    require(can_manage_contracts(actor))
    version = ContractVersion.objects.select_for_update().get(pk=version.pk, provider_id=actor.provider_id)
    if version.kind != VersionKind.AMENDMENT or version.status not in (VersionStatus.DRAFT, VersionStatus.SENT):
        raise ConflictError(_("Only an amendment not yet signed can be changed."))
    contract = version.contract
    parsed = terms_parse(terms) if terms is not None else version.terms
    new_date = effective_from or version.effective_from
    _check_amendment(contract, version.number, new_date, parsed)
    terms_check_references(provider=actor.provider, client=contract.client, terms=parsed)
    before = {"effective_from": version.effective_from.isoformat(), "reason": version.reason, "status": version.status}
    version.effective_from = new_date
    if reason is not None:
        if not reason.strip():
            raise ValidationError({"reason": _("Say why the contract is amended.")})
        version.reason = reason.strip()[:300]
    version.terms_data = parsed.model_dump(mode="json")
    version.changes = {
        key: list(value) for key, value in terms_diff(_latest_signed(contract).terms_data, version.terms_data).items()
    }
    # A changed amendment must be shown and signed again: its documents no longer say the same thing.
    version.status = VersionStatus.DRAFT
    version.document = version.document_docx = None
    version.provider_signature = None
    version.full_clean()
    version.save()
    audit_record(
        actor=actor,
        action="contract.amendment_update",
        instance=version,
        provider=actor.provider,
        before=before,
        after={"effective_from": new_date.isoformat(), "reason": version.reason, "status": version.status},
    )
    return version


@transaction.atomic
def amendment_send(*, actor: Membership, version: ContractVersion, consent_text: str = "") -> ContractVersion:
    require(can_manage_contracts(actor))
    version = ContractVersion.objects.select_for_update().get(pk=version.pk, provider_id=actor.provider_id)
    if version.kind != VersionKind.AMENDMENT or version.status != VersionStatus.DRAFT:
        raise ConflictError(_("Only a draft amendment can be sent for signature."))
    contract = version.contract
    _check_amendment(contract, version.number, version.effective_from, version.terms)
    if version.effective_from < timezone.localdate():
        raise ValidationError({"effective_from": _("An amendment cannot take effect before it is signed.")})
    _version_send(actor, version, consent_text)
    audit_record(
        actor=actor,
        action="contract.amendment_send",
        instance=version,
        provider=actor.provider,
        after={"document_sha256": version.document.sha256 if version.document else None},
    )
    return version


@transaction.atomic
def amendment_cancel(*, actor: Membership, version: ContractVersion) -> ContractVersion:
    require(can_manage_contracts(actor))
    version = ContractVersion.objects.select_for_update().get(pk=version.pk, provider_id=actor.provider_id)
    if version.kind != VersionKind.AMENDMENT or version.status not in (VersionStatus.DRAFT, VersionStatus.SENT):
        raise ConflictError(_("Only an amendment not yet signed can be cancelled."))
    before = version.status
    version.status = VersionStatus.CANCELLED
    version.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action="contract.amendment_cancel",
        instance=version,
        provider=actor.provider,
        before={"status": before},
        after={"status": version.status},
    )
    return version
