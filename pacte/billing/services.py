"""Issuing invoices and credit notes: validate, number under a row lock, freeze; render afterwards.

Numbering (DOMAIN.md): unique, chronological, continuous per series. ``invoices_issue`` gives numbers
in a short transaction that first locks the drafts it issues and freezes their data, then locks the
series row (``SELECT … FOR UPDATE``) only for the allocation and the update, and commits both
together: a number is never given without its invoice, nor an invoice issued without its number, so
a crash leaves no gap and concurrent issuers never share a number. On PostgreSQL the row lock makes
concurrent issuers queue on the series. SQLite has no row locks: Pacte opens every SQLite transaction
``IMMEDIATE`` (one writer at a time for the whole database), which gives the same guarantee by
serialising all writers — concurrent issuers wait up to the busy timeout, then fail cleanly with
nothing written; run billing from one process on SQLite.

The PDF/A-3 with its ``factur-x.xml`` is rendered after the commit by ``billing.invoice_render``, an
idempotent job: it renders once per invoice, from the frozen ``data``, whoever calls it.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pacte.audit.models import AuditEvent
from pacte.billing import domain, snapshot
from pacte.billing.models import Invoice, InvoiceKind, InvoiceLine, InvoiceStatus, LineKind, Series
from pacte.billing.permissions import can_bill
from pacte.core.bulk import rows_insert, rows_update
from pacte.core.errors import ConflictError
from pacte.tenancy.models import Membership, Provider
from pacte.tenancy.permissions import require

if TYPE_CHECKING:
    from pacte.billing.drafting import Versions
    from pacte.billing.parallel import Turn

ISSUE_CHUNK = 200
PENDING_NUMBER = "PENDING"

#: Called with a frozen ``InvoiceData`` before it gets a number; raises ``InvoiceInvalid`` when the
#: XML fails the XSD or a Schematron rule. Set by ``pacte.billing.apps`` once Factur-X is loaded.
Validator = Callable[[Any], None]


class InvoiceInvalid(ConflictError):
    """The draft's Factur-X XML fails validation: the message lists the failed rules."""


def series_for(provider_id: int, kind: str, year: int) -> Series:
    # A started series keeps its prefix; a new one takes the provider's current prefix for its kind.
    series = Series.objects.filter(provider_id=provider_id, kind=kind, year=year).order_by("pk").first()
    if series is not None:
        return series
    prefix = Provider.objects.get(pk=provider_id).number_prefix(InvoiceKind(kind))
    try:
        with transaction.atomic():
            return Series.objects.create(provider_id=provider_id, kind=kind, prefix=prefix, year=year)
    except IntegrityError:
        return Series.objects.get(provider_id=provider_id, kind=kind, prefix=prefix, year=year)


def _fingerprint(data: dict[str, Any]) -> str:
    """What the validator saw, number aside: the issued data must be the validated data."""
    plain = {key: value for key, value in data.items() if key not in {"number", "payment_reference"}}
    return hashlib.sha256(json.dumps(plain, sort_keys=True).encode()).hexdigest()


def _validator() -> Validator | None:
    from pacte.billing import validation

    return validation.invoice_validate


def invoices_issue(
    *,
    actor: Membership | None,
    provider: Provider,
    invoice_ids: Sequence[int],
    issue_date: datetime.date | None = None,
    validate: bool = True,
    render: bool = True,
    on_invalid: Callable[[Invoice, str], None] | None = None,
    versions: Versions | None = None,
    turn: tuple[Turn, int] | None = None,
) -> list[Invoice]:
    """Issue the drafts ``invoice_ids`` of ``provider`` (others are ignored); returns those issued now.

    Each chunk of drafts is one transaction: drafts locked and frozen, then the series locked, numbers
    given in the drafts' order, the series moved on. An invoice already issued (by another worker, or
    an earlier try) is skipped. Raises ``InvoiceInvalid`` before any number is given when a draft's
    XML fails validation — or, given ``on_invalid``, reports it there and issues the others — and
    ``BillingError`` for an issue date earlier than the series' last one.
    """
    if actor is not None:
        require(can_bill(actor))
    if turn is None:
        return _issue(actor, provider, invoice_ids, issue_date, validate, render, on_invalid, versions, None)
    if len(invoice_ids) > ISSUE_CHUNK:
        raise ValueError("A chunk that waits for its turn is issued in one transaction: at most ISSUE_CHUNK drafts.")
    try:
        return _issue(actor, provider, invoice_ids, issue_date, validate, render, on_invalid, versions, turn)
    except BaseException:
        turn[0].fail()  # the chunks after this one must not take numbers out of order
        raise


def _issue(
    actor: Membership | None,
    provider: Provider,
    invoice_ids: Sequence[int],
    issue_date: datetime.date | None,
    validate: bool,
    render: bool,
    on_invalid: Callable[[Invoice, str], None] | None,
    versions: Versions | None,
    turn: tuple[Turn, int] | None,
) -> list[Invoice]:
    day = issue_date or timezone.localdate()
    validated: dict[int, str] = {}
    negative = list(
        Invoice.objects.filter(
            provider=provider, pk__in=invoice_ids, status=InvoiceStatus.DRAFT, kind=InvoiceKind.INVOICE, total_net__lt=0
        ).select_related("client")
    )
    for invoice in negative:
        message = _("The draft's total is negative (%(total)s €): credit the client with a credit note instead.") % {
            "total": invoice.total_net
        }
        if on_invalid is None:
            raise domain.BillingError(message)
        on_invalid(invoice, message)
    if validate and (check := _validator()) is not None:
        drafts = _drafts(provider, invoice_ids)
        context = snapshot.context_for(drafts, lines=True, versions=versions)
        for invoice in drafts:
            if _negative(invoice):
                continue
            data = snapshot.invoice_data(
                invoice,
                number=PENDING_NUMBER,
                issue_date=day,
                due=snapshot.due_date_for(invoice, day, context),
                context=context,
            )
            try:
                check(data)
            except InvoiceInvalid as error:
                if on_invalid is None:
                    raise
                on_invalid(invoice, str(error))
                continue
            validated[invoice.pk] = _fingerprint(snapshot.data_to_json(data))
    issued: list[Invoice] = []
    ids = list(dict.fromkeys(invoice_ids))
    for start in range(0, len(ids), ISSUE_CHUNK):
        issued += _issue_chunk(
            actor, provider, ids[start : start + ISSUE_CHUNK], day, validated if validate else None, versions, turn
        )
    if render and issued:
        from pacte.billing.tasks import invoice_render

        for invoice in issued:  # the job queue is in the database: each job commits with its invoice
            invoice_render.enqueue(invoice.pk)
    return issued


def _drafts(provider: Provider, ids: Sequence[int]) -> list[Invoice]:
    drafts = list(
        Invoice.objects.filter(provider=provider, pk__in=ids, status=InvoiceStatus.DRAFT)
        .select_related("client", "contract", "credited_invoice")
        .order_by("kind", "pk")
    )
    for invoice in drafts:
        invoice.provider = provider  # the one provider: not a copy per invoice
    return drafts


def _issue_chunk(
    actor: Membership | None,
    provider: Provider,
    ids: Sequence[int],
    day: datetime.date,
    validated: dict[int, str] | None,
    versions: Versions | None = None,
    turn: tuple[Turn, int] | None = None,
) -> list[Invoice]:
    """One numbering transaction; with ``turn`` (a ``parallel.Turn`` and this chunk's index), the series
    is taken only once the chunk before has committed."""
    issued = _issue_chunk_locked(actor, provider, ids, day, validated, versions, turn)
    if turn is not None:
        turn[0].done(turn[1])
    return issued


def _issue_chunk_locked(
    actor: Membership | None,
    provider: Provider,
    ids: Sequence[int],
    day: datetime.date,
    validated: dict[int, str] | None,
    versions: Versions | None,
    turn: tuple[Turn, int] | None,
) -> list[Invoice]:
    with transaction.atomic():
        locked = set(
            Invoice.objects.select_for_update()
            .filter(provider=provider, pk__in=ids, status=InvoiceStatus.DRAFT)
            .values_list("pk", flat=True)
        )
        place = {pk: position for position, pk in enumerate(ids)}
        # numbers follow the caller's order (a run's: client, contract), never the drafts' ids, which a
        # run resumed after a crash or spread over processes creates in another order
        drafts = sorted(_drafts(provider, list(locked)), key=lambda invoice: place[invoice.pk])
        context = snapshot.context_for(drafts, lines=True, versions=versions)
        prepared: list[tuple[Invoice, datetime.date | None, dict[str, Any]]] = []
        for invoice in drafts:
            if not context.lines[invoice.pk]:
                raise ConflictError(_("Draft #%(id)s has no line: there is nothing to invoice.") % {"id": invoice.pk})
            _check_credit_note(invoice)
            if _negative(invoice):
                continue  # reported above: a negative invoice is a credit note
            due = snapshot.due_date_for(invoice, day, context)
            data = snapshot.data_to_json(
                snapshot.invoice_data(invoice, number=PENDING_NUMBER, issue_date=day, due=due, context=context)
            )
            if validated is not None and validated.get(invoice.pk) != _fingerprint(data):
                continue  # changed since it was validated (a run recomputed it): left as a draft, issue it again
            prepared.append((invoice, due, data))
        issued: list[Invoice] = []
        if turn is not None:
            turn[0].wait(turn[1])
        now = timezone.now()
        for kind in (InvoiceKind.INVOICE, InvoiceKind.CREDIT_NOTE):
            batch = [item for item in prepared if item[0].kind == kind]
            if not batch:
                continue
            series = Series.objects.select_for_update().get(pk=series_for(provider.pk, kind, day.year).pk)
            if series.last_issued_on is not None and day < series.last_issued_on:
                raise domain.BillingError(
                    _("The series %(series)s already has an invoice dated %(date)s: no number can be back-dated.")
                    % {"series": series, "date": series.last_issued_on.isoformat()}
                )
            for invoice, due, data in batch:
                series.last_number += 1
                invoice.sequence = series.last_number
                invoice.number = domain.number_check(series.number(series.last_number))
                data["number"] = data["payment_reference"] = invoice.number
                invoice.series = series
                invoice.status = InvoiceStatus.ISSUED
                invoice.issue_date = day
                invoice.due_date = due  # None for a credit note: it is deducted, never due
                invoice.penalty_rate = snapshot.penalty_rate(due or day)
                invoice.data = data
                invoice.issued_at = now
                invoice.issued_by = actor
                issued.append(invoice)
            rows_update(
                Invoice,
                [item[0] for item in batch],
                [
                    "sequence",
                    "number",
                    "series",
                    "status",
                    "issue_date",
                    "due_date",
                    "penalty_rate",
                    "data",
                    "issued_at",
                    "issued_by",
                ],
            )
            series.last_issued_on = day
            series.save(update_fields=["last_number", "last_issued_on"])
        rows_insert(
            AuditEvent,
            ("provider_id", "actor_user_id", "actor_membership_id", "action", "object_type", "object_id")
            + ("object_repr", "after"),
            [
                (
                    provider.pk,
                    actor.user_id if actor is not None else None,
                    actor.pk if actor is not None else None,
                    "billing.invoice_issue",
                    "billing.invoice",
                    str(invoice.pk),
                    str(invoice.number),
                    {"number": invoice.number, "total_gross": str(invoice.total_gross)},
                )
                for invoice in issued
            ],
        )
    return issued


def _negative(invoice: Invoice) -> bool:
    return invoice.kind == InvoiceKind.INVOICE and invoice.total_net < 0


def _check_credit_note(invoice: Invoice) -> None:
    """A credit note cancels at most what its invoice still carries."""
    if invoice.kind != InvoiceKind.CREDIT_NOTE:
        return
    original = invoice.credited_invoice
    if original is None or original.status != InvoiceStatus.ISSUED:
        raise ConflictError(_("A credit note cancels an issued invoice."))
    credited = sum(
        (note.total_net for note in original.credit_notes.filter(status=InvoiceStatus.ISSUED)), Decimal("0.00")
    )
    if credited + invoice.total_net > original.total_net:
        raise ConflictError(
            _("This credit note would cancel %(total)s € of invoice %(number)s, which carries %(left)s € still.")
            % {"total": invoice.total_net, "number": original.number, "left": original.total_net - credited}
        )


def credit_note_create(
    *,
    actor: Membership,
    invoice: Invoice,
    lines: dict[int, Decimal] | None = None,
    reason: str,
) -> Invoice:
    """A draft credit note for ``invoice``: the whole of it, or ``lines`` (line id → amount excl. VAT to credit).

    Amounts are positive (what is given back); the credit note's lines repeat the credited lines'
    description, VAT rate and account. Raises ``BillingError`` for an amount above a line's.
    """
    require(can_bill(actor))
    if not invoice.is_issued or invoice.kind != InvoiceKind.INVOICE:
        raise ConflictError(_("Only an issued invoice can be credited."))
    reason = reason.strip()
    if not reason:
        raise domain.BillingError(_("Say why the invoice is credited."))
    originals = {line.pk: line for line in invoice.lines.all()}
    wanted = lines if lines is not None else {pk: line.amount for pk, line in originals.items()}
    specs: list[tuple[InvoiceLine, Decimal]] = []
    for pk, amount in wanted.items():
        line = originals.get(pk)
        if line is None:
            raise domain.BillingError(
                _("Line %(id)s is not a line of invoice %(number)s.") % {"id": pk, "number": invoice.number}
            )
        amount = domain.cents(Decimal(amount))
        if amount == 0:
            continue
        if line.amount >= 0 and not Decimal(0) < amount <= line.amount:
            raise domain.BillingError(
                _("Line %(position)s: credit between 0.01 and %(max)s €.")
                % {"position": line.position, "max": line.amount}
            )
        specs.append((line, amount))
    if not specs:
        raise domain.BillingError(_("Choose at least one line to credit."))
    total = domain.totals((amount, line.vat_rate) for line, amount in specs)
    with transaction.atomic():
        note = Invoice.objects.create(
            provider_id=invoice.provider_id,
            client_id=invoice.client_id,
            contract_id=invoice.contract_id,
            kind=InvoiceKind.CREDIT_NOTE,
            credited_invoice=invoice,
            service_start=invoice.service_start,
            service_end=invoice.service_end,
            purchase_order=invoice.purchase_order,
            professional=invoice.professional,
            total_net=total.net,
            total_vat=total.vat,
            total_gross=total.gross,
            note=reason[:300],
        )
        InvoiceLine.objects.bulk_create(
            [
                InvoiceLine(
                    invoice=note,
                    position=position,
                    kind=LineKind.CREDIT,
                    description=line.description,
                    quantity=Decimal(1),
                    unit_code="C62",
                    unit_price=amount,
                    amount=amount,
                    vat_rate=line.vat_rate,
                    period_start=line.period_start,
                    period_end=line.period_end,
                    account_code=line.account_code,
                    credited_line=line,
                )
                for position, (line, amount) in enumerate(specs, start=1)
            ]
        )
        from pacte.audit.services import audit_record

        audit_record(
            actor=actor,
            action="billing.credit_note_create",
            instance=note,
            provider=invoice.provider,
            after={"invoice": invoice.number, "total_net": str(total.net), "reason": reason},
        )
    return note


def draft_delete(*, actor: Membership, invoice: Invoice) -> None:
    """Delete a draft (its movements go back to "not invoiced"); an issued invoice is never deleted."""
    require(can_bill(actor))
    if invoice.is_issued:
        raise ConflictError(
            _("Invoice %(number)s is issued: it is never deleted; a credit note cancels it.")
            % {"number": invoice.number}
        )
    with transaction.atomic():
        invoice.lines.all().delete()
        invoice.delete()
