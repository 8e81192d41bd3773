"""A customer rates a rescue badly on a phone; the low rating becomes a follow-up that customer
service calls back and closes (FB-1), in Debian's Chromium."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from anxin.accounts.models import User
from anxin.accounts.roles import Role
from anxin.core.events import job_state_changed
from anxin.customers.models import Customer
from anxin.feedback.models import FollowUp, Rating, RatingInvitation
from anxin.network.models import Region
from anxin.notifications.models import Message
from anxin.rescue.models import RescueJob

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
PASSWORD = "anxin-demo"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


@pytest.fixture
def served_job():
    east = Region.objects.create(code="east", name="华东大区")
    customer = Customer.objects.create(name="刘德明", phone="13812345678", region=east)
    job = RescueJob.objects.create(
        number="RS20261123-0042",
        fault="flat_battery",
        lat=30.27,
        lon=120.15,
        region=east,
        customer=customer,
        caller_name="刘德明",
        caller_phone="13812345678",
        created_at=timezone.now() - dt.timedelta(hours=2),
        state="completed",
    )
    User.objects.create_user("service", password=PASSWORD, role=Role.CUSTOMER_SERVICE, region=east)
    # What the rescue app announces when the crew completes the job.
    job_state_changed.send(
        sender=RescueJob,
        kind="rescue",
        job=job,
        state="completed",
        previous="working",
        at=timezone.now(),
        actor=None,
    )
    return job


def test_a_low_rating_becomes_a_follow_up(browser, live_server, served_job):
    invitation = RatingInvitation.objects.get(job_id=str(served_job.pk))
    sms = Message.objects.get(purpose="rating_invitation")
    assert invitation.code in sms.body and "13812345678" not in sms.body

    # The customer opens the fixed link from the SMS on a phone and types the code.
    phone = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **PHONE)
    page = phone.new_page()
    page.goto(f"{live_server.url}/feedback/q/")
    page.fill("input[name=code]", invitation.code.lower())
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/feedback/r/"))
    expect(page.locator("h1")).to_have_text("您对本次服务满意吗？")
    expect(page.locator("body")).to_contain_text(served_job.number)
    expect(page.locator("body")).not_to_contain_text("13812345678")

    for name, stars in [
        ("overall", 2),
        ("timeliness", 1),
        ("attitude", 3),
        ("professionalism", 3),
        ("result", 2),
    ]:
        page.locator(f"label[for={name}-{stars}]").tap()
    page.get_by_label("到达太慢").check()
    page.get_by_label("没有及时告知进度").check()
    page.fill("textarea[name=comment]", "等了两个多小时，中间没人告诉我进度")
    page.get_by_role("button", name="提交").tap()
    page.wait_for_url(re.compile(r"/feedback/thanks/"))
    expect(page.locator("#follow-up-note")).to_contain_text("客服人员将尽快与您联系")

    rating = Rating.objects.get()
    assert (rating.overall, rating.timeliness, rating.is_low) == (2, 1, True)
    assert rating.reasons == ["slow_arrival", "not_informed"]

    # The link works once.
    page.go_back()
    page.reload()
    expect(page.locator("[data-refused=used]")).to_be_visible()
    phone.close()

    # Customer service finds the follow-up, records the call and closes it.
    desk = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
    page = desk.new_page()
    page.goto(f"{live_server.url}/feedback/follow-ups/")
    page.fill("input[name=username]", "service")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/feedback/follow-ups/"))
    row = page.locator("#followups tr", has_text=served_job.number)
    expect(row).to_contain_text("2/5")
    expect(row).to_contain_text("到达太慢")
    expect(row).to_contain_text("等了两个多小时")
    row.locator("textarea[name=note]").fill("已致电客户致歉，说明当时为晚高峰，赠送一次免费检测")
    row.get_by_role("button", name="关闭").click()
    page.wait_for_url(re.compile(r"/feedback/follow-ups/"))
    expect(page.locator("#followups")).not_to_contain_text(served_job.number)
    follow_up = FollowUp.objects.get(rating=rating)
    assert follow_up.state == "closed" and "致歉" in follow_up.outcome
    assert follow_up.closed_by.username == "service"
    desk.close()
