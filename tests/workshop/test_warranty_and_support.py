"""三包 warnings, remote expert support, the vehicle archive."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from anxin.api.base import Conflict
from anxin.commitments.models import Clock
from anxin.notifications.models import Message
from anxin.workshop import actions, expert, warranty
from anxin.workshop.archive import vehicle_timeline
from anxin.workshop.models import WarrantyWarning

from .conftest import photo_upload

pytestmark = pytest.mark.django_db


def test_the_fourth_repair_of_the_same_serious_fault_warns_once(open_order, ev, manager, advisor):
    for _n in range(3):
        open_order(ev, systems=["hv_battery"])
    assert not WarrantyWarning.objects.exists()
    fourth = open_order(ev, systems=["hv_battery"])
    warning = WarrantyWarning.objects.get()
    assert (warning.kind, warning.system, warning.value, warning.legal_line) == (
        "same_fault",
        "hv_battery",
        4,
        5,
    )
    assert warning.work_order == fourth and warning.region == fourth.region
    told = Message.objects.filter(template__code="workshop.warranty_warning")
    recipients = set(told.values_list("recipient", flat=True))
    assert advisor.staff.phone in recipients and fourth.outlet.phone in recipients
    assert told.filter(purpose__contains=f"user{manager.pk}").exists()
    count = told.count()
    open_order(ev, systems=["hv_battery"])
    assert WarrantyWarning.objects.count() == 1 and told.count() == count


def test_maintenance_and_non_serious_systems_do_not_count(open_order, ev):
    for _n in range(4):
        open_order(ev, systems=["air_conditioning"])
    for _n in range(4):
        open_order(ev, "maintenance", systems=["hv_battery"])
    assert not WarrantyWarning.objects.exists()


def test_twenty_five_cumulative_repair_days_warn(open_order, ev):
    start = timezone.now() - dt.timedelta(days=24)
    open_order(ev, at=start, systems=["drive_motor"])
    status = warranty.status(ev)
    assert status.repair_days == 25
    assert warranty.sweep(timezone.now()) == 1
    warning = WarrantyWarning.objects.get(kind="repair_days")
    assert warning.value == 25 and warning.legal_line == 35


def test_vehicles_out_of_warranty_or_in_fleets_are_not_covered(open_order, ev):
    ev.warranty_until = timezone.localdate() - dt.timedelta(days=1)
    ev.save()
    for _n in range(4):
        open_order(ev, systems=["hv_battery"])
    assert not WarrantyWarning.objects.exists()
    assert not warranty.status(ev).under_warranty


def test_an_expert_request_is_measured_against_five_minutes(open_order, ev, technician, east):
    from tests.conftest import make_user

    wo = open_order(ev)
    expert_user = make_user("expert_east", "technical_expert", east)
    with pytest.raises(ValidationError):
        expert.open_expert_request(wo, actor=technician, question="")
    at = timezone.now()
    req = expert.open_expert_request(
        wo,
        actor=technician,
        question="BMS 报绝缘故障，如何排查？",
        fault_codes=["p0aa6"],
        photos=[photo_upload()],
        at=at,
    )
    assert req.fault_codes == ["P0AA6"] and req.photos.count() == 1
    clock = Clock.objects.get(job_kind="expert_request", job_id=str(req.pk))
    assert clock.terms["code"] == "expert-response"
    assert list(expert.queue(expert_user)) == [req]
    with pytest.raises(PermissionDenied):
        expert.answer(req, actor=technician, body="我来")
    expert.answer(
        req, actor=expert_user, body="先测量各模组对地绝缘", at=at + dt.timedelta(minutes=3)
    )
    req.refresh_from_db()
    assert req.state == "answered" and req.first_response_seconds == 180
    clock.refresh_from_db()
    assert clock.state == "stopped" and clock.met is True
    expert.add_message(req, actor=technician, body="第3模组偏低")
    expert.resolve(req, actor=technician, resolution="更换第3模组")
    with pytest.raises(Conflict):
        expert.resolve(req, actor=technician, resolution="again")


def test_the_archive_lists_work_orders_rescues_parts_and_checks_on_one_timeline(
    open_order, walk, ev, advisor, east, unit
):
    from anxin.rescue.actions import create_job

    wo = walk(
        open_order(ev, high_voltage=True, fault_codes=["P0AA6"]),
        "delivered",
        lines=("L-HV-CONTACTOR",),
        parts=("P-HV-CONTACTOR",),
    )
    create_job(
        actor=None,
        fault="hv_fault",
        lat=30.25,
        lon=120.15,
        region=east,
        caller_phone="13812345678",
        vehicle=ev,
        needs=["flatbed", "hv_certified"],
    )
    kinds = {e.kind for e in vehicle_timeline(ev, advisor)}
    assert {"work_order", "rescue", "inspection", "hv_check", "part", "fault"} <= kinds
    entries = vehicle_timeline(ev, advisor)
    assert entries == sorted(entries, key=lambda e: e.at, reverse=True)
    assert any(e.number == wo.number and e.kind == "part" for e in entries)


def test_the_archive_shows_nothing_of_another_region(open_order, ev, south):
    from tests.conftest import make_user

    open_order(ev)
    stranger = make_user("sa_south", "service_advisor", south)
    assert vehicle_timeline(ev, stranger) == []


def test_actions_require_a_signed_in_user(open_order, car):
    wo = open_order(car)
    with pytest.raises(PermissionDenied):
        actions.cancel(wo, actor=None, reason="x")
