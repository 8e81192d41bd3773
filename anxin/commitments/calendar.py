"""Working-time arithmetic: when is a deadline, and how much working time lies between two times.

Plain Python (no Django) so the simulator can reuse it; :mod:`anxin.commitments.calendars`
adapts the database tables to it. A :class:`WorkingCalendar` is either natural time (24/7) or
working time: weekly hours with breaks, public holidays off and adjusted working days (调休) on.

The day table is only as good as the State Council's published notices: past its ``horizon``
the calendar falls back to the weekly rule and *reports* the years it had to guess
(``fallback_years``), so the caller can alert administrators instead of failing a deadline.

Conventions: all instants are aware; arithmetic is exact to the microsecond on absolute time;
a day's hours are wall-clock times in the calendar's zone (Asia/Shanghai has no daylight
saving, but other zones get the real length of each interval). A deadline is the *earliest*
instant at which the working time reaches the target, so 2h of work ending exactly at the
12:00 break is due at 12:00, not at 13:00.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Optional key of the weekly schedule: the hours of an adjusted working day (调休). Without it
# an adjusted day works the hours of the first weekday that has any.
ADJUSTED_KEY = "adjusted"
HOLIDAY = "holiday"
WORKDAY = "workday"
DEFAULT_TIMEZONE = "Asia/Shanghai"
# A calendar whose day table removes every working hour would loop for ever; ten years
# without a working minute is a data error, not a deadline.
MAX_DAYS = 3660

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_US = dt.timedelta(microseconds=1)
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")

Interval = tuple[int, int]  # seconds since local midnight, end exclusive, end <= 86400


class CalendarError(ValueError):
    """A calendar definition or a computation that cannot be done; the message says why."""


def parse_clock(text: str) -> int:
    """``"08:30"`` -> seconds since midnight; ``"24:00"`` is allowed as the end of a day."""
    match = _CLOCK.match(str(text).strip())
    if not match:
        raise CalendarError(f"{text!r} is not a time of day: write it as HH:MM, e.g. 08:30")
    hours, minutes, seconds = (int(g or 0) for g in match.groups())
    if minutes > 59 or seconds > 59 or hours > 24 or (hours == 24 and (minutes or seconds)):
        raise CalendarError(f"{text!r} is not a time of day between 00:00 and 24:00")
    return hours * 3600 + minutes * 60 + seconds


def parse_hours(pairs: Sequence[Sequence[str]], *, where: str) -> tuple[Interval, ...]:
    """A day's hours ``[["08:30","12:00"], ["13:00","17:30"]]`` as sorted, disjoint intervals."""
    if not isinstance(pairs, list | tuple):
        raise CalendarError(f"{where}: the hours must be a list of [start, end] pairs")
    intervals = []
    for pair in pairs:
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            raise CalendarError(f"{where}: {pair!r} is not a [start, end] pair")
        start, end = parse_clock(pair[0]), parse_clock(pair[1])
        if start >= end:
            raise CalendarError(f"{where}: {pair[0]}-{pair[1]} ends before it starts")
        intervals.append((start, end))
    intervals.sort()
    for (_, end), (start, _) in zip(intervals, intervals[1:], strict=False):
        if start < end:
            raise CalendarError(f"{where}: the hours overlap")
    return tuple(intervals)


def parse_weekly(data: Mapping[str, Sequence[Sequence[str]]]) -> dict[str, tuple[Interval, ...]]:
    """Validate a weekly schedule (``{"mon": [["08:30","12:00"], ...], ...}``).

    Missing days have no hours. Returns every key of :data:`DAY_KEYS` plus ``adjusted``.
    """
    if not isinstance(data, Mapping):
        raise CalendarError("the weekly schedule must map day names (mon..sun) to hours")
    unknown = set(data) - set(DAY_KEYS) - {ADJUSTED_KEY}
    if unknown:
        raise CalendarError(
            f"unknown day name(s) {', '.join(sorted(unknown))}: use {', '.join(DAY_KEYS)}"
        )
    weekly = {key: parse_hours(data.get(key) or [], where=key) for key in DAY_KEYS}
    if ADJUSTED_KEY in data:
        weekly[ADJUSTED_KEY] = parse_hours(data[ADJUSTED_KEY] or [], where=ADJUSTED_KEY)
    else:
        weekly[ADJUSTED_KEY] = next((weekly[k] for k in DAY_KEYS[:5] if weekly[k]), ())
    if not any(weekly[key] for key in DAY_KEYS):
        raise CalendarError("a working calendar needs working hours on at least one weekday")
    return weekly


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise CalendarError(f"{name!r} is not a known time zone") from exc


def _us(at: dt.datetime) -> int:
    return (at - _EPOCH) // _US


def _require_aware(at: dt.datetime, what: str) -> None:
    if not isinstance(at, dt.datetime) or at.tzinfo is None or at.utcoffset() is None:
        raise CalendarError(f"{what} must be a datetime with a time-zone offset, got {at!r}")


@dataclass(frozen=True)
class Due:
    """A computed deadline, and the years for which the weekly rule stood in for the table."""

    at: dt.datetime
    fallback_years: frozenset[int]


@dataclass(frozen=True)
class Span:
    """Working time between two instants (negative when they are given in reverse)."""

    duration: dt.timedelta
    fallback_years: frozenset[int]

    @property
    def seconds(self) -> int:
        return int(self.duration.total_seconds())


class WorkingCalendar:
    """Natural time (24/7) or working time: weekly hours, holidays and adjusted working days.

    ``holidays`` and ``workdays`` are the day table (e.g. China's from ``chinese-calendar``);
    ``horizon`` is the last date the table is complete for (``None``: the calendar has no
    table to run out of). Explicit entries past the horizon are still honoured.
    """

    def __init__(
        self,
        name: str,
        *,
        weekly: Mapping[str, Sequence[Sequence[str]]] | None = None,
        holidays: Iterable[dt.date] = (),
        workdays: Iterable[dt.date] = (),
        horizon: dt.date | None = None,
        timezone: str = DEFAULT_TIMEZONE,
        natural: bool = False,
    ) -> None:
        self.name = name
        self.natural = natural
        self.tz = zone(timezone)
        self.horizon = None if natural else horizon
        self.overrides: dict[dt.date, str] = {}
        if not natural:
            self.weekly = parse_weekly(weekly or {})
            self.overrides.update((day, HOLIDAY) for day in holidays)
            clash = [day for day in workdays if self.overrides.get(day) == HOLIDAY]
            if clash:
                raise CalendarError(f"{clash[0]} is both a holiday and an adjusted working day")
            self.overrides.update((day, WORKDAY) for day in workdays)

    @classmethod
    def natural_time(
        cls, name: str = "natural", timezone: str = DEFAULT_TIMEZONE
    ) -> WorkingCalendar:
        return cls(name, timezone=timezone, natural=True)

    def __repr__(self) -> str:
        return f"<WorkingCalendar {self.name}{' (natural)' if self.natural else ''}>"

    # --- the day rule ----------------------------------------------------------------------
    def hours_on(self, day: dt.date) -> tuple[tuple[Interval, ...], bool]:
        """The day's working hours, and whether the weekly rule stood in for missing data."""
        if self.natural:
            return ((0, 86400),), False
        kind = self.overrides.get(day)
        if kind == HOLIDAY:
            return (), False
        if kind == WORKDAY:
            return self.weekly[ADJUSTED_KEY], False
        guessed = self.horizon is not None and day > self.horizon
        return self.weekly[DAY_KEYS[day.weekday()]], guessed

    def _instant(self, day: dt.date, seconds: int) -> int:
        # Wall-clock time of the day in the calendar's zone, then absolute microseconds.
        naive = dt.datetime.combine(day, dt.time()) + dt.timedelta(seconds=seconds)
        return _us(naive.replace(tzinfo=self.tz))

    def _intervals(self, day: dt.date, fallback: set[int]) -> list[tuple[int, int]]:
        hours, guessed = self.hours_on(day)
        if guessed:
            fallback.add(day.year)
        return [(self._instant(day, s), self._instant(day, e)) for s, e in hours]

    def _local_date(self, us: int) -> dt.date:
        return (_EPOCH + dt.timedelta(microseconds=us)).astimezone(self.tz).date()

    def _out(self, us: int) -> dt.datetime:
        return (_EPOCH + dt.timedelta(microseconds=us)).astimezone(self.tz)

    # --- arithmetic ------------------------------------------------------------------------
    def due(self, start: dt.datetime, duration: dt.timedelta) -> Due:
        """The earliest instant by which ``duration`` of this calendar's time has passed."""
        _require_aware(start, "the start")
        if duration < dt.timedelta(0):
            raise CalendarError("a duration to add must not be negative")
        t, remaining = _us(start), duration // _US
        if self.natural or remaining == 0:
            return Due(self._out(t + remaining), frozenset())
        fallback: set[int] = set()
        day = self._local_date(t)
        for _ in range(MAX_DAYS):
            for begin, end in self._intervals(day, fallback):
                if end <= t:
                    continue
                begin = max(begin, t)
                if remaining <= end - begin:
                    return Due(self._out(begin + remaining), frozenset(fallback))
                remaining -= end - begin
            day += dt.timedelta(days=1)
        raise CalendarError(
            f"calendar {self.name} has no working time in the {MAX_DAYS} days after {start}"
        )

    def add(self, start: dt.datetime, duration: dt.timedelta) -> dt.datetime:
        """The due time of a target of ``duration`` started at ``start``."""
        return self.due(start, duration).at

    def span(self, a: dt.datetime, b: dt.datetime) -> Span:
        """Working time from ``a`` to ``b`` (negative when ``b`` is before ``a``)."""
        _require_aware(a, "the first time")
        _require_aware(b, "the second time")
        lo, hi, sign = _us(a), _us(b), 1
        if hi < lo:
            lo, hi, sign = hi, lo, -1
        if self.natural:
            return Span(dt.timedelta(microseconds=sign * (hi - lo)), frozenset())
        fallback: set[int] = set()
        total, day = 0, self._local_date(lo)
        while self._instant(day, 0) < hi:
            for begin, end in self._intervals(day, fallback):
                total += max(0, min(end, hi) - max(begin, lo))
            day += dt.timedelta(days=1)
        return Span(dt.timedelta(microseconds=sign * total), frozenset(fallback))

    def working_seconds_between(self, a: dt.datetime, b: dt.datetime) -> int:
        """Whole seconds of working time from ``a`` to ``b`` (truncated towards zero)."""
        return self.span(a, b).seconds

    def is_working(self, at: dt.datetime) -> bool:
        """Whether ``at`` falls inside working time."""
        _require_aware(at, "the time")
        t = _us(at)
        return any(b <= t < e for b, e in self._intervals(self._local_date(t), set()))
