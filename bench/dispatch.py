"""Benchmark of the dispatch engine (issue 4, "Performance"): run ``python -m bench.dispatch``.

In one run, over a 300 × 300 km area centred on Hangzhou:

* one proposal (rules and ETA scoring with the default model) at 10,000 and 100,000 units,
  p50 and p99 over 200 requests, against a raw ``scipy.spatial.cKDTree`` nearest-neighbour
  query on the same positions (the floor);
* joint assignment of 1,000 waiting requests to 5,000 units, spread out and clustered in one
  hotspot, against ``scipy.optimize.linear_sum_assignment`` on the dense 1,000 × 5,000 matrix
  of the same costs (building that matrix is timed apart), with the quality gap.

Fleets are realistic mixes (kinds, equipment, busy units finishing jobs, shifts, failed and
missing daily checks, HV certificates some expired). Nothing is cached between timed runs:
each joint run builds its own index from the unit list. The last line printed is one JSON
object with the figures, the targets and ``targets_met``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import platform
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.spatial import cKDTree

from anxin.dispatching import (
    CrewMember,
    DailyCheck,
    FleetIndex,
    HaversineModel,
    Point,
    Powertrain,
    RescueRequest,
    UnitKind,
    UnitSnapshot,
    UnitStatus,
    assign_jointly,
    propose,
)
from anxin.dispatching.index import to_xyz
from anxin.dispatching.rules import HARD_RULES, RuleContext, start_time
from anxin.dispatching.travel import SHANGHAI

CENTRE = Point(30.2741, 120.1551)  # Hangzhou
HALF_SIDE_KM = 150.0
NOW = dt.datetime(2026, 11, 23, 10, 30, tzinfo=SHANGHAI)
EQUIPMENT = ("winch", "battery_boost", "tyre_change", "fuel_delivery")
FAULTS = ("flat_tyre", "battery", "no_start", "accident", "fuel", "hv_battery", "hv_isolation")
INFEASIBLE = 1e9


def offset_point(x_km: float, y_km: float) -> Point:
    """The point ``x_km`` east and ``y_km`` north of the centre (local flat projection)."""
    lat = CENTRE.lat + y_km / 111.32
    lon = CENTRE.lon + x_km / (111.32 * math.cos(math.radians(CENTRE.lat)))
    return Point(lat, lon)


def make_fleet(n: int, rng: np.random.Generator) -> list[UnitSnapshot]:
    """``n`` units spread uniformly over the area, with a realistic mix of everything."""
    xy = rng.uniform(-HALF_SIDE_KM, HALF_SIDE_KM, size=(n, 2))
    kinds = rng.choice(
        [UnitKind.TOW_TRUCK, UnitKind.FLATBED, UnitKind.SERVICE_VAN], n, p=[0.45, 0.25, 0.30]
    )
    statuses = rng.choice(
        [UnitStatus.AVAILABLE, UnitStatus.BUSY, UnitStatus.RETURNING, UnitStatus.ASSIGNED,
         UnitStatus.OFF_DUTY, UnitStatus.MAINTENANCE],
        n, p=[0.62, 0.18, 0.05, 0.05, 0.06, 0.04],
    )  # fmt: skip
    checks = rng.choice(
        [DailyCheck.PASSED, DailyCheck.FAILED, DailyCheck.MISSING], n, p=[0.9, 0.06, 0.04]
    )
    units = []
    for i in range(n):
        point = offset_point(float(xy[i, 0]), float(xy[i, 1]))
        status = UnitStatus(statuses[i])
        busy_until = busy_point = None
        if status in (UnitStatus.BUSY, UnitStatus.RETURNING) and rng.random() < 0.9:
            busy_until = NOW + dt.timedelta(minutes=float(rng.uniform(3, 90)))
            busy_point = offset_point(
                float(xy[i, 0] + rng.normal(0, 4)), float(xy[i, 1] + rng.normal(0, 4))
            )
        crew = []
        for c in range(int(rng.integers(1, 3))):
            certs: dict[str, dt.date] = {"towing": NOW.date() + dt.timedelta(days=200)}
            if rng.random() < 0.4:
                certs["ev_hv"] = NOW.date() + dt.timedelta(days=int(rng.integers(-60, 400)))
            crew.append(CrewMember(f"u{i}c{c}", certs))
        shift = rng.random()
        shift_start, shift_end = (
            (None, None) if shift < 0.6
            else (dt.time(8), dt.time(20)) if shift < 0.8
            else (dt.time(20), dt.time(8))
        )  # fmt: skip
        units.append(
            UnitSnapshot(
                id=i, point=point, kind=UnitKind(kinds[i]),
                capabilities=frozenset(e for e in EQUIPMENT if rng.random() < 0.5),
                status=status, crew=tuple(crew), daily_check=DailyCheck(checks[i]),
                shift_start=shift_start, shift_end=shift_end,
                busy_until=busy_until, busy_point=busy_point, jobs_today=int(rng.integers(0, 7)),
            )
        )  # fmt: skip
    return units


def make_requests(
    n: int, rng: np.random.Generator, hotspot_km: float | None = None
) -> list[RescueRequest]:
    """``n`` requests, uniform over the area or (``hotspot_km``) clustered in one spot."""
    if hotspot_km is None:
        xy = rng.uniform(-HALF_SIDE_KM, HALF_SIDE_KM, size=(n, 2))
    else:
        xy = rng.normal((12.0, -8.0), hotspot_km, size=(n, 2))
    requests = []
    for i in range(n):
        fault = str(rng.choice(FAULTS, p=[0.25, 0.2, 0.15, 0.15, 0.1, 0.1, 0.05]))
        powertrain = Powertrain(rng.choice(list(Powertrain), p=[0.65, 0.1, 0.25]))
        needs: set[str] = set()
        if fault in ("accident", "no_start") or rng.random() < 0.1:
            needs.add("towing")
        if rng.random() < 0.08:
            needs.add("flatbed")
        if fault == "flat_tyre" and rng.random() < 0.5:
            needs.add("tyre_change")
        if fault == "battery" and rng.random() < 0.5:
            needs.add("battery_boost")
        x, y = float(xy[i, 0]), float(xy[i, 1])
        requests.append(
            RescueRequest(
                id=f"r{i}", point=offset_point(x, y), fault=fault, needs=frozenset(needs),
                priority=int(rng.choice([0, 1, 2], p=[0.8, 0.15, 0.05])),
                area="urban" if math.hypot(x, y) < 40 else "remote",  # type: ignore[arg-type]
                created_at=NOW - dt.timedelta(seconds=float(rng.uniform(0, 600))),
                powertrain=powertrain,
            )
        )  # fmt: skip
    return requests


def percentile(samples: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(samples), q))


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def bench_proposal(n_units: int, rng: np.random.Generator, n_requests: int) -> dict[str, Any]:
    units = make_fleet(n_units, rng)
    requests = make_requests(n_requests, rng)
    travel = HaversineModel()
    build_s, index = timed(lambda: FleetIndex(units))
    raw_tree = cKDTree(index.xyz)
    raw, prop, read, empty, rejected = [], [], [], 0, 0
    for request in requests:
        query = to_xyz(np.array([request.point.lat]), np.array([request.point.lon]))[0]
        t, _ = timed(lambda q=query: raw_tree.query(q, k=1))
        raw.append(t)
        t, result = timed(lambda r=request: propose(r, index, now=NOW, travel=travel, limit=5))
        prop.append(t)
        # The rejections (one per unit turned down, with the rule function's reason) are
        # built when first read, as the dispatch console reads them: timed apart.
        t_read, rejections = timed(lambda res=result: list(res.rejections))
        read.append(t + t_read)
        rejected = max(rejected, len(rejections))
        empty += not result.proposals
    return {
        "units": n_units,
        "requests": n_requests,
        "index_build_ms": build_s * 1e3,
        "proposal_p50_us": percentile(prop, 50) * 1e6,
        "proposal_p99_us": percentile(prop, 99) * 1e6,
        "proposal_read_p50_us": percentile(read, 50) * 1e6,
        "proposal_read_p99_us": percentile(read, 99) * 1e6,
        "most_rejections": rejected,
        "raw_kdtree_p50_us": percentile(raw, 50) * 1e6,
        "raw_kdtree_p99_us": percentile(raw, 99) * 1e6,
        "ratio_p99": percentile(prop, 99) / percentile(raw, 99),
        "ratio_read_p99": percentile(read, 99) / percentile(raw, 99),
        "requests_without_proposal": empty,
    }


def profile_of(request: RescueRequest) -> tuple[Any, ...]:
    """What the pair rules look at in a request (see each rule's ``request_key``)."""
    return (request.needs, request.powertrain, request.needs_hv_crew)


def dense_costs(requests: Sequence[RescueRequest], units: Sequence[UnitSnapshot]) -> np.ndarray:
    """The full cost matrix (weight × (ETA + workload)), infeasible pairs at a huge cost."""
    ctx = RuleContext(NOW)
    travel = HaversineModel()
    unit_rules = [r for r in HARD_RULES if r.scope == "unit" and r.check]
    pair_rules = [r for r in HARD_RULES if r.scope == "pair" and r.check]
    unit_ok = np.array([all(r.check(requests[0], u, ctx).ok for r in unit_rules) for u in units])  # type: ignore[misc]
    by_profile: dict[Any, np.ndarray] = {}
    for request in requests:
        p = profile_of(request)
        if p not in by_profile:
            by_profile[p] = unit_ok & np.array(
                [all(r.check(request, u, ctx).ok for r in pair_rules) for u in units]  # type: ignore[misc]
            )
    feasible = np.stack([by_profile[profile_of(r)] for r in requests])
    offset = np.array([(start_time(u, ctx) - NOW).total_seconds() for u in units])
    origins = [u.origin for u in units]
    u_lat = np.array([p.lat for p in origins])[None, :]
    u_lon = np.array([p.lon for p in origins])[None, :]
    r_lat = np.array([r.point.lat for r in requests])[:, None]
    r_lon = np.array([r.point.lon for r in requests])[:, None]
    remote = np.array([r.area == "remote" for r in requests])[:, None]
    depart = (NOW.timestamp() + offset)[None, :]
    eta = offset[None, :] + travel.pairwise_seconds(u_lat, u_lon, r_lat, r_lon, depart, remote)
    workload = np.array([20.0 * u.jobs_today for u in units])[None, :]
    weight = np.array([r.weight for r in requests])[:, None]
    return np.where(feasible, weight * (eta + workload), INFEASIBLE)


def bench_joint(
    label: str, requests: list[RescueRequest], units: list[UnitSnapshot], repeats: int
) -> dict[str, Any]:
    travel = HaversineModel()
    sparse_times, result = [], None
    for _ in range(repeats):
        t, result = timed(lambda: assign_jointly(requests, units, now=NOW, travel=travel))
        sparse_times.append(t)
    build_s, costs = timed(lambda: dense_costs(requests, units))
    dense_times, solution = [], None
    for _ in range(repeats):
        t, solution = timed(lambda: linear_sum_assignment(costs))
        dense_times.append(t)
    assert result is not None and solution is not None
    rows, cols = solution
    real = costs[rows, cols] < INFEASIBLE
    dense_total = float(costs[rows, cols][real].sum())
    r_pos = {r.id: i for i, r in enumerate(requests)}
    u_pos = {u.id: j for j, u in enumerate(units)}
    sparse_total = float(sum(costs[r_pos[p.request_id], u_pos[p.unit_id]] for p in result.pairs))
    used = [p.unit_id for p in result.pairs]
    sparse_ms, dense_ms = (
        statistics.median(sparse_times) * 1e3,
        statistics.median(dense_times) * 1e3,
    )
    return {
        "case": label,
        "requests": len(requests),
        "units": len(units),
        "joint_ms": sparse_ms,
        "joint_runs_ms": [round(t * 1e3, 1) for t in sparse_times],
        "dense_solve_ms": dense_ms,
        "dense_runs_ms": [round(t * 1e3, 1) for t in dense_times],
        "dense_matrix_build_ms": build_s * 1e3,
        "ratio": sparse_ms / dense_ms,
        "assigned_joint": len(result.pairs),
        "assigned_dense": int(real.sum()),
        "units_used_twice": len(used) - len(set(used)),
        "total_weighted_eta_joint_s": sparse_total,
        "total_weighted_eta_dense_s": dense_total,
        "quality_gap_pct": (sparse_total - dense_total) / dense_total * 100 if dense_total else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument("--requests", type=int, default=200, help="requests per proposal run")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per joint case")
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)

    proposals = []
    for n_units in (10_000, 100_000):
        figures = bench_proposal(n_units, rng, args.requests)
        proposals.append(figures)
        print(
            f"proposal @ {n_units:>7,} units: "
            + ", ".join(
                f"{k}={v:.1f}" if isinstance(v, float) else f"{k}={v}" for k, v in figures.items()
            )
        )

    units = make_fleet(5_000, rng)
    joint = []
    for label, hotspot in (("spread", None), ("clustered", 3.0)):
        figures = bench_joint(label, make_requests(1_000, rng, hotspot), units, args.repeats)
        joint.append(figures)
        print(
            f"joint {label}: "
            + ", ".join(
                f"{k}={v:.1f}" if isinstance(v, float) else f"{k}={v}"
                for k, v in figures.items()
                if k != "case"
            )
        )

    at_100k = proposals[-1]
    spread, clustered = joint
    targets = {
        "proposal_p99_ratio_at_100k_max": 20.0,
        "joint_spread_ratio_max": 2.0,
        "joint_clustered_ms_max": 250.0,
    }
    met = {
        "proposal": at_100k["ratio_p99"] <= targets["proposal_p99_ratio_at_100k_max"],
        "joint_spread": spread["ratio"] <= targets["joint_spread_ratio_max"],
        "joint_clustered": clustered["joint_ms"] < targets["joint_clustered_ms_max"],
        "no_unit_twice": all(j["units_used_twice"] == 0 for j in joint),
    }
    summary = {
        "benchmark": "dispatch",
        "python": platform.python_version(),
        "numpy": np.__version__,
        "proposal": proposals,
        "joint": joint,
        "reference": {
            "raw_kdtree_p99_us_at_100k": at_100k["raw_kdtree_p99_us"],
            "dense_solve_ms_spread": spread["dense_solve_ms"],
            "dense_solve_ms_clustered": clustered["dense_solve_ms"],
        },
        "ratios": {
            "proposal_p99_vs_raw_at_100k": at_100k["ratio_p99"],
            "proposal_read_p99_vs_raw_at_100k": at_100k["ratio_read_p99"],
            "joint_vs_dense_spread": spread["ratio"],
            "joint_vs_dense_clustered": clustered["ratio"],
        },
        "quality_gap_pct": {
            "spread": spread["quality_gap_pct"],
            "clustered": clustered["quality_gap_pct"],
        },
        "targets": targets,
        "met": met,
        "targets_met": all(met.values()),
    }
    print(json.dumps(summary, default=float))


if __name__ == "__main__":
    main()
