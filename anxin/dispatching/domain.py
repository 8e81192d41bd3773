"""The dispatch engine's vocabulary: rescue requests, rescue units and their crews, proposals.

Everything here is a frozen value: the Django apps (and the simulator) build these snapshots from
their own rows or state, hand them to the engine and get proposals and assignments back. Nothing
here knows about a database, a clock or a map service.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import NamedTuple, TypeAlias

from .explain import Reason

#: A request's or unit's identifier: the Django primary key, or the simulator's own number.
Id: TypeAlias = int | str


class Area(StrEnum):
    """Where a request is: the commitment (30 min urban, 50 min remote) and the speeds differ."""

    URBAN = "urban"
    REMOTE = "remote"


class UnitKind(StrEnum):
    """The three kinds of rescue vehicle (救援车辆, NET-2)."""

    TOW_TRUCK = "tow_truck"
    FLATBED = "flatbed"
    SERVICE_VAN = "service_van"


class UnitStatus(StrEnum):
    """A rescue unit's operational status as the dispatch desk sees it."""

    AVAILABLE = "available"
    ASSIGNED = "assigned"
    BUSY = "busy"
    RETURNING = "returning"
    OFF_DUTY = "off_duty"
    MAINTENANCE = "maintenance"


class DailyCheck(StrEnum):
    """Today's pre-work check (设备状态表, AST-2) filled by the crew."""

    PASSED = "passed"
    FAILED = "failed"
    MISSING = "missing"


class Powertrain(StrEnum):
    """The stranded vehicle's powertrain (NET-4): hybrids and EVs are carried, never dragged."""

    ICE = "ice"
    HEV = "hev"
    BEV = "bev"


class Need:
    """Names of the needs a request can carry (the dispatch desk's need check, DSP-2)."""

    FLATBED = "flatbed"
    TOWING = "towing"
    HV_CERTIFIED = "hv_certified"


class Skill:
    """Certification names held by crew members (PPL-1)."""

    EV_HV = "ev_hv"


#: Faults on the high-voltage system: the crew needs an HV-certified member (PPL-3).
HV_FAULTS: frozenset[str] = frozenset(
    {"hv_battery", "hv_isolation", "hv_interlock", "ev_no_start", "charging_system", "ev_thermal"}
)


@dataclass(frozen=True, slots=True)
class Point:
    """A WGS-84 position (the stored datum; GCJ-02 and BD-09 are converted only at the map edge)."""

    lat: float
    lon: float

    def __post_init__(self) -> None:
        if not (-90.0 <= self.lat <= 90.0) or not (-180.0 <= self.lon <= 180.0):
            raise ValueError(f"coordinates out of range: lat={self.lat}, lon={self.lon}")


@dataclass(frozen=True, slots=True)
class RescueRequest:
    """A waiting rescue request (救援请求): where, what is wrong, what it needs, how urgent.

    ``priority`` is 0 for a normal request; each step up (1 urgent, 2 emergency such as a
    highway accident) counts the request's waiting time once more in joint assignment.
    """

    id: Id
    point: Point
    fault: str
    needs: frozenset[str] = frozenset()
    priority: int = 0
    area: Area = Area.URBAN
    created_at: dt.datetime | None = None
    powertrain: Powertrain = Powertrain.ICE

    def __post_init__(self) -> None:
        # Coerce plain strings from the database or the simulator, refusing unknown values
        # (values already of the right type are kept: the simulator builds ~10⁵ of these).
        if type(self.area) is not Area:
            object.__setattr__(self, "area", Area(self.area))
        if type(self.powertrain) is not Powertrain:
            object.__setattr__(self, "powertrain", Powertrain(self.powertrain))
        if type(self.needs) is not frozenset:
            object.__setattr__(self, "needs", frozenset(self.needs))
        if self.created_at is not None and self.created_at.utcoffset() is None:
            raise ValueError("created_at must be an aware datetime")
        if self.priority < 0:
            raise ValueError("priority must be 0 or more")

    @property
    def needs_hv_crew(self) -> bool:
        """Whether the crew must hold a valid HV certificate (an HV fault, or asked for)."""
        return Need.HV_CERTIFIED in self.needs or self.fault in HV_FAULTS

    @property
    def weight(self) -> float:
        """The request's weight in joint assignment: normal 1, urgent 2, emergency 3."""
        return 1.0 + float(self.priority)


@dataclass(frozen=True, slots=True)
class CrewMember:
    """A rescue driver or technician on a unit, with each certification's expiry date."""

    id: Id
    certifications: Mapping[str, dt.date] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        # A read-only copy: a snapshot must not change under the engine's feet.
        object.__setattr__(self, "certifications", MappingProxyType(dict(self.certifications)))

    def certified(self, skill: str, on: dt.date) -> bool:
        """Whether the certificate for ``skill`` is held and still valid on day ``on``."""
        expiry = self.certifications.get(skill)
        return expiry is not None and on <= expiry


@dataclass(frozen=True, slots=True)
class UnitSnapshot:
    """A rescue unit (tow truck, flatbed or service van) with its crew, as it is right now.

    ``shift_start``/``shift_end`` are local wall-clock times; a shift ending before it starts
    crosses midnight, and equal times (or ``None``) mean round the clock. A busy unit tells
    when it expects to finish its job (``busy_until``) and where it will be then
    (``busy_point``: the job's location, or the outlet it is towing to).
    """

    id: Id
    point: Point
    kind: UnitKind
    capabilities: frozenset[str] = frozenset()
    status: UnitStatus = UnitStatus.AVAILABLE
    crew: tuple[CrewMember, ...] = ()
    daily_check: DailyCheck = DailyCheck.PASSED
    shift_start: dt.time | None = None
    shift_end: dt.time | None = None
    busy_until: dt.datetime | None = None
    busy_point: Point | None = None
    jobs_today: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", UnitKind(self.kind))
        object.__setattr__(self, "status", UnitStatus(self.status))
        object.__setattr__(self, "daily_check", DailyCheck(self.daily_check))
        object.__setattr__(self, "capabilities", frozenset(self.capabilities))
        if self.busy_until is not None and self.busy_until.utcoffset() is None:
            raise ValueError("busy_until must be an aware datetime")
        if self.jobs_today < 0:
            raise ValueError("jobs_today must be 0 or more")

    @property
    def chained(self) -> bool:
        """Whether the unit is finishing a job and would take the request after it."""
        return (
            self.status in (UnitStatus.BUSY, UnitStatus.RETURNING) and self.busy_until is not None
        )

    @property
    def origin(self) -> Point:
        """Where the unit will start driving to the request from."""
        if self.chained and self.busy_point is not None:
            return self.busy_point
        return self.point


@dataclass(frozen=True, slots=True)
class Proposal:
    """One unit proposed for a request, with its ETA, its rank and why (DSP-3).

    ``score`` is the soft-rule cost the ranking used (seconds, lower is better);
    ``reasons`` are message keys with parameters, rendered in English or zh-Hans by
    :meth:`Reason.text`.
    """

    unit_id: Id
    eta_seconds: float
    eta_at: dt.datetime
    rank: int
    score: float
    passed_rules: tuple[str, ...]
    reasons: tuple[Reason, ...]


class Rejection(NamedTuple):
    """A unit the engine looked at but may not propose, with the hard rule it failed.

    A named tuple rather than a frozen dataclass: a proposal at national scale may list a few
    hundred, and a tuple is built several times faster."""

    unit_id: Id
    rule: str
    reason: Reason


@dataclass(frozen=True, slots=True)
class ProposalResult:
    """The ranked proposals for one request and the units turned down on the way."""

    proposals: list[Proposal]
    #: Nearest first; :func:`~.engine.propose` gives a :class:`~.engine.Rejections`, built
    #: when first read.
    rejections: Sequence[Rejection]


class AssignedPair(NamedTuple):
    """One request given to one unit by joint assignment or a policy."""

    request_id: Id
    unit_id: Id
    eta_seconds: float


@dataclass(frozen=True, slots=True)
class Assignment:
    """The outcome of assigning a batch of waiting requests: pairs, and who is left waiting."""

    pairs: list[AssignedPair]
    unassigned: list[Id]
