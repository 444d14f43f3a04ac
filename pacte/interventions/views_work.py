"""The sheet page's actions: each posts to its own URL and calls one service.

On success: back to the sheet page (at the block that was sent), or, for an htmx request on the
checklist, the changed line only. On a validation error: the sheet page again (422) with the
errors next to the fields of the form that was sent and what was typed kept. A signed or cancelled
sheet answers 409 to every action, before any form is read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pacte.core.errors import ConflictError
from pacte.interventions import selectors, services
from pacte.interventions.forms import ChecklistSetForm
from pacte.interventions.models import ChecklistItem, Intervention, Part, SheetStatus, TimeEntry
from pacte.interventions.permissions import can_work_interventions
from pacte.interventions.views import SheetPage
from pacte.servicedesk.views import add_service_errors
from pacte.tenancy.permissions import require

#: Files one upload may carry.
MAX_FILES = 10


def _locked_message(sheet: Intervention) -> str:
    if sheet.status == SheetStatus.CANCELLED:
        return _("This sheet is cancelled.")
    return _("This sheet is signed: it can no longer change. Create a correcting sheet instead.")


class SheetAction(SheetPage):
    """A POST on one block of the sheet page: the form ``form_name``, then ``perform``."""

    http_method_names = ["post"]
    form_name = ""
    anchor = ""
    success: Any = ""

    def guard(self) -> Intervention:
        """The sheet, if the actor may work it and it is not locked (else 403 / 409)."""
        sheet = self.sheet()
        require(can_work_interventions(self.actor))
        if sheet.is_locked:
            raise ConflictError(_locked_message(sheet))
        return sheet

    def build_form(self, data: Any) -> Any:
        return getattr(self, self.form_name)(data)

    def perform(self, form: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def done(self, request: HttpRequest, result: Any) -> HttpResponse:
        if self.success:
            messages.success(request, str(self.success))
        return self.back(self.anchor)

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        self.guard()
        form = self.build_form(request.POST)
        if form.is_valid():
            try:
                result = self.perform(form)
            except ValidationError as error:
                add_service_errors(form, error)
            except ConflictError as error:
                return self.conflict(request, error, form)
            else:
                return self.done(request, result)
        return self.render_page(request, status=422, open_form=self.form_name, **{self.form_name: form})

    def conflict(self, request: HttpRequest, error: ConflictError, form: Any = None) -> HttpResponse:
        """A state conflict: 409; on a sheet still open, the page again with the message and what was typed."""
        self.sheet().refresh_from_db()
        if self.sheet().is_locked:
            raise error
        forms = {self.form_name: form} if form is not None and self.form_name else {}
        return self.render_page(request, status=409, open_form=self.form_name, errors=[error.message], **forms)


class SheetSimpleAction(SheetAction):
    """An action without a form (check in, check out, work done): errors shown at the top of the page."""

    def call(self, sheet: Intervention) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        sheet = self.guard()
        try:
            result = self.call(sheet)
        except ValidationError as error:
            return self.render_page(request, status=422, errors=_messages_of(error))
        except ConflictError as error:
            return self.conflict(request, error)
        return self.done(request, result)


def _messages_of(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        return [str(message) for messages_ in error.message_dict.values() for message in messages_]
    return [str(message) for message in error.messages]


# Check in / out, backup, done, cancel, correct -----------------------------------------------------------------


class CheckInView(SheetSimpleAction):
    anchor = "#presence"
    success = gettext_lazy("Checked in: the intervention has started.")

    def call(self, sheet: Intervention) -> Any:
        return services.sheet_check_in(actor=self.actor, sheet=sheet)


class CheckOutView(SheetSimpleAction):
    anchor = "#presence"
    success = gettext_lazy("Checked out.")

    def call(self, sheet: Intervention) -> Any:
        return services.sheet_check_out(actor=self.actor, sheet=sheet)


class MarkDoneView(SheetSimpleAction):
    anchor = "#finish"
    success = gettext_lazy("Work done: the sheet is ready for the client's signature.")

    def call(self, sheet: Intervention) -> Any:
        return services.sheet_mark_done(actor=self.actor, sheet=sheet)


class BackupView(SheetAction):
    form_name = "backup_form"
    anchor = "#backup"
    success = gettext_lazy("The backup check has been recorded.")

    def perform(self, form: Any) -> Any:
        data = form.cleaned_data
        return services.backup_confirm(
            actor=self.actor, sheet=self.sheet(), check=data["check"], confirmed_by=data["confirmed_by"]
        )


class CancelView(SheetAction):
    form_name = "cancel_form"
    anchor = "#finish"
    success = gettext_lazy("The sheet has been cancelled.")

    def perform(self, form: Any) -> Any:
        return services.sheet_cancel(actor=self.actor, sheet=self.sheet(), reason=form.cleaned_data["reason"])


class CorrectView(SheetPage):
    """A new sheet correcting a signed one (the signed sheet itself never changes)."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        sheet = self.sheet()
        require(can_work_interventions(self.actor))
        if sheet.status != SheetStatus.SIGNED:
            raise ConflictError(_("Only a signed sheet is corrected by a new sheet; change this one instead."))
        try:
            correction = services.sheet_correct(actor=self.actor, sheet=sheet)
        except ValidationError as error:
            return self.render_page(request, status=422, errors=_messages_of(error))
        messages.success(
            request,
            _("Sheet %(reference)s corrects %(corrected)s.")
            % {"reference": correction.reference, "corrected": sheet.reference},
        )
        return redirect("interventions:sheet_detail", correction.pk)


# The sheet's fields (sheet_update) -------------------------------------------------------------------------------


class _UpdateView(SheetAction):
    success = gettext_lazy("The sheet has been saved.")

    def changes(self, data: dict[str, Any]) -> dict[str, Any]:
        return data

    def perform(self, form: Any) -> Any:
        return services.sheet_update(actor=self.actor, sheet=self.sheet(), **self.changes(form.cleaned_data))


class DetailsView(_UpdateView):
    form_name = "details_form"
    anchor = "#details"

    def changes(self, data: dict[str, Any]) -> dict[str, Any]:
        return {**data, "assets": list(data["assets"]), "technicians": list(data["technicians"])}


class WorkView(_UpdateView):
    form_name = "work_form"
    anchor = "#work"


class TravelView(_UpdateView):
    form_name = "travel_form"
    anchor = "#travel"


class WorkshopView(_UpdateView):
    form_name = "workshop_form"
    anchor = "#workshop"


# Time, parts, checklist, patches, files -------------------------------------------------------------------------


class TimeAddView(SheetAction):
    form_name = "time_form"
    anchor = "#time"
    success = gettext_lazy("The time has been added.")

    def perform(self, form: Any) -> Any:
        data = form.cleaned_data
        return services.time_entry_add(
            actor=self.actor,
            technician=data["technician"],
            started_at=data["started_at"],
            ended_at=data["ended_at"],
            nature=data["nature"],
            description=data["description"],
            sheet=self.sheet(),
        )


class PartAddView(SheetAction):
    form_name = "part_form"
    anchor = "#parts"
    success = gettext_lazy("The part has been added.")

    def perform(self, form: Any) -> Any:
        data = form.cleaned_data
        return services.part_add(
            actor=self.actor,
            sheet=self.sheet(),
            description=data["description"],
            quantity=data["quantity"],
            unit_price=data["unit_price"],
            serial_out=data["serial_out"],
            serial_in=data["serial_in"],
            asset=data["asset"],
        )


class ChecklistAddView(SheetAction):
    form_name = "checklist_form"
    anchor = "#checklist"
    success = gettext_lazy("The check has been added.")

    def perform(self, form: Any) -> Any:
        data = form.cleaned_data
        return services.checklist_add(actor=self.actor, sheet=self.sheet(), label=data["label"], asset=data["asset"])


class PatchAddView(SheetAction):
    form_name = "patch_form"
    anchor = "#patches"
    success = gettext_lazy("The patch has been recorded.")

    def perform(self, form: Any) -> Any:
        data = form.cleaned_data
        return services.patch_add(
            actor=self.actor, sheet=self.sheet(), asset=data["asset"], reference=data["reference"], title=data["title"]
        )


class FileAddView(SheetAction):
    """Photos from the phone's camera or files: each checked by the service, none saved if one is refused."""

    anchor = "#files"

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        sheet = self.guard()
        uploads = [upload for upload in request.FILES.getlist("files") if upload.size]
        if not uploads:
            return self.render_page(request, status=422, open_form="files", errors=[_("Choose a photo or a file.")])
        if len(uploads) > MAX_FILES:
            return self.render_page(request, status=422, open_form="files", errors=[_("At most 10 files at a time.")])
        try:
            with transaction.atomic():  # one refused file: none of them is kept
                for upload in uploads:
                    services.file_add(
                        actor=self.actor, sheet=sheet, filename=upload.name or "", data=b"".join(upload.chunks())
                    )
        except ValidationError as error:
            return self.render_page(request, status=422, open_form="files", errors=_messages_of(error))
        except ConflictError as error:
            return self.conflict(request, error)
        messages.success(request, _("The files have been added."))
        return self.back(self.anchor)


# Actions on one row of the sheet ---------------------------------------------------------------------------------


class _RowAction(SheetAction):
    """An action on a row (time entry, part, checklist item) named by its own id; the sheet is its sheet."""

    row_getter: Callable[..., Any]

    def row(self) -> Any:
        if not hasattr(self, "_row"):
            self._row = type(self).row_getter(actor=self.actor, pk=self.kwargs["pk"])
        return self._row

    def sheet(self) -> Intervention:
        if not hasattr(self, "_sheet"):
            self._sheet = selectors.sheet_get(actor=self.actor, pk=self.row().intervention_id)
        return self._sheet


class TimeDeleteView(_RowAction):
    """Deletes a time entry of a sheet, or of a ticket (then back to the ticket's page)."""

    row_getter = selectors.time_entry_get
    anchor = "#time"

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        entry: TimeEntry = self.row()
        if entry.intervention_id is None:
            require(can_work_interventions(self.actor))
            services.time_entry_delete(actor=self.actor, entry=entry)
            messages.success(request, _("The time entry has been deleted."))
            return redirect(reverse("servicedesk:ticket_detail", args=[entry.ticket_id]) + "#interventions")
        self.guard()
        try:
            services.time_entry_delete(actor=self.actor, entry=entry)
        except ConflictError as error:
            return self.conflict(request, error)
        messages.success(request, _("The time entry has been deleted."))
        return self.back(self.anchor)


class PartRemoveView(_RowAction):
    row_getter = selectors.part_get
    anchor = "#parts"

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        part: Part = self.row()
        self.guard()
        try:
            services.part_remove(actor=self.actor, part=part)
        except ConflictError as error:
            return self.conflict(request, error)
        messages.success(request, _("The part has been removed."))
        return self.back(self.anchor)


class ChecklistSetView(_RowAction):
    """An outcome button of a checklist line; with htmx, only the line comes back."""

    row_getter = selectors.checklist_item_get
    anchor = "#checklist"

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        item: ChecklistItem = self.row()
        self.guard()
        form = ChecklistSetForm(request.POST)
        htmx = request.headers.get("HX-Request") == "true"
        if form.is_valid():
            try:
                item = services.checklist_set(
                    actor=self.actor, item=item, outcome=form.cleaned_data["outcome"], note=form.cleaned_data["note"]
                )
            except ValidationError as error:
                return self.render_page(request, status=422, open_form="checklist", errors=_messages_of(error))
            except ConflictError as error:
                return self.conflict(request, error)
            if htmx:
                return render(request, "interventions/partials/checklist_item.html", {"item": item, "locked": False})
            return self.back(f"#check-{item.pk}")
        return self.render_page(request, status=422, open_form="checklist", errors=[_("Choose an outcome.")])
