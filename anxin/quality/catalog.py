"""The KPI catalog (KPI-1, KPI-2): every indicator defined once, as data.

A *measure* is what one source record contributes to the rollups (a rescue job that arrived
contributes one response time; a daily check contributes one passed/failed). An *indicator*
is a statistic of a measure (mean, percentile, share) with its name, unit, direction and
target. The dashboard, the alert rules, the monthly report and the API all read indicators
from here and compute them with :func:`anxin.quality.rollup.figure`, so one indicator never
has two formulas.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

# Scopes a figure can be asked for. "network" has the single key "".
SCOPES = ("network", "region", "city", "outlet", "unit", "staff", "model", "fault")
# Compound scopes kept for alert rules that look at one kind of work per region.
COMPOUND_SCOPES = ("region_fault",)
SCOPE_LABELS = {
    "network": _("Network"),
    "region": _("Region"),
    "city": _("City"),
    "outlet": _("Outlet"),
    "unit": _("Rescue unit"),
    "staff": _("Staff member"),
    "model": _("Vehicle model"),
    "fault": _("Fault or repair type"),
    "region_fault": _("Region and repair type"),
}

MINUTE_MS = 60_000


@dataclass(frozen=True)
class Measure:
    """What one source record adds to a cell: ``n`` +1, ``num`` +0/1, ``total`` +value.

    ``bucket_seconds``/``limit_seconds`` give the histogram of ``total`` values (percentiles);
    ``source`` names the facts builder in :mod:`anxin.quality.facts`.
    """

    code: str
    source: str
    scopes: tuple[str, ...]
    bucket_seconds: int | None = None
    limit_seconds: int | None = None
    description: Any = ""


RESCUE_SCOPES = ("network", "region", "city", "unit", "staff", "model", "fault")
WORKSHOP_SCOPES = ("network", "region", "city", "outlet", "staff", "model", "fault", "region_fault")

MEASURES: dict[str, Measure] = {
    m.code: m
    for m in [
        Measure(
            "rescue_response",
            "rescue",
            RESCUE_SCOPES,
            bucket_seconds=30,
            limit_seconds=8 * 3600,
            description=_("rescue jobs that arrived: call to arrival, counted on the call day"),
        ),
        Measure(
            "rescue_arrival_commit",
            "rescue",
            RESCUE_SCOPES,
            description=_("emergency jobs that arrived: within 30 min (urban) / 50 min (remote)"),
        ),
        Measure(
            "rescue_routine_arrival",
            "rescue",
            RESCUE_SCOPES,
            description=_("routine jobs that arrived: within 2 hours"),
        ),
        Measure(
            "unit_check",
            "unitcheck",
            ("network", "region", "city", "unit"),
            description=_("daily unit checks: passed"),
        ),
        Measure(
            "appointment_response",
            "appointment",
            ("network", "region", "city", "outlet", "staff"),
            bucket_seconds=60,
            limit_seconds=48 * 3600,
            description=_("appointments answered: booking to response within 30 minutes"),
        ),
        Measure(
            "repair_standard",
            "workorder",
            WORKSHOP_SCOPES,
            bucket_seconds=60,
            limit_seconds=24 * 3600,
            description=_(
                "finished work orders with standard hours: actual labour hours within standard"
            ),
        ),
        Measure(
            "rework",
            "workorder",
            WORKSHOP_SCOPES,
            description=_("delivered work orders: came back as rework (返修)"),
        ),
        Measure(
            "satisfaction",
            "rating",
            ("network", "region", "city", "outlet", "unit", "staff"),
            description=_("customer ratings: satisfied (4 or 5 of 5)"),
        ),
        Measure(
            "complaint_first_response",
            "complaint",
            ("network", "region", "city", "outlet", "fault"),
            description=_("complaints answered: first response within the commitment"),
        ),
        Measure(
            "complaint_solution",
            "complaint",
            ("network", "region", "city", "outlet", "fault"),
            description=_("complaints solved or overdue: solved within the commitment"),
        ),
        Measure(
            "callback_coverage",
            "callback",
            ("network", "region", "city", "outlet", "staff"),
            description=_("callbacks due: done within 7 days"),
        ),
        Measure(
            "callback_reach",
            "callback",
            ("network", "region", "city", "outlet", "staff"),
            description=_("callbacks attempted: customer reached"),
        ),
        Measure(
            "parts_on_time",
            "parts",
            ("network", "region", "city", "outlet", "fault"),
            description=_("parts orders received: arrived by the promised date"),
        ),
    ]
}


class Stat:
    MEAN = "mean"
    P50 = "p50"
    P90 = "p90"
    SHARE = "share"
    SNAPSHOT = "snapshot"


@dataclass(frozen=True)
class Indicator:
    """One KPI: a statistic of a measure (or a snapshot of master data), with its target.

    ``direction`` is "up" when higher is better, "down" when lower is better; ``target`` is in
    the indicator's ``unit`` (minutes or percent). ``reads`` names the records behind it, shown
    with every figure so a reader knows where it comes from.
    """

    code: str
    name_zh: str
    name_en: Any
    measure: str | None
    stat: str
    unit: str  # "min" or "%"
    direction: str
    formula: Any
    reads: str
    target: float | None = None
    brief: str = "KPI-1"
    tags: tuple[str, ...] = field(default_factory=tuple)

    @property
    def name(self) -> str:
        from django.utils.translation import get_language

        return self.name_zh if (get_language() or "").startswith("zh") else str(self.name_en)

    def meets(self, value: float | None) -> bool | None:
        if value is None or self.target is None:
            return None
        return value <= self.target if self.direction == "down" else value >= self.target


INDICATORS: dict[str, Indicator] = {
    i.code: i
    for i in [
        Indicator(
            "rescue_response_mean",
            "救援平均响应时长",
            _("Rescue response time (mean)"),
            "rescue_response",
            Stat.MEAN,
            "min",
            "down",
            _("sum of (arrival − call) over jobs that arrived ÷ their number"),
            "rescue.JobTransition",
            target=15,
            brief="DSP-4",
            tags=("rescue", "live", "assessment"),
        ),
        Indicator(
            "rescue_response_p50",
            "救援响应时长中位数",
            _("Rescue response time (median)"),
            "rescue_response",
            Stat.P50,
            "min",
            "down",
            _("50th percentile of (arrival − call), from 30-second buckets (±0.5 min)"),
            "rescue.JobTransition",
            brief="DSP-4",
            tags=("rescue", "live"),
        ),
        Indicator(
            "rescue_response_p90",
            "救援响应时长P90",
            _("Rescue response time (90th percentile)"),
            "rescue_response",
            Stat.P90,
            "min",
            "down",
            _("90th percentile of (arrival − call), from 30-second buckets (±0.5 min)"),
            "rescue.JobTransition",
            brief="DSP-4",
            tags=("rescue", "live"),
        ),
        Indicator(
            "rescue_within_15",
            "15分钟内到达率",
            _("Arrived within 15 minutes"),
            "rescue_response",
            Stat.SHARE,
            "%",
            "up",
            _("jobs with arrival − call ≤ 15 min ÷ jobs that arrived"),
            "rescue.JobTransition",
            brief="DSP-4",
            tags=("rescue", "live"),
        ),
        Indicator(
            "rescue_arrival_on_time",
            "紧急救援承诺时限内到达率",
            _("Emergency arrival within commitment"),
            "rescue_arrival_commit",
            Stat.SHARE,
            "%",
            "up",
            _("emergency jobs arrived within 30 min (urban) / 50 min (remote) ÷ those arrived"),
            "rescue.RescueJob, rescue.JobTransition",
            target=100,
            tags=("rescue", "assessment"),
        ),
        Indicator(
            "rescue_routine_arrival",
            "常规救援2小时到达率",
            _("Routine arrival within 2 hours"),
            "rescue_routine_arrival",
            Stat.SHARE,
            "%",
            "up",
            _("routine jobs arrived within 2 h ÷ routine jobs that arrived"),
            "rescue.RescueJob, rescue.JobTransition",
            target=100,
            tags=("rescue",),
        ),
        Indicator(
            "coverage_24h",
            "24小时救援城市覆盖率",
            _("24-hour rescue coverage of cities"),
            None,
            Stat.SNAPSHOT,
            "%",
            "up",
            _(
                "cities with a 24-hour rescue base holding an active unit, or a 24-hour outlet ÷ cities"
            ),
            "network.City, network.RescueBase, network.RescueUnit, network.Outlet",
            target=80,
            tags=("network",),
        ),
        Indicator(
            "equipment_readiness",
            "设备完好率",
            _("Equipment readiness"),
            "unit_check",
            Stat.SHARE,
            "%",
            "up",
            _("daily unit checks (设备状态表) passed ÷ daily checks made"),
            "network.UnitDailyCheck",
            tags=("rescue", "assessment"),
        ),
        Indicator(
            "certification_coverage",
            "持证上岗率",
            _("Certification coverage"),
            None,
            Stat.SNAPSHOT,
            "%",
            "up",
            _(
                "active rescue crew holding an unexpired towing certificate (and an HV "
                "certificate on units with an EV high-voltage kit) ÷ active rescue crew"
            ),
            "people.Staff, people.Certification",
            target=100,
            tags=("people", "assessment"),
        ),
        Indicator(
            "appointment_response_30",
            "预约30分钟响应率",
            _("Appointment response within 30 minutes"),
            "appointment_response",
            Stat.SHARE,
            "%",
            "up",
            _("appointments answered within 30 min of booking ÷ appointments answered"),
            "workshop.Appointment",
            target=100,
            tags=("workshop",),
        ),
        Indicator(
            "repair_within_standard",
            "标准工时内完工率",
            _("Repairs finished within standard time"),
            "repair_standard",
            Stat.SHARE,
            "%",
            "up",
            _("work orders with actual labour hours ≤ 1.2 × standard hours ÷ finished work orders"),
            "workshop.WorkOrder, labour lines",
            tags=("workshop", "assessment"),
        ),
        Indicator(
            "satisfaction",
            "客户满意度",
            _("Customer satisfaction"),
            "satisfaction",
            Stat.SHARE,
            "%",
            "up",
            _("ratings of 4 or 5 (of 5) ÷ ratings"),
            "feedback ratings",
            target=90,
            tags=("feedback", "assessment"),
        ),
        Indicator(
            "rework_rate",
            "返修率",
            _("Rework rate"),
            "rework",
            Stat.SHARE,
            "%",
            "down",
            _("delivered work orders marked rework ÷ delivered work orders"),
            "workshop.WorkOrder",
            target=5,
            tags=("workshop", "assessment"),
        ),
        Indicator(
            "complaint_first_response",
            "投诉首次响应及时率",
            _("Complaint first response on time"),
            "complaint_first_response",
            Stat.SHARE,
            "%",
            "up",
            _("complaints answered before their first-response deadline ÷ complaints answered"),
            "feedback complaints",
            target=100,
            tags=("feedback",),
        ),
        Indicator(
            "complaint_solution",
            "投诉解决及时率",
            _("Complaint solved on time"),
            "complaint_solution",
            Stat.SHARE,
            "%",
            "up",
            _("complaints solved before their solution deadline ÷ complaints solved"),
            "feedback complaints",
            target=100,
            tags=("feedback",),
        ),
        Indicator(
            "callback_coverage",
            "回访覆盖率",
            _("Callback coverage"),
            "callback_coverage",
            Stat.SHARE,
            "%",
            "up",
            _("callbacks done ÷ callbacks due"),
            "assurance callbacks",
            target=100,
            tags=("assurance",),
        ),
        Indicator(
            "callback_reach",
            "回访接通率",
            _("Callback reach rate"),
            "callback_reach",
            Stat.SHARE,
            "%",
            "up",
            _("callbacks that reached the customer ÷ callbacks attempted"),
            "assurance callbacks",
            tags=("assurance",),
        ),
        Indicator(
            "parts_on_time",
            "配件准时到货率",
            _("Parts on-time arrival"),
            "parts_on_time",
            Stat.SHARE,
            "%",
            "up",
            _("parts received by the promised date ÷ parts received"),
            "workshop parts orders",
            target=95,
            tags=("workshop",),
        ),
    ]
}

# The tiles of the dashboard, in order.
DASHBOARD = (
    "rescue_response_mean",
    "rescue_response_p90",
    "rescue_within_15",
    "rescue_arrival_on_time",
    "coverage_24h",
    "equipment_readiness",
    "certification_coverage",
    "appointment_response_30",
    "repair_within_standard",
    "satisfaction",
    "rework_rate",
    "complaint_first_response",
    "complaint_solution",
    "callback_coverage",
    "callback_reach",
    "parts_on_time",
)


def indicator(code: str) -> Indicator:
    try:
        return INDICATORS[code]
    except KeyError:
        raise KeyError(code) from None


def measures_of_source(source: str) -> list[Measure]:
    return [m for m in MEASURES.values() if m.source == source]


# The navigation entry (anxin/core/context.py) uses this label; kept here for our catalog.
NAV_LABEL = _("Quality")
