"""The dispatch rules: hard rules a unit must pass, and the soft costs that rank the rest.

Each hard rule is a named function ``(request, unit, ctx) -> RuleResult``; each soft rule is a
named cost. All are listed in :data:`RULES` (name, hard or soft, what it means), which is what
the explanation shows. A hard rule's ``scope`` says what it depends on: ``unit`` rules look only
at the unit and the clock; ``pair`` rules look at the request only through ``request_key``. A
rule with a ``unit_key`` looks at the unit only through that key and at the clock only through
the dispatch day (``ctx.today``). The fleet table (:mod:`~anxin.dispatching.prefilter`) relies
on that to judge such a rule once per distinct (request key, unit key, day) in a snapshot.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from .domain import (
    DailyCheck,
    Need,
    Powertrain,
    RescueRequest,
    Skill,
    UnitKind,
    UnitSnapshot,
    UnitStatus,
)
from .explain import Reason
from .travel import SHANGHAI

#: Seconds of ETA one job already done today is worth: small, so it only breaks near ties.
WORKLOAD_SECONDS_PER_JOB = 20.0

#: Needs met by the unit's kind rather than by listed equipment.
KIND_NEEDS = frozenset({Need.FLATBED, Need.TOWING, Need.HV_CERTIFIED})


@dataclass(frozen=True, slots=True)
class RuleContext:
    """What the rules need besides the request and the unit: the time and the local zone."""

    now: dt.datetime
    tz: dt.tzinfo = SHANGHAI
    #: The dispatch day in local time (certificates and daily checks are per local day).
    today: dt.date = field(init=False)

    def __post_init__(self) -> None:
        if self.now.utcoffset() is None:
            raise ValueError("now must be an aware datetime")
        object.__setattr__(self, "today", self.now.astimezone(self.tz).date())


#: The local day last asked of :func:`context_at`: (zone, first epoch second, end, date).
_LAST_DAY: tuple[dt.tzinfo | None, float, float, dt.date] = (None, 0.0, 0.0, dt.date.min)


def context_at(now: dt.datetime | float, tz: dt.tzinfo = SHANGHAI) -> RuleContext:
    """A :class:`RuleContext` for ``now`` (an aware datetime, or epoch seconds): as
    ``RuleContext(now, tz)``, the local day of epoch seconds kept from the last call when it is
    the same day (a simulated month asks ~10⁵ times, a few thousand times a day)."""
    if isinstance(now, dt.datetime):
        return RuleContext(now, tz)  # which refuses a naive one
    global _LAST_DAY
    epoch = float(now)
    moment = dt.datetime.fromtimestamp(epoch, dt.UTC)
    zone, start, end, today = _LAST_DAY
    if zone is not tz or not start <= epoch < end:
        local = moment.astimezone(tz)
        today = local.date()
        midnight = dt.datetime.combine(today, dt.time(0), tz)
        following = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(0), tz)
        _LAST_DAY = (tz, midnight.timestamp(), following.timestamp(), today)
    ctx = object.__new__(RuleContext)
    object.__setattr__(ctx, "now", moment)
    object.__setattr__(ctx, "tz", tz)
    object.__setattr__(ctx, "today", today)
    return ctx


@dataclass(frozen=True, slots=True)
class RuleResult:
    """A hard rule's verdict on one unit for one request, with the reason."""

    ok: bool
    reason: Reason


HardRule = Callable[[RescueRequest, UnitSnapshot, RuleContext], RuleResult]

# Shared verdicts for the common passing cases: joint assignment evaluates thousands of them.
_CAPABILITY_OK = RuleResult(True, Reason("capability.ok"))
_HV_OK = RuleResult(True, Reason("hv.ok"))
_HV_NOT_NEEDED = RuleResult(True, Reason("hv.not_needed"))
_CHECK_OK = RuleResult(True, Reason("check.ok"))
_CHECK_FAILED = RuleResult(False, Reason("check.failed"))
_CHECK_MISSING = RuleResult(False, Reason("check.missing"))
_SHIFT_OK = RuleResult(True, Reason("shift.ok"))
_STATUS_OK = RuleResult(True, Reason("status.ok"))
_STATUS_CHAINED = RuleResult(True, Reason("status.chained"))
_BUSY_UNKNOWN_END = RuleResult(False, Reason("status.busy_unknown_end"))

_TOWING_KINDS = frozenset({UnitKind.TOW_TRUCK, UnitKind.FLATBED})
_CARRIED_POWERTRAINS = frozenset({Powertrain.BEV, Powertrain.HEV})


def capability_match(request: RescueRequest, unit: UnitSnapshot, ctx: RuleContext) -> RuleResult:
    """The unit can do the job: flatbed when asked; towing by tow truck or flatbed; an EV or
    hybrid that must be moved goes on a flatbed; other needs must be listed equipment."""
    needs = request.needs
    if Need.FLATBED in needs and unit.kind is not UnitKind.FLATBED:
        return _capability_failed("capability.flatbed_needed", kind=unit.kind.value)
    if Need.TOWING in needs:
        if request.powertrain in _CARRIED_POWERTRAINS and unit.kind is not UnitKind.FLATBED:
            return _capability_failed(
                "capability.ev_flatbed", powertrain=request.powertrain.value, kind=unit.kind.value
            )
        if unit.kind not in _TOWING_KINDS:
            return _capability_failed("capability.towing_needed", kind=unit.kind.value)
    missing = needs - KIND_NEEDS - unit.capabilities
    if missing:
        return _capability_failed("capability.missing", missing=", ".join(sorted(missing)))
    return _CAPABILITY_OK


@lru_cache(maxsize=1024)
def _capability_failed(code: str, **params: str) -> RuleResult:
    # Verdicts are immutable values: a fleet's few (kind, equipment) classes meet the same
    # handful of failures again and again, each built once.
    return RuleResult(False, Reason(code, params))


def hv_certified_crew(request: RescueRequest, unit: UnitSnapshot, ctx: RuleContext) -> RuleResult:
    """High-voltage faults need a crew member whose HV certificate is valid on the dispatch day
    (PPL-3: an uncertified person is not given work that needs the certificate)."""
    if not request.needs_hv_crew:
        return _HV_NOT_NEEDED
    today = ctx.today
    if any(member.certified(Skill.EV_HV, today) for member in unit.crew):
        return _HV_OK
    return _no_hv_crew(today)


@lru_cache(maxsize=64)
def _no_hv_crew(day: dt.date) -> RuleResult:
    return RuleResult(False, Reason("hv.no_certified_crew", {"day": day.isoformat()}))


def daily_check_passed(request: RescueRequest, unit: UnitSnapshot, ctx: RuleContext) -> RuleResult:
    """Readiness (AST-2): a unit whose pre-work check today is failed or missing stays home."""
    if unit.daily_check is DailyCheck.PASSED:
        return _CHECK_OK
    return _CHECK_FAILED if unit.daily_check is DailyCheck.FAILED else _CHECK_MISSING


def start_time(unit: UnitSnapshot, ctx: RuleContext) -> dt.datetime:
    """When the unit could start driving to a new job: now, or when its current job ends."""
    if unit.chained and unit.busy_until is not None and unit.busy_until > ctx.now:
        return unit.busy_until
    return ctx.now


def on_shift(request: RescueRequest, unit: UnitSnapshot, ctx: RuleContext) -> RuleResult:
    """The crew is on shift when the unit would set off (shifts may cross midnight)."""
    start, end = unit.shift_start, unit.shift_end
    if start is None or end is None or start == end:
        return _SHIFT_OK
    at = start_time(unit, ctx).astimezone(ctx.tz).time().replace(tzinfo=None)
    inside = start <= at < end if start < end else (at >= start or at < end)
    if inside:
        return _SHIFT_OK
    return _off_shift(_hhmm(at), _hhmm(start), _hhmm(end))


def _hhmm(at: dt.time) -> str:
    return f"{at.hour:02d}:{at.minute:02d}"


@lru_cache(maxsize=4096)
def _off_shift(at: str, start: str, end: str) -> RuleResult:
    # Verdicts are immutable values: share them rather than build one per unit judged.
    return RuleResult(False, Reason("shift.off", {"at": at, "start": start, "end": end}))


@lru_cache(maxsize=64)
def _not_dispatchable(status: UnitStatus) -> RuleResult:
    return RuleResult(False, Reason("status.not_dispatchable", {"status": status.value}))


def status_dispatchable(request: RescueRequest, unit: UnitSnapshot, ctx: RuleContext) -> RuleResult:
    """The unit is free, or busy/returning with an expected finish so the job can follow it."""
    if unit.status is UnitStatus.AVAILABLE:
        return _STATUS_OK
    if unit.status in (UnitStatus.BUSY, UnitStatus.RETURNING):
        if unit.busy_until is None:
            return _BUSY_UNKNOWN_END
        # The finish time itself is in the proposal's ETA reason.
        return _STATUS_CHAINED
    return _not_dispatchable(unit.status)


def eta_cost(eta_seconds: float) -> float:
    """Soft rule, first: the earlier the unit arrives, the better (seconds)."""
    return eta_seconds


def workload_balance(unit: UnitSnapshot) -> float:
    """Soft rule, second: spread the work; each job already done today costs a little."""
    return WORKLOAD_SECONDS_PER_JOB * unit.jobs_today


def priority_weight(request: RescueRequest) -> float:
    """Soft weighting: an urgent request's waiting counts more in joint assignment."""
    return request.weight


def pair_cost(request: RescueRequest, unit: UnitSnapshot, eta_seconds: float) -> float:
    """The cost ranking and joint assignment minimise: weight × (ETA + workload)."""
    return priority_weight(request) * (eta_cost(eta_seconds) + workload_balance(unit))


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """One entry of the rule table: name, hard or soft, scope, and what it means."""

    name: str
    kind: Literal["hard", "soft"]
    description: str
    check: HardRule | None = None
    scope: Literal["unit", "pair"] = "pair"
    request_key: Callable[[RescueRequest], Hashable] | None = None
    unit_key: Callable[[UnitSnapshot], Hashable] | None = None


def _capability_request_key(request: RescueRequest) -> Hashable:
    return (request.needs, request.powertrain)


def _capability_unit_key(unit: UnitSnapshot) -> Hashable:
    return (unit.kind, unit.capabilities)


def _hv_request_key(request: RescueRequest) -> Hashable:
    return request.needs_hv_crew


def _hv_unit_key(unit: UnitSnapshot) -> Hashable:
    # The latest HV certificate on board: someone is certified on a day iff it runs that far.
    latest: dt.date | None = None
    for member in unit.crew:
        expiry = member.certifications.get(Skill.EV_HV)
        if expiry is not None and (latest is None or expiry > latest):
            latest = expiry
    return latest


def _status_unit_key(unit: UnitSnapshot) -> Hashable:
    return (unit.status, unit.busy_until is None)


def _check_unit_key(unit: UnitSnapshot) -> Hashable:
    return unit.daily_check


#: Every rule, in the order the engine applies them (cheap unit-only rules first).
RULES: tuple[RuleSpec, ...] = (
    RuleSpec(
        "status_dispatchable",
        "hard",
        "free, or busy with a known finish",
        status_dispatchable,
        "unit",
        unit_key=_status_unit_key,
    ),
    RuleSpec(
        "daily_check_passed",
        "hard",
        "today's pre-work check passed (AST-2)",
        daily_check_passed,
        "unit",
        unit_key=_check_unit_key,
    ),
    RuleSpec("on_shift", "hard", "crew on shift when the unit sets off", on_shift, "unit"),
    RuleSpec(
        "capability_match",
        "hard",
        "kind and equipment fit the need (DSP-3)",
        capability_match,
        request_key=_capability_request_key,
        unit_key=_capability_unit_key,
    ),
    RuleSpec(
        "hv_certified_crew",
        "hard",
        "valid HV certificate for HV faults (PPL-3)",
        hv_certified_crew,
        request_key=_hv_request_key,
        unit_key=_hv_unit_key,
    ),
    RuleSpec("eta", "soft", "earliest arrival, including finishing the current job"),
    RuleSpec("workload_balance", "soft", f"{WORKLOAD_SECONDS_PER_JOB:g} s per job done today"),
    RuleSpec("priority_weight", "soft", "urgent requests weigh more in joint assignment"),
)

HARD_RULES: tuple[RuleSpec, ...] = tuple(rule for rule in RULES if rule.kind == "hard")
HARD_RULE_NAMES: tuple[str, ...] = tuple(rule.name for rule in HARD_RULES)


def first_failure(
    request: RescueRequest, unit: UnitSnapshot, ctx: RuleContext
) -> tuple[str, RuleResult] | None:
    """Apply the hard rules in order; the first one the unit fails, with its verdict, or None."""
    for rule in HARD_RULES:
        if rule.check is None:
            continue
        result = rule.check(request, unit, ctx)
        if not result.ok:
            return rule.name, result
    return None
