"""Back-office pages (provider side) of the index table, its CSV import, the alert settings and price revision.

Technicians read the index table and a contract's revisions; the provider's admins and managers write;
the alert settings are the provider admins'. Client roles get 404 (these pages do not exist for them).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from pacte.contracts import alerts, indexes, revisions, selectors
from pacte.contracts.forms_revision import (
    ContractSettingsForm,
    IndexImportForm,
    IndexValueForm,
    RevisionConfirmForm,
    RevisionDateForm,
)
from pacte.contracts.models import IN_FORCE_STATUSES, Contract, IndexValue, Revision
from pacte.contracts.permissions import can_manage_contracts
from pacte.core.errors import ConflictError
from pacte.core.views import ActorRequiredMixin, ServiceFormView
from pacte.tenancy.permissions import require

IMPORT_SESSION_KEY = "pacte_index_import"
PAGE_SIZE = 60
PREVIEW_ROWS = 200
DEFAULT_INDEX = "SYNTEC"


class ContractsPageMixin(ActorRequiredMixin):
    side = "provider"
    section = ""
    #: Checked before the page runs (provider side only: client roles get the 404 of ``side``).
    needs_manager = False

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        actor = getattr(request, "actor", None)
        if self.needs_manager and actor is not None and actor.is_provider_side:
            require(can_manage_contracts(actor))
        return super().dispatch(request, *args, **kwargs)

    def page(self, request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
        context = {
            "section": self.section,
            "can_manage": can_manage_contracts(self.actor),
            "can_manage_settings": alerts.can_manage_contract_settings(self.actor),
            **context,
        }
        return render(request, template, context, status=status)


def index_text(value: Decimal) -> str:
    """An index value as published, in the page's language: 306.0000 → ``306.0`` (``306,0`` in French)."""
    exponent = value.normalize().as_tuple().exponent
    places = min(max(1, -exponent), 4) if isinstance(exponent, int) else 1
    return formats.number_format(value, decimal_pos=places)


def percent_text(value: Decimal | None) -> str:
    """A clause's bound as a percentage (0.02 → ``2 %``), or an empty string."""
    if value is None:
        return ""
    return f"{index_text(value * 100).rstrip('0').rstrip('.,')} %"


def _revision_rows(items: list[Revision]) -> list[dict[str, Any]]:
    return [{"revision": item, "s0": index_text(item.s0), "s1": index_text(item.s1)} for item in items]


def _index_code(value: str | None) -> str:
    code = indexes.index_code_normalise(value or "")
    return code if indexes.INDEX_CODE.fullmatch(code) else DEFAULT_INDEX


# The index table ---------------------------------------------------------------------------------


class IndexListView(ContractsPageMixin, View):
    section = "indexes"

    def get(self, request: HttpRequest) -> HttpResponse:
        code = _index_code(request.GET.get("index"))
        values = selectors.index_value_list(actor=self.actor, index_code=code)
        codes = sorted(
            {DEFAULT_INDEX, code, *selectors.index_value_list(actor=self.actor).values_list("index_code", flat=True)}
        )
        page = Paginator(values, PAGE_SIZE).get_page(request.GET.get("page"))
        used = indexes.used_months(self.actor.provider_id)
        rows = [{"row": row, "value": index_text(row.value), "used": row.month in used} for row in page]
        context = {"index_code": code, "codes": codes, "page": page, "rows": rows}
        return self.page(request, "contracts/revision/index_list.html", context)


class IndexFormView(ContractsPageMixin, ServiceFormView, View):
    section = "indexes"
    needs_manager = True
    form_class = IndexValueForm
    template_name = "contracts/revision/index_form.html"

    def success_url(self, result: IndexValue) -> str:
        messages.success(self.request, _("The index value has been saved."))
        return f"{reverse('contracts:index_list')}?index={result.index_code}"


class IndexCreateView(IndexFormView):
    title = gettext_lazy("New index value")

    def get_form_kwargs(self) -> dict[str, Any]:
        return {"initial": {"index_code": _index_code(self.request.GET.get("index"))}}

    def perform(self, form: IndexValueForm) -> IndexValue:
        return indexes.index_value_create(actor=self.actor, **form.cleaned_data)


class IndexUpdateView(IndexFormView):
    title = gettext_lazy("Edit an index value")

    def get_instance(self) -> IndexValue:
        return selectors.index_value_get(actor=self.actor, pk=self.kwargs["pk"])

    def get_context(self) -> dict[str, Any]:
        return {"in_use": indexes.index_value_in_use(self.instance())}

    def perform(self, form: IndexValueForm) -> IndexValue:
        try:
            return indexes.index_value_update(actor=self.actor, index_value=self.instance(), **form.cleaned_data)
        except ConflictError as error:
            raise ValidationError(error.message) from error


class IndexDeleteView(ContractsPageMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        row = selectors.index_value_get(actor=self.actor, pk=pk)
        try:
            indexes.index_value_delete(actor=self.actor, index_value=row)
        except ConflictError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("The index value has been deleted."))
        return redirect(f"{reverse('contracts:index_list')}?index={row.index_code}")


# CSV import: upload → preview (the file kept in the session) → confirm ---------------------------

ACTION_LABELS = {
    indexes.CREATE: gettext_lazy("create"),
    indexes.UPDATE: gettext_lazy("update"),
    indexes.UNCHANGED: gettext_lazy("unchanged"),
    indexes.ERROR: gettext_lazy("error"),
}
COLUMN_LABELS = {
    "month": gettext_lazy("Month"),
    "value": gettext_lazy("Value"),
    "published_on": gettext_lazy("Published on"),
    "series": gettext_lazy("Series"),
    "": gettext_lazy("Line"),
}


def _preview_rows(preview: indexes.ImportPreview) -> tuple[list[dict[str, Any]], int]:
    shown = [row for row in preview.rows if row.errors][:PREVIEW_ROWS]
    shown += [row for row in preview.rows if not row.errors][: PREVIEW_ROWS - len(shown)]
    shown.sort(key=lambda row: row.line)
    table = [
        {
            "line": row.line,
            "action": row.action,
            "action_label": ACTION_LABELS[row.action],
            "cells": [
                {
                    "value": row.cells.get(column, ""),
                    "error": any(name == column for name, _message in row.errors),
                    "changed": row.action == indexes.UPDATE
                    and (column in row.changes or (column == "" and bool(row.changes))),
                }
                for column in indexes.COLUMNS
            ],
            "errors": [
                _("%(column)s: %(message)s") % {"column": COLUMN_LABELS[name], "message": message}
                for name, message in row.errors
            ],
        }
        for row in shown
    ]
    return table, len(preview.rows) - len(shown)


class IndexImportView(ContractsPageMixin, View):
    """GET: the upload form. POST: read the file and show what importing it would do (nothing written).

    The file stays in the session (at most 512 KB) with the acting membership, the index and its
    SHA-256; the confirmation names that hash, and the import checks every row again before writing.
    """

    section = "indexes"
    needs_manager = True

    def get(self, request: HttpRequest) -> HttpResponse:
        form = IndexImportForm(initial={"index_code": _index_code(request.GET.get("index"))})
        return self.page(request, "contracts/revision/index_import.html", {"form": form})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = IndexImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.page(request, "contracts/revision/index_import.html", {"form": form}, status=422)
        upload, code = form.cleaned_data["file"], form.cleaned_data["index_code"]
        content = b"".join(upload.chunks())
        preview = indexes.index_import_preview(actor=self.actor, content=content, index_code=code)
        token = hashlib.sha256(content).hexdigest()
        request.session.pop(IMPORT_SESSION_KEY, None)
        if not preview.has_errors:
            request.session[IMPORT_SESSION_KEY] = {
                "membership": self.actor.pk,
                "index_code": code,
                "filename": (upload.name or "")[:200],
                "sha256": token,
                "content": base64.b64encode(content).decode("ascii"),
            }
        return self.render_preview(request, preview, upload.name or "", token)

    def render_preview(
        self, request: HttpRequest, preview: indexes.ImportPreview, filename: str, token: str, status: int = 200
    ) -> HttpResponse:
        table, hidden = _preview_rows(preview)
        context = {
            "preview": preview,
            "filename": filename,
            "token": token,
            "counts": preview.counts,
            "columns": [COLUMN_LABELS[column] for column in indexes.COLUMNS],
            "table": table,
            "hidden_rows": hidden,
        }
        return self.page(request, "contracts/revision/index_import_preview.html", context, status=status)


class IndexImportConfirmView(IndexImportView):
    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        pending = request.session.get(IMPORT_SESSION_KEY)
        if not isinstance(pending, dict) or pending.get("membership") != self.actor.pk:
            messages.error(request, _("There is no file waiting to be imported: upload it again."))
            return redirect("contracts:index_import")
        try:
            content = base64.b64decode(pending["content"], validate=True)
        except (KeyError, TypeError, ValueError, binascii.Error):
            content = b""
        token = pending.get("sha256")
        if request.POST.get("token") != token or hashlib.sha256(content).hexdigest() != token:
            messages.error(request, _("This preview is no longer the current one: upload the file again."))
            return redirect("contracts:index_import")
        code = _index_code(str(pending.get("index_code", "")))
        request.session.pop(IMPORT_SESSION_KEY, None)
        try:
            result = indexes.index_import(actor=self.actor, content=content, index_code=code)
        except ValidationError:
            preview = indexes.index_import_preview(actor=self.actor, content=content, index_code=code)
            messages.error(request, _("Nothing was imported: the file no longer matches the index table."))
            return self.render_preview(request, preview, str(pending.get("filename", "")), "", status=422)
        counts = result.counts
        messages.success(
            request,
            _("Import done: %(created)s created, %(updated)s updated, %(unchanged)s unchanged.")
            % {
                "created": counts[indexes.CREATE],
                "updated": counts[indexes.UPDATE],
                "unchanged": counts[indexes.UNCHANGED],
            },
        )
        return redirect(f"{reverse('contracts:index_list')}?index={code}")


# Alert settings ----------------------------------------------------------------------------------


class ContractSettingsView(ContractsPageMixin, View):
    section = "settings"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        actor = getattr(request, "actor", None)
        if actor is not None and actor.is_provider_side:
            require(alerts.can_manage_contract_settings(actor))
        return super().dispatch(request, *args, **kwargs)

    def render_form(self, request: HttpRequest, form: ContractSettingsForm, status: int = 200) -> HttpResponse:
        return self.page(request, "contracts/revision/settings.html", {"form": form}, status=status)

    def get(self, request: HttpRequest) -> HttpResponse:
        current = alerts.contract_settings_of(self.actor.provider_id)
        initial = {
            "lead_days": ", ".join(str(day) for day in current.lead_days()),
            "alerts_enabled": current.alerts_enabled,
        }
        return self.render_form(request, ContractSettingsForm(initial=initial))

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ContractSettingsForm(request.POST)
        if form.is_valid():
            try:
                alerts.contract_settings_update(actor=self.actor, **form.cleaned_data)
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, _("The alert settings have been saved."))
                return redirect("contracts:settings")
        return self.render_form(request, form, status=422)


# Price revision ----------------------------------------------------------------------------------


def revision_panel(actor: Any, contract: Contract) -> dict[str, Any]:
    """What the contract page's "Price revisions" panel shows (``contracts/partials/revisions.html``)."""
    next_due = revisions.revision_next_due(contract)
    return {
        "contract": contract,
        "revision_panel": True,
        "revision_list": _revision_rows(list(revisions.revisions_of(actor=actor, contract=contract))),
        "next_due": next_due,
        "can_revise": can_manage_contracts(actor) and next_due is not None and contract.status in IN_FORCE_STATUSES,
    }


class RevisionListView(ContractsPageMixin, View):
    """A contract's revisions: the whole page, or (htmx) the panel the contract page loads."""

    section = "revisions"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        contract = selectors.contract_get(actor=self.actor, pk=pk)
        context = revision_panel(self.actor, contract)
        if request.headers.get("HX-Request") == "true":
            return render(request, "contracts/partials/revisions.html", context)
        return self.page(request, "contracts/revision/revision_list.html", context)


class RevisionStartView(ContractsPageMixin, View):
    """GET: the revision date (the next due date by default). POST: the preview of that revision."""

    section = "revisions"
    needs_manager = True

    def contract(self) -> Contract:
        return selectors.contract_get(actor=self.actor, pk=self.kwargs["pk"])

    def render_form(self, request: HttpRequest, contract: Contract, form: Any, status: int = 200) -> HttpResponse:
        context = {"contract": contract, "form": form, "next_due": revisions.revision_next_due(contract)}
        return self.page(request, "contracts/revision/revision_form.html", context, status=status)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        contract = self.contract()
        return self.render_form(
            request, contract, RevisionDateForm(initial={"revision_date": revisions.revision_next_due(contract)})
        )

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        contract = self.contract()
        form = RevisionDateForm(request.POST)
        if not form.is_valid():
            return self.render_form(request, contract, form, status=422)
        try:
            preview = revisions.revision_preview(
                actor=self.actor, contract=contract, revision_date=form.cleaned_data["revision_date"]
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
            return self.render_form(request, contract, form, status=422)
        except ConflictError as error:
            form.add_error(None, error.message)
            return self.render_form(request, contract, form, status=409)
        confirm = RevisionConfirmForm(initial={"revision_date": preview.revision_date, "token": preview.token})
        clause = preview.clause
        context = {
            "contract": contract,
            "preview": preview,
            "confirm": confirm,
            "s0": index_text(preview.s0),
            "s1": index_text(preview.s1),
            "floor": percent_text(clause.floor),
            "cap": percent_text(clause.cap),
            "fixed_part": index_text(clause.fixed_part),
            "variable_part": index_text(1 - clause.fixed_part),
        }
        return self.page(request, "contracts/revision/revision_preview.html", context)


class RevisionApplyView(RevisionStartView):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        contract = self.contract()
        form = RevisionConfirmForm(request.POST)
        if not form.is_valid():
            return self.render_form(request, contract, RevisionDateForm(request.POST), status=422)
        try:
            revision = revisions.revision_apply(
                actor=self.actor,
                contract=contract,
                revision_date=form.cleaned_data["revision_date"],
                token=form.cleaned_data["token"],
            )
        except ValidationError as error:
            retry = RevisionDateForm(request.POST)
            retry.is_valid()
            for field, errors in error.message_dict.items():
                retry.add_error(field if field in retry.fields else None, errors)
            return self.render_form(request, contract, retry, status=422)
        except ConflictError as error:
            retry = RevisionDateForm(request.POST)
            retry.is_valid()
            retry.add_error(None, error.message)
            return self.render_form(request, contract, retry, status=409)
        messages.success(request, _("The prices have been revised; the letter is ready."))
        return redirect("contracts:revision_detail", pk=contract.pk, revision_pk=revision.pk)


class RevisionDetailView(ContractsPageMixin, View):
    section = "revisions"

    def get(self, request: HttpRequest, pk: int, revision_pk: int) -> HttpResponse:
        revision: Revision = revisions.revision_get(actor=self.actor, pk=revision_pk, contract_id=pk)
        labels = revisions.price_labels(revision.version.terms) if revision.version else {}
        lines = [
            {"label": labels.get(key, key), "before": Decimal(before), "after": Decimal(revision.prices_after[key])}
            for key, before in revision.prices_before.items()
            if key in revision.prices_after
        ]
        context = {
            "revision": revision,
            "contract": revision.contract,
            "lines": lines,
            "s0": index_text(revision.s0),
            "s1": index_text(revision.s1),
            "mailed_to": revisions.revision_mailed_to(revision),
        }
        return self.page(request, "contracts/revision/revision_detail.html", context)
