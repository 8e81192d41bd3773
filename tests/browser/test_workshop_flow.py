"""One workshop visit from the customer's online booking to delivery and the electronic work
order, across the customer's phone, the advisor's desk and the technician's phone (WS-1..5),
in Debian's Chromium."""

from __future__ import annotations

import datetime as dt
import io
import os
import re

import pytest
from django.utils import timezone
from PIL import Image

from anxin.accounts.models import User
from anxin.accounts.roles import Role
from anxin.core.validators import make_vin
from anxin.network.models import City, Outlet, OutletQualification, Region
from anxin.people.models import Certification, Skill, Staff
from anxin.worker.models import Job
from anxin.worker.runner import claim, run_job
from anxin.workshop.ework import RENDER_JOB
from anxin.workshop.models import Appointment, WorkOrder

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
PASSWORD = "anxin-demo"
SHOTS = os.environ.get("ANXIN_SCREENSHOT_DIR")
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1366, "height": 900}


def shot(page, name):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"workshop-{name}.png"), full_page=True)


@pytest.fixture
def world():
    east = Region.objects.create(code="east", name="华东大区")
    hz = City.objects.create(region=east, code="330100", name="杭州市", lat=30.2741, lon=120.1551)
    shop = Outlet.objects.create(
        code="HZ-001",
        name="杭州西湖安心汽车服务站",
        region=east,
        city=hz,
        lat=30.259,
        lon=120.130,
        address="杭州市西湖区文三路 1 号",
        phone="0571-88880001",
        ev_high_voltage=True,
        open_24h=True,
    )
    today = timezone.localdate()
    OutletQualification.objects.create(
        outlet=shop,
        licence_number="ZJ-HZ-0001",
        valid_from=today - dt.timedelta(days=365),
        expires_on=today + dt.timedelta(days=365),
    )
    advisor = User.objects.create_user(
        "advisor", password=PASSWORD, role=Role.SERVICE_ADVISOR, region=east, outlet=shop
    )
    tech = User.objects.create_user(
        "tech", password=PASSWORD, role=Role.TECHNICIAN, region=east, outlet=shop
    )
    Staff.objects.create(
        employee_no="SA-1",
        name="李顾问",
        phone="13900001001",
        role=Role.SERVICE_ADVISOR,
        region=east,
        outlet=shop,
        user=advisor,
    )
    staff = Staff.objects.create(
        employee_no="T-1",
        name="赵技师",
        phone="13900001002",
        role=Role.TECHNICIAN,
        region=east,
        outlet=shop,
        user=tech,
    )
    Certification.objects.create(
        staff=staff,
        skill=Skill.EV_HV,
        certificate_no="HV-2026-001",
        issued_on=today - dt.timedelta(days=100),
        expires_on=today + dt.timedelta(days=600),
    )
    return {"shop": shop, "staff": staff}


def sign_in(browser, live_server, username, path, viewport):
    ctx = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport=viewport)
    page = ctx.new_page()
    page.goto(f"{live_server.url}{path}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(re.escape(path)))
    return ctx, page


def jpeg(tmp_path, name):
    path = tmp_path / name
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (40, 90, 160)).save(buffer, format="JPEG")
    path.write_bytes(buffer.getvalue())
    return str(path)


def fill_check(page, stage, tmp_path, responsible):
    """Every item OK, numbers in range, a photo where the template asks, then sign off."""
    block = page.locator(f"#inspection-{stage}")
    for radio in block.locator("input[type=radio][value=ok]").all():
        radio.check()
    for field in block.locator(f"input[name^='{stage}-results_'][inputmode=decimal]").all():
        field.fill("60")
    for n, upload in enumerate(block.locator("input[type=file]").all()):
        upload.set_input_files(jpeg(tmp_path, f"{stage}-{n}.jpg"))
    block.locator(f"select[name='{stage}-responsible']").select_option(label=responsible)
    block.locator("button[name=sign][value='1']").click()


def test_one_workshop_visit_from_online_booking_to_delivery(live_server, browser, world, tmp_path):
    # --- the customer books on the phone, without an account --------------------------------
    cust_ctx = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport=PHONE)
    cust = cust_ctx.new_page()
    cust.goto(f"{live_server.url}/workshop/book/")
    visit = timezone.localtime(timezone.now() + dt.timedelta(days=1)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )
    cust.fill("#id_vin", make_vin("LAX1C2A3P4", "000321"))
    cust.fill("#id_plate", "浙A C0321")
    cust.fill("#id_brand", "安心")
    cust.fill("#id_model", "锐行 1.5T")
    cust.select_option("#id_powertrain", "ice")
    cust.fill("#id_contact_name", "刘先生")
    cust.fill("#id_contact_phone", "13812345678")
    cust.select_option("#id_job_type", "maintenance")
    cust.fill("#id_service_items", "更换机油, 常规保养")
    cust.fill("#id_preferred_at", visit.strftime("%Y-%m-%dT%H:%M"))
    cust.select_option("#id_city", label="杭州市")
    cust.check("#id_consent")
    shot(cust, "public-booking")
    cust.click("button.primary.huge")
    cust.wait_for_url(re.compile(r"/workshop/a/[\w-]+/"))
    appt = Appointment.objects.get()
    assert appt.outlet == world["shop"] and appt.channel == "web"
    assert cust.locator("#appt-state").get_attribute("data-state") == "booked"
    assert "杭州西湖安心汽车服务站" in cust.content()
    appointment_link = cust.url

    # --- the advisor sees it on the board and answers within 30 minutes ---------------------
    desk_ctx, desk = sign_in(browser, live_server, "advisor", "/workshop/", DESK)
    assert appt.number in desk.locator("#awaiting-response").inner_text()
    shot(desk, "board")
    desk.click(f"#awaiting-response a:has-text('{appt.number}')")
    desk.wait_for_url(re.compile(rf"/workshop/appointments/{appt.pk}/"))
    assert "chosen" in (desk.locator("table.candidates tr.chosen").get_attribute("class") or "")
    desk.select_option("#respond-form select[name=kind]", "confirm")
    desk.click("#respond-form button[type=submit]")
    desk.locator("#appt-state[data-state=confirmed]").wait_for()
    shot(desk, "appointment")
    cust.goto(appointment_link)
    assert cust.locator("#appt-state").get_attribute("data-state") == "confirmed"

    # --- reception: the work order, the entry inspection, diagnosis and quote ----------------
    desk.fill("#reception input[name=mileage_km]", "23456")
    desk.select_option("#reception select[name=technician]", label="赵技师 (T-1)")
    desk.click("#reception button[type=submit]")
    desk.wait_for_url(re.compile(r"/workshop/orders/\d+/"))
    wo = WorkOrder.objects.get()
    assert wo.state == "reception" and wo.technician == world["staff"]
    fill_check(desk, "entry", tmp_path, "赵技师 (T-1)")
    desk.locator("#inspection-entry .signed").wait_for()
    desk.click(".transition-start_diagnosis button")
    desk.locator("#wo-state[data-state=diagnosis]").wait_for()
    # a part that is not in the catalog is refused on the form
    desk.fill("#add-part input[name=part]", "P-NOT-THERE")
    desk.click("#add-part button")
    assert "P-NOT-THERE" in desk.locator("#add-part").inner_text()
    desk.fill("#add-labour input[name=operation]", "L-OIL-CHANGE")
    desk.click("#add-labour button")
    desk.locator("#labour-lines td:has-text('L-OIL-CHANGE')").wait_for()
    desk.fill("#add-part input[name=part]", "P-OIL-0W20")
    desk.click("#add-part button")
    desk.locator("#part-lines td:has-text('P-OIL-0W20')").wait_for()
    desk.fill("#details textarea[name=diagnosis]", "保养到期，机油需更换")
    desk.click("#details button[type=submit]")
    desk.click(".transition-prepare_quote button")
    desk.locator("#wo-state[data-state=quotation]").wait_for()
    desk.click(".transition-send_quote button")
    desk.locator("#wo-state[data-state=approval]").wait_for()
    shot(desk, "work-order-quote")
    quote_link = desk.locator("#quote-link").get_attribute("href")

    # --- the customer approves the quote on the personal link, once -------------------------
    cust.goto(quote_link)
    assert "全合成机油" in cust.locator("#quote-lines").inner_text()
    cust.fill("input[name=signer_name]", "刘先生")
    shot(cust, "quote")
    cust.click("#approve")
    cust.locator("#quote-decided").wait_for()
    wo.refresh_from_db()
    assert wo.state == "approved" and wo.approved_via == "link"

    # --- the technician works on the phone --------------------------------------------------
    tech_ctx, tech = sign_in(browser, live_server, "tech", "/workshop/tech/", PHONE)
    tech.click(f"a.job[data-number='{wo.number}']")
    tech.wait_for_url(re.compile(rf"/workshop/tech/orders/{wo.pk}/"))
    tech.click("#next-step")  # start work
    tech.locator("#wo-state[data-state=in_work]").wait_for()
    tech.click("#operations .op-start button[type=submit]")
    tech.locator("#operations .op-finish input[name$=actual_hours]").fill("0.6")
    tech.click("#operations .op-finish button[type=submit]")
    tech.locator("#operations .badge.good").wait_for()
    tech.fill("#parts input[name$=batch_no]", "B2026-11-01")
    tech.select_option("#parts select[name$=supplier]", label="嘉实多（上海）管理有限公司")
    tech.click("#parts button[type=submit]")
    tech.locator("#parts:has-text('B2026-11-01')").wait_for()
    # the finish button says what is still missing
    assert tech.locator("#next-step").is_disabled()
    tech.fill("#oil input[name=oil_brand]", "嘉实多 极护")
    tech.fill("#oil input[name=oil_grade]", "0W-20")
    tech.click("#oil button[type=submit]")
    fill_check(tech, "in_process", tmp_path, "赵技师 (T-1)")
    tech.locator("#inspection-in_process .signed").wait_for()
    shot(tech, "tech-job")
    tech.click("#next-step")  # finish work
    tech.locator("#wo-state[data-state=quality_check]").wait_for()
    fill_check(tech, "completion", tmp_path, "赵技师 (T-1)")
    tech.locator("#inspection-completion .signed").wait_for()
    tech.click("#next-step")  # quality check passed
    tech.locator("#wo-state[data-state=ready]").wait_for()

    # --- delivery and the electronic work order ---------------------------------------------
    desk.goto(f"{live_server.url}/workshop/orders/{wo.pk}/")
    desk.click(".transition-deliver button")
    desk.locator("#wo-state[data-state=delivered]").wait_for()
    wo.refresh_from_db()
    assert wo.delivered_at is not None
    job = Job.objects.get(kind=RENDER_JOB)  # the PDF is the worker's job, not the request's
    claimed = claim(job.pk, worker_id="test", now=timezone.now(), lease_seconds=60)
    assert run_job(claimed, worker_id="test") == Job.State.DONE
    desk.click("#ework-link")
    desk.locator("#pdf-link").wait_for()
    assert wo.verification_code in desk.locator("#verification-code").inner_text()
    shot(desk, "ework")
    customer_link = desk.locator("a[href*='/workshop/e/']").first.get_attribute("href")
    cust.goto(customer_link)
    assert "B2026-11-01" in cust.content() and wo.verification_code in cust.content()
    pdf_url = live_server.url + cust.locator("#pdf-link").get_attribute("href")
    response = cust.request.get(pdf_url)
    assert response.ok and response.body().startswith(b"%PDF")
    shot(cust, "ework-customer")
    for ctx in (cust_ctx, desk_ctx, tech_ctx):
        ctx.close()
