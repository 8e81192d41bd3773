"""The rescue jobs open at the demo's ``as_of``, made through the real action functions.

Unlike the history, these go through :mod:`anxin.rescue.actions` so their SLA clocks run,
their units are claimed and the dispatch console has work when the demo opens.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from anxin.audit.changelog import change_for, record, snapshot
from anxin.network.choices import UnitStatus
from anxin.network.models import RescueUnit, UnitPosition
from anxin.rescue import actions
from anxin.rescue.choices import Channel, FaultType
from anxin.rescue.models import RescueJob

from .context import Demo, persist
from .rescue_history import ROAD_FACTOR, Network, Vehicles, new_job


def open_job(demo: Demo, draft: RescueJob, at: dt.datetime) -> RescueJob:
    """Take the drafted call through intake (``create_job``), as the desk would by phone."""
    skip = {"id", "number", "state", "version", "created_at", "created_by", "tracking_token"}
    fields = {
        f.name: getattr(draft, f.name)
        for f in RescueJob._meta.concrete_fields
        if f.name not in skip
    }
    fields["channel"] = Channel.PHONE
    return actions.create_job(actor=demo.login_staff["dispatcher"].user, at=at, **fields)


def build_open_jobs(demo: Demo) -> None:
    """Two calls waiting (an EV breakdown, an HV fault), one checked, one unit dispatched and
    one on its way: the dispatch console's work at ``as_of``."""
    rng, now = demo.rng, demo.as_of
    net, cars = Network(demo), Vehicles(demo)
    desk = demo.login_staff["dispatcher"].user
    # Units the city left "busy" or "assigned" have no job to be busy with: they are on their
    # way back from their last one.
    idle = [u for u in demo.units if u.status in (UnitStatus.ASSIGNED, UnitStatus.BUSY)]
    changes = []
    for unit in idle:
        before = snapshot(unit)
        unit.status = UnitStatus.RETURNING
        changes.append(change_for(unit, "update", before, snapshot(unit)))
    RescueUnit.objects.bulk_update(idle, ["status"])
    record(changes)

    def car(want: Any) -> Any:
        while True:
            vehicle = cars.draw(demo, now)
            if want(vehicle):
                return vehicle

    def ago(seconds: float) -> dt.datetime:
        return now - dt.timedelta(seconds=round(seconds))

    # (call time, drafted call, later steps as (time, action, arguments)), made in time order
    # below so the day's job numbers follow the calls, as at a real desk.
    calls: list[tuple[dt.datetime, RescueJob, list[tuple[dt.datetime, str, Any]]]] = []
    bev = car(lambda v: v.powertrain == "bev")
    calls.append((ago(180), new_job(demo, bev, now, FaultType.BREAKDOWN), []))
    hv = car(lambda v: v.powertrain == "bev" and v.high_voltage)
    calls.append((ago(70), new_job(demo, hv, now, FaultType.HV_FAULT), []))
    anyone = car(lambda v: True)
    calls.append(
        (ago(420), new_job(demo, anyone, now, FaultType.FLAT_BATTERY), [(ago(300), "check", None)])
    )
    # The login technician's unit stays free: the walkthrough dispatches it to the HV fault.
    free = [
        u
        for u in net.units
        if u.status in actions.CLAIMABLE and u.pk != demo.login_staff["technician"].unit_id
    ]
    for fault, rolling in ((FaultType.TYRE, False), (FaultType.ACCIDENT, True)):
        vehicle = car(lambda v: not v.is_electric)
        for _attempt in range(50):  # a place a free unit needs a while to reach
            draft = new_job(demo, vehicle, now, fault)
            choice = net.pick(draft, now, free)
            if choice is not None and choice[2] > 4:
                break
        unit, _leaves, dist = choice
        free.remove(unit)
        travel = round(dist * ROAD_FACTOR / 38 * 3600)
        # The unit on its way has driven about 40 % of its route: still en route now.
        dispatched = travel * 0.4 + 90 if rolling else 50
        called = dispatched + 180 + rng.randrange(60)
        steps = [(ago(called - 120), "check", None), (ago(dispatched), "dispatch", (unit, travel))]
        if rolling:
            steps += [
                (ago(dispatched - 30), "accept", None),
                (ago(dispatched - 90), "depart", None),
            ]
        calls.append((ago(called), draft, steps))

    calls.sort(key=lambda call: call[0])
    jobs = [open_job(demo, draft, at) for at, draft, _steps in calls]
    todo = sorted(
        ((at, n, name, arg) for n, (_c, _d, steps) in enumerate(calls) for at, name, arg in steps),
        key=lambda step: (step[0], step[1]),
    )
    travels: dict[int, int] = {}
    for at, n, name, arg in todo:
        if name == "dispatch":
            unit, travels[n] = arg
            jobs[n] = actions.dispatch(
                jobs[n], unit, actor=desk, eta_seconds=travels[n] + 60, at=at
            )
            continue
        # The crews have no logins of their own; the desk records their steps as radioed in.
        jobs[n] = actions.perform(jobs[n], name, actor=desk, at=at)
        if name == "depart":
            track(demo, jobs[n].unit, jobs[n], at, travels[n])


def track(demo: Demo, unit: Any, job: RescueJob, departed: dt.datetime, travel: float) -> None:
    """GPS fixes every 30 s from the base towards the job, and the unit's last position."""
    fixes = []
    at = departed
    while at <= demo.as_of:
        share = min(1.0, (at - departed).total_seconds() / travel)
        fixes.append(
            UnitPosition(
                unit=unit,
                at=at,
                lat=round(unit.base.lat + (job.lat - unit.base.lat) * share, 5),
                lon=round(unit.base.lon + (job.lon - unit.base.lon) * share, 5),
                speed_kmh=38.0,
            )
        )
        at += dt.timedelta(seconds=30)
    persist(demo, fixes)
    unit.refresh_from_db()
    unit.last_lat, unit.last_lon, unit.last_seen_at = fixes[-1].lat, fixes[-1].lon, fixes[-1].at
    unit.save(update_fields=["last_lat", "last_lon", "last_seen_at"])  # the signal logs it
