"""Automatic outlet assignment for appointments (WS-1, NET-5).

The nearest outlet by travel time (the dispatch engine's travel model, not straight-line
distance) that has the capabilities the job needs, a valid repair-shop licence on the day,
is open at the slot and has free capacity in it. Every candidate is kept with its reasons, so
the advisor sees why one was chosen and why the others were not.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from anxin.dispatching.domain import Point
from anxin.dispatching.travel import HaversineModel, great_circle_m
from anxin.network.models import Outlet

from .choices import APPOINTMENT_HOLDING_STATES, Capability, JobType
from .models import Appointment, WorkshopPolicy

SEARCH_RADIUS_M = 150_000  # outlets farther than this by great circle are not considered
MAX_CANDIDATES = 12


@dataclass
class Candidate:
    outlet: int
    code: str
    name: str
    travel_seconds: float
    distance_m: float
    capacity_left: int
    eligible: bool
    reasons: list[str] = field(default_factory=list)
    designated: bool = False
    rank: int = 0

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["travel_seconds"] = round(self.travel_seconds, 1)
        data["distance_m"] = round(self.distance_m)
        return data


def needs_for(vehicle: Any, job_type: str, service_items: Any = ()) -> list[str]:
    """The capabilities a job needs: HV work on EVs, 800V diagnostics, a body shop."""
    needs = set()
    repair = job_type in (
        JobType.FAULT_REPAIR,
        JobType.WARRANTY_REPAIR,
        JobType.PARTS_REPLACEMENT,
        JobType.ACCIDENT_REPAIR,
    )
    if vehicle is not None and vehicle.is_electric and repair:
        needs.add(Capability.EV_HIGH_VOLTAGE)
    if (
        vehicle is not None
        and vehicle.high_voltage
        and job_type
        in (
            JobType.FAULT_REPAIR,
            JobType.WARRANTY_REPAIR,
        )
    ):
        needs.add(Capability.DIAG_800V)
    if job_type == JobType.ACCIDENT_REPAIR:
        needs.add(Capability.BODY_SHOP)
    return sorted(needs)


def slot_of(at: dt.datetime, minutes: int | None = None) -> dt.datetime:
    """The start of the slot ``at`` falls in (local time, slots from midnight)."""
    minutes = minutes or WorkshopPolicy.current().slot_minutes
    local = timezone.localtime(at)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    n = int((local - midnight).total_seconds() // (minutes * 60))
    return midnight + dt.timedelta(minutes=n * minutes)


def capacity_left(
    outlet: Outlet, slot_start: dt.datetime, *, exclude: int | None = None
) -> tuple[int, int]:
    """(free places in the slot, free places that day) for ``outlet``."""
    minutes = WorkshopPolicy.current().slot_minutes
    local = timezone.localtime(slot_start)
    day_start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    rows = Appointment.objects.filter(
        outlet=outlet,
        state__in=APPOINTMENT_HOLDING_STATES,
        slot_start__gte=day_start,
        slot_start__lt=day_start + dt.timedelta(days=1),
    )
    if exclude:
        rows = rows.exclude(pk=exclude)
    counts = rows.aggregate(
        day=Count("pk"),
        slot=Count(
            "pk",
            filter=Q(
                slot_start__gte=slot_start,
                slot_start__lt=slot_start + dt.timedelta(minutes=minutes),
            ),
        ),
    )
    return outlet.bays - counts["slot"], outlet.daily_capacity - counts["day"]


def is_open(outlet: Outlet, at: dt.datetime) -> bool:
    if outlet.open_24h:
        return True
    t = timezone.localtime(at).time()
    return outlet.opens_at <= t < outlet.closes_at


def rank_outlets(
    *,
    lat: float,
    lon: float,
    needs: list[str],
    slot_start: dt.datetime,
    designated: set[int] | None = None,
    exclude: set[int] | None = None,
    appointment_id: int | None = None,
    outlets: Any = None,
    licensed: set[int] | None = None,
    capacity: Any = None,
) -> list[Candidate]:
    """Every nearby outlet, ranked: eligible ones first by travel time, then the others.

    ``designated``: outlets of the fleet's repair contract, preferred over nearer ones.
    ``exclude``: outlets that already declined this appointment.
    ``licensed`` and ``capacity(outlet, slot) -> (slot_left, day_left)`` replace the database
    look-ups when the caller already knows them (the demo builds a history in memory).
    """
    origin = Point(lat, lon)
    pool = list(outlets if outlets is not None else Outlet.objects.filter(active=True))
    near = [
        o for o in pool if float(great_circle_m(lat, lon, o.lat, o.lon)) <= SEARCH_RADIUS_M
    ] or pool
    if not near:
        return []
    travel = HaversineModel().durations([origin], [Point(o.lat, o.lon) for o in near], slot_start)[
        0
    ]
    day = timezone.localdate(slot_start)
    designated = designated or set()
    exclude = exclude or set()
    candidates = []
    for outlet, seconds in zip(near, travel, strict=True):
        reasons: list[str] = []
        missing = [Capability(n).label for n in needs if not getattr(outlet, n, False)]
        if missing:
            reasons.append(_("lacks %(c)s") % {"c": ", ".join(str(m) for m in missing)})
        has_licence = (
            outlet.pk in licensed
            if licensed is not None
            else outlet.current_qualification(on=day) is not None
        )
        if not has_licence:
            reasons.append(_("no valid repair-shop licence on %(day)s") % {"day": day})
        if not is_open(outlet, slot_start):
            reasons.append(_("closed at that time"))
        slot_left, day_left = (
            capacity(outlet, slot_start)
            if capacity is not None
            else capacity_left(outlet, slot_start, exclude=appointment_id)
        )
        if slot_left <= 0:
            reasons.append(_("no free place in the slot"))
        elif day_left <= 0:
            reasons.append(_("fully booked that day"))
        if outlet.pk in exclude:
            reasons.append(_("declined this appointment before"))
        eligible = not reasons
        if eligible:
            reasons.append(
                _("%(min)d min away, %(left)d place(s) free in the slot")
                % {"min": round(seconds / 60), "left": min(slot_left, day_left)}
            )
            if outlet.pk in designated:
                reasons.append(_("designated outlet of the fleet's repair contract"))
        candidates.append(
            Candidate(
                outlet=outlet.pk,
                code=outlet.code,
                name=outlet.name,
                travel_seconds=float(seconds),
                distance_m=float(great_circle_m(lat, lon, outlet.lat, outlet.lon)),
                capacity_left=max(0, min(slot_left, day_left)),
                eligible=eligible,
                reasons=reasons,
                designated=outlet.pk in designated,
            )
        )
    candidates.sort(key=lambda c: (not c.eligible, not c.designated, c.travel_seconds))
    for n, c in enumerate(candidates, start=1):
        c.rank = n
    return candidates[:MAX_CANDIDATES]


def best(candidates: list[Candidate]) -> Candidate | None:
    return next((c for c in candidates if c.eligible), None)
