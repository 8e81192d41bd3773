"""Read-only views of the job table and the periodic sweeps, with a retry for dead jobs."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import Job, PeriodicRun


class ReadOnlyAdmin(admin.ModelAdmin):
    """The worker writes these rows; people only look (and retry)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Job)
class JobAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "kind",
        "state",
        "run_at",
        "attempts",
        "max_attempts",
        "locked_by",
        "finished_at",
    )
    list_filter = ("state", "kind")
    search_fields = ("kind", "dedupe_key", "last_error")
    date_hierarchy = "run_at"
    ordering = ("-run_at",)
    actions = ("retry",)

    @admin.action(description=_("Retry the selected dead jobs"), permissions=["retry"])
    def retry(self, request: HttpRequest, queryset: QuerySet[Job]) -> None:
        # Only dead jobs: a queued or running job is already on its way. Conditional on the
        # state so a retry clicked twice does not reset a job that has since started.
        count = queryset.filter(state=Job.State.DEAD).update(
            state=Job.State.QUEUED,
            attempts=0,
            run_at=timezone.now(),
            finished_at=None,
            lease_until=None,
            locked_by="",
        )
        self.message_user(
            request,
            ngettext("%(count)d job queued again.", "%(count)d jobs queued again.", count)
            % {"count": count},
            messages.SUCCESS,
        )

    def has_retry_permission(self, request: HttpRequest) -> bool:
        # Forms stay read-only; retrying is what the change permission grants here.
        return bool(request.user.has_perm("worker.change_job"))


@admin.register(PeriodicRun)
class PeriodicRunAdmin(ReadOnlyAdmin):
    list_display = (
        "name",
        "next_run_at",
        "last_started_at",
        "last_finished_at",
        "last_count",
        "locked_by",
    )
    search_fields = ("name",)
