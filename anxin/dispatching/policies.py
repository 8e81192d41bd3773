"""Dispatch policies: how a batch of waiting requests is given units (SIM-2 compares them).

A policy sees the waiting requests and the fleet at ``now`` and returns an
:class:`~anxin.dispatching.domain.Assignment`. Production uses ``best-eta`` for single calls and
``joint-eta`` in peaks (DSP-5); ``nearest-idle`` is the baseline a desk without the engine
would follow (the nearest free capable unit by straight line, first come first served).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Protocol

from .domain import AssignedPair, Assignment, Id, RescueRequest, UnitSnapshot, UnitStatus
from .engine import as_aware, propose, time_candidates
from .index import FleetIndex, as_index
from .joint import DEFAULT_K, assign_jointly
from .rules import RuleContext, first_failure
from .travel import SHANGHAI, TravelTimeProvider


class Policy(Protocol):
    """A way of assigning the waiting requests to units, named for reports and the simulator."""

    name: str

    def assign(
        self,
        requests: Sequence[RescueRequest],
        fleet: FleetIndex | Sequence[UnitSnapshot],
        *,
        now: dt.datetime | float,
        travel: TravelTimeProvider,
    ) -> Assignment:
        """Assign units to ``requests`` at time ``now``; each unit serves at most one."""
        ...


def first_come(requests: Sequence[RescueRequest]) -> list[RescueRequest]:
    """Requests in the order they came in (creation time, then the order given)."""
    far_past = dt.datetime.min.replace(tzinfo=dt.UTC)
    order = sorted(enumerate(requests), key=lambda p: (p[1].created_at or far_past, p[0]))
    return [request for _, request in order]


class NearestIdle:
    """Baseline: first come, first served; the nearest idle unit by straight line that passes
    the hard rules (no waiting for a busy unit, no travel-time model in the choice)."""

    name: str = "nearest-idle"

    def __init__(self, *, tz: dt.tzinfo = SHANGHAI) -> None:
        self.tz = tz

    def assign(
        self,
        requests: Sequence[RescueRequest],
        fleet: FleetIndex | Sequence[UnitSnapshot],
        *,
        now: dt.datetime | float,
        travel: TravelTimeProvider,
    ) -> Assignment:
        ctx = RuleContext(as_aware(now), self.tz)
        index = as_index(fleet)
        taken: set[int] = set()
        pairs: list[AssignedPair] = []
        unassigned: list[Id] = []
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
        fleet: FleetIndex | Sequence[UnitSnapshot],
        *,
        now: dt.datetime | float,
        travel: TravelTimeProvider,
    ) -> Assignment:
        index = as_index(fleet)
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
        fleet: FleetIndex | Sequence[UnitSnapshot],
        *,
        now: dt.datetime | float,
        travel: TravelTimeProvider,
    ) -> Assignment:
        return assign_jointly(
            requests, fleet, now=now, travel=travel, k_candidates=self.k_candidates, tz=self.tz
        )


#: The policies by name, for the simulator's configuration and reports.
POLICIES: Mapping[str, Policy] = MappingProxyType(
    {policy.name: policy for policy in (NearestIdle(), BestEta(), JointEta())}
)
