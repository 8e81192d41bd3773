"""Calendar arithmetic against a minute-by-minute reference (plain Python, no database)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from chinese_calendar import constants
from hypothesis import given, settings
from hypothesis import strategies as st

from anxin.commitments.calendar import CalendarError, WorkingCalendar, parse_weekly
from anxin.commitments.durations import DurationError, format_duration, parse_duration

TZ = ZoneInfo("Asia/Shanghai")
HOURS = [["08:30", "12:00"], ["13:00", "17:30"]]
WEEKLY = {day: HOURS for day in ("mon", "tue", "wed", "thu", "fri")}
HORIZON = dt.date(2026, 12, 31)
HOLIDAYS = frozenset(constants.holidays)
WORKDAYS = frozenset(constants.workdays)
CN = WorkingCalendar(
    "cn-workday", weekly=WEEKLY, holidays=HOLIDAYS, workdays=WORKDAYS, horizon=HORIZON
)
NATURAL = WorkingCalendar.natural_time()


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


# --- the reference: a different, obviously correct, slow model of the same rule -----------
def reference_working(minute: dt.datetime) -> bool:
    """Whether the minute starting at ``minute`` (local, naive) is working time."""
    day = minute.date()
    if day in HOLIDAYS:
        return False
    if day not in WORKDAYS and day.weekday() >= 5:
        return False
    of_day = minute.hour * 60 + minute.minute
    return 8 * 60 + 30 <= of_day < 12 * 60 or 13 * 60 <= of_day < 17 * 60 + 30


def reference_minutes_between(a: dt.datetime, b: dt.datetime) -> int:
    t, count = a.replace(tzinfo=None), 0
    end = b.replace(tzinfo=None)
    while t < end:
        count += reference_working(t)
        t += dt.timedelta(minutes=1)
    return count


def reference_add(start: dt.datetime, minutes: int) -> dt.datetime:
    t, count = start.replace(tzinfo=None), 0
    if minutes == 0:
        return start
    while True:
        if reference_working(t):
            count += 1
            if count == minutes:
                return (t + dt.timedelta(minutes=1)).replace(tzinfo=TZ)
        t += dt.timedelta(minutes=1)


# Days where the rule has something to get wrong: holidays, adjusted working days (Sunday
# 2026-09-20, Saturday 2026-10-10), month ends, the year end and the horizon.
TRICKY = [
    dt.date(2026, 9, 18),
    dt.date(2026, 9, 24),
    dt.date(2026, 9, 30),
    dt.date(2026, 10, 9),
    dt.date(2026, 10, 31),
    dt.date(2026, 12, 30),
    dt.date(2027, 1, 29),
    dt.date(2026, 2, 13),
    dt.date(2026, 4, 30),
    dt.date(2026, 6, 18),
]


@st.composite
def minute_starts(draw: st.DrawFn) -> dt.datetime:
    if draw(st.booleans()):
        day = draw(st.sampled_from(TRICKY)) + dt.timedelta(days=draw(st.integers(-2, 2)))
    else:
        day = dt.date(2026, 1, 1) + dt.timedelta(days=draw(st.integers(0, 420)))
    minute = draw(st.integers(0, 24 * 60 - 1))
    return dt.datetime.combine(day, dt.time(), tzinfo=TZ) + dt.timedelta(minutes=minute)


@settings(max_examples=60, deadline=None)
@given(start=minute_starts(), minutes=st.integers(0, 20 * 60))
def test_add_agrees_with_the_minute_by_minute_reference(start, minutes):
    assert CN.add(start, dt.timedelta(minutes=minutes)) == reference_add(start, minutes)


@settings(max_examples=60, deadline=None)
@given(a=minute_starts(), length=st.integers(0, 6 * 24 * 60))
def test_working_time_agrees_with_the_minute_by_minute_reference(a, length):
    b = a + dt.timedelta(minutes=length)
    assert CN.working_seconds_between(a, b) == 60 * reference_minutes_between(a, b)
    assert CN.working_seconds_between(b, a) == -60 * reference_minutes_between(a, b)


BOUNDARIES = [
    at("2026-09-29T08:30:00+08:00"),
    at("2026-09-29T12:00:00+08:00"),
    at("2026-09-29T13:00:00+08:00"),
    at("2026-09-30T17:30:00+08:00"),
    at("2026-10-10T08:30:00+08:00"),
    at("2026-12-31T17:30:00+08:00"),
]


@settings(max_examples=40, deadline=None)
@given(
    base=st.sampled_from(BOUNDARIES), offset=st.integers(-900, 900), seconds=st.integers(1, 1800)
)
def test_second_stepping_near_breaks_and_day_ends(base, offset, seconds):
    start = base + dt.timedelta(seconds=offset)
    due = CN.add(start, dt.timedelta(seconds=seconds))
    # Step second by second: the due time is the first instant the work reaches the target.
    # Seconds inside working minutes count one by one; idle minutes are skipped whole.
    t, done = start, 0
    while done < seconds:
        minute = t.replace(second=0, microsecond=0)
        if reference_working(minute.replace(tzinfo=None)):
            done += 1
            t += dt.timedelta(seconds=1)
        else:
            t = minute + dt.timedelta(minutes=1)
    assert due == t
    assert CN.working_seconds_between(start, due) == seconds


# Hypothesis takes naive bounds and attaches the zone itself.
LOW, HIGH = dt.datetime(2025, 12, 1), dt.datetime(2027, 3, 1)  # noqa: DTZ001


@settings(max_examples=80, deadline=None)
@given(
    start=st.datetimes(min_value=LOW, max_value=HIGH, timezones=st.just(TZ)),
    seconds=st.integers(0, 80 * 3600),
)
def test_add_and_working_time_are_inverse_to_the_microsecond(start, seconds):
    due = CN.add(start, dt.timedelta(seconds=seconds))
    assert CN.span(start, due).duration == dt.timedelta(seconds=seconds)
    if seconds:
        # Earliest instant: a microsecond earlier the target is not yet reached.
        assert CN.span(start, due - dt.timedelta(microseconds=1)).duration < dt.timedelta(
            seconds=seconds
        )


@settings(max_examples=30, deadline=None)
@given(
    start=st.datetimes(timezones=st.sampled_from([TZ, ZoneInfo("Europe/Berlin")])),
    seconds=st.integers(0, 10**8),
)
def test_natural_time_is_absolute_addition(start, seconds):
    delta = dt.timedelta(seconds=seconds)
    try:
        # Absolute time: across a daylight-saving change (Shanghai had them until 1991),
        # wall-clock addition would be an hour off.
        expected = (start.astimezone(dt.UTC) + delta).astimezone(TZ)
    except OverflowError:
        return
    assert NATURAL.add(start, delta) == expected
    assert NATURAL.working_seconds_between(start, expected) == seconds


# --- known answers, computed by hand from the 2026 State Council table ---------------------
@pytest.mark.parametrize(
    ("start", "target", "due"),
    [
        # Wed 30 Sep 16:00-17:30 gives 1h30m; 1-7 Oct is National Day; Thu 8 Oct is a working
        # day in the 2026 notice (only 1-7 Oct are off), so the last 30 minutes end at 09:00.
        ("2026-09-30T16:00:00+08:00", "2h", "2026-10-08T09:00:00+08:00"),
        # Sat 10 Oct 2026 is an adjusted working day (调休).
        ("2026-10-09T16:00:00+08:00", "2h", "2026-10-10T09:00:00+08:00"),
        # Sun 20 Sep 2026 is an adjusted working day; Sat 19 is not.
        ("2026-09-18T17:00:00+08:00", "1h", "2026-09-20T09:00:00+08:00"),
        # Mid-autumn Festival 25-27 Sep.
        ("2026-09-24T17:00:00+08:00", "1h", "2026-09-28T09:00:00+08:00"),
        # Work that ends exactly at the lunch break is due at 12:00, not at 13:00.
        ("2026-09-29T10:00:00+08:00", "2h", "2026-09-29T12:00:00+08:00"),
        # Started in the break: counting begins at 13:00.
        ("2026-09-29T12:30:00+08:00", "30m", "2026-09-29T13:30:00+08:00"),
        # Friday after hours, month end: Monday 08:31.
        ("2026-11-27T17:30:00+08:00", "1m", "2026-11-30T08:31:00+08:00"),
        # 48 working hours = 6 working days of 8 hours.
        ("2026-11-02T08:30:00+08:00", "48h", "2026-11-09T17:30:00+08:00"),
        # Another zone's offset is the same instant.
        ("2026-09-30T08:00:00+00:00", "2h", "2026-10-08T09:00:00+08:00"),
    ],
)
def test_known_due_times(start, target, due):
    assert CN.add(at(start), parse_duration(target)) == at(due)
    assert CN.add(at(start), parse_duration(target)).isoformat() == due


def test_natural_callback_within_seven_days():
    assert NATURAL.add(at("2026-09-30T16:00+08:00"), parse_duration("7d")) == at(
        "2026-10-07T16:00+08:00"
    )


def test_past_the_horizon_the_weekly_rule_applies_and_is_reported():
    due = CN.due(at("2026-12-31T16:00+08:00"), dt.timedelta(hours=8))
    # 2027-01-01 is a Friday: the weekly rule works it (the real notice will likely not).
    assert due.at == at("2027-01-01T16:00+08:00")
    assert due.fallback_years == {2027}
    inside = CN.due(at("2026-12-30T09:00+08:00"), dt.timedelta(hours=2))
    assert inside.fallback_years == frozenset()
    assert CN.span(at("2026-12-31T09:00+08:00"), at("2027-01-05T09:00+08:00")).fallback_years == {
        2027
    }


def test_an_entry_past_the_horizon_is_honoured():
    cal = WorkingCalendar(
        "cn",
        weekly=WEEKLY,
        holidays=[*HOLIDAYS, dt.date(2027, 1, 1)],
        workdays=WORKDAYS,
        horizon=HORIZON,
    )
    assert cal.add(at("2026-12-31T17:00+08:00"), dt.timedelta(hours=1)) == at(
        "2027-01-04T09:00+08:00"
    )


def test_is_working():
    assert CN.is_working(at("2026-10-10T09:00+08:00"))
    assert not CN.is_working(at("2026-10-08T12:30+08:00"))
    assert not CN.is_working(at("2026-10-05T10:00+08:00"))


# --- bad input is refused with the reason ---------------------------------------------------
@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30m", 1800),
        ("2h", 7200),
        ("48h", 172800),
        ("3d", 259200),
        ("1h30m", 5400),
        (" 2H ", 7200),
        ("90s", 90),
        ("1d2h", 93600),
    ],
)
def test_durations(text, seconds):
    assert parse_duration(text) == dt.timedelta(seconds=seconds)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2", "ambiguous"),
        ("-2h", "negative"),
        ("0m", "zero"),
        ("", "empty"),
        ("2w", "not a duration"),
        ("h", "not a duration"),
        ("2h2h", "twice"),
        ("30m1h", "larger units first"),
        ("1.5h", "not a duration"),
    ],
)
def test_bad_durations_are_refused_with_the_reason(text, reason):
    with pytest.raises(DurationError, match=reason):
        parse_duration(text)


def test_zero_where_allowed():
    assert parse_duration("0m", allow_zero=True) == dt.timedelta(0)


@given(st.integers(1, 10**7))
def test_format_duration_reads_back(seconds):
    assert parse_duration(format_duration(dt.timedelta(seconds=seconds))) == dt.timedelta(
        seconds=seconds
    )


@pytest.mark.parametrize(
    ("weekly", "reason"),
    [
        ({"mon": [["12:00", "08:30"]]}, "ends before it starts"),
        ({"mon": [["08:30", "12:00"], ["11:00", "13:00"]]}, "overlap"),
        ({"mon": [["8h", "12:00"]]}, "not a time of day"),
        ({"mon": [["08:30", "24:30"]]}, "between 00:00 and 24:00"),
        ({"monday": [["08:30", "12:00"]]}, "unknown day"),
        ({}, "at least one weekday"),
        ({"mon": [["08:30"]]}, "not a \\[start, end\\] pair"),
    ],
)
def test_bad_weekly_schedules_are_refused(weekly, reason):
    with pytest.raises(CalendarError, match=reason):
        parse_weekly(weekly)


def test_naive_times_and_negative_durations_are_refused():
    with pytest.raises(CalendarError, match="offset"):
        CN.add(dt.datetime(2026, 9, 30, 16), dt.timedelta(hours=1))  # noqa: DTZ001
    with pytest.raises(CalendarError, match="negative"):
        CN.add(at("2026-09-30T16:00+08:00"), dt.timedelta(hours=-1))
    with pytest.raises(CalendarError, match="time zone"):
        WorkingCalendar("x", weekly=WEEKLY, timezone="Mars/Olympus")
    with pytest.raises(CalendarError, match="both a holiday"):
        WorkingCalendar(
            "x", weekly=WEEKLY, holidays=[dt.date(2026, 1, 1)], workdays=[dt.date(2026, 1, 1)]
        )


def test_a_calendar_without_any_working_time_ahead_fails_clearly():
    days = [dt.date(2026, 1, 1) + dt.timedelta(days=n) for n in range(4000)]
    cal = WorkingCalendar("closed", weekly=WEEKLY, holidays=days)
    with pytest.raises(CalendarError, match="no working time"):
        cal.add(at("2026-01-01T00:00+08:00"), dt.timedelta(hours=1))
