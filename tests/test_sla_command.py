"""``anxin sla``: the due-time calculator runs the clocks' own code; bad input exits non-zero."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from anxin.commitments.models import AdminAlert


def sla(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("sla", *args, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue().strip()


@pytest.mark.parametrize(
    ("calendar", "start", "target", "due"),
    [
        ("cn-workday", "2026-09-30T16:00+08:00", "2h", "2026-10-08T09:00:00+08:00"),
        ("cn-workday", "2026-10-09T16:00:00+08:00", "2h", "2026-10-10T09:00:00+08:00"),
        # 08:00Z is 16:00 in Shanghai: the 1h30m end exactly at 17:30, the end of the day.
        ("cn-workday", "2026-09-30T08:00:00Z", "1h30m", "2026-09-30T17:30:00+08:00"),
        ("natural", "2026-09-30T16:00+08:00", "7d", "2026-10-07T16:00:00+08:00"),
        ("natural", "2026-09-30T23:50+08:00", "30m", "2026-10-01T00:20:00+08:00"),
    ],
)
def test_due_prints_the_due_time_with_its_offset(db, calendar, start, target, due):
    out, err = sla("due", "--calendar", calendar, "--start", start, "--target", target)
    assert (out, err) == (due, "")


def test_past_the_horizon_it_warns_and_alerts_the_administrators(db):
    out, err = sla(
        "due", "--calendar", "cn-workday", "--start", "2026-12-31T17:00+08:00", "--target", "1h"
    )
    assert out == "2027-01-01T09:00:00+08:00"
    assert "no holiday data for 2027" in err
    assert AdminAlert.objects.filter(key="calendar-horizon:cn-workday:2027").exists()


def test_calendars_lists_the_names(db):
    out, _ = sla("calendars")
    names = [line.split("\t")[0] for line in out.splitlines()]
    assert names[:2] == ["cn-workday", "natural"]
    assert "holidays until 2026-12-31" in out


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (
            ["--calendar", "mars", "--start", "2026-09-30T16:00+08:00", "--target", "2h"],
            "unknown calendar 'mars'",
        ),
        (
            ["--calendar", "natural", "--start", "2026-09-30T16:00", "--target", "2h"],
            "has no UTC offset",
        ),
        (["--calendar", "natural", "--start", "yesterday", "--target", "2h"], "not an ISO 8601"),
        (
            ["--calendar", "natural", "--start", "2026-09-30T16:00+08:00", "--target", "2"],
            "ambiguous",
        ),
        (
            ["--calendar", "natural", "--start", "2026-09-30T16:00+08:00", "--target=-2h"],
            "negative",
        ),
        (["--calendar", "natural", "--start", "2026-09-30T16:00+08:00", "--target", "0m"], "zero"),
    ],
)
def test_bad_input_is_refused_with_the_reason(db, args, reason):
    with pytest.raises(CommandError, match=reason):
        sla("due", *args)


def test_the_anxin_command_exits_non_zero_with_the_reason():
    # Checked before the database is touched, so this runs without a migrated database.
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "anxin.settings"}
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from anxin.cli import main; main()",
            "sla",
            "due",
            "--calendar",
            "cn-workday",
            "--start",
            "2026-09-30T16:00+08:00",
            "--target",
            "2",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert "ambiguous" in done.stderr and done.stdout == ""
