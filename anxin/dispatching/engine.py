"""The proposal solver: the best units for one rescue request, ranked by ETA, with reasons (DSP-3).

The spatial index supplies the nearest units by straight line; the search widens until enough
of them pass the hard rules; those are timed by the travel-time provider (including the time
to finish a current job) and ranked by the soft rules.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from .domain import Id, Point, Proposal, ProposalResult, Rejection, RescueRequest, UnitSnapshot
from .explain import Reason
from .index import FleetIndex, as_index
from .rules import (
    HARD_RULE_NAMES,
    RuleContext,
    first_failure,
    pair_cost,
    start_time,
)
from .travel import SHANGHAI, TravelTimeProvider

#: Units asked from the index at first; each widening asks for this many times more.
FIRST_QUERY = 32
WIDEN_FACTOR = 2


def as_aware(now: dt.datetime | float) -> dt.datetime:
    """The caller's clock as an aware datetime: an aware datetime, or epoch seconds (UTC)."""
    if isinstance(now, dt.datetime):
        if now.utcoffset() is None:
            raise ValueError("now must be an aware datetime (or epoch seconds)")
        return now
    return dt.datetime.fromtimestamp(float(now), dt.UTC)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A unit that passed every hard rule for a request, with its ETA and cost."""

    index: int
    unit: UnitSnapshot
    distance_m: float
    start: dt.datetime
    eta_seconds: float
    cost: float


def propose(
    request: RescueRequest,
    fleet: FleetIndex | Sequence[UnitSnapshot],
    *,
    now: dt.datetime | float,
    travel: TravelTimeProvider,
    limit: int = 5,
    pool: int | None = None,
    exclude: Collection[Id] = (),
    tz: dt.tzinfo = SHANGHAI,
) -> ProposalResult:
    """Rank the best ``limit`` units for ``request`` at time ``now``.

    ``pool`` is how many units that pass the hard rules are timed before ranking (default
    ``max(2 × limit, limit + 5)``): the nearest by straight line, since the ETA ranking can
    reorder them but rarely reaches past them. ``exclude`` lists units already promised
    elsewhere (skipped, not rejected). Rejections list every unit looked at that failed a rule.
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    ctx = RuleContext(as_aware(now), tz)
    index = as_index(fleet)
    wanted = pool if pool is not None else max(2 * limit, limit + 5)
    feasible, rejections = _feasible_nearest(request, index, ctx, wanted, frozenset(exclude))
    candidates = time_candidates(request, feasible, index.units, ctx, travel)
    candidates.sort(key=lambda c: (c.cost, c.eta_seconds, str(c.unit.id)))
    best = candidates[:limit]
    proposals = [_proposal(request, c, rank, best[0], ctx) for rank, c in enumerate(best, 1)]
    return ProposalResult(proposals=proposals, rejections=rejections)


def _feasible_nearest(
    request: RescueRequest,
    index: FleetIndex,
    ctx: RuleContext,
    wanted: int,
    exclude: frozenset[Id],
) -> tuple[list[tuple[int, float]], list[Rejection]]:
    """Nearest units passing the hard rules, widening the search until ``wanted`` are found."""
    feasible: list[tuple[int, float]] = []
    rejections: list[Rejection] = []
    seen = 0
    k = min(len(index), max(FIRST_QUERY, 2 * wanted))
    while seen < len(index):
        # The k nearest come back nearest first, so the first ``seen`` were already judged.
        for i, distance in index.nearest(request.point, k, skip=seen):
            unit = index.units[i]
            if unit.id in exclude:
                continue
            failure = first_failure(request, unit, ctx)
            if failure is None:
                feasible.append((i, distance))
            else:
                rejections.append(Rejection(unit.id, failure[0], failure[1].reason))
        seen = k
        if len(feasible) >= wanted:
            break
        k = min(len(index), k * WIDEN_FACTOR)
    return feasible, rejections


def time_candidates(
    request: RescueRequest,
    feasible: Sequence[tuple[int, float]],
    units: Sequence[UnitSnapshot],
    ctx: RuleContext,
    travel: TravelTimeProvider,
) -> list[Candidate]:
    """ETA and cost of each feasible (index into ``units``, distance) for ``request``.

    Units are timed in groups by the local hour they set off, so a unit finishing its job
    after the evening peak is timed at the speeds of its own departure hour.
    """
    groups: dict[tuple[int, int], list[tuple[int, float, dt.datetime]]] = defaultdict(list)
    for i, distance in feasible:
        unit = units[i]
        start = start_time(unit, ctx)
        local = start.astimezone(ctx.tz)
        groups[(local.toordinal(), local.hour)].append((i, distance, start))
    result: list[Candidate] = []
    for members in groups.values():
        depart = min(start for _, _, start in members)
        origins: list[Point] = [units[i].origin for i, _, _ in members]
        matrix = travel.durations(origins, [request.point], depart, areas=[request.area])
        for (i, distance, start), row in zip(members, matrix, strict=True):
            unit = units[i]
            eta = (start - ctx.now).total_seconds() + row[0]
            result.append(Candidate(i, unit, distance, start, eta, pair_cost(request, unit, eta)))
    return result


def _proposal(
    request: RescueRequest, c: Candidate, rank: int, best: Candidate, ctx: RuleContext
) -> Proposal:
    minutes = max(1, round(c.eta_seconds / 60))
    reasons: list[Reason] = []
    if c.start > ctx.now:
        finish = c.start.astimezone(ctx.tz).strftime("%H:%M")
        reasons.append(Reason("eta.chained", {"finish": finish, "minutes": minutes}))
    else:
        km = round(c.distance_m / 1000, 1)
        reasons.append(Reason("eta.idle", {"minutes": minutes, "km": km}))
    if rank == 1:
        reasons.append(Reason("rank.best"))
    else:
        behind = max(0, round((c.eta_seconds - best.eta_seconds) / 60))
        reasons.append(Reason("rank.behind", {"minutes": behind}))
    reasons.append(Reason("workload.jobs_today", {"jobs": c.unit.jobs_today}))
    return Proposal(
        unit_id=c.unit.id,
        eta_seconds=c.eta_seconds,
        eta_at=ctx.now + dt.timedelta(seconds=c.eta_seconds),
        rank=rank,
        score=c.cost,
        passed_rules=HARD_RULE_NAMES,
        reasons=tuple(reasons),
    )
