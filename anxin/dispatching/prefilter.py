"""The hard rules judged for many units at once, from columns built once per fleet snapshot.

:class:`FleetTable` keeps, per unit, what the hard rules look at, so that a proposal or a
joint assignment can judge hundreds or thousands of units with a few numpy operations:

* a rule with a ``unit_key`` (status, daily check, capability) is judged by the rule function
  itself on one unit of each key class, and the verdict (with its reason) is shared by the
  class; it is kept for the snapshot by (request key, dispatch day), each class judged the
  first time one of its units is looked at;
* ``on_shift``, which looks at when each unit would set off, has a vectorised twin over
  integer microsecond columns (:func:`on_shift`); so has the HV certificate rule, over the
  latest expiry day on board (:func:`hv_certified`: its key classes are expiry days, hundreds
  of them), whose failures all carry the one reason the function gives for the day;
* any other hard rule is asked unit by unit.

``tests/test_dispatching_prefilter.py`` checks the table against the rule functions on random
fleets. The rule functions stay the source of truth for every reason the engine shows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable, Sequence
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from .domain import Id, RescueRequest, UnitSnapshot, UnitStatus
from .rules import HARD_RULES, RuleContext, RuleSpec

BoolArray = NDArray[np.bool_]
ObjectArray = NDArray[np.object_]
IntArray = NDArray[np.intp]
Int64Array = NDArray[np.int64]

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICRO = dt.timedelta(microseconds=1)
_UNKNOWN = -1
_WAITING = frozenset({UnitStatus.BUSY, UnitStatus.RETURNING})


def epoch_us(moment: dt.datetime) -> int:
    """An aware datetime as whole microseconds since the epoch (exact, unlike ``timestamp``)."""
    return (moment - _EPOCH) // _MICRO


def time_of_day_us(at: dt.time) -> int:
    """A wall-clock time as microseconds since midnight (orders like ``dt.time``)."""
    return ((at.hour * 60 + at.minute) * 60 + at.second) * 1_000_000 + at.microsecond


def local_time_us(moment: dt.datetime, tz: dt.tzinfo) -> int:
    """The local wall-clock time of ``moment`` in ``tz``, as microseconds since midnight."""
    return time_of_day_us(moment.astimezone(tz).time())


_HOUR_US = 3_600_000_000
_DAY_US = 24 * _HOUR_US


def local_times_us(
    moments_us: Int64Array, tz: dt.tzinfo, memo: dict[tuple[dt.tzinfo, int], int | None]
) -> Int64Array:
    """Vectorised :func:`local_time_us` of epoch microseconds: the zone's UTC offset is read
    once per clock hour the moments fall in (at its first and last microsecond, kept in
    ``memo``); an hour in which the offset changes is converted moment by moment."""
    hours = moments_us // _HOUR_US
    lo, hi = int(hours.min()), int(hours.max())
    if hi - lo > 24 * 366:  # finishes spread over years: moment by moment
        return np.array(
            [local_time_us(_EPOCH + dt.timedelta(microseconds=m), tz) for m in moments_us.tolist()],
            dtype=np.int64,
        ).reshape(moments_us.size)
    offsets = np.zeros(hi - lo + 1, dtype=np.int64)
    changing: list[int] = []
    for hour in range(lo, hi + 1):
        key = (tz, hour)
        if key not in memo:
            first = _utc_offset_us(hour * _HOUR_US, tz)
            last = _utc_offset_us((hour + 1) * _HOUR_US - 1, tz)
            memo[key] = first if first == last else None
        offset = memo[key]
        if offset is None:
            changing.append(hour)
        else:
            offsets[hour - lo] = offset
    result: Int64Array = (moments_us + offsets[hours - lo]) % _DAY_US
    for hour in changing:
        for c in np.flatnonzero(hours == hour).tolist():
            moment = _EPOCH + dt.timedelta(microseconds=int(moments_us[c]))
            result[c] = local_time_us(moment, tz)
    return result


def _utc_offset_us(moment_us: int, tz: dt.tzinfo) -> int:
    moment = _EPOCH + dt.timedelta(microseconds=moment_us)
    return (moment.astimezone(tz).utcoffset() or dt.timedelta(0)) // _MICRO


class _ClassRule:
    """A hard rule with a ``unit_key``: judged once per unit class, verdicts kept by request."""

    def __init__(self, rule: RuleSpec, units: Sequence[UnitSnapshot]) -> None:
        assert rule.unit_key is not None and rule.check is not None
        self.rule, self.check = rule, rule.check
        keys: dict[Hashable, int] = {}
        classes = [keys.setdefault(key, len(keys)) for key in map(rule.unit_key, units)]
        self.unit_class: IntArray = np.array(classes, dtype=np.intp).reshape(len(units))
        first = np.unique(self.unit_class, return_index=True)[1] if units else np.zeros(0)
        self.representatives: list[int] = np.asarray(first, dtype=np.intp).tolist()
        self._verdicts: dict[Hashable, tuple[NDArray[np.int8], ObjectArray]] = {}

    def verdicts(
        self,
        units: Sequence[UnitSnapshot],
        request: RescueRequest,
        ctx: RuleContext,
        classes: IntArray,
    ) -> tuple[BoolArray, ObjectArray]:
        """Pass or fail for each class in ``classes`` (a mask of the same length), and the
        results known so far by class (:class:`~.rules.RuleResult`, with their reasons; every
        class in ``classes`` known), as an object array indexed by class.

        A class is judged the first time a unit of it is looked at for a request key and
        day, so a request meeting a rule with many classes for the first time judges only the
        classes among the units it looks at."""
        rule = self.rule
        if rule.scope == "unit":
            key: Hashable = (None, ctx.today)
        elif rule.request_key is not None:
            key = (rule.request_key(request), ctx.today)
        else:
            key = None  # the rule looks at the whole request: nothing to share
        found = self._verdicts.get(key) if key is not None else None
        if found is None:
            size = len(self.representatives)
            found = (np.full(size, _UNKNOWN, dtype=np.int8), np.full(size, None, dtype=object))
            if key is not None:
                self._verdicts[key] = found
        state, results = found
        seen = state[classes]
        if (seen == _UNKNOWN).any():
            for c in np.unique(classes[seen == _UNKNOWN]).tolist():
                result = self.check(request, units[self.representatives[c]], ctx)
                state[c], results[c] = result.ok, result
            seen = state[classes]
        mask: BoolArray = seen == 1
        return mask, results


class FleetTable:
    """Per-unit columns of what the hard rules look at, for one fleet snapshot."""

    def __init__(self, units: Sequence[UnitSnapshot]) -> None:
        self.units = units
        n = len(units)
        #: Each unit's id (read without touching the unit object).
        self.ids: list[Id] = [u.id for u in units]
        #: The same ids as an object array, for picking many at once.
        self.id_objects: ObjectArray = np.fromiter(self.ids, dtype=object, count=n)
        self.jobs: Int64Array = np.array([u.jobs_today for u in units], dtype=np.int64).reshape(n)
        busy = [u.busy_until for u in units]
        self.chained: BoolArray = np.array(
            [u.status in _WAITING for u in units], dtype=np.bool_
        ).reshape(n) & np.array([b is not None for b in busy], dtype=np.bool_).reshape(n)
        self.busy_us: Int64Array = np.array(
            [0 if b is None else epoch_us(b) for b in busy], dtype=np.int64
        ).reshape(n)
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
        self.classed: dict[str, _ClassRule] = {
            rule.name: _ClassRule(rule, units)
            for rule in HARD_RULES
            if rule.unit_key is not None and rule.check is not None and rule.name not in _TWINS
        }
        #: The latest HV certificate's expiry on board, as a day ordinal (-1: none), read by
        #: the HV rule's own unit key.
        hv_key = _HV_RULE.unit_key
        assert hv_key is not None
        latest: list[dt.date | None] = [hv_key(u) for u in units]  # type: ignore[misc]
        self.hv_latest: Int64Array = np.array(
            [-1 if d is None else d.toordinal() for d in latest], dtype=np.int64
        ).reshape(n)
        self._busy_local: dict[dt.tzinfo, Int64Array] = {}
        self._hour_offsets: dict[tuple[dt.tzinfo, int], int | None] = {}

    def __len__(self) -> int:
        return len(self.units)

    def start_offset_s(self, ctx: RuleContext, idx: IntArray) -> NDArray[np.float64]:
        """Seconds from now until each unit could set off (:func:`~.rules.start_time`)."""
        wait_us = self.busy_us[idx] - epoch_us(ctx.now)
        later = self.chained[idx] & (wait_us > 0)
        offset: NDArray[np.float64] = np.where(later, wait_us, 0) / 1e6
        return offset

    def busy_local_us(self, tz: dt.tzinfo, idx: IntArray) -> Int64Array:
        """Local time of day (µs) at which each unit finishes its current job, memoised."""
        known = self._busy_local.get(tz)
        if known is None:
            known = self._busy_local[tz] = np.full(len(self.units), _UNKNOWN, dtype=np.int64)
        todo = idx[known[idx] == _UNKNOWN]
        if todo.size:
            known[todo] = local_times_us(self.busy_us[todo], tz, self._hour_offsets)
        result: Int64Array = known[idx]
        return result

    def judge(
        self, rule: RuleSpec, request: RescueRequest, ctx: RuleContext, idx: IntArray
    ) -> BoolArray:
        """Whether each unit ``idx[c]`` passes hard rule ``rule`` for ``request``."""
        classed = self.classed.get(rule.name)
        if classed is not None:
            return classed.verdicts(self.units, request, ctx, classed.unit_class[idx])[0]
        twin = _TWINS.get(rule.name)
        if twin is not None:
            return twin(self, request, ctx, idx)
        check = rule.check
        assert check is not None
        return np.array(
            [check(request, self.units[i], ctx).ok for i in idx.tolist()], dtype=np.bool_
        ).reshape(idx.size)

    def screen(
        self, request: RescueRequest, ctx: RuleContext, idx: IntArray
    ) -> tuple[IntArray, ObjectArray, BoolArray]:
        """For each unit ``idx[c]``: the position in ``HARD_RULES`` of the first rule it fails
        for ``request`` (-1 when it passes them all, as :func:`~.rules.first_failure`); that
        rule's :class:`~.rules.RuleResult` when the function judged it on a unit of the same
        class (or, for a twin whose failures share one reason, on another failing unit), else
        None; and whether that result is there (a mask)."""
        codes: IntArray = np.full(idx.size, -1, dtype=np.intp)
        results: ObjectArray = np.full(idx.size, None, dtype=object)
        known: BoolArray = np.zeros(idx.size, dtype=np.bool_)
        for position in range(len(HARD_RULES) - 1, -1, -1):
            rule = HARD_RULES[position]
            classed = self.classed.get(rule.name)
            if classed is None:
                failed = ~self.judge(rule, request, ctx, idx)
                if not failed.any():
                    continue
                codes[failed] = position
                result = None
                if rule.name in _SHARED_REASON:
                    # Every unit failing this twin fails for the same reason (the day):
                    # the rule function's verdict on the first one serves them all.
                    assert rule.check is not None
                    first = int(idx[int(failed.argmax())])
                    result = rule.check(request, self.units[first], ctx)
                if result is not None and not result.ok:
                    results[failed] = result
                    known[failed] = True
                else:
                    results[failed] = None
                    known[failed] = False
                continue
            unit_class = classed.unit_class[idx]
            ok, by_class = classed.verdicts(self.units, request, ctx, unit_class)
            failed = ~ok
            if failed.any():
                codes[failed] = position
                results[failed] = by_class[unit_class[failed]]
                known[failed] = True
        return codes, results, known

    def feasible(
        self,
        request: RescueRequest,
        ctx: RuleContext,
        idx: IntArray,
        scope: Literal["unit", "pair"] | None = None,
    ) -> BoolArray:
        """Whether each unit ``idx[c]`` passes every hard rule (of ``scope``, when given)."""
        ok: BoolArray = np.ones(idx.size, dtype=np.bool_)
        for rule in HARD_RULES:
            if scope is None or rule.scope == scope:
                ok &= self.judge(rule, request, ctx, idx)
        return ok


def hv_certified(
    table: FleetTable, request: RescueRequest, ctx: RuleContext, idx: IntArray
) -> BoolArray:
    """Vectorised :func:`~.rules.hv_certified_crew`: a request needing an HV crew passes the
    units whose latest HV certificate runs at least to the dispatch day. (Judged per key
    class instead, the first request at a place met ~100 expiry days among its neighbours,
    one rule call each.)"""
    if not request.needs_hv_crew:
        return np.ones(idx.size, dtype=np.bool_)
    ok: BoolArray = table.hv_latest[idx] >= ctx.today.toordinal()
    return ok


def _on_shift_twin(
    table: FleetTable, request: RescueRequest, ctx: RuleContext, idx: IntArray
) -> BoolArray:
    return on_shift(table, ctx, idx)


_Twin = Callable[[FleetTable, RescueRequest, RuleContext, IntArray], BoolArray]
#: Hard rules judged by a vectorised twin rather than by the function per unit or per class.
_TWINS: dict[str, _Twin] = {"on_shift": _on_shift_twin, "hv_certified_crew": hv_certified}
#: Twins whose failing units all fail with the same reason for one request and day.
_SHARED_REASON = frozenset({"hv_certified_crew"})
_HV_RULE = next(rule for rule in HARD_RULES if rule.name == "hv_certified_crew")


def on_shift(table: FleetTable, ctx: RuleContext, idx: IntArray) -> BoolArray:
    """Vectorised :func:`~.rules.on_shift`: the local time each unit would set off (now, or
    when its current job ends) lies in its shift; shifts may cross midnight."""
    ok: BoolArray = table.round_clock[idx].copy()
    todo = np.flatnonzero(~ok)
    if todo.size == 0:
        return ok
    units = idx[todo]
    at = np.full(units.size, local_time_us(ctx.now, ctx.tz), dtype=np.int64)
    later = table.chained[units] & (table.busy_us[units] > epoch_us(ctx.now))
    if later.any():
        at[later] = table.busy_local_us(ctx.tz, units[later])
    start, end = table.shift_start_us[units], table.shift_end_us[units]
    ok[todo] = np.where(start < end, (start <= at) & (at < end), (at >= start) | (at < end))
    return ok
