"""The event loop of :mod:`.engine`, compiled, for the desk whose every choice the fleet's
columns can make: ``nearest-idle`` without relocation, on a fleet whose hard rules (but the
shift) have one verdict per need class and day (:attr:`~anxin.dispatching.LiveFleet.day_verdicts`).

It is the same desk as :class:`.engine.Simulation`'s Python loop, event for event:

- the choice is the production :meth:`~anxin.dispatching.LiveFleet.nearest_idle`: the idle
  units passing the production verdicts (``LiveFleet.idle_day_fails``, judged by the rule
  functions before the loop, per need class and day) and the shift
  (:func:`~anxin.dispatching.kernels.on_shift_one`), nearest by
  :func:`~anxin.dispatching.kernels.nearest_row`, waiting requests first come first served;
- every trip is timed by :func:`~anxin.dispatching.kernels.drive_seconds`, the function
  :meth:`~anxin.dispatching.HaversineModel.seconds_between` calls;
- events are ordered as the Python loop orders them (time, then order of scheduling; a unit
  event before an arrival at the same moment), and a unit's order of becoming idle breaks
  ties between equally near units as the ``LiveFleet`` breaks them.

``tests/test_simulation_fastloop.py`` runs both loops on scenarios with shifts, needs, remote
zones, queues and both after-service modes and requires identical arrays. See
``docs/adr/0006-compiled-dispatch-kernels.md`` for why this loop is compiled.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit
from numpy.typing import NDArray

from anxin.dispatching.kernels import (
    drive_seconds,
    epoch_microseconds,
    local_time_of_day_us,
    nearest_row,
    on_shift_one,
    sphere_xyz,
)

from .demand import FloatArray, IntArray

NDArrayBool = NDArray[np.bool_]

#: Unit phases and event kinds, as in :mod:`.engine`.
IDLE, BUSY, RETURNING = 0, 1, 2
DONE, HOME, SHIFT = 1, 2, 3
#: Positions in the loop's counters (``state``).
HEAP, SEQ, CLOCK, N_IDLE, NEXT, EVENTS, CALLS, N_WAIT, FINISHED = range(9)
#: Slack (m²) of the dot product before the chord decides, as the production LiveFleet uses.
DOT_SLACK = 1.0


class Loop:
    """The arrays of one compiled run: inputs, the units' and the fleet's state, the event
    heap, the waiting requests, and the results. :meth:`run` goes on until ``stop_at``
    arrivals have been handled (so the caller can report progress) or the run is over."""

    def __init__(
        self,
        *,
        ready: FloatArray,
        request_lat: FloatArray,
        request_lon: FloatArray,
        request_class: IntArray,
        request_remote: NDArrayBool,
        service: FloatArray,
        fails: NDArrayBool,
        base_lat: FloatArray,
        base_lon: FloatArray,
        round_clock: NDArrayBool,
        shift_start_us: IntArray,
        shift_end_us: IntArray,
        shift_times: FloatArray,
        epoch0: float,
        offset_s: int,
        road_factor: float,
        urban_speed_ms: FloatArray,
        remote_speed_ms: float,
        stay: bool,
        limit: float,
    ) -> None:
        n, m = ready.size, base_lat.size
        self.inputs = (
            ready, request_lat, request_lon,
            np.array([sphere_xyz(a, b) for a, b in zip(request_lat.tolist(),
                                                        request_lon.tolist(), strict=True)],
                     dtype=np.float64).reshape(n, 3),
            request_class.astype(np.int64), request_remote.astype(np.bool_), service, fails,
            base_lat, base_lon, round_clock.astype(np.bool_), shift_start_us.astype(np.int64),
            shift_end_us.astype(np.int64), bool(round_clock.all()),
        )  # fmt: skip
        self.params = (
            float(epoch0), int(offset_s), float(road_factor),
            np.ascontiguousarray(urban_speed_ms, dtype=np.float64), float(remote_speed_ms),
            bool(stay), float(limit),
        )  # fmt: skip
        # The units: phase, job, post, scene and where the fleet has them (all idle at base).
        self.phase = np.zeros(m, dtype=np.int64)
        self.job = np.full(m, -1, dtype=np.int64)
        self.post = np.stack((base_lat, base_lon), axis=1).astype(np.float64)
        self.scene = self.post.copy()
        self.point = self.post.copy()
        self.idle = np.ones(m, dtype=np.bool_)
        self.since = np.zeros(m, dtype=np.int64)
        self.xyz = np.array(
            [sphere_xyz(a, b) for a, b in self.post.tolist()], dtype=np.float64
        ).reshape(m, 3)
        # The heap of unit and shift events (time, order of scheduling, kind, unit).
        size = m + shift_times.size + 1
        self.heap_t = np.zeros(size, dtype=np.float64)
        self.heap_seq = np.zeros(size, dtype=np.int64)
        self.heap_kind = np.zeros(size, dtype=np.int64)
        self.heap_who = np.zeros(size, dtype=np.int64)
        self.waiting = np.zeros(max(n, 1), dtype=np.int64)
        self.state = np.zeros(9, dtype=np.int64)
        self.state[N_IDLE] = m
        for t in shift_times.tolist():
            _push(self.heap_t, self.heap_seq, self.heap_kind, self.heap_who, self.state,
                  t, SHIFT, -1)  # fmt: skip
        # The results, NaN and -1 until known.
        self.dispatched = np.full(n, math.nan)
        self.on_scene = np.full(n, math.nan)
        self.done = np.full(n, math.nan)
        self.unit_of = np.full(n, -1, dtype=np.int64)

    @property
    def finished(self) -> bool:
        return bool(self.state[FINISHED])

    @property
    def arrivals(self) -> int:
        return int(self.state[NEXT])

    @property
    def events(self) -> int:
        return int(self.state[EVENTS])

    @property
    def calls(self) -> int:
        return int(self.state[CALLS])

    def run(self, stop_at: int) -> None:
        _run(
            *self.inputs, *self.params,
            self.phase, self.job, self.post, self.scene, self.point, self.idle, self.since,
            self.xyz, self.heap_t, self.heap_seq, self.heap_kind, self.heap_who, self.waiting,
            self.state, self.dispatched, self.on_scene, self.done, self.unit_of, stop_at,
        )  # fmt: skip


@njit(cache=True)
def _push(heap_t, heap_seq, heap_kind, heap_who, state, t, kind, who):  # type: ignore[no-untyped-def]
    state[SEQ] += 1
    seq = state[SEQ]
    i = state[HEAP]
    state[HEAP] = i + 1
    while i > 0:  # sift up
        parent = (i - 1) >> 1
        if heap_t[parent] < t or (heap_t[parent] == t and heap_seq[parent] < seq):
            break
        heap_t[i], heap_seq[i] = heap_t[parent], heap_seq[parent]
        heap_kind[i], heap_who[i] = heap_kind[parent], heap_who[parent]
        i = parent
    heap_t[i], heap_seq[i], heap_kind[i], heap_who[i] = t, seq, kind, who


@njit(cache=True)
def _pop(heap_t, heap_seq, heap_kind, heap_who, state):  # type: ignore[no-untyped-def]
    t, kind, who = heap_t[0], heap_kind[0], heap_who[0]
    size = state[HEAP] - 1
    state[HEAP] = size
    if size > 0:
        last_t, last_seq = heap_t[size], heap_seq[size]
        last_kind, last_who = heap_kind[size], heap_who[size]
        i = 0
        while True:  # sift the last element down from the root
            child = 2 * i + 1
            if child >= size:
                break
            other = child + 1
            if other < size and (
                heap_t[other] < heap_t[child]
                or (heap_t[other] == heap_t[child] and heap_seq[other] < heap_seq[child])
            ):
                child = other
            if heap_t[child] > last_t or (heap_t[child] == last_t and heap_seq[child] > last_seq):
                break
            heap_t[i], heap_seq[i] = heap_t[child], heap_seq[child]
            heap_kind[i], heap_who[i] = heap_kind[child], heap_who[child]
            i = child
        heap_t[i], heap_seq[i], heap_kind[i], heap_who[i] = last_t, last_seq, last_kind, last_who
    return t, kind, who


@njit(cache=True)
def _set_idle(u, lat, lon, point, idle, since, xyz, state):  # type: ignore[no-untyped-def]
    """Unit ``u`` idle at (lat, lon): it joins the idle units, last in the order of becoming idle."""
    point[u, 0], point[u, 1] = lat, lon
    if not idle[u]:
        idle[u] = True
        state[CLOCK] += 1
        since[u] = state[CLOCK]
    x, y, z = sphere_xyz(lat, lon)
    xyz[u, 0], xyz[u, 1], xyz[u, 2] = x, y, z


@njit(cache=True)
def _decide(  # type: ignore[no-untyped-def]
    now, request_lat, request_lon, request_xyz, request_class, request_remote, service, fails,
    round_clock, shift_start_us, shift_end_us, all_round_clock, epoch0, offset_s,
    road_factor, urban_speed_ms, remote_speed_ms,
    phase, job, scene, point, idle, since, xyz, heap_t, heap_seq, heap_kind, heap_who,
    waiting, state, dispatched, on_scene, unit_of,
):  # fmt: skip
    """The desk's decision at ``now``: every waiting request, first come first served, takes
    the nearest usable idle unit (the production ``LiveFleet.nearest_idle``)."""
    if state[N_WAIT] == 0 or state[N_IDLE] == 0:
        return
    state[CALLS] += 1
    epoch = epoch0 + now
    day = int(math.floor((epoch - epoch0) / 86400.0))
    m = idle.shape[0]
    usable = idle.copy()  # idle and on shift now
    if not all_round_clock:
        at = local_time_of_day_us(epoch, offset_s)
        for u in range(m):
            if usable[u] and not round_clock[u]:
                usable[u] = on_shift_one(shift_start_us[u], shift_end_us[u], at)
    depart = epoch_microseconds(epoch) / 1e6  # the moment the production policy times
    blocked = np.empty(m, dtype=np.bool_)
    kept = 0
    count = state[N_WAIT]
    for w in range(count):
        i = waiting[w]
        u = -1
        if state[N_IDLE] > 0:
            verdicts = fails[request_class[i], day]
            for k in range(m):
                blocked[k] = verdicts[k] or not usable[k]
            u = nearest_row(
                xyz,
                blocked,
                request_xyz[i, 0],
                request_xyz[i, 1],
                request_xyz[i, 2],
                since,
                DOT_SLACK,
            )
        if u < 0:
            waiting[kept] = i
            kept += 1
            continue
        eta = drive_seconds(
            point[u, 0], point[u, 1], request_lat[i], request_lon[i], depart, offset_s,
            road_factor, urban_speed_ms, remote_speed_ms, request_remote[i],
        )  # fmt: skip
        # Committed: the unit drives to the scene, busy until the job is done.
        usable[u] = False
        idle[u] = False
        phase[u], job[u] = BUSY, i
        state[N_IDLE] -= 1
        dispatched[i] = now
        unit_of[i] = u
        arrive = now + eta
        on_scene[i] = arrive
        scene[u, 0], scene[u, 1] = request_lat[i], request_lon[i]
        _push(heap_t, heap_seq, heap_kind, heap_who, state, arrive + service[i], DONE, u)
    state[N_WAIT] = kept


@njit(cache=True)
def _run(  # type: ignore[no-untyped-def]
    ready, request_lat, request_lon, request_xyz, request_class, request_remote, service,
    fails, base_lat, base_lon, round_clock, shift_start_us, shift_end_us, all_round_clock,
    epoch0, offset_s, road_factor, urban_speed_ms, remote_speed_ms, stay, limit,
    phase, job, post, scene, point, idle, since, xyz, heap_t, heap_seq, heap_kind, heap_who,
    waiting, state, dispatched, on_scene, done, unit_of, stop_at,
):  # fmt: skip
    n = ready.shape[0]
    while True:
        next_i = state[NEXT]
        t_arrival = ready[next_i] if next_i < n else math.inf
        if state[HEAP] > 0 and heap_t[0] <= t_arrival:
            if heap_t[0] > limit:
                state[FINISHED] = 1
                return
            now, kind, u = _pop(heap_t, heap_seq, heap_kind, heap_who, state)
            state[EVENTS] += 1
            if kind == DONE:
                done[job[u]] = now
                phase[u], job[u] = IDLE, -1
                state[N_IDLE] += 1
                if state[N_WAIT] > 0 or stay:
                    # Free at the scene for one decision.
                    _set_idle(u, scene[u, 0], scene[u, 1], point, idle, since, xyz, state)
                    _decide(
                        now, request_lat, request_lon, request_xyz, request_class,
                        request_remote, service, fails, round_clock, shift_start_us,
                        shift_end_us, all_round_clock, epoch0, offset_s, road_factor,
                        urban_speed_ms, remote_speed_ms, phase, job, scene,
                        point, idle, since, xyz, heap_t, heap_seq, heap_kind, heap_who,
                        waiting, state, dispatched, on_scene, unit_of,
                    )  # fmt: skip
                    if phase[u] != IDLE:
                        continue
                if stay:
                    post[u, 0], post[u, 1] = scene[u, 0], scene[u, 1]
                    continue
                # Back to base: the unit is returning, set off from the scene.
                post[u, 0], post[u, 1] = base_lat[u], base_lon[u]
                seconds = drive_seconds(
                    scene[u, 0], scene[u, 1], base_lat[u], base_lon[u], epoch0 + now,
                    offset_s, road_factor, urban_speed_ms, remote_speed_ms, False,
                )  # fmt: skip
                phase[u] = RETURNING
                state[N_IDLE] -= 1
                idle[u] = False
                point[u, 0], point[u, 1] = scene[u, 0], scene[u, 1]
                _push(heap_t, heap_seq, heap_kind, heap_who, state, now + seconds, HOME, u)
            else:
                if kind == HOME:
                    phase[u] = IDLE
                    state[N_IDLE] += 1
                    _set_idle(u, post[u, 0], post[u, 1], point, idle, since, xyz, state)
                _decide(
                    now, request_lat, request_lon, request_xyz, request_class, request_remote,
                    service, fails, round_clock, shift_start_us, shift_end_us,
                    all_round_clock, epoch0, offset_s, road_factor, urban_speed_ms,
                    remote_speed_ms, phase, job, scene, point, idle, since, xyz,
                    heap_t, heap_seq, heap_kind, heap_who, waiting, state, dispatched,
                    on_scene, unit_of,
                )  # fmt: skip
        elif next_i < n:
            state[EVENTS] += 1
            waiting[state[N_WAIT]] = next_i
            state[N_WAIT] += 1
            state[NEXT] = next_i + 1
            _decide(
                t_arrival, request_lat, request_lon, request_xyz, request_class,
                request_remote, service, fails, round_clock, shift_start_us, shift_end_us,
                all_round_clock, epoch0, offset_s, road_factor, urban_speed_ms,
                remote_speed_ms, phase, job, scene, point, idle, since, xyz,
                heap_t, heap_seq, heap_kind, heap_who, waiting, state, dispatched, on_scene,
                unit_of,
            )  # fmt: skip
            if next_i + 1 >= stop_at:
                return
        else:
            state[FINISHED] = 1
            return
