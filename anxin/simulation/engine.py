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
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from anxin.dispatching import (
    Area,
    CrewMember,
    HaversineModel,
    LiveFleet,
    NearestIdle,
    Point,
    RescueRequest,
    Skill,
    UnitSnapshot,
    UnitStatus,
)
from anxin.dispatching.feasibility import need_key
from anxin.dispatching.relocation import ExpectedCoverage
from anxin.dispatching.rules import context_at

from . import fastloop
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
_DONE, _HOME, _SHIFT = 1, 2, 3


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
    __slots__ = ("base", "day_end", "jobs", "job", "n", "phase", "post", "scene", "spec")

    def __init__(self, n: int, spec: UnitSpec) -> None:
        self.n, self.spec = n, spec
        self.base = spec.base
        self.post = spec.base
        self.scene = spec.base
        self.phase = _IDLE
        self.job = -1
        self.day_end = -math.inf  # the end of the day its ``jobs`` count (seconds)
        self.jobs = 0


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


def busy_by_hour(
    start: FloatArray, end: FloatArray, unit: IntArray, n_units: int
) -> tuple[FloatArray, FloatArray]:
    """Busy seconds per unit and per local hour of the day, of the intervals
    ``[start, end)`` (seconds from local midnight of the first day; empty ones count 0)."""
    per_unit: FloatArray = np.bincount(
        unit, weights=np.maximum(end - start, 0.0), minlength=n_units
    ).astype(np.float64)
    hourly: FloatArray = np.zeros(24, dtype=np.float64)
    a = start.copy()
    active = a < end
    while active.any():  # one pass per hour boundary crossed (jobs last minutes to hours)
        slot = np.floor(a[active] / 3600.0)
        edge = np.minimum(end[active], (slot + 1.0) * 3600.0)
        np.add.at(hourly, slot.astype(np.intp) % 24, edge - a[active])
        a[active] = edge
        active = a < end
    return per_unit, hourly


class Simulation:
    """One run of a scenario under a policy; :meth:`run` returns a :class:`RunResult`.

    The fleet is a production :class:`~anxin.dispatching.LiveFleet`: each unit's row changes
    when the unit changes (dispatched, done, driving back, back at its post), and every
    decision hands the policy that same fleet (``nearest-idle`` works on its columns; the
    ETA policies get its snapshot index, rebuilt only after a change).
    """

    def __init__(
        self,
        scenario: Scenario,
        policy: SimPolicy,
        *,
        replication: int = 0,
        demand: Demand | None = None,
        progress: Callable[[int], None] | None = None,
        compiled: bool = True,
    ) -> None:
        self.scenario, self.policy, self.replication = scenario, policy, replication
        #: Whether a run may take the compiled loop (:mod:`.fastloop`) where it applies.
        self.compiled = compiled
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

    # -- the fleet (one LiveFleet row per unit, changed when the unit changes)

    def _set(self, u: _Unit, now: float, point: Point, status: UnitStatus,
             until: float | None = None, at: Point | None = None) -> None:  # fmt: skip
        if now >= u.day_end:  # a new local day: no jobs done yet today
            u.day_end = (now // 86400.0 + 1.0) * 86400.0
            u.jobs = 0
        self.fleet.update(
            u.n,
            status=status,
            point=point,
            busy_until=None if until is None else self.epoch0 + until,
            busy_point=at,
            jobs_today=u.jobs,
        )

    def _first_snapshot(self, u: _Unit) -> UnitSnapshot:
        spec = u.spec
        u.day_end, u.jobs = 86400.0, 0
        return UnitSnapshot(
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

    def _need_codes(self) -> IntArray:
        """Each request's needs as bits (bit ``b``: ``KNOWN_NEEDS[b]``)."""
        d = self.demand
        code = np.zeros(len(d), dtype=np.intp)
        for bit, name in enumerate(KNOWN_NEEDS):
            code |= d.needs[name].astype(np.intp) << bit
        return code

    def _requests(self) -> Callable[[int], RescueRequest]:
        """A builder of request ``i`` from the demand arrays (read once as plain lists)."""
        d = self.demand
        lat, lon, remote = d.lat.tolist(), d.lon.tolist(), d.remote.tolist()
        code = self._need_codes()
        needs_of = {
            c: frozenset(name for bit, name in enumerate(KNOWN_NEEDS) if c >> bit & 1)
            for c in range(1 << len(KNOWN_NEEDS))
        }
        needs = [needs_of[c] for c in code.tolist()]
        areas = [Area.REMOTE if r else Area.URBAN for r in remote]
        stamps: list[float] = (d.t + self.epoch0).tolist()

        def request(i: int) -> RescueRequest:
            # Positional, in RescueRequest's field order: id, point, fault, needs, priority,
            # area, created_at (built ~10⁵ times a simulated month).
            return RescueRequest(
                i,
                Point(lat[i], lon[i]),
                "breakdown",
                needs[i],
                0,
                areas[i],
                dt.datetime.fromtimestamp(stamps[i], SHANGHAI),
            )

        return request

    # -- the run

    def run(self) -> RunResult:
        """Simulate every request of the demand; the result holds every request's times."""
        wall = time.perf_counter()
        d = self.demand
        n = len(d)
        # Plain lists while running (a numpy element costs more to set), arrays at the end.
        self.dispatched: list[float] = [math.nan] * n
        self.on_scene: list[float] = [math.nan] * n
        self.done: list[float] = [math.nan] * n
        self.unit_of: list[int] = [-1] * n
        self.service = d.service_s.tolist()
        self.heap: list[tuple[float, int, int, int]] = []
        self.seq = 0
        self.waiting: dict[int, RescueRequest] = {}
        self.n_idle = len(self.units)
        self.calls = 0
        self.last_relocation = -np.inf
        self.fleet = LiveFleet([self._first_snapshot(u) for u in self.units])
        limit = self.horizon + DRAIN_SECONDS
        loop = self._compiled_loop(limit) if self.compiled else None
        if loop is not None:
            return self._run_compiled(loop, limit, wall)
        self._schedule_shifts()
        request = self._requests()
        ready = d.t + self.scenario.dispatch_delay_minutes * 60.0
        ready_list = ready.tolist()
        heap, waiting, units = self.heap, self.waiting, self.units
        pop, finish, home, decide = heapq.heappop, self._finish, self._home, self._decide
        progress = self.progress
        next_i, events = 0, 0
        while True:
            t_arrival = ready_list[next_i] if next_i < n else math.inf
            if heap and heap[0][0] <= t_arrival:
                now, _, kind, who = pop(heap)
                if now > limit:
                    break
                events += 1
                if kind == _DONE:
                    finish(units[who], now)
                elif kind == _HOME:
                    home(units[who], now)
                else:  # a shift starts
                    decide(now)
            elif next_i < n:
                events += 1
                waiting[next_i] = request(next_i)
                next_i += 1
                decide(t_arrival)
                if progress is not None and next_i % 1000 == 0:
                    progress(1000)
            else:
                break
        if self.progress is not None and n % 1000:
            self.progress(n % 1000)
        return self._result(events, limit, time.perf_counter() - wall)

    def _compiled_loop(self, limit: float) -> fastloop.Loop | None:
        """The compiled loop for this run, where it makes the same choices as the Python one:
        the production ``nearest-idle`` (no relocation) on a fleet whose hard rules have one
        verdict per need class and day, requests whose need class is their needs and area,
        and one UTC offset for the rules and the travel model over the whole run."""
        policy = self.dispatcher
        if type(policy) is not NearestIdle or self.relocator is not None:
            return None
        if not self.fleet.day_verdicts or len(self.demand) == 0:
            return None
        start = dt.datetime.fromtimestamp(self.epoch0, dt.UTC)
        end = dt.datetime.fromtimestamp(self.epoch0 + limit, dt.UTC)
        offsets = {
            zone.utcoffset(moment)
            for zone in (policy.tz, self.travel.tz)
            for moment in (start, end)
        }
        if len(offsets) != 1 or None in offsets:
            return None
        [offset] = offsets
        assert offset is not None
        d = self.demand
        remote = d.remote.astype(np.intp)
        codes, first, request_class = np.unique(
            self._need_codes() * 2 + remote, return_index=True, return_inverse=True
        )
        request = self._requests()
        ready = d.t + self.scenario.dispatch_delay_minutes * 60.0
        # Every decision falls on a day of the table (events end at the limit; an arrival
        # is decided when it comes, however late).
        days = int(max(limit, float(ready.max())) // 86400.0) + 2
        fails = np.zeros((codes.size, days, len(self.units)), dtype=np.bool_)
        for c, i in enumerate(first.tolist()):
            sample = request(i)
            # The class must be all the pair rules look at (not where, when or which request).
            other = RescueRequest(
                -1, Point(sample.point.lat + 0.5, sample.point.lon + 0.5), sample.fault,
                sample.needs, sample.priority, sample.area,
                sample.created_at + dt.timedelta(hours=7) if sample.created_at else None,
            )  # fmt: skip
            if need_key(other) != need_key(sample):
                return None
            for day in range(days):
                ctx = context_at(self.epoch0 + day * 86400.0, policy.tz)
                fails[c, day] = self.fleet.idle_day_fails(sample, ctx)
        fleet = self.fleet
        return fastloop.Loop(
            ready=ready,
            request_lat=d.lat,
            request_lon=d.lon,
            request_class=request_class.reshape(len(d)),
            request_remote=d.remote,
            service=d.service_s,
            fails=fails,
            base_lat=np.array([u.base.lat for u in self.units], dtype=np.float64),
            base_lon=np.array([u.base.lon for u in self.units], dtype=np.float64),
            round_clock=fleet.round_clock,
            shift_start_us=fleet.shift_start_us,
            shift_end_us=fleet.shift_end_us,
            shift_times=np.array(self._shift_times(), dtype=np.float64),
            epoch0=self.epoch0,
            offset_s=int(offset.total_seconds()),
            road_factor=self.travel.road_factor,
            urban_speed_ms=self.travel.urban_speed_ms,
            remote_speed_ms=self.travel.remote_speed_ms,
            stay=self.stay,
            limit=limit,
        )

    def _run_compiled(self, loop: fastloop.Loop, limit: float, wall: float) -> RunResult:
        n = len(self.demand)
        progress, reported = self.progress, 0
        while not loop.finished:
            loop.run(loop.arrivals + 1000 if progress is not None else n + 1)
            if progress is not None and loop.arrivals > reported:
                progress(loop.arrivals - reported)
                reported = loop.arrivals
        self.dispatched, self.on_scene = loop.dispatched.tolist(), loop.on_scene.tolist()
        self.done, self.unit_of = loop.done.tolist(), loop.unit_of.tolist()
        self.calls = loop.calls
        return self._result(loop.events, limit, time.perf_counter() - wall)

    def _push(self, t: float, kind: int, who: int) -> None:
        self.seq += 1
        heapq.heappush(self.heap, (t, self.seq, kind, who))

    def _shift_times(self) -> list[float]:
        """When shifts start (seconds from the start), in the order they are scheduled."""
        starts = {
            u.spec.shift_start.hour * 3600.0 + u.spec.shift_start.minute * 60.0
            for u in self.units
            if u.spec.shift_start is not None
        }
        return [
            day * 86400.0 + offset
            for day in range(int(np.ceil(self.scenario.days)))
            for offset in sorted(starts)
        ]

    def _schedule_shifts(self) -> None:
        for t in self._shift_times():
            self._push(t, _SHIFT, -1)

    def _home(self, u: _Unit, now: float) -> None:
        """Back at base, or at the post it was moved to."""
        u.phase = _IDLE
        self.n_idle += 1
        self._set(u, now, u.post, UnitStatus.AVAILABLE)
        self._decide(now)

    def _finish(self, u: _Unit, now: float) -> None:
        self.done[u.job] = now
        scene = u.scene
        u.phase, u.job = _IDLE, -1
        if self.waiting or self.relocator is not None or self.stay:
            # Free at the scene for one decision (nobody asks when nobody waits, and without
            # relocation nothing else looks: then the unit sets off home at once).
            self.n_idle += 1
            self._set(u, now, scene, UnitStatus.AVAILABLE)
            self._decide(now)
            if u.phase != _IDLE:
                return
        else:
            self.n_idle += 1
        if self.stay:
            u.post = scene
            return
        u.post = base = u.base
        seconds = self.travel.seconds_between(
            scene.lat, scene.lon, base.lat, base.lon, self.epoch0 + now
        )
        self._drive_to(u, now, scene, base, seconds)

    def _drive_to(self, u: _Unit, now: float, here: Point, to: Point, seconds: float) -> None:
        u.phase = _RETURNING
        u.post = to
        self.n_idle -= 1
        self._set(u, now, here, UnitStatus.RETURNING, now + seconds, to)
        self._push(now + seconds, _HOME, u.n)

    def _decide(self, now: float) -> None:
        """Ask the production policy about every waiting request, commit pairs with idle units."""
        if self.waiting and self.n_idle > 0:
            self.calls += 1
            assignment = self.dispatcher.assign(
                list(self.waiting.values()), self.fleet, now=self.epoch0 + now, travel=self.travel
            )
            position = self.fleet.position
            for request_id, unit_id, eta in assignment.pairs:
                u = self.units[position[unit_id]]
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
        arrive = now + eta
        self.on_scene[i] = arrive
        u.scene = request.point
        here = self.fleet.point[u.n]
        self._set(u, now, here, UnitStatus.BUSY, arrive + self.mean_service, request.point)
        self._push(arrive + self.service[i], _DONE, u.n)

    def _relocate(self, now: float) -> None:
        assert self.relocator is not None
        moves = self.relocator.moves(
            self.fleet.snapshots(), now=self.epoch0 + now, travel=self.travel
        )
        for move in moves:
            u = self.by_id[str(move.unit_id)]
            if u.phase == _IDLE:
                self._drive_to(u, now, self.fleet.point[u.n], move.to, move.travel_seconds)

    def _result(self, events: int, limit: float, wall: float) -> RunResult:
        dispatched = np.array(self.dispatched, dtype=np.float64)
        on_scene = np.array(self.on_scene, dtype=np.float64)
        done = np.array(self.done, dtype=np.float64)
        unit_of = np.array(self.unit_of, dtype=np.intp)
        # An arrival is known when the unit is sent; one after the last simulated moment
        # did not happen within the run.
        on_scene[on_scene > limit] = np.nan
        per_hour = np.array([shift_seconds_by_hour(u.spec) for u in self.units])  # unit × hour
        whole_days, rest = divmod(self.scenario.days, 1.0)
        hour_days = np.full(24, whole_days) + (np.arange(24) < rest * 24)
        shift = per_hour * hour_days[None, :]
        finished = np.flatnonzero(~np.isnan(done))
        unit_busy, hourly_busy = busy_by_hour(
            dispatched[finished],
            np.minimum(done[finished], self.horizon),
            unit_of[finished],
            len(self.units),
        )
        return RunResult(
            scenario=self.scenario.name,
            policy=self.policy.name,
            replication=self.replication,
            horizon_s=self.horizon,
            demand=self.demand,
            dispatched_s=dispatched,
            on_scene_s=on_scene,
            done_s=done,
            unit=unit_of,
            unit_ids=tuple(u.spec.id for u in self.units),
            unit_busy_s=unit_busy,
            unit_shift_s=shift.sum(axis=1),
            hourly_busy_s=hourly_busy,
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
