"""The client's contract pages in the portal (its manager only): list, detail, signature, notice, exit sign-off.

Client users see no contracts: every page answers 404 for them, as for anyone outside the client.
The signature page shows the exact stored PDF (inline viewer and download) with its SHA-256, which
the form posts back: ``services.version_sign`` records the signature only if it is still the stored
document's, then the provider's certificate seals it.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.clickjacking import xframe_options_sameorigin

from pacte.contracts import dates, display, lifecycle, selectors, services
from pacte.contracts.documents import amendment_number, service_level_of
from pacte.contracts.models import (
    Contract,
    ContractStatus,
    ContractVersion,
    NoticeChannel,
    NoticeParty,
    VersionKind,
    VersionStatus,
)
from pacte.contracts.permissions import can_sign_for_client, can_view_contracts
from pacte.contracts.portal_forms import NoticeForm, SignForm
from pacte.contracts.views import terms_names
from pacte.core.errors import ConflictError
from pacte.core.views import ActorRequiredMixin
from pacte.documents import storage
from pacte.documents.errors import StoredFileError
from pacte.tenancy.models import Membership

SIGNABLE = (ContractStatus.SENT, ContractStatus.ACTIVE, ContractStatus.NOTICE_GIVEN)


class PortalContractMixin(ActorRequiredMixin):
    """A portal page of the contracts: the client's manager only (client users and everyone else: 404)."""

    side = "client"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        actor = getattr(request, "actor", None)
        if actor is not None and actor.is_client_side and not can_view_contracts(actor):
            return render(request, "404.html", status=404)
        return super().dispatch(request, *args, **kwargs)


# Reads ------------------------------------------------------------------------------------------


def version_label(version: ContractVersion) -> str:
    if version.kind == VersionKind.AMENDMENT:
        return _("Amendment n° %(number)s") % {"number": amendment_number(version)}
    if version.kind == VersionKind.INITIAL:
        return _("Contract")
    return str(version.get_kind_display())


def next_step(contract: Contract, versions: list[ContractVersion], today: datetime.date) -> dict[str, Any] | None:
    """What the client should know next about ``contract``: a signature to give, or its next date.

    ``{"date": …, "label": …, "sign": version or None}``; from prefetched versions (no query).
    """
    pending = next((v for v in versions if v.status == VersionStatus.SENT), None)
    if pending is not None and contract.status in SIGNABLE:
        return {"date": None, "label": _("Awaiting your signature"), "sign": pending}
    if contract.status == ContractStatus.NOTICE_GIVEN and contract.end_date:
        return {"date": contract.end_date, "label": _("Last day of the contract"), "sign": None}
    if contract.status == ContractStatus.IN_EXIT:
        label = _("Exit signed off") if contract.client_signoff_at else _("Exit in progress: your sign-off is awaited")
        return {"date": None, "label": label, "sign": None}
    if contract.status != ContractStatus.ACTIVE:
        return None
    version = lifecycle.version_in_force(versions, contract, today)
    if version is None:
        return None
    deadlines = lifecycle.version_deadlines(contract, version)
    if deadlines.refusal_deadline and deadlines.refusal_deadline >= today:
        return {"date": deadlines.refusal_deadline, "label": _("Last day to refuse the renewal"), "sign": None}
    if deadlines.term_last_day and deadlines.term_last_day >= today:
        return {"date": deadlines.term_last_day, "label": _("End of the current term"), "sign": None}
    return None


def _versions_prefetch() -> Prefetch:
    visible = ContractVersion.objects.exclude(status=VersionStatus.DRAFT).order_by("number")
    return Prefetch("versions", queryset=visible, to_attr="visible_versions")


def _names(actor: Membership, contract: Contract, version: ContractVersion) -> dict[str, Any]:
    terms = version.terms
    names = terms_names(actor, contract, terms)
    level = service_level_of(contract.provider, terms.service_level)  # the client's own contract: its level's name
    if level is not None:
        names["service_levels"] = {level.pk: level.name}
    return names


def consent_text(version: ContractVersion, actor: Membership) -> str:
    """The sentence the signer ticks, recorded word for word with the signature."""
    document = version.document
    assert document is not None
    return _(
        "I have read “%(title)s” (PDF, SHA-256 %(sha256)s) and its annexes, and I sign it on behalf of %(client)s."
    ) % {"title": document.title, "sha256": document.sha256, "client": version.contract.client.name}


# Pages ------------------------------------------------------------------------------------------


class ContractListView(PortalContractMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        today = timezone.localdate()
        contracts = list(selectors.contract_list(actor=self.actor).prefetch_related(_versions_prefetch()))
        rows = [(contract, next_step(contract, contract.visible_versions, today)) for contract in contracts]  # type: ignore[attr-defined]
        awaiting = [row for row in rows if row[1] and row[1]["sign"] is not None]
        return render(request, "contracts/portal/list.html", {"rows": rows, "awaiting": awaiting, "today": today})


class ContractDetailView(PortalContractMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        contract = selectors.contract_get(actor=self.actor, pk=pk)
        today = timezone.localdate()
        versions = list(
            selectors.version_list(actor=self.actor, contract=contract).select_related(
                "provider_signature", "client_signature"
            )
        )
        in_force = lifecycle.version_in_force(versions, contract, today)
        shown = in_force or (versions[-1] if versions else None)
        exit_items = list(selectors.exit_item_list(actor=self.actor, contract=contract))
        open_mandatory = [item for item in exit_items if item.mandatory and not item.is_done]
        context = {
            "contract": contract,
            "provider": contract.provider,
            "next": next_step(contract, versions, today),
            "versions": [
                (version, version_label(version), display.change_rows(version.changes)) for version in versions
            ],
            "terms_version": shown,
            "sections": display.terms_sections(shown.terms, **_names(self.actor, contract, shown)) if shown else [],
            "clauses": shown.terms.clauses if shown else [],
            "notices": [
                (notice, display.NOTICE_REASONS.get(notice.reason, notice.reason))
                for notice in selectors.notice_list(actor=self.actor, contract=contract)
            ],
            "judge_notice": display.JUDGE_NOTICE,
            "exit_items": exit_items,
            "open_mandatory": open_mandatory,
            "can_give_notice": contract.status == ContractStatus.ACTIVE,
            "can_sign_off": contract.status == ContractStatus.IN_EXIT
            and contract.client_signoff_at is None
            and not open_mandatory,
        }
        return render(request, "contracts/portal/detail.html", context)


class VersionSignView(PortalContractMixin, View):
    """The document awaiting the client's signature: shown, fingerprinted, signed (or refused, nothing recorded)."""

    def _version(self, pk: int) -> ContractVersion:
        return selectors.version_get(actor=self.actor, pk=pk)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        version = self._version(pk)
        if version.status != VersionStatus.SENT or version.document is None:
            return redirect("portal:contract_detail", version.contract_id)
        return self._page(request, version, SignForm(initial={"document_sha256": version.document.sha256}))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        version = self._version(pk)
        form = SignForm(request.POST)
        if not form.is_valid():
            return self._page(request, version, form, status=422)
        if version.document is None:
            raise ConflictError(_("This document is not awaiting a signature."))
        shown = form.cleaned_data["document_sha256"]
        try:
            signed = services.version_sign(
                actor=self.actor,
                version=version,
                document_sha256=shown,
                consent_text=consent_text(version, self.actor),
                signer_name=form.cleaned_data["signer_name"],
            )
        except ValidationError as error:
            form.add_error(None, error)
            return self._page(request, version, form, status=422)
        except ConflictError as error:
            changed = shown != version.document.sha256
            message = (
                _(
                    "The document has changed since it was shown to you: nothing was signed. "
                    "Read the document below, then sign again if you agree."
                )
                if changed
                else error.message
            )
            fresh = SignForm(initial={"document_sha256": version.document.sha256})
            return self._page(request, version, fresh, error=message, status=409)
        if signed.kind == VersionKind.INITIAL:
            messages.success(request, _("The contract is signed and now active. Its sealed PDF is ready below."))
        else:
            messages.success(
                request,
                _("The amendment is signed; it takes effect on %(date)s. Its sealed PDF is ready below.")
                % {"date": display.day(signed.effective_from)},
            )
        return redirect("portal:contract_detail", signed.contract_id)

    def _page(
        self, request: HttpRequest, version: ContractVersion, form: SignForm, *, error: str = "", status: int = 200
    ) -> HttpResponse:
        assert version.document is not None
        context = {
            "version": version,
            "contract": version.contract,
            "document": version.document,
            "label": version_label(version),
            "changes": display.change_rows(version.changes) if version.kind == VersionKind.AMENDMENT else [],
            "consent_text": consent_text(version, self.actor),
            "form": form,
            "error": error,
            "awaiting": version.status == VersionStatus.SENT,
        }
        return render(request, "contracts/portal/sign.html", context, status=status)


@method_decorator(xframe_options_sameorigin, name="dispatch")
class VersionPdfView(PortalContractMixin, View):
    """The exact stored PDF of a version, inline, for the viewer of the signature page (same origin only)."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponseBase:
        version = selectors.version_get(actor=self.actor, pk=pk)
        document = version.document
        if document is None:
            raise Http404
        try:
            handle = storage.path_of(document.storage_name).open("rb")
        except OSError as error:
            raise StoredFileError(_("The stored file of this document is missing.")) from error
        response = FileResponse(handle, as_attachment=False, filename=document.filename, content_type="application/pdf")
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        response["Content-Security-Policy"] = "frame-ancestors 'self'"
        return response


class NoticeView(PortalContractMixin, View):
    """The client's manager gives notice (received today, through the portal): the end date it leads to."""

    def _contract(self, pk: int) -> Contract:
        contract = selectors.contract_get(actor=self.actor, pk=pk)
        if not can_sign_for_client(self.actor):
            raise Http404
        if contract.status != ContractStatus.ACTIVE:
            raise ConflictError(_("Notice can only be given on an active contract."))
        return contract

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        contract = self._contract(pk)
        return self._page(request, contract, NoticeForm())

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        contract = self._contract(pk)
        form = NoticeForm(request.POST)
        if form.is_valid():
            try:
                notice = lifecycle.notice_give(
                    actor=self.actor,
                    contract=contract,
                    given_by=NoticeParty.CLIENT,
                    received_on=timezone.localdate(),
                    channel=NoticeChannel.PORTAL,
                    comment=form.cleaned_data["comment"],
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(
                    request,
                    _("Your notice is recorded: the contract ends on %(date)s.")
                    % {"date": display.day(notice.end_date)},
                )
                return redirect("portal:contract_detail", contract.pk)
        return self._page(request, contract, form, status=422)

    def _page(self, request: HttpRequest, contract: Contract, form: NoticeForm, status: int = 200) -> HttpResponse:
        today = timezone.localdate()
        version = lifecycle.current_version(contract, today)
        preview = None
        if version is not None:
            terms = version.terms
            effect = dates.notice_effect(
                today,
                lifecycle.current_term(contract, terms),
                lifecycle.renewal_rule(terms),
                professional=contract.client.is_professional,
                reminder_sent_on=contract.reminder_sent_on,
            )
            preview = {
                "end_date": effect.end_date,
                "on_time": effect.on_time,
                "reason": display.NOTICE_REASONS.get(effect.reason, effect.reason),
                "notice": terms.renewal,
            }
        context = {"contract": contract, "form": form, "preview": preview, "today": today}
        return render(request, "contracts/portal/notice.html", context, status=status)


class ExitSignoffView(PortalContractMixin, View):
    """The client's manager confirms the exit once every mandatory item is done."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        contract = selectors.contract_get(actor=self.actor, pk=pk)
        lifecycle.contract_client_signoff(actor=self.actor, contract=contract)
        messages.success(request, _("You have signed off the exit. The provider can now close the contract."))
        return redirect("portal:contract_detail", contract.pk)
