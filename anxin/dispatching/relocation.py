"""Relocation of idle rescue units to the zones left uncovered (SIM-2, DSP-5's quiet side).

When a district's units are all out on jobs, its next caller waits for a unit from far away.
EMS systems move idle units ahead of time ("move-up"). This module decides those moves by
expected coverage (Daskin's MEXCLP, as used in dynamic ambulance relocation): a demand zone
with ``n`` available units that can reach it within the threshold is covered with probability
``1 - q**n``, ``q`` being the chance a unit is busy when called (here, the share of the fleet
busy right now). The value of a fleet position is the demand-weighted sum of that probability
over the zones; each move is the single (idle unit, standby post) change that raises it most,
taken only while the gain is worth the driving. Plain Python like the rest of the engine: the
simulator and, later, the dispatch desk call :meth:`ExpectedCoverage.moves` with a fleet snapshot.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .domain import Area, Id, Point, RescueRequest, UnitSnapshot, UnitStatus
from .rules import HARD_RULES, RuleContext, context_at
from .travel import SHANGHAI, FloatArray, TravelTimeProvider

#: Any request will do for the rules that look only at the unit and the clock.
_PROBE = RescueRequest(id="relocation-probe", point=Point(0.0, 0.0), fault="relocation")
_UNIT_RULES = tuple(rule.check for rule in HARD_RULES if rule.scope == "unit" and rule.check)


@dataclass(frozen=True, slots=True)
class DemandZone:
    """Where requests come from and how many: a zone's centre, its share of demand, its area."""

    id: Id
    point: Point
    weight: float
    area: Area = Area.URBAN


@dataclass(frozen=True, slots=True)
class Move:
    """Send an idle unit to a standby post; ``gain`` is the expected coverage it adds (share)."""

    unit_id: Id
    to: Point
    travel_seconds: float
    gain: float


class ExpectedCoverage:
    """Move idle units between standby ``posts`` to maximise expected coverage of ``zones``.

    ``threshold_s`` is the response a zone counts as covered within (the 15-minute promise by
    default); ``max_moves`` bounds the moves per call so the fleet does not churn, and a move
    must add at least ``min_gain`` (a share of total demand) and take at most ``max_move_s``.
    """

    name: str = "expected-coverage"

    def __init__(
        self,
        zones: Sequence[DemandZone],
        posts: Sequence[Point],
        *,
        threshold_s: float = 900.0,
        max_moves: int = 1,
        min_gain: float = 0.01,
        max_move_s: float = 1800.0,
        tz: dt.tzinfo = SHANGHAI,
    ) -> None:
        if not zones or not posts:
            raise ValueError("relocation needs at least one demand zone and one post")
        if threshold_s <= 0 or max_moves < 0 or min_gain < 0 or max_move_s <= 0:
            raise ValueError("threshold and move time must be positive, moves and gain ≥ 0")
        total = sum(zone.weight for zone in zones)
        if total <= 0:
            raise ValueError("demand zones need a positive total weight")
        self.zones = tuple(zones)
        self.posts = tuple(posts)
        self.weights: FloatArray = np.array([z.weight / total for z in zones], dtype=np.float64)
        self.threshold_s = threshold_s
        self.max_moves = max_moves
        self.min_gain = min_gain
        self.max_move_s = max_move_s
        self.tz = tz
        self._post_cover: dict[int, FloatArray] = {}

    def moves(
        self,
        fleet: Sequence[UnitSnapshot],
        *,
        now: dt.datetime | float,
        travel: TravelTimeProvider,
    ) -> list[Move]:
        """The moves worth making now, best first; units not idle and on shift stay put."""
        ctx = context_at(now, self.tz)
        idle = [u for u in fleet if u.status is UnitStatus.AVAILABLE and self._ready(u, ctx)]
        if not idle or self.max_moves == 0:
            return []
        zone_points = [z.point for z in self.zones]
        areas = [z.area for z in self.zones]
        to_zone = np.array(
            travel.durations([u.point for u in idle], zone_points, ctx.now, areas=areas)
        )
        covers = (to_zone <= self.threshold_s).astype(np.float64)  # idle unit × zone
        post_covers = self._posts_cover(ctx, travel)  # post × zone
        to_post = np.array(travel.durations([u.point for u in idle], list(self.posts), ctx.now))
        busy_share = 1.0 - len(idle) / max(len(fleet), 1)
        q = float(np.clip(busy_share, 0.05, 0.95))
        counts = covers.sum(axis=0)
        movable = np.ones(len(idle), dtype=np.bool_)
        chosen: list[Move] = []
        for _ in range(self.max_moves):
            base = self._value(counts, q)
            # Every (unit, post) at once: the counts with the unit taken away and put at the post.
            without = counts[None, :] - covers  # unit × zone
            trial = without[:, None, :] + post_covers[None, :, :]  # unit × post × zone
            gain = self._value(trial, q) - base
            allowed = movable[:, None] & (to_post <= self.max_move_s) & (to_post > 1.0)
            gain = np.where(allowed, gain, -np.inf)
            u, p = np.unravel_index(int(np.argmax(gain)), gain.shape)
            best = float(gain[u, p])
            if not np.isfinite(best) or best < self.min_gain:
                break
            chosen.append(Move(idle[u].id, self.posts[p], float(to_post[u, p]), best))
            counts = trial[u, p]
            movable[u] = False
        return chosen

    def _value(self, counts: FloatArray, q: float) -> FloatArray:
        covered: FloatArray = ((1.0 - q**counts) * self.weights).sum(axis=-1)
        return covered

    def _posts_cover(self, ctx: RuleContext, travel: TravelTimeProvider) -> FloatArray:
        # Speeds change by the hour: cache the post-to-zone reach per local hour of the day.
        hour = ctx.now.astimezone(self.tz).hour
        cached = self._post_cover.get(hour)
        if cached is None:
            seconds = travel.durations(
                list(self.posts),
                [z.point for z in self.zones],
                ctx.now,
                areas=[z.area for z in self.zones],
            )
            cached = (np.array(seconds) <= self.threshold_s).astype(np.float64)
            self._post_cover[hour] = cached
        return cached

    @staticmethod
    def _ready(unit: UnitSnapshot, ctx: RuleContext) -> bool:
        return all(check(_PROBE, unit, ctx).ok for check in _UNIT_RULES)
