"""The demo city's workshop history is coherent: what the actions would have left."""

from __future__ import annotations

import datetime as dt
import time
import zoneinfo

import pytest
from django.db import transaction

from anxin.workshop import checks
from anxin.workshop.choices import AppointmentState, WorkOrderState
from anxin.workshop.models import Appointment, WarrantyWarning, WorkOrder
from anxin.workshop.transitions import TRANSITIONS

AS_OF = dt.datetime(2026, 11, 23, 15, 30, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))
ALLOWED = {(s, t.target) for t in TRANSITIONS.values() for s in t.sources}


@pytest.fixture(scope="module")
def city(django_db_setup, django_db_blocker):
    from anxin.demo.builder import build

    with django_db_blocker.unblock(), transaction.atomic():
        started = time.monotonic()
        counts = build(seed=7, as_of=AS_OF)
        elapsed = time.monotonic() - started
        yield counts, elapsed
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_the_demo_has_work_orders_in_every_state_and_appointments_in_every_answer(city):
    counts, _elapsed = city
    assert counts["workshop.workorder"] >= 80
    states = set(WorkOrder.objects.values_list("state", flat=True))
    assert states == set(WorkOrderState.values)
    answers = set(Appointment.objects.values_list("state", flat=True))
    assert answers == set(AppointmentState.values)


@pytest.mark.django_db
def test_every_demo_work_order_moved_along_the_table_and_delivered_ones_have_their_checks(city):
    for wo in WorkOrder.objects.prefetch_related("transitions"):
        rows = [(t.from_state, t.to_state) for t in wo.transitions.all()]
        assert rows[0] == ("", "reception") and rows[-1][1] == wo.state, wo.number
        assert all(pair in ALLOWED for pair in rows[1:]), (wo.number, rows)
        assert all(t.at <= AS_OF for t in wo.transitions.all())
        if wo.state in ("delivered", "settled"):
            assert not checks.three_checks_missing(wo), wo.number
            assert all(p.batch_no and p.supplier_id for p in wo.part_lines.all())
            if wo.needs_oil_record:
                assert wo.oil_brand and wo.oil_grade
            if wo.high_voltage:
                assert wo.hv_checks.exists()


@pytest.mark.django_db
def test_the_demo_has_a_rework_and_a_warranty_warning(city):
    rework = WorkOrder.objects.filter(rework_of__isnull=False).first()
    assert rework is not None and rework.rework_system
    assert rework.rework_of.vehicle_id == rework.vehicle_id
    warning = WarrantyWarning.objects.get(kind="same_fault", system="hv_battery")
    assert warning.value >= 4 and warning.legal_line == 5


@pytest.mark.django_db
def test_some_operations_overrun_their_standard_time_by_more_than_twenty_percent(city):
    from anxin.workshop.models import LabourLine

    finished = [ln for ln in LabourLine.objects.filter(actual_hours__isnull=False)]
    over = [ln for ln in finished if ln.overrun_pct is not None and ln.overrun_pct > 20]
    assert finished and 0 < len(over) < len(finished) / 2


@pytest.mark.django_db
def test_the_workshop_step_keeps_the_build_fast(city):
    _counts, elapsed = city
    assert elapsed < 120  # the whole city, workshop included, on a shared 2-core machine


@pytest.mark.django_db
def test_demo_appointments_carry_the_response_clocks_live_bookings_would_have(city):
    from anxin.commitments.api import clocks_for
    from anxin.commitments.choices import ClockState
    from anxin.commitments.models import Clock

    booked = list(Appointment.objects.filter(state=AppointmentState.BOOKED))
    assert len(booked) >= 3
    for appt in booked:
        clock = Clock.objects.get(job_kind="appointment", job_id=str(appt.pk))
        assert clock.state == ClockState.RUNNING
        assert clock.commitment.code == "appointment-response"
        assert clock.started_at == appt.created_at and clock.due_at > clock.started_at
        assert clocks_for("appointment", appt.pk)  # what the clock panel shows
    answered = Appointment.objects.filter(responded_at__isnull=False)
    assert answered.count() > 50
    outcomes = set()
    for appt in answered:
        clock = Clock.objects.filter(
            job_kind="appointment", job_id=str(appt.pk), commitment__code="appointment-response"
        ).get()
        assert clock.state == ClockState.STOPPED and clock.stopped_at == appt.responded_at
        assert clock.met == (appt.responded_at <= clock.due_at)
        outcomes.add(clock.met)
    assert True in outcomes
    requests = Clock.objects.filter(job_kind="expert_request")
    assert requests.count() >= 1 and not requests.filter(state=ClockState.RUNNING).exists()


@pytest.mark.django_db
def test_demo_inspection_photos_are_real_images_on_the_storage(city):
    from django.core.files.storage import default_storage
    from PIL import Image

    from anxin.workshop.models import InspectionPhoto

    photos = list(InspectionPhoto.objects.all())
    assert len(photos) > 50
    names = {p.image.name for p in photos}
    for name in names:
        assert default_storage.exists(name), name
        with default_storage.open(name, "rb") as stored:
            image = Image.open(stored)
            image.verify()
        assert image.size == (320, 240)
