"""The dispatch engine's innermost arithmetic, compiled (numba, ``cache=True``).

Each function here is the one implementation of its step: production code calls it from
Python (:class:`~.travel.HaversineModel` for a single trip, :class:`~.live.LiveFleet` for the
nearest idle unit and the shift rule), and the simulator's compiled event loop
(:mod:`anxin.simulation.fastloop`) calls the very same functions, so the simulated desk and the
production desk cannot drift apart (``docs/adr/0006-compiled-dispatch-kernels.md``).

Only plain numbers and numpy arrays cross this boundary; no Django, no objects.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit
from numpy.typing import NDArray

BoolArray = NDArray[np.bool_]
FloatArray = NDArray[np.float64]
Int64Array = NDArray[np.int64]

#: Mean Earth radius (m), IUGG.
EARTH_RADIUS_M = 6_371_008.8
_RADIANS = math.pi / 180.0
_HALF_RADIANS = math.pi / 360.0
_DAY_S = 86_400
_MICRO = 1_000_000


@njit(cache=True)
def sphere_xyz(lat: float, lon: float) -> tuple[float, float, float]:
    """A point (degrees) on the sphere of the Earth's radius, as 3-D metres."""
    phi, lmb = lat * _RADIANS, lon * _RADIANS
    cos_phi = math.cos(phi)
    return (
        cos_phi * math.cos(lmb) * EARTH_RADIUS_M,
        cos_phi * math.sin(lmb) * EARTH_RADIUS_M,
        math.sin(phi) * EARTH_RADIUS_M,
    )


@njit(cache=True)
def great_circle_metres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine) between two points in degrees, in metres."""
    p1, p2 = lat1 * _RADIANS, lat2 * _RADIANS
    half_dphi = math.sin((p2 - p1) / 2.0)
    half_dlmb = math.sin((lon2 - lon1) * _HALF_RADIANS)
    h = half_dphi * half_dphi + math.cos(p1) * math.cos(p2) * (half_dlmb * half_dlmb)
    return 2.0 * EARTH_RADIUS_M * math.asin(math.sqrt(min(max(h, 0.0), 1.0)))


@njit(cache=True)
def drive_seconds(
    lat1: float,
    lon1: float,
    lat2: float,
    lon2: float,
    depart_epoch: float,
    offset_s: float,
    road_factor: float,
    urban_speed_ms: FloatArray,
    remote_speed_ms: float,
    remote: bool,
) -> float:
    """One trip's driving time (s): great circle × road factor at the speed of the local hour
    of departure (``offset_s``: the zone's UTC offset then), or the remote speed."""
    metres = great_circle_metres(lat1, lon1, lat2, lon2)
    if remote:
        return metres * road_factor / remote_speed_ms
    hour = int((depart_epoch + offset_s) // 3600.0) % 24
    return metres * road_factor / float(urban_speed_ms[hour])


@njit(cache=True)
def epoch_microseconds(epoch: float) -> int:
    """Epoch seconds as whole microseconds, rounded as ``datetime.fromtimestamp`` rounds
    (half to even): ``fromtimestamp(epoch, UTC).timestamp()`` is this over 10⁶."""
    whole = math.floor(epoch) if epoch >= 0.0 else math.ceil(epoch)  # modf's integer part
    micro = np.rint((epoch - whole) * 1e6)
    seconds = int(whole)
    if micro >= 1e6:
        micro -= 1e6
        seconds += 1
    elif micro < 0.0:
        micro += 1e6
        seconds -= 1
    return seconds * _MICRO + int(micro)


@njit(cache=True)
def local_time_of_day_us(epoch: float, offset_s: int) -> int:
    """Microseconds since local midnight of epoch seconds in a zone ``offset_s`` from UTC
    (the local time of ``datetime.fromtimestamp(epoch, zone)``)."""
    result: int = (epoch_microseconds(epoch) + offset_s * _MICRO) % (_DAY_S * _MICRO)
    return result


@njit(cache=True)
def on_shift_one(start_us: int, end_us: int, at_us: int) -> bool:
    """Whether a local time of day falls in a shift ``[start, end)`` (crossing midnight when
    the end is not after the start); a round-the-clock unit is not asked."""
    if start_us < end_us:
        return start_us <= at_us < end_us
    return at_us >= start_us or at_us < end_us


@njit(cache=True)
def on_shift_into(
    ok: BoolArray, round_clock: BoolArray, start_us: Int64Array, end_us: Int64Array,
    at_us: Int64Array,
) -> None:  # fmt: skip
    """``ok[i]``: whether unit ``i`` is on shift at its own ``at_us[i]``."""
    for i in range(ok.shape[0]):
        ok[i] = round_clock[i] or on_shift_one(start_us[i], end_us[i], at_us[i])


@njit(cache=True)
def nearest_row(
    xyz: FloatArray,
    blocked: BoolArray,
    hx: float,
    hy: float,
    hz: float,
    since: Int64Array,
    slack: float,
) -> int:
    """The row of ``xyz`` (points on the sphere) not ``blocked`` nearest to ``(hx, hy, hz)``,
    or -1. The largest dot product is the shortest chord; rows within ``slack`` (m²) of the
    largest are measured again by the chord, and of equally near ones the least ``since``
    (longest idle) wins."""
    n = xyz.shape[0]
    best, found = -math.inf, -1
    for i in range(n):
        if blocked[i]:
            continue
        d = xyz[i, 0] * hx + xyz[i, 1] * hy + xyz[i, 2] * hz
        if d > best:
            best, found = d, i
    if found < 0:
        return -1
    floor = best - slack
    chosen, chord, order = found, math.inf, since[found]
    for i in range(n):
        if blocked[i]:
            continue
        if xyz[i, 0] * hx + xyz[i, 1] * hy + xyz[i, 2] * hz < floor:
            continue
        dx, dy, dz = xyz[i, 0] - hx, xyz[i, 1] - hy, xyz[i, 2] - hz
        c = dx * dx + dy * dy + dz * dz
        if c < chord or (c == chord and since[i] < order):
            chosen, chord, order = i, c, since[i]
    return chosen
