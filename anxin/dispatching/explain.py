"""Why a unit is proposed or turned down, in words the dispatcher reads (DSP-3).

The engine returns message keys with parameters (:class:`Reason`), never finished sentences,
so the Django side can store the key, show it in the user's language and translate it later.
This module holds the two catalogues it ships with: English and zh-Hans.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

Language = Literal["en", "zh-Hans"]
ParamValue = str | int | float

#: English and zh-Hans text of each reason key; parameters in braces.
MESSAGES: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "capability.ok": ("Carries what the request needs.", "车辆能力满足救援需求。"),
        "capability.flatbed_needed": (
            "The request needs a flatbed; this unit is a {kind}.",
            "该请求需要平板车，此车为{kind}。",
        ),
        "capability.ev_flatbed": (
            "A {powertrain} vehicle must be carried on a flatbed; this unit is a {kind}.",
            "{powertrain}车辆须用平板车运送，此车为{kind}。",
        ),
        "capability.towing_needed": (
            "The request needs towing; a {kind} cannot tow.",
            "该请求需要拖车，{kind}不能拖车。",
        ),
        "capability.missing": (
            "Lacks required equipment: {missing}.",
            "缺少所需装备：{missing}。",
        ),
        "hv.ok": ("An HV-certified crew member is on board.", "车组有持有效高压证书的人员。"),
        "hv.not_needed": ("No high-voltage work needed.", "无需高压作业。"),
        "hv.no_certified_crew": (
            "High-voltage fault, but no crew member holds a valid HV certificate on {day}.",
            "高压故障，但{day}车组无人持有有效高压作业证书。",
        ),
        "check.ok": ("Today's pre-work check passed.", "今日出车前检查合格。"),
        "check.failed": (
            "Today's pre-work check failed: not dispatchable.",
            "今日出车前检查不合格，不可派车。",
        ),
        "check.missing": (
            "Today's pre-work check is missing: not dispatchable.",
            "今日出车前检查未填写，不可派车。",
        ),
        "shift.ok": ("On shift when the job would start.", "接单时在班。"),
        "shift.off": (
            "Off shift at {at} (shift {start}-{end}).",
            "{at}不在班（班次{start}-{end}）。",
        ),
        "status.ok": ("Free to take the job.", "车辆空闲，可接单。"),
        "status.chained": (
            "Busy until {finish}; would take the job after the current one.",
            "忙碌至{finish}，完成当前任务后接单。",
        ),
        "status.not_dispatchable": (
            "Status is {status}: cannot take a job.",
            "当前状态为{status}，不能接单。",
        ),
        "status.busy_unknown_end": (
            "Busy with no expected finish time: cannot be chained.",
            "忙碌且无预计完成时间，不能续派。",
        ),
        "eta.idle": (
            "Arrives in about {minutes} min ({km} km away).",
            "预计{minutes}分钟到达（直线{km}公里）。",
        ),
        "eta.chained": (
            "Finishes its current job at {finish}, then arrives in about {minutes} min in all.",
            "{finish}完成当前任务，预计共{minutes}分钟到达。",
        ),
        "rank.best": ("Earliest arrival among the candidates.", "候选车辆中最早到达。"),
        "rank.behind": (
            "{minutes} min later than the best proposal.",
            "比最佳方案晚{minutes}分钟。",
        ),
        "workload.jobs_today": (
            "{jobs} jobs today (workload balance breaks near ties).",
            "今日已接{jobs}单（工作量均衡，用于接近时排序）。",
        ),
    }
)

#: zh-Hans names of the values that appear as parameters (unit kinds, statuses, powertrains).
LABELS_ZH: Mapping[str, str] = MappingProxyType(
    {
        "tow_truck": "拖车",
        "flatbed": "平板车",
        "service_van": "服务车",
        "available": "空闲",
        "assigned": "已派单",
        "busy": "忙碌",
        "returning": "返程",
        "off_duty": "下班",
        "maintenance": "维修保养",
        "bev": "纯电动",
        "hev": "混合动力",
        "ice": "燃油",
        "towing": "拖车",
        "winch": "绞盘",
    }
)

LABELS_EN: Mapping[str, str] = MappingProxyType(
    {
        "tow_truck": "tow truck",
        "service_van": "service van",
        "off_duty": "off duty",
        "bev": "battery-electric",
        "hev": "hybrid",
        "ice": "combustion",
    }
)


@dataclass(frozen=True, slots=True)
class Reason:
    """One reason for a rank or a rejection: a message key and its parameters."""

    code: str
    params: Mapping[str, ParamValue] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        if self.code not in MESSAGES:
            raise KeyError(f"unknown reason code {self.code!r}")
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))

    def text(self, language: Language = "en") -> str:
        """The reason as a sentence in English or zh-Hans."""
        en, zh = MESSAGES[self.code]
        labels = LABELS_ZH if language == "zh-Hans" else LABELS_EN
        params = {key: _label(value, labels) for key, value in self.params.items()}
        return (zh if language == "zh-Hans" else en).format(**params)


def _label(value: ParamValue, labels: Mapping[str, str]) -> str:
    if isinstance(value, str):
        # Lists of equipment come joined with commas; translate each item.
        return ", ".join(labels.get(part, part) for part in value.split(", "))
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)
