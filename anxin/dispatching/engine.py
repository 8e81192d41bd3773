"""The proposal solver: the best units for one rescue request, ranked by ETA, with reasons (DSP-3).

The spatial index supplies the nearest units by straight line; the search widens until enough
of them pass the hard rules; those are timed by the travel-time provider (including the time
to finish a current job) and ranked by the soft rules.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import overload

import numpy as np

from .domain import (
    Area,
    Id,
    Point,
    Proposal,
    ProposalResult,
    Rejection,
    RescueRequest,
    UnitSnapshot,
)
from .explain import Reason
from .index import FleetIndex, IntArray, as_index, chord_to_arc_m, to_xyz
from .prefilter import BoolArray, ObjectArray, epoch_us
from .rules import (
    HARD_RULE_NAMES,
    HARD_RULES,
    WORKLOAD_SECONDS_PER_JOB,
    RuleContext,
    RuleResult,
    context_at,
    first_failure,
    pair_cost,
    priority_weight,
    start_time,
)
from .travel import SHANGHAI, FloatArray, HaversineModel, TravelTimeProvider

#: Units asked from the index at first; each widening asks for this many times more.
FIRST_QUERY = 32
WIDEN_FACTOR = 2
#: The first tree query asks for this many rounds' worth of units at once (see ``_Rounds``).
SPECULATE = 4
#: Up to this many feasible units are timed in plain floats rather than with numpy arrays.
SCALAR_TIMING_UP_TO = 32


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
    ctx = context_at(now, tz)
    index = as_index(fleet)
    wanted = pool if pool is not None else max(2 * limit, limit + 5)
    feasible, rejections = _feasible_nearest(request, index, ctx, wanted, frozenset(exclude))
    best = _best_timed(request, feasible, index, ctx, travel, limit)
    proposals = [_proposal(request, c, rank, best[0], ctx) for rank, c in enumerate(best, 1)]
    return ProposalResult(proposals=proposals, rejections=rejections)


def _feasible_nearest(
    request: RescueRequest,
    index: FleetIndex,
    ctx: RuleContext,
    wanted: int,
    exclude: frozenset[Id],
) -> tuple[list[tuple[int, float]], Rejections]:
    """Nearest units passing the hard rules, widening the search until ``wanted`` are found.

    The snapshot's :class:`~anxin.dispatching.prefilter.FleetTable` says at once which rule
    (if any) each unit looked at fails first, as the rule functions do: a rule with a
    ``unit_key`` by its function on a unit of the same key class, a rule with a vectorised
    twin by the twin (checked against the function on random fleets by
    ``tests/test_dispatching_prefilter.py``), any other by its function unit by unit. A unit it
    passes is feasible, as :class:`~.live.LiveFleet`'s columns are for the policies; the
    units it fails are listed, with the rule each failed first, in :class:`Rejections`.
    """
    feasible: list[tuple[int, float]] = []
    rejected: list[_Rejected] = []
    ids = index.table.ids
    point = to_xyz(np.array([request.point.lat]), np.array([request.point.lon]))[0]
    first = min(len(index), max(FIRST_QUERY, 2 * wanted))
    rounds = _Rounds(index, point, first, lambda idx: index.table.screen(request, ctx, idx))
    for found, distances, codes, results, known in rounds:
        if exclude:
            kept = np.array([ids[i] not in exclude for i in found.tolist()], dtype=np.bool_)
            found, distances, codes = found[kept], distances[kept], codes[kept]
            results, known = results[kept], known[kept]
        ok = codes == -1
        feasible.extend(zip(found[ok].tolist(), distances[ok].tolist(), strict=True))
        if not ok.all():
            out = ~ok
            rejected.append((found[out], codes[out], results[out], known[out]))
        if len(feasible) >= wanted:
            break
    return feasible, Rejections(request, index, ctx, rejected)


#: One round's turned-down units: positions, first rule failed, its result where the table
#: has it from the rule function (and whether it has).
_Rejected = tuple[IntArray, IntArray, ObjectArray, BoolArray]


class Rejections(Sequence[Rejection]):
    """The units a proposal looked at and turned down, nearest first, with the hard rule each
    failed first and that rule's reason; built when first read.

    :func:`propose` judges every unit it looks at (the table's codes decide which are
    feasible); turning a few hundred of them into :class:`Rejection` objects with the rule
    functions' reasons is left until someone reads the list. The dispatch console does; the
    policies, which propose for every request of a batch and keep only the best unit, do not.
    Compares equal to a list of the same rejections.
    """

    __slots__ = ("_ctx", "_index", "_items", "_rejected", "_request")

    def __init__(
        self,
        request: RescueRequest,
        index: FleetIndex,
        ctx: RuleContext,
        rejected: list[_Rejected],
    ) -> None:
        self._request, self._index, self._ctx, self._rejected = request, index, ctx, rejected
        self._items: list[Rejection] | None = None

    def _built(self) -> list[Rejection]:
        if self._items is None:
            self._items = _build_rejections(self._request, self._index, self._ctx, self._rejected)
        return self._items

    @overload
    def __getitem__(self, i: int) -> Rejection: ...

    @overload
    def __getitem__(self, i: slice) -> list[Rejection]: ...

    def __getitem__(self, i: int | slice) -> Rejection | list[Rejection]:
        return self._built()[i]

    def __len__(self) -> int:
        if self._items is not None:
            return len(self._items)
        return sum(part[0].size for part in self._rejected)

    def __iter__(self) -> Iterator[Rejection]:
        return iter(self._built())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Rejections | list | tuple):
            return self._built() == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Rejections({self._built()!r})"


def _build_rejections(
    request: RescueRequest, index: FleetIndex, ctx: RuleContext, rejected: list[_Rejected]
) -> list[Rejection]:
    """The rejections of :class:`Rejections`, in the order the units were looked at.

    Units whose rule result the table has (judged by the function on a unit of the same
    class) are turned down in runs, straight from its columns; the others (failing a
    vectorised twin) get their reason from the rule function, one unit at a time."""
    units, table, ids, id_objects = (
        index.units,
        index.table,
        index.table.ids,
        index.table.id_objects,
    )
    rejections: list[Rejection] = []
    # Off shift: a unit setting off now fails ``on_shift`` by its shift hours alone, so one
    # verdict of the rule function serves every unit with the same hours.
    off_shift: dict[tuple[object, object], tuple[str, RuleResult]] = {}
    now_us = epoch_us(ctx.now)
    for found, codes, results, known in rejected:
        found_list, code_list = found.tolist(), codes.tolist()
        start = 0
        for c in [*np.flatnonzero(~known).tolist(), len(found_list)]:
            if c > start:
                # ``tuple.__new__(Rejection, ...)`` is what ``Rejection._make`` does, in C.
                rejections.extend(
                    map(
                        tuple.__new__,
                        repeat(Rejection),
                        zip(
                            id_objects[found[start:c]].tolist(),
                            _NAMES[codes[start:c]].tolist(),
                            [result.reason for result in results[start:c].tolist()],
                            strict=True,
                        ),
                    )
                )
            start = c + 1
            if c == len(found_list):
                break
            i, code = found_list[c], code_list[c]
            unit = units[i]
            set_off_now = not (table.chained[i] and table.busy_us[i] > now_us)
            hours = (unit.shift_start, unit.shift_end)
            failure = off_shift.get(hours) if code == _ON_SHIFT and set_off_now else None
            if failure is None:
                failure = _confirmed_failure(request, unit, ctx, code)
                if code == _ON_SHIFT and set_off_now and failure[0] == "on_shift":
                    off_shift[hours] = failure
            rejections.append(Rejection(ids[i], failure[0], failure[1].reason))
    return rejections


_NAMES = np.array(HARD_RULE_NAMES, dtype=object)
_ON_SHIFT = next(c for c, rule in enumerate(HARD_RULES) if rule.name == "on_shift")

_Screen = Callable[[IntArray], tuple[IntArray, ObjectArray, BoolArray]]
_Round = tuple[IntArray, FloatArray, IntArray, ObjectArray, BoolArray]


class _Rounds:
    """The widening search's rounds: the units at positions ``[k / WIDEN_FACTOR, k)`` of the
    ``k`` nearest, ``k`` growing by ``WIDEN_FACTOR`` until the fleet is exhausted.

    Each round gives those units' indices, great-circle distances and
    :meth:`~.prefilter.FleetTable.screen` columns (``screen``). The first tree query asks
    for ``SPECULATE`` rounds' worth of units at once, and one query serves several rounds
    when no two of the distances it returns are equal (then every prefix is exactly what a
    query with that ``k`` returns); later queries ask for the round's ``k`` only (a fourfold
    query there would cost more than it saves). The units a query brings that no earlier
    round saw are screened once, with a few numpy operations, however many rounds they
    serve. With ties the tree is asked once per round, as the rounds are defined.
    """

    def __init__(self, index: FleetIndex, point: FloatArray, k: int, screen: _Screen) -> None:
        self.index, self.point, self.k, self.seen, self.screen = index, point, k, 0, screen
        self.fetched = self.base = 0
        self.found: IntArray = np.zeros(0, dtype=np.intp)
        self.distances: FloatArray = np.zeros(0)
        self.codes: IntArray = np.zeros(0, dtype=np.intp)
        self.results: ObjectArray = np.zeros(0, dtype=object)
        self.known: BoolArray = np.zeros(0, dtype=np.bool_)
        self.exact = True

    def __iter__(self) -> _Rounds:
        return self

    def __next__(self) -> _Round:
        n = len(self.index)
        if self.seen >= n:
            raise StopIteration
        k, seen = self.k, self.seen
        if self.fetched < k or not self.exact:
            ask = min(n, k * SPECULATE) if self.exact and self.fetched == 0 else k
            chord, found = self.index.query_xyz(self.point, ask)
            distinct = bool(np.all(chord[1:] > chord[:-1]))
            if not distinct and ask > k:
                chord, found = self.index.query_xyz(self.point, k)
            self.exact = self.exact and distinct
            # Only the units not seen yet are screened (a prefix of an exact query is what
            # the earlier rounds saw; with ties the next query differs anyway).
            chord, found = chord[seen:], found[seen:]
            self.codes, self.results, self.known = self.screen(found)
            self.found, self.distances = found, chord_to_arc_m(chord)
            self.base, self.fetched = seen, (seen + found.size if self.exact else 0)
        self.seen, self.k = k, min(n, k * WIDEN_FACTOR)
        lo, hi = seen - self.base, k - self.base
        return (
            self.found[lo:hi],
            self.distances[lo:hi],
            self.codes[lo:hi],
            self.results[lo:hi],
            self.known[lo:hi],
        )


def _confirmed_failure(
    request: RescueRequest, unit: UnitSnapshot, ctx: RuleContext, code: int
) -> tuple[str, RuleResult]:
    """The first hard rule ``unit`` fails, from the rule functions, given the table's verdict
    that it fails rule ``HARD_RULES[code]`` first; if that rule's function passes the unit,
    every rule is asked in order. A unit that every function passes was failed by a twin
    that disagrees with its function: a defect, raised as such."""
    rule = HARD_RULES[code]
    assert rule.check is not None
    result = rule.check(request, unit, ctx)
    if not result.ok:
        return rule.name, result
    failure = first_failure(request, unit, ctx)
    if failure is None:
        raise RuntimeError(
            f"the fleet table failed unit {unit.id!r} on {rule.name!r}, its function passes it"
        )
    return failure


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


def _best_timed(
    request: RescueRequest,
    feasible: Sequence[tuple[int, float]],
    index: FleetIndex,
    ctx: RuleContext,
    travel: TravelTimeProvider,
    limit: int,
) -> list[Candidate]:
    """The ``limit`` feasible units of least cost, timed as :func:`time_candidates` does."""
    if not feasible or not _model_in_one_offset(feasible, index, ctx, travel):
        candidates = time_candidates(request, feasible, index.units, ctx, travel)
        candidates.sort(key=lambda c: (c.cost, c.eta_seconds, str(c.unit.id)))
        return candidates[:limit]
    # The default model, one UTC offset from now until the last unit sets off: every unit is
    # timed at the speed of its own departure hour, as the grouped path does, in one call.
    assert isinstance(travel, HaversineModel)
    table = index.table
    weight = priority_weight(request)
    n = len(feasible)
    if n <= SCALAR_TIMING_UP_TO:
        # A few units: the same formula in plain floats (``HaversineModel.seconds``), which
        # costs less than a round of numpy calls on arrays of a few elements.
        now_us = epoch_us(ctx.now)
        remote = request.area is Area.REMOTE
        etas, costs = [], []
        to_lat, to_lon = request.point.lat, request.point.lon
        for i, _ in feasible:
            busy_us = int(table.busy_us[i])
            later = bool(table.chained[i]) and busy_us > now_us
            offset_s = (busy_us - now_us) / 1e6 if later else 0.0
            depart = (busy_us if later else now_us) / 1e6
            eta = offset_s + travel.seconds_between(
                float(index.lat[i]), float(index.lon[i]), to_lat, to_lon, depart, remote=remote
            )
            etas.append(eta)
            costs.append(weight * (eta + WORKLOAD_SECONDS_PER_JOB * int(table.jobs[i])))
    else:
        idx = np.array([i for i, _ in feasible], dtype=np.intp)
        offset = table.start_offset_s(ctx, idx)
        later_mask = offset > 0
        depart_s = np.where(later_mask, table.busy_us[idx], epoch_us(ctx.now)) / 1e6
        drive = travel.pairwise_seconds(
            index.lat[idx], index.lon[idx],
            np.full(n, request.point.lat), np.full(n, request.point.lon),
            depart_s, np.full(n, request.area is Area.REMOTE),
        )  # fmt: skip
        etas = (offset + drive).tolist()
        costs = (weight * ((offset + drive) + WORKLOAD_SECONDS_PER_JOB * table.jobs[idx])).tolist()
    order = sorted(range(n), key=lambda c: (costs[c], etas[c], str(table.ids[feasible[c][0]])))
    best: list[Candidate] = []
    for c in order[:limit]:
        i, distance = feasible[c]
        unit = index.units[i]
        start = start_time(unit, ctx)
        best.append(Candidate(i, unit, distance, start, etas[c], pair_cost(request, unit, etas[c])))
    return best


def _model_in_one_offset(
    feasible: Sequence[tuple[int, float]],
    index: FleetIndex,
    ctx: RuleContext,
    travel: TravelTimeProvider,
) -> bool:
    """Whether the vectorised timing gives what :func:`time_candidates` would: the default
    model, in the dispatch zone or in a zone with the same UTC offset (the simulator's fixed
    +08:00 for Asia/Shanghai), and that offset unchanged until the last departure."""
    if type(travel) is not HaversineModel:
        return False
    idx = np.array([i for i, _ in feasible], dtype=np.intp)
    last_us = int(np.max(np.where(index.table.chained[idx], index.table.busy_us[idx], 0)))
    last = ctx.now + dt.timedelta(microseconds=max(0, last_us - epoch_us(ctx.now)))
    offset = ctx.now.astimezone(ctx.tz).utcoffset()
    if travel.tz != ctx.tz and (
        ctx.now.astimezone(travel.tz).utcoffset() != offset
        or last.astimezone(travel.tz).utcoffset() != offset
    ):
        return False
    return last.astimezone(ctx.tz).utcoffset() == offset


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
