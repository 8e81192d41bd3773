"""Building rescue histories through the real action functions, for the quality tests."""

from __future__ import annotations

import datetime as dt

from anxin.network.models import RescueUnit
from anxin.rescue import actions

T0 = dt.datetime(2026, 10, 12, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))

ARRIVE = ["check", "dispatch", "accept", "depart", "arrive"]


def new_job(actor, region, city, at, **extra):
    fields = dict(
        fault="flat_battery",
        needs=["jump_start"],
        lat=30.25,
        lon=120.16,
        region=region,
        city=city,
        caller_phone="13812345678",
        caller_name="李四",
    )
    fields.update(extra)
    return actions.create_job(actor=actor, at=at, **fields)


def step(job, name, actor, at, unit=None):
    if name == "dispatch":
        return actions.dispatch(job, unit, actor=actor, at=at)
    reason = "test" if name in ("cancel", "send_back", "decline") else ""
    return actions.perform(job, name, actor=actor, at=at, reason=reason)


def rescue(actor, region, city, unit, called_at, minutes_to_arrive, **extra):
    """A job called at ``called_at`` that arrives ``minutes_to_arrive`` later."""
    job = new_job(actor, region, city, called_at, **extra)
    span = dt.timedelta(minutes=minutes_to_arrive)
    for i, name in enumerate(ARRIVE):
        at = called_at + span * (i + 1) / len(ARRIVE)
        job = step(job, name, actor, at, unit=unit)
    # The crew would finish the job; free the unit for the next test job directly.
    RescueUnit.objects.filter(pk=unit.pk).update(status="available")
    return job


def make_units(base, count):
    return [
        RescueUnit.objects.create(
            code=f"Q{i:02d}",
            plate=f"浙A9{i:04d}",
            kind="tow_truck",
            base=base,
            capabilities=["towing", "jump_start"],
            last_lat=30.27,
            last_lon=120.15,
        )
        for i in range(count)
    ]
