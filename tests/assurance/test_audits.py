"""The quarterly audit (CB-2/CB-4): 20% of the quarter's records, completeness rules per job
type (each rule tested), the auditor confirms (→ 整改) or overrides each finding."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from anxin.api.base import Conflict
from anxin.assurance import audit_rules
from anxin.assurance.actions import audits
from anxin.assurance.choices import ActionState, FindingState
from anxin.assurance.models import Audit, AuditFinding, ImprovementAction
from anxin.rescue.models import (
    ComplianceReview,
    ConfirmationForm,
    FinalReview,
    JobChecklistTick,
    JobPhoto,
)

from .conftest import at, delivered_order, served_rescue

pytestmark = pytest.mark.django_db


def complete_rescue(job):
    """Give a rescue everything the audit asks for."""
    JobPhoto.objects.create(job=job, image="rescue/2026/11/x.jpg")
    for item in ("warning_sign", "belongings", "procedure"):
        JobChecklistTick.objects.create(job=job, item=item)
    ComplianceReview.objects.create(job=job, verdict="accepted")
    ConfirmationForm.objects.create(
        job=job,
        work_done="搭电启动",
        signature_svg="<svg/>",
        signed_name="张三",
        signed_at=at(2026, 11, 3),
    )
    FinalReview.objects.create(job=job, process_ok=True)
    return job


@pytest.fixture
def rescue_job(east, unit):
    return served_rescue(east, at(2026, 11, 3), unit=unit)


def codes(kind, job):
    failed, _ran, _note = audit_rules.check(kind, job)
    return {rule.code for rule, _missing in failed}


def test_a_complete_rescue_passes_every_rescue_rule(rescue_job):
    assert codes("rescue", complete_rescue(rescue_job)) == set()


@pytest.mark.parametrize(
    "remove, rule",
    [
        (lambda job: job.photos.all().delete(), "rescue.photos"),
        (lambda job: job.checklist.filter(item="belongings").delete(), "rescue.checklist"),
        (lambda job: job.transitions.filter(to_state="checked").delete(), "rescue.first_review"),
        (
            lambda job: job.compliance_reviews.update(verdict="sent_back"),
            "rescue.compliance_review",
        ),
        (
            lambda job: ConfirmationForm.objects.filter(job=job).update(signature_svg=""),
            "rescue.confirmation",
        ),
        (lambda job: ConfirmationForm.objects.filter(job=job).delete(), "rescue.confirmation"),
        (lambda job: FinalReview.objects.filter(job=job).delete(), "rescue.final_review"),
    ],
)
def test_each_rescue_rule_names_what_is_missing(rescue_job, remove, rule):
    job = complete_rescue(rescue_job)
    remove(job)
    assert codes("rescue", job) == {rule}


@pytest.fixture
def catalog():
    from anxin.workshop.models import LabourOperation, Part, Supplier

    return {
        "oil": Part.objects.create(
            code="OIL-5W30",
            name="机油 5W-30",
            system="engine",
            national_price=Decimal("300"),
            is_oil=True,
        ),
        "filter": Part.objects.create(
            code="FLT-01", name="机油滤清器", system="engine", national_price=Decimal("60")
        ),
        "supplier": Supplier.objects.create(code="SUP-1", name="安心原厂配件"),
        "oil_change": LabourOperation.objects.create(
            code="LAB-OIL",
            name="更换机油",
            system="engine",
            standard_hours=Decimal("0.5"),
            national_price=Decimal("80"),
            is_oil_change=True,
        ),
    }


def signed_inspections(order, *, skip=()):
    from anxin.people.models import Staff
    from anxin.workshop.models import ChecklistTemplate, Inspection

    staff = Staff.objects.create(
        employee_no=f"E-{order.pk}",
        name="李技师",
        phone="13900001111",
        role="technician",
        region=order.region,
    )
    for stage in ("entry", "in_process", "completion"):
        if stage in skip:
            continue
        template = ChecklistTemplate.objects.create(name=stage, stage=stage)
        Inspection.objects.create(
            work_order=order,
            stage=stage,
            template=template,
            responsible=staff,
            signed_at=at(2026, 11, 3),
            created_at=at(2026, 11, 3),
        )


def oil_order(outlet, catalog, **kw):
    from anxin.workshop.models import LabourLine, PartLine

    order = delivered_order(outlet, at(2026, 11, 3), approved_at=at(2026, 11, 2), **kw)
    PartLine.objects.create(
        work_order=order,
        part=catalog["oil"],
        unit_price=Decimal("300"),
        discount_pct=Decimal("0"),
        amount=Decimal("300"),
        batch_no="B2026",
        supplier=catalog["supplier"],
        added_at=at(2026, 11, 2),
    )
    LabourLine.objects.create(
        work_order=order,
        operation=catalog["oil_change"],
        standard_hours=Decimal("0.5"),
        unit_price=Decimal("80"),
        discount_pct=Decimal("0"),
        amount=Decimal("40"),
        added_at=at(2026, 11, 2),
    )
    return order


def test_a_complete_oil_change_passes(outlet, catalog):
    order = oil_order(outlet, catalog, oil_brand="壳牌", oil_grade="5W-30")
    signed_inspections(order)
    assert codes("workorder", order) == set()


def test_an_oil_change_must_name_brand_and_grade(outlet, catalog):
    order = oil_order(outlet, catalog, oil_brand="壳牌", oil_grade="")
    signed_inspections(order)
    failed, _ran, _ = audit_rules.check("workorder", order)
    assert [(r.code, m) for r, m in failed] == [
        ("workorder.oil_record", ["the oil change does not name the oil's grade"])
    ]


def test_oil_rule_applies_only_to_oil_changes(outlet, catalog):
    order = delivered_order(outlet, at(2026, 11, 3), approved_at=at(2026, 11, 2))
    signed_inspections(order)
    _failed, ran, _ = audit_rules.check("workorder", order)
    assert "workorder.oil_record" not in ran


def test_all_three_inspections_must_be_signed_by_a_named_person(outlet, catalog):
    order = oil_order(outlet, catalog, oil_brand="壳牌", oil_grade="5W-30")
    signed_inspections(order, skip=("in_process",))
    failed, _ran, _ = audit_rules.check("workorder", order)
    assert [r.code for r, _m in failed] == ["workorder.three_inspections"]
    order.inspections.filter(stage="entry").update(responsible=None)
    failed, _ran, _ = audit_rules.check("workorder", order)
    assert len(failed[0][1]) == 2


def test_parts_need_batch_and_supplier(outlet, catalog):
    order = oil_order(outlet, catalog, oil_brand="壳牌", oil_grade="5W-30")
    signed_inspections(order)
    order.part_lines.update(batch_no="")
    assert codes("workorder", order) == {"workorder.parts_traceable"}


def test_a_repair_needs_its_diagnosis_and_every_order_its_approval(outlet):
    order = delivered_order(outlet, at(2026, 11, 3), job_type="fault_repair")
    signed_inspections(order)
    assert codes("workorder", order) == {"workorder.diagnosis", "workorder.customer_approval"}


def test_the_workorder_rule_set_is_skipped_with_a_note_without_the_workshop(monkeypatch):
    monkeypatch.setattr("anxin.assurance.records.workorder_model", lambda: None)
    failed, ran, note = audit_rules.check("workorder", object())
    assert failed == [] and ran == [] and "skipped" in note


@pytest.fixture
def quarter(east, unit, outlet, catalog):
    """East's Q4 so far: 10 rescues (5 complete) and 10 oil changes (none names the grade)."""
    for i in range(10):
        job = served_rescue(east, at(2026, 10, 1 + i), unit=unit)
        if i % 2 == 0:
            complete_rescue(job)
    for i in range(10):
        order = oil_order(outlet, catalog, oil_brand="壳牌", oil_grade="")
        type(order).objects.filter(pk=order.pk).update(delivered_at=at(2026, 11, 1 + i))
        signed_inspections(order)


def test_the_audit_draws_twenty_percent_and_runs_the_checks_first(east, quarter, quality):
    audit = audits.draw_audit(east, "2026-Q4", seed=11, actor=quality, at=at(2027, 1, 2))
    assert audit.draw.population_size == 20 and audit.draw.sample_size == 4
    assert audit.draw.rate == "1/5"
    assert audit.records.count() == 4
    assert all(r.checked_at is not None and r.rules_run for r in audit.records.all())
    oil = AuditFinding.objects.filter(record__audit=audit, rule="workorder.oil_record")
    assert oil.count() == audit.records.filter(job_kind="workorder").count() == 2
    assert {f.state for f in AuditFinding.objects.all()} == {FindingState.PROPOSED}


def test_confirming_a_finding_opens_an_improvement_action(east, quarter, quality, manager):
    audit = audits.draw_audit(east, "2026-Q4", seed=11, actor=quality, at=at(2027, 1, 2))
    finding = AuditFinding.objects.filter(record__audit=audit).first()
    with pytest.raises(ValidationError):
        audits.confirm_finding(
            finding,
            actor=quality,
            owner=manager,
            due_date=dt.date(2027, 2, 1),
            change_plan="",
            success_measure="下季度抽查全部合格",
        )
    assert not ImprovementAction.objects.exists()
    finding.refresh_from_db()
    assert finding.state == FindingState.PROPOSED
    audits.confirm_finding(
        finding,
        actor=quality,
        owner=manager,
        due_date=dt.date(2099, 2, 1),
        change_plan="交车前核对机油品牌和型号",
        success_measure="下季度抽查全部合格",
    )
    finding.refresh_from_db()
    assert finding.state == FindingState.CONFIRMED
    action = finding.action
    assert action.source_ref == f"finding:{finding.pk}" and action.state == ActionState.OPEN
    assert action.region == east
    with pytest.raises(Conflict):
        audits.override_finding(finding, actor=quality, reason="x")


def test_overriding_needs_a_reason_and_closing_needs_every_decision(east, quarter, quality):
    audit = audits.draw_audit(east, "2026-Q4", seed=11, actor=quality, at=at(2027, 1, 2))
    findings = list(AuditFinding.objects.filter(record__audit=audit))
    with pytest.raises(ValidationError):
        audits.override_finding(findings[0], actor=quality, reason="")
    with pytest.raises(ValidationError):
        audits.close_audit(audit, actor=quality)
    for f in findings:
        audits.override_finding(f, actor=quality, reason="纸质记录已补录")
    audit = audits.close_audit(audit, actor=quality)
    assert audit.state == "closed"


def test_only_quality_staff_run_audits(east, quarter, manager):
    with pytest.raises(PermissionDenied):
        audits.draw_audit(east, "2026-Q4", actor=manager, at=at(2027, 1, 2))
    assert not Audit.objects.exists()
