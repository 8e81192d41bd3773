"""From source records to facts: what each record contributes to the rollups.

One builder per source kind reads a batch of records by id and returns, for each id, its
:class:`FactData` (or None when it contributes nothing, e.g. a rescue job that has not arrived
yet, or a deleted record). The incremental updater and the rebuild both call these builders,
so they cannot disagree about what a record means.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.utils import timezone

from . import hist
from .catalog import MEASURES


@dataclass
class FactData:
    day: dt.date
    region_id: int | None = None
    city_id: int | None = None
    outlet_id: int | None = None
    unit_id: int | None = None
    staff_id: int | None = None
    model: str = ""
    fault: str = ""
    # measure -> [num, total, bucket or None]
    contrib: dict[str, list[Any]] = field(default_factory=dict)

    def as_row(self) -> dict[str, Any]:
        return {
            "day": self.day,
            "region_id": self.region_id,
            "city_id": self.city_id,
            "outlet_id": self.outlet_id,
            "unit_id": self.unit_id,
            "staff_id": self.staff_id,
            "model": self.model,
            "fault": self.fault,
            "contrib": self.contrib,
        }


def contribution(measure: str, ok: bool, value_ms: int = 0) -> list[Any]:
    m = MEASURES[measure]
    bucket = None
    if m.bucket_seconds is not None and m.limit_seconds is not None:
        bucket = hist.bucket_of(value_ms, m.bucket_seconds, m.limit_seconds)
    return [1 if ok else 0, int(value_ms), bucket]


def local_day(at: dt.datetime) -> dt.date:
    return timezone.localtime(at).date()


def millis(delta: dt.timedelta) -> int:
    """Exact integer milliseconds (floor): sums of these are the same in any order."""
    return delta // dt.timedelta(milliseconds=1)


@dataclass(frozen=True)
class Source:
    """A kind of source record: its model, how to list all ids, how to build facts."""

    code: str
    model_label: str
    build: Callable[[list[int]], dict[int, FactData | None]]
    # Models that must exist for the source to be read (other apps build them concurrently).
    requires: tuple[str, ...] = ()

    def model(self) -> Any:
        try:
            return apps.get_model(self.model_label)
        except (LookupError, ValueError):
            return None

    @property
    def available(self) -> bool:
        for label in (self.model_label, *self.requires):
            try:
                apps.get_model(label)
            except (LookupError, ValueError):
                return False
        return True

    def all_ids(self, chunk: int = 5000) -> Iterator[list[int]]:
        model = self.model()
        if model is None:
            return
        last = 0
        while True:
            ids = list(
                model._default_manager.filter(pk__gt=last)
                .order_by("pk")
                .values_list("pk", flat=True)[:chunk]
            )
            if not ids:
                return
            yield ids
            last = ids[-1]


# --- rescue jobs ----------------------------------------------------------------------------
URBAN_LIMIT = dt.timedelta(minutes=30)
REMOTE_LIMIT = dt.timedelta(minutes=50)
ROUTINE_LIMIT = dt.timedelta(hours=2)
WITHIN = dt.timedelta(minutes=15)


def rescue_facts(ids: list[int]) -> dict[int, FactData | None]:
    """A job contributes once it has arrived: its response time (call → first arrival), and
    whether it arrived within its commitment (emergency 30/50 min, routine 2 h).

    The unit is the one dispatched last before the arrival (read from the dispatch transition,
    since a job cancelled later loses its unit); the staff member is the one who reported the
    arrival.
    """
    from anxin.network.models import RescueUnit
    from anxin.people.models import Staff
    from anxin.rescue.models import JobTransition, RescueJob

    out: dict[int, FactData | None] = dict.fromkeys(ids)
    jobs = {
        row["id"]: row
        for row in RescueJob.objects.filter(pk__in=ids).values(
            "id",
            "created_at",
            "region_id",
            "city_id",
            "priority",
            "area",
            "fault",
            "vehicle__model",
        )
    }
    if not jobs:
        return out
    arrivals: dict[int, Any] = {}
    dispatches: dict[int, list[Any]] = {}
    rows = (
        JobTransition.objects.filter(job_id__in=list(jobs), to_state__in=("dispatched", "arrived"))
        .order_by("job_id", "at", "pk")
        .values_list("job_id", "to_state", "at", "actor_id", "data")
    )
    for job_id, state, at, actor_id, data in rows:
        if state == "arrived":
            arrivals.setdefault(job_id, (at, actor_id))
        else:
            dispatches.setdefault(job_id, []).append((at, (data or {}).get("unit")))
    if not arrivals:
        return out
    codes = {
        code
        for job_id in arrivals
        for at, code in dispatches.get(job_id, [])
        if code and at <= arrivals[job_id][0]
    }
    unit_ids = dict(RescueUnit.objects.filter(code__in=codes).values_list("code", "id"))
    actors = {a for _at, a in arrivals.values() if a is not None}
    staff_of = dict(Staff.objects.filter(user_id__in=actors).values_list("user_id", "id"))
    for job_id, (arrived_at, actor_id) in arrivals.items():
        job = jobs[job_id]
        response = arrived_at - job["created_at"]
        ms = max(0, millis(response))
        code = None
        for at, c in dispatches.get(job_id, []):
            if at <= arrived_at:
                code = c
        contrib = {"rescue_response": contribution("rescue_response", response <= WITHIN, ms)}
        if job["priority"] == "emergency":
            limit = REMOTE_LIMIT if job["area"] == "remote" else URBAN_LIMIT
            contrib["rescue_arrival_commit"] = contribution(
                "rescue_arrival_commit", response <= limit
            )
        else:
            contrib["rescue_routine_arrival"] = contribution(
                "rescue_routine_arrival", response <= ROUTINE_LIMIT
            )
        out[job_id] = FactData(
            day=local_day(job["created_at"]),
            region_id=job["region_id"],
            city_id=job["city_id"],
            unit_id=unit_ids.get(code) if code else None,
            staff_id=staff_of.get(actor_id),
            model=job["vehicle__model"] or "",
            fault=job["fault"] or "",
            contrib=contrib,
        )
    return out


# --- daily unit checks (设备状态表) -----------------------------------------------------------
def unitcheck_facts(ids: list[int]) -> dict[int, FactData | None]:
    from anxin.network.models import UnitDailyCheck

    out: dict[int, FactData | None] = dict.fromkeys(ids)
    rows = UnitDailyCheck.objects.filter(pk__in=ids).values(
        "id", "day", "passed", "unit_id", "unit__base__region_id", "unit__base__city_id",
        "checked_by_id",
    )  # fmt: skip
    for row in rows:
        out[row["id"]] = FactData(
            day=row["day"],
            region_id=row["unit__base__region_id"],
            city_id=row["unit__base__city_id"],
            unit_id=row["unit_id"],
            staff_id=row["checked_by_id"],
            contrib={"unit_check": contribution("unit_check", bool(row["passed"]))},
        )
    return out


SOURCES: dict[str, Source] = {
    "rescue": Source("rescue", "rescue.RescueJob", rescue_facts),
    "unitcheck": Source("unitcheck", "network.UnitDailyCheck", unitcheck_facts),
}


def register(source: Source) -> None:
    SOURCES[source.code] = source


def source_available(code: str) -> bool:
    source = SOURCES.get(code)
    return source is not None and source.available


def keys_of(fact: Any, scope: str) -> str | None:
    """The key of ``fact`` in ``scope``; None when the fact has no member there."""
    if scope == "network":
        return ""
    if scope in ("model", "fault"):
        value = getattr(fact, scope)
        return value or None
    if scope == "region_fault":
        return f"{fact.region_id}|{fact.fault}" if fact.region_id and fact.fault else None
    value = getattr(fact, f"{scope}_id")
    return None if value is None else str(value)
