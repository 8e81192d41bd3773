"""``{% load commitments %}{% clocks job_kind job_id %}``: a job's clocks on its page (SLA-3)."""

from __future__ import annotations

from typing import Any

from django import template

from ..api import clocks_for
from ..durations import format_duration

register = template.Library()


@register.inclusion_tag("commitments/_clocks.html")
def clocks(job_kind: str, job_id: Any) -> dict[str, Any]:
    return {"clocks": clocks_for(job_kind, job_id)}


@register.filter
def duration(value: Any) -> str:
    """A timedelta as ``1h30m``; empty for nothing."""
    return "" if value is None else format_duration(value)
