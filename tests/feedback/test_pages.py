"""The feedback pages: the customer's rating page and lookup, the complaint desk, intake,
complaint page with clocks and timeline, follow-ups, cases, social import, bad-review board."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from anxin.feedback import actions, ratings
from anxin.feedback.models import Complaint, FollowUp, Rating, RatingInvitation, SocialPost
from tests.conftest import logged_in

from .conftest import serve

pytestmark = pytest.mark.django_db
SCORES = {"overall": "2", "timeliness": "1", "attitude": "3", "professionalism": "3", "result": "2"}


@pytest.fixture
def invitation(rescue_job) -> RatingInvitation:
    serve(rescue_job)
    return RatingInvitation.objects.get()


def test_the_lookup_page_takes_the_code_to_the_rating_page(invitation):
    client = Client()
    assert client.get("/feedback/q/").status_code == 200
    answer = client.post("/feedback/q/", {"code": invitation.code.lower()})
    assert answer.status_code == 302
    # The signed token carries the moment it was signed: compare what it stands for.
    location = answer["Location"]
    assert location.startswith("/feedback/r/") and location.endswith("/")
    token = location.removeprefix("/feedback/r/").removesuffix("/")
    assert ratings.invitation_for_signed(token) == invitation
    wrong = client.post("/feedback/q/", {"code": "NOPE1234"})
    assert wrong.status_code == 404 and b"No service record" in wrong.content


def test_the_rating_page_stores_a_low_rating_and_thanks(invitation, rescue_job):
    url = f"/feedback/r/{ratings.signed_token(invitation)}/"
    page = Client().get(url)
    assert page.status_code == 200 and rescue_job.number.encode() in page.content
    assert b"13812345678" not in page.content and "刘德明".encode() not in page.content
    done = Client().post(url, {**SCORES, "reasons": ["rude"], "comment": "态度差"})
    assert done.status_code == 302 and done["Location"] == "/feedback/thanks/?low=1"
    assert FollowUp.objects.get().rating.comment == "态度差"
    again = Client().get(url)
    assert again.status_code == 409 and b"already been rated" in again.content


def test_a_score_out_of_range_on_the_page_stores_nothing(invitation):
    url = f"/feedback/r/{ratings.signed_token(invitation)}/"
    answer = Client().post(url, {**SCORES, "overall": "9"})
    assert answer.status_code == 422 and b"between 1 and 5" in answer.content
    assert not Rating.objects.exists()


def test_a_forged_link_is_404():
    assert Client().get("/feedback/r/abc:def/").status_code == 404


def test_the_desk_lists_open_complaints_with_deadlines(service):
    actions.create_complaint(actor=service, channel="hotline", text="等了三个小时救援车才到")
    page = logged_in(service).get("/feedback/complaints/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "TS" in body and "投诉首次响应 2 小时" in body


def test_the_hotline_form_registers_a_confirmed_complaint(service, rescue_job):
    client = logged_in(service)
    assert client.get("/feedback/complaints/new/").status_code == 200
    answer = client.post(
        "/feedback/complaints/new/",
        {
            "channel": "hotline",
            "text": "刹车异响修了两次还是响",
            "job_kind": "rescue",
            "job": rescue_job.number,
            "category": "technical",
            "system": "brakes",
        },
    )
    complaint = Complaint.objects.get()
    assert (
        answer.status_code == 302 and answer["Location"] == f"/feedback/complaints/{complaint.pk}/"
    )
    assert complaint.category == "technical" and complaint.job_number == rescue_job.number


def test_the_hotline_form_refuses_another_regions_job(manager, south_job):
    answer = logged_in(manager).post(
        "/feedback/complaints/new/",
        {"channel": "hotline", "text": "修不好", "job_kind": "rescue", "job": south_job.number},
    )
    assert answer.status_code == 200 and b"another region" in answer.content
    assert not Complaint.objects.exists()


def test_the_proposal_fragment(service):
    page = logged_in(service).get("/feedback/complaints/propose/", {"text": "前台态度恶劣"})
    assert b'data-class="attitude"' in page.content


def test_the_complaint_page_shows_clocks_timeline_and_moves(service):
    complaint = actions.create_complaint(actor=service, channel="hotline", text="空调不制冷")
    client = logged_in(service)
    page = client.get(f"/feedback/complaints/{complaint.pk}/")
    body = page.content.decode()
    assert "投诉解决 48 小时" in body and 'id="timeline"' in body
    assert f"/assurance/improvements/new/?source=complaint:{complaint.pk}" in body
    moved = client.post(
        f"/feedback/complaints/{complaint.pk}/transition/",
        {"name": "acknowledge", "note": "已致电", "version": "1"},
    )
    assert moved.status_code == 302
    stale = client.post(
        f"/feedback/complaints/{complaint.pk}/transition/",
        {"name": "withdraw", "note": "x", "version": "1"},
    )
    assert stale.status_code == 409
    missing = client.post(
        f"/feedback/complaints/{complaint.pk}/transition/", {"name": "investigate", "version": "2"}
    )
    assert missing.status_code == 422 and b"class" in missing.content
    client.post(f"/feedback/complaints/{complaint.pk}/classify/", {"category": "technical"})
    complaint.refresh_from_db()
    assert complaint.category == "technical"


def test_another_region_cannot_open_the_complaint(service, south_manager, rescue_job):
    from anxin.feedback.jobs import find

    complaint = actions.create_complaint(
        actor=service,
        channel="hotline",
        text="异响",
        job=find("rescue", rescue_job.number, service),
    )
    assert logged_in(south_manager).get(f"/feedback/complaints/{complaint.pk}/").status_code == 404


def test_follow_ups_are_listed_and_closed(invitation, service):
    ratings.submit_rating(invitation, {**SCORES})
    client = logged_in(service)
    page = client.get("/feedback/follow-ups/")
    assert invitation.job_number.encode() in page.content
    follow_up = FollowUp.objects.get()
    client.post(
        f"/feedback/follow-ups/{follow_up.pk}/step/", {"name": "close", "note": "已回访致歉"}
    )
    follow_up.refresh_from_db()
    assert follow_up.state == "closed"


def test_a_low_rating_can_become_a_complaint(invitation, service):
    rating = ratings.submit_rating(invitation, {**SCORES, "comment": "救援太慢"})
    client = logged_in(service)
    form = client.get(f"/feedback/complaints/new/?rating={rating.pk}")
    assert "救援太慢" in form.content.decode()
    client.post(
        f"/feedback/complaints/new/?rating={rating.pk}",
        {"channel": "hotline", "text": "救援太慢", "rating": rating.pk},
    )
    complaint = Complaint.objects.get()
    assert complaint.rating == rating and FollowUp.objects.get().complaint == complaint


def test_social_import_page_reports_broken_rows(service, vehicle):
    upload = SimpleUploadedFile(
        "posts.csv",
        (
            "platform,external_id,text,posted_at\n"
            "weibo,1,比亚迪汉救援很及时,2026-11-03\n"
            "weibo,2,,2026-11-03\n"
        ).encode(),
    )
    page = logged_in(service).post("/feedback/social/", {"file": upload})
    assert page.status_code == 200
    assert 'id="import-errors"' in page.content.decode()
    assert SocialPost.objects.count() == 1


def test_cases_and_board_pages(service, auditor):
    actions.create_complaint(
        actor=service, channel="hotline", text="配件迟迟不到", category="process"
    )
    assert logged_in(auditor).get("/feedback/engineering/").status_code == 200
    board = logged_in(auditor).get("/feedback/board/")
    assert board.status_code == 200 and "配件迟迟不到" in board.content.decode()
    assert logged_in(auditor).get("/feedback/board/?month=garbage").status_code == 200


def test_pages_need_a_login():
    answer = Client().get("/feedback/complaints/")
    assert answer.status_code == 302 and "/login/" in answer["Location"]


def test_rnd_records_findings_on_the_cases_page(service, auditor):
    from anxin.feedback.models import EngineeringCase

    for _n in range(3):
        actions.create_complaint(
            actor=service,
            channel="hotline",
            text="电池包报故障",
            category="technical",
            vehicle_model="汉",
            fault_code="P1A00",
        )
    case = EngineeringCase.objects.get()
    page = logged_in(auditor).get("/feedback/engineering/")
    assert case.number in page.content.decode()
    logged_in(auditor).post(
        f"/feedback/engineering/{case.pk}/", {"state": "analysing", "findings": "电芯批次待分析"}
    )
    case.refresh_from_db()
    assert case.state == "analysing" and case.findings == "电芯批次待分析"
