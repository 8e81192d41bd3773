"""The sources of the other feature apps: work orders, appointments, ratings, complaints,
callbacks (read-only), registered when their models exist.

On-time figures that the service commitments define (appointment response 30 min in working
time, complaint first response 2 h and solution 48 h with pauses, callbacks within 7 days) are
read from the commitment clocks of the record, so a KPI and the SLA never disagree: a clock
that stopped counts as met or missed, one that breached while still open counts as missed.
Parts on-time arrival has no source yet: no model records when parts were promised and came.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.apps import apps

from . import alerts, report
from .facts import FactData, Source, contribution, local_day, millis, register

RATIO_LIMIT = Decimal("1.2")  # a repair more than 20% over standard time misses
HOUR_MS = 3_600_000


def _has(label: str) -> bool:
    try:
        apps.get_model(label)
        return True
    except LookupError:
        return False


def clock_outcomes(kind: str, ids: list[int]) -> dict[int, dict[str, tuple[bool, bool]]]:
    """Per job id and commitment code: (counted, met). A clock counts once it stopped with a
    verdict or breached; it is met only if it stopped in time."""
    from anxin.commitments.models import Clock

    out: dict[int, dict[str, tuple[bool, bool]]] = {}
    rows = Clock.objects.filter(job_kind=kind, job_id__in=[str(i) for i in ids]).values_list(
        "job_id", "commitment__code", "met", "breached_at", "due_at"
    )
    for job_id, code, met, breached_at, due_at in rows.order_by("pk"):
        if due_at is None:
            continue
        counted = met is not None or breached_at is not None
        if counted:
            out.setdefault(int(job_id), {})[code] = (True, met is True and breached_at is None)
    return out


def _primary_system(systems: list[str], rework_system: str) -> str:
    from anxin.workshop.choices import NOT_REWORK_SYSTEMS

    if rework_system:
        return rework_system
    chosen = sorted(set(systems or []) - set(NOT_REWORK_SYSTEMS))
    return chosen[0] if chosen else ""


# --- work orders ----------------------------------------------------------------------------
def workorder_facts(ids: list[int]) -> dict[int, FactData | None]:
    """A delivered work order counts on its delivery day: rework (返修) if it is one, and its
    labour time against the standard (actual ≤ 120% of standard hours) where timed."""
    from anxin.workshop.models import LabourLine, WorkOrder

    out: dict[int, FactData | None] = dict.fromkeys(ids)
    rows = WorkOrder.objects.filter(
        pk__in=ids, state__in=("delivered", "settled"), delivered_at__isnull=False
    ).values(
        "id", "outlet_id", "outlet__city_id", "region_id", "technician_id", "vehicle__model",
        "systems", "rework_of_id", "rework_system", "delivered_at",
    )  # fmt: skip
    rows = list(rows)
    if not rows:
        return out
    hours: dict[int, list[Decimal]] = {}
    for wo_id, std, actual in LabourLine.objects.filter(
        work_order_id__in=[r["id"] for r in rows], actual_hours__isnull=False, standard_hours__gt=0
    ).values_list("work_order_id", "standard_hours", "actual_hours"):
        acc = hours.setdefault(wo_id, [Decimal(0), Decimal(0)])
        acc[0] += std
        acc[1] += actual
    for r in rows:
        contrib = {"rework": contribution("rework", r["rework_of_id"] is not None)}
        if r["id"] in hours:
            std, actual = hours[r["id"]]
            contrib["repair_standard"] = contribution(
                "repair_standard", actual <= std * RATIO_LIMIT, int(actual * HOUR_MS)
            )
        out[r["id"]] = FactData(
            day=local_day(r["delivered_at"]),
            region_id=r["region_id"],
            city_id=r["outlet__city_id"],
            outlet_id=r["outlet_id"],
            staff_id=r["technician_id"],
            model=r["vehicle__model"] or "",
            fault=_primary_system(r["systems"], r["rework_system"]),
            contrib=contrib,
        )
    return out


def repair_overrun(pk: int) -> tuple[float, str, int | None, dt.date] | None:
    """The "each" rule's reading of one work order: percent over its standard labour time,
    once its work is finished."""
    from anxin.workshop.models import LabourLine, WorkOrder

    wo = (
        WorkOrder.objects.filter(pk=pk, work_finished_at__isnull=False)
        .values("number", "region_id", "work_finished_at", "outlet__name")
        .first()
    )
    if wo is None:
        return None
    std = actual = Decimal(0)
    for s, a in LabourLine.objects.filter(
        work_order_id=pk, actual_hours__isnull=False, standard_hours__gt=0
    ).values_list("standard_hours", "actual_hours"):
        std += s
        actual += a
    if not std:
        return None
    over = float((actual - std) * 100 / std)
    label = f"{wo['outlet__name']} · {wo['number']}"
    return over, label, wo["region_id"], local_day(wo["work_finished_at"])


# --- appointments ---------------------------------------------------------------------------
def appointment_facts(ids: list[int]) -> dict[int, FactData | None]:
    from anxin.workshop.models import Appointment

    out: dict[int, FactData | None] = dict.fromkeys(ids)
    clocks = clock_outcomes("appointment", ids)
    rows = Appointment.objects.filter(pk__in=[i for i in ids if i in clocks]).values(
        "id", "region_id", "outlet_id", "outlet__city_id", "created_at", "responded_at"
    )
    for r in rows:
        outcome = clocks[r["id"]].get("appointment-response")
        if outcome is None:
            continue
        waited = millis(r["responded_at"] - r["created_at"]) if r["responded_at"] else 0
        out[r["id"]] = FactData(
            day=local_day(r["created_at"]),
            region_id=r["region_id"],
            city_id=r["outlet__city_id"],
            outlet_id=r["outlet_id"],
            contrib={
                "appointment_response": contribution(
                    "appointment_response", outcome[1], max(0, waited)
                )
            },
        )
    return out


# --- ratings --------------------------------------------------------------------------------
def rating_facts(ids: list[int]) -> dict[int, FactData | None]:
    """A rating counts on the day it was given: satisfied when overall is 4 or 5 of 5."""
    from anxin.feedback.models import Rating

    out: dict[int, FactData | None] = dict.fromkeys(ids)
    rows = list(
        Rating.objects.filter(pk__in=ids).values(
            "id",
            "region_id",
            "outlet_id",
            "outlet__city_id",
            "overall",
            "submitted_at",
            "job_kind",
            "job_id",
            "vehicle__model",
        )  # fmt: skip
    )
    rescue_ids = [
        int(r["job_id"]) for r in rows if r["job_kind"] == "rescue" and str(r["job_id"]).isdigit()
    ]
    wo_ids = [
        int(r["job_id"])
        for r in rows
        if r["job_kind"] == "workorder" and str(r["job_id"]).isdigit()
    ]
    units: dict[int, Any] = {}
    techs: dict[int, Any] = {}
    if rescue_ids:
        from anxin.rescue.models import RescueJob

        units = dict(RescueJob.objects.filter(pk__in=rescue_ids).values_list("pk", "unit_id"))
    if wo_ids and _has("workshop.WorkOrder"):
        from anxin.workshop.models import WorkOrder

        techs = dict(WorkOrder.objects.filter(pk__in=wo_ids).values_list("pk", "technician_id"))
    for r in rows:
        job = int(r["job_id"]) if str(r["job_id"]).isdigit() else None
        out[r["id"]] = FactData(
            day=local_day(r["submitted_at"]),
            region_id=r["region_id"],
            city_id=r["outlet__city_id"],
            outlet_id=r["outlet_id"],
            unit_id=units.get(job) if r["job_kind"] == "rescue" else None,
            staff_id=techs.get(job) if r["job_kind"] == "workorder" else None,
            model=r["vehicle__model"] or "",
            contrib={"satisfaction": contribution("satisfaction", r["overall"] >= 4)},
        )
    return out


# --- complaints -----------------------------------------------------------------------------
COMPLAINT_CLOCKS = {
    "complaint-first-response": "complaint_first_response",
    "complaint-solution": "complaint_solution",
}


def complaint_facts(ids: list[int]) -> dict[int, FactData | None]:
    from anxin.feedback.models import Complaint

    out: dict[int, FactData | None] = dict.fromkeys(ids)
    clocks = clock_outcomes("complaint", ids)
    rows = Complaint.objects.filter(pk__in=[i for i in ids if i in clocks]).values(
        "id",
        "region_id",
        "outlet_id",
        "outlet__city_id",
        "received_at",
        "category",
        "vehicle_model",
    )
    for r in rows:
        contrib = {
            measure: contribution(measure, clocks[r["id"]][code][1])
            for code, measure in COMPLAINT_CLOCKS.items()
            if code in clocks[r["id"]]
        }
        if contrib:
            out[r["id"]] = FactData(
                day=local_day(r["received_at"]),
                region_id=r["region_id"],
                city_id=r["outlet__city_id"],
                outlet_id=r["outlet_id"],
                model=r["vehicle_model"] or "",
                fault=r["category"] or "",
                contrib=contrib,
            )
    return out


# --- callbacks (回访) -----------------------------------------------------------------------
def callback_facts(ids: list[int]) -> dict[int, FactData | None]:
    """Coverage from the callback's deadline clock (done in time, or missed); reach from the
    callbacks that were tried: was the customer reached."""
    from anxin.assurance.models import Callback
    from anxin.people.models import Staff

    out: dict[int, FactData | None] = dict.fromkeys(ids)
    clocks = clock_outcomes("callback", ids)
    rows = list(
        Callback.objects.filter(pk__in=ids).values(
            "id",
            "region_id",
            "outlet_id",
            "outlet__city_id",
            "created_at",
            "state",
            "attempts",
            "reached",
            "assignee_id",
        )  # fmt: skip
    )
    staff_of = dict(
        Staff.objects.filter(
            user_id__in={r["assignee_id"] for r in rows if r["assignee_id"]}
        ).values_list("user_id", "id")
    )
    for r in rows:
        contrib = {}
        outcome = next(iter(clocks.get(r["id"], {}).values()), None)
        if outcome is not None:
            contrib["callback_coverage"] = contribution("callback_coverage", outcome[1])
        if r["state"] == "completed" or r["attempts"]:
            contrib["callback_reach"] = contribution("callback_reach", r["reached"] is True)
        if contrib:
            out[r["id"]] = FactData(
                day=local_day(r["created_at"]),
                region_id=r["region_id"],
                city_id=r["outlet__city_id"],
                outlet_id=r["outlet_id"],
                staff_id=staff_of.get(r["assignee_id"]),
                contrib=contrib,
            )
    return out


# Models whose new rows mean a source record changed: label -> (source, id of the record).
TRIGGERS: dict[str, Any] = {
    "workshop.LabourLine": lambda row: ("workorder", row.work_order_id),
    "workshop.AppointmentTransition": lambda row: ("appointment", row.appointment_id),
    "feedback.ComplaintTransition": lambda row: ("complaint", row.complaint_id),
    "assurance.CallbackAttempt": lambda row: ("callback", row.callback_id),
}
CLOCK_SOURCES = {"appointment": "appointment", "complaint": "complaint", "callback": "callback"}


# --- monthly report sections ----------------------------------------------------------------
def complaints_section(start: dt.date, end: dt.date) -> Any:
    from django.db.models import Count, Q

    from anxin.feedback.models import Complaint

    rows = (
        Complaint.objects.filter(received_at__date__gte=start, received_at__date__lte=end)
        .values("category")
        .annotate(n=Count("pk"), open=Count("pk", filter=~Q(state__in=["closed", "confirmed"])))
        .order_by("-n")
    )
    from anxin.feedback.choices import ComplaintClass

    labels = dict(ComplaintClass.choices)
    return report.Section(
        "complaints", "投诉分类 Complaints by class",
        ["类别代码 class", "类别 label", "投诉数 complaints", "未结 open"],
        [[r["category"] or "unclassified", str(labels.get(r["category"], "未分类")), r["n"], r["open"]] for r in rows],
        text_columns=(0,),
    )  # fmt: skip


def improvements_section(start: dt.date, end: dt.date) -> Any:
    from django.utils import timezone

    from anxin.assurance.models import ImprovementAction

    tz = timezone.get_default_timezone()
    lo = dt.datetime.combine(start, dt.time(), tz)
    hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tz)
    rows = []
    actions = ImprovementAction.objects.filter(created_at__lt=hi).exclude(closed_at__lt=lo)
    for a in actions.order_by("created_at"):
        opened = lo <= a.created_at < hi
        verified = a.closed_at is not None and lo <= a.closed_at < hi and a.state == "closed"
        overdue = a.state in ("open", "reopened", "implemented") and a.due_date < end
        if not (opened or verified or overdue):
            continue
        rows.append([
            a.number, a.title, a.get_state_display(), a.source_kind, str(a.source_id),
            a.due_date.isoformat(), "是" if opened else "", "是" if verified else "",
            "是" if overdue else "",
        ])  # fmt: skip
    return report.Section(
        "improvements", "整改措施 Improvement actions",
        ["编号 number", "问题 problem", "状态 state", "来源 source", "来源编号 source id",
         "期限 due", "本月开启 opened", "本月验证 verified", "超期 overdue"],
        rows, text_columns=(0, 4),
    )  # fmt: skip


def register_available() -> None:
    if _has("workshop.WorkOrder") and _has("workshop.LabourLine"):
        register(Source("workorder", "workshop.WorkOrder", workorder_facts))
        alerts.RECORD_CHECKS[("workorder", "repair_within_standard")] = repair_overrun
    if _has("workshop.Appointment"):
        register(Source("appointment", "workshop.Appointment", appointment_facts))
    if _has("feedback.Rating"):
        register(Source("rating", "feedback.Rating", rating_facts))
    if _has("feedback.Complaint"):
        register(Source("complaint", "feedback.Complaint", complaint_facts))
        report.EXTRA_SECTIONS.append(complaints_section)
    if _has("assurance.Callback"):
        register(Source("callback", "assurance.Callback", callback_facts))
    if _has("assurance.ImprovementAction"):
        report.EXTRA_SECTIONS.append(improvements_section)


register_available()
