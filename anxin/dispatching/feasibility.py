"""Hard-rule verdicts for a whole batch of requests, each rule judged as few times as it can be.

Joint assignment asks "may unit u serve request r?" for tens of thousands of pairs. The rules
themselves stay the single source of truth; this module only avoids asking them the same
question twice within one batch: ``unit`` rules once per unit, a ``pair`` rule once per
distinct (request key, unit key) its :class:`~anxin.dispatching.rules.RuleSpec` declares.
Nothing is kept between batches (the clock and the fleet move on).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np
from numpy.typing import NDArray

from .domain import RescueRequest
from .index import FleetIndex, IntArray
from .rules import HARD_RULES, RuleContext, RuleSpec

BoolMatrix = NDArray[np.bool_]

_UNKNOWN, _NO, _YES = -1, 0, 1


class _PairRule:
    """One pair rule's verdicts by (request class, unit class)."""

    def __init__(self, rule: RuleSpec, requests: Sequence[RescueRequest], n_units: int) -> None:
        if rule.check is None:
            raise ValueError(f"{rule.name} is not a hard rule")
        self.rule, self.check = rule, rule.check
        keys: dict[Hashable, int] = {}
        self.representatives: list[RescueRequest] = []
        classes = []
        for request in requests:
            key = rule.request_key(request) if rule.request_key else id(request)
            if key not in keys:
                keys[key] = len(keys)
                self.representatives.append(request)
            classes.append(keys[key])
        self.request_class: IntArray = np.array(classes, dtype=np.intp)
        self.unit_class: IntArray = np.full(n_units, -1, dtype=np.intp)
        self.unit_keys: dict[Hashable, int] = {}
        self.unit_representatives: list[int] = []
        self.verdict = np.full((len(keys), 16), _UNKNOWN, dtype=np.int8)

    def mask(
        self, index: FleetIndex, ctx: RuleContext, rows: IntArray, units: IntArray, todo: BoolMatrix
    ) -> BoolMatrix:
        """Whether each ``units[r, c]`` passes for request ``rows[r]`` (judged where ``todo``)."""
        for u in np.unique(units[self.unit_class[units] < 0]).tolist():
            unit = index.units[u]
            key = self.rule.unit_key(unit) if self.rule.unit_key else u
            if key not in self.unit_keys:
                self.unit_keys[key] = len(self.unit_keys)
                self.unit_representatives.append(u)
            self.unit_class[u] = self.unit_keys[key]
        if len(self.unit_keys) > self.verdict.shape[1]:
            grown = np.full(
                (self.verdict.shape[0], 2 * len(self.unit_keys)), _UNKNOWN, dtype=np.int8
            )
            grown[:, : self.verdict.shape[1]] = self.verdict
            self.verdict = grown
        rc = np.broadcast_to(self.request_class[rows][:, None], units.shape)
        uc = self.unit_class[units]
        pending = todo & (self.verdict[rc, uc] == _UNKNOWN)
        if pending.any():
            width = self.verdict.shape[1]
            for code in np.unique(rc[pending] * width + uc[pending]).tolist():
                r_class, u_class = divmod(code, width)
                request = self.representatives[r_class]
                unit = index.units[self.unit_representatives[u_class]]
                ok = self.check(request, unit, ctx).ok
                self.verdict[r_class, u_class] = _YES if ok else _NO
        result: BoolMatrix = self.verdict[rc, uc] == _YES
        return result


class BatchFeasibility:
    """Which units may serve which requests of one batch, by the hard rules, memoised."""

    def __init__(
        self, requests: Sequence[RescueRequest], index: FleetIndex, ctx: RuleContext
    ) -> None:
        if not requests:
            raise ValueError("a batch needs at least one request")
        self.requests, self.index, self.ctx = requests, index, ctx
        self.unit_checks = [
            r.check for r in HARD_RULES if r.scope == "unit" and r.check is not None
        ]
        self.pair_rules = [
            _PairRule(r, requests, len(index)) for r in HARD_RULES if r.scope == "pair"
        ]
        self.unit_ok = np.full(len(index), _UNKNOWN, dtype=np.int8)
        # Requests alike for every pair rule: any one of a class stands for all of it.
        combined = np.zeros(len(requests), dtype=np.int64)
        for rule in self.pair_rules:
            combined = combined * len(rule.representatives) + rule.request_class
        _, inverse = np.unique(combined, return_inverse=True)
        self.request_class: IntArray = inverse.reshape(-1).astype(np.intp)

    def unit_mask(self, units: IntArray) -> BoolMatrix:
        """Whether each unit passes the rules that look at the unit alone."""
        # Unit rules do not look at the request; any request of the batch will do.
        anyone = self.requests[0]
        for u in np.unique(units[self.unit_ok[units] == _UNKNOWN]).tolist():
            unit = self.index.units[u]
            ok = all(check(anyone, unit, self.ctx).ok for check in self.unit_checks)
            self.unit_ok[u] = _YES if ok else _NO
        result: BoolMatrix = self.unit_ok[units] == _YES
        return result

    def mask(self, rows: IntArray, units: IntArray) -> BoolMatrix:
        """Whether each unit ``units[r, c]`` may serve request ``rows[r]``."""
        ok = self.unit_mask(units)
        for rule in self.pair_rules:
            ok &= rule.mask(self.index, self.ctx, rows, units, ok)
        return ok
