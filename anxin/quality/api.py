"""Quality API (KPI-1..5): indicator figures by scope and month, the records behind them,
alert rules, alerts, review tasks, rewards and penalties.

Every figure is computed by :mod:`anxin.quality.rollup` from the rollup cells, the same way as
on the dashboard and in the monthly report. Bad input answers with a clear error: an unknown
indicator or scope, or a month in the future, is 422 naming the field; a scope member outside
the caller's region is 403; a rule with a threshold that is not a number is 422.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from pydantic import AllowInfNan, Strict, model_validator

from anxin.accounts.roles import Role
from anxin.api.base import get_visible, visible
from anxin.api.types import Id

from . import actions, drill, rollup, scopes
from .catalog import COMPOUND_SCOPES, INDICATORS, MEASURES, SCOPES
from .facts import source_available
from .models import (
    Action,
    Alert,
    AlertRule,
    Outcome,
    ReviewTask,
    RuleTest,
    ScoreEntry,
    ScoreKind,
    TaskState,
)

router = Router()

ScopeName = Annotated[str, Field(pattern="^[a-z_]{2,16}$", description=", ".join(SCOPES))]
MonthText = Annotated[str, Field(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM (Asia/Shanghai)")]
Key = Annotated[str, Field(max_length=80, description="member id; empty for the network")]
# A threshold must be a number: "5%" or true is refused rather than coerced.
Number = Annotated[float, Strict(), AllowInfNan(False)]


class IndicatorOut(Schema):
    code: str
    name_zh: str
    name_en: str
    unit: str
    direction: str
    target: float | None
    formula: str
    reads: str
    brief: str
    scopes: list[str]
    data_source: bool


class FigureOut(Schema):
    indicator: str
    name: str
    scope: str
    key: str
    month: str
    value: float | None
    n: int
    num: int
    target: float | None
    unit: str
    meets_target: bool | None
    lower_bound: bool
    previous_value: float | None
    note: str


class FigureQuery(Schema):
    scope: ScopeName | None = None
    key: Key = ""
    month: MonthText | None = None
    indicator: list[str] = Field(default_factory=list, description="indicator codes; all if empty")


def _indicator_codes(codes: list[str]) -> list[str]:
    unknown = [c for c in codes if c not in INDICATORS]
    if unknown:
        raise ValidationError(
            {"indicator": f"unknown indicator(s): {', '.join(unknown)}; see /quality/indicators"}
        )
    return codes or list(INDICATORS)


def _scope(request: HttpRequest, scope: str | None, key: str) -> tuple[str, str]:
    if scope is None:
        return scopes.default_scope(request.user)
    scopes.check_scope(request.user, scope, key)
    return scope, key


@router.get("/indicators", response=list[IndicatorOut])
def list_indicators(request: HttpRequest) -> Any:
    out = []
    for ind in INDICATORS.values():
        m = MEASURES.get(ind.measure or "")
        out.append(
            {
                "code": ind.code,
                "name_zh": ind.name_zh,
                "name_en": str(ind.name_en),
                "unit": ind.unit,
                "direction": ind.direction,
                "target": ind.target,
                "formula": str(ind.formula),
                "reads": ind.reads,
                "brief": ind.brief,
                "scopes": list(m.scopes) if m else ["network", "region", "city"],
                "data_source": source_available(m.source) if m else True,
            }
        )
    return out


@router.get("/figures", response=list[FigureOut])
def get_figures(request: HttpRequest, q: Query[FigureQuery]) -> Any:
    codes = _indicator_codes(q.indicator)
    scope, key = _scope(request, q.scope, q.key)
    month = q.month or scopes.this_month()
    start, end = scopes.month_bounds(month)
    prev = scopes.previous_month(month)
    pstart, pend = scopes.month_bounds(prev)
    now = rollup.figures(codes, scope, key, start, end)
    before = rollup.figures(codes, scope, key, pstart, pend)
    return [
        {
            "indicator": code,
            "name": f.indicator.name,
            "scope": scope,
            "key": key,
            "month": month,
            "value": None if f.value is None else round(f.value, 4),
            "n": f.n,
            "num": f.num,
            "target": f.indicator.target,
            "unit": f.indicator.unit,
            "meets_target": f.meets,
            "lower_bound": f.lower_bound,
            "previous_value": None if before[code].value is None else round(before[code].value, 4),
            "note": f.note,
        }
        for code, f in now.items()
    ]


class RecordOut(Schema):
    source: str
    id: int
    number: str
    day: dt.date
    value_minutes: float | None
    meets_condition: bool
    url: str


class RecordsOut(Schema):
    indicator: str
    total: int
    records: list[RecordOut]


class RecordQuery(Schema):
    scope: ScopeName | None = None
    key: Key = ""
    month: MonthText | None = None
    failing: bool = False


@router.get("/figures/{indicator}/records", response=RecordsOut)
def figure_records(request: HttpRequest, indicator: str, q: Query[RecordQuery]) -> Any:
    """The records behind a figure (drill-down), as far as the caller may see them."""
    _indicator_codes([indicator])
    scope, key = _scope(request, q.scope, q.key)
    start, end = scopes.month_bounds(q.month or scopes.this_month())
    rows, total = drill.records(request.user, indicator, scope, key, start, end, failing=q.failing)
    return {
        "indicator": indicator,
        "total": total,
        "records": [
            {
                "source": r.source,
                "id": r.pk,
                "number": r.number,
                "day": r.day,
                "value_minutes": r.value_minutes,
                "meets_condition": r.ok,
                "url": r.url,
            }
            for r in rows
        ],
    }


# --- rules ----------------------------------------------------------------------------------
class RuleOut(Schema):
    id: int
    code: str
    name: str
    indicator: str
    scope: str
    filter_fault: str
    test: RuleTest
    threshold: float | None
    sigma: float
    min_sample: int
    action: Action
    owner_role: Role
    notify_roles: list[str]
    active: bool


class RuleIn(Schema):
    code: str = Field(pattern=r"^[-a-z0-9_]{2,64}$")
    name: str = Field(min_length=1, max_length=200)
    indicator: str = Field(max_length=48)
    scope: str = Field("region", max_length=16)
    filter_fault: str = Field("", max_length=32)
    test: RuleTest = RuleTest.FUNNEL
    threshold: Number | None = None
    sigma: Number = Field(3.0, gt=0, le=6)
    min_sample: int = Field(20, ge=1, le=1_000_000)
    action: Action = Action.REVIEW
    owner_role: Role = Role.REGIONAL_MANAGER
    notify_roles: list[Role] = Field(default_factory=list)
    active: bool = True


class RulePatch(Schema):
    @model_validator(mode="before")
    @classmethod
    def an_object(cls, data: Any) -> Any:
        # A JSON array or scalar is not a set of changes (pydantic would read it loosely).
        if not isinstance(getattr(data, "_obj", data), dict):
            raise ValueError("send an object of the fields to change")
        return data

    name: str | None = Field(None, min_length=1, max_length=200)
    threshold: Number | None = None
    sigma: Number | None = Field(None, gt=0, le=6)
    min_sample: int | None = Field(None, ge=1, le=1_000_000)
    test: RuleTest | None = None
    action: Action | None = None
    owner_role: Role | None = None
    active: bool | None = None


@router.get("/rules", response=list[RuleOut])
def list_rules(request: HttpRequest) -> Any:
    return list(visible(request, AlertRule))


@router.post("/rules", response={201: RuleOut})
def create_rule(request: HttpRequest, payload: RuleIn) -> Any:
    data = payload.dict()
    if data["indicator"] not in INDICATORS:
        raise ValidationError({"indicator": f"unknown indicator {data['indicator']!r}"})
    if data["scope"] not in SCOPES + COMPOUND_SCOPES:
        raise ValidationError({"scope": f"unknown scope {data['scope']!r}"})
    if AlertRule.objects.filter(code=data["code"]).exists():
        raise ValidationError({"code": "a rule with this code exists"})
    data["notify_roles"] = [str(r) for r in data["notify_roles"]]
    return Status(201, actions.save_rule(request.user, **data))


@router.patch("/rules/{rule_id}", response=RuleOut)
def change_rule(request: HttpRequest, rule_id: Id, payload: RulePatch) -> Any:
    rule = get_visible(request, AlertRule, rule_id, "change")
    changes = payload.dict(exclude_unset=True)
    if "threshold" in changes and changes["threshold"] is not None:
        if not math.isfinite(changes["threshold"]):
            raise ValidationError({"threshold": "the threshold must be a finite number"})
    return actions.save_rule(request.user, rule, **changes)


# --- alerts and tasks -----------------------------------------------------------------------
class AlertOut(Schema):
    id: int
    rule: str = Field(alias="rule.code")
    scope: str
    key: str
    label: str
    period_start: dt.date
    value: float | None
    n: int
    limit: float | None
    centre: float | None
    fired_at: dt.datetime


class TaskOut(Schema):
    id: int
    number: str
    kind: str
    title: str
    state: str
    owner: str | None = None
    owner_role: str
    opened_at: dt.datetime
    due_at: dt.datetime | None
    closed_at: dt.datetime | None
    outcome: str
    findings: str
    improvement_ref: str
    version: int

    @staticmethod
    def resolve_owner(obj: ReviewTask) -> str | None:
        return obj.owner.username if obj.owner else None


class CloseIn(Schema):
    outcome: Outcome
    findings: str = Field(min_length=1, max_length=5000)
    improvement_ref: str = Field("", max_length=64)
    expected_version: int | None = Field(None, ge=1, le=2**31)


@router.get("/alerts", response=list[AlertOut])
def list_alerts(request: HttpRequest) -> Any:
    return list(visible(request, Alert).select_related("rule")[:500])


@router.get("/tasks", response=list[TaskOut])
def list_tasks(request: HttpRequest, state: TaskState | None = None) -> Any:
    tasks = visible(request, ReviewTask).select_related("owner")
    if state:
        tasks = tasks.filter(state=state)
    return list(tasks[:500])


@router.post("/tasks/{task_id}/close", response=TaskOut)
def close_task(request: HttpRequest, task_id: Id, payload: CloseIn) -> Any:
    task = get_visible(request, ReviewTask, task_id, "change")
    return actions.close_task(
        task,
        actor=request.user,
        outcome=payload.outcome,
        findings=payload.findings,
        improvement_ref=payload.improvement_ref,
        expected_version=payload.expected_version,
    )


# --- scorecards -----------------------------------------------------------------------------
class ScoreIn(Schema):
    scope: str = Field(pattern="^(outlet|unit|staff)$")
    key: str = Field(pattern=r"^\d{1,18}$")
    month: MonthText
    kind: ScoreKind
    points: int = Field(0, ge=-1000, le=1000)
    amount: float = Field(0, ge=0, le=10_000_000)
    indicator: str = Field("", max_length=48)
    reason: str = Field(min_length=1, max_length=2000)


class ScoreOut(Schema):
    id: int
    scope: str
    key: str
    label: str
    month: dt.date
    kind: str
    points: int
    amount: float
    indicator: str
    reason: str


class ScoreQuery(Schema):
    scope: Literal["outlet", "unit", "staff"] | None = None
    key: Annotated[str, Field(pattern=r"^\d{1,18}$")] | None = None


@router.get("/scores", response=list[ScoreOut])
def list_scores(request: HttpRequest, q: Query[ScoreQuery]) -> Any:
    rows = visible(request, ScoreEntry)
    if q.scope:
        rows = rows.filter(scope=q.scope)
    if q.key:
        rows = rows.filter(key=q.key)
    return list(rows[:500])


@router.post("/scores", response={201: ScoreOut})
def record_score(request: HttpRequest, payload: ScoreIn) -> Any:
    start, _end = scopes.month_bounds(payload.month)
    try:
        entry = actions.record_score(
            request.user,
            scope=payload.scope,
            key=payload.key,
            month=start,
            kind=payload.kind,
            points=payload.points,
            amount=payload.amount,
            reason=payload.reason,
            indicator=payload.indicator,
        )
    except PermissionDenied:
        raise
    return Status(201, entry)
