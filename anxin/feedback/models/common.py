"""Fields every feedback record shares: the job it is about, copied at creation.

Rescue jobs and workshop work orders live in other apps; a rating or complaint keeps the job's
kind, id and number plus the region, outlet, customer and vehicle it had, so the feedback stays
readable (and region-scoped) whatever happens to the job later.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class JobLinked(models.Model):
    job_kind = models.CharField(_("job kind"), max_length=16, blank=True)
    job_id = models.CharField(_("job id"), max_length=32, blank=True)
    job_number = models.CharField(_("job number"), max_length=32, blank=True)
    region = models.ForeignKey(
        "network.Region",
        verbose_name=_("region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    outlet = models.ForeignKey(
        "network.Outlet",
        verbose_name=_("outlet"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    vehicle = models.ForeignKey(
        "customers.Vehicle",
        verbose_name=_("vehicle"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    region_lookup = "region"

    class Meta:
        abstract = True

    @property
    def job_ref(self) -> str:
        return f"{self.job_kind}:{self.job_id}" if self.job_kind else ""
