"""The vehicle's technical archive (车辆技术档案, NET-4): one timeline of everything done to it.

Work orders, rescue jobs, inspections, HV checks, parts fitted, faults (DTCs, rescue faults,
expert requests), rework links and 三包 warnings — each row restricted to what the viewer may
see (``restrict``), newest first.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from anxin.customers.models import Vehicle

from .models import (
    ExpertRequest,
    HVSafetyCheck,
    Inspection,
    PartLine,
    WarrantyWarning,
    WorkOrder,
)


@dataclass
class Entry:
    at: dt.datetime
    kind: str  # work_order | rescue | inspection | hv_check | part | fault | expert | warning
    title: str
    detail: str = ""
    number: str = ""
    state: str = ""
    obj: Any = None
    url_name: str = ""
    url_args: list[Any] = field(default_factory=list)


def vehicle_timeline(vehicle: Vehicle, user: Any) -> list[Entry]:
    """Every event of the vehicle the ``user`` may see, newest first."""
    entries: list[Entry] = []
    orders = (
        WorkOrder.objects.restrict(user, "view")
        .filter(vehicle=vehicle)
        .select_related("outlet", "rework_of")
    )
    for wo in orders:
        detail = wo.outlet.name
        if wo.rework_of_id:
            detail += " · " + _("rework of %(n)s") % {"n": wo.rework_of.number}
        entries.append(
            Entry(
                at=wo.received_at,
                kind="work_order",
                title=f"{wo.get_job_type_display()} · {wo.number}",
                detail=detail,
                number=wo.number,
                state=wo.get_state_display(),
                obj=wo,
                url_name="workshop:work_order",
                url_args=[wo.pk],
            )
        )
        if wo.fault_codes:
            entries.append(
                Entry(
                    at=wo.diagnosis_at or wo.received_at,
                    kind="fault",
                    title=_("Fault codes"),
                    detail=", ".join(wo.fault_codes),
                    number=wo.number,
                    obj=wo,
                )
            )
    for i in (
        Inspection.objects.restrict(user, "view")
        .filter(work_order__vehicle=vehicle, signed_at__isnull=False)
        .select_related("work_order", "responsible")
    ):
        entries.append(
            Entry(
                at=i.signed_at,
                kind="inspection",
                title=i.get_stage_display(),
                detail=(i.responsible.name if i.responsible_id else "")
                + ("" if i.passed is not False else " · " + _("not passed")),
                number=i.work_order.number,
                obj=i,
            )
        )
    for hv in (
        HVSafetyCheck.objects.restrict(user, "view")
        .filter(work_order__vehicle=vehicle)
        .select_related("work_order", "technician")
    ):
        entries.append(
            Entry(
                at=hv.recorded_at,
                kind="hv_check",
                title=_("HV discharge and insulation check"),
                detail=f"{hv.technician.name} · {hv.residual_voltage} V · {hv.insulation_mohm} MΩ",
                number=hv.work_order.number,
                obj=hv,
            )
        )
    for line in (
        PartLine.objects.restrict(user, "view")
        .filter(work_order__vehicle=vehicle)
        .exclude(work_order__state="cancelled")
        .select_related("work_order", "part", "supplier")
    ):
        entries.append(
            Entry(
                at=line.fitted_at or line.added_at,
                kind="part",
                title=f"{line.part.code} {line.part.name} × {line.quantity}",
                detail=" · ".join(
                    x for x in [line.batch_no, line.supplier.name if line.supplier_id else ""] if x
                ),
                number=line.work_order.number,
                obj=line,
            )
        )
    for req in (
        ExpertRequest.objects.restrict(user, "view")
        .filter(work_order__vehicle=vehicle)
        .select_related("work_order")
    ):
        entries.append(
            Entry(
                at=req.requested_at,
                kind="expert",
                title=_("Remote expert request"),
                detail=req.question[:120],
                number=req.work_order.number,
                state=req.get_state_display(),
                obj=req,
            )
        )
    for w in WarrantyWarning.objects.restrict(user, "view").filter(vehicle=vehicle):
        entries.append(
            Entry(
                at=w.raised_at,
                kind="warning",
                title=_("三包 warning: %(what)s") % {"what": w.get_kind_display()},
                detail=f"{w.get_system_display() if w.system else ''} {w.value}/{w.legal_line}",
                obj=w,
            )
        )
    entries += _rescue_entries(vehicle, user)
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries


def _rescue_entries(vehicle: Vehicle, user: Any) -> list[Entry]:
    from anxin.rescue.models import RescueJob

    rows = []
    for job in RescueJob.objects.restrict(user, "view").filter(vehicle=vehicle):
        rows.append(
            Entry(
                at=job.created_at,
                kind="rescue",
                title=f"{_('Road rescue')} · {job.number}",
                detail=job.get_fault_display(),
                number=job.number,
                state=job.get_state_display(),
                obj=job,
                url_name="rescue:job",
                url_args=[job.pk],
            )
        )
        rows.append(
            Entry(
                at=job.created_at,
                kind="fault",
                title=_("Fault reported on the road"),
                detail=job.get_fault_display(),
                number=job.number,
                obj=job,
            )
        )
    return rows
