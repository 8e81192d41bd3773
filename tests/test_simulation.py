"""The rescue-network simulator: theory, reproducibility, fleets, bad input, CLI and report."""

import copy
import json
import math
from pathlib import Path

import numpy as np
import pytest

from anxin.simulation.cli import main
from anxin.simulation.engine import simulate
from anxin.simulation.metrics import ci95, erlang_c_wait
from anxin.simulation.policies import resolve
from anxin.simulation.scenario import ScenarioError, UnitSpec, load_scenario, parse_scenario
from anxin.simulation.study import Runner, sites_of
from anxin.simulation.study import _added as added_unit

SCENARIOS = Path(__file__).resolve().parents[1] / "anxin" / "simulation" / "scenarios"
DEMO = SCENARIOS / "hangzhou-demo.json"


def mmc(rho: float, servers: int, days: float) -> dict:
    """All requests and units at one point (no travel), exponential service: an M/M/c queue."""
    mean_service_min = 30.0
    per_day = rho * servers * 24 * 60 / mean_service_min
    return {
        "name": f"mmc-{rho}", "seed": 11, "days": days,
        "demand": {"requests_per_day": per_day,
                   "zones": [{"id": "one", "lat": 30.25, "lon": 120.15, "radius_km": 0,
                              "weight": 1}]},
        "service_minutes": {"distribution": "exponential", "mean": mean_service_min},
        "dispatch_delay_minutes": 0,
        "units": [{"id": f"U{i}", "lat": 30.25, "lon": 120.15} for i in range(servers)],
    }  # fmt: skip


@pytest.mark.parametrize("rho", [0.5, 0.8, 0.9])
def test_zero_travel_queue_waits_as_long_as_erlang_c_says(rho):
    servers, days, warmup = 3, 40, 2 * 86400.0
    scenario = parse_scenario(mmc(rho, servers, days))
    means = []
    for replication in range(4):
        run = simulate(scenario, resolve("nearest-idle"), replication=replication)
        wait = run.response_s[run.demand.t >= warmup]
        assert np.isfinite(wait).all()
        means.append(wait.mean() / 60.0)
    # Per minute: λ = ρ·c·μ with μ = 1/30.
    theory = erlang_c_wait(rho * servers / 30.0, 1 / 30.0, servers)
    low, high = ci95(means)
    assert low <= theory <= high, (rho, theory, (low, high))


def test_erlang_c_formula_matches_a_textbook_value():
    # M/M/1 with ρ = 0.5: Wq = ρ / (μ − λ) = 0.5 / 0.5 = 1.
    assert erlang_c_wait(0.5, 1.0, 1) == pytest.approx(1.0)


def test_the_same_seed_gives_identical_results():
    scenario = load_scenario(DEMO).with_days(1)
    a = simulate(scenario, resolve("best-eta"))
    b = simulate(scenario, resolve("best-eta"))
    np.testing.assert_array_equal(a.on_scene_s, b.on_scene_s)
    np.testing.assert_array_equal(a.unit, b.unit)


def test_another_replication_draws_other_requests():
    scenario = load_scenario(DEMO).with_days(1)
    a = Runner(scenario, 2)
    assert len(a.demand(0)) != len(a.demand(1)) or not np.array_equal(a.demand(0).t, a.demand(1).t)


@pytest.mark.parametrize("policy", ["nearest-idle", "best-eta"])
def test_more_units_never_make_the_mean_worse_on_common_random_numbers(policy):
    scenario = load_scenario(DEMO).with_days(2)
    runner = Runner(scenario, 1)
    sites = sites_of(scenario)
    fleet = scenario.units[: len(scenario.units) - 6]  # start from a stretched fleet
    means = []
    for extra in range(4):
        fleet_now: tuple[UnitSpec, ...] = fleet + tuple(
            added_unit(sites[i % len(sites)], i) for i in range(extra * 2)
        )
        [run] = runner.run(policy, fleet=scenario.with_units(fleet_now))
        means.append(float(np.nanmean(run.response_s)))
    assert all(b <= a + 1e-9 for a, b in zip(means, means[1:], strict=False)), means


def demo_json() -> dict:
    return json.loads(DEMO.read_text(encoding="utf-8"))


def broken(change) -> dict:
    raw = copy.deepcopy(demo_json())
    change(raw)
    return raw


@pytest.mark.parametrize(
    ("change", "key", "reason"),
    [
        (lambda r: r.update(units=[]), "units", "must not be empty"),
        (lambda r: r["demand"].update(requests_per_day=-5), "demand.requests_per_day", "> 0"),
        (lambda r: r["demand"].update(hourly_profile=[1] * 23), "demand.hourly_profile", "24"),
        (lambda r: r["demand"]["zones"][0].pop("weight"), "demand.zones[0].weight", "missing"),
        (lambda r: r["units"][3].update(lat=39.9, lon=116.4), "units[3].lat", "outside"),
        (lambda r: r.update(colour="red"), "colour", "unknown key"),
        (lambda r: r["travel"].update(speed_kmh=[40] * 5), "travel.speed_kmh", "24"),
        (lambda r: r["service_minutes"].update(value=3), "service_minutes.value", "does not"),
        (lambda r: r["units"][0].update(shift="8-17h"), "units[0].shift", "HH:MM"),
        (lambda r: r["demand"]["needs"].update(winch=0.1), "demand.needs.winch", "unknown"),
    ],
)
def test_a_bad_scenario_is_refused_at_once_naming_the_key(change, key, reason):
    with pytest.raises(ScenarioError) as refused:
        parse_scenario(broken(change))
    assert refused.value.key == key
    assert reason in refused.value.reason


def test_needs_no_unit_can_meet_are_refused():
    def no_flatbeds(raw):
        for unit in raw["units"]:
            unit["kinds"] = ["tow_truck"]

    with pytest.raises(ScenarioError, match=r"demand\.needs\.flatbed"):
        parse_scenario(broken(no_flatbeds))


def test_missing_optional_keys_take_the_documented_defaults():
    scenario = parse_scenario(mmc(0.5, 1, 1))
    assert scenario.speed_kmh == (40.0,) * 24 and scenario.road_factor == 1.3
    assert scenario.after_service == "return_to_base"
    assert scenario.hourly_profile == (1.0,) * 24
    assert scenario.units[0].kind == "tow_truck" and scenario.units[0].shift_start is None


def test_cli_json_has_the_promised_keys(capsys, tmp_path):
    assert main([str(DEMO), "--policy", "nearest-idle", "--days", "1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    for key in (
        "policy", "requests", "mean_response_min", "p50_response_min", "p90_response_min",
        "share_within_15_min", "utilisation", "unserved", "replications",
        "ci95_mean_response_min",
    ):  # fmt: skip
        assert key in out
    assert out["policy"] == "nearest-idle" and len(out["ci95_mean_response_min"]) == 2
    assert out["requests"] > 0 and math.isfinite(out["mean_response_min"])


def test_cli_names_the_key_of_a_bad_scenario_and_exits_2(capsys, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(broken(lambda r: r.update(units=[]))), encoding="utf-8")
    assert main([str(path)]) == 2
    assert "units: must not be empty" in capsys.readouterr().err


def test_cli_lists_the_policies_with_the_default(capsys):
    assert main(["--list-policies"]) == 0
    out = capsys.readouterr().out
    assert "nearest-idle" in out and "(default)" in out and "joint-eta" in out


def test_the_report_is_written_with_charts_and_every_request(tmp_path):
    assert main([str(DEMO), "--days", "0.5", "--out", str(tmp_path), "--json"]) == 0
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "echarts.init" in page and "迟到地点" in page and "<script src" not in page
    rows = (tmp_path / "requests.csv").read_text(encoding="utf-8-sig").splitlines()
    assert rows[0].startswith("replication,request,called_at,zone")
    assert len(rows) > 50


def test_compare_runs_every_policy_on_the_same_requests(capsys):
    assert main(["compare", str(DEMO), "--days", "0.5", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["policies"]
    assert rows[0]["policy"] == "nearest-idle"
    assert len({row["requests"] for row in rows}) == 1


def test_shipped_scenarios_load():
    for path in SCENARIOS.glob("*.json"):
        assert load_scenario(path).units
