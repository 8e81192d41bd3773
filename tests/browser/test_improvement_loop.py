"""A complaint goes from intake to a verified improvement at the next month's callback
(FB-2, FB-5, CB-1, CB-4), across customer service, quality, the outlet and the regional
manager, in Debian's Chromium.

The complaint is taken through the feedback app's own intake action (its page has its own
browser test); from there on every step is a click on a page.
"""

from __future__ import annotations

import datetime as dt
import os
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from anxin.accounts.models import User
from anxin.accounts.roles import Role
from anxin.assurance import periods
from anxin.assurance.models import Callback, Draw, ImprovementAction
from anxin.network.models import City, Outlet, Region

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
PASSWORD = "anxin-demo"
SHOTS = os.environ.get("ANXIN_SCREENSHOT_DIR")


def shot(page, name):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"improvement-{name}.png"), full_page=True)


def sign_in(browser, live_server, username, path):
    ctx = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
    page = ctx.new_page()
    page.goto(f"{live_server.url}{path}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(re.escape(path.split("?")[0])))
    return ctx, page


@pytest.fixture
def world():
    from tests.assurance.conftest import delivered_order

    east = Region.objects.create(code="east", name="华东大区")
    hz = City.objects.create(region=east, code="330100", name="杭州市", lat=30.27, lon=120.15)
    outlet = Outlet.objects.create(
        code="HZ-001", name="杭州西湖服务站", region=east, city=hz, lat=30.259, lon=120.130
    )
    users = {}
    for username, role, extra in (
        ("service", Role.CUSTOMER_SERVICE, {}),
        ("auditor", Role.QUALITY_AUDITOR, {}),
        ("manager", Role.REGIONAL_MANAGER, {}),
        ("advisor", Role.SERVICE_ADVISOR, {"outlet": outlet}),
    ):
        users[username] = User.objects.create_user(
            username=username, password=PASSWORD, role=role, region=east, **extra
        )
    # Last month (Asia/Shanghai): twelve work orders delivered at the outlet.
    month = periods.month(periods.previous_month(timezone.now()))
    orders = [
        delivered_order(outlet, month.start + dt.timedelta(days=1 + i, hours=10)) for i in range(12)
    ]
    return {"east": east, "outlet": outlet, "orders": orders, "month": month.label, **users}


def test_a_complaint_becomes_an_improvement_verified_at_the_next_months_callback(
    live_server, browser, world
):
    from anxin.feedback import actions as feedback_actions
    from anxin.feedback import jobs as feedback_jobs

    order = world["orders"][0]
    complaint = feedback_actions.create_complaint(
        actor=world["service"],
        channel="hotline",
        text="保养后车辆底盘异响，服务站说是正常现象，没有检查",
        job=feedback_jobs.info("workorder", order),
        category="technical",
        at=order.delivered_at + dt.timedelta(days=2),
    )

    # --- quality opens an improvement action (整改) from the complaint page ---------------------
    q_ctx, q = sign_in(browser, live_server, "auditor", f"/feedback/complaints/{complaint.pk}/")
    q.click("#open-improvement")
    q.wait_for_url(re.compile(r"/assurance/improvements/new/\?source=complaint"))
    expect(q.locator("body")).to_contain_text(complaint.number)
    q.fill("#id_title", "保养后异响未检查即交车")
    q.select_option("#id_owner", str(world["advisor"].pk))
    q.fill("#id_due_date", (timezone.localdate() + dt.timedelta(days=14)).isoformat())
    q.fill("#id_change_plan", "交车前必须路试；客户反映异响时由技术经理检查并记录")
    q.fill("#id_success_measure", "下月回访：该站客户无异响类抱怨")
    q.fill("#id_verification_question", "您车辆保养后的异响问题现在解决了吗？")
    shot(q, "1-new")
    q.click("#action-form button[type=submit]")
    q.wait_for_url(re.compile(r"/assurance/improvements/\d+/$"))
    action = ImprovementAction.objects.get()
    assert action.source_ref == f"complaint:{complaint.pk}"
    assert action.outlet == world["outlet"] and action.customer == order.customer
    expect(q.locator("h1")).to_contain_text(action.number)

    # --- the outlet's advisor does it and says what changed -------------------------------------
    a_ctx, adv = sign_in(browser, live_server, "advisor", f"/assurance/improvements/{action.pk}/")
    adv.fill("#implement-form textarea[name=note]", "已增加交车前路试，技术经理签字确认")
    adv.click("#implement-form button[type=submit]")
    expect(adv.locator(".messages")).to_be_visible()
    action.refresh_from_db()
    assert action.state == "implemented"

    # --- on the 1st the regional manager's callbacks for last month are drawn --------------------
    m_ctx, mgr = sign_in(browser, live_server, "manager", "/assurance/draws/")
    mgr.select_option("#id_region", str(world["east"].pk))
    mgr.fill("#id_month", world["month"])
    mgr.fill("#id_seed", "20261101")
    mgr.locator("form.stack button[type=submit]").click()
    mgr.wait_for_url(re.compile(r"/assurance/draws/\d+/$"))
    draw = Draw.objects.get()
    assert draw.seed == 20261101 and draw.population_size == 12 and draw.sample_size == 2
    mgr.goto(f"{live_server.url}/assurance/draws/{draw.pk}/?verify=1")
    expect(mgr.locator("#verify-result")).to_contain_text("✓")
    shot(mgr, "2-draw")

    # --- the manager calls: the script asks about the improvement -------------------------------
    mgr.goto(f"{live_server.url}/assurance/callbacks/?view=mine")
    rows = mgr.locator("table.callbacks tbody tr")
    expect(rows).to_have_count(2)
    rows.first.locator("a").click()
    mgr.wait_for_url(re.compile(r"/assurance/callbacks/\d+/$"))
    callback = Callback.objects.get(pk=int(mgr.url.rstrip("/").rsplit("/", 1)[1]))
    verify = mgr.locator(f".question.verify[data-action='{action.pk}']")
    expect(verify).to_contain_text("异响问题现在解决了吗")
    mgr.check("input[name=reached][value=yes]")
    mgr.select_option("#id_q_overall", "5")
    mgr.select_option("#id_q_fixed_first_time", "yes")
    verify.locator("input[value=worked]").check()
    verify.locator(f"input[name=vnote_{action.pk}]").fill("客户说现在没有异响了")
    mgr.select_option("#id_satisfied", "yes")
    shot(mgr, "3-callback")
    mgr.click("#result-form button.primary")
    expect(mgr.locator("#result")).to_contain_text("客户说现在没有异响了")
    callback.refresh_from_db()
    assert callback.state == "completed" and callback.reached and callback.satisfied

    # --- the action is verified and closed; its history names the callback -----------------------
    action.refresh_from_db()
    assert action.state == "closed"
    q.goto(f"{live_server.url}/assurance/improvements/{action.pk}/")
    expect(q.locator("#action-state")).not_to_have_text(re.compile("^$"))
    expect(q.locator(".timeline")).to_contain_text(callback.job_number)
    q.goto(f"{live_server.url}/assurance/improvements/")
    expect(q.locator("section[data-state=closed]")).to_contain_text(action.number)
    shot(q, "4-board")
    for ctx in (q_ctx, a_ctx, m_ctx):
        ctx.close()
