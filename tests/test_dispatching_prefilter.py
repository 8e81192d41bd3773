"""The vectorised paths against the rule functions, unit by unit, on random fleets.

The fleet table (:mod:`anxin.dispatching.prefilter`), the batch masks of joint assignment and
the proposal solver's one-query search and one-call timing must give exactly what the rule
functions and the plain per-unit algorithm give.
"""

from __future__ import annotations

import datetime as dt
import math
from unittest import mock
from zoneinfo import ZoneInfo

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anxin.dispatching import (
    CrewMember,
    FleetIndex,
    HaversineModel,
    Point,
    RescueRequest,
    UnitSnapshot,
    propose,
)
from anxin.dispatching import index as index_module
from anxin.dispatching.engine import FIRST_QUERY, WIDEN_FACTOR, time_candidates
from anxin.dispatching.feasibility import BatchFeasibility
from anxin.dispatching.prefilter import epoch_us, local_time_us, local_times_us
from anxin.dispatching.rules import HARD_RULES, RuleContext, first_failure
from anxin.dispatching.travel import SHANGHAI

CENTRE = Point(30.2741, 120.1551)
BASE = dt.datetime(2026, 11, 23, 10, 30, tzinfo=SHANGHAI)
ZONES = [SHANGHAI, dt.UTC, ZoneInfo("Europe/Berlin")]
TIMES = st.builds(dt.time, st.integers(0, 23), st.sampled_from([0, 15, 30, 59]))


def at(x_km: float, y_km: float) -> Point:
    lat = CENTRE.lat + y_km / 111.195
    return Point(lat, CENTRE.lon + x_km / (111.195 * math.cos(math.radians(CENTRE.lat))))


@st.composite
def units(draw: st.DrawFn, now: dt.datetime, uid: int) -> UnitSnapshot:
    status = draw(st.sampled_from(["available", "busy", "returning", "assigned", "off_duty"]))
    busy_until = draw(
        st.one_of(
            st.none(),
            st.integers(-120, 600).map(lambda m: now + dt.timedelta(minutes=m, seconds=7)),
        )
    )
    shift = draw(st.one_of(st.none(), st.tuples(TIMES, TIMES)))
    crew = tuple(
        CrewMember(f"c{uid}-{j}", certs)
        for j, certs in enumerate(
            draw(
                st.lists(
                    st.dictionaries(
                        st.sampled_from(["ev_hv", "towing"]),
                        st.integers(-3, 3).map(lambda d: now.date() + dt.timedelta(days=d)),
                    ),
                    max_size=3,
                )
            )
        )
    )
    return UnitSnapshot(
        id=uid,
        point=at(draw(st.floats(-15, 15)), draw(st.floats(-15, 15))),
        kind=draw(st.sampled_from(["tow_truck", "flatbed", "service_van"])),  # type: ignore[arg-type]
        capabilities=draw(st.frozensets(st.sampled_from(["winch", "battery_boost"]))),
        status=status,  # type: ignore[arg-type]
        crew=crew,
        daily_check=draw(st.sampled_from(["passed", "passed", "failed", "missing"])),  # type: ignore[arg-type]
        shift_start=shift[0] if shift else None,
        shift_end=shift[1] if shift else None,
        busy_until=busy_until,
        busy_point=at(draw(st.floats(-15, 15)), 0) if busy_until else None,
        jobs_today=draw(st.integers(0, 6)),
    )


@st.composite
def requests(draw: st.DrawFn, rid: int = 0) -> RescueRequest:
    return RescueRequest(
        id=f"r{rid}",
        point=at(draw(st.floats(-15, 15)), draw(st.floats(-15, 15))),
        fault=draw(st.sampled_from(["flat_tyre", "no_start", "hv_battery"])),
        needs=draw(st.frozensets(st.sampled_from(["towing", "flatbed", "winch", "hv_certified"]))),
        priority=draw(st.integers(0, 2)),
        area=draw(st.sampled_from(["urban", "remote"])),  # type: ignore[arg-type]
        powertrain=draw(st.sampled_from(["ice", "hev", "bev"])),  # type: ignore[arg-type]
    )


@st.composite
def scenes(draw: st.DrawFn, n_requests: int = 1, max_units: int = 40):
    tz = draw(st.sampled_from(ZONES))
    # Any time of year (daylight-saving changes included) and of day, in the dispatch zone.
    now = (BASE + dt.timedelta(minutes=draw(st.integers(0, 366 * 24 * 60)))).astimezone(tz)
    size = draw(st.integers(1, max_units))
    fleet = [draw(units(now, i)) for i in range(size)]
    batch = [draw(requests(i)) for i in range(n_requests)]
    return RuleContext(now, tz), fleet, batch


SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))


@SETTINGS
@given(scenes())
def test_the_table_judges_each_rule_as_its_function_does(scene):
    ctx, fleet, [request] = scene
    table = FleetIndex(fleet).table
    every = np.arange(len(fleet), dtype=np.intp)
    for rule in HARD_RULES:
        assert rule.check is not None
        expected = [rule.check(request, unit, ctx).ok for unit in fleet]
        assert table.judge(rule, request, ctx, every).tolist() == expected, rule.name
    codes, results, known = table.screen(request, ctx, every)
    for unit, code, verdict, there in zip(
        fleet, codes.tolist(), results.tolist(), known.tolist(), strict=True
    ):
        failure = first_failure(request, unit, ctx)
        assert code == (-1 if failure is None else HARD_RULES.index(_spec(failure[0])))
        assert there == (verdict is not None)
        if verdict is not None:
            # A verdict shared by a class is exactly what the function says of this unit.
            assert failure is not None and verdict == failure[1]
    assert table.feasible(request, ctx, every).tolist() == [
        first_failure(request, unit, ctx) is None for unit in fleet
    ]


def _spec(name: str):
    return next(rule for rule in HARD_RULES if rule.name == name)


@SETTINGS
@given(scenes())
def test_the_start_offset_is_the_rules_start_time(scene):
    from anxin.dispatching.rules import start_time

    ctx, fleet, _ = scene
    table = FleetIndex(fleet).table
    got = table.start_offset_s(ctx, np.arange(len(fleet), dtype=np.intp)).tolist()
    assert got == [(start_time(u, ctx) - ctx.now).total_seconds() for u in fleet]


@SETTINGS
@given(scenes(n_requests=4))
def test_batch_masks_are_the_rule_functions_verdicts(scene):
    ctx, fleet, batch = scene
    feasibility = BatchFeasibility(batch, FleetIndex(fleet), ctx)
    rows = np.repeat(np.arange(len(batch)), len(fleet))
    cols = np.tile(np.arange(len(fleet)), len(batch))
    expected = [
        first_failure(batch[r], fleet[u], ctx) is None for r, u in zip(rows, cols, strict=True)
    ]
    assert feasibility.mask(rows, cols).tolist() == expected
    for g, members in enumerate(feasibility.members):
        assert members.tolist() == np.flatnonzero(feasibility.masks[g]).tolist()


def reference_propose(request, fleet, ctx, travel, limit, pool):
    """The proposal as the plain algorithm defines it: the nearest units, widening by
    ``WIDEN_FACTOR``, each judged by ``first_failure``, then timed by ``time_candidates``."""
    index = FleetIndex(fleet)
    feasible, rejected = [], []
    seen, k = 0, min(len(fleet), max(FIRST_QUERY, 2 * pool))
    while seen < len(fleet):
        for i, distance in index.nearest(request.point, k, skip=seen):
            failure = first_failure(request, index.units[i], ctx)
            if failure is None:
                feasible.append((i, distance))
            else:
                rejected.append((index.units[i].id, failure[0], failure[1].reason))
        seen = k
        if len(feasible) >= pool:
            break
        k = min(len(fleet), k * WIDEN_FACTOR)
    timed = time_candidates(request, feasible, index.units, ctx, travel)
    timed.sort(key=lambda c: (c.cost, c.eta_seconds, str(c.unit.id)))
    return [(c.unit.id, c.eta_seconds) for c in timed[:limit]], rejected


@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
@given(scenes(max_units=100), st.integers(1, 4), st.integers(1, 12))
def test_propose_matches_the_plain_algorithm(scene, limit, pool):
    ctx, fleet, [request] = scene
    # Fleets of up to 100, so the search widens (32, 64, 100); also the model in a
    # zone other than the dispatch zone, which takes the grouped timing path.
    for travel in (HaversineModel(tz=ctx.tz), HaversineModel()):
        result = propose(
            request, fleet, now=ctx.now, travel=travel, limit=limit, pool=pool, tz=ctx.tz
        )
        best, rejected = reference_propose(request, fleet, ctx, travel, limit, pool)
        assert [p.unit_id for p in result.proposals] == [uid for uid, _ in best]
        for proposal, (_, eta) in zip(result.proposals, best, strict=True):
            assert math.isclose(proposal.eta_seconds, eta, rel_tol=1e-12, abs_tol=1e-9)
        assert [(r.unit_id, r.rule, r.reason) for r in result.rejections] == rejected


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(scenes(max_units=100), st.integers(1, 4), st.integers(1, 12))
def test_propose_matches_the_plain_algorithm_on_a_fleet_kept_in_tree_order(scene, limit, pool):
    # Large fleets are kept in the k-d tree's leaf order (REORDER_FROM): force it here.
    ctx, fleet, [request] = scene
    with mock.patch.object(index_module, "REORDER_FROM", 1):
        index = FleetIndex(fleet)
        assert sorted(index.order.tolist()) == list(range(len(fleet)))
        assert [fleet[i] for i in index.order.tolist()] == list(index.units)
        travel = HaversineModel(tz=ctx.tz)
        result = propose(
            request, index, now=ctx.now, travel=travel, limit=limit, pool=pool, tz=ctx.tz
        )
        best, rejected = reference_propose(request, fleet, ctx, travel, limit, pool)
    assert [p.unit_id for p in result.proposals] == [uid for uid, _ in best]
    assert [(r.unit_id, r.rule, r.reason) for r in result.rejections] == rejected


def test_propose_with_units_at_the_same_spot_asks_the_tree_round_by_round():
    # Ties in distance: the one-query search must not reorder them.
    now = BASE
    fleet = [
        UnitSnapshot(id=i, point=at(1.0, 0.0), kind="tow_truck", daily_check="failed")  # type: ignore[arg-type]
        for i in range(70)
    ] + [UnitSnapshot(id="ok", point=at(5.0, 0.0), kind="tow_truck")]  # type: ignore[arg-type]
    request = RescueRequest(id="r", point=CENTRE, fault="no_start")
    ctx = RuleContext(now)
    result = propose(request, fleet, now=now, travel=HaversineModel(), limit=1)
    best, rejected = reference_propose(request, fleet, ctx, HaversineModel(), 1, 10)
    assert [p.unit_id for p in result.proposals] == [uid for uid, _ in best] == ["ok"]
    assert [(r.unit_id, r.rule, r.reason) for r in result.rejections] == rejected


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(ZONES + [ZoneInfo("America/New_York"), ZoneInfo("Australia/Lord_Howe")]),
    st.lists(st.integers(-3 * 3600, 3 * 3600), min_size=1, max_size=30),
    st.sampled_from(
        # Around daylight-saving changes (Berlin, New York, Lord Howe's half hour) and not.
        [
            dt.datetime(2026, 3, 29, 1, 0, tzinfo=dt.UTC),
            dt.datetime(2026, 10, 25, 1, 0, tzinfo=dt.UTC),
            dt.datetime(2026, 3, 8, 7, 0, tzinfo=dt.UTC),
            dt.datetime(2026, 4, 4, 15, 0, tzinfo=dt.UTC),
            dt.datetime(2026, 11, 23, 2, 30, tzinfo=dt.UTC),
        ]
    ),
)
def test_local_times_of_many_moments_are_each_moments_local_time(tz, seconds, around):
    moments = [around + dt.timedelta(seconds=s, microseconds=7) for s in seconds]
    got = local_times_us(np.array([epoch_us(m) for m in moments], dtype=np.int64), tz, {})
    assert got.tolist() == [local_time_us(m, tz) for m in moments]
