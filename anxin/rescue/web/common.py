"""Helpers the rescue pages share: the map edge, distances, ETA, the fallback rule, errors."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import prcoords
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone

from anxin.network.models import City

from ..choices import JobState
from ..models import RescueJob

EARTH_KM = 6371.0088
ROAD_FACTOR = 1.3
FALLBACK_SPEED_KMH = 40.0
# The arrival commitment the customer is promised (SLA-2): 30 min urban, 50 min remote.
ARRIVAL_TARGET = {"urban": dt.timedelta(minutes=30), "remote": dt.timedelta(minutes=50)}
# No unit assigned this long after the call: tell the customer about the public channels.
UNASSIGNED_LIMIT = dt.timedelta(minutes=10)
# States in which the customer still waits for the unit to arrive.
WAITING_STATES = frozenset(
    {
        JobState.CREATED,
        JobState.RETURNED,
        JobState.CHECKED,
        JobState.DISPATCHED,
        JobState.ACCEPTED,
        JobState.EN_ROUTE,
    }
)
# A point farther than this from every city we serve is a typo or at sea, not a rescue.
MAX_CITY_KM = 150.0
URBAN_RADIUS_KM = 30.0


def to_tiles(lat: float, lon: float) -> tuple[float, float]:
    """WGS-84 as stored → the tile set's datum (GCJ-02 for AMap/Tencent, BD-09 for Baidu)."""
    crs = settings.MAP_TILE_CRS
    if crs == "gcj02":
        c = prcoords.wgs_gcj((lat, lon))
        return c.lat, c.lon
    if crs == "bd09":
        c = prcoords.wgs_bd((lat, lon))
        return c.lat, c.lon
    return lat, lon


def from_tiles(lat: float, lon: float, crs: str) -> tuple[float, float]:
    """A point picked on a GCJ-02/BD-09 map back to WGS-84 (the precise inverse)."""
    if crs == "gcj02":
        c = prcoords.gcj_wgs_bored((lat, lon))
        return c.lat, c.lon
    if crs == "bd09":
        c = prcoords.bd_wgs_bored((lat, lon))
        return c.lat, c.lon
    return lat, lon


def map_point(lat: float | None, lon: float | None, **extra: Any) -> dict[str, Any] | None:
    if lat is None or lon is None:
        return None
    y, x = to_tiles(lat, lon)
    return {"lat": lat, "lon": lon, "y": y, "x": x, **extra}


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_KM * math.asin(min(1.0, math.sqrt(h)))


def nearest_city(cities: QuerySet[City], lat: float, lon: float) -> tuple[City | None, float]:
    """The nearest city centre by straight-line distance, and that distance in km."""
    best, best_km = None, math.inf
    # A coarse box first so a national city table is not scanned point by point.
    for margin in (1.5, 4.0, None):
        qs = (
            cities
            if margin is None
            else cities.filter(
                lat__range=(lat - margin, lat + margin), lon__range=(lon - margin, lon + margin)
            )
        )
        for city in qs.only("pk", "lat", "lon", "region_id", "name"):
            km = distance_km(lat, lon, city.lat, city.lon)
            if km < best_km:
                best, best_km = city, km
        if best is not None:
            break
    return best, best_km


def straight_line_eta(job: RescueJob, now: dt.datetime) -> dt.datetime | None:
    """The unit's last position to the job: straight line × road factor at 40 km/h."""
    unit = job.unit
    if unit is None or unit.last_lat is None or unit.last_lon is None:
        return None
    km = distance_km(unit.last_lat, unit.last_lon, job.lat, job.lon) * ROAD_FACTOR
    return now + dt.timedelta(hours=km / FALLBACK_SPEED_KMH)


def expected_arrival(job: RescueJob, now: dt.datetime) -> dt.datetime | None:
    if job.state not in WAITING_STATES or job.unit_id is None:
        return None
    if job.state == JobState.EN_ROUTE:
        # On the road the live position says more than the ETA given at dispatch.
        return straight_line_eta(job, now) or job.eta_at
    return job.eta_at or straight_line_eta(job, now)


def needs_fallback(job: RescueJob, now: dt.datetime) -> bool:
    """DSP-7: no unit can arrive within the commitment, so show 12122 / 122."""
    if job.state not in WAITING_STATES:
        return False
    if job.unit_id is None:
        return now - job.created_at > UNASSIGNED_LIMIT
    eta = expected_arrival(job, now)
    target = ARRIVAL_TARGET.get(job.area, ARRIVAL_TARGET["urban"])
    return eta is not None and eta > job.created_at + target


def need_labels(job: RescueJob) -> str:
    from ..choices import Need

    labels = {value: str(label) for value, label in Need.choices}
    return "、".join(labels.get(n, n) for n in job.needs or [])


def waited(job: RescueJob, now: dt.datetime) -> dt.timedelta:
    return max(dt.timedelta(0), now - job.created_at)


def minutes(delta: dt.timedelta | None) -> int | None:
    return None if delta is None else max(0, round(delta.total_seconds() / 60))


def add_action_errors(form: forms.BaseForm, err: ValidationError) -> None:
    """An action's ValidationError onto the form: by field where the form has it."""
    if hasattr(err, "error_dict"):
        for field, messages in err.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, err.messages)


def now() -> dt.datetime:
    return timezone.now()
