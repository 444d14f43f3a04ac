"""The ledger's back-office pages: a contract's accounts and movements, a manual adjustment, the leak report,
and on a per-task or milestones contract its catalogue tasks and milestones (``orders.py``).

Thin: one selector or one service per request. Provider roles read every contract's ledger and record
catalogue tasks; the adjustment, the leak report, cancelling a task and accepting a milestone are for
admins and managers (a technician gets 403). A refused task or milestone re-renders the ledger page
with the error next to its field (422, or 409 for a state conflict).
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats
from django.utils.translation import gettext as _
from django.views import View

from pacte.contracts.terms import Milestones, PerTask
from pacte.core.errors import ConflictError
from pacte.core.views import ActorRequiredMixin
from pacte.ledger import orders, selectors, services
from pacte.ledger.forms import AdjustmentForm, MilestoneAcceptForm, TaskRecordForm
from pacte.ledger.models import Movement, Unit
from pacte.ledger.permissions import can_manage_ledger, can_see_leaks
from pacte.tenancy.permissions import require


class ProviderPage(ActorRequiredMixin, View):
    side = "provider"


def _page(request: HttpRequest) -> int:
    try:
        return max(1, min(int(request.GET.get("page", "1")), 10_000))
    except ValueError:
        return 1


def _task_form(actor: Any, contract: Any, terms: Any, data: Any = None) -> TaskRecordForm:
    catalogue = [
        (task.code, f"{task.label} — {formats.number_format(task.price, 2, use_l10n=True)} €")
        for task in terms.billing_model.catalogue
    ]
    return TaskRecordForm(
        data,
        catalogue=catalogue,
        tickets=orders.task_tickets(actor=actor, contract=contract),
        initial={"quantity": 1, "performed_on": orders.reference_day(contract), "token": orders.new_token()},
    )


def _milestone_form(contract: Any, data: Any = None, prefix: str = "") -> MilestoneAcceptForm:
    return MilestoneAcceptForm(data, prefix=prefix or None, initial={"accepted_on": orders.reference_day(contract)})


def _form_errors(form: Any, error: ValidationError, names: dict[str, str] | None = None) -> None:
    for field, errors in error.message_dict.items():
        name = (names or {}).get(field, field)
        form.add_error(name if name in form.fields else None, errors)


def ledger_page(
    request: HttpRequest,
    actor: Any,
    contract: Any,
    *,
    task_form: TaskRecordForm | None = None,
    milestone_error: tuple[int, MilestoneAcceptForm] | None = None,
    task_error: tuple[int, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The contract's ledger page: accounts, its tasks or milestones (with their forms), movements."""
    page = _page(request)
    size = selectors.PAGE_SIZE
    offset = (page - 1) * size
    rows: list[Movement] = list(selectors.movement_list(actor=actor, contract=contract)[offset : offset + size + 1])
    has_next = len(rows) > size
    rows = rows[:size]
    movements = [
        {
            "movement": movement,
            "source_url": selectors.source_url(movement),
            "rule_json": json.dumps(movement.rule, indent=2, ensure_ascii=False, sort_keys=True),
            "detail_json": json.dumps(movement.detail, indent=2, ensure_ascii=False, sort_keys=True),
        }
        for movement in rows
    ]
    terms = orders.terms_on(contract, orders.reference_day(contract))
    model = terms.billing_model if terms is not None else None
    can_manage = can_manage_ledger(actor)
    context: dict[str, Any] = {
        "contract": contract,
        "accounts": selectors.account_list(actor=actor, contract=contract),
        "movements": movements,
        "page": page,
        "has_next": has_next,
        "can_adjust": can_manage,
        "can_see_leaks": can_see_leaks(actor),
        "units": dict(Unit.choices),
        "per_task": isinstance(model, PerTask),
        "by_milestones": isinstance(model, Milestones),
        "can_cancel_tasks": can_manage,
        "can_accept_milestones": orders.can_accept_milestones(actor),
        "task_error": task_error,
    }
    if isinstance(model, PerTask):
        if orders.can_record_tasks(actor):
            context["task_form"] = task_form or _task_form(actor, contract, terms)
        context["tasks"] = orders.task_list(actor=actor, contract=contract)
    if isinstance(model, Milestones) or milestone_error is not None:
        context["milestones"] = [
            {
                "row": row,
                "form": milestone_error[1]
                if milestone_error is not None and milestone_error[0] == row.index
                else _milestone_form(contract, prefix=f"m{row.index}"),
            }
            for row in orders.milestone_list(actor=actor, contract=contract)
        ]
        context["by_milestones"] = True
    if milestone_error is not None and not any(  # no open row to show the error next to: show it on top
        m["row"].index == milestone_error[0] and not m["row"].accepted for m in context["milestones"]
    ):
        context["milestone_error"] = milestone_error[1]
    return render(request, "ledger/contract_ledger.html", context, status=status)


class ContractLedgerView(ProviderPage):
    """Accounts with their balances, tasks or milestones, then the movements (newest first, 100 a page)."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        contract = selectors.ledger_contract(actor=self.actor, pk=pk)
        return ledger_page(request, self.actor, contract)


class TaskRecordView(ProviderPage):
    """Record a performed catalogue task (provider roles); a second submission of the same form records nothing."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        contract = selectors.ledger_contract(actor=self.actor, pk=pk)
        require(orders.can_record_tasks(self.actor))
        terms = orders.terms_on(contract, orders.reference_day(contract))
        if terms is None or not isinstance(terms.billing_model, PerTask):
            raise ConflictError(_("This contract is not billed per catalogue task."))
        form = _task_form(self.actor, contract, terms, request.POST)
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            try:
                _movement, created = orders.task_record(
                    actor=self.actor,
                    contract=contract,
                    code=data["code"],
                    quantity=data["quantity"],
                    performed_on=data["performed_on"],
                    ticket_id=int(data["ticket"]) if data["ticket"] else None,
                    note=data["note"],
                    token=data["token"],
                )
            except ValidationError as error:
                _form_errors(form, error, {"ticket_id": "ticket"})
            except ConflictError as error:
                form.add_error(None, error.message)
                status = 409
            else:
                if created:
                    messages.success(request, _("Task recorded: it will be billed with the month's invoice."))
                else:
                    messages.info(request, _("This task was already recorded (the form was sent twice)."))
                return redirect("ledger:contract_ledger", pk=contract.pk)
        return ledger_page(request, self.actor, contract, task_form=form, status=status)


class TaskCancelView(ProviderPage):
    """Cancel a recorded task not invoiced yet (admins and managers): its reversal is posted."""

    def post(self, request: HttpRequest, pk: int, movement_pk: int) -> HttpResponse:
        contract = selectors.ledger_contract(actor=self.actor, pk=pk)
        require(orders.can_accept_milestones(self.actor))
        try:
            orders.task_cancel(
                actor=self.actor, contract=contract, movement_id=movement_pk, reason=request.POST.get("reason", "")
            )
        except ValidationError as error:
            message = " ".join(message for errors in error.message_dict.values() for message in errors)
            return ledger_page(request, self.actor, contract, task_error=(movement_pk, message), status=422)
        except ConflictError as error:
            return ledger_page(request, self.actor, contract, task_error=(movement_pk, error.message), status=409)
        messages.success(request, _("Task cancelled: its reversal is posted."))
        return redirect("ledger:contract_ledger", pk=contract.pk)


class MilestoneAcceptView(ProviderPage):
    """Accept a milestone (admins and managers): its amount is billed, once."""

    def post(self, request: HttpRequest, pk: int, index: int) -> HttpResponse:
        contract = selectors.ledger_contract(actor=self.actor, pk=pk)
        require(orders.can_accept_milestones(self.actor))
        form = _milestone_form(contract, request.POST, prefix=f"m{index}")
        status = 422
        if form.is_valid():
            try:
                orders.milestone_accept(
                    actor=self.actor,
                    contract=contract,
                    index=index,
                    label=request.POST.get(f"m{index}-label", ""),
                    accepted_on=form.cleaned_data["accepted_on"],
                    note=form.cleaned_data["note"],
                )
            except ValidationError as error:
                _form_errors(form, error)
            except ConflictError as error:
                form.add_error(None, error.message)
                status = 409
            else:
                messages.success(request, _("Milestone accepted: it will be billed with the month's invoice."))
                return redirect("ledger:contract_ledger", pk=contract.pk)
        return ledger_page(request, self.actor, contract, milestone_error=(index, form), status=status)


class AdjustmentCreateView(ProviderPage):
    """A manager's adjustment of one of the contract's accounts, with its reason."""

    def _prepare(self, pk: int) -> Any:
        contract = selectors.ledger_contract(actor=self.actor, pk=pk)
        require(can_manage_ledger(self.actor))
        return contract

    def _render(self, request: HttpRequest, contract: Any, form: AdjustmentForm, status: int = 200) -> HttpResponse:
        return render(request, "ledger/adjustment_form.html", {"contract": contract, "form": form}, status=status)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        contract = self._prepare(pk)
        return self._render(request, contract, AdjustmentForm(units=services.contract_units(contract)))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        contract = self._prepare(pk)
        form = AdjustmentForm(request.POST, units=services.contract_units(contract))
        if form.is_valid():
            try:
                services.adjustment_post(
                    actor=self.actor,
                    contract=contract,
                    unit=form.cleaned_data["unit"],
                    quantity=form.cleaned_data["quantity"],
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, _("Adjustment posted."))
                return redirect("ledger:contract_ledger", pk=contract.pk)
        return self._render(request, contract, form, status=422)


class LeakReportView(ProviderPage):
    """Work that matches no rule, is not posted, or is posted and not invoiced yet."""

    def get(self, request: HttpRequest) -> HttpResponse:
        require(can_see_leaks(self.actor))
        report = selectors.leak_report(actor=self.actor)
        return render(request, "ledger/leak_report.html", {"report": report, "limit": selectors.LEAK_LIMIT})
