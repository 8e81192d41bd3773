"""Admin pages: calendars with their day table, job kinds, commitments; clocks read-only."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anxin.core.admin import RestrictedAdmin

from .durations import DurationError, format_duration, parse_duration
from .models import (
    AdminAlert,
    Breach,
    Calendar,
    CalendarDay,
    Clock,
    ClockEvent,
    Commitment,
    JobKind,
)


class CalendarDayInline(admin.TabularInline):
    """The current and later years; older years are in the calendar days list."""

    model = CalendarDay
    extra = 3
    fields = ("date", "kind", "name")

    def get_queryset(self, request: HttpRequest) -> QuerySet[CalendarDay]:
        # Twenty years of holidays would make the page unusable; history stays editable in
        # the calendar days list.
        since = dt.date(timezone.localdate().year - 1, 1, 1)
        return super().get_queryset(request).filter(date__gte=since)


@admin.register(Calendar)
class CalendarAdmin(RestrictedAdmin):
    list_display = ("name", "kind", "timezone", "holidays_until", "description")
    search_fields = ("name", "description")
    inlines = [CalendarDayInline]


@admin.register(CalendarDay)
class CalendarDayAdmin(RestrictedAdmin):
    list_display = ("date", "calendar", "kind", "name")
    list_filter = ("calendar", "kind")
    date_hierarchy = "date"
    search_fields = ("name",)


@admin.register(JobKind)
class JobKindAdmin(RestrictedAdmin):
    list_display = ("code", "name", "active")
    search_fields = ("code", "name")


class DurationText(forms.CharField):
    """Seconds in the database, ``30m``/``2h``/``48h``/``3d`` on the page; ``2`` is refused."""

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, int):
            return format_duration(dt.timedelta(seconds=value))
        return value

    def to_python(self, value: Any) -> int | None:
        text = super().to_python(value)
        if not text:
            return None
        try:
            return int(parse_duration(text).total_seconds())
        except DurationError as exc:
            raise ValidationError(str(exc)) from exc


class CommitmentForm(forms.ModelForm):
    target = DurationText(label=_("target"), required=False, help_text=_("e.g. 30m, 2h, 48h, 3d"))
    every = DurationText(
        label=_("repeat every"),
        required=False,
        help_text=_("For a recurring duty instead of a deadline, e.g. 30m."),
    )
    escalate_after = DurationText(label=_("escalate after breach by"), required=False)

    class Meta:
        model = Commitment
        fields = (
            "code",
            "name",
            "job_kind",
            "active",
            "region",
            "area",
            "tier",
            "priority",
            "start_event",
            "stop_event",
            "pause_states",
            "target",
            "every",
            "measure",
            "calendar",
            "warning_percent",
            "escalation",
            "escalate_after",
            "notice_template",
        )


@admin.register(Commitment)
class CommitmentAdmin(RestrictedAdmin):
    form = CommitmentForm
    list_display = (
        "code",
        "name",
        "job_kind",
        "start_event",
        "stop_event",
        "target_display",
        "calendar",
        "region",
        "area",
        "priority",
        "active",
        "version",
    )
    list_filter = ("job_kind", "calendar", "active", "measure")
    search_fields = ("code", "name")
    readonly_fields = ("version",)
    fieldsets = (
        (None, {"fields": ("code", "name", "job_kind", "active", "version")}),
        (_("Conditions (empty = any)"), {"fields": ("region", "area", "tier", "priority")}),
        (
            _("Clock"),
            {
                "fields": (
                    "start_event",
                    "stop_event",
                    "pause_states",
                    "target",
                    "every",
                    "measure",
                    "calendar",
                    "warning_percent",
                )
            },
        ),
        (_("Escalation"), {"fields": ("escalation", "escalate_after", "notice_template")}),
    )

    @admin.display(description=_("target"))
    def target_display(self, obj: Commitment) -> str:
        return obj.target_text


class ReadOnlyAdmin(RestrictedAdmin):
    """Rows written by the clocks and the sweep: looked at, never edited by hand."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ClockEventInline(admin.TabularInline):
    model = ClockEvent
    extra = 0
    fields = ("at", "kind", "detail")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Clock)
class ClockAdmin(ReadOnlyAdmin):
    list_display = (
        "commitment",
        "job_kind",
        "job_id",
        "state",
        "started_at",
        "due_at",
        "warned_at",
        "breached_at",
        "met",
    )
    list_filter = ("state", "job_kind", "commitment")
    search_fields = ("job_id",)
    date_hierarchy = "started_at"
    inlines = [ClockEventInline]


@admin.register(Breach)
class BreachAdmin(ReadOnlyAdmin):
    list_display = (
        "commitment",
        "job_kind",
        "job_id",
        "due_at",
        "breached_at",
        "overdue",
        "resolved_at",
        "region",
    )
    list_filter = ("commitment", "job_kind", "region")
    search_fields = ("job_id",)
    date_hierarchy = "breached_at"

    @admin.display(description=_("overdue by"))
    def overdue(self, obj: Breach) -> str:
        return format_duration(dt.timedelta(seconds=obj.overdue_seconds))


@admin.register(AdminAlert)
class AdminAlertAdmin(RestrictedAdmin):
    list_display = ("message", "created_at", "acknowledged_at")
    list_filter = (("acknowledged_at", admin.EmptyFieldListFilter),)
    readonly_fields = ("key", "message", "created_at")
    actions = ["acknowledge"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("Mark as acknowledged"))
    def acknowledge(self, request: HttpRequest, queryset: QuerySet[AdminAlert]) -> None:
        queryset.filter(acknowledged_at__isnull=True).update(acknowledged_at=timezone.now())
