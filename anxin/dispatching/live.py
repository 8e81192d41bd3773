"""A fleet kept as numpy columns and changed in place, one unit at a time.

A :class:`~anxin.dispatching.index.FleetIndex` is built for one snapshot of the fleet. A caller
whose fleet changes by one or two units between two decisions (the simulator: a month of a
city is ~10⁵ decisions with ~4 unit changes each; a desk receiving status and GPS updates)
would rebuild it for every decision. :class:`LiveFleet` keeps the columns instead and changes
a unit's row when the unit changes: status, position, expected finish, jobs done today.

What it answers fast is what the hot path needs: which units are idle, which fail a hard rule
(the rules with a unit key judged by the rule functions on one unit per key class, as
:class:`~anxin.dispatching.prefilter.FleetTable` does — the status rule per status class —, and
``on_shift`` by its vectorised twin), and the units' positions on the sphere. Where the columns
cannot judge every hard rule (:attr:`LiveFleet.exact`), a policy confirms each unit it chooses
with the rule functions on its snapshot. Snapshots are built only when asked
(:meth:`LiveFleet.snapshot`, kept until the unit changes); :meth:`LiveFleet.index` gives a
``FleetIndex`` of the current snapshots for the policies that need it (kept until any unit
changes). ``tests/test_dispatching_live.py`` checks the columns against the rule functions on
random fleets changed unit by unit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import fields
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from .domain import Point, RescueRequest, UnitSnapshot, UnitStatus
from .feasibility import need_key
from .index import FleetIndex
from .kernels import nearest_row, on_shift_into, sphere_xyz
from .prefilter import epoch_us, local_time_us, time_of_day_us
from .rules import HARD_RULES, RuleContext, RuleSpec, first_failure
from .travel import FloatArray

BoolArray = NDArray[np.bool_]
IntArray = NDArray[np.intp]
Int64Array = NDArray[np.int64]

_FIELDS = tuple(f.name for f in fields(UnitSnapshot))
_WAITING = frozenset({UnitStatus.BUSY, UnitStatus.RETURNING})
#: Moments used to check that a rule's unit key ignores the fields a LiveFleet changes.
_PROBE_AT = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def xyz_of(point: Point) -> tuple[float, float, float]:
    """A point on the sphere of the Earth's radius, as :func:`~.index.to_xyz` places it."""
    return xyz_at(point.lat, point.lon)


@lru_cache(maxsize=16_384)
def xyz_at(lat: float, lon: float) -> tuple[float, float, float]:
    """:func:`xyz_of` by coordinates (:func:`~.kernels.sphere_xyz`), kept: a unit's row is
    redone each time it sets off or comes back, mostly from a few bases and from the scene a
    policy has just measured."""
    result: tuple[float, float, float] = sphere_xyz(lat, lon)
    return result


#: Dot products of points on the sphere (m²) within this of the largest are measured again by
#: the chord: far above the dot product's rounding, far below any real difference in distance.
DOT_SLACK = 1.0


def _with(template: UnitSnapshot, changes: Mapping[str, object]) -> UnitSnapshot:
    """``template`` with some fields replaced, without running its validation again: the
    values come from :meth:`LiveFleet.update`, whose arguments are of the validated types."""
    new = object.__new__(UnitSnapshot)
    for name in _FIELDS:
        object.__setattr__(new, name, changes[name] if name in changes else getattr(template, name))
    return new


def _static_key_rules(units: Sequence[UnitSnapshot]) -> list[RuleSpec]:
    """The hard rules with a ``unit_key`` that ignores what :meth:`LiveFleet.update` changes
    (status, position, expected finish, jobs today), checked on every distinct unit kind of
    the fleet against probes in every status; such a rule's verdict per unit is fixed for the
    fleet's life, judged on one unit per key class."""
    found: list[RuleSpec] = []
    probes = [
        {"status": status, "busy_until": until, "busy_point": where, "jobs_today": jobs}
        for status in UnitStatus
        for until, where, jobs in ((None, None, 0), (_PROBE_AT, Point(0.0, 0.0), 3))
    ]
    for rule in HARD_RULES:
        if rule.unit_key is None or rule.check is None:
            continue
        key = rule.unit_key
        seen: set[Hashable] = set()
        static = True
        for unit in units:
            base = key(unit)
            if base in seen:
                continue
            seen.add(base)
            if any(key(_with(unit, probe)) != base for probe in probes):
                static = False
                break
        if static:
            found.append(rule)
    return found


_PROBE_LATER = dt.datetime(2001, 6, 1, 12, 34, tzinfo=dt.UTC)


class _StateRule:
    """A hard rule whose ``unit_key`` reads what :meth:`LiveFleet.update` changes (the status
    rule reads the status and whether the finish is known).

    A unit's class in a state (status, finish known or not) is the key function's value on a
    probe: the unit as it is, in that state. Two probes that differ in everything else a
    LiveFleet changes (finish time, positions, jobs today) must give the same key; if they
    ever do not, the rule is not ``covered`` and the policies confirm every unit they choose
    with the rule functions. Verdicts are judged by the rule function on one probe per class.
    """

    def __init__(self, rule: RuleSpec, n: int) -> None:
        assert rule.unit_key is not None and rule.check is not None
        self.rule, self.key, self.check = rule, rule.unit_key, rule.check
        self.covered = True
        self._unit_class: list[int] = [0] * n  # each unit's class in its current state
        self._class_of: dict[Hashable, int] = {}
        self._probes: list[UnitSnapshot] = []
        self._memo: list[dict[tuple[UnitStatus, bool], int]] = [{} for _ in range(n)]
        self._fails: dict[Hashable, BoolArray] = {}

    def place(self, i: int, template: UnitSnapshot, status: UnitStatus, known: bool) -> None:
        """Put unit ``i`` in the class of its new state."""
        self._unit_class[i] = self.class_of(i, template, status, known)

    def class_of(self, i: int, template: UnitSnapshot, status: UnitStatus, known: bool) -> int:
        """Unit ``i``'s class in a state (without putting it there)."""
        c = self._memo[i].get((status, known))
        return self._new_class(i, template, status, known) if c is None else c

    def _new_class(self, i: int, template: UnitSnapshot, status: UnitStatus, known: bool) -> int:
        a = _with(
            template,
            {"status": status, "busy_until": _PROBE_AT if known else None,
             "busy_point": template.point if known else None, "jobs_today": 0},
        )  # fmt: skip
        b = _with(
            template,
            {"status": status, "busy_until": _PROBE_LATER if known else None,
             "point": Point(0.0, 0.0), "busy_point": Point(1.0, 1.0) if known else None,
             "jobs_today": 7},
        )  # fmt: skip
        key = self.key(a)
        if self.key(b) != key:
            self.covered = False
        c = self._class_of.get(key)
        if c is None:
            c = self._class_of[key] = len(self._probes)
            self._probes.append(a)
            self._fails.clear()  # verdicts are per class: a new class, judge again
        self._memo[i][(status, known)] = c
        return c

    def fails_at(
        self,
        request: RescueRequest,
        ctx: RuleContext,
        key: Hashable | None,
        templates: Sequence[UnitSnapshot],
        status: UnitStatus,
    ) -> BoolArray:
        """Whether each unit would fail the rule in ``status`` with no expected finish."""
        classes = np.array(
            [self.class_of(i, unit, status, False) for i, unit in enumerate(templates)],
            dtype=np.intp,
        ).reshape(len(templates))
        result: BoolArray = self._verdicts(request, ctx, key)[classes]
        return result

    def _verdicts(
        self, request: RescueRequest, ctx: RuleContext, key: Hashable | None
    ) -> BoolArray:
        """Whether each class fails the rule (kept per need class and day)."""
        by_class = self._fails.get(key) if key is not None else None
        if by_class is None:
            by_class = np.array(
                [not self.check(request, probe, ctx).ok for probe in self._probes],
                dtype=np.bool_,
            ).reshape(len(self._probes))
            if key is not None:
                self._fails[key] = by_class
        return by_class

    def fails(self, request: RescueRequest, ctx: RuleContext, key: Hashable | None) -> BoolArray:
        """Whether each unit fails the rule in its current state."""
        result: BoolArray = self._verdicts(request, ctx, key)[self._unit_class]
        return result


class LiveFleet:
    """The fleet as columns, updated unit by unit; see the module docstring.

    A unit's kind, equipment, crew, daily check and shift are fixed for the fleet's life (as
    given in ``units``); :meth:`update` changes the rest. Building one reads every unit a few
    times (class keys, probes of the status rule): about as long as a ``FleetIndex``.
    """

    def __init__(self, units: Sequence[UnitSnapshot]) -> None:
        n = len(units)
        self.templates: tuple[UnitSnapshot, ...] = tuple(units)
        self.ids = [u.id for u in units]
        self.position = {uid: i for i, uid in enumerate(self.ids)}
        if len(self.position) != n:
            raise ValueError("unit ids must be unique")
        self._snaps: list[UnitSnapshot | None] = list(units)
        self.status: list[UnitStatus] = [u.status for u in units]
        self.point: list[Point] = [u.point for u in units]
        self.busy_point: list[Point | None] = [u.busy_point for u in units]
        self.busy_until: list[float | None] = [
            None if u.busy_until is None else u.busy_until.timestamp() for u in units
        ]
        self.jobs: list[int] = [u.jobs_today for u in units]
        self.idle: BoolArray = np.array(
            [s is UnitStatus.AVAILABLE for s in self.status], dtype=np.bool_
        ).reshape(n)
        self.not_idle: BoolArray = ~self.idle
        self.chained: BoolArray = np.array(
            [
                s in _WAITING and b is not None
                for s, b in zip(self.status, self.busy_until, strict=True)
            ],
            dtype=np.bool_,
        ).reshape(n)
        self._chained: list[bool] = self.chained.tolist()
        self._xyz: FloatArray = np.array(
            [xyz_of(u.origin) for u in units], dtype=np.float64
        ).reshape(n, 3)
        self._moved: set[int] = set()  # rows of ``xyz`` to recompute before the next read
        self._came_idle: list[int] = []  # units made idle since :attr:`xyz_idle` was read
        self._origin: list[Point] = [u.origin for u in units]  # the point each row is for
        #: The order in which idle units became idle (ties go to the longest idle).
        self.since: Int64Array = np.zeros(n, dtype=np.int64)
        self._clock = 0
        #: Idle units that carry an expected finish (not the usual idle state; see fails).
        self._idle_known = sum(
            1
            for s, b in zip(self.status, self.busy_until, strict=True)
            if s is UnitStatus.AVAILABLE and b is not None
        )
        self._idle_fails: dict[Hashable, BoolArray] = {}
        shifts = [(u.shift_start, u.shift_end) for u in units]
        self.round_clock: BoolArray = np.array(
            [s is None or e is None or s == e for s, e in shifts], dtype=np.bool_
        ).reshape(n)
        self.shift_start_us: Int64Array = np.array(
            [0 if s is None else time_of_day_us(s) for s, _ in shifts], dtype=np.int64
        ).reshape(n)
        self.shift_end_us: Int64Array = np.array(
            [0 if e is None else time_of_day_us(e) for _, e in shifts], dtype=np.int64
        ).reshape(n)
        self.all_round_clock = bool(self.round_clock.all())
        # Rules judged once per key class for the fleet's life.
        static = _static_key_rules(units)
        self._static_rules: list[tuple[RuleSpec, IntArray, list[int]]] = []
        for rule in static:
            assert rule.unit_key is not None
            keys: dict[Hashable, int] = {}
            classes = [keys.setdefault(rule.unit_key(u), len(keys)) for u in units]
            unit_class = np.array(classes, dtype=np.intp).reshape(n)
            first = np.unique(unit_class, return_index=True)[1] if n else np.zeros(0)
            self._static_rules.append((rule, unit_class, np.asarray(first, dtype=np.intp).tolist()))
        # Rules whose key reads the unit's state: judged per state class.
        self._state_rules = [
            _StateRule(rule, n)
            for rule in HARD_RULES
            if rule.unit_key is not None and rule.check is not None and rule not in static
        ]
        for i, unit in enumerate(units):
            for state_rule in self._state_rules:
                state_rule.place(i, unit, unit.status, unit.busy_until is not None)
        classed = {rule.name for rule in static} | {r.rule.name for r in self._state_rules}
        self._all_classed = all(
            rule.name in classed or rule.name == "on_shift"
            for rule in HARD_RULES
            if rule.check is not None
        )
        self._static_fails: dict[Hashable, BoolArray] = {}
        self._shareable = all(
            rule.request_key is not None for rule in HARD_RULES if rule.scope == "pair"
        )
        self._index: FleetIndex | None = None
        self._exact = self._all_classed and all(r.covered for r in self._state_rules)

    @property
    def exact(self) -> bool:
        """Whether :meth:`fails` judges every hard rule (by class, or ``on_shift`` by its
        vectorised twin), so that a unit it passes passes :func:`~.rules.first_failure`;
        when not, a policy must confirm each unit it chooses with the rule functions."""
        return self._exact

    def __len__(self) -> int:
        return len(self.ids)

    # -- changes

    def update(
        self,
        i: int,
        *,
        status: UnitStatus,
        point: Point,
        busy_until: float | None = None,
        busy_point: Point | None = None,
        jobs_today: int | None = None,
    ) -> None:
        """Unit ``i`` is now ``status`` at ``point``; a busy or returning unit expects to be
        done at ``busy_until`` (epoch seconds) at ``busy_point``."""
        if jobs_today is not None:
            if jobs_today < 0:
                raise ValueError("jobs_today must be 0 or more")
            self.jobs[i] = jobs_today
        was, known = self.status[i], busy_until is not None
        idle = status is UnitStatus.AVAILABLE
        odd = idle and known  # idle yet carrying an expected finish: see fails
        if odd is not (was is UnitStatus.AVAILABLE and self.busy_until[i] is not None):
            self._idle_known += 1 if odd else -1
        if idle is not (was is UnitStatus.AVAILABLE):
            self.idle[i] = idle
            self.not_idle[i] = not idle
            if idle:
                self._clock += 1
                self.since[i] = self._clock
        chained = known and status in _WAITING
        if chained is not self._chained[i]:
            self.chained[i] = self._chained[i] = chained
        if status is not was or known is not (self.busy_until[i] is not None):
            template = self.templates[i]
            for state_rule in self._state_rules:
                state_rule.place(i, template, status, known)
                if not state_rule.covered:
                    self._exact = False
        self.status[i] = status
        self.point[i] = point
        self.busy_until[i] = busy_until
        self.busy_point[i] = busy_point
        self._moved.add(i)
        if idle:
            self._came_idle.append(i)
        self._snaps[i] = None
        self._index = None

    @property
    def xyz(self) -> FloatArray:
        """Where each unit will set off from (its position, or where its current job ends),
        as 3-D points on the sphere (rows of units changed since the last read are redone)."""
        if self._moved:
            for i in self._moved:
                self._redo(i)
            self._moved.clear()
            self._came_idle.clear()
        return self._xyz

    @property
    def xyz_idle(self) -> FloatArray:
        """:attr:`xyz` with the rows of the idle units up to date; the rows of the others may
        be behind (for a caller that looks at idle units only: a unit sent out and back to
        its base between two reads has its row unchanged, nothing to redo)."""
        if self._came_idle:
            idle, moved = self.idle, self._moved
            for i in self._came_idle:
                if i in moved and idle[i]:
                    self._redo(i)
                    moved.discard(i)
            self._came_idle.clear()
        return self._xyz

    def _redo(self, i: int) -> None:
        """Bring unit ``i``'s row up to date with where it sets off from."""
        busy_point = self.busy_point[i]
        chained = busy_point is not None and self._chained[i]
        origin = busy_point if chained and busy_point is not None else self.point[i]
        if origin is not self._origin[i]:  # back at base from a trip there: same row
            self._origin[i] = origin
            self._xyz[i] = xyz_of(origin)

    # -- snapshots

    def snapshot(self, i: int) -> UnitSnapshot:
        """Unit ``i`` as a snapshot (built when first asked after a change, then kept)."""
        snap = self._snaps[i]
        if snap is None:
            until = self.busy_until[i]
            snap = self._snaps[i] = _with(
                self.templates[i],
                {
                    "status": self.status[i],
                    "point": self.point[i],
                    "busy_until": None
                    if until is None
                    else dt.datetime.fromtimestamp(until, dt.UTC),
                    "busy_point": self.busy_point[i],
                    "jobs_today": self.jobs[i],
                },
            )
        return snap

    def snapshots(self) -> list[UnitSnapshot]:
        """Every unit's current snapshot, in the fleet's order."""
        return [self.snapshot(i) for i in range(len(self.ids))]

    def index(self) -> FleetIndex:
        """A :class:`FleetIndex` of the current snapshots (kept until a unit changes)."""
        if self._index is None:
            self._index = FleetIndex(self.snapshots())
        return self._index

    # -- rules on columns

    def fails(
        self, request: RescueRequest, ctx: RuleContext, *, idle_only: bool = False
    ) -> BoolArray:
        """Whether each unit, as it is now, fails a hard rule for ``request``: the rules with
        a unit key judged by their functions on one unit per class (see :attr:`exact`), and
        ``on_shift`` by its vectorised twin; with ``idle_only``, units not idle count as
        failing too. A new array, the caller's to change."""
        # A pair rule without a request key looks at the whole request: nothing to share.
        key = (need_key(request), ctx.today) if self._shareable else None
        if idle_only and key is not None and not self._idle_known:
            # Every idle unit is in its usual idle state: the verdicts on the idle units are
            # fixed per need class and day, kept; the units not idle fail.
            result = self._day_fails(request, ctx, key) | self.not_idle
            if not self.all_round_clock:
                result |= ~self.on_shift(ctx, idle_only=True)
            return result
        fixed = self._fixed_fails(request, ctx, key)
        result = fixed | self.not_idle if idle_only else fixed.copy()
        for state_rule in self._state_rules:
            result |= state_rule.fails(request, ctx, key)
        if not self.all_round_clock:
            result |= ~self.on_shift(ctx, idle_only=idle_only)
        return result

    def nearest_idle(
        self, request: RescueRequest, ctx: RuleContext, taken: Sequence[int] = ()
    ) -> int:
        """The idle unit nearest to the request by straight line that passes the hard rules
        (as :meth:`fails` judges them, and the rule functions on its snapshot where the
        columns cannot judge them all: :attr:`exact`), equally near ones longest idle first;
        units in ``taken`` skipped. Its row, or -1 if there is none."""
        hx, hy, hz = xyz_of(request.point)
        blocked = self.fails(request, ctx, idle_only=True)
        if taken:
            blocked[list(taken)] = True
        xyz, since = self.xyz_idle, self.since
        while True:
            # The compiled choice the simulator's loop makes too (:func:`~.kernels.nearest_row`).
            j = int(nearest_row(xyz, blocked, hx, hy, hz, since, DOT_SLACK))
            if j < 0 or self._exact or first_failure(request, self.snapshot(j), ctx) is None:
                return j
            blocked[j] = True  # the rule functions disagree with the columns: next

    @property
    def day_verdicts(self) -> bool:
        """Whether :meth:`idle_day_fails` holds for the idle units (every pair rule shares its
        verdicts per need class, no idle unit carries an expected finish) and judges every
        hard rule but the shift (:attr:`exact`): then a unit is usable for a request exactly
        when it is idle, on shift and not in ``idle_day_fails``."""
        return self._exact and self._shareable and not self._idle_known

    def idle_day_fails(self, request: RescueRequest, ctx: RuleContext) -> BoolArray:
        """Whether each unit, were it idle, would fail a hard rule other than the shift for
        ``request`` on ``ctx``'s day (kept per need class and day; not to be changed)."""
        if not self._shareable:
            raise ValueError("a pair rule without a request key: no verdicts per need class")
        return self._day_fails(request, ctx, (need_key(request), ctx.today))

    def _day_fails(self, request: RescueRequest, ctx: RuleContext, key: Hashable) -> BoolArray:
        at_idle = self._idle_fails.get(key)
        if at_idle is None:
            at_idle = self._idle_fails[key] = self._fails_when_idle(request, ctx, key)
        return at_idle

    def _fixed_fails(
        self, request: RescueRequest, ctx: RuleContext, key: Hashable | None
    ) -> BoolArray:
        """Whether each unit fails a rule judged once per key class for the fleet's life
        (kept per need class and day; not to be changed by the caller)."""
        fixed = self._static_fails.get(key) if key is not None else None
        if fixed is None:
            ok = np.ones(len(self.ids), dtype=np.bool_)
            for rule, unit_class, representatives in self._static_rules:
                assert rule.check is not None
                verdicts = np.array(
                    [rule.check(request, self.templates[i], ctx).ok for i in representatives],
                    dtype=np.bool_,
                ).reshape(len(representatives))
                ok &= verdicts[unit_class]
            fixed = ~ok
            if key is not None:
                self._static_fails[key] = fixed
        return fixed

    def _fails_when_idle(
        self, request: RescueRequest, ctx: RuleContext, key: Hashable
    ) -> BoolArray:
        """Whether each unit would fail the rules with a unit key if it were idle with no
        expected finish (its class in that state, judged as :meth:`fails` judges it)."""
        result = self._fixed_fails(request, ctx, key).copy()
        for state_rule in self._state_rules:
            result |= state_rule.fails_at(request, ctx, key, self.templates, UnitStatus.AVAILABLE)
        return result

    def on_shift(self, ctx: RuleContext, *, idle_only: bool = False) -> BoolArray:
        """Vectorised :func:`~.rules.on_shift`: whether each crew is on shift when its unit
        would set off (now, or when the current job ends). With ``idle_only``, every unit is
        judged as setting off now: right for the idle units, the only ones the caller reads."""
        n = len(self.ids)
        if self.all_round_clock:
            return np.ones(n, dtype=np.bool_)
        ok: BoolArray = self.round_clock.copy()
        todo = np.flatnonzero(~ok)
        at = np.full(todo.size, local_time_us(ctx.now, ctx.tz), dtype=np.int64)
        now_us = epoch_us(ctx.now)
        chained = [] if idle_only else np.flatnonzero(self.chained[todo]).tolist()
        for c in chained:
            until = self.busy_until[int(todo[c])]
            assert until is not None  # chained: busy or returning with an expected finish
            finish = dt.datetime.fromtimestamp(until, dt.UTC)
            if epoch_us(finish) > now_us:
                at[c] = local_time_us(finish, ctx.tz)
        part = np.empty(todo.size, dtype=np.bool_)
        on_shift_into(
            part, ok[todo], self.shift_start_us[todo], self.shift_end_us[todo], at
        )  # the compiled rule the simulator's loop applies too
        ok[todo] = part
        return ok
