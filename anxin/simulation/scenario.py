"""Scenario files: the simulator's interface (schema in ``docs/simulation.md``).

A scenario is read once, checked completely and turned into frozen values before anything
runs, so a bad file fails at once with the key and the reason instead of minutes into a run.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from anxin.dispatching import Need, Point, UnitKind

#: A unit further than this from every zone's edge is taken for a typing error (lat/lon swapped,
#: another city), not a base just outside the demand area.
REGION_MARGIN_KM = 20.0
EARTH_KM = 6371.0088
DISTRIBUTIONS = {"fixed": ("value",), "exponential": ("mean",), "lognormal": ("mean", "sd")}
AFTER_SERVICE = ("return_to_base", "stay")
KNOWN_NEEDS = (Need.FLATBED, Need.TOWING, Need.HV_CERTIFIED)


class ScenarioError(ValueError):
    """A scenario that cannot be run: ``key`` is the JSON path of the culprit."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"{key}: {reason}")
        self.key = key
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Zone:
    """A demand zone: requests fall uniformly within ``radius_km`` of its centre."""

    id: str
    point: Point
    radius_km: float
    weight: float
    remote: bool


@dataclass(frozen=True, slots=True)
class ServiceTime:
    """On-scene service time (minutes): ``fixed``, ``exponential`` or ``lognormal``."""

    distribution: str
    mean: float
    sd: float = 0.0


@dataclass(frozen=True, slots=True)
class UnitSpec:
    """A rescue unit at its base: its kind, extra equipment, HV crew and shift."""

    id: str
    base: Point
    kind: UnitKind
    capabilities: frozenset[str]
    hv_certified: bool
    shift_start: dt.time | None
    shift_end: dt.time | None


@dataclass(frozen=True, slots=True)
class Scenario:
    """A region's rescue operations for the simulator (SIM-1), checked and immutable."""

    name: str
    seed: int
    days: float
    start_date: dt.date
    requests_per_day: float
    hourly_profile: tuple[float, ...]
    zones: tuple[Zone, ...]
    needs: Mapping[str, float]
    service: ServiceTime
    road_factor: float
    speed_kmh: tuple[float, ...]
    remote_speed_kmh: float
    dispatch_delay_minutes: float
    after_service: str
    units: tuple[UnitSpec, ...]

    def with_units(self, units: tuple[UnitSpec, ...]) -> Scenario:
        """The same scenario with another fleet (fleet sizing)."""
        return _replace(self, units=units)

    def with_days(self, days: float) -> Scenario:
        """The same scenario over another horizon."""
        return _replace(self, days=days)


def _replace(scenario: Scenario, **changes: Any) -> Scenario:
    fields = {name: getattr(scenario, name) for name in Scenario.__slots__}
    fields.update(changes)
    return Scenario(**fields)


def load_scenario(path: str | Path) -> Scenario:
    """Read and check a scenario file."""
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ScenarioError("(file)", f"not valid JSON: {exc}") from exc
    except OSError as exc:
        raise ScenarioError("(file)", f"cannot read {path}: {exc.strerror}") from exc
    return parse_scenario(raw)


class _Reader:
    """Reads one JSON object, remembering its path for messages and refusing unknown keys."""

    def __init__(self, raw: object, path: str, allowed: tuple[str, ...]) -> None:
        if not isinstance(raw, dict):
            raise ScenarioError(path or "(top)", "must be a JSON object")
        for key in raw:
            if key not in allowed:
                raise ScenarioError(
                    _join(path, key), f"unknown key (allowed: {', '.join(allowed)})"
                )
        self.raw: dict[str, Any] = raw
        self.path = path

    def key(self, name: str) -> str:
        return _join(self.path, name)

    def has(self, name: str) -> bool:
        return name in self.raw

    def get(self, name: str, default: Any = None, *, required: bool = False) -> Any:
        if name not in self.raw:
            if required:
                raise ScenarioError(self.key(name), "missing (required)")
            return default
        return self.raw[name]

    def number(
        self,
        name: str,
        default: float | None = None,
        *,
        low: float | None = None,
        strict_low: bool = False,
    ) -> float:
        value = self.get(name, default, required=default is None)
        return _number(value, self.key(name), low=low, strict_low=strict_low)

    def string(self, name: str, default: str | None = None) -> str:
        value = self.get(name, default, required=default is None)
        if not isinstance(value, str) or not value:
            raise ScenarioError(self.key(name), "must be a non-empty string")
        return value


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _number(
    value: object, key: str, *, low: float | None = None, strict_low: bool = False
) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ScenarioError(key, f"must be a finite number, not {value!r}")
    if low is not None and (value <= low if strict_low else value < low):
        raise ScenarioError(key, f"must be {'>' if strict_low else '≥'} {low:g}, not {value!r}")
    return float(value)


def _list(
    value: object, key: str, *, length: int | None = None, nonempty: bool = False
) -> list[Any]:
    if not isinstance(value, list):
        raise ScenarioError(key, "must be a JSON list")
    if length is not None and len(value) != length:
        raise ScenarioError(key, f"must have {length} values, not {len(value)}")
    if nonempty and not value:
        raise ScenarioError(key, "must not be empty")
    return value


def parse_scenario(raw: object) -> Scenario:
    """Check a scenario's JSON value and build the :class:`Scenario`."""
    top = _Reader(
        raw,
        "",
        (
            "name", "seed", "days", "start_date", "demand", "service_minutes", "travel",
            "dispatch_delay_minutes", "after_service", "units",
        ),
    )  # fmt: skip
    seed = top.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ScenarioError("seed", f"must be a whole number ≥ 0, not {seed!r}")
    days = top.number("days", 30.0, low=0.0, strict_low=True)
    if days > 3660:
        raise ScenarioError("days", "at most 3660 days (ten years)")
    start_text = top.string("start_date", "2026-01-05")
    try:
        start_date = dt.date.fromisoformat(start_text)
    except ValueError as exc:
        raise ScenarioError("start_date", f"must be YYYY-MM-DD, not {start_text!r}") from exc
    demand = _Reader(top.get("demand", required=True), "demand", _DEMAND_KEYS)
    zones = _zones(demand)
    service = _service(_Reader(top.get("service_minutes", {}), "service_minutes", _SERVICE_KEYS))
    travel = _Reader(
        top.get("travel", {}), "travel", ("road_factor", "speed_kmh", "remote_speed_kmh")
    )
    road_factor = travel.number("road_factor", 1.3, low=1.0)
    speed = _speeds(travel)
    remote_speed = travel.number("remote_speed_kmh", 60.0, low=0.0, strict_low=True)
    after = top.string("after_service", "return_to_base")
    if after not in AFTER_SERVICE:
        raise ScenarioError("after_service", f"must be one of {', '.join(AFTER_SERVICE)}")
    units = _units(top.get("units", required=True), zones)
    needs = _needs(demand, units)
    return Scenario(
        name=top.string("name", "scenario"),
        seed=seed,
        days=days,
        start_date=start_date,
        requests_per_day=demand.number("requests_per_day", low=0.0, strict_low=True),
        hourly_profile=_profile(demand),
        zones=zones,
        needs=needs,
        service=service,
        road_factor=road_factor,
        speed_kmh=speed,
        remote_speed_kmh=remote_speed,
        dispatch_delay_minutes=top.number("dispatch_delay_minutes", 1.0, low=0.0),
        after_service=after,
        units=units,
    )


_DEMAND_KEYS = ("requests_per_day", "hourly_profile", "zones", "needs")
_SERVICE_KEYS = ("distribution", "mean", "sd", "value")


def _profile(demand: _Reader) -> tuple[float, ...]:
    key = demand.key("hourly_profile")
    values = _list(demand.get("hourly_profile", [1.0] * 24), key, length=24)
    profile = tuple(_number(v, f"{key}[{i}]", low=0.0) for i, v in enumerate(values))
    if sum(profile) <= 0:
        raise ScenarioError(key, "needs at least one hour with a positive weight")
    return profile


def _zones(demand: _Reader) -> tuple[Zone, ...]:
    key = demand.key("zones")
    zones: list[Zone] = []
    seen: set[str] = set()
    for i, item in enumerate(_list(demand.get("zones", required=True), key, nonempty=True)):
        zone = _Reader(item, f"{key}[{i}]", ("id", "lat", "lon", "radius_km", "weight", "remote"))
        zone_id = zone.string("id")
        if zone_id in seen:
            raise ScenarioError(zone.key("id"), f"duplicate zone id {zone_id!r}")
        seen.add(zone_id)
        remote = zone.get("remote", False)
        if not isinstance(remote, bool):
            raise ScenarioError(zone.key("remote"), "must be true or false")
        zones.append(
            Zone(
                id=zone_id,
                point=_point(zone),
                radius_km=zone.number("radius_km", 3.0, low=0.0),
                weight=zone.number("weight", low=0.0, strict_low=True),
                remote=remote,
            )
        )
    return tuple(zones)


def _point(reader: _Reader) -> Point:
    lat = reader.number("lat", low=-90.0)
    lon = reader.number("lon", low=-180.0)
    if lat > 90.0:
        raise ScenarioError(reader.key("lat"), f"must be ≤ 90, not {lat:g}")
    if lon > 180.0:
        raise ScenarioError(reader.key("lon"), f"must be ≤ 180, not {lon:g}")
    return Point(lat, lon)


def _service(reader: _Reader) -> ServiceTime:
    name = reader.string("distribution", "lognormal")
    if name not in DISTRIBUTIONS:
        raise ScenarioError(
            reader.key("distribution"), f"must be one of {', '.join(DISTRIBUTIONS)}"
        )
    for key in reader.raw:
        if key != "distribution" and key not in DISTRIBUTIONS[name]:
            raise ScenarioError(reader.key(key), f"does not apply to the {name} distribution")
    if name == "fixed":
        return ServiceTime("fixed", reader.number("value", 35.0, low=0.0, strict_low=True))
    mean = reader.number("mean", 35.0, low=0.0, strict_low=True)
    if name == "exponential":
        return ServiceTime("exponential", mean)
    return ServiceTime("lognormal", mean, reader.number("sd", 15.0, low=0.0, strict_low=True))


def _speeds(travel: _Reader) -> tuple[float, ...]:
    key = travel.key("speed_kmh")
    value = travel.get("speed_kmh", 40.0)
    if isinstance(value, list):
        values = _list(value, key, length=24)
        return tuple(
            _number(v, f"{key}[{i}]", low=0.0, strict_low=True) for i, v in enumerate(values)
        )
    return (_number(value, key, low=0.0, strict_low=True),) * 24


def _shift(text: object, key: str) -> tuple[dt.time | None, dt.time | None]:
    if not isinstance(text, str) or text.count("-") != 1:
        raise ScenarioError(key, f"must look like 'HH:MM-HH:MM', not {text!r}")
    start_text, end_text = text.split("-")
    times: list[dt.time] = []
    for part in (start_text, end_text):
        if part.strip() == "24:00":
            times.append(dt.time(0, 0))
            continue
        try:
            times.append(dt.time.fromisoformat(part.strip()))
        except ValueError as exc:
            raise ScenarioError(key, f"{part!r} is not a time HH:MM") from exc
    if times[0] == times[1]:
        return None, None  # round the clock, as the dispatch rules read equal times
    return times[0], times[1]


def _units(raw: object, zones: tuple[Zone, ...]) -> tuple[UnitSpec, ...]:
    units: list[UnitSpec] = []
    seen: set[str] = set()
    for i, item in enumerate(_list(raw, "units", nonempty=True)):
        unit = _Reader(item, f"units[{i}]", ("id", "lat", "lon", "kinds", "hv_certified", "shift"))
        unit_id = unit.string("id")
        if unit_id in seen:
            raise ScenarioError(unit.key("id"), f"duplicate unit id {unit_id!r}")
        seen.add(unit_id)
        base = _point(unit)
        kinds = _list(unit.get("kinds", ["tow_truck"]), unit.key("kinds"), nonempty=True)
        if not all(isinstance(k, str) for k in kinds):
            raise ScenarioError(unit.key("kinds"), "must be a list of strings")
        vehicle = [k for k in kinds if k in UnitKind.__members__.values()]
        if len(vehicle) != 1:
            allowed = ", ".join(k.value for k in UnitKind)
            raise ScenarioError(
                unit.key("kinds"), f"must name exactly one vehicle kind ({allowed})"
            )
        hv = unit.get("hv_certified", False)
        if not isinstance(hv, bool):
            raise ScenarioError(unit.key("hv_certified"), "must be true or false")
        start, end = _shift(unit.get("shift", "00:00-24:00"), unit.key("shift"))
        if not any(_km(base, z.point) <= z.radius_km + REGION_MARGIN_KM for z in zones):
            raise ScenarioError(
                unit.key("lat"),
                f"the unit at ({base.lat:g}, {base.lon:g}) lies more than {REGION_MARGIN_KM:g} km "
                "outside every demand zone (lat/lon swapped, or another region?)",
            )
        units.append(
            UnitSpec(
                id=unit_id,
                base=base,
                kind=UnitKind(vehicle[0]),
                capabilities=frozenset(k for k in kinds if k != vehicle[0]),
                hv_certified=hv,
                shift_start=start,
                shift_end=end,
            )
        )
    return tuple(units)


def _needs(demand: _Reader, units: tuple[UnitSpec, ...]) -> dict[str, float]:
    key = demand.key("needs")
    reader = _Reader(demand.get("needs", {}), key, KNOWN_NEEDS)
    needs: dict[str, float] = {}
    can: dict[str, Callable[[UnitSpec], bool]] = {
        Need.FLATBED: lambda u: u.kind is UnitKind.FLATBED,
        Need.TOWING: lambda u: u.kind in (UnitKind.FLATBED, UnitKind.TOW_TRUCK),
        Need.HV_CERTIFIED: lambda u: u.hv_certified,
    }
    for name in KNOWN_NEEDS:
        if not reader.has(name):
            continue
        share = reader.number(name, low=0.0)
        if share > 1.0:
            raise ScenarioError(
                reader.key(name), f"is a share of requests, at most 1, not {share:g}"
            )
        # Requests no unit could ever serve would wait for ever: refuse the fleet now.
        if share > 0 and not any(can[name](u) for u in units):
            raise ScenarioError(reader.key(name), f"{share:g} of requests need it but no unit can")
        needs[name] = share
    # Needs are drawn independently, so some requests carry every positive need at once.
    wanted = [name for name, share in needs.items() if share > 0]
    if len(wanted) > 1 and not any(all(can[n](u) for n in wanted) for u in units):
        raise ScenarioError(key, f"some requests need {' + '.join(wanted)} but no unit has all")
    return needs


def _km(a: Point, b: Point) -> float:
    p1, p2 = math.radians(a.lat), math.radians(b.lat)
    dp, dl = p2 - p1, math.radians(b.lon - a.lon)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_KM * math.asin(min(1.0, math.sqrt(h)))


def scenario_to_json(scenario: Scenario) -> dict[str, Any]:
    """The scenario back as its JSON value (used by ``export`` and ``size``)."""

    def hhmm(t: dt.time | None, default: str) -> str:
        return default if t is None else t.strftime("%H:%M")

    service: dict[str, Any] = {"distribution": scenario.service.distribution}
    if scenario.service.distribution == "fixed":
        service["value"] = scenario.service.mean
    else:
        service["mean"] = scenario.service.mean
    if scenario.service.distribution == "lognormal":
        service["sd"] = scenario.service.sd
    speeds = scenario.speed_kmh
    return {
        "name": scenario.name,
        "seed": scenario.seed,
        "days": scenario.days,
        "start_date": scenario.start_date.isoformat(),
        "demand": {
            "requests_per_day": scenario.requests_per_day,
            "hourly_profile": list(scenario.hourly_profile),
            "zones": [
                {
                    "id": z.id,
                    "lat": z.point.lat,
                    "lon": z.point.lon,
                    "radius_km": z.radius_km,
                    "weight": z.weight,
                    "remote": z.remote,
                }
                for z in scenario.zones
            ],  # fmt: skip
            "needs": dict(scenario.needs),
        },
        "service_minutes": service,
        "travel": {
            "road_factor": scenario.road_factor,
            "speed_kmh": speeds[0] if len(set(speeds)) == 1 else list(speeds),
            "remote_speed_kmh": scenario.remote_speed_kmh,
        },
        "dispatch_delay_minutes": scenario.dispatch_delay_minutes,
        "after_service": scenario.after_service,
        "units": [
            {
                "id": u.id,
                "lat": u.base.lat,
                "lon": u.base.lon,
                "kinds": [u.kind.value, *sorted(u.capabilities)],
                "hv_certified": u.hv_certified,
                "shift": f"{hhmm(u.shift_start, '00:00')}-{hhmm(u.shift_end, '24:00')}",
            }
            for u in scenario.units
        ],  # fmt: skip
    }
