"""A signed contract's life on the provider's side: amendments, express renewal, notice, exit, closing."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from pacte.contracts import display, lifecycle, selectors, services
from pacte.contracts.forms import AmendmentForm, ExitItemForm, NoticeForm, RenewForm
from pacte.contracts.models import Contract, ContractVersion, ExitItem, Notice, VersionKind, VersionStatus
from pacte.contracts.permissions import can_manage_contracts
from pacte.contracts.views import (
    ContractActionView,
    ContractPageMixin,
    add_errors,
    render_detail,
    terms_choices,
)
from pacte.core.errors import ConflictError
from pacte.tenancy.models import Membership
from pacte.tenancy.permissions import require

# Amendments -------------------------------------------------------------------------------------------


class AmendmentFormView(ContractPageMixin, View):
    """The amendment's date, reason and terms (pre-filled with the latest signed terms, or the draft's)."""

    creating = True

    def objects(self, pk: int) -> tuple[Contract, ContractVersion | None]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _form(self, contract: Contract, version: ContractVersion | None, data: Any = None) -> AmendmentForm:
        if version is not None:
            terms = version.terms
            initial = {"effective_from": version.effective_from, "reason": version.reason}
        else:
            latest = (
                selectors.version_list(actor=self.actor, contract=contract)
                .filter(status=VersionStatus.SIGNED)
                .order_by("-effective_from", "-number")
                .first()
            )
            if latest is None:
                raise ConflictError(_("This contract has no signed version yet."))
            terms, initial = latest.terms, {}
        return AmendmentForm(data, terms=terms, initial=initial, **terms_choices(self.actor, contract.client, terms))

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        contract, version = self.objects(pk)
        return self.render_form(request, contract, version, self._form(contract, version))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        contract, version = self.objects(pk)
        form = self._form(contract, version, request.POST)
        if form.is_valid():
            try:
                if version is None:
                    version = services.amendment_create(actor=self.actor, contract=contract, **form.service_data())
                else:
                    version = services.amendment_update(actor=self.actor, version=version, **form.service_data())
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(request, _("The amendment has been saved: send it for signature when it is ready."))
                return redirect(reverse("contracts:contract_detail", args=[contract.pk]) + "#versions")
        return self.render_form(request, contract, version, form, status=422)

    def render_form(
        self,
        request: HttpRequest,
        contract: Contract,
        version: ContractVersion | None,
        form: AmendmentForm,
        status: int = 200,
    ) -> HttpResponse:
        title = _("New amendment") if version is None else _("Amendment n° %(n)s") % {"n": version.number - 1}
        context = {"contract": contract, "version": version, "form": form, "title": title}
        return self.page(request, "contracts/amendment_form.html", context, status=status)


class AmendmentCreateView(AmendmentFormView):
    def objects(self, pk: int) -> tuple[Contract, ContractVersion | None]:
        contract = selectors.contract_get(actor=self.actor, pk=pk)
        require(can_manage_contracts(self.actor))
        return contract, None


def _amendment(actor: Membership, pk: int) -> ContractVersion:
    version = selectors.version_get(actor=actor, pk=pk)
    require(can_manage_contracts(actor))
    if version.kind != VersionKind.AMENDMENT or version.status not in (VersionStatus.DRAFT, VersionStatus.SENT):
        raise ConflictError(_("Only an amendment not yet signed can be changed."))
    return version


class AmendmentUpdateView(AmendmentFormView):
    def objects(self, pk: int) -> tuple[Contract, ContractVersion | None]:
        version = _amendment(self.actor, pk)
        return version.contract, version


class AmendmentActionView(ContractPageMixin, View):
    http_method_names = ["post"]
    success_message: Any = ""

    def act(self, version: ContractVersion) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        version = selectors.version_get(actor=self.actor, pk=pk)
        require(can_manage_contracts(self.actor))
        contract = version.contract
        try:
            self.act(version)
        except ConflictError as error:
            return render_detail(self, request, contract, error=error.message, status=409)
        except ValidationError as error:
            return render_detail(self, request, contract, error=" ".join(error.messages), status=422)
        messages.success(request, self.success_message)
        return redirect(reverse("contracts:contract_detail", args=[contract.pk]) + "#versions")


class AmendmentSendView(AmendmentActionView):
    success_message = gettext_lazy("The amendment has been sent: the client's manager signs it in the portal.")

    def act(self, version: ContractVersion) -> Any:
        return services.amendment_send(actor=self.actor, version=version)


class AmendmentCancelView(AmendmentActionView):
    success_message = gettext_lazy("The amendment has been cancelled.")

    def act(self, version: ContractVersion) -> Any:
        return services.amendment_cancel(actor=self.actor, version=version)


# Renewal, exit, closing ------------------------------------------------------------------------------------


class ContractRenewView(ContractActionView):
    success_message = gettext_lazy("The contract has been renewed.")

    def act(self, contract: Contract) -> Any:
        form = RenewForm(self.request.POST)
        if not form.is_valid():
            raise ValidationError(list(form.errors["months"]))
        return lifecycle.contract_renew(actor=self.actor, contract=contract, months=form.cleaned_data.get("months"))


class ContractExitStartView(ContractActionView):
    success_message = gettext_lazy("The exit has started: work through its checklist.")
    anchor = "#exit"

    def act(self, contract: Contract) -> Any:
        return lifecycle.contract_exit_start(actor=self.actor, contract=contract)


class ContractCloseView(ContractActionView):
    success_message = gettext_lazy("The contract is closed.")

    def act(self, contract: Contract) -> Any:
        return lifecycle.contract_close(actor=self.actor, contract=contract)


# Notice ---------------------------------------------------------------------------------------------------


class _Preview(Exception):
    def __init__(self, notice: Notice) -> None:
        super().__init__("preview")
        self.notice = notice


def notice_preview(*, actor: Membership, contract: Contract, data: dict[str, Any]) -> Notice:
    """What ``notice_give`` would record (end, on time, indemnity), computed by the service itself and rolled back."""
    try:
        with transaction.atomic():
            notice = lifecycle.notice_give(actor=actor, contract=contract, **{**data, "upload": None})
            raise _Preview(notice)
    except _Preview as preview:
        return preview.notice


class NoticeCreateView(ContractPageMixin, View):
    """Record a notice with its proof; "Compute" shows its effect and the indemnity first, saving nothing."""

    def _contract(self, pk: int) -> Contract:
        contract = selectors.contract_get(actor=self.actor, pk=pk)
        require(can_manage_contracts(self.actor))
        return contract

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self.render_form(request, self._contract(pk), NoticeForm(initial={"given_by": "client"}))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        contract = self._contract(pk)
        form = NoticeForm(request.POST, request.FILES)
        preview = None
        if form.is_valid():
            try:
                if "preview" in request.POST:
                    preview = notice_preview(actor=self.actor, contract=contract, data=form.service_data())
                else:
                    lifecycle.notice_give(actor=self.actor, contract=contract, **form.service_data())
                    messages.success(request, _("The notice has been recorded."))
                    return redirect(reverse("contracts:contract_detail", args=[contract.pk]) + "#notices")
            except ValidationError as error:
                add_errors(form, error)
            except ConflictError as error:
                return render_detail(self, request, contract, error=error.message, status=409)
        status = 200 if preview is not None else 422
        template = "contracts/partials/notice_effect.html" if request.htmx and preview else None  # type: ignore[attr-defined]
        return self.render_form(request, contract, form, preview=preview, status=status, template=template)

    def render_form(
        self,
        request: HttpRequest,
        contract: Contract,
        form: NoticeForm,
        *,
        preview: Notice | None = None,
        status: int = 200,
        template: str | None = None,
    ) -> HttpResponse:
        context = {
            "contract": contract,
            "form": form,
            "deadlines": display.contract_deadlines(contract),
            "preview": preview,
            "preview_reason": display.NOTICE_REASONS.get(preview.reason, preview.reason) if preview else "",
            "judge_notice": display.JUDGE_NOTICE,
        }
        return self.page(request, template or "contracts/notice_form.html", context, status=status)


# The exit checklist -------------------------------------------------------------------------------------


def exit_owner_choices(actor: Membership, contract: Contract) -> list[tuple[str, str]]:
    """Active members of the provider's team and of the contract's client (who may own an exit item)."""
    members = (
        Membership.objects.filter(provider_id=actor.provider_id, is_active=True)
        .filter(Q(client__isnull=True) | Q(client_id=contract.client_id))
        .select_related("user", "client")
        .order_by("client_id", "user__full_name", "user__email", "id")
    )
    choices = []
    for member in members:
        side = member.client.name if member.client_id and member.client else actor.provider.name
        choices.append((str(member.pk), f"{member.user.full_name or member.user.email} ({side})"))
    return choices


class ExitItemUpdateView(ContractPageMixin, View):
    def _item(self, pk: int) -> ExitItem:
        item = selectors.exit_item_get(actor=self.actor, pk=pk)
        require(can_manage_contracts(self.actor))
        return item

    def _form(self, item: ExitItem, data: Any = None, files: Any = None) -> ExitItemForm:
        initial = {
            "owner": str(item.owner_id or ""),
            "due_on": item.due_on,
            "done_on": item.done_on,
            "evidence_comment": item.evidence_comment,
        }
        return ExitItemForm(data, files, owners=exit_owner_choices(self.actor, item.contract), initial=initial)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        item = self._item(pk)
        return self.render_form(request, item, self._form(item))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        item = self._item(pk)
        form = self._form(item, request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            owner = None
            if data.get("owner"):
                owner = Membership.objects.select_related("provider").get(
                    pk=int(data["owner"]), provider_id=self.actor.provider_id
                )
            try:
                lifecycle.exit_item_update(
                    actor=self.actor,
                    item=item,
                    owner=owner,
                    due_on=data.get("due_on"),
                    done_on=data.get("done_on"),
                    evidence_comment=data.get("evidence_comment", ""),
                    upload=data.get("file"),
                )
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(request, _("The checklist item has been saved."))
                return redirect(reverse("contracts:contract_detail", args=[item.contract_id]) + "#exit")
        return self.render_form(request, item, form, status=422)

    def render_form(self, request: HttpRequest, item: ExitItem, form: ExitItemForm, status: int = 200) -> HttpResponse:
        context = {"item": item, "contract": item.contract, "form": form}
        return self.page(request, "contracts/exit_item_form.html", context, status=status)
