"""Peak mode (DSP-5): assign the waiting requests jointly, minimising total weighted ETA.

First-come-nearest lets an early request take the one unit a later request could not do
without. Here every waiting request is linked to its ``k`` nearest units that pass the hard
rules, each link weighted by :func:`~anxin.dispatching.rules.pair_cost`, and a minimum-weight
matching is solved on that sparse graph (``scipy``'s LAPJVsp). Each request also has its own
"wait" option costing far more than any arrangement of real links, so the matching first
serves as many requests as the graph allows, and a request with no candidate simply waits.

When demand clusters in one spot every request's nearest units are the same few, so the
graph also gets "cover" links: requests are grouped by cell and need, each group gathers its
nearest feasible free units until every kind of need has about ``COVER_FACTOR`` units per
request around it, and each gathered unit is linked to a few random requests of the groups
that found it. Requests still left waiting go round again against the units still free, with
twice the nearest links, keeping earlier rounds' pairs. The graph stays at about ``k +
COVER_LINKS × COVER_FACTOR`` links per waiting request however the demand is placed; the
price is optimality (see ``docs/benchmarks.md`` for the measured gap to the dense optimum).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
from scipy.sparse import csr_array
from scipy.sparse.csgraph import min_weight_full_bipartite_matching
from scipy.spatial import cKDTree

from .domain import AssignedPair, Assignment, RescueRequest, UnitSnapshot
from .engine import as_aware, time_candidates
from .feasibility import BatchFeasibility
from .index import FleetIndex, IntArray, as_index, to_xyz
from .rules import RuleContext, priority_weight, start_time, workload_balance
from .travel import SHANGHAI, FloatArray, PairwiseTravel, TravelTimeProvider

#: Links each waiting request gets in the first round; doubled each further round.
DEFAULT_K = 8
#: Free units gathered around the waiting requests, per waiting request.
COVER_FACTOR = 1.5
#: Links from each gathered unit to random waiting requests of the cells that found it.
COVER_LINKS = 4
#: Size of the cells (km) waiting requests are grouped in to gather units around them.
CELL_KM = 5.0
#: Rounds at most (each doubles the links, so 8 rounds reach 2,048 links per request).
MAX_ROUNDS = 12


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
    ctx = RuleContext(as_aware(now), tz)
    index = as_index(fleet)
    n = len(requests)
    if n == 0 or len(index) == 0:
        return Assignment(pairs=[], unassigned=[r.id for r in requests])
    batch = _Batch(requests, index, ctx, travel)
    unit_of = np.full(n, -1, dtype=np.intp)
    eta_of = np.zeros(n, dtype=np.float64)
    free = np.ones(len(index), dtype=np.bool_)
    waiting = np.arange(n, dtype=np.intp)
    k = k_candidates
    for _ in range(MAX_ROUNDS):
        rows, units = batch.links(waiting, np.flatnonzero(free), k)
        if rows.size == 0:
            break
        etas, costs = batch.price(rows, units)
        matched_rows, matched_units, matched_etas = _match(rows, units, costs, etas, batch.weights)
        unit_of[matched_rows] = matched_units
        eta_of[matched_rows] = matched_etas
        free[matched_units] = False
        waiting = waiting[unit_of[waiting] < 0]
        if waiting.size == 0 or not free.any():
            break
        k *= 2
    pairs = [
        AssignedPair(requests[i].id, index.units[int(unit_of[i])].id, float(eta_of[i]))
        for i in range(n)
        if unit_of[i] >= 0
    ]
    return Assignment(pairs=pairs, unassigned=[requests[i].id for i in range(n) if unit_of[i] < 0])


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
        self.offset = np.full(len(index), np.nan)
        self.workload = np.full(len(index), np.nan)
        # Fixed seed: the same batch always gets the same links, so the same answer.
        self.rng = np.random.default_rng(0)

    def links(self, waiting: IntArray, free_units: IntArray, k: int) -> tuple[IntArray, IntArray]:
        """New links for the waiting requests among the free units: (request rows, units)."""
        if free_units.size == 0 or waiting.size == 0:
            return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp)
        tree = self.index.tree_over(free_units)
        near_rows, near_units = self._nearest_links(tree, waiting, free_units, k)
        cover_rows, cover_units = self._cover_links(tree, waiting, free_units)
        rows = np.concatenate((near_rows, cover_rows))
        units = np.concatenate((near_units, cover_units))
        _, first = np.unique(rows * len(self.index) + units, return_index=True)
        return rows[first], units[first]

    def _nearest_links(
        self, tree: cKDTree, waiting: IntArray, free_units: IntArray, k: int
    ) -> tuple[IntArray, IntArray]:
        """Each waiting request's ``k`` nearest feasible free units, looking further as needed."""
        rows_out: list[IntArray] = []
        units_out: list[IntArray] = []
        todo, query_k = waiting, min(free_units.size, 2 * k)
        while todo.size:
            _, found = tree.query(self.xyz[todo], k=query_k)
            found = free_units[np.asarray(found, dtype=np.intp).reshape(todo.size, query_k)]
            ok = self.feasible.mask(todo, found)
            # Requests with too few feasible units among these look further in the next pass
            # and take all their links from it, so no link is listed twice.
            last = query_k >= free_units.size
            short = np.zeros(todo.size, np.bool_) if last else ok.sum(axis=1) < k
            keep = ok & (np.cumsum(ok, axis=1) <= k) & ~short[:, None]
            r, c = np.nonzero(keep)
            rows_out.append(todo[r])
            units_out.append(found[r, c])
            todo = todo[short]
            query_k = min(free_units.size, query_k * 4)
        return np.concatenate(rows_out), np.concatenate(units_out)

    def _cover_links(
        self, tree: cKDTree, waiting: IntArray, free_units: IntArray
    ) -> tuple[IntArray, IntArray]:
        """Enough nearby units for everyone, each linked to random requests that found it.

        Waiting requests are grouped by cell (``CELL_KM``) and by what they need (requests of
        one group pass and fail the same units). Each group gathers its nearest feasible free
        units, more while the requests needing the same have fewer than ``COVER_FACTOR``
        units each among them all; each gathered unit is linked to ``COVER_LINKS`` random
        requests of the groups that found it. In a hotspot every group finds the same ring
        of units, so the ring is shared out at random across the hotspot instead of every
        request pointing at the same few nearest units; elsewhere a unit stays local.
        """
        lat, lon = self.lat[waiting], self.lon[waiting]
        scale = np.cos(np.radians(float(lat.mean())))
        cx = np.floor(lon * 111.32 * scale / CELL_KM).astype(np.int64)
        cy = np.floor(lat * 111.32 / CELL_KM).astype(np.int64)
        need_class = self.feasible.request_class[waiting]
        n_classes = int(need_class.max()) + 1
        key = (cx * 1_000_003 + cy) * n_classes + need_class
        _, group_of, counts = np.unique(key, return_inverse=True, return_counts=True)
        group_of = group_of.reshape(-1)
        n_groups = counts.size
        by_group = np.argsort(group_of, kind="stable")
        group_start = np.concatenate(([0], np.cumsum(counts)[:-1]))
        representative = waiting[by_group[group_start]]
        group_class = need_class[by_group[group_start]]
        centroid = to_xyz(
            np.bincount(group_of, lat, n_groups) / counts,
            np.bincount(group_of, lon, n_groups) / counts,
        )
        needed = np.ceil(COVER_FACTOR * np.bincount(need_class, minlength=n_classes))
        wanted = np.ceil(COVER_FACTOR * counts).astype(np.intp)
        while True:
            query_k = int(min(free_units.size, 2 * wanted.max()))
            _, found = tree.query(centroid, k=query_k)
            found = free_units[np.asarray(found, dtype=np.intp).reshape(n_groups, query_k)]
            ok = self.feasible.mask(representative, found)
            taken = ok & (np.cumsum(ok, axis=1) <= wanted[:, None])
            groups, units = np.nonzero(taken)[0], found[taken]
            sightings = np.unique(group_class[groups] * len(self.index) + units)
            have = np.bincount(sightings // len(self.index), minlength=n_classes)
            short = have < needed
            if not short.any() or query_k >= free_units.size:
                break
            wanted[short[group_class]] *= 2
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

    def price(self, rows: IntArray, units: IntArray) -> tuple[FloatArray, FloatArray]:
        """ETA (s) and weighted cost of each link."""
        new = np.unique(units[np.isnan(self.offset[units])])
        now = self.ctx.now
        for u in new.tolist():
            unit = self.index.units[u]
            self.offset[u] = (start_time(unit, self.ctx) - now).total_seconds()
            self.workload[u] = workload_balance(unit)
        if isinstance(self.travel, PairwiseTravel):
            depart = now.timestamp() + self.offset[units]
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
    rows: IntArray, units: IntArray, costs: FloatArray, etas: FloatArray, weights: FloatArray
) -> tuple[IntArray, IntArray, FloatArray]:
    """Minimum-weight matching of the links, each request also offered its own wait option."""
    requests, row_of = np.unique(rows, return_inverse=True)
    touched, col_of = np.unique(units, return_inverse=True)
    m = requests.size
    # Leaving a request waiting must cost more than any rearrangement of real links could save.
    big = (float(costs.max()) + 1.0) * (m + 1)
    dummy_cols = touched.size + np.arange(m)
    data = np.concatenate((costs + 1.0, weights[requests] * big))  # +1: zero means "no edge"
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
    return requests[matched_rows], touched[matched_cols], etas[chosen]
