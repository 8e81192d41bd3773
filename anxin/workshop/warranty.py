"""三包 warnings (household-vehicle warranty law): warn before the legal lines are reached.

Within the warranty period, 35 cumulative repair days or 5 repairs of the same serious fault
give the owner replacement or return rights. A vehicle reaching the warning lines (25 days, the
4th repair of the same serious fault; both data in ``WorkshopPolicy``) is flagged once per line
to the outlet's advisors and the region's managers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from anxin.customers.models import Vehicle
from anxin.worker.api import periodic

from .choices import IN_SHOP_STATES, SERIOUS_SYSTEMS, JobType, WarningKind, WorkOrderState
from .models import WarrantyWarning, WorkOrder, WorkshopPolicy

# Maintenance and inspections are not repairs in the sense of the law.
REPAIR_TYPES = (
    JobType.FAULT_REPAIR,
    JobType.PARTS_REPLACEMENT,
    JobType.WARRANTY_REPAIR,
    JobType.ACCIDENT_REPAIR,
)


@dataclass
class Status:
    """Where a vehicle stands against the 三包 lines (for the archive and the work order page)."""

    under_warranty: bool
    repair_days: int = 0
    repairs_by_system: dict[str, int] = field(default_factory=dict)
    work_orders_by_system: dict[str, list[int]] = field(default_factory=dict)
    repair_day_work_orders: list[int] = field(default_factory=list)


def covered(vehicle: Vehicle, on: dt.date) -> bool:
    """Household vehicles under warranty (fleet vehicles are not covered by 三包)."""
    return (
        vehicle.fleet_id is None
        and vehicle.warranty_until is not None
        and (on <= vehicle.warranty_until)
    )


def status(vehicle: Vehicle, *, at: dt.datetime | None = None) -> Status:
    at = at or timezone.now()
    today = timezone.localdate(at)
    if not covered(vehicle, today):
        return Status(under_warranty=False)
    jobs = WorkOrder.objects.filter(vehicle=vehicle, job_type__in=REPAIR_TYPES).exclude(
        state=WorkOrderState.CANCELLED
    )
    if vehicle.sold_on:
        jobs = jobs.filter(received_at__date__gte=vehicle.sold_on)
    days: set[dt.date] = set()
    by_system: dict[str, list[int]] = {}
    day_jobs: list[int] = []
    for wo in jobs.order_by("received_at"):
        start = timezone.localdate(wo.received_at)
        end_at = wo.delivered_at or (at if wo.state in IN_SHOP_STATES else wo.cancelled_at)
        end = timezone.localdate(end_at) if end_at else start
        end = min(end, vehicle.warranty_until or end)
        day = start
        while day <= end:
            days.add(day)
            day += dt.timedelta(days=1)
        day_jobs.append(wo.pk)
        for system in set(wo.systems or []) & SERIOUS_SYSTEMS:
            by_system.setdefault(system, []).append(wo.pk)
    return Status(
        under_warranty=True,
        repair_days=len(days),
        repairs_by_system={k: len(v) for k, v in by_system.items()},
        work_orders_by_system=by_system,
        repair_day_work_orders=day_jobs,
    )


def _raise(
    vehicle: Vehicle,
    kind: str,
    system: str,
    value: int,
    threshold: int,
    legal: int,
    wo: WorkOrder | None,
    ids: list[int],
    at: dt.datetime,
) -> WarrantyWarning | None:
    if WarrantyWarning.objects.filter(vehicle=vehicle, kind=kind, system=system).exists():
        return None
    outlet = wo.outlet if wo is not None else None
    if outlet is None:
        last = WorkOrder.objects.filter(pk__in=ids).order_by("-received_at").first()
        if last is None:
            return None
        outlet, wo = last.outlet, last
    warning = WarrantyWarning(
        vehicle=vehicle,
        kind=kind,
        system=system,
        value=value,
        threshold=threshold,
        legal_line=legal,
        work_order=wo,
        outlet=outlet,
        region_id=outlet.region_id,
        raised_at=at,
        work_order_ids=ids,
    )
    try:
        with transaction.atomic():
            warning.save(force_insert=True)
    except IntegrityError:
        return None  # raised by a concurrent transaction: once is once
    from .messages import warranty_warning

    warranty_warning(warning)
    return warning


def evaluate(
    vehicle: Vehicle, *, at: dt.datetime | None = None, work_order: WorkOrder | None = None
) -> list[WarrantyWarning]:
    """Raise the warnings the vehicle has reached and not had yet; returns the new ones."""
    at = at or timezone.now()
    state = status(vehicle, at=at)
    if not state.under_warranty:
        return []
    policy = WorkshopPolicy.current()
    raised = []
    if state.repair_days >= policy.warranty_warn_days:
        w = _raise(
            vehicle,
            WarningKind.REPAIR_DAYS,
            "",
            state.repair_days,
            policy.warranty_warn_days,
            policy.warranty_legal_days,
            work_order,
            state.repair_day_work_orders,
            at,
        )
        if w:
            raised.append(w)
    for system, count in sorted(state.repairs_by_system.items()):
        if count >= policy.warranty_warn_repairs:
            w = _raise(
                vehicle,
                WarningKind.SAME_FAULT,
                system,
                count,
                policy.warranty_warn_repairs,
                policy.warranty_legal_repairs,
                work_order,
                state.work_orders_by_system[system],
                at,
            )
            if w:
                raised.append(w)
    return raised


@periodic("workshop.warranty_law", every_seconds=3600)
def sweep(now: dt.datetime) -> int:
    """Repair days grow while a vehicle waits in the workshop: check the open jobs hourly."""
    ids = (
        WorkOrder.objects.filter(state__in=IN_SHOP_STATES, job_type__in=REPAIR_TYPES)
        .values_list("vehicle_id", flat=True)
        .distinct()
    )
    count = 0
    for vehicle in Vehicle.objects.filter(pk__in=list(ids)[:500]):
        count += len(evaluate(vehicle, at=now))
    return count


def describe(warning: Any) -> str:
    return f"{warning.get_kind_display()} {warning.value}/{warning.legal_line}"
