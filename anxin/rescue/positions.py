"""Batch GPS updates for rescue units (DSP-6).

Positions are a high-volume stream and their own record (:class:`UnitPosition`); the unit's
last known position is moved forward with a conditional update, so a late, older fix never
moves a unit backwards and two batches racing leave the newest fix in place.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from anxin.accounts.permissions import restrict
from anxin.core.validators import validate_latitude, validate_longitude
from anxin.network.models import RescueUnit, UnitPosition

MAX_CLOCK_SKEW = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class PositionFix:
    index: int
    unit_code: str
    at: dt.datetime
    lat: float
    lon: float
    speed_kmh: float | None = None
    heading: float | None = None


def _problem(fix: PositionFix, now: dt.datetime) -> tuple[str, str] | None:
    if timezone.is_naive(fix.at):
        return "at", "a time needs its offset, e.g. 2026-11-23T10:00:00+08:00"
    if fix.at > now + MAX_CLOCK_SKEW:
        return "at", "the fix is in the future"
    for field, check, value in (
        ("lat", validate_latitude, fix.lat),
        ("lon", validate_longitude, fix.lon),
    ):
        try:
            check(value)
        except ValidationError as err:
            return field, " ".join(err.messages)
    if fix.speed_kmh is not None and not 0 <= fix.speed_kmh <= 250:
        return "speed_kmh", "speed must be between 0 and 250 km/h"
    return None


def record_positions(user: Any, fixes: list[PositionFix], *, now: dt.datetime) -> dict[str, Any]:
    codes = {f.unit_code for f in fixes}
    allowed = restrict(RescueUnit.objects.filter(code__in=codes), user, "change")
    staff = getattr(user, "staff", None)
    if staff is not None and staff.unit_id is not None:
        # The crew's phone reports its own unit (DSP-6), though a technician may not edit units.
        allowed = allowed | restrict(
            RescueUnit.objects.filter(code__in=codes, pk=staff.unit_id), user, "view"
        )
    units = {u.code: u for u in allowed}
    rejected: list[dict[str, Any]] = []
    good: list[PositionFix] = []
    for fix in fixes:
        if fix.unit_code not in units:
            rejected.append(
                {"index": fix.index, "field": "unit", "msg": "unknown unit, or not yours to report"}
            )
            continue
        problem = _problem(fix, now)
        if problem:
            rejected.append({"index": fix.index, "field": problem[0], "msg": problem[1]})
            continue
        good.append(fix)
    stale = 0
    with transaction.atomic():
        UnitPosition.objects.bulk_create(
            [
                UnitPosition(
                    unit=units[f.unit_code],
                    at=f.at,
                    lat=f.lat,
                    lon=f.lon,
                    speed_kmh=f.speed_kmh,
                    heading=f.heading,
                )
                for f in good
            ],
            ignore_conflicts=True,
        )
        newest: dict[str, PositionFix] = {}
        for fix in good:
            if fix.unit_code not in newest or fix.at > newest[fix.unit_code].at:
                newest[fix.unit_code] = fix
        for code, fix in newest.items():
            moved = (
                RescueUnit.objects.filter(pk=units[code].pk)
                .filter(Q(last_seen_at__isnull=True) | Q(last_seen_at__lt=fix.at))
                .update(last_lat=fix.lat, last_lon=fix.lon, last_seen_at=fix.at)
            )
            if not moved:
                stale += 1
    stale += len(good) - len(newest)  # older fixes of the same unit in this batch: track only
    return {"accepted": len(good), "ignored_stale": stale, "rejected": rejected}
