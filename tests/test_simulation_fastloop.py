"""The compiled event loop against the Python one: the same desk, event for event.

Every run here is made twice, once by the compiled loop (``anxin.simulation.fastloop``) and
once by the Python loop of ``Simulation``, and every request's times and unit must be equal to
the last bit. The scenarios mix what changes the choices: shifts (day, night, across
midnight), needs only some units meet (flatbed, HV certificate), remote zones, queues at peak,
no dispatch delay, units that stay where they finished.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anxin.simulation import engine
from anxin.simulation.policies import resolve
from anxin.simulation.scenario import load_scenario, parse_scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "anxin" / "simulation" / "scenarios"
FIELDS = ("dispatched_s", "on_scene_s", "done_s", "unit")
SHIFTS = ("00:00-24:00", "08:00-20:00", "20:00-08:00", "06:30-14:30", "22:00-06:00")


def city(
    *,
    seed: int = 3,
    days: float = 2.0,
    per_day: float = 400.0,
    units: int = 12,
    shifts: tuple[str, ...] = ("00:00-24:00",),
    after: str = "return_to_base",
    delay: float = 1.0,
    remote: bool = True,
) -> dict:
    zones = [
        {"id": "centre", "lat": 30.27, "lon": 120.15, "radius_km": 4.0, "weight": 3.0},
        {"id": "east", "lat": 30.30, "lon": 120.30, "radius_km": 3.0, "weight": 1.0},
        {"id": "hills", "lat": 30.10, "lon": 119.95, "radius_km": 6.0, "weight": 0.5,
         "remote": remote},
    ]  # fmt: skip
    # Two units to a base (six bases for twelve): equally near, the longest idle goes.
    fleet = [
        {"id": f"U{k:02d}", "lat": zones[k % 3]["lat"] + 0.004 * (k % 2),
         "lon": zones[k % 3]["lon"], "kinds": ["flatbed" if k % 3 == 0 else "tow_truck"],
         "hv_certified": k % 4 == 0, "shift": shifts[k % len(shifts)]}
        for k in range(units)
    ]  # fmt: skip
    return {
        "name": "fastloop", "seed": seed, "days": days,
        "demand": {"requests_per_day": per_day, "zones": zones,
                   "needs": {"flatbed": 0.25, "hv_certified": 0.1}},
        "service_minutes": {"distribution": "lognormal", "mean": 40, "sd": 20},
        "travel": {"road_factor": 1.3, "speed_kmh": 35, "remote_speed_kmh": 60},
        "dispatch_delay_minutes": delay,
        "after_service": after,
        "units": fleet,
    }  # fmt: skip


def both(scenario, policy="nearest-idle", replication=0):
    """The run by the compiled loop (which must be the one taken) and by the Python loop."""
    sim = engine.Simulation(scenario, resolve(policy), replication=replication)
    compiled = sim.run()
    python = engine.Simulation(
        scenario, resolve(policy), replication=replication, compiled=False
    ).run()
    return compiled, python


def assert_same(a, b):
    for field in FIELDS:
        x, y = getattr(a, field), getattr(b, field)
        assert np.array_equal(x, y, equal_nan=x.dtype.kind == "f"), field
    assert (a.events, a.policy_calls) == (b.events, b.policy_calls)
    assert np.array_equal(a.unit_busy_s, b.unit_busy_s)


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"shifts": SHIFTS, "days": 1.5},
        {"shifts": ("08:00-20:00", "20:00-08:00"), "per_day": 560.0, "days": 1.0},  # queues
        {"after": "stay", "shifts": SHIFTS},
        {"delay": 0.0, "remote": False},
        {"units": 3, "per_day": 250.0},  # a long queue most of the day
    ],
    ids=["plain", "shifts", "peak-queues", "stay", "no-delay", "few-units"],
)
def test_the_compiled_loop_makes_the_python_loops_choices(changes):
    scenario = parse_scenario(city(**changes))
    compiled, python = both(scenario)
    assert np.isfinite(compiled.on_scene_s).sum() > 100  # a run with something in it
    assert_same(compiled, python)


def test_the_shipped_scenarios_run_the_same_in_both_loops():
    for name in ("hangzhou-demo", "hangzhou-busy", "hangzhou-light"):
        scenario = load_scenario(SCENARIOS / f"{name}.json").with_days(1.5)
        assert_same(*both(scenario))


@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    units=st.integers(1, 14),
    per_day=st.floats(20.0, 900.0),
    shifts=st.lists(st.sampled_from(SHIFTS), min_size=1, max_size=4).map(tuple),
    after=st.sampled_from(["return_to_base", "stay"]),
    delay=st.sampled_from([0.0, 1.0, 2.5]),
)
def test_random_cities_run_the_same_in_both_loops(seed, units, per_day, shifts, after, delay):
    scenario = parse_scenario(
        city(seed=seed, units=units, per_day=per_day, shifts=shifts, after=after,
             delay=delay, days=1.0)
    )  # fmt: skip
    assert_same(*both(scenario))


def test_progress_is_reported_for_every_request_once():
    scenario = parse_scenario(city(per_day=2400.0, units=120, days=1.0))
    seen: list[int] = []
    run = engine.Simulation(scenario, resolve("nearest-idle"), progress=seen.append).run()
    assert sum(seen) == len(run.demand)
    assert len(seen) >= 2
    assert_same(run, engine.Simulation(scenario, resolve("nearest-idle"), compiled=False).run())


def test_the_compiled_loop_is_taken_only_where_it_makes_the_same_choices():
    scenario = parse_scenario(city())

    def loop_for(policy: str):
        sim = engine.Simulation(scenario, resolve(policy))
        sim.fleet = engine.LiveFleet([sim._first_snapshot(u) for u in sim.units])
        return sim._compiled_loop(sim.horizon + engine.DRAIN_SECONDS)

    assert loop_for("nearest-idle") is not None
    # Other policies time units still busy, or move idle units: the Python loop.
    for policy in ("best-eta", "joint-eta", "joint-eta+relocate"):
        assert loop_for(policy) is None, policy
