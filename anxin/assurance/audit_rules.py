"""Completeness rules of the quarterly audit (CB-2), one named function per rule.

Each rule takes the job and returns what is missing, in words (an empty list: complete).
Rules are grouped by job kind; a work order's rules read the workshop app's models, and if
that app is not installed the whole set is skipped with a note the audit page shows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import records
from .choices import JobKind


@dataclass(frozen=True)
class Rule:
    code: str
    label: Any
    kind: str
    check: Callable[[Any], list[str]]
    applies: Callable[[Any], bool] = lambda job: True


# --- rescue (RSC-1..5) ----------------------------------------------------------------------
def rescue_has_photos(job: Any) -> list[str]:
    """On-site photos (RSC-3): at least one."""
    return [] if job.photos.exists() else [_("no on-site photos")]


def rescue_first_review(job: Any) -> list[str]:
    """一级审核: the dispatch desk checked the request before dispatch."""
    return (
        []
        if job.transitions.filter(to_state="checked").exists()
        else [_("no first review (一级审核) before dispatch")]
    )


def rescue_compliance_review(job: Any) -> list[str]:
    """二级审核: the regional manager accepted the on-site compliance."""
    if job.compliance_reviews.filter(verdict="accepted").exists():
        return []
    return [_("no accepted compliance review (二级审核)")]


def rescue_final_review(job: Any) -> list[str]:
    """三级审核: customer service's final review."""
    from anxin.rescue.models import FinalReview

    return [] if FinalReview.objects.filter(job=job).exists() else [_("no final review (三级审核)")]


def rescue_signed_confirmation(job: Any) -> list[str]:
    """救援服务确认单 signed by the customer (RSC-4)."""
    from anxin.rescue.models import ConfirmationForm

    form = ConfirmationForm.objects.filter(job=job).first()
    if form is None:
        return [_("no rescue service confirmation form")]
    return [] if form.is_signed else [_("the confirmation form is not signed by the customer")]


def rescue_checklist(job: Any) -> list[str]:
    """The required on-site checklist items were ticked."""
    from anxin.rescue.models import REQUIRED_CHECKLIST

    ticked = set(job.checklist.values_list("item", flat=True))
    missing = [str(item.label) for item in REQUIRED_CHECKLIST if item not in ticked]
    return [_("checklist items not ticked: %(i)s") % {"i": "、".join(missing)}] if missing else []


# --- work orders (WS-2, WS-3, PRT-3) --------------------------------------------------------
STAGES = ("entry", "in_process", "completion")


def workorder_three_inspections(order: Any) -> list[str]:
    """三检一记录: entry, in-process and completion inspections, each signed by a named person."""
    signed = {
        stage: (responsible, signed_at)
        for stage, responsible, signed_at in order.inspections.values_list(
            "stage", "responsible_id", "signed_at"
        )
    }
    missing = []
    for stage in STAGES:
        responsible, signed_at = signed.get(stage, (None, None))
        if signed_at is None:
            missing.append(
                _("the %(stage)s inspection is not signed") % {"stage": stage_label(stage)}
            )
        elif responsible is None:
            missing.append(
                _("the %(stage)s inspection names no responsible person")
                % {"stage": stage_label(stage)}
            )
    return missing


def stage_label(stage: str) -> str:
    try:
        from anxin.workshop.choices import InspectionStage

        return str(InspectionStage(stage).label)
    except (ImportError, ValueError):
        return stage


def is_oil_change(order: Any) -> bool:
    return bool(getattr(order, "needs_oil_record", False))


def oil_change_names_oil(order: Any) -> list[str]:
    """An oil change names the oil's brand and grade (CB-2's own example)."""
    missing = []
    if not (getattr(order, "oil_brand", "") or "").strip():
        missing.append(_("the oil change does not name the oil's brand"))
    if not (getattr(order, "oil_grade", "") or "").strip():
        missing.append(_("the oil change does not name the oil's grade"))
    return missing


def parts_traceable(order: Any) -> list[str]:
    """Every part fitted has its batch and supplier (PRT-3)."""
    lines = order.part_lines.select_related("part")
    gaps = [
        str(getattr(line.part, "name", line.pk))
        for line in lines
        if not (line.batch_no or "").strip() or not line.supplier_id
    ]
    return [_("parts without batch or supplier: %(p)s") % {"p": "、".join(gaps)}] if gaps else []


def has_diagnosis(order: Any) -> list[str]:
    """A repair records what was found (the record of 三检一记录)."""
    return [] if (order.diagnosis or "").strip() else [_("no diagnosis recorded")]


def is_repair(order: Any) -> bool:
    return getattr(order, "job_type", "") in (
        "fault_repair",
        "warranty_repair",
        "accident_repair",
        "parts_replacement",
    )


def customer_approved(order: Any) -> list[str]:
    """The customer approved the quote (WS-2 transparent prices)."""
    return [] if getattr(order, "approved_at", None) else [_("no customer approval of the quote")]


RULES: tuple[Rule, ...] = (
    Rule("rescue.photos", gettext_lazy("On-site photos"), JobKind.RESCUE, rescue_has_photos),
    Rule("rescue.checklist", gettext_lazy("On-site checklist"), JobKind.RESCUE, rescue_checklist),
    Rule(
        "rescue.first_review",
        gettext_lazy("First review (一级审核)"),
        JobKind.RESCUE,
        rescue_first_review,
    ),
    Rule(
        "rescue.compliance_review",
        gettext_lazy("Compliance review (二级审核)"),
        JobKind.RESCUE,
        rescue_compliance_review,
    ),
    Rule(
        "rescue.confirmation",
        gettext_lazy("Signed confirmation form"),
        JobKind.RESCUE,
        rescue_signed_confirmation,
    ),
    Rule(
        "rescue.final_review",
        gettext_lazy("Final review (三级审核)"),
        JobKind.RESCUE,
        rescue_final_review,
    ),
    Rule(
        "workorder.three_inspections",
        gettext_lazy("Three checks signed (三检)"),
        JobKind.WORKORDER,
        workorder_three_inspections,
    ),
    Rule(
        "workorder.oil_record",
        gettext_lazy("Oil brand and grade"),
        JobKind.WORKORDER,
        oil_change_names_oil,
        is_oil_change,
    ),
    Rule(
        "workorder.parts_traceable",
        gettext_lazy("Parts with batch and supplier"),
        JobKind.WORKORDER,
        parts_traceable,
    ),
    Rule(
        "workorder.diagnosis",
        gettext_lazy("Diagnosis recorded"),
        JobKind.WORKORDER,
        has_diagnosis,
        is_repair,
    ),
    Rule(
        "workorder.customer_approval",
        gettext_lazy("Customer approved the quote"),
        JobKind.WORKORDER,
        customer_approved,
    ),
)
RULES_BY_CODE = {r.code: r for r in RULES}


def rules_for(kind: str) -> tuple[list[Rule], str]:
    """The rules of a job kind, or none and the reason they are skipped."""
    if kind == JobKind.WORKORDER and records.workorder_model() is None:
        return [], _("workshop work orders are not installed: their rule set is skipped")
    return [r for r in RULES if r.kind == kind], ""


def check(kind: str, job: Any) -> tuple[list[tuple[Rule, list[str]]], list[str], str]:
    """Run a job's rules: (failed rules with what is missing, codes of rules run, note)."""
    rules, note = rules_for(kind)
    failed, ran = [], []
    for rule in rules:
        if not rule.applies(job):
            continue
        ran.append(rule.code)
        missing = rule.check(job)
        if missing:
            failed.append((rule, missing))
    return failed, ran, note
