"""The electronic work order (电子工单, WS-5): everything the document shows, in one dict.

The page and the PDF (rendered by the worker, job ``workshop.render_ework``, queued at
delivery) both read :func:`ework_data`, so they cannot disagree.
"""

from __future__ import annotations

import calendar
import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from .choices import ChargeTo, InspectionStage
from .models import WorkOrder

RENDER_JOB = "workshop.render_ework"


def _warranty_until(start: Any, months: int) -> Any:
    if not start or not months:
        return None
    return add_months(timezone.localdate(start), months)


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (the month's last day when it has fewer days)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def _warranty_text(months: int) -> str:
    if not months:
        return ""
    if months % 12 == 0:
        return f"{months // 12}年"
    return f"{months}个月"


def ework_data(wo: WorkOrder) -> dict[str, Any]:
    """Outlet, vehicle, work done, parts with batch and supplier, costs, warranty per line,
    the three inspections' sign-offs and the verification code."""
    outlet, vehicle = wo.outlet, wo.vehicle
    start = wo.delivered_at or wo.work_finished_at or wo.received_at
    qual = outlet.current_qualification(on=timezone.localdate(start)) if start else None
    labour = [
        {
            "code": line.operation.code,
            "name": line.operation.name,
            "system": line.operation.get_system_display(),
            "standard_hours": line.standard_hours,
            "actual_hours": line.actual_hours,
            "technician": line.technician.name if line.technician_id else "",
            "unit_price": line.unit_price,
            "discount_pct": line.discount_pct,
            "amount": line.amount,
            "charge_to": line.get_charge_to_display(),
            "charge_to_code": line.charge_to,
            "warranty_months": line.warranty_months,
            "warranty": _warranty_text(line.warranty_months),
            "warranty_until": _warranty_until(start, line.warranty_months),
        }
        for line in wo.labour_lines.select_related("operation", "technician")
    ]
    parts = [
        {
            "code": line.part.code,
            "name": line.part.name,
            "system": line.part.get_system_display(),
            "quantity": line.quantity,
            "unit": line.part.unit,
            "unit_price": line.unit_price,
            "discount_pct": line.discount_pct,
            "amount": line.amount,
            "batch_no": line.batch_no,
            "supplier": line.supplier.name if line.supplier_id else "",
            "charge_to": line.get_charge_to_display(),
            "charge_to_code": line.charge_to,
            "warranty_months": line.warranty_months,
            "warranty": _warranty_text(line.warranty_months),
            "warranty_until": _warranty_until(start, line.warranty_months),
        }
        for line in wo.part_lines.select_related("part", "supplier")
    ]
    inspections = []
    by_stage = {i.stage: i for i in wo.inspections.select_related("responsible")}
    for stage in InspectionStage:
        i = by_stage.get(stage.value)
        inspections.append(
            {
                "stage": stage.value,
                "label": stage.label,
                "complete": bool(i and i.signed_at),
                "passed": i.passed if i else None,
                "responsible": i.responsible.name if i and i.responsible_id else "",
                "signed_at": i.signed_at if i else None,
                "remarks": i.remarks if i else "",
                "photos": i.photos.count() if i else 0,
            }
        )
    labour_total = sum((x["amount"] for x in labour), Decimal("0"))
    parts_total = sum((x["amount"] for x in parts), Decimal("0"))
    by_payer: dict[str, Decimal] = {}
    for x in labour + parts:
        by_payer[x["charge_to_code"]] = (
            by_payer.get(x["charge_to_code"], Decimal("0")) + x["amount"]
        )
    hv = wo.hv_checks.select_related("technician", "certification").order_by("-recorded_at")
    hv_check = hv.first()
    return {
        "number": wo.number,
        "verification_code": wo.verification_code,
        "state": wo.state,
        "state_label": wo.get_state_display(),
        "job_type": wo.get_job_type_display(),
        "inspection_kind": wo.get_inspection_kind_display() if wo.inspection_kind else "",
        "warranty_cover": wo.get_warranty_cover_display() if wo.warranty_cover else "",
        "outlet": {
            "code": outlet.code,
            "name": outlet.name,
            "address": outlet.address,
            "phone": outlet.phone,
            "licence_number": qual.licence_number if qual else "",
            "licence_grade": qual.get_grade_display() if qual else "",
        },
        "vehicle": {
            "vin": vehicle.vin,
            "plate": vehicle.plate,
            "brand": vehicle.brand,
            "model": vehicle.model,
            "powertrain": vehicle.get_powertrain_display(),
            "mileage_km": wo.mileage_km,
        },
        "customer": {"name": wo.customer.masked_name, "phone": wo.customer.masked_phone},
        "complaint": wo.complaint,
        "diagnosis": wo.diagnosis,
        "fault_codes": list(wo.fault_codes or []),
        "oil": {"brand": wo.oil_brand, "grade": wo.oil_grade} if wo.oil_brand else None,
        "labour": labour,
        "parts": parts,
        "costs": {
            "labour": labour_total,
            "parts": parts_total,
            "total": wo.total_amount,
            "customer": wo.customer_amount,
            "warranty": by_payer.get(ChargeTo.WARRANTY, Decimal("0")),
            "contract": by_payer.get(ChargeTo.CONTRACT, Decimal("0")),
            "paid": wo.paid_amount,
            "payment_method": wo.get_payment_method_display() if wo.payment_method else "",
        },
        "contract": {
            "number": wo.contract.number,
            "fleet": wo.contract.fleet.name,
            "payment_terms_days": wo.payment_terms_days,
        }
        if wo.contract_id
        else None,
        "inspections": inspections,
        "hv_check": {
            "technician": hv_check.technician.name,
            "certificate_no": hv_check.certification.certificate_no,
            "residual_voltage": hv_check.residual_voltage,
            "insulation_mohm": hv_check.insulation_mohm,
            "recorded_at": hv_check.recorded_at,
        }
        if hv_check
        else None,
        "rework_of": wo.rework_of.number if wo.rework_of_id else "",
        "approved_by": wo.approved_by_name,
        "approved_via": wo.get_approved_via_display() if wo.approved_via else "",
        "approved_at": wo.approved_at,
        "received_at": wo.received_at,
        "work_started_at": wo.work_started_at,
        "work_finished_at": wo.work_finished_at,
        "delivered_at": wo.delivered_at,
        "settled_at": wo.settled_at,
        "advisor": getattr(getattr(wo.advisor, "staff", None), "name", "")
        or (wo.advisor.get_full_name() or wo.advisor.username if wo.advisor_id else ""),
    }
