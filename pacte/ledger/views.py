"""The ledger's back-office pages: a contract's accounts and movements, a manual adjustment, the leak report.

Thin: one selector or one service per request. Provider roles read every contract's ledger; the
adjustment and the leak report are for admins and managers (a technician gets 403).
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View

from pacte.core.views import ActorRequiredMixin
from pacte.ledger import selectors, services
from pacte.ledger.forms import AdjustmentForm
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


class ContractLedgerView(ProviderPage):
    """Accounts with their balances, then the movements (newest first, 100 a page), each with its source."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        contract = selectors.ledger_contract(actor=self.actor, pk=pk)
        page = _page(request)
        size = selectors.PAGE_SIZE
        offset = (page - 1) * size
        rows: list[Movement] = list(
            selectors.movement_list(actor=self.actor, contract=contract)[offset : offset + size + 1]
        )
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
        context = {
            "contract": contract,
            "accounts": selectors.account_list(actor=self.actor, contract=contract),
            "movements": movements,
            "page": page,
            "has_next": has_next,
            "can_adjust": can_manage_ledger(self.actor),
            "can_see_leaks": can_see_leaks(self.actor),
            "units": dict(Unit.choices),
        }
        return render(request, "ledger/contract_ledger.html", context)


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
