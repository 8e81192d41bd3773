"""Report months: 00:00 +08:00 on the 1st to the next 1st (the field's convention)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def month_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime(day.year, day.month, 1, tzinfo=SHANGHAI)
    nxt = dt.datetime(day.year + (day.month == 12), day.month % 12 + 1, 1, tzinfo=SHANGHAI)
    return start, nxt


def parse_month(value: str | None, default: dt.date) -> dt.date:
    """``YYYY-MM`` to the month's first day; ``default``'s month when empty or malformed."""
    try:
        year, month = (int(x) for x in (value or "").split("-"))
        if 2000 <= year <= 2100 and 1 <= month <= 12:
            return dt.date(year, month, 1)
    except ValueError:
        pass
    return default.replace(day=1)
