"""Quality monitoring records (KPI-1..5): rollups, alert rules, alerts, review tasks, scorecards.

``Fact`` and ``Cell`` are derived data: one fact per source record (what it contributes to
each measure) and one cell per (measure, day, scope, key) with counts, sums and a histogram.
They are rebuilt from the source records by ``anxin kpi rebuild`` and kept current by
:mod:`anxin.quality.rollup` as records change, so they are exempt from the change log (the
source records are logged). Rules, alerts, tasks and score entries are business records and
are logged like any other.
"""

from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from anxin.accounts.permissions import RestrictedQuerySet
from anxin.accounts.roles import Role

from .catalog import COMPOUND_SCOPES, INDICATORS, SCOPES


class Fact(models.Model):
    """What one source record (a rescue job, a daily check, a work order ...) contributes.

    ``contrib`` maps measure → [num, total, bucket]; the record adds 1 to the measure's count
    and these to its numerator, total and histogram bucket in each cell of its scopes.
    """

    changelog_exempt = True

    source = models.CharField(max_length=16)
    source_id = models.BigIntegerField()
    day = models.DateField(db_index=True)
    region_id = models.IntegerField(null=True, blank=True)
    city_id = models.IntegerField(null=True, blank=True)
    outlet_id = models.IntegerField(null=True, blank=True)
    unit_id = models.IntegerField(null=True, blank=True)
    staff_id = models.IntegerField(null=True, blank=True)
    model = models.CharField(max_length=64, blank=True)
    fault = models.CharField(max_length=32, blank=True)
    contrib = models.JSONField(default=dict)

    objects = RestrictedQuerySet.as_manager()
    region_lookup = "region_id"

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "source_id"], name="quality_fact_once")
        ]
        indexes = [models.Index(fields=["region_id", "day"]), models.Index(fields=["day"])]

    def __str__(self) -> str:
        return f"{self.source}:{self.source_id}"


class Cell(models.Model):
    """A rollup cell: one measure, one local day, one scope member.

    ``n`` records, ``num`` of them meeting the measure's condition, ``total`` the exact sum of
    their values (integer milliseconds), ``hist`` their counts per fixed bucket. Cells of a
    period or of several members add up exactly.
    """

    changelog_exempt = True

    measure = models.CharField(max_length=32)
    day = models.DateField()
    scope = models.CharField(max_length=16)
    key = models.CharField(max_length=80, blank=True)
    region_id = models.IntegerField(null=True, blank=True)
    n = models.BigIntegerField(default=0)
    num = models.BigIntegerField(default=0)
    total = models.BigIntegerField(default=0)
    hist = models.JSONField(default=dict, blank=True)

    objects = RestrictedQuerySet.as_manager()
    region_lookup = "region_id"

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["measure", "day", "scope", "key"], name="quality_cell_once"
            )
        ]
        indexes = [models.Index(fields=["scope", "key", "day"], name="quality_cell_scope_day")]

    def __str__(self) -> str:
        return f"{self.measure} {self.day} {self.scope}:{self.key}"


class RuleTest(models.TextChoices):
    THRESHOLD = "threshold", _("Plain threshold")
    P_CHART = "p_chart", _("p-chart: above the network rate's 3σ control limit")
    U_CHART = "u_chart", _("u-chart: rate per record above the control limit")
    FUNNEL = "funnel", _("Funnel: significantly above the threshold for the sample size")
    EACH = "each", _("Each record over the threshold")


class Action(models.TextChoices):
    REVIEW = "review", _("Open a review")
    INVESTIGATION = "investigation", _("Open an investigation")
    NOTIFY = "notify", _("Notify only")


class AlertRule(models.Model):
    """A rule as data (KPI-3): which indicator, at which scope, which test, what happens.

    Aggregate rules compare each member of ``scope`` over the current month; ``each`` rules
    look at single records (a repair 20% over its standard time). ``filter_fault`` narrows the
    records to one fault or repair type (battery replacement). A rule fires at most once per
    member and period (or per record): the alert's unique key is the memory of the breach.
    """

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    indicator = models.CharField(_("indicator"), max_length=48)
    scope = models.CharField(_("scope"), max_length=16, default="region")
    filter_fault = models.CharField(_("only this fault / repair type"), max_length=32, blank=True)
    test = models.CharField(
        _("test"), max_length=16, choices=RuleTest.choices, default=RuleTest.FUNNEL
    )
    threshold = models.FloatField(_("threshold"), null=True, blank=True)
    sigma = models.FloatField(_("control limit width (σ)"), default=3.0)
    min_sample = models.PositiveIntegerField(_("minimum sample size"), default=20)
    action = models.CharField(
        _("action"), max_length=16, choices=Action.choices, default=Action.REVIEW
    )
    owner_role = models.CharField(
        _("owner role"), max_length=32, choices=Role.choices, default=Role.REGIONAL_MANAGER
    )
    notify_roles = models.JSONField(_("notify roles"), default=list, blank=True)
    active = models.BooleanField(_("active"), default=True)

    objects = RestrictedQuerySet.as_manager()
    region_lookup = None

    class Meta:
        ordering = ["code"]
        verbose_name = _("alert rule")
        verbose_name_plural = _("alert rules")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        ind = INDICATORS.get(self.indicator)
        if ind is None:
            errors["indicator"] = _("Unknown indicator %(code)r.") % {"code": self.indicator}
        elif ind.measure is None and self.test != RuleTest.THRESHOLD:
            errors["test"] = _("A snapshot indicator takes a plain threshold only.")
        if self.scope not in SCOPES + COMPOUND_SCOPES:
            errors["scope"] = _("Unknown scope %(scope)r.") % {"scope": self.scope}
        if self.threshold is not None and (
            isinstance(self.threshold, bool)
            or not isinstance(self.threshold, int | float)
            or not math.isfinite(self.threshold)
        ):
            errors["threshold"] = _("The threshold must be a number.")
        elif (
            self.test in (RuleTest.THRESHOLD, RuleTest.FUNNEL, RuleTest.EACH)
            and self.threshold is None
        ):
            errors["threshold"] = _("This test needs a threshold.")
        elif (
            ind is not None
            and ind.unit == "%"
            and self.threshold is not None
            and not 0 <= self.threshold <= 100
        ):
            errors["threshold"] = _("A percentage threshold lies between 0 and 100.")
        if not (isinstance(self.sigma, int | float) and 0 < self.sigma <= 6):
            errors["sigma"] = _("The control limit width must be between 0 and 6 σ.")
        if not isinstance(self.notify_roles, list) or any(
            r not in Role.values for r in self.notify_roles
        ):
            errors["notify_roles"] = _("Notify roles must be a list of roles.")
        if errors:
            raise ValidationError(errors)


class Alert(models.Model):
    """One firing of a rule for one member and period (or one record): never twice."""

    rule = models.ForeignKey(AlertRule, on_delete=models.PROTECT, related_name="alerts")
    scope = models.CharField(max_length=16)
    key = models.CharField(max_length=80)
    label = models.CharField(max_length=200, blank=True)
    period_start = models.DateField()
    period_end = models.DateField()
    value = models.FloatField(null=True)
    n = models.IntegerField(default=0)
    limit = models.FloatField(null=True)
    centre = models.FloatField(null=True)
    region = models.ForeignKey(
        "network.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    fired_at = models.DateTimeField()

    objects = RestrictedQuerySet.as_manager()
    region_lookup = "region"

    class Meta:
        ordering = ["-fired_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "scope", "key", "period_start"], name="quality_alert_once"
            )
        ]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")

    def __str__(self) -> str:
        return f"{self.rule.code} {self.key} {self.period_start}"


class TaskState(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class Outcome(models.TextChoices):
    CONFIRMED = "confirmed", _("Problem confirmed, improvement action opened")
    EXPLAINED = "explained", _("Explained, no action needed")
    FALSE_ALARM = "false_alarm", _("Not confirmed (data or chance)")


class ReviewTask(models.Model):
    """A review (复核) or investigation (调查) opened by an alert, with an owner and a deadline.

    The deadline is a service-commitment clock (job kind ``quality_review``), so it is warned,
    breached and escalated like any other commitment. Closing records the outcome; a
    confirmed problem names the improvement action (整改) it led to.
    """

    number = models.CharField(_("number"), max_length=32, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Action.choices)
    alert = models.OneToOneField(
        Alert, null=True, blank=True, on_delete=models.PROTECT, related_name="task"
    )
    title = models.CharField(_("title"), max_length=300)
    region = models.ForeignKey(
        "network.Region",
        verbose_name=_("region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("task owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="quality_tasks",
    )
    owner_role = models.CharField(_("owner role"), max_length=32, choices=Role.choices)
    state = models.CharField(
        _("state"), max_length=8, choices=TaskState.choices, default=TaskState.OPEN
    )
    opened_at = models.DateTimeField(_("opened at"))
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, blank=True)
    findings = models.TextField(_("findings"), blank=True)
    improvement_ref = models.CharField(_("improvement action"), max_length=64, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = RestrictedQuerySet.as_manager()
    region_lookup = "region"

    class Meta:
        ordering = ["state", "due_at"]
        verbose_name = _("review task")
        verbose_name_plural = _("review tasks")

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class ScoreKind(models.TextChoices):
    REWARD = "reward", _("Reward")
    PENALTY = "penalty", _("Penalty")


class ScoreEntry(models.Model):
    """A reward or penalty (奖惩) recorded against an outlet, unit or staff member (KPI-5)."""

    scope = models.CharField(_("scope"), max_length=16)
    key = models.CharField(_("member"), max_length=32)
    label = models.CharField(_("name"), max_length=200, blank=True)
    region = models.ForeignKey(
        "network.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+"
    )
    month = models.DateField(_("month"))
    kind = models.CharField(_("kind"), max_length=8, choices=ScoreKind.choices)
    points = models.IntegerField(_("points"), default=0)
    amount = models.DecimalField(_("amount (CNY)"), max_digits=10, decimal_places=2, default=0)
    indicator = models.CharField(_("indicator"), max_length=48, blank=True)
    reason = models.TextField(_("reason"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    objects = RestrictedQuerySet.as_manager()
    region_lookup = "region"

    class Meta:
        ordering = ["-month", "-recorded_at"]
        verbose_name = _("reward or penalty")
        verbose_name_plural = _("rewards and penalties")

    def __str__(self) -> str:
        return f"{self.scope}:{self.key} {self.month:%Y-%m} {self.kind} {self.points}"


class MonthlyReport(models.Model):
    """A generated monthly quality report (月度报告) in both formats."""

    month = models.DateField(_("month"), unique=True)
    xlsx = models.FileField(_("spreadsheet"), upload_to="quality/reports/", blank=True)
    pdf = models.FileField(_("PDF"), upload_to="quality/reports/", blank=True)
    generated_at = models.DateTimeField(_("generated at"))

    objects = RestrictedQuerySet.as_manager()
    region_lookup = None

    class Meta:
        ordering = ["-month"]
        verbose_name = _("monthly report")
        verbose_name_plural = _("monthly reports")

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}"
