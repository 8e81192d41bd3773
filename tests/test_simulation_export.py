"""``simulation_export``: a scenario fitted from the live database runs in the simulator."""

import datetime as dt
import io
import json

import time_machine
from django.core.management import call_command

from anxin.rescue import actions
from anxin.rescue.models import JobTransition
from anxin.simulation.scenario import parse_scenario

T0 = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def test_export_fits_demand_and_service_time_from_recent_jobs(dispatcher, east, hangzhou, unit):
    for n in range(6):
        at = T0 + dt.timedelta(hours=n)
        with time_machine.travel(at, tick=False):
            job = actions.create_job(
                actor=dispatcher, at=at, fault="flat_battery", needs=["flatbed"] if n % 2 else [],
                lat=30.25 + 0.01 * n, lon=120.16, region=east, city=hangzhou,
                caller_phone="13812345678", caller_name="李四",
            )  # fmt: skip
        # Arrival and completion rows as the crew's app writes them: 20 + 5n minutes on scene.
        arrived = at + dt.timedelta(minutes=12)
        JobTransition.objects.create(job=job, from_state="en_route", to_state="arrived", at=arrived)
        JobTransition.objects.create(
            job=job,
            from_state="working",
            to_state="completed",
            at=arrived + dt.timedelta(minutes=20 + 5 * n),
        )
    out = io.StringIO()
    with time_machine.travel(T0 + dt.timedelta(days=2), tick=False):
        call_command("simulation_export", weeks=2, zones=3, stdout=out)
    raw = json.loads(out.getvalue())
    scenario = parse_scenario(raw)
    assert raw["demand"]["requests_per_day"] == round(6 / 14, 3)
    assert raw["demand"]["needs"]["flatbed"] == 0.5
    assert raw["service_minutes"]["distribution"] == "lognormal"
    assert raw["service_minutes"]["mean"] == 32.5  # 20, 25, ... 45 minutes
    assert [u.id for u in scenario.units] == ["T01"] and scenario.units[0].kind == "flatbed"
    assert len(scenario.zones) == 3 and sum(z.weight for z in scenario.zones) == 6
    # The busiest hours are the hours the calls came in.
    assert raw["demand"]["hourly_profile"][9] > raw["demand"]["hourly_profile"][3]
