"""``anxin simulate``: run, compare and size a rescue network on a scenario file.

    anxin simulate SCENARIO.json [--policy NAME] [--replications N] [--json] [--out DIR]
    anxin simulate --list-policies
    anxin simulate compare SCENARIO.json [--replications N] [--policies A,B] [--json]
    anxin simulate size SCENARIO.json --target-mean 15 --target-p90 30 [--write FILE]
    anxin simulate export --from-db [--weeks 8] [--output FILE]

Runs, compare and size take ``--jobs N``: worker processes for the runs (default: the cores
available); the results are the same with any number.

Exit status: 0 done (for ``size``: targets met), 1 targets not met, 2 bad input.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tqdm import tqdm  # type: ignore[import-untyped]  # tqdm ships no type stubs

from .metrics import summarize
from .policies import DEFAULT_POLICY, SIM_POLICIES
from .report import ReportError, write_report
from .scenario import Scenario, ScenarioError, load_scenario, scenario_to_json
from .study import Runner, compare, default_jobs, size_fleet

SUBCOMMANDS = ("compare", "size", "export")
#: ``size`` tries every candidate on this many days first, then the best few in full.
SCREEN_DAYS = 3.0


def main(argv: list[str]) -> int:
    """Entry point of ``anxin simulate``; returns the exit status."""
    try:
        if argv and argv[0] in SUBCOMMANDS:
            command = {"compare": _compare, "size": _size, "export": _export}[argv[0]]
            return command(argv[1:])
        return _run(argv)
    except (ScenarioError, ReportError, KeyError, ValueError) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) else str(exc)
        print(f"anxin simulate: error: {message}", file=sys.stderr)
        return 2


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", type=Path, help="scenario file (docs/simulation.md)")
    parser.add_argument("--replications", type=int, default=1, help="independent runs (CRN)")
    parser.add_argument("--days", type=float, help="override the scenario's days")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    _jobs(parser)


def _jobs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--jobs",
        type=int,
        default=default_jobs(),
        help="worker processes for the runs (default: the cores available; same results)",
    )


def _scenario(args: argparse.Namespace) -> Scenario:
    scenario = load_scenario(args.scenario)
    if args.days is not None:
        if args.days <= 0:
            raise ScenarioError("--days", "must be > 0")
        scenario = scenario.with_days(args.days)
    if args.replications < 1:
        raise ScenarioError("--replications", "must be at least 1")
    if args.jobs < 1:
        raise ScenarioError("--jobs", "must be at least 1")
    return scenario


@contextmanager
def _bar(total: int, label: str) -> Iterator[Callable[[int], None]]:
    # To stderr, and only on a terminal (disable=None), so --json output stays clean in pipes.
    with tqdm(total=total, desc=label, unit="req", file=sys.stderr, disable=None) as bar:
        yield bar.update


def _expected_requests(scenario: Scenario) -> int:
    return int(scenario.requests_per_day * scenario.days)


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="anxin simulate", description=__doc__.split("\n")[0])
    parser.add_argument("scenario", type=Path, nargs="?", help="scenario file")
    parser.add_argument("--policy", default=DEFAULT_POLICY, help=f"default: {DEFAULT_POLICY}")
    parser.add_argument("--replications", type=int, default=1, help="independent runs")
    parser.add_argument("--days", type=float, help="override the scenario's days")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--out", type=Path, help="write report.html and requests.csv here")
    parser.add_argument("--list-policies", action="store_true", help="name the policies")
    _jobs(parser)
    args = parser.parse_args(argv)
    if args.list_policies:
        for policy in SIM_POLICIES.values():
            default = " (default)" if policy.name == DEFAULT_POLICY else ""
            print(f"{policy.name}{default}\t{policy.description}")
        return 0
    if args.scenario is None:
        parser.error("a scenario file is needed (or --list-policies)")
    scenario = _scenario(args)
    if args.policy not in SIM_POLICIES:
        raise ScenarioError(
            "--policy", f"unknown policy {args.policy!r} ({', '.join(SIM_POLICIES)})"
        )
    runner = Runner(scenario, args.replications, jobs=args.jobs)
    with _bar(_expected_requests(scenario) * args.replications, args.policy) as update:
        results = runner.run(args.policy, progress=update)

    summary = summarize(results)
    if args.out is not None:
        summary["report"] = [str(p) for p in write_report(args.out, scenario, results, summary)]
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
    else:
        _print_summary(summary)
    return 0


def _print_summary(summary: dict[str, Any]) -> None:
    low, high = summary["ci95_mean_response_min"]
    print(f"{summary['scenario']} · {summary['policy']} · {summary['requests']} requests")
    print(f"  mean response  {summary['mean_response_min']} min  (95% CI {low}–{high})")
    print(f"  p50 / p90      {summary['p50_response_min']} / {summary['p90_response_min']} min")
    print(f"  within 15 min  {summary['share_within_15_min']:.1%}")
    print(
        f"  utilisation    {summary['utilisation']:.1%} (peak hour {summary['peak_hour_utilisation']:.1%})"
    )
    print(f"  unserved       {summary['unserved']}")
    for path in summary.get("report", []):
        print(f"  wrote {path}")


def _compare(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="anxin simulate compare")
    _common(parser)
    parser.add_argument("--policies", help="comma-separated (default: all)")
    args = parser.parse_args(argv)
    scenario = _scenario(args)
    names = args.policies.split(",") if args.policies else list(SIM_POLICIES)
    for name in names:
        if name not in SIM_POLICIES:
            raise ScenarioError("--policies", f"unknown policy {name!r}")
    runner = Runner(scenario, args.replications, jobs=args.jobs)
    total = _expected_requests(scenario) * args.replications * (len(names) + 1)
    with _bar(total, "compare") as update:
        rows = compare(runner, names, progress=update)
    if args.json:
        print(json.dumps({"scenario": scenario.name, "policies": rows}, ensure_ascii=False))
        return 0
    header = f"{'policy':20} {'mean':>7} {'95% CI':>15} {'p90':>7} {'≤15min':>7} {'util':>6} {'Δmean vs base (95% CI)':>26}"
    print(f"{scenario.name}: {runner.replications} replication(s), common random numbers")
    print(header)
    for row in rows:
        low, high = row["ci95_mean_response_min"]
        d_low, d_high = row["ci95_diff_min"]
        print(
            f"{row['policy']:20} {row['mean_response_min']:7.2f} {f'{low:.2f}–{high:.2f}':>15} "
            f"{row['p90_response_min']:7.2f} {row['share_within_15_min']:7.1%} "
            f"{row['utilisation']:6.1%} {row['mean_response_diff_min']:+9.2f} "
            f"({d_low:+.2f}…{d_high:+.2f})"
        )
    return 0


def _size(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="anxin simulate size")
    _common(parser)
    parser.add_argument("--policy", default=DEFAULT_POLICY)
    parser.add_argument("--target-mean", type=float, default=15.0, help="minutes")
    parser.add_argument("--target-p90", type=float, default=30.0, help="minutes")
    parser.add_argument("--max-added", type=int, default=40)
    parser.add_argument("--write", type=Path, help="write the sized scenario here")
    parser.add_argument(
        "--screen-days",
        type=float,
        default=SCREEN_DAYS,
        help=f"try every candidate on this many days first (default {SCREEN_DAYS:g}; "
        "0: try every candidate on the full run)",
    )
    parser.add_argument(
        "--finalists", type=int, default=3, help="candidates per step run in full (default 3)"
    )
    args = parser.parse_args(argv)
    scenario = _scenario(args)
    if args.policy not in SIM_POLICIES:
        raise ScenarioError("--policy", f"unknown policy {args.policy!r}")
    if args.screen_days < 0:
        raise ScenarioError("--screen-days", "must be ≥ 0")
    if args.finalists < 1:
        raise ScenarioError("--finalists", "must be at least 1")
    runner = Runner(scenario, args.replications, jobs=args.jobs)
    screen = None
    if args.screen_days > 0 and (args.screen_days < scenario.days or args.replications > 1):
        # The screen: a shorter run (one replication) of the same scenario, with its own
        # common random numbers shared by every candidate.
        screen = Runner(scenario.with_days(min(args.screen_days, scenario.days)), 1, jobs=args.jobs)
    with tqdm(desc="sizing", unit="step", file=sys.stderr, disable=None) as bar:
        result = size_fleet(
            runner,
            args.policy,
            target_mean_min=args.target_mean,
            target_p90_min=args.target_p90,
            max_added=args.max_added,
            screen=screen,
            finalists=args.finalists,
            progress=bar.update,
        )
    fleet = result.pop("fleet")
    if args.write is not None:
        sized = scenario_to_json(scenario.with_units(fleet))
        args.write.write_text(json.dumps(sized, ensure_ascii=False, indent=1) + "\n", "utf-8")
        result["written"] = str(args.write)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        verdict = "meets" if result["met"] else "does NOT meet"
        print(
            f"{result['units_after']} units ({result['units_before']} now) {verdict} mean ≤ "
            f"{args.target_mean} min and p90 ≤ {args.target_p90} min: {result['final']}"
        )
        for site, count in result["added_by_site"].items():
            print(f"  add {count} at {site}")
        for unit_id in result["removed"]:
            print(f"  could spare {unit_id}")
    return 0 if result["met"] else 1


def _export(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="anxin simulate export")
    parser.add_argument("--from-db", action="store_true", required=True)
    parser.add_argument("--weeks", type=int, default=8, help="demand from the last N weeks")
    parser.add_argument("--output", default="-", help="scenario file (default: stdout)")
    parser.add_argument("--name", default="exported")
    parser.add_argument("--zones", type=int, default=8, help="demand zones to fit (k-means)")
    args = parser.parse_args(argv)
    # Django only on this path, loaded by name at run time: the simulator package itself stays
    # plain Python, which the import-linter contract checks on its static imports.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anxin.settings")
    importlib.import_module("django").setup()
    management = importlib.import_module("django.core.management")
    management.call_command(
        "simulation_export",
        weeks=args.weeks,
        output=args.output,
        name=args.name,
        zones=args.zones,
    )
    return 0
