"""A signed contract's life: terms and renewal, notice, exit checklist, closing. Services, audited.

``contracts_roll`` is the daily job that renews, expires and moves contracts into their exit; the
rules of dates live in the pure ``dates`` module.
"""

from __future__ import annotations

import datetime
from collections.abc import Collection, Iterable
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from pacte.audit.services import audit_record
from pacte.contracts import dates, indemnity
from pacte.contracts.models import (
    Contract,
    ContractStatus,
    ContractVersion,
    ExitItem,
    ExitItemKind,
    Notice,
    NoticeChannel,
    NoticeParty,
    VersionStatus,
)
from pacte.contracts.permissions import can_manage_contracts, can_sign_for_client
from pacte.contracts.selectors import contract_terms_at
from pacte.contracts.terms import ContractTerms
from pacte.core.errors import ConflictError
from pacte.documents.models import Document, DocumentKind
from pacte.documents.services import document_store
from pacte.tenancy.models import Membership
from pacte.tenancy.permissions import require

#: The default exit checklist (seeds: return of accesses, end-of-mission audit, data returned or deleted).
EXIT_CHECKLIST: tuple[tuple[str, str], ...] = (
    (ExitItemKind.ACCESSES, gettext_noop("Return of accesses (accounts, badges, keys, remote tools removed)")),
    (ExitItemKind.CREDENTIALS, gettext_noop("Rotation of every credential the provider knew")),
    (ExitItemKind.DATA, gettext_noop("Client data exported and handed over, then deleted (GDPR art. 28)")),
    (ExitItemKind.DOCUMENTATION, gettext_noop("Documentation handed over (network, passwords vault, procedures)")),
    (ExitItemKind.AUDIT, gettext_noop("End-of-mission audit delivered")),
    (ExitItemKind.FINAL_INVOICE, gettext_noop("Final invoice issued")),
)
MAX_EVIDENCE_BYTES = 20 * 1024 * 1024


# Terms and deadlines ------------------------------------------------------------------------------


def renewal_rule(terms: ContractTerms) -> dates.RenewalRule:
    renewal = terms.renewal
    return dates.RenewalRule(
        kind=renewal.kind,
        renewal_term_months=renewal.renewal_term_months,
        notice=dates.Notice(months=renewal.notice_months, days=renewal.notice_days),
    )


def current_version(contract: Contract, at: datetime.date | None = None) -> ContractVersion | None:
    """The version in force on ``at`` (today by default), else the latest signed one."""
    at = at or timezone.localdate()
    version = contract_terms_at(contract, min(max(at, contract.start_date), contract.end_date or at))
    if version is None:
        version = contract.versions.filter(status=VersionStatus.SIGNED).order_by("-effective_from", "-number").first()
    return version


def current_term(contract: Contract, terms: ContractTerms) -> dates.Term:
    """The running term as the pure domain sees it (rebuilt from the start so months never drift)."""
    rule = renewal_rule(terms)
    number = max(contract.term_number, 1)
    term = dates.first_term(contract.start_date, contract.duration_months)
    while term.number < number:
        following = dates.next_term(term, rule)
        if following is None:
            break
        term = following
    if contract.term_start and contract.term_start != term.start:
        # Renewed under other terms than today's (e.g. an amendment changed the renewal term): trust the stored term.
        return dates.Term(number, contract.term_start, contract.term_end)
    return term


def version_in_force(
    versions: Iterable[ContractVersion], contract: Contract, at: datetime.date
) -> ContractVersion | None:
    """Among versions already loaded (a prefetch), the signed one in force on ``at``, else the latest signed.

    ``at`` is clamped to the contract's start and end, as ``current_version`` does, so list pages show the
    same terms as the detail page without a query per row.
    """
    at = min(max(at, contract.start_date), contract.end_date or at)
    signed = [version for version in versions if version.status == VersionStatus.SIGNED]
    in_force = [version for version in signed if version.effective_from <= at] or signed
    return max(in_force, key=lambda version: (version.effective_from, version.number), default=None)


def version_deadlines(
    contract: Contract, version: ContractVersion, *, non_working_days: Collection[datetime.date] = ()
) -> dates.Deadlines:
    """Term end, last day to refuse renewal and (non-professional client) the L215-1 reminder window."""
    terms = version.terms
    return dates.deadlines(
        current_term(contract, terms),
        renewal_rule(terms),
        professional=contract.client.is_professional,
        non_working_days=non_working_days,
    )


def contract_deadlines(
    contract: Contract, *, non_working_days: Collection[datetime.date] = ()
) -> dates.Deadlines | None:
    """The deadlines of an active contract under the version in force today (``None`` otherwise)."""
    if contract.status != ContractStatus.ACTIVE:
        return None
    version = current_version(contract)
    if version is None:
        return None
    return version_deadlines(contract, version, non_working_days=non_working_days)


# Renewal and the daily roll -----------------------------------------------------------------------


def _advance(contract: Contract, term: dates.Term, *, without_reminder: bool = False) -> None:
    contract.renewed_without_reminder = without_reminder
    contract.term_number = term.number
    contract.term_start = term.start
    contract.term_end = term.last_day
    contract.reminder_sent_on = None


@transaction.atomic
def contract_renew(*, actor: Membership, contract: Contract, months: int | None = None) -> Contract:
    """An express renewal agreed by the parties, recorded before the term ends."""
    require(can_manage_contracts(actor))
    contract = Contract.objects.select_for_update().get(pk=contract.pk, provider_id=actor.provider_id)
    version = current_version(contract)
    if contract.status != ContractStatus.ACTIVE or version is None or contract.term_end is None:
        raise ConflictError(_("Only an active contract with a fixed term can be renewed."))
    terms = version.terms
    if terms.renewal.kind != "express":
        raise ConflictError(_("This contract does not renew expressly."))
    if timezone.localdate() > contract.term_end:
        raise ConflictError(_("The term has ended: the contract expired and can no longer be renewed."))
    if months is not None and not 1 <= months <= 60:
        raise ValidationError({"months": _("A renewal term lasts between 1 and 60 months.")})
    before = {"term_number": contract.term_number, "term_end": contract.term_end.isoformat()}
    following = dates.next_term(current_term(contract, terms), renewal_rule(terms), express_months=months)
    assert following is not None
    _advance(contract, following)
    contract.save()
    audit_record(
        actor=actor,
        action="contract.renew",
        instance=contract,
        provider=actor.provider,
        before=before,
        after={"term_number": contract.term_number, "term_end": contract.term_end, "kind": "express"},
    )
    return contract


def _roll_one(contract: Contract, today: datetime.date) -> str | None:
    """Bring one contract up to ``today``; returns what happened (for the job's report) or None."""
    if contract.status == ContractStatus.NOTICE_GIVEN and contract.end_date and contract.end_date < today:
        exit_start(contract=contract, actor=None)
        return "exit"
    if contract.status != ContractStatus.ACTIVE or contract.term_end is None or contract.term_end >= today:
        return None
    version = current_version(contract, contract.term_end)
    assert version is not None
    rule = renewal_rule(version.terms)
    before = {"status": contract.status, "term_number": contract.term_number, "term_end": contract.term_end.isoformat()}
    if rule.kind == "tacit":
        term = current_term(contract, version.terms)
        missed = False
        while term.last_day is not None and term.last_day < today:
            if not contract.client.is_professional:
                deadline = dates.refusal_deadline(term.last_day, rule.notice)
                missed = dates.reminder_missed(
                    deadline, contract.reminder_sent_on if term.number == contract.term_number else None
                )
            following = dates.next_term(term, rule)
            assert following is not None
            term = following
        _advance(contract, term, without_reminder=missed)
        contract.save()
        outcome = "renewed"
        after = {
            "term_number": contract.term_number,
            "term_end": contract.term_end,
            "kind": "tacit",
            "renewed_without_reminder": missed,
        }
    elif rule.kind == "express":
        contract.status = ContractStatus.EXPIRED
        contract.end_date = contract.term_end
        contract.save()
        outcome = "expired"
        after = {"status": contract.status, "end_date": contract.end_date}
    else:
        contract.end_date = contract.term_end
        contract.save()
        exit_start(contract=contract, actor=None)
        return "exit"
    audit_record(
        actor=None,
        action=f"contract.{outcome}",
        instance=contract,
        provider=contract.provider,
        before=before,
        after=after,
    )
    return outcome


def contracts_roll(*, today: datetime.date | None = None, provider_id: int | None = None) -> dict[str, int]:
    """The daily job: tacit renewals, expiries, notices that reached their end.

    Idempotent: run twice, the second run finds nothing to do.
    """
    today = today or timezone.localdate()
    # No ordering: SQLite refuses ORDER BY in the parts of a UNION (the model orders by default).
    queryset = Contract.objects.filter(status__in=[ContractStatus.ACTIVE, ContractStatus.NOTICE_GIVEN]).order_by()
    if provider_id is not None:
        queryset = queryset.filter(provider_id=provider_id)
    report: dict[str, int] = {"renewed": 0, "expired": 0, "exit": 0}
    for pk in (
        queryset.filter(term_end__lt=today)
        .values_list("pk", flat=True)
        .union(queryset.filter(end_date__lt=today).values_list("pk", flat=True))
    ):
        with transaction.atomic():
            contract = Contract.objects.select_for_update().select_related("provider", "client").get(pk=pk)
            outcome = _roll_one(contract, today)
        if outcome:
            report[outcome] += 1
    return report


# Notice -------------------------------------------------------------------------------------------


def _evidence(actor: Membership, contract: Contract, upload: UploadedFile | None, title: str) -> Document | None:
    if upload is None:
        return None
    if upload.size is not None and upload.size > MAX_EVIDENCE_BYTES:
        raise ValidationError({"file": _("The file is larger than 20 MB.")})
    return document_store(
        actor=actor,
        provider=actor.provider,
        content=upload.read(),
        title=title,
        filename=upload.name or "piece.bin",
        content_type=upload.content_type or "application/octet-stream",
        kind=DocumentKind.OTHER,
        client=contract.client,
        source=contract,
    )


@transaction.atomic
def notice_give(
    *,
    actor: Membership,
    contract: Contract,
    given_by: str,
    received_on: datetime.date,
    channel: str,
    comment: str = "",
    requested_end: datetime.date | None = None,
    upload: UploadedFile | None = None,
) -> Notice:
    """Record a notice (termination or refusal of renewal) and apply its effect on the contract's end.

    The provider's managers record either party's notice with its proof; a client manager gives the
    client's through the portal (received today). ``requested_end`` earlier than what the notice rule
    allows is an early termination: the contractual indemnity is computed (revisable by a judge).
    """
    client_side = actor.is_client_side
    require(can_sign_for_client(actor) if client_side else can_manage_contracts(actor))
    contract = (
        Contract.objects.select_for_update()
        .select_related("client")
        .get(pk=contract.pk, provider_id=actor.provider_id, **({"client_id": actor.client_id} if client_side else {}))
    )
    if contract.status != ContractStatus.ACTIVE:
        raise ConflictError(_("Notice can only be given on an active contract."))
    today = timezone.localdate()
    if client_side:
        given_by, channel, received_on = NoticeParty.CLIENT, NoticeChannel.PORTAL, today
    errors: dict[str, str] = {}
    if given_by not in NoticeParty.values:
        errors["given_by"] = _("Say which party gives notice.")
    if channel not in NoticeChannel.values:
        errors["channel"] = _("Choose how the notice was received.")
    if received_on > today:
        errors["received_on"] = _("A notice is dated the day it was received, which cannot be in the future.")
    elif received_on < (contract.term_start or contract.start_date):
        errors["received_on"] = _("This date is before the current term: record notices as they arrive.")
    if errors:
        raise ValidationError(errors)
    version = current_version(contract, received_on)
    assert version is not None
    terms = version.terms
    term = current_term(contract, terms)
    effect = dates.notice_effect(
        received_on,
        term,
        renewal_rule(terms),
        professional=contract.client.is_professional,
        reminder_sent_on=contract.reminder_sent_on,
        renewed_without_reminder=contract.renewed_without_reminder,
    )
    end_date, amount, detail = effect.end_date, Decimal("0.00"), {}
    if requested_end is not None and requested_end != effect.end_date:
        if requested_end > effect.end_date:
            raise ValidationError({"requested_end": _("The contract cannot end later than the notice rule gives.")})
        if requested_end < received_on:
            raise ValidationError({"requested_end": _("The contract cannot end before the notice is received.")})
        end_date = requested_end
        computed = _indemnity(contract, terms, term, requested_end)
        amount, detail = (
            computed.amount,
            {
                "rule": terms.early_termination.rule,
                "from": computed.remaining_from.isoformat() if computed.remaining_from else None,
                "to": computed.remaining_to.isoformat() if computed.remaining_to else None,
                "explanation": computed.explanation_code,
                "revisable_by_judge": computed.revisable_by_judge,
            },
        )
    notice = Notice(
        provider=contract.provider,
        client=contract.client,
        contract=contract,
        given_by=given_by,
        received_on=received_on,
        channel=channel,
        comment=comment.strip()[:500],
        end_date=end_date,
        on_time=effect.on_time,
        reason=effect.reason if end_date == effect.end_date else "early_termination",
        indemnity_amount=amount,
        indemnity_detail=detail,
        recorded_by=actor,
        document=_evidence(actor, contract, upload, _("Notice of termination")),
    )
    notice.full_clean()
    notice.save()
    contract.status = ContractStatus.NOTICE_GIVEN
    contract.end_date = end_date
    contract.full_clean()
    contract.save()
    audit_record(
        actor=actor,
        action="contract.notice",
        instance=contract,
        provider=contract.provider,
        before={"status": ContractStatus.ACTIVE},
        after={
            "status": contract.status,
            "given_by": given_by,
            "received_on": received_on,
            "end_date": end_date,
            "on_time": effect.on_time,
            "reason": notice.reason,
            "indemnity": str(amount),
        },
    )
    return notice


def _indemnity(contract: Contract, terms: ContractTerms, term: dates.Term, end: datetime.date) -> indemnity.Indemnity:
    fee = terms.periodic_fee
    return indemnity.early_termination_indemnity(
        terms.early_termination.rule if fee else "none",
        fee=fee[0] if fee else Decimal(0),
        period=fee[1] if fee else "month",  # type: ignore[arg-type]
        end_date=end,
        term_start=term.start,
        term_last_day=term.last_day,
        percentage=terms.early_termination.percentage,
    )


# Exit ---------------------------------------------------------------------------------------------


def exit_start(*, contract: Contract, actor: Membership | None) -> Contract:
    """Move a contract that reached its end into its exit, with the default checklist (once)."""
    before = contract.status
    if before not in (ContractStatus.ACTIVE, ContractStatus.NOTICE_GIVEN, ContractStatus.EXPIRED):
        raise ConflictError(_("Only a contract that has ended can enter its exit."))
    contract.status = ContractStatus.IN_EXIT
    if contract.end_date is None:
        contract.end_date = contract.term_end or timezone.localdate()
    contract.save()
    if not contract.exit_items.exists():
        ExitItem.objects.bulk_create(
            ExitItem(
                provider_id=contract.provider_id,
                client_id=contract.client_id,
                contract=contract,
                kind=kind,
                label=_(label),
                mandatory=True,
                due_on=contract.end_date + datetime.timedelta(days=30) if contract.end_date else None,
                position=position,
            )
            for position, (kind, label) in enumerate(EXIT_CHECKLIST, start=1)
        )
    audit_record(
        actor=actor,
        action="contract.exit_start",
        instance=contract,
        provider=contract.provider,
        before={"status": before},
        after={"status": contract.status, "end_date": contract.end_date},
    )
    return contract


@transaction.atomic
def contract_exit_start(*, actor: Membership, contract: Contract) -> Contract:
    """A manager starts the exit of an expired contract (notice and non-renewal start it by themselves)."""
    require(can_manage_contracts(actor))
    contract = Contract.objects.select_for_update().get(pk=contract.pk, provider_id=actor.provider_id)
    if contract.status != ContractStatus.EXPIRED:
        raise ConflictError(
            _("The exit starts by itself when the contract ends; only an expired contract waits for it.")
        )
    return exit_start(contract=contract, actor=actor)


@transaction.atomic
def exit_item_update(
    *,
    actor: Membership,
    item: ExitItem,
    owner: Membership | None = None,
    due_on: datetime.date | None = None,
    done_on: datetime.date | None = None,
    evidence_comment: str = "",
    upload: UploadedFile | None = None,
) -> ExitItem:
    """Assign, date and complete a checklist item; done needs evidence (a comment or a file)."""
    require(can_manage_contracts(actor))
    item = (
        ExitItem.objects.select_for_update().select_related("contract").get(pk=item.pk, provider_id=actor.provider_id)
    )
    if item.contract.status != ContractStatus.IN_EXIT:
        raise ConflictError(_("The exit checklist can only change while the contract is in exit."))
    if owner is not None and (owner.provider_id != actor.provider_id or not owner.is_active):
        raise ValidationError({"owner": _("The owner must be an active member of your team or of the client's.")})
    if owner is not None and owner.is_client_side and owner.client_id != item.client_id:
        raise ValidationError({"owner": _("The owner must be an active member of your team or of the client's.")})
    if done_on is not None and done_on > timezone.localdate():
        raise ValidationError({"done_on": _("An item cannot be done in the future.")})
    before = {"owner": item.owner_id, "due_on": item.due_on, "done_on": item.done_on, "evidence": item.evidence_comment}
    document = _evidence(actor, item.contract, upload, item.label) if upload is not None else None
    item.owner = owner
    item.due_on = due_on
    item.evidence_comment = evidence_comment.strip()
    if document is not None:
        item.evidence_document = document
    if done_on is not None and not item.evidence_comment and item.evidence_document is None:
        raise ValidationError({"evidence_comment": _("Done needs evidence: a comment or a file.")})
    item.done_on = done_on
    item.full_clean()
    item.save()
    audit_record(
        actor=actor,
        action="contract.exit_item_update",
        instance=item,
        provider=actor.provider,
        before={key: str(value) if value is not None else None for key, value in before.items()},
        after={
            "owner": item.owner_id,
            "due_on": str(item.due_on) if item.due_on else None,
            "done_on": str(item.done_on) if item.done_on else None,
            "evidence": item.evidence_comment,
            "evidence_document": item.evidence_document_id,
        },
    )
    return item


def _open_mandatory(contract: Contract) -> list[str]:
    return list(contract.exit_items.filter(mandatory=True, done_on__isnull=True).values_list("label", flat=True))


@transaction.atomic
def contract_client_signoff(*, actor: Membership, contract: Contract) -> Contract:
    """The client's manager confirms the exit (accesses returned, data received) once every mandatory item is done."""
    require(can_sign_for_client(actor))
    contract = Contract.objects.select_for_update().get(
        pk=contract.pk, provider_id=actor.provider_id, client_id=actor.client_id or 0
    )
    if contract.status != ContractStatus.IN_EXIT:
        raise ConflictError(_("Only a contract in exit can be signed off."))
    if contract.client_signoff_at is not None:
        raise ConflictError(_("The exit is already signed off."))
    open_items = _open_mandatory(contract)
    if open_items:
        raise ConflictError(_("Mandatory exit items are still open: %(items)s.") % {"items": "; ".join(open_items)})
    contract.client_signoff_by = actor
    contract.client_signoff_at = timezone.now()
    contract.save()
    audit_record(
        actor=actor,
        action="contract.exit_signoff",
        instance=contract,
        provider=contract.provider,
        after={"client_signoff_at": contract.client_signoff_at},
    )
    return contract


@transaction.atomic
def contract_close(*, actor: Membership, contract: Contract) -> Contract:
    """Close a contract in exit: every mandatory item done and the client's manager signed off."""
    require(can_manage_contracts(actor))
    contract = Contract.objects.select_for_update().get(pk=contract.pk, provider_id=actor.provider_id)
    if contract.status != ContractStatus.IN_EXIT:
        raise ConflictError(_("Only a contract in exit can be closed."))
    open_items = _open_mandatory(contract)
    if open_items:
        raise ConflictError(_("Mandatory exit items are still open: %(items)s.") % {"items": "; ".join(open_items)})
    if contract.client_signoff_at is None:
        raise ConflictError(_("The client's manager has not signed off the exit yet."))
    contract.status = ContractStatus.CLOSED
    contract.closed_at = timezone.now()
    contract.save()
    audit_record(
        actor=actor,
        action="contract.close",
        instance=contract,
        provider=contract.provider,
        before={"status": ContractStatus.IN_EXIT},
        after={"status": contract.status},
    )
    return contract
