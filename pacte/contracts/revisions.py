"""Price revision by an index (Syntec by default): preview and apply, validated, atomic, audited.

The arithmetic is the pure ``revision`` module's; this module finds the figures in the database, checks
that a revision may be applied, and applies it (a new version, the ``Revision`` row, the letter, the
e-mail). The index table is ``indexes.py``. Rules decided here:

* **S0**: for the first revision, the value of the clause's reference month (current series; with a
  ``linking_coefficient`` in the clause, the *old* series value × that coefficient, falling back to the
  current series when the month has no old-series value). For the next revisions the clause applies to the
  price in force, so S0 is the S1 used by the previous revision (``revision.py``: one step at a time; floor
  and cap bound each step). An amendment that moved the clause's reference month after that S1 restarts
  from the reference month.
* **S1**: the value of ``revision.s1_month`` (current series), which must be *published on or before the
  revision date*; otherwise "the index for MM/YYYY is not yet published" and nothing is saved.
* **When**: only on a date of the clause's schedule (``revision.next_revision_date``), from the first one,
  after the previous revision, after the version in force (a later amendment keeps its own prices), never
  twice for one date (the ``Revision`` unique constraint; a second attempt is a 409). A revision date in
  the future is allowed (the letter is sent ahead) as long as S1 is published by then.
* **No revision while an amendment is prepared** (draft or sent): the amendment copies the terms it was
  made from, so signing it after the revision would bring the old prices back. Sign or cancel it first.
* **No signature**: the version is created *signed* (the indexation clause was agreed; Code civil 1193
  concerns changes outside it). It takes effect on the revision date: ``contract_terms_at`` gives the
  revised prices from that day.
* **The letter** (French PDF/A-3b) is sealed when the provider has a usable seal certificate; without one
  (or with an unusable one, which is logged) it is stored unsealed rather than blocking the revision.
* **Who gets the letter**: the client's managers (active ``client_manager`` memberships); a client with
  none gets it at its main contact (the oldest active contact with an e-mail); with neither, the letter
  is only stored (the revision page says "not e-mailed").
"""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pydantic import ValidationError as PydanticValidationError

from pacte.audit.services import audit_record
from pacte.contracts import revision as rules
from pacte.contracts.indexes import month_label
from pacte.contracts.models import (
    IN_FORCE_STATUSES,
    Contract,
    ContractVersion,
    IndexSeries,
    IndexValue,
    Revision,
    VersionKind,
    VersionStatus,
)
from pacte.contracts.permissions import can_manage_contracts
from pacte.contracts.selectors import contract_list
from pacte.contracts.terms import ContractTerms, PerTask, PriceRevision, terms_diff
from pacte.core.errors import ConflictError
from pacte.documents import sealing
from pacte.documents import storage as document_storage
from pacte.documents.errors import SealCertificateError
from pacte.documents.models import Document, DocumentKind
from pacte.documents.services import document_create_pdf
from pacte.mail.domain import Recipient
from pacte.mail.models import MailSender
from pacte.mail.services import Attachment, mail_send, recipient_for_contact, recipient_for_user
from pacte.tenancy.models import Client, Contact, Membership, Provider, Role
from pacte.tenancy.permissions import require

logger = logging.getLogger("pacte.contracts")

LETTER_TEMPLATE = "contracts/letters/revision.html"
REVISION_MAIL = "mail/contracts/revision_letter"


# Revision: reads ---------------------------------------------------------------------------------


def revision_get(*, actor: Membership, pk: int, contract_id: int | None = None) -> Revision:
    """A revision of a contract the actor may see (unknown and foreign: 404), of ``contract_id`` when given."""
    queryset = Revision.objects.filter(provider_id=actor.provider_id, contract__in=contract_list(actor=actor))
    if contract_id is not None:
        queryset = queryset.filter(contract_id=contract_id)
    return get_object_or_404(
        queryset.select_related("contract", "contract__client", "letter", "version", "created_by__user"), pk=pk
    )


def revisions_of(*, actor: Membership, contract: Contract) -> QuerySet[Revision]:
    """The revisions of a contract already scoped to the actor (``contract_get``), newest first."""
    return (
        Revision.objects.filter(provider_id=actor.provider_id, contract_id=contract.pk)
        .select_related("letter", "version")
        .order_by("-revision_date", "-id")
    )


def revision_clause(clause: PriceRevision) -> rules.RevisionClause:
    """The contract's stored clause as the pure module's ``RevisionClause``."""
    return rules.RevisionClause(
        index_code=clause.index_code,
        reference_month=clause.reference_month,
        formula=clause.formula,
        fixed_part=clause.fixed_part,
        floor=clause.floor,
        cap=clause.cap,
        revision_period_months=clause.revision_period_months,
        index_period_months=clause.index_period_months,
        revision_month=clause.revision_month,
        decimals=clause.decimals,
        linking_coefficient=clause.linking_coefficient,
    )


def latest_signed_version(contract: Contract) -> ContractVersion | None:
    return (
        ContractVersion.objects.filter(contract_id=contract.pk, status=VersionStatus.SIGNED)
        .order_by("-effective_from", "-number")
        .first()
    )


def revision_next_due(contract: Contract) -> datetime.date | None:
    """The first revision date of the clause's schedule after the last revision (or the start); None: no clause."""
    version = latest_signed_version(contract)
    clause = version.terms.price_revision if version is not None else None
    if clause is None:
        return None
    last = contract.revisions.order_by("-revision_date").values_list("revision_date", flat=True).first()
    return rules.next_revision_date(contract.start_date, revision_clause(clause), after=last or contract.start_date)


PRICE_LABELS = {
    "fee": gettext_lazy("Fixed fee"),
    "overage_rate": gettext_lazy("Rate beyond the included volume"),
    "labour_rate": gettext_lazy("Labour rate (per hour)"),
    "travel_rate": gettext_lazy("Travel rate"),
    "block_price": gettext_lazy("Price of a block of hours"),
    "per_km_rate": gettext_lazy("Rate per kilometre"),
}


def price_labels(terms: ContractTerms) -> dict[str, str]:
    """A readable label for each key of ``terms.prices()`` (in the active language)."""
    labels = {key: str(label) for key, label in PRICE_LABELS.items()}
    model = terms.billing_model
    if isinstance(model, PerTask):
        labels.update({f"task:{task.code}": _("Task: %(label)s") % {"label": task.label} for task in model.catalogue})
    labels.update(
        {f"zone:{zone.code}": _("Travel, zone %(label)s") % {"label": zone.label} for zone in terms.travel.zones}
    )
    return labels


@dataclass(frozen=True)
class PriceLine:
    key: str
    label: str
    before: Decimal
    after: Decimal


@dataclass(frozen=True)
class RevisionPreview:
    """Everything a revision would do, for the preview page, the API, the letter and ``revision_apply``."""

    contract: Contract
    version: ContractVersion  # the version in force before the revision (its terms are revised)
    clause: PriceRevision
    revision_date: datetime.date
    s0_month: datetime.date
    s0: Decimal
    s0_old_series: bool
    s0_linked: Decimal | None  # S0 × linking coefficient (old series), else None
    s0_from_revision: Revision | None  # the previous revision whose S1 is this S0
    s1_month: datetime.date
    s1: Decimal
    s1_published_on: datetime.date
    ratio: Decimal  # S1 / S0' (6 decimals), before the formula, floor and cap
    coefficient: Decimal  # what the prices are multiplied by, reported to 6 decimals
    bound: str  # "floor", "cap" or "" (which bound gave the coefficient)
    lines: tuple[PriceLine, ...]

    @property
    def prices_before(self) -> dict[str, Decimal]:
        return {line.key: line.before for line in self.lines}

    @property
    def prices_after(self) -> dict[str, Decimal]:
        return {line.key: line.after for line in self.lines}

    @property
    def token(self) -> str:
        """A digest of the figures: the confirmation must name the preview it confirms."""
        figures = [
            self.revision_date.isoformat(),
            self.s0_month.isoformat(),
            str(self.s0),
            self.s1_month.isoformat(),
            str(self.s1),
            str(self.coefficient),
            [[line.key, str(line.before), str(line.after)] for line in self.lines],
        ]
        return hashlib.sha256(json.dumps(figures).encode()).hexdigest()[:32]


def _index_value(provider_id: int, code: str, month: datetime.date, series: str) -> IndexValue | None:
    return IndexValue.objects.filter(provider_id=provider_id, index_code=code, month=month, series=series).first()


def _check_revisable(contract: Contract, revision_date: datetime.date) -> tuple[ContractVersion, PriceRevision]:
    """The version to revise and its clause, or the reason the revision cannot be applied on that date."""
    if contract.status not in IN_FORCE_STATUSES:
        raise ConflictError(_("Only a contract in force can have its prices revised."))
    if contract.versions.filter(status__in=[VersionStatus.DRAFT, VersionStatus.SENT]).exists():
        raise ConflictError(
            _("An amendment is being prepared: sign or cancel it first (it would bring the old prices back).")
        )
    version = latest_signed_version(contract)
    clause = version.terms.price_revision if version is not None else None
    if version is None or clause is None:
        raise ConflictError(_("This contract has no price revision clause."))
    date_text = revision_date.strftime("%d/%m/%Y")
    if Revision.objects.filter(contract_id=contract.pk, revision_date=revision_date).exists():
        raise ConflictError(_("The prices were already revised on %(date)s.") % {"date": date_text})
    if revision_date < contract.start_date:
        raise ValidationError({"revision_date": _("The revision date is before the contract starts.")})
    if contract.end_date is not None and revision_date > contract.end_date:
        raise ValidationError({"revision_date": _("The revision date is after the contract ends.")})
    rule_clause = revision_clause(clause)
    first = rules.next_revision_date(contract.start_date, rule_clause, after=contract.start_date)
    if revision_date < first:
        raise ValidationError(
            {
                "revision_date": _("Not due yet: the first revision is on %(date)s.")
                % {"date": first.strftime("%d/%m/%Y")}
            }
        )
    scheduled = rules.next_revision_date(
        contract.start_date, rule_clause, after=revision_date - datetime.timedelta(days=1)
    )
    if scheduled != revision_date:
        raise ValidationError(
            {
                "revision_date": _("%(date)s is not a revision date of the clause; the next one is %(next)s.")
                % {"date": date_text, "next": scheduled.strftime("%d/%m/%Y")}
            }
        )
    later = contract.revisions.filter(revision_date__gt=revision_date).order_by("revision_date").first()
    if later is not None:
        raise ValidationError(
            {
                "revision_date": _("The prices were already revised on %(date)s, after this date.")
                % {"date": later.revision_date.strftime("%d/%m/%Y")}
            }
        )
    if version.effective_from >= revision_date:
        raise ValidationError(
            {
                "revision_date": _("The version in force takes effect on %(date)s: a revision must come after it.")
                % {"date": version.effective_from.strftime("%d/%m/%Y")}
            }
        )
    return version, clause


def _s0(
    contract: Contract, clause: PriceRevision, revision_date: datetime.date
) -> tuple[datetime.date, Decimal, bool, Revision | None]:
    previous = contract.revisions.filter(revision_date__lt=revision_date).order_by("-revision_date").first()
    if previous is not None and previous.s1_month >= clause.reference_month:
        return previous.s1_month, previous.s1, False, previous
    month, code = clause.reference_month, clause.index_code
    old = _index_value(contract.provider_id, code, month, IndexSeries.OLD)
    current = _index_value(contract.provider_id, code, month, IndexSeries.CURRENT)
    if clause.linking_coefficient is not None and old is not None:
        return month, old.value, True, None
    if current is not None:
        return month, current.value, False, None
    if old is not None:
        raise ValidationError(
            {
                "revision_date": _(
                    "The %(index)s value for %(month)s (S0) exists in the old series only: the clause needs a "
                    "linking coefficient."
                )
                % {"index": code, "month": month_label(month)}
            }
        )
    raise ValidationError(
        {
            "revision_date": _("The %(index)s value for %(month)s (S0, the reference month) is not in the index table.")
            % {"index": code, "month": month_label(month)}
        }
    )


def _preview(contract: Contract, revision_date: datetime.date) -> RevisionPreview:
    version, clause = _check_revisable(contract, revision_date)
    rule_clause = revision_clause(clause)
    s0_month, s0, s0_old, from_revision = _s0(contract, clause, revision_date)
    try:
        s1_month = rules.s1_month(rule_clause, revision_date)
    except ValueError as error:
        raise ValidationError({"revision_date": _("No index month is due for this revision date yet.")}) from error
    month_text = month_label(s1_month)
    s1_row = _index_value(contract.provider_id, clause.index_code, s1_month, IndexSeries.CURRENT)
    if s1_row is None or s1_row.published_on > revision_date:
        message = _("The %(index)s index for %(month)s is not yet published (S1).") % {
            "index": clause.index_code,
            "month": month_text,
        }
        if s1_row is not None:
            message += " " + _("It was published on %(date)s, after the revision date.") % {
                "date": s1_row.published_on.strftime("%d/%m/%Y")
            }
        raise ValidationError({"revision_date": message})
    if s1_month <= s0_month:
        raise ValidationError(
            {"revision_date": _("No index month after %(month)s is due yet.") % {"month": month_label(s0_month)}}
        )
    exact = rules.exact_coefficient(s0, s1_row.value, rule_clause, s0_old_series=s0_old)
    unbounded = rules.exact_coefficient(
        s0,
        s1_row.value,
        rules.RevisionClause(**{**rule_clause.__dict__, "floor": None, "cap": None}),
        s0_old_series=s0_old,
    )
    bound = "" if exact == unbounded else ("floor" if exact > unbounded else "cap")
    linked = s0 * clause.linking_coefficient if s0_old and clause.linking_coefficient is not None else None
    before = version.terms.prices()
    after = rules.revise_prices(before, s0, s1_row.value, rule_clause, s0_old_series=s0_old)
    labels = price_labels(version.terms)
    return RevisionPreview(
        contract=contract,
        version=version,
        clause=clause,
        revision_date=revision_date,
        s0_month=s0_month,
        s0=s0,
        s0_old_series=s0_old,
        s0_linked=linked,
        s0_from_revision=from_revision,
        s1_month=s1_month,
        s1=s1_row.value,
        s1_published_on=s1_row.published_on,
        ratio=(s1_row.value / (linked or s0)).quantize(Decimal("0.000001")),
        coefficient=rules.coefficient(s0, s1_row.value, rule_clause, s0_old_series=s0_old),
        bound=bound,
        lines=tuple(PriceLine(key, labels.get(key, key), before[key], after[key]) for key in before),
    )


def revision_preview(*, actor: Membership, contract: Contract, revision_date: datetime.date) -> RevisionPreview:
    """The figures of a revision on ``revision_date`` (S0, S1, coefficient, every price before/after). Writes nothing.

    ``ValidationError`` (on ``revision_date``) or ``ConflictError`` says why it cannot be applied.
    """
    require(can_manage_contracts(actor))
    if contract.provider_id != actor.provider_id:
        raise PermissionDenied
    return _preview(contract, revision_date)


# Revision: apply ---------------------------------------------------------------------------------


def client_letter_recipients(client: Client) -> list[Recipient]:
    """Who receives letters for the client: its managers, else its main contact (oldest active one with an e-mail)."""
    memberships = Membership.objects.filter(
        provider_id=client.provider_id,
        client_id=client.pk,
        role=Role.CLIENT_MANAGER,
        is_active=True,
        user__is_active=True,
    ).select_related("user")
    recipients = [recipient_for_user(member.user) for member in memberships.order_by("id") if member.user.email]
    if not recipients:
        contact = (
            Contact.objects.filter(provider_id=client.provider_id, client_id=client.pk, archived_at__isnull=True)
            .exclude(email="")
            .select_related("user")
            .order_by("id")
            .first()
        )
        if contact is not None:
            recipients = [recipient_for_contact(contact)]
    unique: dict[str, Recipient] = {}
    for recipient in recipients:
        unique.setdefault(recipient.email.lower(), recipient)
    return list(unique.values())


def provider_reply_address(provider: Provider) -> str:
    """The address clients write to (the provider's reply-to, else its sender address), or ""."""
    identity = MailSender.objects.filter(provider=provider).first()
    if identity is None:
        return ""
    return identity.reply_to or identity.from_email


def letter_pdf(
    *,
    actor: Membership | None,
    provider: Provider,
    template_name: str,
    context: Mapping[str, Any],
    title: str,
    filename: str,
    client: Client,
    source: Contract,
) -> Document:
    """A French letter as PDF/A-3b, sealed with the provider's certificate when one is usable."""
    common: dict[str, Any] = {
        "actor": actor,
        "provider": provider,
        "template_name": template_name,
        "context": context,
        "title": title,
        "filename": filename,
        "kind": DocumentKind.LETTER,
        "client": client,
        "source": source,
        "language": "fr",
    }
    if sealing.seal_configuration(provider.pk).path:
        try:
            return document_create_pdf(**common, seal=True)
        except SealCertificateError as error:
            logger.warning("Letter %r stored unsealed: %s", title, error.message)
    return document_create_pdf(**common, seal=False)


def fr_number(value: Decimal, places: int = 2) -> str:
    """French notation with a no-break space between thousands: 1027.78 → ``1 027,78``."""
    text = f"{value:,.{places}f}"
    return text.replace(",", "\u00a0").replace(".", ",")


def fr_index(value: Decimal) -> str:
    """An index value as stored, without trailing zeros beyond one decimal: 306.0000 → ``306,0``."""
    exponent = value.normalize().as_tuple().exponent
    places = max(1, -exponent) if isinstance(exponent, int) else 1
    return fr_number(value, min(places, 4))


def fr_percent(value: Decimal | None) -> str:
    return "—" if value is None else f"{fr_number(value * 100, 2).rstrip('0').rstrip(',')} %"


def _letter_context(preview: RevisionPreview, revision: Revision) -> dict[str, Any]:
    contract, clause = preview.contract, preview.clause
    if clause.formula == "ratio":
        formula = "P1 = P0 × S1 / S0"
    else:
        fixed = clause.fixed_part
        formula = f"P1 = P0 × ({fr_number(fixed, 4)} + {fr_number(1 - fixed, 4)} × S1 / S0)"
    with translation.override("fr"):
        labels = price_labels(preview.version.terms)
    return {
        "letter_title": f"Révision des prix — contrat {contract.reference}",
        "provider": contract.provider,
        "client": contract.client,
        "contract": contract,
        "today": timezone.localdate().strftime("%d/%m/%Y"),
        "revision_date": preview.revision_date.strftime("%d/%m/%Y"),
        "index_code": clause.index_code,
        "formula": formula,
        "reference_month": month_label(clause.reference_month),
        "floor": fr_percent(clause.floor),
        "cap": fr_percent(clause.cap),
        "decimals": clause.decimals,
        "linking_coefficient": fr_number(clause.linking_coefficient, 6) if clause.linking_coefficient else "",
        "s0_month": month_label(preview.s0_month),
        "s0": fr_index(preview.s0),
        "s0_old_series": preview.s0_old_series,
        "s0_linked": fr_number(preview.s0_linked, 6) if preview.s0_linked is not None else "",
        "s0_from_previous": preview.s0_from_revision is not None,
        "s1_month": month_label(preview.s1_month),
        "s1": fr_index(preview.s1),
        "s1_published_on": preview.s1_published_on.strftime("%d/%m/%Y"),
        "ratio": fr_number(preview.ratio, 6),
        "coefficient": fr_number(preview.coefficient, 6),
        "bound": preview.bound,
        "lines": [
            {"label": labels.get(line.key, line.key), "before": fr_number(line.before), "after": fr_number(line.after)}
            for line in preview.lines
        ],
        "revision": revision,
    }


@transaction.atomic
def revision_apply(*, actor: Membership, contract: Contract, revision_date: datetime.date, token: str = "") -> Revision:
    """Apply the revision due on ``revision_date``: a signed version with the new prices, the ``Revision`` row,
    the letter (PDF) and its e-mail to the client. All or nothing; once per contract and date.

    ``token``: the preview's ``token`` when the person confirmed a preview; if the figures changed since
    (an index value corrected…), nothing is applied (409).
    """
    require(can_manage_contracts(actor))
    contract = (
        Contract.objects.select_for_update()
        .select_related("provider", "client")
        .get(pk=contract.pk, provider_id=actor.provider_id)
    )
    preview = _preview(contract, revision_date)
    if token and token != preview.token:
        raise ConflictError(_("The figures changed since the preview: check the new preview before confirming."))
    try:
        terms = preview.version.terms.with_prices(preview.prices_after)
    except PydanticValidationError as error:
        raise ValidationError(
            {"revision_date": _("The revised prices do not fit the contract's terms (too many decimals?).")}
        ) from error
    number = (contract.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    with translation.override("fr"):
        reason = _("Price revision (%(index)s %(s0)s → %(s1)s, coefficient %(coefficient)s)") % {
            "index": preview.clause.index_code,
            "s0": month_label(preview.s0_month),
            "s1": month_label(preview.s1_month),
            "coefficient": preview.coefficient,
        }
    now = timezone.now()
    version = ContractVersion(
        provider=contract.provider,
        client=contract.client,
        contract=contract,
        number=number,
        kind=VersionKind.REVISION,
        status=VersionStatus.SIGNED,
        signed_at=now,
        effective_from=revision_date,
        reason=reason[:300],
        terms_data=terms.model_dump(mode="json"),
    )
    # Both sides through the same validation, so that only the prices differ (list defaults come unsorted).
    before_data = ContractTerms.model_validate(preview.version.terms.model_dump(mode="json")).model_dump(mode="json")
    version.changes = {key: list(value) for key, value in terms_diff(before_data, version.terms_data).items()}
    version.full_clean()
    version.save()
    revision = Revision(
        provider=contract.provider,
        client=contract.client,
        contract=contract,
        revision_date=revision_date,
        s0_month=preview.s0_month,
        s0=preview.s0,
        s1_month=preview.s1_month,
        s1=preview.s1,
        coefficient=preview.coefficient,
        prices_before={key: str(value) for key, value in preview.prices_before.items()},
        prices_after={key: str(value) for key, value in preview.prices_after.items()},
        version=version,
        created_by=actor,
    )
    revision.full_clean()
    try:
        with transaction.atomic():
            revision.save()
    except IntegrityError as error:  # the same date revised by a concurrent request
        raise ConflictError(
            _("The prices were already revised on %(date)s.") % {"date": revision_date.strftime("%d/%m/%Y")}
        ) from error
    letter = letter_pdf(
        actor=actor,
        provider=contract.provider,
        template_name=LETTER_TEMPLATE,
        context=_letter_context(preview, revision),
        title=f"Révision des prix — contrat {contract.reference} — {revision_date:%d/%m/%Y}",
        filename=f"revision-prix-{contract.reference}-{revision_date:%Y-%m-%d}",
        client=contract.client,
        source=contract,
    )
    revision.letter = letter
    revision.save(update_fields=["letter", "updated_at"])
    version.document = letter
    version.save(update_fields=["document", "updated_at"])
    recipients = client_letter_recipients(contract.client)
    if recipients:
        mail_send(
            template=REVISION_MAIL,
            context={
                "contract_reference": contract.reference,
                "contract_title": contract.title,
                "provider_name": contract.provider.legal_name or contract.provider.name,
                "revision_date": revision_date,
                "coefficient": preview.coefficient,
            },
            recipients=recipients,
            provider=contract.provider,
            key=f"contract-revision:{revision.pk}",
            thread=f"contract:{contract.pk}",
            attachments=[
                Attachment(
                    filename=letter.filename,
                    content_type=letter.content_type,
                    content=document_storage.read(letter.storage_name),
                )
            ],
        )
    audit_record(
        actor=actor,
        action="contract.revision",
        instance=revision,
        provider=contract.provider,
        after={
            "contract": contract.pk,
            "revision_date": revision_date,
            "s0_month": preview.s0_month,
            "s0": preview.s0,
            "s1_month": preview.s1_month,
            "s1": preview.s1,
            "coefficient": preview.coefficient,
            "bound": preview.bound,
            "prices_before": revision.prices_before,
            "prices_after": revision.prices_after,
            "version": version.number,
            "letter": letter.pk,
            "sealed": letter.is_sealed,
            "mailed_to": [recipient.email for recipient in recipients],
        },
    )
    return revision


def revision_mailed_to(revision: Revision) -> list[str]:
    """Addresses the revision letter was e-mailed to (empty: not e-mailed)."""
    from pacte.mail.models import OutboundMessage

    rows = OutboundMessage.objects.filter(key=f"contract-revision:{revision.pk}").values_list("to", flat=True)
    return [address for row in rows for address in row]
