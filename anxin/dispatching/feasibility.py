"""Which units may serve which requests of one batch, by the hard rules, need class by need class.

Joint assignment asks "may unit u serve request r?" for tens of thousands of pairs. Requests
alike for every pair rule (the same ``request_key`` of each, see
:class:`~anxin.dispatching.rules.RuleSpec`) pass and fail the same units, so the batch is split
into need classes, each judged once over the whole fleet with the snapshot's
:class:`~anxin.dispatching.prefilter.FleetTable`. Classes passing exactly the same units share
one mask and one k-d tree over those units, so "the k nearest units that may serve this
request" is one exact tree query, with no widening past units that fail a rule.
Nothing is kept between batches (the clock and the fleet move on).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from .domain import RescueRequest
from .index import FleetIndex, IntArray
from .rules import HARD_RULES, RuleContext

BoolMatrix = NDArray[np.bool_]


_PAIR_RULES = tuple(rule for rule in HARD_RULES if rule.scope == "pair")
_REQUEST_KEYS: tuple[Callable[[RescueRequest], Hashable], ...] = tuple(
    id if rule.request_key is None else rule.request_key for rule in _PAIR_RULES
)


def need_key(request: RescueRequest) -> tuple[Hashable, ...]:
    """What the pair rules look at in ``request`` (the request itself for a rule without a
    ``request_key``, so such a request is a class of its own)."""
    return tuple([key(request) for key in _REQUEST_KEYS])


class BatchFeasibility:
    """The hard-rule verdicts of one batch: a mask over the fleet per need class."""

    def __init__(
        self, requests: Sequence[RescueRequest], index: FleetIndex, ctx: RuleContext
    ) -> None:
        if not requests:
            raise ValueError("a batch needs at least one request")
        self.index = index
        every_unit = np.arange(len(index), dtype=np.intp)
        # Rules about the unit alone do not look at the request: any request of the batch.
        unit_ok = np.ones(len(index), dtype=np.bool_)
        for rule in HARD_RULES:
            if rule.scope == "unit":
                unit_ok &= index.table.judge(rule, requests[0], ctx, every_unit)
        usable = np.flatnonzero(unit_ok).astype(np.intp)
        classes: dict[tuple[Hashable, ...], int] = {}
        masks: dict[bytes, int] = {}
        rows: list[NDArray[np.bool_]] = []
        group_of_class: list[int] = []
        request_class: list[int] = []
        for request in requests:
            key = need_key(request)
            c = classes.get(key)
            if c is None:
                c = classes[key] = len(classes)
                mask = np.zeros(len(index), dtype=np.bool_)
                mask[usable] = index.table.feasible(request, ctx, usable, scope="pair")
                g = masks.setdefault(mask.tobytes(), len(masks))
                if g == len(rows):
                    rows.append(mask)
                group_of_class.append(g)
            request_class.append(c)
        #: Each request's group: the requests that may be served by exactly the same units.
        self.group: IntArray = np.array(group_of_class, dtype=np.intp)[
            np.array(request_class, dtype=np.intp)
        ].reshape(len(requests))
        #: ``masks[g, u]``: whether unit ``u`` passes every hard rule for group ``g``.
        self.masks: BoolMatrix = np.stack(rows).reshape(len(rows), len(index))
        self.members: list[IntArray] = [np.flatnonzero(m).astype(np.intp) for m in self.masks]
        self._trees: dict[int, cKDTree] = {}

    @property
    def n_groups(self) -> int:
        return len(self.members)

    def tree(self, group: int) -> cKDTree:
        """A k-d tree over the units group ``group`` may use (in ``members[group]`` order)."""
        tree = self._trees.get(group)
        if tree is None:
            tree = self._trees[group] = cKDTree(self.index.xyz[self.members[group]])
        return tree

    def mask(self, rows: IntArray, units: IntArray) -> BoolMatrix:
        """Whether unit ``units[...]`` may serve request ``rows[...]`` (broadcast together)."""
        result: BoolMatrix = self.masks[self.group[rows], units]
        return result
