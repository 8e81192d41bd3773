"""Calendars (工作日历) and their day tables, stored so administrators can edit and extend them."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..calendar import DEFAULT_TIMEZONE, CalendarError, WorkingCalendar, parse_weekly, zone


class Calendar(models.Model):
    """The time a commitment is measured in: natural time (24/7), or working time.

    Working time is the weekly schedule with breaks, minus the public holidays and plus the
    adjusted working days (调休) of the day table, which is complete up to ``holidays_until``
    (the data horizon). Past the horizon the weekly rule applies and an :class:`AdminAlert`
    tells the administrators to load the new year's State Council notice.
    """

    class Kind(models.TextChoices):
        NATURAL = "natural", _("Natural time (24/7)")
        WORKING = "working", _("Working time")

    name = models.SlugField(_("name"), max_length=64, unique=True)
    description = models.CharField(_("description"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.WORKING)
    weekly = models.JSONField(
        _("weekly hours"),
        default=dict,
        blank=True,
        help_text=_(
            'Hours per weekday, e.g. {"mon": [["08:30", "12:00"], ["13:00", "17:30"]]}; '
            'an optional "adjusted" entry gives the hours of adjusted working days.'
        ),
    )
    timezone = models.CharField(_("time zone"), max_length=64, default=DEFAULT_TIMEZONE)
    holidays_until = models.DateField(
        _("holiday data complete until"),
        null=True,
        blank=True,
        help_text=_(
            "The last day the holiday table is complete for; later days follow the "
            "weekly rule and raise an alert."
        ),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("calendar")
        verbose_name_plural = _("calendars")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        try:
            zone(self.timezone)
        except CalendarError as exc:
            raise ValidationError({"timezone": str(exc)}) from exc
        if self.kind == self.Kind.WORKING:
            try:
                parse_weekly(self.weekly or {})
            except CalendarError as exc:
                raise ValidationError({"weekly": str(exc)}) from exc

    def engine(self, since: dt.date | None = None) -> WorkingCalendar:
        """This calendar as plain arithmetic; day-table rows before ``since`` are left out."""
        if self.kind == self.Kind.NATURAL:
            return WorkingCalendar.natural_time(self.name, self.timezone)
        days = self.days.all()
        if since is not None:
            days = days.filter(date__gte=since)
        holidays, workdays = [], []
        for day, kind in days.values_list("date", "kind"):
            (holidays if kind == CalendarDay.Kind.HOLIDAY else workdays).append(day)
        return WorkingCalendar(
            self.name,
            weekly=self.weekly,
            holidays=holidays,
            workdays=workdays,
            horizon=self.holidays_until,
            timezone=self.timezone,
        )


class CalendarDay(models.Model):
    """One row of the day table: a public holiday off, or an adjusted working day (调休) on."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Holiday (day off)")
        WORKDAY = "workday", _("Adjusted working day")

    calendar = models.ForeignKey(
        Calendar, verbose_name=_("calendar"), on_delete=models.CASCADE, related_name="days"
    )
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta:
        ordering = ["calendar", "date"]
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="commitments_day_once"),
        ]

    def __str__(self) -> str:
        return f"{self.calendar_id}: {self.date} {self.get_kind_display()}"


class AdminAlert(models.Model):
    """Something administrators must fix, raised once per ``key`` (e.g. missing holiday data)."""

    key = models.CharField(_("key"), max_length=200, unique=True)
    message = models.TextField(_("message"))
    created_at = models.DateTimeField(_("raised at"), auto_now_add=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)

    # The alert is its own record; it is raised by computations, not edited by people.
    changelog_exempt = True

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("administrator alert")
        verbose_name_plural = _("administrator alerts")

    def __str__(self) -> str:
        return self.message
