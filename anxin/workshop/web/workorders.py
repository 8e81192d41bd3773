"""The work order page (工单): lines and quote, transitions as buttons, the three checks with
sign-off and photos, the HV check, expert requests and the timeline.

Every POST goes to :func:`anxin.workshop.web.writes.act`, which binds the form for one kind
of write and calls the domain's action function; a refusal re-renders the page with the form's
errors (422), a permission refusal with 403, a lost race with the fresh state (409). Nothing is
written by the view itself.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from anxin.api.base import Conflict
from anxin.people.models import Staff

from .. import actions, checks, safety, warranty
from ..choices import (
    LINE_EDIT_STATES,
    InspectionStage,
    WorkOrderState,
)
from ..models import (
    LabourOperation,
    Part,
    Supplier,
    WarrantyWarning,
    WorkOrder,
)
from ..transitions import Transition, available, missing
from .forms import (
    ApproveInPersonForm,
    DetailsForm,
    ExpertRequestForm,
    FinishOperationForm,
    FittedForm,
    HVCheckForm,
    InspectionForm,
    LabourLineForm,
    OilForm,
    PartLineForm,
    SettleForm,
)

S = WorkOrderState
# Transitions with their own form on the page (they carry more than a reason).
OWN_FORMS = frozenset({"approve_quote", "settle"})
# Which stage of the three checks is recorded in which state (the checks module decides; this
# only chooses which form the page opens by default).
STAGE_OF_STATE = {
    S.RECEPTION: InspectionStage.ENTRY,
    S.DIAGNOSIS: InspectionStage.ENTRY,
    S.QUOTATION: InspectionStage.ENTRY,
    S.APPROVAL: InspectionStage.ENTRY,
    S.APPROVED: InspectionStage.ENTRY,
    S.IN_WORK: InspectionStage.IN_PROCESS,
    S.QUALITY_CHECK: InspectionStage.COMPLETION,
}


def visible(user: Any) -> Any:
    return WorkOrder.objects.restrict(user, "view").select_related(
        "vehicle",
        "customer",
        "outlet",
        "region",
        "technician",
        "advisor",
        "appointment",
        "rework_of",
        "contract",
    )


def item_label(item: dict[str, Any]) -> str:
    from django.utils.translation import get_language

    if (get_language() or "").startswith("en") and item.get("label_en"):
        return str(item["label_en"])
    return str(item.get("label") or item["code"])


def region_staff(wo: WorkOrder) -> Any:
    return Staff.objects.filter(region_id=wo.region_id, active=True).order_by("name")


def outlet_technicians(wo: WorkOrder) -> Any:
    staff = region_staff(wo)
    same = staff.filter(outlet_id=wo.outlet_id)
    return same if same.exists() else staff


def may_make(user: Any, t: Transition) -> bool:
    return bool(user.is_superuser or user.role in t.roles)


def buttons(user: Any, wo: WorkOrder) -> list[dict[str, Any]]:
    """The transitions possible now that this user's role may make, with what is missing."""
    out = []
    for t in available(wo):
        if not may_make(user, t):
            continue
        out.append({"t": t, "missing": missing(wo, t.name), "own_form": t.name in OWN_FORMS})
    return out


def inspection_blocks(
    wo: WorkOrder, user: Any, bound: dict[str, InspectionForm] | None = None
) -> list[dict[str, Any]]:
    """The three checks: each with its record (if any), its form when it can be recorded."""
    bound = bound or {}
    existing = {i.stage: i for i in wo.inspections.select_related("responsible", "signed_by")}
    photos: dict[str, dict[str, list[Any]]] = {}
    for inspection in existing.values():
        per_item: dict[str, list[Any]] = {}
        for photo in inspection.photos.all():
            per_item.setdefault(photo.item, []).append(photo)
        photos[inspection.stage] = per_item
    staff = region_staff(wo)
    blocks = []
    for stage in InspectionStage:
        inspection = existing.get(stage)
        recordable = wo.state in checks.STAGE_STATES[stage]
        form = bound.get(stage)
        if form is None and recordable:
            items = inspection.items if inspection else template_items(stage, wo.job_type)
            if items is not None:
                initial = {"responsible": inspection.responsible_id if inspection else None}
                if inspection:
                    for code, value in (inspection.results or {}).items():
                        if value is True:
                            value = "ok"
                        elif value is False:
                            value = "not_ok"
                        initial[f"results_{code}"] = value
                    initial["remarks"] = inspection.remarks
                form = InspectionForm(
                    items=items, staff=staff, label=item_label, initial=initial, prefix=stage
                )
        rows = []
        for item in inspection.items if inspection else []:
            value = (inspection.results or {}).get(item["code"])
            rows.append(
                {
                    "item": item,
                    "label": item_label(item),
                    "value": value,
                    "photos": photos.get(stage, {}).get(item["code"], []),
                }
            )
        blocks.append(
            {
                "stage": stage,
                "label": stage.label,
                "inspection": inspection,
                "rows": rows,
                "form": form,
                "missing": checks.inspection_missing(wo, stage),
                "recordable": recordable,
            }
        )
    return blocks


def template_items(stage: str, job_type: str) -> list[dict[str, Any]] | None:
    try:
        return list(checks.template_for(stage, job_type).items)
    except ValidationError:
        return None


def details_of(wo: WorkOrder) -> dict[str, Any]:
    """The record's current values: the details form's initial data, so that only the
    fields the person changed are sent to ``update_details``."""
    return {
        "complaint": wo.complaint,
        "diagnosis": wo.diagnosis,
        "fault_codes": ", ".join(wo.fault_codes or []),
        "systems": wo.systems,
        "mileage_km": wo.mileage_km,
        "high_voltage": wo.high_voltage,
        "technician": wo.technician_id,
        "promised_at": wo.promised_at,
        "oil_brand": wo.oil_brand,
        "oil_grade": wo.oil_grade,
    }


def page_context(
    request: HttpRequest,
    wo: WorkOrder,
    *,
    bound: dict[str, Any] | None = None,
    failed: str = "",
    conflict: Conflict | None = None,
    denied: str = "",
    error: str = "",
) -> dict[str, Any]:
    bound = bound or {}
    user = request.user
    technicians = outlet_technicians(wo)
    labour = list(wo.labour_lines.select_related("operation", "technician"))
    parts = list(wo.part_lines.select_related("part", "supplier"))
    may_edit = actions.may_change(wo, user)
    # Each line carries its own small form (bound again with its errors after a refusal).
    for line in labour:
        line.finish_form = bound.get(f"finish-{line.pk}") or FinishOperationForm(
            prefix=f"l{line.pk}"
        )
    for line in parts:
        line.fitted_form = bound.get(f"fitted-{line.pk}") or FittedForm(
            prefix=f"p{line.pk}",
            initial={"batch_no": line.batch_no, "supplier": line.supplier_id},
        )
    details = bound.get("details") or DetailsForm(technicians=technicians, initial=details_of(wo))
    return {
        "wo": wo,
        "vehicle": wo.vehicle,
        "labour": labour,
        "parts": parts,
        "buttons": buttons(user, wo),
        "may_edit": may_edit,
        "lines_editable": may_edit and wo.state in LINE_EDIT_STATES,
        "details_form": details,
        "labour_form": bound.get("labour") or LabourLineForm(),
        "part_form": bound.get("part") or PartLineForm(),
        "oil_form": bound.get("oil")
        or OilForm(initial={"oil_brand": wo.oil_brand, "oil_grade": wo.oil_grade}),
        "reason_form": bound.get("reason"),
        "lines_form": bound.get("lines"),
        "approve_form": bound.get("approve") or ApproveInPersonForm(),
        "settle_form": bound.get("settle")
        or SettleForm(initial={"paid_amount": wo.customer_amount}),
        "hv_form": bound.get("hv") or HVCheckForm(technicians=region_staff(wo)),
        "hv_checks": list(wo.hv_checks.select_related("technician", "certification")),
        "hv_missing": safety.hv_check_missing(wo),
        "hv_recordable": wo.state in safety.RECORDABLE_STATES,
        "hv_certified": list(safety.hv_technicians(wo.outlet)),
        "inspections": inspection_blocks(wo, user, bound.get("inspections")),
        "expert_form": bound.get("expert") or ExpertRequestForm(),
        "expert_requests": list(wo.expert_requests.order_by("-requested_at")),
        "transitions": wo.transitions.select_related("actor"),
        "sanbao": warranty.status(wo.vehicle),
        "sanbao_warnings": list(
            WarrantyWarning.objects.restrict(user, "view").filter(vehicle=wo.vehicle_id)
        ),
        "failed": failed,
        "conflict": conflict,
        "denied": denied,
        "error": error,
        "operations": LabourOperation.objects.filter(active=True).order_by("code")[:300],
        "catalog_parts": Part.objects.filter(active=True).order_by("code")[:500],
        "suppliers": Supplier.objects.filter(active=True),
        "quote_url": request.build_absolute_uri(reverse("workshop:quote", args=[wo.quote_token]))
        if wo.state == S.APPROVAL
        else "",
        "ework_url": reverse("workshop:ework", args=[wo.pk])
        if wo.state in (S.DELIVERED, S.SETTLED)
        else "",
        "tech_view": request.GET.get("view") == "tech" or request.POST.get("view") == "tech",
    }


@login_required
def work_order_page(request: HttpRequest, pk: int) -> HttpResponse:
    wo = get_object_or_404(visible(request.user), pk=pk)
    return render(request, "workshop/work_order.html", page_context(request, wo))
