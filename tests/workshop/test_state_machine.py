"""Random sequences of work-order steps keep the invariants (hypothesis).

Whatever order a service advisor clicks in, a refused step changes nothing, the stored
transitions follow the table, and a delivered work order has its three checks, its HV check
(on HV jobs) and traced parts.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anxin.api.base import Conflict
from anxin.workshop import actions, checks, safety
from anxin.workshop.choices import WorkOrderState
from anxin.workshop.models import WorkOrder
from anxin.workshop.transitions import TRANSITIONS

from .conftest import good_results, photo_upload

S = WorkOrderState
pytestmark = pytest.mark.django_db
EXPECTED = (ValidationError, Conflict, PermissionDenied)
STEPS = [
    "entry",
    "diagnose",
    "labour",
    "part",
    "hv_line",
    "quote",
    "send",
    "approve",
    "reject",
    "hv_check",
    "start",
    "operations",
    "fit_parts",
    "oil",
    "in_process",
    "finish",
    "completion",
    "pass",
    "fail",
    "deliver",
    "settle",
    "cancel",
]
ALLOWED = {(s, t.target) for t in TRANSITIONS.values() for s in t.sources}


def run(step: str, wo: WorkOrder, advisor, staff) -> None:
    def sign(stage: str) -> None:
        template = checks.template_for(stage, wo.job_type)
        for item in template.items:
            if item.get("photo_required"):
                checks.add_inspection_photo(wo, stage, item["code"], photo_upload(), actor=advisor)
        checks.record_inspection(
            wo, stage, actor=advisor, results=good_results(wo, stage), responsible=staff
        )

    match step:
        case "entry":
            sign("entry")
        case "in_process":
            sign("in_process")
        case "completion":
            sign("completion")
        case "diagnose":
            actions.start_diagnosis(wo, actor=advisor)
        case "labour":
            actions.add_labour_line(wo, "L-OIL-CHANGE", actor=advisor)
        case "part":
            actions.add_part_line(wo, "P-FLT-OIL", actor=advisor)
        case "hv_line":
            actions.add_labour_line(wo, "L-HV-CONTACTOR", actor=advisor)
        case "quote":
            actions.prepare_quote(wo, actor=advisor, diagnosis="保养到期")
        case "send":
            actions.send_quote(wo, actor=advisor)
        case "approve":
            actions.approve_quote(wo, actor=advisor, signer_name="刘先生")
        case "reject":
            actions.reject_quote(wo, actor=advisor, reason="价格")
        case "hv_check":
            safety.record_hv_check(
                wo,
                actor=advisor,
                technician=staff,
                discharged=True,
                residual_voltage=1,
                insulation_mohm=600,
            )
        case "start":
            actions.start_work(wo, actor=advisor)
        case "operations":
            for line in wo.labour_lines.filter(finished_at__isnull=True):
                actions.finish_operation(line, actor=advisor, actual_hours="0.5")
        case "fit_parts":
            for line in wo.part_lines.all():
                actions.record_part_fitted(line, actor=advisor, batch_no="B1", supplier="SUP-OEM")
        case "oil":
            actions.record_oil(wo, actor=advisor, brand="嘉实多", grade="0W-20")
        case "finish":
            actions.finish_work(wo, actor=advisor)
        case "pass":
            actions.pass_check(wo, actor=advisor)
        case "fail":
            actions.fail_check(wo, actor=advisor, reason="异响未消除")
        case "deliver":
            actions.deliver(wo, actor=advisor)
        case "settle":
            actions.settle(wo, actor=advisor, paid_amount=wo.customer_amount, payment_method="cash")
        case "cancel":
            actions.cancel(wo, actor=advisor, reason="客户取消")


def check_invariants(wo: WorkOrder) -> None:
    rows = list(wo.transitions.order_by("at", "pk").values_list("from_state", "to_state"))
    assert rows[0] == ("", S.RECEPTION)
    assert rows[-1][1] == wo.state
    for (_a, b), (c, d) in zip(rows, rows[1:], strict=False):
        assert b == c and (c, d) in ALLOWED
    lines = [x.amount for x in wo.labour_lines.all()] + [x.amount for x in wo.part_lines.all()]
    assert wo.total_amount == sum(lines, Decimal("0"))
    reached = {to for _f, to in rows}
    if S.DELIVERED in reached:
        assert not checks.three_checks_missing(wo)
        assert all(p.batch_no and p.supplier_id for p in wo.part_lines.all())
        assert wo.delivered_at is not None
    if S.IN_WORK in reached and wo.high_voltage:
        assert wo.hv_checks.exists()
    if wo.needs_oil_record and S.QUALITY_CHECK in reached:
        assert wo.oil_brand and wo.oil_grade
    if wo.state == S.SETTLED:
        assert wo.paid_amount == wo.customer_amount


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(st.sampled_from(STEPS), min_size=1, max_size=40), ev_job=st.booleans())
def test_random_step_sequences_keep_the_invariants(
    steps, ev_job, open_order, ev, car, advisor, hv_tech_staff
):
    with transaction.atomic():
        wo = open_order(ev if ev_job else car)
        for step in steps:
            wo.refresh_from_db()
            before = (wo.state, wo.version, wo.transitions.count())
            try:
                with transaction.atomic():
                    run(step, wo, advisor, hv_tech_staff)
            except EXPECTED:
                wo.refresh_from_db()
                assert (wo.state, wo.version, wo.transitions.count()) == before, step
            wo.refresh_from_db()
            check_invariants(wo)
        transaction.set_rollback(True)


def test_the_happy_sequence_reaches_settled_through_the_same_steps(
    open_order, ev, advisor, hv_tech_staff
):
    wo = open_order(ev)
    happy = [
        "entry",
        "diagnose",
        "labour",
        "part",
        "hv_line",
        "quote",
        "send",
        "approve",
        "hv_check",
        "start",
        "operations",
        "fit_parts",
        "oil",
        "in_process",
        "finish",
        "completion",
        "pass",
        "deliver",
        "settle",
    ]
    for step in happy:
        wo.refresh_from_db()
        run(step, wo, advisor, hv_tech_staff)
    wo.refresh_from_db()
    assert wo.state == S.SETTLED
    check_invariants(wo)
