"""Adapts the database to the dispatch engine: units, crews and daily checks become snapshots,
the engine's proposals come back with their units and reasons (DSP-3).

The engine (:mod:`anxin.dispatching`) is plain Python; everything that touches rows is here.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Literal

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from anxin.accounts.permissions import restrict
from anxin.dispatching import domain as d
from anxin.dispatching.engine import propose
from anxin.dispatching.travel import HaversineModel
from anxin.network.models import RescueUnit, UnitDailyCheck
from anxin.people.models import Certification, Staff

from .choices import UNIT_BUSY_STATES, FaultType, Priority
from .models import RescueJob

PRIORITY = {Priority.ROUTINE: 0, Priority.EMERGENCY: 2}
# Average time on scene used to estimate when a busy unit is free again.
TYPICAL_JOB_MINUTES = 35


@dataclass(frozen=True)
class ShownProposal:
    unit: RescueUnit
    eta_seconds: float
    eta_at: dt.datetime
    rank: int
    reasons: list[str]
    passed_rules: list[str]


@dataclass(frozen=True)
class ShownRejection:
    unit: RescueUnit
    rule: str
    reason: str


@dataclass(frozen=True)
class Proposals:
    proposals: list[ShownProposal]
    rejections: list[ShownRejection]

    @property
    def top(self) -> ShownProposal | None:
        return self.proposals[0] if self.proposals else None


def travel_model() -> HaversineModel:
    return HaversineModel(road_factor=getattr(settings, "ANXIN_ROAD_FACTOR", 1.3))


def request_for(job: RescueJob) -> d.RescueRequest:
    needs = set(job.needs or [])
    if job.fault == FaultType.HV_FAULT:
        needs.add(d.Need.HV_CERTIFIED)
    powertrain = job.vehicle.powertrain if job.vehicle_id else d.Powertrain.ICE
    return d.RescueRequest(
        id=job.pk,
        point=d.Point(job.lat, job.lon),
        fault=job.fault,
        needs=frozenset(needs),
        priority=PRIORITY.get(job.priority, 0),
        area=d.Area(job.area),
        created_at=job.created_at,
        powertrain=powertrain,
    )


def fleet_snapshots(units: list[RescueUnit], *, now: dt.datetime) -> list[d.UnitSnapshot]:
    """One query per kind of fact (crews, certificates, checks, current jobs), never per unit."""
    today = timezone.localdate(now)
    ids = [u.pk for u in units]
    crews: dict[int, list[d.CrewMember]] = defaultdict(list)
    certs: dict[int, dict[str, dt.date]] = defaultdict(dict)
    for cert in Certification.objects.filter(staff__unit_id__in=ids, issued_on__lte=today):
        held = certs[cert.staff_id]
        held[cert.skill] = max(held.get(cert.skill, cert.expires_on), cert.expires_on)
    for staff in Staff.objects.filter(unit_id__in=ids, active=True):
        crews[staff.unit_id].append(
            d.CrewMember(id=staff.pk, certifications=certs.get(staff.pk, {}))
        )
    checks = {
        c.unit_id: c.passed for c in UnitDailyCheck.objects.filter(unit_id__in=ids, day=today)
    }
    current = {
        j.unit_id: j
        for j in RescueJob.objects.filter(
            unit_id__in=ids, state__in=UNIT_BUSY_STATES
        ).select_related("destination_outlet")
    }
    counts = dict(
        RescueJob.objects.filter(unit_id__in=ids, created_at__date=today)
        .values_list("unit_id")
        .annotate(n=Count("id"))
        .values_list("unit_id", "n")
    )
    snapshots = []
    for unit in units:
        if unit.last_lat is None:
            base = unit.base
            point = d.Point(base.lat, base.lon)
        else:
            point = d.Point(unit.last_lat, unit.last_lon)
        check = (
            d.DailyCheck.MISSING
            if unit.pk not in checks
            else (d.DailyCheck.PASSED if checks[unit.pk] else d.DailyCheck.FAILED)
        )
        job = current.get(unit.pk)
        busy_until = busy_point = None
        if job is not None:
            arrival = job.eta_at or now
            busy_until = max(arrival, now) + dt.timedelta(minutes=TYPICAL_JOB_MINUTES)
            busy_point = (
                d.Point(job.destination_outlet.lat, job.destination_outlet.lon)
                if job.destination_outlet_id
                else d.Point(job.lat, job.lon)
            )
        snapshots.append(
            d.UnitSnapshot(
                id=unit.pk,
                point=point,
                kind=unit.kind,
                capabilities=frozenset(unit.capabilities or []),
                status=unit.status,
                crew=tuple(crews.get(unit.pk, ())),
                daily_check=check,
                shift_start=unit.shift_start,
                shift_end=unit.shift_end,
                busy_until=busy_until,
                busy_point=busy_point,
                jobs_today=counts.get(unit.pk, 0),
            )
        )
    return snapshots


def dispatchable_units(user: Any, job: RescueJob) -> list[RescueUnit]:
    qs = restrict(
        RescueUnit.objects.filter(active=True, base__region_id=job.region_id), user, "view"
    )
    return list(qs.select_related("base").filter(~Q(status__in=["off_duty"])))


def proposals_for(
    job: RescueJob, user: Any, now: dt.datetime | None = None, *, limit: int = 5
) -> Proposals:
    """Ranked units for ``job`` that ``user`` may dispatch, with reasons and rejections."""
    now = now or timezone.now()
    units = dispatchable_units(user, job)
    by_id = {u.pk: u for u in units}
    if not units:
        return Proposals([], [])
    from .peak import plan_for

    planned, promised_elsewhere = plan_for(job, now)
    result = propose(
        request_for(job),
        fleet_snapshots(units, now=now),
        now=now,
        travel=travel_model(),
        limit=limit,
        exclude=promised_elsewhere,
    )
    language: Literal["en", "zh-Hans"] = (
        "zh-Hans" if (get_language() or "zh-hans").startswith("zh") else "en"
    )
    shown = [
        ShownProposal(
            unit=by_id[p.unit_id],
            eta_seconds=p.eta_seconds,
            eta_at=p.eta_at,
            rank=p.rank,
            reasons=[r.text(language) for r in p.reasons],
            passed_rules=list(p.passed_rules),
        )
        for p in result.proposals
    ]
    if planned is not None and any(p.unit.pk == planned for p in shown):
        # Peak mode: the joint plan's unit leads, even if another is nearer for this job alone.
        first = next(p for p in shown if p.unit.pk == planned)
        note = _("Peak mode: the joint plan for all waiting requests gives this unit to this job")
        shown = [
            ShownProposal(
                unit=first.unit,
                eta_seconds=first.eta_seconds,
                eta_at=first.eta_at,
                rank=1,
                reasons=[note, *first.reasons],
                passed_rules=first.passed_rules,
            )
        ] + [
            ShownProposal(
                unit=p.unit,
                eta_seconds=p.eta_seconds,
                eta_at=p.eta_at,
                rank=i + 2,
                reasons=p.reasons,
                passed_rules=p.passed_rules,
            )
            for i, p in enumerate(q for q in shown if q.unit.pk != planned)
        ]
    return Proposals(
        proposals=shown,
        rejections=[
            ShownRejection(unit=by_id[r.unit_id], rule=r.rule, reason=r.reason.text(language))
            for r in result.rejections
        ],
    )
