"""One rescue from intake to final review, across the dispatcher, crew, manager, customer
service and customer screens (DSP-1..7, RSC-1..5), in Debian's Chromium."""

from __future__ import annotations

import os
import re

import pytest
from django.utils import timezone, translation

from anxin.accounts.models import User
from anxin.accounts.roles import Role
from anxin.network.models import City, Region, RescueBase, RescueUnit, UnitDailyCheck
from anxin.people.models import Staff
from anxin.rescue import evidence
from anxin.rescue.models import RescueJob
from anxin.rescue.transitions import TRANSITIONS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
PASSWORD = "anxin-demo"
SHOTS = os.environ.get("ANXIN_SCREENSHOT_DIR")


def shot(page, name):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"rescue-{name}.png"), full_page=True)


@pytest.fixture
def world():
    east = Region.objects.create(code="east", name="华东大区")
    hz = City.objects.create(region=east, code="330100", name="杭州市", lat=30.2741, lon=120.1551)
    base = RescueBase.objects.create(
        code="HZB-1", name="杭州城西救援基地", region=east, city=hz, lat=30.28, lon=120.10
    )
    unit = RescueUnit.objects.create(
        code="T01",
        plate="浙A12345",
        kind="flatbed",
        base=base,
        capabilities=["towing", "flatbed_transport", "tyre_change", "jump_start"],
        last_lat=30.29,
        last_lon=120.12,
        last_seen_at=timezone.now(),
    )
    RescueUnit.objects.create(
        code="T02",
        plate="浙A54321",
        kind="tow_truck",
        base=base,
        capabilities=["towing"],
        last_lat=30.20,
        last_lon=120.25,
        last_seen_at=timezone.now(),
    )
    UnitDailyCheck.objects.create(
        unit=unit,
        day=timezone.localdate(),
        passed=True,
        items={"tyres": True},
        checked_at=timezone.now(),
    )
    users = {
        name: User.objects.create_user(
            name,
            password=PASSWORD,
            role=role,
            region=east,
            base=base if role == Role.TECHNICIAN else None,
        )
        for name, role in [
            ("dispatcher", Role.DISPATCHER),
            ("crew", Role.TECHNICIAN),
            ("manager", Role.REGIONAL_MANAGER),
            ("service", Role.CUSTOMER_SERVICE),
        ]
    }
    Staff.objects.create(
        employee_no="E-T01",
        name="王师傅",
        phone="13900000001",
        role=Role.TECHNICIAN,
        region=east,
        base=base,
        unit=unit,
        user=users["crew"],
    )
    return {"unit": unit, **users}


def sign_in(browser, live_server, username, path, **context):
    ctx = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **context)
    page = ctx.new_page()
    page.goto(f"{live_server.url}{path}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(re.escape(path)))
    return ctx, page


def test_one_rescue_from_intake_to_final_review(live_server, browser, world):
    # --- the dispatcher takes the call on the console ------------------------------------------
    desk_ctx, desk = sign_in(
        browser,
        live_server,
        "dispatcher",
        "/rescue/console/",
        viewport={"width": 1400, "height": 900},
    )
    desk.wait_for_function("document.getElementById('console-map').dataset.markers === '2'")
    desk.click(".console-head a.button.primary")  # 新建救援请求
    desk.wait_for_url(re.compile("/rescue/intake/"))
    desk.locator("#pick-map").click(position={"x": 200, "y": 150})  # a map pick fills lat/lon
    assert desk.input_value("#id_lat") and desk.input_value("#id_lon")
    desk.fill("#id_lat", "30.2580")  # the caller reads a more precise point off his phone
    desk.fill("#id_lon", "120.1620")
    desk.fill("#id_address", "杭州市西湖区文三路 478 号")
    desk.fill("#id_caller_name", "李四")
    desk.fill("#id_caller_phone", "13812345678")
    desk.select_option("#id_fault", "tyre")
    desk.check("input[name=needs][value=tyre_change]")
    shot(desk, "intake")
    desk.click("button.primary.big")
    desk.wait_for_url(re.compile(r"/rescue/console/\?job=\d+"))
    job = RescueJob.objects.get()
    assert job.state == "created" and job.lat == pytest.approx(30.258)
    panel = desk.locator("#panel")
    assert job.number in panel.inner_text()
    # 一级审核: confirm
    desk.click("button[name=name][value=check]")
    desk.locator("#dispatch-top").wait_for()
    assert "T01" in desk.locator("table.proposals tr.top").inner_text()
    shot(desk, "console-proposals")
    desk.click("#dispatch-top")
    desk.locator(".panel[data-state=dispatched]").wait_for()
    job.refresh_from_db()
    assert job.state == "dispatched" and job.unit.code == "T01" and job.eta_at is not None
    # the queue refreshes itself without a reload
    running = "document.querySelector('#queue [data-group=running]').innerText"
    desk.wait_for_function(f"{running}.includes('{job.number}')", timeout=8000)
    shot(desk, "console-dispatched")

    # --- the customer follows it on the tracking link -------------------------------------------
    cust_ctx = browser.new_context(
        locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 375, "height": 812}
    )
    cust = cust_ctx.new_page()
    cust.goto(f"{live_server.url}/rescue/t/{job.tracking_token}/")
    cust.locator("#track-status .status[data-state=dispatched]").wait_for()
    assert timezone.localtime(job.eta_at).strftime("%H:%M") in cust.locator(".eta").inner_text()
    cust.wait_for_function("document.getElementById('track-map').dataset.markers === '2'")
    assert "13812345678" not in cust.content()
    shot(cust, "tracking")

    # --- the crew on the phone -----------------------------------------------------------------
    crew_ctx, crew = sign_in(
        browser,
        live_server,
        "crew",
        "/rescue/crew/",
        viewport={"width": 375, "height": 812},
        geolocation={"latitude": 30.27, "longitude": 120.14},
        permissions=["geolocation"],
    )
    assert crew.evaluate("document.documentElement.scrollWidth") <= 375
    crew.click("#gps-start")
    crew.wait_for_function("document.getElementById('gps-status').textContent.length > 2")
    gps_result = crew.locator("#gps-status").inner_text()
    assert gps_result.startswith("✓"), gps_result  # the phone posted its own fix and it was kept
    shot(crew, "crew-dispatched")
    for name, state in [
        ("accept", "accepted"),
        ("depart", "en_route"),
        ("arrive", "arrived"),
        ("start_work", "working"),
    ]:
        button = crew.locator("#next-step")
        with translation.override("zh-hans"):
            assert button.inner_text().strip() == str(TRANSITIONS[name].label)
        button.click()
        crew.locator(f".current-job[data-state={state}]").wait_for()
    # 现场照片与检查表: the evidence pages are another engineer's; their action functions here.
    job.refresh_from_db()
    for item in ("warning_sign", "belongings", "procedure"):
        evidence.tick_checklist(job, item, actor=world["crew"])

    # --- the regional manager's compliance review (二级审核) on the job in progress -------------
    mgr_ctx, mgr = sign_in(browser, live_server, "manager", f"/rescue/jobs/{job.pk}/")
    assert mgr.locator("#job-state").get_attribute("data-state") == "working"
    assert mgr.locator("form.transition").count() == 0  # a manager makes no job transitions
    evidence.review_compliance(job, actor=world["manager"], verdict="accepted")

    crew.locator("#next-step").click()  # 完成
    crew.locator(".current-job[data-state=completed]").wait_for()
    job.refresh_from_db()
    evidence.fill_confirmation(
        job, actor=world["crew"], work_done="更换备胎", follow_up_advice="尽快修补原轮胎"
    )
    evidence.sign_confirmation(
        job,
        actor=world["crew"],
        signed_name="李四",
        signature_svg='<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 40">'
        '<path d="M5 30 L40 5 L70 35 L95 10"/></svg>',
    )
    crew.reload()
    crew.locator("#next-step").click()  # 客户确认
    crew.locator("#no-job").wait_for()
    shot(crew, "crew-done")
    job.refresh_from_db()
    assert job.state == "confirmed"

    # --- customer service: the final review (三级审核) -------------------------------------------
    svc_ctx, svc = sign_in(browser, live_server, "service", f"/rescue/jobs/{job.pk}/")
    assert svc.locator("#job-state").get_attribute("data-state") == "confirmed"
    evidence.final_review(job, actor=world["service"], process_ok=True, findings="流程完整")
    svc.reload()
    timeline = svc.locator("#timeline li")
    states = [timeline.nth(i).get_attribute("data-state") for i in range(timeline.count())]
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
    text = svc.locator("#timeline").inner_text()
    assert "dispatcher" in text and "crew" in text and "service" in text and "T01" in text
    shot(svc, "job-reviewed")

    cust.reload()
    assert "12122" not in cust.content()
    for ctx in (desk_ctx, cust_ctx, crew_ctx, mgr_ctx, svc_ctx):
        ctx.close()
