"""Peak mode (DSP-5): assign the waiting requests jointly, minimising total weighted ETA.

First-come-nearest lets an early request take the one unit a later request could not do
without. Here every waiting request is linked to units that pass the hard rules, each link
weighted by :func:`~anxin.dispatching.rules.pair_cost`, and a minimum-weight matching is solved
on that sparse graph (``scipy``'s LAPJVsp). Each request also has its own "wait" option
costing far more than any arrangement of real links, so the matching first serves as many
requests (weighted by priority) as the graph allows, and a request with no candidate waits.

The graph is built in three steps, each followed by one solve (nothing is fixed between
solves, and every later graph holds the pairs of the last solve, so it can only do better):

1. Each request's ``k`` nearest units among those its need class may use (one exact k-d tree
   query per class: :class:`~anxin.dispatching.feasibility.BatchFeasibility`), and "cover"
   links for hotspots: requests are grouped by cell and need class, each group gathers its
   nearest usable units until every class has about ``COVER_FACTOR`` units per request it
   competes with (its own and those of the classes that may use only units it may use), and
   each gathered unit is linked to ``COVER_LINKS`` random requests of the groups that found it
   (in a hotspot every group finds the same ring of units).
2. Requests still waiting are linked to their nearest usable units not given to anyone, twice
   as many each round, until they are served or no such unit is left.
3. Links chosen by cost: each served request tries exchanging units with ``SWAP_TRIES``
   random and its ``NEIGHBOUR_LINKS`` nearest fellow requests; for the ``SWAP_LINKS``
   exchanges that would lower the total most, each side is linked to the other's unit, and
   the current pairs plus these links are solved (so exchanges chain into cycles: a unit from
   the east goes to the request on the east side, the nearest units to the most urgent
   requests). Repeated while a round still lowers the total by more than ``IMPROVE_MIN``.
   Only the requests with such a link can move in a round, so only they are solved.

The graphs stay at a few links per request however the demand is placed; the price is
optimality (see ``docs/benchmarks.md`` for the measured gap to the dense optimum).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
from scipy.sparse import csr_array
from scipy.sparse.csgraph import min_weight_full_bipartite_matching
from scipy.spatial import cKDTree

from .domain import AssignedPair, Assignment, RescueRequest, UnitSnapshot
from .engine import time_candidates
from .feasibility import BatchFeasibility
from .index import FleetIndex, IntArray, as_index, to_xyz
from .rules import (
    WORKLOAD_SECONDS_PER_JOB,
    RuleContext,
    context_at,
    first_failure,
    priority_weight,
)
from .travel import SHANGHAI, FloatArray, PairwiseTravel, TravelTimeProvider

#: Nearest links each waiting request gets at first; doubled for requests left waiting.
DEFAULT_K = 8
#: Usable units gathered around the waiting requests, per waiting request.
COVER_FACTOR = 1.5
#: Links from each gathered unit to random waiting requests of the cells that found it.
COVER_LINKS = 4
#: Size of the cells (km) waiting requests are grouped in to gather units around them.
CELL_KM = 5.0
#: Nearest fellow requests each request tries exchanging units with in an improvement round.
NEIGHBOUR_LINKS = 8
#: Random fellow requests each request tries exchanging units with, and exchanges it keeps.
SWAP_TRIES = 32
SWAP_LINKS = 2
#: Improvement rounds at most, and the least relative gain that makes another worthwhile.
IMPROVE_ROUNDS = 12
IMPROVE_MIN = 1e-3
#: Widening rounds at most for requests left waiting.
MAX_ROUNDS = 12
#: The matching solver's cost resolution (seconds of weighted ETA) for large batches, and the
#: largest batch solved on exact costs (where the result is the exact optimum of the graph).
COST_RESOLUTION_S = 1.0
EXACT_MAX_REQUESTS = 256


def assign_jointly(
    requests: Sequence[RescueRequest],
    fleet: FleetIndex | Sequence[UnitSnapshot],
    *,
    now: dt.datetime | float,
    travel: TravelTimeProvider,
    k_candidates: int = DEFAULT_K,
    tz: dt.tzinfo = SHANGHAI,
) -> Assignment:
    """Give each waiting request at most one unit, each unit at most one request, so that the
    total priority-weighted cost (ETA plus the workload tie-breaker) is least on the sparse
    candidate graph. Requests no feasible unit can serve are returned in ``unassigned``."""
    if k_candidates < 1:
        raise ValueError("k_candidates must be at least 1")
    if len({r.id for r in requests}) != len(requests):
        raise ValueError("request ids must be unique")
    ctx = context_at(now, tz)
    index = as_index(fleet)
    n = len(requests)
    if n == 0 or len(index) == 0:
        return Assignment(pairs=[], unassigned=[r.id for r in requests])
    batch = _Batch(requests, index, ctx, travel)
    everyone = np.arange(n, dtype=np.intp)
    near_rows, near_units = batch.nearest_links(everyone, k_candidates)
    cover_rows, cover_units = batch.cover_links(everyone)
    unit_of, eta_of, total = batch.solve(
        np.concatenate((near_rows, cover_rows)), np.concatenate((near_units, cover_units))
    )
    # Every later graph holds the pairs of the last solve, so it can only do better.
    k = k_candidates
    for _ in range(MAX_ROUNDS):
        waiting = np.flatnonzero(unit_of < 0)
        k *= 2
        if waiting.size == 0:
            break
        rows, units = batch.free_links(waiting, unit_of, k)
        if rows.size == 0:
            break
        held = np.flatnonzero(unit_of >= 0)
        unit_of, eta_of, total = batch.solve(
            np.concatenate((held, rows, near_rows)),
            np.concatenate((unit_of[held], units, near_units)),
        )
    best = (unit_of.copy(), eta_of.copy(), (int(np.sum(unit_of < 0)), total))
    for _ in range(IMPROVE_ROUNDS):
        rows, units = batch.swap_links(unit_of)
        if rows.size == 0:
            break
        # Only the requests with an exchange link can move, and they can only take each
        # other's units (every link of the round goes to a unit one of them holds): solve
        # that part alone; everyone else keeps their unit.
        moving = np.unique(rows)
        before = float(batch.price(moving, unit_of[moving])[1].sum())
        part_unit, part_eta, after = batch.solve(
            np.concatenate((moving, rows)), np.concatenate((unit_of[moving], units))
        )
        still_served = bool(np.all(part_unit[moving] >= 0))
        unit_of[moving], eta_of[moving] = part_unit[moving], part_eta[moving]
        gain = before - after
        total -= gain
        score = (int(np.sum(unit_of < 0)), total)
        if score < best[2]:
            best = (unit_of.copy(), eta_of.copy(), score)
        if still_served and gain <= IMPROVE_MIN * abs(total):
            break
    # Solved on rounded costs (large batches), a round can lose a little: keep the best seen
    # (fewest waiting, then least total).
    unit_of, eta_of = best[0], best[1]
    served = np.flatnonzero(unit_of >= 0)
    _confirm(batch, served, unit_of[served])
    ids = index.table.ids
    pairs = [
        AssignedPair(requests[i].id, ids[u], e)
        for i, u, e in zip(served.tolist(), unit_of[served].tolist(), eta_of[served].tolist(), strict=True)
    ]  # fmt: skip
    return Assignment(pairs=pairs, unassigned=[requests[i].id for i in range(n) if unit_of[i] < 0])


def _confirm(batch: _Batch, rows: IntArray, units: IntArray) -> None:
    """Every pair handed out passes the hard rules by the rule functions themselves (the
    batch judged them by class; this is the check that the two agree)."""
    for r, u in zip(rows.tolist(), units.tolist(), strict=True):
        failure = first_failure(batch.requests[r], batch.index.units[u], batch.ctx)
        if failure is not None:
            raise RuntimeError(f"joint assignment broke {failure[0]} (request {r}, unit {u})")


class _Batch:
    """The requests of one joint assignment: positions, weights, feasibility and link prices."""

    def __init__(
        self,
        requests: Sequence[RescueRequest],
        index: FleetIndex,
        ctx: RuleContext,
        travel: TravelTimeProvider,
    ) -> None:
        self.requests, self.index, self.ctx, self.travel = requests, index, ctx, travel
        self.lat = np.array([r.point.lat for r in requests], dtype=np.float64)
        self.lon = np.array([r.point.lon for r in requests], dtype=np.float64)
        self.xyz = to_xyz(self.lat, self.lon)
        self.remote = np.array([r.area == "remote" for r in requests], dtype=np.bool_)
        self.weights = np.array([priority_weight(r) for r in requests], dtype=np.float64)
        self.feasible = BatchFeasibility(requests, index, ctx)
        every_unit = np.arange(len(index), dtype=np.intp)
        self.offset = index.table.start_offset_s(ctx, every_unit)
        self.workload = WORKLOAD_SECONDS_PER_JOB * index.table.jobs
        self._request_tree: cKDTree | None = None
        # Fixed seed: the same batch always gets the same links, so the same answer.
        self.rng = np.random.default_rng(0)
        self.resolution = COST_RESOLUTION_S if len(requests) > EXACT_MAX_REQUESTS else 0.0

    def nearest_links(self, rows: IntArray, k: int) -> tuple[IntArray, IntArray]:
        """Each request's ``k`` nearest units among those its need class may use."""
        rows_out: list[IntArray] = [np.zeros(0, dtype=np.intp)]
        units_out: list[IntArray] = [np.zeros(0, dtype=np.intp)]
        group = self.feasible.group[rows]
        for g in np.unique(group).tolist():
            members = self.feasible.members[g]
            kk = min(k, members.size)
            if kk == 0:
                continue
            todo = rows[group == g]
            _, found = self.feasible.tree(g).query(self.xyz[todo], k=kk)
            rows_out.append(np.repeat(todo, kk))
            units_out.append(members[np.asarray(found, dtype=np.intp).reshape(-1)])
        return np.concatenate(rows_out), np.concatenate(units_out)

    def cover_links(self, waiting: IntArray) -> tuple[IntArray, IntArray]:
        """Enough nearby units for everyone, each linked to random requests that found it.

        Waiting requests are grouped by cell (``CELL_KM``) and by need class (requests of one
        class pass and fail the same units). Each group gathers its nearest usable units, more
        while the requests of a class have fewer than ``COVER_FACTOR`` units each among them
        all; each gathered unit is linked to ``COVER_LINKS`` random requests of the groups
        that found it. In a hotspot every group finds the same ring of units, so the ring is
        shared out across the hotspot instead of every request pointing at the same few
        nearest units; elsewhere a unit stays local.
        """
        lat, lon = self.lat[waiting], self.lon[waiting]
        scale = np.cos(np.radians(float(lat.mean())))
        cx = np.floor(lon * 111.32 * scale / CELL_KM).astype(np.int64)
        cy = np.floor(lat * 111.32 / CELL_KM).astype(np.int64)
        need_class = self.feasible.group[waiting]
        n_classes = self.feasible.n_groups
        key = (cx * 1_000_003 + cy) * n_classes + need_class
        _, group_of, counts = np.unique(key, return_inverse=True, return_counts=True)
        group_of = group_of.reshape(-1)
        n_groups = counts.size
        by_group = np.argsort(group_of, kind="stable")
        group_start = np.concatenate(([0], np.cumsum(counts)[:-1]))
        group_class = need_class[by_group[group_start]]
        centroid = to_xyz(
            np.bincount(group_of, lat, n_groups) / counts,
            np.bincount(group_of, lon, n_groups) / counts,
        )
        # A class competes for its units with every class that may use only units of its own
        # (a request needing a flatbed takes a unit a plain breakdown could also have used).
        masks = self.feasible.masks
        inside = ~np.any(masks[:, None, :] & ~masks[None, :, :], axis=2)  # [d, c]: d within c
        demand = np.bincount(need_class, minlength=n_classes).astype(np.float64)
        needed = np.ceil(COVER_FACTOR * (demand @ inside))
        available = np.array([m.size for m in self.feasible.members], dtype=np.intp)
        wanted = np.minimum(np.ceil(COVER_FACTOR * counts).astype(np.intp), available[group_class])
        n_units = len(self.index)
        found_by: dict[int, tuple[IntArray, IntArray]] = {}
        redo = np.unique(group_class).tolist()
        while True:
            for c in redo:  # (re)gather for the classes whose groups want more
                members = self.feasible.members[c]
                mine = np.flatnonzero(group_class == c)
                query_k = int(wanted[mine].max())
                if query_k == 0:
                    found_by[c] = (np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp))
                    continue
                _, found = self.feasible.tree(c).query(centroid[mine], k=query_k)
                found = np.asarray(found, dtype=np.intp).reshape(mine.size, query_k)
                taken = np.arange(query_k)[None, :] < wanted[mine][:, None]
                found_by[c] = (
                    np.broadcast_to(mine[:, None], found.shape)[taken],
                    members[found[taken]],
                )
            groups = np.concatenate([g for g, _ in found_by.values()])
            units = np.concatenate([u for _, u in found_by.values()])
            sightings = np.unique(group_class[groups] * n_units + units)
            have = np.bincount(sightings // n_units, minlength=n_classes)
            short = (have < needed) & (have < available)
            grow = short[group_class] & (wanted < available[group_class])
            if not grow.any():
                break
            wanted[grow] = np.minimum(wanted[grow] * 2, available[group_class[grow]])
            redo = np.unique(group_class[grow]).tolist()
        if units.size == 0:
            return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp)
        # Each (group, unit) sighting gives the unit a chance of a link into that group: a unit
        # seen by many groups is spread over them, one seen by a single group stays local.
        order = np.argsort(units, kind="stable")
        groups, units = groups[order], units[order]
        unique_units, first, seen = np.unique(units, return_index=True, return_counts=True)
        pick = first[:, None] + (self.rng.random((unique_units.size, COVER_LINKS)) * seen[:, None])
        pick_groups = groups[pick.astype(np.intp)]
        member = (self.rng.random(pick_groups.shape) * counts[pick_groups]).astype(np.intp)
        rows = waiting[by_group[group_start[pick_groups] + member]].reshape(-1)
        return rows, np.repeat(unique_units, COVER_LINKS)

    def swap_links(self, unit_of: IntArray) -> tuple[IntArray, IntArray]:
        """Links chosen by cost: each served request tries ``SWAP_TRIES`` random fellow served
        requests, and for the ``SWAP_LINKS`` exchanges of units that would lower the total
        most, each side is linked to the other's unit (a hotspot's units come from every
        direction, and the request on the east side should get the one from the east)."""
        held = np.flatnonzero(unit_of >= 0)
        if held.size < 2:
            return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp)
        tries = min(SWAP_TRIES, held.size - 1)
        mine = np.repeat(held, tries)
        other = held[self.rng.integers(0, held.size, mine.size)]
        # And the nearest fellow requests, where most of the small exchanges are.
        n = len(self.requests)
        k = min(n, NEIGHBOUR_LINKS + 1)
        if self._request_tree is None:
            self._request_tree = cKDTree(self.xyz)
        _, near = self._request_tree.query(self.xyz[held], k=k)
        mine = np.concatenate((mine, np.repeat(held, k)))
        other = np.concatenate((other, np.asarray(near, dtype=np.intp).reshape(-1)))
        other_held = unit_of[other] >= 0
        mine, other = mine[other_held], other[other_held]
        ok = (mine != other) & self.feasible.mask(mine, unit_of[other])
        ok &= self.feasible.mask(other, unit_of[mine])
        mine, other = mine[ok], other[ok]
        _, own = self.price(held, unit_of[held])
        own_cost = np.zeros(len(self.requests))
        own_cost[held] = own
        _, cost_a = self.price(mine, unit_of[other])
        _, cost_b = self.price(other, unit_of[mine])
        gain = own_cost[mine] + own_cost[other] - cost_a - cost_b
        good = gain > 0
        mine, other, gain = mine[good], other[good], gain[good]
        # The best few exchanges per request: sort by request, then by gain, best first.
        order = np.lexsort((-gain, mine))
        mine, other = mine[order], other[order]
        starts = np.searchsorted(mine, mine, side="left")
        best = np.arange(mine.size) - starts < SWAP_LINKS
        mine, other = mine[best], other[best]
        return np.concatenate((mine, other)), np.concatenate((unit_of[other], unit_of[mine]))

    def solve(self, rows: IntArray, units: IntArray) -> tuple[IntArray, FloatArray, float]:
        """Matching on these links: each request's unit (-1: waits) and ETA, and the total
        (of the requests in ``rows``)."""
        n = len(self.requests)
        unit_of = np.full(n, -1, dtype=np.intp)
        eta_of = np.zeros(n, dtype=np.float64)
        _, first = np.unique(rows.astype(np.int64) * len(self.index) + units, return_index=True)
        rows, units = rows[first], units[first]
        if rows.size == 0:
            return unit_of, eta_of, 0.0
        etas, costs = self.price(rows, units)
        matched_rows, matched_units, chosen = _match(
            rows, units, costs, self.weights, self.resolution
        )
        unit_of[matched_rows] = matched_units
        eta_of[matched_rows] = etas[chosen]
        return unit_of, eta_of, float(costs[chosen].sum())

    def free_links(self, rows: IntArray, unit_of: IntArray, k: int) -> tuple[IntArray, IntArray]:
        """Each request's ``k`` nearest units its need class may use, among those not given
        to any request in ``unit_of``."""
        taken = np.zeros(len(self.index), dtype=np.bool_)
        taken[unit_of[unit_of >= 0]] = True
        rows_out: list[IntArray] = [np.zeros(0, dtype=np.intp)]
        units_out: list[IntArray] = [np.zeros(0, dtype=np.intp)]
        group = self.feasible.group[rows]
        for g in np.unique(group).tolist():
            members = self.feasible.members[g]
            free = members[~taken[members]]
            kk = min(k, free.size)
            if kk == 0:
                continue
            todo = rows[group == g]
            _, found = cKDTree(self.index.xyz[free]).query(self.xyz[todo], k=kk)
            rows_out.append(np.repeat(todo, kk))
            units_out.append(free[np.asarray(found, dtype=np.intp).reshape(-1)])
        return np.concatenate(rows_out), np.concatenate(units_out)

    def price(self, rows: IntArray, units: IntArray) -> tuple[FloatArray, FloatArray]:
        """ETA (s) and weighted cost of each link."""
        if rows.size == 0:
            return np.zeros(0, dtype=np.float64), np.zeros(0, dtype=np.float64)
        if isinstance(self.travel, PairwiseTravel):
            depart = self.ctx.now.timestamp() + self.offset[units]
            drive = self.travel.pairwise_seconds(
                self.index.lat[units], self.index.lon[units],
                self.lat[rows], self.lon[rows], depart, self.remote[rows],
            )  # fmt: skip
            etas: FloatArray = self.offset[units] + drive
        else:
            etas = self._etas_by_request(rows, units)
        costs: FloatArray = self.weights[rows] * (etas + self.workload[units])
        return etas, costs

    def _etas_by_request(self, rows: IntArray, units: IntArray) -> FloatArray:
        # A provider without a vectorised path (a routing service) is asked one request at a time.
        etas = np.zeros(rows.size, dtype=np.float64)
        for r in np.unique(rows).tolist():
            where = np.flatnonzero(rows == r)
            feasible = [(int(u), 0.0) for u in units[where].tolist()]
            timed = time_candidates(
                self.requests[r], feasible, self.index.units, self.ctx, self.travel
            )
            etas[where] = [c.eta_seconds for c in timed]
        return etas


def _match(
    rows: IntArray, units: IntArray, costs: FloatArray, weights: FloatArray, resolution: float
) -> tuple[IntArray, IntArray, IntArray]:
    """Minimum-weight matching of the links, each request also offered its own wait option:
    the matched (request, unit) pairs and the position of each among the links.

    With a ``resolution`` (batches of more than ``EXACT_MAX_REQUESTS``), the solver sees the
    costs rounded to it (whole seconds; the travel model's own error is minutes): in a hotspot
    many links cost nearly the same, and LAPJVsp needs fewer augmentations on the rounded
    values. Smaller batches are solved on exact costs, so a link a fraction of a second
    cheaper is never lost to a tie. The totals and ETAs returned are exact.
    The wait options stay even where every request could be served: without them the graph
    can be square, where scipy's LAPJVsp was seen not to terminate on these graphs.
    """
    requests, row_of = np.unique(rows, return_inverse=True)
    touched, col_of = np.unique(units, return_inverse=True)
    m = requests.size
    # Leaving a request waiting must cost more than any rearrangement of real links could save.
    big = (float(costs.max()) + 1.0) * (m + 1)
    dummy_cols = touched.size + np.arange(m)
    solver_costs = np.round(costs / resolution) * resolution if resolution > 0 else costs
    data = np.concatenate((solver_costs + 1.0, weights[requests] * big))  # +1: 0 is "no edge"
    graph = csr_array(
        (data, (np.concatenate((row_of, np.arange(m))), np.concatenate((col_of, dummy_cols)))),
        shape=(m, touched.size + m),
    )
    row_ind, col_ind = min_weight_full_bipartite_matching(graph)
    row_ind = np.asarray(row_ind, dtype=np.intp)
    col_ind = np.asarray(col_ind, dtype=np.intp)
    real = col_ind < touched.size
    matched_rows, matched_cols = row_ind[real], col_ind[real]
    # The ETA of each chosen link: find the link by (row, column) among the candidates.
    link_key = row_of.astype(np.int64) * (touched.size + 1) + col_of
    order = np.argsort(link_key)
    chosen = order[
        np.searchsorted(link_key, matched_rows * (touched.size + 1) + matched_cols, sorter=order)
    ]
    return requests[matched_rows], touched[matched_cols], chosen
