"""Rework (返修, WS-6): the same vehicle back for the same system within the window.

The window is data (``WorkshopPolicy.rework_window_days``, default 30). A rework is linked to
the first job of the chain, so three visits for one brake fault point at the first visit.
"""

from __future__ import annotations

import datetime as dt

from anxin.audit.changelog import change_for, record, snapshot

from .choices import NOT_REWORK_SYSTEMS, WorkOrderState
from .models import WorkOrder, WorkshopPolicy

DONE_STATES = (WorkOrderState.DELIVERED, WorkOrderState.SETTLED)


def previous_job(wo: WorkOrder, *, window_days: int | None = None) -> tuple[WorkOrder, str] | None:
    """The latest earlier job on the vehicle, delivered within the window, sharing a system."""
    systems = set(wo.systems or []) - NOT_REWORK_SYSTEMS
    if not systems:
        return None
    days = window_days or WorkshopPolicy.current().rework_window_days
    since = wo.received_at - dt.timedelta(days=days)
    earlier = (
        WorkOrder.objects.filter(
            vehicle_id=wo.vehicle_id,
            state__in=DONE_STATES,
            delivered_at__gte=since,
            delivered_at__lte=wo.received_at,
        )
        .exclude(pk=wo.pk)
        .order_by("-delivered_at")
    )
    for job in earlier:
        shared = sorted(systems & set(job.systems or []))
        if shared:
            return job, shared[0]
    return None


def detect(wo: WorkOrder) -> WorkOrder | None:
    """Mark ``wo`` as rework of the chain's first job when it is one; returns that job."""
    if wo.rework_of_id is not None:
        return wo.rework_of
    found = previous_job(wo)
    if found is None:
        return None
    job, system = found
    first = job.rework_of or job
    before = snapshot(wo)
    WorkOrder.objects.filter(pk=wo.pk).update(rework_of=first, rework_system=system)
    wo.rework_of, wo.rework_system = first, system
    record([change_for(wo, "update", before, snapshot(wo))])
    return first
