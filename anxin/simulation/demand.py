"""Demand: the rescue requests of one replication, drawn up front as arrays.

Everything random about a request (when, where, what it needs, how long the job takes on
scene) is drawn here from streams seeded by (scenario seed, replication), before any policy
runs. Every policy and fleet therefore sees exactly the same requests: common random numbers,
which is what makes policy and fleet comparisons sharp with few replications.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .scenario import EARTH_KM, KNOWN_NEEDS, Scenario, ServiceTime

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class Demand:
    """The requests of one replication, in arrival order (times in seconds from the start)."""

    t: FloatArray
    lat: FloatArray
    lon: FloatArray
    zone: IntArray
    remote: BoolArray
    needs: dict[str, BoolArray]
    service_s: FloatArray

    def __len__(self) -> int:
        return int(self.t.size)


def _streams(scenario: Scenario, replication: int) -> list[np.random.Generator]:
    # One independent stream per purpose: a change in how points are drawn must not shift the
    # service times, or common random numbers would silently break between versions.
    seq = np.random.SeedSequence([scenario.seed, replication])
    return [np.random.default_rng(s) for s in seq.spawn(5)]


def arrival_times(scenario: Scenario, rng: np.random.Generator) -> FloatArray:
    """A Poisson process whose rate follows the hourly profile (local hour, constant within)."""
    profile = np.asarray(scenario.hourly_profile, dtype=np.float64)
    per_hour = scenario.requests_per_day * profile / profile.sum()
    horizon_h = scenario.days * 24.0
    n_slots = math.ceil(horizon_h)
    slot_len = np.minimum(1.0, horizon_h - np.arange(n_slots))  # the last hour may be partial
    rates = per_hour[np.arange(n_slots) % 24] * slot_len
    counts = rng.poisson(rates)
    starts = np.repeat(np.arange(n_slots, dtype=np.float64), counts)
    lengths = np.repeat(slot_len, counts)
    times = (starts + rng.random(starts.size) * lengths) * 3600.0
    times.sort()
    result: FloatArray = times
    return result


def service_seconds(service: ServiceTime, n: int, rng: np.random.Generator) -> FloatArray:
    """On-scene service times (seconds) from the scenario's distribution."""
    if service.distribution == "fixed":
        minutes = np.full(n, service.mean)
    elif service.distribution == "exponential":
        minutes = rng.exponential(service.mean, n)
    else:
        sigma2 = math.log1p((service.sd / service.mean) ** 2)
        mu = math.log(service.mean) - sigma2 / 2.0
        minutes = rng.lognormal(mu, math.sqrt(sigma2), n)
    seconds: FloatArray = minutes * 60.0
    return seconds


def draw_demand(scenario: Scenario, replication: int = 0) -> Demand:
    """The requests of replication ``replication`` of ``scenario``."""
    arrivals_rng, zone_rng, point_rng, needs_rng, service_rng = _streams(scenario, replication)
    t = arrival_times(scenario, arrivals_rng)
    n = t.size
    weights = np.array([z.weight for z in scenario.zones], dtype=np.float64)
    zone = zone_rng.choice(len(scenario.zones), size=n, p=weights / weights.sum()).astype(np.intp)
    c_lat = np.array([z.point.lat for z in scenario.zones])[zone]
    c_lon = np.array([z.point.lon for z in scenario.zones])[zone]
    radius = np.array([z.radius_km for z in scenario.zones])[zone]
    # Uniform over the disc: the radius goes as the square root of a uniform draw.
    r_km = radius * np.sqrt(point_rng.random(n))
    theta = point_rng.random(n) * 2.0 * math.pi
    deg_km = math.pi * EARTH_KM / 180.0
    lat = np.clip(c_lat + r_km * np.sin(theta) / deg_km, -89.9, 89.9)
    lon = c_lon + r_km * np.cos(theta) / (deg_km * np.cos(np.radians(c_lat)))
    draws = needs_rng.random((n, len(KNOWN_NEEDS)))
    needs = {
        name: draws[:, i] < scenario.needs.get(name, 0.0) for i, name in enumerate(KNOWN_NEEDS)
    }
    remote = np.array([z.remote for z in scenario.zones], dtype=np.bool_)[zone]
    service = service_seconds(scenario.service, n, service_rng)
    return Demand(t, lat, lon, zone, remote, needs, service)
