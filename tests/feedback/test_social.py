"""Social media (FB-7): imports keep good rows and report broken ones, brands and models match,
negative posts linked to a customer or vehicle become complaints, monthly summary by topic."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import ValidationError

from anxin.feedback import social
from anxin.feedback.choices import ComplaintChannel
from anxin.feedback.models import Complaint, SocialPost

pytestmark = pytest.mark.django_db


def test_sentiment_reads_the_lexicon_with_negation():
    assert social.sentiment("比亚迪的售后太差了，修不好还推诿")[0] == "negative"
    assert social.sentiment("救援师傅很专业，感谢！")[0] == "positive"
    assert social.sentiment("今天去店里做了保养")[0] == "neutral"
    assert social.sentiment("服务不专业")[0] != "positive"


def test_topics_are_found_by_keyword():
    assert set(social.topics("电池续航掉得厉害，等了三天")) == {"battery", "waiting"}
    assert social.topics("今天天气不错") == ["other"]


def test_csv_import_keeps_good_rows_and_reports_broken_ones(vehicle, service):
    csv_text = (
        "platform,external_id,text,posted_at,author,url\n"
        "weibo,1,比亚迪汉的救援来得很快，师傅专业,2026-11-03 10:00,车友A,https://weibo.com/1\n"
        "weibo,2,,2026-11-04 10:00,车友B,\n"
        "mars,3,比亚迪 服务还行,2026-11-05,车友C,\n"
        "douyin,4,某品牌不错,not a date,车友D,\n"
        "douyin,5,比亚迪汉保养排队太久了,2026/11/06,车友E,ftp://x\n"
        "douyin,6,比亚迪汉保养排队太久了,2026/11/06,车友E,\n"
    )
    rows = social.read_file("posts.csv", ("\ufeff" + csv_text).encode("utf-8"))
    result = social.ingest(rows, source="posts.csv", actor=service)
    assert [p.external_id for p in result.kept] == ["1", "6"]
    refused = {e["row"]: e["errors"] for e in result.errors}
    assert set(refused) == {2, 3, 4, 5}
    assert "text" in refused[2] and "platform" in refused[3]
    assert "posted_at" in refused[4] and "url" in refused[5]
    assert result.batch.rows_kept == 2 and result.batch.rows_refused == 4
    assert SocialPost.objects.get(external_id="1").brands == ["比亚迪"]
    assert SocialPost.objects.get(external_id="1").models_mentioned == ["汉"]


def test_gb18030_files_are_read():
    content = "platform,external_id,text,posted_at\nweibo,9,比亚迪很好,2026-11-01\n".encode(
        "gb18030"
    )
    assert social.read_file("p.csv", content)[0]["text"] == "比亚迪很好"


def test_a_file_without_the_text_column_is_refused():
    with pytest.raises(ValidationError):
        social.read_file("p.csv", b"a,b\n1,2\n")
    with pytest.raises(ValidationError):
        social.read_file("p.json", b"{not json")


def test_the_same_post_twice_is_reported_not_duplicated(service):
    row = {
        "platform": "weibo",
        "external_id": "77",
        "text": "比亚迪不错",
        "posted_at": "2026-11-01",
    }
    social.ingest([row], source="a", actor=service)
    result = social.ingest([row], source="b", actor=service)
    assert not result.kept and result.errors[0]["row"] == 1
    assert SocialPost.objects.count() == 1


def test_a_negative_post_naming_a_known_vehicle_becomes_a_complaint(vehicle, service):
    text = f"避雷！比亚迪汉{vehicle.plate}在4S店修了三次还是异响，太差了"
    rows = [
        {"platform": "weibo", "external_id": "100", "text": text, "posted_at": "2026-11-10 09:00"}
    ]
    result = social.ingest(rows, source="api", actor=service)
    assert result.complaints == 1
    post = SocialPost.objects.get(external_id="100")
    complaint = post.complaint
    assert complaint.channel == ComplaintChannel.SOCIAL
    assert complaint.vehicle == vehicle and complaint.customer == vehicle.owner
    assert complaint.region_id == vehicle.owner.region_id
    assert complaint.proposed_class == "technical"


def test_a_negative_post_without_a_link_stays_a_post(service):
    rows = [
        {
            "platform": "weibo",
            "external_id": "101",
            "text": "比亚迪售后太差了，垃圾",
            "posted_at": "2026-11-10",
        }
    ]
    result = social.ingest(rows, source="api", actor=service)
    assert result.complaints == 0 and not Complaint.objects.exists()
    assert SocialPost.objects.get().sentiment == "negative"


def test_json_import_accepts_a_list_or_an_object_with_posts(service):
    data = {
        "posts": [
            {
                "platform": "douyin",
                "id": "j1",
                "text": "比亚迪救援点赞",
                "posted_at": "2026-11-02T08:00:00+08:00",
            }
        ]
    }
    rows = social.read_file("x.json", json.dumps(data, ensure_ascii=False).encode())
    assert social.ingest(rows, source="x.json", actor=service).kept[0].external_id == "j1"


def test_the_monthly_summary_counts_brand_posts_by_topic_and_sentiment(service, vehicle):
    rows = [
        {
            "platform": "weibo",
            "external_id": "s1",
            "text": "比亚迪电池续航太差了，失望",
            "posted_at": "2026-11-03",
        },
        {
            "platform": "weibo",
            "external_id": "s2",
            "text": "比亚迪救援很及时，点赞",
            "posted_at": "2026-11-04",
        },
        {
            "platform": "weibo",
            "external_id": "s3",
            "text": "比亚迪电池挺好，满意",
            "posted_at": "2026-11-05",
        },
        {
            "platform": "weibo",
            "external_id": "s4",
            "text": "今天天气真差",
            "posted_at": "2026-11-05",
        },
        {
            "platform": "weibo",
            "external_id": "s5",
            "text": "比亚迪电池差劲",
            "posted_at": "2026-10-31",
        },
    ]
    social.ingest(rows, source="t", actor=service)
    summary = social.monthly_summary(dt.date(2026, 11, 1))
    assert summary["posts"] == 3 and summary["negative"] == 1 and summary["positive"] == 2
    battery = next(r for r in summary["topics"] if r["topic"] == "battery")
    assert (battery["posts"], battery["negative"], battery["positive"]) == (2, 1, 1)


def test_the_month_starts_at_midnight_in_shanghai(service, vehicle):
    rows = [
        {
            "platform": "weibo",
            "external_id": "m1",
            "text": "比亚迪很差",
            "posted_at": "2026-10-31T16:30:00+00:00",
        }
    ]  # 00:30 on 1 November in Shanghai
    social.ingest(rows, source="t", actor=service)
    assert social.monthly_summary(dt.date(2026, 11, 1))["posts"] == 1
    assert social.monthly_summary(dt.date(2026, 10, 1))["posts"] == 0
