"""Feedback settings: Django settings first, then environment variables, then defaults.

Read on every use, so tests and deployments can change them without a restart.
"""

from __future__ import annotations

import datetime as dt
import os

from django.conf import settings


def _get(name: str, default: str) -> str:
    value = getattr(settings, name, None)
    return str(value) if value is not None else os.environ.get(name, default)


def invitation_lifetime() -> dt.timedelta:
    """How long a rating invitation works (default 7 days)."""
    return dt.timedelta(hours=float(_get("ANXIN_RATING_EXPIRY_HOURS", "168")))


def low_overall() -> int:
    """An overall score at or below this is low (default 3 of 5: 满意 means 4 or 5)."""
    return int(_get("ANXIN_RATING_LOW_OVERALL", "3"))


def low_subscore() -> int:
    """A sub-score at or below this makes the rating low too (default 2)."""
    return int(_get("ANXIN_RATING_LOW_SUBSCORE", "2"))


def followup_hours() -> float:
    """Customer service calls a low-rating customer back within this (default 24 h)."""
    return float(_get("ANXIN_RATING_FOLLOWUP_HOURS", "24"))


def unsure_below() -> float:
    """The classifier says "unsure" below this confidence (default 0.5)."""
    return float(_get("ANXIN_CLASSIFIER_UNSURE_BELOW", "0.5"))


def escalation_count() -> int:
    """Consecutive technical complaints about the same problem that go to R&D (FB-4: 3)."""
    return int(_get("ANXIN_ESCALATION_COUNT", "3"))


def social_keywords() -> list[str]:
    """Extra brand keywords beyond the brands and models of the vehicle register."""
    raw = _get("ANXIN_SOCIAL_KEYWORDS", "安心救援,安心服务")
    return [k.strip() for k in raw.split(",") if k.strip()]
