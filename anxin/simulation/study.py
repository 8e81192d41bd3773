"""Studies built from runs: replications, policy comparison and fleet sizing (SIM-2, SIM-3).

Every study draws each replication's demand once and gives the same requests to every policy
and every fleet it tries (common random numbers), so a difference is the policy's or the
fleet's, not the dice's.
"""

from __future__ import annotations

import math
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any

from anxin.dispatching import Point, UnitKind

from .demand import Demand, draw_demand
from .engine import RunResult, Simulation
from .metrics import paired_difference, summarize
from .policies import BASELINE, SIM_POLICIES, resolve
from .scenario import EARTH_KM, Scenario, UnitSpec

Progress = Callable[[int], None]
#: Bases closer than this are one site when sizing (depots of one district).
SITE_KM = 2.0


class Runner:
    """Runs policies on one scenario, drawing each replication's demand only once.

    With ``jobs`` above 1 the runs of one call (every replication of every policy or fleet
    asked for) go to that many worker processes. Each run is deterministic (its scenario,
    policy and demand), so the results are the same as one after the other; only the wall
    time changes.
    """

    def __init__(self, scenario: Scenario, replications: int = 1, *, jobs: int = 1) -> None:
        if replications < 1:
            raise ValueError("replications must be at least 1")
        if jobs < 1:
            raise ValueError("jobs must be at least 1")
        self.scenario = scenario
        self.replications = replications
        self.jobs = jobs
        self._demand: dict[int, Demand] = {}

    def demand(self, replication: int) -> Demand:
        """The requests of one replication (drawn on first use, then shared)."""
        if replication not in self._demand:
            self._demand[replication] = draw_demand(self.scenario, replication)
        return self._demand[replication]

    def run(
        self, policy: str, *, fleet: Scenario | None = None, progress: Progress | None = None
    ) -> list[RunResult]:
        """Every replication of ``policy`` (optionally on another fleet of the same demand)."""
        return self.run_many([(policy, fleet)], progress=progress)[0]

    def run_many(
        self, tasks: Sequence[tuple[str, Scenario | None]], progress: Progress | None = None
    ) -> list[list[RunResult]]:
        """Every replication of each (policy, fleet) of ``tasks``, in the order given."""
        work = [
            (t, _Run(fleet if fleet is not None else self.scenario, policy, r, self.demand(r)))
            for t, (policy, fleet) in enumerate(tasks)
            for r in range(self.replications)
        ]
        results: list[list[RunResult]] = [[] for _ in tasks]
        if self.jobs == 1 or len(work) == 1:
            for t, run in work:
                results[t].append(run(progress))
            return results
        done: dict[int, RunResult] = {}
        # "spawn": a fresh interpreter per worker, whatever threads the caller has running
        # (a progress bar's); it imports only this package, which has no Django.
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(min(self.jobs, len(work)), mp_context=context) as pool:
            futures = {pool.submit(run): k for k, (_, run) in enumerate(work)}
            for future in as_completed(futures):
                result = done[futures[future]] = future.result()
                if progress is not None:
                    progress(len(result.demand))
        for k, (t, _) in enumerate(work):
            results[t].append(done[k])
        return results


@dataclass(frozen=True, slots=True)
class _Run:
    """One run, sent to a worker process as it is (everything in it can be pickled)."""

    scenario: Scenario
    policy: str
    replication: int
    demand: Demand

    def __call__(self, progress: Progress | None = None) -> RunResult:
        return Simulation(
            self.scenario,
            resolve(self.policy),
            replication=self.replication,
            demand=self.demand,
            progress=progress,
        ).run()


def default_jobs() -> int:
    """The cores this process may use (the default of ``anxin simulate --jobs``)."""
    return max(1, len(os.sched_getaffinity(0)))


def compare(
    runner: Runner, policies: Sequence[str] | None = None, progress: Progress | None = None
) -> list[dict[str, Any]]:
    """Every policy's figures, each with its paired difference against the baseline."""
    names = list(policies) if policies else list(SIM_POLICIES)
    if BASELINE not in names:
        names.insert(0, BASELINE)
    runs = dict(
        zip(names, runner.run_many([(name, None) for name in names], progress), strict=True)
    )
    rows = []
    for name in names:
        row = summarize(runs[name])
        row.update(paired_difference(runs[name], runs[BASELINE]))
        base = summarize(runs[BASELINE])
        row["mean_change_pct"] = _change(row["mean_response_min"], base["mean_response_min"])
        row["over_15_change_pct"] = _change(
            1 - (row["share_within_15_min"] or 0), 1 - (base["share_within_15_min"] or 0)
        )
        rows.append(row)
    return rows


def _change(value: float | None, base: float | None) -> float | None:
    if value is None or not base:
        return None
    return round(100.0 * (value - base) / base, 2)


@dataclass(frozen=True, slots=True)
class Site:
    """Where units can be added when sizing: a base (bases within ``SITE_KM`` merged)."""

    name: str
    point: Point


def sites_of(scenario: Scenario) -> list[Site]:
    """The fleet's bases, merged when they are within ``SITE_KM`` of each other."""
    sites: list[Site] = []
    for unit in scenario.units:
        if all(_km(unit.base, s.point) > SITE_KM for s in sites):
            sites.append(Site(unit.id, unit.base))
    return sites


def _km(a: Point, b: Point) -> float:
    dlat = math.radians(b.lat - a.lat)
    dlon = math.radians(b.lon - a.lon) * math.cos(math.radians((a.lat + b.lat) / 2))
    return EARTH_KM * math.hypot(dlat, dlon)


def _added(site: Site, n: int) -> UnitSpec:
    # An added unit can take any job (a flatbed with an HV-certified crew, round the clock):
    # sizing answers "how many and where", the mix of kinds is the operator's next question.
    return UnitSpec(
        id=f"new-{n}@{site.name}",
        base=site.point,
        kind=UnitKind.FLATBED,
        capabilities=frozenset(),
        hv_certified=True,
        shift_start=None,
        shift_end=None,
    )


def size_fleet(
    runner: Runner,
    policy: str,
    *,
    target_mean_min: float,
    target_p90_min: float,
    max_added: int = 40,
    screen: Runner | None = None,
    finalists: int = 3,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """The smallest fleet (the scenario's, plus units at the sites where each helps most)
    that meets both targets; when the fleet already meets them, the units it could spare.

    With ``screen`` (a runner over a shorter horizon, or fewer replications, of the same
    scenario) every candidate of a step (each site to add a unit at, each unit to drop) is
    first tried on the screen, all on common random numbers; only the ``finalists`` best
    are run on the full ``runner``, which makes the choice among them and decides whether
    the targets are met. Without ``screen`` every candidate is run in full.
    """

    def evaluate(fleet: tuple[UnitSpec, ...], on: Runner) -> dict[str, Any]:
        return evaluate_all([fleet], on)[0]

    def evaluate_all(fleets: Sequence[tuple[UnitSpec, ...]], on: Runner) -> list[dict[str, Any]]:
        # All candidates of a step at once, so that a runner with several jobs runs them
        # side by side.
        runs = on.run_many([(policy, on.scenario.with_units(f)) for f in fleets])
        return [summarize(r) for r in runs]

    def meets(s: dict[str, Any]) -> bool:
        mean, p90 = s["mean_response_min"], s["p90_response_min"]
        return (
            mean is not None
            and p90 is not None
            and s["unserved"] == 0
            and mean <= target_mean_min
            and p90 <= target_p90_min
        )

    def shortlist(fleets: list[tuple[UnitSpec, ...]], keep: Callable[[dict[str, Any]], bool]
                  ) -> list[tuple[dict[str, Any], int]]:  # fmt: skip
        """The candidates' full figures, for the finalists of the screen (or all)."""
        chosen = list(range(len(fleets)))
        if screen is not None and len(fleets) > finalists:
            screened = [(s, i) for i, s in enumerate(evaluate_all(fleets, screen))]
            ranked = sorted(
                screened, key=lambda t: (not keep(t[0]), t[0]["mean_response_min"] or math.inf)
            )
            chosen = sorted(i for _, i in ranked[:finalists])
        return list(zip(evaluate_all([fleets[i] for i in chosen], runner), chosen, strict=True))

    fleet = runner.scenario.units
    current = evaluate(fleet, runner)
    steps: list[dict[str, Any]] = []
    sites = sites_of(runner.scenario)
    if meets(current):
        # Spare units: drop, one at a time, the unit whose absence costs least.
        while len(fleet) > 1 and len(steps) < max_added:
            without = [fleet[:i] + fleet[i + 1 :] for i in range(len(fleet))]
            trials = shortlist(without, meets)
            ok = [(s["mean_response_min"], i, s) for s, i in trials if meets(s)]
            if progress is not None:
                progress(1)
            if not ok:
                break
            _, i, best = min(ok, key=lambda t: (t[0], t[1]))
            steps.append({"removed": fleet[i].id, **_brief(best)})
            fleet, current = without[i], best
    else:
        for n in range(1, max_added + 1):
            grown = [(*fleet, _added(site, n)) for site in sites]
            tried = shortlist(grown, lambda s: True)
            best, k = min(tried, key=lambda t: (t[0]["mean_response_min"] or math.inf, t[1]))
            site = sites[k]
            fleet = grown[k]
            current = best
            steps.append({"added_at": site.name, "lat": site.point.lat, "lon": site.point.lon,
                          **_brief(best)})  # fmt: skip
            if progress is not None:
                progress(1)
            if meets(best):
                break
    added: dict[str, int] = {}
    for step in steps:
        if "added_at" in step:
            added[step["added_at"]] = added.get(step["added_at"], 0) + 1
    return {
        "policy": policy,
        "targets": {"mean_response_min": target_mean_min, "p90_response_min": target_p90_min},
        "met": meets(current),
        "units_before": len(runner.scenario.units),
        "units_after": len(fleet),
        "added_by_site": added,
        "removed": [s["removed"] for s in steps if "removed" in s],
        "steps": steps,
        "final": _brief(current),
        "screen": None
        if screen is None
        else {
            "days": screen.scenario.days,
            "replications": screen.replications,
            "finalists": finalists,
        },
        "fleet": fleet,
    }


def _brief(summary: dict[str, Any]) -> dict[str, Any]:
    keys = ("mean_response_min", "p90_response_min", "share_within_15_min", "utilisation")
    return {key: summary[key] for key in keys}
