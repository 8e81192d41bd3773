"""Random draws (抽样) of served customers and service records, kept so they can be re-run."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from anxin.accounts.permissions import RestrictedQuerySet

from ..choices import DrawPurpose
from .scoping import internal


class Draw(models.Model):
    """One region's random sample for one period: the month's callbacks or the quarter's audit.

    The seed, the rate, the population (its keys and their SHA-256) and the per-stratum sizes
    are stored, so anyone can run the draw again from the stored population and get the same
    sample, and can check that the population still is what the records say it was.
    """

    purpose = models.CharField(_("purpose"), max_length=16, choices=DrawPurpose.choices)
    region = models.ForeignKey(
        "network.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+"
    )
    period = models.CharField(_("period"), max_length=8, help_text=_("2026-11 or 2026-Q4"))
    period_start = models.DateTimeField(_("period start"))
    period_end = models.DateTimeField(_("period end"))
    seed = models.BigIntegerField(_("seed"))
    rate = models.CharField(_("sampling rate"), max_length=16)
    population_size = models.PositiveIntegerField(_("population size"))
    population_hash = models.CharField(_("population SHA-256"), max_length=64)
    population = models.JSONField(_("population"), default=list)
    strata = models.JSONField(_("strata"), default=dict)
    sample = models.JSONField(_("sample"), default=list)
    drawn_at = models.DateTimeField(_("drawn at"))
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("drawn by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = RestrictedQuerySet.as_manager()
    region_lookup = "region"
    own_assignments = staticmethod(internal)

    class Meta:
        ordering = ["-period_start", "region"]
        verbose_name = _("random draw")
        verbose_name_plural = _("random draws")
        constraints = [
            models.UniqueConstraint(
                fields=["purpose", "region", "period"], name="assurance_draw_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} {self.region} {self.period}"

    @property
    def sample_size(self) -> int:
        return len(self.sample)
