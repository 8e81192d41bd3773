"""The discrete-event core: requests arrive, the production policy dispatches, units work.

A hand-written event loop (a heap of timed unit events, merged with the pre-drawn, sorted
arrivals) rather than a process library: a month of a large region is ~10⁵ requests, and the
time must go to the dispatch engine, not to scheduling coroutines.

How the desk is modelled (same for every policy, so comparisons are fair):

- A request becomes dispatchable ``dispatch_delay_minutes`` after the call (intake and check).
- At every decision point (a request becomes dispatchable, a unit finishes a job, a unit is
  back at its post, a shift starts) the policy is asked for all waiting requests against the
  whole fleet. A pair with an idle unit is committed and the unit drives off. A pair with a
  unit still busy ("take it after the current job", best-eta and joint-eta) commits nothing:
  the request waits and is decided again when that unit finishes, with what is known then.
- Units report as production units do: idle (``available``) at their position; busy with the
  expected finish (arrival plus the mean service time, as the desk would estimate) and the
  job's place; returning with the time they will be back at their post.
- A unit that finishes is free at the scene for one decision, then (``return_to_base``)
  drives back to its base, or (``stay``) waits where it is.
"""

from __future__ import annotations

import datetime as dt
import heapq
import time
from collections.abc import Callable
from dataclasses import dataclass, fields

import numpy as np

from anxin.dispatching import (
    Area,
    CrewMember,
    FleetIndex,
    HaversineModel,
    Point,
    RescueRequest,
    Skill,
    UnitSnapshot,
    UnitStatus,
)
from anxin.dispatching.relocation import ExpectedCoverage

from .demand import Demand, FloatArray, IntArray, draw_demand
from .policies import SimPolicy, relocator_for
from .scenario import KNOWN_NEEDS, Scenario, UnitSpec

SHANGHAI = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")
#: After the last call, units keep working this long to serve who is still waiting.
DRAIN_SECONDS = 2 * 86400.0
#: Relocation is planned at most this often (simulated seconds): moves take minutes anyway.
RELOCATION_EVERY_S = 120.0
_HV_EXPIRY = dt.date(2099, 12, 31)

_IDLE, _BUSY, _RETURNING = 0, 1, 2
_ON_SCENE, _DONE, _HOME, _SHIFT = 0, 1, 2, 3


@dataclass(frozen=True, slots=True)
class RunResult:
    """One replication of one policy: every request's times and every unit's busy time.

    Times are seconds from the start (local midnight of ``start_date``); a request never
    dispatched has NaN times and unit -1.
    """

    scenario: str
    policy: str
    replication: int
    horizon_s: float
    demand: Demand
    dispatched_s: FloatArray
    on_scene_s: FloatArray
    done_s: FloatArray
    unit: IntArray
    unit_ids: tuple[str, ...]
    unit_busy_s: FloatArray
    unit_shift_s: FloatArray
    hourly_busy_s: FloatArray
    hourly_shift_s: FloatArray
    events: int
    policy_calls: int
    wall_s: float

    @property
    def response_s(self) -> FloatArray:
        """Call to arrival on scene, per request (NaN if never served)."""
        result: FloatArray = self.on_scene_s - self.demand.t
        return result


class _Unit:
    __slots__ = ("base", "busy", "day", "jobs", "job", "n", "phase", "post", "snap", "spec")

    def __init__(self, n: int, spec: UnitSpec) -> None:
        self.n, self.spec = n, spec
        self.base = spec.base
        self.post = spec.base
        self.phase = _IDLE
        self.job = -1
        self.busy = 0.0
        self.day = -1
        self.jobs = 0
        self.snap: UnitSnapshot


def _replaced(snap: UnitSnapshot, **changes: object) -> UnitSnapshot:
    """A copy of ``snap`` with some fields replaced, without running its validation again.

    As ``dataclasses.replace``, for the simulator's own values of already-validated types
    (a status member, an aware datetime, a point, a count ≥ 0): a month makes ~400,000 of
    these, and ``__post_init__`` would check and coerce every field of every one.
    """
    new = object.__new__(UnitSnapshot)
    for name in _SNAPSHOT_FIELDS:
        object.__setattr__(new, name, changes[name] if name in changes else getattr(snap, name))
    return new


_SNAPSHOT_FIELDS = tuple(f.name for f in fields(UnitSnapshot))


def _crew(spec: UnitSpec) -> tuple[CrewMember, ...]:
    certs = {Skill.EV_HV: _HV_EXPIRY} if spec.hv_certified else {}
    return (CrewMember(f"{spec.id}-crew", certs),)


def travel_model(scenario: Scenario) -> HaversineModel:
    """The production travel-time model with the scenario's road factor and speeds."""
    return HaversineModel(
        road_factor=scenario.road_factor,
        urban_speed_kmh=scenario.speed_kmh,
        remote_speed_kmh=scenario.remote_speed_kmh,
        tz=SHANGHAI,
    )


def shift_seconds_by_hour(spec: UnitSpec) -> FloatArray:
    """Seconds on shift in each local hour of a day (shifts may cross midnight)."""
    minutes = np.ones(24 * 60, dtype=np.bool_)
    if spec.shift_start is not None and spec.shift_end is not None:
        a = spec.shift_start.hour * 60 + spec.shift_start.minute
        b = spec.shift_end.hour * 60 + spec.shift_end.minute
        minutes[:] = False
        if a < b:
            minutes[a:b] = True
        else:
            minutes[a:] = True
            minutes[:b] = True
    result: FloatArray = minutes.reshape(24, 60).sum(axis=1).astype(np.float64) * 60.0
    return result


class Simulation:
    """One run of a scenario under a policy; :meth:`run` returns a :class:`RunResult`."""

    def __init__(
        self,
        scenario: Scenario,
        policy: SimPolicy,
        *,
        replication: int = 0,
        demand: Demand | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        self.scenario, self.policy, self.replication = scenario, policy, replication
        self.demand = demand if demand is not None else draw_demand(scenario, replication)
        self.progress = progress
        self.travel = travel_model(scenario)
        self.dispatcher = policy.dispatcher
        self.relocator: ExpectedCoverage | None = (
            relocator_for(scenario) if policy.relocate else None
        )
        start = dt.datetime.combine(scenario.start_date, dt.time(0), SHANGHAI)
        self.epoch0 = start.timestamp()
        self.horizon = scenario.days * 86400.0
        self.units = [_Unit(n, spec) for n, spec in enumerate(scenario.units)]
        self.by_id = {spec.id: unit for spec, unit in zip(scenario.units, self.units, strict=True)}
        self.crews = [_crew(spec) for spec in scenario.units]
        self.mean_service = scenario.service.mean * 60.0
        self.stay = scenario.after_service == "stay"

    # -- fleet snapshots (each unit's kept, replaced only when that unit changes)

    def _snapshot(self, u: _Unit, now: float, point: Point, status: UnitStatus,
                  until: float | None = None, at: Point | None = None) -> None:  # fmt: skip
        day = int(now // 86400.0)
        if day != u.day:
            u.day, u.jobs = day, 0
        # The unit's first snapshot is built (and validated) once; after that only the fields
        # that change are replaced, with values of the validated types (no re-validation).
        u.snap = _replaced(
            u.snap,
            point=point,
            status=status,
            busy_until=None if until is None else self._aware(until),
            busy_point=at,
            jobs_today=u.jobs,
        )
        if status is UnitStatus.AVAILABLE:
            self.idle[u.n] = u.snap
        else:
            self.idle.pop(u.n, None)
        self.dirty = True

    def _first_snapshot(self, u: _Unit) -> None:
        spec = u.spec
        u.day, u.jobs = 0, 0
        u.snap = UnitSnapshot(
            id=spec.id,
            point=spec.base,
            kind=spec.kind,
            capabilities=spec.capabilities,
            status=UnitStatus.AVAILABLE,
            crew=self.crews[u.n],
            shift_start=spec.shift_start,
            shift_end=spec.shift_end,
            jobs_today=0,
        )
        self.idle[u.n] = u.snap
        self.dirty = True

    def _aware(self, t: float) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.epoch0 + t, SHANGHAI)

    def _request(self, i: int) -> RescueRequest:
        d = self.demand
        needs = frozenset(name for name in KNOWN_NEEDS if d.needs[name][i])
        return RescueRequest(
            id=i,
            point=Point(float(d.lat[i]), float(d.lon[i])),
            fault="breakdown",
            needs=needs,
            area=Area.REMOTE if d.remote[i] else Area.URBAN,
            created_at=self._aware(float(d.t[i])),
        )

    # -- the run

    def run(self) -> RunResult:
        """Simulate every request of the demand; the result holds every request's times."""
        wall = time.perf_counter()
        d = self.demand
        n = len(d)
        self.dispatched = np.full(n, np.nan)
        self.on_scene = np.full(n, np.nan)
        self.done = np.full(n, np.nan)
        self.unit_of = np.full(n, -1, dtype=np.intp)
        self.hourly_busy = np.zeros(24)
        self.heap: list[tuple[float, int, int, int]] = []
        self.seq = 0
        self.waiting: dict[int, RescueRequest] = {}
        self.n_idle = len(self.units)
        self.index: FleetIndex | None = None
        self.calls = 0
        self.last_relocation = -np.inf
        #: The idle units' snapshots, in the order they became idle (kept by ``_snapshot``).
        self.idle: dict[int, UnitSnapshot] = {}
        for u in self.units:
            self._first_snapshot(u)
        self._schedule_shifts()
        ready = d.t + self.scenario.dispatch_delay_minutes * 60.0
        ready_list = ready.tolist()
        heap = self.heap
        pop = heapq.heappop
        limit = self.horizon + DRAIN_SECONDS
        next_i, events = 0, 0
        while True:
            t_arrival = ready_list[next_i] if next_i < n else np.inf
            if heap and heap[0][0] <= t_arrival:
                now, _, kind, who = pop(heap)
                if now > limit:
                    break
                events += 1
                self._unit_event(now, kind, who)
            elif next_i < n:
                now = t_arrival
                events += 1
                self.waiting[next_i] = self._request(next_i)
                next_i += 1
                self._decide(now)
                if self.progress is not None and next_i % 1000 == 0:
                    self.progress(1000)
            else:
                break
        if self.progress is not None and n % 1000:
            self.progress(n % 1000)
        return self._result(events, time.perf_counter() - wall)

    def _push(self, t: float, kind: int, who: int) -> None:
        self.seq += 1
        heapq.heappush(self.heap, (t, self.seq, kind, who))

    def _schedule_shifts(self) -> None:
        starts = {
            u.spec.shift_start.hour * 3600.0 + u.spec.shift_start.minute * 60.0
            for u in self.units
            if u.spec.shift_start is not None
        }
        for day in range(int(np.ceil(self.scenario.days))):
            for offset in sorted(starts):
                self._push(day * 86400.0 + offset, _SHIFT, -1)

    def _unit_event(self, now: float, kind: int, who: int) -> None:
        if kind == _SHIFT:
            self._decide(now)
            return
        u = self.units[who]
        if kind == _ON_SCENE:
            self.on_scene[u.job] = now
            self._push(now + float(self.demand.service_s[u.job]), _DONE, who)
        elif kind == _DONE:
            self._finish(u, now)
        else:  # back at base, or at the post it was moved to
            u.phase = _IDLE
            self.n_idle += 1
            self._snapshot(u, now, u.post, UnitStatus.AVAILABLE)
            self._decide(now)

    def _finish(self, u: _Unit, now: float) -> None:
        i = u.job
        self.done[i] = now
        start = float(self.dispatched[i])
        u.busy += self._bin_busy(start, now)
        scene = Point(float(self.demand.lat[i]), float(self.demand.lon[i]))
        u.phase, u.job = _IDLE, -1
        self.n_idle += 1
        self._snapshot(u, now, scene, UnitStatus.AVAILABLE)
        self._decide(now)
        if u.phase != _IDLE:
            return
        if self.stay:
            u.post = scene
            return
        u.post = u.base
        self._drive_to(u, now, scene, u.base, self._seconds(scene, u.base, now))

    def _drive_to(self, u: _Unit, now: float, here: Point, to: Point, seconds: float) -> None:
        u.phase = _RETURNING
        u.post = to
        self.n_idle -= 1
        self._snapshot(u, now, here, UnitStatus.RETURNING, now + seconds, to)
        self._push(now + seconds, _HOME, u.n)

    def _seconds(self, origin: Point, to: Point, now: float) -> float:
        [[seconds]] = self.travel.durations([origin], [to], self._aware(now))
        return seconds

    def _decide(self, now: float) -> None:
        """Ask the production policy about every waiting request, commit pairs with idle units."""
        if self.waiting and self.n_idle > 0:
            fleet: FleetIndex | list[UnitSnapshot]
            if self.policy.idle_only:
                # The policy looks only at idle units and takes a plain list without building
                # an index (``NearestIdle``): hand it the idle units' kept snapshots, longest
                # idle first (its tie-break between equally near units).
                fleet = list(self.idle.values())
            else:
                if self.dirty or self.index is None:
                    self.index = FleetIndex([u.snap for u in self.units])
                    self.dirty = False
                fleet = self.index
            self.calls += 1
            assignment = self.dispatcher.assign(
                list(self.waiting.values()), fleet, now=self.epoch0 + now, travel=self.travel
            )
            for request_id, unit_id, eta in assignment.pairs:
                u = self.by_id[str(unit_id)]
                if u.phase == _IDLE:
                    self._commit(u, int(request_id), float(eta), now)
        if self.relocator is not None and now - self.last_relocation >= RELOCATION_EVERY_S:
            self.last_relocation = now
            self._relocate(now)

    def _commit(self, u: _Unit, i: int, eta: float, now: float) -> None:
        request = self.waiting.pop(i)
        u.phase, u.job = _BUSY, i
        u.jobs += 1
        self.n_idle -= 1
        self.dispatched[i] = now
        self.unit_of[i] = u.n
        here = u.snap.point
        self._snapshot(u, now, here, UnitStatus.BUSY, now + eta + self.mean_service, request.point)
        self._push(now + eta, _ON_SCENE, u.n)

    def _relocate(self, now: float) -> None:
        assert self.relocator is not None
        moves = self.relocator.moves(
            [u.snap for u in self.units], now=self.epoch0 + now, travel=self.travel
        )
        for move in moves:
            u = self.by_id[str(move.unit_id)]
            if u.phase == _IDLE:
                self._drive_to(u, now, u.snap.point, move.to, move.travel_seconds)

    def _bin_busy(self, a: float, b: float) -> float:
        """Add a busy interval to the by-hour totals (inside the horizon only); its length."""
        b = min(b, self.horizon)
        total = 0.0
        while a < b:
            edge = min(b, (a // 3600.0 + 1.0) * 3600.0)
            self.hourly_busy[int(a // 3600.0) % 24] += edge - a
            total += edge - a
            a = edge
        return total

    def _result(self, events: int, wall: float) -> RunResult:
        per_hour = np.array([shift_seconds_by_hour(u.spec) for u in self.units])  # unit × hour
        whole_days, rest = divmod(self.scenario.days, 1.0)
        hour_days = np.full(24, whole_days) + (np.arange(24) < rest * 24)
        shift = per_hour * hour_days[None, :]
        return RunResult(
            scenario=self.scenario.name,
            policy=self.policy.name,
            replication=self.replication,
            horizon_s=self.horizon,
            demand=self.demand,
            dispatched_s=self.dispatched,
            on_scene_s=self.on_scene,
            done_s=self.done,
            unit=self.unit_of,
            unit_ids=tuple(u.spec.id for u in self.units),
            unit_busy_s=np.array([u.busy for u in self.units]),
            unit_shift_s=shift.sum(axis=1),
            hourly_busy_s=self.hourly_busy.copy(),
            hourly_shift_s=shift.sum(axis=0),
            events=events,
            policy_calls=self.calls,
            wall_s=wall,
        )


def simulate(
    scenario: Scenario,
    policy: SimPolicy,
    *,
    replication: int = 0,
    progress: Callable[[int], None] | None = None,
) -> RunResult:
    """Run one replication of ``scenario`` under ``policy``."""
    return Simulation(scenario, policy, replication=replication, progress=progress).run()
