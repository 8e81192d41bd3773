"""Rollups kept as jobs move agree exactly with a rebuild from the records (KPI-1, DSP-4)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anxin.network.models import RescueUnit, UnitDailyCheck
from anxin.quality import rollup
from anxin.quality.models import Cell, Fact
from anxin.rescue.models import RescueJob

from .helpers import T0, make_units, new_job, rescue, step

pytestmark = pytest.mark.django_db
OCT = (dt.date(2026, 10, 1), dt.date(2026, 10, 31))


def test_a_job_counts_once_it_arrives_with_its_exact_response_time(
    admin_user, east, hangzhou, base
):
    (unit,) = make_units(base, 1)
    job = new_job(admin_user, east, hangzhou, T0)
    for name in ["check", "dispatch", "accept", "depart"]:
        job = step(job, name, admin_user, T0 + dt.timedelta(minutes=2), unit=unit)
    assert rollup.figure("rescue_response_mean", "region", str(east.pk), *OCT).n == 0

    step(job, "arrive", admin_user, T0 + dt.timedelta(minutes=12, seconds=30))

    fig = rollup.figure("rescue_response_mean", "region", str(east.pk), *OCT)
    assert (fig.n, fig.value) == (1, 12.5)
    assert rollup.figure("rescue_within_15", "unit", str(unit.pk), *OCT).value == 100.0
    assert rollup.figure("rescue_routine_arrival", "city", str(hangzhou.pk), *OCT).value == 100.0
    assert rollup.differences() == []


def test_a_job_moved_to_another_region_leaves_its_citys_cells_in_the_citys_region(
    admin_user, east, south, hangzhou, base
):
    # Found by the state-machine test below: the city's cell took the region of whichever
    # fact made it, so the incremental cells and a rebuild disagreed.
    (unit,) = make_units(base, 1)
    job = rescue(admin_user, east, hangzhou, unit, T0, 10)
    job.region = south  # the job handed to another region's desk; it stays in Hangzhou
    job.save()
    rescue(admin_user, east, hangzhou, unit, T0 + dt.timedelta(hours=1), 20)
    cells = Cell.objects.filter(scope="city", key=str(hangzhou.pk))
    assert cells.exists() and {c.region_id for c in cells} == {hangzhou.region_id}
    assert set(Cell.objects.filter(scope="region").values_list("key", flat=True)) == {
        str(east.pk),
        str(south.pk),
    }
    assert rollup.differences() == []


def test_percentiles_merge_across_units_and_days_within_one_bucket(
    admin_user, east, hangzhou, base
):
    units = make_units(base, 4)
    minutes = [8, 11, 14, 19, 25, 31, 42, 58]
    for i, m in enumerate(minutes):
        rescue(admin_user, east, hangzhou, units[i % 4], T0 + dt.timedelta(days=i % 3, hours=i), m)
    p50 = rollup.figure("rescue_response_p50", "network", "", *OCT).value
    p90 = rollup.figure("rescue_response_p90", "network", "", *OCT).value
    mean = rollup.figure("rescue_response_mean", "network", "", *OCT).value
    # Nearest rank: the 4th of 8 values (19 min) and the 8th (58 min), each within 30 s.
    assert abs(p50 - 19) <= 0.5 and abs(p90 - 58) <= 0.5
    assert mean == pytest.approx(sum(minutes) / len(minutes))
    # Share within 15 min and the emergency/routine split are exact counts.
    assert rollup.figure("rescue_within_15", "network", "", *OCT).value == pytest.approx(37.5)


def test_emergency_arrival_is_judged_against_30_urban_and_50_remote(
    admin_user, east, hangzhou, base
):
    units = make_units(base, 3)
    rescue(admin_user, east, hangzhou, units[0], T0, 29, priority="emergency", area="urban")
    rescue(admin_user, east, hangzhou, units[1], T0, 45, priority="emergency", area="remote")
    rescue(admin_user, east, hangzhou, units[2], T0, 45, priority="emergency", area="urban")
    fig = rollup.figure("rescue_arrival_on_time", "region", str(east.pk), *OCT)
    assert (fig.n, fig.num) == (3, 2)
    assert fig.meets is False


def test_a_cancelled_job_keeps_its_arrival_under_the_unit_that_went(
    admin_user, east, hangzhou, base
):
    (unit,) = make_units(base, 1)
    job = rescue(admin_user, east, hangzhou, unit, T0, 20)
    step(job, "cancel", admin_user, T0 + dt.timedelta(minutes=25))
    assert RescueJob.objects.get(pk=job.pk).unit_id is None
    assert rollup.figure("rescue_response_mean", "unit", str(unit.pk), *OCT).n == 1
    assert rollup.differences() == []


def test_daily_checks_feed_equipment_readiness_and_follow_edits_and_deletes(east, base):
    (unit,) = make_units(base, 1)
    day = dt.date(2026, 10, 5)
    checks = [
        UnitDailyCheck.objects.create(
            unit=unit, day=day + dt.timedelta(days=i), passed=i != 2, checked_at=T0
        )
        for i in range(4)
    ]
    assert rollup.figure("equipment_readiness", "unit", str(unit.pk), *OCT).value == 75.0
    checks[2].passed = True
    checks[2].save()
    checks[0].delete()
    fig = rollup.figure("equipment_readiness", "region", str(east.pk), *OCT)
    assert (fig.n, fig.value) == (3, 100.0)
    assert rollup.differences() == []


def test_rebuild_reproduces_the_incremental_cells_row_for_row(admin_user, east, hangzhou, base):
    units = make_units(base, 3)
    for i in range(6):
        rescue(admin_user, east, hangzhou, units[i % 3], T0 + dt.timedelta(hours=3 * i), 7 + 6 * i)
    before = sorted(Cell.objects.values_list("measure", "day", "scope", "key", "n", "num", "total"))
    hists = {(c.measure, c.day, c.scope, c.key): c.hist for c in Cell.objects.all()}
    counts = rollup.rebuild()
    after = sorted(Cell.objects.values_list("measure", "day", "scope", "key", "n", "num", "total"))
    assert before == after and counts["facts"] == Fact.objects.count() == 6
    assert hists == {(c.measure, c.day, c.scope, c.key): c.hist for c in Cell.objects.all()}


class Rollback(Exception):
    pass


EVENTS = st.lists(
    st.tuples(
        st.sampled_from(["new", "advance", "advance", "advance", "cancel", "edit", "check"]),
        st.integers(0, 4),
        st.integers(1, 50 * 60),
        st.booleans(),
    ),
    min_size=1,
    max_size=30,
)
NEXT = {
    "created": "check",
    "checked": "dispatch",
    "dispatched": "accept",
    "accepted": "depart",
    "en_route": "arrive",
    "arrived": "start_work",
}


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(events=EVENTS)
def test_incremental_rollups_equal_a_rebuild_after_any_sequence_of_events(
    admin_user, east, south, hangzhou, base, events
):
    try:
        with transaction.atomic():
            units = make_units(base, 5)
            jobs: list[RescueJob] = []
            now = T0
            for kind, which, gap, flag in events:
                now += dt.timedelta(seconds=gap)
                if kind == "new" or not jobs:
                    extra = {"priority": "emergency", "area": "remote"} if flag else {}
                    jobs.append(new_job(admin_user, east, hangzhou, now, **extra))
                    continue
                job = RescueJob.objects.get(pk=jobs[which % len(jobs)].pk)
                if kind == "advance" and job.state in NEXT:
                    free = RescueUnit.objects.filter(
                        pk__in=[u.pk for u in units], status="available"
                    )
                    unit = free.first()
                    if unit is None and job.state == "checked":
                        continue
                    step(job, NEXT[job.state], admin_user, now, unit=unit)
                elif kind == "cancel" and job.is_open:
                    step(job, "cancel", admin_user, now)
                elif kind == "edit":
                    job.fault = "tyre" if flag else "flat_battery"
                    job.region = south if flag and which % 2 else east
                    job.save()
                elif kind == "check":
                    unit = units[which]
                    day = dt.date(2026, 10, 1 + gap % 20)
                    row = UnitDailyCheck.objects.filter(unit=unit, day=day).first()
                    if row is None:
                        UnitDailyCheck.objects.create(
                            unit=unit, day=day, passed=flag, checked_at=now
                        )
                    elif flag:
                        row.delete()
                    else:
                        row.passed = not row.passed
                        row.save()
            assert rollup.differences() == []
            raise Rollback
    except Rollback:
        pass


def test_kpi_check_finds_drift_and_rebuild_repairs_it(admin_user, east, hangzhou, base):
    from django.core.management import CommandError, call_command

    (unit,) = make_units(base, 1)
    rescue(admin_user, east, hangzhou, unit, T0, 10)
    call_command("kpi", "check")
    Cell.objects.filter(scope="region").update(n=99)
    with pytest.raises(CommandError, match="differ"):
        call_command("kpi", "check")
    call_command("kpi", "rebuild")
    call_command("kpi", "check")
    assert rollup.figure("rescue_response_mean", "region", str(east.pk), *OCT).n == 1
