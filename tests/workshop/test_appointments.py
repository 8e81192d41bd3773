"""Appointments: automatic outlet assignment with reasons, the 30-minute answer, reassignment."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from anxin.api.base import Conflict
from anxin.commitments.models import Clock
from anxin.network.models import Outlet
from anxin.notifications.models import Message
from anxin.workshop import appointments as ap
from anxin.workshop.choices import AppointmentState
from anxin.workshop.models import Appointment

from .conftest import licence

A = AppointmentState
pytestmark = pytest.mark.django_db
# A customer near West Lake, Hangzhou.
HOME = {"lat": 30.262, "lon": 120.135}


@pytest.fixture
def far_ev_outlet(east, hangzhou) -> Outlet:
    outlet = Outlet.objects.create(
        code="HZ-009",
        name="杭州萧山新能源服务站",
        region=east,
        city=hangzhou,
        lat=30.17,
        lon=120.26,
        ev_high_voltage=True,
        diag_800v=True,
        body_shop=True,
        open_24h=True,
        bays=2,
    )
    licence(outlet, "ZJ-HZ-0009")
    return outlet


@pytest.fixture
def near_plain_outlet(east, hangzhou) -> Outlet:
    outlet = Outlet.objects.create(
        code="HZ-002",
        name="杭州文三路快修店",
        region=east,
        city=hangzhou,
        lat=30.263,
        lon=120.136,
        open_24h=True,
        bays=2,
    )
    licence(outlet, "ZJ-HZ-0002")
    return outlet


def book(vehicle, advisor=None, when=None, **kw):
    return ap.book_appointment(
        actor=advisor,
        vehicle=vehicle,
        contact_phone="13812345678",
        job_type=kw.pop("job_type", "fault_repair"),
        preferred_at=when or timezone.now() + dt.timedelta(days=1),
        channel="phone",
        **HOME,
        **kw,
    )


def test_booking_chooses_the_nearest_capable_outlet_and_keeps_the_reasons(
    advisor, ev, shop, near_plain_outlet, far_ev_outlet
):
    appt = book(ev, advisor)
    assert appt.number.startswith("AP") and appt.state == A.BOOKED
    assert "ev_high_voltage" in appt.needs
    assert appt.outlet == shop  # the nearest plain shop lacks EV high-voltage repair
    assignment = appt.assignment
    assert assignment.automatic and assignment.travel_seconds > 0
    by_code = {c["code"]: c for c in assignment.candidates}
    assert not by_code["HZ-002"]["eligible"]
    assert any("EV high-voltage" in r for r in by_code["HZ-002"]["reasons"])
    assert by_code["HZ-001"]["rank"] == 1 and by_code["HZ-001"]["eligible"]


def test_a_combustion_car_goes_to_the_nearest_outlet(advisor, car, shop, near_plain_outlet):
    appt = book(car, advisor)
    assert appt.outlet == near_plain_outlet


def test_an_expired_licence_blocks_assignment(advisor, car, shop, near_plain_outlet):
    near_plain_outlet.qualifications.all().delete()
    licence(near_plain_outlet, "ZJ-OLD", expired=True)
    appt = book(car, advisor)
    assert appt.outlet == shop
    reasons = {c["code"]: c["reasons"] for c in appt.assignment.candidates}
    assert any("licence" in r for r in reasons["HZ-002"])


def test_a_full_slot_sends_the_booking_to_the_next_outlet(advisor, car, shop, near_plain_outlet):
    when = timezone.now() + dt.timedelta(days=2)
    first, second = book(car, advisor, when), book(car, advisor, when)
    assert first.outlet == second.outlet == near_plain_outlet  # two bays
    third = book(car, advisor, when)
    assert third.outlet == shop
    reasons = {c["code"]: c["reasons"] for c in third.assignment.candidates}
    assert any("slot" in r for r in reasons["HZ-002"])


def test_nobody_qualifying_leaves_the_appointment_for_the_desk(advisor, car, shop):
    shop.qualifications.all().delete()
    appt = book(car, advisor)
    assert appt.outlet is None and appt.region == car.region
    assert "no outlet qualifies" in appt.assignment.reason


def test_booking_starts_the_30_minute_response_clock_and_a_response_stops_it(advisor, car, shop):
    appt = book(car, advisor)
    clock = Clock.objects.get(job_kind="appointment", job_id=str(appt.pk))
    assert clock.terms["code"] == "appointment-response" and clock.state == "running"
    ap.respond(appt, actor=advisor, kind="confirm")
    clock.refresh_from_db()
    assert clock.state == "stopped"
    appt.refresh_from_db()
    assert appt.state == A.CONFIRMED and appt.responded_at
    assert Message.objects.filter(
        job_ref=f"appointment:{appt.pk}", template__code="workshop.appointment_confirmed"
    ).exists()


def test_the_outlet_may_propose_another_slot_which_the_customer_accepts(advisor, car, shop):
    appt = book(car, advisor)
    later = timezone.now() + dt.timedelta(days=3)
    with pytest.raises(ValidationError) as err:
        ap.respond(appt, actor=advisor, kind="propose")
    assert "proposed_at" in err.value.message_dict
    appt = ap.respond(appt, actor=advisor, kind="propose", proposed_at=later)
    assert appt.state == A.PROPOSED
    appt = ap.accept_proposal(appt, public=True)
    assert appt.state == A.CONFIRMED and appt.slot_start == appt.proposed_at


def test_declining_needs_a_reason_and_reassignment_skips_the_decliner(
    advisor, manager, car, shop, near_plain_outlet
):
    appt = book(car, advisor)
    assert appt.outlet == near_plain_outlet
    from tests.conftest import make_user

    desk = make_user(
        "sa_002", "service_advisor", near_plain_outlet.region, outlet=near_plain_outlet
    )
    with pytest.raises(ValidationError):
        ap.respond(appt, actor=desk, kind="decline")
    appt = ap.respond(appt, actor=desk, kind="decline", note="举升机检修")
    assert appt.state == A.DECLINED and appt.response_note == "举升机检修"
    with pytest.raises(ValidationError):
        ap.reassign(appt, actor=manager, reason="")
    appt = ap.reassign(appt, actor=manager, reason="原网点设备检修")
    assert appt.state == A.BOOKED and appt.outlet == shop
    last = appt.assignment
    assert not last.automatic or "原网点设备检修" in last.reason
    # the new outlet must answer within 30 minutes again
    running = Clock.objects.filter(job_kind="appointment", job_id=str(appt.pk), state="running")
    assert running.count() == 1


def test_reassigning_by_hand_to_an_outlet_without_the_capability_is_refused(
    advisor, manager, ev, shop, near_plain_outlet
):
    appt = book(ev, advisor)
    with pytest.raises(ValidationError) as err:
        ap.reassign(appt, actor=manager, reason="客户要求", outlet=near_plain_outlet)
    assert "outlet" in err.value.message_dict
    assert Appointment.objects.get(pk=appt.pk).outlet == shop


def test_another_outlets_advisor_cannot_answer(advisor, car, shop, near_plain_outlet):
    appt = book(car, advisor)  # goes to the near plain outlet
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        ap.respond(appt, actor=advisor, kind="confirm")


def test_answering_twice_is_a_conflict(advisor, car, shop):
    appt = book(car, advisor)
    stale = Appointment.objects.get(pk=appt.pk)
    ap.respond(appt, actor=advisor, kind="confirm")
    with pytest.raises(Conflict):
        ap.respond(stale, actor=advisor, kind="decline", note="x")


def test_arrival_opens_the_work_order_from_the_appointment(advisor, car, shop):
    appt = book(car, advisor, description="刹车异响")
    ap.respond(appt, actor=advisor, kind="confirm")
    wo = ap.open_work_order(Appointment.objects.get(pk=appt.pk), actor=advisor, mileage_km=12000)
    assert wo.appointment == appt and wo.complaint == "刹车异响" and wo.outlet == shop
    assert Appointment.objects.get(pk=appt.pk).state == A.ARRIVED


def test_the_public_booking_finds_or_registers_the_vehicle_and_refuses_a_bad_vin(shop, east):
    with pytest.raises(ValidationError) as err:
        ap.resolve_customer_vehicle(vin="LAX1C2A3P40000203", phone="13812345670", **HOME)
    assert "vin" in err.value.message_dict
    from anxin.core.validators import make_vin

    vin = make_vin("LAX1C2A3P4", "000777")
    with pytest.raises(ValidationError) as err:
        ap.resolve_customer_vehicle(vin=vin, phone="13812345670", **HOME)
    assert {"brand", "model", "powertrain"} <= set(err.value.message_dict)
    customer, vehicle = ap.resolve_customer_vehicle(
        vin=vin,
        phone="13812345670",
        name="王女士",
        brand="安心",
        model="锐行",
        powertrain="ice",
        **HOME,
    )
    assert vehicle.owner == customer and vehicle.region == east
    appt = ap.book_appointment(
        actor=None,
        vehicle=vehicle,
        customer=customer,
        contact_phone="13812345670",
        job_type="maintenance",
        preferred_at=timezone.now() + dt.timedelta(days=1),
        channel="web",
        **HOME,
    )
    assert appt.outlet == shop and appt.created_by is None
    again = ap.resolve_customer_vehicle(vin=vin.lower(), phone="13812345670")
    assert again == (customer, vehicle)


def test_a_booking_in_the_past_or_with_a_bad_phone_is_refused(car, shop, advisor):
    with pytest.raises(ValidationError) as err:
        ap.book_appointment(
            actor=advisor,
            vehicle=car,
            contact_phone="call me",
            job_type="maintenance",
            preferred_at=timezone.now() - dt.timedelta(hours=2),
            **HOME,
        )
    assert {"contact_phone", "preferred_at"} <= set(err.value.message_dict)
    assert not Appointment.objects.exists()


def test_an_unanswered_booking_breaches_after_30_working_minutes(advisor, car, shop):
    from anxin.commitments.handlers import sweep
    from anxin.commitments.models import Breach

    monday = dt.datetime(2026, 11, 23, 10, 0, tzinfo=timezone.get_default_timezone())
    appt = book(car, advisor, when=monday + dt.timedelta(days=1), at=monday)
    sweep(monday + dt.timedelta(minutes=25))
    assert not Breach.objects.filter(job_kind="appointment", job_id=str(appt.pk)).exists()
    sweep(monday + dt.timedelta(minutes=31))
    breach = Breach.objects.get(job_kind="appointment", job_id=str(appt.pk))
    assert breach.due_at == monday + dt.timedelta(minutes=30)
    assert Message.objects.filter(template__code="sla.breach").exists()


def test_a_fleet_vehicle_goes_to_its_designated_outlet(advisor, car, shop, near_plain_outlet, east):
    from anxin.customers.models import FleetCustomer, RepairContract

    fleet = FleetCustomer.objects.create(name="杭州出租车集团", kind="ride_hailing", region=east)
    contract = RepairContract.objects.create(
        fleet=fleet,
        number="DX-TAXI",
        valid_from=timezone.localdate() - dt.timedelta(days=1),
        valid_until=timezone.localdate() + dt.timedelta(days=300),
    )
    contract.outlets.add(shop)
    car.fleet = fleet
    car.save()
    appt = book(car, advisor)
    assert appt.outlet == shop  # farther than the plain outlet, but designated
    assert any("designated" in r for r in appt.assignment.candidates[0]["reasons"])
