"""Months and quarters in Asia/Shanghai: a month covers 00:00 +08:00 on the 1st to the next 1st."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

SHANGHAI = ZoneInfo("Asia/Shanghai")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")


@dataclass(frozen=True)
class Period:
    label: str
    start: dt.datetime
    end: dt.datetime  # exclusive


def _first(year: int, month: int) -> dt.datetime:
    while month > 12:
        year, month = year + 1, month - 12
    return dt.datetime(year, month, 1, tzinfo=SHANGHAI)


def month(label: str) -> Period:
    m = _MONTH.match(label or "")
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ValidationError({"month": _("give the month as YYYY-MM, e.g. 2026-11")})
    year, mon = int(m.group(1)), int(m.group(2))
    return Period(label, _first(year, mon), _first(year, mon + 1))


def quarter(label: str) -> Period:
    m = _QUARTER.match((label or "").upper())
    if not m:
        raise ValidationError({"quarter": _("give the quarter as YYYY-Qn, e.g. 2026-Q4")})
    year, q = int(m.group(1)), int(m.group(2))
    start = 3 * (q - 1) + 1
    return Period(f"{year}-Q{q}", _first(year, start), _first(year, start + 3))


def month_of(at: dt.datetime) -> str:
    return at.astimezone(SHANGHAI).strftime("%Y-%m")


def quarter_of(at: dt.datetime | dt.date) -> str:
    if isinstance(at, dt.datetime):
        at = at.astimezone(SHANGHAI).date()
    return f"{at.year}-Q{(at.month - 1) // 3 + 1}"


def previous_month(at: dt.datetime) -> str:
    local = at.astimezone(SHANGHAI)
    year, mon = (local.year, local.month - 1) if local.month > 1 else (local.year - 1, 12)
    return f"{year:04d}-{mon:02d}"


def previous_quarter(at: dt.datetime) -> str:
    local = at.astimezone(SHANGHAI).date()
    q = (local.month - 1) // 3 + 1
    return f"{local.year}-Q{q - 1}" if q > 1 else f"{local.year - 1}-Q4"
