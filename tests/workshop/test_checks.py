"""三检 templates are data; a failed completion check sends the job back to work."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from anxin.notifications.models import MessageTemplate
from anxin.notifications.rules import sms_problems
from anxin.workshop import actions, checks
from anxin.workshop.choices import InspectionStage, WorkOrderState
from anxin.workshop.models import ChecklistTemplate

from .conftest import good_results, photo_upload, sign_stage

S = WorkOrderState
pytestmark = pytest.mark.django_db


def test_the_job_types_own_template_wins_over_the_general_one():
    maintenance = checks.template_for("completion", "maintenance")
    general = checks.template_for("completion", "fault_repair")
    assert maintenance.job_type == "maintenance" and general.job_type == ""
    assert any(i["code"] == "oil_level" for i in maintenance.items)


def test_an_administrator_can_require_more_by_editing_the_template(
    open_order, car, advisor, hv_tech_staff
):
    template = checks.template_for("entry", "fault_repair")
    template.items = [
        *template.items,
        {
            "code": "tyre_tread",
            "label": "轮胎花纹深度",
            "label_en": "Tyre tread depth",
            "kind": "number",
            "required": True,
            "photo_required": True,
        },
    ]
    template.save()
    wo = open_order(car)
    checks.add_inspection_photo(wo, "entry", "damage_photos", photo_upload(), actor=advisor)
    with pytest.raises(ValidationError) as err:
        checks.record_inspection(
            wo, "entry", actor=advisor, results=good_results(wo, "entry"), responsible=hv_tech_staff
        )
    assert "photos.tyre_tread" in err.value.message_dict
    # the inspection keeps the items it was opened with, whatever later edits say
    assert wo.inspections.get().items[-1]["code"] == "tyre_tread"


def test_a_failed_completion_check_blocks_delivery_until_redone(
    open_order, car, advisor, walk, hv_tech_staff
):
    wo = walk(open_order(car), S.QUALITY_CHECK)
    template = checks.template_for("completion", wo.job_type)
    for item in template.items:
        if item.get("photo_required"):
            checks.add_inspection_photo(
                wo, "completion", item["code"], photo_upload(), actor=advisor
            )
    results = good_results(wo, "completion") | {"no_leaks": "not_ok"}
    inspection = checks.record_inspection(
        wo, "completion", actor=advisor, results=results, responsible=hv_tech_staff
    )
    assert inspection.passed is False
    with pytest.raises(ValidationError) as err:
        actions.pass_check(wo, actor=advisor)
    assert "failed" in str(err.value.message_dict["requires"])
    wo = actions.fail_check(wo, actor=advisor, reason="油底壳渗油")
    assert wo.state == S.IN_WORK
    wo = actions.finish_work(wo, actor=advisor)
    sign_stage(wo, InspectionStage.COMPLETION, advisor, hv_tech_staff)
    assert actions.pass_check(wo, actor=advisor).state == S.READY


def test_a_check_cannot_be_recorded_out_of_its_stage(open_order, car, advisor, hv_tech_staff):
    wo = open_order(car)
    with pytest.raises(ValidationError) as err:
        checks.record_inspection(
            wo, "completion", actor=advisor, results={}, responsible=hv_tech_staff
        )
    assert "stage" in err.value.message_dict


def test_the_responsible_person_must_be_staff_of_the_region(open_order, car, advisor, south):
    from anxin.people.models import Staff

    outsider = Staff.objects.create(
        employee_no="GZ-1", name="外区技师", phone="13900009999", role="technician", region=south
    )
    wo = open_order(car)
    checks.add_inspection_photo(wo, "entry", "damage_photos", photo_upload(), actor=advisor)
    with pytest.raises(ValidationError) as err:
        checks.record_inspection(
            wo, "entry", actor=advisor, results=good_results(wo, "entry"), responsible=outsider
        )
    assert "responsible" in err.value.message_dict


def test_default_templates_exist_for_every_stage():
    stages = set(ChecklistTemplate.objects.filter(job_type="").values_list("stage", flat=True))
    assert stages == set(InspectionStage.values)


def test_the_workshops_sms_templates_pass_the_providers_rules():
    for template in MessageTemplate.objects.filter(code__startswith="workshop.", channel="sms"):
        assert sms_problems(template.body) == [], template.code
