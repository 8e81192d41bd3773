"""Social-media monitoring (FB-7): import posts, match brands and models, read sentiment.

Sentiment is a small lexicon with negation (不/没/未 before a word flips it) and intensity
words: transparent enough that an analyst can see why a post counts as negative, which
matters more for a monthly report than a few points of accuracy. A negative post that names
a known customer (phone) or vehicle (plate or VIN) becomes a complaint on the social channel.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from anxin.customers.models import Customer, Vehicle

from . import conf
from .choices import ComplaintChannel, Platform, Sentiment
from .models import SocialImport, SocialPost
from .periods import month_bounds

NEGATIVE = (
    "投诉",
    "差劲",
    "太差",
    "垃圾",
    "坑",
    "骗",
    "无语",
    "失望",
    "气死",
    "恶心",
    "后悔",
    "维权",
    "曝光",
    "避雷",
    "吐槽",
    "不满",
    "糟糕",
    "态度恶劣",
    "态度差",
    "修不好",
    "异响",
    "故障",
    "漏油",
    "抛锚",
    "趴窝",
    "自燃",
    "等太久",
    "没人管",
    "推诿",
    "敷衍",
    "坑人",
    "黑心",
    "退车",
    "召回",
    "烂",
    "差评",
    "难受",
    "崩溃",
    "离谱",
    "忽悠",
    "乱收费",
    "返修",
    "没修好",
    "不靠谱",
)
POSITIVE = (
    "满意",
    "点赞",
    "好评",
    "专业",
    "热情",
    "及时",
    "贴心",
    "靠谱",
    "感谢",
    "谢谢",
    "推荐",
    "给力",
    "很快",
    "周到",
    "放心",
    "耐心",
    "负责",
    "省心",
    "好评如潮",
    "五星",
    "棒",
)
NEGATORS = ("不", "没", "未", "别", "无")
INTENSIFIERS = ("非常", "特别", "太", "极其", "超级", "真的", "十分")
TOPICS = {
    "battery": ("电池", "续航", "充电", "亏电", "电瓶", "掉电"),
    "repair_quality": ("修不好", "返修", "异响", "故障", "漏油", "没修好", "抖动", "故障灯"),
    "attitude": ("态度", "服务", "不耐烦", "骂", "冷漠", "热情", "耐心"),
    "waiting": ("等", "排队", "预约", "慢", "拖", "配件"),
    "price": ("价格", "收费", "乱收费", "贵", "报价", "费用"),
    "rescue": ("救援", "拖车", "抛锚", "趴窝", "搭电"),
}
TOPIC_LABELS = {
    "battery": "电池与充电",
    "repair_quality": "维修质量",
    "attitude": "服务态度",
    "waiting": "等待与预约",
    "price": "价格收费",
    "rescue": "道路救援",
    "other": "其他",
}
PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
PLATE = re.compile(
    r"[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][A-Z][A-Z0-9]{5,6}"
)
VIN = re.compile(r"\b[A-HJ-NPR-Z0-9]{17}\b")
SPACES = re.compile(r"\s+")
FIELDS = ("platform", "external_id", "text", "posted_at", "author", "url")


def sentiment(text: str) -> tuple[str, float]:
    """(label, score): each lexicon hit counts ±1, doubled after an intensifier, flipped after
    a negator in the two characters before it."""
    score = 0.0
    for words, sign in ((NEGATIVE, -1.0), (POSITIVE, 1.0)):
        for word in words:
            start = text.find(word)
            while start != -1:
                before = text[max(0, start - 2) : start]
                weight = (
                    2.0 if any(i in text[max(0, start - 3) : start] for i in INTENSIFIERS) else 1.0
                )
                flip = -1.0 if any(n in before for n in NEGATORS) and word not in ("不满",) else 1.0
                score += sign * weight * flip
                start = text.find(word, start + len(word))
    label = (
        Sentiment.NEGATIVE
        if score <= -1
        else Sentiment.POSITIVE
        if score >= 1
        else Sentiment.NEUTRAL
    )
    return label, score


def topics(text: str) -> list[str]:
    found = [topic for topic, words in TOPICS.items() if any(w in text for w in words)]
    return found or ["other"]


def keyword_sets() -> tuple[set[str], set[tuple[str, str]]]:
    """Brands to look for (the vehicle register's plus configured brand words) and the
    register's (brand, model) pairs."""
    pairs = set(Vehicle.objects.values_list("brand", "model").distinct())
    brands = {b for b, _m in pairs if b} | set(conf.social_keywords())
    return brands, {(b, m) for b, m in pairs if m}


def match(text: str, brands: set[str], pairs: set[tuple[str, str]]) -> tuple[list[str], list[str]]:
    """Brands and models named in ``text``. A model of one or two characters (汉, 唐, GL8 is
    fine) counts only right after its brand (比亚迪汉), so 汉 in 武汉 is not a car."""
    lowered = text.lower()
    squeezed = SPACES.sub("", lowered)
    found_models = set()
    for brand, model in pairs:
        m = model.lower()
        joined = brand.lower() + SPACES.sub("", m)
        if (len(m) > 2 and m in lowered) or joined in squeezed:
            found_models.add(model)
    found_brands = {b for b in brands if b.lower() in lowered}
    found_brands |= {b for b, m in pairs if m in found_models}
    return sorted(found_brands), sorted(found_models)


def link_customer(text: str) -> tuple[Customer | None, Vehicle | None]:
    vehicle = None
    for plate in PLATE.findall(text):
        vehicle = Vehicle.objects.filter(plate=plate).first()
        if vehicle:
            break
    if vehicle is None:
        for vin in VIN.findall(text.upper()):
            vehicle = Vehicle.objects.filter(vin=vin).first()
            if vehicle:
                break
    customer = None
    for phone in PHONE.findall(text):
        customer = Customer.objects.filter(phone=phone).first()
        if customer:
            break
    if customer is None and vehicle is not None:
        customer = vehicle.owner
    return customer, vehicle


@dataclass
class ImportResult:
    batch: SocialImport
    kept: list[SocialPost] = field(default_factory=list)
    complaints: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)


def parse_when(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        when = value
    else:
        raw = str(value or "").strip()
        when = parse_datetime(raw.replace("/", "-"))
        if when is None:
            day = parse_date(raw.replace("/", "-"))
            when = dt.datetime.combine(day, dt.time(12)) if day else None
    if when is None:
        return None
    if timezone.is_naive(when):
        when = timezone.make_aware(when)  # Asia/Shanghai, the operators' time
    return when


def clean_row(row: dict[str, Any]) -> dict[str, Any]:
    """One post's fields, or ValidationError naming each bad field."""
    errors: dict[str, str] = {}
    text = str(row.get("text") or "").strip()
    if not text:
        errors["text"] = _("The post has no text.")
    platform = str(row.get("platform") or "").strip().lower() or Platform.OTHER
    if platform not in Platform.values:
        errors["platform"] = _("Unknown platform %(p)r") % {"p": platform}
    external_id = str(row.get("external_id") or row.get("id") or "").strip()
    if not external_id:
        errors["external_id"] = _("The post has no id.")
    posted_at = parse_when(row.get("posted_at"))
    if posted_at is None:
        errors["posted_at"] = _("The post's time is missing or not a date.")
    url = str(row.get("url") or "").strip()
    if url and not url.startswith(("http://", "https://")):
        errors["url"] = _("The link must start with http:// or https://")
    if errors:
        raise ValidationError(errors)
    return {
        "platform": platform,
        "external_id": external_id[:100],
        "text": text[:5000],
        "posted_at": posted_at,
        "author": str(row.get("author") or "")[:100],
        "url": url[:500],
    }


def ingest(rows: list[dict[str, Any]], *, source: str, actor: Any) -> ImportResult:
    """Keep every good row, report every bad one by row number; duplicates are reported too."""
    from . import actions

    now = timezone.now()
    batch = SocialImport.objects.create(source=source[:200], at=now, by=actor if actor else None)
    result = ImportResult(batch=batch)
    brands, models_ = keyword_sets()
    for number, row in enumerate(rows, start=1):
        try:
            if not isinstance(row, dict):
                raise ValidationError({"row": _("Each post must be an object with fields.")})
            values = clean_row(row)
        except ValidationError as exc:
            result.errors.append({"row": number, "errors": _messages(exc)})
            continue
        found_brands, found_models = match(values["text"], brands, models_)
        label, score = sentiment(values["text"])
        customer, vehicle = link_customer(values["text"])
        post = SocialPost(
            **values,
            brands=found_brands,
            models_mentioned=found_models,
            topics=topics(values["text"]),
            sentiment=label,
            sentiment_score=score,
            customer=customer,
            vehicle=vehicle,
            batch=batch,
            imported_at=now,
        )
        try:
            with transaction.atomic():
                post.save(force_insert=True)
                if (
                    label == Sentiment.NEGATIVE
                    and post.is_relevant
                    and (customer is not None or vehicle is not None)
                ):
                    complaint = actions.create_complaint(
                        actor=None,
                        system_actor_ok=True,
                        channel=ComplaintChannel.SOCIAL,
                        text=values["text"][:4000],
                        at=values["posted_at"],
                        customer=customer,
                        vehicle=vehicle,
                    )
                    SocialPost.objects.filter(pk=post.pk).update(complaint=complaint)
                    post.complaint = complaint
                    result.complaints += 1
        except IntegrityError:
            result.errors.append(
                {"row": number, "errors": {"external_id": [_("This post was imported before.")]}}
            )
            continue
        except ValidationError as exc:
            result.errors.append({"row": number, "errors": _messages(exc)})
            continue
        result.kept.append(post)
    batch.rows_kept = len(result.kept)
    batch.rows_refused = len(result.errors)
    batch.errors = result.errors
    batch.save()
    return result


def _messages(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {k: [str(m) for m in v] for k, v in exc.message_dict.items()}
    return {"row": [str(m) for m in exc.messages]}


def read_file(name: str, content: bytes) -> list[dict[str, Any]]:
    """Rows of a CSV (UTF-8 with or without BOM, or GB18030) or JSON (a list) upload."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValidationError({"file": _("The file is neither UTF-8 nor GB18030 text.")})
    if name.lower().endswith(".json") or text.lstrip().startswith(("[", "{")):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValidationError({"file": _("Not valid JSON: %(e)s") % {"e": exc}}) from exc
        if isinstance(data, dict):
            data = data.get("posts", [data])
        if not isinstance(data, list):
            raise ValidationError({"file": _("JSON must be a list of posts.")})
        return data
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or "text" not in reader.fieldnames:
        raise ValidationError(
            {
                "file": _("The CSV needs a header row with at least: %(f)s")
                % {"f": ", ".join(FIELDS)}
            }
        )
    return list(reader)


def monthly_summary(month: dt.date) -> dict[str, Any]:
    """Posts of the month (00:00 +08:00 on the 1st to the next 1st) by topic and sentiment."""
    start, end = month_bounds(month)
    posts = SocialPost.objects.filter(posted_at__gte=start, posted_at__lt=end)
    table: dict[str, Counter[str]] = defaultdict(Counter)
    total: Counter[str] = Counter()
    relevant = 0
    for post_topics, label, brands, models_ in posts.values_list(
        "topics", "sentiment", "brands", "models_mentioned"
    ):
        if not (brands or models_):
            continue
        relevant += 1
        total[label] += 1
        for topic in post_topics or ["other"]:
            table[topic][label] += 1
    rows = []
    for topic, counts in sorted(table.items(), key=lambda kv: -sum(kv[1].values())):
        n = sum(counts.values())
        rows.append(
            {
                "topic": topic,
                "label": TOPIC_LABELS.get(topic, topic),
                "posts": n,
                "negative": counts[Sentiment.NEGATIVE],
                "neutral": counts[Sentiment.NEUTRAL],
                "positive": counts[Sentiment.POSITIVE],
                "negative_share": round(counts[Sentiment.NEGATIVE] / n, 3) if n else 0.0,
            }
        )
    return {
        "month": f"{month:%Y-%m}",
        "posts": relevant,
        "negative": total[Sentiment.NEGATIVE],
        "neutral": total[Sentiment.NEUTRAL],
        "positive": total[Sentiment.POSITIVE],
        "topics": rows,
    }
