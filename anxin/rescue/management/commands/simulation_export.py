"""``anxin simulation_export``: a simulator scenario from the live database (SIM-1).

The fleet is today's active rescue units at their home bases (kind, equipment, HV-certified
crew, shift). Demand is fitted from the last N weeks of rescue jobs: the daily rate, the
profile by local hour, zones found by k-means on the call locations, the share of calls with
each need, and the on-scene service time (arrived → completed in the job's transitions, fitted
as a lognormal by its mean and standard deviation). The result is checked by the simulator's
own scenario parser before it is written, so an export never produces a file the simulator
refuses.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

import numpy as np
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from anxin.dispatching import Skill
from anxin.network.models import RescueUnit
from anxin.rescue.models import JobTransition, RescueJob
from anxin.rescue.proposals import fleet_snapshots
from anxin.simulation.scenario import ScenarioError, parse_scenario

KM_PER_DEG = 111.195
#: Without enough completed jobs the service time falls back to the scenario default.
MIN_SERVICE_SAMPLES = 5
DEFAULT_SERVICE = {"distribution": "lognormal", "mean": 35.0, "sd": 15.0}


def kmeans(
    xy: np.ndarray[Any, Any], k: int, *, seed: int = 0, rounds: int = 50
) -> np.ndarray[Any, Any]:
    """Cluster labels of planar points (km) by Lloyd's k-means, k-means++ start, fixed seed."""
    rng = np.random.default_rng(seed)
    centres = [xy[rng.integers(len(xy))]]
    for _ in range(1, k):
        d2 = np.min([((xy - c) ** 2).sum(axis=1) for c in centres], axis=0)
        if d2.sum() == 0:
            break
        centres.append(xy[rng.choice(len(xy), p=d2 / d2.sum())])
    c = np.array(centres)
    labels = np.zeros(len(xy), dtype=int)
    for _ in range(rounds):
        labels = ((xy[:, None, :] - c[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)
        moved = np.array([xy[labels == j].mean(axis=0) if (labels == j).any() else c[j]
                          for j in range(len(c))])  # fmt: skip
        if np.allclose(moved, c):
            break
        c = moved
    return labels


class Command(BaseCommand):
    help = "Write a simulator scenario (JSON) from today's fleet and the last N weeks of jobs."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--weeks", type=int, default=8, help="fit demand on the last N weeks")
        parser.add_argument("--output", default="-", help="file to write (default: stdout)")
        parser.add_argument("--name", default="exported", help="the scenario's name")
        parser.add_argument("--zones", type=int, default=8, help="demand zones to fit")
        parser.add_argument("--days", type=float, default=30.0, help="days to simulate")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["weeks"] < 1 or options["zones"] < 1:
            raise CommandError("--weeks and --zones must be at least 1")
        now = timezone.now()
        since = now - dt.timedelta(weeks=options["weeks"])
        jobs = list(
            RescueJob.objects.filter(created_at__gte=since, created_at__lt=now).only(
                "pk", "created_at", "lat", "lon", "area", "needs", "fault"
            )
        )
        if not jobs:
            raise CommandError(f"no rescue jobs in the last {options['weeks']} weeks to fit")
        units = list(RescueUnit.objects.filter(active=True).select_related("base"))
        if not units:
            raise CommandError("no active rescue units")
        scenario = {
            "name": options["name"],
            "seed": 1,
            "days": options["days"],
            "start_date": timezone.localdate(now).isoformat(),
            "demand": {
                "requests_per_day": round(len(jobs) / (7.0 * options["weeks"]), 3),
                "hourly_profile": _profile(jobs),
                "zones": _zones(jobs, options["zones"]),
                "needs": _needs(jobs),
            },
            "service_minutes": _service([j.pk for j in jobs]),
            "travel": {"road_factor": 1.3, "speed_kmh": 40, "remote_speed_kmh": 60},
            "dispatch_delay_minutes": 1.0,
            "after_service": "return_to_base",
            "units": _units(units, now),
        }
        try:
            parse_scenario(scenario)
        except ScenarioError as exc:
            raise CommandError(f"the fitted scenario is not valid: {exc}") from exc
        text = json.dumps(scenario, ensure_ascii=False, indent=1) + "\n"
        if options["output"] == "-":
            self.stdout.write(text, ending="")
        else:
            with open(options["output"], "w", encoding="utf-8") as handle:
                handle.write(text)
            self.stderr.write(
                f"wrote {options['output']}: {len(units)} units, {len(jobs)} jobs fitted"
            )


def _profile(jobs: list[RescueJob]) -> list[float]:
    counts = np.zeros(24)
    for job in jobs:
        counts[timezone.localtime(job.created_at).hour] += 1
    # Half a call in every hour: a quiet hour in a short history is rare, not impossible.
    return [round(float(c) + 0.5, 3) for c in counts]


def _zones(jobs: list[RescueJob], wanted: int) -> list[dict[str, Any]]:
    lat = np.array([j.lat for j in jobs])
    lon = np.array([j.lon for j in jobs])
    scale = math.cos(math.radians(float(lat.mean())))
    xy = np.column_stack((lat * KM_PER_DEG, lon * KM_PER_DEG * scale))
    k = min(wanted, len(np.unique(xy, axis=0)))
    labels = kmeans(xy, k)
    zones = []
    for n, j in enumerate(np.unique(labels)):
        members = labels == j
        centre = xy[members].mean(axis=0)
        spread = np.sqrt(((xy[members] - centre) ** 2).sum(axis=1))
        remote = sum(1 for i in np.flatnonzero(members) if jobs[i].area == "remote")
        zones.append(
            {
                "id": f"zone-{n + 1}",
                "lat": round(float(centre[0] / KM_PER_DEG), 5),
                "lon": round(float(centre[1] / (KM_PER_DEG * scale)), 5),
                "radius_km": round(max(1.0, float(np.percentile(spread, 90))), 2),
                "weight": int(members.sum()),
                "remote": remote * 2 > int(members.sum()),
            }
        )
    return zones


def _needs(jobs: list[RescueJob]) -> dict[str, float]:
    shares = {}
    for need in ("flatbed", "towing", "hv_certified"):
        hits = sum(
            1
            for j in jobs
            if need in (j.needs or []) or (need == "hv_certified" and j.fault == "hv_fault")
        )
        shares[need] = round(hits / len(jobs), 4)
    return shares


def _service(job_ids: list[int]) -> dict[str, Any]:
    arrived: dict[int, dt.datetime] = {}
    completed: dict[int, dt.datetime] = {}
    rows = JobTransition.objects.filter(
        job_id__in=job_ids, to_state__in=("arrived", "completed")
    ).values_list("job_id", "to_state", "at")
    for job_id, state, at in rows:
        target = arrived if state == "arrived" else completed
        # The first arrival and the first completion count; a reopened job is not re-timed.
        if job_id not in target or at < target[job_id]:
            target[job_id] = at
    minutes = [
        (completed[j] - arrived[j]).total_seconds() / 60.0
        for j in arrived
        if j in completed and completed[j] > arrived[j]
    ]
    if len(minutes) < MIN_SERVICE_SAMPLES:
        return dict(DEFAULT_SERVICE)
    mean = float(np.mean(minutes))
    sd = float(np.std(minutes, ddof=1))
    if sd <= 0:
        return {"distribution": "fixed", "value": round(mean, 2)}
    return {"distribution": "lognormal", "mean": round(mean, 2), "sd": round(sd, 2)}


def _units(units: list[RescueUnit], now: dt.datetime) -> list[dict[str, Any]]:
    today = timezone.localdate(now)
    snapshots = {s.id: s for s in fleet_snapshots(units, now=now)}
    rows = []
    for unit in units:
        crew = snapshots[unit.pk].crew
        end = unit.shift_end
        # The model's default end 23:59:59 means the end of the day.
        end_text = "24:00" if (end.hour, end.minute) == (23, 59) else end.strftime("%H:%M")
        rows.append(
            {
                "id": unit.code,
                "lat": unit.base.lat,
                "lon": unit.base.lon,
                "kinds": [unit.kind, *sorted(set(unit.capabilities or []) - {unit.kind})],
                "hv_certified": any(m.certified(Skill.EV_HV, today) for m in crew),
                "shift": f"{unit.shift_start.strftime('%H:%M')}-{end_text}",
            }
        )
    return rows
