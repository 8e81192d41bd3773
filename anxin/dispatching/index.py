"""A spatial index over the fleet, so a proposal looks at nearby units first (national scale).

Units are placed where they will start driving from (their position, or where their current
job ends) as 3-D points on a sphere of the Earth's radius, in a ``scipy`` k-d tree. The tree's
straight-line (chord) distances order exactly like great-circle distances, and are converted
back to metres along the surface. Travel time is not monotone in distance (traffic, a unit
still busy), so the engine uses the index only to pick candidates, then ranks them by ETA.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from .domain import Point, UnitSnapshot
from .prefilter import FleetTable
from .travel import EARTH_RADIUS_M, FloatArray

IntArray = NDArray[np.intp]


def to_xyz(lat: FloatArray, lon: FloatArray) -> FloatArray:
    """WGS-84 latitude/longitude (degrees) to 3-D points on a sphere of the Earth's radius."""
    phi, lmb = np.radians(lat), np.radians(lon)
    cos_phi = np.cos(phi)
    xyz: FloatArray = (
        np.stack((cos_phi * np.cos(lmb), cos_phi * np.sin(lmb), np.sin(phi)), axis=-1)
        * EARTH_RADIUS_M
    )
    return xyz


def chord_to_arc_m(chord: FloatArray) -> FloatArray:
    """A chord through the sphere to the great-circle distance along its surface (metres)."""
    ratio = np.clip(chord / (2.0 * EARTH_RADIUS_M), 0.0, 1.0)
    arc: FloatArray = 2.0 * EARTH_RADIUS_M * np.arcsin(ratio)
    return arc


def arc_to_chord_m(arc_m: float) -> float:
    """A great-circle distance to the matching chord length (for radius queries)."""
    half_angle = min(arc_m / (2.0 * EARTH_RADIUS_M), np.pi / 2)
    return float(2.0 * EARTH_RADIUS_M * np.sin(half_angle))


#: From this many units on, the index keeps them in the k-d tree's leaf order (see FleetIndex).
REORDER_FROM = 4096


class FleetIndex:
    """The fleet at one moment, indexed by where each unit will start from.

    Build it once per fleet snapshot (a rebuild of 100,000 units takes a few hundred
    milliseconds) and pass it to :func:`~anxin.dispatching.engine.propose` for every request.
    It also holds the snapshot's :class:`~anxin.dispatching.prefilter.FleetTable`, so the hard
    rules can be judged for many units at once.

    Positions (what :meth:`nearest`, :meth:`query_xyz` and :meth:`within` return, and what
    the table's columns are indexed by) refer to :attr:`units`. From ``REORDER_FROM`` units
    on, :attr:`units` holds the fleet in the order of the k-d tree's leaves, so that units
    near each other on the map are near each other in every column: a proposal reads a few
    hundred neighbours from a few stretches of memory instead of a few hundred cache misses
    scattered over arrays of 100,000 (measured in ``bench/dispatch.py``: the first proposal at
    a place took about twice as long as the second). :attr:`order` maps each position to
    the unit's position in the list given.
    """

    def __init__(self, units: Sequence[UnitSnapshot]) -> None:
        given = tuple(units)
        origins = [unit.origin for unit in given]
        lat = np.array([p.lat for p in origins], dtype=np.float64)
        lon = np.array([p.lon for p in origins], dtype=np.float64)
        xyz = to_xyz(lat, lon) if given else np.zeros((0, 3), dtype=np.float64)
        self.order: IntArray = np.arange(len(given), dtype=np.intp)
        if len(given) >= REORDER_FROM:
            self.order = np.asarray(cKDTree(xyz).indices, dtype=np.intp)
            given = tuple(given[i] for i in self.order.tolist())
            lat, lon, xyz = lat[self.order], lon[self.order], xyz[self.order]
        self.units: tuple[UnitSnapshot, ...] = given
        self.lat: FloatArray = lat
        self.lon: FloatArray = lon
        self.xyz: FloatArray = xyz
        self._tree = cKDTree(self.xyz) if self.units else None
        self.table = FleetTable(self.units)

    def __len__(self) -> int:
        return len(self.units)

    def nearest(self, point: Point, k: int, *, skip: int = 0) -> list[tuple[int, float]]:
        """The ``k`` units nearest to ``point`` as (index, great-circle metres), nearest first,
        leaving out the ``skip`` nearest (already seen by a narrower search)."""
        distances, indices = self.nearest_many(np.array([point.lat]), np.array([point.lon]), k)
        return list(zip(indices[0, skip:].tolist(), distances[0, skip:].tolist(), strict=True))

    def query_xyz(self, xyz: FloatArray, k: int) -> tuple[FloatArray, IntArray]:
        """The ``min(k, len)`` units nearest to one 3-D point: (chord metres, indices) arrays,
        nearest first (the same tree query as :meth:`nearest`, without the conversions)."""
        k = min(k, len(self.units))
        if self._tree is None or k <= 0:
            return np.zeros(0, dtype=np.float64), np.zeros(0, dtype=np.intp)
        chord, idx = self._tree.query(xyz, k=k)
        return (
            np.asarray(chord, dtype=np.float64).reshape(k),
            np.asarray(idx, dtype=np.intp).reshape(k),
        )

    def nearest_many(self, lat: FloatArray, lon: FloatArray, k: int) -> tuple[FloatArray, IntArray]:
        """For each query point, its ``min(k, len)`` nearest units: (metres, indices) arrays."""
        k = min(k, len(self.units))
        if self._tree is None or k <= 0:
            shape = (len(lat), 0)
            return np.zeros(shape, dtype=np.float64), np.zeros(shape, dtype=np.intp)
        chord, idx = self._tree.query(to_xyz(lat, lon), k=k)
        distances = np.asarray(chord, dtype=np.float64).reshape(len(lat), k)
        indices = np.asarray(idx, dtype=np.intp).reshape(len(lat), k)
        return chord_to_arc_m(distances), indices

    def tree_over(self, subset: IntArray) -> cKDTree:
        """A k-d tree over some of the units (positions in ``subset`` order); the whole index's
        own tree when the subset is every unit in order."""
        if self._tree is not None and subset.size == len(self.units):
            return self._tree
        return cKDTree(self.xyz[subset])

    def within(self, point: Point, radius_m: float) -> list[tuple[int, float]]:
        """Every unit within ``radius_m`` great-circle metres of ``point``, nearest first."""
        if self._tree is None or radius_m < 0:
            return []
        query = to_xyz(np.array([point.lat]), np.array([point.lon]))[0]
        found = np.asarray(
            self._tree.query_ball_point(query, arc_to_chord_m(radius_m)), dtype=np.intp
        )
        if found.size == 0:
            return []
        chord = np.linalg.norm(self.xyz[found] - query, axis=1)
        arc = chord_to_arc_m(chord)
        order = np.argsort(arc, kind="stable")
        return [(int(found[i]), float(arc[i])) for i in order]


def as_index(fleet: FleetIndex | Sequence[UnitSnapshot]) -> FleetIndex:
    """The index itself, or a new one over a plain list of units."""
    return fleet if isinstance(fleet, FleetIndex) else FleetIndex(fleet)
