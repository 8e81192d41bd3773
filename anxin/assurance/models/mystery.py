"""Mystery checks (暗访, CB-3) by volunteer supervisors and third-party auditors."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from anxin.accounts.permissions import RestrictedQuerySet
from anxin.accounts.roles import Role

from ..choices import MysteryKind


def _own_reports(user: Any) -> Q | None:
    if user.role == Role.VOLUNTEER_SUPERVISOR:
        return Q(supervisor=user)
    return None


class ChecklistTemplate(models.Model):
    """A mystery-check checklist (暗访检查表), as data: items with Chinese and English text.

    ``items`` is a list of ``{"code", "zh", "en", "weight"}``; a report answers each item with
    pass / fail / not applicable, and its score is the weighted share of passes.
    """

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=MysteryKind.choices)
    items = models.JSONField(_("items"), default=list)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["kind", "code"]
        verbose_name = _("mystery-check checklist")
        verbose_name_plural = _("mystery-check checklists")

    def __str__(self) -> str:
        return self.name

    def item_texts(self) -> list[dict[str, Any]]:
        zh = (get_language() or "").startswith("zh")
        return [
            {**item, "text": item["zh"] if zh else item.get("en") or item["zh"]}
            for item in self.items
        ]


class MysteryReport(models.Model):
    """A supervisor's report of one mystery visit or simulated complaint."""

    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("supervisor"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    template = models.ForeignKey(
        ChecklistTemplate, verbose_name=_("checklist"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=MysteryKind.choices)
    region = models.ForeignKey(
        "network.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+"
    )
    outlet = models.ForeignKey(
        "network.Outlet",
        verbose_name=_("outlet"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    base = models.ForeignKey(
        "network.RescueBase",
        verbose_name=_("rescue base"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    visited_at = models.DateTimeField(_("when"))
    channel = models.CharField(_("how (visit, hotline, app…)"), max_length=40, blank=True)
    results = models.JSONField(_("results"), default=dict)
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=1)
    summary = models.TextField(_("what happened"), blank=True)
    submitted_at = models.DateTimeField(_("submitted"))

    objects = RestrictedQuerySet.as_manager()
    region_lookup = "region"
    own_assignments = staticmethod(_own_reports)

    class Meta:
        ordering = ["-visited_at"]
        verbose_name = _("mystery-check report")
        verbose_name_plural = _("mystery-check reports")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.visited_at:%Y-%m-%d}"

    @property
    def failed_items(self) -> list[str]:
        return [code for code, value in (self.results or {}).items() if value == "fail"]


class SupervisorReport(models.Model):
    """A supervisor's quarterly report (义务监督员季度报告): expected, then submitted."""

    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("supervisor"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    region = models.ForeignKey(
        "network.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+"
    )
    quarter = models.CharField(_("quarter"), max_length=8)
    due_date = models.DateField(_("due date"))
    summary = models.TextField(_("report"), blank=True)
    suggestions = models.TextField(_("suggestions"), blank=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()
    region_lookup = "region"
    own_assignments = staticmethod(_own_reports)

    class Meta:
        ordering = ["-quarter", "supervisor"]
        verbose_name = _("supervisor quarterly report")
        verbose_name_plural = _("supervisor quarterly reports")
        constraints = [
            models.UniqueConstraint(
                fields=["supervisor", "quarter"], name="assurance_supervisor_report_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.supervisor} {self.quarter}"

    def status(self, today: dt.date | None = None) -> str:
        if self.submitted_at is not None:
            return "submitted"
        return "overdue" if self.due_date < (today or timezone.localdate()) else "due"

    def get_status_display(self) -> str:
        return str(
            {"submitted": _("Submitted"), "overdue": _("Overdue"), "due": _("Due")}[self.status()]
        )
