"""The rescue pages: console, intake, public form, tracking, crew phone pages (DSP-1..7)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from anxin.accounts.roles import Role
from anxin.core.validators import make_vin
from anxin.customers.models import Customer, Vehicle
from anxin.network.models import RescueBase, RescueUnit, UnitDailyCheck
from anxin.rescue import actions
from anxin.rescue.models import JobTransition, RescueJob

from .conftest import logged_in, make_user

T0 = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture(autouse=True)
def _clear_rate_limit():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def south_dispatcher(south):
    return make_user("dispatcher_south", Role.DISPATCHER, south)


def new_job(actor, region, city, at=None, **extra):
    fields = dict(
        fault="flat_battery",
        needs=["jump_start"],
        lat=30.25,
        lon=120.16,
        region=region,
        city=city,
        caller_phone="13812345678",
        caller_name="李四",
    )
    fields.update(extra)
    return actions.create_job(actor=actor, at=at or timezone.now(), **fields)


def passed_check(unit):
    UnitDailyCheck.objects.create(
        unit=unit,
        day=timezone.localdate(),
        passed=True,
        items={"tyres": True},
        checked_at=timezone.now(),
    )


INTAKE = {
    "lat": "30.25",
    "lon": "120.16",
    "caller_phone": "13812345678",
    "fault": "tyre",
    "needs": ["tyre_change"],
    "priority": "routine",
    "area": "urban",
    "coord_system": "wgs84",
}


# --- the dispatch console --------------------------------------------------------------------
def test_the_console_lists_only_the_jobs_of_the_dispatchers_region(
    dispatcher, south_dispatcher, east, hangzhou, south, guangzhou
):
    ours = new_job(dispatcher, east, hangzhou)
    theirs = new_job(south_dispatcher, south, guangzhou, lat=23.13, lon=113.30)
    page = logged_in(dispatcher).get(reverse("rescue:console")).content.decode()
    assert ours.number in page and theirs.number not in page
    queue = logged_in(dispatcher).get(reverse("rescue:queue")).content.decode()
    assert ours.number in queue and theirs.number not in queue
    other = logged_in(dispatcher).get(reverse("rescue:panel", args=[theirs.pk]))
    assert other.status_code == 404


def test_the_live_map_feed_has_the_regions_units_by_status_and_the_open_requests(
    dispatcher, east, hangzhou, unit, south
):
    south_base = RescueBase.objects.create(
        code="GZB",
        name="广州基地",
        region=south,
        city=hangzhou.__class__.objects.create(
            region=south, code="440100", name="广州市", lat=23.1, lon=113.3
        ),
        lat=23.1,
        lon=113.3,
    )
    RescueUnit.objects.create(
        code="G01",
        plate="粤A12345",
        kind="tow_truck",
        base=south_base,
        last_lat=23.1,
        last_lon=113.3,
    )
    job = new_job(dispatcher, east, hangzhou)
    data = logged_in(dispatcher).get(reverse("rescue:live")).json()
    assert [u["label"].split()[0] for u in data["units"]] == ["T01"]
    assert data["units"][0]["status"] == "available" and data["units"][0]["y"] == pytest.approx(
        30.27
    )
    assert [j["label"].split()[0] for j in data["jobs"]] == [job.number]


def test_first_review_sends_back_with_the_missing_details_prefilled(dispatcher, east, hangzhou):
    job = new_job(dispatcher, east, hangzhou, fault="hv_fault", needs=[])
    client = logged_in(dispatcher)
    panel = client.get(reverse("rescue:panel", args=[job.pk])).content.decode()
    assert "HV-certified" in panel or "高压" in panel  # the missing need is named, pre-filled
    refused = client.post(reverse("rescue:review", args=[job.pk]), {"name": "check"})
    assert refused.status_code == 422
    job.refresh_from_db()
    assert job.state == "created"
    client.post(
        reverse("rescue:review", args=[job.pk]),
        {"name": "send_back", "reason": "请补充：高压故障需持证人员"},
    )
    job.refresh_from_db()
    assert job.state == "returned" and job.missing_info == "请补充：高压故障需持证人员"


def test_one_click_dispatch_sends_the_top_proposal_with_its_eta(
    dispatcher, east, hangzhou, unit, crew
):
    passed_check(unit)
    job = new_job(dispatcher, east, hangzhou, fault="breakdown", needs=["towing"])
    client = logged_in(dispatcher)
    client.post(reverse("rescue:review", args=[job.pk]), {"name": "check"})
    panel = client.get(reverse("rescue:panel", args=[job.pk])).content.decode()
    assert 'id="dispatch-top"' in panel and "T01" in panel
    response = client.post(
        reverse("rescue:dispatch", args=[job.pk]), {"unit": unit.pk, "recommended": unit.pk}
    )
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.state == "dispatched" and job.unit_id == unit.pk and job.eta_at is not None
    assert job.transitions.get(to_state="dispatched").data["recommended_unit"] == unit.pk


def test_choosing_another_unit_without_a_reason_is_a_field_error_and_nothing_changes(
    dispatcher, east, hangzhou, unit, base
):
    passed_check(unit)
    other = RescueUnit.objects.create(
        code="T02", plate="浙A22222", kind="tow_truck", base=base, last_lat=30.4, last_lon=120.3
    )
    job = actions.perform(
        new_job(dispatcher, east, hangzhou, fault="breakdown", needs=["towing"]),
        "check",
        actor=dispatcher,
    )
    client = logged_in(dispatcher)
    response = client.post(
        reverse("rescue:dispatch", args=[job.pk]),
        {"unit": other.pk, "recommended": unit.pk},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422 and "override_reason" in response.content.decode()
    job.refresh_from_db()
    other.refresh_from_db()
    assert job.state == "checked" and other.status == "available"
    client.post(
        reverse("rescue:dispatch", args=[job.pk]),
        {"unit": other.pk, "recommended": unit.pk, "override_reason": "客户指定拖车"},
    )
    job.refresh_from_db()
    assert job.unit_id == other.pk and job.override_reason == "客户指定拖车"


def test_a_unit_taken_meanwhile_is_a_409_with_the_fresh_state(dispatcher, east, hangzhou, unit):
    first = actions.perform(new_job(dispatcher, east, hangzhou), "check", actor=dispatcher)
    second = actions.perform(new_job(dispatcher, east, hangzhou), "check", actor=dispatcher)
    actions.dispatch(first, unit, actor=dispatcher)
    response = logged_in(dispatcher).post(
        reverse("rescue:dispatch", args=[second.pk]), {"unit": unit.pk}
    )
    assert response.status_code == 409
    assert "T01" in response.content.decode()
    second.refresh_from_db()
    assert second.state == "checked" and second.unit_id is None


# --- intake ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "lat, lon", [("95", "120.16"), ("25.0", "160.0"), ("40.0", "90.0"), ("abc", "120")]
)
def test_intake_with_bad_coordinates_shows_a_field_error_and_saves_nothing(
    dispatcher, hangzhou, lat, lon
):
    response = logged_in(dispatcher).post(
        reverse("rescue:intake"), {**INTAKE, "lat": lat, "lon": lon}
    )
    assert response.status_code == 422
    assert response.context["form"].errors.get("lat") or response.context["form"].errors.get("lon")
    assert not RescueJob.objects.exists()


def test_intake_creates_the_job_in_the_region_of_the_nearest_city(dispatcher, east, hangzhou):
    response = logged_in(dispatcher).post(reverse("rescue:intake"), {**INTAKE, "address": "文三路"})
    job = RescueJob.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"?job={job.pk}")
    assert (job.region, job.city, job.channel, job.needs) == (
        east,
        hangzhou,
        "phone",
        ["tyre_change"],
    )
    assert job.created_by == dispatcher


def test_a_point_picked_on_a_gcj02_map_is_stored_in_wgs84(dispatcher, hangzhou):
    import prcoords

    gcj = prcoords.wgs_gcj((30.25, 120.16))
    logged_in(dispatcher).post(
        reverse("rescue:intake"),
        {**INTAKE, "lat": gcj.lat, "lon": gcj.lon, "coord_system": "gcj02"},
    )
    job = RescueJob.objects.get()
    assert job.lat == pytest.approx(30.25, abs=1e-6) and job.lon == pytest.approx(120.16, abs=1e-6)


def test_intake_with_a_vehicle_of_another_region_is_refused(dispatcher, hangzhou, south, guangzhou):
    owner = Customer.objects.create(name="陈七", phone="13700000000", region=south, city=guangzhou)
    theirs = Vehicle.objects.create(
        vin=make_vin("LGXCE4CB0P", "000222"),
        brand="广汽",
        model="埃安",
        powertrain="bev",
        region=south,
        owner=owner,
    )
    response = logged_in(dispatcher).post(
        reverse("rescue:intake"), {**INTAKE, "vehicle": theirs.pk}
    )
    assert response.status_code == 422 and "vehicle" in response.context["form"].errors
    assert not RescueJob.objects.exists()


def test_lookup_finds_by_plate_phone_or_vin_in_the_region_and_masks_the_phone(
    dispatcher, east, hangzhou
):
    owner = Customer.objects.create(name="赵六", phone="13712345678", region=east, city=hangzhou)
    car = Vehicle.objects.create(
        vin=make_vin("LGXCE4CB0P", "000111"),
        plate="浙A88888",
        brand="比亚迪",
        model="汉",
        powertrain="bev",
        region=east,
        owner=owner,
    )
    client = logged_in(dispatcher)
    for term in ("浙A88888", "13712345678", car.vin):
        page = client.get(reverse("rescue:lookup"), {"q": term}).content.decode()
        assert f'value="{car.pk}"' in page, term
        assert "137****5678" in page and "13712345678" not in page.replace(f"q={term}", "")
    assert (
        'type="radio"'
        not in client.get(reverse("rescue:lookup"), {"q": "浙Z00000"}).content.decode()
    )


# --- the public form and the tracking page -----------------------------------------------------
PUBLIC = {
    "lat": "30.28",
    "lon": "120.15",
    "caller_phone": "13912345678",
    "fault": "breakdown",
    "coord_system": "wgs84",
}


def test_the_public_form_creates_a_web_job_near_the_nearest_city_and_redirects_to_tracking(
    hangzhou, guangzhou
):
    from django.test import Client

    response = Client().post(reverse("rescue:public_request"), {**PUBLIC, "plate": "浙a12345"})
    job = RescueJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "rescue:track", args=[job.tracking_token]
    )
    assert (job.channel, job.city, job.region, job.area) == (
        "web",
        hangzhou,
        hangzhou.region,
        "urban",
    )
    assert "浙A12345" in job.description and job.created_by is None


def test_the_public_form_needs_csrf_and_limits_requests_per_address(hangzhou):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert strict.post(reverse("rescue:public_request"), PUBLIC).status_code == 403
    client = Client()
    statuses = [client.post(reverse("rescue:public_request"), PUBLIC).status_code for _ in range(6)]
    assert statuses == [302] * 5 + [429]
    assert RescueJob.objects.count() == 5


def test_the_public_form_refuses_a_point_at_sea(hangzhou):
    from django.test import Client

    response = Client().post(
        reverse("rescue:public_request"), {**PUBLIC, "lat": "28.0", "lon": "125.5"}
    )
    assert response.status_code == 422 and "lat" in response.context["form"].errors
    assert not RescueJob.objects.exists()


def test_tracking_is_404_for_a_wrong_token(dispatcher, east, hangzhou):
    from django.test import Client

    new_job(dispatcher, east, hangzhou)
    assert Client().get("/rescue/t/not-the-token/").status_code == 404
    assert Client().get("/rescue/t/not-the-token/status/").status_code == 404


def test_tracking_shows_status_and_eta_and_no_personal_data(dispatcher, east, hangzhou, unit):
    from django.test import Client

    job = actions.perform(new_job(dispatcher, east, hangzhou), "check", actor=dispatcher)
    job = actions.dispatch(job, unit, actor=dispatcher, eta_seconds=600)
    page = Client().get(reverse("rescue:track", args=[job.tracking_token])).content.decode()
    assert job.get_state_display() in page and unit.plate in page
    assert timezone.localtime(job.eta_at).strftime("%H:%M") in page
    assert "13812345678" not in page and "李四" not in page
    assert "12122" not in page  # on time: no fallback numbers


def test_tracking_shows_12122_and_122_when_no_unit_is_assigned_after_ten_minutes(
    dispatcher, east, hangzhou
):
    from django.test import Client

    job = new_job(dispatcher, east, hangzhou, at=T0)
    url = reverse("rescue:track_status", args=[job.tracking_token])
    with time_machine.travel(T0 + dt.timedelta(minutes=5), tick=False):
        assert "12122" not in Client().get(url).content.decode()
    with time_machine.travel(T0 + dt.timedelta(minutes=11), tick=False):
        page = Client().get(url).content.decode()
    assert "12122" in page and "122" in page


def test_tracking_shows_the_fallback_when_the_eta_is_beyond_the_arrival_commitment(
    dispatcher, east, hangzhou, unit
):
    from django.test import Client

    job = actions.perform(
        new_job(dispatcher, east, hangzhou, area="urban"), "check", actor=dispatcher
    )
    job = actions.dispatch(job, unit, actor=dispatcher, eta_seconds=45 * 60)
    page = Client().get(reverse("rescue:track", args=[job.tracking_token])).content.decode()
    assert 'id="fallback"' in page and "12122" in page


# --- crew phone pages --------------------------------------------------------------------------
def test_the_crew_page_shows_the_next_step_button_only_to_the_crew(
    dispatcher, east, hangzhou, unit, crew, other_tech
):
    job = actions.dispatch(
        actions.perform(new_job(dispatcher, east, hangzhou), "check", actor=dispatcher),
        unit,
        actor=dispatcher,
    )
    mine = logged_in(crew).get(reverse("rescue:crew")).content.decode()
    assert job.number in mine and 'id="next-step"' in mine
    theirs = logged_in(other_tech).get(reverse("rescue:crew")).content.decode()
    assert 'id="next-step"' not in theirs
    assert (
        logged_in(other_tech)
        .post(reverse("rescue:crew_next", args=[job.pk]), {"state": "dispatched"})
        .status_code
        == 403
    )
    job.refresh_from_db()
    assert job.state == "dispatched"
    response = logged_in(crew).post(
        reverse("rescue:crew_next", args=[job.pk]), {"state": "dispatched"}
    )
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.state == "accepted"
    stale = logged_in(crew).post(
        reverse("rescue:crew_next", args=[job.pk]), {"state": "dispatched"}
    )
    assert stale.status_code == 409
    job.refresh_from_db()
    assert job.state == "accepted"


def test_completing_without_the_checklist_says_what_is_missing(
    dispatcher, east, hangzhou, unit, crew
):
    job = actions.dispatch(
        actions.perform(new_job(dispatcher, east, hangzhou), "check", actor=dispatcher),
        unit,
        actor=dispatcher,
    )
    for name in ("accept", "depart", "arrive", "start_work"):
        job = actions.perform(job, name, actor=crew)
    response = logged_in(crew).post(
        reverse("rescue:crew_next", args=[job.pk]), {"state": "working"}
    )
    assert response.status_code == 422
    job.refresh_from_db()
    assert job.state == "working"


ALL_OK = {k: "ok" for k in ("tyres", "hydraulics", "traction", "lights", "warning_signs", "tools")}


def test_the_daily_check_passes_only_if_every_item_passes(unit, crew):
    client = logged_in(crew)
    failing = {**ALL_OK, "hydraulics": "fault"}
    response = client.post(reverse("rescue:daily_check"), failing)
    assert response.status_code == 422 and "remarks" in response.context["check_form"].errors
    assert not UnitDailyCheck.objects.exists()
    client.post(reverse("rescue:daily_check"), {**failing, "remarks": "液压管渗油"})
    check = UnitDailyCheck.objects.get(unit=unit, day=timezone.localdate())
    assert not check.passed and check.items["hydraulics"] is False and check.checked_by.user == crew
    client.post(reverse("rescue:daily_check"), ALL_OK)
    check = UnitDailyCheck.objects.get(unit=unit, day=timezone.localdate())
    assert check.passed and UnitDailyCheck.objects.count() == 1
    assert 'id="check-result"' in client.get(reverse("rescue:crew")).content.decode()


def test_someone_not_on_a_crew_cannot_record_a_daily_check(other_tech):
    assert logged_in(other_tech).post(reverse("rescue:daily_check"), ALL_OK).status_code == 403
    assert not UnitDailyCheck.objects.exists()


# --- the job page ------------------------------------------------------------------------------
def test_the_job_page_shows_the_timeline_clocks_and_only_the_users_buttons(
    dispatcher, east, hangzhou, unit, crew
):
    job = new_job(dispatcher, east, hangzhou)
    page = logged_in(dispatcher).get(reverse("rescue:job", args=[job.pk])).content.decode()
    assert 'class="transition transition-check"' in page and "transition-cancel" in page
    assert 'data-state="created"' in page and "rescue-response" not in page  # names, not codes
    assert "clocks" in page
    tech_page = logged_in(crew).get(reverse("rescue:job", args=[job.pk]))
    assert tech_page.status_code == 404  # not the crew's job: not even visible


def test_a_transition_out_of_order_on_the_job_page_is_a_409_and_nothing_changes(
    dispatcher, east, hangzhou
):
    job = new_job(dispatcher, east, hangzhou)
    response = logged_in(dispatcher).post(
        reverse("rescue:transition", args=[job.pk]), {"name": "arrive"}
    )
    assert response.status_code == 409
    job.refresh_from_db()
    assert job.state == "created" and JobTransition.objects.filter(job=job).count() == 1


def test_cancelling_on_the_job_page_needs_a_reason(dispatcher, east, hangzhou):
    job = new_job(dispatcher, east, hangzhou)
    client = logged_in(dispatcher)
    assert (
        client.post(reverse("rescue:transition", args=[job.pk]), {"name": "cancel"}).status_code
        == 422
    )
    job.refresh_from_db()
    assert job.state == "created"
    client.post(
        reverse("rescue:transition", args=[job.pk]), {"name": "cancel", "reason": "客户已自行解决"}
    )
    job.refresh_from_db()
    assert job.state == "cancelled" and job.cancel_reason == "客户已自行解决"


def test_the_job_list_shows_only_the_region(
    dispatcher, south_dispatcher, east, hangzhou, south, guangzhou
):
    ours = new_job(dispatcher, east, hangzhou)
    theirs = new_job(south_dispatcher, south, guangzhou, lat=23.13, lon=113.30)
    page = logged_in(dispatcher).get(reverse("rescue:jobs")).content.decode()
    assert ours.number in page and theirs.number not in page
