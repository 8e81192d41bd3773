"""Served customers and service records of a period, read from the job apps.

Rescue jobs are read from their stored transitions (completed in the period). Work orders
belong to the workshop app, which may not be installed or may not have the expected fields;
then the work-order part is skipped and the reason is returned so pages can say so.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist

from .choices import JobKind


@dataclass(frozen=True)
class ServiceRecord:
    kind: str
    id: int
    number: str
    region_id: int
    outlet_id: int | None
    base_id: int | None
    customer_id: int | None
    contact_name: str
    contact_phone: str
    served_at: dt.datetime
    job_type: str = ""
    job_type_label: str = ""

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.id}"

    @property
    def stratum(self) -> str:
        """Stratified by outlet, or by rescue base for rescue (CB-1)."""
        if self.kind == JobKind.WORKORDER:
            return f"outlet:{self.outlet_id or '-'}"
        return f"base:{self.base_id or '-'}"

    @property
    def customer_key(self) -> str:
        return f"customer:{self.customer_id}" if self.customer_id else self.key


def workorder_model() -> Any | None:
    try:
        return apps.get_model("workshop", "WorkOrder")
    except LookupError:
        return None


def _has_field(model: Any, name: str) -> bool:
    try:
        model._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return True


def rescue_record(job: Any, served_at: dt.datetime | None = None) -> ServiceRecord:
    unit = job.unit
    return ServiceRecord(
        kind=JobKind.RESCUE,
        id=job.pk,
        number=job.number,
        region_id=job.region_id,
        outlet_id=job.destination_outlet_id,
        base_id=unit.base_id if unit is not None else None,
        customer_id=job.customer_id,
        contact_name=job.caller_name or (job.customer.name if job.customer_id else ""),
        contact_phone=job.caller_phone or (job.customer.phone if job.customer_id else ""),
        served_at=served_at or job.created_at,
        job_type=job.fault,
        job_type_label=str(job.get_fault_display()),
    )


def workorder_record(order: Any, served_at: dt.datetime | None = None) -> ServiceRecord:
    customer = getattr(order, "customer", None)
    outlet = getattr(order, "outlet", None)
    region_id = getattr(order, "region_id", None) or (outlet.region_id if outlet else None)
    job_type = str(getattr(order, "job_type", "") or "")
    return ServiceRecord(
        kind=JobKind.WORKORDER,
        id=order.pk,
        number=str(getattr(order, "number", "") or order.pk),
        region_id=region_id,
        outlet_id=getattr(order, "outlet_id", None),
        base_id=None,
        customer_id=getattr(order, "customer_id", None),
        contact_name=getattr(customer, "name", "") if customer else "",
        contact_phone=getattr(customer, "phone", "") if customer else "",
        served_at=served_at or getattr(order, "delivered_at", None) or dt.datetime.now(dt.UTC),
        job_type=job_type,
        job_type_label=str(getattr(order, "get_job_type_display", lambda: job_type)()),
    )


def rescue_served(region_id: int, start: dt.datetime, end: dt.datetime) -> list[ServiceRecord]:
    from anxin.rescue.choices import JobState
    from anxin.rescue.models import JobTransition, RescueJob

    done = (
        JobTransition.objects.filter(
            to_state=JobState.COMPLETED, at__gte=start, at__lt=end, job__region_id=region_id
        )
        .order_by("job_id", "at")
        .values_list("job_id", "at")
    )
    first: dict[int, dt.datetime] = {}
    for job_id, at in done:
        first.setdefault(job_id, at)
    jobs = RescueJob.objects.filter(pk__in=first).select_related("unit", "customer")
    return [rescue_record(job, first[job.pk]) for job in jobs]


def workorders_served(
    region_id: int, start: dt.datetime, end: dt.datetime
) -> tuple[list[ServiceRecord], str]:
    """Delivered work orders of the period, and a note when they cannot be read."""
    model = workorder_model()
    if model is None:
        return [], "workshop.WorkOrder is not installed: work orders are not in this draw"
    if not _has_field(model, "delivered_at"):
        return [], "workshop.WorkOrder has no delivered_at: work orders are not in this draw"
    qs = model._default_manager.filter(delivered_at__gte=start, delivered_at__lt=end)
    if _has_field(model, "region"):
        qs = qs.filter(region_id=region_id)
    else:
        qs = qs.filter(outlet__region_id=region_id)
    related = [n for n in ("customer", "outlet") if _has_field(model, n)]
    return [workorder_record(o, o.delivered_at) for o in qs.select_related(*related)], ""


def served(
    region_id: int, start: dt.datetime, end: dt.datetime
) -> tuple[list[ServiceRecord], list[str]]:
    orders, note = workorders_served(region_id, start, end)
    return rescue_served(region_id, start, end) + orders, [note] if note else []


def load(kind: str, job_id: int) -> Any | None:
    """The job itself (a RescueJob or a WorkOrder), or None."""
    if kind == JobKind.RESCUE:
        from anxin.rescue.models import RescueJob

        return RescueJob.objects.filter(pk=job_id).select_related("unit", "customer").first()
    model = workorder_model()
    return model._default_manager.filter(pk=job_id).first() if model else None


def record_for(kind: str, job_id: int) -> ServiceRecord | None:
    job = load(kind, job_id)
    if job is None:
        return None
    return rescue_record(job) if kind == JobKind.RESCUE else workorder_record(job)
