"""The figures SIM-2 asks for, with confidence intervals, and the queueing theory they are checked
against (Erlang C).

The confidence interval of a mean is across replications (Student's t on the replication
means); a single replication is cut into ten consecutive batches instead (batch means), which is
honest for long runs but a little narrow for short ones.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import stats

from .demand import FloatArray
from .engine import RunResult

#: The seed's promise (DSP-4): average response within 15 minutes.
TARGET_S = 15 * 60.0
BATCHES = 10


def ci95(values: Sequence[float] | FloatArray) -> tuple[float, float]:
    """A 95 % Student-t interval for the mean of independent ``values``."""
    x = np.asarray(values, dtype=np.float64)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return (math.nan, math.nan)
    mean = float(x.mean())
    if x.size < 2:
        return (mean, mean)
    half = float(stats.t.ppf(0.975, x.size - 1) * x.std(ddof=1) / math.sqrt(x.size))
    return (mean - half, mean + half)


def replication_means(results: Sequence[RunResult], *, warmup_s: float = 0.0) -> list[float]:
    """The mean response (s) of each replication; one replication gives its batch means."""
    if len(results) > 1:
        return [float(np.nanmean(_after(r, warmup_s))) for r in results]
    response = _after(results[0], warmup_s)
    response = response[np.isfinite(response)]
    if response.size < BATCHES:
        return [float(response.mean())] if response.size else []
    return [float(b.mean()) for b in np.array_split(response, BATCHES)]


def _after(result: RunResult, warmup_s: float) -> FloatArray:
    response: FloatArray = result.response_s[result.demand.t >= warmup_s]
    return response


def summarize(results: Sequence[RunResult]) -> dict[str, Any]:
    """The ``--json`` figures of one policy over its replications (minutes, shares)."""
    if not results:
        raise ValueError("no runs to summarise")
    response = np.concatenate([r.response_s for r in results])
    served = response[np.isfinite(response)]
    wait = np.concatenate([r.dispatched_s - r.demand.t for r in results])
    travel = np.concatenate([r.on_scene_s - r.dispatched_s for r in results])
    busy = sum(float(r.unit_busy_s.sum()) for r in results)
    shift = sum(float(r.unit_shift_s.sum()) for r in results)
    hourly_busy = np.sum([r.hourly_busy_s for r in results], axis=0)
    hourly_shift = np.sum([r.hourly_shift_s for r in results], axis=0)
    by_hour = np.divide(hourly_busy, hourly_shift, out=np.zeros(24), where=hourly_shift > 0)
    means = [m / 60.0 for m in replication_means(results)]
    shares = [float(np.mean(r.response_s[np.isfinite(r.response_s)] <= TARGET_S)) for r in results]
    events = sum(r.events for r in results)
    wall = sum(r.wall_s for r in results)

    def minutes(x: FloatArray, q: float | None = None) -> float | None:
        x = x[np.isfinite(x)]
        if x.size == 0:
            return None
        value = float(x.mean()) if q is None else float(np.percentile(x, q))
        return round(value / 60.0, 3)

    return {
        "scenario": results[0].scenario,
        "policy": results[0].policy,
        "requests": int(sum(len(r.demand) for r in results)),
        "mean_response_min": minutes(served),
        "p50_response_min": minutes(served, 50),
        "p90_response_min": minutes(served, 90),
        "share_within_15_min": round(float(np.mean(served <= TARGET_S)), 4)
        if served.size
        else None,
        "utilisation": round(busy / shift, 4) if shift else None,
        "peak_hour_utilisation": round(float(by_hour.max()), 4),
        "unserved": int(np.sum(~np.isfinite(response))),
        "replications": len(results),
        "ci95_mean_response_min": [round(v, 3) for v in ci95(means)],
        "ci95_share_within_15_min": [round(v, 4) for v in ci95(shares)]
        if len(results) > 1
        else None,
        "mean_wait_min": minutes(wait),
        "mean_travel_min": minutes(travel),
        "utilisation_by_hour": [round(float(v), 4) for v in by_hour],
        "policy_calls": int(sum(r.policy_calls for r in results)),
        "events": events,
        "events_per_s": round(events / wall) if wall > 0 else None,
        "wall_s": round(wall, 3),
    }


def paired_difference(
    results: Sequence[RunResult], baseline: Sequence[RunResult]
) -> dict[str, Any]:
    """Mean response and share over 15 min against a baseline run on the same demand (CRN)."""
    diff = [
        a - b for a, b in zip(replication_means(results), replication_means(baseline), strict=True)
    ]
    low, high = ci95(diff)
    return {
        "mean_response_diff_min": round(float(np.mean(diff)) / 60.0, 3),
        "ci95_diff_min": [round(low / 60.0, 3), round(high / 60.0, 3)],
    }


def erlang_c_wait(arrival_rate: float, service_rate: float, servers: int) -> float:
    """Mean wait in queue of an M/M/c queue (Erlang C), in the rates' time unit."""
    a = arrival_rate / service_rate
    rho = a / servers
    if not 0 <= rho < 1:
        raise ValueError("the queue is unstable (ρ ≥ 1)")
    terms = sum(a**k / math.factorial(k) for k in range(servers))
    top = a**servers / math.factorial(servers) / (1 - rho)
    p_wait = top / (terms + top)
    return p_wait / (servers * service_rate - arrival_rate)
