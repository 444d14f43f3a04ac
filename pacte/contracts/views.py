"""Provider-side contract pages: the list, a new draft in a few clicks, the detail, the draft's terms.

Amendments, renewal, notice and exit are in ``views_lifecycle``; the catalogue and templates in
``views_catalogue``. Every page resolves its rows through the scoped selectors; every write is one service.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from pacte.assets import selectors as asset_selectors
from pacte.contracts import display, lifecycle, selectors, services
from pacte.contracts.forms import ContractDraftForm, ContractFilterForm, ContractNewForm
from pacte.contracts.models import (
    Contract,
    ContractStatus,
    ContractVersion,
    VersionKind,
    VersionStatus,
)
from pacte.contracts.permissions import can_manage_contracts
from pacte.contracts.terms import ContractTerms
from pacte.core.errors import ConflictError
from pacte.core.views import ActorRequiredMixin, ServiceFormView
from pacte.sla import selectors as sla_selectors
from pacte.tenancy import selectors as tenancy_selectors
from pacte.tenancy.models import Client, Membership
from pacte.tenancy.permissions import require

PAGE_SIZE = 25


# Helpers shared by the contract pages ---------------------------------------------------------------


def terms_choices(actor: Membership, client: Client | None, terms: ContractTerms | None = None) -> dict[str, Any]:
    """The choices of a terms form: the client's sites and assets, the catalogue, the service levels."""
    selected_sites = set(terms.sites) if terms else set()
    choices: dict[str, Any] = {
        "categories": [(c.code, c.name) for c in selectors.category_list(actor=actor)],
        "service_levels": [(str(s.pk), s.name) for s in sla_selectors.service_level_list(actor=actor)],
    }
    archived_mark = _("archived")
    if terms is not None and terms.covered_categories:
        known = {code for code, _name in choices["categories"]}
        archived = selectors.category_list(actor=actor, include_archived=True).filter(
            code__in=[code for code in terms.covered_categories if code not in known]
        )
        choices["categories"] += [(c.code, f"{c.name} ({archived_mark})") for c in archived]
    if client is not None:
        sites = tenancy_selectors.site_list(actor=actor, client_id=client.pk, include_archived=True)
        choices["sites"] = [
            (str(site.pk), site.name if site.archived_at is None else f"{site.name} ({archived_mark})")
            for site in sites
            if site.archived_at is None or site.pk in selected_sites
        ]
        assets = asset_selectors.asset_list(actor=actor, client_id=client.pk)
        choices["assets"] = [(str(a.pk), asset_label(a)) for a in assets]
    return choices


def asset_label(asset: Any) -> str:
    parts = [asset.name]
    if asset.serial:
        parts.append(f"n° {asset.serial}")
    if asset.site_id and asset.site:
        parts.append(asset.site.name)
    return " · ".join(parts)


def list_deadlines(contract: Contract, today: datetime.date) -> tuple[datetime.date, str] | None:
    """The next deadline of a listed contract, from its prefetched signed versions (no query per row)."""
    if contract.status not in (ContractStatus.ACTIVE, ContractStatus.NOTICE_GIVEN):
        return None
    version = lifecycle.version_in_force(getattr(contract, "signed_versions", []), contract, today)
    deadlines = None
    if version is not None and contract.status == ContractStatus.ACTIVE:
        deadlines = lifecycle.version_deadlines(contract, version)
    return display.next_deadline(contract, deadlines, today)


def terms_names(actor: Membership, contract: Contract, terms: ContractTerms) -> dict[str, Any]:
    """Names of the sites, assets, categories and service level the terms refer to (one query each)."""
    names: dict[str, Any] = {"sites": {}, "assets": {}, "categories": {}, "service_levels": {}}
    if terms.sites:
        sites = tenancy_selectors.site_list(actor=actor, client_id=contract.client_id, include_archived=True)
        names["sites"] = dict(sites.filter(pk__in=terms.sites).values_list("pk", "name"))
    if terms.assets:
        assets = asset_selectors.asset_list(actor=actor, client_id=contract.client_id, include_archived=True)
        names["assets"] = {asset.pk: asset_label(asset) for asset in assets.filter(pk__in=terms.assets)}
    if terms.covered_categories:
        categories = selectors.category_list(actor=actor, include_archived=True)
        names["categories"] = dict(categories.filter(code__in=terms.covered_categories).values_list("code", "name"))
    if terms.service_level:
        levels = sla_selectors.service_level_list(actor=actor, include_archived=True)
        names["service_levels"] = dict(levels.filter(pk=terms.service_level).values_list("pk", "name"))
    return names


class ContractPageMixin(ActorRequiredMixin):
    side = "provider"

    def page(self, request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
        context = {"can_manage": can_manage_contracts(self.actor), **context}
        return render(request, template, context, status=status)


# The list -------------------------------------------------------------------------------------------


class ContractListView(ContractPageMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        clients = [(str(c.pk), c.name) for c in tenancy_selectors.client_list(actor=self.actor, include_archived=True)]
        form = ContractFilterForm(request.GET or None, clients=clients)
        signed = ContractVersion.objects.filter(status=VersionStatus.SIGNED).order_by("-effective_from", "-number")
        queryset = selectors.contract_list(actor=self.actor, **form.filters()).prefetch_related(
            Prefetch("versions", queryset=signed, to_attr="signed_versions")
        )
        page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
        today = timezone.localdate()
        rows = [(contract, list_deadlines(contract, today)) for contract in page.object_list]
        query = request.GET.copy()
        query.pop("page", None)
        context = {"form": form, "page": page, "rows": rows, "query": query.urlencode(), "today": today}
        template = "contracts/partials/contract_table.html" if request.htmx else "contracts/contract_list.html"  # type: ignore[attr-defined]
        return self.page(request, template, context)


# A new draft ------------------------------------------------------------------------------------------


class ContractCreateView(ContractPageMixin, View):
    """Client, template (its optional clauses ticked), start, title → a draft with the template's terms."""

    def _form(self, data: Any = None) -> ContractNewForm:
        require(can_manage_contracts(self.actor))
        clients = [(str(c.pk), c.name) for c in tenancy_selectors.client_list(actor=self.actor)]
        templates = list(selectors.template_list(actor=self.actor))
        initial = {key: self.request.GET[key] for key in ("client", "template") if self.request.GET.get(key)}
        return ContractNewForm(data, clients=clients, templates=templates, initial=initial)

    def get(self, request: HttpRequest) -> HttpResponse:
        form = self._form()
        if request.htmx and request.GET.get("partial") == "clauses":  # type: ignore[attr-defined]
            return self.page(request, "contracts/partials/optional_clauses.html", {"form": form})
        return self.render_form(request, form)

    def post(self, request: HttpRequest) -> HttpResponse:
        form = self._form(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            template = form.chosen_template()
            assert template is not None
            client = tenancy_selectors.client_get(actor=self.actor, pk=int(data["client"]))
            try:
                contract = services.contract_create(
                    actor=self.actor,
                    client=client,
                    title=data["title"],
                    start_date=data["start_date"],
                    duration_months=data.get("duration_months") or template.duration_months,
                    terms=services.template_terms_for_client(template, included_clauses=data["included_clauses"]),
                    template=template,
                )
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(
                    request,
                    _("The draft %(reference)s is ready: complete its terms.") % {"reference": contract.reference},
                )
                return redirect("contracts:contract_update", contract.pk)
        return self.render_form(request, form, status=422)

    def render_form(self, request: HttpRequest, form: ContractNewForm, status: int = 200) -> HttpResponse:
        return self.page(request, "contracts/contract_new.html", {"form": form}, status=status)


def add_errors(form: Any, error: ValidationError) -> None:
    """A service's ``ValidationError`` next to the form's fields (the others at the top)."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


# The detail ---------------------------------------------------------------------------------------------


class ContractDetailView(ContractPageMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        contract = selectors.contract_get(actor=self.actor, pk=pk)
        return render_detail(self, request, contract)


def render_detail(
    view: ContractPageMixin, request: HttpRequest, contract: Contract, *, error: str = "", status: int = 200
) -> HttpResponse:
    """The contract's page; ``error`` (a refused action) is shown at the top with ``status``."""
    actor = view.actor
    today = timezone.localdate()
    versions = list(
        selectors.version_list(actor=actor, contract=contract).select_related("provider_signature", "client_signature")
    )
    in_force = lifecycle.current_version(contract) if contract.status not in _UNSIGNED else None
    shown = in_force or (versions[0] if versions else None)
    terms = shown.terms if shown else None
    deadlines = display.contract_deadlines(contract) if contract.status == ContractStatus.ACTIVE else None
    pending = next((v for v in versions if v.kind == VersionKind.AMENDMENT and v.status in _PENDING), None)
    exit_items = list(selectors.exit_item_list(actor=actor, contract=contract))
    can_manage = can_manage_contracts(actor)
    renewal_kind = terms.renewal.kind if terms else ""
    context = {
        "contract": contract,
        "error": error,
        "today": today,
        "versions": [(version, display.change_rows(version.changes)) for version in versions],
        "version_in_force": in_force,
        "terms_version": shown,
        "sections": display.terms_sections(terms, **terms_names(actor, contract, terms)) if terms else [],
        "clauses": terms.clauses if terms else [],
        "deadlines": deadlines,
        "warnings": [display.WARNINGS.get(code, code) for code in (deadlines.warnings if deadlines else ())],
        "next_deadline": display.next_deadline(contract, deadlines, today),
        "pending_amendment": pending,
        "notices": [
            (notice, display.NOTICE_REASONS.get(notice.reason, notice.reason))
            for notice in selectors.notice_list(actor=actor, contract=contract)
        ],
        "exit_items": exit_items,
        "open_mandatory": [item for item in exit_items if item.mandatory and not item.is_done],
        "judge_notice": display.JUDGE_NOTICE,
        "actions": {
            "edit": can_manage and contract.status == ContractStatus.DRAFT,
            "send": can_manage and contract.status == ContractStatus.DRAFT,
            "cancel": can_manage and contract.status in (ContractStatus.DRAFT, ContractStatus.SENT),
            "amend": can_manage and contract.status in _IN_FORCE and pending is None,
            "renew": can_manage
            and contract.status == ContractStatus.ACTIVE
            and renewal_kind == "express"
            and contract.term_end is not None
            and today <= contract.term_end,
            "renew_months": terms is not None and terms.renewal.renewal_term_months is None,
            "notice": can_manage and contract.status == ContractStatus.ACTIVE,
            "exit_start": can_manage and contract.status == ContractStatus.EXPIRED,
            "exit_items": can_manage and contract.status == ContractStatus.IN_EXIT,
            "close": can_manage and contract.status == ContractStatus.IN_EXIT,
        },
    }
    return view.page(request, "contracts/contract_detail.html", context, status=status)


_UNSIGNED = (ContractStatus.DRAFT, ContractStatus.SENT, ContractStatus.CANCELLED)
_PENDING = (VersionStatus.DRAFT, VersionStatus.SENT)
_IN_FORCE = (ContractStatus.ACTIVE, ContractStatus.NOTICE_GIVEN)


# The draft's terms ------------------------------------------------------------------------------------


class ContractUpdateView(ContractPageMixin, ServiceFormView, View):
    """The whole terms form of a draft (a signed contract changes by amendment)."""

    form_class = ContractDraftForm
    template_name = "contracts/contract_form.html"
    title = gettext_lazy("Contract terms")

    def get_instance(self) -> Contract:
        contract = selectors.contract_get(actor=self.actor, pk=self.kwargs["pk"])
        require(can_manage_contracts(self.actor))
        if contract.status != ContractStatus.DRAFT:
            raise ConflictError(_("Only a draft can be edited; a signed contract changes by amendment."))
        return contract

    def _form(self, data: Any = None) -> ContractDraftForm:
        contract = self.instance()
        version = services.draft_version(contract)
        terms = version.terms
        initial = {
            "title": contract.title,
            "start_date": contract.start_date,
            "duration_months": contract.duration_months,
        }
        choices = terms_choices(self.actor, contract.client, terms)
        return ContractDraftForm(data, terms=terms, mode="contract", initial=initial, **choices)

    def get_context(self) -> dict[str, Any]:
        return {"contract": self.instance()}

    def perform(self, form: ContractDraftForm) -> Contract:
        return services.contract_update_draft(actor=self.actor, contract=self.instance(), **form.service_data())

    def success_url(self, result: Contract) -> str:
        messages.success(self.request, _("The draft has been saved."))
        return reverse("contracts:contract_detail", args=[result.pk])


# Sending, cancelling ----------------------------------------------------------------------------------


class ContractActionView(ContractPageMixin, View):
    """A POST that calls one service on the contract; a refusal shows the contract with the reason."""

    http_method_names = ["post"]
    success_message: Any = ""
    anchor = ""

    def act(self, contract: Contract) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        contract = selectors.contract_get(actor=self.actor, pk=pk)
        require(can_manage_contracts(self.actor))
        try:
            self.act(contract)
        except ConflictError as error:
            return render_detail(self, request, contract, error=error.message, status=409)
        except ValidationError as error:
            return render_detail(self, request, contract, error=" ".join(error.messages), status=422)
        messages.success(request, self.success_message)
        return redirect(reverse("contracts:contract_detail", args=[contract.pk]) + self.anchor)


class ContractSendView(ContractActionView):
    success_message = gettext_lazy(
        "The contract has been sent for signature: the client's manager signs it in the portal."
    )

    def act(self, contract: Contract) -> Any:
        return services.contract_send(actor=self.actor, contract=contract)


class ContractCancelView(ContractActionView):
    success_message = gettext_lazy("The contract has been cancelled.")

    def act(self, contract: Contract) -> Any:
        return services.contract_cancel(actor=self.actor, contract=contract)
