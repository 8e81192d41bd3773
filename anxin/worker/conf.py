"""Worker settings: Django settings first, then environment variables, then defaults."""

from __future__ import annotations

import os

from django.conf import settings


def _get(name: str, default: str) -> str:
    value = getattr(settings, name, None)
    if value is not None:
        return str(value)
    return os.environ.get(name, default)


def max_attempts() -> int:
    """Tries of a job before it is dead (a crash of the worker counts as a try)."""
    return int(_get("ANXIN_WORKER_MAX_ATTEMPTS", "5"))


def backoff_base_seconds() -> float:
    return float(_get("ANXIN_WORKER_BACKOFF_BASE", "10"))


def backoff_cap_seconds() -> float:
    return float(_get("ANXIN_WORKER_BACKOFF_CAP", "3600"))


def extra_modules() -> list[str]:
    """Modules imported when the worker app is ready, for handlers outside the apps.

    The apps register their own handlers; this is for deployments (and the crash test) that
    add handlers from a module of their own.
    """
    return [m.strip() for m in _get("ANXIN_WORKER_MODULES", "").split(",") if m.strip()]
