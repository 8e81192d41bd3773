"""Notification settings: Django settings first, then environment variables, then defaults.

Read on every use rather than at import, so tests and deployments can change them.
"""

from __future__ import annotations

import os

from django.conf import settings


def get(name: str, default: str = "") -> str:
    value = getattr(settings, name, None)
    if value is not None:
        return str(value)
    return os.environ.get(name, default)


def get_int(name: str, default: int) -> int:
    return int(get(name, str(default)))


def public_base_url() -> str:
    """The operator's registered domain: the only place an SMS may link to."""
    return get("ANXIN_PUBLIC_BASE_URL", "https://anxin.example.cn").rstrip("/")


def sms_provider() -> str:
    """console (development default), aliyun or tencent."""
    return get("ANXIN_SMS_PROVIDER", "console").strip().lower()


def wechat_provider() -> str:
    """wechat when an official account is configured, else console."""
    default = "wechat" if get("ANXIN_WECHAT_APP_ID") else "console"
    return get("ANXIN_WECHAT_PROVIDER", default).strip().lower()


def quiet_hours() -> str:
    """``HH:MM-HH:MM`` in Asia/Shanghai; empty turns quiet hours off."""
    return get("ANXIN_QUIET_HOURS", "21:00-08:00").strip()


def quiet_time_zone() -> str:
    return get("ANXIN_QUIET_HOURS_TZ", "Asia/Shanghai")


def circuit_threshold() -> int:
    """Consecutive provider failures that open its circuit."""
    return get_int("ANXIN_CIRCUIT_THRESHOLD", 5)


def circuit_cooldown_seconds() -> int:
    """How long an open circuit stays open before one probe is let through."""
    return get_int("ANXIN_CIRCUIT_COOLDOWN", 300)


def http_timeout() -> float:
    return float(get("ANXIN_PROVIDER_TIMEOUT", "10"))
