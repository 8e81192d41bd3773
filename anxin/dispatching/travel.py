"""Travel time: how long a unit takes to drive to a request (ETA, not straight-line distance).

:class:`TravelTimeProvider` is what the engine needs. :class:`HaversineModel` is the default
model (great-circle distance times a road factor, speed by hour of day and area) and works
offline; :class:`OsrmTableProvider` asks a road-routing service (OSRM's table API) and falls
back to the model when the service fails or has no route.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray

from . import kernels
from .domain import Area, Point

EARTH_RADIUS_M = kernels.EARTH_RADIUS_M
SHANGHAI = ZoneInfo("Asia/Shanghai")

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

#: Urban speed (km/h) by local hour: free-flowing at night, dips in the morning and evening peaks.
DEFAULT_URBAN_SPEED_KMH: tuple[float, ...] = (
    45, 45, 45, 45, 45, 42,  # 00-05: empty roads
    35, 22, 20, 26, 30, 30,  # 06-11: morning peak 07-09
    30, 30, 30, 30, 27, 20,  # 12-17: evening peak starts
    20, 24, 30, 35, 40, 42,  # 18-23
)  # fmt: skip


class TravelTimeProvider(Protocol):
    """Driving times in seconds from each origin to each destination, leaving at ``depart_at``.

    ``areas`` (one per destination) lets a provider use the request's own urban/remote flag;
    providers that know the road network may ignore it.
    """

    def durations(
        self,
        origins: Sequence[Point],
        destinations: Sequence[Point],
        depart_at: dt.datetime,
        *,
        areas: Sequence[Area] | None = None,
    ) -> list[list[float]]: ...


@runtime_checkable
class PairwiseTravel(Protocol):
    """A provider that can also time many (origin, destination) pairs at once, element-wise.

    Joint assignment times thousands of scattered pairs; a vectorised provider does it in one
    call instead of one matrix per request. Departure times are epoch seconds, one per pair.
    """

    def pairwise_seconds(
        self,
        origin_lat: FloatArray,
        origin_lon: FloatArray,
        dest_lat: FloatArray,
        dest_lon: FloatArray,
        depart_epoch: FloatArray,
        remote: BoolArray,
    ) -> FloatArray: ...


def great_circle_m(
    lat1: FloatArray, lon1: FloatArray, lat2: FloatArray, lon2: FloatArray
) -> FloatArray:
    """Great-circle distance in metres (haversine), element-wise with broadcasting."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dlmb = np.radians(lon2) - np.radians(lon1)
    h = np.sin(dphi / 2.0) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2.0) ** 2
    result: FloatArray = 2.0 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
    return result


class HaversineModel:
    """The default travel-time model: road distance ≈ great-circle × ``road_factor``.

    Urban trips use ``urban_speed_kmh[hour]`` (24 values, local hour of departure in ``tz``);
    remote trips use ``remote_speed_kmh``. A destination's area comes from the ``areas``
    argument when given, else from ``area_of(point)``, else it is urban.
    """

    def __init__(
        self,
        *,
        road_factor: float = 1.3,
        urban_speed_kmh: Sequence[float] = DEFAULT_URBAN_SPEED_KMH,
        remote_speed_kmh: float = 60.0,
        area_of: Callable[[Point], Area] | None = None,
        tz: dt.tzinfo = SHANGHAI,
    ) -> None:
        if len(urban_speed_kmh) != 24:
            raise ValueError("urban_speed_kmh needs one speed per hour of the day (24 values)")
        if road_factor < 1.0 or remote_speed_kmh <= 0 or min(urban_speed_kmh) <= 0:
            raise ValueError("road factor must be at least 1 and speeds positive")
        self.road_factor = road_factor
        self.urban_speed_ms: FloatArray = np.asarray(urban_speed_kmh, dtype=np.float64) / 3.6
        self.remote_speed_ms = remote_speed_kmh / 3.6
        self.area_of = area_of
        self.tz = tz
        # A fixed-offset zone (the simulator's): no datetime needed to find the local hour.
        fixed = tz.utcoffset(None) if isinstance(tz, dt.timezone) else None
        self._fixed_offset_s = None if fixed is None else fixed.total_seconds()

    def durations(
        self,
        origins: Sequence[Point],
        destinations: Sequence[Point],
        depart_at: dt.datetime,
        *,
        areas: Sequence[Area] | None = None,
    ) -> list[list[float]]:
        if not origins or not destinations:
            return [[] for _ in origins]
        remote = self._remote(destinations, areas)
        o_lat = np.array([p.lat for p in origins])[:, None]
        o_lon = np.array([p.lon for p in origins])[:, None]
        d_lat = np.array([p.lat for p in destinations])[None, :]
        d_lon = np.array([p.lon for p in destinations])[None, :]
        epoch = np.full((1, 1), depart_at.timestamp())
        seconds = self.pairwise_seconds(o_lat, o_lon, d_lat, d_lon, epoch, remote[None, :])
        result: list[list[float]] = seconds.tolist()
        return result

    def pairwise_seconds(
        self,
        origin_lat: FloatArray,
        origin_lon: FloatArray,
        dest_lat: FloatArray,
        dest_lon: FloatArray,
        depart_epoch: FloatArray,
        remote: BoolArray,
    ) -> FloatArray:
        metres = great_circle_m(origin_lat, origin_lon, dest_lat, dest_lon) * self.road_factor
        speed = np.where(
            remote, self.remote_speed_ms, self.urban_speed_ms[self._hours(depart_epoch)]
        )
        result: FloatArray = metres / speed
        return result

    def seconds(
        self, origin: Point, destination: Point, depart_epoch: float, *, remote: bool = False
    ) -> float:
        """One trip's driving time (s), by the same formula as :meth:`pairwise_seconds`, in
        plain floats: a single trip (a simulated return to base, the one unit a policy chose)
        costs a few microseconds instead of a round of numpy calls on one-element arrays."""
        return self.seconds_between(
            origin.lat, origin.lon, destination.lat, destination.lon, depart_epoch, remote=remote
        )

    def seconds_between(
        self,
        origin_lat: float,
        origin_lon: float,
        dest_lat: float,
        dest_lon: float,
        depart_epoch: float,
        *,
        remote: bool = False,
    ) -> float:
        """:meth:`seconds` from bare coordinates (degrees): the compiled
        :func:`~.kernels.drive_seconds`, which the simulator's loop calls too."""
        fixed = self._fixed_offset_s
        offset = fixed if fixed is not None else self._offset_s(depart_epoch)
        seconds: float = kernels.drive_seconds(
            origin_lat, origin_lon, dest_lat, dest_lon, depart_epoch, offset,
            self.road_factor, self.urban_speed_ms, self.remote_speed_ms, remote,
        )  # fmt: skip
        return seconds

    def _offset_s(self, epoch: float) -> float:
        if self._fixed_offset_s is not None:
            return self._fixed_offset_s
        moment = dt.datetime.fromtimestamp(epoch, dt.UTC).astimezone(self.tz)
        return (moment.utcoffset() or dt.timedelta(0)).total_seconds()

    def _hours(self, epoch: FloatArray) -> NDArray[np.intp]:
        # One UTC offset for the batch: Asia/Shanghai has had no daylight saving since 1991,
        # and elsewhere a batch spans seconds to hours, not a clock change.
        first = dt.datetime.fromtimestamp(float(np.min(epoch)), dt.UTC).astimezone(self.tz)
        offset = first.utcoffset() or dt.timedelta(0)
        hours: NDArray[np.intp] = ((epoch + offset.total_seconds()) // 3600).astype(np.intp) % 24
        return hours

    def _remote(self, destinations: Sequence[Point], areas: Sequence[Area] | None) -> BoolArray:
        if areas is not None:
            if len(areas) != len(destinations):
                raise ValueError("areas needs one value per destination")
            return np.array([Area(a) is Area.REMOTE for a in areas], dtype=np.bool_)
        if self.area_of is not None:
            return np.array(
                [Area(self.area_of(p)) is Area.REMOTE for p in destinations], dtype=np.bool_
            )
        return np.zeros(len(destinations), dtype=np.bool_)


class OsrmTableProvider:
    """Driving times from an OSRM server's table service, with a model as the safety net.

    OSRM takes ``lon,lat`` pairs. A request that fails (network error, timeout, HTTP error,
    an answer other than ``Ok``) is answered wholly by ``fallback``; a cell OSRM leaves null
    (no route found) is filled from ``fallback`` alone. Tables larger than the server's
    ``max_locations`` (OSRM's ``--max-table-size``, 100 by default) are asked in blocks.
    """

    def __init__(
        self,
        base_url: str,
        *,
        profile: str = "driving",
        timeout: float = 2.0,
        fallback: TravelTimeProvider | None = None,
        max_locations: int = 100,
    ) -> None:
        if max_locations < 2:
            raise ValueError("max_locations must allow at least one origin and one destination")
        self.base_url = base_url.rstrip("/")
        self.profile = profile
        self.timeout = timeout
        self.fallback: TravelTimeProvider = fallback if fallback is not None else HaversineModel()
        self.max_locations = max_locations
        #: How many table calls failed and were answered by the fallback (for monitoring).
        self.fallback_calls = 0

    def durations(
        self,
        origins: Sequence[Point],
        destinations: Sequence[Point],
        depart_at: dt.datetime,
        *,
        areas: Sequence[Area] | None = None,
    ) -> list[list[float]]:
        result: list[list[float]] = [[0.0] * len(destinations) for _ in origins]
        if not origins or not destinations:
            return result
        o_step, d_step = _block_sizes(len(origins), len(destinations), self.max_locations)
        for i in range(0, len(origins), o_step):
            for j in range(0, len(destinations), d_step):
                o_block = origins[i : i + o_step]
                d_block = destinations[j : j + d_step]
                a_block = areas[j : j + d_step] if areas is not None else None
                block = self._block(o_block, d_block, depart_at, a_block)
                for di, row in enumerate(block):
                    result[i + di][j : j + len(row)] = row
        return result

    def _block(
        self,
        origins: Sequence[Point],
        destinations: Sequence[Point],
        depart_at: dt.datetime,
        areas: Sequence[Area] | None,
    ) -> list[list[float]]:
        table = self._fetch(origins, destinations)
        if table is None:
            self.fallback_calls += 1
            return self.fallback.durations(origins, destinations, depart_at, areas=areas)
        fallback: list[list[float]] | None = None
        rows: list[list[float]] = []
        for i, row in enumerate(table):
            out: list[float] = []
            for j, cell in enumerate(row):
                if cell is None:
                    if fallback is None:
                        fallback = self.fallback.durations(
                            origins, destinations, depart_at, areas=areas
                        )
                    out.append(fallback[i][j])
                else:
                    out.append(float(cell))
            rows.append(out)
        return rows

    def table_url(self, origins: Sequence[Point], destinations: Sequence[Point]) -> str:
        """The table-service URL for these origins (sources) and destinations."""
        coords = ";".join(f"{p.lon:.6f},{p.lat:.6f}" for p in [*origins, *destinations])
        sources = ";".join(str(i) for i in range(len(origins)))
        dests = ";".join(str(len(origins) + j) for j in range(len(destinations)))
        return (
            f"{self.base_url}/table/v1/{self.profile}/{coords}"
            f"?sources={sources}&destinations={dests}&annotations=duration"
        )

    def _fetch(
        self, origins: Sequence[Point], destinations: Sequence[Point]
    ) -> list[list[float | None]] | None:
        url = self.table_url(origins, destinations)
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as response:  # noqa: S310
                payload = json.loads(response.read().decode("utf-8"))
        except (urllib.error.URLError, TimeoutError, OSError, ValueError):
            return None
        if not isinstance(payload, dict) or payload.get("code") != "Ok":
            return None
        table = payload.get("durations")
        if not _table_shape_ok(table, len(origins), len(destinations)):
            return None
        checked: list[list[float | None]] = table  # type: ignore[assignment]  # shape checked above
        return checked


def _block_sizes(n_origins: int, n_destinations: int, limit: int) -> tuple[int, int]:
    """How many origins and destinations to send per call so each call has at most ``limit``."""
    if n_origins + n_destinations <= limit:
        return n_origins, n_destinations
    half = limit // 2
    if n_origins <= half:
        return n_origins, limit - n_origins
    if n_destinations <= half:
        return limit - n_destinations, n_destinations
    return half, limit - half


def _table_shape_ok(table: object, rows: int, cols: int) -> bool:
    if not isinstance(table, list) or len(table) != rows:
        return False
    for row in table:
        if not isinstance(row, list) or len(row) != cols:
            return False
        for cell in row:
            if cell is not None and (
                not isinstance(cell, int | float)
                or isinstance(cell, bool)
                or not math.isfinite(cell)
            ):
                return False
    return True
