"""A rescue job from intake to final review, through the one transition table (RSC-1)."""

import datetime as dt
import json

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from anxin.accounts.models import ApiToken
from anxin.accounts.roles import Role
from anxin.api.base import Conflict
from anxin.commitments.models import Clock
from anxin.core.validators import make_vin
from anxin.customers.models import Customer, Vehicle
from anxin.network.models import RescueUnit, UnitPosition
from anxin.rescue import actions
from anxin.rescue.models import (
    ComplianceReview,
    ConfirmationForm,
    JobChecklistTick,
    JobTransition,
    RescueJob,
)

from .conftest import make_user

T0 = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture
def ev(east, hangzhou):
    owner = Customer.objects.create(name="赵六", phone="13712345678", region=east, city=hangzhou)
    return Vehicle.objects.create(
        vin=make_vin("LGXCE4CB0P", "000111"),
        brand="比亚迪",
        model="汉",
        powertrain="bev",
        region=east,
        owner=owner,
    )


def new_job(dispatcher, east, hangzhou, **extra):
    fields = dict(
        fault="flat_battery",
        needs=["jump_start"],
        lat=30.25,
        lon=120.16,
        region=east,
        city=hangzhou,
        caller_phone="13812345678",
        caller_name="李四",
    )
    fields.update(extra)
    with time_machine.travel(T0, tick=False):
        return actions.create_job(actor=dispatcher, at=T0, **fields)


def test_intake_stores_the_call_and_starts_the_clocks(dispatcher, east, hangzhou):
    job = new_job(dispatcher, east, hangzhou)
    assert job.number == "RS20261123-0001" and job.state == "created"
    assert list(job.transitions.values_list("to_state", flat=True)) == ["created"]
    names = set(
        Clock.objects.filter(job_kind="rescue", job_id=str(job.pk)).values_list(
            "commitment__code", flat=True
        )
    )
    assert {"rescue-response", "rescue-progress-update"} <= names


def test_first_review_refuses_an_ev_without_a_flatbed_and_says_what_is_missing(
    dispatcher, east, hangzhou, ev
):
    job = new_job(dispatcher, east, hangzhou, fault="breakdown", needs=["towing"], vehicle=ev)
    with pytest.raises(ValidationError) as err:
        actions.perform(job, "check", actor=dispatcher)
    assert "flatbed" in str(err.value)
    job.refresh_from_db()
    assert job.state == "created" and job.transitions.count() == 1


def test_an_incomplete_request_is_sent_back_with_the_reason(dispatcher, east, hangzhou):
    job = new_job(dispatcher, east, hangzhou)
    with pytest.raises(ValidationError):
        actions.perform(job, "send_back", actor=dispatcher)
    job = actions.perform(
        job,
        "send_back",
        actor=dispatcher,
        reason="请确认具体位置",
        fields={"missing_info": "请确认具体位置"},
    )
    assert job.state == "returned" and job.missing_info == "请确认具体位置"


def test_two_dispatchers_sending_the_same_unit_one_wins_the_other_gets_409(
    dispatcher, east, hangzhou, unit
):
    second = make_user("dispatcher_2", Role.DISPATCHER, east)
    a = actions.perform(new_job(dispatcher, east, hangzhou), "check", actor=dispatcher)
    b = actions.perform(new_job(dispatcher, east, hangzhou), "check", actor=dispatcher)
    actions.dispatch(a, unit, actor=dispatcher, eta_seconds=600)
    with pytest.raises(Conflict) as err:
        actions.dispatch(b, RescueUnit.objects.get(pk=unit.pk), actor=second, eta_seconds=300)
    assert err.value.current["unit_status"] == "assigned"
    b.refresh_from_db()
    assert b.state == "checked" and b.unit_id is None


def test_the_same_job_dispatched_twice_at_once_conflicts(dispatcher, east, hangzhou, unit, base):
    other = RescueUnit.objects.create(code="T09", plate="浙A99999", kind="tow_truck", base=base)
    job = actions.perform(new_job(dispatcher, east, hangzhou), "check", actor=dispatcher)
    stale = RescueJob.objects.get(pk=job.pk)
    actions.dispatch(job, unit, actor=dispatcher)
    with pytest.raises(Conflict):
        actions.dispatch(stale, other, actor=dispatcher)
    other.refresh_from_db()
    assert other.status == "available"  # the loser's unit claim rolled back


def test_choosing_another_unit_than_proposed_needs_a_reason(dispatcher, east, hangzhou, unit):
    job = actions.perform(new_job(dispatcher, east, hangzhou), "check", actor=dispatcher)
    with pytest.raises(ValidationError):
        actions.dispatch(job, unit, actor=dispatcher, recommended_unit_id=unit.pk + 100)
    unit.refresh_from_db()
    assert unit.status == "available"
    job = actions.dispatch(
        job, unit, actor=dispatcher, recommended_unit_id=unit.pk + 100, override_reason="客户指定"
    )
    assert job.override_reason == "客户指定"


def test_only_the_crew_of_the_unit_may_accept(dispatcher, east, hangzhou, unit, crew, other_tech):
    job = actions.dispatch(
        actions.perform(new_job(dispatcher, east, hangzhou), "check", actor=dispatcher),
        unit,
        actor=dispatcher,
    )
    with pytest.raises(PermissionDenied):
        actions.perform(job, "accept", actor=other_tech)
    assert actions.perform(job, "accept", actor=crew).state == "accepted"


def test_a_transition_out_of_order_is_refused_and_nothing_changes(dispatcher, east, hangzhou):
    job = new_job(dispatcher, east, hangzhou)
    with pytest.raises(Conflict):
        actions.perform(job, "arrive", actor=dispatcher)
    job.refresh_from_db()
    assert job.state == "created" and job.version == 1


def test_a_whole_rescue_and_its_response_time(
    dispatcher, east, hangzhou, unit, crew, service, manager
):
    job = new_job(dispatcher, east, hangzhou)
    minutes = iter(range(1, 100))

    def step(name, actor, **kw):
        nonlocal job
        job = actions.perform(
            job, name, actor=actor, at=T0 + dt.timedelta(minutes=next(minutes)), **kw
        )

    step("check", dispatcher)
    job = actions.dispatch(
        job, unit, actor=dispatcher, at=T0 + dt.timedelta(minutes=2), eta_seconds=600
    )
    for name in ("accept", "depart", "arrive", "start_work"):
        step(name, crew)
    with pytest.raises(ValidationError, match="Warning sign|警示"):
        step("complete", crew)
    for item in ("warning_sign", "belongings", "procedure"):
        JobChecklistTick.objects.create(job=job, item=item, by=crew)
    step("complete", crew)
    assert RescueUnit.objects.get(pk=unit.pk).status == "available"
    with pytest.raises(ValidationError, match="signature|签名"):
        step("confirm", crew)
    ConfirmationForm.objects.create(
        job=job,
        work_done="搭电启动",
        signature_svg="<svg/>",
        signed_name="李四",
        signed_at=timezone.now(),
    )
    step("confirm", crew)
    with pytest.raises(ValidationError):
        step("review", service)
    ComplianceReview.objects.create(job=job, verdict="accepted", reviewer=manager)
    step("review", service)
    assert job.state == "reviewed"
    assert job.response_seconds == 4 * 60  # call at T0, arrived at T0+4min
    states = list(JobTransition.objects.filter(job=job).values_list("to_state", flat=True))
    assert states == [
        "created",
        "checked",
        "dispatched",
        "accepted",
        "en_route",
        "arrived",
        "working",
        "completed",
        "confirmed",
        "reviewed",
    ]
    response = Clock.objects.get(
        job_kind="rescue", job_id=str(job.pk), commitment__code="rescue-response"
    )
    assert response.state != "running"


def test_cancelling_needs_a_reason_frees_the_unit_and_stops_the_clocks(
    dispatcher, east, hangzhou, unit
):
    job = actions.dispatch(
        actions.perform(new_job(dispatcher, east, hangzhou), "check", actor=dispatcher),
        unit,
        actor=dispatcher,
    )
    with pytest.raises(ValidationError):
        actions.perform(job, "cancel", actor=dispatcher)
    job = actions.perform(job, "cancel", actor=dispatcher, reason="客户已自行解决")
    unit.refresh_from_db()
    assert job.state == "cancelled" and job.unit_id is None and unit.status == "available"
    assert not Clock.objects.filter(job_kind="rescue", job_id=str(job.pk), state="running").exists()


def test_a_technician_of_another_region_cannot_touch_the_job(
    dispatcher, east, hangzhou, south_technician
):
    job = new_job(dispatcher, east, hangzhou)
    with pytest.raises(PermissionDenied):
        actions.perform(job, "cancel", actor=south_technician, reason="x")


# --- through the API -------------------------------------------------------------------------
def api_for(user):
    from django.test import Client

    return Client(HTTP_AUTHORIZATION=f"Bearer {ApiToken.issue(user, 't')[1]}")


def post(client, url, body, **headers):
    return client.post(url, data=json.dumps(body), content_type="application/json", **headers)


def test_intake_by_api_with_an_unknown_vin_is_a_422_and_nothing_is_saved(dispatcher, east):
    body = {
        "fault": "tyre",
        "lat": 30.25,
        "lon": 120.16,
        "region_id": east.pk,
        "caller_phone": "13812345678",
        "vin": make_vin("LSVAB2BM2N", "999999"),
    }
    response = post(api_for(dispatcher), "/api/v1/rescue/jobs", body)
    assert response.status_code == 422 and response.json()["detail"][0]["loc"][-1] == "vin"
    assert not RescueJob.objects.exists()


def test_intake_at_sea_is_refused(dispatcher, east):
    body = {
        "fault": "tyre",
        "lat": 25.0,
        "lon": 160.0,
        "region_id": east.pk,
        "caller_phone": "13812345678",
    }
    assert post(api_for(dispatcher), "/api/v1/rescue/jobs", body).status_code == 422


def test_a_repeated_intake_with_the_same_idempotency_key_creates_one_job(dispatcher, east):
    body = {
        "fault": "tyre",
        "lat": 30.25,
        "lon": 120.16,
        "region_id": east.pk,
        "caller_phone": "13812345678",
    }
    api = api_for(dispatcher)
    first = post(api, "/api/v1/rescue/jobs", body, HTTP_IDEMPOTENCY_KEY="call-1")
    again = post(api, "/api/v1/rescue/jobs", body, HTTP_IDEMPOTENCY_KEY="call-1")
    assert (
        first.status_code == again.status_code == 201 and first.json()["id"] == again.json()["id"]
    )
    assert RescueJob.objects.count() == 1


def test_transition_out_of_order_by_api_is_409_with_the_fresh_state(dispatcher, east, hangzhou):
    job = new_job(dispatcher, east, hangzhou)
    response = post(
        api_for(dispatcher), f"/api/v1/rescue/jobs/{job.pk}/transitions", {"name": "arrive"}
    )
    assert response.status_code == 409 and response.json()["current"]["state"] == "created"


def test_a_stale_version_is_409(dispatcher, east, hangzhou):
    job = new_job(dispatcher, east, hangzhou)
    api = api_for(dispatcher)
    assert (
        post(
            api,
            f"/api/v1/rescue/jobs/{job.pk}/transitions",
            {"name": "check", "expected_version": 1},
        ).status_code
        == 200
    )
    late = post(
        api,
        f"/api/v1/rescue/jobs/{job.pk}/transitions",
        {"name": "cancel", "reason": "x", "expected_version": 1},
    )
    assert late.status_code == 409 and late.json()["current"]["version"] == 2


def test_gps_batch_keeps_good_rows_reports_bad_ones_and_ignores_old_fixes(dispatcher, unit):
    api = api_for(dispatcher)
    fixes = [
        {"unit": "T01", "at": "2026-11-23T10:05:00+08:00", "lat": 30.30, "lon": 120.20},
        {"unit": "T01", "at": "2026-11-23T10:00:00+08:00", "lat": 30.10, "lon": 120.00},
        {"unit": "T01", "at": "2026-11-23T10:01:00+08:00", "lat": 95.0, "lon": 120.00},
        {"unit": "NOPE", "at": "2026-11-23T10:01:00+08:00", "lat": 30.1, "lon": 120.0},
        {"unit": "T01", "at": "2026-11-23T10:05:00+08:00", "lat": 30.30, "lon": 120.20},
    ]
    with time_machine.travel(dt.datetime(2026, 11, 23, 10, 6, tzinfo=T0.tzinfo), tick=False):
        result = post(api, "/api/v1/rescue/positions", {"fixes": fixes}).json()
    assert [r["index"] for r in result["rejected"]] == [2, 3]
    unit.refresh_from_db()
    assert (unit.last_lat, unit.last_lon) == (30.30, 120.20)
    assert UnitPosition.objects.filter(unit=unit).count() == 2  # the duplicate fix is stored once


def test_the_progress_update_tells_the_current_state_and_eta(dispatcher, east, hangzhou, unit):
    from anxin.commitments.handlers import sweep
    from anxin.notifications.models import Message

    job = new_job(dispatcher, east, hangzhou)
    job = actions.perform(job, "check", actor=dispatcher, at=T0 + dt.timedelta(minutes=1))
    job = actions.dispatch(
        job, unit, actor=dispatcher, eta_seconds=900, at=T0 + dt.timedelta(minutes=2)
    )
    with time_machine.travel(T0 + dt.timedelta(minutes=31), tick=False):
        sweep(timezone.now())
    message = Message.objects.get(
        purpose__startswith="rescue.progress", job_ref__contains=str(job.pk)
    )
    assert message.recipient == "13812345678"
    assert job.number in message.body
    assert any(state in message.body for state in ("已派车", "Dispatched"))
    assert "10:17" in message.body  # the ETA set at dispatch, in Beijing time
