"""Audits (季度内审) and mystery checks (暗访) over the API."""

import datetime as dt
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from anxin.api.base import get_visible, visible
from anxin.api.pagination import Pages
from anxin.api.types import Id
from anxin.network.models import Outlet, RescueBase

from .actions import audits as audit_actions
from .actions import mystery as mystery_actions
from .api_common import ReasonIn, Text, _ref, _user
from .choices import (
    FindingState,
    ItemResult,
)
from .models import (
    Audit,
    AuditFinding,
    ChecklistTemplate,
    MysteryReport,
    SupervisorReport,
)

router = Router()


# --- audits ---------------------------------------------------------------------------------
class FindingOut(Schema):
    id: int
    rule: str
    message: str
    state: FindingState
    decided_at: dt.datetime | None
    override_reason: str
    action_id: int | None


class RecordOut(Schema):
    id: int
    job_kind: str
    job_id: int
    job_number: str
    job_type: str
    outlet_id: int | None
    base_id: int | None
    checked_at: dt.datetime | None
    rules_run: list[str]
    findings: list[FindingOut]

    @staticmethod
    def resolve_findings(obj: Any) -> list[Any]:
        return list(obj.findings.all())


class AuditOut(Schema):
    id: int
    region_id: int
    quarter: str
    state: str
    draw_id: int
    notes: list[str]
    created_at: dt.datetime
    closed_at: dt.datetime | None


class AuditDetailOut(AuditOut):
    records: list[RecordOut]

    @staticmethod
    def resolve_records(obj: Audit) -> list[Any]:
        return list(obj.records.prefetch_related("findings"))


class ConfirmIn(Schema):
    owner_id: Id
    due_date: dt.date
    change_plan: Text = Field(min_length=1)
    success_measure: Text = Field(min_length=1)


@router.get("/audits", response=list[AuditOut])
@paginate(Pages, page_size=50)
def list_audits(request: HttpRequest) -> Any:
    return visible(request, Audit)


@router.get("/audits/{audit_id}", response=AuditDetailOut)
def get_audit(request: HttpRequest, audit_id: Id) -> Any:
    return get_visible(request, Audit, audit_id)


def _finding(request: HttpRequest, audit_id: int, finding_id: int) -> AuditFinding:
    get_visible(request, Audit, audit_id)
    return get_visible(request, AuditFinding, finding_id, "change")


@router.post("/audits/{audit_id}/findings/{finding_id}/confirm", response=FindingOut)
def confirm_finding(request: HttpRequest, audit_id: Id, finding_id: Id, payload: ConfirmIn) -> Any:
    """The auditor agrees: the finding becomes an improvement action."""
    finding = _finding(request, audit_id, finding_id)
    return audit_actions.confirm_finding(
        finding,
        actor=request.user,
        owner=_user(payload.owner_id, "owner_id"),
        due_date=payload.due_date,
        change_plan=payload.change_plan,
        success_measure=payload.success_measure,
    )


@router.post("/audits/{audit_id}/findings/{finding_id}/override", response=FindingOut)
def override_finding(request: HttpRequest, audit_id: Id, finding_id: Id, payload: ReasonIn) -> Any:
    finding = _finding(request, audit_id, finding_id)
    return audit_actions.override_finding(finding, actor=request.user, reason=payload.reason)


@router.post("/audits/{audit_id}/close", response=AuditOut)
def close_audit(request: HttpRequest, audit_id: Id) -> Any:
    audit = get_visible(request, Audit, audit_id, "change")
    return audit_actions.close_audit(audit, actor=request.user)


# --- mystery checks -------------------------------------------------------------------------
class ChecklistOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    items: list[dict[str, Any]]


class ReportOut(Schema):
    id: int
    supervisor_id: int
    template_id: int
    kind: str
    region_id: int
    outlet_id: int | None
    base_id: int | None
    visited_at: dt.datetime
    channel: str
    results: dict[str, str]
    score: float
    summary: str
    submitted_at: dt.datetime


class ReportIn(Schema):
    template_id: Id
    outlet_id: Id | None = None
    base_id: Id | None = None
    visited_at: dt.datetime
    channel: str = Field("", max_length=40)
    results: dict[Annotated[str, Field(max_length=40)], ItemResult] = Field(max_length=100)
    summary: Text = ""


class QuarterlyOut(Schema):
    id: int
    supervisor_id: int
    region_id: int
    quarter: str
    due_date: dt.date
    status: str
    summary: str
    suggestions: str
    submitted_at: dt.datetime | None

    @staticmethod
    def resolve_status(obj: SupervisorReport) -> str:
        return obj.status()


class QuarterlyIn(Schema):
    summary: Text = Field(min_length=1)
    suggestions: Text = ""


@router.get("/mystery/checklists", response=list[ChecklistOut])
def list_checklists(request: HttpRequest) -> Any:
    return ChecklistTemplate.objects.filter(active=True)


@router.get("/mystery/reports", response=list[ReportOut])
@paginate(Pages, page_size=50)
def list_reports(request: HttpRequest) -> Any:
    return visible(request, MysteryReport)


@router.post("/mystery/reports", response={201: ReportOut})
def file_report(request: HttpRequest, payload: ReportIn) -> Any:
    template = ChecklistTemplate.objects.filter(pk=payload.template_id, active=True).first()
    if template is None:
        raise ValidationError({"template_id": "no such checklist"})
    if timezone.is_naive(payload.visited_at):
        raise ValidationError({"visited_at": "give the time with its offset, e.g. +08:00"})
    report = mystery_actions.file_report(
        actor=request.user,
        template=template,
        results={k: str(v) for k, v in payload.results.items()},
        summary=payload.summary,
        visited_at=payload.visited_at,
        outlet=_ref(request, Outlet, payload.outlet_id, "outlet_id"),
        base=_ref(request, RescueBase, payload.base_id, "base_id"),
        channel=payload.channel,
    )
    return Status(201, report)


@router.get("/mystery/quarterly", response=list[QuarterlyOut])
@paginate(Pages, page_size=50)
def list_quarterly(
    request: HttpRequest, quarter: Annotated[str, Field(pattern=r"^\d{4}-Q[1-4]$")] | None = None
) -> Any:
    qs = visible(request, SupervisorReport)
    return qs.filter(quarter=quarter) if quarter else qs


@router.post("/mystery/quarterly/{report_id}/submit", response=QuarterlyOut)
def submit_quarterly(request: HttpRequest, report_id: Id, payload: QuarterlyIn) -> Any:
    report = get_visible(request, SupervisorReport, report_id, "change")
    return mystery_actions.submit_quarterly(
        report, actor=request.user, summary=payload.summary, suggestions=payload.suggestions
    )
