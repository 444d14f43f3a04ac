"""The operator's view of background jobs (Django admin): periodic jobs with their next and last
runs, every run with its outcome and error, and the workers with their heartbeats."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from pacte.jobs.models import JobRun, PeriodicJob, WorkerProcess


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    """Rows written by workers only: the admin looks, it never edits."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(PeriodicJob)
class PeriodicJobAdmin(ReadOnlyAdmin):
    list_display = [
        "name",
        "cadence",
        "enabled",
        "next_run_at",
        "last_outcome",
        "last_started",
        "last_finished",
        "last_error",
    ]
    list_filter = ["enabled"]
    search_fields = ["name", "task_path"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[PeriodicJob]:
        last = JobRun.objects.filter(task_result_id=OuterRef("last_task_result_id")).order_by("-attempt")
        return (
            super()
            .get_queryset(request)
            .annotate(
                last_run_outcome=Subquery(last.values("outcome")[:1]),
                last_run_started=Subquery(last.values("started_at")[:1]),
                last_run_finished=Subquery(last.values("finished_at")[:1]),
                last_run_error=Subquery(last.values("error")[:1]),
            )
        )

    @admin.display(description=_("last outcome"))
    def last_outcome(self, obj: Any) -> str:
        return str(obj.last_run_outcome or "—")

    @admin.display(description=_("last started"))
    def last_started(self, obj: Any) -> Any:
        return obj.last_run_started

    @admin.display(description=_("last finished"))
    def last_finished(self, obj: Any) -> Any:
        return obj.last_run_finished

    @admin.display(description=_("last error"))
    def last_error(self, obj: Any) -> str:
        error = (obj.last_run_error or "").strip()
        return error.splitlines()[-1][:200] if error else ""


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyAdmin):
    list_display = ["started_at", "task_path", "attempt", "outcome", "finished_at", "worker_id", "error_summary"]
    list_filter = ["outcome", "task_path"]
    search_fields = ["task_path", "error", "worker_id"]
    date_hierarchy = "started_at"

    @admin.display(description=_("error"))
    def error_summary(self, obj: JobRun) -> str:
        error = obj.error.strip()
        return error.splitlines()[-1][:200] if error else ""


@admin.register(WorkerProcess)
class WorkerProcessAdmin(ReadOnlyAdmin):
    list_display = ["worker_id", "hostname", "pid", "started_at", "heartbeat_at", "stopped_at"]
    list_filter = ["stopped_at"]
