"""Fleet sizing (``anxin simulate size``): where units are added, and the screening shortcut."""

import json

from anxin.simulation.cli import main
from anxin.simulation.metrics import summarize
from anxin.simulation.scenario import parse_scenario
from anxin.simulation.study import Runner, size_fleet


def two_towns(units_at_b: int = 1) -> dict:
    """Town A (quiet) and town B 40 km east (busy); one unit at A, ``units_at_b`` at B."""
    units = [{"id": "A1", "lat": 30.25, "lon": 120.00}] + [
        {"id": f"B{i}", "lat": 30.25, "lon": 120.42} for i in range(units_at_b)
    ]
    return {
        "name": "two-towns", "seed": 3, "days": 4,
        "demand": {"requests_per_day": 60,
                   "zones": [{"id": "a", "lat": 30.25, "lon": 120.00, "radius_km": 2,
                              "weight": 1},
                             {"id": "b", "lat": 30.25, "lon": 120.42, "radius_km": 2,
                              "weight": 5}]},
        "service_minutes": {"distribution": "fixed", "value": 40},
        "units": units,
    }  # fmt: skip


def test_units_are_added_where_the_demand_is_until_both_targets_are_met():
    scenario = parse_scenario(two_towns())
    runner = Runner(scenario, 1)
    result = size_fleet(runner, "nearest-idle", target_mean_min=15, target_p90_min=30)
    assert result["met"]
    assert set(result["added_by_site"]) == {"B0"}  # every added unit went to the busy town
    assert result["units_after"] == result["units_before"] + result["added_by_site"]["B0"]
    # The figures reported are the full run of the fleet it returns.
    again = summarize(runner.run("nearest-idle", fleet=scenario.with_units(result["fleet"])))
    assert result["final"]["mean_response_min"] == again["mean_response_min"]
    assert again["mean_response_min"] <= 15 and again["p90_response_min"] <= 30
    # One unit fewer would not do: the previous step missed a target.
    if len(result["steps"]) > 1:
        before = result["steps"][-2]
        assert before["mean_response_min"] > 15 or before["p90_response_min"] > 30


def test_screening_on_a_shorter_run_confirms_the_choice_in_full():
    scenario = parse_scenario(two_towns())
    runner = Runner(scenario, 1)
    full = size_fleet(runner, "nearest-idle", target_mean_min=15, target_p90_min=30)
    screen = Runner(scenario.with_days(1), 1)
    quick = size_fleet(
        runner, "nearest-idle", target_mean_min=15, target_p90_min=30, screen=screen, finalists=1
    )
    assert quick["screen"] == {"days": 1, "replications": 1, "finalists": 1}
    assert quick["met"]
    # Every step's figures come from the full run, whatever the screen said.
    again = summarize(runner.run("nearest-idle", fleet=scenario.with_units(quick["fleet"])))
    assert quick["final"]["mean_response_min"] == again["mean_response_min"]
    # A one-day screen is noisy (here it once prefers town A): with a single finalist the
    # full run cannot overrule it, and the answer may need a unit more than the full search.
    assert quick["units_after"] >= full["units_after"]
    # With as many finalists as sites the screen decides nothing: the full search's answer.
    wide = size_fleet(
        runner, "nearest-idle", target_mean_min=15, target_p90_min=30, screen=screen, finalists=2
    )
    assert wide["added_by_site"] == full["added_by_site"]
    assert wide["final"] == full["final"]


def test_a_fleet_that_meets_the_targets_lists_what_it_could_spare():
    scenario = parse_scenario(two_towns(units_at_b=6))
    runner = Runner(scenario, 1)
    result = size_fleet(
        runner,
        "nearest-idle",
        target_mean_min=15,
        target_p90_min=30,
        screen=Runner(scenario.with_days(1), 1),
        finalists=2,
    )
    assert result["met"] and result["removed"]
    assert result["units_after"] == 7 - len(result["removed"])
    assert "A1" not in result["removed"]  # town A would be left without a unit


def test_cli_size_screens_by_default_and_says_so(capsys, tmp_path):
    path = tmp_path / "towns.json"
    path.write_text(json.dumps(two_towns()), "utf-8")
    status = main(
        ["size", str(path), "--policy", "nearest-idle", "--target-mean", "15",
         "--target-p90", "30", "--screen-days", "1", "--json"]
    )  # fmt: skip
    out = json.loads(capsys.readouterr().out)
    assert status == 0 and out["met"]
    assert out["screen"]["days"] == 1
    assert main(["size", str(path), "--screen-days", "-1"]) == 2
    assert "--screen-days" in capsys.readouterr().err


def _figures(runs):
    # Everything a run reports but how long it took.
    return [
        (r.policy, r.replication, r.events, r.policy_calls, r.unit.tolist(), r.on_scene_s.tolist())
        for r in runs
    ]


def test_runs_in_worker_processes_give_the_same_results():
    scenario = parse_scenario(two_towns(units_at_b=2))
    alone = Runner(scenario, 2, jobs=1)
    side_by_side = Runner(scenario, 2, jobs=2)
    tasks = [("nearest-idle", None), ("best-eta", scenario.with_units(scenario.units[:2]))]
    one, two = alone.run_many(tasks), side_by_side.run_many(tasks)
    assert [len(runs) for runs in two] == [2, 2]
    assert [_figures(runs) for runs in one] == [_figures(runs) for runs in two]
    assert two[1][0].unit_ids == ("A1", "B0")  # the second task's own fleet
    sized = size_fleet(
        Runner(parse_scenario(two_towns()), 1, jobs=2),
        "nearest-idle",
        target_mean_min=15,
        target_p90_min=30,
    )
    alone_sized = size_fleet(
        Runner(parse_scenario(two_towns()), 1),
        "nearest-idle",
        target_mean_min=15,
        target_p90_min=30,
    )
    assert sized["steps"] == alone_sized["steps"] and sized["met"] == alone_sized["met"]


def test_jobs_must_be_at_least_one(capsys, tmp_path):
    path = tmp_path / "two.json"
    path.write_text(json.dumps(two_towns()), "utf-8")
    for command in (["compare"], ["size"], []):
        assert main([*command, str(path), "--jobs", "0"]) == 2
        assert "--jobs: must be at least 1" in capsys.readouterr().err
