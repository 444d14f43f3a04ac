"""Pages for a client's assets: the back office (list, detail, create, edit, archive, CSV import) and the portal (read).

The list and detail views serve both sides (``side="provider"`` under ``/assets/``, ``side="client"``
under ``/portal/assets/``); the selectors narrow a client role to its own company.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from pacte.assets import importing, selectors, services
from pacte.assets.forms import AssetFilterForm, AssetForm, AssetImportForm
from pacte.assets.models import Asset
from pacte.assets.permissions import can_manage_assets
from pacte.core.views import ActorRequiredMixin, ServiceFormView
from pacte.tenancy import selectors as tenancy_selectors
from pacte.tenancy.models import Client
from pacte.tenancy.permissions import require

PAGE_SIZE = 25
IMPORT_SESSION_KEY = "pacte_asset_import"
#: Lines the preview table shows at most (those with an error first).
PREVIEW_ROWS = 1000


def _int(value: Any) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**62 else None


class AssetPageMixin(ActorRequiredMixin):
    """``side`` decides the URL names the pages link to (back office or portal)."""

    side = "provider"

    def url_names(self) -> dict[str, str]:
        if self.side == "client":
            return {"list": "portal:asset_list", "detail": "portal:asset_detail"}
        return {"list": "assets:asset_list", "detail": "assets:asset_detail"}

    def page(self, request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
        context = {
            "urls": self.url_names(),
            "provider_side": self.actor.is_provider_side,
            "can_manage": self.actor.is_provider_side and can_manage_assets(self.actor),
            **context,
        }
        return render(request, template, context, status=status)


class AssetListView(AssetPageMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        clients = None if self.actor.is_client_side else tenancy_selectors.client_list(actor=self.actor)
        client_id = _int(request.GET.get("client"))
        if clients is not None and client_id is not None and not clients.filter(pk=client_id).exists():
            client_id = None  # not one of the actor's clients: no filter, and no hint that it exists
        show_sites = self.actor.is_client_side or client_id is not None
        sites = tenancy_selectors.site_list(actor=self.actor, client_id=client_id if clients is not None else None)
        form = AssetFilterForm(request.GET, clients=clients, sites=sites if show_sites else sites.none())
        filters = form.filters()
        queryset = selectors.asset_list(actor=self.actor, **filters)
        page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        context = {
            "page": page,
            "form": form,
            "show_sites": show_sites,
            "filtered": any(filters.values()),
            "query": query.urlencode(),
            "client_id": filters["client_id"],
        }
        return self.page(request, "assets/asset_list.html", context)


class AssetDetailView(AssetPageMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        asset = selectors.asset_get(actor=self.actor, pk=pk)
        return self.page(request, "assets/asset_detail.html", {"asset": asset})


class AssetFormMixin(ServiceFormView, View):
    side = "provider"
    form_class = AssetForm
    template_name = "assets/asset_form.html"

    def get_context(self) -> dict[str, Any]:
        return {"urls": self.url_names()}

    def url_names(self) -> dict[str, str]:
        return {"list": "assets:asset_list", "detail": "assets:asset_detail"}

    def success_url(self, result: Asset) -> str:
        messages.success(self.request, _("The asset has been saved."))
        return reverse("assets:asset_detail", args=[result.pk])


class AssetCreateView(AssetFormMixin):
    title = gettext_lazy("New asset")

    def chosen_client(self) -> Client | None:
        """The client named by the form (POST) or the link (``?client=``), if the actor sees it."""
        client_id = _int(self.request.POST.get("client") or self.request.GET.get("client"))
        if client_id is None:
            return None
        return tenancy_selectors.client_list(actor=self.actor).filter(pk=client_id).first()

    def get_form_kwargs(self) -> dict[str, Any]:
        require(can_manage_assets(self.actor))
        client = self.chosen_client()
        client_id = client.pk if client is not None else None
        return {
            "clients": tenancy_selectors.client_list(actor=self.actor),
            "sites": tenancy_selectors.site_list(actor=self.actor, client_id=client_id),
            "contacts": tenancy_selectors.contact_list(actor=self.actor, client_id=client_id),
            "one_client": client is not None,
            "initial": {"client": client_id, "kind": "workstation"},
        }

    def perform(self, form: AssetForm) -> Asset:
        data = dict(form.cleaned_data)
        client = data.pop("client")
        return services.asset_create(actor=self.actor, client=client, **data)


class AssetUpdateView(AssetFormMixin):
    title = gettext_lazy("Edit asset")

    def get_instance(self) -> Asset:
        asset = selectors.asset_get(actor=self.actor, pk=self.kwargs["pk"])
        require(can_manage_assets(self.actor))
        return asset

    def get_form_kwargs(self) -> dict[str, Any]:
        client_id = self.instance().client_id
        return {
            "clients": None,
            "sites": tenancy_selectors.site_list(actor=self.actor, client_id=client_id),
            "contacts": tenancy_selectors.contact_list(actor=self.actor, client_id=client_id),
            "one_client": True,
        }

    def perform(self, form: AssetForm) -> Asset:
        return services.asset_update(actor=self.actor, asset=self.instance(), **form.cleaned_data)


class AssetArchiveView(AssetPageMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        asset = selectors.asset_get(actor=self.actor, pk=pk)
        services.asset_archive(actor=self.actor, asset=asset)
        messages.success(request, _("The asset has been archived."))
        return redirect("assets:asset_list")


# CSV import: upload → preview (the file is kept in the session) → confirm -------------------------


class AssetImportView(AssetPageMixin, View):
    """GET: the upload form. POST: read the file, show what importing it would do, keep it for the confirmation.

    The file's bytes stay on the server (in the session, at most ``importing.MAX_BYTES``) with the
    acting membership, the client and their SHA-256; the confirmation names that hash, and the
    import checks everything again (actor, role, client, every row) before writing anything.
    """

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        actor = getattr(request, "actor", None)
        if actor is not None and actor.is_provider_side:
            require(can_manage_assets(actor))
        return super().dispatch(request, *args, **kwargs)

    def form(self, data: Any = None, files: Any = None) -> AssetImportForm:
        initial = {"client": _int(self.request.GET.get("client"))}
        return AssetImportForm(data, files, clients=tenancy_selectors.client_list(actor=self.actor), initial=initial)

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.page(request, "assets/asset_import.html", {"form": self.form()})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = self.form(request.POST, request.FILES)
        if not form.is_valid():
            return self.page(request, "assets/asset_import.html", {"form": form}, status=422)
        client: Client = form.cleaned_data["client"]
        upload = form.cleaned_data["file"]
        content = b"".join(upload.chunks())
        preview = selectors.asset_import_preview(actor=self.actor, client=client, content=content)
        token = hashlib.sha256(content).hexdigest()
        if preview.has_errors:
            request.session.pop(IMPORT_SESSION_KEY, None)
        else:
            request.session[IMPORT_SESSION_KEY] = {
                "membership": self.actor.pk,
                "client": client.pk,
                "filename": upload.name[:200],
                "sha256": token,
                "content": base64.b64encode(content).decode("ascii"),
            }
        return self.render_preview(request, client, preview, upload.name, token)

    def render_preview(
        self,
        request: HttpRequest,
        client: Client,
        preview: importing.Preview,
        filename: str,
        token: str,
        status: int = 200,
    ) -> HttpResponse:
        fields = [name for name in importing.FIELDS if name in preview.columns]
        shown = [row for row in preview.rows if row.errors][:PREVIEW_ROWS]
        shown += [row for row in preview.rows if not row.errors][: PREVIEW_ROWS - len(shown)]
        shown.sort(key=lambda row: row.line)
        context = {
            "client": client,
            "preview": preview,
            "filename": filename,
            "token": token,
            "counts": preview.counts,
            "fields": [(name, preview.header(name)) for name in fields],
            "table": [_preview_row(row, fields, preview) for row in shown],
            "hidden_rows": len(preview.rows) - len(shown),
        }
        return self.page(request, "assets/asset_import_preview.html", context, status=status)


ACTION_LABELS = {
    importing.CREATE: gettext_lazy("create"),
    importing.UPDATE: gettext_lazy("update"),
    importing.UNCHANGED: gettext_lazy("unchanged"),
    importing.ERROR: gettext_lazy("error"),
}


def _preview_row(row: importing.PreviewRow, fields: list[str], preview: importing.Preview) -> dict[str, Any]:
    """One line of the preview table: its cells (in error, or changed by an update) and its messages."""
    in_error = {error.field for error in row.errors}
    return {
        "line": row.line,
        "action": row.action,
        "action_label": ACTION_LABELS[row.action],
        "cells": [
            {
                "value": row.cells.get(name, ""),
                "error": name in in_error,
                "changed": row.action == importing.UPDATE and name in row.changes,
            }
            for name in fields
        ],
        "errors": [
            {
                "field": error.field,
                "text": _("%(column)s: %(message)s") % {"column": preview.header(error.field), "message": error.message}
                if error.field
                else error.message,
            }
            for error in row.errors
        ],
        "warnings": row.warnings,
    }


class AssetImportConfirmView(AssetImportView):
    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        pending = request.session.get(IMPORT_SESSION_KEY)
        if not isinstance(pending, dict) or pending.get("membership") != self.actor.pk:
            messages.error(request, _("There is no file waiting to be imported: upload it again."))
            return redirect("assets:asset_import")
        try:
            content = base64.b64decode(pending["content"], validate=True)
        except (KeyError, TypeError, ValueError, binascii.Error):
            content = b""
        if request.POST.get("token") != pending.get("sha256") or hashlib.sha256(content).hexdigest() != pending.get(
            "sha256"
        ):
            messages.error(request, _("This preview is no longer the current one: upload the file again."))
            return redirect("assets:asset_import")
        client = tenancy_selectors.client_get(actor=self.actor, pk=_int(pending.get("client")) or 0)
        filename = str(pending.get("filename", ""))
        try:
            result = services.asset_import(actor=self.actor, client=client, content=content, filename=filename)
        except ValidationError:
            preview = selectors.asset_import_preview(actor=self.actor, client=client, content=content)
            request.session.pop(IMPORT_SESSION_KEY, None)
            messages.error(request, _("Nothing was imported: the file no longer matches the client's data."))
            return self.render_preview(request, client, preview, filename, "", status=422)
        request.session.pop(IMPORT_SESSION_KEY, None)
        messages.success(
            request,
            _("Import done — created: %(created)s, updated: %(updated)s, unchanged: %(unchanged)s.")
            % {"created": result.created, "updated": result.updated, "unchanged": result.unchanged},
        )
        return redirect(f"{reverse('assets:asset_list')}?client={client.pk}")
