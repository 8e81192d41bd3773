"""Quiet hours: non-urgent messages wait until the morning (default 21:00-08:00 Beijing time)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from . import conf


def parse(spec: str) -> tuple[dt.time, dt.time] | None:
    """``"21:00-08:00"`` -> (21:00, 08:00); empty -> None (no quiet hours)."""
    if not spec:
        return None
    try:
        start, end = (dt.time.fromisoformat(part.strip()) for part in spec.split("-"))
    except ValueError as exc:
        raise ValueError(f"ANXIN_QUIET_HOURS must look like 21:00-08:00, not {spec!r}") from exc
    return start, end


def quiet_until(now: dt.datetime) -> dt.datetime | None:
    """The end of the quiet period ``now`` falls in, or None outside quiet hours."""
    window = parse(conf.quiet_hours())
    if window is None:
        return None
    start, end = window
    zone = zoneinfo.ZoneInfo(conf.quiet_time_zone())
    local = now.astimezone(zone)
    clock, today = local.time(), local.date()
    if start < end:  # a window inside one day, e.g. 12:00-14:00
        inside, end_day = start <= clock < end, today
    elif start > end:  # a window across midnight, e.g. 21:00-08:00
        inside = clock >= start or clock < end
        end_day = today + dt.timedelta(days=1) if clock >= start else today
    else:
        return None
    if not inside:
        return None
    return dt.datetime.combine(end_day, end, tzinfo=zone)
