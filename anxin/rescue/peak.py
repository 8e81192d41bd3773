"""Peak mode (DSP-5): when several checked requests wait in a region, the worker assigns them
jointly every few seconds (least total priority-weighted ETA on a sparse candidate graph)
instead of first-come-nearest, and the dispatch console proposes each job's planned unit.

The plan is advice on the job rows (``peak_unit``); the dispatcher still dispatches, through
the same action function and unit claim as always.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from anxin.dispatching.joint import assign_jointly
from anxin.network.models import RescueUnit
from anxin.worker.api import periodic

from .choices import JobState
from .models import RescueJob
from .proposals import fleet_snapshots, request_for, travel_model

log = logging.getLogger("anxin.rescue")
PLAN_FRESH_FOR = dt.timedelta(seconds=30)


def threshold() -> int:
    return int(getattr(settings, "ANXIN_PEAK_THRESHOLD", 3))


def plan_region(region_id: int, now: dt.datetime) -> int:
    """Plan the region's waiting jobs jointly; returns how many got a unit."""
    waiting = list(
        RescueJob.objects.filter(region_id=region_id, state=JobState.CHECKED)
        .select_related("vehicle")
        .order_by("created_at")
    )
    units = list(
        RescueUnit.objects.filter(base__region_id=region_id, active=True)
        .exclude(status="off_duty")
        .select_related("base")
    )
    if len(waiting) < threshold() or not units:
        RescueJob.objects.filter(pk__in=[j.pk for j in waiting]).update(
            peak_unit=None, peak_eta_seconds=None, peak_planned_at=None
        )
        return 0
    plan = assign_jointly(
        [request_for(j) for j in waiting],
        fleet_snapshots(units, now=now),
        now=now,
        travel=travel_model(),
    )
    planned = {p.request_id: p for p in plan.pairs}
    for job in waiting:
        pair = planned.get(job.pk)
        RescueJob.objects.filter(pk=job.pk, state=JobState.CHECKED).update(
            peak_unit_id=pair.unit_id if pair else None,
            peak_eta_seconds=pair.eta_seconds if pair else None,
            peak_planned_at=now,
        )
    return len(planned)


@periodic("rescue.peak_plan", every_seconds=5)
def plan_peaks(now: dt.datetime) -> int:
    busy_regions = (
        RescueJob.objects.filter(state=JobState.CHECKED)
        .values("region_id")
        .annotate(n=Count("id"))
        .filter(n__gte=threshold())
        .values_list("region_id", flat=True)
    )
    planned = 0
    for region_id in busy_regions:
        planned += plan_region(region_id, now)
    stale = timezone.now() - PLAN_FRESH_FOR
    RescueJob.objects.filter(peak_planned_at__lt=stale).update(
        peak_unit=None, peak_eta_seconds=None, peak_planned_at=None
    )
    return planned


def plan_for(job: RescueJob, now: dt.datetime) -> tuple[int | None, set[int]]:
    """The unit the fresh joint plan gives ``job`` and the units it gives the other waiting jobs."""
    fresh_since = now - PLAN_FRESH_FOR
    others = set(
        RescueJob.objects.filter(
            region_id=job.region_id, state=JobState.CHECKED, peak_planned_at__gte=fresh_since
        )
        .exclude(pk=job.pk)
        .exclude(peak_unit=None)
        .values_list("peak_unit_id", flat=True)
    )
    mine = job.peak_unit_id if job.peak_planned_at and job.peak_planned_at >= fresh_since else None
    return mine, others
