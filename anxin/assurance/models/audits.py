"""The quarterly internal audit (CB-2): sampled service records checked for completeness."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from anxin.accounts.permissions import RestrictedQuerySet

from ..choices import AuditState, FindingState, JobKind
from .scoping import internal


class Audit(models.Model):
    """One region's quarterly audit (季度内审) of a random 20% of its service records."""

    draw = models.OneToOneField(
        "assurance.Draw", verbose_name=_("random draw"), on_delete=models.PROTECT
    )
    region = models.ForeignKey(
        "network.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+"
    )
    quarter = models.CharField(_("quarter"), max_length=8)
    state = models.CharField(
        _("state"), max_length=8, choices=AuditState.choices, default=AuditState.OPEN
    )
    notes = models.JSONField(
        _("notes on rule sets"),
        default=list,
        blank=True,
        help_text=_("Rule sets skipped and why (e.g. a record type not installed)."),
    )
    created_at = models.DateTimeField(_("created"))
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    auditor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("auditor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = RestrictedQuerySet.as_manager()
    region_lookup = "region"
    own_assignments = staticmethod(internal)

    class Meta:
        ordering = ["-quarter", "region"]
        verbose_name = _("internal audit")
        verbose_name_plural = _("internal audits")

    def __str__(self) -> str:
        return f"{self.region} {self.quarter}"


class AuditRecord(models.Model):
    """One sampled service record and when its automatic checks ran."""

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="records")
    job_kind = models.CharField(_("job kind"), max_length=16, choices=JobKind.choices)
    job_id = models.PositiveBigIntegerField(_("job id"))
    job_number = models.CharField(_("job number"), max_length=40, blank=True)
    job_type = models.CharField(_("job type"), max_length=40, blank=True)
    outlet = models.ForeignKey(
        "network.Outlet", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    base = models.ForeignKey(
        "network.RescueBase", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    checked_at = models.DateTimeField(_("checked"), null=True, blank=True)
    rules_run = models.JSONField(_("rules run"), default=list, blank=True)

    objects = RestrictedQuerySet.as_manager()
    region_lookup = "audit__region"
    own_assignments = staticmethod(internal)

    class Meta:
        ordering = ["job_kind", "job_id"]
        verbose_name = _("audited record")
        verbose_name_plural = _("audited records")
        constraints = [
            models.UniqueConstraint(
                fields=["audit", "job_kind", "job_id"], name="assurance_audit_record_once"
            )
        ]

    def __str__(self) -> str:
        return self.job_number or f"{self.job_kind}:{self.job_id}"


class AuditFinding(models.Model):
    """A gap a completeness rule found; the auditor confirms it (→ 整改) or overrides it."""

    record = models.ForeignKey(AuditRecord, on_delete=models.CASCADE, related_name="findings")
    rule = models.CharField(_("rule"), max_length=64)
    message = models.TextField(_("finding"))
    state = models.CharField(
        _("state"), max_length=16, choices=FindingState.choices, default=FindingState.PROPOSED
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    override_reason = models.TextField(_("why overridden"), blank=True)
    action = models.ForeignKey(
        "assurance.ImprovementAction",
        verbose_name=_("improvement action"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = RestrictedQuerySet.as_manager()
    region_lookup = "record__audit__region"
    own_assignments = staticmethod(internal)

    class Meta:
        ordering = ["record", "rule"]
        verbose_name = _("audit finding")
        verbose_name_plural = _("audit findings")
        constraints = [
            models.UniqueConstraint(fields=["record", "rule"], name="assurance_finding_once")
        ]

    def __str__(self) -> str:
        return f"{self.record}: {self.rule}"
