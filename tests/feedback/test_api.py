"""The feedback API: ratings by token (public), complaints with transitions, follow-ups,
social-media push; bad input answers with a clear message and stores nothing."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client
from django.utils import timezone

from anxin.accounts.models import ApiToken
from anxin.feedback import ratings
from anxin.feedback.models import Complaint, FollowUp, Rating, RatingInvitation, SocialPost

from .conftest import serve

pytestmark = pytest.mark.django_db
BASE = "/api/v1/feedback"
GOOD = {"overall": 5, "timeliness": 5, "attitude": 5, "professionalism": 4, "result": 5}


def bearer(user) -> Client:
    _token, key = ApiToken.issue(user, "test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {key}")


def post(client, url, body, **headers):
    return client.post(url, data=json.dumps(body), content_type="application/json", **headers)


@pytest.fixture
def link(rescue_job) -> str:
    serve(rescue_job)
    return ratings.signed_token(RatingInvitation.objects.get())


def test_the_invitation_is_read_by_its_token_without_login(link, rescue_job):
    answer = Client().get(f"{BASE}/ratings/{link}")
    assert answer.status_code == 200
    body = answer.json()
    assert body["job_number"] == rescue_job.number and "slow_arrival" in body["reasons"]
    assert "13812345678" not in answer.content.decode()


def test_the_lookup_code_works_as_a_token(link):
    code = RatingInvitation.objects.get().code
    assert Client().get(f"{BASE}/ratings/{code}").status_code == 200


def test_a_rating_is_posted_once(link):
    first = post(Client(), f"{BASE}/ratings/{link}", GOOD)
    assert first.status_code == 201 and first.json()["low"] is False
    again = post(Client(), f"{BASE}/ratings/{link}", {**GOOD, "overall": 1})
    assert again.status_code == 409 and "already" in again.json()["detail"]
    assert Rating.objects.get().overall == 5
    assert Client().get(f"{BASE}/ratings/{link}").status_code == 409


def test_a_low_rating_by_api_opens_a_follow_up(link):
    answer = post(Client(), f"{BASE}/ratings/{link}", {**GOOD, "overall": 2, "reasons": ["rude"]})
    assert answer.status_code == 201 and answer.json()["low"] is True
    assert FollowUp.objects.get().rating.reasons == ["rude"]


@pytest.mark.parametrize(
    "body",
    [
        {**GOOD, "overall": 6},
        {**GOOD, "result": 0},
        {**GOOD, "attitude": "great"},
        {k: v for k, v in GOOD.items() if k != "timeliness"},
        {**GOOD, "reasons": ["made_up"]},
    ],
)
def test_bad_scores_are_422_with_the_field_and_store_nothing(link, body):
    answer = post(Client(), f"{BASE}/ratings/{link}", body)
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"][0] == "body"
    assert not Rating.objects.exists()
    assert RatingInvitation.objects.get().used_at is None


def test_an_expired_link_is_410(rescue_job, settings):
    settings.ANXIN_RATING_EXPIRY_HOURS = 1
    serve(rescue_job, at=timezone.now() - dt.timedelta(hours=2))
    link = ratings.signed_token(RatingInvitation.objects.get())
    answer = post(Client(), f"{BASE}/ratings/{link}", GOOD)
    assert answer.status_code == 410 and "expired" in answer.json()["detail"]
    assert not Rating.objects.exists()


def test_a_forged_token_is_404(link):
    assert Client().get(f"{BASE}/ratings/{link[:-2]}zz").status_code == 404
    assert post(Client(), f"{BASE}/ratings/nothing-here", GOOD).status_code == 404


def test_staff_list_ratings_of_their_region(link, manager, south_manager):
    post(Client(), f"{BASE}/ratings/{link}", GOOD)
    assert bearer(manager).get(f"{BASE}/ratings").json()["count"] == 1
    assert bearer(south_manager).get(f"{BASE}/ratings").json()["count"] == 0


# --- complaints ------------------------------------------------------------------------------
def test_a_complaint_is_created_proposed_moved_and_classified(service, rescue_job):
    client = bearer(service)
    created = post(
        client,
        f"{BASE}/complaints",
        {
            "channel": "app",
            "text": "救援师傅态度恶劣，还骂人",
            "job_kind": "rescue",
            "job": rescue_job.number,
            "contact_phone": "13812345678",
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["proposed_class"] == "attitude" and body["region"] == rescue_job.region_id
    assert body["contact_phone"] == "138****5678"
    cid = body["id"]
    moved = post(
        client,
        f"{BASE}/complaints/{cid}/transitions",
        {"name": "acknowledge", "note": "已致歉", "expected_version": 1},
    )
    assert moved.status_code == 200 and moved.json()["state"] == "acknowledged"
    stale = post(
        client,
        f"{BASE}/complaints/{cid}/transitions",
        {"name": "withdraw", "note": "x", "expected_version": 1},
    )
    assert stale.status_code == 409 and stale.json()["current"]["state"] == "acknowledged"
    classified = post(client, f"{BASE}/complaints/{cid}/classification", {"category": "attitude"})
    assert classified.json()["category"] == "attitude"
    detail = client.get(f"{BASE}/complaints/{cid}").json()
    assert [t["name"] for t in detail["transitions"]] == ["receive", "acknowledge", "classify"]


def test_a_missing_note_is_422_and_changes_nothing(service):
    client = bearer(service)
    cid = post(client, f"{BASE}/complaints", {"text": "等太久"}).json()["id"]
    answer = post(client, f"{BASE}/complaints/{cid}/transitions", {"name": "acknowledge"})
    assert answer.status_code == 422
    assert Complaint.objects.get(pk=cid).state == "received"


def test_a_complaint_about_another_regions_job_is_refused(manager, south_job):
    answer = post(
        bearer(manager),
        f"{BASE}/complaints",
        {"text": "修不好", "job_kind": "rescue", "job": south_job.number},
    )
    assert answer.status_code == 403 and "another region" in answer.json()["detail"]
    assert not Complaint.objects.exists()


def test_an_empty_complaint_is_422(service):
    answer = post(bearer(service), f"{BASE}/complaints", {"text": ""})
    assert answer.status_code == 422 and not Complaint.objects.exists()


def test_a_dispatcher_cannot_take_complaints(dispatcher):
    assert post(bearer(dispatcher), f"{BASE}/complaints", {"text": "慢"}).status_code == 403


def test_another_region_does_not_see_the_complaint(service, south_manager, rescue_job):
    cid = post(
        bearer(service),
        f"{BASE}/complaints",
        {"text": "异响", "job_kind": "rescue", "job": str(rescue_job.pk)},
    ).json()["id"]
    assert bearer(south_manager).get(f"{BASE}/complaints/{cid}").status_code == 404
    assert bearer(south_manager).get(f"{BASE}/complaints").json()["count"] == 0


def test_patching_problem_details(service):
    client = bearer(service)
    cid = post(client, f"{BASE}/complaints", {"text": "电池亏电"}).json()["id"]
    answer = client.patch(
        f"{BASE}/complaints/{cid}",
        data=json.dumps({"vehicle_model": "汉", "system": "battery", "fault_code": "P1A00"}),
        content_type="application/json",
    )
    assert answer.status_code == 200 and answer.json()["fault_code"] == "P1A00"
    bad = client.patch(
        f"{BASE}/complaints/{cid}",
        data=json.dumps({"system": "warp"}),
        content_type="application/json",
    )
    assert bad.status_code == 422


def test_the_classifier_endpoint(service):
    answer = post(bearer(service), f"{BASE}/classify", {"text": "配件迟迟不到"})
    assert answer.status_code == 200 and answer.json()["class"] == "process"


def test_follow_up_steps_by_api(link, service):
    post(Client(), f"{BASE}/ratings/{link}", {**GOOD, "overall": 1})
    fid = FollowUp.objects.get().pk
    client = bearer(service)
    done = post(client, f"{BASE}/follow-ups/{fid}/steps", {"name": "close", "note": "已回访"})
    assert done.status_code == 200 and done.json()["state"] == "closed"
    again = post(client, f"{BASE}/follow-ups/{fid}/steps", {"name": "close", "note": "again"})
    assert again.status_code == 409


# --- social media ----------------------------------------------------------------------------
def test_the_push_needs_a_login(db):
    answer = post(
        Client(),
        f"{BASE}/social/posts",
        {"posts": [{"external_id": "1", "text": "x", "posted_at": "2026-11-01T10:00:00+08:00"}]},
    )
    assert answer.status_code == 401


def test_a_pushed_post_without_text_is_refused_and_the_others_kept(service, vehicle):
    answer = post(
        bearer(service),
        f"{BASE}/social/posts",
        {
            "posts": [
                {
                    "platform": "weibo",
                    "external_id": "a",
                    "text": "比亚迪汉的救援很专业",
                    "posted_at": "2026-11-01T10:00:00+08:00",
                },
                {
                    "platform": "weibo",
                    "external_id": "b",
                    "text": "  ",
                    "posted_at": "2026-11-01T10:00:00+08:00",
                },
            ]
        },
    )
    assert answer.status_code == 201
    body = answer.json()
    assert body["kept"] == 1 and body["refused"][0]["row"] == 2
    assert "no text" in body["refused"][0]["errors"]["text"][0]
    assert SocialPost.objects.get().external_id == "a"


def test_a_push_with_only_bad_posts_is_422(service):
    answer = post(
        bearer(service),
        f"{BASE}/social/posts",
        {"posts": [{"external_id": "b", "text": "", "posted_at": "2026-11-01T10:00:00+08:00"}]},
    )
    assert answer.status_code == 422 and not SocialPost.objects.exists()


def test_a_dispatcher_may_not_push_posts(dispatcher):
    answer = post(
        bearer(dispatcher),
        f"{BASE}/social/posts",
        {"posts": [{"external_id": "b", "text": "x", "posted_at": "2026-11-01T10:00:00+08:00"}]},
    )
    assert answer.status_code == 403


def test_the_monthly_summary_and_a_bad_month(service):
    client = bearer(service)
    assert client.get(f"{BASE}/social/summary?month=2026-11").json()["month"] == "2026-11"
    assert client.get(f"{BASE}/social/summary?month=2026-13").status_code == 422


def test_a_post_time_with_an_impossible_offset_is_refused(service):
    answer = post(
        bearer(service),
        f"{BASE}/social/posts",
        {"posts": [{"external_id": "z", "text": "很好", "posted_at": "2749-10-03T12:19:59-23:46"}]},
    )
    assert answer.status_code == 422
    assert "posted_at" in str(answer.json()["detail"][0]["loc"])
