"""Peak mode: joint assignment of the waiting requests, and the policies built on the engine."""

from __future__ import annotations

import datetime as dt
import itertools
import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment

from anxin.dispatching import (
    POLICIES,
    Assignment,
    BestEta,
    FleetIndex,
    HaversineModel,
    JointEta,
    NearestIdle,
    Point,
    RescueRequest,
    UnitSnapshot,
    assign_jointly,
)
from anxin.dispatching.engine import time_candidates
from anxin.dispatching.rules import RuleContext, first_failure, pair_cost
from anxin.dispatching.travel import SHANGHAI

NOW = dt.datetime(2026, 11, 23, 18, 0, tzinfo=SHANGHAI)
CENTRE = Point(30.2741, 120.1551)
MODEL = HaversineModel()
PENALTY = 1e9


def at(x_km: float, y_km: float = 0.0) -> Point:
    lat = CENTRE.lat + y_km / 111.195
    return Point(lat, CENTRE.lon + x_km / (111.195 * math.cos(math.radians(CENTRE.lat))))


def unit(uid: object, x_km: float, y_km: float = 0.0, **kw: object) -> UnitSnapshot:
    fields: dict[str, object] = {"kind": "tow_truck", **kw}
    return UnitSnapshot(id=uid, point=at(x_km, y_km), **fields)  # type: ignore[arg-type]


def call(
    rid: object, x_km: float, y_km: float = 0.0, minute: int = 0, **kw: object
) -> RescueRequest:
    created = NOW - dt.timedelta(minutes=60 - minute)
    fields: dict[str, object] = {"fault": "no_start", "created_at": created, **kw}
    return RescueRequest(id=rid, point=at(x_km, y_km), **fields)  # type: ignore[arg-type]


def cost_matrix(requests: list[RescueRequest], units: list[UnitSnapshot]) -> np.ndarray:
    """Every pair's cost by the engine's own rules and ETA; infeasible pairs at PENALTY."""
    ctx = RuleContext(NOW)
    matrix = np.full((len(requests), len(units)), PENALTY)
    for i, r in enumerate(requests):
        for j, u in enumerate(units):
            if first_failure(r, u, ctx) is None:
                [c] = time_candidates(r, [(j, 0.0)], units, ctx, MODEL)
                matrix[i, j] = pair_cost(r, u, c.eta_seconds)
    return matrix


def total(assignment: Assignment, requests, units, matrix) -> float:
    r_pos = {r.id: i for i, r in enumerate(requests)}
    u_pos = {u.id: j for j, u in enumerate(units)}
    return float(sum(matrix[r_pos[p.request_id], u_pos[p.unit_id]] for p in assignment.pairs))


def test_joint_assignment_beats_first_come_nearest_when_one_unit_is_scarce():
    # The first caller is between the two units; the second can only be reached in time by the
    # unit the first caller's greedy choice takes.
    requests = [call("early", 0, minute=0), call("late", -6, minute=5)]
    units = [unit("west", -5), unit("east", 6)]
    greedy = BestEta().assign(requests, units, now=NOW, travel=MODEL)
    joint = assign_jointly(requests, units, now=NOW, travel=MODEL)
    assert {p.request_id: p.unit_id for p in greedy.pairs} == {"early": "west", "late": "east"}
    assert {p.request_id: p.unit_id for p in joint.pairs} == {"early": "east", "late": "west"}
    matrix = cost_matrix(requests, units)
    assert total(joint, requests, units, matrix) < total(greedy, requests, units, matrix)


def test_a_request_with_no_feasible_unit_waits_instead_of_failing():
    requests = [call("ev", 0, needs={"towing"}, powertrain="bev"), call("ice", 1)]
    units = [unit("tow", 2)]  # no flatbed anywhere
    result = assign_jointly(requests, units, now=NOW, travel=MODEL)
    assert [(p.request_id, p.unit_id) for p in result.pairs] == [("ice", "tow")]
    assert result.unassigned == ["ev"]


def test_more_requests_than_units_leaves_the_least_urgent_waiting():
    requests = [call("normal", 0), call("emergency", 20, priority=2)]
    result = assign_jointly(requests, [unit("only", 1)], now=NOW, travel=MODEL)
    assert [p.request_id for p in result.pairs] == ["emergency"]
    assert result.unassigned == ["normal"]


def test_empty_batches_and_fleets_are_fine():
    assert assign_jointly([], [unit("u", 0)], now=NOW, travel=MODEL) == Assignment([], [])
    assert assign_jointly([call("r", 0)], [], now=NOW, travel=MODEL).unassigned == ["r"]
    with pytest.raises(ValueError):
        assign_jointly([call("r", 0), call("r", 1)], [unit("u", 0)], now=NOW, travel=MODEL)


def test_a_hotspot_is_served_from_the_ring_around_it():
    # 60 calls within 1 km; 150 units spread out: everyone's nearest units are the same few.
    rng = np.random.default_rng(7)
    requests = [call(f"r{i}", *rng.normal(0, 0.5, 2)) for i in range(60)]
    units = [unit(f"u{j}", *rng.uniform(-40, 40, 2)) for j in range(150)]
    result = assign_jointly(requests, units, now=NOW, travel=MODEL, k_candidates=3)
    assert result.unassigned == []
    used = [p.unit_id for p in result.pairs]
    assert len(used) == len(set(used)) == 60
    matrix = cost_matrix(requests, units)
    rows, cols = linear_sum_assignment(matrix)
    optimum = float(matrix[rows, cols].sum())
    assert total(result, requests, units, matrix) <= optimum * 1.10


kinds = st.sampled_from(["tow_truck", "flatbed", "service_van"])
statuses = st.sampled_from(["available", "available", "busy", "off_duty"])
units_strategy = st.lists(
    st.tuples(
        st.floats(-20, 20),
        st.floats(-20, 20),
        kinds,
        statuses,
        st.integers(0, 40),
        st.integers(0, 5),
    ),
    min_size=1,
    max_size=6,
)
requests_strategy = st.lists(
    st.tuples(
        st.floats(-20, 20),
        st.floats(-20, 20),
        st.sampled_from([frozenset(), frozenset({"towing"}), frozenset({"flatbed"})]),
        st.integers(0, 2),
    ),
    min_size=1,
    max_size=5,
)


def build(unit_rows, request_rows):
    units = [
        unit(
            f"u{j}", x, y, kind=kind, status=status, jobs_today=jobs,
            busy_until=NOW + dt.timedelta(minutes=busy) if status == "busy" else None,
        )
        for j, (x, y, kind, status, busy, jobs) in enumerate(unit_rows)
    ]  # fmt: skip
    requests = [
        call(f"r{i}", x, y, minute=i, needs=needs, priority=priority)
        for i, (x, y, needs, priority) in enumerate(request_rows)
    ]
    return requests, units


def objective(assignment: Assignment, requests, units, matrix) -> tuple[float, float]:
    """What joint assignment minimises, in order: the weight of the requests left waiting (so
    as many, and as urgent, requests as possible are served), then the total weighted cost."""
    weights = {r.id: r.weight for r in requests}
    waiting = sum(weights[r] for r in assignment.unassigned)
    return waiting, total(assignment, requests, units, matrix)


def brute_force(matrix: np.ndarray, weights: list[float]) -> tuple[float, float]:
    """The best objective over every possible assignment."""
    n, m = matrix.shape
    best = (math.inf, math.inf)
    options = [[None, *[j for j in range(m) if matrix[i, j] < PENALTY]] for i in range(n)]
    for choice in itertools.product(*options):
        chosen = [j for j in choice if j is not None]
        if len(chosen) != len(set(chosen)):
            continue
        waiting = sum(weights[i] for i, j in enumerate(choice) if j is None)
        cost = sum(matrix[i, j] for i, j in enumerate(choice) if j is not None)
        if (waiting, cost) < best:
            best = (waiting, cost)
    return best


@settings(max_examples=60, deadline=None)
@given(units_strategy, requests_strategy)
def test_joint_assignment_is_optimal_on_small_instances(unit_rows, request_rows):
    requests, units = build(unit_rows, request_rows)
    result = assign_jointly(requests, units, now=NOW, travel=MODEL, k_candidates=len(units))
    used = [p.unit_id for p in result.pairs]
    assert len(used) == len(set(used)), "a unit was assigned twice"
    assert sorted(
        str(r) for r in [*[p.request_id for p in result.pairs], *result.unassigned]
    ) == sorted(str(r.id) for r in requests)
    matrix = cost_matrix(requests, units)
    assert all(matrix[int(p.request_id[1:]), int(p.unit_id[1:])] < PENALTY for p in result.pairs)
    waiting, cost = brute_force(matrix, [r.weight for r in requests])
    got_waiting, got_cost = objective(result, requests, units, matrix)
    assert got_waiting == waiting
    assert got_cost == pytest.approx(cost, rel=1e-9, abs=1e-6)


@settings(max_examples=60, deadline=None)
@given(units_strategy, requests_strategy)
# Two units at one spot, one with a job more today: 0.46 s of workload tie-break apart, which
# the solver once lost by rounding costs to whole seconds.
@example(
    unit_rows=[
        (0.0, 0.0, "tow_truck", "available", 0, 1),
        (0.0, 0.0, "tow_truck", "available", 0, 1),
        (0.125, 0.0, "tow_truck", "available", 0, 0),
        (0.0, 0.0, "tow_truck", "available", 0, 0),
    ],
    request_rows=[(0.0, 4.0, frozenset(), 0)],
)
def test_joint_is_never_worse_than_greedy(unit_rows, request_rows):
    requests, units = build(unit_rows, request_rows)
    matrix = cost_matrix(requests, units)
    joint = JointEta(k_candidates=len(units)).assign(requests, units, now=NOW, travel=MODEL)
    greedy = BestEta().assign(requests, units, now=NOW, travel=MODEL)
    joint_waiting, joint_cost = objective(joint, requests, units, matrix)
    greedy_waiting, greedy_cost = objective(greedy, requests, units, matrix)
    assert joint_waiting <= greedy_waiting
    if joint_waiting == greedy_waiting:
        assert joint_cost <= greedy_cost + 1e-6


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.tuples(st.floats(-30, 30), st.floats(-30, 30)), min_size=5, max_size=40),
    st.lists(st.tuples(st.floats(-30, 30), st.floats(-30, 30)), min_size=1, max_size=25),
    st.integers(1, 4),
)
def test_sparse_joint_assignment_never_gives_a_unit_twice(unit_xy, request_xy, k):
    units = [unit(f"u{j}", x, y) for j, (x, y) in enumerate(unit_xy)]
    requests = [call(f"r{i}", x, y) for i, (x, y) in enumerate(request_xy)]
    result = assign_jointly(requests, FleetIndex(units), now=NOW, travel=MODEL, k_candidates=k)
    used = [p.unit_id for p in result.pairs]
    assert len(used) == len(set(used))
    # Every unit here can serve every request, so only a shortage of units leaves a request.
    assert len(result.pairs) == min(len(units), len(requests))


class TestPolicies:
    def test_the_registry_names_the_three_policies(self):
        assert set(POLICIES) == {"nearest-idle", "best-eta", "joint-eta"}
        assert isinstance(POLICIES["nearest-idle"], NearestIdle)
        assert all(policy.name == name for name, policy in POLICIES.items())

    def test_nearest_idle_ignores_a_busy_unit_finishing_next_door(self):
        units = [
            unit("finishing", 0.5, status="busy", busy_until=NOW + dt.timedelta(minutes=2)),
            unit("idle", 12),
        ]
        requests = [call("r", 0)]
        baseline = POLICIES["nearest-idle"].assign(requests, units, now=NOW, travel=MODEL)
        best = POLICIES["best-eta"].assign(requests, units, now=NOW, travel=MODEL)
        assert baseline.pairs[0].unit_id == "idle"
        assert best.pairs[0].unit_id == "finishing"
        assert best.pairs[0].eta_seconds < baseline.pairs[0].eta_seconds

    def test_nearest_idle_still_honours_the_hard_rules(self):
        units = [unit("failed-check", 1, daily_check="failed"), unit("ok", 9)]
        result = NearestIdle().assign([call("r", 0)], units, now=NOW, travel=MODEL)
        assert result.pairs[0].unit_id == "ok"

    def test_policies_serve_first_come_first(self):
        units = [unit("only", 0)]
        requests = [call("second", 1, minute=30), call("first", 5, minute=10)]
        for name in ("nearest-idle", "best-eta"):
            result = POLICIES[name].assign(requests, units, now=NOW, travel=MODEL)
            assert [p.request_id for p in result.pairs] == ["first"], name
            assert result.unassigned == ["second"], name
