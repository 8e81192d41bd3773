"""Work orders: the transition table, three checks, HV safety, lines, rework, 三包, signal."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from anxin.api.base import Conflict
from anxin.core.events import job_state_changed
from anxin.workshop import actions, checks, safety
from anxin.workshop.choices import InspectionStage, WorkOrderState
from anxin.workshop.models import WorkOrder, WorkOrderTransition

from .conftest import sign_stage

S = WorkOrderState
pytestmark = pytest.mark.django_db


def test_a_work_order_walks_from_reception_to_settlement_with_every_step_stored(
    open_order, walk, car
):
    wo = open_order(car)
    assert wo.number.startswith("WO") and wo.state == S.RECEPTION
    assert wo.region_id == wo.outlet.region_id
    wo = walk(wo, S.SETTLED, lines=("L-BRK-PAD-F",), parts=("P-BRK-PAD-F",))
    states = list(wo.transitions.values_list("to_state", flat=True))
    assert states == [
        "reception",
        "diagnosis",
        "quotation",
        "approval",
        "approved",
        "in_work",
        "quality_check",
        "ready",
        "delivered",
        "settled",
    ]
    assert wo.delivered_at and wo.settled_at and wo.approved_at and wo.work_started_at
    assert wo.total_amount == Decimal("570.00")  # 150 labour + 420 pads, national prices
    assert wo.paid_amount == wo.customer_amount == Decimal("570.00")


def test_every_transition_sends_job_state_changed_with_the_saved_work_order(open_order, walk, car):
    seen = []

    def listen(sender, **kw):
        seen.append((kw["kind"], kw["state"], kw["previous"], kw["job"].state))

    job_state_changed.connect(listen)
    try:
        walk(open_order(car), S.DELIVERED)
    finally:
        job_state_changed.disconnect(listen)
    assert seen[-1] == ("workorder", "delivered", "ready", "delivered")
    assert all(kind == "workorder" and state == saved for kind, state, _p, saved in seen)
    assert len(seen) == 8


def test_a_quote_approved_twice_is_a_conflict_and_changes_nothing(open_order, walk, car, advisor):
    wo = walk(open_order(car), S.APPROVAL)
    actions.approve_quote(wo, actor=advisor, signer_name="刘先生")
    stale = WorkOrder.objects.get(pk=wo.pk)
    count = WorkOrderTransition.objects.count()
    with pytest.raises(Conflict):
        actions.approve_quote(stale, actor=advisor, signer_name="刘先生")
    with pytest.raises(Conflict):
        actions.approve_quote(wo, actor=advisor, signer_name="刘先生")  # the old instance
    assert WorkOrderTransition.objects.count() == count


def test_the_customer_approves_by_the_personal_link_but_not_an_old_quote_version(
    open_order, walk, car
):
    wo = walk(open_order(car), S.APPROVAL)
    with pytest.raises(Conflict):
        actions.approve_by_token(wo.quote_token, signer_name="刘先生", quote_version=99)
    done = actions.approve_by_token(
        wo.quote_token, signer_name="刘先生", quote_version=wo.quote_version
    )
    assert done.state == S.APPROVED and done.approved_via == "link"
    assert done.transitions.last().actor_label == "customer"
    with pytest.raises(ValidationError) as err:
        actions.approve_by_token("not-a-token", signer_name="x")
    assert "token" in err.value.message_dict


def test_an_expired_quote_link_is_refused(open_order, walk, car):
    wo = walk(open_order(car), S.APPROVAL)
    later = timezone.now() + dt.timedelta(days=8)
    with pytest.raises(ValidationError) as err:
        actions.approve_by_token(wo.quote_token, signer_name="刘先生", at=later)
    assert "expired" in str(err.value.message_dict["token"])


def test_a_part_not_in_the_catalog_is_refused_with_the_field_named(open_order, car, advisor, walk):
    wo = walk(open_order(car), S.DIAGNOSIS)
    with pytest.raises(ValidationError) as err:
        actions.add_part_line(wo, "P-NOT-THERE", actor=advisor)
    assert "part" in err.value.message_dict
    assert not wo.part_lines.exists()


def test_lines_copy_the_national_price_and_standard_hours(open_order, car, advisor, walk):
    wo = walk(open_order(car), S.DIAGNOSIS)
    line = actions.add_labour_line(wo, "L-BRK-DISC-F", actor=advisor)
    part = actions.add_part_line(wo, "P-BRK-DISC-F", actor=advisor, quantity=2)
    assert line.standard_hours == Decimal("1.20") and line.unit_price == Decimal("220.00")
    assert part.amount == Decimal("1120.00")
    wo.refresh_from_db()
    assert wo.total_amount == Decimal("1340.00") and "brakes" in wo.systems


def test_lines_cannot_be_added_after_the_quote_was_sent(open_order, car, advisor, walk):
    wo = walk(open_order(car), S.APPROVAL)
    with pytest.raises(ValidationError) as err:
        actions.add_labour_line(wo, "L-DIAG", actor=advisor)
    assert "state" in err.value.message_dict


def test_delivery_before_the_completion_check_is_refused(open_order, walk, car, advisor):
    wo = walk(open_order(car), S.IN_WORK)
    with pytest.raises(Conflict):
        actions.deliver(wo, actor=advisor)
    wo = walk(wo, S.QUALITY_CHECK)
    with pytest.raises(Conflict):
        actions.deliver(wo, actor=advisor)
    with pytest.raises(ValidationError) as err:
        actions.pass_check(wo, actor=advisor)
    assert "completion inspection" in str(err.value.message_dict["requires"]).lower()
    assert WorkOrder.objects.get(pk=wo.pk).state == S.QUALITY_CHECK


def test_a_checklist_with_a_missing_required_photo_is_refused(
    open_order, car, advisor, hv_tech_staff
):
    wo = open_order(car)
    from .conftest import good_results

    with pytest.raises(ValidationError) as err:
        checks.record_inspection(
            wo,
            InspectionStage.ENTRY,
            actor=advisor,
            results=good_results(wo, "entry"),
            responsible=hv_tech_staff,
        )
    assert "photos.damage_photos" in err.value.message_dict
    assert wo.inspections.get().signed_at is None
    with pytest.raises(ValidationError):
        actions.start_diagnosis(wo, actor=advisor)


def test_a_check_names_its_responsible_person_and_required_values(
    open_order, car, advisor, hv_tech_staff
):
    wo = open_order(car)
    from .conftest import photo_upload

    checks.add_inspection_photo(wo, "entry", "damage_photos", photo_upload(), actor=advisor)
    with pytest.raises(ValidationError) as err:
        checks.record_inspection(
            wo, "entry", actor=advisor, results={"exterior": True}, responsible=None
        )
    assert {"responsible", "results.mileage", "results.fuel_charge"} <= set(err.value.message_dict)
    with pytest.raises(ValidationError) as err:
        checks.record_inspection(
            wo, "entry", actor=advisor, results={"mileage": "many"}, responsible=hv_tech_staff
        )
    assert "results.mileage" in err.value.message_dict


def test_an_oil_change_must_name_brand_and_grade_before_work_can_finish(
    open_order, car, advisor, walk, hv_tech_staff
):
    wo = walk(
        open_order(car, "maintenance"),
        S.IN_WORK,
        lines=("L-OIL-CHANGE",),
        parts=("P-OIL-0W20", "P-FLT-OIL"),
    )
    for line in wo.labour_lines.all():
        actions.finish_operation(line, actor=advisor, actual_hours="0.6")
    for line in wo.part_lines.all():
        actions.record_part_fitted(line, actor=advisor, batch_no="B1", supplier="SUP-CASTROL")
    sign_stage(wo, "in_process", advisor, hv_tech_staff)
    with pytest.raises(ValidationError) as err:
        actions.finish_work(wo, actor=advisor)
    assert "oil" in str(err.value.message_dict["requires"])
    with pytest.raises(ValidationError) as err:
        actions.record_oil(wo, actor=advisor, brand="嘉实多", grade="")
    assert "oil_grade" in err.value.message_dict
    wo = actions.record_oil(wo, actor=advisor, brand="嘉实多 极护", grade="0W-20")
    assert actions.finish_work(wo, actor=advisor).state == S.QUALITY_CHECK


def test_parts_need_batch_and_supplier_before_the_work_is_finished(
    open_order, car, advisor, walk, hv_tech_staff
):
    wo = walk(open_order(car), S.IN_WORK, parts=("P-BRK-PAD-F",))
    for line in wo.labour_lines.all():
        actions.finish_operation(line, actor=advisor, actual_hours="1")
    sign_stage(wo, "in_process", advisor, hv_tech_staff)
    with pytest.raises(ValidationError) as err:
        actions.finish_work(wo, actor=advisor)
    assert "batch and supplier" in str(err.value.message_dict["requires"])


def test_standard_and_actual_time_are_recorded_per_operation(open_order, car, advisor, walk):
    wo = walk(open_order(car), S.IN_WORK, lines=("L-BRK-PAD-F", "L-BRK-FLUID"))
    first, second = wo.labour_lines.order_by("pk")
    start = timezone.now()
    actions.start_operation(first, actor=advisor, at=start)
    done = actions.finish_operation(first, actor=advisor, at=start + dt.timedelta(minutes=60))
    assert done.actual_hours == Decimal("1.00") and done.standard_hours == Decimal("0.80")
    assert done.overrun_pct == Decimal("25")
    with pytest.raises(Conflict):
        actions.finish_operation(done, actor=advisor)
    with pytest.raises(ValidationError):
        actions.finish_operation(second, actor=advisor)  # never started, no hours given


def test_hv_work_cannot_start_without_the_discharge_check(
    open_order, ev, advisor, walk, plain_staff, hv_tech_staff
):
    wo = walk(open_order(ev, high_voltage=True), S.APPROVED, lines=("L-HV-CONTACTOR",))
    with pytest.raises(ValidationError) as err:
        actions.start_work(wo, actor=advisor)
    assert "discharge" in str(err.value.message_dict["requires"])
    with pytest.raises(ValidationError) as err:
        safety.record_hv_check(
            wo,
            actor=advisor,
            technician=plain_staff,
            discharged=True,
            residual_voltage=2,
            insulation_mohm=500,
        )
    assert "HV" in str(err.value.message_dict["technician"])
    with pytest.raises(ValidationError) as err:
        safety.record_hv_check(
            wo,
            actor=advisor,
            technician=hv_tech_staff,
            discharged=True,
            residual_voltage=120,
            insulation_mohm="0.01",
        )
    assert {"residual_voltage", "insulation_mohm"} <= set(err.value.message_dict)
    assert not wo.hv_checks.exists()
    check = safety.record_hv_check(
        wo,
        actor=advisor,
        technician=hv_tech_staff,
        discharged=True,
        residual_voltage=2,
        insulation_mohm=500,
    )
    assert check.certification.certificate_no == "HV-2026-001"
    assert actions.start_work(wo, actor=advisor).state == S.IN_WORK


def test_an_hv_labour_line_marks_the_job_high_voltage(open_order, ev, advisor, walk):
    wo = walk(open_order(ev), S.DIAGNOSIS)
    actions.add_labour_line(wo, "L-HV-MODULE", actor=advisor)
    wo.refresh_from_db()
    assert wo.high_voltage


def test_an_expired_hv_certificate_does_not_count(open_order, ev, advisor, walk, hv_tech_staff):
    hv_tech_staff.certifications.update(expires_on=timezone.localdate() - dt.timedelta(days=1))
    wo = walk(open_order(ev, high_voltage=True), S.APPROVED, lines=("L-HV-CONTACTOR",))
    with pytest.raises(ValidationError):
        safety.record_hv_check(
            wo,
            actor=advisor,
            technician=hv_tech_staff,
            discharged=True,
            residual_voltage=2,
            insulation_mohm=500,
        )


def test_cancellation_needs_a_reason(open_order, car, advisor):
    wo = open_order(car)
    with pytest.raises(ValidationError) as err:
        actions.cancel(wo, actor=advisor, reason=" ")
    assert "reason" in err.value.message_dict
    done = actions.cancel(wo, actor=advisor, reason="客户改约")
    assert done.state == S.CANCELLED and done.cancel_reason == "客户改约" and done.cancelled_at


def test_a_stale_writer_gets_a_conflict(open_order, car, advisor):
    wo = open_order(car)
    stale = WorkOrder.objects.get(pk=wo.pk)
    actions.update_details(wo, actor=advisor, diagnosis="A")
    with pytest.raises(Conflict):
        actions.update_details(stale, actor=advisor, diagnosis="B")
    assert WorkOrder.objects.get(pk=wo.pk).diagnosis == "A"


def test_a_technician_may_not_send_the_quote_and_other_regions_may_not_touch(
    open_order, car, technician, walk, south
):
    from tests.conftest import make_user

    wo = walk(open_order(car), S.QUOTATION)
    with pytest.raises(PermissionDenied):
        actions.send_quote(wo, actor=technician)
    stranger = make_user("sa_south", "service_advisor", south)
    with pytest.raises(PermissionDenied):
        actions.cancel(wo, actor=stranger, reason="x")


def test_fleet_customers_get_their_contract_terms(east, shop, advisor, car, customer):
    from anxin.customers.models import FleetCustomer, RepairContract

    fleet = FleetCustomer.objects.create(name="杭州市公务用车中心", kind="government", region=east)
    contract = RepairContract.objects.create(
        fleet=fleet,
        number="DX-2026-01",
        valid_from=timezone.localdate() - dt.timedelta(days=10),
        valid_until=timezone.localdate() + dt.timedelta(days=300),
        labour_discount_pct=Decimal("10"),
        parts_discount_pct=Decimal("5"),
        payment_terms_days=45,
    )
    contract.outlets.add(shop)
    car.fleet = fleet
    car.save()
    wo = actions.create_work_order(
        actor=advisor, outlet=shop, customer=customer, vehicle=car, job_type="fault_repair"
    )
    assert wo.contract == contract and wo.payment_terms_days == 45
    sign_stage(wo, "entry", advisor, advisor.staff)
    wo = actions.start_diagnosis(wo, actor=advisor)
    line = actions.add_labour_line(wo, "L-BRK-PAD-F", actor=advisor)
    part = actions.add_part_line(wo, "P-BRK-PAD-F", actor=advisor)
    assert line.charge_to == "contract" and line.amount == Decimal("135.00")
    assert part.amount == Decimal("399.00")
    wo.refresh_from_db()
    assert wo.customer_amount == Decimal("0.00") and wo.total_amount == Decimal("534.00")


def test_free_warranty_repairs_are_charged_to_the_warranty(open_order, ev, advisor, walk):
    wo = walk(open_order(ev, "warranty_repair", warranty_cover="free"), S.DIAGNOSIS)
    line = actions.add_part_line(wo, "P-HV-BMS", actor=advisor)
    assert line.charge_to == "warranty" and line.warranty_months == 24
    wo.refresh_from_db()
    assert wo.customer_amount == 0 and wo.total_amount == Decimal("3200.00")


def test_a_warranty_repair_must_say_free_or_paid(open_order, ev):
    with pytest.raises(ValidationError) as err:
        open_order(ev, "warranty_repair")
    assert "warranty_cover" in err.value.message_dict


def test_the_same_system_back_within_the_window_is_rework_of_the_first_job(
    open_order, car, advisor, walk
):
    first = walk(open_order(car), S.DELIVERED)
    second = open_order(car, systems=["brakes"])
    assert second.rework_of == first and second.rework_system == "brakes"
    second = walk(second, S.DELIVERED)
    third = walk(open_order(car), S.DIAGNOSIS)
    assert third.rework_of is None
    actions.add_labour_line(third, "L-BRK-FLUID", actor=advisor)
    third.refresh_from_db()
    assert third.rework_of == first  # linked to the chain's first job


def test_another_system_or_an_old_job_is_not_rework(open_order, car, walk):
    first = walk(open_order(car), S.DELIVERED)
    other = open_order(car, systems=["air_conditioning"])
    assert other.rework_of is None
    WorkOrder.objects.filter(pk=first.pk).update(
        delivered_at=timezone.now() - dt.timedelta(days=31)
    )
    late = open_order(car, systems=["brakes"])
    assert late.rework_of is None


def test_the_electronic_work_order_has_everything(open_order, ev, walk):
    from anxin.workshop.ework import ework_data

    wo = walk(
        open_order(ev, high_voltage=True),
        S.DELIVERED,
        lines=("L-HV-MODULE",),
        parts=("P-HV-MODULE",),
    )
    data = ework_data(wo)
    assert data["verification_code"] == wo.verification_code and len(wo.verification_code) == 10
    assert data["outlet"]["licence_number"] == "ZJ-HZ-0001"
    part = data["parts"][0]
    assert part["batch_no"] == "B2026-11-01" and part["supplier"] and part["warranty"] == "2年"
    assert [i["complete"] for i in data["inspections"]] == [True, True, True]
    assert data["hv_check"]["certificate_no"] == "HV-2026-001"
    assert data["costs"]["total"] == Decimal("8000.00")


def test_delivery_queues_the_pdf_rendering_for_the_worker(open_order, car, walk):
    from anxin.worker.models import Job

    wo = walk(open_order(car), S.DELIVERED)
    assert Job.objects.filter(kind="workshop.render_ework", payload__work_order_id=wo.pk).exists()


def test_settlement_must_match_what_the_customer_owes(open_order, car, walk, advisor):
    wo = walk(open_order(car), S.DELIVERED)
    with pytest.raises(ValidationError) as err:
        actions.settle(wo, actor=advisor, paid_amount="1", payment_method="cash")
    assert "paid_amount" in err.value.message_dict


def test_every_change_of_a_work_order_is_in_the_verified_change_log(open_order, walk, car):
    import json

    from anxin.audit.changelog import verify
    from anxin.audit.models import ChangeLogEntry

    wo = walk(open_order(car), S.SETTLED)
    states = [
        json.loads(e.after).get("state")
        for e in ChangeLogEntry.objects.filter(
            model="workshop.workorder", object_pk=str(wo.pk)
        ).order_by("seq")
    ]
    assert states[0] == "reception" and states[-1] == "settled"
    assert {"approval", "in_work", "delivered"} <= set(states)
    lines = ChangeLogEntry.objects.filter(model="workshop.labourline", action="update")
    assert lines.exists()  # the operation's actual time
    assert verify().ok
