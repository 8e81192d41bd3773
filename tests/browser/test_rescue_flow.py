"""One rescue from intake to final review, across the dispatcher, crew, manager, customer
service and customer screens (DSP-1..7, RSC-1..5), in Debian's Chromium."""

from __future__ import annotations

import os
import re

import pytest
from django.utils import timezone, translation
from PIL import Image
from playwright.sync_api import expect

from anxin.accounts.models import User
from anxin.accounts.roles import Role
from anxin.network.models import City, Region, RescueBase, RescueUnit, UnitDailyCheck
from anxin.people.models import Staff
from anxin.rescue.choices import JobState
from anxin.rescue.models import (
    ChecklistItem,
    ComplianceReview,
    ConfirmationForm,
    JobChecklistTick,
    JobPhoto,
    RescueJob,
)
from anxin.rescue.transitions import TRANSITIONS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
PASSWORD = "anxin-demo"
SHOTS = os.environ.get("ANXIN_SCREENSHOT_DIR")


def shot(page, name):
    if SHOTS:
        # A Leaflet map still zooming to its markers would be caught mid-animation, blown up.
        page.evaluate(
            "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
        )
        page.wait_for_function("!document.querySelector('.leaflet-zoom-anim')")
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


def draw_signature(page, canvas):
    """The customer's finger, as a mouse: two strokes across the signature box."""
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box and box["width"] > 200, box

    def at(fx, fy):
        return box["x"] + box["width"] * fx, box["y"] + box["height"] * fy

    for stroke in (
        [(0.10, 0.70), (0.25, 0.20), (0.40, 0.75), (0.55, 0.25)],
        [(0.60, 0.60), (0.75, 0.30), (0.90, 0.65)],
    ):
        page.mouse.move(*at(*stroke[0]))
        page.mouse.down()
        for point in stroke[1:]:
            page.mouse.move(*at(*point), steps=8)
        page.mouse.up()


def test_one_rescue_from_intake_to_final_review(live_server, browser, world, tmp_path):
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
    # --- on site: checklist and a photo on the job page (RSC-3), still on the phone ----------------
    crew.click(f".current-job a[href$='/jobs/{job.pk}/']")  # 打开任务页
    crew.wait_for_url(re.compile(rf"/rescue/jobs/{job.pk}/$"))
    expect(crew.locator("#job-state")).to_have_attribute("data-state", "working")
    ev = crew.locator(f"#evidence-{job.pk}")
    expect(ev.locator("ul.checklist li")).to_have_count(len(ChecklistItem.choices))  # htmx-loaded
    for item in ("warning_sign", "belongings", "procedure"):
        row = ev.locator(f"li[data-item={item}]")
        row.get_by_role("button").click()
        expect(row.locator(".done")).to_contain_text("✓")
        expect(row.get_by_role("button")).to_have_count(0)
    # the two items this tyre job does not need stay open
    expect(ev.locator("li[data-item=vehicle_secured] button")).to_have_count(1)
    ticked = JobChecklistTick.objects.filter(job=job).values_list("item", flat=True)
    assert sorted(ticked) == ["belongings", "procedure", "warning_sign"]

    photo = tmp_path / "scene.jpg"
    Image.new("RGB", (640, 480), (40, 110, 170)).save(photo, "JPEG", quality=80)
    ev.locator("input[name=image]").set_input_files(photo)
    ev.locator("input[name=caption]").fill("更换备胎前")
    ev.locator("form[enctype] button[type=submit]").click()
    thumb = ev.locator(".gallery img")
    expect(thumb).to_have_count(1)
    expect(ev.locator(".gallery small")).to_contain_text("更换备胎前")
    crew.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle()
    )
    assert JobPhoto.objects.filter(job=job).count() == 1
    assert crew.evaluate("document.documentElement.scrollWidth") <= 375
    shot(crew, "crew-evidence")

    # --- the regional manager's compliance review (二级审核) on the job in progress -------------
    mgr_ctx, mgr = sign_in(browser, live_server, "manager", f"/rescue/jobs/{job.pk}/")
    expect(mgr.locator("#job-state")).to_have_attribute("data-state", "working")
    assert mgr.locator("form.transition").count() == 0  # a manager makes no job transitions
    reviews = mgr.locator(f"#reviews-{job.pk}")
    expect(mgr.locator(f"#evidence-{job.pk} .checklist .done")).to_have_count(3)
    reviews.locator("input[name=verdict][value=accepted]").check()
    reviews.get_by_role("button").click()  # 提交审核
    expect(reviews.locator("strong.verdict-accepted")).to_have_count(1)
    expect(reviews.locator("form")).to_have_count(1)  # a later review may still be made
    review = ComplianceReview.objects.get(job=job)
    assert review.verdict == "accepted" and review.reviewer == world["manager"]
    shot(mgr, "manager-review")

    # --- the crew completes, fills the form and hands the phone to the customer (RSC-4) ---------
    crew.goto(f"{live_server.url}/rescue/crew/")  # the crew's home screen
    crew.locator("#next-step").click()  # 完成
    crew.locator(".current-job[data-state=completed]").wait_for()
    crew.click(f".current-job a[href$='/jobs/{job.pk}/']")
    expect(crew.locator("#job-state")).to_have_attribute("data-state", "completed")
    conf = crew.locator(f"#confirmation-{job.pk}")
    conf.locator("textarea[name=work_done]").fill("更换备胎")
    conf.locator("textarea[name=follow_up_advice]").fill("尽快修补原轮胎")
    conf.locator("form:not(.signature-form) button[type=submit]").click()  # 保存确认单
    pad = conf.locator(".signature-form canvas.sigpad")
    expect(pad).to_be_visible()
    form = ConfirmationForm.objects.get(job=job)
    assert form.work_done == "更换备胎" and not form.is_signed
    conf.locator("input[name=signed_name]").fill("李四")
    draw_signature(crew, pad)
    assert pad.evaluate(
        "c => c.getContext('2d').getImageData(0, 0, c.width, c.height).data.some(v => v)"
    ), "the strokes were not drawn on the canvas"
    svg = conf.locator("input[name=signature_svg]").input_value()
    assert svg.startswith("<svg") and "<path" in svg
    shot(crew, "crew-signature")
    conf.locator(".signature-form button.primary").click()  # 确认并签字
    signature = conf.locator("img.signature-img")
    expect(signature).to_have_attribute("src", re.compile(r"^data:image/svg\+xml;base64,"))
    expect(conf.locator(".signature-form")).to_have_count(0)
    crew.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=signature.element_handle()
    )
    assert crew.evaluate("document.documentElement.scrollWidth") <= 375
    form.refresh_from_db()
    assert form.is_signed and form.signed_name == "李四" and "<path" in form.signature_svg

    crew.goto(f"{live_server.url}/rescue/crew/")
    with translation.override("zh-hans"):
        assert crew.locator("#next-step").inner_text().strip() == str(TRANSITIONS["confirm"].label)
    crew.locator("#next-step").click()  # 客户确认
    crew.locator("#no-job").wait_for()
    shot(crew, "crew-done")
    job.refresh_from_db()
    assert job.state == "confirmed"

    # --- customer service: the final review (三级审核) -------------------------------------------
    svc_ctx, svc = sign_in(
        browser,
        live_server,
        "service",
        f"/rescue/jobs/{job.pk}/",
        viewport={"width": 1280, "height": 900},
    )
    expect(svc.locator("#job-state")).to_have_attribute("data-state", "confirmed")
    svc.click(f"a.button[href$='/jobs/{job.pk}/final-review/']")  # 终审
    svc.wait_for_url(re.compile(rf"/rescue/jobs/{job.pk}/final-review/$"))
    expect(svc.locator(".checklist .done")).to_have_count(3)
    expect(svc.locator(".gallery img")).to_have_count(1)
    expect(svc.locator("strong.verdict-accepted")).to_have_count(1)
    expect(svc.locator("img.signature-img")).to_have_count(1)
    final = svc.locator("#final-review-form")
    expect(final.locator("input[name=process_ok][value=yes]")).to_be_checked()
    final.locator("textarea[name=findings]").fill("流程完整")
    shot(svc, "final-review")
    final.get_by_role("button").click()  # 完成终审
    svc.wait_for_url(re.compile(rf"/rescue/jobs/{job.pk}/$"))
    expect(svc.locator("#job-state")).to_have_attribute("data-state", "reviewed")
    timeline = svc.locator("#timeline li")
    states = [timeline.nth(i).get_attribute("data-state") for i in range(timeline.count())]
    flow = [
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
    assert states == flow
    labels = svc.locator("#timeline li strong").all_inner_texts()
    with translation.override("zh-hans"):
        assert labels == [str(JobState(s).label) for s in flow]
    assert labels[0] == "新建" and labels[-1].startswith("已终审")
    text = svc.locator("#timeline").inner_text()
    assert "dispatcher" in text and "crew" in text and "service" in text and "T01" in text
    expect(svc.locator(f"#reviews-{job.pk}")).to_contain_text("流程完整")
    shot(svc, "job-reviewed")

    # the printed 救援服务确认单 carries the drawn signature
    with svc_ctx.expect_page() as printed:
        svc.locator(f"#confirmation-{job.pk} a[href$='/confirmation/print/']").click()
    sheet = printed.value
    sheet.wait_for_load_state()
    assert sheet.url.endswith(f"/rescue/jobs/{job.pk}/evidence/confirmation/print/")
    expect(sheet.locator("h1")).to_have_text("救援服务确认单")
    sig = sheet.locator(".sign img")
    expect(sig).to_have_attribute("src", re.compile(r"^data:image/svg\+xml;base64,"))
    sheet.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=sig.element_handle())
    expect(sheet.locator(".sign")).to_contain_text("李四")
    assert "13812345678" not in sheet.content()
    shot(sheet, "confirmation-print")

    cust.reload()
    assert "12122" not in cust.content()
    for ctx in (desk_ctx, cust_ctx, crew_ctx, mgr_ctx, svc_ctx):
        ctx.close()
