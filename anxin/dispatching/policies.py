"""Dispatch policies: how a batch of waiting requests is given units (SIM-2 compares them).

A policy sees the waiting requests and the fleet at ``now`` and returns an
:class:`~anxin.dispatching.domain.Assignment`. Production uses ``best-eta`` for single calls and
``joint-eta`` in peaks (DSP-5); ``nearest-idle`` is the baseline a desk without the engine
would follow (the nearest free capable unit by straight line, first come first served).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from functools import lru_cache
from types import MappingProxyType
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from .domain import (
    Area,
    AssignedPair,
    Assignment,
    Id,
    RescueRequest,
    UnitSnapshot,
    UnitStatus,
)
from .engine import propose, time_candidates
from .index import FleetIndex, as_index, chord_to_arc_m, to_xyz
from .joint import DEFAULT_K, assign_jointly
from .live import LiveFleet
from .rules import RuleContext, context_at, first_failure
from .travel import SHANGHAI, FloatArray, HaversineModel, TravelTimeProvider

BoolArray = NDArray[np.bool_]


class Policy(Protocol):
    """A way of assigning the waiting requests to units, named for reports and the simulator."""

    name: str

    def assign(
        self,
        requests: Sequence[RescueRequest],
        fleet: FleetIndex | LiveFleet | Sequence[UnitSnapshot],
        *,
        now: dt.datetime | float,
        travel: TravelTimeProvider,
    ) -> Assignment:
        """Assign units to ``requests`` at time ``now``; each unit serves at most one."""
        ...


def first_come(requests: Sequence[RescueRequest]) -> list[RescueRequest]:
    """Requests in the order they came in (creation time, then the order given)."""
    if len(requests) < 2:
        return list(requests)
    far_past = dt.datetime.min.replace(tzinfo=dt.UTC)
    order = sorted(enumerate(requests), key=lambda p: (p[1].created_at or far_past, p[0]))
    return [request for _, request in order]


@lru_cache(maxsize=65_536)
def _xyz(lat: float, lon: float) -> tuple[float, float, float]:
    """A point on the sphere as :func:`~.index.to_xyz` places it, kept: units stand at a few
    bases, so a plain-list :class:`NearestIdle` call mostly finds its units' points here."""
    x, y, z = to_xyz(np.array([lat]), np.array([lon]))[0].tolist()
    return x, y, z


class NearestIdle:
    """Baseline: first come, first served; the nearest idle unit by straight line that passes
    the hard rules (no waiting for a busy unit, no travel-time model in the choice).

    Given a :class:`~.index.FleetIndex` it walks the k-d tree; given a plain list it measures
    the idle units directly with numpy, no tree built per call, and takes equally near units
    in the order listed (the tree's order among exact ties is its own); given a
    :class:`~.live.LiveFleet` (the simulator's fleet) it works on the columns, equally near
    units longest idle first.
    """

    name: str = "nearest-idle"

    def __init__(self, *, tz: dt.tzinfo = SHANGHAI) -> None:
        self.tz = tz

    def assign(
        self,
        requests: Sequence[RescueRequest],
        fleet: FleetIndex | LiveFleet | Sequence[UnitSnapshot],
        *,
        now: dt.datetime | float,
        travel: TravelTimeProvider,
    ) -> Assignment:
        ctx = context_at(now, self.tz)
        if isinstance(fleet, LiveFleet):
            return self._assign_live(requests, fleet, ctx, travel)
        pairs: list[AssignedPair] = []
        unassigned: list[Id] = []
        if not isinstance(fleet, FleetIndex):
            # A plain list (the simulator's idle units, a small desk): distances to the idle
            # units straight from numpy arrays, no k-d tree built for one call.
            units = tuple(fleet)
            idle = [i for i, unit in enumerate(units) if unit.status is UnitStatus.AVAILABLE]
            xyz = np.array(
                [_xyz(p.lat, p.lon) for p in (units[i].point for i in idle)], dtype=np.float64
            ).reshape(len(idle), 3)
            free = np.ones(len(idle), dtype=np.bool_)
            for request in first_come(requests):
                found = self._nearest_in(request, units, idle, xyz, free, ctx)
                if found is None:
                    unassigned.append(request.id)
                    continue
                free[found[0]] = False
                pick = (idle[found[0]], found[1])
                [timed] = time_candidates(request, [pick], units, ctx, travel)
                pairs.append(AssignedPair(request.id, timed.unit.id, timed.eta_seconds))
            return Assignment(pairs=pairs, unassigned=unassigned)
        index = fleet
        taken: set[int] = set()
        for request in first_come(requests):
            chosen = self._nearest_idle(request, index, ctx, taken)
            if chosen is None:
                unassigned.append(request.id)
                continue
            taken.add(chosen[0])
            [timed] = time_candidates(request, [chosen], index.units, ctx, travel)
            pairs.append(AssignedPair(request.id, timed.unit.id, timed.eta_seconds))
        return Assignment(pairs=pairs, unassigned=unassigned)

    @staticmethod
    def _assign_live(
        requests: Sequence[RescueRequest],
        fleet: LiveFleet,
        ctx: RuleContext,
        travel: TravelTimeProvider,
    ) -> Assignment:
        """The same choice on a :class:`~.live.LiveFleet`'s columns
        (:meth:`~.live.LiveFleet.nearest_idle`: idle units passing the class-judged rules and
        the shift, nearest first, equally near ones longest idle first; where the columns
        cannot judge every hard rule, each unit chosen is confirmed on its snapshot), each
        request timed from where its unit stands, leaving now."""
        pairs: list[AssignedPair] = []
        unassigned: list[Id] = []
        taken: list[int] = []
        fast = type(travel) is HaversineModel
        epoch = ctx.now.timestamp()
        for request in first_come(requests):
            chosen = fleet.nearest_idle(request, ctx, taken)
            if chosen < 0:
                unassigned.append(request.id)
                continue
            taken.append(chosen)
            if fast:
                assert isinstance(travel, HaversineModel)
                # An idle unit sets off now, from where it stands.
                origin, to = fleet.point[chosen], request.point
                eta = travel.seconds_between(
                    origin.lat,
                    origin.lon,
                    to.lat,
                    to.lon,
                    epoch,
                    remote=request.area is Area.REMOTE,
                )
            else:
                unit = fleet.snapshot(chosen)
                [timed] = time_candidates(request, [(0, 0.0)], [unit], ctx, travel)
                eta = timed.eta_seconds
            pairs.append(AssignedPair(request.id, fleet.ids[chosen], eta))
        return Assignment(pairs=pairs, unassigned=unassigned)

    @staticmethod
    def _nearest_in(
        request: RescueRequest,
        units: Sequence[UnitSnapshot],
        idle: list[int],
        xyz: FloatArray,
        free: BoolArray,
        ctx: RuleContext,
    ) -> tuple[int, float] | None:
        """The nearest free idle unit passing the hard rules, as (position in ``idle``,
        great-circle metres); equally near units in the order given."""
        if not idle:
            return None
        diff = xyz - np.array(_xyz(request.point.lat, request.point.lon))
        chord = np.sqrt(np.einsum("ij,ij->i", diff, diff))
        order = np.argsort(chord, kind="stable").tolist()
        free_list: list[bool] = free.tolist()
        for c in order:
            if free_list[c] and first_failure(request, units[idle[c]], ctx) is None:
                return c, float(chord_to_arc_m(chord[c : c + 1])[0])
        return None

    @staticmethod
    def _nearest_idle(
        request: RescueRequest, index: FleetIndex, ctx: RuleContext, taken: set[int]
    ) -> tuple[int, float] | None:
        k = min(len(index), 16)
        seen = 0
        while seen < len(index):
            for i, distance in index.nearest(request.point, k)[seen:]:
                unit = index.units[i]
                if i in taken or unit.status is not UnitStatus.AVAILABLE:
                    continue
                if first_failure(request, unit, ctx) is None:
                    return i, distance
            seen, k = k, min(len(index), k * 4)
        return None


class BestEta:
    """Greedy: first come, first served; each request takes its best proposal (earliest
    arrival, busy units finishing nearby included) among the units not yet taken."""

    name: str = "best-eta"

    def __init__(self, *, tz: dt.tzinfo = SHANGHAI) -> None:
        self.tz = tz

    def assign(
        self,
        requests: Sequence[RescueRequest],
        fleet: FleetIndex | LiveFleet | Sequence[UnitSnapshot],
        *,
        now: dt.datetime | float,
        travel: TravelTimeProvider,
    ) -> Assignment:
        index = fleet.index() if isinstance(fleet, LiveFleet) else as_index(fleet)
        taken: set[Id] = set()
        pairs: list[AssignedPair] = []
        unassigned: list[Id] = []
        for request in first_come(requests):
            result = propose(
                request, index, now=now, travel=travel, limit=1, exclude=taken, tz=self.tz
            )
            if not result.proposals:
                unassigned.append(request.id)
                continue
            best = result.proposals[0]
            taken.add(best.unit_id)
            pairs.append(AssignedPair(request.id, best.unit_id, best.eta_seconds))
        return Assignment(pairs=pairs, unassigned=unassigned)


class JointEta:
    """Peak mode (DSP-5): the whole batch at once, least total priority-weighted ETA."""

    name: str = "joint-eta"

    def __init__(self, *, k_candidates: int = DEFAULT_K, tz: dt.tzinfo = SHANGHAI) -> None:
        self.k_candidates = k_candidates
        self.tz = tz

    def assign(
        self,
        requests: Sequence[RescueRequest],
        fleet: FleetIndex | LiveFleet | Sequence[UnitSnapshot],
        *,
        now: dt.datetime | float,
        travel: TravelTimeProvider,
    ) -> Assignment:
        return assign_jointly(
            requests,
            fleet.index() if isinstance(fleet, LiveFleet) else fleet,
            now=now,
            travel=travel,
            k_candidates=self.k_candidates,
            tz=self.tz,
        )


#: The policies by name, for the simulator's configuration and reports.
POLICIES: Mapping[str, Policy] = MappingProxyType(
    {policy.name: policy for policy in (NearestIdle(), BestEta(), JointEta())}
)
