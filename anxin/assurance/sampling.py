"""Stratified, reproducible random draws (CB-1 callbacks, CB-2 audits) — plain Python.

A draw must be re-runnable by anyone who doubts it: given the seed and the population, the
same sample comes out, on any machine and any Python version. So the randomness is not
Python's ``random`` (whose algorithms may change) but a keyed hash: each unit's rank in its
stratum is ``sha256(f"{seed}:{key}")``, and the stratum's sample is its lowest-ranked units.
The population itself is pinned by a SHA-256 over its sorted keys.

Allocation: each stratum (an outlet, a rescue base) gets ``ceil(rate × size)`` units, so
every stratum with anyone in it is represented and none falls below the rate.
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction


@dataclass(frozen=True)
class Unit:
    """One member of the population: a stable key (``rescue:12``) and its stratum."""

    key: str
    stratum: str


@dataclass
class Sample:
    seed: int
    rate: Fraction
    population_size: int
    population_hash: str
    chosen: list[str]
    # stratum -> [population size, sample size]
    strata: dict[str, list[int]] = field(default_factory=dict)


def population_hash(keys: Iterable[str]) -> str:
    """SHA-256 over the sorted, newline-joined keys: the population's fingerprint."""
    joined = "\n".join(sorted(set(keys)))
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()


def stratum_size(size: int, rate: Fraction) -> int:
    """How many of a stratum of ``size`` are drawn: at least the rate, at least one."""
    if size <= 0:
        return 0
    return min(size, math.ceil(rate * size))


def rank(seed: int, key: str) -> str:
    return hashlib.sha256(f"{seed}:{key}".encode()).hexdigest()


def draw(units: Iterable[Unit], *, rate: Fraction | float | str, seed: int) -> Sample:
    """Draw ``rate`` of ``units`` in each stratum; the same inputs always give the same sample."""
    rate = Fraction(str(rate)) if not isinstance(rate, Fraction) else rate
    if not (0 < rate <= 1):
        raise ValueError("rate must be in (0, 1]")
    by_stratum: dict[str, set[str]] = defaultdict(set)
    seen: dict[str, str] = {}
    for unit in units:
        if unit.key in seen and seen[unit.key] != unit.stratum:
            raise ValueError(f"unit {unit.key} is in two strata")
        seen[unit.key] = unit.stratum
        by_stratum[unit.stratum].add(unit.key)
    chosen: list[str] = []
    strata: dict[str, list[int]] = {}
    for stratum in sorted(by_stratum):
        keys = by_stratum[stratum]
        n = stratum_size(len(keys), rate)
        picked = sorted(keys, key=lambda k: (rank(seed, k), k))[:n]
        chosen.extend(sorted(picked))
        strata[stratum] = [len(keys), n]
    return Sample(
        seed=seed,
        rate=rate,
        population_size=len(seen),
        population_hash=population_hash(seen),
        chosen=chosen,
        strata=strata,
    )
