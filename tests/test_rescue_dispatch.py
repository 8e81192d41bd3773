"""Proposals from the dispatch engine on real rows, and peak mode (DSP-3, DSP-5)."""

import datetime as dt

import pytest
from django.utils import timezone

from anxin.accounts.roles import Role
from anxin.network.models import RescueBase, RescueUnit, UnitDailyCheck
from anxin.people.models import Certification, Staff
from anxin.rescue import actions, peak
from anxin.rescue.proposals import proposals_for

from .conftest import make_user

LAT = 30.25
KM = 1 / 96.2  # degrees of longitude per km at 30.25°N


def lon(km: float) -> float:
    return 120.16 + km * KM


@pytest.fixture
def base_x(east, hangzhou):
    return RescueBase.objects.create(
        code="BX", name="测试基地", region=east, city=hangzhou, lat=LAT, lon=lon(0)
    )


def make_unit(base, code, at_km, *, kind="tow_truck", check=True, caps=("towing", "jump_start")):
    unit = RescueUnit.objects.create(
        code=code,
        plate=f"浙A{code[-3:]}88",
        kind=kind,
        base=base,
        capabilities=list(caps),
        last_lat=LAT,
        last_lon=lon(at_km),
        last_seen_at=timezone.now(),
    )
    if check is not None:
        UnitDailyCheck.objects.create(
            unit=unit, day=timezone.localdate(), passed=check, checked_at=timezone.now()
        )
    return unit


def checked_job(dispatcher, east, hangzhou, at_km, **extra):
    fields = dict(
        fault="flat_battery",
        needs=["jump_start"],
        lat=LAT,
        lon=lon(at_km),
        region=east,
        city=hangzhou,
        caller_phone="13812345678",
    )
    fields.update(extra)
    job = actions.create_job(actor=dispatcher, **fields)
    return actions.perform(job, "check", actor=dispatcher)


def test_the_nearest_ready_unit_leads_and_the_unready_ones_are_explained(
    dispatcher, east, hangzhou, base_x
):
    near = make_unit(base_x, "U001", 1)
    make_unit(base_x, "U002", 0.5, check=False)  # failed its daily check
    make_unit(base_x, "U003", 0.2, check=None)  # no daily check today
    make_unit(base_x, "U004", 8)
    job = checked_job(dispatcher, east, hangzhou, 0)
    result = proposals_for(job, dispatcher)
    assert result.top.unit == near
    assert [p.unit.code for p in result.proposals] == ["U001", "U004"]
    assert {r.unit.code: r.rule for r in result.rejections} == {
        "U002": "daily_check_passed",
        "U003": "daily_check_passed",
    }
    assert result.top.eta_seconds > 0 and result.top.reasons


def test_a_high_voltage_fault_goes_only_to_a_crew_with_a_valid_hv_certificate(
    dispatcher, east, hangzhou, base_x
):
    plain = make_unit(base_x, "U010", 0.5, kind="flatbed", caps=("towing", "flatbed_transport"))
    hv = make_unit(
        base_x, "U011", 5, kind="flatbed", caps=("towing", "flatbed_transport", "ev_hv_kit")
    )
    for unit, expires in ((plain, dt.date(2020, 1, 1)), (hv, dt.date(2030, 1, 1))):
        member = Staff.objects.create(
            employee_no=f"E{unit.code}",
            name="张师傅",
            phone="13900000000",
            role=Role.TECHNICIAN,
            region=east,
            base=base_x,
            unit=unit,
        )
        Certification.objects.create(
            staff=member, skill="ev_hv", issued_on=dt.date(2019, 1, 1), expires_on=expires
        )
    job = checked_job(
        dispatcher, east, hangzhou, 0, fault="hv_fault", needs=["flatbed", "hv_certified"]
    )
    result = proposals_for(job, dispatcher)
    assert [p.unit for p in result.proposals] == [hv]
    assert {r.unit: r.rule for r in result.rejections}[plain] == "hv_certified_crew"


def test_the_proposals_api_explains_each_unit(dispatcher, east, hangzhou, base_x):
    from django.test import Client

    from anxin.accounts.models import ApiToken

    make_unit(base_x, "U020", 1)
    job = checked_job(dispatcher, east, hangzhou, 0)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {ApiToken.issue(dispatcher, 't')[1]}")
    body = api.get(f"/api/v1/rescue/jobs/{job.pk}/proposals").json()
    assert body["proposals"][0]["unit_code"] == "U020"
    assert "capability_match" in body["proposals"][0]["passed_rules"]


def test_peak_mode_assigns_waiting_jobs_jointly_not_first_come_nearest(
    dispatcher, east, hangzhou, base_x, settings
):
    """U1 at 0 km, U2 at +10 km; job A (first) at +1 km, job B at -1 km. First-come-nearest
    gives A the unit at 0 and sends B 11 km; the joint plan sends U2 to A and U1 to B."""
    settings.ANXIN_PEAK_THRESHOLD = 2
    u1, u2 = make_unit(base_x, "U101", 0), make_unit(base_x, "U102", 10)
    a = checked_job(dispatcher, east, hangzhou, 1)
    b = checked_job(dispatcher, east, hangzhou, -1)
    assert proposals_for(a, dispatcher).top.unit == u1  # alone, A would take the nearest
    assert peak.plan_peaks(timezone.now()) == 2
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.peak_unit, b.peak_unit) == (u2, u1)
    for_a, for_b = proposals_for(a, dispatcher), proposals_for(b, dispatcher)
    assert for_a.top.unit == u2 and u1 not in [p.unit for p in for_a.proposals]
    assert for_b.top.unit == u1
    assert any("joint" in r or "联合" in r for r in for_a.top.reasons)


def test_below_the_threshold_no_plan_is_made(dispatcher, east, hangzhou, base_x, settings):
    settings.ANXIN_PEAK_THRESHOLD = 3
    make_unit(base_x, "U201", 0)
    job = checked_job(dispatcher, east, hangzhou, 1)
    checked_job(dispatcher, east, hangzhou, -1)
    assert peak.plan_peaks(timezone.now()) == 0
    job.refresh_from_db()
    assert job.peak_unit is None


def test_a_technician_sees_no_units_of_another_base_in_proposals(
    east, hangzhou, base_x, dispatcher
):
    make_unit(base_x, "U301", 1)
    job = checked_job(dispatcher, east, hangzhou, 0)
    other_base = RescueBase.objects.create(
        code="BY", name="另一基地", region=east, city=hangzhou, lat=LAT, lon=lon(20)
    )
    tech = make_user("tech_elsewhere", Role.TECHNICIAN, east, base=other_base)
    assert proposals_for(job, tech).proposals == []
