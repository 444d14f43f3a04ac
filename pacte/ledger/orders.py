"""Catalogue tasks and project milestones on the ledger: what a per-task or a milestones contract bills.

**A catalogue task** (``task_record``): a technician, a manager or an admin records that a task of the
contract's catalogue was performed (``new workstation`` × 2 on 12 October). The price is the task's
in the terms **in force on the day it was performed** (``contract_terms_at``): a price revision
applies to tasks performed from its effective date. One billable movement on the euros account, the
shape of a time-and-materials charge: quantity −amount, ``amount`` = unit price × quantity, source
``catalogue_task``, the rule snapshot with the task (code, label, unit price, quantity). Its key is
``task:<contract>:<token>``: the token comes with the request (the form's hidden field, the API's
``Idempotency-Key`` header), so a form submitted twice, or a request retried, posts one movement.
The same token with another task, quantity or day is a conflict (409), never a second movement.

**Cancelling a task** (``task_cancel``, admins and managers) before it is invoiced posts its reversal
— ``task:<contract>:<token>:cancel``, the opposite quantity and amount, same day and snapshot — so
a draft invoice recomputed, or the next one, nets it out. Once an *issued* invoice bills it, the
ledger refuses: the answer is a credit note on that invoice.

**A milestone** (``milestone_accept``, admins and managers): on acceptance, the milestone's amount in
the terms in force on the acceptance day, billable on the euros account, key
``milestone:<contract>:<label slug>`` (``-2``, ``-3``… for a label repeated in the terms): a
milestone is billed at most once, ever, whatever the runs, the retries or the amendments that
reorder the list (renaming a milestone's label makes it a new milestone).

Billing runs bill both like any billable movement (line kinds ``task`` and ``milestone``); the
movement's description is the invoice line's label (``Jalon : Recette``); a task's line shows its count in
the quantity column, so its label drops the ``× 2`` the ledger's description keeps (``task_line_description``).
"""

from __future__ import annotations

import datetime
import re
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, QuerySet
from django.http import Http404
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from pacte.audit.services import audit_record
from pacte.contracts.models import Contract
from pacte.contracts.selectors import contract_terms_at
from pacte.contracts.terms import ContractTerms, Milestone, Milestones, PerTask
from pacte.core.errors import ConflictError
from pacte.ledger import pricing, rules
from pacte.ledger.models import Movement, MovementKind, SourceKind, Unit
from pacte.ledger.permissions import can_manage_ledger, is_staff
from pacte.ledger.services import movement_post
from pacte.tenancy.models import Membership

#: At most this many units of a task in one record (beyond is a typing error, not an order).
MAX_TASK_QUANTITY = 999
#: An idempotency token: what a form or an API client sends to make a retry harmless.
TOKEN = re.compile(r"^[A-Za-z0-9_-]{8,64}\Z")
NOTE_MAX = 300
#: Descriptions become invoice lines, and invoices are French documents.
INVOICE_LANGUAGE = "fr"
TASK_LIST_LIMIT = 50
TICKET_CHOICES = 100
CANCEL_SUFFIX = ":cancel"


def can_record_tasks(actor: Membership) -> bool:
    """Recording a performed task: the provider's admins, managers and technicians."""
    return is_staff(actor)


def can_accept_milestones(actor: Membership) -> bool:
    """Accepting a milestone (it bills the client) and cancelling a task: admins and managers."""
    return can_manage_ledger(actor)


def new_token() -> str:
    """A fresh idempotency token (the task form carries one in a hidden field)."""
    return uuid.uuid4().hex


# Terms --------------------------------------------------------------------------------------------


def reference_day(contract: Contract, today: datetime.date | None = None) -> datetime.date:
    """Today, brought inside the contract's dates: whose terms the ledger page shows."""
    day = today or timezone.localdate()
    if day < contract.start_date:
        return contract.start_date
    if contract.end_date is not None and day > contract.end_date:
        return contract.end_date
    return day


def terms_on(contract: Contract, day: datetime.date) -> ContractTerms | None:
    version = contract_terms_at(contract, day)
    return version.terms if version is not None else None


def _check_day(contract: Contract, day: Any, field: str) -> tuple[datetime.date, ContractTerms]:
    if not isinstance(day, datetime.date):
        raise ValidationError({field: _("Enter a valid date.")})
    if day > timezone.localdate():
        raise ValidationError({field: _("The date cannot be in the future.")})
    terms = terms_on(contract, day)
    if terms is None:
        raise ValidationError(
            {field: _("No terms of the contract are in force on that day: choose a day within the contract.")}
        )
    return day, terms


def _scope(actor: Membership, contract: Contract) -> None:
    """Another provider's contract, or another client's, is a 404 (interfaces scope it first, too)."""
    if contract.provider_id != actor.provider_id or (actor.is_client_side and contract.client_id != actor.client_id):
        raise Http404


def _note(note: str) -> str:
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise ValidationError({"note": _("The note is too long (at most 300 characters).")})
    return note


# Catalogue tasks -----------------------------------------------------------------------------------


def _quantity(value: Any) -> int:
    try:
        quantity = int(str(value).strip()) if not isinstance(value, int) or isinstance(value, bool) else value
    except (TypeError, ValueError):
        raise ValidationError({"quantity": _("Enter a whole number of tasks, e.g. 1 or 2.")}) from None
    if quantity < 1:
        raise ValidationError({"quantity": _("At least one task.")})
    if quantity > MAX_TASK_QUANTITY:
        raise ValidationError({"quantity": _("At most %(max)s tasks in one record.") % {"max": MAX_TASK_QUANTITY}})
    return quantity


def _related(model: Any, pk: int | None, contract: Contract, field: str, message: str) -> Any:
    """The contract client's ticket or sheet ``pk`` (another client's, or another provider's, is unknown)."""
    if pk in (None, ""):
        return None
    try:
        number = int(pk)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValidationError({field: message}) from None
    found = model.objects.filter(pk=number, provider_id=contract.provider_id, client_id=contract.client_id).first()
    if found is None:
        raise ValidationError({field: message})
    return found


def task_label(label: str, quantity: int) -> str:
    """The movement's description of ``quantity`` tasks: « Nouveau poste × 2 » (the ledger has no count column)."""
    return label if quantity == 1 else f"{label} × {quantity}"


def task_line_description(description: str, task: Any) -> str:
    """A task movement's ``description`` for an invoice line that shows the count in its quantity column:
    « Nouveau poste × 2 — ticket T-1 » → « Nouveau poste — ticket T-1 » (a cancellation's « Annulation :
    Nouveau poste × 2 » too). ``task`` is the rule snapshot's task (label, quantity); a description
    that does not hold ``task_label``'s text (edited, older) is returned as it is."""
    if not isinstance(task, dict):
        return description
    label, quantity = task.get("label"), task.get("quantity")
    if not isinstance(label, str) or not label or not isinstance(quantity, int) or quantity == 1:
        return description
    return description.replace(task_label(label, quantity), label, 1)


def _task_matches(movement: Movement, code: str, quantity: int, day: datetime.date) -> bool:
    detail = movement.detail or {}
    return detail.get("code") == code and detail.get("quantity") == quantity and movement.service_date == day


@transaction.atomic
def task_record(
    *,
    actor: Membership,
    contract: Contract,
    code: str,
    performed_on: datetime.date,
    quantity: int | str = 1,
    ticket_id: int | None = None,
    intervention_id: int | None = None,
    note: str = "",
    token: str = "",
) -> tuple[Movement, bool]:
    """Post a performed catalogue task once per ``token``: ``(movement, created)``.

    ``ValidationError`` (by field: code, quantity, performed_on, ticket_id, intervention_id, note,
    token) when the contract does not bill tasks on that day, the code is not in its catalogue, the
    quantity is not 1–999, the day is outside the contract or in the future, or the ticket or sheet
    is not of the contract's client. The same ``token`` again returns the first movement; with
    another task, quantity or day it is a ``ConflictError``.
    """
    from pacte.interventions.models import Intervention
    from pacte.servicedesk.models import Ticket

    _scope(actor, contract)
    if not can_record_tasks(actor):
        raise PermissionDenied
    token = (token or "").strip() or new_token()
    if not TOKEN.match(token):
        raise ValidationError({"token": _("The idempotency key is 8 to 64 letters, digits, '-' or '_'.")})
    code = (code or "").strip()
    key = f"task:{contract.pk}:{token}"
    existing = Movement.objects.filter(key=key, contract_id=contract.pk).first()
    if existing is not None:
        if not _task_matches(existing, code, _quantity(quantity), performed_on):
            raise ConflictError(_("This idempotency key was already used for another task."))
        return existing, False
    count = _quantity(quantity)
    day, terms = _check_day(contract, performed_on, "performed_on")
    model = terms.billing_model
    if not isinstance(model, PerTask):
        raise ValidationError(
            {"code": _("On that day this contract is not billed per catalogue task: there is no task to record.")}
        )
    task = next((task for task in model.catalogue if task.code == code), None)
    if task is None:
        raise ValidationError(
            {
                "code": _("Unknown task %(code)s: choose one of the contract's catalogue (%(codes)s).")
                % {"code": code or "—", "codes": ", ".join(t.code for t in model.catalogue)}
            }
        )
    ticket = _related(Ticket, ticket_id, contract, "ticket_id", _("Choose a ticket of this contract's client."))
    sheet = _related(
        Intervention, intervention_id, contract, "intervention_id", _("Choose a sheet of this contract's client.")
    )
    note = _note(note)
    amount = pricing.money(task.price * count)
    with translation.override(INVOICE_LANGUAGE):
        description = task_label(task.label, count)
        if ticket is not None:
            description += " — " + _("ticket %(reference)s") % {"reference": ticket.reference}
        if sheet is not None:
            description += " — " + _("sheet %(reference)s") % {"reference": sheet.reference}
    task_rule = {"code": task.code, "label": task.label, "unit_price": str(task.price), "quantity": count}
    movement, created = movement_post(
        contract=contract,
        unit=Unit.EUROS,
        kind=MovementKind.CONSUMPTION,
        quantity=-amount,
        amount=amount,
        billable=True,
        service_date=day,
        source_kind=SourceKind.CATALOGUE_TASK,
        source_id=token,
        key=key,
        rule={**rules.snapshot(terms), "task": task_rule},
        detail={
            **task_rule,
            "amount": str(amount),
            "ticket_id": ticket.pk if ticket is not None else None,
            "intervention_id": sheet.pk if sheet is not None else None,
            "note": note,
        },
        description=description,
        reason=note,
        created_by=actor,
    )
    if created:
        audit_record(
            actor=actor,
            action="ledger.task_recorded",
            instance=movement,
            provider=actor.provider,
            after={"contract": contract.pk, **task_rule, "amount": str(amount), "performed_on": day, "key": key},
        )
    return movement, created


def _task_scope(actor: Membership, contract: Contract) -> QuerySet[Movement]:
    return Movement.objects.filter(
        provider_id=actor.provider_id, contract_id=contract.pk, source_kind=SourceKind.CATALOGUE_TASK
    )


@transaction.atomic
def task_cancel(*, actor: Membership, contract: Contract, movement_id: int, reason: str = "") -> Movement:
    """Reverse a recorded task not invoiced yet (admins and managers); returns the reversal.

    404: not a task of this contract (or a reversal). 409: already cancelled, or billed by an issued
    invoice (cancel it with a credit note).
    """
    _scope(actor, contract)
    if not can_accept_milestones(actor):
        raise PermissionDenied
    original = (
        _task_scope(actor, contract)
        .select_for_update()
        .filter(pk=movement_id)
        .exclude(key__endswith=CANCEL_SUFFIX)
        .select_related("account")
        .first()
    )
    if original is None:
        raise Http404
    reason = _note(reason)
    key = original.key + CANCEL_SUFFIX
    if Movement.objects.filter(key=key).exists():
        raise ConflictError(_("This task is already cancelled."))
    if Movement.objects.filter(pk=original.pk, invoice_line__invoice__status="issued").exists():
        raise ConflictError(
            _("This task is billed by an issued invoice: it cannot be cancelled here, issue a credit note.")
        )
    with translation.override(INVOICE_LANGUAGE):
        description = _("Cancellation: %(label)s") % {"label": original.description}
    assert original.amount is not None
    reversal, _created = movement_post(
        contract=contract,
        unit=original.account.unit,
        kind=original.kind,
        quantity=-original.quantity,
        amount=-original.amount,
        billable=True,
        service_date=original.service_date,
        source_kind=SourceKind.CATALOGUE_TASK,
        source_id=original.source_id,
        key=key,
        rule=original.rule,
        detail={"reverses": original.key},
        description=description,
        reason=reason,
        created_by=actor,
    )
    audit_record(
        actor=actor,
        action="ledger.task_cancelled",
        instance=reversal,
        provider=actor.provider,
        before={"key": original.key, "amount": str(original.amount)},
        after={"key": key, "reason": reason},
    )
    return reversal


@dataclass(frozen=True)
class TaskRow:
    movement: Movement
    cancelled: bool
    invoice_number: str | None  # the issued invoice that bills it
    on_draft: bool

    @property
    def can_cancel(self) -> bool:
        return not self.cancelled and self.invoice_number is None


def task_list(*, actor: Membership, contract: Contract, limit: int = TASK_LIST_LIMIT) -> list[TaskRow]:
    """The contract's recorded tasks, newest first, each with whether it is cancelled or invoiced (2 queries)."""
    if contract.provider_id != actor.provider_id or (actor.is_client_side and contract.client_id != actor.client_id):
        return []
    originals = list(
        _task_scope(actor, contract)
        .exclude(key__endswith=CANCEL_SUFFIX)
        .select_related("account", "created_by__user")
        .annotate(invoice_status=F("invoice_line__invoice__status"), invoice_number=F("invoice_line__invoice__number"))
        .order_by("-service_date", "-id")[:limit]
    )
    cancelled = set(
        _task_scope(actor, contract)
        .filter(key__in=[m.key + CANCEL_SUFFIX for m in originals])
        .values_list("key", flat=True)
    )
    return [
        TaskRow(
            movement=movement,
            cancelled=movement.key + CANCEL_SUFFIX in cancelled,
            invoice_number=movement.invoice_number if movement.invoice_status == "issued" else None,
            on_draft=movement.invoice_status == "draft",
        )
        for movement in originals
    ]


def task_tickets(*, actor: Membership, contract: Contract) -> list[tuple[int, str]]:
    """The contract client's latest tickets, to name the one a task answered (the task form's choices)."""
    from pacte.servicedesk.models import Ticket

    if contract.provider_id != actor.provider_id or not actor.is_provider_side:
        return []
    rows = (
        Ticket.objects.filter(provider_id=actor.provider_id, client_id=contract.client_id)
        .order_by("-created_at", "-id")
        .values_list("pk", "reference", "title")[:TICKET_CHOICES]
    )
    return [(pk, f"{reference} — {title}"[:120]) for pk, reference, title in rows]


# Milestones ----------------------------------------------------------------------------------------


def milestone_slugs(milestones: list[Milestone]) -> list[str]:
    """Each milestone's stable name in its key: its label's slug, ``-2``, ``-3``… when repeated."""
    seen: dict[str, int] = {}
    slugs = []
    for milestone in milestones:
        base = slugify(milestone.label)[:120] or "milestone"
        seen[base] = seen.get(base, 0) + 1
        slugs.append(base if seen[base] == 1 else f"{base}-{seen[base]}")
    return slugs


def milestone_key(contract: Contract, slug: str) -> str:
    return f"milestone:{contract.pk}:{slug}"


@dataclass(frozen=True)
class MilestoneRow:
    index: int | None  # its position in the terms shown; None: accepted, no longer in those terms
    label: str
    amount: Decimal
    expected_on: datetime.date | None
    key: str
    accepted: Movement | None
    invoice_number: str | None = None  # the issued invoice that bills it


def milestone_list(*, actor: Membership, contract: Contract, at: datetime.date | None = None) -> list[MilestoneRow]:
    """The milestones of the terms in force on ``at`` (default: today within the contract), each with its
    acceptance; then any milestone accepted that those terms no longer name. One query plus the terms."""
    if contract.provider_id != actor.provider_id or (actor.is_client_side and contract.client_id != actor.client_id):
        return []
    terms = terms_on(contract, at or reference_day(contract))
    accepted = {
        movement.key: movement
        for movement in Movement.objects.filter(
            provider_id=actor.provider_id, contract_id=contract.pk, source_kind=SourceKind.MILESTONE
        )
        .annotate(invoice_status=F("invoice_line__invoice__status"), invoice_number=F("invoice_line__invoice__number"))
        .order_by("service_date", "id")
    }

    def invoiced(movement: Movement | None) -> str | None:
        if movement is None or movement.invoice_status != "issued":  # type: ignore[attr-defined]
            return None
        return str(movement.invoice_number)  # type: ignore[attr-defined]

    rows: list[MilestoneRow] = []
    if terms is not None and isinstance(terms.billing_model, Milestones):
        milestones = terms.billing_model.milestones
        for index, (milestone, slug) in enumerate(zip(milestones, milestone_slugs(milestones), strict=True)):
            key = milestone_key(contract, slug)
            rows.append(
                MilestoneRow(
                    index=index,
                    label=milestone.label,
                    amount=milestone.amount,
                    expected_on=milestone.expected_on,
                    key=key,
                    accepted=(movement := accepted.pop(key, None)),
                    invoice_number=invoiced(movement),
                )
            )
    for key, movement in accepted.items():
        detail = movement.detail or {}
        rows.append(
            MilestoneRow(
                index=None,
                label=str(detail.get("label") or movement.description),
                amount=movement.amount or Decimal(0),
                expected_on=None,
                key=key,
                accepted=movement,
                invoice_number=invoiced(movement),
            )
        )
    return rows


@transaction.atomic
def milestone_accept(
    *,
    actor: Membership,
    contract: Contract,
    accepted_on: datetime.date,
    label: str = "",
    index: int | None = None,
    note: str = "",
) -> Movement:
    """Bill a milestone on its acceptance, once ever (admins and managers).

    The milestone is named by ``label`` or by its ``index`` in the terms in force on ``accepted_on``
    (a repeated label: its first occurrence not accepted yet); with both, the index must name that
    label (a page showing other terms than the acceptance day's is refused, not misread).
    ``ValidationError`` when the contract is not billed by milestones that day, the label or index is
    unknown, or the day is outside the contract or in the future; ``ConflictError`` when it is
    already accepted.
    """
    _scope(actor, contract)
    if not can_accept_milestones(actor):
        raise PermissionDenied
    day, terms = _check_day(contract, accepted_on, "accepted_on")
    model = terms.billing_model
    if not isinstance(model, Milestones):
        raise ValidationError({"label": _("On that day this contract is not billed by milestones.")})
    note = _note(note)
    milestones = model.milestones
    slugs = milestone_slugs(milestones)
    keys = [milestone_key(contract, slug) for slug in slugs]
    taken = set(Movement.objects.filter(key__in=keys).values_list("key", flat=True))
    label = (label or "").strip()
    if index is not None:
        if not 0 <= index < len(milestones):
            raise ValidationError({"index": _("Unknown milestone.")})
        if label and milestones[index].label != label:
            raise ValidationError(
                {
                    "index": _("On that day this milestone is %(label)s: check the terms in force and try again.")
                    % {"label": milestones[index].label}
                }
            )
        candidates = [index]
    else:
        candidates = [i for i, milestone in enumerate(milestones) if milestone.label == label]
        if not candidates:
            raise ValidationError(
                {
                    "label": _("Unknown milestone %(label)s: choose one of %(labels)s.")
                    % {"label": label or "—", "labels": ", ".join(m.label for m in milestones)}
                }
            )
    open_ones = [i for i in candidates if keys[i] not in taken]
    if not open_ones:
        raise ConflictError(_("This milestone is already accepted: it is billed once."))
    position = open_ones[0]
    milestone, key = milestones[position], keys[position]
    with translation.override(INVOICE_LANGUAGE):
        description = _("Milestone: %(label)s") % {"label": milestone.label}
    milestone_rule = {
        "index": position,
        "label": milestone.label,
        "amount": str(milestone.amount),
        "expected_on": milestone.expected_on.isoformat() if milestone.expected_on else None,
    }
    movement, created = movement_post(
        contract=contract,
        unit=Unit.EUROS,
        kind=MovementKind.CONSUMPTION,
        quantity=-milestone.amount,
        amount=milestone.amount,
        billable=True,
        service_date=day,
        source_kind=SourceKind.MILESTONE,
        source_id=f"{contract.pk}:{slugs[position]}"[:64],
        key=key,
        rule={**rules.snapshot(terms), "milestone": milestone_rule},
        detail={**milestone_rule, "note": note},
        description=description,
        reason=note,
        created_by=actor,
    )
    if not created:  # accepted at the same moment by someone else
        raise ConflictError(_("This milestone is already accepted: it is billed once."))
    audit_record(
        actor=actor,
        action="ledger.milestone_accepted",
        instance=movement,
        provider=actor.provider,
        after={"contract": contract.pk, **milestone_rule, "accepted_on": day, "key": key},
    )
    return movement


__all__ = [
    "MilestoneRow",
    "TaskRow",
    "milestone_accept",
    "milestone_list",
    "task_cancel",
    "task_list",
    "task_record",
]
